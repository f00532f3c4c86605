//! Archives: zip and its family, tar, and gzip, bzip2, xz and zstd streams, expanded in memory into
//! the members a scan should read, with a typed [`Problem`] for everything that was not read.
//!
//! The interface is one function, [`expand`]: an item's name and bytes in, a stream of [`Event`]s
//! out (each member as `outer.zip!inner/dir/file.py` with its bytes, or a problem). This module
//! never matches, never touches the file system and never writes: nothing is extracted to disk, so
//! no entry name (`../x`, `/etc/passwd`) can escape anywhere; a name is only ever a label.
//!
//! Formats are recognised by magic bytes ([`detect`]), never by file name: a Terraform plan, an
//! APK or a wheel named anything is still a zip. Office and ODF documents are zips whose text lives
//! in XML parts, so they need nothing special. A compressed stream whose content is a tar
//! (`.tar.gz`, `.tgz`, `.tar.zst`) counts as one archive level, and the tar is read straight from
//! the decoder, never held whole.
//!
//! Bounds ([`Limits`], [`ScanBudget`]): nesting depth, uncompressed bytes per top-level archive and
//! per scan, member count, and the compression ratio of every decoded stream. Each bound reached,
//! each encrypted, unsupported, corrupt or truncated member becomes a [`Problem`] naming where it
//! happened; what was read before stays read. Work is linear in the archive: members are visited
//! once in order, the zip central directory is indexed once by the zip crate, and overlapping zip
//! entries (the flat "zip bomb" trick of many entries sharing one compressed block) are refused
//! up front. Decoder memory is bounded too: xz dictionaries are capped ([`XZ_MEMORY_KIB`]) and
//! ruzstd refuses oversized windows by default.
//!
//! Libraries, all pure Rust (no C toolchain, no `unsafe` of ours), decoders only:
//! - `zip` (features `deflate-flate2-zlib-rs`, `bzip2`): the maintained zip reader; reads the
//!   central directory, exposes `has_overlapping_files`, checks CRCs. No AES, no zopfli, no C zstd.
//! - `tar` (no default features, so no `xattr`): a streaming reader over any `Read`.
//! - `flate2` on `zlib-rs`: the same pure-Rust zlib that gix already links for git objects.
//! - `bzip2` 0.6: its default backend is `libbz2-rs-sys`, a pure-Rust port of libbzip2.
//! - `lzma-rust2` (features `std`, `xz` only): a streaming xz reader with a memory limit.
//! - `ruzstd` (feature `std` only): a pure-Rust zstd decoder (the `zstd` crate binds C).

pub(crate) mod detect;
mod stream;
mod tarball;
#[cfg(test)]
mod tests;
mod zipfile;

use std::cell::Cell;
use std::io::{self, Read};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

pub(crate) use detect::{Format, SNIFF_LEN, sniff};

/// Largest xz dictionary (plus decoder overhead) accepted, in KiB: 64 MiB. `xz -9` uses 64 MiB;
/// a hostile header may ask for 1.5 GiB.
pub(crate) const XZ_MEMORY_KIB: u32 = 64 << 10;

/// Uncompressed output a stream may produce before the ratio bound applies: small, very
/// compressible members (a few KiB of repeated configuration) are not bombs.
pub(crate) const RATIO_FLOOR: u64 = 1 << 20;

/// Bounds on expanding one top-level archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Archive levels opened, the outermost counting as 1 (`a.zip!b.jar!c.zip` is 3).
    pub max_depth: u32,
    /// Uncompressed bytes extracted from one top-level archive, all levels together.
    pub max_archive_bytes: u64,
    /// Members (files, links, devices) in one top-level archive, all levels together.
    pub max_entries: u64,
    /// Output bytes per input byte of any compressed stream or member, once past `RATIO_FLOOR`.
    pub max_ratio: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_depth: 3, max_archive_bytes: 256 << 20, max_entries: 100_000, max_ratio: 250 }
    }
}

/// Uncompressed bytes all archives of one scan may still produce, shared by the worker threads.
#[derive(Debug)]
pub struct ScanBudget {
    limit: u64,
    remaining: AtomicU64,
}

impl ScanBudget {
    /// Default for a whole scan: 8 GiB of archive content.
    pub const DEFAULT: u64 = 8 << 30;

    /// A budget of `bytes`.
    pub fn new(bytes: u64) -> ScanBudget {
        ScanBudget { limit: bytes, remaining: AtomicU64::new(bytes) }
    }

    /// What is left.
    pub fn available(&self) -> u64 {
        self.remaining.load(Ordering::Relaxed)
    }

    /// The budget it started with.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Spends `bytes` (never below zero).
    fn spend(&self, bytes: u64) {
        let _ = self.remaining.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
            Some(left.saturating_sub(bytes))
        });
    }
}

impl Default for ScanBudget {
    fn default() -> Self {
        ScanBudget::new(ScanBudget::DEFAULT)
    }
}

/// A member's content, ready to scan.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    /// `outer!inner`, one `!` per archive level.
    pub path: &'a str,
    /// The member's uncompressed bytes (possibly cut short; a [`Problem`] then says so).
    pub bytes: &'a [u8],
}

/// Something that was not (fully) read, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveProblem {
    /// The archive or member concerned, as `outer!inner`.
    pub path: String,
    /// What happened.
    pub problem: Problem,
}

/// Why part of an archive was not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// A nested archive deeper than [`Limits::max_depth`]: not opened.
    #[error("nested archive not opened: deeper than the archive depth limit ({0})")]
    DepthLimit(u32),
    /// More members than [`Limits::max_entries`]: the rest of the archive was not read.
    #[error("archive has more than {0} members: the rest was not read")]
    EntryLimit(u64),
    /// [`Limits::max_archive_bytes`] reached: the rest of the archive was not read.
    #[error("archive expands to more than {0} bytes: the rest was not read")]
    ArchiveBytesLimit(u64),
    /// A top-level archive larger than [`Limits::max_archive_bytes`]: read as a plain item.
    #[error("archive is over {0} bytes: not opened, only read as a plain file")]
    TooLargeToOpen(u64),
    /// The scan-wide [`ScanBudget`] is spent: the rest of the archive was not read.
    #[error("archives in this scan expanded to more than {0} bytes: the rest was not read")]
    ScanBytesLimit(u64),
    /// A decoder would need more memory than allowed (an xz dictionary or zstd window).
    #[error("decoder memory bound reached: {0}")]
    DecoderMemory(String),
    /// A stream expanded more than [`Limits::max_ratio`] times its compressed size.
    #[error("compression ratio over {0}:1 (a decompression bomb?): the rest was not read")]
    RatioLimit(u64),
    /// An encrypted member: its content cannot be read.
    #[error("encrypted member: not read")]
    Encrypted,
    /// A compression method or format variant the decoders do not support.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// Zip entries that share bytes (a decompression bomb technique): the archive was not read.
    #[error("zip entries overlap (a decompression bomb?): not read")]
    OverlappingEntries,
    /// Malformed data.
    #[error("corrupt archive: {0}")]
    Corrupt(String),
    /// The data ends early.
    #[error("truncated archive: the data ends early")]
    Truncated,
    /// A member that holds no content of its own (a link, device or FIFO): nothing to read.
    #[error("{0} member skipped: it holds no content")]
    SpecialEntry(SpecialEntry),
}

impl Problem {
    /// Whether the scan missed content because of it (every problem except a special entry).
    pub fn incomplete(&self) -> bool {
        !matches!(self, Problem::SpecialEntry(_))
    }
}

/// A member kind without content of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecialEntry {
    /// A symbolic link (never followed).
    Symlink,
    /// A tar hard link (its target is read as its own member).
    HardLink,
    /// A character or block device.
    Device,
    /// A named pipe.
    Fifo,
    /// Another tar entry type.
    Other,
}

impl std::fmt::Display for SpecialEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SpecialEntry::Symlink => "symbolic link",
            SpecialEntry::HardLink => "hard link",
            SpecialEntry::Device => "device",
            SpecialEntry::Fifo => "FIFO",
            SpecialEntry::Other => "special",
        })
    }
}

/// What [`expand`] reports, in archive order.
#[derive(Debug)]
pub enum Event<'a> {
    /// A member to scan.
    Entry(Entry<'a>),
    /// Something not (fully) read.
    Problem(ArchiveProblem),
}

/// Expands `bytes` if they are an archive, sending every member and problem to `sink`.
///
/// Returns `false`, sending nothing, when `bytes` are not an archive (the caller scans them as
/// they are). `name` is the item's display path, the prefix of every member path.
pub fn expand(
    name: &str,
    bytes: &[u8],
    limits: &Limits,
    budget: &ScanBudget,
    sink: &mut dyn FnMut(Event<'_>),
) -> bool {
    let Some(format) = sniff(bytes) else { return false };
    let mut expander = Expander { limits, budget, sink, used: 0, entries: 0, stopped: false };
    expander.archive(name, format, bytes, 1);
    true
}

/// The state of one top-level expansion.
struct Expander<'a> {
    limits: &'a Limits,
    budget: &'a ScanBudget,
    sink: &'a mut dyn FnMut(Event<'_>),
    /// Uncompressed bytes extracted so far.
    used: u64,
    /// Members seen so far.
    entries: u64,
    /// A whole-archive bound was reached: read nothing more.
    stopped: bool,
}

impl Expander<'_> {
    /// Opens an archive of `format` at nesting level `depth`.
    fn archive(&mut self, path: &str, format: Format, bytes: &[u8], depth: u32) {
        match format {
            Format::Zip => zipfile::walk(self, path, bytes, depth),
            Format::Tar => tarball::walk(self, path, bytes, depth),
            Format::Gzip | Format::Bzip2 | Format::Xz | Format::Zstd => {
                stream::walk(self, path, format, bytes, depth);
            }
        }
    }

    /// A member of an archive at level `depth`: opened if it is an archive itself, else scanned.
    fn member(&mut self, path: &str, bytes: &[u8], depth: u32) {
        match sniff(bytes) {
            Some(_) if depth >= self.limits.max_depth => {
                self.problem(path, Problem::DepthLimit(self.limits.max_depth));
            }
            Some(format) => self.archive(path, format, bytes, depth + 1),
            None => (self.sink)(Event::Entry(Entry { path, bytes })),
        }
    }

    /// Reads a member through `reader` within the remaining bounds, then scans or opens it
    /// (a cut-short member is still scanned, and the problem reported after it).
    fn read_member(&mut self, path: &str, reader: &mut dyn Read, ratio: &RatioFlag, depth: u32) {
        let archive_left = self.limits.max_archive_bytes.saturating_sub(self.used);
        let allowed = archive_left.min(self.budget.available());
        let mut bytes = Vec::new();
        let result = reader.take(allowed.saturating_add(1)).read_to_end(&mut bytes);
        let mut problem = match result {
            Err(_) if ratio.tripped() => Some(Problem::RatioLimit(self.limits.max_ratio)),
            Err(e) => Some(io_problem(&e)),
            Ok(_) if bytes.len() as u64 > allowed => {
                bytes.truncate(allowed as usize);
                self.stopped = true;
                Some(self.byte_limit(archive_left))
            }
            Ok(_) => None,
        };
        self.used += bytes.len() as u64;
        self.budget.spend(bytes.len() as u64);
        if problem.as_ref().is_some_and(|p| !matches!(p, Problem::RatioLimit(_)))
            && sniff(&bytes).is_some()
        {
            // A cut-short nested archive: reading it would only report its truncation again.
            self.problem(path, problem.take().unwrap_or(Problem::Truncated));
            return;
        }
        self.member(path, &bytes, depth);
        if let Some(problem) = problem {
            self.problem(path, problem);
        }
    }

    /// Which byte bound was reached, given what the archive had left.
    fn byte_limit(&self, archive_left: u64) -> Problem {
        if archive_left <= self.budget.available() {
            Problem::ArchiveBytesLimit(self.limits.max_archive_bytes)
        } else {
            Problem::ScanBytesLimit(self.budget.limit())
        }
    }

    /// Counts one member; `false` (after reporting it once) when over the member bound.
    fn count_entry(&mut self, archive: &str) -> bool {
        self.entries += 1;
        if self.entries > self.limits.max_entries {
            self.stopped = true;
            self.problem(archive, Problem::EntryLimit(self.limits.max_entries));
            return false;
        }
        true
    }

    fn problem(&mut self, path: &str, problem: Problem) {
        (self.sink)(Event::Problem(ArchiveProblem { path: path.to_string(), problem }));
    }
}

/// The problem an I/O error from a decoder or archive reader stands for. The `tar` crate reports
/// a stream that ends inside a member as an `Other` error saying "unexpected EOF"; that is a
/// truncation too. Decoders report a memory bound as `OutOfMemory`.
fn io_problem(error: &io::Error) -> Problem {
    let text = error.to_string();
    if error.kind() == io::ErrorKind::UnexpectedEof || text.contains("unexpected EOF") {
        Problem::Truncated
    } else if error.kind() == io::ErrorKind::OutOfMemory {
        Problem::DecoderMemory(text)
    } else {
        Problem::Corrupt(text)
    }
}

/// Set when a [`RatioMeter`] stopped a stream, so the caller can tell a bound from corruption
/// whatever the archive reader made of the error.
#[derive(Debug, Clone, Default)]
struct RatioFlag(Rc<Cell<bool>>);

impl RatioFlag {
    fn tripped(&self) -> bool {
        self.0.get()
    }
}

/// Counts what a decoder produces and fails once it is more than `max_ratio` times its input
/// (past [`RATIO_FLOOR`]).
struct RatioMeter<R> {
    inner: R,
    produced: u64,
    allowed: u64,
    flag: RatioFlag,
}

impl<R: Read> RatioMeter<R> {
    fn new(inner: R, compressed: u64, max_ratio: u64, flag: RatioFlag) -> Self {
        let allowed = compressed.saturating_mul(max_ratio).max(RATIO_FLOOR);
        RatioMeter { inner, produced: 0, allowed, flag }
    }
}

impl<R: Read> Read for RatioMeter<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.produced += n as u64;
        if self.produced > self.allowed {
            self.flag.0.set(true);
            return Err(io::Error::other("compression ratio bound reached"));
        }
        Ok(n)
    }
}

/// A member name from raw archive bytes, lossy UTF-8 (names are labels, never paths we open).
fn member_name(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw).into_owned()
}
