//! The incremental history cache: what phase 1 learned about each blob, so that a rescan reads
//! only the blobs it has not seen with the same rules and options.
//!
//! **Store**: [redb](https://www.redb.org), an embedded key-value store in pure Rust (no C, no
//! build script), one file, ACID transactions with copy-on-write pages and a checksum on every
//! page, and a file lock that keeps a second process out while one has it open. It builds on
//! Rust 1.90+ and is MIT OR Apache-2.0 (allowed by `deny.toml`). `SQLite` would bring a C build;
//! sled and fjall are log-structured with background threads and several files; LMDB is C.
//!
//! **Key**: the cache file belongs to one repository (its canonical common git directory, kept
//! in the `meta` table, with a seal: its HMAC under the user's fingerprint key, so a cache that
//! arrives inside a scanned repository cannot pass for ours; without a lasting key, no cache)
//! and one *digest*: SHA-256 over the cache format version, the leakhound
//! version, every rule as compiled (its full specification, in id order) and every read option
//! that changes what the matcher sees (binary handling, archive bounds or `--no-archives`, the
//! size limit). The `blobs` table maps a blob id to one `u64`: the blob's size and its state.
//!
//! **What is stored**: per blob that was read in full, `clean` (no match), `binary` (skipped as
//! binary) or `matched`. Never a match, a position or a secret: a `matched` blob is read and
//! matched again on every scan (git/git has a few hundred such blobs among 262,216), so the
//! findings come from the matcher itself and are the same bytes as an uncached scan's. Nothing
//! secret is stored, so there is no key to keep. Blobs that were not read in full (over the
//! size limit, archives with problems) are not stored at all.
//!
//! **Snapshot**: the same file keeps one [`Snapshot`] of what the packs held at the last scan, so
//! that a rescan reads only what was added since (see [`super::snapshot`] for when it applies).
//!
//! **Invalidation**: another digest (rules or options changed) empties the table and the scan
//! runs uncached, refilling it. **Failures** never cost a finding: a file that is not a redb
//! database, fails its integrity check (corrupt, truncated) or belongs to another repository or
//! key is set aside with a [`NoticeKind::CacheIgnored`] warning and
//! rebuilt; a cache another scan holds open (busy) is not used and not written, with the same
//! warning. The cache never follows a symbolic link.

use std::path::{Path, PathBuf};

use gix::ObjectId;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use sha2::{Digest, Sha256};

use super::snapshot::Snapshot;
use crate::config::GitCache;
use crate::matcher::Matcher;
use crate::outcome::{CacheUse, Notice, NoticeKind, NoticeLevel, Subject};

/// Bumped whenever what a cached state means changes (including the matcher's behaviour).
const FORMAT: u32 = 2;
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const BLOBS: TableDefinition<&[u8], u64> = TableDefinition::new("blobs");

/// The state of a blob, kept in the top two bits of its entry (the size in the rest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// Read in full, no match.
    Clean = 0,
    /// Looked binary and was skipped as binary.
    Binary = 1,
    /// Had matches: read and matched again on every scan.
    Matched = 2,
}

const SIZE_BITS: u64 = (1 << 62) - 1;

/// One entry: the state and the blob's size.
pub(crate) fn entry(state: State, size: u64) -> u64 {
    (state as u64) << 62 | (size & SIZE_BITS)
}

/// The state and size of an entry (`None` for a state this format does not know).
pub(crate) fn decode(value: u64) -> Option<(State, u64)> {
    let state = match value >> 62 {
        0 => State::Clean,
        1 => State::Binary,
        2 => State::Matched,
        _ => return None,
    };
    Some((state, value & SIZE_BITS))
}

/// The digest of everything that changes a blob's result.
pub(crate) fn digest(
    matcher: &Matcher,
    read: crate::content::ReadOptions,
    archives: Option<&crate::source::archive::Limits>,
    max_size: Option<u64>,
) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(b"leakhound history cache\0");
    hash.update(FORMAT.to_le_bytes());
    hash.update(env!("CARGO_PKG_VERSION").as_bytes());
    for rule in matcher.rules().rules() {
        // A rule that does not serialize still changes the digest (by its id and a marker).
        let spec = serde_json::to_vec(&rule.spec).unwrap_or_else(|_| b"\0unserializable".to_vec());
        hash.update((spec.len() as u64).to_le_bytes());
        hash.update(&spec);
    }
    let read = format!("read {read:?} archives {archives:?} max-size {max_size:?}");
    hash.update(read.as_bytes());
    hash.finalize().into()
}

/// An open cache, with what it already knows.
pub(crate) struct HistoryCache {
    db: Database,
    /// Entries loaded from the file (empty when it was reset).
    known: gix::hashtable::HashMap<ObjectId, u64>,
    /// Empty the table before storing (rebuilt, or another digest).
    reset: bool,
    digest: [u8; 32],
    repo: String,
    /// HMAC of the repository under the user's fingerprint key: a cache that arrives with a
    /// scanned repository (planted to mark a blob clean) cannot carry it.
    seal: String,
    /// The snapshot of the packs stored by the last scan, when there is one.
    snapshot: Option<Snapshot>,
    /// Whether `known` holds every blob entry of the file (else they are looked up one by one).
    loaded: bool,
    /// What the coverage record says.
    pub(crate) report: CacheUse,
}

impl std::fmt::Debug for HistoryCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HistoryCache").field("report", &self.report).finish_non_exhaustive()
    }
}

/// Opens (or creates) the cache the user chose for the repository whose common git directory
/// is `common_dir`. `None` with the coverage record to show when there is no usable cache;
/// problems are warnings in `notices`.
pub(crate) fn open(
    choice: &GitCache,
    common_dir: &Path,
    digest: [u8; 32],
    notices: &mut Vec<Notice>,
) -> Result<HistoryCache, Option<CacheUse>> {
    let repo = match choice {
        GitCache::Keyed { source, .. } => format!("source {source}"),
        _ => std::fs::canonicalize(common_dir)
            .unwrap_or_else(|_| common_dir.to_path_buf())
            .display()
            .to_string(),
    };
    let key = crate::fingerprint::key();
    let path = match choice {
        GitCache::Off => return Err(None),
        GitCache::Auto => {
            let dir = common_dir.join("leakhound");
            // The default is quiet: a repository we cannot write to is scanned uncached.
            if !own_dir(&dir) {
                return Err(Some(off(&dir.join("cache.redb"), "git directory not writable")));
            }
            dir.join("cache.redb")
        }
        GitCache::Dir(dir) | GitCache::Keyed { dir, .. } => {
            let hash = Sha256::digest(repo.as_bytes());
            let path = dir.join(format!("{}.redb", crate::fingerprint::hex(&hash[..8])));
            if !own_dir(dir) {
                notices.push(ignored(&path, "the cache directory cannot be created or is a link"));
                return Err(Some(off(&path, "cache directory unusable")));
            }
            path
        }
    };
    // Without a lasting key the cache could not be told from one planted in the repository.
    if key.source() == crate::fingerprint::KeySource::Ephemeral {
        return Err(Some(off(&path, "no fingerprint key to seal it with")));
    }
    if std::fs::symlink_metadata(&path).is_ok_and(|m| !m.file_type().is_file()) {
        notices.push(ignored(&path, "is not a regular file (a link?); not followed"));
        return Err(Some(off(&path, "not a regular file")));
    }
    let db = match open_db(&path) {
        Ok(db) => db,
        Err(OpenProblem::Busy) => {
            notices.push(ignored(&path, "is in use by another scan; this scan ran uncached"));
            return Err(Some(off(&path, "busy")));
        }
        Err(OpenProblem::Broken(message)) => {
            notices.push(ignored(&path, &format!("{message}; it was set aside and rebuilt")));
            if std::fs::remove_file(&path).is_err() {
                return Err(Some(off(&path, "unusable")));
            }
            match open_db(&path) {
                Ok(db) => db,
                Err(_) => return Err(Some(off(&path, "unusable"))),
            }
        }
    };
    let seal = key.mac(&[b"leakhound history cache", repo.as_bytes()]);
    let mut cache = HistoryCache {
        db,
        known: gix::hashtable::HashMap::default(),
        reset: true,
        digest,
        repo,
        seal,
        snapshot: None,
        loaded: false,
        report: CacheUse {
            path: path.display().to_string(),
            used: true,
            snapshot: "none".into(),
            ..CacheUse::default()
        },
    };
    match cache.load() {
        Ok(Loaded::Fresh) => cache.report.state = "new".into(),
        Ok(Loaded::Stale) => cache.report.state = "invalidated (rules or options changed)".into(),
        Ok(Loaded::Older) => cache.report.state = "invalidated (another cache format)".into(),
        Ok(Loaded::Valid) => {
            cache.reset = false;
            cache.report.state = "used".into();
            if cache.report.snapshot.starts_with("unreadable") {
                let why = "its history snapshot cannot be read; every pack was read, and it is \
                           taken again";
                notices.push(ignored(&path, why));
            }
        }
        Err(message) => {
            cache.known.clear();
            cache.report.state = "rebuilt".into();
            notices.push(ignored(&path, &format!("{message}; it was rebuilt")));
        }
    }
    Ok(cache)
}

/// A cache that was not used, and why.
fn off(path: &Path, why: &str) -> CacheUse {
    CacheUse { path: path.display().to_string(), state: why.into(), ..CacheUse::default() }
}

/// Creates `dir` if needed; true when it is a directory of ours (not a link) we can write in.
fn own_dir(dir: &Path) -> bool {
    if std::fs::create_dir_all(dir).is_err() {
        return false;
    }
    let Ok(meta) = std::fs::symlink_metadata(dir) else { return false };
    meta.is_dir() && !meta.permissions().readonly()
}

fn ignored(path: &Path, why: &str) -> Notice {
    let mut notice = Notice::new(
        NoticeKind::CacheIgnored,
        Subject::Path(path.display().to_string()),
        format!("history cache {}: {why}", path.display()),
    );
    notice.level = NoticeLevel::Warning;
    notice
}

enum OpenProblem {
    Busy,
    Broken(String),
}

fn open_db(path: &Path) -> Result<Database, OpenProblem> {
    // The integrity check verifies every page's checksum: a file changed behind redb's back
    // fails here instead of being trusted. A panic inside the store is caught all the same.
    let opened = std::panic::catch_unwind(|| {
        redb::Builder::new().set_check_integrity_on_open(true).create(path)
    });
    match opened {
        Ok(Ok(db)) => Ok(db),
        Ok(Err(redb::DatabaseError::DatabaseAlreadyOpen)) => Err(OpenProblem::Busy),
        Ok(Err(e)) => Err(OpenProblem::Broken(format!("cannot be opened ({e})"))),
        Err(_) => Err(OpenProblem::Broken("cannot be opened (the store failed)".into())),
    }
}

enum Loaded {
    /// No meta: a new file.
    Fresh,
    /// Another digest.
    Stale,
    /// This repository's and this user's, in another format (another leakhound version).
    Older,
    /// Same format, repository and digest: its entries can be read.
    Valid,
}

impl HistoryCache {
    fn load(&mut self) -> Result<Loaded, String> {
        let read = self.db.begin_read().map_err(|e| format!("cannot be read ({e})"))?;
        let meta = match read.open_table(META) {
            Ok(meta) => meta,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Loaded::Fresh),
            Err(e) => return Err(format!("cannot be read ({e})")),
        };
        let get = |key: &str| -> Result<Option<Vec<u8>>, String> {
            let value = meta.get(key).map_err(|e| format!("cannot be read ({e})"))?;
            Ok(value.map(|v| v.value().to_vec()))
        };
        let format = get("format")?.ok_or("has no format version (not a leakhound cache)")?;
        if get("repository")?.as_deref() != Some(self.repo.as_bytes()) {
            return Err("belongs to another repository".into());
        }
        if get("seal")?.as_deref() != Some(self.seal.as_bytes()) {
            return Err("was not written with this user's fingerprint key".into());
        }
        // Ours, from another leakhound version: emptied and refilled like a rules change.
        if format != FORMAT.to_le_bytes() {
            return Ok(Loaded::Older);
        }
        if get("digest")?.as_deref() != Some(&self.digest[..]) {
            return Ok(Loaded::Stale);
        }
        // A snapshot that does not decode is only a slower scan: every pack is read (and the
        // caller says so with a warning).
        match (get("snapshot")?, get("snapshot.loose")?) {
            (Some(bytes), Some(light)) => {
                self.snapshot = Snapshot::decode(&bytes, &light);
                if self.snapshot.is_none() {
                    self.report.snapshot = "unreadable; every pack was read".into();
                }
            }
            (None, None) => {}
            _ => self.report.snapshot = "unreadable; every pack was read".into(),
        }
        Ok(Loaded::Valid)
    }

    /// Loads every blob entry (a scan that reads packs asks for most of them). Until then, and
    /// when a snapshot leaves only loose objects to read, entries are looked up one by one.
    pub(crate) fn load_blobs(&mut self, notices: &mut Vec<Notice>) {
        if self.reset || self.loaded {
            return;
        }
        self.loaded = true;
        if let Err(message) = self.read_blobs() {
            self.known.clear();
            self.reset = true;
            self.report.state = "rebuilt".into();
            let path = PathBuf::from(&self.report.path);
            notices.push(ignored(&path, &format!("{message}; it was rebuilt")));
        }
    }

    fn read_blobs(&mut self) -> Result<(), String> {
        let read = self.db.begin_read().map_err(|e| format!("cannot be read ({e})"))?;
        let blobs = read.open_table(BLOBS).map_err(|e| format!("cannot be read ({e})"))?;
        let iter = blobs.iter().map_err(|e| format!("cannot be read ({e})"))?;
        for item in iter {
            let (key, value) = item.map_err(|e| format!("cannot be read ({e})"))?;
            let id = ObjectId::try_from(key.value())
                .map_err(|_| "holds a key that is not an object id".to_string())?;
            let value = value.value();
            if decode(value).is_none() {
                return Err("holds an entry of unknown state".into());
            }
            self.known.insert(id, value);
        }
        Ok(())
    }

    /// One entry read from the file (an entry of unknown state is no entry).
    fn lookup(&self, id: &ObjectId) -> Option<u64> {
        let read = self.db.begin_read().ok()?;
        let blobs = read.open_table(BLOBS).ok()?;
        let value = blobs.get(id.as_bytes()).ok()??.value();
        decode(value).map(|_| value)
    }

    /// The stored snapshot, once (the scan decides whether it applies).
    pub(crate) fn take_snapshot(&mut self) -> Option<Snapshot> {
        self.snapshot.take()
    }

    /// The entry for `id`, when the cache knows it.
    pub(crate) fn get(&self, id: &ObjectId) -> Option<(State, u64)> {
        if !self.loaded && !self.reset {
            return self.lookup(id).and_then(decode);
        }
        self.known.get(id).copied().and_then(decode)
    }

    /// Writes what this scan learned in one transaction (after emptying the table on a reset);
    /// a failure is a warning and leaves the previous contents.
    pub(crate) fn store(
        mut self,
        fresh: &[(ObjectId, u64)],
        snapshot: Option<(&Snapshot, bool)>,
        notices: &mut Vec<Notice>,
    ) -> CacheUse {
        let path = PathBuf::from(&self.report.path);
        match self.write(fresh, snapshot) {
            Ok(()) => self.report.stored = fresh.len() as u64,
            Err(e) => notices.push(ignored(&path, &format!("could not be updated ({e})"))),
        }
        self.report
    }

    fn write(
        &mut self,
        fresh: &[(ObjectId, u64)],
        snapshot: Option<(&Snapshot, bool)>,
    ) -> Result<(), String> {
        let txn = self.db.begin_write().map_err(|e| e.to_string())?;
        if self.reset {
            txn.delete_table(BLOBS).map_err(|e| e.to_string())?;
        }
        {
            let mut meta = txn.open_table(META).map_err(|e| e.to_string())?;
            let format = FORMAT.to_le_bytes();
            meta.insert("format", &format[..]).map_err(|e| e.to_string())?;
            meta.insert("repository", self.repo.as_bytes()).map_err(|e| e.to_string())?;
            meta.insert("digest", &self.digest[..]).map_err(|e| e.to_string())?;
            meta.insert("seal", self.seal.as_bytes()).map_err(|e| e.to_string())?;
            if let Some((snapshot, packs_changed)) = snapshot {
                if packs_changed {
                    let packs = snapshot.encode_packs();
                    meta.insert("snapshot", packs.as_slice()).map_err(|e| e.to_string())?;
                }
                let loose = snapshot.encode_loose();
                meta.insert("snapshot.loose", loose.as_slice()).map_err(|e| e.to_string())?;
            } else {
                meta.remove("snapshot").map_err(|e| e.to_string())?;
                meta.remove("snapshot.loose").map_err(|e| e.to_string())?;
            }
            let mut blobs = txn.open_table(BLOBS).map_err(|e| e.to_string())?;
            for (id, value) in fresh {
                blobs.insert(id.as_bytes(), *value).map_err(|e| e.to_string())?;
            }
        }
        txn.commit().map_err(|e| e.to_string())
    }
}

/// Holds the cache file at `path` open, as a concurrent scan would (tests of a busy cache).
#[doc(hidden)]
pub fn hold(path: &Path) -> Option<impl Drop + use<>> {
    Database::create(path).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_unknown_states_are_refused() {
        for state in [State::Clean, State::Binary, State::Matched] {
            assert_eq!(decode(entry(state, 12345)), Some((state, 12345)));
        }
        assert_eq!(decode(3 << 62), None);
    }
}
