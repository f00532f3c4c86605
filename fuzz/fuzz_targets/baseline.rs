//! Fuzz target: baseline files (leakhound's format, `.gitleaksignore`, gitleaks JSON reports).
//! Any text must give a baseline or a typed error, never a panic; a leakhound baseline must
//! render and parse back to the same file.
#![no_main]

use leakhound::internals::baseline::{Baseline, BaselineKind, Subject};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for name in ["base.txt", ".gitleaksignore"] {
        match Baseline::parse(text, name) {
            Ok(baseline) => {
                let subject = Subject {
                    rule: "r",
                    secret: data,
                    path: "a",
                    shown: "a",
                    line: 1,
                    commit: None,
                };
                let _ = baseline.accepts(&subject);
                if let BaselineKind::Native(native) = &baseline.kind {
                    let rendered = native.render();
                    let again =
                        Baseline::parse(&rendered, name).expect("a rendered baseline parses");
                    let BaselineKind::Native(again) = again.kind else { panic!("format changed") };
                    assert_eq!(again.render(), rendered, "render is a fixed point");
                }
            }
            // Line 0 is a whole-file error (no `# key:` line); any other line is in the text, or
            // just past its last newline (JSON that ends too early).
            Err(e) => assert!(!e.message.is_empty() && e.line <= text.split('\n').count()),
        }
    }
});
