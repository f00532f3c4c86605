//! `leakhound explain PATH[:LINE]` or `explain REV:PATH[:LINE]`: why something on a line was or
//! was not reported.
//!
//! It runs the pipeline's own setup (configuration, baseline, rule selection) and reads the item
//! the way the scan does (UTF-16 decoded, binary content named), so it explains the bytes the
//! scan matched. Each keyword hit and each verdict is said once.
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
use crate::config::Config;
use crate::content::Position;
use crate::content::{self, TextView};
use crate::finding::{Finding, Location, Secret};
use crate::matcher::{Candidate, Verdict, context};
use crate::pipeline::{self, Target};
use crate::rules::RuleSet;
use crate::sanitize::escape_for_terminal;
use crate::suppress::Suppressor;

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
    suppressor: &mut Suppressor,
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
        image: None,
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
    let Some(why) = suppressor.suppression(rules, &finding, &location) else {
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

/// The bytes of the target: a file, or `REV:PATH` from the repository in the current directory.
#[allow(
    clippy::disallowed_methods,
    reason = "explain reads the one file the user names, whole, to show its lines"
)]
fn read_target(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(bytes),
        Err(e) => {
            let text = path.to_string_lossy();
            if let Some((rev, inner)) = text.split_once(':')
                && let Some(bytes) = read_blob(rev, inner)?
            {
                return Ok(bytes);
            }
            Err(e).with_context(|| format!("cannot read {}", path.display()))
        }
    }
}

#[cfg(feature = "git")]
fn read_blob(rev: &str, inner: &str) -> anyhow::Result<Option<Vec<u8>>> {
    use crate::config::repo::ConfigSource as _;
    let Ok(Some(files)) = crate::source::git::tree_files(std::path::Path::new("."), false, rev)
    else {
        return Ok(None);
    };
    files
        .read(inner)
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("cannot read {rev}:{inner}"))
}

#[cfg(not(feature = "git"))]
#[allow(
    clippy::unnecessary_wraps,
    reason = "the same signature as with the git feature, which can fail"
)]
fn read_blob(_: &str, _: &str) -> anyhow::Result<Option<Vec<u8>>> {
    Ok(None)
}

pub(crate) fn run(args: &ExplainArgs) -> anyhow::Result<ExitStatus> {
    let (path, line) = split_target(&args.target);
    let raw = read_target(&path)?;
    let target = Target::Paths(vec![PathBuf::from(".")]);
    let config = Config {
        rules: args.rules.rules.clone(),
        filter: args.filter.resolve(),
        ..Config::default()
    };
    let mut prepared = pipeline::prepare(&target, &config)?;
    let rules = Arc::clone(&prepared.rules);
    let mut out = std::io::stdout().lock();
    let bytes = match content::text_view(&raw) {
        TextView::Text(bytes) => bytes,
        TextView::Utf16(text) => {
            writeln!(
                out,
                "read as UTF-16 and decoded (line numbers are those of the decoded text), as the scan does"
            )?;
            std::borrow::Cow::Owned(text.into_bytes())
        }
        TextView::Binary => {
            writeln!(
                out,
                "this content looks binary: the scan skips it unless --scan-binary; explaining its bytes as they are"
            )?;
            std::borrow::Cow::Borrowed(raw.as_slice())
        }
    };
    let on_line = |offset: usize| line.is_none_or(|l| line_of(&bytes, offset) == l);
    let matcher = &prepared.matcher;
    let mut hits: Vec<(u64, String, String)> = matcher
        .keyword_hits(&bytes)
        .into_iter()
        .filter(|(_, span, _)| on_line(span.start))
        .map(|(keyword, span, triggered)| {
            (line_of(&bytes, span.start), keyword.to_ascii_lowercase(), triggered.join(", "))
        })
        .collect();
    hits.sort();
    hits.dedup();
    if hits.is_empty() {
        writeln!(out, "no keyword of any rule occurs there: no rule looked at it")?;
    }
    for (at, keyword, triggered) in &hits {
        writeln!(out, "keyword {keyword:?} at line {at} triggers {triggered}")?;
    }
    let mut reported = false;
    let mut said = std::collections::BTreeSet::new();
    for candidate in matcher.explain(&bytes).into_iter().filter(|c| on_line(c.found.secret.start)) {
        let rule = &rules.rules()[candidate.found.rule];
        let secret = Secret::new(candidate.found.secret_bytes(&bytes).to_vec());
        let decoded = candidate
            .found
            .layers()
            .map(|l| format!(" (decoded: {})", l.describe()))
            .unwrap_or_default();
        let shown = if args.show_secrets {
            String::from_utf8_lossy(secret.expose()).into_owned()
        } else {
            secret.redacted()
        };
        let floor = rule.spec.min_entropy.map_or_else(|| "none".to_string(), |m| format!("{m:.2}"));
        let verdict_line = format!(
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
        );
        if !said.insert(verdict_line.clone()) {
            continue;
        }
        writeln!(out, "{verdict_line}")?;
        let weak_here = weak_reported(&mut out, &candidate, rule.id(), secret.expose(), &path)?;
        if candidate.verdict == Verdict::Kept || weak_here {
            let suppressor = &mut prepared.suppressor;
            reported |= suppression_verdict(
                &mut out, suppressor, &rules, &path, &bytes, &candidate, secret,
            )?;
        }
    }
    if !hits.is_empty() && !reported {
        writeln!(
            out,
            "nothing is reported there (a triggered rule whose pattern did not match is not listed)"
        )?;
    }
    Ok(if reported { ExitStatus::Findings(1) } else { ExitStatus::Clean })
}

/// Whether the scan reports `candidate` as a weak password ([`Verdict::Weak`]) in the file at
/// `path` (in a credential file outside tests, docs and examples, or, for a connection URL, a
/// comparison or a credential constructor, anywhere outside them at low confidence:
/// `context::gate_weak`); says so when it does.
fn weak_reported(
    out: &mut impl Write,
    candidate: &Candidate,
    rule_id: &str,
    secret: &[u8],
    path: &std::path::Path,
) -> std::io::Result<bool> {
    let shown = path.to_string_lossy();
    if candidate.verdict != Verdict::Weak {
        return Ok(false);
    }
    let host = candidate.found.attributes.iter().find(|(k, _)| &**k == "host").map(|(_, v)| &**v);
    let in_code = context::weak_in_code(rule_id, secret, host);
    if context::weak_reported_at(&shown, false) {
        writeln!(
            out,
            "  {} is a credential file: the weak password is reported",
            escape_for_terminal(&shown)
        )?;
        Ok(true)
    } else if context::weak_reported_at(&shown, in_code) {
        writeln!(
            out,
            "  a weak password in a connection URL, comparison or constructor is reported (low confidence)"
        )?;
        Ok(true)
    } else {
        Ok(false)
    }
}
