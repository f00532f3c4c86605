//! Fuzz target: report round-trips. A finding with an arbitrary secret, arbitrary paths (with
//! git provenance) and arbitrary attribute and notice text is emitted in every format the CLI
//! offers (`ReportFormat::value_variants`, so new formats are covered), redacted and not. JSON,
//! JSON Lines and SARIF must parse back with the same paths and notices; SARIF URIs must be
//! valid percent-encoded URI references that decode to the path; text must hold no control
//! character but newlines; and a redacted report must never contain the full secret.
#![no_main]

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use clap::ValueEnum;
use leakhound::internals::content::Position;
use leakhound::internals::finding::{
    CommitInfo, Finding, GitOrigin, Location, OriginState, Secret, Suppression, SuppressionKind,
    fingerprint,
};
use leakhound::internals::report::{self, ReportContext, ReportFormat};
use leakhound::internals::rules::RuleSet;
use leakhound::internals::sanitize::escape_for_terminal;
use leakhound::outcome::{Notice, NoticeKind, ScanOutcome, Subject};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn rules() -> &'static Arc<RuleSet> {
    static RULES: OnceLock<Arc<RuleSet>> = OnceLock::new();
    RULES.get_or_init(|| Arc::new(RuleSet::load(&[]).expect("built-in rules compile")))
}

/// The fuzz input split on 0xFF: secret, path, second path, attribute value, notice text.
struct Parts {
    secret: Vec<u8>,
    paths: [String; 2],
    attribute: String,
    notice: String,
}

impl Parts {
    fn split(data: &[u8]) -> Parts {
        let mut fields = data.split(|&b| b == 0xFF);
        let mut next = || String::from_utf8_lossy(fields.next().unwrap_or_default()).into_owned();
        let secret = next().into_bytes();
        Parts { secret, paths: [next(), next()], attribute: next(), notice: next() }
    }
}

fn outcome(parts: &Parts, secret: &[u8]) -> ScanOutcome {
    let rule = 0;
    let rule_id = rules().rules()[rule].id().to_string();
    let position = Position { line: 3, column: 5, end_line: 3, end_column: 9, offset: 40 };
    let git = GitOrigin {
        blob: "0123456789abcdef0123456789abcdef01234567".to_string(),
        state: OriginState::Reachable,
        commit: Some(CommitInfo {
            id: "89abcdef0123456789abcdef0123456789abcdef".to_string(),
            author: parts.attribute.clone(),
            email: parts.notice.clone(),
            date: "2024-01-01T00:00:00Z".to_string(),
            refs: vec![parts.paths[1].clone()],
            refs_total: 1,
        }),
    };
    let locations = vec![
        Location {
            path: parts.paths[0].clone(),
            position,
            git: None,
            image: None,
            marker: None,
            decoded: None,
        },
        Location {
            path: parts.paths[1].clone(),
            position,
            git: Some(Box::new(git)),
            image: None,
            marker: None,
            decoded: None,
        },
    ];
    let finding = Finding {
        rule,
        fingerprint: fingerprint(&rule_id, secret),
        rule_id,
        secret: Secret::new(secret.to_vec()),
        attributes: BTreeMap::from([("host".to_string(), parts.attribute.clone())]),
        locations,
        validation: None,
        confidence: None,
        suppressions: Vec::new(),
    };
    // The same finding, suppressed from a file with a hostile name: reports keep it, redacted.
    let suppressed = Finding {
        suppressions: vec![Suppression {
            kind: SuppressionKind::Config,
            file: parts.paths[1].clone(),
            line: 3,
            reason: "path matches \"fixtures/**\"".to_string(),
        }],
        ..finding.clone()
    };
    let notice = Notice::new(
        NoticeKind::Unreadable,
        Subject::Path(parts.paths[1].clone()),
        parts.notice.clone(),
    );
    ScanOutcome {
        findings: vec![finding],
        suppressed: vec![suppressed],
        notices: vec![notice],
        ..ScanOutcome::default()
    }
}

fn emit(format: ReportFormat, outcome: &ScanOutcome, show_secrets: bool) -> String {
    let cx = ReportContext { outcome, rules: rules(), show_secrets, color: false };
    let mut out = Vec::new();
    report::emit(format, &cx, &mut out).expect("writing to memory never fails");
    String::from_utf8(out).expect("reports are UTF-8")
}

/// Every string in a JSON document.
fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => map.iter().for_each(|(k, v)| {
            out.push(k.clone());
            strings(v, out);
        }),
        _ => {}
    }
}

/// Every JSON document in a report: one, or one per line for JSON Lines.
fn documents(format: ReportFormat, report: &str) -> Vec<Value> {
    match format {
        ReportFormat::Jsonl => {
            report.lines().map(|l| serde_json::from_str(l).expect("each line is JSON")).collect()
        }
        ReportFormat::Json | ReportFormat::Sarif => {
            vec![serde_json::from_str(report).expect("the report is JSON")]
        }
        _ => Vec::new(),
    }
}

fn check_json(doc: &Value, parts: &Parts) {
    let locations = doc["findings"][0]["locations"].as_array().expect("locations");
    assert_eq!(locations[0]["path"].as_str(), Some(parts.paths[0].as_str()));
    assert_eq!(locations[1]["path"].as_str(), Some(parts.paths[1].as_str()));
    assert_eq!(doc["notices"][0]["message"].as_str(), Some(parts.notice.as_str()));
}

fn percent_decode(uri: &str) -> Vec<u8> {
    let bytes = uri.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ASCII");
            out.push(u8::from_str_radix(hex, 16).expect("two hex digits after %"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

fn check_sarif(doc: &Value, parts: &Parts) {
    let results = doc["runs"][0]["results"].as_array().expect("results");
    for (result, path) in results.iter().zip(&parts.paths) {
        let uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .expect("a URI");
        let valid = |b: u8| b.is_ascii_alphanumeric() || b"-._~/%:".contains(&b);
        assert!(uri.bytes().all(valid), "not a valid URI reference: {uri:?}");
        assert!(
            !uri.contains("%")
                || uri
                    .split('%')
                    .skip(1)
                    .all(|s| s.len() >= 2 && s.as_bytes()[..2].iter().all(u8::is_ascii_hexdigit))
        );
        let decoded = percent_decode(uri.strip_prefix("file://").unwrap_or(uri));
        if path != "<stdin>" {
            assert_eq!(decoded, path.as_bytes(), "the URI does not decode to the path");
        }
    }
}

fn check_text(report: &str) {
    let bad = report.chars().find(|&c| c.is_control() && c != '\n');
    assert!(bad.is_none(), "a control character reached the terminal: {bad:?}");
}

/// The full secret appears nowhere in a redacted report (raw, terminal-escaped, or as a decoded
/// JSON string), unless the report shows it without the secret's help: in a path or notice.
fn check_redacted(format: ReportFormat, report: &str, control: &str, secret: &str) {
    if secret.chars().count() < 12
        || control.contains(secret)
        || control.contains(&*escape_for_terminal(secret))
    {
        return;
    }
    assert!(!report.contains(secret), "{format:?} leaks the secret");
    assert!(
        !report.contains(&*escape_for_terminal(secret)),
        "{format:?} leaks the secret, escaped"
    );
    let control_strings: Vec<String> = documents(format, control)
        .iter()
        .flat_map(|d| {
            let mut v = Vec::new();
            strings(d, &mut v);
            v
        })
        .collect();
    if control_strings.iter().any(|s| s.contains(secret)) {
        return;
    }
    for doc in documents(format, report) {
        let mut all = Vec::new();
        strings(&doc, &mut all);
        assert!(
            !all.iter().any(|s| s.contains(secret)),
            "{format:?} leaks the secret in a JSON string"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let parts = Parts::split(data);
    if parts.secret.is_empty() {
        return;
    }
    let secret_text = String::from_utf8_lossy(&parts.secret).into_owned();
    let real = outcome(&parts, &parts.secret);
    let control = outcome(&parts, &vec![b'#'; parts.secret.len()]);
    for &format in ReportFormat::value_variants() {
        for show_secrets in [false, true] {
            let report = emit(format, &real, show_secrets);
            for doc in documents(format, &report) {
                match format {
                    ReportFormat::Json => check_json(&doc, &parts),
                    ReportFormat::Sarif => check_sarif(&doc, &parts),
                    _ => {}
                }
            }
            if format == ReportFormat::Text {
                check_text(&report);
            }
            if !show_secrets {
                check_redacted(format, &report, &emit(format, &control, false), &secret_text);
            }
        }
    }
});
