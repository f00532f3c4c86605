//! tar (POSIX ustar, pax and GNU), read as a stream: from memory, or straight from a decoder for
//! `.tar.gz`, `.tgz`, `.tar.bz2`, `.tar.xz` and `.tar.zst`, so a compressed tar is never held whole.
//!
//! Regular members are read; directories are passed over; links, devices and FIFOs hold no content
//! of their own and are reported as [`SpecialEntry`] notices (a hard link's target is read as its
//! own member). The `tar` crate handles pax and GNU long names and sparse files.

use std::io::Read;

use tar::EntryType;

use super::{Expander, Problem, RatioFlag, SpecialEntry, io_problem, member_name};

/// Reads every member of the tar `bytes` (at nesting level `depth`).
pub(super) fn walk(x: &mut Expander<'_>, path: &str, bytes: &[u8], depth: u32) {
    walk_reader(x, path, bytes, &RatioFlag::default(), depth);
}

/// Reads every member of the tar in `reader`; `ratio` tells whether a decoder below it stopped.
pub(super) fn walk_reader(
    x: &mut Expander<'_>,
    path: &str,
    reader: impl Read,
    ratio: &RatioFlag,
    depth: u32,
) {
    let mut archive = tar::Archive::new(reader);
    let entries = match archive.entries() {
        Ok(entries) => entries,
        Err(e) => return x.problem(path, io_problem(&e)),
    };
    for entry in entries {
        if x.stopped {
            return;
        }
        let mut entry = match entry {
            Ok(entry) => entry,
            Err(_) if ratio.tripped() => {
                return x.problem(path, Problem::RatioLimit(x.limits.max_ratio));
            }
            // After a bad header the stream position is unknown: nothing after it can be trusted.
            Err(e) => return x.problem(path, io_problem(&e)),
        };
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            continue;
        }
        let inner = format!("{path}!{}", member_name(&entry.path_bytes()));
        if !x.count_entry(path) {
            return;
        }
        match special(kind) {
            Some(special) => x.problem(&inner, Problem::SpecialEntry(special)),
            None => x.read_member(&inner, &mut entry, ratio, depth),
        }
    }
}

/// The special kind of a tar entry type, or `None` for one with content.
fn special(kind: EntryType) -> Option<SpecialEntry> {
    match kind {
        EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => None,
        EntryType::Symlink => Some(SpecialEntry::Symlink),
        EntryType::Link => Some(SpecialEntry::HardLink),
        EntryType::Char | EntryType::Block => Some(SpecialEntry::Device),
        EntryType::Fifo => Some(SpecialEntry::Fifo),
        _ => Some(SpecialEntry::Other),
    }
}
