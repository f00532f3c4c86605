//! Fuzz target: commits, tags and trees as a history scan parses them and checks their references
//! (issue #14 item 8). Any bytes: no panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| leakhound::source::git::fuzzing::objects(data));
