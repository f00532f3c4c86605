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
//! - `cache`: the incremental history cache (what phase 1 learned per blob, in redb).
//!
//! Memory (README "Git history" states the bound and the measurement): a history scan reads
//! packs with `pread`, not memory-mapped, so the pack does not count in our resident size. Phase 1
//! holds per pack a layout of ~32 bytes per object, the commit graph (~100 bytes per commit), the
//! matches of blobs with findings, and per thread a matcher scratch and the objects on the delta
//! chain being built. Phase 2 adds the tree index (8 bytes per subtree entry of every tree while
//! it is built, then only what leads to a finding), and after freeing it one bit per (commit, ref).

mod base;
mod cache;
mod changes;
#[doc(hidden)]
pub mod fuzzing;
mod history;
mod objects;
mod odb;
pub(crate) mod open;
mod packwalk;
mod presence;
mod provenance;
mod snapshot;
mod tree;
mod treeindex;

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use gix::ObjectId;

pub(crate) use base::{TreeFiles, tree_files, work_tree};
pub use cache::hold as hold_cache;
pub(crate) use open::OpenError;

use crate::config::{GitMode, ReadConfig};
use crate::finding::{Collector, Finding};
use crate::matcher::Matcher;
use crate::outcome::{
    Coverage, Notice, NoticeKind, Observer, RefTip, ScanMode, ScanOutcome, Subject, Tally,
};
use crate::source::display_path;
use changes::BlobScanner;
use objects::BlobOptions;

/// A git scan, fully resolved.
#[derive(Debug, Clone)]
pub(crate) struct GitScan<'a> {
    /// The repository (work tree, `.git` directory or bare repository).
    pub repo: &'a Path,
    /// What to scan.
    pub mode: &'a GitMode,
    /// Follow `.git` files and alternates that point outside the repository.
    pub allow_external_objects: bool,
    /// Accept missing history (shallow, partial clone, objects absent): report it as warnings,
    /// do not check every reference, and say so in the coverage record.
    pub allow_missing_objects: bool,
    /// How blobs are read.
    pub read: &'a ReadConfig,
    /// Told about every blob matched, when a progress line is drawn.
    pub observer: Option<Arc<dyn Observer>>,
    /// The incremental cache of a history scan.
    pub cache: &'a crate::config::GitCache,
    /// History mode: match only the blobs of this shard (every object is still walked).
    pub shard: Option<crate::outcome::Shard>,
}

/// Scans a repository.
pub(crate) fn scan(config: &GitScan<'_>, matcher: &Matcher) -> Result<ScanOutcome, GitError> {
    let started = Instant::now();
    let opened = open::open(config.repo, config.allow_external_objects)?;
    let repo = {
        let mut repo = opened.repo.to_thread_local();
        repo.object_cache_size_if_unset(32 << 20);
        repo
    };
    let read = config.read;
    let options = BlobOptions {
        read: crate::unpack::read_options(read),
        archives: crate::unpack::ArchiveScan::for_scan(read),
        max_size: read.max_file_size,
        progress: config.observer.clone(),
        shard: match config.mode {
            GitMode::History => config.shard,
            _ => None,
        },
    };
    let mut tally = Tally::default();
    let allow_missing = config.allow_missing_objects;
    let whole_history = matches!(config.mode, GitMode::History | GitMode::Branch(_));
    if let Some(notice) = shallow_notice(&repo, whole_history && !allow_missing) {
        tally.notice(notice);
    }
    if let Some(notice) =
        partial_clone_notice(&repo, &opened.objects, whole_history && !allow_missing)
    {
        tally.notice(notice);
    }
    let mut coverage = Coverage {
        mode: scan_mode(config.mode),
        roots: vec![display_path(config.repo)],
        ..Coverage::default()
    };
    if allow_missing {
        coverage.accepted.push(
            "--allow-missing-objects: history missing from the repository (shallow or partial clone, absent objects) is reported as warnings and not checked object by object".into(),
        );
    }
    let findings = match config.mode {
        GitMode::History => {
            // Of the shards of one history, shard 0 checks that every referenced object is
            // there (and locates what is missing); the merged report has its notices, as the
            // whole scan has them. The others skip the check: it decodes every tree.
            let checks = config.shard.is_none_or(|s| s.index == 0);
            let presence =
                (!allow_missing && checks).then(|| presence_check(&repo, &opened, &mut tally));
            let mut notices = Vec::new();
            let limits = options.archives.limits.as_ref();
            let digest = cache::digest(matcher, options.read, limits, options.max_size);
            let opened_cache = cache::open(config.cache, repo.common_dir(), digest, &mut notices);
            let (history_cache, off) = match opened_cache {
                Ok(c) => (Some(c), None),
                Err(off) => (None, off),
            };
            let (findings, refs, used) = history::history(
                &opened,
                &repo,
                matcher,
                read.threads,
                &options,
                presence.as_ref(),
                history_cache,
                &mut tally,
            );
            coverage.refs = refs;
            coverage.cache = used.or(off);
            for notice in notices {
                tally.notice(notice);
            }
            findings
        }
        GitMode::Staged => {
            coverage.refs = tips(&repo, &["HEAD"]);
            let mut blobs = BlobScanner::new(&repo, matcher, options, read.threads);
            let mut collector = Collector::new();
            changes::scan_staged(&repo, &mut blobs, &mut collector).map_err(GitError::Index)?;
            tally.merge(blobs.tally);
            collector.finish()
        }
        GitMode::Range { base, head } => {
            coverage.refs = tips(&repo, &[base, head]);
            let commits = range_commits(&repo, Some(base), head)?;
            // Every commit of the range is reachable from its head: name it on each location.
            let refs = [ref_name(&repo, head)];
            changed(&repo, matcher, options, read.threads, &commits, &refs, &mut tally)
        }
        GitMode::Branch(name) => {
            coverage.refs = tips(&repo, &[name]);
            let commits = range_commits(&repo, None, name)?;
            changed(
                &repo,
                matcher,
                options,
                read.threads,
                &commits,
                std::slice::from_ref(name),
                &mut tally,
            )
        }
    };
    Ok(tally.finish(findings, coverage, started.elapsed()))
}

/// The coverage mode of a git mode.
fn scan_mode(mode: &GitMode) -> ScanMode {
    ScanMode::Git(mode.clone())
}

/// The revisions the user named, with the commits they resolve to (unresolvable ones left out:
/// resolving them fails the scan with its own error).
fn tips(repo: &gix::Repository, specs: &[&str]) -> Vec<RefTip> {
    specs
        .iter()
        .filter_map(|spec| {
            let id = repo.rev_parse_single(*spec).ok()?;
            let commit = id.object().ok()?.peel_to_commit().ok()?;
            Some(RefTip { name: (*spec).to_string(), commit: commit.id.to_string() })
        })
        .collect()
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
    threads: usize,
    commits: &[ObjectId],
    refs: &[String],
    tally: &mut Tally,
) -> Vec<Finding> {
    let mut blobs = BlobScanner::new(repo, matcher, options, threads);
    let mut collector = Collector::new();
    changes::scan_commits(repo, commits, &mut blobs, refs, &mut collector);
    tally.merge(blobs.tally);
    collector.finish()
}

/// The full name of the ref `spec` names (`HEAD` becomes the branch it points to), or `spec`
/// itself when it is not a ref (a commit id).
fn ref_name(repo: &gix::Repository, spec: &str) -> String {
    if spec == "HEAD"
        && let Ok(Some(name)) = repo.head_name()
    {
        return name.as_bstr().to_string();
    }
    repo.find_reference(spec).map_or_else(|_| spec.to_string(), |r| r.name().as_bstr().to_string())
}

/// A revision error, in words a user can act on when the clone is shallow (the usual cause of a
/// missing commit in CI).
fn revision_error(repo: &gix::Repository, spec: &str, message: String) -> GitError {
    let shallow = repo.shallow_commits().ok().flatten().is_some_and(|b| !b.is_empty());
    let message = if shallow {
        format!(
            "{message}; this is a shallow clone and the commits before its boundary are not in it: fetch them with `git fetch --unshallow` (or `git fetch --deepen=N`), or in GitHub Actions check out with `fetch-depth: 0`"
        )
    } else {
        message
    };
    GitError::Revision { spec: spec.to_string(), message }
}

fn range_commits(
    repo: &gix::Repository,
    base: Option<&String>,
    head: &str,
) -> Result<Vec<ObjectId>, GitError> {
    let resolve = |spec: &str| -> Result<ObjectId, GitError> {
        let error = |message: String| revision_error(repo, spec, message);
        let id = repo.rev_parse_single(spec).map_err(|e| error(e.to_string()))?;
        let commit = id
            .object()
            .map_err(|e| error(e.to_string()))?
            .peel_to_commit()
            .map_err(|e| error(e.to_string()))?;
        Ok(commit.id)
    };
    let tip = resolve(head)?;
    let mut walk = repo.rev_walk([tip]);
    if let Some(base) = base {
        walk = walk.with_hidden([resolve(base)?]);
    }
    let walk = walk.all().map_err(|e| revision_error(repo, head, e.to_string()))?;
    let mut commits = Vec::new();
    for info in walk {
        let info = info.map_err(|e| revision_error(repo, head, e.to_string()))?;
        commits.push(info.id);
    }
    Ok(commits)
}

/// A shallow clone's missing history: an error when the whole history was asked for (history or
/// branch scans) and not accepted, a warning otherwise (the index and a range need only their
/// own commits; a range that reaches past the boundary fails to resolve with its own error).
fn shallow_notice(repo: &gix::Repository, is_error: bool) -> Option<Notice> {
    let boundary = repo.shallow_commits().ok()??;
    if boundary.is_empty() {
        return None;
    }
    let message = format!(
        "shallow clone: history before {} boundary commit(s) ({}) is missing and was not scanned; fetch it with `git fetch --unshallow`{}",
        boundary.len(),
        boundary.iter().take(3).map(ToString::to_string).collect::<Vec<_>>().join(", "),
        if is_error { " or accept it with --allow-missing-objects" } else { "" },
    );
    Some(missing_history_notice(NoticeKind::ShallowBoundary, is_error, Subject::Scan, message))
}

/// A partial clone (blobless, treeless): the objects the server filtered out are not scanned. An
/// error for whole-history scans unless accepted; a warning for the index and ranges, which read
/// only their own objects (locally present after checkout or `git add`; one that is absent is an
/// error of its own when it is read).
fn partial_clone_notice(
    repo: &gix::Repository,
    objects: &objects::ObjectDirs,
    is_error: bool,
) -> Option<Notice> {
    let partial = presence::partial_clone(repo, objects)?;
    let remote = partial.remote.map_or_else(String::new, |r| format!(", promisor remote {r:?}"));
    let packs = match partial.packs.len() {
        0 => String::new(),
        n => {
            format!(
                ", {n} promisor pack(s): {}",
                partial.packs.iter().take(3).cloned().collect::<Vec<_>>().join(", ")
            )
        }
    };
    let message = format!(
        "partial clone{remote}{packs}: objects the server left out are not in this repository and were not scanned; fetch them (e.g. `git fetch --refetch --no-filter`){}",
        if is_error { " or accept it with --allow-missing-objects" } else { "" }
    );
    Some(missing_history_notice(NoticeKind::MissingObject, is_error, Subject::Scan, message))
}

/// The one place that makes a notice of missing history: an error (exit 2) unless accepted.
fn missing_history_notice(
    kind: NoticeKind,
    is_error: bool,
    subject: Subject,
    message: String,
) -> Notice {
    let mut notice = Notice::new(kind, subject, message);
    if !is_error {
        notice.level = crate::outcome::NoticeLevel::Warning;
    }
    notice
}

/// The set of present objects for a full check; what could not be listed is an error.
fn presence_check(
    repo: &gix::Repository,
    opened: &open::Opened,
    tally: &mut Tally,
) -> presence::Presence {
    let shallow = repo
        .shallow_commits()
        .ok()
        .flatten()
        .map(|b| b.iter().copied().collect())
        .unwrap_or_default();
    let (presence, errors) = presence::Presence::build(&opened.objects, shallow);
    for (what, message) in errors {
        tally.notice(Notice::new(
            NoticeKind::Unreadable,
            Subject::Scan,
            format!("{what}: {message}"),
        ));
    }
    presence
}

/// `LEAKHOUND_TIMINGS=1` prints how long each phase took (since `since`) on stderr, for benchmarks,
/// with the resident memory at that point and its peak so far where the OS tells (Linux).
#[allow(clippy::print_stderr)]
pub(crate) fn timing(phase: &str, since: Instant) {
    if std::env::var_os("LEAKHOUND_TIMINGS").is_some() {
        eprintln!(
            "leakhound: timing: {phase}: {:.2} s{}",
            since.elapsed().as_secs_f64(),
            memory_now()
        );
    }
}

/// `, rss N MiB (anon A, file F), peak P MiB` from `/proc/self/status`, or nothing.
#[allow(
    clippy::disallowed_methods,
    reason = "the process reads its own memory counters for LEAKHOUND_TIMINGS"
)]
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

/// Gives the pages of memory the process has freed back to the system, at the end of a history
/// phase whose buffers are dropped. glibc's allocator keeps what a thread freed in that thread's
/// arena, and returns memory only from the top of a heap: after phase 1 (the pack walk's layout,
/// each worker's regex caches and buffers) about 36 MiB stayed resident, unused, while the tree
/// index was built on top of it (benches/README, "History memory"). Elsewhere (musl, macOS,
/// Windows) the allocator returns memory by itself, and this does nothing.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code, reason = "the one foreign call of the crate; see the SAFETY note")]
pub(crate) fn release_freed_memory() {
    // SAFETY: `malloc_trim` takes no pointer, touches only the allocator's own free lists (under
    // their locks, like any `malloc`), and leaves every live allocation where it is.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// [`release_freed_memory`] where the allocator returns memory by itself: nothing to do.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub(crate) fn release_freed_memory() {}
