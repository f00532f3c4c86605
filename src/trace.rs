//! `leakhound trace`: the exposure timeline of one secret across a whole repository.
//!
//! Two passes, both over the object database with gix (no `git` subprocess):
//!
//! 1. **Where it is.** The secret becomes a one-rule [`RuleSet`] (its literal text, every other
//!    character escaped) and the history scan runs with it, so everything a scan reads is read
//!    here too: every object, reachable or not, under every decoding layer the matcher knows
//!    (base64, JSON strings, percent-encoding, UTF-16). Its findings give each (path, blob) that
//!    holds the secret, the commit that introduced it, author, date, reachability and refs.
//! 2. **Where it went.** For every ref (branches, tags, remote-tracking refs, a detached HEAD) the
//!    tip's tree is checked for those blobs, and when the tip no longer holds it the ref's
//!    first-parent history is walked back to the commit that removed it. Trees are checked once
//!    each (memoised by id), so walks that share history cost little.
//!
//! Limits, stated in the report: a ref "reaches" the secret when its tip holds it, its
//! first-parent history held it, or provenance listed it for an introducing commit (at most
//! [`crate::finding::MAX_REFS_LISTED`] refs per commit); a first-parent walk stops after
//! [`WALK_LIMIT`] commits and a tree deeper than [`MAX_DEPTH`] is not examined, each with a notice.
//! The secret itself never leaves this module: [`Timeline`] holds only where it is, never its text.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use gix::ObjectId;
use serde::Serialize;

use crate::config::{GitMode, ReadConfig};
use crate::finding::{CommitInfo, Secret};
use crate::matcher::Matcher;
use crate::outcome::{Notice, NoticeKind, NoticeLevel, Subject};
use crate::rules::{RuleSet, RuleSource};
use crate::source::git::{self, GitScan};

/// First-parent commits walked per ref at most.
pub(crate) const WALK_LIMIT: usize = 200_000;
/// Deepest tree nesting examined.
pub(crate) const MAX_DEPTH: usize = 256;
/// The id of the one rule a trace runs.
pub(crate) const TRACE_RULE: &str = "trace.secret";

/// What to trace in.
#[derive(Debug, Clone)]
pub(crate) struct TraceConfig {
    /// The repository.
    pub repo: PathBuf,
    /// Follow `.git` files and alternates that point outside the repository.
    pub allow_external_objects: bool,
    /// Worker threads for the object pass.
    pub threads: usize,
}

/// Why a trace could not run.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TraceError {
    /// The secret is empty or not UTF-8 text.
    #[error("the secret to trace must be non-empty UTF-8 text")]
    BadSecret,
    /// The literal rule did not compile (a secret too long for the regex engine).
    #[error("cannot build a matcher for the secret: {0}")]
    Rule(String),
    /// The repository could not be opened or scanned.
    #[error(transparent)]
    Git(#[from] git::GitError),
}

/// One (path, blob) that holds the secret.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Occurrence {
    /// Path in the tree.
    pub path: String,
    /// The blob.
    pub blob: String,
    /// Line and column of the first match in the blob.
    pub line: u64,
    /// Column of the first match.
    pub column: u64,
    /// The decoding layers it sat under (`base64`, ...), when not written as itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decoded: Option<String>,
    /// `reachable` or `unreachable`.
    pub state: &'static str,
    /// The commit that introduced this blob at this path (earliest), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<CommitInfo>,
}

/// What kind of ref.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum RefKind {
    /// `refs/heads/*`.
    Branch,
    /// `refs/tags/*`: a release.
    Tag,
    /// `refs/remotes/*`: what was pushed to or fetched from a remote.
    Remote,
    /// `HEAD`, `refs/stash`, notes and the rest.
    Other,
}

impl RefKind {
    fn of(name: &str) -> RefKind {
        if name.starts_with("refs/heads/") {
            RefKind::Branch
        } else if name.starts_with("refs/tags/") {
            RefKind::Tag
        } else if name.starts_with("refs/remotes/") {
            RefKind::Remote
        } else {
            RefKind::Other
        }
    }
}

/// A commit, briefly.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CommitRef {
    /// Full id.
    pub id: String,
    /// Author name.
    pub author: String,
    /// Author email.
    pub email: String,
    /// Author date, RFC 3339 UTC.
    pub date: String,
}

/// What one ref says about the secret.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RefExposure {
    /// Full ref name (`HEAD` for a detached head).
    pub name: String,
    /// Branch, tag, remote or other.
    pub kind: RefKind,
    /// Whether the ref's history holds the secret (see the module doc for how this is known).
    pub reached: bool,
    /// Whether the ref's tip still holds it.
    pub at_tip: bool,
    /// The first-parent commit that removed it, when the tip no longer holds it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_by: Option<CommitRef>,
}

/// The exposure timeline of one secret.
#[derive(Debug, Serialize)]
pub(crate) struct Timeline {
    /// Every (path, blob) holding it, oldest introducing commit first.
    pub occurrences: Vec<Occurrence>,
    /// Every ref, with what it says about the secret.
    pub refs: Vec<RefExposure>,
    /// The branch `HEAD` names (`None` when detached or unborn).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_branch: Option<String>,
    /// Whether `HEAD`'s tree holds it.
    pub at_head: bool,
    /// What could not be read or examined: the timeline may be incomplete.
    #[serde(skip)]
    pub notices: Vec<Notice>,
}

impl Timeline {
    /// The earliest occurrence with a commit.
    pub(crate) fn first(&self) -> Option<&Occurrence> {
        self.occurrences.iter().find(|o| o.commit.is_some())
    }

    /// Distinct `name <email>` of the introducing commits, sorted.
    pub(crate) fn authors(&self) -> Vec<String> {
        let set: BTreeSet<String> = self
            .occurrences
            .iter()
            .filter_map(|o| o.commit.as_ref())
            .map(|c| format!("{} <{}>", c.author, c.email))
            .collect();
        set.into_iter().collect()
    }

    /// Whether it survives only in objects no ref reaches.
    pub(crate) fn unreachable_only(&self) -> bool {
        !self.occurrences.is_empty() && self.occurrences.iter().all(|o| o.state != "reachable")
    }

    /// Whether any error notice says part of the repository was not examined.
    pub(crate) fn incomplete(&self) -> bool {
        self.notices.iter().any(|n| n.level == NoticeLevel::Error)
    }
}

/// The regex source that matches exactly `secret`: ASCII letters and digits as themselves,
/// every other character as `\x{...}`.
fn literal_pattern(secret: &str) -> String {
    let mut pattern = String::from("(?P<secret>");
    for c in secret.chars() {
        if c.is_ascii_alphanumeric() {
            pattern.push(c);
        } else {
            let _ = write!(pattern, "\\x{{{:x}}}", c as u32);
        }
    }
    pattern.push(')');
    pattern
}

/// The one-rule YAML for `secret`: its longest alphanumeric run (at most 64 characters) is the
/// prefilter keyword; without a run of 4 the rule runs on every blob.
fn literal_rule(secret: &str) -> String {
    let keyword = secret
        .split(|c: char| !c.is_ascii_alphanumeric())
        .max_by_key(|run| run.len())
        .map(|run| &run[..run.len().min(64)])
        .filter(|run| run.len() >= 4);
    let prefilter = match keyword {
        Some(k) => format!("keywords: ['{k}']"),
        None => "prefilter: none".to_string(),
    };
    format!(
        "rules:\n  - id: {TRACE_RULE}\n    name: Traced secret\n    provider: trace\n    kind: generic\n    \
         {prefilter}\n    pattern: '{}'\n    confidence: high\n    severity: high\n",
        literal_pattern(secret)
    )
}

/// Traces `secret` through the repository.
pub(crate) fn trace(config: &TraceConfig, secret: &Secret) -> Result<Timeline, TraceError> {
    let text = std::str::from_utf8(secret.expose()).map_err(|_| TraceError::BadSecret)?;
    if text.is_empty() {
        return Err(TraceError::BadSecret);
    }
    let source = RuleSource { origin: "<trace>".into(), text: literal_rule(text) };
    let rules = RuleSet::compile(&[source]).map_err(|e| TraceError::Rule(e.to_string()))?;
    let matcher = Matcher::new(Arc::new(rules));
    // Binary blobs too: a secret is worth finding wherever it sits.
    let read = ReadConfig { scan_binary: true, threads: config.threads, ..ReadConfig::default() };
    let scan = GitScan {
        repo: &config.repo,
        mode: &GitMode::History,
        allow_external_objects: config.allow_external_objects,
        allow_missing_objects: false,
        read: &read,
        observer: None,
        cache: &crate::config::GitCache::Off,
        shard: None,
    };
    let outcome = git::scan(&scan, &matcher)?;
    let occurrences = occurrences(&outcome.findings, secret);
    let mut notices = outcome.notices;
    let repo = git::open::open(&config.repo, config.allow_external_objects)
        .map_err(git::GitError::from)?;
    let repo = repo.repo.to_thread_local();
    let blobs: HashSet<ObjectId> =
        occurrences.iter().filter_map(|o| ObjectId::from_hex(o.blob.as_bytes()).ok()).collect();
    let mut walker = Walker { repo: &repo, blobs, trees: HashMap::new(), notices: Vec::new() };
    let (refs, default_branch, at_head) = walker.refs(&occurrences);
    notices.append(&mut walker.notices);
    Ok(Timeline { occurrences, refs, default_branch, at_head, notices })
}

/// The trace rule's locations, oldest commit first (unknown dates last), for this exact secret.
fn occurrences(findings: &[crate::finding::Finding], secret: &Secret) -> Vec<Occurrence> {
    let mut out: Vec<Occurrence> = findings
        .iter()
        .filter(|f| f.secret == *secret)
        .flat_map(|f| &f.locations)
        .filter_map(|l| {
            let git = l.git.as_deref()?;
            Some(Occurrence {
                path: l.path.clone(),
                blob: git.blob.clone(),
                line: l.position.line,
                column: l.position.column,
                decoded: l.decoded.map(crate::matcher::decode::Layers::describe),
                state: git.state.as_str(),
                commit: git.commit.clone(),
            })
        })
        .collect();
    out.sort_by(|a, b| {
        let key = |o: &Occurrence| o.commit.as_ref().map_or_else(|| "~".into(), |c| c.date.clone());
        (key(a), &a.path, &a.blob).cmp(&(key(b), &b.path, &b.blob))
    });
    out.dedup_by(|a, b| a.path == b.path && a.blob == b.blob);
    out
}

/// Checks trees for the secret's blobs and walks refs back to where they dropped it.
struct Walker<'r> {
    repo: &'r gix::Repository,
    blobs: HashSet<ObjectId>,
    /// Tree id -> whether it (recursively) holds one of `blobs`.
    trees: HashMap<ObjectId, bool>,
    notices: Vec<Notice>,
}

impl Walker<'_> {
    fn error(&mut self, kind: NoticeKind, subject: Subject, message: String) {
        self.notices.push(Notice::new(kind, subject, message));
    }

    /// Every ref's exposure, the default branch and whether HEAD holds the secret.
    fn refs(&mut self, occurrences: &[Occurrence]) -> (Vec<RefExposure>, Option<String>, bool) {
        let listed: HashSet<&str> = occurrences
            .iter()
            .filter_map(|o| o.commit.as_ref())
            .flat_map(|c| c.refs.iter().map(String::as_str))
            .collect();
        let mut out = Vec::new();
        for (name, tip) in self.tips() {
            let exposure = self.exposure(&name, tip, listed.contains(name.as_str()));
            out.push(exposure);
        }
        out.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
        let head = self.repo.head().ok();
        let default_branch =
            head.as_ref().and_then(|h| h.referent_name()).map(|n| n.as_bstr().to_string());
        let head_tip = head.and_then(|h| h.id()).map(gix::Id::detach);
        let at_head = head_tip.is_some_and(|id| self.commit_holds(id).unwrap_or(false));
        (out, default_branch, at_head)
    }

    /// Every ref peeled to a commit (refs to trees or blobs are skipped), and a detached HEAD.
    fn tips(&mut self) -> Vec<(String, ObjectId)> {
        let mut tips = Vec::new();
        let all = match self.repo.references() {
            Ok(platform) => match platform.all() {
                Ok(all) => all.filter_map(Result::ok).collect::<Vec<_>>(),
                Err(e) => return self.no_refs(&e),
            },
            Err(e) => return self.no_refs(&e),
        };
        for mut reference in all {
            let name = reference.name().as_bstr().to_string();
            match reference.peel_to_id() {
                Ok(id) => tips.push((name, id.detach())),
                Err(e) => {
                    self.error(
                        NoticeKind::Unreadable,
                        Subject::Ref(name),
                        format!("cannot resolve the ref: {e}"),
                    );
                }
            }
        }
        if let Ok(head) = self.repo.head()
            && head.referent_name().is_none()
            && let Some(id) = head.id()
        {
            tips.push(("HEAD".into(), id.detach()));
        }
        tips
    }

    fn no_refs(&mut self, e: &dyn std::fmt::Display) -> Vec<(String, ObjectId)> {
        self.error(NoticeKind::Unreadable, Subject::Scan, format!("cannot read refs: {e}"));
        Vec::new()
    }

    fn exposure(&mut self, name: &str, tip: ObjectId, listed: bool) -> RefExposure {
        let kind = RefKind::of(name);
        let at_tip = self.commit_holds(tip).unwrap_or(false);
        let removed_by = if at_tip { None } else { self.removal(name, tip) };
        RefExposure {
            name: name.to_string(),
            kind,
            reached: at_tip || removed_by.is_some() || listed,
            at_tip,
            removed_by,
        }
    }

    /// Walks first parents from `tip` to the newest commit that holds the secret; its child on
    /// the walk removed it.
    fn removal(&mut self, name: &str, tip: ObjectId) -> Option<CommitRef> {
        let mut child: Option<ObjectId> = None;
        let mut current = tip;
        for _ in 0..WALK_LIMIT {
            if self.commit_holds(current)? {
                return child.and_then(|id| self.commit_ref(id));
            }
            child = Some(current);
            current = self.first_parent(current)?;
        }
        let message = format!("stopped after {WALK_LIMIT} first-parent commits");
        self.error(NoticeKind::BudgetExhausted, Subject::Ref(name.to_string()), message);
        None
    }

    fn first_parent(&mut self, id: ObjectId) -> Option<ObjectId> {
        let commit = self.repo.find_commit(id).ok()?;
        commit.parent_ids().next().map(gix::Id::detach)
    }

    fn commit_ref(&self, id: ObjectId) -> Option<CommitRef> {
        let commit = self.repo.find_commit(id).ok()?;
        let author = commit.author().ok()?;
        let seconds = author.time().map_or(0, |t| t.seconds);
        Some(CommitRef {
            id: id.to_string(),
            author: author.name.to_string(),
            email: author.email.to_string(),
            date: crate::date::rfc3339(seconds),
        })
    }

    /// Whether the commit's tree holds the secret; `None` when `id` is not a readable commit.
    fn commit_holds(&mut self, id: ObjectId) -> Option<bool> {
        let tree = match self.repo.find_commit(id).map(|c| c.tree_id()) {
            Ok(Ok(tree)) => tree.detach(),
            Ok(Err(e)) => {
                self.error(NoticeKind::Unreadable, Subject::Commit(id.to_string()), e.to_string());
                return None;
            }
            Err(_) => return None, // a tag to a tree or blob, or a shallow boundary
        };
        Some(self.tree_holds(tree, 0))
    }

    fn tree_holds(&mut self, id: ObjectId, depth: usize) -> bool {
        if let Some(&known) = self.trees.get(&id) {
            return known;
        }
        if depth > MAX_DEPTH {
            let message = format!("nested deeper than {MAX_DEPTH}, not examined");
            self.error(
                NoticeKind::BudgetExhausted,
                Subject::Object { id: id.to_string(), path: None },
                message,
            );
            return false;
        }
        let entries: Vec<(bool, ObjectId)> = match self.repo.find_tree(id) {
            Ok(tree) => match tree.decode() {
                Ok(decoded) => {
                    decoded.entries.iter().map(|e| (e.mode.is_tree(), e.oid.to_owned())).collect()
                }
                Err(e) => {
                    let subject = Subject::Object { id: id.to_string(), path: None };
                    self.error(NoticeKind::Unreadable, subject, format!("corrupt tree: {e}"));
                    Vec::new()
                }
            },
            Err(e) => {
                let subject = Subject::Object { id: id.to_string(), path: None };
                self.error(NoticeKind::MissingObject, subject, e.to_string());
                Vec::new()
            }
        };
        let holds = entries.into_iter().any(|(is_tree, oid)| {
            if is_tree { self.tree_holds(oid, depth + 1) } else { self.blobs.contains(&oid) }
        });
        self.trees.insert(id, holds);
        holds
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_literal_pattern_matches_only_the_secret() {
        let secret = "a.b+c'\"\n$x\u{e9}";
        let regex = regex::Regex::new(&literal_pattern(secret)).unwrap();
        assert!(regex.is_match(secret));
        assert!(!regex.is_match("aXb+c'\"\n$x\u{e9}"));
        assert_eq!(&regex.captures(&format!("zz{secret}zz")).unwrap()["secret"], secret);
    }

    #[test]
    fn the_literal_rule_compiles_with_its_longest_run_as_keyword() {
        let yaml = literal_rule("ab-CDEFGH12-x'y");
        assert!(yaml.contains("keywords: ['CDEFGH12']"), "{yaml}");
        RuleSet::compile(&[RuleSource { origin: "t".into(), text: yaml }]).unwrap();
        assert!(literal_rule("a-b-c").contains("prefilter: none"));
    }
}
