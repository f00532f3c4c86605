//! Fuzz target: the rule YAML parser and rule validation (regex compilation, checks, examples).
//! Any text must give rules or typed errors, never a panic; a set that compiles must also be
//! usable by the matcher on its own text.
#![no_main]

use std::sync::Arc;

use leakhound::internals::matcher::Matcher;
use leakhound::internals::rules::{RuleSet, RuleSource};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let source = RuleSource { origin: "fuzz.yaml".to_string(), text: text.to_string() };
    match RuleSet::compile(&[source]) {
        Ok(rules) => {
            let matcher = Matcher::new(Arc::new(rules));
            let mut scratch = matcher.scratch();
            let mut found = Vec::new();
            matcher.scan(data, &mut scratch, &mut found);
            assert!(found.iter().all(|m| m.secret.end <= data.len()));
        }
        Err(errors) => assert!(!errors.to_string().is_empty(), "an error without a message"),
    }
});
