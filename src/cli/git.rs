//! `leakhound git [REPO]`: history, the staged index, or a commit range.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::bail;
use clap::Args;

use super::{ReadArgs, ReportArgs, RuleArgs};
use crate::ExitStatus;
use crate::config::OutputConfig;
use crate::matcher::Matcher;
use crate::rules::RuleSet;
use crate::source::git::{self, GitConfig, GitMode};

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
    let config = GitConfig {
        repo: args.repo.clone(),
        mode: mode(args)?,
        allow_external_objects: args.allow_external_objects,
        threads: args.read.threads(),
        scan_binary: args.read.scan_binary,
        max_size: args.read.max_file_size,
    };
    let output = OutputConfig::from_args(&args.report);
    let rules = Arc::new(RuleSet::load(&args.rules.rules)?);
    let matcher = Matcher::new(Arc::clone(&rules));
    let outcome = git::scan(&config, &matcher)?;
    super::scan::finish(outcome, &rules, &output, &args.validation)
}
