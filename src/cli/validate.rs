//! `leakhound validate --rule ID`: one secret from stdin (never from argv, where it would land in
//! shell history and process listings), checked live.

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::sync::Arc;

use anyhow::Context as _;
use clap::Args;

use super::{ConnectionArgs, RuleArgs};
use crate::ExitStatus;
use crate::content::{Position, Reader};
use crate::finding::{Collector, Finding, Location, Secret, fingerprint};
use crate::matcher::Matcher;
use crate::rules::RuleSet;
use crate::validate::{self, Timestamp, ValidationStatus, offline};

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
    let rule = rules
        .index_of(&args.rule)
        .with_context(|| format!("no rule {:?} (see `leakhound rules list`)", args.rule))?;
    let mut input = Vec::new();
    std::io::stdin()
        .take(STDIN_LIMIT)
        .read_to_end(&mut input)
        .context("cannot read the secret from stdin")?;
    let mut findings = findings_from(&rules, rule, &input);
    offline::annotate(&mut findings, &rules, Timestamp::now());
    validate::validate_findings(&mut findings, &rules, &args.connection.resolve())?;
    let validation = findings
        .iter()
        .find(|f| f.rule == rule)
        .and_then(|f| f.validation.clone())
        .context("no secret on stdin")?;
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
            image: None,
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
