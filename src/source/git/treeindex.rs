//! The tree index of phase 2: just enough of every tree to attribute blobs with findings.
//!
//! One more traversal of the packs (decoding only; nothing is matched) records, for every tree,
//! its subtrees and the blobs with findings it holds, with their names. Everything else a tree
//! holds is irrelevant to provenance and is not kept, which keeps the index small (git/git: every
//! tree of 85k commits in a few tens of MB) and makes the per-commit walk an in-memory one: a
//! commit whose root tree holds no blob with findings is skipped at once.

use std::collections::{HashMap, HashSet};

use crossbeam_channel::bounded;
use gix::ObjectId;

use super::objects::ObjectDirs;

/// A kept tree entry: a subtree or a blob with findings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Child {
    /// Interned name.
    pub(crate) name: u32,
    /// Interned object (a tree or a blob).
    pub(crate) object: u32,
    pub(crate) is_tree: bool,
}

/// Subtrees and blobs-with-findings of every tree, and a memo of which trees hold such a blob.
/// Objects and names are interned to `u32` so the index stays small on large histories.
#[derive(Debug, Default)]
pub(crate) struct TreeIndex {
    ids: HashMap<ObjectId, u32>,
    oids: Vec<ObjectId>,
    children: Vec<Vec<Child>>,
    name_ids: HashMap<u64, u32>,
    names: Vec<String>,
    holds: Vec<Option<bool>>,
}

/// How deep trees may nest before the walk stops following them (hostile repositories).
const MAX_DEPTH: usize = 512;

/// Messages from the traversal threads.
enum Message {
    Tree(ObjectId, Vec<(u64, ObjectId, bool)>),
    Name(u64, Vec<u8>),
}

impl TreeIndex {
    /// Builds the index from every pack and loose object in `objects`.
    pub(crate) fn build(
        objects: &ObjectDirs,
        blobs: &HashSet<ObjectId>,
        threads: usize,
        errors: &mut Vec<String>,
    ) -> TreeIndex {
        let (tx, rx) = bounded::<Message>(4096);
        let mut index = TreeIndex::default();
        std::thread::scope(|scope| {
            let producer = scope.spawn(move || {
                let mut errors = Vec::new();
                for idx in objects.pack_indexes() {
                    if let Err(e) = traverse_trees(objects, &idx, blobs, threads, &tx) {
                        errors.push(format!("pack {}: tree index: {e}", idx.display()));
                    }
                }
                let mut seen_names = HashSet::new();
                objects.for_each_loose(|object| {
                    // Unreadable loose objects were already reported by phase 1.
                    if let Ok((id, gix::object::Kind::Tree, data)) = object {
                        send_tree(id, data, blobs, &mut seen_names, &tx);
                    }
                });
                errors
            });
            for message in rx {
                match message {
                    Message::Tree(tree, kept) => index.insert(tree, &kept),
                    Message::Name(hash, name) => index.add_name(hash, &name),
                }
            }
            errors.extend(producer.join().unwrap_or_default());
        });
        index.holds = vec![None; index.oids.len()];
        index
    }

    fn intern(&mut self, oid: ObjectId) -> u32 {
        let next = self.oids.len() as u32;
        let id = *self.ids.entry(oid).or_insert(next);
        if id == next {
            self.oids.push(oid);
            self.children.push(Vec::new());
        }
        id
    }

    fn add_name(&mut self, hash: u64, name: &[u8]) {
        let next = self.names.len() as u32;
        if *self.name_ids.entry(hash).or_insert(next) == next {
            self.names.push(String::from_utf8_lossy(name).into_owned());
        }
    }

    fn insert(&mut self, tree: ObjectId, kept: &[(u64, ObjectId, bool)]) {
        let tree = self.intern(tree) as usize;
        let children: Vec<Child> = kept
            .iter()
            .filter_map(|&(hash, oid, is_tree)| {
                let name = *self.name_ids.get(&hash)?;
                Some(Child { name, object: self.intern(oid), is_tree })
            })
            .collect();
        self.children[tree] = children;
    }

    /// The interned id of an object, if the index knows it.
    pub(crate) fn id(&self, oid: &ObjectId) -> Option<u32> {
        self.ids.get(oid).copied()
    }

    fn kids(&self, id: u32) -> &[Child] {
        &self.children[id as usize]
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
        let answer = depth <= MAX_DEPTH && kids.iter().any(|c| !c.is_tree || self.holds_at(c.object, depth + 1));
        self.holds[id as usize] = Some(answer);
        answer
    }

    /// Every (path, blob) with findings in tree `tree` that no parent tree has at the same path.
    pub(crate) fn introduced(&mut self, tree: u32, parents: &[u32], out: &mut Vec<(String, ObjectId)>) {
        let mut stack = vec![(tree, parents.to_vec(), String::new(), 0usize)];
        while let Some((tree, parents, prefix, depth)) = stack.pop() {
            if depth > MAX_DEPTH || parents.contains(&tree) || !self.holds(tree) {
                continue;
            }
            for child in self.kids(tree).to_vec() {
                if child.is_tree && !self.holds(child.object) {
                    continue;
                }
                let same_name: Vec<Child> = parents
                    .iter()
                    .filter_map(|p| self.kids(*p).iter().find(|c| c.name == child.name).copied())
                    .collect();
                let path = format!("{prefix}{}", self.names[child.name as usize]);
                if child.is_tree {
                    let subtrees: Vec<u32> = same_name.iter().filter(|c| c.is_tree).map(|c| c.object).collect();
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
    name.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// Sends a tree's subtrees and blobs with findings; each thread sends a name the first time it
/// sees it.
fn send_tree(
    tree: ObjectId,
    data: &[u8],
    blobs: &HashSet<ObjectId>,
    seen_names: &mut HashSet<u64>,
    tx: &crossbeam_channel::Sender<Message>,
) {
    let mut kept = Vec::new();
    for entry in gix::objs::TreeRefIter::from_bytes(data, tree.kind()).filter_map(Result::ok) {
        let oid = entry.oid.to_owned();
        let is_tree = entry.mode.is_tree();
        let is_blob_with_findings = entry.mode.is_blob_or_symlink() && blobs.contains(&oid);
        if !is_tree && !is_blob_with_findings {
            continue;
        }
        let hash = name_hash(entry.filename);
        if seen_names.insert(hash) {
            let _ = tx.send(Message::Name(hash, entry.filename.to_vec()));
        }
        kept.push((hash, oid, is_tree));
    }
    if !kept.is_empty() {
        let _ = tx.send(Message::Tree(tree, kept));
    }
}

fn traverse_trees(
    objects: &ObjectDirs,
    index: &std::path::Path,
    blobs: &HashSet<ObjectId>,
    threads: usize,
    tx: &crossbeam_channel::Sender<Message>,
) -> Result<(), super::packwalk::WalkError> {
    let tx = tx.clone();
    let mut seen_names = HashSet::new();
    let wanted = |kind| kind == gix::object::Kind::Tree;
    super::packwalk::walk_pack(index, objects.hash, threads, wanted, move |_, data, id| {
        send_tree(id, data, blobs, &mut seen_names, &tx);
    })
}
