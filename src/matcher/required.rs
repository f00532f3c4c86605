//! Bytes a rule's match cannot do without: a check that rejects most windows before the rule's
//! regex runs.
//!
//! Every match of `(?:=|:=|:|=>)\s*"(?P<secret>...)"` holds a `=` or a `:` and a `"`. Such sets
//! are read off the pattern's syntax tree: a literal requires each of its bytes, a class one of
//! its bytes, a concatenation everything its parts require, a repetition what its body requires
//! when it must run at least once, and an alternation one byte out of the union of one set per
//! branch. A window (the span the regex is confined to) that holds no byte of a required set
//! cannot hold a match, so the rule's regex is not run there: the result is the same, only
//! cheaper. Only sets of bytes that are uncommon in text are checked (punctuation, not letters
//! or spaces), at most [`MAX_CHECKS`] per rule, with `memchr` where the set is small.
//!
//! Measured in `benches/README.md` ("Regex confirmation: required bytes"); why in
//! `docs/performance.md`.

use memchr::{memchr, memchr2, memchr3};
use regex_syntax::hir::{Class, Hir, HirKind};

/// Sets checked per rule (the rarest ones).
const MAX_CHECKS: usize = 2;
/// A set is checked only when its estimated frequency in text is at most this (in the units of
/// [`byte_weight`]): it holds no lowercase letter and no space.
const MAX_WEIGHT: u32 = 120;

/// A set of bytes.
#[derive(Clone, PartialEq, Eq)]
struct ByteSet([bool; 256]);

impl ByteSet {
    fn empty() -> ByteSet {
        ByteSet([false; 256])
    }

    fn union(&mut self, other: &ByteSet) {
        for (a, b) in self.0.iter_mut().zip(other.0.iter()) {
            *a |= *b;
        }
    }

    /// A rough frequency of the set's bytes in source code and configuration text.
    fn weight(&self) -> u32 {
        (0..=255u8).filter(|&b| self.0[usize::from(b)]).map(byte_weight).sum()
    }

    fn members(&self) -> impl Iterator<Item = u8> + '_ {
        (0..=255u8).filter(|&b| self.0[usize::from(b)])
    }
}

/// How common a byte is in text, roughly (the sums only rank sets).
fn byte_weight(b: u8) -> u32 {
    match b {
        b'a'..=b'z' | b' ' => 200,
        b'A'..=b'Z' | b'0'..=b'9' => 40,
        b'\t' | b'.' | b',' | b'(' | b')' | b'_' | b'"' | b'=' | b':' | b'/' | b'-' => 20,
        0x21..=0x7E => 10,
        _ => 1,
    }
}

/// The required sets of `hir`: every match holds at least one byte of each.
fn required_sets(hir: &Hir) -> Vec<ByteSet> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Vec::new(),
        HirKind::Literal(literal) => {
            let mut sets: Vec<ByteSet> = Vec::new();
            for &b in &*literal.0 {
                let mut set = ByteSet::empty();
                set.0[usize::from(b)] = true;
                if !sets.contains(&set) {
                    sets.push(set);
                }
            }
            sets
        }
        HirKind::Class(class) => vec![class_set(class)],
        HirKind::Repetition(repetition) if repetition.min == 0 => Vec::new(),
        HirKind::Repetition(repetition) => required_sets(&repetition.sub),
        HirKind::Capture(capture) => required_sets(&capture.sub),
        HirKind::Concat(parts) => parts.iter().flat_map(required_sets).collect(),
        HirKind::Alternation(branches) => {
            let mut union = ByteSet::empty();
            for branch in branches {
                // One set per branch: the rarest it requires. A branch that requires nothing
                // makes the alternation require nothing.
                let Some(best) = required_sets(branch).into_iter().min_by_key(ByteSet::weight)
                else {
                    return Vec::new();
                };
                union.union(&best);
            }
            vec![union]
        }
    }
}

/// The bytes a class can match first: its bytes, or for a class of characters, their ASCII
/// members and every non-ASCII byte (the UTF-8 encoding of a character above U+007F).
fn class_set(class: &Class) -> ByteSet {
    let mut set = ByteSet::empty();
    match class {
        Class::Bytes(bytes) => {
            for range in bytes.iter() {
                for b in range.start()..=range.end() {
                    set.0[usize::from(b)] = true;
                }
            }
        }
        Class::Unicode(chars) => {
            for range in chars.iter() {
                let (start, end) = (u32::from(range.start()), u32::from(range.end()));
                for c in start..=end.min(0x7F) {
                    set.0[c as usize] = true;
                }
                if end > 0x7F {
                    set.0[0x80..].fill(true);
                }
            }
        }
    }
    set
}

/// One required set, checked the cheapest way for its size.
#[derive(Debug)]
enum Check {
    One(u8),
    Two(u8, u8),
    Three(u8, u8, u8),
    Table(Box<[bool; 256]>),
}

impl Check {
    fn found_in(&self, window: &[u8]) -> bool {
        match *self {
            Check::One(a) => memchr(a, window).is_some(),
            Check::Two(a, b) => memchr2(a, b, window).is_some(),
            Check::Three(a, b, c) => memchr3(a, b, c, window).is_some(),
            Check::Table(ref table) => window.iter().any(|&b| table[usize::from(b)]),
        }
    }
}

/// What a rule's window must hold for its regex to be worth running.
#[derive(Debug, Default)]
pub(crate) struct Required {
    checks: Vec<Check>,
}

impl Required {
    /// The checks for `pattern`, parsed as the rules compile it; none when it does not parse
    /// (the regex then runs everywhere, as before).
    pub(crate) fn of(pattern: &str) -> Required {
        let parsed =
            regex_syntax::ParserBuilder::new().unicode(false).utf8(false).build().parse(pattern);
        let Ok(hir) = parsed else {
            return Required::default();
        };
        let mut sets: Vec<(u32, ByteSet)> = Vec::new();
        for set in required_sets(&hir) {
            let weight = set.weight();
            if weight <= MAX_WEIGHT && !sets.iter().any(|(_, seen)| *seen == set) {
                sets.push((weight, set));
            }
        }
        sets.sort_by_key(|(weight, _)| *weight);
        let checks = sets
            .into_iter()
            .take(MAX_CHECKS)
            .map(|(_, set)| {
                let members: Vec<u8> = set.members().collect();
                match members[..] {
                    [a] => Check::One(a),
                    [a, b] => Check::Two(a, b),
                    [a, b, c] => Check::Three(a, b, c),
                    _ => Check::Table(Box::new(set.0)),
                }
            })
            .collect();
        Required { checks }
    }

    /// Whether `window` holds a byte of every checked set (if not, no match can lie in it).
    pub(crate) fn may_match(&self, window: &[u8]) -> bool {
        self.checks.iter().all(|check| check.found_in(window))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(pattern: &str) -> Vec<Vec<u8>> {
        let required = Required::of(pattern);
        required
            .checks
            .iter()
            .map(|c| match c {
                Check::One(a) => vec![*a],
                Check::Two(a, b) => vec![*a, *b],
                Check::Three(a, b, c) => vec![*a, *b, *c],
                Check::Table(t) => (0..=255u8).filter(|&b| t[usize::from(b)]).collect(),
            })
            .collect()
    }

    #[test]
    fn assignments_quotes_and_literals_are_required() {
        assert_eq!(
            checked(r#"(?i)key\s*(?:=|:=|:|=>)\s*"(?P<secret>[a-z]{8})""#),
            [b"\"".to_vec(), b":=>".to_vec()]
        );
        // `@` and `:` (in `://` and alone); `/` is as rare but only two sets are checked.
        assert_eq!(
            checked(r"(?i)https?://[a-z]+:(?P<secret>[^@\s]+)@"),
            [b"@".to_vec(), b":".to_vec()]
        );
    }

    #[test]
    fn optional_parts_and_branches_without_a_requirement_require_nothing() {
        assert!(checked(r"(?i)token(?:=|:)?(?P<secret>[a-z0-9]{20})").is_empty());
        assert!(checked(r"(?i)(?:token=|secret)(?P<secret>[a-z0-9]{20})").is_empty());
        assert!(checked(r"(?i)\btoken\b(?P<secret>[a-z0-9 ]{20})").is_empty());
    }

    #[test]
    fn non_ascii_classes_allow_every_high_byte() {
        let required = Required::of(r"(?u)key=(?P<secret>[é])");
        assert!(required.may_match("key=é".as_bytes()));
        assert!(!required.may_match(b"key=e"));
    }

    #[test]
    fn a_window_without_a_required_byte_is_rejected_and_one_with_them_is_not() {
        let required = Required::of(r#"(?i)secret\s*[:=]\s*"(?P<secret>[a-z0-9]{16,})""#);
        assert!(required.may_match(br#"secret = "abcdefghijklmnop""#));
        assert!(!required.may_match(b"secret abcdefghijklmnop"));
        assert!(!required.may_match(br#"secret "abcdefghijklmnop""#));
        assert!(Required::of("(unclosed").may_match(b""), "a pattern that does not parse");
    }

    proptest::proptest! {
        /// The check never rejects a window in which the regex matches.
        #[test]
        fn a_rejected_window_never_holds_a_match(
            text in proptest::collection::vec(
                proptest::sample::select(b"ab=:\"'@ /k-_x9\n\xc3\xa9".to_vec()), 0..40),
            pattern in proptest::sample::select(vec![
                r#"(?i)k\s*(?:=|:=|:|=>)\s*"(?P<secret>[a-z9]{2,})""#,
                r"(?i)(?:a@|b/)(?P<secret>x+)",
                r"(?P<secret>k-?_)[:=]",
                r"(?u)(?P<secret>[é@])=",
                r"(?i)\bab(?:'|\x22)(?P<secret>[^\n]{1,3})",
            ]),
        ) {
            let regex = regex::bytes::RegexBuilder::new(pattern).unicode(false).build().unwrap();
            let required = Required::of(pattern);
            if regex.is_match(&text) {
                proptest::prop_assert!(required.may_match(&text), "{:?}", String::from_utf8_lossy(&text));
            }
        }
    }
}
