//! Zip and its family (jar, war, ear, apk, aab, ipa, whl, nupkg, xpi, Office and ODF documents).
//!
//! The central directory is read once by the `zip` crate; members are then read in directory
//! order, each through a [`RatioMeter`](super::RatioMeter) against its declared compressed size.
//! An archive whose entries share bytes is refused before any member is decompressed: that is how
//! flat zip bombs reach ratios no single deflate stream can, and no legitimate tool writes one.

use std::io::Cursor;

use zip::ZipArchive;
use zip::result::ZipError;

use super::{Expander, Problem, RatioFlag, RatioMeter, SpecialEntry, member_name};

/// Reads every member of the zip `bytes` (at nesting level `depth`).
pub(super) fn walk(x: &mut Expander<'_>, path: &str, bytes: &[u8], depth: u32) {
    let mut archive = match ZipArchive::new(Cursor::new(bytes)) {
        Ok(archive) => archive,
        Err(e) => return x.problem(path, zip_problem(e)),
    };
    match archive.has_overlapping_files() {
        Ok(false) => {}
        Ok(true) => return x.problem(path, Problem::OverlappingEntries),
        Err(e) => return x.problem(path, zip_problem(e)),
    }
    for index in 0..archive.len() {
        if x.stopped {
            return;
        }
        read_entry(x, path, &mut archive, index, depth);
    }
}

fn read_entry(
    x: &mut Expander<'_>,
    path: &str,
    archive: &mut ZipArchive<Cursor<&[u8]>>,
    index: usize,
    depth: u32,
) {
    let (inner, symlink) = match archive.by_index_data(index) {
        Ok(entry) if entry.is_dir() => return,
        Ok(entry) => (format!("{path}!{}", member_name(entry.name_raw())), entry.is_symlink()),
        Err(e) => return x.problem(&format!("{path}!#{index}"), zip_problem(e)),
    };
    if !x.count_entry(path) {
        return;
    }
    if symlink {
        return x.problem(&inner, Problem::SpecialEntry(SpecialEntry::Symlink));
    }
    let file = match archive.by_index(index) {
        Ok(file) => file,
        Err(e) => return x.problem(&inner, zip_problem(e)),
    };
    let flag = RatioFlag::default();
    let compressed = file.compressed_size();
    let mut reader = RatioMeter::new(file, compressed, x.limits.max_ratio, flag.clone());
    x.read_member(&inner, &mut reader, &flag, depth);
}

/// The problem a zip error stands for.
fn zip_problem(error: ZipError) -> Problem {
    match error {
        ZipError::UnsupportedArchive(message) if message == ZipError::PASSWORD_REQUIRED => {
            Problem::Encrypted
        }
        ZipError::UnsupportedArchive(message) => Problem::Unsupported(message.to_string()),
        ZipError::CompressionMethodNotSupported(method) => {
            Problem::Unsupported(format!("zip compression method {method}"))
        }
        ZipError::Io(e) => super::io_problem(&e),
        other => Problem::Corrupt(other.to_string()),
    }
}
