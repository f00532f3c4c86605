//! Decoding layers: finds encoded spans in a buffer, decodes them, and maps what the matcher finds
//! in the decoded bytes back to the encoded bytes.
//!
//! Secrets are not always written as themselves: a Kubernetes Secret or a basic-auth header holds
//! them in base64, a Jupyter notebook holds a key as JSON strings with `\n` escapes (one string per
//! line), a URL holds them percent-encoded. This module owns the three layers:
//!
//! - [`Layer::JsonString`]: a `"..."` string with a backslash escape (`\n`, `\/`, `\"`, `\uXXXX`,
//!   `\xXX`), joined with the strings that follow it in a `"a", "b"` list (notebook cells).
//! - [`Layer::Base64`]: a run of at least [`MIN_BASE64`] base64 characters (standard or URL-safe,
//!   mixed case) that decodes to printable text.
//! - [`Layer::Percent`]: a URL-ish token holding a `%XX` escape of a printable character.
//!
//! Candidate spans are found by cheap byte scans (memchr for `\` and `%`; a skipping scan for long
//! base64 runs), so ordinary content pays little. All spans of one buffer are decoded into ONE
//! `Decoded` buffer (segments separated by `\n`) that the matcher scans once; each decoded byte
//! remembers the offset of the encoded bytes it came from, so a finding is reported where its
//! encoded form sits. Decoded bytes are decoded once more (two layers at most: a base64 value
//! inside a JSON string). Limits: a span is at most [`MAX_SPAN`] bytes and a buffer decodes at
//! most [`DECODE_BUDGET`] bytes in all; what is past the budget is scanned raw only.

use std::ops::Range;

use memchr::{memchr, memchr2, memchr3, memrchr};

/// Shortest base64 run worth decoding (12 decoded bytes).
pub(crate) const MIN_BASE64: usize = 16;
/// Longest encoded span decoded (longer ones are data: images, archives).
pub(crate) const MAX_SPAN: usize = 64 << 10;
/// Most decoded bytes per scanned buffer, both layers together.
pub(crate) const DECODE_BUDGET: usize = 1 << 20;

/// One decoding layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Layer {
    /// Base64 (standard or URL-safe alphabet).
    Base64,
    /// A JSON (or JavaScript, Python) string literal with backslash escapes.
    JsonString,
    /// URL percent-encoding.
    Percent,
}

impl Layer {
    /// The kebab-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Base64 => "base64",
            Layer::JsonString => "json-string",
            Layer::Percent => "percent",
        }
    }
}

/// The layers a secret was found under: `outer` is the encoding written in the file, `inner` the
/// one found inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Layers {
    /// The encoding as written in the file.
    pub outer: Layer,
    /// The encoding inside the outer one, if the secret sat two layers deep.
    pub inner: Option<Layer>,
}

impl Layers {
    /// `base64`, or outer and inner joined: `json-string/base64`.
    pub fn describe(self) -> String {
        match self.inner {
            None => self.outer.as_str().to_string(),
            Some(inner) => format!("{}/{}", self.outer.as_str(), inner.as_str()),
        }
    }
}

/// The decoded form of a secret found under a decoding layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedSecret {
    /// How it was encoded.
    pub layers: Layers,
    /// The secret, decoded.
    pub bytes: Vec<u8>,
}

/// A decoded segment: where it is in [`Decoded::bytes`] and which layer produced it.
#[derive(Debug, Clone)]
struct Segment {
    decoded: Range<usize>,
    layer: Layer,
}

/// The decoded spans of one buffer, concatenated, with the origin of every byte.
#[derive(Debug, Default)]
pub(crate) struct Decoded {
    /// The decoded bytes: segments separated by `\n`.
    pub(crate) bytes: Vec<u8>,
    /// For each decoded byte (separators included), the offset in the parent buffer of the
    /// encoded unit it came from; a separator maps to the end of its segment's span.
    origin: Vec<usize>,
    segments: Vec<Segment>,
    spans: Vec<(Range<usize>, Layer)>,
}

impl Decoded {
    /// Whether nothing was decoded.
    pub(crate) fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }

    /// Decoded bytes held.
    pub(crate) fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Finds the encoded spans of `parent` that overlap none of `skip` and
    /// decodes them, at most `budget` bytes in all.
    ///
    /// `runs`, when the prefilter already found them while reading `parent` (see
    /// [`Base64Runs`]), saves the base64 scan of every byte.
    pub(crate) fn fill(
        &mut self,
        parent: &[u8],
        skip: &RangeIndex,
        budget: usize,
        runs: Option<&[usize]>,
    ) {
        self.bytes.clear();
        self.origin.clear();
        self.segments.clear();
        let mut spans = std::mem::take(&mut self.spans);
        spans.clear();
        find_spans(parent, runs, &mut spans);
        for (span, layer) in &spans {
            if self.bytes.len() >= budget {
                break;
            }
            if !skip.overlaps(span) {
                self.push_segment(parent, span.clone(), *layer);
            }
        }
        self.spans = spans;
    }

    /// Decodes one span as a new segment; a span that does not decode to anything worth
    /// scanning leaves no trace.
    fn push_segment(&mut self, parent: &[u8], span: Range<usize>, layer: Layer) {
        let start = self.bytes.len();
        let ok = match layer {
            Layer::Base64 => decode_base64(parent, span.clone(), &mut self.bytes, &mut self.origin),
            Layer::JsonString => {
                decode_json_strings(parent, span.clone(), &mut self.bytes, &mut self.origin)
            }
            Layer::Percent => {
                decode_percent(parent, span.clone(), &mut self.bytes, &mut self.origin)
            }
        };
        if !ok {
            self.bytes.truncate(start);
            self.origin.truncate(start);
            return;
        }
        self.segments.push(Segment { decoded: start..self.bytes.len(), layer });
        self.bytes.push(b'\n');
        self.origin.push(span.end);
    }

    /// Maps a range of decoded bytes to the parent's encoded bytes, with the segment's layer;
    /// `None` when the range is not inside one segment.
    pub(crate) fn map(&self, range: &Range<usize>) -> Option<(Range<usize>, Layer)> {
        let index =
            self.segments.partition_point(|s| s.decoded.start <= range.start).checked_sub(1)?;
        let segment = &self.segments[index];
        if range.end > segment.decoded.end || range.start >= range.end {
            return None;
        }
        Some((self.origin[range.start]..self.origin[range.end], segment.layer))
    }

    /// Maps a range that may stick out of its segment (a match's whole span): clamped first.
    pub(crate) fn map_clamped(&self, range: &Range<usize>, within: &Range<usize>) -> Range<usize> {
        let index =
            self.segments.partition_point(|s| s.decoded.start <= within.start).saturating_sub(1);
        let segment = self.segments.get(index).map_or(0..self.bytes.len(), |s| s.decoded.clone());
        let start = range.start.clamp(segment.start, segment.end);
        let end = range.end.clamp(start, segment.end);
        self.origin[start]..self.origin[end]
    }
}

/// Ranges sorted by start with the running maximum of their ends: "does any range overlap this
/// one" in O(log n), nested and overlapping ranges included.
#[derive(Debug, Default)]
pub(crate) struct RangeIndex {
    ranges: Vec<Range<usize>>,
    max_end: Vec<usize>,
}

impl RangeIndex {
    /// An index over `ranges` (any order).
    pub(crate) fn new(mut ranges: Vec<Range<usize>>) -> RangeIndex {
        ranges.sort_unstable_by_key(|r| r.start);
        let max_end = ranges
            .iter()
            .scan(0, |m, r| {
                *m = (*m).max(r.end);
                Some(*m)
            })
            .collect();
        RangeIndex { ranges, max_end }
    }

    /// Whether any indexed range overlaps `span`.
    pub(crate) fn overlaps(&self, span: &Range<usize>) -> bool {
        let before_end = self.ranges.partition_point(|r| r.start < span.end);
        before_end > 0 && self.max_end[before_end - 1] > span.start
    }
}

/// Every candidate span of `buf`, sorted by start. JSON strings come first; base64 and percent
/// spans inside a JSON span are left to the second layer.
fn find_spans(buf: &[u8], runs: Option<&[usize]>, out: &mut Vec<(Range<usize>, Layer)>) {
    json_spans(buf, out);
    let json_end = out.len();
    match runs {
        Some(runs) => base64_spans_at(buf, runs, out),
        None => base64_spans(buf, out),
    }
    percent_spans(buf, out);
    let (json, others) = out.split_at(json_end);
    let json = RangeIndex::new(json.iter().map(|(r, _)| r.clone()).collect());
    let mut others: Vec<(Range<usize>, Layer)> =
        others.iter().filter(|(r, _)| !json.overlaps(r)).cloned().collect();
    out.truncate(json_end);
    out.append(&mut others);
    out.sort_by_key(|(r, _)| r.start);
}

// ---------------------------------------------------------------------------------------------
// JSON strings

/// A string literal: where it is and whether its escapes are worth decoding.
struct StringLiteral {
    /// From the opening quote to just past the closing one.
    range: Range<usize>,
    /// Escapes other than one `\n` at the very end (a `printf` format string).
    meaningful: bool,
}

/// Strings with a backslash escape, each joined with the strings listed after it.
fn json_spans(buf: &[u8], out: &mut Vec<(Range<usize>, Layer)>) {
    let mut pos = 0;
    while let Some(i) = memchr(b'\\', &buf[pos..]) {
        let backslash = pos + i;
        let line_start = memrchr(b'\n', &buf[pos..backslash]).map_or(pos, |j| pos + j + 1);
        pos = strings_on_line(buf, line_start, out).max(backslash + 1);
    }
}

/// Tokenizes the strings from `start` to the end of its line (or of the last joined list);
/// returns where it stopped.
fn strings_on_line(buf: &[u8], start: usize, out: &mut Vec<(Range<usize>, Layer)>) -> usize {
    let mut i = start;
    loop {
        let Some(k) = memchr2(b'"', b'\n', &buf[i..]) else {
            return buf.len();
        };
        if buf[i + k] == b'\n' {
            return i + k + 1;
        }
        let Some((group, meaningful)) = string_list(buf, i + k) else {
            return memchr(b'\n', &buf[i + k..]).map_or(buf.len(), |n| i + k + n + 1);
        };
        if meaningful {
            out.push((group.clone(), Layer::JsonString));
        }
        i = group.end;
    }
}

/// The string opening at `open` and the strings joined to it by `,`; whether any has meaningful
/// escapes (a list of several strings with escapes always is: notebook lines end in `\n`).
fn string_list(buf: &[u8], open: usize) -> Option<(Range<usize>, bool)> {
    let first = string_literal(buf, open)?;
    let mut end = first.range.end;
    let mut meaningful = first.meaningful;
    let mut escaped = first.meaningful || buf[first.range].contains(&b'\\');
    let mut count = 1;
    while let Some(next_open) = next_in_list(buf, end) {
        if next_open - open > MAX_SPAN {
            break;
        }
        let Some(next) =
            string_literal(buf, next_open).filter(|n| !is_object_key(buf, n.range.end))
        else {
            break;
        };
        escaped |= buf[next.range.clone()].contains(&b'\\');
        meaningful |= next.meaningful;
        end = next.range.end;
        count += 1;
    }
    Some((open..end, meaningful || (count > 1 && escaped)))
}

/// Whether the string ending at `end` is followed by `:` (an object key, not a list item).
fn is_object_key(buf: &[u8], end: usize) -> bool {
    buf[end..].iter().find(|b| !matches!(b, b' ' | b'\t')) == Some(&b':')
}

/// After a string ending at `end`: `\s*,\s*"` gives the next string's opening quote.
fn next_in_list(buf: &[u8], end: usize) -> Option<usize> {
    let skip_space = |mut i: usize| {
        while i < buf.len() && matches!(buf[i], b' ' | b'\t' | b'\r' | b'\n') {
            i += 1;
        }
        i
    };
    let comma = skip_space(end);
    if buf.get(comma) != Some(&b',') {
        return None;
    }
    let quote = skip_space(comma + 1);
    (buf.get(quote) == Some(&b'"')).then_some(quote)
}

/// The string literal opening at `open`; `None` when it is not closed on its line.
fn string_literal(buf: &[u8], open: usize) -> Option<StringLiteral> {
    let mut i = open + 1;
    let mut escapes = 0usize;
    let mut last_escape = 0;
    loop {
        let k = memchr3(b'"', b'\\', b'\n', &buf[i..])?;
        let at = i + k;
        match buf[at] {
            b'\\' => {
                escapes += 1;
                last_escape = at;
                i = at + 2;
                if i > buf.len() {
                    return None;
                }
            }
            b'"' => {
                let trailing_newline = escapes == 1 && last_escape + 2 == at && buf[at - 1] == b'n';
                let meaningful = escapes > 0 && !trailing_newline && at + 1 - open <= MAX_SPAN;
                return Some(StringLiteral { range: open..at + 1, meaningful });
            }
            _ => return None,
        }
    }
}

/// Decodes the strings of a list (`"a\n", "b"` -> `a\nb`).
fn decode_json_strings(
    buf: &[u8],
    span: Range<usize>,
    out: &mut Vec<u8>,
    origin: &mut Vec<usize>,
) -> bool {
    let mut open = span.start;
    loop {
        let Some(literal) = string_literal(buf, open) else {
            return false;
        };
        unescape(buf, literal.range.start + 1..literal.range.end - 1, out, origin);
        match next_in_list(buf, literal.range.end).filter(|&next| next < span.end) {
            Some(next) => open = next,
            _ => return true,
        }
    }
}

/// Unescapes one string's contents.
fn unescape(buf: &[u8], body: Range<usize>, out: &mut Vec<u8>, origin: &mut Vec<usize>) {
    let mut i = body.start;
    while i < body.end {
        if buf[i] != b'\\' || i + 1 >= body.end {
            out.push(buf[i]);
            origin.push(i);
            i += 1;
            continue;
        }
        let (decoded, used) = escape(&buf[i + 1..body.end]);
        for byte in decoded.as_bytes() {
            out.push(*byte);
            origin.push(i);
        }
        i += 1 + used;
    }
}

/// The text of an escape (the bytes after the backslash) and how many of them it used.
fn escape(rest: &[u8]) -> (EscapeText, usize) {
    let simple = |c: u8| (EscapeText::Byte(c), 1);
    match rest[0] {
        b'n' => simple(b'\n'),
        b't' => simple(b'\t'),
        b'r' => simple(b'\r'),
        b'b' => simple(0x08),
        b'f' => simple(0x0C),
        b'u' => unicode_escape(rest),
        b'x' => match rest.get(1..3).and_then(hex_byte) {
            Some(b) if b.is_ascii() => (EscapeText::Byte(b), 3),
            _ => simple(b'x'),
        },
        other => simple(other),
    }
}

/// Decoded escape text: a byte or a UTF-8 encoded character.
enum EscapeText {
    Byte(u8),
    Char([u8; 4], usize),
}

impl EscapeText {
    fn as_bytes(&self) -> &[u8] {
        match self {
            EscapeText::Byte(b) => std::slice::from_ref(b),
            EscapeText::Char(bytes, len) => &bytes[..*len],
        }
    }
}

/// `uXXXX`, with a following `\uXXXX` low surrogate when the first is a high one.
fn unicode_escape(rest: &[u8]) -> (EscapeText, usize) {
    let unit = |at: usize| rest.get(at..at + 4).and_then(hex_u16);
    let Some(high) = unit(1) else {
        return (EscapeText::Byte(b'u'), 1);
    };
    let (code, used) = if (0xD800..0xDC00).contains(&high) && rest.get(5..7) == Some(b"\\u") {
        match unit(7).filter(|low| (0xDC00..0xE000).contains(low)) {
            Some(low) => {
                (0x10000 + ((u32::from(high) - 0xD800) << 10) + (u32::from(low) - 0xDC00), 11)
            }
            None => (u32::from(high), 5),
        }
    } else {
        (u32::from(high), 5)
    };
    let c = char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER);
    let mut bytes = [0; 4];
    let len = c.encode_utf8(&mut bytes).len();
    (EscapeText::Char(bytes, len), used)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn hex_byte(two: &[u8]) -> Option<u8> {
    Some(hex_value(two[0])? << 4 | hex_value(two[1])?)
}

fn hex_u16(four: &[u8]) -> Option<u16> {
    Some(u16::from(hex_byte(&four[..2])?) << 8 | u16::from(hex_byte(&four[2..])?))
}

// ---------------------------------------------------------------------------------------------
// Base64

/// Per byte, one bit for what it is in a base64 run: upper-case letter, lower-case letter, digit,
/// standard-only symbol (`+`, `/`), URL-safe-only symbol (`-`, `_`); none for a byte of neither
/// alphabet.
const SHAPE_UPPER: u8 = 1;
const SHAPE_LOWER: u8 = 2;
const SHAPE_DIGIT: u8 = 4;
const SHAPE_STANDARD: u8 = 8;
const SHAPE_URL_SAFE: u8 = 16;
const SHAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = if c.is_ascii_uppercase() {
            SHAPE_UPPER
        } else if c.is_ascii_lowercase() {
            SHAPE_LOWER
        } else if c.is_ascii_digit() {
            SHAPE_DIGIT
        } else if c == b'+' || c == b'/' {
            SHAPE_STANDARD
        } else if c == b'-' || c == b'_' {
            SHAPE_URL_SAFE
        } else {
            0
        };
        b += 1;
    }
    table
};

/// Whether `b` is a base64 character of either alphabet.
fn is_base64_byte(b: u8) -> bool {
    SHAPE[usize::from(b)] != 0
}

/// Where base64 runs are, as a byte scan that reads every byte anyway (the keyword prefilter)
/// finds them: a position `p` is recorded whenever `buf[p..p + MIN_BASE64]` are all base64
/// characters and `p` is where a count of consecutive base64 bytes started. Every run of at least
/// [`MIN_BASE64`] bytes has at least one recorded position inside it; [`base64_spans_at`] finds
/// its bounds from there. The count is a few ALU operations beside the prefilter's table loads,
/// where a separate pass was a fifth of a history scan's CPU.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Base64Runs {
    count: u32,
}

/// Per byte, all ones for a base64 character and zero for any other: the count is
/// `(count + 1) & mask`, two ALU operations and no compare.
const RUN_MASK: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut b = 0;
    while b < 256 {
        if SHAPE[b] != 0 {
            table[b] = u32::MAX;
        }
        b += 1;
    }
    table
};

impl Base64Runs {
    /// Counts `byte`, at `pos`; records the run's start in `out` when it reaches
    /// [`MIN_BASE64`] bytes.
    #[inline]
    pub(crate) fn step(&mut self, byte: u8, pos: usize, out: &mut Vec<usize>) {
        self.count = (self.count + 1) & RUN_MASK[usize::from(byte)];
        if self.count == MIN_BASE64 as u32 {
            record_run(pos + 1 - MIN_BASE64, out);
        }
    }
}

/// Out of the scanning loop: most bytes start no run.
#[cold]
#[inline(never)]
fn record_run(start: usize, out: &mut Vec<usize>) {
    out.push(start);
}

/// [`base64_spans`] from the positions a [`Base64Runs`] count recorded over `buf` (any order,
/// repeats allowed): the same spans, without reading the bytes outside long runs.
pub(super) fn base64_spans_at(
    buf: &[u8],
    positions: &[usize],
    out: &mut Vec<(Range<usize>, Layer)>,
) {
    let mut sorted;
    let positions = if positions.is_sorted() {
        positions
    } else {
        sorted = positions.to_vec();
        sorted.sort_unstable();
        &sorted[..]
    };
    // `next` is 0 or just past the non-base64 byte that ended the last run.
    let mut next = 0;
    for &at in positions {
        if at < next || at >= buf.len() {
            continue;
        }
        let mut start = at;
        while start > next && is_base64_byte(buf[start - 1]) {
            start -= 1;
        }
        let end = buf[at..].iter().position(|&b| !is_base64_byte(b)).map_or(buf.len(), |n| at + n);
        if end - start >= MIN_BASE64 {
            push_base64_run(buf, start, end, out);
        }
        next = end + 1;
    }
}

/// Records the run `buf[start..end]` (its `=` padding included) when it looks like a value.
fn push_base64_run(buf: &[u8], start: usize, end: usize, out: &mut Vec<(Range<usize>, Layer)>) {
    let run = &buf[start..end];
    if run.len() <= MAX_SPAN && starts_value(buf, start) && looks_like_base64(run) {
        let padded = end + buf[end..].iter().take(2).take_while(|&&b| b == b'=').count();
        out.push((start..padded, Layer::Base64));
    }
}

/// Runs of at least [`MIN_BASE64`] base64 characters that start a value (see
/// [`starts_value`]). Looks at [`MIN_BASE64`] bytes at a time: when one of them is not base64, no
/// long run starts before it, so the scan jumps past the last such byte. `i` is always 0 or just
/// past a non-base64 byte, so a block of base64 bytes at `i` is the start of a run.
fn base64_spans(buf: &[u8], out: &mut Vec<(Range<usize>, Layer)>) {
    let mut i = 0;
    while i + MIN_BASE64 <= buf.len() {
        if let Some(last) = last_non_base64(&buf[i..i + MIN_BASE64]) {
            i += last + 1;
            continue;
        }
        let end = buf[i + MIN_BASE64..]
            .iter()
            .position(|&b| !is_base64_byte(b))
            .map_or(buf.len(), |n| i + MIN_BASE64 + n);
        push_base64_run(buf, i, end, out);
        i = end + 1;
    }
}

/// The index of the last byte of a 16-byte block that is not a base64 character, eight bytes at
/// a time without a branch per byte (this scan sees most of every buffer; measured in README,
/// "How matching works").
#[allow(clippy::expect_used, reason = "the halves are exactly 8 bytes by construction")]
fn last_non_base64(block: &[u8]) -> Option<usize> {
    let (low, high) = block.split_at(8);
    let word = |half: &[u8]| u64::from_le_bytes(half.try_into().expect("8 bytes"));
    let high_mask = non_base64_lanes(word(high));
    if high_mask != 0 {
        return Some(8 + (63 - high_mask.leading_zeros() as usize) / 8);
    }
    let low_mask = non_base64_lanes(word(low));
    (low_mask != 0).then(|| (63 - low_mask.leading_zeros() as usize) / 8)
}

/// The high bit of each byte lane of `x` that is not a base64 character (either alphabet).
fn non_base64_lanes(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let ascii = !x & HIGH;
    let x7 = x & !HIGH;
    // Lane high bit set iff lo <= lane <= hi (lanes below 0x80, so no carry crosses a lane).
    let within = |v: u64, lo: u8, hi: u8| {
        (v.wrapping_add(ONES * u64::from(0x80 - lo)) & !v.wrapping_add(ONES * u64::from(0x7F - hi)))
            & HIGH
    };
    // Setting bit 5 folds A-Z onto a-z and nothing else onto it; `+`, `-` and `/` are the odd
    // bytes of 0x2B..=0x2F (`,` and `.` are even).
    let letters = within(x7 | (ONES * 0x20), b'a', b'z');
    let odd = (x7 << 7) & HIGH;
    let base64 =
        within(x7, b'0', b'9') | letters | (within(x7, b'+', b'/') & odd) | within(x7, b'_', b'_');
    !(base64 & ascii) & HIGH
}

/// Whether a base64 run at `start` begins a value: at the start of the buffer, or after
/// whitespace, a quote, `=`, `:`, `,`, `>`, `(`, `[` or `{` (not after `.` or a letter run cut by
/// `-`/`_`, which is how paths, hostnames and identifiers continue).
fn starts_value(buf: &[u8], start: usize) -> bool {
    start == 0
        || matches!(
            buf[start - 1],
            b' ' | b'\t'
                | b'\n'
                | b'\r'
                | b'"'
                | b'\''
                | b'`'
                | b'='
                | b':'
                | b','
                | b'>'
                | b'('
                | b'['
                | b'{'
        )
}

/// Mixed case, a digit or symbol, and one alphabet only. One table load and an OR per byte: in
/// history scans of C code every long identifier is a run to judge.
fn looks_like_base64(run: &[u8]) -> bool {
    let seen = run.iter().fold(0u8, |seen, &b| seen | SHAPE[usize::from(b)]);
    let symbols = SHAPE_STANDARD | SHAPE_URL_SAFE;
    seen & (SHAPE_UPPER | SHAPE_LOWER) == SHAPE_UPPER | SHAPE_LOWER
        && seen & (SHAPE_DIGIT | symbols) != 0
        && seen & symbols != symbols
}

fn base64_value(b: u8) -> Option<u8> {
    match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    }
}

/// Decodes a run (padding optional) if the result is printable text.
fn decode_base64(
    buf: &[u8],
    span: Range<usize>,
    out: &mut Vec<u8>,
    origin: &mut Vec<usize>,
) -> bool {
    let start = out.len();
    let mut acc = 0u32;
    let mut bits = 0;
    let mut unprintable = 0;
    for &b in &buf[span.clone()] {
        let Some(v) = base64_value(b) else {
            break;
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            let byte = (acc >> bits) as u8;
            unprintable += usize::from(!is_text_byte(byte));
            // Random bytes are ~60% unprintable: give up early on binary data.
            if unprintable * 20 > (out.len() - start).max(16) {
                return false;
            }
            // Byte k starts at bit 8k: in character 8k / 6.
            origin.push(span.start + (out.len() - start) * 4 / 3);
            out.push(byte);
        }
    }
    let decoded = out.len() - start;
    decoded >= MIN_BASE64 / 4 * 3 - 4 && unprintable * 20 <= decoded
}

fn is_text_byte(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\r' | 0x20..=0x7E)
}

// ---------------------------------------------------------------------------------------------
// Percent-encoding

/// Whether `b` can be part of a URL or query string as written in text.
fn is_url_byte(b: u8) -> bool {
    b > 0x20
        && b < 0x7F
        && !matches!(b, b'"' | b'\'' | b'<' | b'>' | b'`' | b'\\' | b'{' | b'}' | b'|')
}

/// Tokens holding a `%XX` escape of a printable character.
fn percent_spans(buf: &[u8], out: &mut Vec<(Range<usize>, Layer)>) {
    let mut pos = 0;
    while let Some(i) = memchr(b'%', &buf[pos..]) {
        let at = pos + i;
        let printable =
            buf.get(at + 1..at + 3).and_then(hex_byte).is_some_and(|b| (0x20..0x7F).contains(&b));
        if !printable {
            pos = at + 1;
            continue;
        }
        let floor = at.saturating_sub(MAX_SPAN / 2).max(pos);
        let mut start = at;
        while start > floor && is_url_byte(buf[start - 1]) {
            start -= 1;
        }
        let ceil = (at + MAX_SPAN / 2).min(buf.len());
        let end = buf[at..ceil].iter().position(|&b| !is_url_byte(b)).map_or(ceil, |n| at + n);
        out.push((start..end, Layer::Percent));
        pos = end;
    }
}

/// Decodes `%XX` escapes (`+` stays `+`: in a password it is a plus).
fn decode_percent(
    buf: &[u8],
    span: Range<usize>,
    out: &mut Vec<u8>,
    origin: &mut Vec<usize>,
) -> bool {
    let mut i = span.start;
    while i < span.end {
        let escaped =
            (buf[i] == b'%' && i + 3 <= span.end).then(|| hex_byte(&buf[i + 1..i + 3])).flatten();
        out.push(escaped.unwrap_or(buf[i]));
        origin.push(i);
        i += if escaped.is_some() { 3 } else { 1 };
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(text: &str) -> Decoded {
        let mut d = Decoded::default();
        d.fill(text.as_bytes(), &RangeIndex::default(), DECODE_BUDGET, None);
        d
    }

    fn segments(d: &Decoded) -> Vec<(String, Layer)> {
        d.segments
            .iter()
            .map(|s| (String::from_utf8_lossy(&d.bytes[s.decoded.clone()]).into_owned(), s.layer))
            .collect()
    }

    #[test]
    fn base64_text_is_decoded_and_mapped_back() {
        let text = concat!("pass", "word: aHVudGVyMjpzM2NyM3QtdmFsdWUtOTk= # x\n"); // leakhound:allow (fake)
        let d = decode(text);
        assert_eq!(segments(&d), vec![("hunter2:s3cr3t-value-99".to_string(), Layer::Base64)]);
        let (encoded, layer) = d.map(&(0..7)).unwrap();
        assert_eq!(layer, Layer::Base64);
        assert_eq!(encoded.start, text.find("aHVu").unwrap());
        assert!(encoded.end > encoded.start + 8 && encoded.end <= encoded.start + 10);
    }

    #[test]
    fn binary_base64_and_identifiers_are_not_decoded() {
        // 24 random-looking bytes, and long identifiers and paths.
        let text = "img: 9f/+Aq3x0LkPzQ8WcR7tYb2NvH1mJ6eUo4Gs5Dd0\nfunc ContainerCreateWithName2Args()\n\
                    docker/docker/api/types/container/config\n";
        assert!(decode(text).is_empty(), "{:?}", segments(&decode(text)));
    }

    #[test]
    fn the_block_scan_classifies_every_byte_like_the_table() {
        for b in 0..=255u8 {
            let mut block = [b'A'; 16];
            block[5] = b;
            let expected = (!is_base64_byte(b)).then_some(5);
            assert_eq!(last_non_base64(&block), expected, "byte {b:#x}");
            block[13] = b;
            assert_eq!(last_non_base64(&block), (!is_base64_byte(b)).then_some(13), "byte {b:#x}");
        }
    }

    /// The judgement of a run before it was a table of shape bits.
    fn looks_like_base64_reference(run: &[u8]) -> bool {
        let standard = run.iter().any(|&b| b == b'+' || b == b'/');
        let url_safe = run.iter().any(|&b| b == b'-' || b == b'_');
        let upper = run.iter().any(u8::is_ascii_uppercase);
        let lower = run.iter().any(u8::is_ascii_lowercase);
        let digit_or_symbol = standard || url_safe || run.iter().any(u8::is_ascii_digit);
        upper && lower && digit_or_symbol && !(standard && url_safe)
    }

    proptest::proptest! {
        /// The shape-bit judgement of a run agrees with the reference on runs of base64 bytes.
        #[test]
        fn a_run_is_judged_as_the_reference_judges_it(
            run in proptest::collection::vec(proptest::sample::select(
                b"AZaz09+/-_Qq7".to_vec()), 0..40),
        ) {
            proptest::prop_assert_eq!(looks_like_base64(&run), looks_like_base64_reference(&run));
        }
    }

    proptest::proptest! {
        /// The block scan finds the same runs as a byte-by-byte reference.
        #[test]
        fn base64_runs_match_a_byte_by_byte_reference(
            bytes in proptest::collection::vec(proptest::sample::select(b"aZ09+/-_aZ09aZ09aZ09aZ09aZ09aZ09 .=:\n\xc3".to_vec()), 0..200)
        ) {
            let mut fast = Vec::new();
            base64_spans(&bytes, &mut fast);
            let mut slow = Vec::new();
            let mut i = 0;
            while i < bytes.len() {
                let end = bytes[i..].iter().position(|&b| !is_base64_byte(b)).map_or(bytes.len(), |n| i + n);
                if end - i >= MIN_BASE64 && starts_value(&bytes, i) && looks_like_base64(&bytes[i..end]) {
                    let padded = end + bytes[end..].iter().take(2).take_while(|&&b| b == b'=').count();
                    slow.push((i..padded, Layer::Base64));
                }
                i = end + 1;
            }
            proptest::prop_assert_eq!(fast, slow);
        }
    }

    proptest::proptest! {
        /// Positions recorded by counts that start anywhere (a prefilter lane starts mid-run at
        /// its part's first byte, and the one before runs on past it) give the same spans as the
        /// scan of every byte.
        #[test]
        fn runs_counted_in_parts_give_the_scanned_spans(
            bytes in proptest::collection::vec(proptest::sample::select(b"aZ09+/-_aZ09aZ09aZ09aZ09aZ09aZ09 .=:\n\xc3".to_vec()), 0..300),
            cuts in proptest::collection::vec(0usize..300, 0..4),
        ) {
            let mut scanned = Vec::new();
            base64_spans(&bytes, &mut scanned);
            let mut cuts: Vec<usize> = cuts.into_iter().filter(|&c| c < bytes.len()).collect();
            cuts.push(0);
            cuts.sort_unstable();
            let mut positions = Vec::new();
            // Each part counts from its start to MIN_BASE64 - 1 bytes past the next cut.
            for (k, &from) in cuts.iter().enumerate().rev() {
                let to = cuts.get(k + 1).map_or(bytes.len(), |&c| (c + MIN_BASE64 - 1).min(bytes.len()));
                let mut count = Base64Runs::default();
                for (pos, &b) in bytes.iter().enumerate().take(to).skip(from) {
                    count.step(b, pos, &mut positions);
                }
            }
            let mut found = Vec::new();
            base64_spans_at(&bytes, &positions, &mut found);
            proptest::prop_assert_eq!(found, scanned);
        }
    }

    #[test]
    fn base64_is_decoded_only_where_a_value_starts() {
        let value = "aHVudGVyMjpzM2NyM3QtdmFsdWUtOTk=";
        for before in [" ", "=", ":", "\"", ",", ">"] {
            assert_eq!(
                decode(&format!("x{before}{value}\n")).segments.len(),
                1,
                "after {before:?}"
            );
        }
        for before in [".", "$", "%", "&"] {
            assert!(decode(&format!("x{before}{value}\n")).is_empty(), "after {before:?}");
        }
    }

    #[test]
    fn json_strings_are_joined_across_a_list() {
        let text =
            "\"source\": [\n  \"key = \\\"\\\"\\\"-----BEGIN X-----\\n\",\n  \"QUJD\\n\"\n]\n";
        let d = decode(text);
        assert_eq!(
            segments(&d),
            vec![("key = \"\"\"-----BEGIN X-----\nQUJD\n".to_string(), Layer::JsonString)]
        );
        let q = d.bytes.iter().position(|&b| b == b'Q').unwrap();
        assert_eq!(
            d.map(&(q..q + 4)).unwrap().0,
            text.find("QUJD").unwrap()..text.find("QUJD").unwrap() + 4
        );
    }

    #[test]
    fn object_keys_are_not_joined_to_the_value_before_them() {
        let d = decode("{\"a\": \"x\\/y\", \"b\": \"z\"}\n");
        assert_eq!(segments(&d), vec![("x/y".to_string(), Layer::JsonString)]);
    }

    #[test]
    fn json_escapes_decode_slashes_and_unicode() {
        let d = decode(r#"{"url": "https:\/\/hooks.example\/a\u005Fb\ud83d\ude00"}"#);
        assert_eq!(
            segments(&d),
            vec![("https://hooks.example/a_b😀".to_string(), Layer::JsonString)]
        );
    }

    #[test]
    fn a_format_string_ending_in_newline_is_not_decoded() {
        assert!(decode("fmt.Printf(\"%s: done\\n\", name)\n").is_empty());
    }

    #[test]
    fn percent_escapes_of_printable_characters_are_decoded() {
        let d = decode(concat!("GET /x?api_", "key=abc%5Fdef%40host&x=1 HTTP/1.1\n100% sure\n")); // leakhound:allow (fake)
        assert_eq!(segments(&d), vec![("/x?api_key=abc_def@host&x=1".to_string(), Layer::Percent)]);
    }

    #[test]
    fn skipped_spans_and_budget_are_respected() {
        let text = "a: aHVudGVyMjpzM2NyM3QtdmFsdWUtOTk=\n";
        let mut d = Decoded::default();
        d.fill(
            text.as_bytes(),
            &RangeIndex::new(std::iter::once(3..10).collect()),
            DECODE_BUDGET,
            None,
        );
        assert!(d.is_empty());
        d.fill(text.as_bytes(), &RangeIndex::default(), 0, None);
        assert!(d.is_empty());
    }

    proptest::proptest! {
        /// Untrusted bytes never panic the decoder, and every decoded byte maps inside the
        /// parent, in order within its segment.
        #[test]
        fn any_input_decodes_without_panicking_and_maps_inside_the_parent(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "\\", "\"", "%", "%4", "%41", "\\u00", "\\ud83d", "\\x4", ", ", "\n", "=", "aGVsbG8gd29ybGQh",
                    "QUJDREVGR0hJSktMTU5PUA", "x", "/", "-_", "\u{e9}", "\u{ff}",
                ]),
                0..60,
            )
        ) {
            let text = parts.concat();
            let d = decode(&text);
            for segment in &d.segments {
                let origins = &d.origin[segment.decoded.start..=segment.decoded.end];
                proptest::prop_assert!(origins.iter().all(|&o| o <= text.len()));
                proptest::prop_assert!(origins.windows(2).all(|w| w[0] <= w[1]));
            }
        }
    }

    #[test]
    fn ranges_across_segments_do_not_map() {
        let d = decode("a=aHVudGVyMjpzM2NyM3QtdmFsdWUtOTk= b=c2Vjb25kLXNlZ21lbnQtdGV4dA==\n");
        assert_eq!(d.segments.len(), 2);
        assert!(d.map(&(0..d.len() - 1)).is_none());
    }
}
