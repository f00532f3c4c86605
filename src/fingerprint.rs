//! The key behind every fingerprint in a report.
//!
//! A fingerprint is HMAC-SHA-256 under this key, never a plain hash: an unkeyed SHA-256 of a
//! common password is reversed by a one-line dictionary attack, and reports travel further than
//! the repository (CI logs, code scanning, tickets). The key is resolved once per process:
//!
//! 1. `LEAKHOUND_FINGERPRINT_KEY`, when set and not empty: the way to share a key across a team
//!    and CI, so fingerprints (and SARIF alerts) are stable between machines.
//! 2. Otherwise the per-user key file `$XDG_CONFIG_HOME/leakhound/fingerprint.key` (or
//!    `$HOME/.config/leakhound/fingerprint.key`), 32 random bytes in hex, created with mode 0600 on
//!    first use: stable across runs on one machine.
//! 3. When no key file can be read or created, a random key for this run only.
//!
//! Baselines do not depend on this key: each baseline carries its own HMAC key ([`crate::baseline`]).

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::OnceLock;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The environment variable that holds a shared fingerprint key.
pub(crate) const KEY_ENV: &str = "LEAKHOUND_FINGERPRINT_KEY";

/// Where this process's key came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeySource {
    /// [`KEY_ENV`].
    Environment,
    /// The per-user key file.
    UserFile,
    /// Random, for this run only (no key file could be read or created).
    Ephemeral,
}

/// A fingerprint key and where it came from.
#[derive(Clone)]
pub(crate) struct FingerprintKey {
    bytes: Vec<u8>,
    source: KeySource,
}

impl std::fmt::Debug for FingerprintKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FingerprintKey").field("source", &self.source).finish_non_exhaustive()
    }
}

impl FingerprintKey {
    /// A key from explicit bytes (tests).
    #[cfg(test)]
    pub(crate) fn from_bytes(bytes: &[u8], source: KeySource) -> FingerprintKey {
        FingerprintKey { bytes: bytes.to_vec(), source }
    }

    /// Where the key came from.
    #[cfg_attr(not(feature = "git"), allow(dead_code))] // the history cache asks
    pub(crate) fn source(&self) -> KeySource {
        self.source
    }

    /// Hex of the first 16 bytes of HMAC-SHA-256(key, parts joined by NUL).
    ///
    /// # Panics
    /// Never: HMAC accepts keys of any length.
    #[allow(clippy::expect_used, reason = "HMAC-SHA-256 accepts keys of any length")]
    pub(crate) fn mac(&self, parts: &[&[u8]]) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.bytes).expect("HMAC takes any key length");
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                mac.update(&[0]);
            }
            mac.update(part);
        }
        hex(&mac.finalize().into_bytes()[..16])
    }
}

/// Lowercase hex of `bytes` (fingerprints, baseline hashes, request signatures).
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The process's key, resolved on first use.
pub(crate) fn key() -> &'static FingerprintKey {
    static KEY: OnceLock<FingerprintKey> = OnceLock::new();
    // Unit tests never touch the user's key file.
    #[cfg(test)]
    return KEY
        .get_or_init(|| FingerprintKey::from_bytes(b"unit test key", KeySource::Environment));
    #[cfg(not(test))]
    KEY.get_or_init(resolve)
}

#[cfg_attr(test, allow(dead_code))]
fn resolve() -> FingerprintKey {
    if let Some(value) = std::env::var_os(KEY_ENV).filter(|v| !v.is_empty()) {
        return FingerprintKey {
            bytes: value.into_encoded_bytes(),
            source: KeySource::Environment,
        };
    }
    if let Some(bytes) = user_key_file().and_then(|path| read_or_create(&path)) {
        return FingerprintKey { bytes, source: KeySource::UserFile };
    }
    FingerprintKey { bytes: random_bytes().unwrap_or_default(), source: KeySource::Ephemeral }
}

/// `$XDG_CONFIG_HOME/leakhound/fingerprint.key`, else under `$HOME/.config`.
pub(crate) fn user_key_file() -> Option<PathBuf> {
    let absolute =
        |name: &str| std::env::var_os(name).map(PathBuf::from).filter(|p| p.is_absolute());
    let config = absolute("XDG_CONFIG_HOME")
        .or_else(|| absolute("HOME").map(|home| home.join(".config")))?;
    Some(config.join("leakhound").join("fingerprint.key"))
}

/// The key in `path` (hex), or a new random key written there without replacing anything.
#[allow(
    clippy::disallowed_methods,
    reason = "the fingerprint key file is the user's own, never scanned content"
)]
fn read_or_create(path: &std::path::Path) -> Option<Vec<u8>> {
    if let Ok(text) = std::fs::read_to_string(path) {
        return unhex(text.trim()).filter(|k| k.len() >= 16);
    }
    let key = random_bytes()?;
    std::fs::create_dir_all(path.parent()?).ok()?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(format!("{}\n", hex(&key)).as_bytes()).ok()?;
            Some(key)
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            unhex(std::fs::read_to_string(path).ok()?.trim()).filter(|k| k.len() >= 16)
        }
        Err(_) => None,
    }
}

#[allow(
    clippy::disallowed_methods,
    reason = "the key file and the OS random device, never scanned content"
)]
fn random_bytes() -> Option<Vec<u8>> {
    use std::io::Read as _;
    let mut key = vec![0u8; 32];
    std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut key)).ok()?;
    Some(key)
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mac_depends_on_the_key_and_every_part() {
        let a = FingerprintKey::from_bytes(b"team key one", KeySource::Environment);
        let b = FingerprintKey::from_bytes(b"team key two", KeySource::Environment);
        assert_eq!(a.mac(&[b"rule", b"secret"]), a.mac(&[b"rule", b"secret"]));
        assert_ne!(a.mac(&[b"rule", b"secret"]), b.mac(&[b"rule", b"secret"]));
        assert_ne!(a.mac(&[b"rule", b"secret"]), a.mac(&[b"rule", b"secreT"]));
        assert_ne!(
            a.mac(&[b"rul", b"esecret"]),
            a.mac(&[b"rule", b"secret"]),
            "parts are separated"
        );
        assert_eq!(a.mac(&[b"x"]).len(), 32);
    }

    #[test]
    fn a_key_file_is_created_once_and_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("leakhound/fingerprint.key");
        let first = read_or_create(&path).expect("created");
        assert_eq!(first.len(), 32);
        assert_eq!(read_or_create(&path), Some(first));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn a_damaged_key_file_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fingerprint.key");
        std::fs::write(&path, "not hex\n").unwrap();
        assert_eq!(read_or_create(&path), None);
        std::fs::write(&path, "abcd\n").unwrap();
        assert_eq!(read_or_create(&path), None, "too short to be a key");
    }
}
