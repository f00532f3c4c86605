//! Reading a provider's answer: status code and body -> a [`Decision`].
//!
//! The validator's response rules are tried in order and the first that matches decides. When
//! none matches, 429 and 5xx answers are retried (bounded, honouring `Retry-After`), a redirect
//! is reported as such (redirects are never followed), and anything else is an unexpected
//! response. A pure function of the answer, so `rules check` proves each validator's examples
//! without any network.

use std::time::Duration;

use super::spec::{JsonCheck, ResponseSpec};
use super::status::{UnknownReason, ValidationStatus};

/// What one answer means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// A conclusion (never `Unknown`).
    Final(ValidationStatus),
    /// Worth asking again, after `after` when the provider said how long.
    Retry {
        /// Why (rate limited or server error).
        reason: UnknownReason,
        /// The provider's `Retry-After`, when given in seconds.
        after: Option<Duration>,
    },
    /// No conclusion, and asking again would not help.
    Unknown(UnknownReason),
}

/// An HTTP answer as far as interpretation needs it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Answer {
    /// Status code.
    pub status: u16,
    /// `Retry-After` in seconds, if the header held a number.
    pub retry_after: Option<Duration>,
    /// The body (bounded by the client).
    pub body: Vec<u8>,
}

/// Interprets `answer` with `rules`.
pub(crate) fn interpret(rules: &[ResponseSpec], answer: &Answer) -> Decision {
    let json: Option<serde_json::Value> = serde_json::from_slice(&answer.body).ok();
    if let Some(rule) = rules.iter().find(|rule| matches_rule(rule, answer, json.as_ref())) {
        return Decision::Final(rule.outcome);
    }
    match answer.status {
        429 => Decision::Retry { reason: UnknownReason::RateLimited, after: answer.retry_after },
        500..=599 => {
            Decision::Retry { reason: UnknownReason::ServerError, after: answer.retry_after }
        }
        300..=399 => Decision::Unknown(UnknownReason::Redirected),
        _ => Decision::Unknown(UnknownReason::UnexpectedResponse),
    }
}

fn matches_rule(rule: &ResponseSpec, answer: &Answer, json: Option<&serde_json::Value>) -> bool {
    rule.status.contains(&answer.status)
        && rule.body_contains.as_deref().is_none_or(|needle| {
            answer.body.windows(needle.len().max(1)).any(|w| w == needle.as_bytes())
        })
        && rule.json.iter().all(|check| json_holds(check, json))
}

fn json_holds(check: &JsonCheck, json: Option<&serde_json::Value>) -> bool {
    let found = json.and_then(|root| lookup(root, &check.path)).filter(|v| !v.is_null());
    let exists_ok = check.exists.is_none_or(|want| want == found.is_some());
    let equals_ok = check.equals.as_ref().is_none_or(|want| found == Some(want));
    exists_ok && equals_ok
}

/// Follows a dotted path; numeric segments index arrays.
fn lookup<'a>(root: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    path.split('.').try_fold(root, |value, segment| match segment.parse::<usize>() {
        Ok(index) if value.is_array() => value.get(index),
        _ => value.get(segment),
    })
}

/// Parses a `Retry-After` header given in seconds (the HTTP-date form is ignored: the client
/// then falls back to its own backoff).
#[cfg(feature = "validate")]
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(yaml: &str) -> Vec<ResponseSpec> {
        serde_saphyr::from_str(yaml).unwrap()
    }

    fn answer(status: u16, body: &str) -> Answer {
        Answer { status, retry_after: None, body: body.as_bytes().to_vec() }
    }

    const SLACK: &str = r"
- status: [200]
  json: [{path: ok, equals: true}]
  outcome: valid
- status: [200]
  json: [{path: error, equals: token_revoked}]
  outcome: revoked
- status: [200]
  json: [{path: ok, equals: false}]
  outcome: invalid
";

    #[test]
    fn the_first_matching_rule_decides() {
        let r = rules(SLACK);
        let valid = answer(200, r#"{"ok":true,"user":"u"}"#);
        assert_eq!(interpret(&r, &valid), Decision::Final(ValidationStatus::Valid));
        let revoked = answer(200, r#"{"ok":false,"error":"token_revoked"}"#);
        assert_eq!(interpret(&r, &revoked), Decision::Final(ValidationStatus::Revoked));
        let invalid = answer(200, r#"{"ok":false,"error":"invalid_auth"}"#);
        assert_eq!(interpret(&r, &invalid), Decision::Final(ValidationStatus::Invalid));
    }

    #[cfg(feature = "validate")]
    #[test]
    fn retry_after_is_read_in_seconds_only() {
        assert_eq!(parse_retry_after(" 3 "), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }

    #[test]
    fn unmatched_answers_retry_or_say_why_not() {
        let r = rules("- {status: [200], outcome: valid}");
        let mut limited = answer(429, "");
        limited.retry_after = Some(std::time::Duration::from_secs(3));
        assert_eq!(
            interpret(&r, &limited),
            Decision::Retry {
                reason: UnknownReason::RateLimited,
                after: Some(Duration::from_secs(3))
            }
        );
        assert!(matches!(
            interpret(&r, &answer(503, "")),
            Decision::Retry { reason: UnknownReason::ServerError, .. }
        ));
        assert_eq!(interpret(&r, &answer(302, "")), Decision::Unknown(UnknownReason::Redirected));
        assert_eq!(
            interpret(&r, &answer(418, "")),
            Decision::Unknown(UnknownReason::UnexpectedResponse)
        );
    }

    #[test]
    fn json_paths_index_arrays_and_exists_checks_null() {
        let r = rules(
            "- {status: [200], json: [{path: data.viewer.id, exists: true}], outcome: valid}\n- {status: [200], json: [{path: errors.0.extensions.code, equals: UNAUTHENTICATED}], outcome: invalid}",
        );
        let ok = answer(200, r#"{"data":{"viewer":{"id":"1"}}}"#);
        assert_eq!(interpret(&r, &ok), Decision::Final(ValidationStatus::Valid));
        let bad = answer(
            200,
            r#"{"data":{"viewer":null},"errors":[{"extensions":{"code":"UNAUTHENTICATED"}}]}"#,
        );
        assert_eq!(interpret(&r, &bad), Decision::Final(ValidationStatus::Invalid));
    }

    #[test]
    fn body_contains_matches_substrings() {
        let r = rules("- {status: [403], body_contains: InvalidClientTokenId, outcome: invalid}");
        let body = "<Error><Code>InvalidClientTokenId</Code></Error>";
        assert_eq!(interpret(&r, &answer(403, body)), Decision::Final(ValidationStatus::Invalid));
        assert_eq!(
            interpret(&r, &answer(403, "<Code>Other</Code>")),
            Decision::Unknown(UnknownReason::UnexpectedResponse)
        );
    }
}
