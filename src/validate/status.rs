//! What a validity check concluded: a closed set of statuses, and for `unknown`, a closed set of
//! reasons (STYLE.md habit 7: outcomes are enums, never strings or borrowed HTTP codes).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Whether a credential is live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ValidationStatus {
    /// The provider accepted the credential.
    Valid,
    /// The provider rejected the credential.
    Invalid,
    /// The provider says the credential was revoked, disabled or suspended.
    Revoked,
    /// The provider (or an offline check, e.g. a JWT's `exp`) says the credential expired.
    Expired,
    /// No conclusion; see [`UnknownReason`].
    Unknown,
}

impl ValidationStatus {
    /// The kebab-case name used in reports and validator files.
    pub fn as_str(self) -> &'static str {
        match self {
            ValidationStatus::Valid => "valid",
            ValidationStatus::Invalid => "invalid",
            ValidationStatus::Revoked => "revoked",
            ValidationStatus::Expired => "expired",
            ValidationStatus::Unknown => "unknown",
        }
    }
}

/// Why a check reached no conclusion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnknownReason {
    /// No validator is defined for the finding's rule.
    NoValidator,
    /// The credential has several parts (e.g. an AWS key id and its secret) and a required part
    /// was not found near it.
    MissingPart,
    /// The secret (or a part) could not be put into the request (not text, or control
    /// characters where a header value goes).
    Unrenderable,
    /// The credential belongs to a known canary-token account: using it would alert its owner
    /// and reveal the scan, so it was not sent.
    LikelyCanary,
    /// The provider did not answer in time.
    Timeout,
    /// The provider kept answering 429 (after bounded retries), or asked to wait too long.
    RateLimited,
    /// The provider kept answering 5xx (after bounded retries).
    ServerError,
    /// Connection, DNS or TLS failure.
    Network,
    /// The provider's host resolved to a private, loopback, link-local, CGNAT or multicast
    /// address; nothing was sent (`--allow-internal-ips` overrides).
    BlockedAddress,
    /// The provider answered with a redirect; redirects are never followed.
    Redirected,
    /// An answer no response rule of the validator describes.
    UnexpectedResponse,
}

impl UnknownReason {
    /// The kebab-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            UnknownReason::NoValidator => "no-validator",
            UnknownReason::MissingPart => "missing-part",
            UnknownReason::Unrenderable => "unrenderable",
            UnknownReason::LikelyCanary => "likely-canary",
            UnknownReason::Timeout => "timeout",
            UnknownReason::RateLimited => "rate-limited",
            UnknownReason::ServerError => "server-error",
            UnknownReason::Network => "network",
            UnknownReason::BlockedAddress => "blocked-address",
            UnknownReason::Redirected => "redirected",
            UnknownReason::UnexpectedResponse => "unexpected-response",
        }
    }
}

/// The validity of one finding, as reported (`validation: {status, reason?, checked_at?}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validation {
    /// The conclusion.
    pub status: ValidationStatus,
    /// Why the status is `unknown`; `None` otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<UnknownReason>,
    /// When the provider was asked (RFC 3339, UTC); `None` when no request was sent (offline
    /// checks, missing parts, canaries).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checked_at: Option<String>,
    /// What the provider said the live credential can do (`scopes`, `account`, `expires`...),
    /// as the validator's `capture` names them; empty unless `valid`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub details: BTreeMap<String, String>,
}

impl Validation {
    /// A conclusion reached without asking anyone (offline checks).
    pub fn offline(status: ValidationStatus) -> Validation {
        Validation { status, reason: None, checked_at: None, details: BTreeMap::new() }
    }

    /// `unknown` for `reason`, with no request sent.
    pub fn unknown(reason: UnknownReason) -> Validation {
        Validation {
            status: ValidationStatus::Unknown,
            reason: Some(reason),
            checked_at: None,
            details: BTreeMap::new(),
        }
    }

    /// One short phrase for the text report: `valid`, `unknown (timeout)`.
    pub fn describe(&self) -> String {
        match self.reason {
            Some(reason) => format!("{} ({})", self.status.as_str(), reason.as_str()),
            None => self.status.as_str().to_string(),
        }
    }

    /// The captured details in one line: `scopes: repo, gist; login: octocat`.
    pub fn describe_details(&self) -> Option<String> {
        (!self.details.is_empty()).then(|| {
            self.details.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("; ")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_status_reason_checked_at() {
        let v = Validation::unknown(UnknownReason::RateLimited);
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"status":"unknown","reason":"rate-limited"}"#
        );
        let v = Validation {
            status: ValidationStatus::Valid,
            reason: None,
            checked_at: Some("2026-01-02T03:04:05Z".into()),
            details: BTreeMap::new(),
        };
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"status":"valid","checked_at":"2026-01-02T03:04:05Z"}"#
        );
        assert_eq!(v.describe(), "valid");
    }
}
