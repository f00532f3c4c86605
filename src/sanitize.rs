//! Escaping of untrusted text (paths, author names, ref names, messages) in every output.
//!
//! A scanned tree is untrusted: a file name may hold a newline (to forge a
//! report line, or start a line with `::error` and forge a GitHub annotation when a report is
//! printed in a CI log), a terminal escape sequence (to rewrite the screen), or a bidirectional
//! override such as U+202E (to make `evil.exe` read as `exe.live`, or hide part of a line). Each
//! output gets the escaping it needs, and every emitter calls one of these functions:
//!
//! - Line-oriented outputs read by people or CI logs (text, CSV, GitHub annotations, stderr):
//!   [`escape_for_terminal`] turns control characters and bidi controls into visible escapes
//!   (`\n`, `\x1b`, `\u{202e}`). This is lossy on purpose: what a person reads must not be able to
//!   move the cursor, start a line or reorder text.
//! - CSV: [`csv_cell`] escapes as above, then defuses spreadsheet formulas and quotes per RFC 4180.
//! - JSON, JSONL, SARIF and GitLab: serde escapes C0 control characters; [`JsonBidiEscaper`] wraps
//!   the writer and writes DEL, C1 controls (U+009B is a terminal's CSI) and bidi controls as
//!   `\uXXXX` too. JSON that parses back is unchanged (lossless),
//!   but the raw document shown in a log or an editor cannot be reordered.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Whether `c` is a bidirectional formatting character or a Unicode line or paragraph separator:
/// invisible characters that reorder or break what is displayed around them.
pub(crate) fn is_bidi_or_separator(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
}

fn needs_escape(c: char) -> bool {
    c.is_control() || is_bidi_or_separator(c)
}

/// Replaces control characters (C0, DEL, C1) and bidi controls with visible escapes such as `\n`,
/// `\x1b` and `\u{202e}`.
pub fn escape_for_terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() && (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// One CSV field: controls and bidi escaped ([`escape_for_terminal`]), defused against formula
/// injection (a leading `=`, `+`, `-` or `@` gets a `'`, OWASP's advice), then quoted with `"`
/// doubled when it holds a comma or a quote (RFC 4180). No raw CR or LF is left in a field, so a
/// field can never start a line of the file.
pub(crate) fn csv_cell(cell: &str) -> String {
    let escaped = escape_for_terminal(cell);
    let defused: Cow<'_, str> = if escaped.starts_with(['=', '+', '-', '@']) {
        Cow::Owned(format!("'{escaped}"))
    } else {
        escaped
    };
    if defused.contains([',', '"']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused.into_owned()
    }
}

/// A writer for JSON documents that writes bidi controls, Unicode separators, DEL and C1 controls
/// (serde escapes only C0) as `\uXXXX` escapes. They can only occur inside JSON strings, where the escape means the same character,
/// so the parsed document is unchanged. Call [`Write::flush`] at the end (a character split across
/// two writes is held until the next write or the flush).
pub(crate) struct JsonBidiEscaper<'a> {
    inner: &'a mut dyn Write,
    /// The start of a possibly escaped character, split across writes (at most 2 bytes).
    pending: Vec<u8>,
}

impl<'a> JsonBidiEscaper<'a> {
    /// Wraps `inner`.
    pub(crate) fn new(inner: &'a mut dyn Write) -> JsonBidiEscaper<'a> {
        JsonBidiEscaper { inner, pending: Vec::new() }
    }
}

/// The UTF-8 length of an escaped character starting with `lead`, if `lead` can start one.
fn escaped_len(lead: u8) -> Option<usize> {
    match lead {
        0x7f => Some(1),        // DEL
        0xc2 | 0xd8 => Some(2), // C1 controls U+0080..U+009F, U+061C
        0xe2 => Some(3),        // U+200E.., U+2028.., U+2066..
        _ => None,
    }
}

impl Write for JsonBidiEscaper<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let joined;
        let data: &[u8] = if self.pending.is_empty() {
            buf
        } else {
            let mut bytes = std::mem::take(&mut self.pending);
            bytes.extend_from_slice(buf);
            joined = bytes;
            &joined
        };
        let mut start = 0;
        let mut i = 0;
        while i < data.len() {
            let Some(len) = escaped_len(data[i]) else {
                i += 1;
                continue;
            };
            if i + len > data.len() {
                self.inner.write_all(&data[start..i])?;
                self.pending.extend_from_slice(&data[i..]);
                return Ok(buf.len());
            }
            match std::str::from_utf8(&data[i..i + len]).ok().and_then(|s| s.chars().next()) {
                Some(c) if needs_escape(c) => {
                    self.inner.write_all(&data[start..i])?;
                    write!(self.inner, "\\u{:04x}", c as u32)?;
                    i += len;
                    start = i;
                }
                _ => i += 1,
            }
        }
        self.inner.write_all(&data[start..])?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let pending = std::mem::take(&mut self.pending);
        self.inner.write_all(&pending)?;
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hostile names and what each output must make of them.
    const HOSTILE: &[&str] = &[
        "a\nb",
        "a\r\nb",
        "\u{1b}[31mred",
        "nul\0byte",
        "c1\u{9b}x",
        "invoice\u{202e}fdp.exe",
        "isolate\u{2066}x\u{2069}",
        "line\u{2028}sep",
        "::error file=x::forged",
        "=HYPERLINK(\"http://x\")",
        "del\u{7f}",
    ];

    fn is_dangerous(c: char) -> bool {
        c.is_control() || is_bidi_or_separator(c)
    }

    #[test]
    fn control_characters_become_visible_escapes() {
        assert_eq!(escape_for_terminal("a\nb"), "a\\nb");
        assert_eq!(escape_for_terminal("\u{1b}[31mred"), "\\x1b[31mred");
        assert_eq!(escape_for_terminal("c1\u{9b}x"), "c1\\x9bx");
        assert_eq!(escape_for_terminal("nul\0"), "nul\\x00");
        assert_eq!(escape_for_terminal("plain/päth.txt"), "plain/päth.txt");
    }

    #[test]
    fn bidi_controls_and_separators_become_visible_escapes() {
        assert_eq!(escape_for_terminal("invoice\u{202e}fdp.exe"), "invoice\\u{202e}fdp.exe");
        assert_eq!(escape_for_terminal("\u{2066}x\u{2069}"), "\\u{2066}x\\u{2069}");
        assert_eq!(escape_for_terminal("a\u{2028}b"), "a\\u{2028}b");
        assert_eq!(escape_for_terminal("\u{200f}\u{061c}"), "\\u{200f}\\u{61c}");
        assert_eq!(escape_for_terminal("עברית"), "עברית", "right-to-left text itself is fine");
    }

    #[test]
    fn no_hostile_name_leaves_a_dangerous_character_in_terminal_text() {
        for name in HOSTILE {
            let shown = escape_for_terminal(name);
            assert!(!shown.chars().any(is_dangerous), "{name:?} -> {shown:?}");
        }
    }

    #[test]
    fn csv_cells_never_hold_a_line_break_a_control_or_a_formula() {
        for name in HOSTILE {
            let cell = csv_cell(name);
            assert!(!cell.chars().any(is_dangerous), "{name:?} -> {cell:?}");
            let unquoted = cell.trim_start_matches('"');
            assert!(!unquoted.starts_with(['=', '+', '-', '@']), "{name:?} -> {cell:?}");
        }
        assert_eq!(
            csv_cell("::error file=x::forged"),
            "::error file=x::forged",
            "cannot start a line anyway"
        );
        assert_eq!(csv_cell("two\nlines"), "two\\nlines");
    }

    #[test]
    fn csv_cells_are_quoted_per_rfc_4180() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell(""), "");
    }

    #[test]
    fn csv_formulas_are_defused() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-2"), "'-2");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("\tx"), "\\tx");
        assert_eq!(csv_cell("a=b"), "a=b");
    }

    fn through_escaper(chunks: &[&[u8]]) -> String {
        let mut out = Vec::new();
        let mut escaper = JsonBidiEscaper::new(&mut out);
        for chunk in chunks {
            escaper.write_all(chunk).unwrap();
        }
        escaper.flush().unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn json_bidi_escapes_are_lossless_and_survive_split_writes() {
        for name in HOSTILE {
            let json = serde_json::to_string(&serde_json::json!({ "path": name })).unwrap();
            let bytes = json.as_bytes();
            for split in 0..=bytes.len() {
                let escaped = through_escaper(&[&bytes[..split], &bytes[split..]]);
                assert!(
                    !escaped.chars().any(is_dangerous),
                    "{name:?} split at {split}: {escaped:?}"
                );
                let back: serde_json::Value = serde_json::from_str(&escaped).unwrap();
                assert_eq!(back["path"], *name, "split at {split}");
            }
        }
        assert_eq!(through_escaper(&["é→ü".as_bytes()]), "é→ü", "other characters pass through");
    }
}
