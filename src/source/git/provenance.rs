//! Phase 2 of a history scan: where and when each blob with findings entered the history.
//!
//! Runs only when phase 1 found something. A [`TreeIndex`] of the packs' trees (subtrees and
//! blobs with findings only) lets every commit in the database, reachable or not, be compared
//! with its parents in memory; each (path, blob with findings) it introduces is a candidate (a
//! rescan with a snapshot has the covered commits' candidates already and reads only the trees
//! of new commits). Per (blob, path) the best candidate wins: a commit
//! reachable from a ref over an unreachable one, then the earliest author date, then the smaller
//! id (so the result is deterministic). A parent missing from the database (a shallow clone's
//! boundary) counts as absent, so the boundary commit introduces what it holds. Author, date and
//! the refs that reach the winning commit are looked up only for winners.

use std::collections::{HashMap, HashSet};

use gix::ObjectId;

use super::odb::{Commit, Commits};

use super::objects::Inventory;
use super::snapshot::Introduction;
use super::treeindex::TreeIndex;
use crate::finding::{CommitInfo, GitOrigin, MAX_REFS_LISTED, OriginState};

/// A ref name and the commit it points to (tags peeled).
#[derive(Debug, Clone)]
pub(crate) struct RefTip {
    pub(crate) name: String,
    pub(crate) commit: ObjectId,
}

/// Every ref (branches, tags, remotes, stash, notes) and a detached HEAD, peeled to commits
/// through the tags and commits phase 1 read (no object is read again).
pub(crate) fn ref_tips(
    repo: &gix::Repository,
    inventory: &Inventory,
) -> (Vec<RefTip>, Vec<String>) {
    let mut tips = Vec::new();
    let mut errors = Vec::new();
    let platform = match repo.references() {
        Ok(platform) => platform,
        Err(e) => return (tips, vec![format!("cannot read refs: {e}")]),
    };
    match platform.all() {
        Ok(all) => {
            for reference in all {
                match reference {
                    Ok(r) => {
                        let name = r.name().as_bstr().to_string();
                        // Refs to trees or blobs have no history to attribute; skip them.
                        if let Some(commit) =
                            ref_target(r).and_then(|id| peel_to_commit(inventory, id))
                        {
                            tips.push(RefTip { name, commit });
                        }
                    }
                    Err(e) => errors.push(format!("cannot read a ref: {e}")),
                }
            }
        }
        Err(e) => errors.push(format!("cannot read refs: {e}")),
    }
    if let Ok(head) = repo.head()
        && head.referent_name().is_none()
        && let Some(id) = head.id()
    {
        tips.push(RefTip { name: "HEAD".into(), commit: id.detach() });
    }
    tips.sort_by(|a, b| a.name.cmp(&b.name));
    (tips, errors)
}

/// The object a ref points to, following symbolic refs.
fn ref_target(mut reference: gix::Reference<'_>) -> Option<ObjectId> {
    for _ in 0..8 {
        if let Some(id) = reference.target().try_id() {
            return Some(id.to_owned());
        }
        reference = reference.follow()?.ok()?;
    }
    None
}

/// Follows annotated tags to a commit of the database.
fn peel_to_commit(inventory: &Inventory, mut id: ObjectId) -> Option<ObjectId> {
    for _ in 0..64 {
        if inventory.commits.contains_key(&id) {
            return Some(id);
        }
        id = *inventory.tags.get(&id)?;
    }
    None
}

/// Which refs reach each commit that won an introduction.
///
/// The winners' bits are propagated once from parents to children (Kahn's algorithm over the
/// graph, one bit per winner, so the work is commits x winners / 64 words, not commits x refs);
/// a ref reaches a winner when the winner's bit arrives at the ref's tip. The refs are those
/// whose sets would fit in [`REF_BITS_LIMIT`] bits for every commit; past that, only branch-like
/// refs (not tags) are tracked, and the report says so through `refs_total`.
struct Graph {
    /// Per winner: the indexes (into the ref list) of the tracked refs reaching it, ascending.
    reaching: HashMap<ObjectId, Vec<usize>>,
}

/// At most this many bits of ref sets (128 MiB) in the model of one set per commit.
const REF_BITS_LIMIT: usize = 1 << 30;

/// Every commit reachable from a ref.
fn reachable_commits(commits: &Commits, refs: &[RefTip]) -> gix::hashtable::HashSet {
    let mut reachable = gix::hashtable::HashSet::default();
    let mut queue: Vec<ObjectId> = refs.iter().map(|r| r.commit).collect();
    while let Some(id) = queue.pop() {
        if reachable.insert(id)
            && let Some(node) = commits.get(&id)
        {
            queue.extend(node.parents());
        }
    }
    reachable
}

impl Graph {
    fn new(commits: &Commits, refs: &[RefTip], winners: &HashSet<ObjectId>) -> Graph {
        let tracked: Vec<usize> = if commits.len().saturating_mul(refs.len()) <= REF_BITS_LIMIT {
            (0..refs.len()).collect()
        } else {
            (0..refs.len()).filter(|&i| !refs[i].name.starts_with("refs/tags/")).collect()
        };
        // Commits are numbered by their row in the commit table (`Commits::iter` goes in row
        // order), which is already the table from ids to numbers: this runs at the peak of a
        // scan's memory.
        let len = commits.len();
        let Ok(count) = u32::try_from(len) else {
            return Graph { reaching: HashMap::new() };
        };
        let at = |id: &ObjectId| commits.row(id);
        let mut order: Vec<ObjectId> = winners.iter().copied().collect();
        order.sort();
        let words = order.len().div_ceil(64).max(1);
        let mut bits = vec![0u64; len * words];
        for (bit, winner) in order.iter().enumerate() {
            if let Some(i) = at(winner) {
                bits[i * words + bit / 64] |= 1 << (bit % 64);
            }
        }
        // Children of each commit (compressed rows) and how many present parents each has.
        let mut pending = vec![0u32; len];
        let mut start = vec![0u32; len + 1];
        for (c, (_, node)) in commits.iter().enumerate() {
            for parent in node.parents() {
                if let Some(p) = at(&parent) {
                    start[p + 1] += 1;
                    pending[c] += 1;
                }
            }
        }
        for i in 0..len {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut children = vec![0u32; start[len] as usize];
        for (c, (_, node)) in (0..count).zip(commits.iter()) {
            for parent in node.parents() {
                if let Some(p) = at(&parent) {
                    children[fill[p] as usize] = c;
                    fill[p] += 1;
                }
            }
        }
        drop(fill);
        let mut ready: Vec<u32> = (0..count).filter(|&i| pending[i as usize] == 0).collect();
        while let Some(p) = ready.pop() {
            let p = p as usize;
            for &c in &children[start[p] as usize..start[p + 1] as usize] {
                let c = c as usize;
                for w in 0..words {
                    let from = bits[p * words + w];
                    bits[c * words + w] |= from;
                }
                pending[c] -= 1;
                if pending[c] == 0 {
                    ready.push(c as u32);
                }
            }
        }
        let mut reaching: HashMap<ObjectId, Vec<usize>> = HashMap::new();
        for &r in &tracked {
            let Some(tip) = at(&refs[r].commit) else { continue };
            let row = &bits[tip * words..(tip + 1) * words];
            for (bit, winner) in order.iter().enumerate() {
                if row[bit / 64] & (1 << (bit % 64)) != 0 {
                    reaching.entry(*winner).or_default().push(r);
                }
            }
        }
        Graph { reaching }
    }

    /// Indexes (into the ref list) of the refs reaching `commit`, a winner.
    fn refs_reaching(&self, commit: ObjectId) -> Vec<usize> {
        self.reaching.get(&commit).cloned().unwrap_or_default()
    }
}

fn present_parents(commits: &Commits, node: Commit<'_>) -> Vec<ObjectId> {
    node.parents().filter(|p| commits.contains_key(p)).collect()
}

/// A candidate introduction: (unreachable?, author time, commit).
type Candidate = (bool, i64, ObjectId);

/// The provenance of every (blob, path) with findings: `blob -> [(path, origin)]`, from every
/// introduction (path, blob, commit) found. Per (path, blob) the best introduction wins: a commit
/// reachable from a ref over an unreachable one, then the earliest author date, then the
/// smaller id. Blobs that no commit introduces (dangling blobs) get no entry.
pub(crate) fn attribute(
    repo: &gix::Repository,
    inventory: &Inventory,
    refs: &[RefTip],
    introductions: &[Introduction],
) -> HashMap<ObjectId, Vec<(String, GitOrigin)>> {
    let t0 = std::time::Instant::now();
    let commits = &inventory.commits;
    let reachable = reachable_commits(commits, refs);
    let mut best: HashMap<(&str, ObjectId), Candidate> = HashMap::new();
    for (path, blob, commit) in introductions {
        let Some(node) = commits.get(commit) else { continue };
        let candidate = (!reachable.contains(commit), node.time(), *commit);
        best.entry((path.as_str(), *blob))
            .and_modify(|c| *c = (*c).min(candidate))
            .or_insert(candidate);
    }
    drop(reachable);
    super::timing("phase 2: introductions compared", t0);
    let winners: HashSet<ObjectId> = best.values().map(|(_, _, commit)| *commit).collect();
    let graph = Graph::new(commits, refs, &winners);
    super::timing("phase 2: ref sets", t0);
    let mut infos: HashMap<ObjectId, CommitInfo> = HashMap::new();
    let mut out: HashMap<ObjectId, Vec<(String, GitOrigin)>> = HashMap::new();
    for ((path, blob), (unreachable, _, commit)) in best {
        let info = infos
            .entry(commit)
            .or_insert_with(|| commit_info(repo, inventory, &graph, refs, commit))
            .clone();
        let state = if unreachable { OriginState::Unreachable } else { OriginState::Reachable };
        let origin = GitOrigin { blob: blob.to_string(), state, commit: Some(info) };
        out.entry(blob).or_default().push((path.to_string(), origin));
    }
    out
}

/// Every introduction of a blob with findings by every commit: (path, blob, commit) where the
/// commit's tree has the blob at the path and none of its parents' trees does, in memory.
pub(crate) fn introductions(commits: &Commits, trees: &mut TreeIndex) -> Vec<Introduction> {
    let mut all = Vec::new();
    let mut found = Vec::new();
    for (id, node) in commits.iter() {
        let Some(tree) = trees.id(&node.tree()) else { continue };
        if !trees.holds(tree) {
            continue;
        }
        let parents: Vec<u32> = present_parents(commits, node)
            .iter()
            .filter_map(|p| commits.get(p).and_then(|n| trees.id(&n.tree())))
            .collect();
        found.clear();
        trees.introduced(tree, &parents, &mut found);
        all.extend(found.drain(..).map(|(path, blob)| (path, blob, id)));
    }
    all
}

/// [`introductions`] for the commits of `only`, reading their trees (and their parents') by id:
/// for the few commits a snapshot does not cover, where building the index of every tree would
/// cost more than the scan. Subtrees equal to a parent's are not read.
pub(crate) fn introductions_read(
    repo: &gix::Repository,
    commits: &Commits,
    only: &HashSet<ObjectId>,
    blobs: &HashSet<ObjectId>,
) -> Vec<Introduction> {
    let mut trees = TreeReader { repo, read: HashMap::new() };
    let mut all = Vec::new();
    let mut ids: Vec<&ObjectId> = only.iter().collect();
    ids.sort();
    for id in ids {
        let Some(node) = commits.get(id) else { continue };
        let parents: Vec<ObjectId> = present_parents(commits, node)
            .iter()
            .filter_map(|p| commits.get(p).map(Commit::tree))
            .collect();
        let mut stack = vec![(node.tree(), parents, String::new(), 0usize)];
        while let Some((tree, parents, prefix, depth)) = stack.pop() {
            if depth > super::odb::MAX_DEPTH || parents.contains(&tree) {
                continue;
            }
            let Some(entries) = trees.kept(tree, blobs) else { continue };
            let parent_entries: Vec<std::rc::Rc<Vec<Kept>>> =
                parents.iter().filter_map(|p| trees.kept(*p, blobs)).collect();
            for child in entries.iter() {
                let same_name: Vec<&Kept> = parent_entries
                    .iter()
                    .filter_map(|kids| kids.iter().find(|c| c.name == child.name))
                    .collect();
                let path = format!("{prefix}{}", child.name);
                if child.is_tree {
                    let subtrees = same_name.iter().filter(|c| c.is_tree).map(|c| c.id).collect();
                    stack.push((child.id, subtrees, format!("{path}/"), depth + 1));
                } else if !same_name.iter().any(|c| c.id == child.id) {
                    all.push((path, child.id, *id));
                }
            }
        }
    }
    all
}

/// A tree entry that matters to provenance: a subtree or a blob with findings.
#[derive(Debug)]
struct Kept {
    name: String,
    id: ObjectId,
    is_tree: bool,
}

/// Trees read by id, each once, as their kept entries.
struct TreeReader<'a> {
    repo: &'a gix::Repository,
    read: HashMap<ObjectId, Option<std::rc::Rc<Vec<Kept>>>>,
}

impl TreeReader<'_> {
    fn kept(
        &mut self,
        tree: ObjectId,
        blobs: &HashSet<ObjectId>,
    ) -> Option<std::rc::Rc<Vec<Kept>>> {
        let repo = self.repo;
        self.read
            .entry(tree)
            .or_insert_with(|| {
                let object = repo.find_object(tree).ok()?;
                if object.kind != gix::object::Kind::Tree {
                    return None;
                }
                let entries = gix::objs::TreeRefIter::from_bytes(&object.data, tree.kind())
                    .filter_map(Result::ok)
                    .filter(|e| {
                        e.mode.is_tree() || (e.mode.is_blob_or_symlink() && blobs.contains(e.oid))
                    })
                    .map(|e| Kept {
                        name: String::from_utf8_lossy(e.filename).into_owned(),
                        id: e.oid.to_owned(),
                        is_tree: e.mode.is_tree(),
                    })
                    .collect();
                Some(std::rc::Rc::new(entries))
            })
            .clone()
    }
}

fn commit_info(
    repo: &gix::Repository,
    inventory: &Inventory,
    graph: &Graph,
    refs: &[RefTip],
    id: ObjectId,
) -> CommitInfo {
    let recorded = inventory.commits.get(&id).and_then(|node| {
        let (name, email) = inventory.authors.get(node.author())?;
        Some((name.clone(), email.clone(), node.time()))
    });
    // Commits from a history snapshot carry no author: read them.
    let (author, email, seconds) = recorded
        .or_else(|| {
            let commit = repo.find_commit(id).ok()?;
            let a = commit.author().ok()?;
            Some((a.name.to_string(), a.email.to_string(), a.time().map_or(0, |t| t.seconds)))
        })
        .unwrap_or_default();
    let reaching = graph.refs_reaching(id);
    CommitInfo {
        id: id.to_string(),
        author,
        email,
        date: crate::date::rfc3339(seconds),
        refs: reaching.iter().take(MAX_REFS_LISTED).map(|&i| refs[i].name.clone()).collect(),
        refs_total: reaching.len(),
    }
}
