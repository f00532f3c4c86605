//! SARIF 2.1.0 for GitHub code scanning, built with `serde-sarif`.
//!
//! What GitHub's ingestion needs, and this emitter does: relative, percent-escaped artifact URIs
//! under `%SRCROOT%`; a full region per result; rule metadata with `help` and
//! `security-severity` (from priority); `partialFingerprints` stable across line moves (rule, secret, path). One
//! result per location, because code scanning shows one location per alert. Items that could not
//! be read are `toolExecutionNotifications`, and `executionSuccessful` is false when any was an
//! error. Columns are Unicode code points (`columnKind`).

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_json::{Value, json};
use serde_sarif::sarif::{
    ArtifactLocation, Invocation, Location, Message, MultiformatMessageString, Notification,
    PhysicalLocation, PropertyBag, Region, ReportingConfiguration, ReportingDescriptor,
    Result as SarifResult, ResultLevel, Run, Sarif, Suppression as SarifSuppression, Tool,
    ToolComponent,
};

use super::{Emitter, ReportContext};
use crate::finding::{Finding, SuppressionKind, location_fingerprint};
use crate::outcome::{Notice, NoticeLevel};
use crate::rules::{Rule, Severity};

/// Writes SARIF.
#[derive(Debug)]
pub(super) struct SarifEmitter;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const SRCROOT: &str = "%SRCROOT%";

impl Emitter for SarifEmitter {
    fn emit(&self, cx: &ReportContext<'_>, out: &mut dyn Write) -> io::Result<()> {
        let (rules, index_of) = used_rules(cx);
        let results: Vec<SarifResult> = cx
            .outcome
            .findings
            .iter()
            .chain(&cx.outcome.suppressed)
            .flat_map(|finding| results_for(cx, finding, index_of[&finding.rule]))
            .collect();
        let driver = ToolComponent::builder()
            .name("leakhound")
            .version(env!("CARGO_PKG_VERSION"))
            .semantic_version(env!("CARGO_PKG_VERSION"))
            .information_uri("https://github.com/leakhound/leakhound")
            .rules(rules)
            .build();
        let run = Run::builder()
            .tool(Tool::builder().driver(driver).build())
            .results(results)
            .invocations(vec![invocation(cx)])
            .column_kind(json!("unicodeCodePoints"))
            .build();
        let log = Sarif::builder().schema(SCHEMA).version(json!("2.1.0")).runs(vec![run]).build();
        serde_json::to_writer_pretty(&mut *out, &log)?;
        writeln!(out)
    }
}

/// The rules that have findings, in id order, and each one's index in that list.
fn used_rules(cx: &ReportContext<'_>) -> (Vec<ReportingDescriptor>, BTreeMap<usize, i64>) {
    let mut used: Vec<usize> =
        cx.outcome.findings.iter().chain(&cx.outcome.suppressed).map(|f| f.rule).collect();
    used.sort_unstable();
    used.dedup();
    let index_of = used.iter().enumerate().map(|(i, &r)| (r, i as i64)).collect();
    let mut top = BTreeMap::<usize, u8>::new();
    for finding in cx.outcome.findings.iter().chain(&cx.outcome.suppressed) {
        let score = top.entry(finding.rule).or_default();
        *score = (*score).max(cx.priority(finding).score);
    }
    let descriptors = used.iter().map(|&r| descriptor(&cx.rules.rules()[r], top[&r])).collect();
    (descriptors, index_of)
}

fn level(severity: Severity) -> ResultLevel {
    match severity {
        Severity::Critical | Severity::High => ResultLevel::Error,
        Severity::Medium => ResultLevel::Warning,
        Severity::Low => ResultLevel::Note,
    }
}

/// GitHub reads `security-severity` (0.0 to 10.0) per rule: the highest priority score of the
/// rule's findings in this report, divided by ten, so its critical/high/medium/low bands match
/// leakhound's priority levels (`docs/priority.md`).
fn security_severity(top_priority_score: u8) -> String {
    format!("{:.1}", f64::from(top_priority_score) / 10.0)
}

fn descriptor(rule: &Rule, top_priority_score: u8) -> ReportingDescriptor {
    let spec = &rule.spec;
    let revoke = spec.revoke.as_deref().unwrap_or("Rotate the credential with its provider.");
    let references: String = spec.references.iter().fold(String::new(), |mut s, r| {
        s.push_str("\n- ");
        s.push_str(r);
        s
    });
    let help_text = format!(
        "{} ({}, {}). If it is real, treat it as compromised: {revoke}\nReferences:{references}",
        spec.name,
        spec.provider,
        spec.kind.as_str()
    );
    let help_markdown = format!(
        "**{}** ({}, `{}`).\n\nIf it is real, treat it as compromised: {revoke}\n\nReferences:{references}",
        spec.name,
        spec.provider,
        spec.kind.as_str()
    );
    let mut props = BTreeMap::new();
    props.insert(
        "security-severity".to_string(),
        Value::from(security_severity(top_priority_score)),
    );
    props.insert("precision".to_string(), Value::from(precision(spec.confidence)));
    let mut descriptor = ReportingDescriptor::builder()
        .id(spec.id.clone())
        .name(spec.id.replace(['.', '-'], "_"))
        .short_description(MultiformatMessageString::builder().text(spec.name.clone()).build())
        .full_description(
            MultiformatMessageString::builder()
                .text(format!(
                    "{} leaked in source: {} credential issued by {}.",
                    spec.name,
                    spec.kind.as_str(),
                    spec.provider
                ))
                .build(),
        )
        .help(MultiformatMessageString::builder().text(help_text).markdown(help_markdown).build())
        .default_configuration(
            ReportingConfiguration::builder().level(json!(level_name(spec.severity))).build(),
        )
        .properties(
            PropertyBag::builder()
                .tags(vec![
                    "security".to_string(),
                    "secret".to_string(),
                    spec.kind.as_str().to_string(),
                ])
                .additional_properties(props)
                .build(),
        )
        .build();
    descriptor.help_uri = spec.references.first().cloned();
    descriptor
}

fn level_name(severity: Severity) -> &'static str {
    match level(severity) {
        ResultLevel::Error => "error",
        ResultLevel::Warning => "warning",
        ResultLevel::Note | ResultLevel::None => "note",
    }
}

fn precision(confidence: crate::rules::Confidence) -> &'static str {
    match confidence {
        crate::rules::Confidence::High => "high",
        crate::rules::Confidence::Medium => "medium",
        crate::rules::Confidence::Low => "low",
    }
}

fn results_for(cx: &ReportContext<'_>, finding: &Finding, rule_index: i64) -> Vec<SarifResult> {
    let spec = &cx.rules.rules()[finding.rule].spec;
    let secret = cx.secret_text(finding);
    let priority = cx.priority(finding);
    finding
        .locations
        .iter()
        .map(|location| {
            let p = location.position;
            let region = Region::builder()
                .start_line(p.line as i64)
                .start_column(p.column as i64)
                .end_line(p.end_line as i64)
                .end_column(p.end_column as i64)
                .build();
            let physical = PhysicalLocation::builder()
                .artifact_location(artifact(&location.path))
                .region(region)
                .build();
            let mut fingerprints = BTreeMap::new();
            fingerprints
                .insert("leakhound/v2".to_string(), location_fingerprint(finding, &location.path));
            let mut props = BTreeMap::new();
            props.insert("fingerprint".to_string(), Value::from(finding.fingerprint.clone()));
            props.insert("secret".to_string(), Value::from(secret.clone()));
            props.insert("redacted".to_string(), Value::from(!cx.show_secrets));
            props.insert("priority".to_string(), json!(priority));
            if !finding.attributes.is_empty() {
                props.insert("attributes".to_string(), json!(finding.attributes));
            }
            if let Some(layers) = location.decoded {
                props.insert("decoded".to_string(), Value::from(layers.describe()));
            }
            if let Some(git) = &location.git {
                props.insert("git".to_string(), json!(git));
            }
            if let Some(image) = &location.image {
                props.insert("image".to_string(), json!(image));
            }
            if let Some(validation) = &finding.validation {
                props.insert("validation".to_string(), json!(validation));
            }
            let mut result = SarifResult::builder()
                .rule_id(spec.id.clone())
                .rule_index(rule_index)
                .level(level(spec.severity))
                .message(Message::builder().text(format!("{} found: {secret}", spec.name)).build())
                .locations(vec![Location::builder().physical_location(physical).build()])
                .partial_fingerprints(fingerprints)
                .properties(PropertyBag::builder().additional_properties(props).build())
                .build();
            if !finding.suppressions.is_empty() {
                result.suppressions = Some(finding.suppressions.iter().map(suppression).collect());
            }
            result
        })
        .collect()
}

/// A SARIF suppression: `inSource` for a marker in the scanned file, `external` for a config
/// or baseline, with the file and line that suppressed it.
fn suppression(why: &crate::finding::Suppression) -> SarifSuppression {
    let kind = match why.kind {
        SuppressionKind::InlineMarker => "inSource",
        SuppressionKind::Config | SuppressionKind::Baseline => "external",
    };
    let region = Region::builder().start_line(why.line.max(1) as i64).build();
    let physical =
        PhysicalLocation::builder().artifact_location(artifact(&why.file)).region(region).build();
    SarifSuppression::builder()
        .kind(Value::from(kind))
        .status(Value::from("accepted"))
        .justification(format!("{}: {}", why.kind.as_str(), why.reason))
        .location(Location::builder().physical_location(physical).build())
        .build()
}

fn invocation(cx: &ReportContext<'_>) -> Invocation {
    let notifications: Vec<Notification> = cx.outcome.notices.iter().map(notification).collect();
    let mut invocation =
        Invocation::builder().execution_successful(!cx.outcome.incomplete()).build();
    let coverage =
        serde_json::to_value(super::json::coverage_json(cx.outcome)).unwrap_or(Value::Null);
    let props = BTreeMap::from([("coverage".to_string(), coverage)]);
    invocation.properties = Some(PropertyBag::builder().additional_properties(props).build());
    if !notifications.is_empty() {
        invocation.tool_execution_notifications = Some(notifications);
    }
    invocation
}

fn notification(notice: &Notice) -> Notification {
    let level = match notice.level {
        NoticeLevel::Error => "error",
        NoticeLevel::Warning => "warning",
    };
    let message = Message::builder().text(notice.message.clone()).build();
    let mut notification = Notification::builder().level(json!(level)).message(message).build();
    notification.locations = notice.path().map(|path| {
        let physical = PhysicalLocation::builder().artifact_location(artifact(path)).build();
        vec![Location::builder().physical_location(physical).build()]
    });
    notification
}

/// A relative path becomes a percent-escaped URI under `%SRCROOT%`; an absolute one a `file:` URI.
fn artifact(path: &str) -> ArtifactLocation {
    if path.starts_with('/') {
        ArtifactLocation::builder().uri(format!("file://{}", percent_escape(path))).build()
    } else if path == "<stdin>" {
        ArtifactLocation::builder().uri("stdin").build()
    } else {
        ArtifactLocation::builder().uri(percent_escape(path)).uri_base_id(SRCROOT).build()
    }
}

/// Escapes every byte except RFC 3986 unreserved characters and `/`.
pub(crate) fn percent_escape(path: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(path.len());
    for &b in path.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_escaped() {
        assert_eq!(percent_escape("src/my file.py"), "src/my%20file.py");
        assert_eq!(percent_escape("a/ü#?.txt"), "a/%C3%BC%23%3F.txt");
        assert_eq!(percent_escape("line\nbreak"), "line%0Abreak");
    }
}
