//! Fuzz target: the `.leakhound.toml` parser and validator. Any bytes must give a configuration
//! or a typed error that names a line inside the text, never a panic; a parsed configuration must
//! answer allowlist questions about arbitrary paths and secrets.
#![no_main]

use std::sync::Arc;

use leakhound::internals::config::{Chain, RepoConfig, Subject};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match RepoConfig::parse(data, ".leakhound.toml", "", true) {
        Ok(config) => {
            let chain = Chain { configs: vec![Arc::new(config)] };
            let text = String::from_utf8_lossy(data);
            for path in ["a.py", "tests/fixtures/x.env", text.as_ref()] {
                let subject = Subject {
                    rule: "generic.password",
                    path,
                    secret: data,
                    commit: Some("abcdef1"),
                    builtin: true,
                };
                if let Some(allowed) = chain.allows(&subject) {
                    assert!(allowed.line >= 1, "an allowlist hit names its line");
                }
            }
        }
        Err(e) => {
            let lines = 1 + data.iter().filter(|&&b| b == b'\n').count();
            assert!(e.line >= 1 && e.line <= lines, "error line {} outside 1..={lines}", e.line);
            assert!(!e.message.is_empty());
        }
    }
});
