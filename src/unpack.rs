//! Unpacking an item before matching it: an archive's members (through [`crate::source::archive`])
//! are each read by the [`Reader`] like a file of their own; anything else is read as it is.
//!
//! This is the one place where scans of files, stdin and git blobs meet archives, so every mode
//! treats them alike: a member's matches carry the member's path (`!inner/dir/file.py`, appended
//! to the item's path by the caller, which knows it), and each archive problem comes back typed;
//! [`archive_notice`] is the one place that turns one into a notice. Nothing here touches the
//! collector.

use std::io::{self, Read};
use std::sync::Arc;

use crate::config::ReadConfig;
use crate::content::{LocatedMatch, ReadOptions, ReadSummary, Reader};
use crate::matcher::{KeywordPass, Matcher, Memo};
use crate::outcome::{Notice, NoticeKind, Subject};
use crate::source::archive::{
    self, ArchiveProblem, Event, Limits, Problem, SNIFF_LEN, ScanBudget, sniff,
};

/// How to treat archives in one scan: the configured bounds and the live scan-wide budget.
#[derive(Debug, Clone)]
pub(crate) struct ArchiveScan {
    /// Bounds per archive; `None` with `--no-archives` (archives are then plain binary items).
    pub limits: Option<Limits>,
    /// Uncompressed bytes left for the whole scan, shared by the workers.
    pub budget: Arc<ScanBudget>,
}

impl Default for ArchiveScan {
    fn default() -> Self {
        ArchiveScan { limits: Some(Limits::default()), budget: Arc::new(ScanBudget::default()) }
    }
}

impl ArchiveScan {
    /// For one scan with `read`'s settings (a fresh scan-wide budget).
    pub(crate) fn for_scan(read: &ReadConfig) -> ArchiveScan {
        ArchiveScan { limits: read.archives, budget: Arc::new(ScanBudget::default()) }
    }
}

/// How `read` reads content (binary items: skipped, matched raw, or their printable runs).
pub(crate) fn read_options(read: &ReadConfig) -> ReadOptions {
    ReadOptions { scan_binary: read.scan_binary, binary_strings: read.binary_strings }
}

/// The notice for an archive problem inside the item `subject`: the member goes into the path
/// (`outer.zip!inner`) when the subject has one, else into the message (a history blob).
pub(crate) fn archive_notice(subject: &Subject, problem: &ArchiveProblem) -> Notice {
    let kind = match &problem.problem {
        Problem::Encrypted => NoticeKind::Encrypted,
        Problem::Unsupported(_) => NoticeKind::Unsupported,
        Problem::Corrupt(_) | Problem::OverlappingEntries => NoticeKind::Corrupt,
        Problem::Truncated => NoticeKind::Truncated,
        Problem::SpecialEntry(_) => NoticeKind::SpecialMember,
        Problem::DepthLimit(_)
        | Problem::EntryLimit(_)
        | Problem::ArchiveBytesLimit(_)
        | Problem::TooLargeToOpen(_)
        | Problem::ScanBytesLimit(_)
        | Problem::RatioLimit(_)
        | Problem::DecoderMemory(_) => NoticeKind::BudgetExhausted,
    };
    let member = &problem.path;
    let (subject, message) = match subject {
        Subject::Path(path) => {
            (Subject::Path(format!("{path}{member}")), problem.problem.to_string())
        }
        Subject::Object { id, path: Some(path) } => (
            Subject::Object { id: id.clone(), path: Some(format!("{path}{member}")) },
            problem.problem.to_string(),
        ),
        other if member.is_empty() => (other.clone(), problem.problem.to_string()),
        other => (other.clone(), format!("{member}: {}", problem.problem)),
    };
    Notice::new(kind, subject, message)
}

/// A match and the archive member it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MemberMatch {
    /// `!inner/path` (one `!` per archive level) for a match inside an archive; empty otherwise.
    pub member: String,
    /// The match, located within the member.
    pub found: LocatedMatch,
}

impl MemberMatch {
    /// The full display path for an item shown as `item`.
    pub(crate) fn path(&self, item: &str) -> String {
        format!("{item}{}", self.member)
    }
}

/// What unpacking and reading one item produced.
#[derive(Debug, Default)]
pub(crate) struct Unpacked {
    /// Matches, in item order.
    pub matches: Vec<MemberMatch>,
    /// Archive problems, with paths relative to the item (`!inner`, or empty for the item).
    pub problems: Vec<ArchiveProblem>,
    /// Bytes read (members' uncompressed bytes for an archive) and whether the item was binary
    /// content that was not matched.
    pub summary: ReadSummary,
    /// Whether the item was opened as an archive.
    pub archive: bool,
    /// The item's keyword pass, when `pass.keep` asked for it and the item was matched as plain
    /// text ([`scan_bytes`]).
    pub memo: Option<Memo>,
}

/// Reads an item already in memory (a git blob). `name` is the item's path when known (it names
/// the content of a compressed file: `app.log.gz!app.log`), else empty. `pass` applies to an
/// item matched as plain text (a git blob a delta built, [`Reader::scan_blob_derived`]); an
/// archive is opened as ever and keeps no keyword pass.
pub(crate) fn scan_bytes(
    reader: &mut Reader,
    matcher: &Matcher,
    name: &str,
    bytes: &[u8],
    read: ReadOptions,
    archives: &ArchiveScan,
    pass: KeywordPass<'_>,
) -> Unpacked {
    let mut unpacked = Unpacked::default();
    let relative = |path: &str| path.strip_prefix(name).unwrap_or(path).to_string();
    if let Some(limits) = &archives.limits {
        unpacked.archive =
            archive::expand(name, bytes, limits, &archives.budget, &mut |event| match event {
                Event::Entry(entry) => {
                    let mut found = Vec::new();
                    let summary = reader.scan_blob(matcher, entry.bytes, read, &mut found);
                    unpacked.summary.bytes += summary.bytes;
                    let member = relative(entry.path);
                    unpacked.matches.extend(
                        found
                            .into_iter()
                            .map(|found| MemberMatch { member: member.clone(), found }),
                    );
                }
                Event::Problem(problem) => {
                    unpacked.problems.push(ArchiveProblem {
                        path: relative(&problem.path),
                        problem: problem.problem,
                    });
                }
            });
    }
    if !unpacked.archive {
        let mut found = Vec::new();
        (unpacked.summary, unpacked.memo) =
            reader.scan_blob_derived(matcher, bytes, read, &mut found, pass);
        unpacked.matches =
            found.into_iter().map(|found| MemberMatch { member: String::new(), found }).collect();
    }
    unpacked
}

/// Reads a stream (a file, stdin): an archive is read into memory (at most
/// [`Limits::max_archive_bytes`]) and unpacked; anything else is streamed through the reader's
/// windows. An archive over that size is read as a plain item, with a problem saying so.
///
/// On a read error, what was found before it is returned with the error.
pub(crate) fn scan_stream<R: Read>(
    reader: &mut Reader,
    matcher: &Matcher,
    name: &str,
    mut source: R,
    read: ReadOptions,
    archives: &ArchiveScan,
) -> (Unpacked, Option<io::Error>) {
    // Sized so the sniff is one `read` (an empty Vec starts with 32-byte probe reads).
    let mut head = Vec::with_capacity(SNIFF_LEN);
    if let Some(limits) = &archives.limits {
        if let Err(e) = (&mut source).take(SNIFF_LEN as u64).read_to_end(&mut head) {
            return (Unpacked::default(), Some(e));
        }
        if sniff(&head).is_some() {
            if let Err(e) = (&mut source)
                .take(limits.max_archive_bytes.saturating_add(1))
                .read_to_end(&mut head)
            {
                return (Unpacked::default(), Some(e));
            }
            if head.len() as u64 <= limits.max_archive_bytes {
                let pass = KeywordPass::default();
                return (scan_bytes(reader, matcher, name, &head, read, archives, pass), None);
            }
            let mut plain = scan_plain(reader, matcher, io::Cursor::new(head).chain(source), read);
            let too_big = archive::Problem::TooLargeToOpen(limits.max_archive_bytes);
            plain.0.problems.push(ArchiveProblem { path: String::new(), problem: too_big });
            return plain;
        }
    }
    // A sniff that came back short met the end: the stream is not asked for it a second time.
    let met_end = archives.limits.is_some() && head.len() < SNIFF_LEN;
    let rest = source.take(if met_end { 0 } else { u64::MAX });
    scan_plain(reader, matcher, io::Cursor::new(head).chain(rest), read)
}

fn scan_plain<R: Read>(
    reader: &mut Reader,
    matcher: &Matcher,
    source: R,
    read: ReadOptions,
) -> (Unpacked, Option<io::Error>) {
    let mut found = Vec::new();
    let result = reader.scan(matcher, source, read, &mut found);
    let located =
        found.into_iter().map(|found| MemberMatch { member: String::new(), found }).collect();
    match result {
        Ok(summary) => (Unpacked { matches: located, summary, ..Unpacked::default() }, None),
        Err(e) => (Unpacked { matches: located, ..Unpacked::default() }, Some(e)),
    }
}
