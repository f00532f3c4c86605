//! Reading a shard's JSON report back (`leakhound report merge`): the inverse of the `json`
//! emitter for what a merge needs.
//!
//! Only what the JSON report writes can be read back. A redacted secret becomes a stand-in with
//! the same redacted form (its shown prefix, padded to its length), so every format shows it as
//! the scan did; the secret itself is not in the report and is never reconstructed. The
//! `priority` of a finding is computed again when the merged report is written (it depends on the
//! time), and `summary.duration_ms` is read as the shard's wall time.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use crate::finding::{Finding, GitOrigin, Location, Secret, Suppression};
use crate::matcher::decode::{Layer, Layers};
use crate::outcome::{
    Coverage, GitMode, Notice, NoticeKind, NoticeLevel, RefTip, ScanMode, ScanOutcome, ScanStats,
    ShardRecord, SkipReason, Subject,
};
use crate::rules::{Confidence, RuleSet};
use crate::validate::Validation;

/// One shard's report, read back.
#[derive(Debug)]
pub(crate) struct ShardOutcome {
    /// Its findings, suppressed findings, notices, counters and coverage (with the shard record).
    pub(crate) outcome: ScanOutcome,
    /// Whether its secrets are redacted (always, unless the shard ran with `--show-secrets`);
    /// `None` when it has no findings to tell.
    pub(crate) redacted: Option<bool>,
}

#[derive(Deserialize)]
struct DocumentIn {
    findings: Vec<FindingIn>,
    suppressed: Vec<FindingIn>,
    notices: Vec<NoticeIn>,
    coverage: CoverageIn,
    summary: SummaryIn,
}

#[derive(Deserialize)]
struct FindingIn {
    rule_id: String,
    confidence: Confidence,
    fingerprint: String,
    secret: String,
    redacted: bool,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
    locations: Vec<LocationIn>,
    /// An offline check's verdict (an expired JWT); live validation does not run in shards.
    #[serde(default)]
    validation: Option<Validation>,
    #[serde(default)]
    suppressions: Vec<Suppression>,
}

#[derive(Deserialize)]
struct LocationIn {
    path: String,
    line: u64,
    column: u64,
    end_line: u64,
    end_column: u64,
    offset: u64,
    #[serde(default)]
    decoded: Option<String>,
    #[serde(default)]
    git: Option<GitOrigin>,
}

#[derive(Deserialize)]
struct NoticeIn {
    level: String,
    kind: String,
    subject: String,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    id: Option<String>,
    message: String,
}

#[derive(Deserialize)]
struct CoverageIn {
    mode: String,
    roots: Vec<String>,
    #[serde(default)]
    refs: Vec<RefIn>,
    items_scanned: u64,
    bytes_scanned: u64,
    skipped: BTreeMap<String, SkippedIn>,
    errors: u64,
    #[serde(default)]
    accepted: Vec<String>,
    #[serde(default)]
    strict: bool,
    #[serde(default)]
    shard: Option<ShardIn>,
}

#[derive(Deserialize)]
struct RefIn {
    name: String,
    commit: String,
}

#[derive(Deserialize)]
struct SkippedIn {
    count: u64,
    paths: Vec<String>,
}

#[derive(Deserialize)]
struct ShardIn {
    index: u32,
    count: u32,
    rules: String,
    settings: String,
    key: String,
    #[serde(default)]
    min_confidence: Option<String>,
}

#[derive(Deserialize)]
struct SummaryIn {
    duration_ms: u64,
}

/// Reads a shard's JSON report; `rules` resolves rule ids. Errors say what is wrong, in words.
pub(crate) fn read_shard(text: &str, rules: &RuleSet) -> Result<ShardOutcome, String> {
    let mut doc: DocumentIn =
        serde_json::from_str(text).map_err(|e| format!("not a leakhound JSON report: {e}"))?;
    let Some(shard) = doc.coverage.shard.take() else {
        return Err("not a shard report (no coverage.shard: scanned without --shard)".into());
    };
    if doc.coverage.mode != "history" {
        return Err(format!(
            "a shard report of mode {:?}; only history is sharded",
            doc.coverage.mode
        ));
    }
    let mut redacted = None;
    let mut read = |list: Vec<FindingIn>| -> Result<Vec<Finding>, String> {
        list.into_iter()
            .map(|f| {
                if redacted.is_some_and(|r| r != f.redacted) {
                    return Err("some secrets are redacted and some are not".to_string());
                }
                redacted = Some(f.redacted);
                finding(f, rules)
            })
            .collect()
    };
    let findings = read(doc.findings)?;
    let suppressed = read(doc.suppressed)?;
    let notices = doc.notices.into_iter().map(notice).collect::<Result<Vec<_>, _>>()?;
    let coverage_in = doc.coverage;
    let mut stats = ScanStats {
        items_scanned: coverage_in.items_scanned,
        bytes_scanned: coverage_in.bytes_scanned,
        errors: coverage_in.errors,
        duration: Duration::from_millis(doc.summary.duration_ms),
        ..ScanStats::default()
    };
    let mut skipped = BTreeMap::new();
    for (name, listed) in coverage_in.skipped {
        let reason = SkipReason::ALL
            .into_iter()
            .find(|r| r.as_str() == name)
            .ok_or_else(|| format!("unknown skip reason {name:?}"))?;
        let mut one = ScanStats::default();
        match reason {
            SkipReason::Binary => one.skipped_binary = listed.count,
            SkipReason::TooLarge => one.skipped_too_large = listed.count,
            SkipReason::Symlink => one.skipped_symlinks = listed.count,
            SkipReason::Special => one.skipped_special = listed.count,
            SkipReason::Ignored => one.skipped_ignored = listed.count,
        }
        stats.merge(&one);
        skipped.insert(reason, listed.paths);
    }
    let coverage = Coverage {
        mode: ScanMode::Git(GitMode::History),
        roots: coverage_in.roots,
        refs: coverage_in
            .refs
            .into_iter()
            .map(|r| RefTip { name: r.name, commit: r.commit })
            .collect(),
        skipped,
        accepted: coverage_in.accepted,
        strict: coverage_in.strict,
        // Shards never use the history cache (each matches only its own blobs).
        cache: None,
        shard: Some(ShardRecord {
            index: shard.index,
            count: shard.count,
            rules: shard.rules,
            settings: shard.settings,
            key: shard.key,
            min_confidence: shard.min_confidence,
        }),
        repositories: Vec::new(),
    };
    let outcome = ScanOutcome { findings, suppressed, notices, stats, coverage };
    Ok(ShardOutcome { outcome, redacted })
}

fn finding(f: FindingIn, rules: &RuleSet) -> Result<Finding, String> {
    let rule = rules.index_of(&f.rule_id).ok_or_else(|| {
        format!(
            "rule {:?} is not in the rule set this merge loaded (pass the same --rules)",
            f.rule_id
        )
    })?;
    let secret = if f.redacted { stand_in(&f.secret)? } else { Secret::new(f.secret.into_bytes()) };
    let locations = f.locations.into_iter().map(location).collect::<Result<Vec<_>, _>>()?;
    Ok(Finding {
        rule,
        rule_id: f.rule_id,
        secret,
        fingerprint: f.fingerprint,
        attributes: f.attributes,
        locations,
        validation: f.validation,
        confidence: Some(f.confidence),
        suppressions: f.suppressions,
    })
}

/// A stand-in for a redacted secret `prefix…[N chars]`: the prefix padded to N characters, so
/// [`Secret::redacted`] gives back the same text. Never exposed: a merge of redacted shards
/// refuses `--show-secrets`.
fn stand_in(redacted: &str) -> Result<Secret, String> {
    let bad =
        || format!("a redacted secret of unexpected form ({} chars)", redacted.chars().count());
    let (prefix, rest) = redacted.rsplit_once("…[").ok_or_else(bad)?;
    let chars: usize = rest.strip_suffix(" chars]").and_then(|n| n.parse().ok()).ok_or_else(bad)?;
    let shown = prefix.chars().count();
    if shown != (chars / 4).min(8) {
        return Err(bad());
    }
    let mut text = prefix.to_string();
    text.extend(std::iter::repeat_n('x', chars - shown));
    Ok(Secret::new(text.into_bytes()))
}

fn location(l: LocationIn) -> Result<Location, String> {
    let decoded = l.decoded.as_deref().map(layers).transpose()?;
    Ok(Location {
        path: l.path,
        position: crate::content::Position {
            line: l.line,
            column: l.column,
            end_line: l.end_line,
            end_column: l.end_column,
            offset: l.offset,
        },
        git: l.git.map(Box::new),
        // Shards are git history scans: no location is in a container image.
        image: None,
        marker: None,
        decoded,
    })
}

/// `base64`, `json-string/base64`: the inverse of [`Layers::describe`].
fn layers(text: &str) -> Result<Layers, String> {
    let layer = |name: &str| {
        [Layer::Base64, Layer::JsonString, Layer::Percent]
            .into_iter()
            .find(|l| l.as_str() == name)
            .ok_or_else(|| format!("unknown decoding layer {name:?}"))
    };
    match text.split_once('/') {
        Some((outer, inner)) => Ok(Layers { outer: layer(outer)?, inner: Some(layer(inner)?) }),
        None => Ok(Layers { outer: layer(text)?, inner: None }),
    }
}

const KINDS: [NoticeKind; 14] = [
    NoticeKind::TooLarge,
    NoticeKind::Unreadable,
    NoticeKind::Truncated,
    NoticeKind::MissingObject,
    NoticeKind::ShallowBoundary,
    NoticeKind::DamagedPack,
    NoticeKind::InvalidConfig,
    NoticeKind::NotApplied,
    NoticeKind::BudgetExhausted,
    NoticeKind::Encrypted,
    NoticeKind::Unsupported,
    NoticeKind::Corrupt,
    NoticeKind::SpecialMember,
    NoticeKind::Filtered,
];

fn notice(n: NoticeIn) -> Result<Notice, String> {
    let kind = KINDS
        .into_iter()
        .find(|k| k.as_str() == n.kind)
        .ok_or_else(|| format!("unknown notice kind {:?}", n.kind))?;
    let level = match n.level.as_str() {
        "error" => NoticeLevel::Error,
        "warning" => NoticeLevel::Warning,
        other => return Err(format!("unknown notice level {other:?}")),
    };
    let missing = |what: &str| format!("a {} notice without its {what}", n.subject);
    let subject = match n.subject.as_str() {
        "scan" => Subject::Scan,
        "path" => Subject::Path(n.path.clone().ok_or_else(|| missing("path"))?),
        "object" => {
            Subject::Object { id: n.id.clone().ok_or_else(|| missing("id"))?, path: n.path }
        }
        "pack" => Subject::Pack(n.path.clone().ok_or_else(|| missing("path"))?),
        "ref" => Subject::Ref(n.id.clone().ok_or_else(|| missing("id"))?),
        "commit" => Subject::Commit(n.id.clone().ok_or_else(|| missing("id"))?),
        "config" => Subject::Config(n.path.clone().ok_or_else(|| missing("path"))?),
        other => return Err(format!("unknown notice subject {other:?}")),
    };
    Ok(Notice { level, subject, kind, message: n.message })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stand_in_redacts_like_the_secret() {
        for secret in
            ["ghp_0123456789abcdefghijklmnopqrstuvwxyz", "short", "ab", "ünïcödé-sëcrét-1234"]
        {
            let real = Secret::new(secret.as_bytes().to_vec());
            let again = stand_in(&real.redacted()).unwrap();
            assert_eq!(again.redacted(), real.redacted());
        }
        assert!(stand_in("no form").is_err());
        assert!(stand_in("toolongprefix…[4 chars]").is_err());
    }

    #[test]
    fn layers_read_back() {
        for layers in [
            Layers { outer: Layer::Base64, inner: None },
            Layers { outer: Layer::JsonString, inner: Some(Layer::Percent) },
        ] {
            assert_eq!(super::layers(&layers.describe()).unwrap(), layers);
        }
        assert!(super::layers("rot13").is_err());
    }

    #[test]
    fn every_notice_kind_reads_back() {
        for kind in KINDS {
            let n = NoticeIn {
                level: "error".into(),
                kind: kind.as_str().into(),
                subject: "object".into(),
                path: None,
                id: Some("abc".into()),
                message: "m".into(),
            };
            assert_eq!(notice(n).unwrap().kind, kind);
        }
    }
}
