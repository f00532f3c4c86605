//! The object database as the history scan reads it: which object directories (the
//! repository's own and the alternates it may read), and the commit graph nodes phase 1 records.
//! A leaf of `source::git`: the pack walk, the presence check and provenance all build on it.

use std::path::{Path, PathBuf};

use gix::ObjectId;
use gix::odb::pack;

/// A commit as phase 2 needs it.
#[derive(Debug, Clone)]
pub(crate) struct CommitNode {
    pub(crate) tree: ObjectId,
    pub(crate) parents: Box<[ObjectId]>,
    /// Author date, seconds since the epoch (0 when unreadable).
    pub(crate) time: i64,
    /// The author's name and e-mail address, an index into [`Authors`] ([`Authors::UNKNOWN`] when
    /// not recorded: commits from a history snapshot, or an unreadable author line).
    pub(crate) author: u32,
}

/// Commit authors, each (name, e-mail) once: phase 2 names the author of the commit that
/// introduced each finding without reading that commit again (reading objects through gix maps
/// the pack, and the pages it touches count in the resident size: 40 MiB on git/git).
#[derive(Debug, Default)]
pub(crate) struct Authors {
    list: Vec<(String, String)>,
    ids: std::collections::HashMap<(String, String), u32>,
}

impl Authors {
    /// The author of a commit whose author was not recorded.
    pub(crate) const UNKNOWN: u32 = u32::MAX;

    /// The index of (name, email), added if new.
    pub(crate) fn intern(&mut self, name: String, email: String) -> u32 {
        let Ok(next) = u32::try_from(self.list.len()) else { return Authors::UNKNOWN };
        if next == Authors::UNKNOWN {
            return Authors::UNKNOWN;
        }
        let id = *self.ids.entry((name.clone(), email.clone())).or_insert(next);
        if id == next {
            self.list.push((name, email));
        }
        id
    }

    /// The (name, email) of index `id`, if recorded.
    pub(crate) fn get(&self, id: u32) -> Option<&(String, String)> {
        self.list.get(id as usize)
    }
}

/// The hash of an object id's bytes for tables keyed by ids: their first 8 bytes (ids are
/// hashes already).
pub(crate) fn id_hash(bytes: &[u8]) -> u64 {
    bytes.get(..8).and_then(|b| b.try_into().ok()).map_or(0, u64::from_le_bytes)
}

/// How deep trees may nest before a walk stops following them (hostile repositories).
pub(crate) const MAX_DEPTH: usize = 512;

/// Commits by id: what phase 1 records of each commit, phase 2's commit graph.
///
/// Kept as parallel columns rather than a map of [`CommitNode`]s, because it lives through the
/// whole scan and is the largest table of its second half: ids, trees and parents are stored as
/// their raw bytes (20 for SHA-1, where an [`ObjectId`] takes 33), parents in one arena instead
/// of an allocation per commit, and the hash table holds 4-byte row numbers. On git/git (203k
/// commits) that is about 17 MB where a map took 37 (`benches/README.md`, "History memory").
/// A commit id seen twice (two packs) keeps its first record: an id names one commit.
#[derive(Debug, Default, Clone)]
pub(crate) struct Commits {
    /// Row numbers, hashed by their id's first bytes (ids are SHA hashes already).
    table: gix::hashtable::hash_table::HashTable<u32>,
    /// The id length every row has: the first id inserted sets it.
    hash_len: usize,
    ids: Vec<u8>,
    trees: Vec<u8>,
    times: Vec<i64>,
    authors: Vec<u32>,
    /// Row `i`'s parents are `parents[parent_starts[i]..parent_starts[i + 1]]` (in ids).
    parent_starts: Vec<u32>,
    parents: Vec<u8>,
}

/// One commit of [`Commits`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Commit<'a> {
    commits: &'a Commits,
    row: usize,
}

impl Commits {
    /// How many commits.
    pub(crate) fn len(&self) -> usize {
        self.times.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// The row of commit `id`: commits are numbered `0..len()` in the order they were recorded.
    pub(crate) fn row(&self, id: &gix::oid) -> Option<usize> {
        let bytes = id.as_bytes();
        let found = self.table.find(id_hash(bytes), |&row| self.id_bytes(row as usize) == bytes)?;
        Some(*found as usize)
    }

    fn id_bytes(&self, row: usize) -> &[u8] {
        &self.ids[row * self.hash_len..][..self.hash_len]
    }

    fn id_at(&self, bytes: &[u8], at: usize) -> ObjectId {
        ObjectId::from_bytes_or_panic(&bytes[at * self.hash_len..][..self.hash_len])
    }

    /// The commit `id`, if recorded.
    pub(crate) fn get(&self, id: &gix::oid) -> Option<Commit<'_>> {
        self.row(id).map(|row| Commit { commits: self, row })
    }

    pub(crate) fn contains_key(&self, id: &gix::oid) -> bool {
        self.row(id).is_some()
    }

    /// Records `node` as commit `id`, unless `id` is recorded already. A commit whose ids are
    /// not all of one length (hostile data) or past 2^32 rows is not recorded.
    pub(crate) fn insert(&mut self, id: ObjectId, node: &CommitNode) {
        if self.is_empty() {
            self.hash_len = id.as_bytes().len();
        }
        let same_len = |i: &ObjectId| i.as_bytes().len() == self.hash_len;
        let fits = same_len(&id) && same_len(&node.tree) && node.parents.iter().all(same_len);
        if !fits || self.contains_key(&id) {
            return;
        }
        let (Ok(row), Ok(start)) = (u32::try_from(self.len()), u32::try_from(self.parents.len()))
        else {
            return;
        };
        if self.parent_starts.is_empty() {
            self.parent_starts.push(0);
        }
        let Ok(end) = u32::try_from(start as usize + node.parents.len() * self.hash_len) else {
            return;
        };
        self.ids.extend_from_slice(id.as_bytes());
        self.trees.extend_from_slice(node.tree.as_bytes());
        self.times.push(node.time);
        self.authors.push(node.author);
        node.parents.iter().for_each(|p| self.parents.extend_from_slice(p.as_bytes()));
        self.parent_starts.push(end);
        let (ids, len) = (&self.ids, self.hash_len);
        self.table.insert_unique(id_hash(id.as_bytes()), row, |&r| {
            id_hash(&ids[r as usize * len..][..len])
        });
    }

    /// Every commit, with its id, in row order ([`Commits::row`]).
    pub(crate) fn iter(&self) -> impl Iterator<Item = (ObjectId, Commit<'_>)> {
        (0..self.len()).map(|row| (self.id_at(&self.ids, row), Commit { commits: self, row }))
    }

    /// Every commit id, in row order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = ObjectId> + '_ {
        (0..self.len()).map(|row| self.id_at(&self.ids, row))
    }

    /// Every commit's author index, to renumber them.
    pub(crate) fn authors_mut(&mut self) -> impl Iterator<Item = &mut u32> {
        self.authors.iter_mut()
    }
}

impl Extend<(ObjectId, CommitNode)> for Commits {
    fn extend<I: IntoIterator<Item = (ObjectId, CommitNode)>>(&mut self, iter: I) {
        for (id, node) in iter {
            self.insert(id, &node);
        }
    }
}

impl<'a> Extend<(ObjectId, Commit<'a>)> for Commits {
    fn extend<I: IntoIterator<Item = (ObjectId, Commit<'a>)>>(&mut self, iter: I) {
        for (id, commit) in iter {
            self.insert(id, &commit.to_node());
        }
    }
}

impl<'a> FromIterator<(ObjectId, Commit<'a>)> for Commits {
    fn from_iter<I: IntoIterator<Item = (ObjectId, Commit<'a>)>>(iter: I) -> Self {
        let mut commits = Commits::default();
        commits.extend(iter);
        commits
    }
}

impl<'a> Commit<'a> {
    pub(crate) fn tree(self) -> ObjectId {
        self.commits.id_at(&self.commits.trees, self.row)
    }

    /// The parents, in the commit's order.
    pub(crate) fn parents(self) -> impl Iterator<Item = ObjectId> + 'a {
        let commits = self.commits;
        let len = commits.hash_len.max(1);
        let (start, end) = (commits.parent_starts[self.row], commits.parent_starts[self.row + 1]);
        let count = (end - start) as usize / len;
        let first = start as usize / len;
        (first..first + count).map(move |at| commits.id_at(&commits.parents, at))
    }

    /// Author date, seconds since the epoch (0 when unreadable).
    pub(crate) fn time(self) -> i64 {
        self.commits.times[self.row]
    }

    /// The author, an index into [`Authors`].
    pub(crate) fn author(self) -> u32 {
        self.commits.authors[self.row]
    }

    /// The commit as an owned [`CommitNode`].
    pub(crate) fn to_node(self) -> CommitNode {
        CommitNode {
            tree: self.tree(),
            parents: self.parents().collect(),
            time: self.time(),
            author: self.author(),
        }
    }
}

/// The object database as leakhound reads it: object directories (the repository's own and
/// allowed alternates) and the repository's hash kind (SHA-1 or SHA-256).
pub(crate) struct ObjectDirs {
    pub(crate) dirs: Vec<PathBuf>,
    pub(crate) hash: gix::hash::Kind,
}

/// A loose object that could not be listed or read: (what, message).
pub(crate) type LooseError = (String, String);

impl ObjectDirs {
    /// Every pack index of every directory, sorted within a directory.
    pub(crate) fn pack_indexes(&self) -> Vec<PathBuf> {
        let mut all = Vec::new();
        for dir in &self.dirs {
            let Ok(entries) = std::fs::read_dir(dir.join("pack")) else { continue };
            let mut indexes: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "idx"))
                .collect();
            indexes.sort();
            all.extend(indexes);
        }
        all
    }

    /// Opens the pack behind an index file.
    pub(crate) fn open_pack(&self, index: &Path) -> Result<pack::Bundle, String> {
        pack::Bundle::at(index, self.hash).map_err(|e| e.to_string())
    }

    /// Calls `visit` with every loose object (id, kind, bytes), or with what could not be read.
    pub(crate) fn for_each_loose(
        &self,
        mut visit: impl FnMut(Result<(ObjectId, gix::object::Kind, &[u8]), LooseError>),
    ) {
        let mut buf = Vec::new();
        for dir in &self.dirs {
            let store = gix::odb::loose::Store::at(dir, self.hash);
            for id in store.iter() {
                match id.map(|id| (id, store.try_find(&id, &mut buf))) {
                    Ok((id, Ok(Some(data)))) => visit(Ok((id, data.kind, data.data))),
                    Ok((_, Ok(None))) => {}
                    Ok((id, Err(e))) => {
                        visit(Err((format!("object {id}"), format!("cannot be read: {e}"))));
                    }
                    Err(e) => {
                        visit(Err((format!("loose objects in {}", dir.display()), e.to_string())));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(kind: gix::hash::Kind, n: u8) -> ObjectId {
        let mut bytes = vec![0u8; kind.len_in_bytes()];
        bytes[0] = n;
        *bytes.last_mut().unwrap() = n.wrapping_mul(7);
        ObjectId::from_bytes_or_panic(&bytes)
    }

    #[test]
    fn commits_keep_tree_parents_time_and_author_per_id() {
        for kind in [gix::hash::Kind::Sha1, gix::hash::Kind::Sha256] {
            let mut commits = Commits::default();
            for n in 1..=200u8 {
                let parents: Box<[ObjectId]> = (1..n.min(4)).map(|p| id(kind, n - p)).collect();
                let node = CommitNode {
                    tree: id(kind, n ^ 0x80),
                    parents,
                    time: i64::from(n),
                    author: u32::from(n),
                };
                commits.insert(id(kind, n), &node);
            }
            // A second record of an id keeps the first.
            let other =
                CommitNode { tree: id(kind, 1), parents: Box::new([]), time: -1, author: 0 };
            commits.insert(id(kind, 50), &other);
            assert_eq!(commits.len(), 200);
            let c = commits.get(&id(kind, 50)).unwrap();
            assert_eq!(c.tree(), id(kind, 0x32 ^ 0x80));
            assert_eq!(c.parents().collect::<Vec<_>>(), [id(kind, 49), id(kind, 48), id(kind, 47)]);
            assert_eq!((c.time(), c.author()), (50, 50));
            assert_eq!(commits.get(&id(kind, 1)).unwrap().parents().count(), 0);
            assert!(!commits.contains_key(&id(kind, 201)));
            for (row, (id, _)) in commits.iter().enumerate() {
                assert_eq!(commits.row(&id), Some(row), "iter goes in row order");
            }
            let mut keys: Vec<ObjectId> = commits.keys().collect();
            keys.sort();
            keys.dedup();
            assert_eq!(keys.len(), 200);
            let copy: Commits = commits.iter().collect();
            assert_eq!(copy.get(&id(kind, 9)).unwrap().to_node().parents.len(), 3);
            for author in commits.authors_mut() {
                *author += 1000;
            }
            assert_eq!(commits.get(&id(kind, 9)).unwrap().author(), 1009);
        }
    }

    #[test]
    fn a_commit_with_ids_of_another_length_is_not_recorded() {
        let (sha1, sha256) = (gix::hash::Kind::Sha1, gix::hash::Kind::Sha256);
        let mut commits = Commits::default();
        let node = CommitNode { tree: id(sha1, 2), parents: Box::new([]), time: 0, author: 0 };
        commits.insert(id(sha1, 1), &node);
        let mixed = CommitNode { tree: id(sha256, 4), parents: Box::new([]), time: 0, author: 0 };
        commits.insert(id(sha1, 3), &mixed);
        commits.insert(id(sha256, 5), &node);
        assert_eq!(commits.len(), 1);
        assert!(commits.contains_key(&id(sha1, 1)) && !commits.contains_key(&id(sha1, 3)));
    }
}
