//! Reports: one emitter per output format behind one trait (STYLE.md, after ruff).
//!
//! Every emitter writes to `&mut dyn Write` and gets the same [`ReportContext`]. Secrets are
//! redacted unless the context says `show_secrets`. Findings go to the report; the summary and
//! notices also go to stderr (written by the CLI), so a piped report stays machine-readable.

mod csv;
mod github;
mod gitlab;
mod html;
mod json;
#[cfg(test)]
mod kitchen_sink;
pub(crate) mod merge;
pub(crate) mod output;
mod sarif;
mod text;

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::finding::Finding;
use crate::outcome::ScanOutcome;
use crate::priority::{self, Priority};
use crate::rules::{RuleSet, RuleSpec};
use crate::sanitize::JsonBidiEscaper;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// Human-readable text.
    Text,
    /// One JSON document.
    Json,
    /// One JSON object per line: findings, then notices.
    Jsonl,
    /// SARIF 2.1.0 (GitHub code scanning).
    Sarif,
    /// GitLab secret-detection report (schema 15.2.5).
    Gitlab,
    /// CSV, one row per location (RFC 4180, formula-safe).
    Csv,
    /// GitHub Actions annotations (`::error file=...::...`).
    Github,
    /// One self-contained HTML file: summary, coverage, findings to sort and filter (offline).
    Html,
}

/// Everything an emitter needs.
#[derive(Debug, Clone, Copy)]
pub struct ReportContext<'a> {
    /// The scan's results.
    pub outcome: &'a ScanOutcome,
    /// The rules the findings refer to.
    pub rules: &'a RuleSet,
    /// Show full secrets.
    pub show_secrets: bool,
    /// Colour (text only).
    pub color: bool,
}

impl<'a> ReportContext<'a> {
    /// The rule a finding belongs to.
    pub fn spec(&self, finding: &Finding) -> &'a RuleSpec {
        &self.rules.rules()[finding.rule].spec
    }

    /// The finding's priority now.
    pub fn priority(&self, finding: &Finding) -> Priority {
        priority::assess(finding, self.spec(finding), now())
    }

    /// Active findings with their priority, highest first (ties keep the scan's order).
    pub fn ranked(&self) -> Vec<(&'a Finding, Priority)> {
        let now = now();
        let mut ranked: Vec<(&'a Finding, Priority)> = self
            .outcome
            .findings
            .iter()
            .map(|f| (f, priority::assess(f, self.spec(f), now)))
            .collect();
        ranked.sort_by_key(|(_, priority)| std::cmp::Reverse(priority.score));
        ranked
    }

    /// The secret as it should appear in this report.
    pub fn secret_text(&self, finding: &Finding) -> String {
        if self.show_secrets {
            String::from_utf8_lossy(finding.secret.expose()).into_owned()
        } else {
            finding.secret.redacted()
        }
    }
}

/// The current time in Unix seconds (priority's age), 0 if the clock is before 1970.
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A report format.
pub(crate) trait Emitter {
    /// Writes the whole report.
    fn emit(&self, context: &ReportContext<'_>, out: &mut dyn Write) -> io::Result<()>;
}

/// Writes the report in `format`.
pub fn emit(
    format: ReportFormat,
    context: &ReportContext<'_>,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        ReportFormat::Text => text::TextEmitter.emit(context, out),
        ReportFormat::Json => json_escaped(&json::JsonEmitter { lines: false }, context, out),
        ReportFormat::Jsonl => json_escaped(&json::JsonEmitter { lines: true }, context, out),
        ReportFormat::Sarif => json_escaped(&sarif::SarifEmitter, context, out),
        ReportFormat::Gitlab => json_escaped(&gitlab::GitlabEmitter, context, out),
        ReportFormat::Csv => csv::CsvEmitter.emit(context, out),
        ReportFormat::Github => github::GithubEmitter.emit(context, out),
        ReportFormat::Html => html::HtmlEmitter.emit(context, out),
    }
}

/// Runs a JSON emitter through [`JsonBidiEscaper`]: bidi controls in strings become `\uXXXX`.
fn json_escaped(
    emitter: &dyn Emitter,
    context: &ReportContext<'_>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut escaped = JsonBidiEscaper::new(out);
    emitter.emit(context, &mut escaped)?;
    escaped.flush()
}

/// Checks, before any scanning, that a report can be written to `path` (`-r FILE`): a path that
/// cannot be written would otherwise fail only after the whole scan (a long history scan lost).
/// The same rules as writing it ([`output::open_report`]: no symlink followed, no FIFO), and
/// nothing truncated or left behind.
pub(crate) fn check_destination(path: &std::path::Path) -> Result<(), output::OutputError> {
    output::check_report(path)
}

/// One line that names only what is not zero: `2 findings at 3 locations; 14 items, 1.2 KiB in
/// 0.01 s; skipped 1 binary; 1 error (results are INCOMPLETE)`.
pub(crate) fn summary_line(outcome: &ScanOutcome) -> String {
    let s = &outcome.stats;
    let locations: usize = outcome.findings.iter().map(|f| f.locations.len()).sum();
    let mut line = count(outcome.findings.len() as u64, "finding", "findings");
    if locations > outcome.findings.len() {
        let _ = write!(line, " at {locations} locations");
    }
    line.push_str(&suppressed_note(outcome));
    let read = count(s.items_scanned, "item", "items");
    let _ = write!(
        line,
        "; {read}, {} in {:.2} s",
        human_bytes(s.bytes_scanned),
        s.duration.as_secs_f64()
    );
    let skipped: Vec<String> = [
        (s.skipped_binary, "binary", "binary"),
        (s.skipped_too_large, "over --max-file-size", "over --max-file-size"),
        (s.skipped_symlinks, "symlink", "symlinks"),
        (s.skipped_special, "special file", "special files"),
        (s.skipped_ignored, "ignored", "ignored"),
    ]
    .into_iter()
    .filter(|(n, _, _)| *n > 0)
    .map(|(n, one, many)| count(n, one, many))
    .collect();
    if !skipped.is_empty() {
        let _ = write!(line, "; skipped {}", skipped.join(", "));
    }
    if let Some(cache) = outcome.coverage.cache.as_ref().filter(|c| c.used) {
        let _ = write!(line, "; {} from the history cache", count(cache.served, "blob", "blobs"));
    }
    if s.errors > 0 {
        let _ = write!(line, "; {}", count(s.errors, "error", "errors"));
    }
    if outcome.incomplete() {
        line.push_str(" (results are INCOMPLETE)");
    }
    line
}

/// `1 finding`, `3 findings`.
fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `, N suppressed (M by config, ...)` when anything was suppressed.
fn suppressed_note(outcome: &ScanOutcome) -> String {
    use crate::finding::SuppressionKind;
    if outcome.suppressed.is_empty() {
        return String::new();
    }
    let mut counts = std::collections::BTreeMap::<SuppressionKind, usize>::new();
    for finding in &outcome.suppressed {
        for kind in
            finding.suppressions.iter().map(|s| s.kind).collect::<std::collections::BTreeSet<_>>()
        {
            *counts.entry(kind).or_default() += 1;
        }
    }
    let parts: Vec<String> =
        counts.iter().map(|(kind, n)| format!("{n} by {}", kind.as_str())).collect();
    format!(", {} suppressed ({})", outcome.suppressed.len(), parts.join(", "))
}

pub(crate) use crate::outcome::human_bytes;
