//! Content: an item's bytes, read in overlapping windows and handed to the matcher.
//!
//! Memory stays flat whatever the input size: at most [`WINDOW`] + [`OVERLAP`] bytes per worker
//! are held. A window's matches are kept only if they start in the window's own part (before the
//! overlap); a match starting in the overlap is found again, whole, by the next window. Because no
//! rule window extends more than 64 KiB past a keyword (see `matcher::prefilter`), a 256 KiB
//! overlap guarantees that a secret straddling a window boundary is found exactly once.
//!
//! Windows end at a line start (see `own_part_end`), so anchors behave as in the whole item.
//!
//! This module also owns binary detection (a NUL byte in the first 8 KiB, like git and ripgrep),
//! UTF-16 detection and decoding (streamed, so UTF-16 files get the same flat memory and windows),
//! and converting byte offsets into lines and columns (Unicode code points, 1-based; SARIF's
//! `unicodeCodePoints` column kind), counted incrementally so the cost is linear in the input
//! whatever the number of matches per line.

use std::io::{self, Read};

use memchr::{memchr_iter, memrchr};

use crate::matcher::{KeywordPass, Matcher, Memo, RawMatch, Scratch};

pub(crate) mod printable;

/// Bytes scanned per window (the own part, before the overlap).
pub const WINDOW: usize = 8 << 20;
/// Bytes shared between consecutive windows.
pub const OVERLAP: usize = 256 << 10;
/// How much of the start of an item binary detection looks at.
const BINARY_SNIFF: usize = 8 << 10;

/// A match with absolute byte offsets and a location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocatedMatch {
    /// The match, offsets absolute within the item.
    pub found: RawMatch,
    /// The secret's bytes.
    pub secret: Vec<u8>,
    /// Where the secret is.
    pub position: Position,
    /// An inline allow marker beside the match (kept here; applied by `suppress`).
    pub marker: Option<crate::marker::Marker>,
}

/// Line and column range of a secret (1-based; `end_column` is exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Position {
    /// First line.
    pub line: u64,
    /// First column, in code points.
    pub column: u64,
    /// Last line.
    pub end_line: u64,
    /// Column just past the end, in code points.
    pub end_column: u64,
    /// Byte offset of the secret in the item.
    pub offset: u64,
}

/// What reading an item amounted to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadSummary {
    /// Bytes read.
    pub bytes: u64,
    /// Skipped because it looks binary.
    pub binary: bool,
}

/// Options that change how content is read.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadOptions {
    /// Scan content that looks binary instead of skipping it.
    pub scan_binary: bool,
    /// Scan the printable runs of content that looks binary (`content::printable`).
    pub binary_strings: bool,
}

/// Per-worker reusable state: the window buffer and the matcher's scratch.
#[derive(Debug)]
pub struct Reader {
    buf: Buffer,
    scratch: Scratch,
    raw: Vec<RawMatch>,
    window: usize,
    overlap: usize,
}

impl Reader {
    /// A reader for one worker thread.
    pub fn new(matcher: &Matcher) -> Reader {
        Reader::with_window(matcher, WINDOW, OVERLAP)
    }

    /// A reader with another window size (tests use small windows to cross boundaries often).
    /// `overlap` is raised to [`OVERLAP`] if smaller: below that a secret could be cut in two.
    pub fn with_window(matcher: &Matcher, window: usize, overlap: usize) -> Reader {
        Reader {
            buf: Buffer::default(),
            scratch: matcher.scratch(),
            raw: Vec::new(),
            window: window.max(1),
            overlap: overlap.max(OVERLAP),
        }
    }

    /// A reader with exactly this window and overlap, even an overlap below [`OVERLAP`]. Only for
    /// fuzzing and tests of the line and column bookkeeping across many windows: with an overlap
    /// that small, a secret straddling a window boundary can be missed.
    #[doc(hidden)]
    pub fn with_exact_window(matcher: &Matcher, window: usize, overlap: usize) -> Reader {
        let mut reader = Reader::with_window(matcher, window, 0);
        reader.overlap = overlap;
        reader
    }

    /// Scans everything `source` yields, appending matches to `out`.
    ///
    /// On a read error the matches found before it are already in `out`; the error is returned
    /// so the caller can report the item as incomplete.
    pub fn scan<R: Read>(
        &mut self,
        matcher: &Matcher,
        mut source: R,
        options: ReadOptions,
        out: &mut Vec<LocatedMatch>,
    ) -> io::Result<ReadSummary> {
        self.buf.clear();
        // Sniff at least BINARY_SNIFF bytes whatever the window (tiny windows are for tests).
        let eof = self.buf.fill(&mut source, (self.window + self.overlap).max(BINARY_SNIFF))?;
        if let Some(encoding) = utf16_encoding(self.buf.bytes()) {
            return self.scan_utf16(matcher, source, encoding, out);
        }
        if !options.scan_binary && looks_binary(self.buf.bytes()) {
            if options.binary_strings {
                let bytes = self::printable::scan_stream(
                    matcher,
                    &mut self.scratch,
                    self.buf.bytes(),
                    source,
                    out,
                )?;
                return Ok(ReadSummary { bytes, binary: true });
            }
            return Ok(ReadSummary { bytes: self.buf.len as u64, binary: true });
        }
        self.scan_windows(matcher, source, eof, out)
    }

    /// The window loop: `self.buf` holds the first fill (`eof` says whether that was all).
    fn scan_windows<R: Read>(
        &mut self,
        matcher: &Matcher,
        mut source: R,
        mut eof: bool,
        out: &mut Vec<LocatedMatch>,
    ) -> io::Result<ReadSummary> {
        let mut summary = ReadSummary::default();
        let mut cursor = LineCursor::default();
        loop {
            let own_end = if eof {
                self.buf.len
            } else {
                own_part_end(self.buf.bytes(), self.window.min(self.buf.len))
            };
            self.scan_window(matcher, own_end, &cursor, out);
            summary.bytes += own_end as u64;
            if eof {
                return Ok(summary);
            }
            cursor.advance(&self.buf.bytes()[..own_end]);
            self.buf.consume(own_end);
            eof = self.buf.fill(&mut source, self.window + self.overlap)?;
        }
    }

    /// UTF-16 text (Windows tools write it): decoded to UTF-8 as it is read and scanned in the
    /// same windows, so memory stays flat and lines and columns are right. Offsets and the byte
    /// count are those of the decoded text.
    fn scan_utf16<R: Read>(
        &mut self,
        matcher: &Matcher,
        source: R,
        encoding: Utf16,
        out: &mut Vec<LocatedMatch>,
    ) -> io::Result<ReadSummary> {
        let head = self.buf.bytes().to_vec();
        self.buf.clear();
        let mut decoded = Utf16Decoder::new(head, source, encoding);
        let eof = self.buf.fill(&mut decoded, self.window + self.overlap)?;
        self.scan_windows(matcher, decoded, eof, out)
    }

    /// Scans an item already in memory (a git blob) the way [`Reader::scan`] reads a file: UTF-16
    /// is decoded, and content that looks binary is skipped unless `options.scan_binary`.
    pub fn scan_blob(
        &mut self,
        matcher: &Matcher,
        data: &[u8],
        options: ReadOptions,
        out: &mut Vec<LocatedMatch>,
    ) -> ReadSummary {
        self.scan_blob_derived(matcher, data, options, out, KeywordPass::default()).0
    }

    /// [`Reader::scan_blob`] of a blob a git delta built from a base whose keyword pass is known
    /// ([`Matcher::scan_derived`]); with `pass.keep`, also this blob's keyword pass. Both apply to
    /// text matched as it is: a blob read as UTF-16 or as binary is searched whole and keeps
    /// nothing.
    pub(crate) fn scan_blob_derived(
        &mut self,
        matcher: &Matcher,
        data: &[u8],
        options: ReadOptions,
        out: &mut Vec<LocatedMatch>,
        pass: KeywordPass<'_>,
    ) -> (ReadSummary, Option<Memo>) {
        if let Some(encoding) = utf16_encoding(data) {
            let text = decode_utf16(data, encoding);
            self.scan_bytes(matcher, text.as_bytes(), out);
            return (ReadSummary { bytes: text.len() as u64, binary: false }, None);
        }
        let binary = !options.scan_binary && looks_binary(data);
        let mut memo = None;
        if !binary {
            memo = self.scan_bytes_with(matcher, data, out, pass);
        } else if options.binary_strings {
            self::printable::scan_slice(matcher, &mut self.scratch, data, out);
        }
        (ReadSummary { bytes: data.len() as u64, binary }, memo)
    }

    /// Scans a buffer already in memory (no windowing, no decoding).
    pub fn scan_bytes(&mut self, matcher: &Matcher, bytes: &[u8], out: &mut Vec<LocatedMatch>) {
        self.scan_bytes_with(matcher, bytes, out, KeywordPass::default());
    }

    /// [`Reader::scan_bytes`] with a keyword pass to derive from or keep.
    fn scan_bytes_with(
        &mut self,
        matcher: &Matcher,
        bytes: &[u8],
        out: &mut Vec<LocatedMatch>,
        pass: KeywordPass<'_>,
    ) -> Option<Memo> {
        self.raw.clear();
        let memo = matcher.scan_derived(bytes, &mut self.scratch, &mut self.raw, pass);
        locate(bytes, &LineCursor::default(), &self.raw, bytes.len(), out);
        memo
    }

    fn scan_window(
        &mut self,
        matcher: &Matcher,
        own_end: usize,
        cursor: &LineCursor,
        out: &mut Vec<LocatedMatch>,
    ) {
        self.raw.clear();
        matcher.scan(self.buf.bytes(), &mut self.scratch, &mut self.raw);
        locate(self.buf.bytes(), cursor, &self.raw, own_end, out);
    }
}

/// Where a window's own part ends: just after the last newline in its second half, so the next
/// window starts at a line start and `^`, `(?m:^)` and `\b` mean there what they mean in the
/// whole item; at `window` when those bytes hold no newline (a line over half a window long).
fn own_part_end(buf: &[u8], window: usize) -> usize {
    let half = window / 2;
    memrchr(b'\n', &buf[half..window]).map_or(window, |i| half + i + 1)
}

/// The first allocation of a worker's window buffer; it doubles up to the window size when an
/// item needs more, and is kept for the worker's next items.
const FIRST_READ: usize = 64 << 10;

/// A worker's window buffer. `data[..len]` holds the bytes read; the rest of `data` is
/// initialised room that the next read goes straight into. Allocated and zeroed once per worker
/// (growing to the largest item, at most one window and its overlap), never per item or per
/// read: a small file costs one `read` for its bytes and one that finds the end.
#[derive(Debug, Default)]
struct Buffer {
    data: Vec<u8>,
    len: usize,
}

impl Buffer {
    fn bytes(&self) -> &[u8] {
        &self.data[..self.len]
    }

    fn clear(&mut self) {
        self.len = 0;
    }

    /// Drops the first `n` bytes held.
    fn consume(&mut self, n: usize) {
        self.data.copy_within(n..self.len, 0);
        self.len -= n;
    }

    /// Reads until `target` bytes are held or the source ends; returns whether it ended.
    fn fill<R: Read>(&mut self, source: &mut R, target: usize) -> io::Result<bool> {
        while self.len < target {
            if self.len == self.data.len() {
                let grown = (self.data.len() * 2).max(FIRST_READ).min(target);
                self.data.resize(grown, 0);
            }
            let end = self.data.len().min(target);
            match source.read(&mut self.data[self.len..end]) {
                Ok(0) => return Ok(true),
                Ok(n) => self.len += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(false)
    }
}

/// An item as the scan reads it.
#[derive(Debug)]
pub(crate) enum TextView<'a> {
    /// Matched as it is.
    Text(std::borrow::Cow<'a, [u8]>),
    /// UTF-16, decoded to UTF-8 before matching.
    Utf16(String),
    /// Looks binary: skipped unless `--scan-binary`.
    Binary,
}

/// How the scan would read `bytes` (the decisions [`Reader::scan_blob`] makes).
pub(crate) fn text_view(bytes: &[u8]) -> TextView<'_> {
    if let Some(encoding) = utf16_encoding(bytes) {
        TextView::Utf16(decode_utf16(bytes, encoding))
    } else if looks_binary(bytes) {
        TextView::Binary
    } else {
        TextView::Text(std::borrow::Cow::Borrowed(bytes))
    }
}

/// A NUL byte near the start means binary, unless the content starts with a UTF-16 byte order
/// mark (text with NULs).
pub fn looks_binary(buf: &[u8]) -> bool {
    let head = &buf[..buf.len().min(BINARY_SNIFF)];
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return false;
    }
    memchr::memchr(0, head).is_some()
}

/// Byte order of UTF-16 text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Utf16 {
    /// Little endian (Windows' default).
    Le,
    /// Big endian.
    Be,
}

impl Utf16 {
    /// One code unit from two bytes in this byte order.
    fn unit(self, pair: [u8; 2]) -> u16 {
        match self {
            Utf16::Le => u16::from_le_bytes(pair),
            Utf16::Be => u16::from_be_bytes(pair),
        }
    }
}

/// UTF-16 by its byte order mark, or without one when the start looks like ASCII text in UTF-16
/// (a NUL in almost every other byte and printable text in the rest).
///
/// A byte order mark alone is not enough: the text after it must hold a NUL byte (every ASCII
/// character and newline in UTF-16 has one). Otherwise prefixing any file with `FF FE` would turn
/// its content into CJK-looking text and hide every secret in it.
pub fn utf16_encoding(buf: &[u8]) -> Option<Utf16> {
    let head = &buf[..buf.len().min(BINARY_SNIFF) & !1];
    // Every test below needs a NUL byte; most text has none, and this memchr is what it costs
    // (counting pairs over the whole head was 2% of a directory scan's CPU time).
    memchr::memchr(0, head)?;
    let has_nul = || memchr::memchr(0, &head[2..]).is_some();
    if buf.starts_with(&[0xFF, 0xFE]) && has_nul() {
        return Some(Utf16::Le);
    }
    if buf.starts_with(&[0xFE, 0xFF]) && has_nul() {
        return Some(Utf16::Be);
    }
    if head.len() < 16 {
        return None;
    }
    let pairs = head.len() / 2;
    let text = |b: u8| b == b'\n' || b == b'\r' || b == b'\t' || (0x20..0x7F).contains(&b);
    let le = head.chunks_exact(2).filter(|p| p[1] == 0 && text(p[0])).count();
    let be = head.chunks_exact(2).filter(|p| p[0] == 0 && text(p[1])).count();
    if le * 10 >= pairs * 9 {
        Some(Utf16::Le)
    } else if be * 10 >= pairs * 9 {
        Some(Utf16::Be)
    } else {
        None
    }
}

/// Decodes UTF-16 (dropping a byte order mark; invalid sequences become U+FFFD).
pub fn decode_utf16(buf: &[u8], encoding: Utf16) -> String {
    let units = buf.chunks_exact(2).map(|p| encoding.unit([p[0], p[1]]));
    let text: String =
        char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)).collect();
    text.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(text)
}

/// A `Read` adapter that decodes UTF-16 to UTF-8 as it reads, a block at a time: a surrogate
/// pair cut by a block edge is kept for the next block, a leading byte order mark is dropped,
/// invalid sequences become U+FFFD and an odd last byte is dropped (as [`decode_utf16`] does).
#[derive(Debug)]
struct Utf16Decoder<R> {
    inner: R,
    encoding: Utf16,
    /// Undecoded input (starts with what was read for sniffing).
    raw: Vec<u8>,
    /// Decoded output not yet handed out, from `out_pos`.
    out: Vec<u8>,
    out_pos: usize,
    at_start: bool,
    eof: bool,
}

/// Raw bytes read from the source per block.
const UTF16_BLOCK: usize = 256 << 10;

impl<R: Read> Utf16Decoder<R> {
    fn new(head: Vec<u8>, inner: R, encoding: Utf16) -> Self {
        Utf16Decoder {
            inner,
            encoding,
            raw: head,
            out: Vec::new(),
            out_pos: 0,
            at_start: true,
            eof: false,
        }
    }

    /// Reads a block if the pending input holds no complete unit, then decodes what it can.
    fn refill(&mut self) -> io::Result<()> {
        if !self.eof && self.raw.len() < 4 {
            let read = self.inner.by_ref().take(UTF16_BLOCK as u64).read_to_end(&mut self.raw)?;
            self.eof = read == 0;
        }
        let mut usable = self.raw.len() & !1;
        if !self.eof && usable >= 2 && is_high_surrogate(self.unit(usable - 2)) {
            usable -= 2; // its low half is in the next block
        }
        self.out.clear();
        self.out_pos = 0;
        let units = self.raw[..usable].chunks_exact(2).map(|p| self.encoding.unit([p[0], p[1]]));
        for c in char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)) {
            if std::mem::take(&mut self.at_start) && c == '\u{feff}' {
                continue;
            }
            let mut utf8 = [0u8; 4];
            self.out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
        }
        self.raw.drain(..usable);
        if self.eof {
            self.raw.clear(); // an odd last byte
        }
        Ok(())
    }

    fn unit(&self, at: usize) -> u16 {
        self.encoding.unit([self.raw[at], self.raw[at + 1]])
    }
}

fn is_high_surrogate(unit: u16) -> bool {
    (0xD800..0xDC00).contains(&unit)
}

impl<R: Read> Read for Utf16Decoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.out_pos == self.out.len() {
            if self.eof && self.raw.is_empty() {
                return Ok(0);
            }
            self.refill()?;
        }
        let n = buf.len().min(self.out.len() - self.out_pos);
        buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

/// Line-tracking state at the start of the current window.
#[derive(Debug, Clone, Copy)]
struct LineCursor {
    /// Absolute offset of the window's first byte.
    base: u64,
    /// Line number of the window's first byte.
    line: u64,
    /// Code points between the start of that line and the window's first byte.
    column_chars: u64,
}

impl Default for LineCursor {
    fn default() -> Self {
        LineCursor { base: 0, line: 1, column_chars: 0 }
    }
}

impl LineCursor {
    /// Moves the cursor past `consumed`, the bytes dropped from the front of the window.
    fn advance(&mut self, consumed: &[u8]) {
        self.base += consumed.len() as u64;
        match memrchr(b'\n', consumed) {
            Some(last) => {
                self.line += memchr_iter(b'\n', consumed).count() as u64;
                self.column_chars = count_chars(&consumed[last + 1..]);
            }
            None => self.column_chars += count_chars(consumed),
        }
    }
}

/// Code points in UTF-8-ish bytes: every byte that is not a continuation byte.
fn count_chars(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| (b & 0xC0) != 0x80).count() as u64
}

/// Converts window-relative matches that start before `own_end` into located matches.
///
/// One pass over the window: lines and columns are counted from the previous match onwards, never
/// from the start of the window or line again, so many matches on one long line stay linear.
fn locate(
    buf: &[u8],
    cursor: &LineCursor,
    raw: &[RawMatch],
    own_end: usize,
    out: &mut Vec<LocatedMatch>,
) {
    let mut at = WindowPosition::new(cursor);
    for found in raw.iter().filter(|m| m.secret.start < own_end) {
        let start = found.secret.start;
        if start < at.offset {
            at = WindowPosition::new(cursor); // not sorted by start (the matcher sorts; be safe)
        }
        at.advance(buf, start);
        let (line, column) = (at.line, at.column_chars + 1);
        let secret = &buf[found.secret.clone()];
        let (end_line, end_column) = match memrchr(b'\n', secret) {
            Some(last) => (
                line + memchr_iter(b'\n', secret).count() as u64,
                count_chars(&secret[last + 1..]) + 1,
            ),
            None => (line, column + count_chars(secret)),
        };
        let base = cursor.base as usize;
        let marker = crate::marker::find(buf, found.span.clone());
        let mut absolute = found.clone();
        absolute.secret = base + found.secret.start..base + found.secret.end;
        absolute.span = base + found.span.start..base + found.span.end;
        out.push(LocatedMatch {
            found: absolute,
            // Located at the encoded bytes; a secret found under a decoding layer is its decoded form.
            secret: found.secret_bytes(buf).to_vec(),
            position: Position {
                line,
                column,
                end_line,
                end_column,
                offset: cursor.base + start as u64,
            },
            marker,
        });
    }
}

/// Line and column (0-based, in code points) at a window offset, moved forward incrementally.
#[derive(Debug, Clone, Copy)]
struct WindowPosition {
    offset: usize,
    line: u64,
    column_chars: u64,
}

impl WindowPosition {
    fn new(cursor: &LineCursor) -> Self {
        WindowPosition { offset: 0, line: cursor.line, column_chars: cursor.column_chars }
    }

    /// Moves to `to` (not before the current offset), counting the newlines and code points passed.
    fn advance(&mut self, buf: &[u8], to: usize) {
        let passed = &buf[self.offset..to];
        match memrchr(b'\n', passed) {
            Some(last) => {
                self.line += memchr_iter(b'\n', passed).count() as u64;
                self.column_chars = count_chars(&passed[last + 1..]);
            }
            None => self.column_chars += count_chars(passed),
        }
        self.offset = to;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_detection_uses_nul_bytes_but_not_utf16_boms() {
        assert!(looks_binary(b"abc\0def"));
        assert!(!looks_binary(b"plain text\n"));
        assert!(!looks_binary(&[0xFF, 0xFE, b'a', 0]));
    }

    #[test]
    fn cursor_advance_tracks_lines_and_columns_across_windows() {
        let mut c = LineCursor::default();
        c.advance(b"ab\ncd");
        assert_eq!((c.base, c.line, c.column_chars), (5, 2, 2));
        c.advance("é€".as_bytes());
        assert_eq!((c.base, c.line, c.column_chars), (10, 2, 4));
        c.advance(b"\n");
        assert_eq!((c.line, c.column_chars), (3, 0));
    }

    #[test]
    fn utf16_is_recognised_with_and_without_a_byte_order_mark() {
        // A fake password; the decoded string literal would be a finding in the own-tree scan.
        let text = concat!("pass", "word = \"Zt8#qLm2vR!x\"\n"); // leakhound:allow
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(utf16_encoding(&le), Some(Utf16::Le));
        assert_eq!(utf16_encoding(&be), Some(Utf16::Be));
        let with_bom: Vec<u8> = [0xFF, 0xFE].into_iter().chain(le.iter().copied()).collect();
        assert_eq!(utf16_encoding(&with_bom), Some(Utf16::Le));
        assert_eq!(decode_utf16(&with_bom, Utf16::Le), text);
        assert_eq!(utf16_encoding(b"plain ascii text, not utf-16"), None);
        assert_eq!(utf16_encoding(b"\xff\xfeUTF-8 text behind a stray byte order mark"), None);
        assert_eq!(utf16_encoding(b"\xfe\xff"), None);
        assert_eq!(utf16_encoding(b"\x7fELF\0\0\0\x01\x02\x03\x04\x05\x06\x07\x08\x09"), None);
    }

    #[test]
    fn char_count_ignores_continuation_bytes() {
        assert_eq!(count_chars("aé€😀".as_bytes()), 4);
    }

    /// A reader that hands out at most `step` bytes per call, to cut input at every position.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn decode_streaming(bytes: &[u8], encoding: Utf16, step: usize) -> String {
        let mut decoder = Utf16Decoder::new(Vec::new(), Trickle { data: bytes, step }, encoding);
        let mut out = Vec::new();
        decoder.read_to_end(&mut out).unwrap();
        String::from_utf8(out).expect("the decoder writes UTF-8")
    }

    #[test]
    fn streaming_utf16_decoding_equals_whole_decoding_whatever_the_read_sizes() {
        let text = "\u{feff}ascii, é, € and 😀 across edges: 😀😀\n";
        let mut le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        for step in [1, 2, 3, 5, 7, 64] {
            assert_eq!(
                decode_streaming(&le, Utf16::Le, step),
                decode_utf16(&le, Utf16::Le),
                "step {step}"
            );
            assert_eq!(
                decode_streaming(&be, Utf16::Be, step),
                decode_utf16(&be, Utf16::Be),
                "step {step}"
            );
        }
        le.extend_from_slice(&[0x3D, 0xD8, 0x41]); // a lone high surrogate, then an odd byte
        assert_eq!(decode_streaming(&le, Utf16::Le, 3), decode_utf16(&le, Utf16::Le));
        assert!(decode_utf16(&le, Utf16::Le).ends_with('\u{fffd}'));
    }

    #[test]
    fn window_positions_count_lines_and_columns_incrementally() {
        let buf = "ab\ncdé€x\ny".as_bytes();
        let mut at = WindowPosition::new(&LineCursor { base: 0, line: 4, column_chars: 7 });
        at.advance(buf, 1);
        assert_eq!((at.line, at.column_chars), (4, 8));
        at.advance(buf, 3);
        assert_eq!((at.line, at.column_chars), (5, 0));
        at.advance(buf, buf.len() - 3);
        assert_eq!((at.line, at.column_chars), (5, 4));
        at.advance(buf, buf.len());
        assert_eq!((at.line, at.column_chars), (6, 1));
    }
}
