//! Priority: which finding to deal with first, as a pure function of the finding, its rule and
//! the time (see `docs/priority.md`).
//!
//! A score from 0 to 100 is the sum of five documented parts, then capped by what validation
//! proved:
//!
//! | part | values |
//! |---|---|
//! | severity (rule) | critical 40, high 30, medium 20, low 10 |
//! | confidence (rule, or lowered by an offline check) | high 15, medium 8, low 0 |
//! | validity | live 30, unknown or not checked 15, expired 5, invalid or revoked 0 |
//! | exposure (the widest of its locations) | released (a tag) 15, default branch 15, working tree 12, other branch 10, staged 6, unreachable only 4 |
//! | age (first commit date) | 90 days or more 5, 7 days or more 3, younger or unknown 0 |
//!
//! A credential proven invalid or revoked scores at most 20, an expired one at most 35: both
//! are still worth cleaning up, never before a live one. The level follows the score with the
//! thresholds GitHub code scanning uses for `security-severity` (score / 10): critical from 90,
//! high from 70, medium from 40, low below. Older exposure scores higher because a secret that
//! has been readable longer is more likely to have been copied.
//!
//! Exposure comes from git provenance: a location's introducing commit and the refs that reach
//! it (at most [`crate::finding::MAX_REFS_LISTED`] are listed, so a commit reached by many refs
//! is judged by the listed ones). A default branch is `main`, `master`, `trunk` or a detached
//! `HEAD`, local or under `refs/remotes/*/`. A location without git provenance is in the working
//! tree: the files as they are now.

use serde::Serialize;

use crate::finding::{Finding, GitOrigin, OriginState};
use crate::rules::{Confidence, RuleSpec, Severity};
use crate::validate::ValidationStatus;

/// How soon to act on a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Priority {
    /// The level derived from the score.
    pub level: PriorityLevel,
    /// 0 to 100; higher first.
    pub score: u8,
    /// The widest exposure among the finding's locations.
    pub exposure: Exposure,
    /// What validation concluded, in the terms priority uses.
    pub validity: Validity,
}

/// The priority band (ordered low to critical).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PriorityLevel {
    /// Score below 40.
    Low,
    /// Score 40 to 69.
    Medium,
    /// Score 70 to 89.
    High,
    /// Score 90 or more.
    Critical,
}

impl PriorityLevel {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            PriorityLevel::Low => "low",
            PriorityLevel::Medium => "medium",
            PriorityLevel::High => "high",
            PriorityLevel::Critical => "critical",
        }
    }

    fn from_score(score: u8) -> PriorityLevel {
        match score {
            90.. => PriorityLevel::Critical,
            70..=89 => PriorityLevel::High,
            40..=69 => PriorityLevel::Medium,
            _ => PriorityLevel::Low,
        }
    }
}

/// Where a secret can be read from (ordered narrowest to widest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Exposure {
    /// Only in objects no ref reaches (rewritten history, dropped stashes).
    UnreachableOnly,
    /// Staged in the index, not committed yet.
    Staged,
    /// Reachable from a branch other than the default one.
    OtherBranch,
    /// In the files as they are (a directory or stdin scan).
    WorkingTree,
    /// Reachable from the default branch.
    DefaultBranch,
    /// Reachable from a tag: part of a release.
    Released,
}

impl Exposure {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Exposure::UnreachableOnly => "unreachable-only",
            Exposure::Staged => "staged",
            Exposure::OtherBranch => "other-branch",
            Exposure::WorkingTree => "working-tree",
            Exposure::DefaultBranch => "default-branch",
            Exposure::Released => "released",
        }
    }

    fn points(self) -> u8 {
        match self {
            Exposure::Released | Exposure::DefaultBranch => 15,
            Exposure::WorkingTree => 12,
            Exposure::OtherBranch => 10,
            Exposure::Staged => 6,
            Exposure::UnreachableOnly => 4,
        }
    }
}

/// Validation's conclusion as priority sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Validity {
    /// Proven invalid or revoked.
    Invalid,
    /// Expired (by the provider or an offline check such as a JWT's `exp`).
    Expired,
    /// Not checked, or no conclusion.
    Unknown,
    /// The provider accepted it.
    Live,
}

impl Validity {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Validity::Invalid => "invalid",
            Validity::Expired => "expired",
            Validity::Unknown => "unknown",
            Validity::Live => "live",
        }
    }

    fn of(finding: &Finding) -> Validity {
        match finding.validation.as_ref().map(|v| v.status) {
            Some(ValidationStatus::Valid) => Validity::Live,
            Some(ValidationStatus::Invalid | ValidationStatus::Revoked) => Validity::Invalid,
            Some(ValidationStatus::Expired) => Validity::Expired,
            Some(ValidationStatus::Unknown) | None => Validity::Unknown,
        }
    }

    fn points(self) -> u8 {
        match self {
            Validity::Live => 30,
            Validity::Unknown => 15,
            Validity::Expired => 5,
            Validity::Invalid => 0,
        }
    }

    fn cap(self) -> u8 {
        match self {
            Validity::Invalid => 20,
            Validity::Expired => 35,
            Validity::Unknown | Validity::Live => 100,
        }
    }
}

fn severity_points(severity: Severity) -> u8 {
    match severity {
        Severity::Critical => 40,
        Severity::High => 30,
        Severity::Medium => 20,
        Severity::Low => 10,
    }
}

fn confidence_points(confidence: Confidence) -> u8 {
    match confidence {
        Confidence::High => 15,
        Confidence::Medium => 8,
        Confidence::Low => 0,
    }
}

fn age_points(age_days: Option<i64>) -> u8 {
    match age_days {
        Some(90..) => 5,
        Some(7..=89) => 3,
        _ => 0,
    }
}

/// The priority of `finding` (of the rule `spec`) at `now` (Unix seconds).
pub(crate) fn assess(finding: &Finding, spec: &RuleSpec, now: i64) -> Priority {
    let exposure = exposure(finding);
    let validity = Validity::of(finding);
    let confidence = finding.confidence.unwrap_or(spec.confidence);
    let age_days = first_seen(finding).map(|seconds| (now - seconds).div_euclid(86_400));
    let sum = severity_points(spec.severity)
        + confidence_points(confidence)
        + validity.points()
        + exposure.points()
        + age_points(age_days);
    let score = sum.min(validity.cap()).min(100);
    Priority { level: PriorityLevel::from_score(score), score, exposure, validity }
}

/// The widest exposure of any location.
pub(crate) fn exposure(finding: &Finding) -> Exposure {
    finding
        .locations
        .iter()
        .map(|l| match (&l.git, &l.image) {
            (Some(git), _) => git_exposure(git),
            // A built image ships every layer, lower ones included: a released artefact.
            (None, Some(_)) => Exposure::Released,
            (None, None) => Exposure::WorkingTree,
        })
        .max()
        .unwrap_or(Exposure::WorkingTree)
}

fn git_exposure(origin: &GitOrigin) -> Exposure {
    match (origin.state, &origin.commit) {
        (OriginState::Staged, _) => Exposure::Staged,
        (OriginState::Unreachable, _) | (_, None) => Exposure::UnreachableOnly,
        (OriginState::Reachable, Some(commit)) => {
            commit.refs.iter().map(|r| ref_exposure(r)).max().unwrap_or(Exposure::UnreachableOnly)
        }
    }
}

/// What a ref that reaches a commit says about its exposure.
pub(crate) fn ref_exposure(name: &str) -> Exposure {
    if name.starts_with("refs/tags/") {
        return Exposure::Released;
    }
    let branch = name.strip_prefix("refs/heads/").or_else(|| {
        name.strip_prefix("refs/remotes/").and_then(|rest| rest.split_once('/').map(|(_, b)| b))
    });
    match branch {
        _ if name == "HEAD" => Exposure::DefaultBranch,
        Some("main" | "master" | "trunk" | "HEAD") => Exposure::DefaultBranch,
        _ => Exposure::OtherBranch,
    }
}

/// The earliest commit date of any location, in Unix seconds.
fn first_seen(finding: &Finding) -> Option<i64> {
    finding
        .locations
        .iter()
        .filter_map(|l| l.git.as_deref()?.commit.as_ref())
        .filter_map(|c| crate::date::parse_rfc3339(&c.date))
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::Position;
    use crate::finding::{CommitInfo, Location, Secret};
    use crate::validate::Validation;

    const NOW: i64 = 1_800_000_000;

    fn spec(severity: Severity, confidence: Confidence) -> RuleSpec {
        let yaml = format!(
            "id: t.rule\nname: T\nprovider: t\nkind: token\npattern: 'x'\nseverity: {}\nconfidence: {}\n",
            severity.as_str(),
            confidence.as_str()
        );
        serde_saphyr::from_str(&yaml).unwrap()
    }

    fn location(git: Option<GitOrigin>) -> Location {
        Location {
            path: "a.txt".into(),
            position: Position { line: 1, column: 1, end_line: 1, end_column: 2, offset: 0 },
            git: git.map(Box::new),
            image: None,
            marker: None,
            decoded: None,
        }
    }

    fn origin(state: OriginState, refs: &[&str], date: &str) -> GitOrigin {
        GitOrigin {
            blob: "b".repeat(40),
            state,
            commit: Some(CommitInfo {
                id: "c".repeat(40),
                author: "A".into(),
                email: "a@example.org".into(),
                date: date.into(),
                refs: refs.iter().map(|r| (*r).to_string()).collect(),
                refs_total: refs.len(),
            }),
        }
    }

    fn finding(locations: Vec<Location>, validation: Option<ValidationStatus>) -> Finding {
        Finding {
            rule: 0,
            rule_id: "t.rule".into(),
            secret: Secret::new(b"s3cr3t-value".to_vec()),
            fingerprint: "f".into(),
            attributes: std::collections::BTreeMap::default(),
            locations,
            validation: validation.map(Validation::offline),
            confidence: None,
            suppressions: Vec::new(),
        }
    }

    #[test]
    fn an_unchecked_high_severity_token_in_the_working_tree_is_high() {
        let p = assess(
            &finding(vec![location(None)], None),
            &spec(Severity::High, Confidence::High),
            NOW,
        );
        // 30 severity + 15 confidence + 15 unknown validity + 12 working tree + 0 age.
        assert_eq!(
            (p.score, p.level, p.exposure, p.validity),
            (72, PriorityLevel::High, Exposure::WorkingTree, Validity::Unknown)
        );
    }

    #[test]
    fn a_live_old_key_released_in_a_tag_is_critical() {
        let o = origin(
            OriginState::Reachable,
            &["refs/heads/feature", "refs/tags/v1.0"],
            "2020-01-01T00:00:00Z",
        );
        let f = finding(vec![location(Some(o))], Some(ValidationStatus::Valid));
        let p = assess(&f, &spec(Severity::High, Confidence::High), NOW);
        // 30 + 15 + 30 + 15 released + 5 age = 95.
        assert_eq!(
            (p.score, p.level, p.exposure),
            (95, PriorityLevel::Critical, Exposure::Released)
        );
    }

    #[test]
    fn proven_invalid_or_expired_credentials_are_capped_low() {
        let s = spec(Severity::Critical, Confidence::High);
        let invalid =
            assess(&finding(vec![location(None)], Some(ValidationStatus::Revoked)), &s, NOW);
        assert_eq!(
            (invalid.score, invalid.level, invalid.validity),
            (20, PriorityLevel::Low, Validity::Invalid)
        );
        let expired =
            assess(&finding(vec![location(None)], Some(ValidationStatus::Expired)), &s, NOW);
        assert_eq!((expired.score, expired.level), (35, PriorityLevel::Low));
    }

    #[test]
    fn the_widest_location_decides_exposure() {
        let unreachable = origin(OriginState::Unreachable, &[], "2020-01-01T00:00:00Z");
        let branch = origin(OriginState::Reachable, &["refs/heads/wip"], "2020-01-01T00:00:00Z");
        let only_dangling = finding(vec![location(Some(unreachable.clone()))], None);
        assert_eq!(exposure(&only_dangling), Exposure::UnreachableOnly);
        let both = finding(vec![location(Some(unreachable)), location(Some(branch))], None);
        assert_eq!(exposure(&both), Exposure::OtherBranch);
    }

    #[test]
    fn default_branches_are_recognised_locally_and_on_remotes() {
        assert_eq!(ref_exposure("refs/heads/main"), Exposure::DefaultBranch);
        assert_eq!(ref_exposure("refs/remotes/origin/master"), Exposure::DefaultBranch);
        assert_eq!(ref_exposure("HEAD"), Exposure::DefaultBranch);
        assert_eq!(ref_exposure("refs/heads/mainline"), Exposure::OtherBranch);
        assert_eq!(ref_exposure("refs/stash"), Exposure::OtherBranch);
        assert_eq!(ref_exposure("refs/tags/v2"), Exposure::Released);
    }

    #[test]
    fn age_adds_points_as_exposure_lengthens() {
        let s = spec(Severity::Medium, Confidence::Medium);
        let at = |date: &str| {
            let f = finding(
                vec![location(Some(origin(OriginState::Reachable, &["refs/heads/x"], date)))],
                None,
            );
            assess(&f, &s, NOW).score
        };
        // NOW is 2027-01-15; 20 + 8 + 15 + 10 = 53 before age.
        assert_eq!(at("2027-01-14T00:00:00Z"), 53);
        assert_eq!(at("2027-01-01T00:00:00Z"), 56);
        assert_eq!(at("2026-01-01T00:00:00Z"), 58);
    }
}
