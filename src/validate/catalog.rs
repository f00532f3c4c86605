//! Validators: from `rules/validators/*.yaml` to a checked [`Catalog`].
//!
//! Loading proves what can be proven without a network: every rule a validator names exists,
//! and no rule has two validators; every companion's rule exists; the URL is `https://` with a
//! literal host (a template can never choose the host, so a secret can only go where the file
//! says); every template parses and uses only names the request will have (`secret`, the rule's
//! named groups, companions). [`Catalog::check_examples`] then proves each validator's example
//! answers map to the outcomes they claim; `rules check` runs it.

use std::collections::{BTreeSet, HashMap};

use super::interpret::{Answer, Decision, interpret};
use super::spec::{ResponseSpec, SignScheme, ValidatorFile, ValidatorSpec};
use super::status::ValidationStatus;
use super::template::Template;
use crate::rules::{RuleSet, RuleSource};

/// `(file name, YAML text)` for every built-in validator file, sorted by name.
const FILES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/builtin_validators.rs"));

/// One validator problem, with where it is.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The YAML did not parse.
    #[error("{origin}: invalid validator file: {message}")]
    Syntax {
        /// The file.
        origin: String,
        /// The parser's message.
        message: String,
    },
    /// A validator parsed but is not valid.
    #[error("{origin}: validator {id}: {problem}")]
    Invalid {
        /// The file.
        origin: String,
        /// The validator id.
        id: String,
        /// What is wrong.
        problem: String,
    },
}

/// Every problem found while loading validators.
pub(crate) type CatalogErrors = crate::rules::Problems<CatalogError>;

/// The AWS `SigV4` inputs of a validator, parsed.
#[derive(Debug, Clone)]
pub(crate) struct SignTemplates {
    pub(crate) region: String,
    pub(crate) service: String,
    pub(crate) access_key_id: Template,
    pub(crate) secret_access_key: Template,
    pub(crate) session_token: Option<Template>,
}

/// A checked validator with its templates parsed.
#[derive(Debug, Clone)]
pub struct Validator {
    /// The validator as written.
    pub spec: ValidatorSpec,
    /// The file it came from.
    pub origin: String,
    /// The fixed provider host.
    pub host: String,
    pub(crate) path: Template,
    pub(crate) headers: Vec<(String, Template)>,
    pub(crate) body: Option<Template>,
    pub(crate) basic_auth: Option<(Template, Template)>,
    pub(crate) sign: Option<SignTemplates>,
}

/// Every validator of a run, indexed by the rule ids they validate.
#[derive(Debug, Default)]
pub struct Catalog {
    validators: Vec<Validator>,
    by_rule: HashMap<String, usize>,
}

impl Catalog {
    /// The built-in validators, checked against `rules`.
    pub fn builtin(rules: &RuleSet) -> Result<Catalog, CatalogErrors> {
        let sources: Vec<RuleSource> = FILES
            .iter()
            .map(|(name, text)| RuleSource {
                origin: format!("builtin:validators/{name}"),
                text: (*text).to_string(),
            })
            .collect();
        Catalog::compile(&sources, rules)
    }

    /// Validators from YAML sources, checked against `rules`; every problem is reported.
    pub fn compile(sources: &[RuleSource], rules: &RuleSet) -> Result<Catalog, CatalogErrors> {
        let mut errors = Vec::new();
        let mut catalog = Catalog::default();
        for source in sources {
            let file: ValidatorFile = match serde_saphyr::from_str(&source.text) {
                Ok(file) => file,
                Err(e) => {
                    errors.push(CatalogError::Syntax {
                        origin: source.origin.clone(),
                        message: e.to_string(),
                    });
                    continue;
                }
            };
            for spec in file.validators {
                let id = spec.id.clone();
                let invalid = |problem: String| CatalogError::Invalid {
                    origin: source.origin.clone(),
                    id: id.clone(),
                    problem,
                };
                match Validator::load(spec, &source.origin, rules) {
                    Ok(v) => {
                        if let Err(problem) = catalog.insert(v) {
                            errors.push(invalid(problem));
                        }
                    }
                    Err(problem) => errors.push(invalid(problem)),
                }
            }
        }
        if errors.is_empty() {
            Ok(catalog)
        } else {
            Err(crate::rules::Problems { what: "validator", items: errors })
        }
    }

    fn insert(&mut self, validator: Validator) -> Result<(), String> {
        if self.validators.iter().any(|v| v.spec.id == validator.spec.id) {
            return Err("id already defined".into());
        }
        let index = self.validators.len();
        for rule in &validator.spec.rules {
            if let Some(&other) = self.by_rule.get(rule) {
                let other = &self.validators[other].spec.id;
                return Err(format!("rule {rule} already has validator {other}"));
            }
            self.by_rule.insert(rule.clone(), index);
        }
        self.validators.push(validator);
        Ok(())
    }

    /// The validator of a rule.
    pub fn for_rule(&self, rule_id: &str) -> Option<&Validator> {
        self.by_rule.get(rule_id).map(|&i| &self.validators[i])
    }

    /// All validators, in file order.
    pub fn validators(&self) -> &[Validator] {
        &self.validators
    }

    /// The providers (rule `provider` fields) that have at least one validator.
    pub fn providers(&self, rules: &RuleSet) -> BTreeSet<String> {
        self.by_rule
            .keys()
            .filter_map(|id| rules.get(id))
            .map(|rule| rule.spec.provider.clone())
            .collect()
    }

    /// Proves every validator's examples: at least one `valid` and one `invalid` example, and
    /// each maps to the outcome it claims. One line per problem.
    pub fn check_examples(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for v in &self.validators {
            let id = &v.spec.id;
            for needed in [ValidationStatus::Valid, ValidationStatus::Invalid] {
                if !v.spec.examples.iter().any(|e| e.outcome == needed) {
                    problems.push(format!("validator {id}: no `{}` example", needed.as_str()));
                }
            }
            for example in &v.spec.examples {
                let answer = Answer {
                    status: example.status,
                    retry_after: None,
                    body: example.body.as_bytes().to_vec(),
                    headers: Vec::new(),
                };
                let got = interpret(&v.spec.responses, &answer);
                if got != Decision::Final(example.outcome) {
                    problems.push(format!(
                        "validator {id}: example with status {} should be {} but is {got:?}",
                        example.status,
                        example.outcome.as_str()
                    ));
                }
            }
        }
        problems
    }
}

impl Validator {
    fn load(spec: ValidatorSpec, origin: &str, rules: &RuleSet) -> Result<Validator, String> {
        check_names(&spec, rules)?;
        check_responses(&spec.responses)?;
        for capture in &spec.capture {
            let sources = [&capture.header, &capture.json, &capture.xml];
            if sources.iter().filter(|s| s.is_some()).count() != 1 || capture.name.is_empty() {
                return Err(format!(
                    "capture {:?}: give a name and exactly one of `header`, `json`, `xml`",
                    capture.name
                ));
            }
        }
        let (host, path) = split_url(&spec.request.url)?;
        if let Some(bad) = spec.request.headers.keys().find(|k| !is_header_name(k)) {
            return Err(format!("{bad:?} is not a header name"));
        }
        let parse = |text: &str| Template::parse(text);
        let headers = spec
            .request
            .headers
            .iter()
            .map(|(k, v)| Ok((k.to_ascii_lowercase(), parse(v)?)))
            .collect::<Result<Vec<_>, String>>()?;
        let validator = Validator {
            host,
            path: parse(path)?,
            headers,
            body: spec.request.body.as_deref().map(parse).transpose()?,
            basic_auth: match &spec.request.basic_auth {
                Some(b) => Some((parse(&b.username)?, parse(&b.password)?)),
                None => None,
            },
            sign: spec.request.sign.as_ref().map(sign_templates).transpose()?,
            origin: origin.to_string(),
            spec,
        };
        validator.check_template_names(rules)?;
        Ok(validator)
    }

    /// Every name a template may use: `secret`, companions, and the named groups every one of
    /// the validator's rules has.
    fn available_names(&self, rules: &RuleSet) -> BTreeSet<String> {
        let mut names: BTreeSet<String> = ["secret".to_string()].into();
        names.extend(self.spec.companions.iter().map(|c| c.name.clone()));
        let mut common: Option<BTreeSet<String>> = None;
        for rule_id in &self.spec.rules {
            let groups: BTreeSet<String> = rules
                .get(rule_id)
                .and_then(|r| r.pattern().ok())
                .map(|p| p.attribute_groups.iter().map(|(n, _)| n.to_string()).collect())
                .unwrap_or_default();
            common = Some(match common {
                None => groups,
                Some(c) => c.intersection(&groups).cloned().collect(),
            });
        }
        names.extend(common.unwrap_or_default());
        names
    }

    fn templates(&self) -> Vec<&Template> {
        let mut all = vec![&self.path];
        all.extend(self.headers.iter().map(|(_, t)| t));
        all.extend(self.body.iter());
        if let Some((user, password)) = &self.basic_auth {
            all.extend([user, password]);
        }
        if let Some(sign) = &self.sign {
            all.extend([&sign.access_key_id, &sign.secret_access_key]);
            all.extend(sign.session_token.iter());
        }
        all
    }

    fn check_template_names(&self, rules: &RuleSet) -> Result<(), String> {
        let available = self.available_names(rules);
        for template in self.templates() {
            if let Some(name) = template.names().find(|n| !available.contains(*n)) {
                return Err(format!(
                    "template uses `{name}`, which is not `secret`, a companion or a named group of every rule"
                ));
            }
        }
        if self.templates().iter().all(|t| t.is_constant()) {
            return Err("no template uses the secret or a part of it".into());
        }
        Ok(())
    }
}

fn check_names(spec: &ValidatorSpec, rules: &RuleSet) -> Result<(), String> {
    let id_ok = spec.id.contains('.')
        && spec.id.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_')
        });
    if !id_ok {
        return Err("id must be lowercase dotted words, e.g. `github.user`".into());
    }
    if spec.rules.is_empty() {
        return Err("`rules` is empty".into());
    }
    if let Some(missing) = spec.rules.iter().find(|r| rules.get(r).is_none()) {
        return Err(format!("rule {missing} does not exist"));
    }
    for companion in &spec.companions {
        if rules.get(&companion.rule).is_none() {
            return Err(format!("companion rule {} does not exist", companion.rule));
        }
        if companion.name == "secret"
            || Template::parse(&format!("{{{{{}}}}}", companion.name)).is_err()
        {
            return Err(format!("bad companion name {:?}", companion.name));
        }
    }
    Ok(())
}

fn check_responses(responses: &[ResponseSpec]) -> Result<(), String> {
    if responses.is_empty() {
        return Err("`responses` is empty".into());
    }
    for r in responses {
        if r.outcome == ValidationStatus::Unknown {
            return Err("a response outcome cannot be `unknown`: leave the answer unmatched".into());
        }
        if r.status.is_empty() || r.status.iter().any(|s| !(100..=599).contains(s)) {
            return Err("every response needs status codes in 100..=599".into());
        }
    }
    Ok(())
}

/// An RFC 9110 token: letters, digits and the punctuation the RFC allows in field names.
fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Splits `https://host/path?query` into a literal host and the path template.
fn split_url(url: &str) -> Result<(String, &str), String> {
    let rest = url
        .strip_prefix("https://")
        .ok_or_else(|| format!("url {url:?} must start with https://"))?;
    let end = rest.find(['/', '?']).into_iter().chain(rest.find("{{")).min().unwrap_or(rest.len());
    let (host, path) = rest.split_at(end);
    let literal = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    if !literal {
        return Err(format!(
            "url {url:?}: the host must be a literal lowercase name (no template, port or user)"
        ));
    }
    let path_ok = path.is_empty()
        || path.starts_with('/')
        || Template::parse(path).is_ok_and(|t| t.starts_with_url_path());
    if !path_ok {
        return Err(format!("url {url:?}: the path must start with / or with a `url_path` value"));
    }
    Ok((host.to_string(), if path.is_empty() { "/" } else { path }))
}

fn sign_templates(sign: &super::spec::SignSpec) -> Result<SignTemplates, String> {
    match sign.scheme {
        SignScheme::AwsSigv4 => Ok(SignTemplates {
            region: sign.region.clone(),
            service: sign.service.clone(),
            access_key_id: Template::parse(&sign.access_key_id)?,
            secret_access_key: Template::parse(&sign.secret_access_key)?,
            session_token: sign.session_token.as_deref().map(Template::parse).transpose()?,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: &str = r"
rules:
  - id: demo.token
    name: Demo token
    provider: Demo
    kind: token
    keywords: [demo_]
    pattern: '\b(?P<secret>demo_[a-z0-9]{8})(?:@(?P<org>[a-z]+))?'
    confidence: high
    severity: low
    references: [https://example.invalid/docs]
    revoke: Delete it.
    examples: ['demo_a1b2c3d4']
    negative_examples: ['demo_short']
";

    const VALIDATOR: &str = r"
validators:
  - id: demo.whoami
    rules: [demo.token]
    request:
      method: GET
      url: https://api.demo.example/v1/me?org={{org}}
      headers:
        Authorization: Bearer {{secret}}
    responses:
      - {status: [200], outcome: valid}
      - {status: [401], outcome: invalid}
    examples:
      - {outcome: valid, status: 200, body: '{}'}
      - {outcome: invalid, status: 401}
";

    fn rules() -> RuleSet {
        RuleSet::compile(&[RuleSource { origin: "rules.yaml".into(), text: RULE.into() }]).unwrap()
    }

    fn compile(text: &str) -> Result<Catalog, String> {
        Catalog::compile(&[RuleSource { origin: "v.yaml".into(), text: text.into() }], &rules())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_valid_validator_loads_and_proves_its_examples() {
        let catalog = compile(VALIDATOR).unwrap();
        let v = catalog.for_rule("demo.token").unwrap();
        assert_eq!(v.host, "api.demo.example");
        assert!(catalog.check_examples().is_empty());
    }

    #[test]
    fn the_rule_must_exist() {
        let err = compile(&VALIDATOR.replace("[demo.token]", "[demo.nope]")).unwrap_err();
        assert!(err.contains("rule demo.nope does not exist"), "{err}");
    }

    #[test]
    fn the_host_can_never_be_a_template() {
        for url in [
            "https://{{org}}.demo.example/me",
            "https://api.demo.example{{secret}}",
            "https://api.demo.example{{org}}/me",
            "https://api.demo.example:8443/me",
            "https://user@api.demo.example/me",
            "http://api.demo.example/me",
            "{{secret}}",
        ] {
            let text = VALIDATOR.replace("https://api.demo.example/v1/me?org={{org}}", url);
            assert!(compile(&text).is_err(), "{url} must be refused");
        }
    }

    #[test]
    fn header_names_are_tokens() {
        let err = compile(&VALIDATOR.replace("Authorization:", "'Bad Header':")).unwrap_err();
        assert!(err.contains("not a header name"), "{err}");
    }

    #[test]
    fn templates_may_only_use_known_names() {
        let err = compile(&VALIDATOR.replace("{{org}}", "{{team}}")).unwrap_err();
        assert!(err.contains("`team`"), "{err}");
    }

    #[test]
    fn examples_must_match_their_outcome() {
        let text =
            VALIDATOR.replace("{outcome: invalid, status: 401}", "{outcome: invalid, status: 200}");
        let problems = compile(&text).unwrap().check_examples();
        assert_eq!(problems.len(), 1, "{problems:?}");
    }

    #[test]
    fn builtin_validators_load_and_prove_their_examples() {
        let rules = RuleSet::load(&[]).unwrap();
        let catalog = Catalog::builtin(&rules).unwrap();
        assert_eq!(catalog.check_examples(), Vec::<String>::new());
        assert!(catalog.providers(&rules).len() >= 60, "{:?}", catalog.providers(&rules));
    }
}
