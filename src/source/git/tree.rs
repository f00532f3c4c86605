//! Tree walks: which (path, blob) pairs a commit introduces relative to its parents.
//!
//! A blob is *introduced* at a path by a commit when no parent has that same blob at that same
//! path. For a merge this means a blob that differs from every parent: a conflict resolution is
//! attributed to the merge, while a blob that came from one side is attributed to the commit that
//! introduced it on that side. Subtrees identical to a parent's are skipped without being read,
//! so a walk costs what changed, not the size of the tree.

use std::collections::HashMap;

use gix::ObjectId;
use gix::bstr::BString;
use gix::objs::tree::EntryMode;

/// How deep a tree may nest before we stop following it (hostile repositories).
const MAX_DEPTH: usize = 512;

/// One tree entry, owned.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) name: BString,
    pub(crate) mode: EntryMode,
    pub(crate) oid: ObjectId,
}

/// Reads trees from a repository.
pub(crate) struct Trees<'r> {
    repo: &'r gix::Repository,
}

impl<'r> Trees<'r> {
    pub(crate) fn new(repo: &'r gix::Repository) -> Trees<'r> {
        Trees { repo }
    }

    /// The entries of a tree.
    pub(crate) fn entries(&self, id: ObjectId) -> Result<Vec<Entry>, String> {
        let object = self.repo.find_object(id).map_err(|e| format!("tree {id}: {e}"))?;
        if object.kind != gix::object::Kind::Tree {
            return Err(format!("object {id} is a {}, expected a tree", object.kind));
        }
        gix::objs::TreeRefIter::from_bytes(&object.data, id.kind())
            .map(|entry| {
                entry
                    .map(|e| Entry {
                        name: e.filename.to_owned(),
                        mode: e.mode,
                        oid: e.oid.to_owned(),
                    })
                    .map_err(|e| format!("tree {id} is corrupt: {e}"))
            })
            .collect()
    }
}

/// A (path, blob) pair introduced by a commit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Introduced {
    pub(crate) path: String,
    pub(crate) blob: ObjectId,
}

/// Appends to `out` every blob in `tree` not present at the same path in any of `parents`.
/// Unreadable trees are reported in `errors` and
/// skipped; the rest of the walk goes on.
pub(crate) fn introduced(
    trees: &Trees<'_>,
    tree: ObjectId,
    parents: &[ObjectId],
    out: &mut Vec<Introduced>,
    errors: &mut Vec<String>,
) {
    let mut stack: Vec<(ObjectId, Vec<ObjectId>, String, usize)> =
        vec![(tree, parents.to_vec(), String::new(), 0)];
    while let Some((tree, parents, prefix, depth)) = stack.pop() {
        if parents.contains(&tree) {
            continue;
        }
        if depth > MAX_DEPTH {
            errors.push(format!(
                "tree {tree} at {prefix:?} nests deeper than {MAX_DEPTH} levels; not followed"
            ));
            continue;
        }
        let entries = match trees.entries(tree) {
            Ok(entries) => entries,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let parent_maps: Vec<HashMap<BString, Entry>> = parents
            .iter()
            .filter_map(|p| trees.entries(*p).ok())
            .map(|entries| entries.into_iter().map(|e| (e.name.clone(), e)).collect())
            .collect();
        for entry in entries {
            let path = format!("{prefix}{}", String::from_utf8_lossy(&entry.name));
            let in_parents = parent_maps.iter().filter_map(|m| m.get(&entry.name));
            if entry.mode.is_tree() {
                let parent_subtrees: Vec<ObjectId> =
                    in_parents.filter(|p| p.mode.is_tree()).map(|p| p.oid).collect();
                stack.push((entry.oid, parent_subtrees, format!("{path}/"), depth + 1));
            } else if entry.mode.is_blob_or_symlink() {
                let mut in_parents = in_parents;
                if !in_parents.any(|p| p.oid == entry.oid) {
                    out.push(Introduced { path, blob: entry.oid });
                }
            }
            // Gitlinks (submodules) are recorded by the superproject only; their content lives
            // in another repository and is not followed.
        }
    }
}
