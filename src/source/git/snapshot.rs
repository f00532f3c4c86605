//! The history snapshot: what a full scan learned from the object database's packs, so that the
//! next scan of the same repository reads only what was added since (new packs, loose objects).
//!
//! The blob cache ([`super::cache`]) saves matching blobs again; a rescan still decoded every
//! commit and tree of every pack for the commit graph, the presence check and provenance (on
//! git/git, 203k commits and 382k trees: seconds of CPU, however few blobs were new). A snapshot
//! keeps, for the packs it *covers*:
//!
//! - the commits (tree, parents, author date) and annotated tags they hold, and phase 1's counts;
//! - the blobs over the size limit and the references to missing objects their objects make;
//! - the blobs to read again by id (those with matches, and archives with problems): matches are
//!   never stored, so findings always come from the matcher;
//! - every *introduction* by a covered commit: (path, blob with findings, commit) where the commit
//!   has the blob at the path and none of its parents does. Which of a (path, blob)'s
//!   introductions wins depends on the refs (a reachable commit first), so all are kept and the
//!   winner is chosen on every scan, with the refs of that scan;
//! - where the trees that refer to the listed missing objects first appear among covered commits.
//!
//! **When it is used**: only if every covered pack is still there and unchanged (same file names,
//! sizes and inodes, the index's modification and change times, and the pack and index checksums
//! in the index's trailer; the pack's times are not compared, since git touches them when it
//! *freshens* a pack, and a pack rewritten in place without its index no longer matches the
//! checksum its index gives for it, which git itself then reports as corrupt), every loose
//! object of the snapshot's scan is still in the database (in a pack or loose), the shallow
//! boundary is the same, and no object that was missing then is present now (it could hold what
//! the covered commits introduce). The snapshot is then *the* result of those packs; anything else
//! drops it and the scan reads every pack, as without one. Objects are immutable, so commits and
//! trees added since cannot change what a covered commit introduces; new commits are compared with
//! their parents by reading only the trees that differ.
//!
//! It is stored in the history cache's file (same seal, same digest of rules and options: another
//! digest drops it with the blob table), one value, in a compact encoding of its own.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use gix::ObjectId;

use super::odb::{Authors, CommitNode, ObjectDirs};
use super::presence::{MissingRef, Presence, Referrer};

/// Bumped whenever the encoding or the meaning of a field changes.
const VERSION: u32 = 1;

/// One (path, blob with findings, commit) introduction.
pub(crate) type Introduction = (String, ObjectId, ObjectId);

/// What the covered packs hold, as phase 1 and phase 2 learned it.
#[derive(Debug, Default, Clone)]
pub(crate) struct Snapshot {
    /// Bumped whenever the part from the packs is written anew.
    pub(crate) generation: u64,
    /// Identities of the covered packs (see [`pack_identity`]).
    pub(crate) packs: Vec<Vec<u8>>,
    /// Loose objects when the snapshot was taken: each must still be in the database.
    pub(crate) loose: Vec<ObjectId>,
    /// The shallow boundary then (sorted).
    pub(crate) shallow: Vec<ObjectId>,
    /// Whether references were checked (the presence check was on).
    pub(crate) checked: bool,
    pub(crate) commits: Vec<(ObjectId, CommitNode)>,
    pub(crate) tags: Vec<(ObjectId, ObjectId)>,
    pub(crate) blobs: u64,
    pub(crate) bytes: u64,
    pub(crate) binary: u64,
    pub(crate) too_large: Vec<(ObjectId, u64)>,
    pub(crate) missing: Vec<MissingRef>,
    /// Blobs read again by id on every scan (matches, archive problems).
    pub(crate) reread: Vec<ObjectId>,
    pub(crate) introductions: Vec<Introduction>,
    /// The target trees of the snapshot's scan (those referring to the listed missing objects).
    pub(crate) located_targets: Vec<ObjectId>,
    /// Target tree -> (first covered commit holding it, path); a target no covered commit holds
    /// has no entry.
    pub(crate) located: Vec<(ObjectId, ObjectId, String)>,
}

/// A pack's identity: its index file's name, the stat data of the index and the pack, and the
/// index trailer (pack and index checksums). `None` when any of it cannot be read.
#[allow(
    clippy::disallowed_methods,
    reason = "reads the 40- or 64-byte trailer of a pack index in the object database"
)]
pub(crate) fn pack_identity(index: &Path) -> Option<Vec<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut out = Vec::new();
    put_bytes(&mut out, index.file_name()?.as_encoded_bytes());
    for (path, times) in [(index.to_path_buf(), true), (index.with_extension("pack"), false)] {
        let meta = std::fs::symlink_metadata(&path).ok()?;
        if !meta.is_file() {
            return None;
        }
        put_u64(&mut out, meta.len());
        stat_words(&meta, times, &mut out);
    }
    let mut file = std::fs::File::open(index).ok()?;
    let len = file.metadata().ok()?.len();
    let trailer = 64.min(len);
    file.seek(SeekFrom::Start(len - trailer)).ok()?;
    let mut tail = Vec::new();
    file.take(trailer).read_to_end(&mut tail).ok()?;
    put_bytes(&mut out, &tail);
    Some(out)
}

/// The file's device and inode, and with `times` its modification and change times. A pack's
/// times are left out: git *freshens* a pack (sets its modification time) whenever it is asked to
/// write an object the pack already holds, which changes nothing in it.
#[cfg(unix)]
fn stat_words(meta: &std::fs::Metadata, times: bool, out: &mut Vec<u8>) {
    use std::os::unix::fs::MetadataExt;
    put_u64(out, meta.dev());
    put_u64(out, meta.ino());
    if times {
        for word in [meta.mtime(), meta.mtime_nsec(), meta.ctime(), meta.ctime_nsec()] {
            put_u64(out, word.cast_unsigned());
        }
    }
}

#[cfg(not(unix))]
fn stat_words(meta: &std::fs::Metadata, times: bool, out: &mut Vec<u8>) {
    if !times {
        return;
    }
    let nanos = |t: std::io::Result<std::time::SystemTime>| {
        t.ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as u64)
    };
    put_u64(out, nanos(meta.modified()));
    put_u64(out, nanos(meta.created()));
}

/// Every loose object id of the object directories.
pub(crate) fn loose_ids(objects: &ObjectDirs) -> Vec<ObjectId> {
    let mut ids: Vec<ObjectId> = objects
        .dirs
        .iter()
        .flat_map(|dir| gix::odb::loose::Store::at(dir, objects.hash).iter().filter_map(Result::ok))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// How a stored snapshot applies to this scan.
pub(crate) struct Usable {
    pub(crate) snapshot: Snapshot,
    /// The pack indexes it covers (their objects are not read again).
    pub(crate) covered: HashSet<PathBuf>,
    /// How many pack indexes the database has (covered or not).
    pub(crate) packs: usize,
}

impl Usable {
    /// Whether only loose objects are left to read.
    pub(crate) fn covers_every_pack(&self) -> bool {
        !self.covered.is_empty() && self.covered.len() == self.packs
    }
}

impl Snapshot {
    /// The snapshot applies when every covered pack is unchanged, every loose object of its scan
    /// is still there, the shallow boundary is the same and nothing missing then is present now;
    /// `Err` says why not (for the coverage record).
    pub(crate) fn usable(
        self,
        objects: &ObjectDirs,
        presence: &Presence,
        shallow: &[ObjectId],
        check: bool,
    ) -> Result<Usable, &'static str> {
        if check && !self.checked {
            return Err("taken without the presence check");
        }
        if self.shallow != shallow {
            return Err("the shallow boundary changed");
        }
        let mut by_identity: HashMap<Vec<u8>, PathBuf> = HashMap::new();
        let indexes = objects.pack_indexes();
        let packs = indexes.len();
        for index in indexes {
            if let Some(identity) = pack_identity(&index) {
                by_identity.insert(identity, index);
            }
        }
        let mut covered = HashSet::new();
        for identity in &self.packs {
            match by_identity.get(identity) {
                Some(index) => {
                    covered.insert(index.clone());
                }
                None => return Err("a pack it covers was removed or changed"),
            }
        }
        if !self.loose.iter().all(|id| presence.contains(id)) {
            return Err("a loose object it saw is gone");
        }
        if self.checked && self.missing.iter().any(|m| presence.contains(&m.object)) {
            return Err("an object that was missing is present now");
        }
        Ok(Usable { snapshot: self, covered, packs })
    }

    /// The encoding stored in the cache, in two parts: what comes from the packs (rewritten only
    /// when a pack was read) and what changes with loose objects (rewritten on every scan). Both
    /// carry the generation, so parts of two snapshots never pass for one.
    #[cfg(test)]
    fn encode(&self) -> (Vec<u8>, Vec<u8>) {
        (self.encode_packs(), self.encode_loose())
    }

    /// The part from the packs.
    pub(crate) fn encode_packs(&self) -> Vec<u8> {
        let mut out = Vec::new();
        put_u64(&mut out, u64::from(VERSION));
        put_u64(&mut out, self.generation);
        put_u64(&mut out, self.packs.len() as u64);
        for pack in &self.packs {
            put_bytes(&mut out, pack);
        }
        put_u64(&mut out, u64::from(self.checked));
        put_u64(&mut out, self.commits.len() as u64);
        for (id, node) in &self.commits {
            put_id(&mut out, id);
            put_id(&mut out, &node.tree);
            put_u64(&mut out, node.time.cast_unsigned());
            put_ids(&mut out, &node.parents);
        }
        put_u64(&mut out, self.tags.len() as u64);
        for (tag, target) in &self.tags {
            put_id(&mut out, tag);
            put_id(&mut out, target);
        }
        for count in [self.blobs, self.bytes, self.binary] {
            put_u64(&mut out, count);
        }
        put_u64(&mut out, self.too_large.len() as u64);
        for (id, size) in &self.too_large {
            put_id(&mut out, id);
            put_u64(&mut out, *size);
        }
        put_u64(&mut out, self.missing.len() as u64);
        for missing in &self.missing {
            put_missing(&mut out, missing);
        }
        put_ids(&mut out, &self.reread);
        put_u64(&mut out, self.introductions.len() as u64);
        for (path, blob, commit) in &self.introductions {
            put_bytes(&mut out, path.as_bytes());
            put_id(&mut out, blob);
            put_id(&mut out, commit);
        }
        out
    }

    /// The part that changes with loose objects.
    pub(crate) fn encode_loose(&self) -> Vec<u8> {
        let mut light = Vec::new();
        put_u64(&mut light, u64::from(VERSION));
        put_u64(&mut light, self.generation);
        put_ids(&mut light, &self.loose);
        put_ids(&mut light, &self.shallow);
        put_ids(&mut light, &self.located_targets);
        put_u64(&mut light, self.located.len() as u64);
        for (tree, commit, path) in &self.located {
            put_id(&mut light, tree);
            put_id(&mut light, commit);
            put_bytes(&mut light, path.as_bytes());
        }
        light
    }

    /// Decodes the two parts ([`Snapshot::encode_packs`], [`Snapshot::encode_loose`]); `None` for
    /// anything else (another version, cut short, parts of two generations).
    pub(crate) fn decode(bytes: &[u8], light: &[u8]) -> Option<Snapshot> {
        let mut r = Reader { bytes };
        if r.u64()? != u64::from(VERSION) {
            return None;
        }
        let mut s = Snapshot { generation: r.u64()?, ..Snapshot::default() };
        for _ in 0..r.count()? {
            s.packs.push(r.bytes()?.to_vec());
        }
        s.checked = r.u64()? != 0;
        for _ in 0..r.count()? {
            let id = r.id()?;
            let tree = r.id()?;
            let time = r.u64()?.cast_signed();
            let parents = r.ids()?.into_boxed_slice();
            s.commits.push((id, CommitNode { tree, parents, time, author: Authors::UNKNOWN }));
        }
        for _ in 0..r.count()? {
            s.tags.push((r.id()?, r.id()?));
        }
        s.blobs = r.u64()?;
        s.bytes = r.u64()?;
        s.binary = r.u64()?;
        for _ in 0..r.count()? {
            s.too_large.push((r.id()?, r.u64()?));
        }
        for _ in 0..r.count()? {
            s.missing.push(r.missing()?);
        }
        s.reread = r.ids()?;
        for _ in 0..r.count()? {
            let path = r.string()?;
            s.introductions.push((path, r.id()?, r.id()?));
        }
        if !r.bytes.is_empty() {
            return None;
        }
        let mut r = Reader { bytes: light };
        if r.u64()? != u64::from(VERSION) || r.u64()? != s.generation {
            return None;
        }
        s.loose = r.ids()?;
        s.shallow = r.ids()?;
        s.located_targets = r.ids()?;
        for _ in 0..r.count()? {
            let (tree, commit) = (r.id()?, r.id()?);
            s.located.push((tree, commit, r.string()?));
        }
        r.bytes.is_empty().then_some(s)
    }
}

fn put_u64(out: &mut Vec<u8>, value: u64) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_u64(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn put_id(out: &mut Vec<u8>, id: &gix::oid) {
    put_bytes(out, id.as_bytes());
}

fn put_ids(out: &mut Vec<u8>, ids: &[ObjectId]) {
    put_u64(out, ids.len() as u64);
    for id in ids {
        put_id(out, id);
    }
}

const KINDS: [&str; 4] = ["tree", "blob", "commit", "object"];

fn put_missing(out: &mut Vec<u8>, missing: &MissingRef) {
    put_id(out, &missing.object);
    put_u64(out, KINDS.iter().position(|k| *k == missing.kind).unwrap_or(3) as u64);
    match &missing.referrer {
        Referrer::CommitTree(id) => {
            put_u64(out, 0);
            put_id(out, id);
        }
        Referrer::CommitParent(id) => {
            put_u64(out, 1);
            put_id(out, id);
        }
        Referrer::TagTarget(id) => {
            put_u64(out, 2);
            put_id(out, id);
        }
        Referrer::TreeEntry { tree, name } => {
            put_u64(out, 3);
            put_id(out, tree);
            put_bytes(out, name.as_bytes());
        }
    }
}

/// Reads what the `put_*` functions wrote; every read is bounds-checked.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if n > self.bytes.len() {
            return None;
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Some(head)
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    /// A count that the remaining bytes could hold (so a damaged value cannot make us allocate).
    fn count(&mut self) -> Option<usize> {
        let n = usize::try_from(self.u64()?).ok()?;
        (n <= self.bytes.len()).then_some(n)
    }

    fn bytes(&mut self) -> Option<&[u8]> {
        let n = self.count()?;
        self.take(n)
    }

    fn string(&mut self) -> Option<String> {
        String::from_utf8(self.bytes()?.to_vec()).ok()
    }

    fn id(&mut self) -> Option<ObjectId> {
        ObjectId::try_from(self.bytes()?).ok()
    }

    fn ids(&mut self) -> Option<Vec<ObjectId>> {
        let n = self.count()?;
        let mut ids = Vec::with_capacity(n.min(self.bytes.len() / 20));
        for _ in 0..n {
            ids.push(self.id()?);
        }
        Some(ids)
    }

    fn missing(&mut self) -> Option<MissingRef> {
        let object = self.id()?;
        let kind = *KINDS.get(usize::try_from(self.u64()?).ok()?)?;
        let referrer = match self.u64()? {
            0 => Referrer::CommitTree(self.id()?),
            1 => Referrer::CommitParent(self.id()?),
            2 => Referrer::TagTarget(self.id()?),
            3 => Referrer::TreeEntry { tree: self.id()?, name: self.string()? },
            _ => return None,
        };
        Some(MissingRef { object, kind, referrer })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(byte: u8) -> ObjectId {
        ObjectId::from_bytes_or_panic(&[byte; 20])
    }

    #[test]
    fn a_snapshot_round_trips_and_damaged_bytes_are_refused() {
        let snapshot = Snapshot {
            generation: 7,
            packs: vec![b"pack-a".to_vec()],
            loose: vec![id(1)],
            shallow: vec![],
            checked: true,
            commits: vec![(
                id(2),
                CommitNode {
                    tree: id(3),
                    parents: vec![id(4)].into(),
                    time: -5,
                    author: Authors::UNKNOWN,
                },
            )],
            tags: vec![(id(6), id(2))],
            blobs: 7,
            bytes: 8,
            binary: 9,
            too_large: vec![(id(10), 11)],
            missing: vec![MissingRef {
                object: id(12),
                kind: "blob",
                referrer: Referrer::TreeEntry { tree: id(3), name: "a.txt".into() },
            }],
            reread: vec![id(13)],
            introductions: vec![("src/a.txt".into(), id(13), id(2))],
            located_targets: vec![id(3), id(14)],
            located: vec![(id(3), id(2), "src/".into())],
        };
        let (bytes, light) = snapshot.encode();
        let back = Snapshot::decode(&bytes, &light).unwrap();
        assert_eq!(back.encode(), (bytes.clone(), light.clone()));
        assert_eq!(back.commits[0].1.time, -5);
        assert_eq!(back.missing, snapshot.missing);
        assert_eq!(back.located, snapshot.located);
        for cut in [0, 1, 8, bytes.len() / 2, bytes.len() - 1] {
            assert!(Snapshot::decode(&bytes[..cut], &light).is_none(), "cut at {cut}");
        }
        assert!(Snapshot::decode(&bytes, &light[..light.len() - 1]).is_none());
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(Snapshot::decode(&longer, &light).is_none());
        let mut huge = bytes.clone();
        huge[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(Snapshot::decode(&huge, &light).is_none());
        let other = Snapshot { generation: 8, ..snapshot };
        assert!(Snapshot::decode(&bytes, &other.encode().1).is_none(), "another generation");
    }
}
