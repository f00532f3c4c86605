//! Offline checks, always on, no network: what a secret says about itself.
//!
//! JWTs are decoded (`jwt.alg`, `jwt.iss`, `jwt.aud`, `jwt.exp` attributes) and an expired one is
//! marked `expired`; private key blocks are parsed (`key.algorithm`, `key.bits`, `key.curve`,
//! `key.encrypted` attributes) and one that does not parse gets `key.parse: failed` and low
//! confidence. (Checksums, e.g. GitHub's CRC32, are proven by the matcher before a finding
//! exists.)

pub(crate) mod jwt;
pub(crate) mod pem;

use crate::finding::Finding;
use crate::rules::{Confidence, Kind, RuleSet};

use super::clock::Timestamp;
use super::status::{Validation, ValidationStatus};

/// Adds offline facts to every finding they apply to.
pub(crate) fn annotate(findings: &mut [Finding], rules: &RuleSet, now: Timestamp) {
    for finding in findings {
        match rules.rules()[finding.rule].spec.kind {
            Kind::Jwt => annotate_jwt(finding, now),
            Kind::PrivateKey => annotate_key(finding),
            _ => {}
        }
    }
}

fn annotate_jwt(finding: &mut Finding, now: Timestamp) {
    let Some(facts) = jwt::inspect(finding.secret.expose()) else {
        return;
    };
    let attrs = &mut finding.attributes;
    let mut set = |name: &str, value: Option<String>| {
        if let Some(value) = value {
            attrs.insert(name.to_string(), value);
        }
    };
    set("jwt.alg", facts.alg.clone());
    set("jwt.iss", facts.issuer.clone());
    set("jwt.aud", facts.audience.clone());
    set("jwt.exp", facts.expires.map(|e| Timestamp(e).rfc3339()));
    if facts.expired_at(now) {
        finding.validation = Some(Validation::offline(ValidationStatus::Expired));
    }
}

fn annotate_key(finding: &mut Finding) {
    if !finding.secret.expose().starts_with(b"-----BEGIN ") {
        return; // PuTTY and age keys are not PEM blocks
    }
    let attrs = &mut finding.attributes;
    if let Some(facts) = pem::inspect(finding.secret.expose()) {
        attrs.insert("key.algorithm".into(), facts.algorithm.into());
        if let Some(bits) = facts.bits {
            attrs.insert("key.bits".into(), bits.to_string());
        }
        if let Some(curve) = facts.curve {
            attrs.insert("key.curve".into(), curve.into());
        }
        if let Some(encrypted) = facts.encrypted {
            attrs.insert("key.encrypted".into(), encrypted.to_string());
        }
    } else {
        attrs.insert("key.parse".into(), "failed".into());
        finding.confidence = Some(Confidence::Low);
    }
}
