//! `leakhound report merge FILE...`: shard reports merged into one report.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};

use super::{ReportArgs, RuleArgs};
use crate::ExitStatus;
use crate::config::Config;
use crate::pipeline::{self, ShardReport};

/// `leakhound report ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum ReportCommand {
    /// Merge the JSON reports of every shard of a `git --shard I/N` scan into the report one
    /// unsharded scan gives, in any format. A missing, duplicated or foreign shard is an error.
    Merge(MergeArgs),
}

/// Arguments of `leakhound report merge`.
#[derive(Debug, Args)]
pub(crate) struct MergeArgs {
    /// The shards' JSON reports (`-f json`), one per shard, in any order.
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
    #[command(flatten)]
    rules: RuleArgs,
    #[command(flatten)]
    report: ReportArgs,
}

pub(crate) fn run(command: &ReportCommand) -> anyhow::Result<ExitStatus> {
    let ReportCommand::Merge(args) = command;
    let mut reports = Vec::new();
    for file in &args.files {
        #[allow(
            clippy::disallowed_methods,
            reason = "a report the user names, not scanned content"
        )]
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read shard report {}", file.display()))?;
        reports.push(ShardReport { name: file.display().to_string(), text });
    }
    let config = Config { rules: args.rules.rules.clone(), ..Config::default() };
    let output = args.report.resolve();
    super::check_report_path(&output)?;
    let scanned = pipeline::merge(&reports, &config, output.show_secrets)?;
    super::deliver(scanned, &output)
}
