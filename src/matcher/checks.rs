//! Structural checks on a candidate secret: entropy, checksums, token structure.
//!
//! Pure functions of the secret's bytes; no I/O. Each check named in a rule's `checks:` list maps
//! to one function here (see `rules/README.md`).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::rules::CheckName;

use super::filters;

pub(crate) use super::filters::shannon_entropy;

/// Runs one named check on the secret at `span` in `buf`.
pub(crate) fn passes(check: CheckName, buf: &[u8], span: &std::ops::Range<usize>) -> bool {
    let secret = &buf[span.clone()];
    match check {
        CheckName::LiteralValue => literal_value(buf, span),
        CheckName::Crc32Github => crc32_github(secret),
        CheckName::Jwt => jwt_structure(secret),
        CheckName::NotPlaceholder => !filters::is_placeholder(secret),
        CheckName::NotCommonShape => !filters::is_common_shape(secret),
        CheckName::HasDigit => secret.iter().any(u8::is_ascii_digit),
        CheckName::MixedCharset => mixed_charset(secret),
        CheckName::SecretName => secret_name(buf, span.start),
        CheckName::CredentialFile => !filters::is_template(secret),
    }
}

/// Words that, before a value on its line, say the value is a digest or an identifier rather
/// than a secret (`token_sha256: <hex>`, `secret_checksum`, `cache_token`, `api_key_uuid`).
const DIGEST_WORDS: &[&str] = &[
    "hash",
    "hashed",
    "digest",
    "checksum",
    "sha",
    "sha1",
    "sha224",
    "sha256",
    "sha384",
    "sha512",
    "md5",
    "crc",
    "crc32",
    "sum",
    "integrity",
    "commit",
    "rev",
    "revision",
    "etag",
    "fingerprint",
    "cache",
    "cached",
    "nonce",
    "salt",
    "iv",
    "version",
    "signature",
    "sig",
    "csrf",
    "xsrf",
    "uuid",
    "guid",
    "trace",
    "correlation",
    "blob",
    "object",
    "oid",
    "public",
];

/// Whether no word of the line before `start` (split at non-alphanumerics and camelCase humps)
/// is a digest or identifier word.
fn secret_name(buf: &[u8], start: usize) -> bool {
    let line_start = memchr::memrchr(b'\n', &buf[..start]).map_or(0, |i| i + 1);
    let before = &buf[line_start..start];
    words(before).all(|word| !DIGEST_WORDS.contains(&word.as_str()))
}

/// The lowercase words of `text`: runs of ASCII letters and digits, split where a lowercase
/// letter or digit is followed by an uppercase one (`tokenSha256` -> `token`, `sha256`).
fn words(text: &[u8]) -> impl Iterator<Item = String> + '_ {
    let mut starts = Vec::new();
    for (i, &b) in text.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| text[p]);
        let hump = b.is_ascii_uppercase()
            && prev.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit());
        let begins =
            b.is_ascii_alphanumeric() && (prev.is_none_or(|p| !p.is_ascii_alphanumeric()) || hump);
        if begins {
            starts.push(i);
        }
    }
    starts.into_iter().map(move |at| {
        let len = text[at..]
            .iter()
            .enumerate()
            .position(|(k, &b)| {
                !b.is_ascii_alphanumeric()
                    || (k > 0 && b.is_ascii_uppercase() && !text[at + k - 1].is_ascii_uppercase())
            })
            .unwrap_or(text.len() - at);
        text[at..at + len].to_ascii_lowercase().iter().map(|&b| char::from(b)).collect()
    })
}

pub(crate) use super::checksum::crc32_github;

/// A JWT: two or three dot-separated base64url parts; header and payload are JSON objects and
/// the header names an `alg`.
pub(crate) fn jwt_structure(secret: &[u8]) -> bool {
    let mut parts = secret.split(|&b| b == b'.');
    let (Some(header), Some(payload)) = (parts.next(), parts.next()) else {
        return false;
    };
    let header = decode_json_object(header);
    let payload_ok = decode_json_object(payload).is_some();
    payload_ok && header.is_some_and(|h| h.contains_key("alg"))
}

fn decode_json_object(part: &[u8]) -> Option<serde_json::Map<String, serde_json::Value>> {
    let trimmed: Vec<u8> = part.iter().copied().filter(|&b| b != b'=').collect();
    let bytes = URL_SAFE_NO_PAD.decode(trimmed).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        serde_json::Value::Object(map) => Some(map),
        _ => None,
    }
}

/// A whole literal value, judged on both sides: quoted (`"v"`, `'v'`, `` `v` ``: the same quote
/// on each side), or unquoted with a separator before it (start, whitespace, `=`, `:`, `,`, `(`,
/// `[`, `>`) and nothing but a comment after it on the line. A value that starts or ends inside a
/// longer token (`$VAR`, `cfg.value`, `"value" + suffix`) is not a literal.
fn literal_value(buf: &[u8], span: &std::ops::Range<usize>) -> bool {
    let before = span.start.checked_sub(1).map(|i| buf[i]);
    let after = buf.get(span.end).copied();
    if let Some(q @ (b'"' | b'\'' | b'`')) = before {
        return after == Some(q) || after.is_none();
    }
    let separated = before.is_none_or(|b| b.is_ascii_whitespace() || b"=:,([>".contains(&b));
    let rest = &buf[span.end..];
    let line_end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
    let rest = rest[..line_end].trim_ascii();
    separated
        && (rest.is_empty()
            || rest.starts_with(b"#")
            || rest.starts_with(b"//")
            || rest.starts_with(b";"))
}

fn mixed_charset(secret: &[u8]) -> bool {
    let lower = secret.iter().any(u8::is_ascii_lowercase);
    let upper = secret.iter().any(u8::is_ascii_uppercase);
    let digit = secret.iter().any(u8::is_ascii_digit);
    u8::from(lower) + u8::from(upper) + u8::from(digit) >= 2
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::checksum::base62;

    /// Builds a token with a valid checksum from a prefix and 30 random characters.
    fn with_checksum(prefix: &str, random: &str) -> String {
        format!("{prefix}{random}{}", base62(u64::from(crc32fast::hash(random.as_bytes())), 6))
    }

    #[test]
    fn entropy_of_uniform_and_constant_strings() {
        assert!(shannon_entropy(b"aaaaaaaa").abs() < f64::EPSILON);
        assert!((shannon_entropy(b"abcd") - 2.0).abs() < 1e-9);
        assert!((shannon_entropy(b"0123456789abcdef") - 4.0).abs() < 1e-9);
    }

    #[test]
    fn base62_pads_and_orders_digits() {
        assert_eq!(base62(0, 6), "000000");
        assert_eq!(base62(61, 6), "00000z");
        assert_eq!(base62(62, 6), "000010");
        assert_eq!(base62(u64::from(u32::MAX), 6), "4gfFC3");
    }

    #[test]
    fn github_checksum_accepts_valid_and_rejects_altered_tokens() {
        let token = with_checksum("ghp_", "Q7fK2mZr9XbW4nT1pLs8vHc3dJy6aE");
        assert!(crc32_github(token.as_bytes()));
        let mut altered = token.into_bytes();
        altered[10] = if altered[10] == b'A' { b'B' } else { b'A' };
        assert!(!crc32_github(&altered));
        assert!(!crc32_github(b"ghp_short"));
    }

    #[test]
    fn jwt_structure_needs_json_header_with_alg() {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"42"}"#);
        assert!(jwt_structure(format!("{header}.{payload}.c2lnbmF0dXJl").as_bytes()));
        let no_alg = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT"}"#);
        assert!(!jwt_structure(format!("{no_alg}.{payload}.c2ln").as_bytes()));
        assert!(!jwt_structure(b"eyJub3QganNvbg.eyJ4IjoxfQ.sig"));
        assert!(!jwt_structure(b"onlyonepart"));
    }

    #[test]
    fn literal_values_are_quoted_or_end_the_line() {
        let check = |line: &str, value: &str| {
            let at = line.find(value).unwrap();
            literal_value(line.as_bytes(), &(at..at + value.len()))
        };
        assert!(check("key = \"Ab1cD2eF\"\n", "Ab1cD2eF"));
        assert!(check("KEY=Ab1cD2eF\nNEXT=1", "Ab1cD2eF"));
        assert!(check("key: Ab1cD2eF  # prod\n", "Ab1cD2eF"));
        assert!(!check("Secret: makeSecret2(x),\n", "makeSecret2"));
        assert!(!check("token = \"Ab1cD2eF\" + suffix", "Ab1cD2e"));
        // Both sides: an unquoted value must not start inside a longer token.
        assert!(!check("password = $Ab1cD2eF\n", "Ab1cD2eF")); // leakhound:allow (fake)
        assert!(!check(concat!("pass", "word = cfg.Ab1cD2eF\n"), "Ab1cD2eF"));
        assert!(!check("password = \"Ab1cD2eF'\n", "Ab1cD2eF"));
        assert!(!check("password = Ab1cD2eF\"\n", "Ab1cD2eF"));
        assert!(check(concat!("pass", "word:Ab1cD2eF\n"), "Ab1cD2eF")); // leakhound:allow (fake)
    }

    #[test]
    fn secret_names_reject_digest_and_identifier_words() {
        let check = |line: &str| secret_name(line.as_bytes(), line.len());
        assert!(check("CLIENT_SECRET="));
        assert!(check("  session_secret: \""));
        assert!(check("prev: 1\napi_token = \""));
        assert!(!check("token_sha256: \""));
        assert!(!check("tokenSha256: \""));
        assert!(!check("secret_checksum = \""));
        assert!(!check("cacheToken: "));
        assert!(!check("api_key_uuid = \""));
        // Only the value's own line counts.
        assert!(check("commit: 1\nsecret: "));
        // A digest word inside a longer word is not that word.
        assert!(check("consumer_secret: "));
        assert!(check("shared_secret: "));
    }

    #[test]
    fn words_split_at_symbols_and_camel_humps() {
        let split: Vec<String> = words(b"myTokenSha256=x-API_key").collect();
        assert_eq!(split, ["my", "token", "sha256", "x", "api", "key"]);
    }

    #[test]
    fn mixed_charset_counts_classes() {
        assert!(mixed_charset(b"abc123"));
        assert!(!mixed_charset(b"abcdef"));
        assert!(!mixed_charset(b"--__--"));
    }
}
