//! Property tests: a planted token is found at any offset, across window boundaries, exactly
//! once, and windowed reading finds exactly what a whole-buffer scan finds.

use std::io::Cursor;
use std::sync::{Arc, LazyLock};

use leakhound::internals::content::{LocatedMatch, ReadOptions, Reader};
use leakhound::internals::matcher::Matcher;
use leakhound::internals::rules::RuleSet;
use proptest::prelude::*;

use crate::util::fake;

static MATCHER: LazyLock<Matcher> =
    LazyLock::new(|| Matcher::new(Arc::new(RuleSet::load(&[]).unwrap())));

/// Filler text: lines of `line_len` lowercase letters.
fn filler(len: usize, line_len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| if i % (line_len + 1) == line_len { b'\n' } else { b'a' + (i % 23) as u8 })
        .collect()
}

fn plant(buf: &mut [u8], at: usize, token: &str) {
    buf[at - 1] = b' ';
    buf[at..at + token.len()].copy_from_slice(token.as_bytes());
    buf[at + token.len()] = b' ';
}

fn scan_windowed(buf: &[u8], window: usize) -> Vec<LocatedMatch> {
    let mut reader = Reader::with_window(&MATCHER, window, 0);
    let mut out = Vec::new();
    reader.scan(&MATCHER, Cursor::new(buf), ReadOptions::default(), &mut out).unwrap();
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn a_planted_token_is_found_once_at_any_offset(
        offset in 1usize..590_000,
        line_len in prop::sample::select(vec![40usize, 120, 5_000, 1_000_000]),
        window in 50_000usize..400_000,
        seed in 0u64..1_000,
    ) {
        let token = fake::github_pat(seed);
        let mut buf = filler(600_000, line_len);
        plant(&mut buf, offset, &token);
        let found = scan_windowed(&buf, window);
        let github: Vec<_> = found.iter().filter(|m| m.secret == token.as_bytes()).collect();
        prop_assert_eq!(github.len(), 1, "window {} offset {}", window, offset);
        let m = github[0];
        prop_assert_eq!(m.position.offset, offset as u64);
        let line = 1 + memchr::memchr_iter(b'\n', &buf[..offset]).count() as u64;
        prop_assert_eq!(m.position.line, line);
        let line_start = buf[..offset].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        prop_assert_eq!(m.position.column, (offset - line_start + 1) as u64);
    }

    #[test]
    fn windowed_reading_finds_what_a_whole_buffer_scan_finds(
        offsets in prop::collection::vec(1usize..290_000, 1..6),
        window in 20_000usize..120_000,
    ) {
        let mut buf = filler(300_000, 97);
        for (i, &at) in offsets.iter().enumerate() {
            plant(&mut buf, at, &fake::github_pat(i as u64));
        }
        let mut whole = Vec::new();
        Reader::new(&MATCHER).scan_bytes(&MATCHER, &buf, &mut whole);
        prop_assert_eq!(scan_windowed(&buf, window), whole);
    }
}
