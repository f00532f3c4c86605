//! Fuzz target: git delta instructions applied to a base (the pack walk's own delta code). The
//! first byte says how much of the input is the base. Any bytes: no panic, bounded output.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = usize::from(data.first().copied().unwrap_or(0)).min(data.len().saturating_sub(1));
    let rest = data.get(1..).unwrap_or_default();
    let (base, delta) = rest.split_at(split.min(rest.len()));
    leakhound::internals::git::fuzzing::delta(base, delta);
});
