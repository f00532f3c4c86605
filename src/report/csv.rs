//! CSV (`-f csv`): one row per location, for spreadsheets and ad-hoc tooling.
//!
//! RFC 4180: CRLF line ends, a header row, and a field quoted (with `"` doubled) when it holds a
//! comma, a quote, CR or LF. Spreadsheets run a cell that starts with `=`, `+`, `-` or `@` as a
//! formula, and scanned content (paths, author names) is attacker-controlled, so such a cell gets a
//! leading `'` (OWASP's advice against CSV injection); a tab or CR at the start gets it too.
//! Secrets are redacted unless `--show-secrets`. The last columns (priority, its score, and the
//! rule's revocation steps) repeat per location, so a sheet sorted by priority keeps them.

use std::borrow::Cow;
use std::io::{self, Write};

use super::{Emitter, ReportContext};
use crate::finding::{Finding, Location};

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

fn row<'a>(cx: &ReportContext<'a>, finding: &'a Finding, location: &'a Location, secret: &'a str) -> Vec<Cow<'a, str>> {
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
        finding.validation.as_ref().map_or(Cow::Borrowed(""), |v| Cow::Owned(v.status.as_str().to_string())),
        Cow::Borrowed(priority.level.as_str()),
        Cow::Owned(priority.score.to_string()),
        Cow::Borrowed(spec.revoke.as_deref().unwrap_or("")),
    ]
}

fn write_row<'a>(out: &mut dyn Write, cells: impl Iterator<Item = Cow<'a, str>>) -> io::Result<()> {
    let line: Vec<String> = cells.map(|cell| csv_field(&cell)).collect();
    write!(out, "{}\r\n", line.join(","))
}

/// One field: defused against formula injection, then quoted when RFC 4180 requires it.
pub(super) fn csv_field(cell: &str) -> String {
    let defused: Cow<'_, str> = if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    };
    if defused.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn fields_are_quoted_per_rfc_4180() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field(""), "");
    }

    #[test]
    fn formulas_are_defused() {
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("+1"), "'+1");
        assert_eq!(csv_field("-2"), "'-2");
        assert_eq!(csv_field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_field("\tx"), "'\tx");
        assert_eq!(csv_field("a=b"), "a=b");
    }
}
