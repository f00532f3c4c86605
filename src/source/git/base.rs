//! Files read from a revision's tree: the configuration and baseline of a git scan.
//!
//! A range scan (`--range`, `--since`) reads `.leakhound.toml` files and an in-repository baseline
//! from the base revision, so the change under review cannot allowlist its own leak; `--staged`,
//! `--branch` and full-history scans read them from the committed tip (HEAD or the branch). Blobs
//! are read raw from the object database: no filters, no work tree, nothing executed.

use std::path::{Path, PathBuf};

use gix::ObjectId;

use super::GitError;
use super::open::open;
use crate::config::repo::ConfigSource;

/// The files of one commit's tree.
pub(crate) struct TreeFiles {
    repo: gix::ThreadSafeRepository,
    tree: ObjectId,
    /// The revision as the user named it, shown after `@` in file names.
    label: String,
}

impl std::fmt::Debug for TreeFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TreeFiles")
            .field("tree", &self.tree)
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

/// The tree of `rev` in the repository at `repo`, or `None` when `rev` does not resolve to a
/// commit (an unborn HEAD before the first commit).
pub(crate) fn tree_files(
    repo: &Path,
    allow_external: bool,
    rev: &str,
) -> Result<Option<TreeFiles>, GitError> {
    let opened = open(repo, allow_external)?;
    let local = opened.repo.to_thread_local();
    let Ok(id) = local.rev_parse_single(rev) else {
        return Ok(None);
    };
    let error = |message: String| GitError::Revision { spec: rev.to_string(), message };
    let object = id.object().map_err(|e| error(e.to_string()))?;
    let tree = object.peel_to_tree().map_err(|e| error(e.to_string()))?.id;
    Ok(Some(TreeFiles { repo: opened.repo, tree, label: rev.to_string() }))
}

/// The work tree of the repository at `repo`, if it has one.
pub(crate) fn work_tree(repo: &Path, allow_external: bool) -> Option<PathBuf> {
    let opened = open(repo, allow_external).ok()?;
    opened.repo.work_dir().map(Path::to_path_buf)
}

impl ConfigSource for TreeFiles {
    fn read(&self, rel: &str) -> Result<Option<Vec<u8>>, String> {
        let repo = self.repo.to_thread_local();
        let tree = repo.find_object(self.tree).map_err(|e| e.to_string())?.into_tree();
        let Some(entry) = tree.lookup_entry_by_path(rel).map_err(|e| e.to_string())? else {
            return Ok(None);
        };
        if !entry.mode().is_blob() {
            return Ok(None);
        }
        let object = entry.object().map_err(|e| e.to_string())?;
        Ok(Some(object.detach().data))
    }

    fn describe(&self, rel: &str) -> String {
        format!("{rel}@{}", self.label)
    }
}
