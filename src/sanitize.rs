//! Escaping of untrusted text (paths, messages) before it reaches a terminal.
//!
//! A scanned tree is untrusted: a file name may hold a newline (to forge a report line) or a
//! terminal escape sequence (to rewrite the screen). Every such character is printed as a visible
//! escape instead. JSON and SARIF need no help here: serde escapes control characters.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Replaces control characters (C0, DEL, C1) with visible escapes such as `\n` and `\x1b`.
pub fn escape_for_terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
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
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_visible_escapes() {
        assert_eq!(escape_for_terminal("a\nb"), "a\\nb");
        assert_eq!(escape_for_terminal("\u{1b}[31mred"), "\\x1b[31mred");
        assert_eq!(escape_for_terminal("c1\u{9b}x"), "c1\\x9bx");
        assert_eq!(escape_for_terminal("plain/päth.txt"), "plain/päth.txt");
    }
}
