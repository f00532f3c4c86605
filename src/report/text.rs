//! The human report: one block per finding, highest priority first, fitting an 80-column terminal.
//!
//! A history scan can find one secret in hundreds of places, each reached by dozens of refs, so
//! the report folds: at most [`SHOWN_LOCATIONS`] locations per finding (JSON lists all), one
//! line per location with its commit under it, and the refs of all locations summarised in one
//! phrase ("on main, 2 other branches and 13 tags"). Prose values (revocation steps, attributes)
//! wrap at [`WIDTH`] columns under their label; paths are never broken, so they stay
//! copyable. Everything scanned content controls (paths, names, refs) is escaped for the
//! terminal. When a staged change is blocked, the report ends with what to do next.
//! Colour only when asked (terminal, no `NO_COLOR`).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::{Emitter, ReportContext};
use crate::finding::{Finding, GitOrigin, ImageOrigin, ImagePresence, Location, OriginState};
use crate::priority::{Exposure, Priority, PriorityLevel, ref_exposure};
use crate::sanitize::escape_for_terminal;

/// Writes findings as text.
#[derive(Debug)]
pub(super) struct TextEmitter;

/// Locations shown per finding before folding.
pub(super) const SHOWN_LOCATIONS: usize = 5;
/// Prose wraps at this column.
pub(super) const WIDTH: usize = 80;
/// Width of the label column (`  revoke       `).
const LABEL: usize = 15;

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";

fn level_colour(level: PriorityLevel) -> &'static str {
    match level {
        PriorityLevel::Critical => "\x1b[1;31m",
        PriorityLevel::High => "\x1b[31m",
        PriorityLevel::Medium => "\x1b[33m",
        PriorityLevel::Low => "\x1b[36m",
    }
}

/// Writes `label` and `text`, wrapped at [`WIDTH`] with continuation lines under the text.
fn labelled(out: &mut dyn Write, label: &str, text: &str) -> io::Result<()> {
    for (i, line) in wrap(text, WIDTH - LABEL).iter().enumerate() {
        let label = if i == 0 { label } else { "" };
        writeln!(out, "  {label:<width$}{line}", width = LABEL - 2)?;
    }
    Ok(())
}

/// Splits `text` into lines of at most `width` characters at spaces; a word longer than `width`
/// gets a line of its own.
pub(super) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let needed = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if !line.is_empty() && needed > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// `commit 1a2b3c4d5e6f, 2024-01-02, Jane <jane@x>`, `staged`, `unreachable blob 1a2b…`.
fn describe_commit(origin: &GitOrigin) -> String {
    match (&origin.commit, origin.state) {
        (_, OriginState::Staged) => "staged, not committed".to_string(),
        (None, _) => format!("unreachable blob {}", &origin.blob[..origin.blob.len().min(12)]),
        (Some(c), state) => {
            let day = c.date.get(..10).unwrap_or(&c.date);
            let unreachable = if state == OriginState::Unreachable { " (unreachable)" } else { "" };
            let who = escape_for_terminal(&format!("{} <{}>", c.author, c.email)).into_owned();
            format!("commit {}{unreachable}, {day}, {who}", &c.id[..c.id.len().min(12)])
        }
    }
}

/// One phrase for the refs that reach any location: `on main, 2 other branches and 13 tags
/// (120 refs in all)`; `None` when no location has refs.
pub(super) fn summarise_refs(locations: &[Location]) -> Option<String> {
    let commits: Vec<_> =
        locations.iter().filter_map(|l| l.git.as_deref()?.commit.as_ref()).collect();
    let refs: BTreeSet<&str> =
        commits.iter().flat_map(|c| c.refs.iter().map(String::as_str)).collect();
    if refs.is_empty() {
        return None;
    }
    let total = commits.iter().map(|c| c.refs_total).max().unwrap_or(0).max(refs.len());
    let defaults: Vec<&str> = refs
        .iter()
        .copied()
        .filter(|r| ref_exposure(r) == Exposure::DefaultBranch)
        .map(short_ref)
        .collect();
    let count = |exposure: Exposure| refs.iter().filter(|r| ref_exposure(r) == exposure).count();
    let mut parts: Vec<String> = defaults.iter().map(|d| (*d).to_string()).collect();
    match count(Exposure::OtherBranch) {
        0 => {}
        n => {
            parts.push(plural(
                n,
                if defaults.is_empty() { "branch" } else { "other branch" },
                "es",
            ));
        }
    }
    match count(Exposure::Released) {
        0 => {}
        n => parts.push(plural(n, "tag", "s")),
    }
    let mut phrase = format!("on {}", join_and(&parts));
    if total > refs.len() {
        let _ = write!(phrase, " ({total} refs in all)");
    }
    Some(escape_for_terminal(&phrase).into_owned())
}

fn short_ref(name: &str) -> &str {
    name.strip_prefix("refs/heads/").or_else(|| name.strip_prefix("refs/")).unwrap_or(name)
}

fn plural(n: usize, noun: &str, suffix: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}{suffix}") }
}

fn join_and(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

impl Emitter for TextEmitter {
    fn emit(&self, cx: &ReportContext<'_>, out: &mut dyn Write) -> io::Result<()> {
        for (finding, priority) in cx.ranked() {
            write_finding(cx, finding, priority, out)?;
        }
        if blocked_staged_change(cx) {
            write_next_steps(out)?;
        }
        Ok(())
    }
}

fn write_finding(
    cx: &ReportContext<'_>,
    finding: &Finding,
    priority: Priority,
    out: &mut dyn Write,
) -> io::Result<()> {
    let paint = |code: &'static str| if cx.color { code } else { "" };
    let spec = cx.spec(finding);
    writeln!(
        out,
        "{}[{} {}]{} {}{}{}",
        paint(level_colour(priority.level)),
        priority.level.as_str(),
        priority.score,
        paint(RESET),
        paint(BOLD),
        escape_for_terminal(&spec.name),
        paint(RESET),
    )?;
    let confidence = finding.confidence.unwrap_or(spec.confidence);
    let rule = format!(
        "{}: severity {}, confidence {}",
        spec.id,
        spec.severity.as_str(),
        confidence.as_str()
    );
    // Rules may come from the scanned repository's configuration: escape their prose too.
    let rule = escape_for_terminal(&rule);
    labelled(out, "rule", &rule)?;
    writeln!(out, "  secret       {}", escape_for_terminal(&cx.secret_text(finding)))?;
    let validity = finding
        .validation
        .as_ref()
        .map_or_else(|| "not checked".to_string(), crate::validate::Validation::describe);
    labelled(out, "validation", &validity)?;
    // What the provider said the credential can do: its words, escaped like any prose.
    if let Some(details) =
        finding.validation.as_ref().and_then(crate::validate::Validation::describe_details)
    {
        labelled(out, "access", &escape_for_terminal(&details))?;
    }
    labelled(out, "exposure", &priority.exposure.as_str().replace('-', " "))?;
    for (name, value) in &finding.attributes {
        labelled(out, name, &escape_for_terminal(value))?;
    }
    writeln!(out, "  fingerprint  {}{}{}", paint(DIM), finding.fingerprint, paint(RESET))?;
    if let Some(revoke) = &spec.revoke {
        labelled(out, "revoke", &escape_for_terminal(revoke))?;
    }
    write_locations(finding, out)?;
    writeln!(out)
}

fn write_locations(finding: &Finding, out: &mut dyn Write) -> io::Result<()> {
    for (i, location) in finding.locations.iter().take(SHOWN_LOCATIONS).enumerate() {
        let p = location.position;
        let decoded =
            location.decoded.map(|l| format!(" (decoded: {})", l.describe())).unwrap_or_default();
        let label = if i == 0 { "at" } else { "" };
        let path = escape_for_terminal(&location.path);
        writeln!(out, "  {label:<13}{path}:{}:{}{decoded}", p.line, p.column)?;
        if let Some(origin) = location.git.as_deref() {
            labelled(out, "", &describe_commit(origin))?;
        }
        if let Some(origin) = location.image.as_deref() {
            labelled(out, "", &escape_for_terminal(&describe_image(origin)))?;
        }
    }
    let hidden = finding.locations.len().saturating_sub(SHOWN_LOCATIONS);
    if hidden > 0 {
        let more = plural(hidden, "more location", "s");
        labelled(out, "", &format!("... and {more} (-f json or -f html lists every one)"))?;
    }
    if let Some(refs) = summarise_refs(&finding.locations) {
        labelled(out, "refs", &refs)?;
    }
    Ok(())
}

/// One line of image provenance: reference, layer, whether the final image holds it, the step.
fn describe_image(origin: &ImageOrigin) -> String {
    let reference = origin.reference.as_deref().map_or_else(String::new, |r| format!("{r} "));
    let digest = origin.blob.get(..19).unwrap_or(&origin.blob);
    let mut text = match (origin.presence, origin.layer) {
        (ImagePresence::Config, Some(layer)) => {
            format!("{reference}config ({digest}…), the step that made layer {layer}")
        }
        (ImagePresence::Config, None) => format!("{reference}config ({digest}…)"),
        (_, layer) => format!("{reference}layer {} ({digest}…)", layer.unwrap_or_default()),
    };
    text.push_str(match origin.presence {
        ImagePresence::Final => ", in the final image",
        ImagePresence::LowerLayerOnly => ", only in a lower layer (deleted above, still shipped)",
        ImagePresence::Config => "",
    });
    if let Some(step) = &origin.step {
        let short: String = step.chars().take(100).collect();
        let more = if short.len() < step.len() { "…" } else { "" };
        text = format!("{text}; step: {short}{more}");
    }
    text
}

/// Whether this is a staged scan (a pre-commit hook) that found something.
fn blocked_staged_change(cx: &ReportContext<'_>) -> bool {
    cx.outcome
        .findings
        .iter()
        .flat_map(|f| &f.locations)
        .any(|l| l.git.as_deref().is_some_and(|g| g.state == OriginState::Staged))
}

fn write_next_steps(out: &mut dyn Write) -> io::Result<()> {
    const STEPS: [&str; 3] = [
        "1. A real secret: revoke or rotate it now (see `revoke` above); deleting the line does \
         not help once it was pushed or shared. Then take it out of the change (read it from the \
         environment or a secret manager) and `git add` again.",
        "2. Not a secret, or a test value: add `leakhound:allow` in a comment on its line.",
        "3. Accepted for now: record it in a baseline (`leakhound baseline create`) and commit \
         the baseline file.",
    ];
    writeln!(out, "This commit was blocked: the staged changes hold the secrets above. Next:")?;
    for step in STEPS {
        for (i, line) in wrap(step, WIDTH - 5).iter().enumerate() {
            let indent = if i == 0 { "  " } else { "     " };
            writeln!(out, "{indent}{line}")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wrapping_breaks_at_spaces_within_the_width() {
        assert_eq!(wrap("aa bb cc", 5), vec!["aa bb", "cc"]);
        assert_eq!(wrap("averyveryverylongword x", 5), vec!["averyveryverylongword", "x"]);
        assert_eq!(wrap("", 5), vec![""]);
    }
}
