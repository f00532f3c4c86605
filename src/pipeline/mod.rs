//! The one scan pipeline: every target goes through the same stages, in this order.
//!
//! ```text
//! Config -> setup (repository config, baseline, rule selection) -> RuleSet -> Matcher
//!   -> source (files and stdin, git history, staged, range, branch) -> Collector
//!   -> offline checks -> suppression -> validation (opt-in) -> Scanned
//! ```
//!
//! The command line, `explain`, the embedding API and the benches all call this module; none of
//! them strings the stages together itself. Stages report what they could not do as notices in
//! the outcome ([`crate::outcome`]), never by stopping the run; only a setup that cannot be used
//! (an invalid root config, rules that do not compile, a repository that cannot be opened) is an
//! error, before any work is done.

mod files;
#[cfg(feature = "git")]
mod git;
mod image;
mod merge;

pub use merge::{MergeError, ShardReport, merge};
#[cfg(feature = "git")]
pub(crate) use merge::{RepoScan, combine, ruleset_digest};

use std::path::PathBuf;
use std::sync::Arc;

use crate::config::Config;
use crate::config::repo::ConfigError;
use crate::matcher::{Matcher, context};
use crate::outcome::{Notice, NoticeKind, Observer, ScanOutcome, Subject};
use crate::rules::{Confidence, RuleErrors, RuleSet};
use crate::suppress::{Setup, Suppressor};
use crate::validate::{
    self, Timestamp, ValidationError, ValidationStatus, ValidationSummary, offline,
};

#[cfg(feature = "git")]
use crate::config::GitMode;

/// What to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Files and directories; `-` is stdin.
    Paths(Vec<PathBuf>),
    /// A git repository (work tree, `.git` directory or bare repository).
    #[cfg(feature = "git")]
    Git {
        /// The repository.
        repo: PathBuf,
        /// What part of it.
        mode: GitMode,
    },
    /// A container image: a `docker save` tarball or an OCI image layout (directory or tar).
    Image(PathBuf),
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// A configuration or baseline file cannot be used.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Rules do not compile.
    #[error(transparent)]
    Rules(#[from] RuleErrors),
    /// The repository cannot be opened or a revision does not resolve.
    #[cfg(feature = "git")]
    #[error(transparent)]
    Git(#[from] crate::source::git::GitError),
    /// The container image cannot be opened, or is not an image.
    #[error(transparent)]
    Image(#[from] crate::source::image::ImageError),
    /// Validation was asked for but cannot run (validators, ledger).
    #[error(transparent)]
    Validation(#[from] ValidationError),
}

/// A finished run: the outcome and what a consumer needs to read it.
#[derive(Debug)]
pub struct Scanned {
    /// Findings, suppressed findings, notices, counters and the coverage record.
    pub outcome: ScanOutcome,
    /// The rules the findings refer to.
    pub rules: Arc<RuleSet>,
    /// What live validation did, when it ran.
    pub validation: Option<ValidationSummary>,
    suppressor: Suppressor,
}

impl Scanned {
    /// A location path relative to its scan root (as configuration and baselines see it).
    pub fn relative(&self, path: &str) -> String {
        self.suppressor.relative(path)
    }
}

/// The stages that come before reading: configuration, baseline, rules and matcher.
#[derive(Debug)]
pub struct Prepared {
    /// The compiled rules.
    pub rules: Arc<RuleSet>,
    /// The matcher over them.
    pub matcher: Matcher,
    /// What suppresses findings.
    pub suppressor: Suppressor,
    /// Notices from the setup (a baseline not applied to a range, ...).
    notices: Vec<Notice>,
}

/// Reads configuration and baseline for `target`, selects and compiles the rules.
pub fn prepare(target: &Target, config: &Config) -> Result<Prepared, PipelineError> {
    let (mut setup, notices) = setup(target, config)?;
    let configured = std::mem::take(&mut setup.rule_sources);
    let rules = Arc::new(RuleSet::load_with(&config.rules, configured, setup.builtin_rules)?);
    // Weak passwords come out marked; `gate_weak` keeps them only in credential files.
    let matcher = Matcher::keeping_weak(Arc::clone(&rules));
    Ok(Prepared { rules, matcher, suppressor: setup.suppressor, notices })
}

fn setup(target: &Target, config: &Config) -> Result<(Setup, Vec<Notice>), PipelineError> {
    match target {
        Target::Paths(paths) => Ok((Setup::for_paths(paths, &config.filter)?, Vec::new())),
        // An image supplies no configuration: only `-c` and `--baseline-path` apply.
        Target::Image(_) => Ok((Setup::for_paths(&[], &config.filter)?, Vec::new())),
        #[cfg(feature = "git")]
        Target::Git { repo, mode } => {
            git::setup(repo, mode, config.allow_external_objects, &config.filter)
        }
    }
}

impl Prepared {
    /// The source stage: reads `target` and collects its findings (nothing suppressed yet).
    pub fn collect(
        &self,
        target: &Target,
        config: &Config,
        observer: Option<&Arc<dyn Observer>>,
    ) -> Result<ScanOutcome, PipelineError> {
        let mut outcome = match target {
            Target::Paths(paths) => files::scan(paths, &config.read, &self.matcher, observer),
            #[cfg(feature = "git")]
            Target::Git { repo, mode } => git::scan(repo, mode, config, &self.matcher, observer)?,
            Target::Image(path) => image::scan(path, &config.read, &self.matcher, observer)?,
        };
        for notice in &self.notices {
            outcome.push_notice(notice.clone());
        }
        outcome.coverage.strict = config.filter.strict;
        Ok(outcome)
    }

    /// The stages after reading: offline checks, suppression, then validation when asked.
    pub fn finish(
        mut self,
        mut outcome: ScanOutcome,
        config: &Config,
    ) -> Result<Scanned, PipelineError> {
        context::gate_weak(&mut outcome.findings, &|path: &str| self.suppressor.relative(path));
        offline::annotate(&mut outcome.findings, &self.rules, Timestamp::now());
        self.suppressor.apply(&mut outcome, &self.rules);
        if let Some(shard) = config.shard {
            // The stages that look at all of a finding's locations run in `report merge`.
            merge::hold_for_merge(&mut outcome, &self.rules, shard, config);
            return Ok(Scanned {
                outcome,
                rules: self.rules,
                validation: None,
                suppressor: self.suppressor,
            });
        }
        mark_context(&mut outcome, &self.rules, &self.suppressor);
        let validation = validate(&mut outcome, &self.rules, config)?;
        hide_below_confidence(&mut outcome, &self.rules, config.filter.min_confidence);
        Ok(Scanned { outcome, rules: self.rules, validation, suppressor: self.suppressor })
    }
}

/// The context stage: findings only in tests, docs, examples or vendored code are marked one
/// confidence step lower, and credential-file findings that only illustrate (a placeholder in a
/// manual) are dropped ([`context`]).
fn mark_context(outcome: &mut ScanOutcome, rules: &RuleSet, suppressor: &Suppressor) {
    let relative = |path: &str| suppressor.relative(path);
    context::drop_illustrations(&mut outcome.findings, rules, &relative);
    context::mark(&mut outcome.findings, rules, &relative);
    context::mark(&mut outcome.suppressed, rules, &relative);
}

/// `--min-confidence`: drops the findings below it and says how many (nothing is hidden silently).
fn hide_below_confidence(outcome: &mut ScanOutcome, rules: &RuleSet, min: Option<Confidence>) {
    let Some(min) = min else {
        return;
    };
    let hidden = context::retain_confident(&mut outcome.findings, rules, min);
    if hidden > 0 {
        let message =
            format!("{hidden} finding(s) below --min-confidence {} not reported", min.as_str());
        outcome.push_notice(Notice::new(NoticeKind::Filtered, Subject::Scan, message));
    }
}

/// Live validation and `--only-valid`, when asked for.
fn validate(
    outcome: &mut ScanOutcome,
    rules: &RuleSet,
    config: &Config,
) -> Result<Option<ValidationSummary>, PipelineError> {
    let choice = &config.validation;
    if !choice.validate && !choice.only_valid {
        return Ok(None);
    }
    let summary = validate::validate_findings(&mut outcome.findings, rules, &choice.connection)?;
    if choice.only_valid {
        outcome
            .findings
            .retain(|f| f.validation.as_ref().is_some_and(|v| v.status == ValidationStatus::Valid));
    }
    Ok(Some(summary))
}

/// Runs every stage for `target`: the one entry point for the command line and embedders.
pub fn run(
    target: &Target,
    config: &Config,
    observer: Option<&Arc<dyn Observer>>,
) -> Result<Scanned, PipelineError> {
    let target = target.resolved();
    let prepared = prepare(&target, config)?;
    let outcome = prepared.collect(&target, config, observer)?;
    prepared.finish(outcome, config)
}

impl Target {
    /// The target as the stages see it: a repository named by one of its subdirectories becomes
    /// the repository itself (as `git` commands behave).
    #[must_use]
    pub fn resolved(&self) -> Target {
        match self {
            Target::Paths(_) | Target::Image(_) => self.clone(),
            #[cfg(feature = "git")]
            Target::Git { repo, mode } => {
                Target::Git { repo: git::repository_root(repo), mode: mode.clone() }
            }
        }
    }
}

/// Rules compiled once, scanning many targets or buffers: the embedding surface (editors,
/// services, language bindings) and what `leakhound scan -` does for one buffer.
#[derive(Debug)]
pub struct Scanner {
    config: Config,
    prepared: std::sync::Mutex<Prepared>,
    rules: Arc<RuleSet>,
}

impl Scanner {
    /// Compiles the built-in rules and `config.rules` (no repository configuration is read: a
    /// buffer has no tree; `config.filter.config` still applies).
    pub fn new(config: &Config) -> Result<Scanner, PipelineError> {
        let prepared = prepare(&Target::Paths(Vec::new()), config)?;
        let rules = Arc::clone(&prepared.rules);
        Ok(Scanner { config: config.clone(), prepared: std::sync::Mutex::new(prepared), rules })
    }

    /// The compiled rules.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// Scans one buffer named `name` (the name appears in locations): decoded as the scan reads
    /// files (UTF-16, decoding layers), with offline checks and inline allow markers applied.
    /// Binary-looking content is scanned as it is. Returns active and suppressed findings.
    pub fn scan_bytes(&self, name: &str, bytes: &[u8]) -> ScanOutcome {
        let mut prepared = self.prepared.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut found = Vec::new();
        let mut reader = crate::content::Reader::new(&prepared.matcher);
        let options = crate::content::ReadOptions { scan_binary: true, binary_strings: false };
        let summary = reader.scan_blob(&prepared.matcher, bytes, options, &mut found);
        let mut collector = crate::finding::Collector::new();
        for m in found {
            collector.add(&self.rules, name, m);
        }
        let mut tally = crate::outcome::Tally::default();
        tally.scanned(summary.bytes);
        let mut outcome = tally.finish(
            collector.finish(),
            crate::outcome::Coverage::default(),
            std::time::Duration::ZERO,
        );
        context::gate_weak(&mut outcome.findings, &|path: &str| path.to_string());
        offline::annotate(&mut outcome.findings, &self.rules, Timestamp::now());
        prepared.suppressor.apply(&mut outcome, &self.rules);
        outcome
    }

    /// Runs every stage for `target` with this scanner's configuration (rules are compiled again
    /// when the target's own configuration adds some).
    pub fn scan(
        &self,
        target: &Target,
        observer: Option<&Arc<dyn Observer>>,
    ) -> Result<Scanned, PipelineError> {
        run(target, &self.config, observer)
    }
}

impl Scanner {
    /// Every candidate a rule's pattern produced in `bytes`, with the verdict of each stage (what
    /// `explain` shows); no suppression applied. Used by `leakhound serve`'s `explain` request.
    pub fn explain_bytes(&self, bytes: &[u8]) -> Vec<crate::matcher::Candidate> {
        let prepared = self.prepared.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        prepared.matcher.explain(bytes)
    }
}
