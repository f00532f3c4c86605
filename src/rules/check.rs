//! `rules check`: proves every rule's examples and negative examples against the real matcher.
//!
//! An example is scanned exactly as a file would be, with every rule loaded, so it proves the
//! keyword, the pattern, the checks, the filters and the precedence between rules all at once.

use std::sync::Arc;

use crate::matcher::{Matcher, Verdict};

use super::RuleSet;

/// What `rules check` found.
#[derive(Debug, Default)]
pub(crate) struct CheckReport {
    /// Rules checked.
    pub rules: usize,
    /// Examples proven.
    pub examples: usize,
    /// Negative examples proven.
    pub negative_examples: usize,
    /// One line per problem.
    pub problems: Vec<String>,
}

/// Checks the rules whose origin `include` accepts.
pub(crate) fn check(set: &Arc<RuleSet>, include: impl Fn(&str) -> bool) -> CheckReport {
    let matcher = Matcher::new(Arc::clone(set));
    let mut report = CheckReport::default();
    for (index, rule) in set.rules().iter().enumerate() {
        if !include(&rule.origin) {
            continue;
        }
        report.rules += 1;
        let spec = &rule.spec;
        let id = &spec.id;
        if spec.examples.is_empty() || spec.negative_examples.is_empty() {
            report
                .problems
                .push(format!("{id}: needs at least one example and one negative example"));
        }
        if spec.references.is_empty() || spec.revoke.as_deref().is_none_or(|r| r.trim().is_empty())
        {
            report.problems.push(format!("{id}: needs `references` and `revoke`"));
        }
        for example in &spec.examples {
            match prove_example(&matcher, index, example) {
                Ok(()) => report.examples += 1,
                Err(why) => report.problems.push(format!("{id}: example {example:?} {why}")),
            }
        }
        for example in &spec.negative_examples {
            match prove_negative(&matcher, index, example) {
                Ok(()) => report.negative_examples += 1,
                Err(why) => {
                    report.problems.push(format!("{id}: negative example {example:?} {why}"));
                }
            }
        }
    }
    report
}

/// An example as it sits in a file: lines before and after it. A pattern that only matches at
/// the very start or end of the text (`^`, `$` outside multi-line mode) passes alone and misses
/// in every real file, where the window around a keyword holds the neighbouring lines.
fn in_file(example: &str) -> String {
    format!("before = 1\n{example}\nafter = 2\n")
}

fn prove_example(matcher: &Matcher, rule: usize, example: &str) -> Result<(), String> {
    let candidates = matcher.explain(example.as_bytes());
    if let Some(kept) =
        candidates.iter().find(|c| c.found.rule == rule && c.verdict == Verdict::Kept)
    {
        // A rule for a whole file matches only alone.
        if super::matches_whole_text_only(&matcher.rules().rules()[rule].spec.pattern) {
            return Ok(());
        }
        // Between other lines the secret must still be reported; by this rule or by another
        // that wins the same bytes there.
        let secret = kept.found.secret_bytes(example.as_bytes());
        let framed = in_file(example);
        let reported = matcher.explain(framed.as_bytes()).into_iter().any(|c| {
            c.verdict == Verdict::Kept && c.found.secret_bytes(framed.as_bytes()) == secret
        });
        if reported {
            return Ok(());
        }
        return Err("is reported alone but not between other lines of a file".into());
    }
    let own: Vec<_> = candidates.iter().filter(|c| c.found.rule == rule).collect();
    if let Some(c) = own.first() {
        return Err(format!(
            "was not reported: {} (entropy {:.2})",
            c.verdict.describe(),
            c.entropy
        ));
    }
    let keywords = &matcher.rules().rules()[rule].spec.keywords;
    let lower = example.to_ascii_lowercase();
    if !keywords.is_empty() && !keywords.iter().any(|k| lower.contains(&k.to_ascii_lowercase())) {
        return Err("contains none of the rule's keywords".into());
    }
    Err("does not match the pattern".into())
}

fn prove_negative(matcher: &Matcher, rule: usize, example: &str) -> Result<(), String> {
    let candidates = matcher.explain(example.as_bytes());
    match candidates.iter().find(|c| c.found.rule == rule && c.verdict == Verdict::Kept) {
        None => Ok(()),
        Some(c) => Err(format!(
            "was reported (secret {:?})",
            String::from_utf8_lossy(c.found.secret_bytes(example.as_bytes()))
        )),
    }
}
