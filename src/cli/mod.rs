//! The command line: clap definitions and one function per subcommand.
//!
//! Flags follow what gitleaks and Kingfisher users already type. Each subcommand file resolves
//! its flags (with the shared groups here) into the library's `Config` and `Target`, calls the
//! pipeline, and hands the result to [`deliver`], which writes the report, prints notices and the
//! summary, and maps the outcome to an exit status. No subcommand file imports another: what two
//! of them share lives here or in the library.

mod baseline;
mod config;
mod explain;
#[cfg(feature = "git")]
mod git;
mod hook;
mod image;
mod merge;
#[cfg(feature = "git")]
mod repos;
mod rules;
mod scan;
mod serve;
#[cfg(feature = "git")]
mod trace;
mod validate;

use std::ffi::OsString;
use std::path::PathBuf;

use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};

use crate::ExitStatus;
use crate::config::{
    ColorChoice, Config, FilterConfig, OutputConfig, ProgressChoice, ReadConfig, ValidationChoice,
    parse_size,
};
use crate::outcome::{Observer, ScanOutcome};
use crate::pipeline::{self, Scanned, Target};
use crate::progress::{Display, Progress};
use crate::report::{self, ReportContext, ReportFormat};
use crate::rules::{Confidence, RuleSet};
use crate::sanitize::escape_for_terminal;
use crate::validate::{EndpointOverride, ValidationConfig};

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
    /// Scan a container image: a `docker save` tarball or an OCI layout (every layer and the
    /// config).
    Image(image::ImageArgs),
    /// Write or prune a baseline of accepted findings.
    #[command(subcommand)]
    Baseline(baseline::BaselineCommand),
    /// Explain the configuration that applies to a path.
    #[command(subcommand)]
    Config(config::ConfigCommand),
    /// Explain what was or was not reported on a line, and why.
    Explain(explain::ExplainArgs),
    /// The exposure timeline of one secret: where and when it entered, which refs and tags hold
    /// it, where it was removed.
    #[cfg(feature = "git")]
    Trace(trace::TraceArgs),
    /// List, show and check detection rules.
    #[command(subcommand)]
    Rules(rules::RulesCommand),
    /// Scan the history of many repositories (a list of paths or clone URLs, or a directory of
    /// repositories) into one report.
    #[cfg(feature = "git")]
    Repos(repos::ReposArgs),
    /// Work with reports: merge the shards of a `git --shard I/N` scan.
    #[command(subcommand)]
    Report(merge::ReportCommand),
    /// Check whether one secret, read from stdin, is live (exit 0 valid, 1 not, 2 unknown).
    Validate(validate::ValidateArgs),
    /// Answer newline-delimited JSON scan requests on stdin, one response line each, rules compiled once.
    Serve(serve::ServeArgs),
    /// Agent hook: read a Claude Code, Cursor or generic hook payload on stdin, allow or block.
    Hook(hook::HookArgs),
}

/// Flags shared by every command that reports findings.
#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// Report format.
    #[arg(short = 'f', long = "report-format", alias = "format", value_enum, default_value_t = ReportFormat::Text)]
    format: ReportFormat,
    /// Write the report to FILE (`-` is stdout).
    #[arg(
        short = 'r',
        long = "report-path",
        alias = "output",
        short_alias = 'o',
        value_name = "FILE"
    )]
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
    #[arg(long, value_enum, default_value_t = ProgressChoice::Auto, value_name = "WHEN")]
    progress: ProgressChoice,
}

impl ReportArgs {
    /// The resolved output settings.
    fn resolve(&self) -> OutputConfig {
        let to_stdout = self.report_path.as_ref().is_none_or(|p| p.as_os_str() == "-");
        OutputConfig {
            format: self.format,
            report_path: self.report_path.clone().filter(|p| p.as_os_str() != "-"),
            show_secrets: self.show_secrets,
            exit_code: self.exit_code,
            color: self.color.resolve(to_stdout),
            quiet: self.quiet,
            progress: self.progress,
        }
    }
}

/// Flags that decide what suppresses findings (config, baseline, inline markers).
#[derive(Debug, Args)]
pub(crate) struct FilterArgs {
    /// Configuration file; replaces the `.leakhound.toml` at the scan root (nested ones still apply).
    #[arg(short = 'c', long = "config", env = "LEAKHOUND_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Ignore `.leakhound.toml` files and the root's `.leakhound-baseline` in the scanned tree (a
    /// `-c` file and `--baseline-path` still apply).
    #[arg(long)]
    no_repo_config: bool,
    /// Suppress the findings accepted in FILE: a leakhound baseline, a `.gitleaksignore` or a gitleaks
    /// JSON report (default: the scan root's `.leakhound-baseline`, if there is one).
    #[arg(long = "baseline-path", value_name = "FILE")]
    baseline_path: Option<PathBuf>,
    /// Ignore inline allow markers (`leakhound:allow`, `gitleaks:allow`, `pragma: allowlist secret`).
    #[arg(long)]
    no_inline_allow: bool,
    /// Report only findings of at least this confidence: low, medium or high (findings only in
    /// tests, docs, examples and vendored code are one step below their rule's); the rest are counted.
    #[arg(long, value_name = "LEVEL", value_parser = parse_confidence)]
    min_confidence: Option<Confidence>,
    /// Audit mode for a repository you do not trust: ignore everything it supplies (`.leakhound.toml`
    /// files, ignore files, inline allow markers); the coverage record says so.
    #[arg(long)]
    strict: bool,
}

fn parse_confidence(text: &str) -> Result<Confidence, String> {
    match text.to_ascii_lowercase().as_str() {
        "low" => Ok(Confidence::Low),
        "medium" => Ok(Confidence::Medium),
        "high" => Ok(Confidence::High),
        _ => Err(format!("expected low, medium or high, got {text:?}")),
    }
}

impl FilterArgs {
    /// The resolved filter settings.
    fn resolve(&self) -> crate::config::FilterConfig {
        crate::config::FilterConfig {
            config: self.config.clone().filter(|p| !p.as_os_str().is_empty()),
            repo_config: !self.no_repo_config && !self.strict,
            baseline: self.baseline_path.clone(),
            root_baseline: !self.no_repo_config && !self.strict,
            inline_allow: !self.no_inline_allow && !self.strict,
            min_confidence: self.min_confidence,
            strict: self.strict,
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
    /// Skip binary files instead of scanning their printable runs (as `strings` would).
    #[arg(long)]
    no_binary_strings: bool,
    /// Read archives (zip, jar, tar, gzip, ...) as plain binary items instead of opening them.
    #[arg(long)]
    no_archives: bool,
    /// Open archives nested up to N levels deep (the outermost is level 1).
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=16))]
    archive_depth: u32,
    /// Stop expanding an archive after SIZE uncompressed bytes, e.g. 256M (reported).
    #[arg(long, value_name = "SIZE", default_value = "256M", value_parser = parse_size_arg)]
    max_archive_size: u64,
}

impl ReadArgs {
    /// The resolved read settings; `no_ignore` comes from the commands that walk directories.
    fn resolve(&self, no_ignore: bool) -> ReadConfig {
        ReadConfig {
            scan_binary: self.scan_binary,
            max_file_size: self.max_file_size,
            threads: self.threads.unwrap_or_else(crate::config::default_threads).max(1),
            no_ignore,
            binary_strings: !self.no_binary_strings,
            archives: self.archives(),
        }
    }

    /// Archive bounds: the flags over the defaults; `None` with `--no-archives`.
    fn archives(&self) -> Option<crate::source::archive::Limits> {
        let limits = crate::source::archive::Limits {
            max_depth: self.archive_depth,
            max_archive_bytes: self.max_archive_size,
            ..crate::source::archive::Limits::default()
        };
        (!self.no_archives).then_some(limits)
    }
}

/// Flags of `--validate` (flattened into every command that reports findings).
#[derive(Debug, Args)]
pub(crate) struct ValidationArgs {
    /// Check whether found credentials are live by asking their providers (off by default).
    #[arg(long)]
    validate: bool,
    /// Report only credentials confirmed live (implies --validate).
    #[arg(long)]
    only_valid: bool,
    #[command(flatten)]
    connection: ConnectionArgs,
}

impl ValidationArgs {
    fn resolve(&self) -> ValidationChoice {
        ValidationChoice {
            validate: self.validate,
            only_valid: self.only_valid,
            connection: self.connection.resolve(),
        }
    }
}

/// How validation requests are sent.
#[derive(Debug, Args)]
pub(crate) struct ConnectionArgs {
    /// Append a JSONL ledger: time, rule, fingerprint, host and outcome of every credential sent
    /// to a provider (never the secret).
    #[arg(long, value_name = "FILE")]
    validation_ledger: Option<PathBuf>,
    /// Send requests meant for provider HOST to URL instead (repeatable), e.g.
    /// `api.github.com=https://ghe.example.com/api/v3`. The endpoint is trusted (the private-address
    /// guard does not apply); plain http:// only to loopback.
    #[arg(long, value_name = "HOST=URL")]
    validation_endpoint: Vec<EndpointOverride>,
    /// Allow provider hosts that resolve to private, loopback, link-local, CGNAT or multicast
    /// addresses.
    #[arg(long)]
    allow_internal_ips: bool,
    /// Seconds before one validation request times out.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    validation_timeout: u64,
    /// Validation requests in flight at once.
    #[arg(long, value_name = "N", default_value_t = 8)]
    validation_concurrency: usize,
    /// Validation requests per second to any one host.
    #[arg(long, value_name = "N", default_value_t = 5)]
    validation_rate: u32,
    /// Retries after a 429, a 5xx, a timeout or a network error (waits are bounded).
    #[arg(long, value_name = "N", default_value_t = 2)]
    validation_retries: u32,
}

impl ConnectionArgs {
    /// The resolved connection settings.
    fn resolve(&self) -> ValidationConfig {
        ValidationConfig {
            concurrency: self.validation_concurrency.max(1),
            rate_per_host: self.validation_rate,
            timeout: Duration::from_secs(self.validation_timeout.max(1)),
            retries: self.validation_retries,
            endpoints: self.validation_endpoint.clone(),
            allow_internal_ips: self.allow_internal_ips,
            ledger: self.validation_ledger.clone(),
            ..ValidationConfig::default()
        }
    }
}

/// The one `Config` of a run, from the shared flag groups.
fn resolve_config(
    read: &ReadArgs,
    no_ignore: bool,
    rules: &RuleArgs,
    filter: &FilterConfig,
    validation: Option<&ValidationArgs>,
    allow_external_objects: bool,
) -> Config {
    Config {
        read: read.resolve(no_ignore),
        rules: rules.rules.clone(),
        filter: filter.clone(),
        validation: validation.map(ValidationArgs::resolve).unwrap_or_default(),
        allow_external_objects,
        allow_missing_objects: false,
        git_cache: crate::config::GitCache::Off,
        shard: None,
    }
}

/// Runs the pipeline with a progress line when `output` asks for one.
fn run_pipeline(
    target: &Target,
    config: &Config,
    output: &OutputConfig,
    unit: &'static str,
) -> anyhow::Result<Scanned> {
    check_report_path(output)?;
    let progress = Arc::new(Progress::new(unit));
    let display = Display::start(&progress, output.progress, output.quiet);
    let observer: Option<Arc<dyn Observer>> =
        display.as_ref().map(|_| progress as Arc<dyn Observer>);
    let scanned = pipeline::run(target, config, observer.as_ref());
    drop(display);
    Ok(scanned?)
}

/// The tail of every scanning command: the report, the notices and summary on stderr, and the
/// exit status.
///
/// The process ends right after, so the scan's rules and findings are not freed one by one:
/// dropping a thousand rules was 7% of the instructions of a scan of an empty directory.
fn deliver(scanned: Scanned, output: &OutputConfig) -> anyhow::Result<ExitStatus> {
    write_report(&scanned.outcome, &scanned.rules, output)?;
    if !output.quiet {
        print_notices_and_summary(&scanned.outcome)?;
        if let Some(summary) = &scanned.validation {
            writeln!(std::io::stderr().lock(), "leakhound: {}", summary.describe())?;
        }
    }
    let status = exit_status(&scanned.outcome, output.exit_code);
    std::mem::forget(scanned);
    Ok(status)
}

/// Fails before the scan when the `-r` report file cannot be written (see
/// [`report::check_destination`]): a typo must not cost a long history scan.
fn check_report_path(output: &OutputConfig) -> anyhow::Result<()> {
    let Some(path) = &output.report_path else { return Ok(()) };
    report::check_destination(path)
        .with_context(|| format!("cannot write report {}", path.display()))
}

fn write_report(
    outcome: &ScanOutcome,
    rules: &RuleSet,
    output: &OutputConfig,
) -> anyhow::Result<()> {
    let context =
        ReportContext { outcome, rules, show_secrets: output.show_secrets, color: output.color };
    if let Some(path) = &output.report_path {
        let file = report::output::open_report(path)
            .with_context(|| format!("cannot create report {}", path.display()))?;
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

/// Errors (anything not read) win over findings, so a scan never looks merely dirty when it was
/// incomplete.
fn exit_status(outcome: &ScanOutcome, findings_code: u8) -> ExitStatus {
    if outcome.incomplete() {
        ExitStatus::Error
    } else if outcome.findings.is_empty() {
        ExitStatus::Clean
    } else {
        ExitStatus::Findings(findings_code)
    }
}

fn print_notices_and_summary(outcome: &ScanOutcome) -> std::io::Result<()> {
    let mut err = std::io::stderr().lock();
    for notice in &outcome.notices {
        let path = notice.path().map(escape_for_terminal).unwrap_or_default();
        let sep = if path.is_empty() { "" } else { ": " };
        writeln!(
            err,
            "leakhound: {}: {path}{sep}{}",
            notice.level.as_str(),
            escape_for_terminal(&notice.message)
        )?;
    }
    writeln!(err, "leakhound: {}", report::summary_line(outcome))
}

/// `I/N` or `auto/N`, with `env` the environment.
#[cfg(feature = "git")]
pub(crate) fn parse_shard(
    spec: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<crate::outcome::Shard> {
    let Some((index, count)) = spec.split_once('/') else {
        anyhow::bail!("--shard takes I/N or auto/N, got {spec:?}");
    };
    let count: u32 = match count.trim().parse() {
        Ok(n) if n >= 1 => n,
        _ => anyhow::bail!("--shard {spec:?}: N must be a whole number of at least 1"),
    };
    let index: u32 = if index.trim() == "auto" {
        if let Some(i) = env("JOB_COMPLETION_INDEX") {
            i.trim()
                .parse()
                .with_context(|| format!("JOB_COMPLETION_INDEX={i:?} is not a number"))?
        } else if let Some(i) = env("CI_NODE_INDEX") {
            let one_based: u32 =
                i.trim().parse().with_context(|| format!("CI_NODE_INDEX={i:?} is not a number"))?;
            one_based.checked_sub(1).context("CI_NODE_INDEX starts at 1")?
        } else {
            anyhow::bail!("--shard auto/N: neither JOB_COMPLETION_INDEX nor CI_NODE_INDEX is set");
        }
    } else {
        index.trim().parse().with_context(|| format!("--shard {spec:?}: I is not a number"))?
    };
    if index >= count {
        anyhow::bail!(
            "--shard {spec:?}: the index {index} must be below N = {count} (shards count from 0)"
        );
    }
    Ok(crate::outcome::Shard { index, count })
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
        Command::Report(command) => merge::run(&command),
        #[cfg(feature = "git")]
        Command::Repos(args) => repos::run(&args),
        #[cfg(feature = "git")]
        Command::Trace(args) => trace::run(&args),
        Command::Validate(args) => validate::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Hook(args) => hook::run(&args),
        Command::Image(args) => image::run(&args),
    }
}

#[cfg(all(test, feature = "git"))]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_from_flags_and_engines() {
        let none = |_: &str| None;
        assert_eq!(
            parse_shard("1/3", &none).unwrap(),
            crate::outcome::Shard { index: 1, count: 3 }
        );
        assert!(parse_shard("3/3", &none).is_err());
        assert!(parse_shard("0/0", &none).is_err());
        assert!(parse_shard("x/2", &none).is_err());
        assert!(parse_shard("auto/2", &none).is_err());
        let k8s = |name: &str| (name == "JOB_COMPLETION_INDEX").then(|| "1".to_string());
        assert_eq!(
            parse_shard("auto/2", &k8s).unwrap(),
            crate::outcome::Shard { index: 1, count: 2 }
        );
        let gitlab = |name: &str| (name == "CI_NODE_INDEX").then(|| "2".to_string());
        assert_eq!(
            parse_shard("auto/2", &gitlab).unwrap(),
            crate::outcome::Shard { index: 1, count: 2 }
        );
    }
}
