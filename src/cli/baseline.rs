//! `leakhound baseline create | prune`: write and tidy a baseline of accepted findings.
//!
//! Both scan (files, or with `--git` a repository's whole history) with configuration and inline
//! markers applied but without the baseline itself, so every current finding is seen. `create`
//! records which of the two it scanned in the baseline's header, and `prune` scans the same way
//! (a history baseline pruned against the files alone would lose every history-only entry).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};

use super::{FilterArgs, ReadArgs, RuleArgs};
use crate::ExitStatus;
use crate::baseline::{self, Baseline, BaselineKind, BaselineMode, NativeBaseline};
use crate::config::FilterConfig;
use crate::pipeline::{self, Scanned, Target};

/// `leakhound baseline ...`
#[derive(Debug, Subcommand)]
pub(crate) enum BaselineCommand {
    /// Scan and add every current finding to the baseline (its key and entries are kept).
    Create {
        /// Limit each entry to the path it was found at (default: the secret is accepted anywhere).
        #[arg(long)]
        scope_paths: bool,
        #[command(flatten)]
        target: TargetArgs,
    },
    /// Scan and remove the baseline's entries that no longer match any finding.
    Prune {
        /// List the stale entries without changing the file (exit 1 when there are some).
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        target: TargetArgs,
    },
}

/// What to scan, shared by `create` and `prune`.
#[derive(Debug, Args)]
pub(crate) struct TargetArgs {
    /// Files and directories to scan; with `--git`, the repository.
    #[arg(value_name = "PATH", default_value = ".")]
    paths: Vec<PathBuf>,
    /// Scan the whole git history of the repository at PATH instead of its files (`prune` uses
    /// the mode the baseline was created with).
    #[arg(long)]
    git: bool,
    /// Also scan files excluded by .gitignore, .ignore and .leakhoundignore.
    #[arg(long)]
    no_ignore: bool,
    #[command(flatten)]
    read: ReadArgs,
    #[command(flatten)]
    rules: RuleArgs,
    #[command(flatten)]
    filter: FilterArgs,
}

pub(crate) fn run(command: &BaselineCommand) -> anyhow::Result<ExitStatus> {
    match command {
        BaselineCommand::Create { scope_paths, target } => create(target, *scope_paths),
        BaselineCommand::Prune { dry_run, target } => prune(target, *dry_run),
    }
}

impl TargetArgs {
    /// The baseline file.
    fn path(&self) -> PathBuf {
        self.filter.baseline_path.clone().unwrap_or_else(|| PathBuf::from(baseline::DEFAULT_FILE))
    }

    /// The mode the flags ask for.
    fn mode(&self) -> BaselineMode {
        if self.git { BaselineMode::Git } else { BaselineMode::Files }
    }

    /// Scans in `mode` without the baseline, with markers and configuration applied (and no
    /// validation).
    fn scan(&self, mode: BaselineMode) -> anyhow::Result<Scanned> {
        let filter = FilterConfig { baseline: None, root_baseline: false, ..self.filter.resolve() };
        let target = if mode == BaselineMode::Git {
            let [repo] = self.paths.as_slice() else { bail!("--git takes one repository path") };
            git_target(repo)?
        } else {
            Target::Paths(self.paths.clone())
        };
        let config =
            super::resolve_config(&self.read, self.no_ignore, &self.rules, &filter, None, false);
        let scanned = pipeline::run(&target, &config, None)?;
        if scanned.outcome.incomplete() {
            bail!(
                "{}; the baseline was not changed",
                crate::report::summary_line(&scanned.outcome)
            );
        }
        Ok(scanned)
    }
}

#[cfg(feature = "git")]
#[allow(
    clippy::unnecessary_wraps,
    reason = "the same signature as without the git feature, which fails"
)]
fn git_target(repo: &Path) -> anyhow::Result<Target> {
    Ok(Target::Git { repo: repo.to_path_buf(), mode: crate::config::GitMode::History })
}

#[cfg(not(feature = "git"))]
fn git_target(_: &Path) -> anyhow::Result<Target> {
    bail!("this leakhound was built without git support")
}

/// The existing native baseline at `path`, or a new one.
fn load_or_new(path: &Path) -> anyhow::Result<NativeBaseline> {
    if !path.exists() {
        return NativeBaseline::new().map_err(anyhow::Error::msg);
    }
    match Baseline::read(path)?.kind {
        BaselineKind::Native(native) => Ok(native),
        BaselineKind::Gitleaks(_) => {
            bail!("{} is a gitleaks baseline; write leakhound's to another file", path.display())
        }
    }
}

/// The mode an existing baseline and the flags agree on: adding history entries to a files
/// baseline (or the reverse) would make a later `prune` drop half of them.
fn agreed_mode(
    path: &Path,
    recorded: BaselineMode,
    requested: BaselineMode,
    fresh: bool,
) -> anyhow::Result<BaselineMode> {
    if fresh || recorded == requested {
        return Ok(requested);
    }
    let flag =
        |mode: BaselineMode| if mode == BaselineMode::Git { "with --git" } else { "without --git" };
    bail!(
        "{} was created from {} (`# mode: {}`); run this {} or use another --baseline-path",
        path.display(),
        if recorded == BaselineMode::Git { "git history" } else { "files" },
        recorded.as_str(),
        flag(recorded)
    )
}

fn create(target: &TargetArgs, scope_paths: bool) -> anyhow::Result<ExitStatus> {
    let path = target.path();
    let mut base = load_or_new(&path)?;
    base.mode = agreed_mode(&path, base.mode, target.mode(), base.entries.is_empty())?;
    let collected = target.scan(base.mode)?;
    let (mut added, mut total) = (0usize, 0usize);
    for finding in &collected.outcome.findings {
        let scopes: Vec<Option<String>> = if scope_paths {
            let mut paths: Vec<String> =
                finding.locations.iter().map(|l| collected.relative(&l.path)).collect();
            paths.dedup();
            paths.into_iter().map(Some).collect()
        } else {
            vec![None]
        };
        for scope in scopes {
            total += 1;
            added +=
                usize::from(base.add(&finding.rule_id, finding.secret.expose(), scope.as_deref()));
        }
    }
    write(&path, &base)?;
    let mut err = std::io::stderr().lock();
    writeln!(
        err,
        "leakhound: {total} accepted finding(s), {added} new entry(ies); {} written",
        path.display()
    )?;
    Ok(ExitStatus::Clean)
}

fn prune(target: &TargetArgs, dry_run: bool) -> anyhow::Result<ExitStatus> {
    let path = target.path();
    let mut base = match Baseline::read(&path)?.kind {
        BaselineKind::Native(native) => native,
        BaselineKind::Gitleaks(_) => {
            bail!("{} is a gitleaks baseline; only leakhound's can be pruned", path.display())
        }
    };
    // The recorded mode decides; `--git` on a files baseline is a contradiction, said as one.
    let mode = if target.git {
        agreed_mode(&path, base.mode, BaselineMode::Git, false)?
    } else {
        base.mode
    };
    let collected = target.scan(mode)?;
    let relative: Vec<(usize, usize, String)> = collected
        .outcome
        .findings
        .iter()
        .enumerate()
        .flat_map(|(i, f)| f.locations.iter().enumerate().map(move |(j, l)| (i, j, l.path.clone())))
        .map(|(i, j, p)| (i, j, collected.relative(&p)))
        .collect();
    let subjects: Vec<baseline::Subject<'_>> = relative
        .iter()
        .map(|(i, j, rel)| {
            let finding = &collected.outcome.findings[*i];
            baseline::Subject {
                rule: &finding.rule_id,
                secret: finding.secret.expose(),
                path: rel,
                shown: &finding.locations[*j].path,
                line: finding.locations[*j].position.line,
                commit: None,
            }
        })
        .collect();
    let (kept, stale) = base.partition_used(&subjects);
    let mut err = std::io::stderr().lock();
    for entry in &stale {
        writeln!(
            err,
            "leakhound: stale: {}:{}: {} {}",
            path.display(),
            entry.line,
            entry.rule,
            entry.hash
        )?;
    }
    if dry_run {
        writeln!(
            err,
            "leakhound: {} stale entry(ies) of {} (dry run)",
            stale.len(),
            kept.len() + stale.len()
        )?;
        return Ok(if stale.is_empty() { ExitStatus::Clean } else { ExitStatus::Findings(1) });
    }
    base.entries = kept;
    write(&path, &base)?;
    writeln!(
        err,
        "leakhound: {} stale entry(ies) removed, {} kept",
        stale.len(),
        base.entries.len()
    )?;
    Ok(ExitStatus::Clean)
}

fn write(path: &Path, base: &NativeBaseline) -> anyhow::Result<()> {
    std::fs::write(path, base.render())
        .with_context(|| format!("cannot write baseline {}", path.display()))
}
