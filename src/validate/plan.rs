//! From findings to requests: which validator, which values, which exact request, and which
//! findings share it. No I/O.
//!
//! A finding's values are its secret, its rule's named groups (attributes) and its companions:
//! the secrets of findings of another rule in the same file, a few lines away (the AWS key id
//! next to its secret access key). This pairing lives here, in data the validator declares,
//! so rules need no change to describe multi-part credentials.
//!
//! Findings whose rendered requests are identical form one [`Job`]: a credential found under
//! two rules, or an AWS pair found from both halves, is sent once.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use super::ValidationConfig;
use super::aws::AwsCredentials;
use super::canary::aws_canary;
use super::catalog::{Catalog, SignTemplates, Validator};
use super::endpoint::Scheme;
use super::request::{AwsSigning, Outgoing};
use super::spec::CompanionSpec;
use super::status::{UnknownReason, Validation, ValidationStatus};
use super::template::{RenderError, Template, Values};
use crate::finding::Finding;
use crate::rules::RuleSet;

/// One request to send, and the findings its answer applies to.
#[cfg_attr(not(feature = "validate"), allow(dead_code))] // only the HTTP client reads it
pub(crate) struct Job<'c> {
    pub(crate) validator: &'c Validator,
    pub(crate) request: Outgoing,
    pub(crate) findings: Vec<usize>,
}

/// The jobs, and the findings concluded without a request.
pub(crate) struct Plan<'c> {
    pub(crate) jobs: Vec<Job<'c>>,
    pub(crate) immediate: Vec<(usize, Validation)>,
}

/// Plans the checks of `findings`.
pub(crate) fn plan<'c>(
    findings: &[Finding],
    _rules: &RuleSet,
    catalog: &'c Catalog,
    config: &ValidationConfig,
) -> Plan<'c> {
    let mut plan = Plan { jobs: Vec::new(), immediate: Vec::new() };
    let mut by_identity: HashMap<[u8; 32], usize> = HashMap::new();
    for (index, finding) in findings.iter().enumerate() {
        if already_concluded(finding) {
            continue;
        }
        let Some(validator) = catalog.for_rule(&finding.rule_id) else {
            plan.immediate.push((index, Validation::unknown(UnknownReason::NoValidator)));
            continue;
        };
        match prepare(finding, findings, validator, config) {
            Err(reason) => plan.immediate.push((index, Validation::unknown(reason))),
            Ok(request) => {
                let identity = identity(validator, &request);
                if let Some(&job) = by_identity.get(&identity) {
                    plan.jobs[job].findings.push(index);
                } else {
                    by_identity.insert(identity, plan.jobs.len());
                    plan.jobs.push(Job { validator, request, findings: vec![index] });
                }
            }
        }
    }
    plan
}

/// An offline check already said the credential is expired: nothing to ask.
fn already_concluded(finding: &Finding) -> bool {
    finding.validation.as_ref().is_some_and(|v| v.status == ValidationStatus::Expired)
}

/// The request for one finding, or why there is none.
fn prepare(
    finding: &Finding,
    all: &[Finding],
    validator: &Validator,
    config: &ValidationConfig,
) -> Result<Outgoing, UnknownReason> {
    let values = values(finding, all, validator)?;
    let render = |t: &Template, in_url: bool| t.render(&values, in_url).map_err(render_reason);
    let path = render(&validator.path, true)?;
    if !path.starts_with('/') {
        return Err(UnknownReason::Unrenderable); // never let a value touch the authority
    }
    let mut headers = Vec::new();
    for (name, template) in &validator.headers {
        headers.push((name.clone(), header_value(render(template, false)?)?));
    }
    let body = match &validator.body {
        Some(t) => Some(render(t, false)?.into_bytes()),
        None => None,
    };
    let basic_auth = match &validator.basic_auth {
        Some((user, password)) => Some((render(user, false)?, render(password, false)?)),
        None => None,
    };
    let aws = match &validator.sign {
        Some(sign) => Some(aws_signing(sign, &values)?),
        None => None,
    };
    let (scheme, authority, prefix, trusted) = destination(&validator.host, config);
    Ok(Outgoing {
        method: validator.spec.request.method,
        scheme,
        authority,
        path: format!("{prefix}{path}"),
        headers,
        body,
        basic_auth,
        aws,
        trusted,
    })
}

/// The secret, the finding's attributes, and its companions.
fn values(
    finding: &Finding,
    all: &[Finding],
    validator: &Validator,
) -> Result<Values, UnknownReason> {
    let mut values: Values = finding.attributes.clone();
    values.insert("secret".into(), text(finding)?);
    for companion in &validator.spec.companions {
        match nearest_companion(finding, all, companion) {
            Some(other) => {
                values.insert(companion.name.clone(), text(other)?);
            }
            None if companion.optional => {
                values.insert(companion.name.clone(), String::new());
            }
            None => return Err(UnknownReason::MissingPart),
        }
    }
    Ok(values)
}

fn text(finding: &Finding) -> Result<String, UnknownReason> {
    String::from_utf8(finding.secret.expose().to_vec()).map_err(|_| UnknownReason::Unrenderable)
}

/// The finding of the companion's rule closest to `finding`, in the same file and within
/// `within_lines` lines.
fn nearest_companion<'a>(
    finding: &Finding,
    all: &'a [Finding],
    companion: &CompanionSpec,
) -> Option<&'a Finding> {
    all.iter()
        .filter(|other| other.rule_id == companion.rule)
        .filter_map(|other| distance(finding, other).map(|d| (d, other)))
        .filter(|(d, _)| *d <= companion.within_lines)
        .min_by_key(|(d, other)| (*d, other.fingerprint.clone()))
        .map(|(_, other)| other)
}

/// The smallest line distance between two findings' locations in the same file.
fn distance(a: &Finding, b: &Finding) -> Option<u64> {
    a.locations
        .iter()
        .flat_map(|la| b.locations.iter().map(move |lb| (la, lb)))
        .filter(|(la, lb)| la.path == lb.path)
        .map(|(la, lb)| la.position.line.abs_diff(lb.position.line))
        .min()
}

#[allow(clippy::needless_pass_by_value)] // used as `map_err(render_reason)`
fn render_reason(err: RenderError) -> UnknownReason {
    match err {
        RenderError::Missing(_) => UnknownReason::MissingPart,
        RenderError::NotAUrl(_) => UnknownReason::Unrenderable,
    }
}

/// Header values may not carry control characters (no header injection from scanned content).
fn header_value(value: String) -> Result<String, UnknownReason> {
    if value.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
        Err(UnknownReason::Unrenderable)
    } else {
        Ok(value)
    }
}

fn aws_signing(sign: &SignTemplates, values: &Values) -> Result<AwsSigning, UnknownReason> {
    let render = |t: &Template| t.render(values, false).map_err(render_reason);
    let access_key_id = render(&sign.access_key_id)?;
    if aws_canary(&access_key_id).is_some() {
        return Err(UnknownReason::LikelyCanary);
    }
    let session_token = match &sign.session_token {
        Some(t) => Some(render(t)?).filter(|t| !t.is_empty()),
        None => None,
    };
    Ok(AwsSigning {
        region: sign.region.clone(),
        service: sign.service.clone(),
        credentials: AwsCredentials {
            access_key_id,
            secret_access_key: render(&sign.secret_access_key)?,
            session_token,
        },
    })
}

/// Where a request for `host` goes: the provider itself over https, or the user's override.
fn destination(host: &str, config: &ValidationConfig) -> (Scheme, String, String, bool) {
    match config.endpoints.iter().find(|e| e.host == host) {
        Some(e) => (e.scheme, e.authority.clone(), e.path_prefix.clone(), true),
        None => (Scheme::Https, host.to_string(), String::new(), false),
    }
}

/// A hash of everything that would be sent; equal hashes mean one check serves both.
fn identity(validator: &Validator, request: &Outgoing) -> [u8; 32] {
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    // Validators with the same request and the same reading of the answer share one check.
    field(format!("{:?}", validator.spec.responses).as_bytes());
    field(request.authority.as_bytes());
    field(request.path.as_bytes());
    for (name, value) in &request.headers {
        field(name.as_bytes());
        field(value.as_bytes());
    }
    field(request.body.as_deref().unwrap_or_default());
    if let Some((user, password)) = &request.basic_auth {
        field(user.as_bytes());
        field(password.as_bytes());
    }
    if let Some(aws) = &request.aws {
        let c = &aws.credentials;
        field(c.access_key_id.as_bytes());
        field(c.secret_access_key.as_bytes());
        field(c.session_token.as_deref().unwrap_or_default().as_bytes());
    }
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::content::Position;
    use crate::finding::{Location, Secret};
    use crate::rules::RuleSource;

    const RULES: &str = r"
rules:
  - id: demo.key-id
    name: Demo key id
    provider: Demo
    kind: api-key
    keywords: [dkid]
    pattern: '\b(?P<secret>DKID[0-9]{4})\b'
    confidence: high
    severity: low
  - id: demo.secret
    name: Demo secret
    provider: Demo
    kind: api-key
    keywords: [dsec]
    pattern: '\b(?P<secret>DSEC[0-9]{4})\b'
    confidence: high
    severity: low
";

    const VALIDATORS: &str = r"
validators:
  - id: demo.pair
    rules: [demo.secret]
    companions:
      - {name: key_id, rule: demo.key-id, within_lines: 2}
    request:
      method: GET
      url: https://api.demo.example/me
      basic_auth: {username: '{{key_id}}', password: '{{secret}}'}
    responses:
      - {status: [200], outcome: valid}
";

    fn finding(rule: &str, secret: &str, path: &str, line: u64) -> Finding {
        Finding {
            rule: 0,
            rule_id: rule.into(),
            secret: Secret::new(secret.as_bytes().to_vec()),
            fingerprint: crate::finding::fingerprint(rule, secret.as_bytes()),
            attributes: BTreeMap::new(),
            locations: vec![Location {
                git: None,
                image: None,
                marker: None,
                decoded: None,
                path: path.into(),
                position: Position { line, column: 1, end_line: line, end_column: 9, offset: 0 },
            }],
            validation: None,
            confidence: None,
            suppressions: Vec::new(),
        }
    }

    fn setup() -> (RuleSet, Catalog) {
        let rules = RuleSet::compile(&[RuleSource { origin: "r.yaml".into(), text: RULES.into() }])
            .unwrap();
        let catalog = Catalog::compile(
            &[RuleSource { origin: "v.yaml".into(), text: VALIDATORS.into() }],
            &rules,
        )
        .unwrap();
        (rules, catalog)
    }

    #[test]
    fn the_nearest_companion_in_the_same_file_completes_the_credential() {
        let (rules, catalog) = setup();
        let findings = vec![
            finding("demo.secret", "DSEC0001", "a.env", 10),
            finding("demo.key-id", "DKID0009", "a.env", 1), // too far
            finding("demo.key-id", "DKID0002", "a.env", 11),
            finding("demo.key-id", "DKID0003", "b.env", 10), // other file
        ];
        let plan = plan(&findings, &rules, &catalog, &ValidationConfig::default());
        assert_eq!(plan.jobs.len(), 1);
        let (user, _) = plan.jobs[0].request.basic_auth.clone().unwrap();
        assert_eq!(user, "DKID0002");
        // The key ids have no validator of their own.
        assert!(plan.immediate.iter().all(|(_, v)| v.reason == Some(UnknownReason::NoValidator)));
    }

    #[test]
    fn without_its_companion_nothing_is_sent() {
        let (rules, catalog) = setup();
        let findings = vec![finding("demo.secret", "DSEC0001", "a.env", 10)];
        let plan = plan(&findings, &rules, &catalog, &ValidationConfig::default());
        assert!(plan.jobs.is_empty());
        assert_eq!(plan.immediate[0].1.reason, Some(UnknownReason::MissingPart));
    }

    #[test]
    fn identical_requests_share_one_job_and_overrides_are_trusted() {
        let (rules, catalog) = setup();
        let findings = vec![
            finding("demo.secret", "DSEC0001", "a.env", 1),
            finding("demo.key-id", "DKID0002", "a.env", 2),
            finding("demo.secret", "DSEC0001", "b.env", 1),
            finding("demo.key-id", "DKID0002", "b.env", 2),
        ];
        let config = ValidationConfig {
            endpoints: vec!["api.demo.example=http://127.0.0.1:1/base".parse().unwrap()],
            ..ValidationConfig::default()
        };
        let plan = plan(&findings, &rules, &catalog, &config);
        assert_eq!(plan.jobs.len(), 1);
        assert_eq!(plan.jobs[0].findings, vec![0, 2]);
        let request = &plan.jobs[0].request;
        assert!(request.trusted);
        assert_eq!(request.authority, "127.0.0.1:1");
        assert_eq!(request.path, "/base/me");
    }
}
