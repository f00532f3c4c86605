//! JSON and JSON Lines reports.
//!
//! `json`: one document `{tool, findings, suppressed, notices, coverage, summary}`. `jsonl`: one finding
//! object per line (the same objects as `findings`), then one `{"suppressed": ...}` object per
//! suppressed finding, one `{"notice": ...}` object per notice, and last one `{"coverage": ...}`
//! object, so a streaming consumer still learns what was accepted and what was not read.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use super::{Emitter, ReportContext};
use crate::finding::{Finding, GitOrigin, ImageOrigin, Suppression};
use crate::matcher::decode::Layers;
use crate::outcome::{GitMode, Notice, ScanMode, ScanOutcome, ScanStats, SkipReason};
use crate::priority::Priority;
use crate::validate::Validation;

/// Writes JSON (`lines: false`) or JSON Lines (`lines: true`).
#[derive(Debug)]
pub(super) struct JsonEmitter {
    pub(super) lines: bool,
}

/// The whole JSON report (also the data the HTML report embeds).
#[derive(Serialize)]
pub(super) struct Document<'a> {
    tool: Tool,
    findings: Vec<FindingJson<'a>>,
    suppressed: Vec<FindingJson<'a>>,
    notices: Vec<NoticeJson<'a>>,
    coverage: CoverageJson<'a>,
    summary: Summary,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

/// One finding as JSON.
#[derive(Serialize)]
pub(super) struct FindingJson<'a> {
    rule_id: &'a str,
    rule_name: &'a str,
    provider: &'a str,
    kind: &'static str,
    severity: &'static str,
    confidence: &'static str,
    fingerprint: &'a str,
    /// Which finding to act on first (`docs/priority.md`).
    priority: Priority,
    secret: String,
    redacted: bool,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    attributes: &'a BTreeMap<String, String>,
    locations: Vec<LocationJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    validation: Option<&'a Validation>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    suppressions: &'a [Suppression],
    /// Where and how to revoke or rotate it (from the rule).
    #[serde(skip_serializing_if = "Option::is_none")]
    revoke: Option<&'a str>,
    /// The rule's references (documentation of the credential and its revocation).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    references: &'a [String],
}

#[derive(Serialize)]
struct LocationJson<'a> {
    path: &'a str,
    line: u64,
    column: u64,
    end_line: u64,
    end_column: u64,
    offset: u64,
    /// The decoding layers the secret was found under (`base64`, `json-string/base64`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    decoded: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    git: Option<&'a GitOrigin>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a ImageOrigin>,
}

#[derive(Serialize)]
struct NoticeJson<'a> {
    level: &'static str,
    kind: &'static str,
    subject: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    message: &'a str,
}

/// The coverage record: what was scanned, and what was not by reason.
#[derive(Serialize)]
pub(super) struct CoverageJson<'a> {
    mode: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    base: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    head: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    branch: Option<&'a str>,
    roots: &'a [String],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    refs: Vec<RefJson<'a>>,
    items_scanned: u64,
    bytes_scanned: u64,
    /// Count per skip reason (only reasons that occurred).
    skipped: BTreeMap<&'static str, SkippedJson<'a>>,
    errors: u64,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    accepted: &'a [String],
    /// Present (true) in `--strict` mode: nothing the scanned tree supplies was honoured.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    strict: bool,
    /// The history cache, when a history scan had one.
    #[serde(skip_serializing_if = "Option::is_none")]
    cache: Option<CacheJson<'a>>,
    complete: bool,
    /// `leakhound repos`: what became of each repository.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    repositories: Vec<RepositoryJson<'a>>,
    /// Present in the report of one shard (`--shard I/N`) only.
    #[serde(skip_serializing_if = "Option::is_none")]
    shard: Option<ShardJson<'a>>,
}

/// One repository of a `leakhound repos` run.
#[derive(Serialize)]
struct RepositoryJson<'a> {
    name: &'a str,
    source: &'a str,
    status: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    tip: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
}

/// The shard record: which shard, and what all shards of one scan share.
#[derive(Serialize)]
struct ShardJson<'a> {
    index: u32,
    count: u32,
    rules: &'a str,
    settings: &'a str,
    key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_confidence: Option<&'a str>,
}

/// How a history scan used its cache.
#[derive(Serialize)]
pub(super) struct CacheJson<'a> {
    path: &'a str,
    used: bool,
    state: &'a str,
    served: u64,
    matched_again: u64,
    stored: u64,
    snapshot: &'a str,
}

#[derive(Serialize)]
pub(super) struct RefJson<'a> {
    name: &'a str,
    commit: &'a str,
}

#[derive(Serialize)]
pub(super) struct SkippedJson<'a> {
    count: u64,
    /// The first paths (all are counted).
    paths: &'a [String],
}

#[derive(Serialize)]
struct CoverageLine<'a> {
    coverage: CoverageJson<'a>,
}

#[derive(Serialize)]
struct NoticeLine<'a> {
    notice: NoticeJson<'a>,
}

#[derive(Serialize)]
struct SuppressedLine<'a> {
    suppressed: FindingJson<'a>,
}

#[derive(Serialize)]
struct Summary {
    findings: usize,
    suppressed: usize,
    locations: usize,
    items_scanned: u64,
    bytes_scanned: u64,
    skipped_binary: u64,
    skipped_too_large: u64,
    skipped_symlinks: u64,
    skipped_special: u64,
    skipped_ignored: u64,
    errors: u64,
    complete: bool,
    duration_ms: u128,
}

pub(super) fn finding_json<'a>(cx: &ReportContext<'a>, finding: &'a Finding) -> FindingJson<'a> {
    let spec = &cx.rules.rules()[finding.rule].spec;
    FindingJson {
        rule_id: &spec.id,
        rule_name: &spec.name,
        provider: &spec.provider,
        kind: spec.kind.as_str(),
        severity: spec.severity.as_str(),
        confidence: finding.confidence.unwrap_or(spec.confidence).as_str(),
        fingerprint: &finding.fingerprint,
        priority: cx.priority(finding),
        secret: cx.secret_text(finding),
        redacted: !cx.show_secrets,
        attributes: &finding.attributes,
        locations: finding
            .locations
            .iter()
            .map(|l| LocationJson {
                path: &l.path,
                line: l.position.line,
                column: l.position.column,
                end_line: l.position.end_line,
                end_column: l.position.end_column,
                offset: l.position.offset,
                decoded: l.decoded.map(Layers::describe),
                git: l.git.as_deref(),
                image: l.image.as_deref(),
            })
            .collect(),
        validation: finding.validation.as_ref(),
        suppressions: &finding.suppressions,
        revoke: spec.revoke.as_deref(),
        references: &spec.references,
    }
}

fn notice_json(notice: &Notice) -> NoticeJson<'_> {
    NoticeJson {
        level: notice.level.as_str(),
        kind: notice.kind.as_str(),
        subject: notice.subject.type_name(),
        path: notice.path(),
        id: notice.subject.id(),
        message: &notice.message,
    }
}

/// The coverage record of `outcome`.
pub(super) fn coverage_json(outcome: &ScanOutcome) -> CoverageJson<'_> {
    let coverage = &outcome.coverage;
    let (base, head, branch) = match &coverage.mode {
        ScanMode::Git(GitMode::Range { base, head }) => {
            (Some(base.as_str()), Some(head.as_str()), None)
        }
        ScanMode::Git(GitMode::Branch(name)) => (None, None, Some(name.as_str())),
        _ => (None, None, None),
    };
    let skipped = SkipReason::ALL
        .into_iter()
        .filter(|reason| outcome.stats.skipped(*reason) > 0)
        .map(|reason| {
            let paths = coverage.skipped.get(&reason).map_or(&[][..], Vec::as_slice);
            (reason.as_str(), SkippedJson { count: outcome.stats.skipped(reason), paths })
        })
        .collect();
    CoverageJson {
        mode: coverage.mode.as_str(),
        base,
        head,
        branch,
        roots: &coverage.roots,
        refs: coverage.refs.iter().map(|r| RefJson { name: &r.name, commit: &r.commit }).collect(),
        items_scanned: outcome.stats.items_scanned,
        bytes_scanned: outcome.stats.bytes_scanned,
        skipped,
        errors: outcome.stats.errors,
        accepted: &coverage.accepted,
        strict: coverage.strict,
        cache: coverage.cache.as_ref().map(|c| CacheJson {
            path: &c.path,
            used: c.used,
            state: &c.state,
            served: c.served,
            matched_again: c.matched_again,
            stored: c.stored,
            snapshot: &c.snapshot,
        }),
        complete: !outcome.incomplete(),
        repositories: coverage
            .repositories
            .iter()
            .map(|r| RepositoryJson {
                name: &r.name,
                source: &r.source,
                status: &r.status,
                tip: r.tip.as_deref(),
                reason: r.reason.as_deref(),
            })
            .collect(),
        shard: coverage.shard.as_ref().map(|s| ShardJson {
            index: s.index,
            count: s.count,
            rules: &s.rules,
            settings: &s.settings,
            key: &s.key,
            min_confidence: s.min_confidence.as_deref(),
        }),
    }
}

fn summary(cx: &ReportContext<'_>, stats: &ScanStats) -> Summary {
    Summary {
        findings: cx.outcome.findings.len(),
        suppressed: cx.outcome.suppressed.len(),
        locations: cx.outcome.findings.iter().map(|f| f.locations.len()).sum(),
        items_scanned: stats.items_scanned,
        bytes_scanned: stats.bytes_scanned,
        skipped_binary: stats.skipped_binary,
        skipped_too_large: stats.skipped_too_large,
        skipped_symlinks: stats.skipped_symlinks,
        skipped_special: stats.skipped_special,
        skipped_ignored: stats.skipped_ignored,
        errors: stats.errors,
        complete: !cx.outcome.incomplete(),
        duration_ms: stats.duration.as_millis(),
    }
}

/// The JSON document of a report.
pub(super) fn document<'a>(cx: &ReportContext<'a>) -> Document<'a> {
    Document {
        tool: Tool { name: "leakhound", version: env!("CARGO_PKG_VERSION") },
        findings: cx.outcome.findings.iter().map(|f| finding_json(cx, f)).collect(),
        suppressed: cx.outcome.suppressed.iter().map(|f| finding_json(cx, f)).collect(),
        notices: cx.outcome.notices.iter().map(notice_json).collect(),
        coverage: coverage_json(cx.outcome),
        summary: summary(cx, &cx.outcome.stats),
    }
}

impl Emitter for JsonEmitter {
    fn emit(&self, cx: &ReportContext<'_>, out: &mut dyn Write) -> io::Result<()> {
        let findings = cx.outcome.findings.iter().map(|f| finding_json(cx, f));
        if self.lines {
            for finding in findings {
                serde_json::to_writer(&mut *out, &finding)?;
                writeln!(out)?;
            }
            for finding in &cx.outcome.suppressed {
                serde_json::to_writer(
                    &mut *out,
                    &SuppressedLine { suppressed: finding_json(cx, finding) },
                )?;
                writeln!(out)?;
            }
            for notice in &cx.outcome.notices {
                serde_json::to_writer(&mut *out, &NoticeLine { notice: notice_json(notice) })?;
                writeln!(out)?;
            }
            serde_json::to_writer(
                &mut *out,
                &CoverageLine { coverage: coverage_json(cx.outcome) },
            )?;
            return writeln!(out);
        }
        serde_json::to_writer_pretty(&mut *out, &document(cx))?;
        writeln!(out)
    }
}
