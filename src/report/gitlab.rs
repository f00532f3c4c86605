//! GitLab secret-detection report (`-f gitlab`), schema version 15.2.5.
//!
//! GitLab reads this file from a job's `artifacts: reports: secret_detection:` and shows each
//! vulnerability in the merge request widget and the vulnerability report. One vulnerability per
//! location, as GitLab tracks one file and line per vulnerability. The schema requires a commit per
//! location: a finding from git history carries the commit that introduced it; one from the file
//! system (or the index) carries `0000000`, as GitLab's own analyzer does outside git. The
//! vulnerability `id` is a UUID-shaped hash of the per-location fingerprint, so it is stable across
//! pipelines. Secrets appear only in `description`, redacted unless `--show-secrets`; the
//! unsanitised `raw_source_code_extract` field is never written. The schema is vendored under
//! `fixtures/gitlab/` and the report is validated against it in `tests/it/reports.rs`.

use std::io::{self, Write};
use std::time::SystemTime;

use serde::Serialize;

use super::{Emitter, ReportContext};
use crate::finding::{Finding, Location, location_fingerprint};
use crate::outcome::NoticeLevel;
use crate::rules::Severity;

/// Writes a GitLab secret-detection report.
#[derive(Debug)]
pub(super) struct GitlabEmitter;

/// The schema version the report conforms to.
const VERSION: &str = "15.2.5";
const SCHEMA: &str = "https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/v15.2.5/dist/secret-detection-report-format.json";
/// The commit of a location that is not in git history.
const NO_COMMIT: &str = "0000000";

#[derive(Serialize)]
struct Report {
    version: &'static str,
    schema: &'static str,
    scan: Scan,
    vulnerabilities: Vec<Vulnerability>,
}

#[derive(Serialize)]
struct Scan {
    analyzer: Component,
    scanner: Component,
    #[serde(rename = "type")]
    kind: &'static str,
    start_time: String,
    end_time: String,
    status: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    messages: Vec<Message>,
}

#[derive(Serialize)]
struct Component {
    id: &'static str,
    name: &'static str,
    version: &'static str,
    vendor: Vendor,
}

#[derive(Serialize)]
struct Vendor {
    name: &'static str,
}

#[derive(Serialize)]
struct Message {
    level: &'static str,
    value: String,
}

#[derive(Serialize)]
struct Vulnerability {
    id: String,
    name: String,
    description: String,
    severity: &'static str,
    solution: String,
    identifiers: Vec<Identifier>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    links: Vec<Link>,
    location: VulnerabilityLocation,
}

#[derive(Serialize)]
struct Identifier {
    #[serde(rename = "type")]
    kind: &'static str,
    name: String,
    value: String,
}

#[derive(Serialize)]
struct Link {
    url: String,
}

#[derive(Serialize)]
struct VulnerabilityLocation {
    file: String,
    start_line: u64,
    end_line: u64,
    commit: Commit,
}

#[derive(Serialize)]
struct Commit {
    sha: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    author: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<String>,
}

impl Emitter for GitlabEmitter {
    fn emit(&self, cx: &ReportContext<'_>, out: &mut dyn Write) -> io::Result<()> {
        let report = Report {
            version: VERSION,
            schema: SCHEMA,
            scan: scan(cx),
            vulnerabilities: cx
                .outcome
                .findings
                .iter()
                .flat_map(|finding| {
                    finding
                        .locations
                        .iter()
                        .map(move |location| vulnerability(cx, finding, location))
                })
                .collect(),
        };
        serde_json::to_writer_pretty(&mut *out, &report)?;
        writeln!(out)
    }
}

fn component() -> Component {
    Component {
        id: "leakhound",
        name: "leakhound",
        version: env!("CARGO_PKG_VERSION"),
        vendor: Vendor { name: "leakhound" },
    }
}

fn scan(cx: &ReportContext<'_>) -> Scan {
    let end = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let start = end.saturating_sub(cx.outcome.stats.duration.as_secs());
    let messages = cx
        .outcome
        .notices
        .iter()
        .map(|notice| Message {
            level: "warn",
            value: match notice.path() {
                Some(path) if notice.level == NoticeLevel::Error => {
                    format!("could not read {path}: {}", notice.message)
                }
                Some(path) => format!("{path}: {}", notice.message),
                None => notice.message.clone(),
            },
        })
        .collect();
    Scan {
        analyzer: component(),
        scanner: component(),
        kind: "secret_detection",
        start_time: gitlab_time(start),
        end_time: gitlab_time(end),
        status: if cx.outcome.incomplete() { "failure" } else { "success" },
        messages,
    }
}

/// `yyyy-mm-ddThh:mm:ss` in UTC, the only time format the schema accepts.
fn gitlab_time(seconds: u64) -> String {
    let mut text = crate::date::rfc3339(i64::try_from(seconds).unwrap_or(i64::MAX));
    text.pop(); // the trailing `Z`
    text
}

fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "Critical",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
    }
}

fn vulnerability(cx: &ReportContext<'_>, finding: &Finding, location: &Location) -> Vulnerability {
    let spec = &cx.rules.rules()[finding.rule].spec;
    let revoke = spec.revoke.as_deref().unwrap_or("Rotate the credential with its provider.");
    Vulnerability {
        id: uuid_shaped(&location_fingerprint(finding, &location.path)),
        name: truncate(&spec.name, 255),
        description: format!(
            "{} ({}, {}) found: {}. Fingerprint {}.",
            spec.name,
            spec.provider,
            spec.kind.as_str(),
            cx.secret_text(finding),
            finding.fingerprint
        ),
        severity: severity(spec.severity),
        solution: truncate(&format!("If it is real, treat it as compromised: {revoke}"), 7000),
        identifiers: vec![Identifier {
            kind: "leakhound_rule_id",
            name: spec.name.clone(),
            value: spec.id.clone(),
        }],
        links: spec
            .references
            .iter()
            .filter(|r| r.starts_with("https://") || r.starts_with("http://"))
            .map(|r| Link { url: r.clone() })
            .collect(),
        location: VulnerabilityLocation {
            file: location.path.clone(),
            start_line: location.position.line,
            end_line: location.position.end_line,
            commit: commit(location),
        },
    }
}

fn commit(location: &Location) -> Commit {
    match location.git.as_deref().and_then(|git| git.commit.as_ref()) {
        Some(c) => Commit {
            sha: c.id.clone(),
            author: Some(format!("{} <{}>", c.author, c.email)),
            date: Some(c.date.clone()),
        },
        None => Commit { sha: NO_COMMIT.to_string(), author: None, date: None },
    }
}

/// 32 hex digits as `8-4-4-4-12`.
fn uuid_shaped(hex: &str) -> String {
    let h = format!("{hex:0<32}");
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

/// At most `max` bytes, cut on a character boundary.
fn truncate(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_have_the_schema_format() {
        assert_eq!(gitlab_time(1_700_000_000), "2023-11-14T22:13:20");
    }

    #[test]
    fn ids_are_uuid_shaped() {
        assert_eq!(
            uuid_shaped("0123456789abcdef0123456789abcdef"),
            "01234567-89ab-cdef-0123-456789abcdef"
        );
    }

    #[test]
    fn truncation_keeps_whole_characters() {
        assert_eq!(truncate("aü", 2), "a");
        assert_eq!(truncate("abc", 10), "abc");
    }
}
