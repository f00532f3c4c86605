//! The matcher: bytes in, matches out. No I/O.
//!
//! 1. The `prefilter` finds keyword hits and turns them into per-rule windows.
//! 2. Only those rules' regexes run, only inside their windows (look-around assertions such as
//!    `\b` still see the bytes outside a window, so windows never invent word boundaries).
//! 3. Each candidate secret passes the rule's entropy floor and checks, then the global
//!    [`filters`].
//! 4. Overlaps are resolved by specificity: a provider rule's secret hides a generic rule's
//!    overlapping secret; matches that do not overlap never hide each other.

pub mod checks;
pub mod filters;
pub(crate) mod prefilter;

use std::ops::Range;
use std::sync::Arc;

use regex_automata::Input;
use regex_automata::util::captures::Captures;

use crate::rules::{CompiledPattern, Kind, Rule, RuleSet};
use prefilter::{Prefilter, Windows};

/// One rule match in a buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawMatch {
    /// Index of the rule in the [`RuleSet`].
    pub rule: usize,
    /// Byte range of the secret.
    pub secret: Range<usize>,
    /// Byte range of the whole match.
    pub span: Range<usize>,
    /// Values of the rule's other named groups.
    pub attributes: Vec<(Arc<str>, String)>,
}

/// Why a candidate was dropped (or kept): used by `rules check` messages and `explain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Passed everything.
    Kept,
    /// Below the rule's `min_entropy`.
    LowEntropy,
    /// A named check failed.
    CheckFailed(crate::rules::CheckName),
    /// A placeholder, template or documented example value.
    Placeholder,
    /// A hash, UUID, version, path or code expression (generic rules).
    CommonShape,
    /// A provider rule matched the same bytes.
    Superseded,
}

impl Verdict {
    /// A short human description.
    pub fn describe(self) -> String {
        match self {
            Verdict::Kept => "reported".into(),
            Verdict::LowEntropy => "dropped: entropy below the rule's min_entropy".into(),
            Verdict::CheckFailed(c) => format!("dropped: check {} failed", c.as_str()),
            Verdict::Placeholder => "dropped: placeholder or example value".into(),
            Verdict::CommonShape => "dropped: hash, UUID, version, path or code expression".into(),
            Verdict::Superseded => "dropped: a provider rule matched the same bytes".into(),
        }
    }
}

/// A candidate with its verdict, for explanations.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The match.
    pub found: RawMatch,
    /// What happened to it.
    pub verdict: Verdict,
    /// Shannon entropy of the secret.
    pub entropy: f64,
}

/// Compiled matching state shared by all worker threads.
#[derive(Debug)]
pub struct Matcher {
    rules: Arc<RuleSet>,
    /// Built on first use: a run that reads no content (an empty directory, a clean `--staged`)
    /// never pays for the automaton.
    prefilter: std::sync::OnceLock<Prefilter>,
}

/// Per-thread reusable buffers; create one per worker with [`Matcher::scratch`].
#[derive(Debug)]
pub struct Scratch {
    windows: Windows,
    captures: Vec<Option<Captures>>,
    candidates: Vec<Candidate>,
}

impl Matcher {
    /// A matcher for a rule set (the prefilter is built when first needed).
    pub fn new(rules: Arc<RuleSet>) -> Matcher {
        Matcher { rules, prefilter: std::sync::OnceLock::new() }
    }

    fn prefilter(&self) -> &Prefilter {
        self.prefilter.get_or_init(|| Prefilter::new(&self.rules))
    }

    /// The rules this matcher runs.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// Fresh per-thread buffers.
    pub fn scratch(&self) -> Scratch {
        Scratch { windows: Windows::default(), captures: vec![None; self.rules.rules().len()], candidates: Vec::new() }
    }

    /// Appends every reported match in `buf` to `out`, sorted by position then rule.
    pub fn scan(&self, buf: &[u8], scratch: &mut Scratch, out: &mut Vec<RawMatch>) {
        self.candidates(buf, scratch);
        out.extend(scratch.candidates.drain(..).filter(|c| c.verdict == Verdict::Kept).map(|c| c.found));
    }

    /// Every candidate in `buf` with its verdict (reported ones and dropped ones).
    pub fn explain(&self, buf: &[u8]) -> Vec<Candidate> {
        let mut scratch = self.scratch();
        self.candidates(buf, &mut scratch);
        std::mem::take(&mut scratch.candidates)
    }

    /// Keyword hits in `buf`: (keyword, span, rule ids that listed it).
    pub fn keyword_hits(&self, buf: &[u8]) -> Vec<(String, Range<usize>, Vec<String>)> {
        self.prefilter()
            .hits(buf)
            .map(|hit| {
                let rules =
                    self.prefilter().rules_of(hit.keyword).iter().map(|&r| self.rules.rules()[r].id().to_string());
                (self.prefilter().keyword(hit.keyword).to_string(), hit.span, rules.collect())
            })
            .collect()
    }

    fn candidates(&self, buf: &[u8], scratch: &mut Scratch) {
        scratch.candidates.clear();
        self.prefilter().windows(buf, &mut scratch.windows);
        for (rule_index, windows) in scratch.windows.iter() {
            let rule = &self.rules.rules()[rule_index];
            // A pattern over the regex size limits cannot run; `rules check` reports it.
            let Ok(pattern) = rule.pattern() else {
                continue;
            };
            let caps = scratch.captures[rule_index].get_or_insert_with(|| pattern.regex.create_captures());
            let target = Target { rule, pattern, index: rule_index };
            for window in windows {
                find_in_window(&target, buf, window, caps, &mut scratch.candidates);
            }
        }
        resolve_overlaps(&self.rules, &mut scratch.candidates);
        scratch.candidates.sort_by_key(|c| (c.found.secret.start, c.found.rule));
    }
}

/// The rule being run: its spec, compiled pattern and index.
struct Target<'a> {
    rule: &'a Rule,
    pattern: &'a CompiledPattern,
    index: usize,
}

fn find_in_window(
    target: &Target<'_>,
    buf: &[u8],
    window: &Range<usize>,
    caps: &mut Captures,
    out: &mut Vec<Candidate>,
) {
    let mut input = Input::new(buf).span(window.clone());
    loop {
        target.pattern.regex.search_captures(&input, caps);
        let Some(whole) = caps.get_match() else {
            return;
        };
        if let Some(secret) = caps.get_group(target.pattern.secret_group).filter(|s| !s.is_empty()) {
            let found = RawMatch {
                rule: target.index,
                secret: secret.range(),
                span: whole.range(),
                attributes: attributes(target.pattern, buf, caps),
            };
            out.push(judge(target.rule, buf, found));
        }
        let next = if whole.is_empty() { whole.end() + 1 } else { whole.end() };
        if next > window.end {
            return;
        }
        input.set_start(next);
    }
}

fn attributes(pattern: &CompiledPattern, buf: &[u8], caps: &Captures) -> Vec<(Arc<str>, String)> {
    pattern
        .attribute_groups
        .iter()
        .filter_map(|(name, index)| {
            let span = caps.get_group(*index)?;
            Some((Arc::clone(name), String::from_utf8_lossy(&buf[span.range()]).into_owned()))
        })
        .collect()
}

/// Placeholder filtering by kind. A key block is structure plus base64; its headers
/// (`Comment: <email>`) and random body would trip word and symbol markers, and its rule's
/// pattern already rejects placeholder bodies.
fn is_placeholder_for(kind: Kind, secret: &[u8]) -> bool {
    match kind {
        Kind::PrivateKey => false,
        kind if kind.is_generic() => filters::is_generic_placeholder(secret),
        _ => filters::is_placeholder(secret),
    }
}

fn judge(rule: &Rule, buf: &[u8], found: RawMatch) -> Candidate {
    let secret = &buf[found.secret.clone()];
    let entropy = checks::shannon_entropy(secret);
    let verdict = if rule.spec.min_entropy.is_some_and(|min| entropy < min) {
        Verdict::LowEntropy
    } else if let Some(&failed) = rule.spec.checks.iter().find(|&&c| !checks::passes(c, buf, &found.secret)) {
        Verdict::CheckFailed(failed)
    } else if is_placeholder_for(rule.spec.kind, secret) {
        Verdict::Placeholder
    } else if rule.spec.kind.is_generic() && filters::is_common_shape(secret) {
        Verdict::CommonShape
    } else {
        Verdict::Kept
    };
    Candidate { found, verdict, entropy }
}

/// Drops kept generic candidates whose secret overlaps a kept provider candidate's secret.
fn resolve_overlaps(rules: &RuleSet, candidates: &mut [Candidate]) {
    let is_generic = |c: &Candidate| rules.rules()[c.found.rule].spec.kind.is_generic();
    let mut provider_spans: Vec<Range<usize>> = candidates
        .iter()
        .filter(|c| c.verdict == Verdict::Kept && !is_generic(c))
        .map(|c| c.found.secret.clone())
        .collect();
    if provider_spans.is_empty() {
        return;
    }
    // Sorted by start, with the running maximum of ends, one binary search answers "does any
    // provider span overlap this one" in O(log n): linear overall even with many matches.
    provider_spans.sort_unstable_by_key(|r| r.start);
    let max_end: Vec<usize> = provider_spans
        .iter()
        .scan(0, |m, r| {
            *m = (*m).max(r.end);
            Some(*m)
        })
        .collect();
    for candidate in candidates.iter_mut().filter(|c| c.verdict == Verdict::Kept) {
        if is_generic(candidate) {
            let s = &candidate.found.secret;
            let starting_before_end = provider_spans.partition_point(|p| p.start < s.end);
            if starting_before_end > 0 && max_end[starting_before_end - 1] > s.start {
                candidate.verdict = Verdict::Superseded;
            }
        }
    }
}
