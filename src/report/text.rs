//! The human report: one block per finding, colour only when asked (terminal, no `NO_COLOR`).

use std::io::{self, Write};

use super::{Emitter, ReportContext};
use crate::finding::{GitOrigin, OriginState};
use crate::rules::Severity;
use crate::sanitize::escape_for_terminal;

/// Writes findings as text.
#[derive(Debug)]
pub(super) struct TextEmitter;

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";

fn severity_colour(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "\x1b[1;31m",
        Severity::High => "\x1b[31m",
        Severity::Medium => "\x1b[33m",
        Severity::Low => "\x1b[36m",
    }
}

/// ` (commit 1a2b3c4d5e6f, Jane <jane@x>, 2024-01-02T…Z, refs/heads/main)`, ` (staged)`, ...
fn describe_origin(origin: &GitOrigin) -> String {
    match (&origin.commit, origin.state) {
        (_, OriginState::Staged) => " (staged)".to_string(),
        (None, _) => format!(" (unreachable blob {})", &origin.blob[..origin.blob.len().min(12)]),
        (Some(c), state) => {
            let refs = match c.refs_total {
                0 if state == OriginState::Unreachable => "unreachable".to_string(),
                0 => "no ref".to_string(),
                n if n > c.refs.len() => format!("{} and {} more refs", c.refs.join(", "), n - c.refs.len()),
                _ => c.refs.join(", "),
            };
            let who = escape_for_terminal(&format!("{} <{}>", c.author, c.email)).into_owned();
            // Ref names may hold C1 controls (git forbids only ASCII ones): escape them too.
            let refs = escape_for_terminal(&refs);
            format!(" (commit {}, {who}, {}, {refs})", &c.id[..c.id.len().min(12)], c.date)
        }
    }
}

impl Emitter for TextEmitter {
    fn emit(&self, cx: &ReportContext<'_>, out: &mut dyn Write) -> io::Result<()> {
        let paint = |code: &'static str| if cx.color { code } else { "" };
        for finding in &cx.outcome.findings {
            let spec = &cx.rules.rules()[finding.rule].spec;
            writeln!(
                out,
                "{}{}{} {} [{}{}{}]",
                paint(BOLD),
                spec.id,
                paint(RESET),
                spec.name,
                paint(severity_colour(spec.severity)),
                spec.severity.as_str(),
                paint(RESET),
            )?;
            writeln!(out, "  secret       {}", escape_for_terminal(&cx.secret_text(finding)))?;
            if let Some(validation) = &finding.validation {
                writeln!(out, "  validation   {}", validation.describe())?;
            }
            for (name, value) in &finding.attributes {
                writeln!(out, "  {name:<12} {}", escape_for_terminal(value))?;
            }
            writeln!(out, "  fingerprint  {}{}{}", paint(DIM), finding.fingerprint, paint(RESET))?;
            for location in &finding.locations {
                let p = location.position;
                let origin = location.git.as_deref().map(describe_origin).unwrap_or_default();
                let decoded = location.decoded.map(|l| format!(" (decoded: {})", l.describe())).unwrap_or_default();
                writeln!(
                    out,
                    "  at           {}:{}:{}{decoded}{origin}",
                    escape_for_terminal(&location.path),
                    p.line,
                    p.column
                )?;
            }
            writeln!(out)?;
        }
        Ok(())
    }
}
