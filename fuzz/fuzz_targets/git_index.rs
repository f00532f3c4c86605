//! Fuzz target: the index file `--staged` reads (also the one `GIT_INDEX_FILE` names). Any bytes:
//! no panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| leakhound::internals::git::fuzzing::index(data));
