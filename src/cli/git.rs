//! `leakhound git [REPO]`: history, the staged index, or a commit range.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::bail;
use clap::Args;

use super::scan::Collected;
use super::{FilterArgs, ReadArgs, ReportArgs, RuleArgs};
use crate::ExitStatus;
use crate::baseline::Baseline;
use crate::config::repo::{self, ConfigSource, ConfigTree, FsFiles};
use crate::config::{FilterConfig, OutputConfig};
use crate::matcher::Matcher;
use crate::progress::{Display, Progress};
use crate::rules::RuleSet;
use crate::scan::{Notice, NoticeLevel};
use crate::source::git::{self, GitConfig, GitMode};
use crate::suppress::{Root, Setup};

/// Arguments of `leakhound git`.
#[derive(Debug, Args)]
pub(crate) struct GitArgs {
    /// The repository: a work tree, a `.git` directory or a bare repository.
    #[arg(value_name = "REPO", default_value = ".")]
    repo: PathBuf,
    /// Scan what is staged (the index against HEAD), for pre-commit hooks.
    #[arg(long, conflicts_with_all = ["since", "range", "branch"])]
    staged: bool,
    /// Scan the commits after REV up to HEAD (REV..HEAD), e.g. a push.
    #[arg(long, value_name = "REV", conflicts_with_all = ["range", "branch"])]
    since: Option<String>,
    /// Scan the commits in A..B (reachable from B, not from A), e.g. a pull request.
    #[arg(long, value_name = "A..B", conflicts_with = "branch")]
    range: Option<String>,
    /// Scan only the history of one ref.
    #[arg(long, value_name = "REF")]
    branch: Option<String>,
    /// Follow `.git` files and object alternates that point outside the repository.
    #[arg(long)]
    allow_external_objects: bool,
    #[command(flatten)]
    read: ReadArgs,
    #[command(flatten)]
    rules: RuleArgs,
    #[command(flatten)]
    filter: FilterArgs,
    #[command(flatten)]
    report: ReportArgs,
    #[command(flatten)]
    validation: super::validate::ValidationArgs,
}

fn mode(args: &GitArgs) -> anyhow::Result<GitMode> {
    if args.staged {
        return Ok(GitMode::Staged);
    }
    if let Some(rev) = &args.since {
        return Ok(GitMode::Range { base: rev.clone(), head: "HEAD".into() });
    }
    if let Some(range) = &args.range {
        let Some((base, head)) = range.split_once("...").or_else(|| range.split_once("..")) else {
            bail!("--range takes A..B, got {range:?}");
        };
        let head = if head.is_empty() { "HEAD" } else { head };
        return Ok(GitMode::Range { base: base.to_string(), head: head.to_string() });
    }
    if let Some(branch) = &args.branch {
        return Ok(GitMode::Branch(branch.clone()));
    }
    Ok(GitMode::History)
}

pub(crate) fn run(args: &GitArgs) -> anyhow::Result<ExitStatus> {
    let mut config = git_config(&args.repo, mode(args)?, args.allow_external_objects, &args.read);
    let output = OutputConfig::from_args(&args.report);
    let progress = Arc::new(Progress::new("blobs"));
    let display = Display::start(&progress, output.progress, output.quiet);
    config.progress = display.as_ref().map(|_| progress);
    let mut collected = collect(&config, &args.rules, &args.filter.resolve())?;
    drop(display);
    collected.suppress();
    collected.mark_context(&[]);
    super::scan::finish(collected.outcome, &collected.rules, &output, &args.validation)
}

/// The resolved git scan settings.
pub(crate) fn git_config(repo: &Path, mode: GitMode, allow_external_objects: bool, read: &ReadArgs) -> GitConfig {
    GitConfig {
        repo: repo.to_path_buf(),
        mode,
        allow_external_objects,
        threads: read.threads(),
        scan_binary: read.scan_binary,
        max_size: read.max_file_size,
        progress: None,
    }
}

/// Reads configuration and baseline, loads rules and scans the repository.
pub(crate) fn collect(config: &GitConfig, rules: &RuleArgs, filter: &FilterConfig) -> anyhow::Result<Collected> {
    let (mut setup, notice) = setup(config, filter)?;
    let configured = std::mem::take(&mut setup.rule_sources);
    let rules = Arc::new(RuleSet::load_with(&rules.rules, configured, setup.builtin_rules)?);
    let matcher = Matcher::new(Arc::clone(&rules));
    let mut outcome = git::scan(config, &matcher)?;
    outcome.notices.extend(notice);
    outcome.notices.sort();
    Ok(Collected { outcome, rules, suppressor: setup.suppressor })
}

/// Configuration and baseline for a git scan. A range scan reads them from its base revision,
/// so the change under review cannot allowlist itself; other modes read the work tree's files
/// (the committed tip's in a bare repository).
fn setup(config: &GitConfig, filter: &FilterConfig) -> anyhow::Result<(Setup, Option<Notice>)> {
    let (repo, allow) = (&config.repo, config.allow_external_objects);
    let explicit = filter.config.as_deref().map(repo::read_explicit).transpose()?;
    let work = git::work_tree(repo, allow);
    let base = match &config.mode {
        GitMode::Range { base, .. } => Some(base.as_str()),
        _ => None,
    };
    let boxed = |files: git::TreeFiles| Box::new(files) as Box<dyn ConfigSource>;
    let source: Option<Box<dyn ConfigSource>> = match (filter.repo_config, base, &work) {
        (false, _, _) => None,
        (true, Some(base), _) => git::tree_files(repo, allow, base)?.map(boxed),
        (true, None, Some(work)) => Some(Box::new(FsFiles { root: work.clone(), shown: String::new() })),
        (true, None, None) => git::tree_files(repo, allow, "HEAD")?.map(boxed),
    };
    let tree = ConfigTree::open(source, explicit.clone())?;
    let (baseline, notice) = match &filter.baseline {
        Some(path) => read_baseline(path, base.map(|b| (repo.as_path(), allow, b)), work.as_deref())?,
        None => (None, None),
    };
    let roots = vec![Root { prefix: String::new(), tree }];
    Ok((Setup::assemble(roots, explicit, filter, baseline)?, notice))
}

/// Reads the baseline: from the base revision when the scan is a range and the file lies in
/// the work tree, otherwise from disk.
fn read_baseline(
    path: &Path,
    base: Option<(&Path, bool, &str)>,
    work: Option<&Path>,
) -> anyhow::Result<(Option<Baseline>, Option<Notice>)> {
    let in_repo = work.and_then(|w| {
        let absolute =
            std::fs::canonicalize(path).ok().or_else(|| std::env::current_dir().ok().map(|d| d.join(path)))?;
        let work = std::fs::canonicalize(w).ok()?;
        absolute.strip_prefix(&work).ok().map(crate::source::display_path)
    });
    let (Some((repo, allow, rev)), Some(rel)) = (base, in_repo) else {
        return Ok((Some(Baseline::read(path)?), None));
    };
    let files = git::tree_files(repo, allow, rev)?;
    let Some(bytes) = files.as_ref().map(|f| f.read(&rel)).transpose().map_err(anyhow::Error::msg)?.flatten() else {
        let message = format!("the baseline is not in the base revision {rev}; it is not applied to this range");
        let notice = Notice { level: NoticeLevel::Warning, path: Some(rel), message };
        return Ok((None, Some(notice)));
    };
    let shown = format!("{rel}@{rev}");
    let text = String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("{shown}: baseline is not UTF-8"))?;
    Ok((Some(Baseline::parse(&text, &shown)?), None))
}
