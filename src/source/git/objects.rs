//! Phase 1 of a history scan: every object in the object database, each decoded once.
//!
//! Packs are walked delta tree by delta tree ([`packwalk`], the way `git index-pack` resolves a
//! pack): every base is inflated once and its deltas applied from it, in parallel, where looking
//! each object up by id takes 20 s or more on git/git. Blobs are matched right there, in the
//! walk's worker threads; commits (tree, parents, author date) and tags (target) are recorded for
//! phase 2; trees are decoded only to check that what they refer to exists ([`Presence`]), which
//! is on unless the user accepted missing objects. Reachability plays no part here: dangling commits,
//! dropped stashes and rewritten history are in the database too, and a blob stored in several
//! packs is matched again but reported once.
//!
//! A pack that fails to traverse (corrupt, truncated) is reported and then read object by object
//! by id, so one bad object costs only itself; every object that still fails is reported by id.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_channel::{Sender, bounded};
use gix::ObjectId;
use gix::odb::pack;

use super::cache::{self, HistoryCache, State};
pub(crate) use super::odb::{Authors, CommitNode, Commits, ObjectDirs};
use super::packwalk;
use super::presence::{MissingRef, Presence};
use crate::content::{ReadOptions, Reader};
use crate::matcher::{Derivation, KeywordPass, Matcher, Memo};
use crate::source::archive::ArchiveProblem;
use crate::unpack::{self, ArchiveScan, MemberMatch};

/// What to do with blobs.
#[derive(Debug, Clone)]
pub(crate) struct BlobOptions {
    /// Binary content: skipped, scanned whole, or its printable runs scanned.
    pub(crate) read: ReadOptions,
    /// Archives: opened within these bounds, or not at all.
    pub(crate) archives: ArchiveScan,
    pub(crate) max_size: Option<u64>,
    /// Counters for the progress line, when one is drawn.
    pub(crate) progress: Option<std::sync::Arc<dyn crate::outcome::Observer>>,
    /// Match only the blobs this shard owns (history mode); the others are not counted either.
    pub(crate) shard: Option<crate::outcome::Shard>,
}

/// Everything phase 1 learned.
#[derive(Debug, Default)]
pub(crate) struct Inventory {
    /// Matches per blob (only blobs with matches).
    pub(crate) blob_matches: HashMap<ObjectId, Vec<MemberMatch>>,
    /// Problems in blobs that are archives (paths relative to the blob).
    pub(crate) archive_problems: Vec<(ObjectId, ArchiveProblem)>,
    /// Every commit in the database.
    pub(crate) commits: Commits,
    /// Their authors.
    pub(crate) authors: Authors,
    /// Every annotated tag in the database, with the object it points to (so refs are peeled
    /// without reading objects again).
    pub(crate) tags: HashMap<ObjectId, ObjectId>,
    pub(crate) blobs: u64,
    pub(crate) bytes: u64,
    pub(crate) binary: u64,
    /// Blobs over the size limit.
    pub(crate) too_large: Vec<(ObjectId, u64)>,
    /// Objects or packs that could not be read: (what, message).
    pub(crate) errors: Vec<(String, String)>,
    /// References to objects the database does not hold (when checked: [`Presence`]).
    pub(crate) missing: Vec<MissingRef>,
    /// With a history cache: blobs it answered for, blobs it sent to be matched again (they had
    /// matches), and the entries this scan learned.
    pub(crate) served: u64,
    pub(crate) matched_again: u64,
    pub(crate) fresh: Vec<(ObjectId, u64)>,
}

impl Inventory {
    /// Adds what `other` learned (another part of the same database).
    pub(crate) fn absorb(&mut self, other: Inventory) {
        self.blob_matches.extend(other.blob_matches);
        self.archive_problems.extend(other.archive_problems);
        let mut commits = other.commits;
        for author in commits.authors_mut() {
            if let Some((name, email)) = other.authors.get(*author) {
                *author = self.authors.intern(name.clone(), email.clone());
            }
        }
        // Moved, not copied, into an empty inventory: the table is the largest of phase 1.
        if self.commits.is_empty() {
            self.commits = commits;
        } else {
            self.commits.extend(commits.iter());
        }
        self.tags.extend(other.tags);
        self.blobs += other.blobs;
        self.bytes += other.bytes;
        self.binary += other.binary;
        self.too_large.extend(other.too_large);
        self.errors.extend(other.errors);
        self.missing.extend(other.missing);
        self.served += other.served;
        self.matched_again += other.matched_again;
        self.fresh.extend(other.fresh);
    }
}

enum Event {
    Matches(ObjectId, Vec<MemberMatch>),
    Archive(ObjectId, Vec<ArchiveProblem>),
    /// A commit, and the hash of its author if its author line parses.
    Commit(ObjectId, CommitNode, Option<u64>),
    /// An author (name, e-mail) by its hash, sent by a thread before the first commit of theirs
    /// it sends: sending strings with every commit would cost two allocations per commit.
    Author(u64, String, String),
    Tag(ObjectId, ObjectId),
    TooLarge(ObjectId, u64),
    Error(String, String),
    Missing(MissingRef),
    Learned(ObjectId, u64),
}

#[derive(Default)]
struct Counters {
    blobs: AtomicU64,
    bytes: AtomicU64,
    binary: AtomicU64,
    served: AtomicU64,
    matched_again: AtomicU64,
}

/// Counts a blob the cache knows to be clean or binary, as reading it would; false when it must
/// be read (unknown, or it had matches).
fn serve(
    cache: Option<&HistoryCache>,
    counters: &Counters,
    progress: Option<&std::sync::Arc<dyn crate::outcome::Observer>>,
    id: ObjectId,
) -> bool {
    let Some((state, size)) = cache.and_then(|c| c.get(&id)) else { return false };
    match state {
        State::Clean => {
            counters.blobs.fetch_add(1, Ordering::Relaxed);
            counters.bytes.fetch_add(size, Ordering::Relaxed);
            if let Some(progress) = progress {
                progress.item(size, 0);
            }
        }
        State::Binary => {
            counters.binary.fetch_add(1, Ordering::Relaxed);
        }
        State::Matched => return false,
    }
    counters.served.fetch_add(1, Ordering::Relaxed);
    true
}

/// Per-thread object handler; cloning gives a fresh reader (the traversal clones one per thread).
struct ObjectScanner<'a> {
    matcher: &'a Matcher,
    reader: Option<Reader>,
    tx: Sender<Event>,
    counters: &'a Counters,
    options: BlobOptions,
    /// Checks every reference of commits, tags and trees, when set.
    presence: Option<&'a Presence>,
    /// The history cache, when one is used.
    cache: Option<&'a HistoryCache>,
    /// Hashes authors (name, e-mail); one random key for every thread of a scan.
    author_key: &'a std::hash::RandomState,
    /// Authors this thread has sent: each is sent once, commits carry its hash.
    authors_sent: HashSet<u64>,
}

impl Clone for ObjectScanner<'_> {
    fn clone(&self) -> Self {
        ObjectScanner {
            matcher: self.matcher,
            reader: None,
            tx: self.tx.clone(),
            counters: self.counters,
            options: self.options.clone(),
            presence: self.presence,
            cache: self.cache,
            author_key: self.author_key,
            authors_sent: HashSet::new(),
        }
    }
}

impl ObjectScanner<'_> {
    /// The hash of an author, sent with its name and e-mail the first time this thread meets it.
    fn author(&mut self, name: &gix::bstr::BStr, email: &gix::bstr::BStr) -> u64 {
        let (name_bytes, email_bytes): (&[u8], &[u8]) = (name, email);
        let hash = std::hash::BuildHasher::hash_one(self.author_key, (name_bytes, email_bytes));
        if self.authors_sent.insert(hash) {
            let _ = self.tx.send(Event::Author(hash, name.to_string(), email.to_string()));
        }
        hash
    }

    fn process(&mut self, id: ObjectId, kind: gix::object::Kind, data: &[u8]) {
        self.process_derived(id, kind, data, KeywordPass::default());
    }

    /// [`ObjectScanner::process`] of an object the pack walk built, perhaps from a base whose
    /// keyword pass it kept ([`packwalk::Visit`]); returns this object's, when `pass.keep` asks
    /// for it and the object is a blob matched as text.
    fn process_derived(
        &mut self,
        id: ObjectId,
        kind: gix::object::Kind,
        data: &[u8],
        pass: KeywordPass<'_>,
    ) -> Option<Memo> {
        match kind {
            gix::object::Kind::Blob => return self.blob(id, data, pass),
            gix::object::Kind::Commit => match gix::objs::CommitRef::from_bytes(data, id.kind()) {
                Ok(commit) => {
                    let author = commit.author().ok();
                    let time = author.and_then(|a| a.time().ok()).map_or(0, |t| t.seconds);
                    let node = CommitNode {
                        tree: commit.tree(),
                        parents: commit.parents().collect(),
                        time,
                        author: Authors::UNKNOWN,
                    };
                    let author = author.map(|a| self.author(a.name, a.email));
                    if let Some(presence) = self.presence {
                        presence.check_commit(id, &node, &mut |m| self.missing(m));
                    }
                    let _ = self.tx.send(Event::Commit(id, node, author));
                }
                Err(e) => self.error(format!("commit {id}"), format!("cannot be parsed: {e}")),
            },
            gix::object::Kind::Tag => match gix::objs::TagRef::from_bytes(data, id.kind()) {
                Ok(tag) => {
                    if let Some(presence) = self.presence {
                        presence.check_tag(id, tag.target(), &mut |m| self.missing(m));
                    }
                    let _ = self.tx.send(Event::Tag(id, tag.target()));
                }
                Err(e) => self.error(format!("tag {id}"), format!("cannot be parsed: {e}")),
            },
            gix::object::Kind::Tree => {
                if let Some(presence) = self.presence {
                    presence.check_tree(id, data, &mut |m| self.missing(m));
                }
            }
        }
        None
    }

    fn blob(&mut self, id: ObjectId, data: &[u8], pass: KeywordPass<'_>) -> Option<Memo> {
        if self.options.shard.is_some_and(|shard| !shard.owns(id.as_bytes())) {
            return None;
        }
        let size = data.len() as u64;
        if self.options.max_size.is_some_and(|max| size > max) {
            let _ = self.tx.send(Event::TooLarge(id, size));
            return None;
        }
        if serve(self.cache, self.counters, self.options.progress.as_ref(), id) {
            return None;
        }
        // Learned only when the cache did not know it (a blob with matches is known already).
        let known = self.cache.and_then(|c| c.get(&id));
        if known.is_some() {
            self.counters.matched_again.fetch_add(1, Ordering::Relaxed);
        }
        let learn = self.cache.is_some() && known.is_none();
        let mut unpacked = self.unpack(data, pass);
        let memo = unpacked.memo.take();
        // A blob not read in full (archive problems) is never cached.
        let learn = learn && unpacked.problems.is_empty();
        let (found, binary) = self.report(id, unpacked);
        if binary {
            self.counters.binary.fetch_add(1, Ordering::Relaxed);
            if learn {
                let _ = self.tx.send(Event::Learned(id, cache::entry(State::Binary, size)));
            }
            return None;
        }
        if learn {
            let state = if found.is_empty() { State::Clean } else { State::Matched };
            let _ = self.tx.send(Event::Learned(id, cache::entry(state, size)));
        }
        self.counters.blobs.fetch_add(1, Ordering::Relaxed);
        self.counters.bytes.fetch_add(size, Ordering::Relaxed);
        if let Some(progress) = &self.options.progress {
            progress.item(size, found.len() as u64);
        }
        if !found.is_empty() {
            let _ = self.tx.send(Event::Matches(id, found));
        }
        memo
    }

    /// Sends a blob's archive problems; its matches unless it is skipped as binary, which is said.
    fn report(&self, id: ObjectId, unpacked: unpack::Unpacked) -> (Vec<MemberMatch>, bool) {
        if !unpacked.problems.is_empty() {
            let _ = self.tx.send(Event::Archive(id, unpacked.problems));
        }
        let binary = unpacked.summary.binary && !self.options.read.binary_strings;
        (unpacked.matches, binary)
    }

    /// Matches a blob's bytes: UTF-16 blobs are decoded like files are (`git` missed what `scan`
    /// found), archives are opened like files are.
    fn unpack(&mut self, data: &[u8], pass: KeywordPass<'_>) -> unpack::Unpacked {
        let matcher = self.matcher;
        let reader = self.reader.get_or_insert_with(|| Reader::new(matcher));
        unpack::scan_bytes(
            reader,
            matcher,
            "",
            data,
            self.options.read,
            &self.options.archives,
            pass,
        )
    }

    /// A blob a snapshot counted already, read again by id for its matches and problems.
    fn reread(&mut self, id: ObjectId, data: &[u8]) {
        let unpacked = self.unpack(data, KeywordPass::default());
        let (found, binary) = self.report(id, unpacked);
        if !binary && !found.is_empty() {
            let _ = self.tx.send(Event::Matches(id, found));
        }
    }

    fn error(&self, what: String, message: String) {
        let _ = self.tx.send(Event::Error(what, message));
    }

    fn missing(&self, reference: MissingRef) {
        let _ = self.tx.send(Event::Missing(reference));
    }
}

/// Which objects [`inventory`] reads.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Part<'a> {
    /// Every pack but these (their objects are in a snapshot).
    Packs(&'a HashSet<PathBuf>),
    /// Every loose object.
    Loose,
    /// These blobs, by id: a snapshot counted them; only their matches and problems are sent.
    Reread(&'a [ObjectId]),
}

/// Reads and matches every object of `part`; with `presence`, also decodes trees and checks
/// that every object a commit, tag or tree refers to is there.
#[allow(clippy::too_many_arguments, reason = "the inputs of one phase, each its own")]
pub(crate) fn inventory(
    repo: &gix::ThreadSafeRepository,
    objects: &ObjectDirs,
    matcher: &Matcher,
    threads: usize,
    options: BlobOptions,
    presence: Option<&Presence>,
    cache: Option<&HistoryCache>,
    part: Part<'_>,
) -> Inventory {
    let counters = Counters::default();
    let (tx, rx) = bounded::<Event>(1024);
    let mut inventory = Inventory::default();
    let author_key = std::hash::RandomState::new();
    let mut author_ids: HashMap<u64, u32> = HashMap::new();
    std::thread::scope(|scope| {
        let scanner = ObjectScanner {
            matcher,
            reader: None,
            tx,
            counters: &counters,
            options,
            presence,
            cache,
            author_key: &author_key,
            authors_sent: HashSet::new(),
        };
        scope.spawn(move || match part {
            Part::Packs(skip) => scan_packs(repo, objects, &scanner, threads, skip),
            Part::Loose => scan_loose(objects, &mut scanner.clone()),
            Part::Reread(ids) => reread(repo, ids, &mut scanner.clone()),
        });
        for event in rx {
            match event {
                Event::Matches(id, found) => {
                    inventory.blob_matches.insert(id, found);
                }
                Event::Author(hash, name, email) => {
                    let author = inventory.authors.intern(name, email);
                    author_ids.insert(hash, author);
                }
                Event::Commit(id, mut node, author) => {
                    if let Some(&author) = author.and_then(|hash| author_ids.get(&hash)) {
                        node.author = author;
                    }
                    inventory.commits.insert(id, &node);
                }
                Event::Tag(id, target) => {
                    inventory.tags.insert(id, target);
                }
                Event::Archive(id, problems) => {
                    inventory.archive_problems.extend(problems.into_iter().map(|p| (id, p)));
                }
                Event::TooLarge(id, size) => inventory.too_large.push((id, size)),
                Event::Error(what, message) => inventory.errors.push((what, message)),
                Event::Missing(reference) => inventory.missing.push(reference),
                Event::Learned(id, value) => inventory.fresh.push((id, value)),
            }
        }
    });
    inventory.blobs = counters.blobs.load(Ordering::Relaxed);
    inventory.bytes = counters.bytes.load(Ordering::Relaxed);
    inventory.binary = counters.binary.load(Ordering::Relaxed);
    inventory.served = counters.served.load(Ordering::Relaxed);
    inventory.matched_again = counters.matched_again.load(Ordering::Relaxed);
    inventory
}

fn scan_packs(
    repo: &gix::ThreadSafeRepository,
    objects: &ObjectDirs,
    scanner: &ObjectScanner<'_>,
    threads: usize,
    skip: &HashSet<PathBuf>,
) {
    for index in objects.pack_indexes().into_iter().filter(|index| !skip.contains(index)) {
        let mut handler = scanner.clone();
        let check_trees = scanner.presence.is_some();
        let wanted = move |kind| kind != gix::object::Kind::Tree || check_trees;
        let visit = move |kind, data: &[u8], id, derived: Option<Derivation<'_>>, keep| {
            handler.process_derived(id, kind, data, KeywordPass { derived, keep })
        };
        let progress = scanner.options.progress.as_ref();
        // A blob another shard owns, or one the cache answers for, is not even inflated.
        let shard = scanner.options.shard;
        let served = |id: ObjectId| {
            shard.is_some_and(|s| !s.owns(id.as_bytes()))
                || serve(scanner.cache, scanner.counters, progress, id)
        };
        let served = (scanner.cache.is_some() || shard.is_some())
            .then_some(&served as &(dyn Fn(ObjectId) -> bool + Sync));
        let Err(e) =
            packwalk::walk_pack_served(&index, objects.hash, threads, wanted, served, visit)
        else {
            continue;
        };
        let shown = index.display().to_string();
        scanner.error(
            format!("pack {shown}"),
            format!("traversal failed ({e}); reading its objects one by one"),
        );
        match objects.open_pack(&index) {
            Ok(bundle) => scan_pack_by_id(repo, &bundle, scanner),
            Err(e) => scanner.error(format!("pack {shown}"), format!("cannot be opened: {e}")),
        }
    }
}

/// The slow, robust path for a damaged pack: each object by id; failures are reported by id.
fn scan_pack_by_id(
    repo: &gix::ThreadSafeRepository,
    bundle: &pack::Bundle,
    scanner: &ObjectScanner<'_>,
) {
    let repo = repo.to_thread_local();
    let mut handler = scanner.clone();
    for entry in bundle.index.iter() {
        match repo.find_object(entry.oid) {
            Ok(object) => handler.process(entry.oid, object.kind, &object.data),
            Err(e) => {
                handler.error(format!("object {}", entry.oid), format!("cannot be read: {e}"));
            }
        }
    }
}

/// Blobs by id; one that cannot be read is an error by id.
fn reread(repo: &gix::ThreadSafeRepository, ids: &[ObjectId], scanner: &mut ObjectScanner<'_>) {
    let repo = repo.to_thread_local();
    for id in ids {
        match repo.find_object(*id) {
            Ok(object) => scanner.reread(*id, &object.data),
            Err(e) => scanner.error(format!("object {id}"), format!("cannot be read: {e}")),
        }
    }
}

fn scan_loose(objects: &ObjectDirs, scanner: &mut ObjectScanner<'_>) {
    objects.for_each_loose(|object| match object {
        Ok((id, kind, data)) => scanner.process(id, kind, data),
        Err((what, message)) => scanner.error(what, message),
    });
}
