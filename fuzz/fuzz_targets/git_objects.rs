//! Fuzz target: commits, tags and trees as a history scan parses them and checks their references.
//! Any bytes: no panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| leakhound::internals::git::fuzzing::objects(data));
