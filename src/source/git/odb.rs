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

/// Commits by id, in a table hashed by the ids' own first bytes (they are SHA hashes already).
pub(crate) type Commits = gix::hashtable::HashMap<ObjectId, CommitNode>;

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
