//! Fuzz target: the matcher (prefilter, regexes, checks, filters) on arbitrary bytes with the
//! built-in rules. Every match must lie inside the input, name a real rule, and come in the
//! documented order (by secret start, then rule).
#![no_main]

use std::sync::{Arc, OnceLock};

use leakhound::internals::matcher::Matcher;
use leakhound::internals::rules::RuleSet;
use libfuzzer_sys::fuzz_target;

fn matcher() -> &'static Matcher {
    static MATCHER: OnceLock<Matcher> = OnceLock::new();
    MATCHER
        .get_or_init(|| Matcher::new(Arc::new(RuleSet::load(&[]).expect("built-in rules compile"))))
}

fuzz_target!(|data: &[u8]| {
    let matcher = matcher();
    let mut scratch = matcher.scratch();
    let mut found = Vec::new();
    matcher.scan(data, &mut scratch, &mut found);
    for m in &found {
        assert!(m.rule < matcher.rules().rules().len());
        assert!(
            m.secret.start <= m.secret.end && m.secret.end <= data.len(),
            "secret out of bounds"
        );
        assert!(
            m.span.start <= m.secret.start && m.secret.end <= m.span.end,
            "secret outside its match"
        );
        assert!(!m.secret.is_empty(), "an empty secret was reported");
    }
    assert!(
        found.windows(2).all(|w| (w[0].secret.start, w[0].rule) <= (w[1].secret.start, w[1].rule))
    );
});
