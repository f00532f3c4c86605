//! Reports: one emitter per output format behind one trait (STYLE.md, after ruff).
//!
//! Every emitter writes to `&mut dyn Write` and gets the same [`ReportContext`]. Secrets are
//! redacted unless the context says `show_secrets`. Findings go to the report; the summary and
//! notices also go to stderr (written by the CLI), so a piped report stays machine-readable.

mod csv;
mod github;
mod gitlab;
mod json;
#[cfg(test)]
mod kitchen_sink;
mod sarif;
mod text;

use std::io::{self, Write};

use crate::finding::Finding;
use crate::outcome::ScanOutcome;
use crate::rules::RuleSet;

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

impl ReportContext<'_> {
    /// The secret as it should appear in this report.
    pub fn secret_text(&self, finding: &Finding) -> String {
        if self.show_secrets {
            String::from_utf8_lossy(finding.secret.expose()).into_owned()
        } else {
            finding.secret.redacted()
        }
    }
}

/// A report format.
pub trait Emitter {
    /// Writes the whole report.
    fn emit(&self, context: &ReportContext<'_>, out: &mut dyn Write) -> io::Result<()>;
}

/// Writes the report in `format`.
pub fn emit(format: ReportFormat, context: &ReportContext<'_>, out: &mut dyn Write) -> io::Result<()> {
    match format {
        ReportFormat::Text => text::TextEmitter.emit(context, out),
        ReportFormat::Json => json::JsonEmitter { lines: false }.emit(context, out),
        ReportFormat::Jsonl => json::JsonEmitter { lines: true }.emit(context, out),
        ReportFormat::Sarif => sarif::SarifEmitter.emit(context, out),
        ReportFormat::Gitlab => gitlab::GitlabEmitter.emit(context, out),
        ReportFormat::Csv => csv::CsvEmitter.emit(context, out),
        ReportFormat::Github => github::GithubEmitter.emit(context, out),
    }
}

/// One line: findings, items, bytes, time, skips and errors.
pub fn summary_line(outcome: &ScanOutcome) -> String {
    let s = &outcome.stats;
    let locations: usize = outcome.findings.iter().map(|f| f.locations.len()).sum();
    format!(
        "{} finding(s) ({} location(s)){} in {} item(s), {}, {:.2} s; skipped: {} binary, {} over --max-file-size, {} symlink(s), {} special, {} ignored; {} error(s){}",
        outcome.findings.len(),
        locations,
        suppressed_note(outcome),
        s.items_scanned,
        human_bytes(s.bytes_scanned),
        s.duration.as_secs_f64(),
        s.skipped_binary,
        s.skipped_too_large,
        s.skipped_symlinks,
        s.skipped_special,
        s.skipped_ignored,
        s.errors,
        if outcome.incomplete() { " (results are INCOMPLETE)" } else { "" },
    )
}

/// `, N suppressed (M by config, ...)` when anything was suppressed.
fn suppressed_note(outcome: &ScanOutcome) -> String {
    use crate::finding::SuppressionKind;
    if outcome.suppressed.is_empty() {
        return String::new();
    }
    let mut counts = std::collections::BTreeMap::<SuppressionKind, usize>::new();
    for finding in &outcome.suppressed {
        for kind in finding.suppressions.iter().map(|s| s.kind).collect::<std::collections::BTreeSet<_>>() {
            *counts.entry(kind).or_default() += 1;
        }
    }
    let parts: Vec<String> = counts.iter().map(|(kind, n)| format!("{n} by {}", kind.as_str())).collect();
    format!(", {} suppressed ({})", outcome.suppressed.len(), parts.join(", "))
}

pub use crate::outcome::human_bytes;
