//! Fuzz target: the content decoders (binary sniff, UTF-16 detection and decoding) and the window
//! reader. The input's first byte picks a small window and overlap so inputs cross many window
//! boundaries; the source hands out bytes in uneven pieces. Every located match must point at its
//! own bytes (or, when found under a decoding layer, at encoded bytes inside the input), with the
//! line and column computed independently from the whole input.
#![no_main]

use std::io::{self, Read};
use std::sync::{Arc, OnceLock};

use leakhound::internals::content::{self, ReadOptions, Reader};
use leakhound::internals::matcher::Matcher;
use leakhound::internals::rules::RuleSet;
use libfuzzer_sys::fuzz_target;

fn matcher() -> &'static Matcher {
    static MATCHER: OnceLock<Matcher> = OnceLock::new();
    MATCHER
        .get_or_init(|| Matcher::new(Arc::new(RuleSet::load(&[]).expect("built-in rules compile"))))
}

/// Hands out `step` bytes per read (cycling through a few sizes).
struct Uneven<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Uneven<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.step = self.step % 13 + 1;
        let n = self.step.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// The text the reader scans: UTF-16 decoded, anything else as is.
fn scanned_text(data: &[u8]) -> Vec<u8> {
    match content::utf16_encoding(data) {
        Some(encoding) => content::decode_utf16(data, encoding).into_bytes(),
        None => data.to_vec(),
    }
}

/// 1-based line and column (in code points) of `offset` in `text`.
fn line_and_column(text: &[u8], offset: usize) -> (u64, u64) {
    let before = &text[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let column = before[line_start..].iter().filter(|&&b| (b & 0xC0) != 0x80).count() as u64 + 1;
    (line, column)
}

fuzz_target!(|input: &[u8]| {
    let Some((&shape, data)) = input.split_first() else { return };
    let window = usize::from(shape & 0x3F) + 1;
    let overlap = usize::from(shape >> 6) * 16;
    let _ = content::looks_binary(data);
    if let Some(encoding) = content::utf16_encoding(data) {
        let text = content::decode_utf16(data, encoding);
        let again: Vec<u8> = text
            .encode_utf16()
            .flat_map(|u| match encoding {
                content::Utf16::Le => u.to_le_bytes(),
                content::Utf16::Be => u.to_be_bytes(),
            })
            .collect();
        assert_eq!(
            content::decode_utf16(&again, encoding),
            text.strip_prefix('\u{feff}').unwrap_or(&text)
        );
    }
    let matcher = matcher();
    let mut reader = Reader::with_exact_window(matcher, window, overlap);
    let mut found = Vec::new();
    let options = ReadOptions { scan_binary: true, binary_strings: false };
    let summary = reader
        .scan(matcher, Uneven { data, step: 0 }, options, &mut found)
        .expect("reading memory never fails");
    let text = scanned_text(data);
    assert_eq!(summary.bytes, text.len() as u64, "every byte is scanned exactly once");
    for m in &found {
        let offset = m.position.offset as usize;
        assert_eq!(m.found.secret.start, offset);
        if m.found.layers().is_none() {
            assert_eq!(
                &text[m.found.secret.clone()],
                &m.secret[..],
                "a match points at other bytes"
            );
        } else {
            // Found under a decoding layer: located at the encoded bytes, reported decoded.
            assert!(
                m.found.secret.end <= text.len() && !m.secret.is_empty(),
                "a decoded match outside the text"
            );
        }
        assert_eq!(
            (m.position.line, m.position.column),
            line_and_column(&text, offset),
            "wrong line or column"
        );
    }
});
