//! Fuzz target: archive expansion (zip, tar, gzip, bzip2, xz, zstd, nested) on hostile bytes. The
//! input's first byte picks one of the signatures, so every decoder sees malformed input behind a
//! valid magic; small bounds keep each run fast. Invariants: no panic; every member is within the
//! byte bound; every member path starts with the item's name and a `!`; expansion stops.
#![no_main]

use leakhound::internals::archive::{self, Event, Limits, ScanBudget};
use libfuzzer_sys::fuzz_target;

const MAGICS: [&[u8]; 6] =
    [b"PK\x03\x04", b"\x1f\x8b\x08", b"BZh91AY&SY", b"\xfd7zXZ\0", b"\x28\xb5\x2f\xfd", b""];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let mut bytes = MAGICS[usize::from(pick) % MAGICS.len()].to_vec();
    bytes.extend_from_slice(rest);
    let limits =
        Limits { max_depth: 3, max_archive_bytes: 4 << 20, max_entries: 1000, max_ratio: 100 };
    let budget = ScanBudget::new(8 << 20);
    let mut total = 0u64;
    archive::expand("item", &bytes, &limits, &budget, &mut |event| {
        if let Event::Entry(entry) = event {
            assert!(entry.path.starts_with("item!"), "member path {:?}", entry.path);
            total += entry.bytes.len() as u64;
        }
    });
    assert!(total <= limits.max_archive_bytes);
});
