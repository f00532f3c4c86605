//! CSV (`-f csv`): one row per location, for spreadsheets and ad-hoc tooling.
//!
//! RFC 4180: CRLF line ends, a header row, and a field quoted (with `"` doubled) when it holds a
//! comma or a quote. Scanned content (paths, author names) is attacker-controlled, so every cell
//! goes through [`csv_cell`]: control characters (newlines included) and bidi controls become
//! visible escapes, so no field can start a line of its own (a forged `::error` annotation when the
//! CSV is printed in a CI log), and a cell that starts with `=`, `+`, `-` or `@` gets a leading `'`
//! so a spreadsheet never runs it as a formula. Secrets are redacted unless `--show-secrets`.
//! The last columns (priority, its score, and the rule's revocation steps) repeat per location,
//! so a sheet sorted by priority keeps them.

use std::borrow::Cow;
use std::io::{self, Write};

use super::{Emitter, ReportContext};
use crate::finding::{Finding, Location};
use crate::sanitize::csv_cell;

/// Writes CSV.
#[derive(Debug)]
pub(super) struct CsvEmitter;

const HEADER: [&str; 18] = [
    "rule_id",
    "rule_name",
    "severity",
    "confidence",
    "path",
    "line",
    "column",
    "end_line",
    "end_column",
    "secret",
    "fingerprint",
    "commit",
    "author",
    "date",
    "validation",
    "priority",
    "priority_score",
    "revoke",
];

impl Emitter for CsvEmitter {
    fn emit(&self, cx: &ReportContext<'_>, out: &mut dyn Write) -> io::Result<()> {
        write_row(out, HEADER.iter().map(|h| Cow::Borrowed(*h)))?;
        for finding in &cx.outcome.findings {
            let secret = cx.secret_text(finding);
            for location in &finding.locations {
                write_row(out, row(cx, finding, location, &secret).into_iter())?;
            }
        }
        Ok(())
    }
}

fn row<'a>(
    cx: &ReportContext<'a>,
    finding: &'a Finding,
    location: &'a Location,
    secret: &'a str,
) -> Vec<Cow<'a, str>> {
    let spec = &cx.rules.rules()[finding.rule].spec;
    let p = location.position;
    let commit = location.git.as_deref().and_then(|git| git.commit.as_ref());
    let priority = cx.priority(finding);
    vec![
        Cow::Borrowed(spec.id.as_str()),
        Cow::Borrowed(spec.name.as_str()),
        Cow::Borrowed(spec.severity.as_str()),
        Cow::Borrowed(finding.confidence.unwrap_or(spec.confidence).as_str()),
        Cow::Borrowed(location.path.as_str()),
        Cow::Owned(p.line.to_string()),
        Cow::Owned(p.column.to_string()),
        Cow::Owned(p.end_line.to_string()),
        Cow::Owned(p.end_column.to_string()),
        Cow::Borrowed(secret),
        Cow::Borrowed(finding.fingerprint.as_str()),
        commit.map_or(Cow::Borrowed(""), |c| Cow::Borrowed(c.id.as_str())),
        commit.map_or(Cow::Borrowed(""), |c| Cow::Owned(format!("{} <{}>", c.author, c.email))),
        commit.map_or(Cow::Borrowed(""), |c| Cow::Borrowed(c.date.as_str())),
        finding
            .validation
            .as_ref()
            .map_or(Cow::Borrowed(""), |v| Cow::Owned(v.status.as_str().to_string())),
        Cow::Borrowed(priority.level.as_str()),
        Cow::Owned(priority.score.to_string()),
        Cow::Borrowed(spec.revoke.as_deref().unwrap_or("")),
    ]
}

fn write_row<'a>(out: &mut dyn Write, cells: impl Iterator<Item = Cow<'a, str>>) -> io::Result<()> {
    let line: Vec<String> = cells.map(|cell| csv_cell(&cell)).collect();
    write!(out, "{}\r\n", line.join(","))
}
