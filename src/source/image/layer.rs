//! One layer: a tar (plain, gzip or zstd; any format the archive module knows), read through
//! [`archive::expand`] so its bounds, decoders and nested archives are the same as everywhere
//! else. Besides matches, a layer records what it changes in the file system below it (files it
//! adds or replaces, whiteouts, opaque directories), so the image can tell which secrets its
//! final file system still holds.

use std::collections::HashSet;

use crate::content::{LocatedMatch, ReadOptions, Reader};
use crate::matcher::Matcher;
use crate::outcome::{Notice, NoticeKind, Subject};
use crate::source::archive::{self, ArchiveProblem, Event, Limits, Problem, ScanBudget};
use crate::unpack;

/// What every layer is read with.
pub(super) struct Context<'a> {
    pub matcher: &'a Matcher,
    pub options: ReadOptions,
    pub limits: &'a Limits,
    pub budget: &'a ScanBudget,
    pub max_file_size: Option<u64>,
}

/// A match in a layer.
#[derive(Debug)]
pub(super) struct LayerMatch {
    /// The path in the layer, then `!inner` for a match inside a nested archive.
    pub member: String,
    /// The file-system path whose presence decides (the layer file holding the match).
    pub file: String,
    pub found: LocatedMatch,
}

/// What reading one layer produced.
#[derive(Debug)]
pub(super) struct LayerScan {
    /// The blob's digest, as read.
    pub digest: String,
    pub matches: Vec<LayerMatch>,
    pub changes: Changes,
    pub notices: Vec<Notice>,
    pub items: u64,
    pub bytes: u64,
    pub binary: Vec<String>,
    pub too_large: Vec<(String, u64)>,
}

/// What a layer does to the file system below it.
#[derive(Debug, Default)]
pub(super) struct Changes {
    /// Files, links and other non-directories it adds (replacing anything below at that path).
    files: HashSet<String>,
    /// Paths its `.wh.NAME` whiteouts delete.
    deleted: HashSet<String>,
    /// Directories whose lower content its `.wh..wh..opq` hides (`""` is the root).
    opaque: HashSet<String>,
}

/// The whiteout prefix of the OCI image specification (and aufs before it).
const WHITEOUT: &str = ".wh.";
/// The opaque-directory marker.
const OPAQUE: &str = ".wh..wh..opq";

impl Changes {
    /// Records a member at `path`; `true` when it is a whiteout (a marker, not content).
    fn record(&mut self, path: &str) -> bool {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        if name == OPAQUE {
            self.opaque.insert(dir.to_string());
            true
        } else if let Some(deleted) = name.strip_prefix(WHITEOUT) {
            let deleted =
                if dir.is_empty() { deleted.to_string() } else { format!("{dir}/{deleted}") };
            self.deleted.insert(deleted);
            true
        } else {
            self.files.insert(path.to_string());
            false
        }
    }

    /// Whether this layer hides a lower layer's file at `path`.
    pub(super) fn hides(&self, path: &str) -> bool {
        if self.files.contains(path) || self.deleted.contains(path) || self.opaque.contains("") {
            return true;
        }
        let mut end = path.len();
        while let Some(slash) = path[..end].rfind('/') {
            let ancestor = &path[..slash];
            if self.files.contains(ancestor)
                || self.deleted.contains(ancestor)
                || self.opaque.contains(ancestor)
            {
                return true;
            }
            end = slash;
        }
        false
    }
}

/// Whether a layer blob is an uncompressed tar (its digest is then its diff id).
pub(super) fn is_uncompressed(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(archive::SNIFF_LEN)];
    archive::sniff(head) == Some(archive::Format::Tar) || bytes.iter().all(|&b| b == 0)
}

/// A layer member's path as the file system sees it: no `./`, no leading or trailing `/`.
fn normalize(path: &str) -> String {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
    parts.join("/")
}

/// Reads the layer `bytes` (`subject` is its display name, `IMAGE!sha256:<12 hex>`).
pub(super) fn scan(
    reader: &mut Reader,
    cx: &Context<'_>,
    digest: &str,
    subject: &str,
    bytes: &[u8],
) -> LayerScan {
    let mut scan = LayerScan {
        digest: digest.to_string(),
        matches: Vec::new(),
        changes: Changes::default(),
        notices: Vec::new(),
        items: 0,
        bytes: 0,
        binary: Vec::new(),
        too_large: Vec::new(),
    };
    let name = digest;
    let prefix = format!("{name}!");
    let mut problems = Vec::new();
    // Splits `NAME!file[!inner]` into the normalized file and the member path shown.
    let split = |path: &str| -> (String, String, bool) {
        let relative = path.strip_prefix(&prefix).unwrap_or(path);
        let (file, inner) = match relative.split_once('!') {
            Some((file, inner)) => (file, Some(inner)),
            None => (relative, None),
        };
        let file = normalize(file);
        let member = inner.map_or_else(|| file.clone(), |inner| format!("{file}!{inner}"));
        (file, member, inner.is_none())
    };
    let opened = archive::expand(name, bytes, cx.limits, cx.budget, &mut |event| match event {
        Event::Entry(entry) => {
            let (file, member, top) = split(entry.path);
            if top && scan.changes.record(&file) {
                return;
            }
            if cx.max_file_size.is_some_and(|max| entry.bytes.len() as u64 > max) {
                scan.too_large.push((format!("{subject}/{member}"), entry.bytes.len() as u64));
                return;
            }
            let mut found = Vec::new();
            let summary = reader.scan_blob(cx.matcher, entry.bytes, cx.options, &mut found);
            scan.items += 1;
            scan.bytes += summary.bytes;
            if summary.binary && !cx.options.binary_strings {
                scan.binary.push(format!("{subject}/{member}"));
            }
            scan.matches.extend(found.into_iter().map(|found| LayerMatch {
                member: member.clone(),
                file: file.clone(),
                found,
            }));
        }
        Event::Problem(problem) => {
            if problem.path == name {
                problems.push(ArchiveProblem { path: String::new(), problem: problem.problem });
                return;
            }
            let (file, member, top) = split(&problem.path);
            if top && matches!(problem.problem, Problem::SpecialEntry(_)) {
                // Links and devices are ordinary in a root file system: recorded, not reported.
                scan.changes.record(&file);
                return;
            }
            problems.push(ArchiveProblem { path: format!("/{member}"), problem: problem.problem });
        }
    });
    if !opened && !bytes.iter().all(|&b| b == 0) {
        scan.notices.push(Notice::new(
            NoticeKind::Corrupt,
            Subject::Path(subject.to_string()),
            "layer is not a tar (nor a compressed tar): not read",
        ));
    }
    let subject = Subject::Path(subject.to_string());
    scan.notices.extend(problems.iter().map(|p| unpack::archive_notice(&subject, p)));
    scan
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whiteouts_hide_paths_and_their_descendants() {
        let mut upper = Changes::default();
        assert!(upper.record("etc/.wh.app.env"));
        assert!(upper.record("srv/.wh..wh..opq"));
        assert!(upper.record(".wh.opt"));
        assert!(!upper.record("usr/bin"));
        assert!(upper.hides("etc/app.env"));
        assert!(!upper.hides("etc/app.envx"));
        assert!(upper.hides("srv/a/b"));
        assert!(!upper.hides("srv"));
        assert!(upper.hides("opt/x/y"));
        assert!(upper.hides("usr/bin/z"));
        assert!(upper.hides("usr/bin"));
        assert!(!upper.hides("usr/lib/z"));
        let mut root = Changes::default();
        assert!(root.record(OPAQUE));
        assert!(root.hides("anything"));
    }

    #[test]
    fn member_paths_are_normalized() {
        assert_eq!(normalize("./etc//app.env"), "etc/app.env");
        assert_eq!(normalize("/srv/"), "srv");
    }
}
