//! The outcome vocabulary every stage shares: notices, counters, the coverage record and the
//! outcome of a scan.
//!
//! This module sits at the bottom of the graph: sources, the pipeline, suppression and every
//! report import it; it imports nothing of theirs (only the finding types it carries). A
//! [`Notice`] has a typed [`Subject`] (what it is about: a path, a git object, a pack, a ref, an
//! archive member) and a typed [`NoticeKind`] (what happened); its words are for people. Counting
//! goes through one [`Tally`] per worker, merged at the end, so a file, a history blob and a
//! blob of a commit range are counted the same way (size limit, binary test, skips, errors).
//!
//! What `complete` means (JSON `coverage.complete`): every item the scan selected (after the
//! user's own choices: paths, ignore policy, `--max-file-size`, mode) was read in full. Items left
//! out by those choices are not errors; they are counted by reason and listed (up to
//! [`LISTED_PER_REASON`] paths per reason), so nothing is skipped silently.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::finding::Finding;

/// How serious a notice is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
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

/// What a notice is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Subject {
    /// The scan as a whole.
    Scan,
    /// A file, or a path inside a tree, as locations show it.
    Path(String),
    /// A git object, with the path it was met at when known.
    Object {
        /// Full object id.
        id: String,
        /// The path that refers to it, when known.
        path: Option<String>,
    },
    /// A pack file.
    Pack(String),
    /// A ref or a revision the user named.
    Ref(String),
    /// A commit.
    Commit(String),
    /// A configuration or baseline file.
    Config(String),
}

impl Subject {
    /// The path to show for this subject, when it has one.
    pub fn path(&self) -> Option<&str> {
        match self {
            Subject::Path(p) | Subject::Config(p) | Subject::Pack(p) => Some(p),
            Subject::Object { path, .. } => path.as_deref(),
            Subject::Scan | Subject::Ref(_) | Subject::Commit(_) => None,
        }
    }

    /// The kebab-case name of the subject's type (reports).
    pub fn type_name(&self) -> &'static str {
        match self {
            Subject::Scan => "scan",
            Subject::Path(_) => "path",
            Subject::Object { .. } => "object",
            Subject::Pack(_) => "pack",
            Subject::Ref(_) => "ref",
            Subject::Commit(_) => "commit",
            Subject::Config(_) => "config",
        }
    }

    /// The identifier (object id, ref name, commit id) when the subject is not a path.
    pub fn id(&self) -> Option<&str> {
        match self {
            Subject::Object { id, .. } | Subject::Ref(id) | Subject::Commit(id) => Some(id),
            _ => None,
        }
    }
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NoticeKind {
    /// Over `--max-file-size`: deliberately not read.
    TooLarge,
    /// Could not be opened or read at all.
    Unreadable,
    /// Read only in part.
    Truncated,
    /// A git object the walk refers to is not in the object database.
    MissingObject,
    /// History before a shallow clone's boundary is not in the repository.
    ShallowBoundary,
    /// A pack could not be walked; its objects were read one by one.
    DamagedPack,
    /// A configuration file that could not be used (nothing it says was applied).
    InvalidConfig,
    /// A configuration or baseline that was deliberately not applied.
    NotApplied,
    /// A cap on work (bytes, entries, depth) was reached.
    BudgetExhausted,
    /// An encrypted archive member: its content cannot be read.
    Encrypted,
    /// A compression method or format variant that is not supported.
    Unsupported,
    /// Malformed data (a corrupt archive, overlapping zip entries).
    Corrupt,
    /// An archive member without content (a link, a device): nothing was missed.
    SpecialMember,
    /// Findings deliberately not reported (below `--min-confidence`).
    Filtered,
    /// The history cache was not used or not updated (corrupt, foreign, busy): the scan read
    /// everything itself, so nothing was missed.
    CacheIgnored,
    /// A blob an image manifest names is not in the image.
    MissingBlob,
    /// A blob whose content does not match the digest it is named by (read anyway).
    DigestMismatch,
}

impl NoticeKind {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::TooLarge => "too-large",
            NoticeKind::Unreadable => "unreadable",
            NoticeKind::Truncated => "truncated",
            NoticeKind::MissingObject => "missing-object",
            NoticeKind::ShallowBoundary => "shallow-boundary",
            NoticeKind::DamagedPack => "damaged-pack",
            NoticeKind::InvalidConfig => "invalid-config",
            NoticeKind::NotApplied => "not-applied",
            NoticeKind::BudgetExhausted => "budget-exhausted",
            NoticeKind::Encrypted => "encrypted",
            NoticeKind::Unsupported => "unsupported",
            NoticeKind::Corrupt => "corrupt",
            NoticeKind::SpecialMember => "special-member",
            NoticeKind::Filtered => "filtered",
            NoticeKind::CacheIgnored => "cache-ignored",
            NoticeKind::MissingBlob => "missing-blob",
            NoticeKind::DigestMismatch => "digest-mismatch",
        }
    }

    /// How serious this kind is: only deliberate skips are warnings.
    pub fn level(self) -> NoticeLevel {
        match self {
            NoticeKind::TooLarge
            | NoticeKind::NotApplied
            | NoticeKind::SpecialMember
            | NoticeKind::Filtered
            | NoticeKind::CacheIgnored => NoticeLevel::Warning,
            _ => NoticeLevel::Error,
        }
    }
}

/// Something about the scan itself: an item skipped, or not (fully) read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Notice {
    /// Error or warning (derived from the kind).
    pub level: NoticeLevel,
    /// What it is about.
    pub subject: Subject,
    /// What happened.
    pub kind: NoticeKind,
    /// The same in words, with details (an OS error, a limit); never secret content.
    pub message: String,
}

impl Notice {
    /// A notice of `kind` about `subject`.
    pub fn new(kind: NoticeKind, subject: Subject, message: impl Into<String>) -> Notice {
        Notice { level: kind.level(), subject, kind, message: message.into() }
    }

    /// The path to show, when the subject has one.
    pub fn path(&self) -> Option<&str> {
        self.subject.path()
    }

    /// `skipped: N bytes is over --max-file-size` for `subject`.
    pub fn too_large(subject: Subject, size: u64) -> Notice {
        let message = match &subject {
            Subject::Object { id, .. } => {
                format!("skipped blob {id}: {size} bytes is over --max-file-size")
            }
            _ => format!("skipped: {size} bytes is over --max-file-size"),
        };
        Notice::new(NoticeKind::TooLarge, subject, message)
    }
}

/// Why an item was deliberately not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkipReason {
    /// Looks binary (NUL bytes or mostly non-text).
    Binary,
    /// Over `--max-file-size`.
    TooLarge,
    /// A symbolic link found while walking (never followed).
    Symlink,
    /// A FIFO, socket or device.
    Special,
    /// Excluded by `.gitignore`, `.ignore` or `.leakhoundignore`.
    Ignored,
}

impl SkipReason {
    /// Every reason, in report order.
    pub const ALL: [SkipReason; 5] = [
        SkipReason::Binary,
        SkipReason::TooLarge,
        SkipReason::Symlink,
        SkipReason::Special,
        SkipReason::Ignored,
    ];

    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Binary => "binary",
            SkipReason::TooLarge => "too-large",
            SkipReason::Symlink => "symlink",
            SkipReason::Special => "special",
            SkipReason::Ignored => "ignored",
        }
    }

    /// How the text summary words it.
    pub fn describe(self) -> &'static str {
        match self {
            SkipReason::Binary => "binary",
            SkipReason::TooLarge => "over --max-file-size",
            SkipReason::Symlink => "symlink(s)",
            SkipReason::Special => "special",
            SkipReason::Ignored => "ignored",
        }
    }
}

/// How many skipped paths the coverage record lists per reason (all are counted).
pub const LISTED_PER_REASON: usize = 1000;

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
    /// Paths excluded by ignore files.
    pub skipped_ignored: u64,
    /// Items that could not be read, or not completely.
    pub errors: u64,
    /// Wall time.
    pub duration: Duration,
}

impl ScanStats {
    /// The counter for one skip reason.
    pub fn skipped(&self, reason: SkipReason) -> u64 {
        match reason {
            SkipReason::Binary => self.skipped_binary,
            SkipReason::TooLarge => self.skipped_too_large,
            SkipReason::Symlink => self.skipped_symlinks,
            SkipReason::Special => self.skipped_special,
            SkipReason::Ignored => self.skipped_ignored,
        }
    }

    fn skipped_mut(&mut self, reason: SkipReason) -> &mut u64 {
        match reason {
            SkipReason::Binary => &mut self.skipped_binary,
            SkipReason::TooLarge => &mut self.skipped_too_large,
            SkipReason::Symlink => &mut self.skipped_symlinks,
            SkipReason::Special => &mut self.skipped_special,
            SkipReason::Ignored => &mut self.skipped_ignored,
        }
    }

    /// Adds another worker's counters (not the duration).
    pub fn merge(&mut self, other: &ScanStats) {
        self.items_scanned += other.items_scanned;
        self.bytes_scanned += other.bytes_scanned;
        for reason in SkipReason::ALL {
            *self.skipped_mut(reason) += other.skipped(reason);
        }
        self.errors += other.errors;
    }
}

/// What part of a repository a git scan covers.
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

/// What part of a source a scan covered.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ScanMode {
    /// Files and directories (and stdin).
    #[default]
    Files,
    /// A git repository, in one of its modes.
    Git(GitMode),
    /// A container image (`docker save` tarball or OCI layout).
    Image,
}

impl ScanMode {
    /// The kebab-case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            ScanMode::Files => "files",
            ScanMode::Image => "image",
            ScanMode::Git(GitMode::History) => "history",
            ScanMode::Git(GitMode::Staged) => "staged",
            ScanMode::Git(GitMode::Range { .. }) => "range",
            ScanMode::Git(GitMode::Branch(_)) => "branch",
        }
    }
}

/// A ref and the commit it pointed at when the scan ran.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RefTip {
    /// Full ref name (`refs/heads/main`), or `HEAD`.
    pub name: String,
    /// The commit id.
    pub commit: String,
}

/// The coverage record: what was scanned and what was not, by reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    /// The mode.
    pub mode: ScanMode,
    /// What the user named: paths, or the repository.
    pub roots: Vec<String>,
    /// For git: the refs and their tip commits (history mode: every ref; other modes: the revisions).
    pub refs: Vec<RefTip>,
    /// Paths skipped by reason (at most [`LISTED_PER_REASON`] each; [`ScanStats`] counts all).
    pub skipped: BTreeMap<SkipReason, Vec<String>>,
    /// What the user accepted as not read, in words (e.g. a flag that allows missing objects).
    pub accepted: Vec<String>,
    /// `--strict`: no configuration, ignore file or inline marker from the scanned tree was honoured.
    pub strict: bool,
    /// The history cache of a git history scan, when one was asked for (`--cache`, or the
    /// default under the git directory).
    pub cache: Option<CacheUse>,
    /// For one shard of a split history scan (`--shard I/N`): which shard, and what every shard
    /// of the same scan must share (`report merge` checks it).
    pub shard: Option<ShardRecord>,
    /// `leakhound repos`: one record per repository of the list.
    pub repositories: Vec<RepositoryRecord>,
}

/// How a history scan used its cache.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheUse {
    /// The cache file.
    pub path: String,
    /// Whether it was used at all.
    pub used: bool,
    /// `used`, `new`, `invalidated (...)`, `rebuilt`, or why it was not used.
    pub state: String,
    /// Blobs it answered for (not read again).
    pub served: u64,
    /// Blobs it knew had matches, read and matched again.
    pub matched_again: u64,
    /// Entries this scan added.
    pub stored: u64,
    /// The history snapshot (what the packs held at the last scan): `used (N of M packs)` when
    /// this scan read only what was added since, else `none` or why it was not used.
    pub snapshot: String,
}

/// What became of one repository of a `leakhound repos` run.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RepositoryRecord {
    /// The name its locations are prefixed with (`name/path`).
    pub name: String,
    /// Where it came from: a local path or a clone URL (without user or password).
    pub source: String,
    /// `scanned`, `unchanged` (tips and rules as at the last run: its stored report is reused),
    /// or `failed`.
    pub status: String,
    /// The commit its `HEAD` (else its first ref) pointed at.
    pub tip: Option<String>,
    /// Why it failed.
    pub reason: Option<String>,
}

/// One part of a history scan split by blob id: shard `index` (0-based) of `count` matches the
/// blobs whose id, read as a big-endian `u64` from its first 8 bytes, is `index` modulo `count`.
/// Every shard still walks every commit and tree (provenance needs them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Shard {
    /// This shard, `0..count`.
    pub index: u32,
    /// How many shards the scan is split into (at least 1).
    pub count: u32,
}

impl Shard {
    /// Whether the object with id `id` (raw bytes) is this shard's to match.
    pub fn owns(self, id: &[u8]) -> bool {
        let mut first = [0u8; 8];
        for (slot, byte) in first.iter_mut().zip(id) {
            *slot = *byte;
        }
        u64::from_be_bytes(first) % u64::from(self.count.max(1)) == u64::from(self.index)
    }
}

/// What a shard's report records so that `report merge` can check its shards belong together.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ShardRecord {
    /// This shard (0-based).
    pub index: u32,
    /// Of how many.
    pub count: u32,
    /// Digest of the rule set (every rule's id, origin and definition).
    pub rules: String,
    /// Digest of the settings that change results (read and filter settings, mode).
    pub settings: String,
    /// A check value of the fingerprint key (HMAC of a fixed text): shards must share the key.
    pub key: String,
    /// `--min-confidence`, applied by the merge (kebab-case level).
    pub min_confidence: Option<String>,
}

/// Everything a scan produced.
#[derive(Debug, Default)]
pub struct ScanOutcome {
    /// Deduplicated, sorted, active findings.
    pub findings: Vec<Finding>,
    /// Findings (or some of their locations) suppressed by a marker, config or baseline; kept
    /// so reports can show them.
    pub suppressed: Vec<Finding>,
    /// Sorted notices.
    pub notices: Vec<Notice>,
    /// Counters.
    pub stats: ScanStats,
    /// What was covered.
    pub coverage: Coverage,
}

impl ScanOutcome {
    /// Whether anything the scan selected could not be read.
    pub fn incomplete(&self) -> bool {
        self.notices.iter().any(|n| n.level == NoticeLevel::Error)
    }

    /// Adds a notice, counting errors, keeping the list sorted.
    pub fn push_notice(&mut self, notice: Notice) {
        if notice.level == NoticeLevel::Error {
            self.stats.errors += 1;
        }
        self.notices.push(notice);
        self.notices.sort();
    }
}

/// One worker's (or one source's) counters, notices and skipped paths; merged into the outcome.
///
/// The one accounting path for every item: [`Tally::scanned`], [`Tally::skipped`] and
/// [`Tally::notice`] are all a source calls, whatever the item is.
#[derive(Debug, Default)]
pub struct Tally {
    /// Counters.
    pub stats: ScanStats,
    /// Notices, unsorted.
    pub notices: Vec<Notice>,
    /// Skipped paths by reason (capped).
    pub skipped: BTreeMap<SkipReason, Vec<String>>,
}

impl Tally {
    /// One item read in full (or in part: a notice says so).
    pub fn scanned(&mut self, bytes: u64) {
        self.stats.items_scanned += 1;
        self.stats.bytes_scanned += bytes;
    }

    /// One item deliberately not read; `path` is listed in the coverage record.
    pub fn skipped(&mut self, reason: SkipReason, path: Option<&str>) {
        *self.stats.skipped_mut(reason) += 1;
        if let Some(path) = path {
            let listed = self.skipped.entry(reason).or_default();
            if listed.len() < LISTED_PER_REASON {
                listed.push(path.to_string());
            }
        }
    }

    /// An item over the size limit: skipped, listed and noticed.
    pub fn too_large(&mut self, subject: Subject, size: u64) {
        self.skipped(SkipReason::TooLarge, subject.path().or(subject.id()));
        self.notices.push(Notice::too_large(subject, size));
    }

    /// A notice; errors are counted.
    pub fn notice(&mut self, notice: Notice) {
        if notice.level == NoticeLevel::Error {
            self.stats.errors += 1;
        }
        self.notices.push(notice);
    }

    /// Adds another tally.
    pub fn merge(&mut self, other: Tally) {
        self.stats.merge(&other.stats);
        self.notices.extend(other.notices);
        for (reason, paths) in other.skipped {
            let listed = self.skipped.entry(reason).or_default();
            let room = LISTED_PER_REASON.saturating_sub(listed.len());
            listed.extend(paths.into_iter().take(room));
        }
    }

    /// The outcome of a source: sorted findings, sorted notices and skipped paths.
    pub fn finish(
        mut self,
        findings: Vec<Finding>,
        mut coverage: Coverage,
        duration: Duration,
    ) -> ScanOutcome {
        self.stats.duration = duration;
        self.notices.sort();
        self.notices.dedup();
        for paths in self.skipped.values_mut() {
            paths.sort();
        }
        coverage.skipped = self.skipped;
        ScanOutcome {
            findings,
            suppressed: Vec::new(),
            notices: self.notices,
            stats: self.stats,
            coverage,
        }
    }
}

/// Watches a scan as it runs (the progress line); called from worker threads.
pub trait Observer: Send + Sync + std::fmt::Debug {
    /// One item of `bytes` was matched, with `matches` matches in it.
    fn item(&self, bytes: u64, matches: u64);
}

/// `1.5 MiB`: bytes in binary units.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_deliberate_skips_are_warnings() {
        assert_eq!(NoticeKind::TooLarge.level(), NoticeLevel::Warning);
        assert_eq!(NoticeKind::MissingObject.level(), NoticeLevel::Error);
        assert_eq!(NoticeKind::ShallowBoundary.level(), NoticeLevel::Error);
    }

    #[test]
    fn tallies_merge_counts_and_cap_listed_paths() {
        let mut a = Tally::default();
        a.scanned(10);
        a.skipped(SkipReason::Ignored, Some("x"));
        let mut b = Tally::default();
        for i in 0..LISTED_PER_REASON + 5 {
            b.skipped(SkipReason::Ignored, Some(&format!("p{i}")));
        }
        b.notice(Notice::new(NoticeKind::Unreadable, Subject::Path("y".into()), "cannot open"));
        a.merge(b);
        assert_eq!(a.stats.skipped_ignored, LISTED_PER_REASON as u64 + 6);
        assert_eq!(a.skipped[&SkipReason::Ignored].len(), LISTED_PER_REASON);
        assert_eq!((a.stats.items_scanned, a.stats.bytes_scanned, a.stats.errors), (1, 10, 1));
        let outcome = a.finish(Vec::new(), Coverage::default(), Duration::ZERO);
        assert!(outcome.incomplete());
    }

    #[test]
    fn too_large_blobs_name_their_id() {
        let notice = Notice::too_large(Subject::Object { id: "abc".into(), path: None }, 9);
        assert_eq!(notice.message, "skipped blob abc: 9 bytes is over --max-file-size");
        assert_eq!(
            Notice::too_large(Subject::Path("f".into()), 9).message,
            "skipped: 9 bytes is over --max-file-size"
        );
    }
}
