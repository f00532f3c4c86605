//! Repository configuration: `.leakhound.toml` at the scan root, and nested ones below it.
//!
//! Owns parsing and validating one config file ([`RepoConfig::parse`]), finding the chain of
//! files that applies to a path ([`ConfigTree`]), and deciding, for one finding location, which
//! piece of configuration accepts it ([`Chain::allows`]). It never drops a finding: suppression
//! keeps it, marked, in the report ([`crate::suppress`]).
//!
//! Layering: built-in defaults < the root config (found at the scan root, or `-c FILE`) < nested
//! `.leakhound.toml` files, each extending its parent for the paths below its directory. A file
//! with `inherit = false` starts again from the built-in defaults for its subtree. Built-in rules
//! stay on unless the root config says `rules.builtin = false`.
//!
//! Configs are read through a [`ConfigSource`], so a git range scan reads them from the base
//! revision, not from the change under review (a change cannot allowlist itself).

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use globset::{Glob, GlobBuilder, GlobMatcher};
use regex::bytes::Regex;
use serde::Deserialize;
use toml::Spanned;

/// The name of a configuration file.
pub(crate) const FILE_NAME: &str = ".leakhound.toml";

/// A configuration problem, with the file and line it is on: `FILE:LINE: MESSAGE`, or
/// `FILE: MESSAGE` for a problem with the whole file (it is missing or cannot be read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file, as shown to the user.
    pub file: String,
    /// 1-based line; 0 when the problem is the whole file, not a place in it.
    pub line: usize,
    /// What is wrong and what was expected.
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            0 => write!(f, "{}: {}", self.file, self.message),
            line => write!(f, "{}:{line}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Reads configuration files relative to a scan root.
pub trait ConfigSource: Send + Sync {
    /// The bytes of the file at `rel` (relative to the root, `/`-separated), or `None` when there
    /// is no such file. An error is a file that exists but cannot be read.
    fn read(&self, rel: &str) -> Result<Option<Vec<u8>>, String>;
    /// How to show the file at `rel` to the user.
    fn describe(&self, rel: &str) -> String;
}

/// The keys a config file may hold, by table: unknown ones are warnings naming the key, not
/// errors (a repository's config must not be able to abort the scan).
const KNOWN_KEYS: &[(&str, &[&str])] = &[
    ("", &["inherit", "rules", "allow"]),
    ("rules", &["disable", "enable", "files", "builtin"]),
    ("allow", &["description", "rules", "paths", "secrets", "stopwords", "commits"]),
];

/// The file layout of a config file (serde types only; validated into [`RepoConfig`]).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Syntax {
    inherit: Option<Spanned<bool>>,
    #[serde(default)]
    rules: RulesSyntax,
    #[serde(default)]
    allow: Vec<Spanned<AllowSyntax>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RulesSyntax {
    #[serde(default)]
    disable: Vec<Spanned<String>>,
    #[serde(default)]
    enable: Vec<Spanned<String>>,
    #[serde(default)]
    files: Vec<Spanned<String>>,
    builtin: Option<Spanned<bool>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct AllowSyntax {
    description: Option<String>,
    #[serde(default)]
    rules: Vec<Spanned<String>>,
    #[serde(default)]
    paths: Vec<Spanned<String>>,
    #[serde(default)]
    secrets: Vec<Spanned<String>>,
    #[serde(default)]
    stopwords: Vec<Spanned<String>>,
    #[serde(default)]
    commits: Vec<Spanned<String>>,
}

/// A value from a config file and the line it was written on.
#[derive(Debug, Clone)]
pub struct Sourced<T> {
    /// The value.
    pub value: T,
    /// Its 1-based line.
    pub line: usize,
}

/// A rule switch: `rules.disable` or `rules.enable`.
#[derive(Debug, Clone)]
pub struct RuleSwitch {
    /// The id or glob as written.
    pub pattern: String,
    matcher: GlobMatcher,
    /// `true` for `enable`.
    pub enable: bool,
    /// Its line.
    pub line: usize,
}

/// One `[[allow]]` entry.
#[derive(Debug, Clone)]
pub struct Allow {
    /// The entry's line.
    pub line: usize,
    /// Its description, if any.
    pub description: Option<String>,
    /// Rule ids or globs it is limited to (empty: every rule).
    pub rules: Vec<(String, GlobMatcher)>,
    /// Path globs, relative to the config file's directory.
    pub paths: Vec<(String, GlobMatcher)>,
    /// Regexes matched against the secret.
    pub secrets: Vec<(String, Regex)>,
    /// Words (lowercase) that accept a secret containing them.
    pub stopwords: Vec<String>,
    /// Commit ids (full, or a prefix of at least 7 hex digits).
    pub commits: Vec<String>,
}

/// One validated config file.
#[derive(Debug, Clone)]
pub struct RepoConfig {
    /// The file, as shown to the user.
    pub file: String,
    /// Its directory relative to the scan root (`""` for the root, else ending in `/`).
    pub dir: String,
    /// Whether it extends its parent (`inherit`, default true).
    pub inherit: Sourced<bool>,
    /// Rule switches, in file order.
    pub switches: Vec<RuleSwitch>,
    /// Custom rule files, relative to the root (root config only).
    pub rule_files: Vec<Sourced<String>>,
    /// `rules.builtin` when written (root config only).
    pub builtin: Option<Sourced<bool>>,
    /// Allowlist entries.
    pub allows: Vec<Allow>,
    /// Keys the file holds that leakhound does not know (ignored, reported as warnings).
    pub unknown_keys: Vec<Sourced<String>>,
}

/// The text of one value's line numbers.
struct Lines<'a> {
    text: &'a str,
}

impl Lines<'_> {
    fn of(&self, span: &Range<usize>) -> usize {
        let end = span.start.min(self.text.len());
        memchr::memchr_iter(b'\n', &self.text.as_bytes()[..end]).count() + 1
    }
}

impl RepoConfig {
    /// Parses and validates `bytes`, the config file `file` in directory `dir` (relative to the
    /// root: `""` or ending in `/`). `root` says whether it is the root config, which alone may
    /// name rule files.
    pub fn parse(
        bytes: &[u8],
        file: &str,
        dir: &str,
        root: bool,
    ) -> Result<RepoConfig, ConfigError> {
        let error =
            |line: usize, message: String| ConfigError { file: file.to_string(), line, message };
        let text = std::str::from_utf8(bytes).map_err(|e| error(1, format!("not UTF-8: {e}")))?;
        let lines = Lines { text };
        let syntax: Syntax = toml::from_str(text).map_err(|e| {
            let message = e.message().trim_end();
            match table_hint(message, text) {
                Some((line, hint)) => error(line, hint),
                None => error(e.span().map_or(1, |s| lines.of(&s)), message.to_string()),
            }
        })?;
        let mut config = RepoConfig {
            file: file.to_string(),
            dir: dir.to_string(),
            inherit: syntax.inherit.map_or(Sourced { value: true, line: 0 }, |s| Sourced {
                value: *s.get_ref(),
                line: lines.of(&s.span()),
            }),
            switches: Vec::new(),
            rule_files: Vec::new(),
            builtin: None,
            allows: Vec::new(),
            unknown_keys: unknown_keys(text),
        };
        config.add_rules(syntax.rules, &lines, root).map_err(|(line, m)| error(line, m))?;
        for entry in syntax.allow {
            let line = lines.of(&entry.span());
            let allow = compile_allow(entry.into_inner(), line, &lines)
                .map_err(|(line, m)| error(line, m))?;
            config.allows.push(allow);
        }
        Ok(config)
    }

    fn add_rules(
        &mut self,
        rules: RulesSyntax,
        lines: &Lines<'_>,
        root: bool,
    ) -> Result<(), (usize, String)> {
        for (list, enable) in [(rules.disable, false), (rules.enable, true)] {
            for pattern in list {
                let line = lines.of(&pattern.span());
                let matcher = rule_glob(pattern.get_ref()).map_err(|m| (line, m))?;
                self.switches.push(RuleSwitch {
                    pattern: pattern.into_inner(),
                    matcher,
                    enable,
                    line,
                });
            }
        }
        self.switches.sort_by_key(|s| s.line);
        let root_only = |what: &str, span: &Range<usize>| {
            (
                lines.of(span),
                format!("{what} is only allowed in the root configuration, not in a nested one"),
            )
        };
        for file in rules.files {
            if !root {
                return Err(root_only("rules.files", &file.span()));
            }
            let line = lines.of(&file.span());
            let path = relative_file(&self.dir, file.get_ref()).map_err(|m| (line, m))?;
            self.rule_files.push(Sourced { value: path, line });
        }
        if let Some(builtin) = rules.builtin {
            if !root {
                return Err(root_only("rules.builtin", &builtin.span()));
            }
            self.builtin =
                Some(Sourced { value: *builtin.get_ref(), line: lines.of(&builtin.span()) });
        }
        Ok(())
    }
}

/// Keys not in [`KNOWN_KEYS`], as dotted names (`rules.disabel`, `allow.pathz`) with the line
/// they first appear on.
fn unknown_keys(text: &str) -> Vec<Sourced<String>> {
    let Ok(table) = text.parse::<toml::Table>() else { return Vec::new() };
    let known = |table: &str| {
        KNOWN_KEYS.iter().find(|(t, _)| *t == table).map_or(&[][..], |(_, keys)| *keys)
    };
    let mut unknown = Vec::new();
    let mut check = |prefix: &str, keys: &mut dyn Iterator<Item = &String>| {
        for key in keys {
            if !known(prefix).contains(&key.as_str()) {
                let name = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                unknown.push(Sourced { line: line_of_key(text, key), value: name });
            }
        }
    };
    check("", &mut table.keys());
    if let Some(toml::Value::Table(rules)) = table.get("rules") {
        check("rules", &mut rules.keys());
    }
    if let Some(toml::Value::Array(allows)) = table.get("allow") {
        for allow in allows.iter().filter_map(toml::Value::as_table) {
            check("allow", &mut allow.keys());
        }
    }
    unknown.sort_by(|a, b| (a.line, &a.value).cmp(&(b.line, &b.value)));
    unknown.dedup_by(|a, b| a.value == b.value);
    unknown
}

/// The first line that starts with `key` (as a key or a table header), or 1.
fn line_of_key(text: &str, key: &str) -> usize {
    text.lines()
        .position(|line| {
            let line = line.trim_start().trim_start_matches('[').trim_start();
            line.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(['=', '.', ']']))
        })
        .map_or(1, |i| i + 1)
}

fn compile_allow(
    syntax: AllowSyntax,
    line: usize,
    lines: &Lines<'_>,
) -> Result<Allow, (usize, String)> {
    let globs = |list: Vec<Spanned<String>>, make: fn(&str) -> Result<GlobMatcher, String>| {
        list.into_iter()
            .map(|s| {
                let matcher = make(s.get_ref()).map_err(|m| (lines.of(&s.span()), m))?;
                Ok((s.into_inner(), matcher))
            })
            .collect::<Result<Vec<_>, (usize, String)>>()
    };
    let rules = globs(syntax.rules, rule_glob)?;
    let paths = globs(syntax.paths, path_glob)?;
    let mut secrets = Vec::new();
    for s in syntax.secrets {
        let regex = Regex::new(s.get_ref()).map_err(|e| {
            (lines.of(&s.span()), format!("invalid secret regex {:?}: {e}", s.get_ref()))
        })?;
        secrets.push((s.into_inner(), regex));
    }
    let stopwords =
        syntax.stopwords.into_iter().map(|s| s.into_inner().to_ascii_lowercase()).collect();
    let mut commits = Vec::new();
    for c in syntax.commits {
        let id = c.get_ref().to_ascii_lowercase();
        if id.len() < 7 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err((
                lines.of(&c.span()),
                format!("expected a commit id (at least 7 hex digits), got {id:?}"),
            ));
        }
        commits.push(id);
    }
    let allow =
        Allow { line, description: syntax.description, rules, paths, secrets, stopwords, commits };
    if allow.paths.is_empty()
        && allow.secrets.is_empty()
        && allow.stopwords.is_empty()
        && allow.commits.is_empty()
        && allow.rules.is_empty()
    {
        return Err((
            line,
            "an [[allow]] entry needs at least one of rules, paths, secrets, stopwords, commits"
                .into(),
        ));
    }
    Ok(allow)
}

/// A rule id or glob (`generic.*`): `.` is not a separator.
fn rule_glob(pattern: &str) -> Result<GlobMatcher, String> {
    Glob::new(pattern)
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("invalid rule id pattern {pattern:?}: {e}"))
}

/// A path glob relative to the config's directory; without a `/` it matches a name at any depth
/// (as in `.gitignore`).
fn path_glob(pattern: &str) -> Result<GlobMatcher, String> {
    let trimmed = pattern.strip_prefix('/').unwrap_or(pattern);
    let anchored = pattern.starts_with('/') || trimmed.trim_end_matches('/').contains('/');
    let full = if anchored { trimmed.to_string() } else { format!("**/{trimmed}") };
    let full = if full.ends_with('/') { format!("{full}**") } else { full };
    GlobBuilder::new(&full)
        .literal_separator(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("invalid path glob {pattern:?}: {e}"))
}

/// Joins a config-relative file name onto the config's directory, refusing to leave the root.
fn relative_file(dir: &str, name: &str) -> Result<String, String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    if name.starts_with('/') {
        return Err(format!("rule file {name:?} must be relative to the configuration file"));
    }
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts
                    .pop()
                    .ok_or_else(|| format!("rule file {name:?} is outside the scan root"))?;
            }
            other => parts.push(other),
        }
    }
    Ok(parts.join("/"))
}

/// The configuration files that apply to one path, root first.
#[derive(Debug, Clone, Default)]
pub struct Chain {
    /// The files, root first; a file with `inherit = false` starts the chain.
    pub configs: Vec<Arc<RepoConfig>>,
}

/// What accepted a location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowed {
    /// The config file.
    pub file: String,
    /// The line of the setting.
    pub line: usize,
    /// What matched, for the report.
    pub reason: String,
}

/// One location, as the allowlist sees it.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// The rule id.
    pub rule: &'a str,
    /// The path relative to the scan root.
    pub path: &'a str,
    /// The secret.
    pub secret: &'a [u8],
    /// The commit that introduced it, in git scans.
    pub commit: Option<&'a str>,
    /// Whether the rule is a built-in one.
    pub builtin: bool,
}

impl Chain {
    /// The switch that disables `rule` here, if the last one that names it disables it.
    pub fn disabled(&self, rule: &str) -> Option<(&RepoConfig, &RuleSwitch)> {
        let mut last = None;
        for config in &self.configs {
            for switch in config.switches.iter().filter(|s| s.matcher.is_match(rule)) {
                last = Some((config.as_ref(), switch));
            }
        }
        last.filter(|(_, s)| !s.enable)
    }

    /// The root config's `rules.builtin = false`, if it says so.
    fn builtin_off(&self) -> Option<(&RepoConfig, &Sourced<bool>)> {
        let root = self.configs.first().filter(|c| c.dir.is_empty())?;
        root.builtin.as_ref().filter(|b| !b.value).map(|b| (root.as_ref(), b))
    }

    /// Why the configuration accepts this location, if it does.
    pub fn allows(&self, subject: &Subject<'_>) -> Option<Allowed> {
        if let Some((config, switch)) = self.disabled(subject.rule) {
            let reason = format!("rule disabled by rules.disable {:?}", switch.pattern);
            return Some(Allowed { file: config.file.clone(), line: switch.line, reason });
        }
        if subject.builtin
            && let Some((config, off)) = self.builtin_off()
        {
            let reason = "built-in rules turned off by rules.builtin = false".to_string();
            return Some(Allowed { file: config.file.clone(), line: off.line, reason });
        }
        self.configs.iter().find_map(|config| {
            let rel = subject.path.strip_prefix(config.dir.as_str()).unwrap_or(subject.path);
            config.allows.iter().find_map(|allow| {
                let reason = allow.accepts(subject, rel)?;
                Some(Allowed { file: config.file.clone(), line: allow.line, reason })
            })
        })
    }
}

impl Allow {
    /// What in this entry accepts the location (`rel` is its path relative to the config's
    /// directory), if anything.
    fn accepts(&self, subject: &Subject<'_>, rel: &str) -> Option<String> {
        if !self.rules.is_empty() && !self.rules.iter().any(|(_, g)| g.is_match(subject.rule)) {
            return None;
        }
        let criteria =
            self.paths.len() + self.secrets.len() + self.stopwords.len() + self.commits.len();
        if criteria == 0 {
            return Some(format!("rule {} allowed by [[allow]] rules", subject.rule));
        }
        if let Some((glob, _)) = self.paths.iter().find(|(_, g)| g.is_match(rel)) {
            return Some(format!("path matches {glob:?}"));
        }
        if let Some((regex, _)) = self.secrets.iter().find(|(_, r)| r.is_match(subject.secret)) {
            return Some(format!("secret matches {regex:?}"));
        }
        let lower = subject.secret.to_ascii_lowercase();
        if let Some(word) =
            self.stopwords.iter().find(|w| memchr::memmem::find(&lower, w.as_bytes()).is_some())
        {
            return Some(format!("secret contains stopword {word:?}"));
        }
        let commit = subject.commit?;
        self.commits.iter().find(|c| commit.starts_with(c.as_str())).map(|c| format!("commit {c}"))
    }
}

/// Every config file under one scan root, read on demand and cached by directory.
pub struct ConfigTree {
    source: Option<Box<dyn ConfigSource>>,
    root: Option<Arc<RepoConfig>>,
    cache: HashMap<String, Option<Arc<RepoConfig>>>,
    errors: Vec<ConfigError>,
}

impl fmt::Debug for ConfigTree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigTree")
            .field("root", &self.root)
            .field("errors", &self.errors)
            .finish_non_exhaustive()
    }
}

impl ConfigTree {
    /// The configuration under a root: `explicit` (`-c FILE`) replaces the root's own file;
    /// nested files are read from `source` (`None` with `--no-repo-config`). Errors in any file,
    /// the root's included, are collected ([`ConfigTree::errors`]), never an abort.
    pub fn open(source: Option<Box<dyn ConfigSource>>, explicit: Option<RepoConfig>) -> ConfigTree {
        let mut errors = Vec::new();
        let root = match (explicit, &source) {
            (Some(config), _) => Some(config),
            // The repository's own file: a problem in it is reported, never an abort.
            (None, Some(source)) => read_config(source.as_ref(), "", true).unwrap_or_else(|e| {
                errors.push(e);
                None
            }),
            (None, None) => None,
        };
        ConfigTree { source, root: root.map(Arc::new), cache: HashMap::new(), errors }
    }

    /// A tree with no configuration at all.
    pub fn empty() -> ConfigTree {
        ConfigTree { source: None, root: None, cache: HashMap::new(), errors: Vec::new() }
    }

    /// The root configuration, if any.
    pub fn root(&self) -> Option<&RepoConfig> {
        self.root.as_deref()
    }

    /// The source the tree reads from, for rule files.
    pub fn source(&self) -> Option<&dyn ConfigSource> {
        self.source.as_deref()
    }

    /// Problems in the repository's configuration files (root and nested) met so far.
    pub fn errors(&self) -> &[ConfigError] {
        &self.errors
    }

    /// Unknown keys in the configuration files loaded so far: `(file, key and line)`.
    pub fn unknown_keys(&self) -> Vec<(String, Sourced<String>)> {
        let loaded = self.root.iter().chain(self.cache.values().flatten());
        let mut all: Vec<(String, Sourced<String>)> = loaded
            .flat_map(|c| c.unknown_keys.iter().map(|k| (c.file.clone(), k.clone())))
            .collect();
        all.sort_by(|a, b| (&a.0, a.1.line).cmp(&(&b.0, b.1.line)));
        all
    }

    /// The files that apply to `path` (relative to the root), root first.
    pub fn chain(&mut self, path: &str) -> Chain {
        let mut configs: Vec<Arc<RepoConfig>> = self.root.iter().cloned().collect();
        let mut dir = String::new();
        let parts: Vec<&str> = path.split('/').collect();
        for part in &parts[..parts.len().saturating_sub(1)] {
            dir.push_str(part);
            dir.push('/');
            if let Some(config) = self.nested(&dir) {
                if !config.inherit.value {
                    configs.clear();
                }
                configs.push(config);
            }
        }
        Chain { configs }
    }

    fn nested(&mut self, dir: &str) -> Option<Arc<RepoConfig>> {
        if let Some(cached) = self.cache.get(dir) {
            return cached.clone();
        }
        let loaded = match self.source.as_deref().map(|s| read_config(s, dir, false)) {
            Some(Ok(config)) => config.map(Arc::new),
            Some(Err(e)) => {
                self.errors.push(e);
                None
            }
            None => None,
        };
        self.cache.insert(dir.to_string(), loaded.clone());
        loaded
    }
}

/// For a type error, a table written with the wrong brackets and what to write instead: `[allow]`
/// where a list of tables (`[[allow]]`) is expected, or `[[rules]]` where one table is. The
/// parser points at the whole document for these, so the header line is looked up here.
fn table_hint(message: &str, text: &str) -> Option<(usize, String)> {
    if !message.starts_with("invalid type") {
        return None;
    }
    text.lines().enumerate().find_map(|(index, line)| {
        let hint = match line.trim() {
            "[allow]" => {
                "`[allow]` is one table; `allow` takes a list: write `[[allow]]` for each entry"
            }
            "[[rules]]" => {
                "`[[rules]]` is a list of tables; `rules` takes one table: write `[rules]`"
            }
            _ => return None,
        };
        Some((index + 1, hint.to_string()))
    })
}

/// Reads and parses `<dir>.leakhound.toml` from `source`, if it exists.
fn read_config(
    source: &dyn ConfigSource,
    dir: &str,
    root: bool,
) -> Result<Option<RepoConfig>, ConfigError> {
    let rel = format!("{dir}{FILE_NAME}");
    let shown = source.describe(&rel);
    match source.read(&rel) {
        Ok(Some(bytes)) => RepoConfig::parse(&bytes, &shown, dir, root).map(Some),
        Ok(None) => Ok(None),
        Err(message) => {
            Err(ConfigError { file: shown, line: 0, message: format!("cannot read: {message}") })
        }
    }
}

/// Reads an explicit config file (`-c FILE`, `LEAKHOUND_CONFIG`): it is a root config whose rule
/// files are relative to the scan root.
#[allow(clippy::disallowed_methods, reason = "the -c configuration file the user names")]
pub(crate) fn read_explicit(path: &std::path::Path) -> Result<RepoConfig, ConfigError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| ConfigError {
        file: shown.clone(),
        line: 0,
        message: format!("cannot read: {e}"),
    })?;
    RepoConfig::parse(&bytes, &shown, "", true)
}

/// Config files in a directory tree on disk. Files are opened without following symlinks (a
/// scanned tree must not point its configuration outside the root).
#[derive(Debug, Clone)]
pub(crate) struct FsFiles {
    /// The scan root.
    pub root: std::path::PathBuf,
    /// The root as shown in paths (`""` for the current directory, else ending in `/`).
    pub shown: String,
}

impl ConfigSource for FsFiles {
    fn read(&self, rel: &str) -> Result<Option<Vec<u8>>, String> {
        use std::io::Read as _;
        let path = self.root.join(rel);
        match crate::source::fs::open_regular(&path) {
            Ok(Some((mut file, _))) => {
                let mut bytes = Vec::new();
                file.read_to_end(&mut bytes).map_err(|e| e.to_string())?;
                Ok(Some(bytes))
            }
            Ok(None) => Err("not a regular file (a symlink or special file)".into()),
            Err(e)
                if e.kind() == std::io::ErrorKind::NotFound
                    || e.kind() == std::io::ErrorKind::NotADirectory =>
            {
                Ok(None)
            }
            Err(e) => Err(e.to_string()),
        }
    }

    fn describe(&self, rel: &str) -> String {
        format!("{}{rel}", self.shown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<RepoConfig, ConfigError> {
        RepoConfig::parse(text.as_bytes(), ".leakhound.toml", "", true)
    }

    fn subject<'a>(rule: &'a str, path: &'a str, secret: &'a str) -> Subject<'a> {
        Subject { rule, path, secret: secret.as_bytes(), commit: None, builtin: false }
    }

    struct Files(Vec<(&'static str, &'static str)>);

    impl ConfigSource for Files {
        fn read(&self, rel: &str) -> Result<Option<Vec<u8>>, String> {
            Ok(self.0.iter().find(|(p, _)| *p == rel).map(|(_, t)| t.as_bytes().to_vec()))
        }
        fn describe(&self, rel: &str) -> String {
            rel.to_string()
        }
    }

    #[test]
    fn unknown_keys_are_named_with_their_line_and_ignored() {
        let config = parse("inherit = true\n[allowlist]\npaths = []\n[rules]\ndisabel = [\"x\"]\n[[allow]]\npathz = [\"a\"]\nrules = [\"r\"]\n").unwrap();
        let keys: Vec<(usize, &str)> =
            config.unknown_keys.iter().map(|k| (k.line, k.value.as_str())).collect();
        assert_eq!(keys, [(2, "allowlist"), (5, "rules.disabel"), (7, "allow.pathz")]);
        assert!(config.switches.is_empty(), "an unknown key does nothing");
        assert!(parse("[rules]\ndisable = [\"a\"]\n").unwrap().unknown_keys.is_empty());
    }

    #[test]
    fn errors_name_the_file_the_line_and_what_was_expected() {
        let err = parse("[rules]\ndisable = [\"a\"]\n\n[[allow]]\npaths = 3\n").unwrap_err();
        assert_eq!((err.file.as_str(), err.line), (".leakhound.toml", 5), "{err}");
        assert!(err.message.contains("expected"), "{err}");
        let err = parse("[[allow]]\nsecrets = [\"ok\", \"(unclosed\"]\n").unwrap_err();
        assert_eq!(err.line, 2, "{err}");
        assert!(err.message.contains("invalid secret regex"), "{err}");
        let err = parse("[[allow]]\ndescription = \"nothing\"\n").unwrap_err();
        assert!(err.message.contains("needs at least one"), "{err}");
        let err = parse("[[allow]]\ncommits = [\"zz\"]\n").unwrap_err();
        assert!(err.message.contains("commit id"), "{err}");
    }

    #[test]
    fn a_table_with_the_wrong_brackets_says_which_to_write() {
        let err = parse("inherit = true\n\n[allow]\npaths = [\"x\"]\n").unwrap_err();
        assert_eq!(err.line, 3, "{err}");
        assert!(err.message.contains("write `[[allow]]`"), "{err}");
        assert!(!err.message.contains("expected a sequence"), "{err}");
        let err = parse("[[rules]]\ndisable = [\"x\"]\n").unwrap_err();
        assert!(err.message.contains("write `[rules]`"), "{err}");
    }

    #[test]
    fn a_file_that_cannot_be_read_has_no_line_number() {
        let err = read_explicit(std::path::Path::new("/nonexistent/leakhound.toml")).unwrap_err();
        assert_eq!(err.line, 0);
        let shown = err.to_string();
        assert!(shown.starts_with("/nonexistent/leakhound.toml: cannot read: "), "{shown}");
        let inline = parse("[[allow]]\n").unwrap_err().to_string();
        assert!(inline.starts_with(".leakhound.toml:1: "), "{inline}");
    }

    #[test]
    fn nested_configs_may_not_name_rule_files() {
        let err =
            RepoConfig::parse(b"[rules]\nfiles = [\"r.yaml\"]\n", "a/.leakhound.toml", "a/", false)
                .unwrap_err();
        assert!(err.message.contains("only allowed in the root"), "{err}");
        let ok =
            RepoConfig::parse(b"[rules]\nfiles = [\"../r.yaml\", \"x/y.yaml\"]\n", "f", "a/", true)
                .unwrap();
        let files: Vec<&str> = ok.rule_files.iter().map(|f| f.value.as_str()).collect();
        assert_eq!(files, ["r.yaml", "a/x/y.yaml"]);
        assert!(
            RepoConfig::parse(b"[rules]\nfiles = [\"../../r.yaml\"]\n", "f", "a/", true).is_err()
        );
    }

    #[test]
    fn allow_entries_match_paths_secrets_stopwords_and_commits() {
        let config = parse(
            "[[allow]]\npaths = [\"tests/**\", \"*.md\"]\n\n[[allow]]\nsecrets = [\"^dummy\"]\nstopwords = [\"Example\"]\n\n[[allow]]\nrules = [\"generic.*\"]\ncommits = [\"abcdef1\"]\n",
        )
        .unwrap();
        let chain = Chain { configs: vec![Arc::new(config)] };
        let allowed = chain.allows(&subject("x", "tests/a/b.py", "s")).unwrap();
        assert_eq!((allowed.line, allowed.reason.as_str()), (1, "path matches \"tests/**\""));
        assert!(
            chain.allows(&subject("x", "docs/deep/readme.md", "s")).is_some(),
            "name glob at any depth"
        );
        assert!(chain.allows(&subject("x", "src/tests/b.py", "s")).is_none(), "anchored glob");
        assert_eq!(chain.allows(&subject("x", "a", "dummy-1")).unwrap().line, 4);
        assert!(
            chain.allows(&subject("x", "a", "my-EXAMPLE-key")).unwrap().reason.contains("stopword")
        );
        let commit =
            Subject { commit: Some("abcdef1234"), ..subject("generic.password", "a", "s") };
        assert!(chain.allows(&commit).unwrap().reason.contains("commit abcdef1"));
        let other_rule = Subject { commit: Some("abcdef1234"), ..subject("aws.key", "a", "s") };
        assert!(chain.allows(&other_rule).is_none(), "commit entry is limited to generic.*");
    }

    #[test]
    fn nested_configs_extend_their_parent_below_their_directory() {
        let files = Files(vec![
            (
                ".leakhound.toml",
                "[rules]\ndisable = [\"generic.*\"]\n[[allow]]\npaths = [\"vendor/**\"]\n",
            ),
            (
                "svc/.leakhound.toml",
                "[rules]\nenable = [\"generic.password\"]\n[[allow]]\npaths = [\"fixtures/**\"]\n",
            ),
            ("iso/.leakhound.toml", "inherit = false\n[[allow]]\nstopwords = [\"x\"]\n"),
        ]);
        let mut tree = ConfigTree::open(Some(Box::new(files)), None);
        let root = tree.chain("a.txt");
        assert!(root.disabled("generic.password").is_some());
        let svc = tree.chain("svc/fixtures/a.txt");
        assert_eq!(svc.configs.len(), 2);
        assert!(svc.disabled("generic.password").is_none(), "re-enabled below svc/");
        assert!(svc.disabled("generic.api-key").is_some(), "still disabled from the root");
        assert_eq!(
            svc.allows(&subject("x", "svc/fixtures/a.txt", "s")).unwrap().file,
            "svc/.leakhound.toml"
        );
        assert!(
            svc.allows(&subject("x", "svc/vendor/a.txt", "s")).is_none(),
            "root globs are root-relative"
        );
        let iso = tree.chain("iso/a/b.txt");
        assert_eq!(iso.configs.len(), 1);
        assert!(
            iso.disabled("generic.password").is_none(),
            "inherit = false drops the root's switches"
        );
    }

    #[test]
    fn a_broken_nested_config_is_an_error_not_ignored() {
        let files = Files(vec![("a/.leakhound.toml", "inherit = \"yes\"\n")]);
        let mut tree = ConfigTree::open(Some(Box::new(files)), None);
        assert!(tree.chain("a/b.txt").configs.is_empty());
        assert_eq!(tree.errors().len(), 1);
        assert_eq!(tree.errors()[0].file, "a/.leakhound.toml");
    }
}
