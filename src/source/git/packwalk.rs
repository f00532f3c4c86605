//! Every object of one pack, decoded once, in bounded memory.
//!
//! This is the delta-tree walk `git index-pack` does: each base object is inflated once and the
//! deltas built on it are applied from it, depth first. It replaces gix-pack's traversal for the
//! history scan for three measured reasons (git/git, 849k objects, one 496 MiB pack):
//!
//! - gix reads the pack through a memory map, and every page it touches stays in the process's
//!   resident size: about 500 MiB of file-backed RSS, most of the 934 MiB peak. Here the pack is
//!   read with positioned reads (`pread`) into small per-thread buffers; the page cache still
//!   holds the file, but it is not part of our resident set.
//! - gix keeps about 100 bytes of bookkeeping per object (tens of MiB). A [`Layout`] entry is
//!   16 bytes plus 8 for the child lists.
//! - A delta tree holds objects of one kind (its root's), so a caller that only wants blobs and
//!   commits (phase 1) or only trees (phase 2) skips whole trees without inflating them, and
//!   keeps only their entries in its layout through the walk ([`Layout::retain`]).
//!
//! Memory while walking, per thread: the bases on the current delta chain (git's default maximum
//! depth is 50; each base is held until its last child is built), one inflate input buffer
//! ([`READ_CHUNK`]) and the delta being applied. A root object is inflated straight into a buffer
//! of its declared size, read from the pack in [`READ_CHUNK`] pieces, so a 200 MiB blob costs its
//! 200 MiB plus a constant. Declared sizes are checked against deflate's maximum ratio before
//! anything is allocated, so a hostile header cannot make us allocate more than the pack could
//! hold.
//!
//! An object a delta builds is handed to the visitor with a `matcher::Derivation`: what the
//! visitor returned for its base (the history scan returns a blob's keyword pass,
//! `matcher::Memo`) and the stretches the delta copied from the base, so the matcher searches
//! for keywords only around what the delta inserted. Most of a history's blob bytes are copies.
//!
//! A pack that is corrupt, truncated, or has deltas whose base is missing (a thin pack) or that
//! form a cycle fails with a [`WalkError`]; the caller then reads that pack object by object.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::rc::Rc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use gix::ObjectId;
use gix::object::Kind;
use gix::odb::pack;
use gix::odb::pack::data::entry::Header;

use crate::matcher::{Copied, Derivation};

/// How much compressed data one read brings in.
pub(crate) const READ_CHUNK: usize = 1 << 20;

/// Deflate never expands better than about 1032:1, so a declared size beyond that is a lie.
const MAX_DEFLATE_RATIO: u64 = 1032;

/// Why a pack could not be walked.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WalkError {
    /// The `.idx` file could not be opened.
    #[error("cannot open the pack index: {0}")]
    Index(String),
    /// The `.pack` file could not be read.
    #[error("cannot read the pack at offset {offset}: {source}")]
    Io {
        /// Where the read started.
        offset: u64,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The pack's bytes do not make sense.
    #[error("corrupt pack entry at offset {offset}: {message}")]
    Corrupt {
        /// The entry's offset in the pack.
        offset: u64,
        /// What is wrong.
        message: String,
    },
}

fn corrupt(offset: u64, message: impl Into<String>) -> WalkError {
    WalkError::Corrupt { offset, message: message.into() }
}

/// One pack entry, as the walk needs it, in 16 bytes (a pack of git/git's 850,000 objects keeps
/// 14 MB of these through each walk).
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// Where the entry (its header) starts in the pack in the low [`OFFSET_BITS`] bits, the
    /// header's length in bytes in the next eight (the compressed data follows the header), the
    /// object kind's [`kind_code`] in the top eight (0 for a delta).
    packed: u64,
    /// The declared inflated size (the object's for a base, the delta's for a delta), or
    /// [`LARGE`] when it does not fit: then it is in [`Layout::large`].
    size: u32,
    /// The entry's position in the `.idx` file (gives its object id).
    index: u32,
}

/// Bits of [`Entry::packed`] that hold the offset: packs up to 256 TiB.
const OFFSET_BITS: u32 = 48;
const OFFSET_MASK: u64 = (1 << OFFSET_BITS) - 1;
/// An [`Entry::size`] that does not fit in 32 bits.
const LARGE: u32 = u32::MAX;

impl Entry {
    /// An entry at `offset` (below 2^[`OFFSET_BITS`]) whose header takes `header_len` bytes;
    /// the size is set apart, as it may not fit.
    fn new(offset: u64, header_len: u8, kind: Option<Kind>, index: u32) -> Entry {
        let packed = offset | u64::from(header_len) << OFFSET_BITS | kind_code(kind) << 56;
        Entry { packed, size: 0, index }
    }

    fn offset(self) -> u64 {
        self.packed & OFFSET_MASK
    }

    fn header_len(self) -> u64 {
        (self.packed >> OFFSET_BITS) & 0xff
    }

    /// The object kind for a base, `None` for a delta.
    fn kind(self) -> Option<Kind> {
        let code = (self.packed >> (OFFSET_BITS + 8)) as usize;
        KINDS.get(code).copied().flatten()
    }
}

/// An entry's kind by its code in [`Entry::packed`]: the position in this table.
const KINDS: [Option<Kind>; 5] =
    [None, Some(Kind::Commit), Some(Kind::Tree), Some(Kind::Blob), Some(Kind::Tag)];

/// [`Entry::kind`]'s code for a kind (0 for a delta).
fn kind_code(kind: Option<Kind>) -> u64 {
    KINDS.iter().position(|k| *k == kind).unwrap_or(0) as u64
}

/// Where every entry is and which deltas depend on which entry.
struct Layout {
    /// Sorted by offset.
    entries: Vec<Entry>,
    /// Where the last entry ends (the trailing checksum starts).
    end: u64,
    /// Children of entry `i` are `children[child_start[i]..child_start[i + 1]]`.
    child_start: Vec<u32>,
    children: Vec<u32>,
    /// Base entries, with the number of objects in their delta tree.
    roots: Vec<(u32, u32)>,
    /// The declared sizes of 4 GiB and more, by entry (see [`Entry::size`]).
    large: HashMap<u32, u64>,
    /// Where each entry's compressed data ends, once [`Layout::retain`] has dropped entries (the
    /// next entry no longer tells); empty before.
    ends: Vec<u64>,
}

impl Layout {
    fn read(pack: &File, index: &pack::index::File) -> Result<Layout, WalkError> {
        let mut entries: Vec<Entry> = (0..index.num_objects())
            .map(|i| {
                let offset = index.pack_offset_at_index(i);
                match offset & !OFFSET_MASK {
                    0 => Ok(Entry::new(offset, 0, None, i)),
                    _ => Err(corrupt(offset, "offset past 256 TiB")),
                }
            })
            .collect::<Result<_, _>>()?;
        entries.sort_unstable_by_key(|e| e.offset());
        let io = |offset, source| WalkError::Io { offset, source };
        let len = pack.metadata().map_err(|e| io(0, e))?.len();
        let end = len
            .checked_sub(index.object_hash().len_in_bytes() as u64)
            .ok_or_else(|| corrupt(0, "too short"))?;
        let (parents, large) = read_headers(pack, index, &mut entries, end)?;
        let (child_start, children) = child_lists(&parents);
        drop(parents);
        let mut layout = Layout {
            entries,
            end,
            child_start,
            children,
            roots: Vec::new(),
            large,
            ends: Vec::new(),
        };
        layout.roots = layout.tree_sizes()?;
        Ok(layout)
    }

    fn kids(&self, i: u32) -> &[u32] {
        let i = i as usize;
        &self.children[self.child_start[i] as usize..self.child_start[i + 1] as usize]
    }

    /// Where entry `i`'s compressed data starts and ends.
    fn data_range(&self, i: u32) -> (u64, u64) {
        let entry = &self.entries[i as usize];
        let next = match self.ends.get(i as usize) {
            Some(&end) => end,
            None => self.entries.get(i as usize + 1).map_or(self.end, |e| e.offset()),
        };
        (entry.offset() + entry.header_len(), next)
    }

    /// The layout of the delta trees whose root is of a `wanted` kind (every entry of a delta tree
    /// has its root's kind), the others dropped: the tree index's walk keeps 382,000 of git/git's
    /// 850,000 entries through the walk, not all of them.
    fn retain(self, wanted: impl Fn(Kind) -> bool) -> Layout {
        const DROPPED: u32 = u32::MAX;
        let roots: Vec<(u32, u32)> = self
            .roots
            .iter()
            .copied()
            .filter(|&(root, _)| self.entries[root as usize].kind().is_some_and(&wanted))
            .collect();
        // Every entry of a kept delta tree is marked, then numbered in offset order as before.
        let mut position = vec![DROPPED; self.entries.len()];
        let mut stack = Vec::new();
        for &(root, _) in &roots {
            stack.push(root);
            while let Some(node) = stack.pop() {
                position[node as usize] = 0;
                stack.extend_from_slice(self.kids(node));
            }
        }
        let (mut entries, mut ends) = (Vec::new(), Vec::new());
        for (i, p) in position.iter_mut().enumerate().filter(|(_, p)| **p != DROPPED) {
            *p = entries.len() as u32;
            entries.push(self.entries[i]);
            ends.push(self.data_range(i as u32).1);
        }
        let mut child_start = Vec::with_capacity(entries.len() + 1);
        let mut children = Vec::new();
        child_start.push(0);
        for (i, _) in position.iter().enumerate().filter(|(_, p)| **p != DROPPED) {
            children.extend(self.kids(i as u32).iter().map(|&k| position[k as usize]));
            child_start.push(children.len() as u32);
        }
        let large = self
            .large
            .iter()
            .filter(|(i, _)| position[**i as usize] != DROPPED)
            .map(|(i, size)| (position[*i as usize], *size))
            .collect();
        let roots = roots.iter().map(|&(root, size)| (position[root as usize], size)).collect();
        Layout { entries, end: self.end, child_start, children, roots, large, ends }
    }

    /// Entry `i`'s declared inflated size.
    fn size(&self, i: u32) -> u64 {
        match self.entries[i as usize].size {
            LARGE => self.large.get(&i).copied().unwrap_or(u64::from(LARGE)),
            size => u64::from(size),
        }
    }

    /// Every root with the size of its delta tree, largest first (so the last trees to start are
    /// small and the threads finish together). Fails when some delta is not reachable from any
    /// root: a cycle of deltas, which only a corrupt or hostile pack has.
    fn tree_sizes(&self) -> Result<Vec<(u32, u32)>, WalkError> {
        let mut roots = Vec::new();
        let mut reached = 0usize;
        let mut stack = Vec::new();
        for (i, entry) in self.entries.iter().enumerate() {
            if entry.kind().is_none() {
                continue;
            }
            stack.push(i as u32);
            let mut size = 0u32;
            while let Some(node) = stack.pop() {
                size += 1;
                stack.extend_from_slice(self.kids(node));
            }
            reached += size as usize;
            roots.push((i as u32, size));
        }
        if reached != self.entries.len() {
            return Err(corrupt(
                0,
                format!("{} deltas form a cycle", self.entries.len() - reached),
            ));
        }
        roots.sort_by_key(|&(i, size)| (std::cmp::Reverse(size), i));
        Ok(roots)
    }
}

/// One sequential read of every entry header (`entries` are sorted by offset); fills in each
/// entry and returns each one's base (its position in `entries`, or `u32::MAX` for a base object)
/// and the declared sizes too large for [`Entry::size`].
fn read_headers(
    pack: &File,
    index: &pack::index::File,
    entries: &mut [Entry],
    end: u64,
) -> Result<(Vec<u32>, HashMap<u32, u64>), WalkError> {
    let mut reader = BufReader::with_capacity(64 << 10, pack);
    check_pack_header(&mut reader, index)?;
    let mut position = pack::data::header::SIZE as u64;
    let hash_len = index.object_hash().len_in_bytes();
    let mut parents = Vec::with_capacity(entries.len());
    let mut large = HashMap::new();
    for i in 0..entries.len() {
        let offset = entries[i].offset();
        if offset < position || offset >= end {
            return Err(corrupt(offset, "offset out of order or past the end of the pack"));
        }
        let skip =
            i64::try_from(offset - position).map_err(|_| corrupt(offset, "offset too large"))?;
        reader.seek_relative(skip).map_err(|e| WalkError::Io { offset, source: e })?;
        let header = pack::data::Entry::from_read(&mut reader, offset, hash_len)
            .map_err(|e| WalkError::Io { offset, source: e })?;
        let header_len = header.header_size();
        position = offset + header_len as u64;
        let base = match header.header {
            Header::OfsDelta { base_distance } => Some(offset.checked_sub(base_distance)),
            Header::RefDelta { base_id } => {
                Some(index.lookup(base_id).map(|i| index.pack_offset_at_index(i)))
            }
            _ => None,
        };
        let parent = match base {
            None => u32::MAX,
            Some(base) => base
                .and_then(|b| entries.binary_search_by_key(&b, |e| e.offset()).ok())
                .ok_or_else(|| corrupt(offset, "delta base not in this pack"))?
                as u32,
        };
        let header_len =
            u8::try_from(header_len).map_err(|_| corrupt(offset, "header too long"))?;
        let entry = &mut entries[i];
        *entry = Entry::new(offset, header_len, header.header.as_kind(), entry.index);
        entry.size = u32::try_from(header.decompressed_size).unwrap_or(LARGE);
        if entry.size == LARGE {
            large.insert(i as u32, header.decompressed_size);
        }
        parents.push(parent);
    }
    Ok((parents, large))
}

fn check_pack_header(reader: &mut impl Read, index: &pack::index::File) -> Result<(), WalkError> {
    let mut buf = [0u8; pack::data::header::SIZE];
    reader.read_exact(&mut buf).map_err(|e| WalkError::Io { offset: 0, source: e })?;
    let (_, count) = pack::data::header::decode(&buf).map_err(|e| corrupt(0, e.to_string()))?;
    if count != index.num_objects() {
        return Err(corrupt(
            0,
            format!("{count} objects in the pack, {} in its index", index.num_objects()),
        ));
    }
    Ok(())
}

/// Child lists in one allocation (compressed sparse rows) from each entry's parent.
fn child_lists(parents: &[u32]) -> (Vec<u32>, Vec<u32>) {
    let mut start = vec![0u32; parents.len() + 1];
    for &p in parents.iter().filter(|&&p| p != u32::MAX) {
        start[p as usize + 1] += 1;
    }
    for i in 0..parents.len() {
        start[i + 1] += start[i];
    }
    let mut fill = start.clone();
    let mut children = vec![0u32; start[parents.len()] as usize];
    for (child, &p) in parents.iter().enumerate().filter(|(_, p)| **p != u32::MAX) {
        children[fill[p as usize] as usize] = child as u32;
        fill[p as usize] += 1;
    }
    (start, children)
}

/// Decodes every object of the pack behind `index_path` whose kind `wanted` accepts, on `threads`
/// threads; `visit` (cloned per thread) gets each object's kind, bytes and id.
pub(crate) fn walk_pack<V>(
    index_path: &Path,
    hash: gix::hash::Kind,
    threads: usize,
    wanted: impl Fn(Kind) -> bool,
    mut visit: V,
) -> Result<(), WalkError>
where
    V: FnMut(Kind, &[u8], ObjectId) + Send + Clone,
{
    let visit = move |kind, data: &[u8], id, _: Option<Derivation<'_, ()>>, _| {
        visit(kind, data, id);
        None
    };
    walk_pack_served(index_path, hash, threads, wanted, None, visit)
}

/// What [`walk_pack_served`] calls per object: with its kind, bytes and id; a [`Derivation`]
/// when a delta built it from a base the visitor returned a note `M` for; and whether deltas are
/// built on it (then a note it returns is kept for them, else dropped at once).
pub(crate) trait Visit<M>:
    FnMut(Kind, &[u8], ObjectId, Option<Derivation<'_, M>>, bool) -> Option<M>
{
}

impl<M, F> Visit<M> for F where
    F: FnMut(Kind, &[u8], ObjectId, Option<Derivation<'_, M>>, bool) -> Option<M>
{
}

/// [`walk_pack`], where `served` answers for blobs whose results are already known (the history
/// cache): it is asked once per blob entry, and a blob it answers `true` for is not visited and
/// not even inflated unless a delta that is still wanted is built on it. The visitor gets what
/// [`Visit`] says.
#[allow(
    clippy::disallowed_methods,
    reason = "pack files are read with positioned reads, by this module only"
)]
pub(crate) fn walk_pack_served<M, V>(
    index_path: &Path,
    hash: gix::hash::Kind,
    threads: usize,
    wanted: impl Fn(Kind) -> bool,
    served: Option<&(dyn Fn(ObjectId) -> bool + Sync)>,
    visit: V,
) -> Result<(), WalkError>
where
    V: Visit<M> + Send + Clone,
{
    let index =
        pack::index::File::at(index_path, hash).map_err(|e| WalkError::Index(e.to_string()))?;
    let pack_path = index_path.with_extension("pack");
    let pack = File::open(&pack_path).map_err(|e| WalkError::Io { offset: 0, source: e })?;
    let layout = Layout::read(&pack, &index)?.retain(&wanted);
    // The full layout is dropped: its pages go back before the walk's buffers grow.
    super::release_freed_memory();
    let roots: Vec<u32> = layout.roots.iter().map(|&(i, _)| i).collect();
    let shared = Shared {
        layout: &layout,
        index: &index,
        pack: &pack,
        roots: &roots,
        next: AtomicUsize::new(0),
        served,
    };
    let failed = AtomicBool::new(false);
    let error = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            let mut visit = visit.clone();
            let (shared, failed, error) = (&shared, &failed, &error);
            scope.spawn(move || {
                if let Err(e) = Walker::new(shared).run(failed, &mut visit) {
                    failed.store(true, Ordering::Relaxed);
                    error
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .get_or_insert(e);
                }
            });
        }
    });
    match error.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// What the walking threads share (all read-only but the root cursor).
struct Shared<'a> {
    layout: &'a Layout,
    index: &'a pack::index::File,
    pack: &'a File,
    roots: &'a [u32],
    next: AtomicUsize,
    /// Blobs whose results are known (see [`walk_pack_served`]).
    served: Option<&'a (dyn Fn(ObjectId) -> bool + Sync)>,
}

/// One thread's walk: takes delta trees from the shared list until none is left.
struct Walker<'a> {
    shared: &'a Shared<'a>,
    inflate: gix::zlib::Decompress,
    input: Vec<u8>,
    delta: Vec<u8>,
    /// The bytes of a leaf (an object no delta is built on): one buffer reused for every leaf, so
    /// most objects cost no allocation (a base must be owned: its children share it).
    leaf: Vec<u8>,
    /// The stretches the delta just applied copied from its base.
    copies: Vec<Copied>,
    /// With `served`: per entry, [`SERVED`] and [`NEEDED`] bits of the delta tree being walked.
    plan: Vec<u8>,
}

/// The entry's object is served (not visited).
const SERVED: u8 = 1;
/// The entry must be built: it is visited, or a delta that is visited is built on it.
const NEEDED: u8 = 2;

impl<'a> Walker<'a> {
    fn new(shared: &'a Shared<'a>) -> Walker<'a> {
        Walker {
            shared,
            inflate: gix::zlib::Decompress::new(),
            input: Vec::new(),
            delta: Vec::new(),
            leaf: Vec::new(),
            copies: Vec::new(),
            plan: Vec::new(),
        }
    }

    /// Marks every entry of the delta tree at `root` [`SERVED`] and/or [`NEEDED`]; false when
    /// nothing in it is needed.
    fn plan(&mut self, root: u32, served: &(dyn Fn(ObjectId) -> bool + Sync)) -> bool {
        let layout = self.shared.layout;
        if self.plan.len() != layout.entries.len() {
            self.plan = vec![0; layout.entries.len()];
        }
        let mut order = vec![root];
        let mut at = 0;
        while let Some(&node) = order.get(at) {
            order.extend_from_slice(layout.kids(node));
            at += 1;
        }
        for &node in order.iter().rev() {
            let id = self.shared.index.oid_at_index(layout.entries[node as usize].index);
            let own = if served(id.to_owned()) { SERVED } else { NEEDED };
            let kids = layout.kids(node).iter().any(|&k| self.plan[k as usize] & NEEDED != 0);
            self.plan[node as usize] = own | if kids { NEEDED } else { 0 };
        }
        self.plan[root as usize] & NEEDED != 0
    }

    fn run<M>(&mut self, failed: &AtomicBool, visit: &mut impl Visit<M>) -> Result<(), WalkError> {
        while !failed.load(Ordering::Relaxed) {
            let Some(&root) =
                self.shared.roots.get(self.shared.next.fetch_add(1, Ordering::Relaxed))
            else {
                break;
            };
            self.walk_tree(root, visit)?;
        }
        Ok(())
    }

    /// Depth first through one delta tree; a base is dropped once its last child is built.
    fn walk_tree<M>(&mut self, root: u32, visit: &mut impl Visit<M>) -> Result<(), WalkError> {
        let layout = self.shared.layout;
        let kind = layout.entries[root as usize].kind().unwrap_or(Kind::Blob);
        let pruned = match self.shared.served {
            Some(served) if kind == Kind::Blob => {
                if !self.plan(root, served) {
                    return Ok(());
                }
                true
            }
            _ => false,
        };
        let needed = |plan: &[u8], k: u32| !pruned || plan[k as usize] & NEEDED != 0;
        let mut stack: Vec<(u32, Option<Base<M>>)> = vec![(root, None)];
        let mut kids = Vec::new();
        while let Some((node, base)) = stack.pop() {
            kids.clear();
            kids.extend(layout.kids(node).iter().copied().filter(|&k| needed(&self.plan, k)));
            let mut bytes =
                if kids.is_empty() { std::mem::take(&mut self.leaf) } else { Vec::new() };
            let built = self.build(node, base.as_ref().map(|b| &*b.bytes), &mut bytes);
            let served = pruned && self.plan[node as usize] & SERVED != 0;
            let mut note = None;
            if built.is_ok() && !served {
                let id =
                    self.shared.index.oid_at_index(layout.entries[node as usize].index).to_owned();
                let derived = base
                    .as_ref()
                    .and_then(|b| b.note.as_deref())
                    .map(|note| Derivation { base: note, copies: &self.copies });
                note = visit(kind, &bytes, id, derived, !kids.is_empty()).map(Rc::new);
            }
            if kids.is_empty() {
                self.leaf = bytes;
            } else if built.is_ok() {
                let base = Base { bytes: Rc::new(bytes), note };
                stack.extend(kids.iter().rev().map(|&k| (k, Some(base.clone()))));
            }
            built?;
        }
        Ok(())
    }

    /// Builds entry `node` into `out`: inflated, or, with its `base`, inflated as a delta and
    /// applied to the base.
    fn build(
        &mut self,
        node: u32,
        base: Option<&Vec<u8>>,
        out: &mut Vec<u8>,
    ) -> Result<(), WalkError> {
        let Some(base) = base else {
            return self.inflate_entry(node, out);
        };
        let mut delta = std::mem::take(&mut self.delta);
        let inflated = self.inflate_entry(node, &mut delta);
        let result = inflated.and_then(|()| {
            apply_delta(base, &delta, out, &mut self.copies)
                .map_err(|m| corrupt(self.shared.layout.entries[node as usize].offset(), m))
        });
        self.delta = delta;
        result
    }

    /// Inflates entry `i` into `out`, reading the pack in [`READ_CHUNK`] pieces. `out` grows
    /// with what is actually inflated (doubling, up to the declared size), so a header that lies
    /// about the size costs at most twice what its data really holds.
    fn inflate_entry(&mut self, i: u32, out: &mut Vec<u8>) -> Result<(), WalkError> {
        let layout = self.shared.layout;
        let offset = layout.entries[i as usize].offset();
        let declared = layout.size(i);
        let (mut at, end) = layout.data_range(i);
        let compressed = end.saturating_sub(at);
        if declared > compressed.saturating_mul(MAX_DEFLATE_RATIO).saturating_add(64) {
            return Err(corrupt(
                offset,
                format!("declares {declared} bytes from {compressed} compressed"),
            ));
        }
        let size = usize::try_from(declared).map_err(|_| corrupt(offset, "too large"))?;
        let wrong_size =
            || corrupt(offset, format!("does not inflate to its declared {size} bytes"));
        out.clear();
        self.inflate.reset();
        let mut written = 0usize;
        loop {
            if written == out.len() && out.len() < size {
                let grown = out.len().saturating_mul(2).max(READ_CHUNK).min(size);
                out.try_reserve_exact(grown - out.len())
                    .map_err(|_| corrupt(offset, "too large for memory"))?;
                out.resize(grown, 0);
            }
            let want = usize::try_from(end - at).unwrap_or(READ_CHUNK).min(READ_CHUNK);
            self.input.resize(want, 0);
            read_exact_at(self.shared.pack, &mut self.input, at)?;
            let before = (self.inflate.total_in(), self.inflate.total_out());
            let status = self
                .inflate
                .decompress(&self.input, &mut out[written..], gix::zlib::FlushDecompress::None)
                .map_err(|e| corrupt(offset, format!("cannot inflate: {e}")))?;
            let consumed = self.inflate.total_in() - before.0;
            let produced =
                usize::try_from(self.inflate.total_out() - before.1).map_err(|_| wrong_size())?;
            at += consumed;
            written += produced;
            match status {
                gix::zlib::Status::StreamEnd if written == size => {
                    out.truncate(written);
                    return Ok(());
                }
                gix::zlib::Status::Ok | gix::zlib::Status::BufError
                    if consumed > 0 || produced > 0 => {}
                _ => return Err(wrong_size()),
            }
        }
    }
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> Result<(), WalkError> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
        .map_err(|source| WalkError::Io { offset, source })
}

#[cfg(windows)]
fn read_exact_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> Result<(), WalkError> {
    while !buf.is_empty() {
        match std::os::windows::fs::FileExt::seek_read(file, buf, offset) {
            Ok(0) => {
                return Err(WalkError::Io {
                    offset,
                    source: std::io::ErrorKind::UnexpectedEof.into(),
                });
            }
            Ok(n) => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
            Err(source) => return Err(WalkError::Io { offset, source }),
        }
    }
    Ok(())
}

/// A size in git's delta encoding: little-endian base-128, high bit = more bytes follow.
fn delta_size(data: &mut &[u8]) -> Result<usize, &'static str> {
    let mut size = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = data.split_first().ok_or("delta header truncated")?;
        *data = rest;
        size |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return usize::try_from(size).map_err(|_| "delta size too large");
        }
    }
    Err("delta header too long")
}

/// Builds an object from its base and a git delta (copy-from-base and insert instructions) into
/// `out` (cleared first; its capacity is reused), and records each copy instruction in `copies`
/// (cleared first).
pub(crate) fn apply_delta(
    base: &[u8],
    delta: &[u8],
    out: &mut Vec<u8>,
    copies: &mut Vec<Copied>,
) -> Result<(), &'static str> {
    copies.clear();
    let mut ops = delta;
    if delta_size(&mut ops)? != base.len() {
        return Err("delta base size does not match the base object");
    }
    let size = delta_size(&mut ops)?;
    out.clear();
    // The declared size is untrusted: reserve what copying all of the base and inserting all of
    // the delta could produce at most per instruction byte, and let the vector grow beyond that.
    out.try_reserve_exact(size.min(base.len().saturating_add(delta.len())))
        .map_err(|_| "delta result too large")?;
    while let Some((&op, rest)) = ops.split_first() {
        ops = rest;
        let piece = if op & 0x80 != 0 {
            let (from, piece) = copy_instruction(op, &mut ops, base)?;
            copies.push(Copied { to: out.len(), from, len: piece.len() });
            piece
        } else if op != 0 {
            let (literal, rest) =
                ops.split_at_checked(usize::from(op)).ok_or("delta insert truncated")?;
            ops = rest;
            literal
        } else {
            return Err("reserved delta instruction 0");
        };
        if out.len() + piece.len() > size {
            return Err("delta builds more than its declared size");
        }
        out.extend_from_slice(piece);
    }
    if out.len() == size { Ok(()) } else { Err("delta builds less than its declared size") }
}

/// A copy instruction: bits 0-3 say which offset bytes follow, bits 4-6 which size bytes.
fn copy_instruction<'b>(
    op: u8,
    ops: &mut &[u8],
    base: &'b [u8],
) -> Result<(usize, &'b [u8]), &'static str> {
    let mut field = |bits: u8, first: u8| -> Result<usize, &'static str> {
        let mut value = 0usize;
        for i in 0..bits {
            if op & (first << i) != 0 {
                let (&byte, rest) = ops.split_first().ok_or("delta copy truncated")?;
                *ops = rest;
                value |= usize::from(byte) << (8 * i);
            }
        }
        Ok(value)
    };
    let offset = field(4, 0x01)?;
    let size = match field(3, 0x10)? {
        0 => 0x10000,
        size => size,
    };
    let piece = base
        .get(offset..offset.saturating_add(size))
        .ok_or("delta copies from outside its base")?;
    Ok((offset, piece))
}

/// A base on the walk's stack: its bytes, and the note its visitor returned.
struct Base<M> {
    bytes: Rc<Vec<u8>>,
    note: Option<Rc<M>>,
}

impl<M> Clone for Base<M> {
    fn clone(&self) -> Self {
        Base { bytes: Rc::clone(&self.bytes), note: self.note.clone() }
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods, reason = "tests read the files they wrote")]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    #[test]
    fn delta_copies_and_inserts() {
        let base = b"0123456789abcdef";
        // base 16, result 9: copy 4 bytes from offset 2, insert "xyz", copy 2 bytes from 14.
        let delta = [16, 9, 0x91, 2, 4, 3, b'x', b'y', b'z', 0x91, 14, 2];
        let mut out = b"leftover from the previous object".to_vec();
        apply_delta(base, &delta, &mut out, &mut Vec::new()).unwrap();
        assert_eq!(out, b"2345xyzef", "the output buffer is cleared before it is reused");
    }

    #[test]
    fn delta_copy_size_zero_means_64k() {
        let base = vec![7u8; 0x10000];
        // base 65536 (varint 0x80 0x80 0x04), result 65536: copy with no offset or size bytes.
        let delta = [0x80, 0x80, 0x04, 0x80, 0x80, 0x04, 0x80];
        let mut out = Vec::new();
        apply_delta(&base, &delta, &mut out, &mut Vec::new()).unwrap();
        assert_eq!(out, base);
    }

    #[test]
    fn bad_deltas_are_errors_not_panics() {
        let base = b"abcd";
        let cases: [&[u8]; 7] = [
            &[],                    // no header
            &[5, 1, 1, b'x'],       // wrong base size
            &[4, 2, 1, b'x'],       // builds less than declared
            &[4, 1, 2, b'x', b'y'], // builds more than declared
            &[4, 1, 0],             // reserved instruction
            &[4, 4, 0x91, 3, 4],    // copy past the end of the base
            &[4, 3, 3, b'x'],       // insert truncated
        ];
        for delta in cases {
            assert!(
                apply_delta(base, delta, &mut Vec::new(), &mut Vec::new()).is_err(),
                "{delta:?}"
            );
        }
    }

    /// A repository whose one pack has delta chains (many versions of one file).
    fn packed_repo() -> tempfile::TempDir {
        packed_repo_with(|dir, round| {
            let mut text = String::new();
            for line in 0..=round {
                let _ = write!(text, "line {line}: ");
                text += &"lorem ipsum dolor sit amet ".repeat(line % 7 + 1);
                text += "\n";
            }
            std::fs::write(dir.join("notes.txt"), &text).unwrap();
            std::fs::write(dir.join(format!("f{}.txt", round % 5)), text.repeat(2)).unwrap();
        })
    }

    /// Two versions of a 3 MiB file that barely compresses: inflated in several reads.
    fn large_object_repo() -> tempfile::TempDir {
        packed_repo_with(|dir, round| {
            if round < 2 {
                let mut state = 0x2545_f491_4f6c_dd1d_u64;
                let mut text = String::with_capacity(3 << 20);
                while text.len() < 3 << 20 {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    let _ = write!(text, "{state:016x}");
                }
                let _ = write!(text, "\nversion {round}\n");
                std::fs::write(dir.join("large.txt"), text).unwrap();
            }
        })
    }

    fn packed_repo_with(mut write_round: impl FnMut(&Path, usize)) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let git = |args: &[&str]| {
            let status = std::process::Command::new("git")
                .args([
                    "-c",
                    "user.name=t",
                    "-c",
                    "user.email=t@example.com",
                    "-c",
                    "commit.gpgsign=false",
                ])
                .args(args)
                .current_dir(dir.path())
                .output()
                .unwrap();
            assert!(
                status.status.success(),
                "git {args:?}: {}",
                String::from_utf8_lossy(&status.stderr)
            );
        };
        git(&["init", "-q"]);
        for round in 0..40 {
            write_round(dir.path(), round);
            git(&["add", "-A"]);
            git(&["commit", "-q", "--allow-empty", "-m", &format!("round {round}")]);
        }
        git(&["gc", "-q", "--aggressive"]);
        dir
    }

    fn the_pack_index(repo: &Path) -> std::path::PathBuf {
        let packs = repo.join(".git/objects/pack");
        let mut found = std::fs::read_dir(packs).unwrap().map(|e| e.unwrap().path());
        found.find(|p| p.extension().is_some_and(|e| e == "idx")).unwrap()
    }

    #[test]
    fn every_object_of_a_pack_is_decoded_once_and_matches_gix() {
        assert_walk_matches_gix(&packed_repo(), 20);
    }

    #[test]
    fn large_objects_are_inflated_in_pieces_and_match_gix() {
        assert_walk_matches_gix(&large_object_repo(), 1);
    }

    fn assert_walk_matches_gix(dir: &tempfile::TempDir, min_deltas: usize) {
        let index = the_pack_index(dir.path());
        let seen = Mutex::new(Vec::new());
        let visit = |kind: Kind, data: &[u8], id: ObjectId| {
            seen.lock().unwrap().push((id, kind, data.to_vec()));
        };
        walk_pack(&index, gix::hash::Kind::Sha1, 2, |_| true, visit).unwrap();
        let mut seen = seen.into_inner().unwrap();
        seen.sort_by_key(|(id, _, _)| *id);
        let pack_index = pack::index::File::at(&index, gix::hash::Kind::Sha1).unwrap();
        assert_eq!(seen.len(), pack_index.num_objects() as usize, "each object once");
        seen.dedup_by_key(|(id, _, _)| *id);
        assert_eq!(seen.len(), pack_index.num_objects() as usize, "no object twice");
        let layout =
            Layout::read(&File::open(index.with_extension("pack")).unwrap(), &pack_index).unwrap();
        assert!(
            layout.entries.iter().filter(|e| e.kind().is_none()).count() >= min_deltas,
            "the pack has deltas"
        );
        let repo = gix::open(dir.path()).unwrap();
        for (id, kind, data) in &seen {
            let object = repo.find_object(*id).unwrap();
            assert_eq!(
                (object.kind, object.data.as_slice()),
                (*kind, data.as_slice()),
                "object {id}"
            );
        }
    }

    /// Each object a delta built comes with its base's note and copies that hold the base's
    /// bytes; an object no delta is built on is not asked to keep a note.
    #[test]
    fn a_delta_built_object_comes_with_its_base_note_and_copies() {
        let dir = packed_repo();
        let index = the_pack_index(dir.path());
        let counts = Mutex::new((0usize, 0usize, 0usize));
        let visit = |kind: Kind,
                     data: &[u8],
                     _: ObjectId,
                     derived: Option<Derivation<'_, Vec<u8>>>,
                     keep| {
            let mut counts = counts.lock().unwrap();
            if let Some(Derivation { base, copies }) = derived {
                counts.0 += 1;
                let mut at = 0;
                for copy in copies {
                    assert!(copy.to >= at, "copies in order");
                    assert_eq!(data[copy.to..][..copy.len], base[copy.from..][..copy.len]);
                    counts.1 += copy.len;
                    at = copy.to + copy.len;
                }
                assert!(at <= data.len());
            }
            counts.2 += usize::from(keep);
            (keep && kind == Kind::Blob).then(|| data.to_vec())
        };
        walk_pack_served(&index, gix::hash::Kind::Sha1, 2, |_| true, None, visit).unwrap();
        let (built, copied, kept) = counts.into_inner().unwrap();
        assert!(built >= 10 && copied > 1000, "{built} objects built, {copied} bytes copied");
        assert!(kept >= 5, "{kept} bases asked to keep a note");
    }

    #[test]
    fn a_damaged_pack_is_an_error_not_a_panic() {
        let dir = packed_repo();
        let index = the_pack_index(dir.path());
        let pack_path = index.with_extension("pack");
        let mut bytes = std::fs::read(&pack_path).unwrap();
        let middle = bytes.len() / 2;
        for b in &mut bytes[middle..middle + 64] {
            *b ^= 0x5a;
        }
        std::fs::write(&pack_path, &bytes).unwrap();
        assert!(walk_pack(&index, gix::hash::Kind::Sha1, 2, |_| true, |_, _, _| {}).is_err());
        std::fs::write(&pack_path, &bytes[..middle]).unwrap();
        assert!(walk_pack(&index, gix::hash::Kind::Sha1, 2, |_| true, |_, _, _| {}).is_err());
    }

    #[test]
    fn an_entry_keeps_offset_header_length_and_kind_in_one_word() {
        let far = OFFSET_MASK;
        for kind in [None, Some(Kind::Commit), Some(Kind::Tree), Some(Kind::Blob), Some(Kind::Tag)]
        {
            for (offset, header_len) in [(12, 2), (far, u8::MAX), (0, 0)] {
                let entry = Entry::new(offset, header_len, kind, 7);
                assert_eq!(entry.offset(), offset);
                assert_eq!(entry.header_len(), u64::from(header_len));
                assert_eq!(entry.kind(), kind);
                assert_eq!(entry.index, 7);
            }
        }
        assert_eq!(std::mem::size_of::<Entry>(), 16);
    }

    #[test]
    fn a_walk_of_one_kind_builds_every_object_of_that_kind() {
        let dir = packed_repo();
        let index = the_pack_index(dir.path());
        let repo = gix::open(dir.path()).unwrap();
        let pack_index = pack::index::File::at(&index, gix::hash::Kind::Sha1).unwrap();
        for wanted in [Kind::Tree, Kind::Blob, Kind::Commit] {
            let seen = Mutex::new(Vec::new());
            let visit = |kind: Kind, data: &[u8], id: ObjectId| {
                seen.lock().unwrap().push((id, kind, data.to_vec()));
            };
            walk_pack(&index, gix::hash::Kind::Sha1, 2, |k| k == wanted, visit).unwrap();
            let seen = seen.into_inner().unwrap();
            let expected = pack_index
                .iter()
                .filter(|e| repo.find_object(e.oid).unwrap().kind == wanted)
                .count();
            assert!(expected > 0, "the pack has {wanted} objects");
            assert_eq!(seen.len(), expected, "every {wanted} once");
            for (id, kind, data) in &seen {
                let object = repo.find_object(*id).unwrap();
                assert_eq!((object.kind, object.data.as_slice()), (*kind, data.as_slice()));
            }
        }
    }

    #[test]
    fn a_declared_size_over_4_gib_is_kept_apart() {
        let mut layout = Layout {
            entries: vec![Entry::new(12, 3, Some(Kind::Blob), 0); 2],
            end: 100,
            child_start: vec![0, 0, 0],
            children: Vec::new(),
            roots: vec![(0, 1), (1, 1)],
            large: HashMap::from([(1, 5 << 32)]),
            ends: Vec::new(),
        };
        layout.entries[0].size = 9;
        layout.entries[1].size = LARGE;
        assert_eq!((layout.size(0), layout.size(1)), (9, 5 << 32));
        let kept = layout.retain(|_| true);
        assert_eq!((kept.size(0), kept.size(1)), (9, 5 << 32));
    }

    #[test]
    fn child_lists_group_children_by_parent() {
        let (start, children) = child_lists(&[u32::MAX, 0, 0, 1, u32::MAX]);
        assert_eq!(start, [0, 2, 3, 3, 3, 3]);
        assert_eq!(children, [1, 2, 3]);
    }
}
