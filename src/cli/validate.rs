//! Validation flags shared by every command that reports findings, the step that applies them,
//! and `leakhound validate --rule ID` (one secret from stdin, never from argv, where it would
//! land in shell history and process listings).

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;

use super::RuleArgs;
use crate::ExitStatus;
use crate::content::{Position, Reader};
use crate::finding::{Collector, Finding, Location, Secret, fingerprint};
use crate::matcher::Matcher;
use crate::rules::RuleSet;
use crate::validate::{
    self, EndpointOverride, Timestamp, ValidationConfig, ValidationStatus, ValidationSummary, offline,
};

/// Flags of `--validate` (flattened into `scan`, and into any command that reports findings).
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

/// Runs the offline checks, then (when asked) live validation and `--only-valid`.
pub(crate) fn check_findings(
    findings: &mut Vec<Finding>,
    rules: &RuleSet,
    args: &ValidationArgs,
) -> anyhow::Result<Option<ValidationSummary>> {
    offline::annotate(findings, rules, Timestamp::now());
    if !args.validate && !args.only_valid {
        return Ok(None);
    }
    let summary = validate::validate_findings(findings, rules, &args.connection.resolve())?;
    if args.only_valid {
        findings.retain(|f| f.validation.as_ref().is_some_and(|v| v.status == ValidationStatus::Valid));
    }
    Ok(Some(summary))
}

/// Arguments of `leakhound validate`.
#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    /// The rule the secret belongs to, e.g. `github.pat.classic`. The secret itself is read from
    /// stdin (with any other parts of the credential, e.g. the AWS key id, on other lines).
    #[arg(long, value_name = "ID")]
    rule: String,
    #[command(flatten)]
    rules: RuleArgs,
    #[command(flatten)]
    connection: ConnectionArgs,
}

/// The most of stdin `validate` reads.
const STDIN_LIMIT: u64 = 1 << 20;

/// `leakhound validate --rule ID`: prints the status; exits 0 when valid, 1 when invalid, revoked
/// or expired, 2 when unknown.
pub(crate) fn run(args: &ValidateArgs) -> anyhow::Result<ExitStatus> {
    let rules = Arc::new(RuleSet::load(&args.rules.rules)?);
    let rule =
        rules.index_of(&args.rule).with_context(|| format!("no rule {:?} (see `leakhound rules list`)", args.rule))?;
    let mut input = Vec::new();
    std::io::stdin().take(STDIN_LIMIT).read_to_end(&mut input).context("cannot read the secret from stdin")?;
    let mut findings = findings_from(&rules, rule, &input);
    offline::annotate(&mut findings, &rules, Timestamp::now());
    validate::validate_findings(&mut findings, &rules, &args.connection.resolve())?;
    let validation =
        findings.iter().find(|f| f.rule == rule).and_then(|f| f.validation.clone()).context("no secret on stdin")?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", validation.describe())?;
    Ok(match validation.status {
        ValidationStatus::Valid => ExitStatus::Clean,
        ValidationStatus::Unknown => ExitStatus::Error,
        _ => ExitStatus::Findings(1),
    })
}

/// The findings in `input` (so named parts and companions are found as in a scan); if the rule
/// does not match, the whole trimmed input is taken as its secret.
fn findings_from(rules: &Arc<RuleSet>, rule: usize, input: &[u8]) -> Vec<Finding> {
    let matcher = Matcher::new(Arc::clone(rules));
    let mut located = Vec::new();
    Reader::new(&matcher).scan_bytes(&matcher, input, &mut located);
    let mut collector = Collector::new();
    for found in located {
        collector.add(rules, "<stdin>", found);
    }
    let mut findings = collector.finish();
    if !findings.iter().any(|f| f.rule == rule) {
        let secret = input.trim_ascii().to_vec();
        if !secret.is_empty() {
            findings.push(bare_finding(rules, rule, secret));
        }
    }
    findings
}

/// A finding of `rule` for a secret given as is, at `<stdin>:1`.
fn bare_finding(rules: &RuleSet, rule: usize, secret: Vec<u8>) -> Finding {
    let rule_id = rules.rules()[rule].id().to_string();
    Finding {
        rule,
        fingerprint: fingerprint(&rule_id, &secret),
        rule_id,
        secret: Secret::new(secret),
        attributes: BTreeMap::new(),
        locations: vec![Location {
            git: None,
            marker: None,
            decoded: None,
            path: "<stdin>".into(),
            position: Position { line: 1, column: 1, end_line: 1, end_column: 1, offset: 0 },
        }],
        validation: None,
        confidence: None,
        suppressions: Vec::new(),
    }
}

/// Prints the validation summary line on stderr.
pub(crate) fn print_summary(summary: &ValidationSummary) -> std::io::Result<()> {
    writeln!(std::io::stderr().lock(), "leakhound: {}", summary.describe())
}
