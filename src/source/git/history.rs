//! A full history scan, put together: phase 1 over the objects a snapshot does not cover, the
//! notices, phase 2, and the next snapshot.
//!
//! Without a usable [`Snapshot`] every pack is read, provenance compares every commit with its
//! parents on the in-memory [`TreeIndex`], and the index also says where missing objects sit. With
//! one, only new packs and loose objects are read; the snapshot gives the covered packs' commits,
//! counts and introductions, and the few new commits are compared with their parents by reading
//! the trees that differ. Both paths give the same findings and notices (tests compare them byte
//! for byte with an uncached scan).

use std::collections::{HashMap, HashSet};

use gix::ObjectId;

use super::odb::{Commit, Commits};

use super::cache::HistoryCache;
use super::objects::{self, BlobOptions, Inventory, Part};
use super::snapshot::{self, Introduction, Snapshot, Usable};
use super::treeindex::TreeIndex;
use super::{missing_history_notice, open, presence, provenance, timing};
use crate::finding::{Collector, Finding, GitOrigin, OriginState};
use crate::matcher::Matcher;
use crate::outcome::{CacheUse, Notice, NoticeKind, RefTip, Subject, Tally};

/// Where each target tree first appears: tree -> (commit, path).
type Located = HashMap<ObjectId, (ObjectId, String)>;

#[allow(clippy::too_many_arguments, reason = "the stages of one scan, each its own input")]
pub(super) fn history(
    opened: &open::Opened,
    repo: &gix::Repository,
    matcher: &Matcher,
    threads: usize,
    options: &BlobOptions,
    presence: Option<&presence::Presence>,
    mut cache: Option<HistoryCache>,
    tally: &mut Tally,
) -> (Vec<Finding>, Vec<RefTip>, Option<CacheUse>) {
    let t0 = std::time::Instant::now();
    let objects = &opened.objects;
    let check = presence.is_some();
    let shallow = shallow_ids(repo);
    let (usable, mut snapshot_state) = check_snapshot(cache.as_mut(), presence, objects, &shallow);
    timing("snapshot checked", t0);
    prepare_blobs(cache.as_mut(), usable.as_ref(), tally);
    // Taken before anything is read: a pack that changes during the scan is not covered next time.
    let identities: Option<Vec<Vec<u8>>> =
        objects.pack_indexes().iter().map(|i| snapshot::pack_identity(i)).collect();
    let loose_then = snapshot::loose_ids(objects);
    let phase1 = |part| {
        objects::inventory(
            &opened.repo,
            objects,
            matcher,
            threads,
            options.clone(),
            presence,
            cache.as_ref(),
            part,
        )
    };
    let no_skip = HashSet::new();
    let packs = phase1(Part::Packs(usable.as_ref().map_or(&no_skip, |u| &u.covered)));
    let loose = phase1(Part::Loose);
    let mut inventory = Inventory::default();
    let mut old_commits = HashSet::new();
    if let Some(Usable { snapshot: old, covered, packs }) = &usable {
        snapshot_state = Some(format!("used ({} of {packs} packs)", covered.len()));
        old_commits = old.commits.iter().map(|(id, _)| *id).collect();
        absorb_snapshot(&mut inventory, old, check);
        inventory.absorb(phase1(Part::Reread(&old.reread)));
    }
    // What the next snapshot covers: the old one's packs and the packs read now, if all read well.
    let complete = packs.errors.is_empty() && cache.is_some();
    let mut next = identities.filter(|_| complete).map(|identities| {
        start_next(usable.as_ref(), identities, loose_then, &shallow, check, &packs)
    });
    let (new_pack_commits, loose_commits) = commit_sets(&old_commits, &packs, &loose);
    // The commits in packs (the snapshot's and those read now) are every commit but the
    // loose-only ones: asked, not listed (a set of every commit id is 9 MB on git/git).
    let in_packs = |id: &ObjectId| !loose_commits.contains(id);
    inventory.absorb(packs);
    inventory.absorb(loose);
    super::release_freed_memory(); // phase 1's layouts, buffers and regex caches
    timing("phase 1 (objects)", t0);
    report_phase1(&inventory, tally);

    let distinct = presence::distinct(&inventory.missing);
    let listed = &distinct[..distinct.len().min(presence::LISTED)];
    let targets = target_trees(listed);
    let blobs: HashSet<ObjectId> = inventory.blob_matches.keys().copied().collect();
    let mut errors = Vec::new();
    let commits = &inventory.commits;
    let subset = |ids: &HashSet<ObjectId>| -> Commits {
        ids.iter().filter_map(|id| commits.get(id).map(|n| (*id, n))).collect()
    };
    let scope = Scope { commits, blobs: &blobs, targets: &targets };
    let (introductions, located, pack_located) = match &usable {
        None => {
            let packs: Option<&dyn Fn(&ObjectId) -> bool> = next.as_ref().map(|_| &in_packs as _);
            places_indexed(objects, threads, &scope, packs, &mut errors, t0)
        }
        Some(Usable { snapshot: old, .. }) => {
            places_read(repo, &scope, old, &subset(&new_pack_commits), &subset(&loose_commits))
        }
    };
    missing_notices(listed, distinct.len(), &located, tally);
    timing("missing objects located", t0);

    let mut collector = Collector::new();
    let (refs, ref_errors) = provenance::ref_tips(repo, &inventory);
    errors.extend(ref_errors);
    let listed_refs =
        refs.iter().map(|t| RefTip { name: t.name.clone(), commit: t.commit.to_string() });
    if !blobs.is_empty() {
        let origins = provenance::attribute(repo, &inventory, &refs, &introductions);
        timing("phase 2 (provenance)", t0);
        add_history_findings(matcher, &inventory, &origins, &mut collector);
    }
    for message in errors {
        tally.notice(Notice::new(NoticeKind::Unreadable, Subject::Scan, message));
    }
    let changed = finish_next(
        next.as_mut(),
        usable.as_ref(),
        check,
        (&targets, pack_located),
        &loose_commits,
        &inventory.commits,
        introductions,
    );
    let used = cache.map(|cache| {
        let counts = (inventory.served, inventory.matched_again);
        store(
            cache,
            &inventory.fresh,
            next.as_ref().map(|n| (n, changed)),
            counts,
            snapshot_state,
            tally,
        )
    });
    timing("cache stored", t0);
    (collector.finish(), listed_refs.collect(), used)
}

/// Completes the next snapshot with what phase 2 learned; whether its part from the packs changed
/// (a pack was read, or the presence check was turned off, which empties the references to
/// missing objects): only then is that part rebuilt and written again.
fn finish_next(
    next: Option<&mut Snapshot>,
    usable: Option<&Usable>,
    check: bool,
    (targets, pack_located): (&HashSet<ObjectId>, Located),
    loose_only: &HashSet<ObjectId>,
    commits: &Commits,
    introductions: Vec<Introduction>,
) -> bool {
    let Some(next) = next else { return false };
    let changed = match usable {
        Some(Usable { snapshot: old, covered, .. }) => {
            covered.len() != next.packs.len() || old.checked != check
        }
        None => true,
    };
    next.located_targets = targets.iter().copied().collect();
    next.located =
        pack_located.into_iter().map(|(tree, (commit, path))| (tree, commit, path)).collect();
    if changed {
        next.generation = next.generation.wrapping_add(1);
        next.commits = commits
            .iter()
            .filter(|(id, _)| !loose_only.contains(id))
            .map(|(id, n)| (id, n.to_node()))
            .collect();
        next.commits.sort_unstable_by_key(|(id, _)| *id);
        next.introductions =
            introductions.into_iter().filter(|(_, _, c)| !loose_only.contains(c)).collect();
        if !check {
            next.missing.clear();
        }
    }
    changed
}

/// Every blob entry is loaded unless the snapshot leaves only loose objects to read (then they
/// are looked up one by one).
fn prepare_blobs(cache: Option<&mut HistoryCache>, usable: Option<&Usable>, tally: &mut Tally) {
    if let Some(cache) = cache.filter(|_| !usable.is_some_and(Usable::covers_every_pack)) {
        let mut notices = Vec::new();
        cache.load_blobs(&mut notices);
        for notice in notices {
            tally.notice(notice);
        }
    }
}

/// The commits of packs read now that the snapshot did not have, and those only loose (in no
/// pack, covered or read now).
fn commit_sets(
    old: &HashSet<ObjectId>,
    packs: &Inventory,
    loose: &Inventory,
) -> (HashSet<ObjectId>, HashSet<ObjectId>) {
    let new_packs = packs.commits.keys().filter(|id| !old.contains(id)).collect();
    let loose_only = loose
        .commits
        .keys()
        .filter(|id| !old.contains(id) && !packs.commits.contains_key(id))
        .collect();
    (new_packs, loose_only)
}

/// The trees that refer to the listed missing objects: where they sit is part of the notice.
fn target_trees(listed: &[presence::MissingRef]) -> HashSet<ObjectId> {
    listed
        .iter()
        .filter_map(|m| match &m.referrer {
            presence::Referrer::TreeEntry { tree, .. } => Some(*tree),
            _ => None,
        })
        .collect()
}

/// Writes what this scan learned into the cache; its record for the coverage.
fn store(
    cache: HistoryCache,
    fresh: &[(ObjectId, u64)],
    next: Option<(&Snapshot, bool)>,
    (served, matched_again): (u64, u64),
    snapshot_state: Option<String>,
    tally: &mut Tally,
) -> CacheUse {
    let mut notices = Vec::new();
    let taken = next.is_some();
    let mut report = cache.store(fresh, next, &mut notices);
    for notice in notices {
        tally.notice(notice);
    }
    report.served = served;
    report.matched_again = matched_again;
    report.snapshot = match snapshot_state {
        Some(state) => state,
        None if taken && report.snapshot == "none" => "taken".into(),
        None => report.snapshot,
    };
    report
}

/// What phase 2 works on: every commit, the blobs with findings, and the trees to locate.
struct Scope<'a> {
    commits: &'a Commits,
    blobs: &'a HashSet<ObjectId>,
    targets: &'a HashSet<ObjectId>,
}

/// Introductions and places, without a snapshot: on the tree index of every tree. The places
/// among `pack_commits` too, when a snapshot is to be taken.
fn places_indexed(
    objects: &super::odb::ObjectDirs,
    threads: usize,
    scope: &Scope<'_>,
    in_packs: Option<&dyn Fn(&ObjectId) -> bool>,
    errors: &mut Vec<String>,
    t0: std::time::Instant,
) -> (Vec<Introduction>, Located, Located) {
    if scope.blobs.is_empty() && scope.targets.is_empty() {
        return (Vec::new(), Located::new(), Located::new());
    }
    let mut trees = TreeIndex::build(objects, scope.blobs, scope.targets, threads, errors);
    timing(&format!("tree index ({})", trees.size()), t0);
    let located = trees.locate(scope.commits, &|_| true);
    let pack_located = match in_packs {
        Some(in_packs) if !scope.targets.is_empty() => trees.locate(scope.commits, in_packs),
        _ => Located::new(),
    };
    let found = if scope.blobs.is_empty() {
        Vec::new()
    } else {
        provenance::introductions(scope.commits, &mut trees)
    };
    drop(trees);
    super::release_freed_memory();
    (found, located, pack_located)
}

/// Introductions and places with a snapshot: the covered commits' from the snapshot, the new
/// commits' (in new packs, and loose) by reading the trees that differ from their parents'.
fn places_read(
    repo: &gix::Repository,
    scope: &Scope<'_>,
    old: &Snapshot,
    new_packs: &Commits,
    loose: &Commits,
) -> (Vec<Introduction>, Located, Located) {
    let commits = scope.commits;
    let mut found: Vec<Introduction> = old.introductions.clone();
    if !scope.blobs.is_empty() {
        let new_commits: HashSet<ObjectId> = new_packs.keys().chain(loose.keys()).collect();
        found.extend(provenance::introductions_read(repo, commits, &new_commits, scope.blobs));
    }
    let stored: Located = old.located.iter().map(|(t, c, p)| (*t, (*c, p.clone()))).collect();
    let old_targets: HashSet<ObjectId> = old.located_targets.iter().copied().collect();
    // A target listed at the snapshot's scan is placed among the covered commits by the
    // snapshot; any other is a tree no covered commit can hold (it would have been missing
    // then), so only the new commits are searched for it.
    let from_packs = presence::locate_reading(repo, new_packs, scope.targets);
    let from_loose = presence::locate_reading(repo, loose, scope.targets);
    let mut pack_located = Located::new();
    for target in scope.targets {
        let mut best = None;
        if old_targets.contains(target) {
            best = stored.get(target).cloned();
        }
        best = earliest(commits, best, from_packs.get(target).cloned());
        if let Some(place) = best {
            pack_located.insert(*target, place);
        }
    }
    let mut located = pack_located.clone();
    for (target, place) in from_loose {
        let best = earliest(commits, located.remove(&target), Some(place));
        if let Some(place) = best {
            located.insert(target, place);
        }
    }
    (found, located, pack_located)
}

/// The stored snapshot, if it applies to this scan; else why not (for the coverage record).
fn check_snapshot(
    cache: Option<&mut HistoryCache>,
    presence: Option<&presence::Presence>,
    objects: &super::odb::ObjectDirs,
    shallow: &[ObjectId],
) -> (Option<Usable>, Option<String>) {
    let Some(stored) = cache.and_then(HistoryCache::take_snapshot) else { return (None, None) };
    let built;
    let present = if let Some(p) = presence {
        p
    } else {
        built = presence::Presence::build(objects, HashSet::new()).0;
        &built
    };
    match stored.usable(objects, present, shallow, presence.is_some()) {
        Ok(usable) => (Some(usable), None),
        Err(why) => (None, Some(format!("not used: {why}"))),
    }
}

/// The next snapshot's part from the packs so far: the old snapshot's, and what the packs read
/// now hold (commits and introductions are added once phase 2 is done).
fn start_next(
    usable: Option<&Usable>,
    identities: Vec<Vec<u8>>,
    loose: Vec<ObjectId>,
    shallow: &[ObjectId],
    check: bool,
    packs: &Inventory,
) -> Snapshot {
    let mut next = Snapshot {
        generation: usable.map_or(1, |u| u.snapshot.generation),
        packs: identities,
        loose,
        shallow: shallow.to_vec(),
        checked: check,
        ..Snapshot::default()
    };
    if let Some(Usable { snapshot: old, .. }) = usable {
        next.tags.clone_from(&old.tags);
        next.blobs = old.blobs;
        next.bytes = old.bytes;
        next.binary = old.binary;
        next.too_large.clone_from(&old.too_large);
        next.missing.clone_from(&old.missing);
        next.reread.clone_from(&old.reread);
    }
    next.tags.extend(packs.tags.iter().map(|(a, b)| (*a, *b)));
    next.blobs += packs.blobs;
    next.bytes += packs.bytes;
    next.binary += packs.binary;
    next.too_large.extend(packs.too_large.iter().copied());
    next.missing.extend(packs.missing.iter().cloned());
    let mut reread: HashSet<ObjectId> = next.reread.iter().copied().collect();
    reread.extend(packs.blob_matches.keys().copied());
    reread.extend(packs.archive_problems.iter().map(|(id, _)| *id));
    next.reread = reread.into_iter().collect();
    next.reread.sort_unstable();
    next
}

/// The sorted shallow boundary.
fn shallow_ids(repo: &gix::Repository) -> Vec<ObjectId> {
    let mut ids: Vec<ObjectId> = repo
        .shallow_commits()
        .ok()
        .flatten()
        .map(|b| b.iter().copied().collect())
        .unwrap_or_default();
    ids.sort_unstable();
    ids
}

/// Puts what a snapshot says of its packs into the inventory (the blobs it lists to read again
/// are read by the caller).
fn absorb_snapshot(inventory: &mut Inventory, old: &Snapshot, check: bool) {
    inventory.commits.extend(old.commits.iter().cloned());
    inventory.tags.extend(old.tags.iter().copied());
    inventory.blobs += old.blobs;
    inventory.bytes += old.bytes;
    inventory.binary += old.binary;
    inventory.too_large.extend(old.too_large.iter().copied());
    if check {
        inventory.missing.extend(old.missing.iter().cloned());
    }
    inventory.matched_again += old.reread.len() as u64;
}

/// Of two places, the one in the earlier commit (author date, then id).
fn earliest(
    commits: &Commits,
    a: Option<(ObjectId, String)>,
    b: Option<(ObjectId, String)>,
) -> Option<(ObjectId, String)> {
    let key = |place: &(ObjectId, String)| (commits.get(&place.0).map_or(0, Commit::time), place.0);
    match (a, b) {
        (Some(a), Some(b)) => Some(if key(&b) < key(&a) { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// Counts, skipped blobs, archive problems and unreadable objects of phase 1 into the tally.
fn report_phase1(inventory: &Inventory, tally: &mut Tally) {
    tally.stats.items_scanned += inventory.blobs;
    tally.stats.bytes_scanned += inventory.bytes;
    tally.stats.skipped_binary += inventory.binary;
    for (id, size) in &inventory.too_large {
        tally.too_large(Subject::Object { id: id.to_string(), path: None }, *size);
    }
    for (blob, problem) in &inventory.archive_problems {
        let subject = Subject::Object { id: blob.to_string(), path: None };
        tally.notice(crate::unpack::archive_notice(&subject, problem));
    }
    for (what, message) in &inventory.errors {
        let kind = if what.starts_with("pack ") {
            NoticeKind::DamagedPack
        } else {
            NoticeKind::Unreadable
        };
        tally.notice(Notice::new(kind, Subject::Scan, format!("{what}: {message}")));
    }
}

/// Notices for the objects the history refers to and the database lacks: the first
/// [`presence::LISTED`] by id with the commit and path that refer to them (`located`, for the
/// trees of `listed`), then a count.
fn missing_notices(
    listed: &[presence::MissingRef],
    total: usize,
    located: &HashMap<ObjectId, (ObjectId, String)>,
    tally: &mut Tally,
) {
    for missing in listed {
        let (path, message) = presence::describe(missing, located);
        let subject = Subject::Object { id: missing.object.to_string(), path };
        let message = format!("{message}; accept missing objects with --allow-missing-objects");
        tally.notice(missing_history_notice(NoticeKind::MissingObject, true, subject, message));
    }
    if total > listed.len() {
        let message = format!("{} more missing object(s) not listed", total - listed.len());
        tally.notice(missing_history_notice(
            NoticeKind::MissingObject,
            true,
            Subject::Scan,
            message,
        ));
    }
}

fn add_history_findings(
    matcher: &Matcher,
    inventory: &objects::Inventory,
    origins: &std::collections::HashMap<ObjectId, Vec<(String, GitOrigin)>>,
    collector: &mut Collector,
) {
    let rules = matcher.rules();
    for (blob, matches) in &inventory.blob_matches {
        if let Some(places) = origins.get(blob) {
            for (path, origin) in places {
                for m in matches {
                    collector.add_at(rules, &m.path(path), Some(origin), m.found.clone());
                }
            }
        } else {
            // A blob no commit holds: added to the index and never committed, or left behind by
            // rewritten history. It has no path; its id says where it is.
            let origin =
                GitOrigin { blob: blob.to_string(), state: OriginState::Unreachable, commit: None };
            let path = format!("(dangling blob {blob})");
            for m in matches {
                collector.add_at(rules, &m.path(&path), Some(&origin), m.found.clone());
            }
        }
    }
}
