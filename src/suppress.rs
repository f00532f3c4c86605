//! Suppression: applying inline allow markers, configuration allowlists and a baseline to the
//! collected findings.
//!
//! Owns the split of each finding's locations into active and suppressed ones. Nothing is
//! dropped (DESIGN.md §6): suppressed locations move to [`ScanOutcome::suppressed`] with the file
//! and line that suppressed them, reports show them as suppressed, the text summary counts them,
//! and they do not affect the exit status. A nested config that cannot be read is an error
//! notice (exit status 2) and suppresses nothing.
//!
//! Order of precedence for one location: inline marker, then configuration, then baseline.

use std::collections::BTreeSet;

use crate::baseline::{self, Baseline};
use std::path::PathBuf;

use crate::config::FilterConfig;
use crate::config::repo::{self, ConfigError, ConfigSource, ConfigTree, FsFiles, RepoConfig};
use crate::finding::{Finding, Location, Suppression, SuppressionKind};
use crate::outcome::{Notice, NoticeKind, NoticeLevel, ScanOutcome, Subject};
use crate::rules::{RuleSet, RuleSource};

/// A configuration tree and the prefix its paths carry in locations.
#[derive(Debug)]
pub struct Root {
    /// The root as it appears at the front of location paths (`""`, or ending in `/`).
    pub prefix: String,
    /// Its configuration.
    pub tree: ConfigTree,
}

/// Everything that can suppress a finding in one run.
#[derive(Debug)]
pub struct Suppressor {
    /// Scan roots, longest prefix first.
    roots: Vec<Root>,
    /// For paths under no root (files named on the command line, stdin).
    fallback: ConfigTree,
    /// The baseline, if any.
    baseline: Option<Baseline>,
    /// Whether inline markers count (`--no-inline-allow` turns them off).
    inline: bool,
}

impl Suppressor {
    /// A suppressor over `roots`; `fallback` serves paths under none of them.
    pub fn new(
        mut roots: Vec<Root>,
        fallback: ConfigTree,
        baseline: Option<Baseline>,
        inline: bool,
    ) -> Suppressor {
        roots.sort_by_key(|r| std::cmp::Reverse(r.prefix.len()));
        Suppressor { roots, fallback, baseline, inline }
    }

    /// Moves suppressed locations out of `outcome.findings` into `outcome.suppressed`, and adds a
    /// notice for every configuration file that could not be used.
    pub fn apply(&mut self, outcome: &mut ScanOutcome, rules: &RuleSet) {
        let findings = std::mem::take(&mut outcome.findings);
        for mut finding in findings {
            let mut active = Vec::new();
            let mut suppressed = Vec::new();
            for location in std::mem::take(&mut finding.locations) {
                match self.suppression(rules, &finding, &location) {
                    Some(why) => suppressed.push((location, why)),
                    None => active.push(location),
                }
            }
            if !suppressed.is_empty() {
                outcome.suppressed.push(suppressed_finding(&finding, suppressed));
            }
            if !active.is_empty() {
                finding.locations = active;
                outcome.findings.push(finding);
            }
        }
        self.report_config_errors(outcome);
    }

    /// Why this location is suppressed, if it is.
    pub fn suppression(
        &mut self,
        rules: &RuleSet,
        finding: &Finding,
        location: &Location,
    ) -> Option<Suppression> {
        if self.inline
            && let Some(marker) = location.marker
        {
            return Some(Suppression {
                kind: SuppressionKind::InlineMarker,
                file: location.path.clone(),
                line: location.position.line,
                reason: format!("inline marker `{}`", marker.text()),
            });
        }
        let commit = location.git.as_ref().and_then(|g| g.commit.as_ref()).map(|c| c.id.as_str());
        let (tree, rel) = self.tree_for(&location.path);
        let subject = repo::Subject {
            rule: &finding.rule_id,
            path: &rel,
            secret: finding.secret.expose(),
            commit,
            builtin: rules
                .rules()
                .get(finding.rule)
                .is_some_and(|r| r.origin.starts_with("builtin:")),
        };
        if let Some(allowed) = tree.chain(&rel).allows(&subject) {
            return Some(Suppression {
                kind: SuppressionKind::Config,
                file: allowed.file,
                line: allowed.line as u64,
                reason: allowed.reason,
            });
        }
        let baseline = self.baseline.as_ref()?;
        let subject = baseline::Subject {
            rule: &finding.rule_id,
            secret: finding.secret.expose(),
            path: &rel,
            shown: &location.path,
            line: location.position.line,
            commit,
        };
        let (line, reason) = baseline.accepts(&subject)?;
        Some(Suppression {
            kind: SuppressionKind::Baseline,
            file: baseline.file.clone(),
            line: line as u64,
            reason,
        })
    }

    /// The index of the scan root a location path lies under (roots are longest first). The
    /// current directory's root (prefix `""`) holds only relative paths that stay inside it.
    fn root_of(&self, path: &str) -> Option<usize> {
        self.roots.iter().position(|r| {
            path.starts_with(r.prefix.as_str()) && (!r.prefix.is_empty() || stays_inside(path))
        })
    }

    /// A location path relative to its scan root (as configuration and baselines see it).
    pub fn relative(&self, path: &str) -> String {
        self.root_of(path).map_or(path, |i| &path[self.roots[i].prefix.len()..]).to_string()
    }

    /// The configuration tree for a location path and the path relative to its root.
    fn tree_for(&mut self, path: &str) -> (&mut ConfigTree, String) {
        let rel = self.relative(path);
        match self.root_of(path) {
            Some(index) => (&mut self.roots[index].tree, rel),
            None => (&mut self.fallback, rel),
        }
    }

    fn report_config_errors(&self, outcome: &mut ScanOutcome) {
        let trees = self.roots.iter().map(|r| &r.tree).chain(std::iter::once(&self.fallback));
        for error in trees.flat_map(ConfigTree::errors) {
            let message = format!(
                "invalid configuration, not applied (findings below it are reported): {}{}",
                if error.line == 0 { String::new() } else { format!("line {}: ", error.line) },
                error.message
            );
            outcome.push_notice(Notice::new(
                NoticeKind::InvalidConfig,
                Subject::Config(error.file.clone()),
                message,
            ));
        }
        let trees = self.roots.iter().map(|r| &r.tree).chain(std::iter::once(&self.fallback));
        for (file, key) in trees.flat_map(ConfigTree::unknown_keys) {
            let message = format!("line {}: unknown key `{}` ignored", key.line, key.value);
            let mut notice = Notice::new(NoticeKind::InvalidConfig, Subject::Config(file), message);
            notice.level = NoticeLevel::Warning; // ignored, and nothing it says applies
            outcome.push_notice(notice);
        }
    }
}

/// A copy of `finding` holding only the suppressed locations, with their distinct reasons.
fn suppressed_finding(finding: &Finding, suppressed: Vec<(Location, Suppression)>) -> Finding {
    let reasons: BTreeSet<Suppression> = suppressed.iter().map(|(_, s)| s.clone()).collect();
    Finding {
        locations: suppressed.into_iter().map(|(l, _)| l).collect(),
        suppressions: reasons.into_iter().collect(),
        ..finding.clone()
    }
}

/// A run's suppressor and the rules its configuration adds, built before the scan starts (so
/// an invalid root config or baseline stops the run with exit status 2 before any work).
#[derive(Debug)]
pub(crate) struct Setup {
    /// What suppresses findings.
    pub suppressor: Suppressor,
    /// Rule files named by the configuration (`rules.files`).
    pub rule_sources: Vec<RuleSource>,
    /// Whether to load the built-in rules: false only when an explicit `-c` config says
    /// `rules.builtin = false` (a repository's own config can only suppress them, visibly).
    pub builtin_rules: bool,
}

impl Setup {
    /// For a filesystem scan of `paths`: each directory is a scan root with its own
    /// `.leakhound.toml` (unless `--no-repo-config`); `-c FILE` replaces the roots' own files.
    pub(crate) fn for_paths(
        paths: &[PathBuf],
        filter: &FilterConfig,
    ) -> Result<Setup, ConfigError> {
        let explicit = filter.config.as_deref().map(repo::read_explicit).transpose()?;
        let mut roots = Vec::new();
        for path in paths.iter().filter(|p| is_scan_root(p)) {
            let prefix = root_prefix(path);
            let source: Option<Box<dyn ConfigSource>> = filter.repo_config.then(|| {
                Box::new(FsFiles { root: path.clone(), shown: prefix.clone() })
                    as Box<dyn ConfigSource>
            });
            roots.push(Root { prefix, tree: ConfigTree::open(source, explicit.clone()) });
        }
        if named_files_under_current_dir(paths) && !roots.iter().any(|r| r.prefix.is_empty()) {
            // Files named relative to the current directory (as a pre-commit hook names them)
            // follow its configuration, as they would in a scan of `.`.
            let source = filter.repo_config.then(|| {
                Box::new(FsFiles { root: PathBuf::from("."), shown: String::new() })
                    as Box<dyn ConfigSource>
            });
            roots.push(Root {
                prefix: String::new(),
                tree: ConfigTree::open(source, explicit.clone()),
            });
        }
        let baseline = match &filter.baseline {
            Some(path) => Some(Baseline::read(path)?),
            None => first_root_baseline(paths, filter)?,
        };
        Setup::assemble(roots, explicit, filter, baseline)
    }

    /// Builds the setup from roots already opened; `explicit` is the `-c` configuration.
    #[allow(
        clippy::disallowed_methods,
        reason = "rule files named by the -c configuration the user gave"
    )]
    pub(crate) fn assemble(
        roots: Vec<Root>,
        explicit: Option<RepoConfig>,
        filter: &FilterConfig,
        baseline: Option<Baseline>,
    ) -> Result<Setup, ConfigError> {
        let (rule_sources, builtin_rules) =
            if let (Some(config), Some(path)) = (&explicit, &filter.config) {
                let dir = path.parent().unwrap_or(std::path::Path::new(""));
                let read =
                    |rel: &str| std::fs::read(dir.join(rel)).map(Some).map_err(|e| e.to_string());
                (configured_rules(config, &read)?, config.builtin.as_ref().is_none_or(|b| b.value))
            } else {
                let mut sources = Vec::new();
                for root in &roots {
                    if let (Some(config), Some(source)) = (root.tree.root(), root.tree.source()) {
                        sources.extend(configured_rules(config, &|rel| source.read(rel))?);
                    }
                }
                (sources, true)
            };
        let fallback = ConfigTree::open(None, explicit);
        let suppressor = Suppressor::new(roots, fallback, baseline, filter.inline_allow);
        Ok(Setup { suppressor, rule_sources, builtin_rules })
    }
}

/// The `.leakhound-baseline` of the first directory in `paths` that has one (then of the current
/// directory, when files are named under it), when the filter asks for a root baseline. Read like
/// a root config: a symlink is not followed.
fn first_root_baseline(
    paths: &[PathBuf],
    filter: &FilterConfig,
) -> Result<Option<Baseline>, ConfigError> {
    if !filter.root_baseline {
        return Ok(None);
    }
    let dirs = paths.iter().filter(|p| is_scan_root(p)).cloned();
    let current = named_files_under_current_dir(paths).then(|| PathBuf::from("."));
    for path in dirs.chain(current) {
        let source = FsFiles { root: path.clone(), shown: root_prefix(&path) };
        if let Some(baseline) = root_baseline(&source)? {
            return Ok(Some(baseline));
        }
    }
    Ok(None)
}

/// The root's own baseline file ([`baseline::DEFAULT_FILE`]) from `source`, if it exists.
pub(crate) fn root_baseline(source: &dyn ConfigSource) -> Result<Option<Baseline>, ConfigError> {
    let shown = source.describe(baseline::DEFAULT_FILE);
    let whole_file = |message: String| ConfigError { file: shown.clone(), line: 0, message };
    let Some(bytes) =
        source.read(baseline::DEFAULT_FILE).map_err(|m| whole_file(format!("cannot read: {m}")))?
    else {
        return Ok(None);
    };
    let text = String::from_utf8(bytes).map_err(|_| whole_file("baseline is not UTF-8".into()))?;
    Baseline::parse(&text, &shown).map(Some)
}

/// Whether a path named on the command line is a scan root: a directory that can be listed. One
/// that cannot be listed is reported by the walk as unreadable (exit status 2); its config and
/// baseline could not be read either, and must not be blamed instead.
fn is_scan_root(path: &std::path::Path) -> bool {
    path.as_os_str() != "-" && path.is_dir() && std::fs::read_dir(path).is_ok()
}

/// Whether some path named on the command line is a file given relative to the current
/// directory without leaving it.
fn named_files_under_current_dir(paths: &[PathBuf]) -> bool {
    paths.iter().any(|p| {
        p.as_os_str() != "-" && !p.is_dir() && stays_inside(&crate::source::display_path(p))
    })
}

/// A relative `/`-separated path with no `..` component.
fn stays_inside(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains(':')
        && !path.split('/').any(|c| c == "..")
}

/// How a scan root's paths begin in locations: `""` for `.`, else the root and a `/`.
fn root_prefix(path: &std::path::Path) -> String {
    let shown = crate::source::display_path(path);
    let trimmed = shown.trim_end_matches('/');
    if trimmed.is_empty() || trimmed == "." { String::new() } else { format!("{trimmed}/") }
}

/// Reads one file by its root-relative path: `Ok(None)` when it does not exist.
type ReadFile<'a> = dyn Fn(&str) -> Result<Option<Vec<u8>>, String> + 'a;

/// The rule files a configuration names, read with `read`.
fn configured_rules(
    config: &RepoConfig,
    read: &ReadFile<'_>,
) -> Result<Vec<RuleSource>, ConfigError> {
    let mut sources = Vec::new();
    for file in &config.rule_files {
        let error =
            |message: String| ConfigError { file: config.file.clone(), line: file.line, message };
        let bytes = read(&file.value)
            .map_err(|e| error(format!("cannot read rule file {}: {e}", file.value)))?
            .ok_or_else(|| error(format!("rule file {} does not exist", file.value)))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| error(format!("rule file {} is not UTF-8", file.value)))?;
        sources.push(RuleSource { origin: file.value.clone(), text });
    }
    Ok(sources)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::Position;
    use crate::finding::Secret;
    use crate::marker::Marker;

    fn finding(rule: &str, secret: &str, paths: &[(&str, Option<Marker>)]) -> Finding {
        let locations = paths
            .iter()
            .map(|(path, marker)| Location {
                path: (*path).to_string(),
                position: Position { line: 3, column: 1, end_line: 3, end_column: 9, offset: 0 },
                git: None,
                image: None,
                marker: *marker,
                decoded: None,
            })
            .collect();
        Finding {
            rule: 0,
            rule_id: rule.into(),
            secret: Secret::new(secret.as_bytes().to_vec()),
            fingerprint: String::new(),
            attributes: std::collections::BTreeMap::default(),
            locations,
            validation: None,
            confidence: None,
            suppressions: Vec::new(),
        }
    }

    fn outcome(findings: Vec<Finding>) -> ScanOutcome {
        ScanOutcome { findings, ..ScanOutcome::default() }
    }

    fn rules() -> RuleSet {
        RuleSet::compile(&[]).unwrap()
    }

    fn tree(text: &str) -> ConfigTree {
        let config = RepoConfig::parse(text.as_bytes(), "cfg.toml", "", true).unwrap();
        ConfigTree::open(None, Some(config))
    }

    #[test]
    fn locations_are_split_and_nothing_is_lost() {
        let root =
            Root { prefix: "repo/".into(), tree: tree("[[allow]]\npaths = [\"tests/**\"]\n") };
        let mut s = Suppressor::new(vec![root], ConfigTree::empty(), None, true);
        let mut out = outcome(vec![finding(
            "r",
            "s3cret",
            &[
                ("repo/src/a.py", None),
                ("repo/tests/b.py", None),
                ("repo/src/c.py", Some(Marker::Gitleaks)),
            ],
        )]);
        s.apply(&mut out, &rules());
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].locations.len(), 1);
        assert_eq!(out.findings[0].locations[0].path, "repo/src/a.py");
        assert_eq!(out.suppressed.len(), 1);
        let kinds: Vec<_> =
            out.suppressed[0].suppressions.iter().map(|s| (s.kind, s.file.as_str())).collect();
        assert_eq!(
            kinds,
            [
                (SuppressionKind::InlineMarker, "repo/src/c.py"),
                (SuppressionKind::Config, "cfg.toml")
            ]
        );
        assert_eq!(out.suppressed[0].locations.len(), 2);
    }

    #[test]
    fn inline_markers_can_be_turned_off() {
        let mut s = Suppressor::new(Vec::new(), ConfigTree::empty(), None, false);
        let mut out = outcome(vec![finding("r", "s", &[("a", Some(Marker::Leakhound))])]);
        s.apply(&mut out, &rules());
        assert_eq!((out.findings.len(), out.suppressed.len()), (1, 0));
    }

    #[test]
    fn a_baseline_suppresses_with_its_file_and_line() {
        let mut native = crate::baseline::NativeBaseline::new().unwrap();
        native.add("r", b"s3cret", None);
        let base = Baseline::parse(&native.render(), "base.txt").unwrap();
        let mut s = Suppressor::new(Vec::new(), ConfigTree::empty(), Some(base), true);
        let mut out = outcome(vec![
            finding("r", "s3cret", &[("a", None)]),
            finding("r", "other", &[("a", None)]),
        ]);
        s.apply(&mut out, &rules());
        assert_eq!((out.findings.len(), out.suppressed.len()), (1, 1));
        let why = &out.suppressed[0].suppressions[0];
        assert_eq!((why.kind, why.file.as_str()), (SuppressionKind::Baseline, "base.txt"));
        assert!(why.line > 1);
    }
}
