//! `leakhound repos LIST`: the history of many repositories, one report.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Args;

use super::{ReportArgs, RuleArgs, parse_confidence, parse_size_arg};
use crate::ExitStatus;
use crate::config::{Config, FilterConfig};
use crate::fleet::{self, FleetConfig};
use crate::pipeline;
use crate::rules::Confidence;

/// Arguments of `leakhound repos`.
#[derive(Debug, Args)]
pub(crate) struct ReposArgs {
    /// A file with one local path or clone URL per line (`#` comments), or a directory whose
    /// subdirectories are repositories.
    #[arg(value_name = "LIST")]
    list: PathBuf,
    /// Repositories scanned at once (each clone is deleted when its scan ends, so at most N
    /// clones are on disk).
    #[arg(short = 'j', long = "jobs", value_name = "N", default_value_t = 2)]
    jobs: usize,
    /// Seconds one repository may take (refs, clone and scan); then it is stopped and recorded
    /// as failed.
    #[arg(long, value_name = "SECS", default_value_t = 3600)]
    timeout: u64,
    /// Where clones are made (a temporary directory each); default: the system's.
    #[arg(long, value_name = "DIR")]
    work_dir: Option<PathBuf>,
    /// Keep each repository's refs and last report in DIR; a rerun reuses the report of a
    /// repository whose refs, rules and flags are unchanged, without cloning it.
    #[arg(long, value_name = "DIR")]
    state: Option<PathBuf>,
    /// Keep each repository's incremental history cache in DIR, named after its source: a
    /// repository that changed is cloned again, but only blobs not seen before are matched.
    #[arg(long, value_name = "DIR")]
    cache: Option<PathBuf>,
    /// Scan only shard I of N (0-based) of the list (split by a hash of each entry); `auto/N`
    /// as for `git --shard`.
    #[arg(long, env = "LEAKHOUND_SHARD", value_name = "I/N")]
    shard: Option<String>,
    /// Worker threads of each repository's scan.
    #[arg(long, value_name = "N")]
    scan_threads: Option<usize>,
    /// Skip (and report) blobs larger than SIZE, e.g. 10M.
    #[arg(long, value_name = "SIZE", value_parser = parse_size_arg)]
    max_file_size: Option<u64>,
    /// Report only findings of at least this confidence: low, medium or high.
    #[arg(long, value_name = "LEVEL", value_parser = parse_confidence)]
    min_confidence: Option<Confidence>,
    /// Ignore everything the repositories supply (configuration, inline allow markers).
    #[arg(long)]
    strict: bool,
    /// Ignore the repositories' `.leakhound.toml` and baseline files.
    #[arg(long)]
    no_repo_config: bool,
    /// Accept missing history (shallow or partial clones) with a warning.
    #[arg(long)]
    allow_missing_objects: bool,
    #[command(flatten)]
    rules: RuleArgs,
    #[command(flatten)]
    report: ReportArgs,
}

pub(crate) fn run(args: &ReposArgs) -> anyhow::Result<ExitStatus> {
    let started = Instant::now();
    let output = args.report.resolve();
    anyhow::ensure!(
        !output.show_secrets,
        "repos reports are always redacted (each repository's report is combined from its JSON)"
    );
    super::check_report_path(&output)?;
    let shard = args
        .shard
        .as_deref()
        .map(|spec| super::parse_shard(spec, &|name| std::env::var(name).ok()))
        .transpose()?;
    let sources = fleet::read_list(&args.list)
        .with_context(|| format!("cannot read the list {}", args.list.display()))?;
    let sources: Vec<_> =
        sources.into_iter().filter(|s| fleet::in_shard(&s.shown(), shard)).collect();
    let mut scan_args: Vec<String> = Vec::new();
    for rules in &args.rules.rules {
        scan_args.push("--rules".into());
        scan_args.push(std::path::absolute(rules)?.display().to_string());
    }
    if let Some(size) = args.max_file_size {
        scan_args.extend(["--max-file-size".into(), size.to_string()]);
    }
    if let Some(threads) = args.scan_threads {
        scan_args.extend(["-j".into(), threads.to_string()]);
    }
    if let Some(level) = args.min_confidence {
        scan_args.extend(["--min-confidence".into(), level.as_str().into()]);
    }
    for (on, flag) in [
        (args.strict, "--strict"),
        (args.no_repo_config, "--no-repo-config"),
        (args.allow_missing_objects, "--allow-missing-objects"),
    ] {
        if on {
            scan_args.push(flag.into());
        }
    }
    let rules_digest = pipeline::ruleset_digest(&args.rules.rules)?;
    let settings = format!("{rules_digest} {}", scan_args.join(" "));
    let config = FleetConfig {
        exe: std::env::current_exe().context("cannot find the leakhound binary")?,
        jobs: args.jobs.max(1),
        timeout: Duration::from_secs(args.timeout.max(1)),
        work: args.work_dir.clone(),
        state: args.state.clone(),
        scan_args,
        settings,
        cache: args.cache.as_ref().map(std::path::absolute).transpose()?,
    };
    let scans = fleet::scan_all(&sources, &config);
    let run = Config {
        rules: args.rules.rules.clone(),
        filter: FilterConfig {
            min_confidence: args.min_confidence,
            strict: args.strict,
            ..FilterConfig::default()
        },
        ..Config::default()
    };
    let scanned = pipeline::combine(scans, &run, started.elapsed())?;
    super::deliver(scanned, &output)
}
