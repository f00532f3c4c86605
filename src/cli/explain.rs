//! `leakhound explain PATH[:LINE]`: why something on a line was or was not reported.
//!
//! For every keyword the prefilter found on the line(s), the rules it triggered; for every
//! candidate a rule's pattern produced, its entropy and the verdict of each stage (entropy floor,
//! checks, placeholder and shape filters, precedence). A candidate found under a decoding layer
//! (base64, JSON string, percent-encoding) is shown at its encoded bytes' line with the layer.
//! Secrets are redacted unless `--show-secrets`.
//!
//! Every kept candidate then gets the suppression verdict the scan would give it: an inline
//! allow marker, the `.leakhound.toml` chain for the path (or `-c`), and `--baseline-path`.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Args;

use super::{FilterArgs, RuleArgs};
use crate::ExitStatus;
use crate::content::Position;
use crate::finding::{Finding, Location, Secret};
use crate::matcher::{Candidate, Matcher, Verdict};
use crate::rules::RuleSet;
use crate::sanitize::escape_for_terminal;
use crate::suppress::Setup;

/// Arguments of `leakhound explain`.
#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    /// The file, optionally with a line number: `config/app.yml:12`.
    #[arg(value_name = "PATH[:LINE]")]
    target: String,
    /// Show full secrets instead of redacted ones.
    #[arg(long)]
    show_secrets: bool,
    #[command(flatten)]
    rules: RuleArgs,
    #[command(flatten)]
    filter: FilterArgs,
}

/// Splits `PATH:LINE` (when what follows the last colon is a number and the whole is not a file).
fn split_target(target: &str) -> (PathBuf, Option<u64>) {
    if let Some((path, line)) = target.rsplit_once(':')
        && let Ok(line) = line.parse::<u64>()
        && !std::path::Path::new(target).exists()
    {
        return (PathBuf::from(path), Some(line));
    }
    (PathBuf::from(target), None)
}

/// Prints what the scan would do with a kept candidate; returns whether it would be reported.
fn suppression_verdict(
    out: &mut dyn Write,
    setup: &mut Setup,
    rules: &RuleSet,
    path: &std::path::Path,
    bytes: &[u8],
    candidate: &Candidate,
    secret: Secret,
) -> std::io::Result<bool> {
    let line = line_of(bytes, candidate.found.secret.start);
    let location = Location {
        path: crate::source::display_path(path),
        position: Position {
            line,
            column: 1,
            end_line: line,
            end_column: 1,
            offset: candidate.found.secret.start as u64,
        },
        git: None,
        marker: crate::marker::find(bytes, candidate.found.span.clone()),
        decoded: None,
    };
    let finding = Finding {
        rule: candidate.found.rule,
        rule_id: rules.rules()[candidate.found.rule].id().to_string(),
        secret,
        fingerprint: String::new(),
        attributes: std::collections::BTreeMap::new(),
        locations: Vec::new(),
        validation: None,
        confidence: None,
        suppressions: Vec::new(),
    };
    let Some(why) = setup.suppressor.suppression(rules, &finding, &location) else {
        writeln!(out, "  -> reported: no inline marker, configuration or baseline accepts it")?;
        return Ok(true);
    };
    writeln!(
        out,
        "  -> suppressed by {}: {} ({}:{}): kept in JSON/SARIF as suppressed",
        why.kind.as_str(),
        escape_for_terminal(&why.reason),
        escape_for_terminal(&why.file),
        why.line
    )?;
    Ok(false)
}

/// 1-based line number of byte `offset`.
fn line_of(bytes: &[u8], offset: usize) -> u64 {
    1 + memchr::memchr_iter(b'\n', &bytes[..offset.min(bytes.len())]).count() as u64
}

pub(crate) fn run(args: &ExplainArgs) -> anyhow::Result<ExitStatus> {
    let (path, line) = split_target(&args.target);
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut setup = Setup::for_paths(&[PathBuf::from(".")], &args.filter.resolve())?;
    let configured = std::mem::take(&mut setup.rule_sources);
    let rules = Arc::new(RuleSet::load_with(&args.rules.rules, configured, setup.builtin_rules)?);
    let matcher = Matcher::new(Arc::clone(&rules));
    let on_line = |offset: usize| line.is_none_or(|l| line_of(&bytes, offset) == l);
    let mut out = std::io::stdout().lock();
    let hits: Vec<_> = matcher.keyword_hits(&bytes).into_iter().filter(|(_, span, _)| on_line(span.start)).collect();
    if hits.is_empty() {
        writeln!(out, "no keyword of any rule occurs there: no rule looked at it")?;
    }
    for (keyword, span, triggered) in &hits {
        writeln!(out, "keyword {keyword:?} at line {} triggers {}", line_of(&bytes, span.start), triggered.join(", "))?;
    }
    let mut reported = false;
    for candidate in matcher.explain(&bytes).into_iter().filter(|c| on_line(c.found.secret.start)) {
        let rule = &rules.rules()[candidate.found.rule];
        let secret = Secret::new(candidate.found.secret_bytes(&bytes).to_vec());
        let decoded = candidate.found.layers().map(|l| format!(" (decoded: {})", l.describe())).unwrap_or_default();
        let shown =
            if args.show_secrets { String::from_utf8_lossy(secret.expose()).into_owned() } else { secret.redacted() };
        let floor = rule.spec.min_entropy.map_or_else(|| "none".to_string(), |m| format!("{m:.2}"));
        writeln!(
            out,
            "{} at line {}{decoded}: {} (entropy {:.2}, floor {floor}; checks: {}) -> {}",
            rule.id(),
            line_of(&bytes, candidate.found.secret.start),
            escape_for_terminal(&shown),
            candidate.entropy,
            if rule.spec.checks.is_empty() {
                "none".to_string()
            } else {
                rule.spec.checks.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")
            },
            candidate.verdict.describe(),
        )?;
        if candidate.verdict == Verdict::Kept {
            reported |= suppression_verdict(&mut out, &mut setup, &rules, &path, &bytes, &candidate, secret)?;
        }
    }
    if !hits.is_empty() && !reported {
        writeln!(out, "nothing is reported there (a triggered rule whose pattern did not match is not listed)")?;
    }
    Ok(if reported { ExitStatus::Findings(1) } else { ExitStatus::Clean })
}
