//! The checksums some token formats carry (GitHub's and npm's base62 CRC32 tail), shared by the
//! structural checks and the filters. A leaf: it imports nothing of the matcher.

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Encodes `value` in base62 (most significant digit first), zero-padded to `width` digits.
#[allow(clippy::missing_panics_doc)] // digits come from an ASCII table
#[allow(clippy::expect_used, reason = "base62 digits are ASCII")]
pub fn base62(mut value: u64, width: usize) -> String {
    let mut digits = vec![b'0'; width];
    for slot in digits.iter_mut().rev() {
        *slot = BASE62[(value % 62) as usize];
        value /= 62;
    }
    String::from_utf8(digits).expect("base62 digits are ASCII")
}

/// GitHub and npm tokens: the last 6 characters are the base62 CRC32 of the 30 before them.
pub(crate) fn crc32_github(secret: &[u8]) -> bool {
    if secret.len() < 36 {
        return false;
    }
    let tail = &secret[secret.len() - 36..];
    let (random, checksum) = tail.split_at(30);
    base62(u64::from(crc32fast::hash(random)), 6).as_bytes() == checksum
}
