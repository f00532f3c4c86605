//! `leakhound image PATH`: a `docker save` tarball or an OCI image layout (directory or tar).

use std::path::PathBuf;

use clap::Args;

use super::{FilterArgs, ReadArgs, ReportArgs, RuleArgs, ValidationArgs};
use crate::ExitStatus;
use crate::pipeline::Target;

/// Arguments of `leakhound image`.
#[derive(Debug, Args)]
pub(crate) struct ImageArgs {
    /// The image: a `docker save` tarball, or an OCI image layout directory or tar. No daemon is
    /// asked; nothing is unpacked to disk.
    #[arg(value_name = "PATH")]
    path: PathBuf,
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

pub(crate) fn run(args: &ImageArgs) -> anyhow::Result<ExitStatus> {
    let config = super::resolve_config(
        &args.read,
        false,
        &args.rules,
        &args.filter.resolve(),
        Some(&args.validation),
        false,
    );
    let output = args.report.resolve();
    let scanned =
        super::run_pipeline(&Target::Image(args.path.clone()), &config, &output, "layers")?;
    super::deliver(scanned, &output)
}
