//! Recognising an archive by its first bytes, never by its name.
//!
//! Only signatures that are specific enough to be trusted are used: a false positive turns a plain
//! binary file into a "corrupt archive" notice. Old (pre-POSIX) tar files without the `ustar`
//! magic are not recognised; they are scanned as plain content, like any other file.

/// Bytes [`sniff`] needs to see to recognise every format (tar's magic sits at offset 257).
pub(crate) const SNIFF_LEN: usize = 512;

/// An archive or compression format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// Zip and its family: jar, war, ear, apk, aab, ipa, whl, nupkg, xpi, crx (v3 is not), docx,
    /// xlsx, pptx, odt.
    Zip,
    /// POSIX or GNU tar.
    Tar,
    /// gzip (one or more members).
    Gzip,
    /// bzip2.
    Bzip2,
    /// xz.
    Xz,
    /// Zstandard.
    Zstd,
}

impl Format {
    /// The lowercase name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Format::Zip => "zip",
            Format::Tar => "tar",
            Format::Gzip => "gzip",
            Format::Bzip2 => "bzip2",
            Format::Xz => "xz",
            Format::Zstd => "zstd",
        }
    }
}

/// The format `head` (the first [`SNIFF_LEN`] bytes or all of a shorter item) starts with.
pub(crate) fn sniff(head: &[u8]) -> Option<Format> {
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Some(Format::Zip)
    } else if head.starts_with(&[0x1F, 0x8B, 0x08]) {
        Some(Format::Gzip)
    } else if is_bzip2(head) {
        Some(Format::Bzip2)
    } else if head.starts_with(&[0xFD, b'7', b'z', b'X', b'Z', 0x00]) {
        Some(Format::Xz)
    } else if head.starts_with(&[0x28, 0xB5, 0x2F, 0xFD]) {
        Some(Format::Zstd)
    } else if head.get(257..262) == Some(b"ustar") {
        Some(Format::Tar)
    } else {
        None
    }
}

/// `BZh`, a block size digit, then a block or end-of-stream magic (so `BZh1` text is not bzip2).
fn is_bzip2(head: &[u8]) -> bool {
    head.len() >= 10
        && head.starts_with(b"BZh")
        && (b'1'..=b'9').contains(&head[3])
        && (&head[4..10] == b"1AY&SY" || head[4..10] == [0x17, 0x72, 0x45, 0x38, 0x50, 0x90])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_recognised_by_magic_bytes() {
        assert_eq!(sniff(b"PK\x03\x04rest"), Some(Format::Zip));
        assert_eq!(sniff(b"PK\x05\x06\0\0"), Some(Format::Zip));
        assert_eq!(sniff(&[0x1F, 0x8B, 0x08, 0]), Some(Format::Gzip));
        assert_eq!(sniff(b"BZh91AY&SYxx"), Some(Format::Bzip2));
        assert_eq!(sniff(&[0xFD, b'7', b'z', b'X', b'Z', 0, 0]), Some(Format::Xz));
        assert_eq!(sniff(&[0x28, 0xB5, 0x2F, 0xFD, 0]), Some(Format::Zstd));
        let mut tar = vec![0u8; 512];
        tar[257..263].copy_from_slice(b"ustar\0");
        assert_eq!(sniff(&tar), Some(Format::Tar));
    }

    #[test]
    fn text_that_merely_starts_like_a_signature_is_not_an_archive() {
        assert_eq!(sniff(b"PK is a name"), None);
        assert_eq!(sniff(b"BZh1 is not bzip2 without a block magic"), None);
        assert_eq!(sniff(b"\x1f\x8b"), None);
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(&[0u8; 100]), None);
    }
}
