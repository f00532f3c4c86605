//! Scans of what changed: the staged index (pre-commit), a commit range (push and pull-request
//! CI), or one branch's history.
//!
//! Only secrets that a change *adds* are reported: for every (path, blob) a commit introduces, the
//! secrets already present in a parent's version of that path (or, for the index, in HEAD's) are
//! subtracted, so a secret committed long ago is not reported again by every commit that touches
//! its file. Each distinct blob is matched once per run (a cache by blob id), and the blobs a
//! change introduces are matched up front on parallel workers ([`BlobScanner::prefetch`]), the
//! way history blobs are; the diffing that follows only reads the cache.

use std::collections::{HashMap, HashSet};

use gix::ObjectId;

use super::objects::BlobOptions;
use super::tree::{Introduced, Trees, introduced};
use crate::content::Reader;
use crate::finding::{Collector, CommitInfo, GitOrigin, OriginState};
use crate::matcher::{KeywordPass, Matcher};
use crate::outcome::{Notice, NoticeKind, Subject, Tally};
use crate::unpack::{self, MemberMatch};

use crate::date::rfc3339;

/// What one prefetch worker found: matches per blob, and its counts.
type WorkerResult = (Vec<(ObjectId, Vec<MemberMatch>)>, Tally);

/// Matches per blob, computed once.
pub(crate) struct BlobScanner<'a> {
    repo: &'a gix::Repository,
    matcher: &'a Matcher,
    reader: Reader,
    options: BlobOptions,
    threads: usize,
    cache: HashMap<ObjectId, Vec<MemberMatch>>,
    pub(crate) tally: Tally,
}

impl<'a> BlobScanner<'a> {
    pub(crate) fn new(
        repo: &'a gix::Repository,
        matcher: &'a Matcher,
        options: BlobOptions,
        threads: usize,
    ) -> BlobScanner<'a> {
        BlobScanner {
            repo,
            matcher,
            reader: Reader::new(matcher),
            options,
            threads: threads.max(1),
            cache: HashMap::new(),
            tally: Tally::default(),
        }
    }

    /// Matches every blob of `wanted` not matched yet, on parallel workers (each with its own
    /// repository handle and reader), and caches the results.
    pub(crate) fn prefetch(&mut self, wanted: &[(ObjectId, &str)]) {
        let mut seen = std::collections::HashSet::new();
        let todo: Vec<(ObjectId, &str)> = wanted
            .iter()
            .copied()
            .filter(|(id, _)| !self.cache.contains_key(id) && seen.insert(*id))
            .collect();
        if todo.len() < 2 || self.threads == 1 {
            for (id, path) in todo {
                self.matches(id, path);
            }
            return;
        }
        let shared = self.repo.clone().into_sync();
        let chunk = todo.len().div_ceil(self.threads);
        let (matcher, options) = (self.matcher, &self.options);
        let results: Vec<WorkerResult> = std::thread::scope(|scope| {
            let workers: Vec<_> = todo
                .chunks(chunk)
                .map(|part| {
                    let shared = &shared;
                    scope.spawn(move || {
                        let repo = shared.to_thread_local();
                        let mut worker = BlobScanner::new(&repo, matcher, options.clone(), 1);
                        let found: Vec<_> =
                            part.iter().map(|(id, path)| (*id, worker.scan(*id, path))).collect();
                        (found, worker.tally)
                    })
                })
                .collect();
            workers.into_iter().filter_map(|w| w.join().ok()).collect()
        });
        for (found, tally) in results {
            self.cache.extend(found);
            self.tally.merge(tally);
        }
        // A worker that panicked leaves its blobs unmatched: match them here (and report there).
        for (id, path) in todo {
            self.matches(id, path);
        }
    }

    /// The matches in a blob (empty for binary, oversized or unreadable blobs, which are counted
    /// and reported).
    pub(crate) fn matches(&mut self, blob: ObjectId, path: &str) -> &[MemberMatch] {
        if !self.cache.contains_key(&blob) {
            let found = self.scan(blob, path);
            self.cache.insert(blob, found);
        }
        &self.cache[&blob]
    }

    fn scan(&mut self, blob: ObjectId, path: &str) -> Vec<MemberMatch> {
        let object = match self.repo.find_object(blob) {
            Ok(object) => object,
            Err(e) => {
                let subject =
                    Subject::Object { id: blob.to_string(), path: Some(path.to_string()) };
                let message = format!("blob {blob} cannot be read: {e}");
                self.tally.notice(Notice::new(NoticeKind::Unreadable, subject, message));
                return Vec::new();
            }
        };
        let size = object.data.len() as u64;
        if self.options.max_size.is_some_and(|max| size > max) {
            self.tally.too_large(
                Subject::Object { id: blob.to_string(), path: Some(path.to_string()) },
                size,
            );
            return Vec::new();
        }
        let unpacked = unpack::scan_bytes(
            &mut self.reader,
            self.matcher,
            path,
            &object.data,
            self.options.read,
            &self.options.archives,
            KeywordPass::default(),
        );
        let subject = Subject::Object { id: blob.to_string(), path: Some(path.to_string()) };
        for problem in &unpacked.problems {
            self.tally.notice(unpack::archive_notice(&subject, problem));
        }
        let found = unpacked.matches;
        if unpacked.summary.binary && !self.options.read.binary_strings {
            self.tally.skipped(crate::outcome::SkipReason::Binary, Some(path));
            return Vec::new();
        }
        self.tally.scanned(size);
        if let Some(progress) = &self.options.progress {
            progress.item(size, found.len() as u64);
        }
        found
    }

    /// The (rule, secret) pairs in a blob.
    fn secrets(&mut self, blob: ObjectId, path: &str) -> HashSet<(usize, Vec<u8>)> {
        self.matches(blob, path)
            .iter()
            .map(|m| (m.found.found.rule, m.found.secret.clone()))
            .collect()
    }
}

/// Reports the secrets that each of `commits` adds.
pub(crate) fn scan_commits(
    repo: &gix::Repository,
    commits: &[ObjectId],
    blobs: &mut BlobScanner<'_>,
    refs: &[String],
    collector: &mut Collector,
) {
    let trees = Trees::new(repo);
    let mut errors = Vec::new();
    let mut changes = Vec::new();
    for &id in commits {
        let Some((tree, parent_trees, info)) = commit_parts(repo, id, refs) else {
            errors.push(format!("commit {id} cannot be read"));
            continue;
        };
        let mut found = Vec::new();
        introduced(&trees, tree, &parent_trees, &mut found, &mut errors);
        changes.push((parent_trees, info, found));
    }
    let wanted: Vec<(ObjectId, &str)> = changes
        .iter()
        .flat_map(|(_, _, found)| found.iter().map(|i| (i.blob, i.path.as_str())))
        .collect();
    blobs.prefetch(&wanted);
    let mut before_wanted = Vec::new();
    for (parent_trees, _, found) in &changes {
        for Introduced { path, blob } in found {
            if !blobs.matches(*blob, path).is_empty() {
                before_wanted.extend(
                    parent_trees
                        .iter()
                        .filter_map(|p| blob_at(repo, *p, path))
                        .map(|b| (b, path.clone())),
                );
            }
        }
    }
    let before_refs: Vec<(ObjectId, &str)> =
        before_wanted.iter().map(|(b, p)| (*b, p.as_str())).collect();
    blobs.prefetch(&before_refs);
    for (parent_trees, info, found) in changes {
        let origin_of = |blob: ObjectId| GitOrigin {
            blob: blob.to_string(),
            state: OriginState::Reachable,
            commit: Some(info.clone()),
        };
        for Introduced { path, blob } in found {
            if blobs.matches(blob, &path).is_empty() {
                continue;
            }
            let mut before = HashSet::new();
            for parent in &parent_trees {
                if let Some(old) = blob_at(repo, *parent, &path) {
                    before.extend(blobs.secrets(old, &path));
                }
            }
            report_new(blobs, collector, &path, blob, &before, &origin_of(blob));
        }
    }
    for message in errors {
        blobs.tally.notice(Notice::new(NoticeKind::Unreadable, Subject::Scan, message));
    }
}

fn report_new(
    blobs: &mut BlobScanner<'_>,
    collector: &mut Collector,
    path: &str,
    blob: ObjectId,
    before: &HashSet<(usize, Vec<u8>)>,
    origin: &GitOrigin,
) {
    let rules = blobs.matcher.rules();
    let new: Vec<MemberMatch> = blobs
        .matches(blob, path)
        .iter()
        .filter(|m| !before.contains(&(m.found.found.rule, m.found.secret.clone())))
        .cloned()
        .collect();
    for m in new {
        collector.add_at(rules, &m.path(path), Some(origin), m.found);
    }
}

/// A commit's tree, its parents' trees and its identity.
fn commit_parts(
    repo: &gix::Repository,
    id: ObjectId,
    refs: &[String],
) -> Option<(ObjectId, Vec<ObjectId>, CommitInfo)> {
    let commit = repo.find_commit(id).ok()?;
    let tree = commit.tree_id().ok()?.detach();
    let parent_trees = commit
        .parent_ids()
        .filter_map(|p| repo.find_commit(p).ok()?.tree_id().ok().map(gix::Id::detach))
        .collect();
    let author = commit.author().ok()?;
    let info = CommitInfo {
        id: id.to_string(),
        author: author.name.to_string(),
        email: author.email.to_string(),
        date: rfc3339(author.time().map_or(0, |t| t.seconds)),
        refs: refs.to_vec(),
        refs_total: refs.len(),
    };
    Some((tree, parent_trees, info))
}

/// The blob at `path` in `tree`, if any.
fn blob_at(repo: &gix::Repository, tree: ObjectId, path: &str) -> Option<ObjectId> {
    let tree = repo.find_tree(tree).ok()?;
    let entry = tree.lookup_entry_by_path(path).ok()??;
    entry.mode().is_blob_or_symlink().then(|| entry.object_id())
}

/// Every blob path in a tree, flattened.
fn flatten(trees: &Trees<'_>, tree: ObjectId) -> HashMap<String, ObjectId> {
    let mut out = HashMap::new();
    let mut stack = vec![(tree, String::new())];
    while let Some((tree, prefix)) = stack.pop() {
        for entry in trees.entries(tree).unwrap_or_default() {
            let path = format!("{prefix}{}", String::from_utf8_lossy(&entry.name));
            if entry.mode.is_tree() {
                stack.push((entry.oid, format!("{path}/")));
            } else if entry.mode.is_blob_or_symlink() {
                out.insert(path, entry.oid);
            }
        }
    }
    out
}

/// Reports secrets the index adds relative to HEAD (`--staged`). The index is `$GIT_INDEX_FILE`
/// when set (git sets it for hooks run by `git commit -a` and `git commit PATH`), else the
/// repository's. On an unborn branch (first commit) everything staged is new.
pub(crate) fn scan_staged(
    repo: &gix::Repository,
    blobs: &mut BlobScanner<'_>,
    collector: &mut Collector,
) -> Result<(), String> {
    let index = match std::env::var_os("GIT_INDEX_FILE") {
        Some(path) => gix::index::File::at(
            path,
            repo.object_hash(),
            false,
            gix::index::decode::Options::default(),
        )
        .map_err(|e| format!("cannot read the index named by GIT_INDEX_FILE: {e}"))?,
        None => repo.open_index().map_err(|e| format!("cannot read the index: {e}"))?,
    };
    let trees = Trees::new(repo);
    let head = repo.head_commit().ok().and_then(|c| c.tree_id().ok()).map(gix::Id::detach);
    let head_paths = head.map(|t| flatten(&trees, t)).unwrap_or_default();
    let mut staged_paths = HashSet::new();
    let mut changed = Vec::new();
    for entry in index.entries() {
        if entry.stage() != gix::index::entry::Stage::Unconflicted
            || entry.mode == gix::index::entry::Mode::COMMIT
        {
            continue;
        }
        let path = entry.path(&index).to_string();
        staged_paths.insert(path.clone());
        if head_paths.get(&path) != Some(&entry.id) {
            changed.push((path, entry.id));
        }
    }
    let wanted: Vec<(ObjectId, &str)> = changed.iter().map(|(p, b)| (*b, p.as_str())).collect();
    blobs.prefetch(&wanted);
    // Secrets in files the change deletes count as already committed (a rename moves them).
    let deleted: Vec<(&String, &ObjectId)> =
        head_paths.iter().filter(|(p, _)| !staged_paths.contains(*p)).collect();
    let mut moved: Option<HashSet<(usize, Vec<u8>)>> = None;
    for (path, blob) in changed {
        if blobs.matches(blob, &path).is_empty() {
            continue;
        }
        let mut before = moved
            .get_or_insert_with(|| {
                deleted.iter().flat_map(|(p, b)| blobs.secrets(**b, p)).collect()
            })
            .clone();
        if let Some(old) = head_paths.get(&path) {
            before.extend(blobs.secrets(*old, &path));
        }
        let origin = GitOrigin { blob: blob.to_string(), state: OriginState::Staged, commit: None };
        report_new(blobs, collector, &path, blob, &before, &origin);
    }
    Ok(())
}
