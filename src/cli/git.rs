//! `leakhound git [REPO]`: history, the staged index, or a commit range.

use std::path::PathBuf;

use anyhow::bail;
use clap::Args;

use super::{FilterArgs, ReadArgs, ReportArgs, RuleArgs, ValidationArgs};
use crate::ExitStatus;
use crate::config::GitMode;
use crate::pipeline::Target;

/// Arguments of `leakhound git`.
#[derive(Debug, Args)]
#[allow(clippy::struct_excessive_bools, reason = "independent switches, each one flag")]
pub(crate) struct GitArgs {
    /// The repository: a work tree, a `.git` directory or a bare repository.
    #[arg(value_name = "REPO", default_value = ".")]
    repo: PathBuf,
    /// With `--staged`: the staged files a hook framework hands over (pre-commit's file names).
    /// They are accepted so one hook entry serves commits and `pre-commit run --files`; the
    /// whole index is scanned either way, so none of its changes can be left out.
    #[arg(value_name = "FILE", requires = "staged")]
    staged_files: Vec<PathBuf>,
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
    /// Accept missing history (shallow or partial clone, objects absent from the database): warn
    /// instead of exit 2, and skip the check that every referenced object exists.
    #[arg(long)]
    allow_missing_objects: bool,
    /// Keep the incremental history cache in DIR (one file per repository); by default it is
    /// kept under the repository's git directory when that is writable.
    #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
    cache: Option<PathBuf>,
    /// Scan the history without the incremental cache (neither read nor written).
    #[arg(long)]
    no_cache: bool,
    /// Name the `--cache` file after this source instead of the repository's path (what
    /// `leakhound repos --cache` passes for each fresh clone).
    #[arg(long, value_name = "SOURCE", requires = "cache", hide = true)]
    cache_as: Option<String>,
    /// History mode: match only shard I of N (0-based) of the blobs, split by object id, for
    /// `leakhound report merge`. `auto/N` takes I from the engine: `JOB_COMPLETION_INDEX`
    /// (Kubernetes Indexed Job), else `CI_NODE_INDEX` - 1 (GitLab `parallel`).
    #[arg(
        long,
        env = "LEAKHOUND_SHARD",
        value_name = "I/N",
        conflicts_with_all = ["staged", "since", "range", "branch", "validate", "only_valid"]
    )]
    shard: Option<String>,
    #[command(flatten)]
    read: ReadArgs,
    #[command(flatten)]
    rules: RuleArgs,
    #[command(flatten)]
    filter: FilterArgs,
    #[command(flatten)]
    report: ReportArgs,
    #[command(flatten)]
    validation: ValidationArgs,
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
    let target = Target::Git { repo: args.repo.clone(), mode: mode(args)? };
    let mut config = super::resolve_config(
        &args.read,
        false,
        &args.rules,
        &args.filter.resolve(),
        Some(&args.validation),
        args.allow_external_objects,
    );
    config.allow_missing_objects = args.allow_missing_objects;
    config.git_cache = match (&args.cache, args.no_cache, &args.cache_as) {
        (_, true, _) => crate::config::GitCache::Off,
        (Some(dir), false, Some(source)) => {
            crate::config::GitCache::Keyed { dir: dir.clone(), source: source.clone() }
        }
        (Some(dir), false, None) => crate::config::GitCache::Dir(dir.clone()),
        (None, false, _) => crate::config::GitCache::Auto,
    };
    config.shard = args
        .shard
        .as_deref()
        .map(|spec| super::parse_shard(spec, &|name| std::env::var(name).ok()))
        .transpose()?;
    let output = args.report.resolve();
    let scanned = super::run_pipeline(&target, &config, &output, "blobs")?;
    super::deliver(scanned, &output)
}
