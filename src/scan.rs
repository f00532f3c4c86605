//! The scan pipeline: sources -> worker threads (content -> matcher) -> bounded channel -> one
//! collector (DESIGN.md §1).
//!
//! Workers are the walker's own threads (like ripgrep): each reads and matches the files it visits
//! and sends one `ItemReport` per item through a bounded channel, so memory stays flat however
//! many files there are. The collector, on the calling thread, is the only owner of findings,
//! notices and counters. One unreadable item never stops the scan: it becomes a [`Notice`] and the
//! exit status says the results are incomplete.

use std::io::Read;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crossbeam_channel::{Sender, bounded};

use crate::config::ScanConfig;
use crate::content::{ReadOptions, ReadSummary, Reader};
use crate::finding::{Collector, Finding};
use crate::matcher::Matcher;
use crate::progress::Progress;
use crate::source::archive::ArchiveProblem;
use crate::source::display_path;
use crate::source::fs::{self, SkipReason, Visit, WalkOptions};
use crate::unpack::{self, MemberMatch};

/// How serious a notice is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NoticeLevel {
    /// Something was deliberately not read (e.g. over `--max-file-size`); results are complete
    /// for what the user asked.
    Warning,
    /// Something could not be read: results are incomplete, the exit status is 2.
    Error,
}

impl NoticeLevel {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeLevel::Warning => "warning",
            NoticeLevel::Error => "error",
        }
    }
}

/// Something about the scan itself: an item skipped or not (fully) read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Notice {
    /// Error or warning.
    pub level: NoticeLevel,
    /// The item concerned, when there is one.
    pub path: Option<String>,
    /// What happened (never contains secret content).
    pub message: String,
}

/// Counters for the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanStats {
    /// Items read and matched.
    pub items_scanned: u64,
    /// Bytes read and matched.
    pub bytes_scanned: u64,
    /// Items skipped because they look binary.
    pub skipped_binary: u64,
    /// Items skipped because they exceed `--max-file-size`.
    pub skipped_too_large: u64,
    /// Symbolic links not followed.
    pub skipped_symlinks: u64,
    /// FIFOs, sockets and devices not opened.
    pub skipped_special: u64,
    /// Items that could not be read, or not completely.
    pub errors: u64,
    /// Wall time.
    pub duration: Duration,
}

/// Everything a scan produced.
#[derive(Debug)]
pub struct ScanOutcome {
    /// Deduplicated, sorted, active findings.
    pub findings: Vec<Finding>,
    /// Findings (or some of their locations) suppressed by a marker, config or baseline; kept
    /// so reports can show them ([`crate::suppress`]).
    pub suppressed: Vec<Finding>,
    /// Sorted notices.
    pub notices: Vec<Notice>,
    /// Counters.
    pub stats: ScanStats,
}

impl ScanOutcome {
    /// Whether anything could not be read.
    pub fn incomplete(&self) -> bool {
        self.notices.iter().any(|n| n.level == NoticeLevel::Error)
    }
}

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
        reason: SkipReason,
    },
    Failed {
        path: Option<String>,
        message: String,
    },
}

/// Scans the configured paths (and stdin for `-`).
pub fn scan(config: &ScanConfig, matcher: &Matcher) -> ScanOutcome {
    let started = Instant::now();
    let (tx, rx) = bounded::<ItemReport>(256);
    let mut state = CollectorState::default();
    std::thread::scope(|scope| {
        let producer_tx = tx.clone();
        scope.spawn(move || produce(config, matcher, &producer_tx));
        drop(tx);
        for report in rx {
            state.absorb(matcher, config.progress.as_deref(), config.binary_strings, report);
        }
    });
    state.finish(started.elapsed())
}

fn produce(config: &ScanConfig, matcher: &Matcher, tx: &Sender<ItemReport>) {
    let (stdin, paths): (Vec<&PathBuf>, Vec<&PathBuf>) = config.paths.iter().partition(|p| p.as_os_str() == "-");
    if !stdin.is_empty() {
        let mut reader = Reader::new(matcher);
        let report = scan_stream(&mut reader, matcher, std::io::stdin().lock(), "<stdin>".into(), config);
        let _ = tx.send(report);
    }
    let paths: Vec<PathBuf> = paths.into_iter().cloned().collect();
    let options = WalkOptions { no_ignore: config.no_ignore, threads: config.threads };
    fs::walk(&paths, &options, || {
        let tx = tx.clone();
        let mut reader = Reader::new(matcher);
        Box::new(move |visit| {
            let report = match visit {
                Visit::File(path) => scan_file(&mut reader, matcher, &path, config),
                Visit::Skipped(_, reason) => ItemReport::Skipped { reason },
                Visit::Error(path, message) => ItemReport::Failed { path: path.as_deref().map(display_path), message },
            };
            let _ = tx.send(report);
        })
    });
}

fn scan_file(reader: &mut Reader, matcher: &Matcher, path: &std::path::Path, config: &ScanConfig) -> ItemReport {
    let shown = display_path(path);
    match fs::open_regular(path) {
        Ok(Some((_, size))) if config.max_file_size.is_some_and(|max| size > max) => {
            ItemReport::TooLarge { path: shown, size }
        }
        Ok(Some((file, _))) => scan_stream(reader, matcher, file, shown, config),
        Ok(None) => ItemReport::Skipped { reason: SkipReason::Special },
        Err(e) => ItemReport::Failed { path: Some(shown), message: format!("cannot open: {e}") },
    }
}

fn scan_stream<R: Read>(
    reader: &mut Reader,
    matcher: &Matcher,
    source: R,
    path: String,
    config: &ScanConfig,
) -> ItemReport {
    let options = ReadOptions { scan_binary: config.scan_binary, binary_strings: config.binary_strings };
    let (unpacked, error) = unpack::scan_stream(reader, matcher, &path, source, options, &config.archives);
    ItemReport::Scanned {
        path,
        summary: unpacked.summary,
        matches: unpacked.matches,
        problems: unpacked.problems,
        error: error.map(|e| format!("read failed part way, the rest of this file was not scanned: {e}")),
    }
}

/// The notice for an archive problem in the item shown as `item`: an error when content was
/// missed, a warning for a member without content (a link, a device).
pub(crate) fn archive_notice(item: &str, problem: &ArchiveProblem) -> Notice {
    let level = if problem.problem.incomplete() { NoticeLevel::Error } else { NoticeLevel::Warning };
    Notice { level, path: Some(format!("{item}{}", problem.path)), message: problem.problem.to_string() }
}

#[derive(Debug, Default)]
struct CollectorState {
    collector: Collector,
    notices: Vec<Notice>,
    stats: ScanStats,
}

impl CollectorState {
    fn absorb(&mut self, matcher: &Matcher, progress: Option<&Progress>, binary_strings: bool, report: ItemReport) {
        match report {
            ItemReport::Scanned { path, summary, matches, problems, error } => {
                if let Some(progress) = progress {
                    progress.item(summary.bytes, matches.len() as u64);
                }
                if summary.binary && !binary_strings {
                    self.stats.skipped_binary += 1;
                } else {
                    self.stats.items_scanned += 1;
                    self.stats.bytes_scanned += summary.bytes;
                }
                for found in matches {
                    self.collector.add(matcher.rules(), &found.path(&path), found.found);
                }
                for problem in &problems {
                    let notice = archive_notice(&path, problem);
                    self.stats.errors += u64::from(notice.level == NoticeLevel::Error);
                    self.notices.push(notice);
                }
                if let Some(message) = error {
                    self.error(Some(path), message);
                }
            }
            ItemReport::TooLarge { path, size } => {
                self.stats.skipped_too_large += 1;
                self.notices.push(Notice {
                    level: NoticeLevel::Warning,
                    path: Some(path),
                    message: format!("skipped: {size} bytes is over --max-file-size"),
                });
            }
            ItemReport::Skipped { reason: SkipReason::Symlink } => self.stats.skipped_symlinks += 1,
            ItemReport::Skipped { reason: SkipReason::Special } => self.stats.skipped_special += 1,
            ItemReport::Failed { path, message } => self.error(path, message),
        }
    }

    fn error(&mut self, path: Option<String>, message: String) {
        self.stats.errors += 1;
        self.notices.push(Notice { level: NoticeLevel::Error, path, message });
    }

    fn finish(mut self, elapsed: Duration) -> ScanOutcome {
        self.stats.duration = elapsed;
        self.notices.sort();
        ScanOutcome {
            findings: self.collector.finish(),
            suppressed: Vec::new(),
            notices: self.notices,
            stats: self.stats,
        }
    }
}
