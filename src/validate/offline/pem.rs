//! Private key blocks, parsed lightly: which algorithm, how many bits, which curve, encrypted or
//! not. Enough structure to tell a real key from a truncated or made-up block, no cryptography.
//!
//! Handled: PKCS#1 RSA, SEC1 EC, DSA, PKCS#8 (plain and encrypted), OpenSSH (`openssh-key-v1`)
//! and the first packet of a PGP secret key. Blocks may be JSON- or shell-escaped (`\n`), as
//! they are in service-account files and `.env` lines.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// What a private key block is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyFacts {
    /// `rsa`, `ec`, `dsa`, `ed25519`, `x25519`, `ed448`, `pgp` or `unknown` (a PKCS#8 algorithm
    /// this parser does not name).
    pub algorithm: &'static str,
    /// Key size in bits, when known.
    pub bits: Option<u32>,
    /// The named curve of an EC key.
    pub curve: Option<&'static str>,
    /// Whether the key is encrypted with a passphrase (`None`: not determined, PGP).
    pub encrypted: Option<bool>,
}

/// Parses a PEM block; `None` when it does not have the structure its label promises.
pub(crate) fn inspect(block: &[u8]) -> Option<KeyFacts> {
    let text = std::str::from_utf8(block).ok()?;
    let text = text.replace("\\r", "").replace("\\n", "\n");
    let label = text.split("-----BEGIN ").nth(1)?.split("-----").next()?.to_string();
    let (headers_say_encrypted, der) = body(&text)?;
    match label.as_str() {
        "RSA PRIVATE KEY" if headers_say_encrypted => Some(encrypted_legacy("rsa")),
        "EC PRIVATE KEY" if headers_say_encrypted => Some(encrypted_legacy("ec")),
        "DSA PRIVATE KEY" if headers_say_encrypted => Some(encrypted_legacy("dsa")),
        "RSA PRIVATE KEY" => rsa(&der),
        "EC PRIVATE KEY" => sec1(&der),
        "DSA PRIVATE KEY" => dsa(&der),
        "PRIVATE KEY" => pkcs8(&der),
        "ENCRYPTED PRIVATE KEY" => encrypted_pkcs8(&der),
        "OPENSSH PRIVATE KEY" => openssh(&der),
        "PGP PRIVATE KEY BLOCK" => pgp(&der),
        _ => None,
    }
}

/// The base64 body decoded, and whether a `Proc-Type: 4,ENCRYPTED` header is present.
fn body(text: &str) -> Option<(bool, Vec<u8>)> {
    let inner = text.split("-----BEGIN ").nth(1)?;
    let inner = &inner[inner.find("-----")? + 5..];
    let inner = &inner[..inner.find("-----END ")?];
    let mut encrypted = false;
    let mut b64 = String::new();
    for line in inner.lines().map(str::trim) {
        if line.contains(':') {
            encrypted |= line.starts_with("Proc-Type:") && line.contains("ENCRYPTED");
            continue;
        }
        if line.starts_with('=') && !b64.is_empty() {
            break; // PGP armor checksum
        }
        b64.extend(line.chars().filter(|c| !c.is_whitespace()));
    }
    let der = STANDARD.decode(b64.as_bytes()).ok()?;
    (!der.is_empty()).then_some((encrypted, der))
}

fn encrypted_legacy(algorithm: &'static str) -> KeyFacts {
    KeyFacts { algorithm, bits: None, curve: None, encrypted: Some(true) }
}

/// One DER tag-length-value: `(tag, content, rest)`.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let (len_bytes, rest) = rest.split_at_checked(n)?;
        let len = len_bytes.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, rest)
    };
    let (content, rest) = rest.split_at_checked(len)?;
    Some((tag, content, rest))
}

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const OCTET_STRING: u8 = 0x04;
const OID: u8 = 0x06;

fn expect(tag: u8, input: &[u8]) -> Option<(&[u8], &[u8])> {
    let (got, content, rest) = tlv(input)?;
    (got == tag).then_some((content, rest))
}

/// Bit length of a DER INTEGER's content.
fn int_bits(content: &[u8]) -> u32 {
    let trimmed: &[u8] = match content.iter().position(|&b| b != 0) {
        Some(i) => &content[i..],
        None => return 0,
    };
    (trimmed.len() as u32 - 1) * 8 + (8 - trimmed[0].leading_zeros())
}

fn plain(algorithm: &'static str, bits: Option<u32>, curve: Option<&'static str>) -> KeyFacts {
    KeyFacts { algorithm, bits, curve, encrypted: Some(false) }
}

/// PKCS#1: SEQUENCE { version, n, e, d, ... }.
fn rsa(der: &[u8]) -> Option<KeyFacts> {
    let (seq, _) = expect(SEQUENCE, der)?;
    let (_, rest) = expect(INTEGER, seq)?;
    let (n, rest) = expect(INTEGER, rest)?;
    expect(INTEGER, rest)?; // e
    Some(plain("rsa", Some(int_bits(n)), None))
}

/// DSA: SEQUENCE { version, p, q, g, ... }.
fn dsa(der: &[u8]) -> Option<KeyFacts> {
    let (seq, _) = expect(SEQUENCE, der)?;
    let (_, rest) = expect(INTEGER, seq)?;
    let (p, _) = expect(INTEGER, rest)?;
    Some(plain("dsa", Some(int_bits(p)), None))
}

/// SEC1: SEQUENCE { version 1, OCTET STRING key, [0] curve OID, ... }.
fn sec1(der: &[u8]) -> Option<KeyFacts> {
    let (seq, _) = expect(SEQUENCE, der)?;
    let (_, rest) = expect(INTEGER, seq)?;
    let (key, rest) = expect(OCTET_STRING, rest)?;
    let curve = tlv(rest)
        .filter(|(tag, ..)| *tag == 0xa0)
        .and_then(|(_, params, _)| expect(OID, params))
        .and_then(|(oid, _)| curve_name(oid));
    let bits = curve.map_or(key.len() as u32 * 8, curve_bits);
    Some(plain("ec", Some(bits), curve))
}

/// PKCS#8: SEQUENCE { version, SEQUENCE { algorithm OID, params }, OCTET STRING key }.
fn pkcs8(der: &[u8]) -> Option<KeyFacts> {
    let (seq, _) = expect(SEQUENCE, der)?;
    let (_, rest) = expect(INTEGER, seq)?;
    let (alg, rest) = expect(SEQUENCE, rest)?;
    let (key, _) = expect(OCTET_STRING, rest)?;
    let (oid, params) = expect(OID, alg)?;
    match oid {
        RSA_ENCRYPTION => rsa(key),
        EC_PUBLIC_KEY => {
            let curve = expect(OID, params).and_then(|(c, _)| curve_name(c));
            Some(plain("ec", curve.map(curve_bits), curve))
        }
        DSA => {
            let (dsa_params, _) = expect(SEQUENCE, params)?;
            let (p, _) = expect(INTEGER, dsa_params)?;
            Some(plain("dsa", Some(int_bits(p)), None))
        }
        ED25519 => Some(plain("ed25519", Some(256), None)),
        X25519 => Some(plain("x25519", Some(256), None)),
        ED448 => Some(plain("ed448", Some(456), None)),
        _ => Some(plain("unknown", None, None)),
    }
}

/// Encrypted PKCS#8: SEQUENCE { SEQUENCE { scheme OID, params }, OCTET STRING }.
fn encrypted_pkcs8(der: &[u8]) -> Option<KeyFacts> {
    let (seq, _) = expect(SEQUENCE, der)?;
    let (alg, rest) = expect(SEQUENCE, seq)?;
    expect(OID, alg)?;
    expect(OCTET_STRING, rest)?;
    Some(KeyFacts { algorithm: "unknown", bits: None, curve: None, encrypted: Some(true) })
}

/// `openssh-key-v1\0`, cipher, kdf, kdf options, key count, public key blob.
fn openssh(bytes: &[u8]) -> Option<KeyFacts> {
    let mut rest = bytes.strip_prefix(b"openssh-key-v1\0")?;
    let cipher = ssh_string(&mut rest)?;
    ssh_string(&mut rest)?; // kdf name
    ssh_string(&mut rest)?; // kdf options
    let (count, tail) = rest.split_at_checked(4)?;
    rest = tail;
    if count != [0, 0, 0, 1] {
        return None;
    }
    let mut public = ssh_string(&mut rest)?;
    let key_type = ssh_string(&mut public)?;
    let (algorithm, bits, curve) = match key_type {
        b"ssh-rsa" => {
            ssh_string(&mut public)?; // e
            ("rsa", Some(int_bits(ssh_string(&mut public)?)), None)
        }
        b"ssh-ed25519" => ("ed25519", Some(256), None),
        b"ssh-dss" => ("dsa", Some(int_bits(ssh_string(&mut public)?)), None),
        b"ecdsa-sha2-nistp256" => ("ec", Some(256), Some("P-256")),
        b"ecdsa-sha2-nistp384" => ("ec", Some(384), Some("P-384")),
        b"ecdsa-sha2-nistp521" => ("ec", Some(521), Some("P-521")),
        _ => ("unknown", None, None),
    };
    Some(KeyFacts { algorithm, bits, curve, encrypted: Some(cipher != b"none") })
}

/// An SSH wire string: a big-endian u32 length and that many bytes.
fn ssh_string<'a>(input: &mut &'a [u8]) -> Option<&'a [u8]> {
    let (len, rest) = input.split_at_checked(4)?;
    let len = u32::from_be_bytes(len.try_into().ok()?) as usize;
    let (value, rest) = rest.split_at_checked(len)?;
    *input = rest;
    Some(value)
}

/// A PGP secret-key packet (tag 5) first, in the old or new packet format.
fn pgp(bytes: &[u8]) -> Option<KeyFacts> {
    let first = *bytes.first()?;
    let tag = if first & 0xc0 == 0xc0 {
        first & 0x3f
    } else if first & 0x80 != 0 {
        (first >> 2) & 0x0f
    } else {
        return None;
    };
    (tag == 5).then_some(KeyFacts { algorithm: "pgp", bits: None, curve: None, encrypted: None })
}

const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const DSA: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01];
const ED25519: &[u8] = &[0x2b, 0x65, 0x70];
const X25519: &[u8] = &[0x2b, 0x65, 0x6e];
const ED448: &[u8] = &[0x2b, 0x65, 0x71];

fn curve_name(oid: &[u8]) -> Option<&'static str> {
    match oid {
        [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07] => Some("P-256"),
        [0x2b, 0x81, 0x04, 0x00, 0x22] => Some("P-384"),
        [0x2b, 0x81, 0x04, 0x00, 0x23] => Some("P-521"),
        [0x2b, 0x81, 0x04, 0x00, 0x0a] => Some("secp256k1"),
        _ => None,
    }
}

fn curve_bits(curve: &str) -> u32 {
    match curve {
        "P-384" => 384,
        "P-521" => 521,
        _ => 256,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn der(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        if content.len() < 0x80 {
            out.push(content.len() as u8);
        } else {
            out.extend([0x82, (content.len() >> 8) as u8, content.len() as u8]);
        }
        out.extend_from_slice(content);
        out
    }

    fn pem(label: &str, der: &[u8]) -> Vec<u8> {
        let b64 = STANDARD.encode(der);
        let lines: Vec<&str> =
            b64.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect();
        format!("-----BEGIN {label}-----\n{}\n-----END {label}-----", lines.join("\n")).into_bytes()
    }

    fn rsa_der(bits: usize) -> Vec<u8> {
        let mut n = vec![0u8; bits / 8 + 1];
        n[1] = 0xc3;
        let body = [der(INTEGER, &[0]), der(INTEGER, &n), der(INTEGER, &[1, 0, 1])].concat();
        der(SEQUENCE, &body)
    }

    #[test]
    fn rsa_keys_report_their_size() {
        let facts = inspect(&pem("RSA PRIVATE KEY", &rsa_der(2048))).unwrap();
        assert_eq!(facts, plain("rsa", Some(2048), None));
    }

    #[test]
    fn pkcs8_names_the_algorithm_and_curve() {
        let alg = [der(OID, EC_PUBLIC_KEY), der(OID, &[0x2b, 0x81, 0x04, 0x00, 0x22])].concat();
        let body = [der(INTEGER, &[0]), der(SEQUENCE, &alg), der(OCTET_STRING, &[7; 48])].concat();
        let facts = inspect(&pem("PRIVATE KEY", &der(SEQUENCE, &body))).unwrap();
        assert_eq!(facts, plain("ec", Some(384), Some("P-384")));
        let alg = der(OID, ED25519);
        let body = [der(INTEGER, &[0]), der(SEQUENCE, &alg), der(OCTET_STRING, &[7; 34])].concat();
        let facts = inspect(&pem("PRIVATE KEY", &der(SEQUENCE, &body))).unwrap();
        assert_eq!(facts.algorithm, "ed25519");
    }

    #[test]
    fn escaped_blocks_and_legacy_encryption_headers_are_understood() {
        let block =
            String::from_utf8(pem("RSA PRIVATE KEY", &rsa_der(1024))).unwrap().replace('\n', "\\n");
        assert_eq!(inspect(block.as_bytes()).unwrap().bits, Some(1024));
        let encrypted = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nq83vEjRWeJA=\n-----END RSA PRIVATE KEY-----";
        assert_eq!(inspect(encrypted.as_bytes()).unwrap().encrypted, Some(true));
    }

    #[test]
    fn openssh_keys_report_type_and_encryption() {
        let s = |b: &[u8]| [(b.len() as u32).to_be_bytes().as_slice(), b].concat();
        let public = [s(b"ssh-ed25519"), s(&[9; 32])].concat();
        let blob = [
            b"openssh-key-v1\0".as_slice(),
            &s(b"aes256-ctr"),
            &s(b"bcrypt"),
            &s(b"salt"),
            &[0, 0, 0, 1],
            &s(&public),
        ]
        .concat();
        let facts = inspect(&pem("OPENSSH PRIVATE KEY", &blob)).unwrap();
        assert_eq!(facts.algorithm, "ed25519");
        assert_eq!(facts.encrypted, Some(true));
    }

    #[test]
    fn made_up_or_truncated_blocks_do_not_parse() {
        let fake = pem("RSA PRIVATE KEY", b"this is not DER at all, just text");
        assert_eq!(inspect(&fake), None);
        let mut truncated = rsa_der(2048);
        truncated.truncate(40);
        assert_eq!(inspect(&pem("RSA PRIVATE KEY", &truncated)), None);
        assert_eq!(inspect(b"-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----"), None);
    }
}
