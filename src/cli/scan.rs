//! `leakhound scan [PATH]...`: files, directories and stdin.

use std::path::PathBuf;

use clap::Args;

use super::{FilterArgs, ReadArgs, ReportArgs, RuleArgs, ValidationArgs};
use crate::ExitStatus;
use crate::pipeline::Target;

/// Arguments of `leakhound scan`.
#[derive(Debug, Args)]
pub(crate) struct ScanArgs {
    /// Files and directories to scan; `-` reads stdin.
    #[arg(value_name = "PATH", default_value = ".")]
    paths: Vec<PathBuf>,
    /// Also scan files excluded by .gitignore, .ignore and .leakhoundignore.
    #[arg(long)]
    no_ignore: bool,
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

pub(crate) fn run(args: &ScanArgs) -> anyhow::Result<ExitStatus> {
    let config = super::resolve_config(
        &args.read,
        args.no_ignore || args.filter.strict,
        &args.rules,
        &args.filter.resolve(),
        Some(&args.validation),
        false,
    );
    let output = args.report.resolve();
    let scanned =
        super::run_pipeline(&Target::Paths(args.paths.clone()), &config, &output, "files")?;
    super::deliver(scanned, &output)
}
