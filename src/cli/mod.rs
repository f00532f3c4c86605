//! The command line: clap definitions and one function per subcommand.
//!
//! Flags follow what gitleaks and Kingfisher users already type (DESIGN.md §7). Subcommand
//! functions call library facades only; they own printing to the terminal.

mod baseline;
mod config;
mod explain;
#[cfg(feature = "git")]
mod git;
mod rules;
mod scan;
mod validate;

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::ExitStatus;
use crate::config::{ColorChoice, parse_size};
use crate::report::ReportFormat;
use crate::rules::Confidence;

/// leakhound: find leaked credentials in files, directories and git history.
#[derive(Debug, Parser)]
#[command(name = "leakhound", version, about, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scan files and directories (`-` reads stdin).
    Scan(scan::ScanArgs),
    /// Scan git history (every object, reachable or not), the staged index, or a commit range.
    #[cfg(feature = "git")]
    Git(git::GitArgs),
    /// Write or prune a baseline of accepted findings.
    #[command(subcommand)]
    Baseline(baseline::BaselineCommand),
    /// Explain the configuration that applies to a path.
    #[command(subcommand)]
    Config(config::ConfigCommand),
    /// Explain what was or was not reported on a line, and why.
    Explain(explain::ExplainArgs),
    /// List, show and check detection rules.
    #[command(subcommand)]
    Rules(rules::RulesCommand),
    /// Check whether one secret, read from stdin, is live (exit 0 valid, 1 not, 2 unknown).
    Validate(validate::ValidateArgs),
}

/// Flags shared by every command that reports findings.
#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// Report format.
    #[arg(short = 'f', long = "report-format", alias = "format", value_enum, default_value_t = ReportFormat::Text)]
    format: ReportFormat,
    /// Write the report to FILE (`-` is stdout).
    #[arg(short = 'r', long = "report-path", alias = "output", short_alias = 'o', value_name = "FILE")]
    report_path: Option<PathBuf>,
    /// Show full secrets in reports (redacted by default).
    #[arg(long)]
    show_secrets: bool,
    /// Exit code when there are findings.
    #[arg(long, value_name = "N", default_value_t = 1)]
    exit_code: u8,
    /// Colour: auto (terminal, unless `NO_COLOR` is set), always or never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    color: ColorChoice,
    /// No summary or notices on stderr.
    #[arg(short, long)]
    quiet: bool,
    /// Progress line on stderr: auto (on a terminal), always or never; off with -q.
    #[arg(long, value_enum, default_value_t = crate::progress::ProgressChoice::Auto, value_name = "WHEN")]
    progress: crate::progress::ProgressChoice,
    /// Report only findings of at least this confidence: low, medium or high (findings only in
    /// tests, docs and examples are one step below their rule's); the rest are counted.
    #[arg(long, value_name = "LEVEL", value_parser = parse_confidence, default_value = "low")]
    min_confidence: Confidence,
}

fn parse_confidence(text: &str) -> Result<Confidence, String> {
    match text.to_ascii_lowercase().as_str() {
        "low" => Ok(Confidence::Low),
        "medium" => Ok(Confidence::Medium),
        "high" => Ok(Confidence::High),
        _ => Err(format!("expected low, medium or high, got {text:?}")),
    }
}

/// Flags that decide what suppresses findings (config, baseline, inline markers).
#[derive(Debug, Args)]
pub(crate) struct FilterArgs {
    /// Configuration file; replaces the `.leakhound.toml` at the scan root (nested ones still apply).
    #[arg(short = 'c', long = "config", env = "LEAKHOUND_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Ignore `.leakhound.toml` files in the scanned tree (a `-c` file still applies).
    #[arg(long)]
    no_repo_config: bool,
    /// Suppress the findings accepted in FILE: a leakhound baseline, a `.gitleaksignore` or a gitleaks JSON report.
    #[arg(long = "baseline-path", value_name = "FILE")]
    baseline_path: Option<PathBuf>,
    /// Ignore inline allow markers (`leakhound:allow`, `gitleaks:allow`, `pragma: allowlist secret`).
    #[arg(long)]
    no_inline_allow: bool,
}

impl FilterArgs {
    /// The resolved filter settings.
    fn resolve(&self) -> crate::config::FilterConfig {
        crate::config::FilterConfig {
            config: self.config.clone().filter(|p| !p.as_os_str().is_empty()),
            repo_config: !self.no_repo_config,
            baseline: self.baseline_path.clone(),
            inline_allow: !self.no_inline_allow,
        }
    }
}

/// Flags that choose rules.
#[derive(Debug, Args)]
pub(crate) struct RuleArgs {
    /// Add rules from a YAML file or a directory of them (repeatable).
    #[arg(long = "rules", value_name = "PATH")]
    rules: Vec<PathBuf>,
}

/// Flags that control how content is read, shared by `scan` and `git`.
#[derive(Debug, Args)]
pub(crate) struct ReadArgs {
    /// Scan files (or blobs) that look binary instead of skipping them.
    #[arg(long)]
    scan_binary: bool,
    /// Skip (and report) files or blobs larger than SIZE, e.g. 10M (default: no limit).
    #[arg(long, value_name = "SIZE", value_parser = parse_size_arg)]
    max_file_size: Option<u64>,
    /// Worker threads (default: available cores).
    #[arg(short = 'j', long = "threads", value_name = "N")]
    threads: Option<usize>,
}

impl ReadArgs {
    /// The worker count: the flag, or the available cores.
    fn threads(&self) -> usize {
        self.threads.unwrap_or_else(crate::config::default_threads).max(1)
    }
}

fn parse_size_arg(text: &str) -> Result<u64, String> {
    parse_size(text)
}

/// Parses `args` and runs the chosen subcommand.
pub(crate) fn run<I, T>(args: I) -> anyhow::Result<ExitStatus>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() { ExitStatus::Error } else { ExitStatus::Clean };
            err.print()?;
            return Ok(code);
        }
    };
    match cli.command {
        Command::Scan(args) => scan::run(&args),
        Command::Baseline(command) => baseline::run(&command),
        Command::Config(command) => config::run(&command),
        Command::Explain(args) => explain::run(&args),
        #[cfg(feature = "git")]
        Command::Git(args) => git::run(&args),
        Command::Rules(command) => rules::run(&command),
        Command::Validate(args) => validate::run(&args),
    }
}
