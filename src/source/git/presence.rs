//! Missing history is not clean history: is every object the history refers to
//! in the object database?
//!
//! A blobless or partial clone, a blob deleted from the object store, a commit whose tree is gone:
//! a history scan reads every object that *is* there, so without this check each of these ends
//! with nothing found and exit 0. Phase 1 hands every commit, tag and tree it decodes to
//! [`Presence`], which checks each reference (a commit's tree and parents, a tag's target, a tree's
//! entries) against the set of objects the database holds. Submodule entries (gitlinks) live in
//! another repository and are not checked; the parents of a shallow clone's boundary commits are
//! missing by design and reported once, as the shallow boundary.
//!
//! The set holds the first 8 bytes of every id, sorted: 8 bytes per object (7 MiB for git/git's
//! 850k objects), where a hash set of full ids would take five times that. A missing object whose
//! 64-bit prefix equals a present one's would go unnoticed; finding such an id is a 2^64 search.
//!
//! A tree entry names its tree, not a commit or a path, so for the missing objects the report
//! lists, the tree index of phase 2 (`TreeIndex::locate`) finds the first commit and the path that
//! refer to each, in memory.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use gix::ObjectId;

use super::odb::{Commit, CommitNode, Commits, ObjectDirs};

/// How many missing objects are named one by one; the rest are counted.
pub(crate) const LISTED: usize = 20;

/// The ids the object database holds, by 64-bit prefix.
#[derive(Debug, Default)]
pub(crate) struct Presence {
    prefixes: Vec<u64>,
    /// `starts[b]..starts[b + 1]`: the range of `prefixes` whose top 16 bits are `b` (a lookup
    /// searches a dozen entries, not 850k: trees refer to tens of millions of entries).
    starts: Vec<u32>,
    /// Boundary commits of a shallow clone: their parents are missing by design.
    shallow: HashSet<ObjectId>,
}

/// What refers to a missing object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Referrer {
    /// A commit's root tree.
    CommitTree(ObjectId),
    /// A commit's parent.
    CommitParent(ObjectId),
    /// An annotated tag's target.
    TagTarget(ObjectId),
    /// An entry of a tree, by name.
    TreeEntry {
        /// The tree holding the entry.
        tree: ObjectId,
        /// The entry's name.
        name: String,
    },
}

/// A reference to an object the database does not hold.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct MissingRef {
    /// The missing object.
    pub(crate) object: ObjectId,
    /// Its kind as the referrer says (`tree`, `blob`, `commit`, or `object` for a tag's target).
    pub(crate) kind: &'static str,
    /// What refers to it.
    pub(crate) referrer: Referrer,
}

fn prefix(id: &gix::oid) -> u64 {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&id.as_bytes()[..8]);
    u64::from_be_bytes(bytes)
}

impl Presence {
    /// Every id in every pack index and loose object directory of `objects`; what cannot be listed
    /// is returned as `(what, message)` (those objects then count as missing).
    pub(crate) fn build(
        objects: &ObjectDirs,
        shallow: HashSet<ObjectId>,
    ) -> (Presence, Vec<(String, String)>) {
        let mut prefixes = Vec::new();
        let mut errors = Vec::new();
        for index in objects.pack_indexes() {
            match gix::odb::pack::index::File::at(&index, objects.hash) {
                Ok(file) => prefixes.extend(file.iter().map(|e| prefix(&e.oid))),
                Err(e) => errors.push((format!("pack index {}", index.display()), e.to_string())),
            }
        }
        for dir in &objects.dirs {
            for id in gix::odb::loose::Store::at(dir, objects.hash).iter() {
                match id {
                    Ok(id) => prefixes.push(prefix(&id)),
                    Err(e) => {
                        errors.push((format!("loose objects in {}", dir.display()), e.to_string()));
                    }
                }
            }
        }
        prefixes.sort_unstable();
        prefixes.dedup();
        (Presence::new(prefixes, shallow), errors)
    }

    fn new(prefixes: Vec<u64>, shallow: HashSet<ObjectId>) -> Presence {
        let mut starts = vec![0u32; (1 << 16) + 1];
        for p in &prefixes {
            starts[(p >> 48) as usize + 1] += 1;
        }
        for b in 0..1 << 16 {
            starts[b + 1] += starts[b];
        }
        Presence { prefixes, starts, shallow }
    }

    /// Whether the database holds `id`.
    pub(crate) fn contains(&self, id: &gix::oid) -> bool {
        let p = prefix(id);
        let bucket = (p >> 48) as usize;
        let (Some(&from), Some(&to)) = (self.starts.get(bucket), self.starts.get(bucket + 1))
        else {
            return false;
        };
        self.prefixes
            .get(from as usize..to as usize)
            .is_some_and(|range| range.binary_search(&p).is_ok())
    }

    /// Checks a commit's tree and parents.
    pub(crate) fn check_commit(
        &self,
        id: ObjectId,
        node: &CommitNode,
        out: &mut impl FnMut(MissingRef),
    ) {
        if !self.contains(&node.tree) {
            out(MissingRef { object: node.tree, kind: "tree", referrer: Referrer::CommitTree(id) });
        }
        if self.shallow.contains(&id) {
            return;
        }
        for parent in &node.parents {
            if !self.contains(parent) {
                out(MissingRef {
                    object: *parent,
                    kind: "commit",
                    referrer: Referrer::CommitParent(id),
                });
            }
        }
    }

    /// Checks a tag's target.
    pub(crate) fn check_tag(
        &self,
        id: ObjectId,
        target: ObjectId,
        out: &mut impl FnMut(MissingRef),
    ) {
        if !self.contains(&target) {
            out(MissingRef { object: target, kind: "object", referrer: Referrer::TagTarget(id) });
        }
    }

    /// Checks every entry of a tree but submodules (a corrupt tree is phase 1's to report).
    pub(crate) fn check_tree(&self, id: ObjectId, data: &[u8], out: &mut impl FnMut(MissingRef)) {
        for entry in gix::objs::TreeRefIter::from_bytes(data, id.kind()).filter_map(Result::ok) {
            if entry.mode.is_commit() || self.contains(entry.oid) {
                continue;
            }
            let kind = if entry.mode.is_tree() { "tree" } else { "blob" };
            let name = String::from_utf8_lossy(entry.filename).into_owned();
            out(MissingRef {
                object: entry.oid.to_owned(),
                kind,
                referrer: Referrer::TreeEntry { tree: id, name },
            });
        }
    }
}

/// The first commit of `commits` (oldest author date, then smallest id) whose tree holds each of
/// `trees`, and the path of that tree in it (empty for the root), reading trees by id: for the few
/// commits a snapshot does not cover (`TreeIndex::locate` does this in memory for all). Walks each
/// distinct tree once; trees that cannot be read are passed over.
pub(crate) fn locate_reading(
    repo: &gix::Repository,
    commits: &Commits,
    trees: &HashSet<ObjectId>,
) -> HashMap<ObjectId, (ObjectId, String)> {
    let mut found = HashMap::new();
    if trees.is_empty() {
        return found;
    }
    let mut order: Vec<(ObjectId, Commit<'_>)> = commits.iter().collect();
    order.sort_by_key(|(id, node)| (node.time(), *id));
    let mut visited = HashSet::new();
    for (commit, node) in order {
        let mut stack = vec![(node.tree(), String::new(), 0usize)];
        while let Some((tree, path, depth)) = stack.pop() {
            if !visited.insert(tree) || depth > super::odb::MAX_DEPTH {
                continue;
            }
            if trees.contains(&tree) {
                found.entry(tree).or_insert((commit, path.clone()));
                if found.len() == trees.len() {
                    return found;
                }
            }
            let Ok(object) = repo.find_object(tree) else { continue };
            for entry in
                gix::objs::TreeRefIter::from_bytes(&object.data, tree.kind()).filter_map(Result::ok)
            {
                if entry.mode.is_tree() {
                    stack.push((
                        entry.oid.to_owned(),
                        format!("{path}{}/", String::from_utf8_lossy(entry.filename)),
                        depth + 1,
                    ));
                }
            }
        }
    }
    found
}

/// A partial clone: the promisor remote and packs that say objects were left on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PartialClone {
    /// `extensions.partialClone` (the promisor remote), when set.
    pub(crate) remote: Option<String>,
    /// Pack files marked as promisor packs (`pack-*.promisor` next to them), by file name.
    pub(crate) packs: Vec<String>,
}

/// Whether the repository is a partial clone, from its config and its promisor packs.
pub(crate) fn partial_clone(repo: &gix::Repository, objects: &ObjectDirs) -> Option<PartialClone> {
    let config = repo.config_snapshot();
    let remote = config
        .string("extensions.partialClone")
        .map(|v| v.to_string())
        .or_else(|| remote_promisor(&config));
    let packs: Vec<String> =
        objects.dirs.iter().flat_map(|dir| promisor_packs(&dir.join("pack"))).collect();
    (remote.is_some() || !packs.is_empty()).then_some(PartialClone { remote, packs })
}

/// The first remote with `remote.NAME.promisor = true`.
fn remote_promisor(config: &gix::config::Snapshot<'_>) -> Option<String> {
    let sections = config.plumbing().sections_by_name("remote")?;
    for section in sections {
        let promisor = section.value("promisor").is_some_and(|v| v.eq_ignore_ascii_case(b"true"));
        if promisor {
            return Some(
                section.header().subsection_name().map_or_else(String::new, ToString::to_string),
            );
        }
    }
    None
}

fn promisor_packs(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut packs: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "promisor"))
        .map(|p: PathBuf| {
            p.with_extension("pack")
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect();
    packs.sort();
    packs
}

/// Each missing object once (with its first referrer), sorted by id.
pub(crate) fn distinct(missing: &[MissingRef]) -> Vec<MissingRef> {
    let mut sorted = missing.to_vec();
    sorted.sort();
    sorted.dedup_by(|a, b| a.object == b.object);
    sorted
}

/// The path (when a commit's tree names one) and the wording of one missing object, for a notice.
pub(crate) fn describe(
    missing: &MissingRef,
    located: &HashMap<ObjectId, (ObjectId, String)>,
) -> (Option<String>, String) {
    let what = format!("{} {} is missing from the object database", missing.kind, missing.object);
    match &missing.referrer {
        Referrer::CommitTree(commit) => {
            (None, format!("{what}: it is the tree of commit {commit}"))
        }
        Referrer::CommitParent(commit) => {
            (None, format!("{what}: it is a parent of commit {commit}"))
        }
        Referrer::TagTarget(tag) => (None, format!("{what}: tag {tag} points to it")),
        Referrer::TreeEntry { tree, name } => match located.get(tree) {
            Some((commit, dir)) => (
                Some(format!("{dir}{name}")),
                format!("{what}: commit {commit} has it at this path (tree {tree})"),
            ),
            None => (
                Some(name.clone()),
                format!("{what}: tree {tree} has it under this name (no commit found)"),
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::super::odb::Authors;
    use super::*;

    fn id(hex: &str) -> ObjectId {
        ObjectId::from_hex(hex.as_bytes()).unwrap()
    }

    #[test]
    fn present_ids_are_found_and_absent_ones_are_not() {
        let a = id("1111111111111111111111111111111111111111");
        let b = id("2222222222222222222222222222222222222222");
        let presence = Presence::new(vec![prefix(&a)], HashSet::new());
        assert!(presence.contains(&a));
        assert!(!presence.contains(&b));
        let many: Vec<u64> = (0..5000u64).map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15)).collect();
        let mut sorted = many.clone();
        sorted.sort_unstable();
        let presence = Presence::new(sorted, HashSet::new());
        for p in &many {
            let mut bytes = [0u8; 20];
            bytes[..8].copy_from_slice(&p.to_be_bytes());
            assert!(presence.contains(&ObjectId::from_bytes_or_panic(&bytes)));
            bytes[..8].copy_from_slice(&(p ^ 1).to_be_bytes());
            let absent = !many.contains(&(p ^ 1));
            assert_eq!(presence.contains(&ObjectId::from_bytes_or_panic(&bytes)), !absent);
        }
    }

    #[test]
    fn a_commit_with_a_missing_tree_or_parent_is_reported_unless_it_is_a_shallow_boundary() {
        let (commit, tree, parent) = (
            id("1111111111111111111111111111111111111111"),
            id("2222222222222222222222222222222222222222"),
            id("3333333333333333333333333333333333333333"),
        );
        let node = CommitNode {
            tree,
            parents: vec![parent].into_boxed_slice(),
            time: 0,
            author: Authors::UNKNOWN,
        };
        let mut presence = Presence::new(vec![prefix(&commit)], HashSet::new());
        let mut missing = Vec::new();
        presence.check_commit(commit, &node, &mut |m| missing.push(m));
        assert_eq!(missing.len(), 2);
        assert_eq!(missing[0].referrer, Referrer::CommitTree(commit));
        assert_eq!(missing[1].referrer, Referrer::CommitParent(commit));
        presence.shallow.insert(commit);
        missing.clear();
        presence.check_commit(commit, &node, &mut |m| missing.push(m));
        assert_eq!(missing.len(), 1, "only the tree: a boundary's parents are missing by design");
    }
}
