//! AWS Signature Version 4, the one request signature data cannot express.
//!
//! The AWS validator (`rules/validators/aws.yaml`) is otherwise plain data: a POST of
//! `Action=GetCallerIdentity` to STS, which any valid key may call (it needs no IAM permission
//! and changes nothing). This module computes the headers that sign it, following the
//! documented algorithm: canonical request -> string to sign -> derived signing key -> HMAC.
//!
//! Also here, because it is AWS-specific knowledge: the account id encoded in an access key id
//! (documented by Aidan Steele and Tal Be'ery, 2020), used to recognise canary tokens before any
//! request is sent.

#[cfg(feature = "validate")]
pub(crate) use signing::{SigningInput, sign};

/// A key pair (and session token for temporary `ASIA` keys). Holds secrets: no `Debug`.
pub(crate) struct AwsCredentials {
    /// The access key id (`AKIA...`).
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// The session token, for temporary credentials.
    pub session_token: Option<String>,
}

/// Signature Version 4 (needs the `validate` feature's HMAC dependency).
#[cfg(feature = "validate")]
mod signing {
    use hmac::{Hmac, Mac};
    use sha2::{Digest, Sha256};

    use super::AwsCredentials;
    use crate::validate::clock::Timestamp;
    use crate::validate::template::percent_encode;

    type HmacSha256 = Hmac<Sha256>;

    /// What is signed.
    #[derive(Debug, Clone, Copy)]
    pub(crate) struct SigningInput<'a> {
        /// HTTP method.
        pub method: &'a str,
        /// The `Host` header exactly as sent (`host` or `host:port`).
        pub host: &'a str,
        /// The path, already URI-encoded (`/`).
        pub path: &'a str,
        /// The query string without `?` (may be empty).
        pub query: &'a str,
        /// The body.
        pub body: &'a [u8],
        /// Credential scope region.
        pub region: &'a str,
        /// Credential scope service.
        pub service: &'a str,
    }

    /// The headers to add: `x-amz-date`, optionally `x-amz-security-token`, and `authorization`.
    pub(crate) fn sign(
        input: &SigningInput<'_>,
        creds: &AwsCredentials,
        now: Timestamp,
    ) -> Vec<(String, String)> {
        let amz_date = now.amz_date();
        let mut headers = vec![
            ("host".to_string(), input.host.to_string()),
            ("x-amz-date".to_string(), amz_date.clone()),
        ];
        if let Some(token) = creds.session_token.as_deref().filter(|t| !t.is_empty()) {
            headers.push(("x-amz-security-token".to_string(), token.to_string()));
        }
        headers.sort();
        let signed_headers = headers.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>().join(";");
        let canonical = canonical_request(input, &headers, &signed_headers);
        let scope = format!("{}/{}/{}/aws4_request", now.date_stamp(), input.region, input.service);
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            hex(&Sha256::digest(canonical.as_bytes()))
        );
        let key = signing_key(&creds.secret_access_key, now, input.region, input.service);
        let signature = hex(&hmac(&key, to_sign.as_bytes()));
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
            creds.access_key_id
        );
        let mut out: Vec<(String, String)> =
            headers.into_iter().filter(|(k, _)| k != "host").collect();
        out.push(("authorization".to_string(), authorization));
        out
    }

    fn canonical_request(
        input: &SigningInput<'_>,
        headers: &[(String, String)],
        signed_headers: &str,
    ) -> String {
        let canonical_headers = headers.iter().fold(String::new(), |mut s, (k, v)| {
            s.push_str(k);
            s.push(':');
            s.push_str(v.trim());
            s.push('\n');
            s
        });
        format!(
            "{}\n{}\n{}\n{canonical_headers}\n{signed_headers}\n{}",
            input.method,
            if input.path.is_empty() { "/" } else { input.path },
            canonical_query(input.query),
            hex(&Sha256::digest(input.body))
        )
    }

    /// Query parameters sorted by name then value, each side URI-encoded.
    fn canonical_query(query: &str) -> String {
        let mut pairs: Vec<(String, String)> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (percent_encode(k), percent_encode(v))
            })
            .collect();
        pairs.sort();
        pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
    }

    fn signing_key(secret: &str, now: Timestamp, region: &str, service: &str) -> Vec<u8> {
        let k_date = hmac(format!("AWS4{secret}").as_bytes(), now.date_stamp().as_bytes());
        let k_region = hmac(&k_date, region.as_bytes());
        let k_service = hmac(&k_region, service.as_bytes());
        hmac(&k_service, b"aws4_request")
    }

    #[allow(clippy::expect_used, reason = "HMAC-SHA-256 accepts keys of any length")]
    fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
        let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
        mac.update(data);
        mac.finalize().into_bytes().to_vec()
    }

    use crate::fingerprint::hex;

    #[cfg(test)]
    mod tests {
        use super::*;

        /// AWS's published `SigV4` test suite, `get-vanilla`: GET / on `example.amazonaws.com`.
        #[test]
        fn matches_the_aws_test_suite_get_vanilla() {
            let creds = AwsCredentials {
                access_key_id: "AKIDEXAMPLE".into(),
                secret_access_key: concat!("wJalrXUtnFEMI/K7MDENG+", "bPxRfiCYEXAMPLEKEY").into(),
                session_token: None,
            };
            let input = SigningInput {
                method: "GET",
                host: "example.amazonaws.com",
                path: "/",
                query: "",
                body: b"",
                region: "us-east-1",
                service: "service",
            };
            let headers = sign(&input, &creds, Timestamp(1_440_938_160));
            let auth = &headers.iter().find(|(k, _)| k == "authorization").unwrap().1;
            assert_eq!(
                auth,
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
                 SignedHeaders=host;x-amz-date, \
                 Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
            );
            assert!(headers.iter().any(|(k, v)| k == "x-amz-date" && v == "20150830T123600Z"));
        }

        #[test]
        fn a_session_token_is_sent_and_signed() {
            let creds = AwsCredentials {
                access_key_id: "ASIAEXAMPLE".into(),
                secret_access_key: "secret".into(),
                session_token: Some("token".into()),
            };
            let input = SigningInput {
                method: "POST",
                host: "sts.amazonaws.com",
                path: "/",
                query: "",
                body: b"Action=GetCallerIdentity&Version=2011-06-15",
                region: "us-east-1",
                service: "sts",
            };
            let headers = sign(&input, &creds, Timestamp(0));
            assert!(headers.iter().any(|(k, v)| k == "x-amz-security-token" && v == "token"));
            let auth = &headers.iter().find(|(k, _)| k == "authorization").unwrap().1;
            assert!(auth.contains("SignedHeaders=host;x-amz-date;x-amz-security-token"));
            assert!(!auth.contains("secret,") && !auth.contains("=secret"));
        }
    }
}

/// The AWS account id encoded in a (new-generation) access key id: base32-decode the 16
/// characters after the 4-letter prefix, take the first 6 bytes big-endian, mask with
/// `0x7fff_ffff_ff80` and shift right by 7.
pub(crate) fn account_id(key_id: &str) -> Option<u64> {
    let tail = key_id.get(4..)?;
    let bytes = base32_decode(tail)?;
    let first6 = bytes.get(..6)?.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    Some((first6 & 0x7fff_ffff_ff80) >> 7)
}

/// RFC 4648 base32 (A-Z, 2-7), no padding.
fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut bits = 0u64;
    let mut count = 0u32;
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    for c in text.bytes() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => return None,
        };
        bits = (bits << 5) | u64::from(value);
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_account_id_of_a_key_id() {
        // The documented example key id (ASIA + Y34FZKBOKMUTVV7A) belongs to account 609629065308.
        assert_eq!(account_id(concat!("ASIA", "Y34FZKBOKMUTVV7A")), Some(609_629_065_308));
        assert_eq!(account_id("AKIA0000"), None);
    }
}
