//! The keyword prefilter: one Aho-Corasick automaton over every rule's keywords.
//!
//! A rule's regex runs only in windows around places where one of its keywords occurs (DESIGN.md
//! §3). This module finds those places and turns them into per-rule byte windows; it knows nothing
//! about regexes.
//!
//! Windows are snapped to line boundaries (plus the rule's `lines_before`/`lines_after`) and
//! clamped to [`BACK_LIMIT`] bytes before and a forward limit after the hit, so a 200 MB single-line
//! file costs linear time: a later hit inside a window whose end was clamped extends it by scanning
//! only the bytes not yet seen.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use memchr::{memchr, memrchr};

use crate::rules::{PrefilterMode, RuleSet};

/// How far before a keyword hit a window may start.
pub(crate) const BACK_LIMIT: usize = 4 * 1024;
/// How far after a keyword hit a window may end, for single-line rules.
pub(crate) const FORWARD_LIMIT: usize = 16 * 1024;
/// How far after a keyword hit a window may end, for multi-line rules (private key blocks).
pub(crate) const FORWARD_LIMIT_MULTILINE: usize = 64 * 1024;

/// Bytes searched with the quick-to-build automaton before the DFA is built. The DFA searches
/// several times faster but takes milliseconds to build over the whole catalogue's keywords: a
/// hook or a pre-commit run over a few kilobytes never pays for it, a tree or history scan pays
/// once, after its first mebibyte.
const DFA_AFTER: u64 = 1 << 20;

/// Per-rule window shape, copied out of the rule for the hot loop.
#[derive(Debug, Clone, Copy)]
struct WindowShape {
    lines_before: usize,
    lines_after: usize,
    forward_limit: usize,
}

/// Keywords of all rules, compiled once.
#[derive(Debug)]
pub(crate) struct Prefilter {
    /// A contiguous NFA over the keywords: quick to build, used for the first [`DFA_AFTER`] bytes.
    automaton: Option<AhoCorasick>,
    /// The same keywords as a DFA (same pattern ids, same matches), built once that many bytes
    /// were searched.
    dfa: OnceLock<Option<AhoCorasick>>,
    /// Bytes searched so far, across threads.
    searched: AtomicU64,
    /// For each automaton pattern, the rules that listed that keyword.
    pattern_rules: Vec<Vec<usize>>,
    /// Rules with `prefilter: none`: their window is always the whole buffer.
    always: Vec<usize>,
    shapes: Vec<WindowShape>,
    /// The keywords, lowercase, by pattern id (for `explain`).
    keywords: Vec<String>,
}

/// A keyword occurrence: which keyword, where.
#[derive(Debug, Clone)]
pub(crate) struct KeywordHit {
    /// The keyword (lowercase).
    pub(crate) keyword: usize,
    /// Where it occurred.
    pub(crate) span: Range<usize>,
}

/// Reusable per-thread buffers for window computation.
#[derive(Debug, Default)]
pub(crate) struct Windows {
    /// Windows per rule index; only the rules in `touched` are non-empty.
    per_rule: Vec<Vec<Range<usize>>>,
    touched: Vec<usize>,
}

impl Windows {
    /// The rules that have at least one window, in rule order, with their merged windows.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (usize, &[Range<usize>])> {
        self.touched.iter().map(|&r| (r, self.per_rule[r].as_slice()))
    }

    fn reset(&mut self, rules: usize) {
        for &r in &self.touched {
            self.per_rule[r].clear();
        }
        self.touched.clear();
        if self.per_rule.len() != rules {
            self.per_rule = vec![Vec::new(); rules];
        }
    }

    fn push(&mut self, rule: usize, window: Range<usize>) {
        let list = &mut self.per_rule[rule];
        if list.is_empty() {
            self.touched.push(rule);
        }
        list.push(window);
    }

    fn finish(&mut self) {
        self.touched.sort_unstable();
        for &r in &self.touched {
            merge_windows(&mut self.per_rule[r]);
        }
    }
}

impl Prefilter {
    pub(crate) fn new(rules: &RuleSet) -> Prefilter {
        let mut keywords: Vec<String> = Vec::new();
        let mut ids: HashMap<String, usize> = HashMap::new();
        let mut pattern_rules: Vec<Vec<usize>> = Vec::new();
        let mut always = Vec::new();
        for (index, rule) in rules.rules().iter().enumerate() {
            if rule.spec.prefilter == Some(PrefilterMode::None) {
                always.push(index);
            }
            for keyword in &rule.spec.keywords {
                let keyword = keyword.to_ascii_lowercase();
                let pattern = *ids.entry(keyword).or_insert_with_key(|keyword| {
                    keywords.push(keyword.clone());
                    pattern_rules.push(Vec::new());
                    keywords.len() - 1
                });
                if !pattern_rules[pattern].contains(&index) {
                    pattern_rules[pattern].push(index);
                }
            }
        }
        let automaton =
            (!keywords.is_empty()).then(|| automaton(&keywords, AhoCorasickKind::ContiguousNFA));
        let shapes = rules
            .rules()
            .iter()
            .map(|r| WindowShape {
                lines_before: r.spec.lines_before as usize,
                lines_after: r.spec.lines_after as usize,
                forward_limit: if r.spec.lines_after > 0 {
                    FORWARD_LIMIT_MULTILINE
                } else {
                    FORWARD_LIMIT
                },
            })
            .collect();
        Prefilter {
            automaton,
            dfa: OnceLock::new(),
            searched: AtomicU64::new(0),
            pattern_rules,
            always,
            shapes,
            keywords,
        }
    }

    /// The automaton to search `len` more bytes with.
    fn automaton_for(&self, len: usize) -> Option<&AhoCorasick> {
        // Once the DFA exists, no thread touches the shared counter again.
        if let Some(dfa) = self.dfa.get() {
            return dfa.as_ref();
        }
        if self.searched.fetch_add(len as u64, Ordering::Relaxed) < DFA_AFTER {
            return self.automaton.as_ref();
        }
        self.dfa
            .get_or_init(|| {
                (!self.keywords.is_empty()).then(|| automaton(&self.keywords, AhoCorasickKind::DFA))
            })
            .as_ref()
    }

    /// The keyword text of a hit.
    pub(crate) fn keyword(&self, pattern: usize) -> &str {
        &self.keywords[pattern]
    }

    /// The rules that listed a keyword.
    pub(crate) fn rules_of(&self, pattern: usize) -> &[usize] {
        &self.pattern_rules[pattern]
    }

    /// Every keyword occurrence in `buf`, overlapping ones included.
    pub(crate) fn hits<'a>(&'a self, buf: &'a [u8]) -> impl Iterator<Item = KeywordHit> + 'a {
        self.automaton_for(buf.len())
            .into_iter()
            .flat_map(move |ac| ac.find_overlapping_iter(buf))
            .map(|m| KeywordHit { keyword: m.pattern().as_usize(), span: m.range() })
    }

    /// Computes each rule's windows in `buf` into `windows`.
    pub(crate) fn windows(&self, buf: &[u8], windows: &mut Windows) {
        windows.reset(self.shapes.len());
        for &rule in &self.always {
            windows.push(rule, 0..buf.len());
        }
        for hit in self.hits(buf) {
            for &rule in &self.pattern_rules[hit.keyword] {
                let shape = self.shapes[rule];
                if let Some(last) = windows.per_rule[rule].last_mut()
                    && shape.lines_before == 0
                    && shape.lines_after == 0
                    && hit.span.start >= last.start
                    && hit.span.end <= last.end
                {
                    extend_clamped_end(buf, last, hit.span.end + shape.forward_limit);
                    continue;
                }
                windows.push(rule, window_around(buf, &hit.span, shape));
            }
        }
        windows.finish();
    }
}

/// The keywords (plain lowercase literals) as an ASCII-case-insensitive automaton of `kind`;
/// every kind reports the same overlapping matches with the same pattern ids.
#[allow(
    clippy::expect_used,
    reason = "the keywords are validated literals; building the automaton cannot fail"
)]
fn automaton(keywords: &[String], kind: AhoCorasickKind) -> AhoCorasick {
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .kind(Some(kind))
        .build(keywords)
        .expect("keywords are plain literals")
}

/// A window ending mid-line (clamped) grows to cover a later hit on the same line, scanning only
/// bytes past its current end.
fn extend_clamped_end(buf: &[u8], window: &mut Range<usize>, limit: usize) {
    if window.end >= buf.len() || buf[window.end] == b'\n' {
        return;
    }
    let limit = limit.min(buf.len());
    if limit <= window.end {
        return;
    }
    window.end = memchr(b'\n', &buf[window.end..limit]).map_or(limit, |i| window.end + i);
}

fn window_around(buf: &[u8], hit: &Range<usize>, shape: WindowShape) -> Range<usize> {
    let floor = hit.start.saturating_sub(BACK_LIMIT);
    let ceil = (hit.end + shape.forward_limit).min(buf.len());
    let start = start_of_line_before(buf, hit.start, shape.lines_before, floor);
    let end = end_of_line_after(buf, hit.end, shape.lines_after, ceil);
    start..end
}

/// The start of the line `extra` lines above the one holding `pos`, not before `floor`.
fn start_of_line_before(buf: &[u8], pos: usize, extra: usize, floor: usize) -> usize {
    let mut cursor = pos;
    for _ in 0..=extra {
        match memrchr(b'\n', &buf[floor..cursor]) {
            Some(i) => cursor = floor + i,
            None => return floor,
        }
    }
    cursor + 1
}

/// The end (exclusive, at the newline) of the line `extra` lines below the one holding `pos`,
/// not after `ceil`.
fn end_of_line_after(buf: &[u8], pos: usize, extra: usize, ceil: usize) -> usize {
    let mut cursor = pos.min(ceil);
    for i in 0..=extra {
        match memchr(b'\n', &buf[cursor..ceil]) {
            Some(n) if i == extra => return cursor + n,
            Some(n) => cursor = cursor + n + 1,
            None => return ceil,
        }
    }
    ceil
}

/// Sorts windows and merges the ones that overlap or touch.
fn merge_windows(windows: &mut Vec<Range<usize>>) {
    windows.sort_unstable_by_key(|w| w.start);
    let mut merged = 0;
    for i in 1..windows.len() {
        if windows[i].start <= windows[merged].end {
            windows[merged].end = windows[merged].end.max(windows[i].end);
        } else {
            merged += 1;
            windows[merged] = windows[i].clone();
        }
    }
    windows.truncate(merged + 1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quick_automaton_and_the_dfa_find_the_same_hits() {
        let rules = RuleSet::load(&[]).unwrap();
        let prefilter = Prefilter::new(&rules);
        let text =
            b"export GITHUB_TOKEN=x; aws_secret_access_key = y\nPassword: Token SECRET api_key \
                     AKIA sk_live_ xoxb- -----BEGIN RSA PRIVATE KEY----- ghp_ glpat- npm_";
        let collect = |kind| {
            let ac = automaton(&prefilter.keywords, kind);
            ac.find_overlapping_iter(&text[..])
                .map(|m| (m.pattern().as_usize(), m.range()))
                .collect::<Vec<_>>()
        };
        let nfa = collect(AhoCorasickKind::ContiguousNFA);
        assert!(nfa.len() > 10, "{nfa:?}");
        assert_eq!(nfa, collect(AhoCorasickKind::DFA));
        // Past the threshold the prefilter switches to the DFA and still finds the same hits.
        let first: Vec<_> = prefilter.hits(text).map(|h| (h.keyword, h.span)).collect();
        prefilter.searched.store(DFA_AFTER, Ordering::Relaxed);
        let later: Vec<_> = prefilter.hits(text).map(|h| (h.keyword, h.span)).collect();
        assert!(prefilter.dfa.get().is_some());
        assert_eq!(first, nfa);
        assert_eq!(later, nfa);
    }

    #[test]
    fn lines_are_found_around_a_position() {
        let buf = b"one\ntwo key\nthree\nfour";
        assert_eq!(start_of_line_before(buf, 8, 0, 0), 4);
        assert_eq!(end_of_line_after(buf, 8, 0, buf.len()), 11);
        assert_eq!(start_of_line_before(buf, 8, 1, 0), 0);
        assert_eq!(end_of_line_after(buf, 8, 1, buf.len()), 17);
        assert_eq!(end_of_line_after(buf, 8, 5, buf.len()), buf.len());
    }

    #[test]
    fn windows_are_clamped_on_long_lines() {
        let buf = vec![b'a'; 100_000];
        let shape = WindowShape { lines_before: 0, lines_after: 0, forward_limit: FORWARD_LIMIT };
        let w = window_around(&buf, &(50_000..50_003), shape);
        assert_eq!(w, 50_000 - BACK_LIMIT..50_003 + FORWARD_LIMIT);
    }

    #[test]
    fn clamped_windows_extend_without_rescanning() {
        let mut buf = vec![b'a'; 1000];
        buf[900] = b'\n';
        let mut w = 0..100;
        extend_clamped_end(&buf, &mut w, 500);
        assert_eq!(w, 0..500);
        extend_clamped_end(&buf, &mut w, 2000);
        assert_eq!(w, 0..900);
        extend_clamped_end(&buf, &mut w, 2000);
        assert_eq!(w, 0..900, "a window ending at a newline is final");
    }

    #[test]
    fn merging_joins_overlapping_and_touching_windows() {
        let mut w = vec![10..20, 0..5, 5..8, 15..30, 40..50];
        merge_windows(&mut w);
        assert_eq!(w, vec![0..8, 10..30, 40..50]);
    }
}
