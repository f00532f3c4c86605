//! Printable runs of binary content, the way `strings` reads a file: a key compiled into a `.so`,
//! an executable, a `.pyc` or a `.class` file sits in a run of printable ASCII (or UTF-16LE, as
//! Windows binaries and .NET assemblies store strings) between non-text bytes.
//!
//! Runs of at least [`MIN_RUN`] characters are copied, one per line, into a text buffer that the
//! matcher scans like any file; each match is mapped back to the byte offset of its run in the
//! binary. A binary has no lines, so its locations are byte offsets: line 1, column = offset + 1
//! (in bytes), and [`Position::offset`] the offset itself.
//!
//! Memory is flat: the binary is read in chunks of [`CHUNK`] bytes, each cut where two
//! consecutive non-printable bytes guarantee that no ASCII or UTF-16 run crosses the cut, and the
//! text buffer is matched and emptied every [`FLUSH`] bytes, at a run boundary. Cost: one pass over
//! the bytes, then matching only the runs (typically a small fraction of a binary).

use std::io::{self, Read};

use crate::content::{LocatedMatch, Position};
use crate::matcher::{Matcher, RawMatch, Scratch};

/// Shortest run kept, in characters (`strings` uses 4; no secret a rule finds is that short).
pub(crate) const MIN_RUN: usize = 8;
/// Bytes of the binary examined at a time.
pub(crate) const CHUNK: usize = 4 << 20;
/// Run text matched at a time.
pub(crate) const FLUSH: usize = 4 << 20;

/// A run's place in the text buffer and in the binary.
#[derive(Debug, Clone, Copy)]
struct Run {
    text_start: usize,
    source: u64,
    /// Bytes per character in the binary: 1 (ASCII) or 2 (UTF-16LE).
    width: u64,
}

/// The runs collected so far and their text.
#[derive(Debug, Default)]
struct Runs {
    text: Vec<u8>,
    placed: Vec<Run>,
    raw: Vec<RawMatch>,
}

/// Scans the printable runs of a binary whose first bytes are `head` and the rest `rest`.
/// Returns the bytes read.
pub(crate) fn scan_stream<R: Read>(
    matcher: &Matcher,
    scratch: &mut Scratch,
    head: &[u8],
    mut rest: R,
    out: &mut Vec<LocatedMatch>,
) -> io::Result<u64> {
    let mut runs = Runs::default();
    let mut chunk = head.to_vec();
    let mut base = 0u64;
    loop {
        let want = CHUNK.saturating_sub(chunk.len()) as u64;
        let eof = (&mut rest).take(want).read_to_end(&mut chunk)? < want as usize;
        let cut = if eof { chunk.len() } else { safe_cut(&chunk) };
        runs.extract(&chunk[..cut], base);
        runs.flush_if_full(matcher, scratch, out);
        base += cut as u64;
        chunk.drain(..cut);
        if eof && chunk.is_empty() {
            break;
        }
    }
    runs.flush(matcher, scratch, out);
    Ok(base)
}

/// Scans the printable runs of a binary already in memory.
pub(crate) fn scan_slice(
    matcher: &Matcher,
    scratch: &mut Scratch,
    bytes: &[u8],
    out: &mut Vec<LocatedMatch>,
) {
    // Reading from a slice cannot fail.
    let _ = scan_stream(matcher, scratch, &[], bytes, out);
}

/// Where to end a chunk so that no run crosses the cut: after the last two consecutive bytes
/// that are both non-printable (no ASCII run holds one, no UTF-16LE run holds two in a row); the
/// whole chunk when there is none.
fn safe_cut(chunk: &[u8]) -> usize {
    chunk
        .windows(2)
        .rposition(|w| !printable(w[0]) && !printable(w[1]))
        .map_or(chunk.len(), |i| i + 1)
}

fn printable(byte: u8) -> bool {
    (0x20..0x7F).contains(&byte) || byte == b'\t'
}

impl Runs {
    /// Collects the ASCII and UTF-16LE runs of `bytes`, which start at `base` in the binary.
    fn extract(&mut self, bytes: &[u8], base: u64) {
        let mut start = None;
        for (i, &b) in bytes.iter().chain(std::iter::once(&0)).enumerate() {
            match (printable(b), start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    self.push(&bytes[s..i], base + s as u64, 1);
                    start = None;
                }
                _ => {}
            }
        }
        self.extract_utf16(bytes, base);
    }

    fn extract_utf16(&mut self, bytes: &[u8], base: u64) {
        let mut i = 0;
        let mut chars = Vec::new();
        while i + 1 < bytes.len() {
            if !(printable(bytes[i]) && bytes[i + 1] == 0) {
                i += 1;
                continue;
            }
            let start = i;
            chars.clear();
            while i + 1 < bytes.len() && printable(bytes[i]) && bytes[i + 1] == 0 {
                chars.push(bytes[i]);
                i += 2;
            }
            self.push(&chars, base + start as u64, 2);
        }
    }

    fn push(&mut self, run: &[u8], source: u64, width: u64) {
        if run.len() < MIN_RUN {
            return;
        }
        self.placed.push(Run { text_start: self.text.len(), source, width });
        self.text.extend_from_slice(run);
        self.text.push(b'\n');
    }

    fn flush_if_full(
        &mut self,
        matcher: &Matcher,
        scratch: &mut Scratch,
        out: &mut Vec<LocatedMatch>,
    ) {
        if self.text.len() >= FLUSH {
            self.flush(matcher, scratch, out);
        }
    }

    /// Matches the collected text and empties it.
    fn flush(&mut self, matcher: &Matcher, scratch: &mut Scratch, out: &mut Vec<LocatedMatch>) {
        self.raw.clear();
        matcher.scan(&self.text, scratch, &mut self.raw);
        for found in &self.raw {
            out.push(self.locate(found));
        }
        self.text.clear();
        self.placed.clear();
    }

    /// A text match, placed at its bytes in the binary.
    fn locate(&self, found: &RawMatch) -> LocatedMatch {
        let index =
            self.placed.partition_point(|r| r.text_start <= found.secret.start).saturating_sub(1);
        let run = self.placed[index];
        let at =
            |text: usize| run.source + (text.saturating_sub(run.text_start) as u64) * run.width;
        let (start, end) = (at(found.secret.start), at(found.secret.end));
        let mut placed = found.clone();
        placed.secret = start as usize..end as usize;
        placed.span =
            at(found.span.start.max(run.text_start)) as usize..at(found.span.end) as usize;
        LocatedMatch {
            secret: found.secret_bytes(&self.text).to_vec(),
            found: placed,
            position: Position {
                line: 1,
                column: start + 1,
                end_line: 1,
                end_column: end + 1,
                offset: start,
            },
            marker: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(bytes: &[u8]) -> Vec<(String, u64, u64)> {
        let mut runs = Runs::default();
        runs.extract(bytes, 100);
        runs.placed
            .iter()
            .map(|r| {
                let end = runs.text[r.text_start..].iter().position(|&b| b == b'\n').unwrap()
                    + r.text_start;
                (
                    String::from_utf8_lossy(&runs.text[r.text_start..end]).into_owned(),
                    r.source,
                    r.width,
                )
            })
            .collect()
    }

    #[test]
    fn ascii_and_utf16_runs_are_found_with_their_offsets() {
        let mut binary = b"\x7fELF\x00\x01short\x00".to_vec();
        binary.extend_from_slice(b"api_key=0123456789abcdef\x00\xff");
        let wide: Vec<u8> =
            "Password=Hunter2Hunter2".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let wide_at = binary.len() as u64;
        binary.extend_from_slice(&wide);
        binary.extend_from_slice(&[0, 0, 0xC3]);
        assert_eq!(
            texts(&binary),
            [
                ("api_key=0123456789abcdef".to_string(), 100 + 12, 1),
                ("Password=Hunter2Hunter2".to_string(), 100 + wide_at, 2)
            ]
        );
    }

    #[test]
    fn chunks_are_cut_where_no_run_can_cross() {
        assert_eq!(safe_cut(b"abc\x00\x00def"), 4);
        assert_eq!(
            safe_cut(b"a\x00b\x00c\x00"),
            6,
            "no two non-printables in a row: keep it whole"
        );
        let wide: Vec<u8> = "abcdefgh".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let mut bytes = wide.clone();
        bytes.extend_from_slice(&[0xFF, 0xFF]);
        bytes.extend_from_slice(&wide);
        assert_eq!(safe_cut(&bytes), wide.len() + 1);
    }
}
