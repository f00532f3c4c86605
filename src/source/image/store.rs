//! Where an image's files are: an OCI layout directory, or a tar (`docker save`, or an OCI layout
//! archived). Both are read in place: a tar is indexed once (headers only, seeking past the data)
//! and each blob is read by seeking to it, so nothing is unpacked and nothing is written.
//!
//! Every path comes from the image itself (a manifest), so it is hostile: [`clean`] refuses
//! absolute paths and `..`, a directory store never follows a symbolic link, and a tar's own links
//! are resolved inside the tar, never outside it.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::source::fs;

/// Why a blob was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BlobError {
    /// Not in the image.
    Missing,
    /// Larger than the bound the caller gave (its size).
    TooLarge(u64),
    /// Present but unreadable (a link out of a directory, a special file, an I/O error).
    Unreadable(String),
}

/// An image's files.
pub(crate) trait Store: Sync {
    /// Reads the file at `path` (a [`clean`] path), refusing more than `max` bytes.
    fn read(&self, path: &str, max: u64) -> Result<Vec<u8>, BlobError>;
}

/// A relative path with `/` separators and no `.`, `..`, empty or absolute part; `None` when
/// `path` would leave the image (or is empty).
pub(crate) fn clean(path: &str) -> Option<String> {
    if path.starts_with('/') || path.contains('\\') || path.contains('\0') {
        return None;
    }
    let mut parts = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            part => parts.push(part),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// An OCI image layout directory.
#[derive(Debug)]
pub(crate) struct DirStore {
    root: PathBuf,
}

impl DirStore {
    pub(crate) fn new(root: &Path) -> DirStore {
        DirStore { root: root.to_path_buf() }
    }
}

impl Store for DirStore {
    fn read(&self, path: &str, max: u64) -> Result<Vec<u8>, BlobError> {
        let mut full = self.root.clone();
        let parts: Vec<&str> = path.split('/').collect();
        for (i, part) in parts.iter().enumerate() {
            full.push(part);
            if i + 1 == parts.len() {
                break;
            }
            match std::fs::symlink_metadata(&full) {
                Ok(meta) if meta.is_dir() => {}
                Ok(_) => {
                    return Err(BlobError::Unreadable(format!(
                        "{} is not a directory (links are never followed)",
                        parts[..=i].join("/")
                    )));
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(BlobError::Missing);
                }
                Err(e) => return Err(BlobError::Unreadable(e.to_string())),
            }
        }
        match fs::open_regular(&full) {
            Ok(Some((_, size))) if size > max => Err(BlobError::TooLarge(size)),
            Ok(Some((file, _))) => read_at_most(file, max),
            Ok(None) => Err(BlobError::Unreadable(
                "not a regular file (links are never followed)".to_string(),
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(BlobError::Missing),
            Err(e) => Err(BlobError::Unreadable(e.to_string())),
        }
    }
}

fn read_at_most(file: impl Read, max: u64) -> Result<Vec<u8>, BlobError> {
    let mut bytes = Vec::new();
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| BlobError::Unreadable(e.to_string()))?;
    if bytes.len() as u64 > max {
        return Err(BlobError::TooLarge(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Links followed inside a tar before giving up (a loop).
const MAX_LINK_HOPS: usize = 8;

/// A tar holding an image: an index of its regular files, read by seeking.
#[derive(Debug)]
pub(crate) struct TarStore {
    file: Mutex<File>,
    /// Regular file path -> (data offset, size).
    files: HashMap<String, (u64, u64)>,
    /// Symbolic and hard link path -> target path inside the tar (`None`: it leaves the tar).
    links: HashMap<String, Option<String>>,
}

impl TarStore {
    /// Indexes the tar in `file`. A damaged tar keeps what was indexed before the damage and
    /// says what went wrong.
    pub(crate) fn index(file: File) -> (TarStore, Option<String>) {
        let mut files = HashMap::new();
        let mut links = HashMap::new();
        let mut archive = tar::Archive::new(file);
        let mut problem = None;
        match archive.entries_with_seek() {
            Ok(entries) => {
                for entry in entries {
                    let entry = match entry {
                        Ok(entry) => entry,
                        Err(e) => {
                            problem = Some(e.to_string());
                            break;
                        }
                    };
                    let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
                    let Some(name) = clean(&name) else { continue };
                    let kind = entry.header().entry_type();
                    if kind.is_file() || kind == tar::EntryType::Continuous {
                        files.insert(name, (entry.raw_file_position(), entry.size()));
                    } else if kind.is_symlink() || kind.is_hard_link() {
                        let target = entry
                            .link_name_bytes()
                            .map(|t| String::from_utf8_lossy(&t).into_owned())
                            .unwrap_or_default();
                        let base = if kind.is_symlink() {
                            name.rsplit_once('/').map_or("", |(dir, _)| dir)
                        } else {
                            ""
                        };
                        let resolved = resolve(base, &target);
                        links.insert(name, resolved);
                    }
                }
            }
            Err(e) => problem = Some(e.to_string()),
        }
        (TarStore { file: Mutex::new(archive.into_inner()), files, links }, problem)
    }

    fn locate(&self, path: &str) -> Result<(u64, u64), BlobError> {
        let mut path = path.to_string();
        for _ in 0..=MAX_LINK_HOPS {
            if let Some(&found) = self.files.get(&path) {
                return Ok(found);
            }
            match self.links.get(&path) {
                Some(Some(target)) => path.clone_from(target),
                Some(None) => {
                    return Err(BlobError::Unreadable(
                        "a link that leaves the image: not followed".to_string(),
                    ));
                }
                None => return Err(BlobError::Missing),
            }
        }
        Err(BlobError::Unreadable("too many links".to_string()))
    }
}

/// A link `target` met in directory `base`, as a clean path inside the tar (`None` outside it).
fn resolve(base: &str, target: &str) -> Option<String> {
    if target.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

impl Store for TarStore {
    fn read(&self, path: &str, max: u64) -> Result<Vec<u8>, BlobError> {
        let (offset, size) = self.locate(path)?;
        if size > max {
            return Err(BlobError::TooLarge(size));
        }
        let mut file = self.file.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        file.seek(SeekFrom::Start(offset)).map_err(|e| BlobError::Unreadable(e.to_string()))?;
        let mut bytes = Vec::new();
        (&mut *file)
            .take(size)
            .read_to_end(&mut bytes)
            .map_err(|e| BlobError::Unreadable(e.to_string()))?;
        if (bytes.len() as u64) < size {
            return Err(BlobError::Unreadable("the tar ends inside this file".to_string()));
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_leave_the_image_are_refused() {
        assert_eq!(clean("blobs/sha256/ab").as_deref(), Some("blobs/sha256/ab"));
        assert_eq!(clean("./a//b/").as_deref(), Some("a/b"));
        assert_eq!(clean("../etc/passwd"), None);
        assert_eq!(clean("a/../../b"), None);
        assert_eq!(clean("/etc/passwd"), None);
        assert_eq!(clean("a\\..\\b"), None);
        assert_eq!(clean(""), None);
    }

    #[test]
    fn links_resolve_inside_the_tar_only() {
        assert_eq!(resolve("abc", "../def/layer.tar").as_deref(), Some("def/layer.tar"));
        assert_eq!(resolve("abc", "../../x"), None);
        assert_eq!(resolve("abc", "/etc/passwd"), None);
        assert_eq!(resolve("", "x/./y").as_deref(), Some("x/y"));
    }
}
