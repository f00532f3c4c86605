//! One kitchen-sink outcome, snapshotted by every emitter, so the fields where formats diverge
//! are pinned: git provenance, a suppression, a decoded location, a validation result, an error
//! notice, skipped items and the coverage record.

use std::collections::BTreeMap;
use std::time::Duration;

use super::{ReportContext, ReportFormat, emit};
use crate::content::Position;
use crate::finding::{
    CommitInfo, Finding, GitOrigin, Location, OriginState, Secret, Suppression, SuppressionKind,
    fingerprint,
};
use crate::marker::Marker;
use crate::matcher::decode::{Layer, Layers};
use crate::outcome::{
    Coverage, GitMode, Notice, NoticeKind, RefTip, ScanMode, ScanOutcome, ScanStats, SkipReason,
    Subject,
};
use crate::rules::RuleSet;
use crate::validate::{UnknownReason, Validation, ValidationStatus};

fn position(line: u64) -> Position {
    Position { line, column: 5, end_line: line, end_column: 45, offset: 100 * line }
}

fn finding(rules: &RuleSet, rule_id: &str, secret: &str, locations: Vec<Location>) -> Finding {
    Finding {
        rule: rules.index_of(rule_id).expect("a built-in rule"),
        rule_id: rule_id.to_string(),
        fingerprint: fingerprint(rule_id, secret.as_bytes()),
        secret: Secret::new(secret.as_bytes().to_vec()),
        attributes: BTreeMap::new(),
        locations,
        validation: None,
        confidence: None,
        suppressions: Vec::new(),
    }
}

fn location(path: &str, line: u64) -> Location {
    Location {
        path: path.to_string(),
        position: position(line),
        git: None,
        image: None,
        marker: None,
        decoded: None,
    }
}

/// The outcome every emitter is snapshotted with.
fn kitchen_sink(rules: &RuleSet) -> ScanOutcome {
    let commit = CommitInfo {
        id: "3f2a9c1d4b5e6f708192a3b4c5d6e7f8091a2b3c".into(),
        author: "Ada <script>".into(),
        email: "ada@example.com".into(),
        date: "2024-05-01T12:00:00Z".into(),
        refs: vec!["refs/heads/main".into(), "refs/tags/v1.0.0".into()],
        refs_total: 2,
    };
    let mut in_history = location("deploy/app.env", 3);
    in_history.git = Some(Box::new(GitOrigin {
        blob: "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678".into(),
        state: OriginState::Reachable,
        commit: Some(commit),
    }));
    let mut decoded = location("k8s/secret.yaml", 7);
    decoded.decoded = Some(Layers { outer: Layer::Base64, inner: None });
    let key = ["AKIA", "QYLPMN5HHHFPZAM2"].concat();
    let mut aws = finding(rules, "aws.access-key-id", &key, vec![in_history, decoded]);
    aws.validation = Some(Validation {
        status: ValidationStatus::Valid,
        reason: None,
        checked_at: Some("2024-05-02T00:00:00Z".into()),
        details: std::collections::BTreeMap::new(),
    });
    let token = ["glpat-", "Xq7vR2mK9pL4sT8wZ1yB"].concat();
    let mut gitlab = finding(rules, "gitlab.pat", &token, vec![location("ci/.gitlab-ci.yml", 12)]);
    gitlab.validation = Some(Validation::unknown(UnknownReason::Timeout));
    let mut allowed = location("tests/fixtures/app.env", 2);
    allowed.marker = Some(Marker::Leakhound);
    let mut suppressed =
        finding(rules, "gitlab.pat", &["glpat-", "Ab3dE5fG7hJ9kL1mN3pQ"].concat(), vec![allowed]);
    suppressed.suppressions = vec![Suppression {
        kind: SuppressionKind::InlineMarker,
        file: "tests/fixtures/app.env".into(),
        line: 2,
        reason: "inline marker `leakhound:allow`".into(),
    }];
    let notices = vec![
        Notice::too_large(Subject::Path("assets/huge.log".into()), 104_857_600),
        Notice::new(
            NoticeKind::Unreadable,
            Subject::Path("secrets/locked.env".into()),
            "cannot open: Permission denied",
        ),
        Notice::new(
            NoticeKind::MissingObject,
            Subject::Object {
                id: "0123456789abcdef0123456789abcdef01234567".into(),
                path: Some("src/gone.py".into()),
            },
            "blob is not in the object database",
        ),
    ];
    let stats = ScanStats {
        items_scanned: 42,
        bytes_scanned: 123_456,
        skipped_binary: 1,
        skipped_too_large: 1,
        skipped_ignored: 2,
        errors: 2,
        duration: Duration::from_millis(250),
        ..ScanStats::default()
    };
    let coverage = Coverage {
        mode: ScanMode::Git(GitMode::History),
        roots: vec![".".into()],
        refs: vec![RefTip {
            name: "refs/heads/main".into(),
            commit: "3f2a9c1d4b5e6f708192a3b4c5d6e7f8091a2b3c".into(),
        }],
        skipped: BTreeMap::from([
            (SkipReason::Binary, vec!["logo.png".into()]),
            (SkipReason::TooLarge, vec!["assets/huge.log".into()]),
            (SkipReason::Ignored, vec!["build".into(), "node_modules".into()]),
        ]),
        accepted: Vec::new(),
        strict: false,
        cache: None,
        shard: None,
        repositories: Vec::new(),
    };
    ScanOutcome {
        findings: vec![aws, gitlab],
        suppressed: vec![suppressed],
        notices,
        stats,
        coverage,
    }
}

fn render(format: ReportFormat, show_secrets: bool) -> String {
    let rules = RuleSet::load(&[]).expect("built-in rules compile");
    let outcome = kitchen_sink(&rules);
    let context = ReportContext { outcome: &outcome, rules: &rules, show_secrets, color: false };
    let mut out = Vec::new();
    emit(format, &context, &mut out).expect("writing to memory");
    String::from_utf8(out).expect("reports are UTF-8")
}

macro_rules! snapshot_format {
    ($name:ident, $format:expr) => {
        #[test]
        fn $name() {
            let text = render($format, false);
            assert!(!text.contains("QYLPMN5HHHFPZAM2"), "a redacted report holds no secret");
            // GitLab's scan start and end times are wall-clock times.
            insta::with_settings!({ filters => vec![(r#""(start|end)_time": "[^"]*""#, r#""${1}_time": "[time]""#)] }, {
                insta::assert_snapshot!(text);
            });
        }
    };
}

snapshot_format!(text, ReportFormat::Text);
snapshot_format!(json, ReportFormat::Json);
snapshot_format!(jsonl, ReportFormat::Jsonl);
snapshot_format!(sarif, ReportFormat::Sarif);
snapshot_format!(gitlab, ReportFormat::Gitlab);
snapshot_format!(csv, ReportFormat::Csv);
snapshot_format!(github, ReportFormat::Github);

#[test]
fn show_secrets_is_the_only_way_a_secret_enters_a_report() {
    for format in [ReportFormat::Text, ReportFormat::Json, ReportFormat::Sarif, ReportFormat::Csv] {
        assert!(
            render(format, true).contains("QYLPMN5HHHFPZAM2"),
            "{format:?} shows the secret when asked"
        );
    }
}
