//! `leakhound scan [PATH]...`: files, directories and stdin.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Args;

use super::{FilterArgs, ReadArgs, ReportArgs, RuleArgs};
use crate::ExitStatus;
use crate::config::{FilterConfig, OutputConfig, ScanConfig};
use crate::matcher::{Matcher, context};
use crate::progress::{Display, Progress};
use crate::report::{self, ReportContext};
use crate::rules::{Confidence, RuleSet};
use crate::sanitize::escape_for_terminal;
use crate::scan::{Notice, NoticeLevel, ScanOutcome, scan};
use crate::suppress::{Setup, Suppressor};

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
    validation: super::validate::ValidationArgs,
}

impl OutputConfig {
    /// Resolves the shared report flags.
    pub(crate) fn from_args(report: &ReportArgs) -> OutputConfig {
        let to_stdout = report.report_path.as_ref().is_none_or(|p| p.as_os_str() == "-");
        OutputConfig {
            format: report.format,
            report_path: report.report_path.clone().filter(|p| p.as_os_str() != "-"),
            show_secrets: report.show_secrets,
            exit_code: report.exit_code,
            color: report.color.resolve(to_stdout),
            quiet: report.quiet,
            progress: report.progress,
            min_confidence: report.min_confidence,
        }
    }
}

fn resolve(args: &ScanArgs) -> (ScanConfig, OutputConfig) {
    (scan_config(&args.paths, args.no_ignore, &args.read, &args.rules), OutputConfig::from_args(&args.report))
}

/// The resolved scan settings for `paths`.
pub(crate) fn scan_config(paths: &[PathBuf], no_ignore: bool, read: &ReadArgs, rules: &RuleArgs) -> ScanConfig {
    ScanConfig {
        paths: paths.to_vec(),
        no_ignore,
        scan_binary: read.scan_binary,
        max_file_size: read.max_file_size,
        threads: read.threads(),
        rules: rules.rules.clone(),
        progress: None,
    }
}

pub(crate) fn run(args: &ScanArgs) -> anyhow::Result<ExitStatus> {
    let (mut config, output) = resolve(args);
    let progress = Arc::new(Progress::new("files"));
    let display = Display::start(&progress, output.progress, output.quiet);
    config.progress = display.as_ref().map(|_| progress);
    let mut collected = collect(&config, &args.filter.resolve())?;
    drop(display);
    collected.suppress();
    collected.mark_context(&args.paths.iter().map(PathBuf::as_path).collect::<Vec<_>>());
    finish(collected.outcome, &collected.rules, &output, &args.validation)
}

/// A finished scan, not yet suppressed or reported.
pub(crate) struct Collected {
    /// What the scan found.
    pub(crate) outcome: ScanOutcome,
    /// The rules it ran.
    pub(crate) rules: Arc<RuleSet>,
    /// What may suppress its findings.
    pub(crate) suppressor: Suppressor,
}

impl Collected {
    /// Applies markers, configuration and baseline.
    pub(crate) fn suppress(&mut self) {
        self.suppressor.apply(&mut self.outcome, &self.rules);
    }

    /// Marks findings that sit only in tests, docs or examples (paths judged inside `roots`).
    pub(crate) fn mark_context(&mut self, roots: &[&std::path::Path]) {
        context::drop_illustrations(&mut self.outcome.findings, &self.rules, roots);
        context::mark(&mut self.outcome.findings, &self.rules, roots);
        context::mark(&mut self.outcome.suppressed, &self.rules, roots);
    }
}

/// Reads configuration and baseline, loads rules and scans `config.paths`.
pub(crate) fn collect(config: &ScanConfig, filter: &FilterConfig) -> anyhow::Result<Collected> {
    let mut setup = Setup::for_paths(&config.paths, filter)?;
    let configured = std::mem::take(&mut setup.rule_sources);
    let rules = Arc::new(RuleSet::load_with(&config.rules, configured, setup.builtin_rules)?);
    let matcher = Matcher::new(Arc::clone(&rules));
    let outcome = scan(config, &matcher);
    Ok(Collected { outcome, rules, suppressor: setup.suppressor })
}

/// The tail every scanning command shares: optional live validation, the report, the notices and
/// summary on stderr, and the exit status.
pub(crate) fn finish(
    mut outcome: ScanOutcome,
    rules: &RuleSet,
    output: &OutputConfig,
    validation: &super::validate::ValidationArgs,
) -> anyhow::Result<ExitStatus> {
    let summary = super::validate::check_findings(&mut outcome.findings, rules, validation)?;
    hide_below_confidence(&mut outcome, rules, output.min_confidence);
    write_report(&outcome, rules, output)?;
    if !output.quiet {
        print_notices_and_summary(&outcome)?;
        summary.as_ref().map(super::validate::print_summary).transpose()?;
    }
    Ok(exit_status(&outcome, output))
}

/// Drops the findings below `--min-confidence`, saying how many in a warning (nothing is hidden
/// silently).
fn hide_below_confidence(outcome: &mut ScanOutcome, rules: &RuleSet, min: Confidence) {
    let hidden = context::retain_confident(&mut outcome.findings, rules, min);
    if hidden > 0 {
        outcome.notices.push(Notice {
            level: NoticeLevel::Warning,
            path: None,
            message: format!("{hidden} finding(s) below --min-confidence {} not reported", min.as_str()),
        });
        outcome.notices.sort();
    }
}

pub(crate) fn write_report(outcome: &ScanOutcome, rules: &RuleSet, output: &OutputConfig) -> anyhow::Result<()> {
    let context = ReportContext { outcome, rules, show_secrets: output.show_secrets, color: output.color };
    if let Some(path) = &output.report_path {
        let file = std::fs::File::create(path).with_context(|| format!("cannot create report {}", path.display()))?;
        let mut out = std::io::BufWriter::new(file);
        report::emit(output.format, &context, &mut out)?;
        out.flush().with_context(|| format!("cannot write report {}", path.display()))?;
    } else {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        report::emit(output.format, &context, &mut out)?;
        out.flush()?;
    }
    Ok(())
}

pub(crate) fn exit_status(outcome: &ScanOutcome, output: &OutputConfig) -> ExitStatus {
    if outcome.incomplete() {
        ExitStatus::Error
    } else if outcome.findings.is_empty() {
        ExitStatus::Clean
    } else {
        ExitStatus::Findings(output.exit_code)
    }
}

pub(crate) fn print_notices_and_summary(outcome: &ScanOutcome) -> std::io::Result<()> {
    let mut err = std::io::stderr().lock();
    for notice in &outcome.notices {
        let path = notice.path.as_deref().map(escape_for_terminal).unwrap_or_default();
        let sep = if path.is_empty() { "" } else { ": " };
        writeln!(err, "leakhound: {}: {path}{sep}{}", notice.level.as_str(), escape_for_terminal(&notice.message))?;
    }
    writeln!(err, "leakhound: {}", report::summary_line(outcome))
}
