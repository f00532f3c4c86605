//! The files source: paths and stdin, read and matched on the walker's own threads.
//!
//! Workers are the walker's threads (like ripgrep): each reads and matches the files it visits
//! and sends one [`ItemReport`] per item through a bounded channel, so memory stays flat however
//! many files there are. The collector, on the calling thread, is the only owner of findings;
//! counting goes through the outcome's [`Tally`]. One unreadable item never stops the scan: it
//! becomes a notice and the exit status says the results are incomplete.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use crossbeam_channel::{Sender, bounded};

use crate::config::ReadConfig;
use crate::content::{ReadSummary, Reader};
use crate::finding::Collector;
use crate::matcher::Matcher;
use crate::outcome::{
    Coverage, Notice, NoticeKind, Observer, ScanOutcome, SkipReason, Subject, Tally,
};
use crate::source::archive::ArchiveProblem;
use crate::source::display_path;
use crate::source::fs::{self, Visit, WalkOptions};
use crate::unpack::{self, ArchiveScan, MemberMatch};

/// What a worker reports about one item.
#[derive(Debug)]
enum ItemReport {
    Scanned {
        path: String,
        summary: ReadSummary,
        matches: Vec<MemberMatch>,
        problems: Vec<ArchiveProblem>,
        error: Option<String>,
    },
    TooLarge {
        path: String,
        size: u64,
    },
    Skipped {
        path: String,
        reason: SkipReason,
    },
    Failed {
        path: Option<String>,
        message: String,
    },
}

/// Scans `paths` (stdin for `-`).
pub(crate) fn scan(
    paths: &[PathBuf],
    read: &ReadConfig,
    matcher: &Matcher,
    observer: Option<&Arc<dyn Observer>>,
) -> ScanOutcome {
    let started = Instant::now();
    let (tx, rx) = bounded::<ItemReport>(256);
    let mut collector = Collector::new();
    let mut tally = Tally::default();
    std::thread::scope(|scope| {
        let producer_tx = tx.clone();
        scope.spawn(move || produce(paths, read, matcher, &producer_tx));
        drop(tx);
        for report in rx {
            absorb(&mut collector, &mut tally, matcher, observer, read.binary_strings, report);
        }
    });
    let coverage =
        Coverage { roots: paths.iter().map(|p| display_path(p)).collect(), ..Coverage::default() };
    tally.finish(collector.finish(), coverage, started.elapsed())
}

/// What every worker reads with: the configuration and the scan's archive budget.
struct Reading<'a> {
    read: &'a ReadConfig,
    archives: ArchiveScan,
}

fn produce(paths: &[PathBuf], read: &ReadConfig, matcher: &Matcher, tx: &Sender<ItemReport>) {
    let reading = Reading { read, archives: ArchiveScan::for_scan(read) };
    let reading = &reading;
    let (stdin, paths): (Vec<&PathBuf>, Vec<&PathBuf>) =
        paths.iter().partition(|p| p.as_os_str() == "-");
    if !stdin.is_empty() {
        let mut reader = Reader::new(matcher);
        let report =
            scan_stream(&mut reader, matcher, std::io::stdin().lock(), "<stdin>".into(), reading);
        let _ = tx.send(report);
    }
    let paths: Vec<PathBuf> = paths.into_iter().cloned().collect();
    let options = WalkOptions { no_ignore: read.no_ignore, threads: read.threads };
    fs::walk(&paths, &options, || {
        let tx = tx.clone();
        let mut reader = Reader::new(matcher);
        Box::new(move |visit| {
            let report = match visit {
                Visit::File(path) => {
                    scan_file(&mut reader, matcher, &path, reading, fs::open_regular)
                }
                Visit::Named(path) => {
                    scan_file(&mut reader, matcher, &path, reading, fs::open_named)
                }
                Visit::Skipped(path, reason) => {
                    ItemReport::Skipped { path: display_path(&path), reason }
                }
                Visit::Error(path, message) => {
                    ItemReport::Failed { path: path.as_deref().map(display_path), message }
                }
            };
            let _ = tx.send(report);
        })
    });
}

/// How a file is opened: [`fs::open_regular`], or [`fs::open_named`] for a link the user named.
type Opener = fn(&Path) -> std::io::Result<Option<(std::fs::File, u64)>>;

fn scan_file(
    reader: &mut Reader,
    matcher: &Matcher,
    path: &Path,
    reading: &Reading<'_>,
    open: Opener,
) -> ItemReport {
    let shown = display_path(path);
    match open(path) {
        Ok(Some((_, size))) if reading.read.max_file_size.is_some_and(|max| size > max) => {
            ItemReport::TooLarge { path: shown, size }
        }
        Ok(Some((file, _))) => scan_stream(reader, matcher, file, shown, reading),
        Ok(None) => ItemReport::Skipped { path: shown, reason: SkipReason::Special },
        Err(e) => ItemReport::Failed { path: Some(shown), message: format!("cannot open: {e}") },
    }
}

/// Reads one file or stdin: archives are opened, binaries read for their printable runs
/// ([`crate::unpack`]).
fn scan_stream<R: Read>(
    reader: &mut Reader,
    matcher: &Matcher,
    source: R,
    path: String,
    reading: &Reading<'_>,
) -> ItemReport {
    let options = unpack::read_options(reading.read);
    let (unpacked, error) =
        unpack::scan_stream(reader, matcher, &path, source, options, &reading.archives);
    ItemReport::Scanned {
        path,
        summary: unpacked.summary,
        matches: unpacked.matches,
        problems: unpacked.problems,
        error: error
            .map(|e| format!("read failed part way, the rest of this file was not scanned: {e}")),
    }
}

fn absorb(
    collector: &mut Collector,
    tally: &mut Tally,
    matcher: &Matcher,
    observer: Option<&Arc<dyn Observer>>,
    binary_strings: bool,
    report: ItemReport,
) {
    match report {
        ItemReport::Scanned { path, summary, matches, problems, error } => {
            if let Some(observer) = observer {
                observer.item(summary.bytes, matches.len() as u64);
            }
            if summary.binary && !binary_strings {
                tally.skipped(SkipReason::Binary, Some(&path));
            } else {
                tally.scanned(summary.bytes);
            }
            for found in matches {
                collector.add(matcher.rules(), &found.path(&path), found.found);
            }
            let subject = Subject::Path(path.clone());
            for problem in &problems {
                tally.notice(unpack::archive_notice(&subject, problem));
            }
            if let Some(message) = error {
                tally.notice(Notice::new(NoticeKind::Truncated, Subject::Path(path), message));
            }
        }
        ItemReport::TooLarge { path, size } => tally.too_large(Subject::Path(path), size),
        ItemReport::Skipped { path, reason } => tally.skipped(reason, Some(&path)),
        ItemReport::Failed { path, message } => {
            let subject = path.map_or(Subject::Scan, Subject::Path);
            tally.notice(Notice::new(NoticeKind::Unreadable, subject, message));
        }
    }
}
