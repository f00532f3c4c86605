//! The tree index of phase 2: just enough of every tree to attribute blobs with findings and to
//! say where the trees that refer to missing objects sit.
//!
//! One more walk of the packs (trees only; nothing is matched) records, for every tree, its
//! subtrees and the blobs with findings it holds, with their names. Trees that are *targets* (they
//! refer to a missing object: [`TreeIndex::locate`] finds a commit and a path for each) count as
//! holding something, so the paths that lead to them are kept too. Everything else a tree holds
//! is irrelevant to provenance and is not kept, and what is kept is compact: object ids
//! and names are interned to `u32`, and the table from ids to interned numbers holds only the
//! numbers (the ids' bytes are stored once, in order). The walk threads send trees in batches, so
//! there is no allocation per tree. This makes the per-commit walk an in-memory one: a commit
//! whose root tree holds no blob with findings is skipped at once.
//!
//! This is the peak of a history scan's memory (git/git: 382k trees, 8 million subtree entries
//! before pruning), so while the index is built each entry is packed into 4-5 bytes (two
//! variable-length integers) in fixed-size chunks that never reallocate; pruning then keeps the
//! entries on a path to something (1.1 million on git/git) as 8-byte [`Child`]ren in one vector.
//! Measured with heaptrack on git/git: the entries took 67 MB at the peak as one vector of
//! `Child`, and the id table 21.5 MB as a map from 33-byte `ObjectId`s.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use crossbeam_channel::{Sender, bounded};
use gix::ObjectId;
use gix::hashtable::hash_table::HashTable;

pub(crate) use super::odb::MAX_DEPTH;
use super::odb::{Commit, Commits, ObjectDirs, id_hash};
use super::packwalk::WalkError;

/// A kept tree entry, a subtree or a blob with findings, in 8 bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Child {
    /// Interned name; [`TREE_BIT`] set for a subtree.
    name_and_kind: u32,
    /// Interned object (a tree or a blob).
    object: u32,
}

/// Marks a [`Child`] that is a subtree; names are interned below it.
const TREE_BIT: u32 = 1 << 31;

impl Child {
    fn name(self) -> u32 {
        self.name_and_kind & !TREE_BIT
    }

    fn is_tree(self) -> bool {
        self.name_and_kind & TREE_BIT != 0
    }
}

/// Subtrees and blobs-with-findings of every tree, and a memo of which trees hold such a blob.
#[derive(Debug, Default)]
pub(crate) struct TreeIndex {
    /// Object ids in order of interning, [`TreeIndex::width`] bytes each (an `ObjectId` takes 33).
    oids: Vec<u8>,
    width: usize,
    /// The interned id of each object, found through its bytes in `oids`.
    ids: HashTable<u32>,
    /// Per interned object: where its entries are, in `packed` while the index is built, in
    /// `kids` once it is pruned.
    spans: Vec<Span>,
    /// While building: every tree's entries, packed (see [`pack_entry`]); emptied by pruning.
    packed: Chunks<u8>,
    /// Once pruned: the entries kept, one vector.
    kids: Vec<Child>,
    name_ids: HashMap<u64, u32, BuildHasherDefault<NameHasher>>,
    names: Vec<String>,
    holds: Vec<Option<bool>>,
    /// Per interned object: whether it is a target tree.
    target: Vec<bool>,
    /// One tree's packed entries on their way into `packed`.
    scratch: Vec<u8>,
}

/// Trees from one walk thread: names first seen by that thread (`(hash, name)`), then trees as
/// (tree, number of kept entries) with their kept entries, in order.
#[derive(Default)]
struct Batch {
    names: Vec<(u64, Vec<u8>)>,
    trees: Vec<(ObjectId, u32)>,
    entries: Vec<(u64, ObjectId, bool)>,
}

/// A batch is sent once it holds this many entries.
const BATCH_ENTRIES: usize = 16 * 1024;

/// A tree's entries: `chunks[chunk][start..start + len]`.
#[derive(Debug, Default, Clone, Copy)]
struct Span {
    chunk: u32,
    start: u32,
    len: u32,
}

/// The packed entries, in chunks of [`CHUNK`] bytes, while the index is built (8 million subtree
/// entries on git/git before pruning, at the peak of the scan's memory). One vector would
/// double, and be copied, as it grows, holding the old and the new buffer at once. A tree's
/// entries never straddle two chunks.
#[derive(Debug)]
struct Chunks<T> {
    chunks: Vec<Vec<T>>,
}

impl<T> Default for Chunks<T> {
    fn default() -> Self {
        Chunks { chunks: Vec::new() }
    }
}

/// Bytes per chunk.
const CHUNK: usize = 4 << 20;

impl<T: Copy> Chunks<T> {
    /// Adds one tree's entries and returns where they are.
    fn push(&mut self, items: &[T]) -> Span {
        let fits = self.chunks.last().is_some_and(|c| c.capacity() - c.len() >= items.len());
        if !fits {
            self.chunks.push(Vec::with_capacity(items.len().max(CHUNK)));
        }
        let chunk = self.chunks.len() - 1;
        let store = &mut self.chunks[chunk];
        let start = store.len();
        match (u32::try_from(chunk), u32::try_from(start), u32::try_from(items.len())) {
            (Ok(chunk), Ok(start), Ok(len)) => {
                store.extend_from_slice(items);
                Span { chunk, start, len }
            }
            // Over 4 billion chunks or entries in one: the tree is not indexed.
            _ => Span::default(),
        }
    }

    fn get(&self, span: Span) -> &[T] {
        let (start, end) = (span.start as usize, span.start as usize + span.len as usize);
        self.chunks.get(span.chunk as usize).and_then(|c| c.get(start..end)).unwrap_or(&[])
    }
}

/// Appends one entry, packed: the name's id, then the object's id shifted left by one with the
/// subtree flag in bit 0, each as a LEB128 variable-length integer. On git/git an entry takes 4
/// to 5 bytes instead of [`Child`]'s 8.
fn pack_entry(out: &mut Vec<u8>, name: u32, object: u32, is_tree: bool) {
    put_varint(out, u64::from(name));
    put_varint(out, (u64::from(object) << 1) | u64::from(is_tree));
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn get_varint(bytes: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = bytes.split_first()?;
        *bytes = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// The entries [`pack_entry`] wrote, in order (a malformed tail ends the list: we wrote it).
fn unpack_entries(mut bytes: &[u8]) -> impl Iterator<Item = Child> {
    std::iter::from_fn(move || {
        let name = u32::try_from(get_varint(&mut bytes)?).ok()?;
        let packed = get_varint(&mut bytes)?;
        let object = u32::try_from(packed >> 1).ok()?;
        let name_and_kind = if packed & 1 == 1 { name | TREE_BIT } else { name };
        Some(Child { name_and_kind, object })
    })
}

/// Names are keyed by their FNV hash ([`name_hash`]), which needs no hashing again.
#[derive(Default)]
struct NameHasher(u64);

impl Hasher for NameHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

impl TreeIndex {
    /// Builds the index from every pack and loose object in `objects`: the paths to every blob of
    /// `blobs` and to every tree of `targets`.
    pub(crate) fn build(
        objects: &ObjectDirs,
        blobs: &HashSet<ObjectId>,
        targets: &HashSet<ObjectId>,
        threads: usize,
        errors: &mut Vec<String>,
    ) -> TreeIndex {
        let (tx, rx) = bounded::<Batch>(4);
        let index = TreeIndex { width: objects.hash.len_in_bytes(), ..TreeIndex::default() };
        // Looked up for every entry of every tree: hashed by the ids' own bytes.
        let blobs: gix::hashtable::HashSet = blobs.iter().copied().collect();
        let blobs = &blobs;
        let mut index = std::thread::scope(|scope| {
            let producer = scope.spawn(move || {
                let sender = TreeSender {
                    tx,
                    blobs,
                    seen_names: NameSet::default(),
                    batch: Batch::default(),
                };
                let mut errors = Vec::new();
                for idx in objects.pack_indexes() {
                    if let Err(e) = walk_trees(objects, &idx, threads, &sender) {
                        errors.push(format!("pack {}: tree index: {e}", idx.display()));
                    }
                }
                let mut loose = sender.clone();
                objects.for_each_loose(|object| {
                    // Unreadable loose objects were already reported by phase 1.
                    if let Ok((id, gix::object::Kind::Tree, data)) = object {
                        loose.tree(id, data);
                    }
                });
                errors
            });
            // Built on a thread of its own: glibc gives it an arena that phase 1's threads left
            // free memory in, where the main thread's arena would grow instead.
            let consumer = scope.spawn(move || {
                let mut index = index;
                for batch in rx {
                    index.add_batch(&batch);
                }
                index
            });
            errors.extend(producer.join().unwrap_or_default());
            consumer.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        });
        for target in targets {
            index.intern(target);
        }
        index.target = vec![false; index.len()];
        for target in targets {
            if let Some(id) = index.id(target) {
                index.target[id as usize] = true;
            }
        }
        index.holds = vec![None; index.len()];
        index.prune();
        index
    }

    /// How many objects are interned.
    fn len(&self) -> usize {
        self.oids.len() / self.width.max(1)
    }

    /// The id of interned object `id`.
    fn oid(&self, id: u32) -> Option<ObjectId> {
        let start = id as usize * self.width;
        let bytes = self.oids.get(start..start + self.width)?;
        gix::hash::oid::try_from_bytes(bytes).ok().map(ToOwned::to_owned)
    }

    /// The first commit (oldest author date, then smallest id) whose tree holds each target tree,
    /// and the path of that tree in it (empty for the root, else ending in `/`). Each distinct
    /// tree is visited once over all commits, so a tree first met under an earlier commit is not
    /// walked again: a target under it was found then.
    pub(crate) fn locate(
        &self,
        commits: &Commits,
        only: &dyn Fn(&ObjectId) -> bool,
    ) -> HashMap<ObjectId, (ObjectId, String)> {
        let wanted = self.target.iter().filter(|t| **t).count();
        let mut found = HashMap::new();
        if wanted == 0 {
            return found;
        }
        let mut order: Vec<(ObjectId, Commit<'_>)> =
            commits.iter().filter(|(id, _)| only(id)).collect();
        order.sort_by_key(|(id, node)| (node.time(), *id));
        let mut visited = vec![false; self.len()];
        for (commit, node) in order {
            let Some(root) = self.id(&node.tree()) else { continue };
            let mut stack = vec![(root, String::new(), 0usize)];
            while let Some((tree, path, depth)) = stack.pop() {
                if std::mem::replace(&mut visited[tree as usize], true) || depth > MAX_DEPTH {
                    continue;
                }
                if self.target[tree as usize]
                    && let Some(oid) = self.oid(tree)
                {
                    found.entry(oid).or_insert((commit, path.clone()));
                    if found.len() == wanted {
                        return found;
                    }
                }
                for child in self.kids(tree).iter().filter(|c| c.is_tree()) {
                    let name = &self.names[child.name() as usize];
                    stack.push((child.object, format!("{path}{name}/"), depth + 1));
                }
            }
        }
        found
    }

    /// Drops every entry that leads to no blob with findings (most of them), and the entries of
    /// trees that hold none: walks never look at them. Unpacks what is kept into `kids`.
    fn prune(&mut self) {
        let trees = u32::try_from(self.len()).unwrap_or(u32::MAX);
        for id in 0..trees {
            self.holds(id);
        }
        // Counted first, so the kept entries take one allocation of their final size (grown by
        // doubling, they reserved up to twice that beside the packed entries, at the peak).
        let total: usize = (0..trees).map(|tree| self.kept(tree).count()).sum();
        let mut kids = Vec::with_capacity(total);
        for tree in 0..trees {
            let start = kids.len();
            kids.extend(self.kept(tree));
            self.spans[tree as usize] =
                match (u32::try_from(start), u32::try_from(kids.len() - start)) {
                    (Ok(start), Ok(len)) if len > 0 => Span { chunk: 0, start, len },
                    _ => Span::default(),
                };
        }
        self.kids = kids;
        self.packed = Chunks::default();
    }

    /// The entries of `tree` that [`TreeIndex::prune`] keeps: those of a tree that holds a blob
    /// with findings, leading to such a blob.
    fn kept(&self, tree: u32) -> impl Iterator<Item = Child> + '_ {
        let held = self.holds[tree as usize] == Some(true);
        self.entries(tree)
            .filter(move |c| held && (!c.is_tree() || self.holds[c.object as usize] == Some(true)))
    }

    fn add_batch(&mut self, batch: &Batch) {
        for (hash, name) in &batch.names {
            self.add_name(*hash, name);
        }
        let mut entries = batch.entries.as_slice();
        for &(tree, count) in &batch.trees {
            let (kept, rest) = entries.split_at(count as usize);
            self.insert(&tree, kept);
            entries = rest;
        }
    }

    /// The interned id of `oid`, interning it if new (`None` for an id of another hash kind,
    /// which one repository cannot hold, or past 4 billion objects).
    fn intern(&mut self, oid: &ObjectId) -> Option<u32> {
        let bytes = oid.as_slice();
        let width = self.width;
        if bytes.len() != width {
            return None;
        }
        if let Some(id) = self.id(oid) {
            return Some(id);
        }
        let hash = id_hash(bytes);
        let next = u32::try_from(self.len()).ok()?;
        self.oids.extend_from_slice(bytes);
        self.spans.push(Span::default());
        let oids = &self.oids;
        let rehash = |&i: &u32| id_hash(oids.get(i as usize * width..).unwrap_or(&[]));
        self.ids.insert_unique(hash, next, rehash);
        Some(next)
    }

    fn add_name(&mut self, hash: u64, name: &[u8]) {
        let next = self.names.len() as u32;
        if next >= TREE_BIT {
            return; // two billion distinct names: entries with more names are not indexed
        }
        if *self.name_ids.entry(hash).or_insert(next) == next {
            self.names.push(String::from_utf8_lossy(name).into_owned());
        }
    }

    fn insert(&mut self, tree: &ObjectId, kept: &[(u64, ObjectId, bool)]) {
        let Some(tree) = self.intern(tree) else { return };
        let mut packed = std::mem::take(&mut self.scratch);
        packed.clear();
        for (hash, oid, is_tree) in kept {
            if let Some(&name) = self.name_ids.get(hash)
                && let Some(object) = self.intern(oid)
            {
                pack_entry(&mut packed, name, object, *is_tree);
            }
        }
        self.spans[tree as usize] = self.packed.push(&packed);
        self.scratch = packed;
    }

    /// How big the index is, for `LEAKHOUND_TIMINGS`.
    pub(crate) fn size(&self) -> String {
        format!(
            "{} objects, {} kept entries, {} names",
            self.len(),
            self.kids.len(),
            self.names.len()
        )
    }

    /// The interned id of an object, if the index knows it.
    pub(crate) fn id(&self, oid: &ObjectId) -> Option<u32> {
        let bytes = oid.as_slice();
        let width = self.width;
        let oids = &self.oids;
        let same = |&i: &u32| oids.get(i as usize * width..(i as usize + 1) * width) == Some(bytes);
        self.ids.find(id_hash(bytes), same).copied()
    }

    /// The kept entries of a tree (once pruned).
    fn kids(&self, id: u32) -> &[Child] {
        let span = self.spans[id as usize];
        let (start, end) = (span.start as usize, span.start as usize + span.len as usize);
        self.kids.get(start..end).unwrap_or(&[])
    }

    /// Every entry of a tree, from the packed entries before pruning, the kept ones after.
    fn entries(&self, id: u32) -> Box<dyn Iterator<Item = Child> + '_> {
        if self.packed.chunks.is_empty() {
            Box::new(self.kids(id).iter().copied())
        } else {
            Box::new(unpack_entries(self.packed.get(self.spans[id as usize])))
        }
    }

    /// Whether tree `id` holds (at any depth) a blob with findings.
    pub(crate) fn holds(&mut self, id: u32) -> bool {
        self.holds_at(id, 0)
    }

    fn holds_at(&mut self, id: u32, depth: usize) -> bool {
        if let Some(known) = self.holds[id as usize] {
            return known;
        }
        let kids: Vec<Child> = self.entries(id).collect();
        let answer = depth <= MAX_DEPTH
            && (self.target[id as usize]
                || kids.iter().any(|c| !c.is_tree() || self.holds_at(c.object, depth + 1)));
        self.holds[id as usize] = Some(answer);
        answer
    }

    /// Every (path, blob) with findings in tree `tree` that no parent tree has at the same path.
    pub(crate) fn introduced(
        &mut self,
        tree: u32,
        parents: &[u32],
        out: &mut Vec<(String, ObjectId)>,
    ) {
        let mut stack = vec![(tree, parents.to_vec(), String::new(), 0usize)];
        while let Some((tree, parents, prefix, depth)) = stack.pop() {
            if depth > MAX_DEPTH || parents.contains(&tree) || !self.holds(tree) {
                continue;
            }
            for child in self.kids(tree).to_vec() {
                if child.is_tree() && !self.holds(child.object) {
                    continue;
                }
                let same_name: Vec<Child> = parents
                    .iter()
                    .filter_map(|p| {
                        self.kids(*p).iter().find(|c| c.name() == child.name()).copied()
                    })
                    .collect();
                let path = format!("{prefix}{}", self.names[child.name() as usize]);
                if child.is_tree() {
                    let subtrees: Vec<u32> =
                        same_name.iter().filter(|c| c.is_tree()).map(|c| c.object).collect();
                    stack.push((child.object, subtrees, format!("{path}/"), depth + 1));
                } else if !same_name.iter().any(|c| c.object == child.object)
                    && let Some(oid) = self.oid(child.object)
                {
                    out.push((path, oid));
                }
            }
        }
    }
}

/// FNV-1a: names are hashed in the traversal threads so only new names cross the channel.
fn name_hash(name: &[u8]) -> u64 {
    name.iter()
        .fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// Collects the kept entries of trees into batches for the index; cloned per walk thread (each
/// clone starts empty and sends what is left when dropped).
struct TreeSender<'a> {
    tx: Sender<Batch>,
    blobs: &'a gix::hashtable::HashSet,
    /// Names this sender has already sent.
    seen_names: NameSet,
    batch: Batch,
}

impl Clone for TreeSender<'_> {
    fn clone(&self) -> Self {
        TreeSender {
            tx: self.tx.clone(),
            blobs: self.blobs,
            seen_names: NameSet::default(),
            batch: Batch::default(),
        }
    }
}

/// Name hashes already sent.
type NameSet = HashSet<u64, BuildHasherDefault<NameHasher>>;

impl Drop for TreeSender<'_> {
    fn drop(&mut self) {
        self.flush();
    }
}

impl TreeSender<'_> {
    /// Adds a tree's subtrees and blobs with findings (trees with neither are not sent).
    fn tree(&mut self, tree: ObjectId, data: &[u8]) {
        let before = self.batch.entries.len();
        for entry in gix::objs::TreeRefIter::from_bytes(data, tree.kind()).filter_map(Result::ok) {
            let oid = entry.oid.to_owned();
            let is_tree = entry.mode.is_tree();
            let is_blob_with_findings =
                entry.mode.is_blob_or_symlink() && self.blobs.contains(&oid);
            if !is_tree && !is_blob_with_findings {
                continue;
            }
            let hash = name_hash(entry.filename);
            if self.seen_names.insert(hash) {
                self.batch.names.push((hash, entry.filename.to_vec()));
            }
            self.batch.entries.push((hash, oid, is_tree));
        }
        let kept = self.batch.entries.len() - before;
        if kept > 0 {
            self.batch.trees.push((tree, u32::try_from(kept).unwrap_or(u32::MAX)));
        }
        if self.batch.entries.len() >= BATCH_ENTRIES {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if !self.batch.trees.is_empty() || !self.batch.names.is_empty() {
            let _ = self.tx.send(std::mem::take(&mut self.batch));
        }
    }
}

fn walk_trees(
    objects: &ObjectDirs,
    index: &std::path::Path,
    threads: usize,
    sender: &TreeSender<'_>,
) -> Result<(), WalkError> {
    let mut sender = sender.clone();
    let wanted = |kind| kind == gix::object::Kind::Tree;
    super::packwalk::walk_pack(index, objects.hash, threads, wanted, move |_, data, id| {
        sender.tree(id, data);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_entries_unpack_to_what_was_packed() {
        let cases = [
            (0, 0, false),
            (127, 63, true),
            (128, 64, false),
            (TREE_BIT - 1, u32::MAX, true),
            (799, 382_039, true),
            (16_383, 16_384, false),
        ];
        let mut bytes = Vec::new();
        for &(name, object, is_tree) in &cases {
            pack_entry(&mut bytes, name, object, is_tree);
        }
        let back: Vec<(u32, u32, bool)> =
            unpack_entries(&bytes).map(|c| (c.name(), c.object, c.is_tree())).collect();
        assert_eq!(back, cases);
        // Small names and objects take one byte each.
        let mut one = Vec::new();
        pack_entry(&mut one, 5, 9, true);
        assert_eq!(one.len(), 2);
        // A cut tail ends the list instead of inventing an entry.
        let cut: Vec<Child> = unpack_entries(&bytes[..bytes.len() - 1]).collect();
        assert_eq!(cut.len(), cases.len() - 1);
    }

    #[test]
    fn chunks_never_split_a_tree_and_spans_find_it_again() {
        let mut chunks: Chunks<u8> = Chunks::default();
        let first = chunks.push(&[1, 2, 3]);
        let big = vec![7u8; CHUNK];
        let second = chunks.push(&big);
        let third = chunks.push(&[9]);
        assert_eq!(chunks.get(first), &[1, 2, 3]);
        assert_eq!(chunks.get(second), big.as_slice());
        assert_ne!(first.chunk, second.chunk, "a tree that does not fit starts a chunk");
        assert_eq!(chunks.get(third), &[9]);
        assert_eq!(chunks.get(Span { chunk: 99, start: 0, len: 1 }), &[] as &[u8]);
    }
}
