//! GitHub Actions workflow commands (`-f github`): one annotation per location.
//!
//! `::error file=PATH,line=L,endLine=L,col=C,endColumn=C,title=TITLE::MESSAGE`, with `error` for
//! critical and high severity, `warning` for medium and `notice` for low. Every control character
//! (ESC, CR, LF, C1) becomes the visible escape the text report prints (`\x1b`, `\n`), so a file
//! name can neither start a second `::` command on a new line nor drive the terminal of whoever
//! reads the job log; then GitHub's own escaping: `%` becomes `%25`, and in a property also `:` and
//! `,` become `%3A` and `%2C`, so a name cannot end the property list. Notices (unreadable
//! content) are `::warning` lines. GitHub shows at most 10 annotations of each level per step; the
//! Action prints this format through `head` for that reason. Secrets are redacted unless `--show-secrets`.

use std::io::{self, Write};

use super::{Emitter, ReportContext};
use crate::finding::{Finding, Location};
use crate::outcome::{Notice, NoticeLevel};
use crate::rules::Severity;
use crate::sanitize::escape_for_terminal;

/// Writes GitHub Actions annotations.
#[derive(Debug)]
pub(super) struct GithubEmitter;

impl Emitter for GithubEmitter {
    fn emit(&self, cx: &ReportContext<'_>, out: &mut dyn Write) -> io::Result<()> {
        for finding in &cx.outcome.findings {
            for location in &finding.locations {
                writeln!(out, "{}", annotation(cx, finding, location))?;
            }
        }
        for notice in &cx.outcome.notices {
            writeln!(out, "{}", notice_command(notice))?;
        }
        Ok(())
    }
}

fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "notice",
    }
}

fn annotation(cx: &ReportContext<'_>, finding: &Finding, location: &Location) -> String {
    let spec = &cx.rules.rules()[finding.rule].spec;
    let p = location.position;
    let title = format!("leakhound: {}", spec.name);
    let commit = location.git.as_deref().and_then(|git| git.commit.as_ref());
    let message = format!(
        "{} ({}) found: {}{}",
        spec.name,
        spec.id,
        cx.secret_text(finding),
        commit.map_or(String::new(), |c| format!(" in commit {}", c.id))
    );
    format!(
        "::{} file={},line={},endLine={},col={},endColumn={},title={}::{}",
        command(spec.severity),
        escape_property(&location.path),
        p.line,
        p.end_line,
        p.column,
        p.end_column,
        escape_property(&title),
        escape_data(&message)
    )
}

fn notice_command(notice: &Notice) -> String {
    let level = match notice.level {
        NoticeLevel::Error => "could not read",
        NoticeLevel::Warning => "warning",
    };
    match notice.path() {
        Some(path) => format!(
            "::warning file={},title={}::{}",
            escape_property(path),
            escape_property(&format!("leakhound: {level}")),
            escape_data(&notice.message)
        ),
        None => format!(
            "::warning title={}::{}",
            escape_property(&format!("leakhound: {level}")),
            escape_data(&notice.message)
        ),
    }
}

/// Escapes a command's message: control characters (CR and LF among them) and bidi controls as
/// the text report shows them, then `%`, so no line break or terminal escape survives.
pub(super) fn escape_data(text: &str) -> String {
    escape_for_terminal(text).replace('%', "%25")
}

/// Escapes a command property: as a message, and `:` and `,`.
pub(super) fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::{escape_data, escape_property};

    #[test]
    fn messages_escape_percent_and_show_line_breaks_as_the_text_report_does() {
        assert_eq!(escape_data("100% done\r\nnext"), "100%25 done\\r\\nnext");
        assert_eq!(escape_data("a:b,c"), "a:b,c");
        assert_eq!(escape_data("\u{1b}[2K\u{202e}x\0"), "\\x1b[2K\\u{202e}x\\x00");
    }

    #[test]
    fn properties_also_escape_colon_and_comma() {
        assert_eq!(escape_property("a:b,c%\n::error::x"), "a%3Ab%2Cc%25\\n%3A%3Aerror%3A%3Ax");
    }

    #[test]
    fn terminal_escapes_in_names_are_shown_not_sent() {
        assert_eq!(escape_property("\u{1b}[2Jevil\u{9b}.txt"), "\\x1b[2Jevil\\x9b.txt");
        assert_eq!(escape_data("tab\there"), "tab\\there");
    }
}
