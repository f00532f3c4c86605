//! Baselines: files of accepted findings that suppress them in later scans.
//!
//! leakhound's own format is one entry per line, sorted: `RULE-ID HASH [PATH-GLOB]`, where HASH
//! is HMAC-SHA-256 of the rule id and the secret under the baseline's key. Entries carry no line
//! numbers, commit ids or times, so they survive line moves, rebases and squashes, and two
//! branches that each add entries merge without conflicts. The key is random per baseline and
//! written in its header (so entries are unlinkable across repositories), or comes from
//! `LEAKHOUND_BASELINE_KEY` when the header says `key: env` (so a committed baseline cannot be
//! used to guess a short password offline).
//!
//! The header also records what `baseline create` scanned (`# mode: files` or `# mode: git`), so
//! `baseline prune` scans the same thing: pruning a history baseline against the work tree alone
//! would drop every entry for a secret that lives only in history. A baseline without the line
//! (written before it existed) is treated as `files`.
//!
//! For migration, a `.gitleaksignore` file and a gitleaks JSON report are read too. gitleaks' rule
//! ids differ from ours, so their entries match by file and line (and commit when given), or by
//! the secret itself when the report has it unredacted.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::repo::ConfigError;
use crate::fingerprint::hex;

/// The baseline `baseline create` writes by default, and scans read from their root when no
/// `--baseline-path` is given.
pub(crate) const DEFAULT_FILE: &str = ".leakhound-baseline";

/// The environment variable that holds a baseline key kept out of the file.
pub(crate) const KEY_ENV: &str = "LEAKHOUND_BASELINE_KEY";

const HEADER: &str = "# leakhound baseline v1";

/// A loaded baseline of any supported format.
#[derive(Debug, Clone)]
pub struct Baseline {
    /// The file, as shown to the user.
    pub file: String,
    /// Its entries.
    pub kind: BaselineKind,
}

/// The entries of a baseline, by format.
#[derive(Debug, Clone)]
pub enum BaselineKind {
    /// leakhound's own format.
    Native(NativeBaseline),
    /// `.gitleaksignore` lines or a gitleaks JSON report.
    Gitleaks(Vec<GitleaksEntry>),
}

/// What a baseline's findings were collected from, recorded in its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BaselineMode {
    /// Files and directories (`baseline create PATH...`).
    #[default]
    Files,
    /// A repository's whole git history (`baseline create --git REPO`).
    Git,
}

impl BaselineMode {
    /// The word in the header.
    pub fn as_str(self) -> &'static str {
        match self {
            BaselineMode::Files => "files",
            BaselineMode::Git => "git",
        }
    }

    fn parse(word: &str) -> Result<BaselineMode, String> {
        match word {
            "files" => Ok(BaselineMode::Files),
            "git" => Ok(BaselineMode::Git),
            other => Err(format!("expected `# mode: files` or `# mode: git`, got {other:?}")),
        }
    }
}

/// leakhound's baseline: a key, the mode it was created in, and entries.
#[derive(Debug, Clone)]
pub struct NativeBaseline {
    key: Key,
    /// What `baseline create` scanned.
    pub mode: BaselineMode,
    /// Entries, sorted.
    pub entries: Vec<Entry>,
}

/// Where the key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Key {
    /// Written in the file's header.
    Inline(Vec<u8>),
    /// From [`KEY_ENV`].
    Env(Vec<u8>),
}

impl Key {
    fn bytes(&self) -> &[u8] {
        match self {
            Key::Inline(k) | Key::Env(k) => k,
        }
    }
}

/// One accepted finding.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The rule id.
    pub rule: String,
    /// Hex HMAC of the rule id and the secret.
    pub hash: String,
    /// Optional path glob (relative to the scan root) the entry is limited to.
    pub path: Option<String>,
    /// `path`, compiled once when the entry is read or added.
    scope: Option<globset::GlobMatcher>,
    /// The line in the file (0 for entries not read from a file).
    pub line: usize,
}

impl Entry {
    fn new(rule: &str, hash: String, path: Option<String>, line: usize) -> Result<Entry, String> {
        let scope = path.as_deref().map(scope_glob).transpose()?;
        Ok(Entry { rule: rule.to_string(), hash, path, scope, line })
    }

    /// Whether the entry covers (rule, keyed hash) at `path`.
    fn covers(&self, rule: &str, hash: &str, path: &str) -> bool {
        self.rule == rule
            && self.hash == hash
            && self.scope.as_ref().is_none_or(|g| g.is_match(path))
    }
}

/// One gitleaks entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitleaksEntry {
    /// The line (or array index + 1) in the baseline file.
    pub line: usize,
    /// The file path the finding was in.
    pub file: String,
    /// Its start line.
    pub start_line: u64,
    /// The commit, when the finding came from history.
    pub commit: Option<String>,
    /// The secret, when the report has it unredacted.
    pub secret: Option<Vec<u8>>,
}

/// One location, as a baseline sees it.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// The rule id.
    pub rule: &'a str,
    /// The secret.
    pub secret: &'a [u8],
    /// The path relative to the scan root.
    pub path: &'a str,
    /// The path as reported (with the scan root in front).
    pub shown: &'a str,
    /// The location's first line.
    pub line: u64,
    /// The commit that introduced it, in git scans.
    pub commit: Option<&'a str>,
}

impl Baseline {
    /// Parses a baseline; the format is told by its content (or the `.gitleaksignore` name).
    pub fn parse(text: &str, file: &str) -> Result<Baseline, ConfigError> {
        let kind = if text.starts_with(HEADER) {
            BaselineKind::Native(NativeBaseline::parse(text, file)?)
        } else if text.trim_start().starts_with('[') {
            BaselineKind::Gitleaks(parse_gitleaks_report(text, file)?)
        } else if file.ends_with(".gitleaksignore")
            || text.lines().all(|l| is_gitleaksignore_line(l.trim()))
        {
            BaselineKind::Gitleaks(parse_gitleaksignore(text, file)?)
        } else {
            return Err(error(
                file,
                1,
                format!(
                    "not a baseline: expected a first line `{HEADER}`, a gitleaks JSON report or .gitleaksignore lines"
                ),
            ));
        };
        Ok(Baseline { file: file.to_string(), kind })
    }

    /// Reads a baseline file.
    #[allow(
        clippy::disallowed_methods,
        reason = "a baseline is a file the user names; read whole, it is small"
    )]
    pub fn read(path: &std::path::Path) -> Result<Baseline, ConfigError> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path)
            .map_err(|e| error(&shown, 0, format!("cannot read baseline: {e}")))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| error(&shown, 0, "baseline is not UTF-8".into()))?;
        Baseline::parse(&text, &shown)
    }

    /// The line of the entry that accepts this location, and why, if one does.
    pub fn accepts(&self, subject: &Subject<'_>) -> Option<(usize, String)> {
        match &self.kind {
            BaselineKind::Native(native) => {
                let entry = native.find(subject)?;
                Some((entry.line, format!("baseline entry {} {}", entry.rule, &entry.hash[..12])))
            }
            BaselineKind::Gitleaks(entries) => {
                let entry = entries.iter().find(|e| e.accepts(subject))?;
                Some((
                    entry.line,
                    format!("gitleaks baseline entry {}:{}", entry.file, entry.start_line),
                ))
            }
        }
    }
}

fn error(file: &str, line: usize, message: String) -> ConfigError {
    ConfigError { file: file.to_string(), line, message }
}

impl NativeBaseline {
    /// An empty baseline with a key from [`KEY_ENV`] or a fresh random one.
    pub fn new() -> Result<NativeBaseline, String> {
        let key = match std::env::var(KEY_ENV) {
            Ok(k) if !k.is_empty() => Key::Env(k.into_bytes()),
            _ => Key::Inline(random_key()?),
        };
        Ok(NativeBaseline { key, mode: BaselineMode::default(), entries: Vec::new() })
    }

    fn parse(text: &str, file: &str) -> Result<NativeBaseline, ConfigError> {
        let mut key = None;
        let mut mode = BaselineMode::default();
        let mut entries = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let trimmed = raw.trim();
            if let Some(value) = trimmed.strip_prefix("# key:") {
                key = Some(parse_key(value.trim()).map_err(|m| error(file, line, m))?);
            } else if let Some(value) = trimmed.strip_prefix("# mode:") {
                mode = BaselineMode::parse(value.trim()).map_err(|m| error(file, line, m))?;
            } else if !trimmed.is_empty() && !trimmed.starts_with('#') {
                entries.push(parse_entry(trimmed, line).map_err(|m| error(file, line, m))?);
            }
        }
        let key = key.ok_or_else(|| error(file, 0, "baseline has no `# key:` line".into()))?;
        Ok(NativeBaseline { key, mode, entries })
    }

    /// The keyed hash of (rule, secret).
    ///
    /// # Panics
    /// Never: HMAC accepts keys of any length.
    #[allow(clippy::expect_used, reason = "HMAC-SHA-256 accepts keys of any length")]
    pub fn hash(&self, rule: &str, secret: &[u8]) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(self.key.bytes()).expect("HMAC takes any key length");
        mac.update(rule.as_bytes());
        mac.update(&[0]);
        mac.update(secret);
        hex(&mac.finalize().into_bytes()[..16])
    }

    fn find(&self, subject: &Subject<'_>) -> Option<&Entry> {
        let hash = self.hash(subject.rule, subject.secret);
        self.entries.iter().find(|e| e.covers(subject.rule, &hash, subject.path))
    }

    /// Adds an entry for (rule, secret), scoped to `path` when given; returns whether it is new.
    ///
    /// # Panics
    /// Never: an escaped path is a valid glob (tested with every glob metacharacter).
    #[allow(
        clippy::expect_used,
        reason = "an entry built from a hash and an escaped glob is valid by construction"
    )]
    pub fn add(&mut self, rule: &str, secret: &[u8], path: Option<&str>) -> bool {
        let entry = Entry::new(rule, self.hash(rule, secret), path.map(escape_glob), 0)
            .expect("an escaped path is a valid glob");
        if self
            .entries
            .iter()
            .any(|e| (&e.rule, &e.hash, &e.path) == (&entry.rule, &entry.hash, &entry.path))
        {
            return false;
        }
        self.entries.push(entry);
        true
    }

    /// Splits the entries into those that accept some location in `subjects` and stale ones
    /// (each subject is hashed once).
    pub fn partition_used(&self, subjects: &[Subject<'_>]) -> (Vec<Entry>, Vec<Entry>) {
        let hashed: Vec<(&Subject<'_>, String)> =
            subjects.iter().map(|s| (s, self.hash(s.rule, s.secret))).collect();
        self.entries
            .iter()
            .cloned()
            .partition(|e| hashed.iter().any(|(s, hash)| e.covers(s.rule, hash, s.path)))
    }

    /// The file text: header, key, then entries sorted and distinct.
    ///
    /// # Panics
    /// Never: it writes to a `String`.
    #[allow(clippy::expect_used, reason = "entries are validated when they are parsed or built")]
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(HEADER);
        out.push_str(": accepted findings, one per line: RULE-ID HASH [PATH-GLOB]\n");
        out.push_str("# Written by `leakhound baseline create`; no line numbers, commits or dates, so it survives\n");
        out.push_str(
            "# rebases and merges. Remove stale entries with `leakhound baseline prune`.\n",
        );
        let _ = writeln!(out, "# mode: {}", self.mode.as_str());
        match &self.key {
            Key::Inline(k) => {
                let _ = writeln!(out, "# key: {}", hex(k));
            }
            Key::Env(_) => {
                let _ = writeln!(out, "# key: env {KEY_ENV}");
            }
        }
        let sorted: BTreeSet<(&str, &str, Option<&str>)> = self
            .entries
            .iter()
            .map(|e| (e.rule.as_str(), e.hash.as_str(), e.path.as_deref()))
            .collect();
        for (rule, hash, path) in sorted {
            match path {
                Some(p) => writeln!(out, "{rule} {hash} {p}"),
                None => writeln!(out, "{rule} {hash}"),
            }
            .expect("writing to a String");
        }
        out
    }
}

fn parse_key(value: &str) -> Result<Key, String> {
    if let Some(var) = value.strip_prefix("env") {
        let var = var.trim();
        if !var.is_empty() && var != KEY_ENV {
            return Err(format!("the key variable must be {KEY_ENV}, got {var}"));
        }
        return match std::env::var(KEY_ENV) {
            Ok(k) if !k.is_empty() => Ok(Key::Env(k.into_bytes())),
            _ => Err(format!("this baseline's key is kept in the environment: set {KEY_ENV}")),
        };
    }
    unhex(value)
        .map(Key::Inline)
        .ok_or_else(|| format!("expected a hex key after `# key:`, got {value:?}"))
}

fn parse_entry(line_text: &str, line: usize) -> Result<Entry, String> {
    // The path glob is the rest of the line, so it may hold spaces.
    let mut fields = line_text.splitn(3, ' ');
    let (Some(rule), Some(hash)) = (fields.next(), fields.next()) else {
        return Err(format!("expected `RULE-ID HASH [PATH-GLOB]`, got {line_text:?}"));
    };
    if hash.len() != 32 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("expected a 32-digit hex hash, got {hash:?}"));
    }
    let path = fields.next().map(str::trim).filter(|p| !p.is_empty()).map(str::to_string);
    Entry::new(rule, hash.to_ascii_lowercase(), path, line)
}

/// An entry's path scope: `*` does not cross `/`.
fn scope_glob(glob: &str) -> Result<globset::GlobMatcher, String> {
    globset::GlobBuilder::new(glob)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("invalid path glob {glob:?}: {e}"))
}

/// A path as a glob that matches only itself: every glob metacharacter backslash-escaped.
fn escape_glob(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '{' | '}' | ',' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl GitleaksEntry {
    fn accepts(&self, subject: &Subject<'_>) -> bool {
        if self.file != subject.path && self.file != subject.shown {
            return false;
        }
        if let Some(secret) = &self.secret {
            return secret == subject.secret;
        }
        let commit_ok = match (&self.commit, subject.commit) {
            (Some(ours), Some(theirs)) => theirs.starts_with(ours.as_str()),
            (Some(_), None) => false,
            (None, _) => true,
        };
        commit_ok && self.start_line == subject.line
    }
}

/// `.gitleaksignore` lines: `[COMMIT:]FILE:RULE:LINE`, `#` comments.
fn is_gitleaksignore_line(line: &str) -> bool {
    line.is_empty() || line.starts_with('#') || parse_gitleaksignore_line(line).is_some()
}

fn parse_gitleaksignore(text: &str, file: &str) -> Result<Vec<GitleaksEntry>, ConfigError> {
    let mut entries = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let mut entry = parse_gitleaksignore_line(trimmed).ok_or_else(|| {
            error(
                file,
                index + 1,
                format!("expected `[COMMIT:]FILE:RULE-ID:LINE`, got {trimmed:?}"),
            )
        })?;
        entry.line = index + 1;
        entries.push(entry);
    }
    Ok(entries)
}

fn parse_gitleaksignore_line(line: &str) -> Option<GitleaksEntry> {
    let (rest, start_line) = line.rsplit_once(':')?;
    let start_line: u64 = start_line.parse().ok()?;
    let (rest, _rule) = rest.rsplit_once(':')?;
    let (commit, file) = match rest.split_once(':') {
        Some((c, f)) if c.len() >= 7 && c.bytes().all(|b| b.is_ascii_hexdigit()) => {
            (Some(c.to_ascii_lowercase()), f)
        }
        _ => (None, rest),
    };
    (!file.is_empty()).then(|| GitleaksEntry {
        line: 0,
        file: file.to_string(),
        start_line,
        commit,
        secret: None,
    })
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GitleaksFinding {
    file: String,
    start_line: u64,
    #[serde(default)]
    commit: Option<String>,
    #[serde(default)]
    secret: Option<String>,
}

fn parse_gitleaks_report(text: &str, file: &str) -> Result<Vec<GitleaksEntry>, ConfigError> {
    let findings: Vec<GitleaksFinding> = serde_json::from_str(text)
        .map_err(|e| error(file, e.line(), format!("not a gitleaks JSON report: {e}")))?;
    Ok(findings
        .into_iter()
        .enumerate()
        .map(|(index, f)| GitleaksEntry {
            line: index + 1,
            file: f.file,
            start_line: f.start_line,
            commit: f.commit.filter(|c| !c.is_empty()).map(|c| c.to_ascii_lowercase()),
            secret: f.secret.filter(|s| !s.is_empty() && s != "REDACTED").map(String::into_bytes),
        })
        .collect())
}

#[allow(
    clippy::disallowed_methods,
    reason = "the key comes from the OS random device, not from scanned content"
)]
fn random_key() -> Result<Vec<u8>, String> {
    use std::io::Read as _;
    let mut key = vec![0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut key))
        .map_err(|e| format!("cannot read /dev/urandom for a baseline key: {e}"))?;
    Ok(key)
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || text.len() < 32 {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject<'a>(rule: &'a str, secret: &'a str, path: &'a str, line: u64) -> Subject<'a> {
        Subject { rule, secret: secret.as_bytes(), path, shown: path, line, commit: None }
    }

    fn native(text: &str) -> NativeBaseline {
        match Baseline::parse(text, "b").unwrap().kind {
            BaselineKind::Native(n) => n,
            BaselineKind::Gitleaks(_) => panic!("parsed as gitleaks"),
        }
    }

    #[test]
    fn a_rendered_baseline_parses_back_and_accepts_its_entries() {
        let mut base = NativeBaseline {
            key: Key::Inline(vec![7; 32]),
            mode: BaselineMode::Files,
            entries: Vec::new(),
        };
        assert!(base.add("github.pat.classic", b"ghp_secret", None));
        assert!(!base.add("github.pat.classic", b"ghp_secret", None), "duplicates are not added");
        base.add("generic.password", b"hunter2!x", Some("conf/dev settings.yml"));
        let text = base.render();
        assert!(!text.contains("ghp_secret") && !text.contains("hunter2"), "no secret in the file");
        let parsed = Baseline::parse(&text, "b").unwrap();
        assert!(
            parsed
                .accepts(&subject("github.pat.classic", "ghp_secret", "any/where.txt", 9))
                .is_some()
        );
        assert!(
            parsed.accepts(&subject("github.pat.oauth", "ghp_secret", "a", 1)).is_none(),
            "rule is part of the key"
        );
        assert!(
            parsed
                .accepts(&subject("generic.password", "hunter2!x", "conf/dev settings.yml", 3))
                .is_some()
        );
        assert!(
            parsed.accepts(&subject("generic.password", "hunter2!x", "conf/prod.yml", 3)).is_none(),
            "scoped"
        );
    }

    #[test]
    fn the_mode_is_recorded_and_read_back() {
        let mut base = NativeBaseline {
            key: Key::Inline(vec![5; 32]),
            mode: BaselineMode::Git,
            entries: Vec::new(),
        };
        base.add("r", b"s", None);
        let text = base.render();
        assert!(text.lines().any(|l| l == "# mode: git"), "{text}");
        assert_eq!(native(&text).mode, BaselineMode::Git);
        let without = text.replace("# mode: git\n", "");
        assert_eq!(
            native(&without).mode,
            BaselineMode::Files,
            "a baseline from before the mode line"
        );
        let err =
            Baseline::parse(&text.replace("# mode: git", "# mode: history"), "b").unwrap_err();
        assert_eq!(err.line, 4, "{err}");
        assert!(err.message.contains("`# mode: git`"), "{err}");
    }

    #[test]
    fn scoped_entries_match_exactly_their_path_whatever_its_characters() {
        let mut base = NativeBaseline {
            key: Key::Inline(vec![3; 32]),
            mode: BaselineMode::Files,
            entries: Vec::new(),
        };
        let odd = "a/[x]{y}*?!\\z b/c.txt";
        base.add("r", b"s", Some(odd));
        let parsed = Baseline::parse(&base.render(), "b").unwrap();
        assert!(parsed.accepts(&subject("r", "s", odd, 1)).is_some());
        assert!(parsed.accepts(&subject("r", "s", "a/x{y}*?!\\z b/c.txt", 1)).is_none());
    }

    #[test]
    fn rendering_is_sorted_and_stable() {
        let mut a = NativeBaseline {
            key: Key::Inline(vec![1; 32]),
            mode: BaselineMode::Files,
            entries: Vec::new(),
        };
        a.add("z.rule", b"1", None);
        a.add("a.rule", b"2", None);
        let text = a.render();
        let rules: Vec<&str> =
            text.lines().filter(|l| !l.starts_with('#')).map(|l| &l[..6]).collect();
        assert_eq!(rules, ["a.rule", "z.rule"]);
        assert_eq!(native(&text).render(), text);
    }

    #[test]
    fn different_keys_give_unlinkable_hashes() {
        let a = NativeBaseline {
            key: Key::Inline(vec![1; 32]),
            mode: BaselineMode::Files,
            entries: Vec::new(),
        };
        let b = NativeBaseline {
            key: Key::Inline(vec![2; 32]),
            mode: BaselineMode::Files,
            entries: Vec::new(),
        };
        assert_ne!(a.hash("r", b"s"), b.hash("r", b"s"));
        assert_eq!(a.hash("r", b"s").len(), 32);
    }

    #[test]
    fn malformed_baselines_are_errors_with_lines() {
        let err = Baseline::parse("# leakhound baseline v1\n# key: 00\n", "b").unwrap_err();
        assert_eq!(err.line, 2, "{err}");
        let text = format!("# leakhound baseline v1\n# key: {}\nrule nothex\n", "ab".repeat(32));
        assert_eq!(Baseline::parse(&text, "b").unwrap_err().line, 3);
        assert!(Baseline::parse("hello world\n", "b").is_err());
        assert!(
            Baseline::parse("# leakhound baseline v1\nr 0123456789abcdef0123456789abcdef\n", "b")
                .is_err()
        );
    }

    #[test]
    fn gitleaksignore_entries_match_file_and_line_and_commit() {
        let commit = "0123456789abcdef0123456789abcdef01234567";
        let text = format!(
            "# comment\nsrc/a.py:generic-api-key:12\n{commit}:deep/b.env:aws-access-token:3\n"
        );
        let base = Baseline::parse(&text, ".gitleaksignore").unwrap();
        assert_eq!(base.accepts(&subject("any", "s", "src/a.py", 12)).unwrap().0, 2);
        assert!(base.accepts(&subject("any", "s", "src/a.py", 13)).is_none());
        let with_commit = Subject { commit: Some(commit), ..subject("x", "s", "deep/b.env", 3) };
        assert!(base.accepts(&with_commit).is_some());
        assert!(base.accepts(&subject("x", "s", "deep/b.env", 3)).is_none(), "commit required");
    }

    #[test]
    fn gitleaks_reports_match_by_secret_or_by_line() {
        let text = r#"[{"RuleID":"x","File":"a.txt","StartLine":4,"Secret":"tok_abc","Commit":""},
                       {"RuleID":"y","File":"b.txt","StartLine":9,"Secret":"REDACTED"}]"#;
        let base = Baseline::parse(text, "report.json").unwrap();
        assert!(
            base.accepts(&subject("r", "tok_abc", "a.txt", 100)).is_some(),
            "secret match ignores line"
        );
        assert!(base.accepts(&subject("r", "other", "a.txt", 4)).is_none());
        assert!(base.accepts(&subject("r", "whatever", "b.txt", 9)).is_some());
        assert!(Baseline::parse("[{\"File\": 3}]", "r.json").is_err());
    }
}
