//! The tree index of phase 2: just enough of every tree to attribute blobs with findings and to
//! say where the trees that refer to missing objects sit.
//!
//! One more walk of the packs (trees only; nothing is matched) records, for every tree, its
//! subtrees and the blobs with findings it holds, with their names. Trees that are *targets* (they
//! refer to a missing object: [`TreeIndex::locate`] finds a commit and a path for each) count as
//! holding something, so the paths that lead to them are kept too. Everything else a tree holds
//! is irrelevant to provenance and is not kept, and what is kept is compact: object ids
//! and names are interned to `u32`, a kept entry is 12 bytes, and all entries live in one vector
//! with an 8-byte span per tree. The walk threads send trees in batches, so there is no
//! allocation per tree. This makes the per-commit walk an in-memory one: a commit whose root tree
//! holds no blob with findings is skipped at once.

use std::collections::{HashMap, HashSet};

use crossbeam_channel::{Sender, bounded};
use gix::ObjectId;

pub(crate) use super::odb::MAX_DEPTH;
use super::odb::{CommitNode, Commits, ObjectDirs};
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
    ids: HashMap<ObjectId, u32>,
    oids: Vec<ObjectId>,
    /// Per interned object: its kept entries, `kids[start..start + len]`.
    spans: Vec<(u32, u32)>,
    kids: Vec<Child>,
    name_ids: HashMap<u64, u32>,
    names: Vec<String>,
    holds: Vec<Option<bool>>,
    /// Per interned object: whether it is a target tree.
    target: Vec<bool>,
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
        let mut index = TreeIndex::default();
        std::thread::scope(|scope| {
            let producer = scope.spawn(move || {
                let sender =
                    TreeSender { tx, blobs, seen_names: HashSet::new(), batch: Batch::default() };
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
            for batch in rx {
                index.add_batch(&batch);
            }
            errors.extend(producer.join().unwrap_or_default());
        });
        for target in targets {
            index.intern(*target);
        }
        index.target = vec![false; index.oids.len()];
        for target in targets {
            if let Some(id) = index.id(target) {
                index.target[id as usize] = true;
            }
        }
        index.holds = vec![None; index.oids.len()];
        index.prune();
        index
    }

    /// The first commit (oldest author date, then smallest id) whose tree holds each target tree,
    /// and the path of that tree in it (empty for the root, else ending in `/`). Each distinct
    /// tree is visited once over all commits, so a tree first met under an earlier commit is not
    /// walked again: a target under it was found then.
    pub(crate) fn locate(&self, commits: &Commits) -> HashMap<ObjectId, (ObjectId, String)> {
        let wanted = self.target.iter().filter(|t| **t).count();
        let mut found = HashMap::new();
        if wanted == 0 {
            return found;
        }
        let mut order: Vec<(&ObjectId, &CommitNode)> = commits.iter().collect();
        order.sort_by_key(|(id, node)| (node.time, **id));
        let mut visited = vec![false; self.oids.len()];
        for (commit, node) in order {
            let Some(root) = self.id(&node.tree) else { continue };
            let mut stack = vec![(root, String::new(), 0usize)];
            while let Some((tree, path, depth)) = stack.pop() {
                if std::mem::replace(&mut visited[tree as usize], true) || depth > MAX_DEPTH {
                    continue;
                }
                if self.target[tree as usize] {
                    found.entry(self.oids[tree as usize]).or_insert((*commit, path.clone()));
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
    /// trees that hold none: walks never look at them.
    fn prune(&mut self) {
        let trees = self.oids.len() as u32;
        for id in 0..trees {
            self.holds(id);
        }
        let keep = |index: &TreeIndex, tree: u32, c: &Child| {
            index.holds[tree as usize] == Some(true)
                && (!c.is_tree() || index.holds[c.object as usize] == Some(true))
        };
        let count =
            (0..trees).map(|t| self.kids(t).iter().filter(|c| keep(self, t, c)).count()).sum();
        let mut kept = Vec::with_capacity(count);
        for tree in 0..trees {
            let start = kept.len() as u32;
            kept.extend(self.kids(tree).iter().filter(|c| keep(self, tree, c)));
            self.spans[tree as usize] = (start, kept.len() as u32 - start);
        }
        self.kids = kept;
    }

    fn add_batch(&mut self, batch: &Batch) {
        for (hash, name) in &batch.names {
            self.add_name(*hash, name);
        }
        let mut entries = batch.entries.as_slice();
        for &(tree, count) in &batch.trees {
            let (kept, rest) = entries.split_at(count as usize);
            self.insert(tree, kept);
            entries = rest;
        }
    }

    fn intern(&mut self, oid: ObjectId) -> u32 {
        let next = self.oids.len() as u32;
        let id = *self.ids.entry(oid).or_insert(next);
        if id == next {
            self.oids.push(oid);
            self.spans.push((0, 0));
        }
        id
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

    fn insert(&mut self, tree: ObjectId, kept: &[(u64, ObjectId, bool)]) {
        let tree = self.intern(tree) as usize;
        let start = self.kids.len();
        for &(hash, oid, is_tree) in kept {
            if let Some(&name) = self.name_ids.get(&hash) {
                let object = self.intern(oid);
                let name_and_kind = if is_tree { name | TREE_BIT } else { name };
                self.kids.push(Child { name_and_kind, object });
            }
        }
        let (Ok(start), Ok(len)) = (u32::try_from(start), u32::try_from(self.kids.len() - start))
        else {
            // More than 4 billion kept entries: the rest of this tree is not indexed.
            self.kids.truncate(start);
            return;
        };
        self.spans[tree] = (start, len);
    }

    /// How big the index is, for `LEAKHOUND_TIMINGS`.
    pub(crate) fn size(&self) -> String {
        format!(
            "{} objects, {} kept entries, {} names",
            self.oids.len(),
            self.kids.len(),
            self.names.len()
        )
    }

    /// The interned id of an object, if the index knows it.
    pub(crate) fn id(&self, oid: &ObjectId) -> Option<u32> {
        self.ids.get(oid).copied()
    }

    fn kids(&self, id: u32) -> &[Child] {
        let (start, len) = self.spans[id as usize];
        &self.kids[start as usize..(start + len) as usize]
    }

    /// Whether tree `id` holds (at any depth) a blob with findings.
    pub(crate) fn holds(&mut self, id: u32) -> bool {
        self.holds_at(id, 0)
    }

    fn holds_at(&mut self, id: u32, depth: usize) -> bool {
        if let Some(known) = self.holds[id as usize] {
            return known;
        }
        let kids: Vec<Child> = self.kids(id).to_vec();
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
                } else if !same_name.iter().any(|c| c.object == child.object) {
                    out.push((path, self.oids[child.object as usize]));
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
    blobs: &'a HashSet<ObjectId>,
    /// Names this sender has already sent.
    seen_names: HashSet<u64>,
    batch: Batch,
}

impl Clone for TreeSender<'_> {
    fn clone(&self) -> Self {
        TreeSender {
            tx: self.tx.clone(),
            blobs: self.blobs,
            seen_names: HashSet::new(),
            batch: Batch::default(),
        }
    }
}

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
