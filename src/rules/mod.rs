//! Rules: from YAML text to a validated, compiled [`RuleSet`].
//!
//! [`syntax`] holds the serde types; this module validates them and compiles each pattern once.
//! Built-in rules are embedded at build time ([`builtin`]); `--rules PATH` adds files in the same
//! format. [`check`] proves every rule's examples against the real matcher.
//!
//! Built-in rules are loaded from their pre-built form (JSON made from the YAML by `build.rs`,
//! see [`builtin`]) and validated at load, but each regex is parsed and compiled only when a
//! keyword first triggers its rule: a scan compiles the few rules its content needs, which keeps
//! start-up fast with hundreds of rules (CI compiles all of them in `rules check`, which reads
//! the YAML itself). Rules from `--rules` files are compiled at load, so their errors are
//! reported before the scan starts. `LoadMode` names the three cases.
//!
//! Patterns are compiled with Unicode off (`\b`, `\w`, `\d`, `\s` and `(?i)` are ASCII) and UTF-8
//! mode off so they run on raw bytes: secrets are ASCII, and the lazy DFA never has to give up on
//! non-ASCII input, which keeps the hot path fast on any file.

pub(crate) mod builtin;
pub(crate) mod check;
pub(crate) mod family;
pub(crate) mod syntax;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use regex_automata::meta;
use regex_automata::util::primitives::PatternID;
use regex_automata::util::syntax as re_syntax;

pub(crate) use syntax::{CheckName, Confidence, Keyword, Kind, PrefilterMode, RuleSpec, Severity};

/// Where a rule file came from: a built-in name (`builtin:aws.yaml`) or a path.
#[derive(Debug, Clone)]
pub struct RuleSource {
    /// Display name used in errors.
    pub origin: String,
    /// The YAML text.
    pub text: String,
}

/// One rule problem, with where it is.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// A rule file or directory could not be read.
    #[error("{origin}: cannot read rules: {source}")]
    Read {
        /// The path.
        origin: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The YAML did not parse into rules.
    #[error("{origin}: invalid rule file: {message}")]
    Syntax {
        /// The file, with `:LINE:COLUMN` when the parser knows the position.
        origin: String,
        /// The parser's message.
        message: String,
    },
    /// A rule parsed but is not valid.
    #[error("{origin}: rule {id}: {problem}")]
    Invalid {
        /// The file.
        origin: String,
        /// The rule id.
        id: String,
        /// What is wrong.
        problem: String,
    },
}

/// Every problem found while loading a set of files (rules, validators): loading reports them
/// all at once instead of stopping at the first.
#[derive(Debug)]
pub struct Problems<E> {
    /// What was being loaded, for the summary line (`rule`, `validator`).
    pub what: &'static str,
    /// The problems, in the order found.
    pub items: Vec<E>,
}

impl<E: fmt::Display> fmt::Display for Problems<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} problem(s)", self.items.len(), self.what)?;
        for err in &self.items {
            write!(f, "\n  {err}")?;
        }
        Ok(())
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for Problems<E> {}

/// Every problem found while loading rules.
pub(crate) type RuleErrors = Problems<RuleError>;

impl RuleErrors {
    fn rules(items: Vec<RuleError>) -> RuleErrors {
        Problems { what: "rule", items }
    }
}

/// A validated rule; its pattern is compiled on first use.
#[derive(Debug)]
pub struct Rule {
    /// The rule as written.
    pub spec: RuleSpec,
    /// The file it came from.
    pub origin: Arc<str>,
    compiled: OnceLock<Result<CompiledPattern, String>>,
}

/// A rule's compiled regex and the capture indexes the matcher needs.
#[derive(Debug)]
pub(crate) struct CompiledPattern {
    pub(crate) regex: meta::Regex,
    pub(crate) secret_group: usize,
    /// Named groups other than `secret`, reported as finding attributes.
    pub(crate) attribute_groups: Vec<(Arc<str>, usize)>,
}

impl CompiledPattern {
    fn new(pattern: &str) -> Result<CompiledPattern, String> {
        let regex = compile_pattern(pattern)?;
        let info = regex.group_info();
        let secret_group = info
            .to_index(PatternID::ZERO, "secret")
            .ok_or_else(|| "pattern has no named group `secret`".to_string())?;
        let attribute_groups = info
            .pattern_names(PatternID::ZERO)
            .enumerate()
            .filter_map(|(index, name)| Some((name?, index)))
            .filter(|(name, _)| *name != "secret")
            .map(|(name, index)| (Arc::from(name), index))
            .collect();
        Ok(CompiledPattern { regex, secret_group, attribute_groups })
    }
}

impl Rule {
    /// The rule id.
    pub fn id(&self) -> &str {
        &self.spec.id
    }

    /// The compiled pattern, compiling it now if this is the first use. `Err` only for a pattern
    /// that parses but exceeds the regex size limits (built-ins are proven by `rules check`).
    pub(crate) fn pattern(&self) -> Result<&CompiledPattern, &str> {
        self.compiled
            .get_or_init(|| CompiledPattern::new(&self.spec.pattern))
            .as_ref()
            .map_err(String::as_str)
    }

    /// Validates a rule as much as `mode` asks.
    fn load(spec: RuleSpec, origin: &Arc<str>, mode: LoadMode) -> Result<Rule, RuleError> {
        let id = spec.id.clone();
        let invalid = |problem: String| RuleError::Invalid {
            origin: origin.to_string(),
            id: id.clone(),
            problem,
        };
        validate_spec(&spec).map_err(invalid)?;
        if mode != LoadMode::Prebuilt {
            let names =
                capture_names(&spec.pattern).map_err(|e| invalid(format!("pattern: {e}")))?;
            if !names.iter().any(|n| n == "secret") {
                return Err(invalid("pattern has no named group `secret`".into()));
            }
        }
        let rule = Rule { spec, origin: Arc::clone(origin), compiled: OnceLock::new() };
        if mode == LoadMode::Compile {
            rule.pattern().map_err(|e| invalid(format!("pattern: {e}")))?;
        }
        Ok(rule)
    }
}

/// How much of a rule is checked when it is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LoadMode {
    /// `--rules` and configured files: the pattern is compiled now, so its errors are reported
    /// before the scan starts.
    Compile,
    /// Built-in YAML (`rules check`, or a built-in file that did not parse at build time): the
    /// pattern is parsed now (for its `secret` group) and compiled on first use.
    Parse,
    /// The built-in pre-built form: the pattern is neither parsed nor compiled until a keyword
    /// triggers the rule. A built-in pattern without a `secret` group, or one that does not
    /// compile, never matches; `rules check` (run by the tests) proves there is none.
    Prebuilt,
}

/// Parses a pattern (without compiling it), with the syntax every rule pattern is compiled with.
fn parse_pattern(pattern: &str) -> Result<regex_syntax::hir::Hir, String> {
    regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .map_err(|e| e.to_string())
}

/// Whether a pattern matches only the whole text, anchored at its start and its end (`\A...\z`,
/// or `^...$` outside multi-line mode): a rule for a whole file, such as a Rails `master.key`.
pub(crate) fn matches_whole_text_only(pattern: &str) -> bool {
    use regex_syntax::hir::Look;
    parse_pattern(pattern).is_ok_and(|hir| {
        let props = hir.properties();
        props.look_set_prefix().contains(Look::Start) && props.look_set_suffix().contains(Look::End)
    })
}

/// Parses a pattern (without compiling it) and returns its capture group names.
fn capture_names(pattern: &str) -> Result<Vec<String>, String> {
    let hir = parse_pattern(pattern)?;
    let mut names = Vec::new();
    let mut stack = vec![&hir];
    while let Some(node) = stack.pop() {
        match node.kind() {
            regex_syntax::hir::HirKind::Capture(cap) => {
                names.extend(cap.name.as_deref().map(str::to_string));
                stack.push(&cap.sub);
            }
            regex_syntax::hir::HirKind::Concat(subs)
            | regex_syntax::hir::HirKind::Alternation(subs) => {
                stack.extend(subs.iter());
            }
            regex_syntax::hir::HirKind::Repetition(rep) => stack.push(&rep.sub),
            _ => {}
        }
    }
    Ok(names)
}

/// Compiles a pattern the way every rule pattern is compiled (ASCII, bytes).
pub(crate) fn compile_pattern(pattern: &str) -> Result<meta::Regex, String> {
    meta::Builder::new()
        .syntax(re_syntax::Config::new().unicode(false).utf8(false))
        .configure(meta::Config::new().utf8_empty(false).auto_prefilter(false))
        .build(pattern)
        .map_err(|e| e.to_string())
}

fn validate_spec(spec: &RuleSpec) -> Result<(), String> {
    if !is_valid_id(&spec.id) {
        return Err("id must be lowercase dotted words, e.g. `github.pat.classic`".into());
    }
    if spec.name.trim().is_empty() || spec.provider.trim().is_empty() {
        return Err("`name` and `provider` must not be empty".into());
    }
    if spec.keywords.is_empty() && spec.prefilter != Some(PrefilterMode::None) {
        return Err("no `keywords`: add keywords, or say `prefilter: none`".into());
    }
    if let Some((bad, kind)) = spec.keywords.iter().find_map(|k| Some((k, k.not_a_string()?))) {
        return Err(format!(
            "a keyword is {kind} in YAML, not a string (read as {}): quote it so it is kept as written",
            bad.as_str()
        ));
    }
    if let Some(bad) =
        spec.keywords.iter().map(Keyword::as_str).find(|k| k.len() < 2 || !k.is_ascii())
    {
        return Err(format!("keyword {bad:?} must be ASCII and at least 2 characters"));
    }
    if let Some(e) = spec.min_entropy
        && !(0.0..=8.0).contains(&e)
    {
        return Err(format!("min_entropy {e} is outside 0..=8"));
    }
    Ok(())
}

fn is_valid_id(id: &str) -> bool {
    let mut parts = id.split('.');
    let first_ok = parts.next().is_some_and(|p| {
        !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    });
    let rest: Vec<&str> = parts.collect();
    first_ok
        && !rest.is_empty()
        && rest.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        })
}

/// The compiled rules of one run, in a stable order (by id).
#[derive(Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
}

impl RuleSet {
    /// Compiles rules from YAML sources; every problem in every source is reported.
    pub fn compile(sources: &[RuleSource]) -> Result<RuleSet, RuleErrors> {
        RuleSet::assemble(load_files(sources))
    }

    /// One set from the rules of several files, sorted by id; duplicate ids are problems.
    fn assemble(files: Vec<Result<Vec<Rule>, Vec<RuleError>>>) -> Result<RuleSet, RuleErrors> {
        let mut errors = Vec::new();
        let mut rules: Vec<Rule> = Vec::new();
        for loaded in files {
            match loaded {
                Ok(loaded) => rules.extend(loaded),
                Err(mut problems) => errors.append(&mut problems),
            }
        }
        // By cached key: the rules are moved into place once, not once per merge pass (a rule
        // is a few hundred bytes; the stable sort's moves were 7% of start-up's instructions).
        // Ties keep their load order, so a duplicate id names the later file.
        rules.sort_by_cached_key(|rule| rule.spec.id.clone());
        for pair in rules.windows(2) {
            if pair[0].spec.id == pair[1].spec.id {
                errors.push(RuleError::Invalid {
                    origin: pair[1].origin.to_string(),
                    id: pair[1].spec.id.clone(),
                    problem: format!("id already defined in {}", pair[0].origin),
                });
            }
        }
        if errors.is_empty() { Ok(RuleSet { rules }) } else { Err(RuleErrors::rules(errors)) }
    }

    /// The built-in rules plus the rule files at `extra` (files, or directories of `*.yaml`).
    pub fn load(extra: &[PathBuf]) -> Result<RuleSet, RuleErrors> {
        RuleSet::load_with(extra, Vec::new(), true)
    }

    /// Like [`RuleSet::load`], plus rule texts named by a configuration file; `builtin: false`
    /// leaves the built-in rules out (`rules.builtin = false`).
    pub fn load_with(
        extra: &[PathBuf],
        configured: Vec<RuleSource>,
        builtin: bool,
    ) -> Result<RuleSet, RuleErrors> {
        let mut sources = read_rule_paths(extra)?;
        sources.extend(configured);
        let mut files = if builtin { load_builtin() } else { Vec::new() };
        files.extend(load_files(&sources));
        RuleSet::assemble(files)
    }

    /// All rules, sorted by id.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rule with this id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.binary_search_by(|r| r.spec.id.as_str().cmp(id)).ok().map(|i| &self.rules[i])
    }

    /// The index of the rule with this id.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.rules.binary_search_by(|r| r.spec.id.as_str().cmp(id)).ok()
    }
}

/// Parses and validates every source, the files in parallel: YAML parsing is most of
/// leakhound's start-up with hundreds of rules, and the files are independent.
#[allow(
    clippy::expect_used,
    reason = "rule parsing returns errors and does not panic; a panic is a bug to surface"
)]
fn load_files(sources: &[RuleSource]) -> Vec<Result<Vec<Rule>, Vec<RuleError>>> {
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(sources.len().max(1));
    let chunk = sources.len().div_ceil(workers).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = sources
            .chunks(chunk)
            .map(|group| scope.spawn(move || group.iter().map(load_file).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("rule parsing does not panic")).collect()
    })
}

/// A YAML error labelled with the rule file and the position in it (`rules.yaml:3:4`), said once:
/// the parser's own rendering names the input `<input>` and repeats the message under a snippet.
fn syntax_error(origin: &str, error: &serde_saphyr::Error) -> RuleError {
    let plain = error.render_with_options(
        serde_saphyr::render_options! { snippets: serde_saphyr::SnippetMode::Off },
    );
    let Some(at) = error.location().filter(|l| l.line() > 0) else {
        return RuleError::Syntax { origin: origin.to_string(), message: plain };
    };
    let suffix = format!(" at line {}, column {}", at.line(), at.column());
    let message = plain.strip_suffix(&suffix).unwrap_or(&plain).to_string();
    RuleError::Syntax { origin: format!("{origin}:{}:{}", at.line(), at.column()), message }
}

fn load_file(source: &RuleSource) -> Result<Vec<Rule>, Vec<RuleError>> {
    let file: syntax::RuleFile =
        serde_saphyr::from_str(&source.text).map_err(|e| vec![syntax_error(&source.origin, &e)])?;
    let mode =
        if source.origin.starts_with("builtin:") { LoadMode::Parse } else { LoadMode::Compile };
    load_specs(file, &source.origin, mode)
}

/// The built-in rules, from their pre-built form. Parsing the JSON and expanding the provider
/// tables is still most of a scan's start-up, so the files are split by size between two
/// threads (the second one costs tens of microseconds; the work halves).
#[allow(
    clippy::expect_used,
    reason = "rule parsing returns errors and does not panic; a panic is a bug to surface"
)]
fn load_builtin() -> Vec<Result<Vec<Rule>, Vec<RuleError>>> {
    let files: Vec<builtin::BuiltinFile> = builtin::prebuilt().collect();
    let parallel = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    if parallel < 2 || files.len() < 2 {
        return files.into_iter().map(load_builtin_file).collect();
    }
    // The first files up to half of the bytes go to the second thread.
    let total: usize = files.iter().map(builtin::BuiltinFile::len).sum();
    let mut seen = 0;
    let cut = files
        .iter()
        .position(|f| {
            seen += f.len();
            seen >= total / 2
        })
        .map_or(files.len(), |i| i + 1);
    let (first, rest) = files.split_at(cut);
    std::thread::scope(|scope| {
        let other =
            scope.spawn(|| first.iter().copied().map(load_builtin_file).collect::<Vec<_>>());
        let mut rest: Vec<_> = rest.iter().copied().map(load_builtin_file).collect();
        let mut loaded = other.join().expect("rule parsing does not panic");
        loaded.append(&mut rest);
        loaded
    })
}

fn load_builtin_file(file: builtin::BuiltinFile) -> Result<Vec<Rule>, Vec<RuleError>> {
    match file {
        builtin::BuiltinFile::Json { name, json } => {
            let origin = format!("builtin:{name}");
            let file: syntax::RuleFile = serde_json::from_str(json).map_err(|e| {
                vec![RuleError::Syntax { origin: origin.clone(), message: e.to_string() }]
            })?;
            load_specs(file, &origin, LoadMode::Prebuilt)
        }
        builtin::BuiltinFile::Yaml { name, yaml } => {
            load_file(&RuleSource { origin: format!("builtin:{name}"), text: yaml.to_string() })
        }
    }
}

/// Validates the rules of one parsed file.
fn load_specs(
    file: syntax::RuleFile,
    origin: &str,
    mode: LoadMode,
) -> Result<Vec<Rule>, Vec<RuleError>> {
    let origin: Arc<str> = Arc::from(origin);
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    let rows = file.families.into_iter().map(|row| expand_family(row, &origin));
    for spec in file.rules.into_iter().map(Ok).chain(rows) {
        match spec.and_then(|spec| Rule::load(spec, &origin, mode)) {
            Ok(rule) => rules.push(rule),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() { Ok(rules) } else { Err(errors) }
}

/// A provider-table row as a rule spec; a bad row is an invalid rule of its id.
fn expand_family(row: syntax::FamilySpec, origin: &str) -> Result<RuleSpec, RuleError> {
    let id = row.id.clone();
    family::expand(row).map_err(|problem| RuleError::Invalid {
        origin: origin.to_string(),
        id,
        problem,
    })
}

/// Reads rule files from paths: a file, or every `*.yaml`/`*.yml` file in a directory (sorted).
#[allow(
    clippy::disallowed_methods,
    reason = "rule files are configuration the user names with --rules"
)]
pub(crate) fn read_rule_paths(paths: &[PathBuf]) -> Result<Vec<RuleSource>, RuleErrors> {
    let mut sources = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        match collect_rule_files(path) {
            Ok(files) => {
                for file in files {
                    match std::fs::read_to_string(&file) {
                        Ok(text) => {
                            sources.push(RuleSource { origin: file.display().to_string(), text });
                        }
                        Err(source) => errors
                            .push(RuleError::Read { origin: file.display().to_string(), source }),
                    }
                }
            }
            Err(source) => {
                errors.push(RuleError::Read { origin: path.display().to_string(), source });
            }
        }
    }
    if errors.is_empty() { Ok(sources) } else { Err(RuleErrors::rules(errors)) }
}

fn collect_rule_files(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if !std::fs::metadata(path)?.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|ext| ext == "yaml" || ext == "yml"))
        .collect();
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_yaml_error_names_the_file_and_position_once() {
        let source = super::RuleSource {
            origin: "custom/r.yaml".into(),
            text: "rules:\n - id: x\n   bogus: 1\n".into(),
        };
        let errors = super::load_file(&source).unwrap_err();
        let text = errors[0].to_string();
        assert!(
            text.starts_with("custom/r.yaml:3:4: invalid rule file: unknown field `bogus`"),
            "{text}"
        );
        assert!(!text.contains("<input>") && !text.contains('\n'), "{text}");
        assert_eq!(text.matches("unknown field").count(), 1, "{text}");
    }

    use super::*;

    fn source(text: &str) -> Vec<RuleSource> {
        vec![RuleSource { origin: "test.yaml".into(), text: text.into() }]
    }

    const MINIMAL: &str = r"
rules:
  - id: demo.token
    name: Demo token
    provider: Demo
    kind: token
    keywords: [demo_]
    pattern: '\b(?P<secret>demo_[a-z0-9]{8})(?:@(?P<host>[a-z]+))?'
    confidence: high
    severity: low
    references: [https://example.invalid/docs]
    revoke: Delete it.
    examples: ['demo_a1b2c3d4']
    negative_examples: ['demo_short']
";

    #[test]
    fn compiles_a_minimal_rule_and_finds_named_groups() {
        let set = RuleSet::compile(&source(MINIMAL)).unwrap();
        let rule = set.get("demo.token").unwrap().pattern().unwrap();
        assert_eq!(rule.secret_group, 1);
        assert_eq!(rule.attribute_groups.len(), 1);
        assert_eq!(&*rule.attribute_groups[0].0, "host");
    }

    #[test]
    fn rejects_missing_secret_group_with_the_rule_id() {
        let text = MINIMAL.replace("(?P<secret>", "(");
        let err = RuleSet::compile(&source(&text)).unwrap_err().to_string();
        assert!(err.contains("demo.token") && err.contains("secret"), "{err}");
    }

    #[test]
    fn rejects_unknown_fields_and_bad_kinds() {
        let err = RuleSet::compile(&source(&MINIMAL.replace("kind: token", "kind: tokn")))
            .unwrap_err()
            .to_string();
        assert!(err.contains("test.yaml"), "{err}");
        let err = RuleSet::compile(&source(
            &MINIMAL.replace("severity: low", "severity: low\n    colour: red"),
        ))
        .unwrap_err()
        .to_string();
        assert!(err.contains("colour"), "{err}");
    }

    #[test]
    fn rejects_unquoted_keywords_that_are_not_strings() {
        for (written, kind) in
            [("1234", "a number"), ("true", "a boolean"), ("null", "null"), ("0x1F", "a number")]
        {
            let text =
                MINIMAL.replace("keywords: [demo_]", &format!("keywords: [demo_, {written}]"));
            let err = RuleSet::compile(&source(&text)).unwrap_err().to_string();
            assert!(
                err.contains("test.yaml") && err.contains("demo.token") && err.contains(kind),
                "{written}: {err}"
            );
        }
        let quoted = MINIMAL.replace("keywords: [demo_]", "keywords: [demo_, '1234']");
        let set = RuleSet::compile(&source(&quoted)).unwrap();
        assert_eq!(set.rules()[0].spec.keywords[1].as_str(), "1234");
    }

    #[test]
    fn rejects_rules_without_keywords_unless_prefilter_none() {
        let no_keywords = MINIMAL.replace("keywords: [demo_]", "keywords: []");
        assert!(RuleSet::compile(&source(&no_keywords)).is_err());
        let opted_out = MINIMAL.replace("keywords: [demo_]", "prefilter: none");
        assert!(RuleSet::compile(&source(&opted_out)).is_ok());
    }

    #[test]
    fn rejects_duplicate_ids_across_files() {
        let mut sources = source(MINIMAL);
        sources.push(RuleSource { origin: "other.yaml".into(), text: MINIMAL.into() });
        let err = RuleSet::compile(&sources).unwrap_err().to_string();
        assert!(err.contains("already defined"), "{err}");
    }

    #[test]
    fn ids_are_dotted_lowercase() {
        assert!(is_valid_id("github.pat.classic"));
        assert!(is_valid_id("aws.secret-access-key"));
        assert!(!is_valid_id("github"));
        assert!(!is_valid_id("GitHub.pat"));
        assert!(!is_valid_id("a..b"));
    }

    #[test]
    fn builtin_rules_compile() {
        let set = RuleSet::load(&[]).unwrap();
        assert!(!set.rules().is_empty());
    }
}
