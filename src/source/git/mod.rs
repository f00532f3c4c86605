//! Git: history, the staged index and commit ranges, read straight from the object database with
//! gix (no `git` subprocess, never `git log -p`).
//!
//! - `open`: opening an untrusted repository safely.
//! - `objects`: phase 1 of a full scan: every object once, blobs matched as they are decoded.
//! - `provenance`: phase 2, only for blobs with findings: the introducing commit per path,
//!   author, date, reachability and the refs that reach it.
//! - `changes`: `--staged`, `--since`, `--range`, `--branch`: only what a change adds.
//! - `tree`: the tree walk those share.
//! - `packwalk`: the delta-tree walk of one pack both phases use, with positioned reads.
//!
//! Memory (issue #3; README "Git history" states the bound and the measurement): a history scan reads
//! packs with `pread`, not memory-mapped, so the pack does not count in our resident size. Phase 1
//! holds per pack a layout of ~32 bytes per object, the commit graph (~100 bytes per commit), the
//! matches of blobs with findings, and per thread a matcher scratch and the objects on the delta
//! chain being built. Phase 2 adds the tree index (8 bytes per subtree entry of every tree while
//! it is built, then only what leads to a finding), and after freeing it one bit per (commit, ref).

mod base;
mod changes;
mod objects;
mod open;
mod packwalk;
mod provenance;
mod tree;
mod treeindex;

use std::path::PathBuf;
use std::time::Instant;

use gix::ObjectId;

pub use base::{TreeFiles, tree_files, work_tree};
pub use open::OpenError;

use crate::finding::{Collector, GitOrigin, OriginState};
use crate::matcher::Matcher;
use crate::scan::{Notice, NoticeLevel, ScanOutcome, ScanStats};
use changes::BlobScanner;
use objects::BlobOptions;

/// What part of the repository to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitMode {
    /// Every object in the database, reachable or not.
    History,
    /// The index against HEAD (pre-commit).
    Staged,
    /// The commits in `base..head`: reachable from `head`, not from `base`.
    Range {
        /// Excluded revision.
        base: String,
        /// Included revision.
        head: String,
    },
    /// Every commit reachable from one ref.
    Branch(String),
}

/// A git scan, fully resolved.
#[derive(Debug, Clone)]
pub struct GitConfig {
    /// The repository (work tree, `.git` directory or bare repository).
    pub repo: PathBuf,
    /// What to scan.
    pub mode: GitMode,
    /// Follow `.git` files and alternates that point outside the repository.
    pub allow_external_objects: bool,
    /// Worker threads.
    pub threads: usize,
    /// Scan binary blobs.
    pub scan_binary: bool,
    /// Scan the printable runs of binary blobs.
    pub binary_strings: bool,
    /// Archives: opened within these bounds, or not at all.
    pub archives: crate::unpack::ArchiveScan,
    /// Skip (and report) blobs larger than this.
    pub max_size: Option<u64>,
    /// Progress counters to bump, when a progress line is drawn.
    pub progress: Option<std::sync::Arc<crate::progress::Progress>>,
}

/// Scans a repository.
pub fn scan(config: &GitConfig, matcher: &Matcher) -> Result<ScanOutcome, GitError> {
    let started = Instant::now();
    let opened = open::open(&config.repo, config.allow_external_objects)?;
    let repo = {
        let mut repo = opened.repo.to_thread_local();
        repo.object_cache_size_if_unset(32 << 20);
        repo
    };
    let options = BlobOptions {
        read: crate::content::ReadOptions { scan_binary: config.scan_binary, binary_strings: config.binary_strings },
        archives: config.archives.clone(),
        max_size: config.max_size,
        progress: config.progress.clone(),
    };
    let mut notices = shallow_notice(&repo);
    let mut outcome = match &config.mode {
        GitMode::History => history(&opened, &repo, matcher, config.threads, options, &mut notices),
        GitMode::Staged => {
            let mut blobs = BlobScanner::new(&repo, matcher, options);
            let mut collector = Collector::new();
            changes::scan_staged(&repo, &mut blobs, &mut collector).map_err(GitError::Index)?;
            finish(collector, blobs, notices)
        }
        GitMode::Range { base, head } => {
            let commits = range_commits(&repo, Some(base), head)?;
            changed(&repo, matcher, options, &commits, &[], notices)
        }
        GitMode::Branch(name) => {
            let commits = range_commits(&repo, None, name)?;
            changed(&repo, matcher, options, &commits, std::slice::from_ref(name), notices)
        }
    };
    outcome.stats.duration = started.elapsed();
    Ok(outcome)
}

/// Why a git scan could not start.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// The repository could not be opened safely.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// A revision did not resolve.
    #[error("cannot resolve revision {spec:?}: {message}")]
    Revision {
        /// What the user gave.
        spec: String,
        /// gix's message.
        message: String,
    },
    /// The index could not be read.
    #[error("{0}")]
    Index(String),
}

fn changed(
    repo: &gix::Repository,
    matcher: &Matcher,
    options: BlobOptions,
    commits: &[ObjectId],
    refs: &[String],
    notices: Vec<Notice>,
) -> ScanOutcome {
    let mut blobs = BlobScanner::new(repo, matcher, options);
    let mut collector = Collector::new();
    changes::scan_commits(repo, commits, &mut blobs, refs, &mut collector);
    finish(collector, blobs, notices)
}

fn finish(collector: Collector, blobs: BlobScanner<'_>, mut notices: Vec<Notice>) -> ScanOutcome {
    notices.extend(blobs.notices);
    notices.sort();
    ScanOutcome { findings: collector.finish(), suppressed: Vec::new(), notices, stats: blobs.stats }
}

fn range_commits(repo: &gix::Repository, base: Option<&String>, head: &str) -> Result<Vec<ObjectId>, GitError> {
    let resolve = |spec: &str| -> Result<ObjectId, GitError> {
        let error = |message: String| GitError::Revision { spec: spec.to_string(), message };
        let id = repo.rev_parse_single(spec).map_err(|e| error(e.to_string()))?;
        let commit =
            id.object().map_err(|e| error(e.to_string()))?.peel_to_commit().map_err(|e| error(e.to_string()))?;
        Ok(commit.id)
    };
    let tip = resolve(head)?;
    let mut walk = repo.rev_walk([tip]);
    if let Some(base) = base {
        walk = walk.with_hidden([resolve(base)?]);
    }
    let walk = walk.all().map_err(|e| GitError::Revision { spec: head.to_string(), message: e.to_string() })?;
    let mut commits = Vec::new();
    for info in walk {
        let info = info.map_err(|e| GitError::Revision { spec: head.to_string(), message: e.to_string() })?;
        commits.push(info.id);
    }
    Ok(commits)
}

fn shallow_notice(repo: &gix::Repository) -> Vec<Notice> {
    match repo.shallow_commits() {
        Ok(Some(boundary)) if !boundary.is_empty() => vec![Notice {
            level: NoticeLevel::Warning,
            path: None,
            message: format!(
                "shallow clone: history before {} boundary commit(s) ({}) is missing and was not scanned; fetch it with `git fetch --unshallow`",
                boundary.len(),
                boundary.iter().take(3).map(ToString::to_string).collect::<Vec<_>>().join(", ")
            ),
        }],
        _ => Vec::new(),
    }
}

fn history(
    opened: &open::Opened,
    repo: &gix::Repository,
    matcher: &Matcher,
    threads: usize,
    options: BlobOptions,
    notices: &mut Vec<Notice>,
) -> ScanOutcome {
    let t0 = std::time::Instant::now();
    let inventory = objects::inventory(&opened.repo, &opened.objects, matcher, threads, options);
    timing("phase 1 (objects)", t0);
    let mut stats = ScanStats {
        items_scanned: inventory.blobs,
        bytes_scanned: inventory.bytes,
        skipped_binary: inventory.binary,
        skipped_too_large: inventory.too_large.len() as u64,
        ..ScanStats::default()
    };
    for (id, size) in &inventory.too_large {
        notices.push(Notice {
            level: NoticeLevel::Warning,
            path: None,
            message: format!("skipped blob {id}: {size} bytes is over --max-file-size"),
        });
    }
    for (blob, problem) in &inventory.archive_problems {
        let notice = crate::scan::archive_notice(&format!("(blob {blob})"), problem);
        stats.errors += u64::from(notice.level == NoticeLevel::Error);
        notices.push(notice);
    }
    for (what, message) in &inventory.errors {
        stats.errors += 1;
        notices.push(Notice { level: NoticeLevel::Error, path: None, message: format!("{what}: {message}") });
    }
    let mut collector = Collector::new();
    if !inventory.blob_matches.is_empty() {
        let (refs, ref_errors) = provenance::ref_tips(repo, &inventory);
        let mut errors = ref_errors;
        let origins = provenance::attribute(repo, &opened.objects, threads, &inventory, &refs, &mut errors);
        for message in errors {
            stats.errors += 1;
            notices.push(Notice { level: NoticeLevel::Error, path: None, message });
        }
        timing("phase 2 (provenance)", t0);
        add_history_findings(matcher, &inventory, &origins, &mut collector);
    }
    notices.sort();
    ScanOutcome { findings: collector.finish(), suppressed: Vec::new(), notices: std::mem::take(notices), stats }
}

fn add_history_findings(
    matcher: &Matcher,
    inventory: &objects::Inventory,
    origins: &std::collections::HashMap<ObjectId, Vec<(String, GitOrigin)>>,
    collector: &mut Collector,
) {
    let rules = matcher.rules();
    for (blob, matches) in &inventory.blob_matches {
        if let Some(places) = origins.get(blob) {
            for (path, origin) in places {
                for m in matches {
                    collector.add_at(rules, &m.path(path), Some(origin), m.found.clone());
                }
            }
        } else {
            // A blob no commit holds: added to the index and never committed, or left behind by
            // rewritten history. It has no path; its id says where it is.
            let origin = GitOrigin { blob: blob.to_string(), state: OriginState::Unreachable, commit: None };
            let path = format!("(dangling blob {blob})");
            for m in matches {
                collector.add_at(rules, &m.path(&path), Some(&origin), m.found.clone());
            }
        }
    }
}

/// `LEAKHOUND_TIMINGS=1` prints how long each phase took (since `since`) on stderr, for benchmarks,
/// with the resident memory at that point and its peak so far where the OS tells (Linux).
#[allow(clippy::print_stderr)]
pub(crate) fn timing(phase: &str, since: Instant) {
    if std::env::var_os("LEAKHOUND_TIMINGS").is_some() {
        eprintln!("leakhound: timing: {phase}: {:.2} s{}", since.elapsed().as_secs_f64(), memory_now());
    }
}

/// `, rss N MiB (anon A, file F), peak P MiB` from `/proc/self/status`, or nothing.
fn memory_now() -> String {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else { return String::new() };
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kib| kib / 1024)
    };
    format!(
        ", rss {} MiB (anon {}, file {}), peak {} MiB",
        field("VmRSS:"),
        field("RssAnon:"),
        field("RssFile:"),
        field("VmHWM:")
    )
}
