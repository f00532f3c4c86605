//! Inline allow markers: a comment in the scanned content that accepts the secret beside it.
//!
//! Owns only the byte-level detection; whether a marker suppresses anything (`--no-inline-allow`)
//! is decided in [`crate::suppress`], and the finding is kept as suppressed rather than dropped
//! (DESIGN.md §6: a repository cannot quietly hide its own leak).
//!
//! Where a marker counts:
//! - `leakhound:allow` on any line the match spans, or on the line just before it (for values that
//!   span lines, such as a private key block, where a trailing comment is impossible);
//! - `gitleaks:allow` on a line the match spans (what gitleaks honours);
//! - `pragma: allowlist secret` on a line the match spans, and `pragma: allowlist nextline secret`
//!   on the line before (what detect-secrets honours).
//!
//! The search is bounded ([`MAX_LINE_SCAN`] bytes each side) so a hostile 200 MB single line costs
//! a constant per match, not a rescan of the line.

use memchr::{memchr, memmem, memrchr};

/// How far from the match the enclosing line is searched, each side.
pub(crate) const MAX_LINE_SCAN: usize = 4096;

/// Which marker accepted a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Marker {
    /// `leakhound:allow`.
    Leakhound,
    /// `gitleaks:allow`.
    Gitleaks,
    /// `pragma: allowlist secret` (detect-secrets).
    Pragma,
}

impl Marker {
    /// The marker as written in the source.
    pub fn text(self) -> &'static str {
        match self {
            Marker::Leakhound => "leakhound:allow",
            Marker::Gitleaks => "gitleaks:allow",
            Marker::Pragma => "pragma: allowlist secret",
        }
    }
}

/// The marker, if any, that accepts the match at `span` (byte offsets into `buf`).
pub(crate) fn find(buf: &[u8], span: std::ops::Range<usize>) -> Option<Marker> {
    let start = span.start.min(buf.len());
    let end = span.end.clamp(start, buf.len());
    let lines = line_bounds(buf, start, end);
    let text = &buf[lines.clone()];
    if let Some(marker) = on_same_lines(text) {
        return Some(marker);
    }
    let previous = previous_line(buf, lines.start)?;
    on_line_before(&buf[previous])
}

/// Markers honoured on the lines the match spans.
fn on_same_lines(text: &[u8]) -> Option<Marker> {
    if contains(text, b"leakhound:allow") {
        Some(Marker::Leakhound)
    } else if contains(text, b"gitleaks:allow") {
        Some(Marker::Gitleaks)
    } else if contains(text, b"pragma: allowlist secret") {
        Some(Marker::Pragma)
    } else {
        None
    }
}

/// Markers honoured on the line before the match.
fn on_line_before(text: &[u8]) -> Option<Marker> {
    if contains(text, b"leakhound:allow") {
        Some(Marker::Leakhound)
    } else if contains(text, b"pragma: allowlist nextline secret") {
        Some(Marker::Pragma)
    } else {
        None
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memmem::find(haystack, needle).is_some()
}

/// From the start of the line holding `start` to the end of the line holding `end`, each side
/// bounded by [`MAX_LINE_SCAN`].
fn line_bounds(buf: &[u8], start: usize, end: usize) -> std::ops::Range<usize> {
    let floor = start.saturating_sub(MAX_LINE_SCAN);
    let line_start = memrchr(b'\n', &buf[floor..start]).map_or(floor, |i| floor + i + 1);
    let ceiling = end.saturating_add(MAX_LINE_SCAN).min(buf.len());
    let line_end = memchr(b'\n', &buf[end..ceiling]).map_or(ceiling, |i| end + i);
    line_start..line_end
}

/// The line before the one starting at `line_start`, if that is a real line start.
fn previous_line(buf: &[u8], line_start: usize) -> Option<std::ops::Range<usize>> {
    if line_start == 0 || buf.get(line_start - 1) != Some(&b'\n') {
        return None;
    }
    let newline = line_start - 1;
    let floor = newline.saturating_sub(MAX_LINE_SCAN);
    let start = memrchr(b'\n', &buf[floor..newline]).map_or(floor, |i| floor + i + 1);
    Some(start..newline)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(buf: &str, secret: &str) -> Option<Marker> {
        let start = buf.find(secret).expect("secret in buffer");
        find(buf.as_bytes(), start..start + secret.len())
    }

    #[test]
    fn a_marker_on_the_same_line_accepts_the_secret() {
        assert_eq!(
            at("a\ntoken = \"s3cr3t\" # leakhound:allow\nb", "s3cr3t"),
            Some(Marker::Leakhound)
        );
        assert_eq!(at("token = s3cr3t // gitleaks:allow", "s3cr3t"), Some(Marker::Gitleaks));
        assert_eq!(
            at("token = s3cr3t  # pragma: allowlist secret", "s3cr3t"),
            Some(Marker::Pragma)
        );
    }

    #[test]
    fn markers_on_other_lines_do_not_count() {
        assert_eq!(at("token = s3cr3t\n# leakhound:allow\n", "s3cr3t"), None);
        assert_eq!(at("# leakhound:allow\n\ntoken = s3cr3t\n", "s3cr3t"), None);
        assert_eq!(
            at("x = 1 # gitleaks:allow\ntoken = s3cr3t\n", "s3cr3t"),
            None,
            "gitleaks: same line only"
        );
        assert_eq!(at("token = s3cr3t", "s3cr3t"), None);
    }

    #[test]
    fn leakhound_and_pragma_nextline_markers_cover_the_next_line() {
        let pem = "# leakhound:allow\n-----BEGIN KEY-----\nAAAA\n-----END KEY-----\n";
        assert_eq!(at(pem, "-----BEGIN KEY-----\nAAAA"), Some(Marker::Leakhound));
        let next = "# pragma: allowlist nextline secret\npassword = s3cr3t\n";
        assert_eq!(at(next, "s3cr3t"), Some(Marker::Pragma));
    }

    #[test]
    fn a_marker_after_a_multiline_match_counts_on_its_last_line() {
        assert_eq!(
            at("k = \"AAAA\nBBBB\" # leakhound:allow\n", "AAAA\nBBBB"),
            Some(Marker::Leakhound)
        );
    }

    #[test]
    fn the_search_is_bounded_on_huge_lines() {
        let far = format!("s3cr3t{}leakhound:allow", "x".repeat(MAX_LINE_SCAN + 10));
        assert_eq!(at(&far, "s3cr3t"), None);
        let near = format!("{}s3cr3t leakhound:allow", "x".repeat(3 * MAX_LINE_SCAN));
        assert_eq!(at(&near, "s3cr3t"), Some(Marker::Leakhound));
    }

    #[test]
    fn spans_at_buffer_edges_do_not_panic() {
        assert_eq!(find(b"", 0..0), None);
        assert_eq!(find(b"abc", 2..10), None);
        assert_eq!(find(b"\nabc", 1..4), None);
    }
}
