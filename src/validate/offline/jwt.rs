//! JSON Web Tokens, decoded without verifying anything: the header's `alg` and the claims that
//! say who issued the token, for whom, and until when. An expired token is dead without asking
//! anyone.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::validate::clock::Timestamp;

/// What a JWT says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct JwtFacts {
    /// The header's `alg`.
    pub alg: Option<String>,
    /// The `iss` claim.
    pub issuer: Option<String>,
    /// The `aud` claim (an array is joined with `,`).
    pub audience: Option<String>,
    /// The `exp` claim, seconds since the epoch.
    pub expires: Option<u64>,
}

impl JwtFacts {
    /// Whether `exp` is in the past.
    pub(crate) fn expired_at(&self, now: Timestamp) -> bool {
        self.expires.is_some_and(|exp| exp < now.0)
    }
}

/// Decodes the header and claims of `token`; `None` if it is not a JWT with a JSON header.
pub(crate) fn inspect(token: &[u8]) -> Option<JwtFacts> {
    let text = std::str::from_utf8(token).ok()?;
    let mut parts = text.split('.');
    let header = decode_json(parts.next()?)?;
    let claims = parts.next().and_then(decode_json).unwrap_or_default();
    Some(JwtFacts {
        alg: header.get("alg").and_then(short_text),
        issuer: claims.get("iss").and_then(short_text),
        audience: claims.get("aud").and_then(|aud| match aud {
            serde_json::Value::Array(items) => {
                let joined: Vec<String> = items.iter().filter_map(short_text).collect();
                (!joined.is_empty()).then(|| joined.join(","))
            }
            other => short_text(other),
        }),
        expires: claims.get("exp").and_then(serde_json::Value::as_u64),
    })
}

fn decode_json(part: &str) -> Option<serde_json::Value> {
    let bytes = URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    value.is_object().then_some(value)
}

/// A string claim, cut to 200 characters (it comes from scanned content and is reported).
fn short_text(value: &serde_json::Value) -> Option<String> {
    value.as_str().map(|s| s.chars().take(200).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(header: &str, claims: &str) -> String {
        format!(
            "{}.{}.c2lnbmF0dXJlLXNpZ25hdHVyZQ",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(claims)
        )
    }

    #[test]
    fn reads_alg_issuer_audience_and_expiry() {
        let token = jwt(
            r#"{"alg":"RS256","typ":"JWT"}"#,
            r#"{"iss":"https://issuer.example","aud":["a","b"],"exp":1700000000}"#,
        );
        let facts = inspect(token.as_bytes()).unwrap();
        assert_eq!(facts.alg.as_deref(), Some("RS256"));
        assert_eq!(facts.issuer.as_deref(), Some("https://issuer.example"));
        assert_eq!(facts.audience.as_deref(), Some("a,b"));
        assert!(facts.expired_at(Timestamp(1_700_000_001)));
        assert!(!facts.expired_at(Timestamp(1_699_999_999)));
    }

    #[test]
    fn a_token_without_exp_never_expires_and_garbage_is_not_a_jwt() {
        let token = jwt(r#"{"alg":"HS256"}"#, r#"{"sub":"x"}"#);
        let facts = inspect(token.as_bytes()).unwrap();
        assert!(!facts.expired_at(Timestamp(u64::MAX)));
        assert_eq!(inspect(b"eyJub3QganNvbg.e30.x"), None);
    }
}
