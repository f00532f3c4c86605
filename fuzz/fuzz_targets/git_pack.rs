//! Fuzz target: a pack and its index walked as a history scan walks them (headers, offsets, delta
//! trees, inflation). The first two bytes say how long the index part is. Any bytes: no panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((len, rest)) = data.split_first_chunk::<2>() else { return };
    let split = usize::from(u16::from_le_bytes(*len)).min(rest.len());
    let (index, pack) = rest.split_at(split);
    leakhound::internals::git::fuzzing::pack(pack, index);
});
