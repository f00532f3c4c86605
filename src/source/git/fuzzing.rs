//! Entry points for the fuzz targets of the git object parsers: not an API.
//!
//! Each function takes arbitrary bytes, runs them through the code a hostile repository reaches
//! (pack headers and delta trees, delta instructions, trees, commits, tags, the index) and returns
//! without panicking whatever the bytes are. The fuzz targets in `fuzz/` call these; the unit
//! tests below run them on seeds, so they are exercised on every `cargo test` too.

use gix::ObjectId;

use super::objects::{Authors, CommitNode};
use super::presence::Presence;

/// Applies `delta` to `base` (git's copy and insert instructions).
pub fn delta(base: &[u8], delta: &[u8]) {
    let mut out = Vec::new();
    if super::packwalk::apply_delta(base, delta, &mut out, &mut Vec::new()).is_ok() {
        assert!(out.len() <= base.len().saturating_mul(delta.len()).saturating_add(delta.len()));
    }
}

/// Parses `data` as a commit, a tag and a tree, as phase 1 and the presence check do.
pub fn objects(data: &[u8]) {
    let id = ObjectId::null(gix::hash::Kind::Sha1);
    let presence = Presence::default();
    let mut missing = 0usize;
    if let Ok(commit) = gix::objs::CommitRef::from_bytes(data, gix::hash::Kind::Sha1) {
        let _ = commit.author().ok().and_then(|a| a.time().ok());
        let node = CommitNode {
            tree: commit.tree(),
            parents: commit.parents().collect(),
            time: 0,
            author: Authors::UNKNOWN,
        };
        presence.check_commit(id, &node, &mut |_| missing += 1);
    }
    if let Ok(tag) = gix::objs::TagRef::from_bytes(data, gix::hash::Kind::Sha1) {
        presence.check_tag(id, tag.target(), &mut |_| missing += 1);
    }
    presence.check_tree(id, data, &mut |_| missing += 1);
}

/// Walks a pack (`pack`, with its index `index`) as a history scan does, on one thread.
pub fn pack(pack: &[u8], index: &[u8]) {
    let Ok(dir) = tempfile_dir() else { return };
    let idx = dir.join("pack-fuzz.idx");
    if std::fs::write(&idx, index).is_err()
        || std::fs::write(dir.join("pack-fuzz.pack"), pack).is_err()
    {
        return;
    }
    let _ = super::packwalk::walk_pack(&idx, gix::hash::Kind::Sha1, 1, |_| true, |_, _, _| {});
    let _ = std::fs::remove_dir_all(&dir);
}

/// Decodes `data` as an index file (`--staged` reads one, possibly named by `GIT_INDEX_FILE`).
pub fn index(data: &[u8]) {
    let Ok(dir) = tempfile_dir() else { return };
    let path = dir.join("index");
    if std::fs::write(&path, data).is_ok() {
        let options = gix::index::decode::Options::default();
        if let Ok(file) = gix::index::File::at(&path, gix::hash::Kind::Sha1, false, options) {
            for entry in file.entries() {
                let _ = (entry.path(&file).len(), entry.stage(), entry.mode);
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A fresh directory under the system temp dir for one pack.
fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "leakhound-fuzz-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_bytes_never_panic() {
        let seeds: [&[u8]; 6] = [
            b"",
            b"tree 0123456789012345678901234567890123456789\nparent zz\nauthor a <b> 1 +0000\n\nmsg",
            b"object 0123456789012345678901234567890123456789\ntype commit\ntag v\n",
            b"100644 a\0\x01\x02",
            b"40000 dir\0aaaaaaaaaaaaaaaaaaaa100644 f\0bbbbbbbbbbbbbbbbbbbb",
            &[0xff; 64],
        ];
        for seed in seeds {
            objects(seed);
            delta(seed, seed);
            delta(b"base", seed);
            index(seed);
            pack(seed, seed);
        }
        pack(b"PACK\0\0\0\x02\0\0\0\x01\x30\x78\x9c", &[0xff, 0x74, 0x4f, 0x63, 0, 0, 0, 2]);
        index(b"DIRC\0\0\0\x02\0\0\0\x01");
        delta(b"0123456789", &[10, 4, 0x91, 2, 4]);
    }
}
