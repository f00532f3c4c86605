//! Reading a provider's answer: status code and body -> a [`Decision`].
//!
//! The validator's response rules are tried in order and the first that matches decides. When
//! none matches, 429 and 5xx answers are retried (bounded, honouring `Retry-After`), a redirect
//! is reported as such (redirects are never followed), and anything else is an unexpected
//! response. A pure function of the answer, so `rules check` proves each validator's examples
//! without any network.

use std::time::Duration;

#[cfg(feature = "validate")]
use std::collections::BTreeMap;

#[cfg(feature = "validate")]
use super::request::Outgoing;
#[cfg(feature = "validate")]
use super::spec::CaptureSpec;
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
    /// Response headers (bounded by the client), for `capture`.
    #[cfg_attr(not(feature = "validate"), allow(dead_code))]
    pub headers: Vec<(String, String)>,
}

/// The longest captured value kept (in characters); longer ones are cut and marked `...`.
#[cfg(feature = "validate")]
const MAX_CAPTURED: usize = 200;

#[cfg(feature = "validate")]
/// What a `valid` answer says about the credential, as the validator's `capture` names it.
/// Values are cleaned of control characters and bounded; a value that holds any part of what
/// was sent (the credential, a companion) is never kept, whatever the provider echoes.
pub(crate) fn capture(
    specs: &[CaptureSpec],
    answer: &Answer,
    sent: &Outgoing,
) -> BTreeMap<String, String> {
    let json: Option<serde_json::Value> = serde_json::from_slice(&answer.body).ok();
    let body = String::from_utf8_lossy(&answer.body);
    let mut out = BTreeMap::new();
    for spec in specs {
        let value = if let Some(header) = &spec.header {
            answer
                .headers
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(header))
                .map(|(_, v)| v.clone())
        } else if let Some(path) = &spec.json {
            json.as_ref().and_then(|root| lookup(root, path)).and_then(json_text)
        } else if let Some(element) = &spec.xml {
            xml_text(&body, element)
        } else {
            None
        };
        let Some(value) = value.map(|v| clean(&v)).filter(|v| !v.is_empty()) else { continue };
        if !echoes_request(&value, sent) {
            out.insert(spec.name.clone(), value);
        }
    }
    out
}

#[cfg(feature = "validate")]
/// A JSON value as text: strings as they are, numbers and booleans written out, arrays of
/// those joined with `, `; objects and nulls are not captured.
fn json_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        serde_json::Value::Array(items) => {
            let parts: Option<Vec<String>> = items
                .iter()
                .map(|item| if item.is_array() { None } else { json_text(item) })
                .collect();
            parts.map(|p| p.join(", "))
        }
        _ => None,
    }
}

#[cfg(feature = "validate")]
/// The text of the first `<element>...</element>` (no attributes, no nesting: enough for the
/// flat answers of AWS STS).
fn xml_text(body: &str, element: &str) -> Option<String> {
    let open = format!("<{element}>");
    let start = body.find(&open)? + open.len();
    let end = start + body[start..].find(&format!("</{element}>"))?;
    Some(body[start..end].to_string())
}

#[cfg(feature = "validate")]
/// Control characters dropped, whitespace trimmed, at most [`MAX_CAPTURED`] characters.
fn clean(value: &str) -> String {
    let text: String = value.chars().filter(|c| !c.is_control()).collect();
    let text = text.trim();
    if text.chars().count() > MAX_CAPTURED {
        let cut: String = text.chars().take(MAX_CAPTURED).collect();
        format!("{cut}...")
    } else {
        text.to_string()
    }
}

#[cfg(feature = "validate")]
/// Whether `value` holds something the request carried that could be a credential: any token
/// of 12 characters or more of a header value, basic-auth field, the path or the body, or of
/// the AWS keys the request was signed with.
fn echoes_request(value: &str, sent: &Outgoing) -> bool {
    let mut carried: Vec<&str> = sent.headers.iter().map(|(_, v)| v.as_str()).collect();
    if let Some((user, password)) = &sent.basic_auth {
        carried.extend([user.as_str(), password.as_str()]);
    }
    let body = sent.body.as_deref().map(String::from_utf8_lossy);
    if let Some(body) = &body {
        carried.push(body);
    }
    carried.push(&sent.path);
    if let Some(aws) = &sent.aws {
        let credentials = &aws.credentials;
        carried
            .extend([credentials.access_key_id.as_str(), credentials.secret_access_key.as_str()]);
        carried.extend(credentials.session_token.as_deref());
    }
    let tokens = carried.iter().flat_map(|text| {
        text.split(|c: char| !(c.is_ascii_alphanumeric() || "-_./+=".contains(c)))
            .filter(|t| t.len() >= 12)
    });
    let lower = value.to_ascii_lowercase();
    tokens.into_iter().any(|t| lower.contains(&t.to_ascii_lowercase()))
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
        Answer { status, retry_after: None, body: body.as_bytes().to_vec(), headers: Vec::new() }
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

    #[cfg(feature = "validate")]
    fn sent(headers: &[(&str, &str)]) -> Outgoing {
        Outgoing {
            method: super::super::spec::Method::Get,
            scheme: super::super::endpoint::Scheme::Https,
            authority: "api.example.com".into(),
            path: "/user".into(),
            headers: headers.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect(),
            body: None,
            basic_auth: None,
            aws: None,
            trusted: false,
        }
    }

    #[cfg(feature = "validate")]
    #[test]
    fn capture_reads_headers_json_and_xml_and_never_keeps_what_was_sent() {
        let specs: Vec<CaptureSpec> = serde_saphyr::from_str(
            "- {name: scopes, header: x-oauth-scopes}\n- {name: login, json: login}\n- {name: orgs, json: orgs}\n- {name: account, xml: Account}\n- {name: echoed, json: token}\n- {name: nested, json: plan}",
        )
        .unwrap();
        let token = ["tok_", "9f8e7d6c5b4a3f2e1d0c"].concat();
        let body = format!(
            r#"{{"login":"octo\u001b[2Jcat","orgs":["a","b"],"token":"x{token}y","plan":{{"n":1}}}}"#
        );
        let mut reply = answer(200, &body);
        reply.headers.push(("X-OAuth-Scopes".into(), " repo, gist ".into()));
        let got = capture(&specs, &reply, &sent(&[("authorization", &format!("Bearer {token}"))]));
        let expected: BTreeMap<String, String> = [
            ("login", "octo[2Jcat"), // control characters dropped
            ("orgs", "a, b"),
            ("scopes", "repo, gist"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(got, expected);

        let xml = answer(
            200,
            "<R><Arn>arn:aws:iam::123456789012:user/ci</Arn><Account>123456789012</Account></R>",
        );
        assert_eq!(capture(&specs, &xml, &sent(&[]))["account"], "123456789012");
        let long = answer(200, &format!(r#"{{"login":"{}"}}"#, "x".repeat(500)));
        assert_eq!(capture(&specs, &long, &sent(&[]))["login"].len(), MAX_CAPTURED + 3);
    }
}
