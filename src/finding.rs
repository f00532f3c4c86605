//! Findings: one per (rule, secret), with every location (DESIGN.md §4).
//!
//! The [`Collector`] is the single owner of deduplication and ordering: workers send it located
//! matches, it groups them, and [`Collector::finish`] returns findings in a deterministic order
//! (by first location, then rule id) whatever the thread count or walk order.
//!
//! A [`Secret`] never prints itself: `Debug` is redacted and there is no `Display`, so a secret
//! cannot reach a log or an error message by accident. Reports call [`Secret::redacted`] unless
//! the user asked for `--show-secrets`.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use crate::content::{LocatedMatch, Position};
use crate::matcher::decode::Layers;
use crate::rules::RuleSet;

/// A secret's bytes. Redacted in `Debug`; no `Display`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Wraps secret bytes.
    pub fn new(bytes: Vec<u8>) -> Secret {
        Secret(bytes)
    }

    /// The full secret, for `--show-secrets` and validation only.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the secret is empty (never, for a finding).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A recognisable prefix and the length: `ghp_Q7fK…[40 chars]`. The prefix is at most 8
    /// characters and at most a quarter of the secret.
    pub fn redacted(&self) -> String {
        let text = String::from_utf8_lossy(&self.0);
        let chars = text.chars().count();
        let shown = (chars / 4).min(8);
        let prefix: String = text.chars().take(shown).collect();
        format!("{prefix}…[{chars} chars]")
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.redacted())
    }
}

/// Where a secret was found.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    /// Path as scanned (`/` separators, no leading `./`), or `<stdin>`; in git history, the path
    /// inside the tree.
    pub path: String,
    /// Line and column range.
    pub position: Position,
    /// Git provenance, for locations found in history, the index or a commit range.
    pub git: Option<Box<GitOrigin>>,
    /// Container image provenance, for locations found by `leakhound image`.
    pub image: Option<Box<ImageOrigin>>,
    /// An inline allow marker on or just before the match's line.
    pub marker: Option<crate::marker::Marker>,
    /// The decoding layers the secret sat under, when it was not written as itself (the
    /// position is then that of the encoded bytes).
    pub decoded: Option<Layers>,
}

/// Where in git a location comes from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct GitOrigin {
    /// The blob holding the secret.
    pub blob: String,
    /// Whether the commit (or blob) is reachable from a ref, only in unreachable objects, or
    /// staged in the index.
    pub state: OriginState,
    /// The commit that introduced this blob at this path (the earliest), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<CommitInfo>,
}

/// Reachability of a git location.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum OriginState {
    /// Introduced by a commit reachable from a ref.
    Reachable,
    /// Only in unreachable objects: dangling commits, dropped stashes, rewritten history.
    Unreachable,
    /// In the index, not yet committed.
    Staged,
}

impl OriginState {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            OriginState::Reachable => "reachable",
            OriginState::Unreachable => "unreachable",
            OriginState::Staged => "staged",
        }
    }
}

/// Where in a container image a location comes from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct ImageOrigin {
    /// The image reference (a `RepoTags` entry or a reference annotation), when the image names
    /// one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Digest of the blob holding the secret: a layer, or the image configuration.
    pub blob: String,
    /// The layer's position, bottom layer 0 (absent for the configuration).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
    /// The build history step (`created_by`) that created the layer or holds the secret, other
    /// secrets found in it masked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// Whether the secret is in the final file system, only in a lower layer, or in the config.
    pub presence: ImagePresence,
}

/// Whether a secret found in an image is visible in its final file system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImagePresence {
    /// In the final image's file system.
    Final,
    /// Only in a lower layer: deleted (whiteout) or replaced above, yet still shipped.
    LowerLayerOnly,
    /// In the image configuration (environment, labels, command, build history).
    Config,
}

impl ImagePresence {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ImagePresence::Final => "final",
            ImagePresence::LowerLayerOnly => "lower-layer-only",
            ImagePresence::Config => "config",
        }
    }
}

/// A commit's identity and the refs that reach it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct CommitInfo {
    /// Full commit id.
    pub id: String,
    /// Author name.
    pub author: String,
    /// Author email.
    pub email: String,
    /// Author date, RFC 3339 UTC.
    pub date: String,
    /// Refs that reach the commit (sorted; at most 16).
    pub refs: Vec<String>,
    /// How many refs reach it in all.
    pub refs_total: usize,
}

/// How many reaching refs a location lists (the total is always given).
#[cfg(feature = "git")]
pub(crate) const MAX_REFS_LISTED: usize = 16;

/// One (rule, secret) pair and every place it occurs.
#[derive(Debug, Clone)]
pub struct Finding {
    /// Index of the rule in the run's [`RuleSet`].
    pub rule: usize,
    /// The rule id.
    pub rule_id: String,
    /// The secret.
    pub secret: Secret,
    /// Stable identifier: a hash of the rule id and the secret, never of a location.
    pub fingerprint: String,
    /// Values of the rule's other named groups (each from the first location that has it).
    pub attributes: BTreeMap<String, String>,
    /// Sorted, distinct locations.
    pub locations: Vec<Location>,
    /// Whether the credential is live: set by `--validate`, or offline (an expired JWT).
    pub validation: Option<crate::validate::status::Validation>,
    /// The confidence when an offline check lowered it (a key block that does not parse);
    /// `None` means the rule's.
    pub confidence: Option<crate::rules::Confidence>,
    /// Why it is suppressed (empty for an active finding): see the `suppress` module.
    pub suppressions: Vec<Suppression>,
}

/// What kept a finding out of the active results.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum SuppressionKind {
    /// An inline allow marker in the scanned file.
    InlineMarker,
    /// A configuration allowlist or disabled rule.
    Config,
    /// A baseline entry.
    Baseline,
}

impl SuppressionKind {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressionKind::InlineMarker => "inline-marker",
            SuppressionKind::Config => "config",
            SuppressionKind::Baseline => "baseline",
        }
    }
}

/// One reason a finding is suppressed, with the file and line that says so.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Suppression {
    /// What suppressed it.
    pub kind: SuppressionKind,
    /// The file that suppressed it: the config or baseline file, or the scanned file holding the
    /// marker.
    pub file: String,
    /// The line in that file.
    pub line: u64,
    /// What matched.
    pub reason: String,
}

/// The fingerprint of (rule, secret): hex of the first 16 bytes of HMAC-SHA-256 under the
/// process's fingerprint key (the `fingerprint` module), never a plain hash of the secret.
pub fn fingerprint(rule_id: &str, secret: &[u8]) -> String {
    crate::fingerprint::key().mac(&[rule_id.as_bytes(), secret])
}

/// A per-location fingerprint (rule, secret, path) for SARIF `partialFingerprints`: stable across
/// line moves, distinct per file so code scanning keeps one alert per file. Keyed like
/// [`fingerprint`].
pub(crate) fn location_fingerprint(finding: &Finding, path: &str) -> String {
    crate::fingerprint::key().mac(&[finding.fingerprint.as_bytes(), path.as_bytes()])
}

/// Groups located matches into findings.
#[derive(Debug, Default)]
pub struct Collector {
    index: HashMap<(usize, Vec<u8>), usize>,
    findings: Vec<Finding>,
    /// Per finding and attribute: the value at the smallest location that has one, so the
    /// attributes do not depend on the order matches arrive in (threads, hash maps).
    attributes: Vec<BTreeMap<String, (Location, String)>>,
}

impl Collector {
    /// An empty collector.
    pub fn new() -> Collector {
        Collector::default()
    }

    /// Adds one match found at `path`.
    pub fn add(&mut self, rules: &RuleSet, path: &str, found: LocatedMatch) {
        self.add_at(rules, path, None, found);
    }

    /// Adds one match found at `path` with its git provenance.
    pub fn add_at(
        &mut self,
        rules: &RuleSet,
        path: &str,
        git: Option<&GitOrigin>,
        mut found: LocatedMatch,
    ) {
        let slot = self.slot(rules, found.found.rule, std::mem::take(&mut found.secret));
        let decoded = found.found.layers();
        let location = Location {
            path: path.to_string(),
            position: found.position,
            git: git.map(|g| Box::new(g.clone())),
            image: None,
            marker: found.marker,
            decoded,
        };
        self.record(slot, location, found.found.attributes);
    }

    /// Adds `location` to the finding in `slot`; each attribute is taken from the smallest
    /// location that carries it, so the result does not depend on the order matches arrive in.
    fn record(
        &mut self,
        slot: usize,
        location: Location,
        attributes: Vec<(std::sync::Arc<str>, String)>,
    ) {
        for (name, value) in attributes {
            match self.attributes[slot].entry(name.to_string()) {
                std::collections::btree_map::Entry::Vacant(e) => {
                    e.insert((location.clone(), value));
                }
                std::collections::btree_map::Entry::Occupied(mut e) => {
                    if location < e.get().0 {
                        e.insert((location.clone(), value));
                    }
                }
            }
        }
        self.findings[slot].locations.push(location);
    }

    /// Adds one match found at `path` inside a container image.
    pub(crate) fn add_in_image(
        &mut self,
        rules: &RuleSet,
        path: &str,
        image: ImageOrigin,
        mut found: LocatedMatch,
    ) {
        let slot = self.slot(rules, found.found.rule, std::mem::take(&mut found.secret));
        let decoded = found.found.layers();
        let location = Location {
            path: path.to_string(),
            position: found.position,
            git: None,
            image: Some(Box::new(image)),
            marker: found.marker,
            decoded,
        };
        self.record(slot, location, found.found.attributes);
    }

    /// The finding for (rule, secret), created when new.
    fn slot(&mut self, rules: &RuleSet, rule: usize, secret: Vec<u8>) -> usize {
        let key = (rule, secret);
        if let Some(&slot) = self.index.get(&key) {
            return slot;
        }
        let rule_id = rules.rules()[key.0].id().to_string();
        self.findings.push(Finding {
            rule: key.0,
            fingerprint: fingerprint(&rule_id, &key.1),
            rule_id,
            secret: Secret::new(key.1.clone()),
            attributes: BTreeMap::new(),
            locations: Vec::new(),
            validation: None,
            confidence: None,
            suppressions: Vec::new(),
        });
        self.attributes.push(BTreeMap::new());
        self.index.insert(key, self.findings.len() - 1);
        self.findings.len() - 1
    }

    /// The findings, each with sorted distinct locations, sorted by first location then rule id.
    pub fn finish(self) -> Vec<Finding> {
        let mut findings = self.findings;
        for (f, attributes) in findings.iter_mut().zip(self.attributes) {
            f.attributes.extend(attributes.into_iter().map(|(name, (_, value))| (name, value)));
        }
        for f in &mut findings {
            f.locations.sort();
            f.locations.dedup();
        }
        findings.sort_by(|a, b| {
            (&a.locations[0], &a.rule_id, &a.fingerprint).cmp(&(
                &b.locations[0],
                &b.rule_id,
                &b.fingerprint,
            ))
        });
        findings
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fingerprint::hex;

    #[test]
    fn redaction_shows_a_short_prefix_and_the_length() {
        let s = Secret::new(b"ghp_Q7fK2mZr9XbW4nT1pLs8vHc3dJy6aE0mLq17".to_vec());
        assert_eq!(s.redacted(), "ghp_Q7fK…[40 chars]");
        assert_eq!(Secret::new(b"hunter2!".to_vec()).redacted(), "hu…[8 chars]");
        assert!(!format!("{s:?}").contains("2mZr9XbW"));
    }

    #[test]
    fn fingerprint_depends_on_rule_and_secret_only() {
        let a = fingerprint("github.pat.classic", b"ghp_abc");
        assert_eq!(a, fingerprint("github.pat.classic", b"ghp_abc"));
        assert_ne!(a, fingerprint("github.pat.oauth", b"ghp_abc"));
        assert_ne!(a, fingerprint("github.pat.classic", b"ghp_abd"));
        assert_eq!(a.len(), 32);
    }

    #[test]
    fn fingerprint_is_not_a_plain_hash_of_the_secret() {
        use sha2::{Digest, Sha256};
        let mut plain = Sha256::new();
        plain.update(b"generic.password\0hunter2");
        let plain = hex(&plain.finalize()[..16]);
        assert_ne!(fingerprint("generic.password", b"hunter2"), plain);
    }
}
