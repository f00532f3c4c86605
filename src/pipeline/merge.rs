//! Shards: what a shard's run leaves to the merge, and the merge of shard reports into the
//! outcome one unsharded run gives.
//!
//! A shard (`--shard I/N`) matches only its blobs, so it sees only part of a finding's
//! locations. Every stage that looks at one location at a time (offline checks, suppression)
//! runs in the shard; the stages that look at all of a finding's locations (the context mark,
//! dropping illustrations, `--min-confidence`) run here, after the shards' findings are joined,
//! in the same order [`super::Prepared::finish`] runs them. Validation is not sharded.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::{Scanned, hide_below_confidence};
use crate::config::Config;
use crate::config::repo::ConfigTree;
use crate::finding::{Finding, Location, Suppression};
use crate::matcher::context;
use crate::outcome::{LISTED_PER_REASON, NoticeLevel, ScanOutcome, ScanStats, Shard, ShardRecord};
use crate::report::merge::{ShardOutcome, read_shard};
use crate::rules::{Confidence, RuleErrors, RuleSet};
use crate::suppress::Suppressor;

/// The attribute a shard puts on a finding the merge drops when all its locations turn out to be
/// in tests, docs or examples (a credential-file placeholder); the merge removes it.
const MAY_ILLUSTRATE: &str = "leakhound-shard:may-illustrate";

/// The fixed text whose HMAC under the fingerprint key tells whether two runs share the key.
const KEY_CHECK: &[u8] = b"leakhound shard key check";

/// One shard's JSON report and the name to call it by in errors (its file name).
#[derive(Debug, Clone)]
pub struct ShardReport {
    /// What to call it (a file name).
    pub name: String,
    /// The JSON text.
    pub text: String,
}

/// Why shard reports cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// The rules the merge loads do not compile.
    #[error(transparent)]
    Rules(#[from] RuleErrors),
    /// A report that is not a shard report, a missing, duplicated or foreign shard.
    #[error("{0}")]
    Shards(String),
}

/// The shard stage of [`super::Prepared::finish`]: marks the findings the merge may drop and
/// records what every shard of this scan shares.
pub(super) fn hold_for_merge(
    outcome: &mut ScanOutcome,
    rules: &RuleSet,
    shard: Shard,
    config: &Config,
) {
    for finding in &mut outcome.findings {
        if context::may_illustrate(finding, rules) {
            finding.attributes.insert(MAY_ILLUSTRATE.to_string(), "true".to_string());
        }
    }
    outcome.coverage.shard = Some(ShardRecord {
        index: shard.index,
        count: shard.count,
        rules: rules_digest(rules),
        settings: settings_digest(config),
        key: key_check(),
        min_confidence: config.filter.min_confidence.map(|c| c.as_str().to_string()),
    });
}

fn sha256_hex(text: &str) -> String {
    crate::fingerprint::hex(&Sha256::digest(text.as_bytes()))
}

/// Every rule's definition, in rule-set order (not where it was read from).
fn rules_digest(rules: &RuleSet) -> String {
    let text: Vec<String> = rules.rules().iter().map(|r| format!("{:?}", r.spec)).collect();
    sha256_hex(&text.join("\n"))
}

/// The settings that change what is found or reported (not the thread count).
fn settings_digest(config: &Config) -> String {
    let mut read = config.read.clone();
    read.threads = 0;
    sha256_hex(&format!(
        "{read:?}\n{:?}\n{} {}",
        config.filter, config.allow_external_objects, config.allow_missing_objects
    ))
}

fn key_check() -> String {
    crate::fingerprint::key().mac(&[KEY_CHECK])
}

/// Merges the JSON reports of the shards of one history scan into the outcome one unsharded
/// run gives. Every shard `0..N` must be there exactly once, and all must share the rule set,
/// settings, fingerprint key, repository and ref tips; the rules are loaded from `config.rules`
/// (with the built-ins) and must be the shards' rules. `show_secrets`: the merged report is to
/// show secrets (only possible when the shards' reports do).
pub fn merge(
    reports: &[ShardReport],
    config: &Config,
    show_secrets: bool,
) -> Result<Scanned, MergeError> {
    let rules = Arc::new(RuleSet::load(&config.rules)?);
    let err = |message: String| MergeError::Shards(message);
    if reports.is_empty() {
        return Err(err("no shard reports given".into()));
    }
    let mut shards: Vec<(&str, ShardOutcome)> = Vec::new();
    for report in reports {
        let shard =
            read_shard(&report.text, &rules).map_err(|e| err(format!("{}: {e}", report.name)))?;
        shards.push((&report.name, shard));
    }
    let record = |s: &ShardOutcome| s.outcome.coverage.shard.clone().unwrap_or_default();
    let (first_name, first) = (&shards[0].0, &shards[0].1);
    let first_record = record(first);
    let own_rules = rules_digest(&rules);
    if first_record.rules != own_rules {
        return Err(err(format!(
            "{first_name}: scanned with another rule set than this merge loaded (rules {}, here {}): pass the same --rules, including rule files the repository's configuration names",
            short(&first_record.rules),
            short(&own_rules)
        )));
    }
    if first_record.key != key_check() {
        return Err(err(format!(
            "{first_name}: scanned with another fingerprint key than this merge's: set LEAKHOUND_FINGERPRINT_KEY to the key the shards used"
        )));
    }
    let count = first_record.count;
    let redaction = shards.iter().find_map(|(_, s)| s.redacted);
    let mut seen: BTreeMap<u32, &str> = BTreeMap::new();
    for (name, shard) in &shards {
        let this = record(shard);
        let c = &shard.outcome.coverage;
        let f = &first.outcome.coverage;
        let differs = [
            ("shard count N", this.count != count),
            ("rule set", this.rules != first_record.rules),
            ("settings", this.settings != first_record.settings),
            ("fingerprint key", this.key != first_record.key),
            ("--min-confidence", this.min_confidence != first_record.min_confidence),
            ("repository", c.roots != f.roots),
            ("ref tips", c.refs != f.refs),
            ("accepted gaps", c.accepted != f.accepted || c.strict != f.strict),
            ("secret redaction", redaction.is_some_and(|r| shard.redacted.is_some_and(|s| s != r))),
        ];
        if let Some((what, _)) = differs.iter().find(|(_, d)| *d) {
            return Err(err(format!(
                "{name} is a foreign shard: not the same {what} as {first_name} (shard {}/{} vs {}/{count})",
                this.index, this.count, first_record.index
            )));
        }
        if this.index >= count {
            return Err(err(format!(
                "{name}: shard index {} is not below N = {count}",
                this.index
            )));
        }
        if let Some(other) = seen.insert(this.index, name) {
            return Err(err(format!(
                "shard {}/{count} is given twice: {other} and {name}",
                this.index
            )));
        }
    }
    let missing: Vec<String> =
        (0..count).filter(|i| !seen.contains_key(i)).map(|i| format!("{i}/{count}")).collect();
    if !missing.is_empty() {
        return Err(err(format!("shard(s) missing: {}", missing.join(", "))));
    }
    if show_secrets && redaction == Some(true) {
        return Err(err(
            "the shard reports are redacted: --show-secrets needs shards scanned with --show-secrets"
                .into(),
        ));
    }
    let min_confidence = first_record.min_confidence.as_deref().map(parse_confidence);
    let mut outcome =
        join(shards.into_iter().map(|(_, s)| s.outcome).collect(), &|p| p.to_string());
    let suppressor = Suppressor::new(Vec::new(), ConfigTree::empty(), None, false);
    mark(&mut outcome, &rules, &suppressor);
    hide_below_confidence(&mut outcome, &rules, min_confidence.flatten());
    Ok(Scanned { outcome, rules, validation: None, suppressor })
}

/// The context mark of [`super::mark_context`], without its dropping of illustrations: that
/// needs the secret (a redacted stand-in could look like a placeholder), so it was decided by
/// [`join`] from the shards' `MAY_ILLUSTRATE` marks.
fn mark(outcome: &mut ScanOutcome, rules: &RuleSet, suppressor: &Suppressor) {
    let relative = |path: &str| suppressor.relative(path);
    context::mark(&mut outcome.findings, rules, &relative);
    context::mark(&mut outcome.suppressed, rules, &relative);
}

fn short(digest: &str) -> &str {
    digest.get(..12).unwrap_or(digest)
}

fn parse_confidence(text: &str) -> Option<Confidence> {
    [Confidence::Low, Confidence::Medium, Confidence::High].into_iter().find(|c| c.as_str() == text)
}

/// Everything one (rule, secret) pair has across the shards.
struct Joined {
    template: Finding,
    /// Per attribute, the value of the shard whose part has the smallest first location (as the
    /// collector picks the value of the first location).
    attributes: BTreeMap<String, (Location, String)>,
    active: Vec<Location>,
    suppressed: Vec<Location>,
    reasons: BTreeSet<Suppression>,
    may_illustrate: bool,
}

/// Joins the shards' outcomes: findings by (rule, fingerprint) with their locations, in the
/// collector's order; the suppression split as [`Suppressor::apply`] makes it; illustrations
/// dropped; counters summed; notices every shard repeats (about the whole repository) once.
fn join(shards: Vec<ScanOutcome>, relative: &dyn Fn(&str) -> String) -> ScanOutcome {
    let mut joined: HashMap<(String, String), Joined> = HashMap::new();
    let mut order: Vec<(String, String)> = Vec::new();
    let mut notices: BTreeMap<crate::outcome::Notice, u64> = BTreeMap::new();
    let mut stats = ScanStats::default();
    let mut duration = Duration::ZERO;
    let mut coverage = None;
    let mut skipped: BTreeMap<_, Vec<String>> = BTreeMap::new();
    for shard in shards {
        stats.merge(&shard.stats);
        duration = duration.max(shard.stats.duration);
        for notice in shard.notices {
            *notices.entry(notice).or_default() += 1;
        }
        for (reason, paths) in &shard.coverage.skipped {
            skipped.entry(*reason).or_default().extend(paths.iter().cloned());
        }
        let lists = [(shard.findings, false), (shard.suppressed, true)];
        for (list, is_suppressed) in lists {
            for mut finding in list {
                let key = (finding.rule_id.clone(), finding.fingerprint.clone());
                let may_illustrate = finding.attributes.remove(MAY_ILLUSTRATE).is_some();
                let locations = std::mem::take(&mut finding.locations);
                let reasons = std::mem::take(&mut finding.suppressions);
                let entry = joined.entry(key.clone()).or_insert_with(|| {
                    order.push(key);
                    Joined {
                        template: finding.clone(),
                        attributes: BTreeMap::new(),
                        active: Vec::new(),
                        suppressed: Vec::new(),
                        reasons: BTreeSet::new(),
                        may_illustrate: false,
                    }
                });
                if let Some(first) = locations.first() {
                    for (name, value) in finding.attributes {
                        let better = entry.attributes.get(&name).is_none_or(|(at, _)| first < at);
                        if better {
                            entry.attributes.insert(name, (first.clone(), value));
                        }
                    }
                }
                entry.may_illustrate |= may_illustrate;
                if is_suppressed {
                    entry.suppressed.extend(locations);
                    entry.reasons.extend(reasons);
                } else {
                    entry.active.extend(locations);
                }
            }
        }
        if coverage.is_none() {
            coverage = Some(shard.coverage);
        }
    }
    // A notice in k shards was counted k times, once in an unsharded run.
    for (notice, times) in &notices {
        if notice.level == NoticeLevel::Error {
            stats.errors = stats.errors.saturating_sub(times - 1);
        }
    }
    stats.duration = duration;
    let mut coverage = coverage.unwrap_or_default();
    for paths in skipped.values_mut() {
        paths.sort();
        paths.truncate(LISTED_PER_REASON);
    }
    coverage.skipped = skipped;
    coverage.shard = None;
    let (findings, suppressed) = ordered(joined, order, relative);
    ScanOutcome { findings, suppressed, notices: notices.into_keys().collect(), stats, coverage }
}

/// The joined findings in the collector's order (by the first of all their locations, then rule
/// id and fingerprint), split into active and suppressed; illustrations dropped.
fn ordered(
    mut joined: HashMap<(String, String), Joined>,
    order: Vec<(String, String)>,
    relative: &dyn Fn(&str) -> String,
) -> (Vec<Finding>, Vec<Finding>) {
    let mut entries: Vec<(Location, Joined)> = order
        .into_iter()
        .filter_map(|key| joined.remove(&key))
        .filter_map(|mut j| {
            let attributes = std::mem::take(&mut j.attributes);
            j.template.attributes = attributes.into_iter().map(|(n, (_, v))| (n, v)).collect();
            j.active.sort();
            j.active.dedup();
            j.suppressed.sort();
            j.suppressed.dedup();
            let first = match (j.active.first(), j.suppressed.first()) {
                (Some(a), Some(s)) => a.min(s).clone(),
                (Some(a), None) => a.clone(),
                (None, Some(s)) => s.clone(),
                (None, None) => return None,
            };
            Some((first, j))
        })
        .collect();
    entries.sort_by(|(a, x), (b, y)| {
        (a, &x.template.rule_id, &x.template.fingerprint).cmp(&(
            b,
            &y.template.rule_id,
            &y.template.fingerprint,
        ))
    });
    let mut findings = Vec::new();
    let mut suppressed = Vec::new();
    for (_, j) in entries {
        if !j.suppressed.is_empty() {
            suppressed.push(Finding {
                locations: j.suppressed,
                suppressions: j.reasons.into_iter().collect(),
                ..j.template.clone()
            });
        }
        let illustration = j.may_illustrate
            && j.active.iter().all(|l| context::of_path(&relative(&l.path)).is_some());
        if !j.active.is_empty() && !illustration {
            findings.push(Finding { locations: j.active, suppressions: Vec::new(), ..j.template });
        }
    }
    (findings, suppressed)
}

#[cfg(feature = "git")]
/// The digest of the rule set `rules` (with the built-ins) loads: what a shard records.
pub(crate) fn ruleset_digest(rules: &[std::path::PathBuf]) -> Result<String, MergeError> {
    Ok(rules_digest(&RuleSet::load(rules)?))
}

#[cfg(feature = "git")]
/// One repository of a `leakhound repos` run: its record and, unless it failed, its report (a
/// `--shard 0/1` JSON report, so the stages over all locations run once over every repository).
#[derive(Debug)]
pub(crate) struct RepoScan {
    /// What became of it (the name prefixes its locations).
    pub(crate) record: crate::outcome::RepositoryRecord,
    /// Its JSON report.
    pub(crate) report: Option<String>,
}

#[cfg(feature = "git")]
/// The outcome of many repositories: each one's findings with locations prefixed by its name,
/// a finding met in several repositories joined with all its locations, a failed repository an
/// error notice (the run is incomplete), and one record per repository in the coverage.
pub(crate) fn combine(
    repos: Vec<RepoScan>,
    config: &Config,
    duration: Duration,
) -> Result<Scanned, MergeError> {
    let rules = Arc::new(RuleSet::load(&config.rules)?);
    let own = (rules_digest(&rules), key_check());
    let mut outcomes = Vec::new();
    let mut records = Vec::new();
    let mut failures = Vec::new();
    for mut repo in repos {
        let read = repo.report.as_deref().map(|text| {
            let shard = read_shard(text, &rules)?;
            let record = shard.outcome.coverage.shard.clone().unwrap_or_default();
            if (record.rules.as_str(), record.key.as_str()) != (own.0.as_str(), own.1.as_str()) {
                return Err(
                    "scanned with other rules or another fingerprint key than this run".into()
                );
            }
            Ok(shard)
        });
        match read {
            Some(Ok(shard)) => {
                let mut outcome = shard.outcome;
                if repo.record.tip.is_none() {
                    let refs = &outcome.coverage.refs;
                    repo.record.tip = refs
                        .iter()
                        .find(|r| r.name == "HEAD")
                        .or(refs.first())
                        .map(|r| r.commit.clone());
                }
                prefix(&mut outcome, &repo.record.name);
                outcomes.push(outcome);
            }
            Some(Err(reason)) => {
                repo.record.status = "failed".into();
                repo.record.reason = Some(reason);
            }
            None => {}
        }
        if repo.record.status == "failed" {
            failures.push(repo.record.clone());
        }
        records.push(repo.record);
    }
    let roots: Vec<crate::suppress::Root> = records
        .iter()
        .map(|r| crate::suppress::Root {
            prefix: format!("{}/", r.name),
            tree: ConfigTree::empty(),
        })
        .collect();
    let suppressor = Suppressor::new(roots, ConfigTree::empty(), None, false);
    let mut outcome = join(outcomes, &|p| suppressor.relative(p));
    outcome.coverage = crate::outcome::Coverage {
        mode: crate::outcome::ScanMode::Git(crate::outcome::GitMode::History),
        roots: records.iter().map(|r| r.name.clone()).collect(),
        skipped: std::mem::take(&mut outcome.coverage.skipped),
        accepted: std::mem::take(&mut outcome.coverage.accepted),
        strict: config.filter.strict,
        repositories: records,
        ..crate::outcome::Coverage::default()
    };
    outcome.stats.duration = duration;
    for failed in failures {
        let message = format!(
            "repository {} not scanned: {}",
            failed.source,
            failed.reason.as_deref().unwrap_or("failed")
        );
        outcome.push_notice(crate::outcome::Notice::new(
            crate::outcome::NoticeKind::Unreadable,
            crate::outcome::Subject::Path(failed.name),
            message,
        ));
    }
    mark(&mut outcome, &rules, &suppressor);
    hide_below_confidence(&mut outcome, &rules, config.filter.min_confidence);
    Ok(Scanned { outcome, rules, validation: None, suppressor })
}

#[cfg(feature = "git")]
/// Puts a repository's name in front of its paths, and in its notices' words.
fn prefix(outcome: &mut ScanOutcome, name: &str) {
    let at = |path: &mut String| *path = format!("{name}/{path}");
    for finding in outcome.findings.iter_mut().chain(outcome.suppressed.iter_mut()) {
        for location in &mut finding.locations {
            at(&mut location.path);
        }
    }
    for paths in outcome.coverage.skipped.values_mut() {
        paths.iter_mut().for_each(at);
    }
    for notice in &mut outcome.notices {
        match &mut notice.subject {
            crate::outcome::Subject::Path(p)
            | crate::outcome::Subject::Object { path: Some(p), .. } => at(p),
            _ => {}
        }
        notice.message = format!("{name}: {}", notice.message);
    }
}
