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

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, Anchored, MatchKind, dfa};
use memchr::{memchr, memrchr};

use super::decode::{Base64Runs, MIN_BASE64};
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

/// Independent searches the DFA runs side by side over one buffer (see [`Compact::hits`]).
const LANES: usize = 4;
/// Buffers shorter than this are searched by one lane: splitting them saves less than the lanes'
/// set-up and tails cost.
const LANES_MIN: usize = 256 * LANES;

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
    /// were searched, laid out for the scanning loop ([`Compact`]).
    dfa: OnceLock<Option<Compact>>,
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
    /// The keyword hits of the buffer being windowed.
    hits: Vec<KeywordHit>,
    /// Where the DFA's pass saw base64 runs ([`Base64Runs`]); `None` when the pass did not
    /// count them (the quick automaton's search).
    base64_runs: Option<Vec<usize>>,
}

impl Windows {
    /// The rules that have at least one window, in rule order, with their merged windows.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (usize, &[Range<usize>])> {
        self.touched.iter().map(|&r| (r, self.per_rule[r].as_slice()))
    }

    /// The positions of base64 runs in the windowed buffer, when the keyword pass found them.
    pub(crate) fn base64_runs(&self) -> Option<&[usize]> {
        self.base64_runs.as_deref()
    }

    /// The keyword pass just made over a buffer of `len` bytes, kept for the buffers built
    /// from it; `None` for a buffer of 4 GiB or more (a memo keeps 32-bit offsets).
    pub(crate) fn memo(&self, len: usize) -> Option<Memo> {
        u32::try_from(len).ok()?;
        let narrow = |at: usize| at as u32;
        let runs = self.base64_runs.as_ref().map(|runs| {
            let mut runs: Vec<u32> = runs.iter().map(|&p| narrow(p)).collect();
            runs.sort_unstable();
            runs.dedup();
            runs
        });
        let hits = self
            .hits
            .iter()
            .map(|h| MemoHit {
                keyword: narrow(h.keyword),
                start: narrow(h.span.start),
                end: narrow(h.span.end),
            })
            .collect();
        Some(Memo { len, hits, runs })
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

    /// Every keyword occurrence in `buf` (overlapping ones included) into `out`, in the order
    /// aho-corasick's overlapping search reports them: by end, then by start.
    ///
    /// With `runs`, the DFA's pass also records where base64 runs are ([`Base64Runs`]) and says
    /// so by returning `true`; the quick automaton does not count them.
    fn collect_hits(
        &self,
        buf: &[u8],
        out: &mut Vec<KeywordHit>,
        runs: Option<&mut Vec<usize>>,
    ) -> bool {
        out.clear();
        // Once the DFA exists, no thread touches the shared counter again.
        let dfa = match self.dfa.get() {
            Some(dfa) => dfa,
            None if self.searched.fetch_add(buf.len() as u64, Ordering::Relaxed) < DFA_AFTER => {
                self.nfa_hits(buf, out);
                return false;
            }
            None => self.dfa.get_or_init(|| {
                if self.keywords.is_empty() {
                    None
                } else {
                    Compact::new(build_dfa(&self.keywords), &self.keywords)
                }
            }),
        };
        if let Some(dfa) = dfa {
            let counted = runs.is_some();
            dfa.hits(buf, out, runs);
            counted
        } else {
            // No compact layout (it cannot fail today): the quick automaton finds the same hits.
            self.nfa_hits(buf, out);
            false
        }
    }

    /// [`Prefilter::collect_hits`] with the quick-to-build automaton.
    fn nfa_hits(&self, buf: &[u8], out: &mut Vec<KeywordHit>) {
        if let Some(ac) = &self.automaton {
            let found = ac.find_overlapping_iter(buf);
            out.extend(
                found.map(|m| KeywordHit { keyword: m.pattern().as_usize(), span: m.range() }),
            );
        }
    }

    /// The keyword text of a hit.
    pub(crate) fn keyword(&self, pattern: usize) -> &str {
        &self.keywords[pattern]
    }

    /// The rules that listed a keyword.
    pub(crate) fn rules_of(&self, pattern: usize) -> &[usize] {
        &self.pattern_rules[pattern]
    }

    /// Every keyword occurrence in `buf`, overlapping ones included, by end then start.
    pub(crate) fn hits(&self, buf: &[u8]) -> Vec<KeywordHit> {
        let mut hits = Vec::new();
        self.collect_hits(buf, &mut hits, None);
        hits
    }

    /// Computes each rule's windows in `buf` into `windows`. With a `derivation`, the keyword
    /// hits and base64 runs come from the base's [`Memo`] and a search of the changed parts only
    /// ([`Prefilter::derive_hits`]); they are the ones a full search would find.
    pub(crate) fn windows(
        &self,
        buf: &[u8],
        windows: &mut Windows,
        derivation: Option<Derivation<'_>>,
    ) {
        windows.reset(self.shapes.len());
        for &rule in &self.always {
            windows.push(rule, 0..buf.len());
        }
        let mut hits = std::mem::take(&mut windows.hits);
        let mut runs = windows.base64_runs.take().unwrap_or_default();
        runs.clear();
        let counted = match derivation.and_then(|d| self.derive_hits(buf, d, &mut hits, &mut runs))
        {
            Some(counted) => counted,
            None => self.collect_hits(buf, &mut hits, Some(&mut runs)),
        };
        if counted {
            windows.base64_runs = Some(runs);
        }
        for hit in &hits {
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
        windows.hits = hits;
        windows.finish();
    }

    /// The keyword hits (into `out`, by end then start) and base64 run positions (into `runs`)
    /// of `buf`, built from a base whose [`Memo`] is known: the hits of the base that lie inside
    /// a copied stretch are moved to where the stretch landed, and only the bytes around what
    /// the base did not supply are searched. `Some(true)` when `runs` holds every run (the
    /// base's memo had them), `Some(false)` when it does not; `None` when the derivation cannot
    /// be used (the DFA is not built yet, or the copies do not fit the buffers), and nothing was
    /// searched.
    ///
    /// Why it is exact: a keyword occurrence is a property of its own bytes only. One that lies
    /// inside a copied stretch is an occurrence in the base at the stretch's source; any other
    /// overlaps a byte that was inserted or crosses the edge between two stretches, so it lies
    /// within [`Compact::longest`] bytes of that byte or edge, which is searched again. Base64
    /// runs (at least [`MIN_BASE64`] bytes) likewise: a run inside one stretch, bounded there by
    /// the same bytes as in the base, holds a position the base recorded; a run that reaches an
    /// edge has [`MIN_BASE64`] of its bytes in the searched margin beside that edge.
    fn derive_hits(
        &self,
        buf: &[u8],
        derivation: Derivation<'_>,
        out: &mut Vec<KeywordHit>,
        runs: &mut Vec<usize>,
    ) -> Option<bool> {
        let Some(Some(dfa)) = self.dfa.get() else {
            return None;
        };
        let Derivation { base, copies } = derivation;
        let stretches = stretches(copies, buf.len(), base.len)?;
        out.clear();
        runs.clear();
        let reach = dfa.longest.max(MIN_BASE64);
        // The searched regions: every byte not copied and every edge of a stretch (where the
        // bytes on either side did not sit together in the base), widened by `reach`, merged.
        let mut regions: Vec<Range<usize>> = Vec::new();
        let mut widen = |gap: Range<usize>| {
            let region = gap.start.saturating_sub(reach)..(gap.end + reach).min(buf.len());
            match regions.last_mut() {
                Some(last) if region.start <= last.end => last.end = last.end.max(region.end),
                _ => regions.push(region),
            }
        };
        let mut at = 0;
        for stretch in &stretches {
            widen(at..stretch.to);
            at = stretch.to + stretch.len;
        }
        widen(at..buf.len());
        for region in &regions {
            dfa.search_region(buf, region.clone(), out, runs);
        }
        let searched = |span: &Range<usize>| {
            let i = regions.partition_point(|r| r.end < span.end);
            regions.get(i).is_some_and(|r| r.start <= span.start && span.end <= r.end)
        };
        for stretch in &stretches {
            let (from, end) = (stretch.from, stretch.from + stretch.len);
            let moved = |at: usize| at - from + stretch.to;
            let first = base.hits.partition_point(|h| (h.end as usize) <= from);
            for hit in base.hits[first..].iter().take_while(|h| h.end as usize <= end) {
                let (start, stop) = (hit.start as usize, hit.end as usize);
                let span = moved(start.max(from))..moved(stop);
                if start >= from && !searched(&span) {
                    out.push(KeywordHit { keyword: hit.keyword as usize, span });
                }
            }
            if let Some(base_runs) = &base.runs {
                let first = base_runs.partition_point(|&p| (p as usize) < from);
                let inside =
                    base_runs[first..].iter().map(|&p| p as usize).take_while(|&p| p < end);
                runs.extend(inside.map(moved));
            }
        }
        if out.len() > 1 {
            out.sort_unstable_by_key(|hit| (hit.span.end, hit.span.start));
        }
        Some(base.runs.is_some())
    }
}

/// `copies` with each run of copies that continue one another (next in the buffer and next in
/// the base) joined into one; `None` when a copy is out of order or outside either buffer.
fn stretches(copies: &[Copied], len: usize, base_len: usize) -> Option<Vec<Copied>> {
    let mut joined: Vec<Copied> = Vec::with_capacity(copies.len());
    let mut at = 0;
    for &copy in copies.iter().filter(|c| c.len > 0) {
        let fits = copy.to >= at
            && copy.to.checked_add(copy.len)? <= len
            && copy.from.checked_add(copy.len)? <= base_len;
        if !fits {
            return None;
        }
        at = copy.to + copy.len;
        match joined.last_mut() {
            Some(last) if last.to + last.len == copy.to && last.from + last.len == copy.from => {
                last.len += copy.len;
            }
            _ => joined.push(copy),
        }
    }
    Some(joined)
}

/// A stretch of a buffer copied unchanged from its base (a git delta's copy instruction): the
/// `len` bytes at `to` are the base's bytes at `from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Copied {
    pub(crate) to: usize,
    pub(crate) from: usize,
    pub(crate) len: usize,
}

/// What the keyword pass found in one buffer, kept while the buffers a delta builds from it are
/// searched ([`Derivation`]).
#[derive(Debug, Clone)]
pub(crate) struct Memo {
    len: usize,
    /// By end, then start.
    hits: Vec<MemoHit>,
    /// Sorted positions inside base64 runs (see [`Base64Runs`]), when the pass counted them.
    runs: Option<Vec<u32>>,
}

/// A [`KeywordHit`] in 12 bytes instead of 24: memos of the bases on a delta chain are held
/// through the chain's walk.
#[derive(Debug, Clone, Copy)]
struct MemoHit {
    keyword: u32,
    start: u32,
    end: u32,
}

/// What a scan does with keyword passes besides its own search: derive this buffer's from a
/// base's ([`Derivation`]), and keep this buffer's for the buffers built from it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct KeywordPass<'a> {
    pub(crate) derived: Option<Derivation<'a>>,
    pub(crate) keep: bool,
}

/// How a buffer was built from a base: what is known of the base (`B`; for the matcher, its
/// keyword pass) and the stretches copied from it. The pack walk hands one to its visitor for
/// each object a delta built, with whatever the visitor returned for the base.
#[derive(Debug)]
pub(crate) struct Derivation<'a, B = Memo> {
    pub(crate) base: &'a B,
    /// The copied stretches, in buffer order; every other byte was inserted.
    pub(crate) copies: &'a [Copied],
}

impl<B> Clone for Derivation<'_, B> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<B> Copy for Derivation<'_, B> {}

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

/// The keywords as aho-corasick's DFA, without its own prefilter: the source [`Compact`] is laid
/// out from, and the match lists it reports from.
#[allow(
    clippy::expect_used,
    reason = "the keywords are validated literals; building the automaton cannot fail"
)]
fn build_dfa(keywords: &[String]) -> dfa::DFA {
    dfa::Builder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .prefilter(false)
        .build(keywords)
        .expect("keywords are plain literals")
}

/// The keyword DFA laid out again for the scanning loop: the same states and transitions as
/// aho-corasick's DFA (so the same matches, reported from its match lists), numbered breadth
/// first from the start state and stored as 16-bit ids.
///
/// Why: a DFA search is a chain of dependent loads (the next state needs the previous one), so
/// its speed is the latency of those loads. aho-corasick numbers states in insertion order with
/// 32-bit ids (2 MB for the catalogue's keywords), which scatters the shallow states a text
/// mostly visits over the whole table; here they are the first rows of a table half that size,
/// and stay in the nearest caches. [`Compact::hits`] then runs [`LANES`] searches side by side so
/// that the core overlaps their loads. (Measured in `benches/README.md`, "Prefilter strategies
/// measured".)
#[derive(Debug)]
pub(crate) struct Compact {
    dfa: dfa::DFA,
    /// Byte -> class: bytes in no keyword share one class, a letter and its other case share one.
    classes: [u8; 256],
    /// log2 of a row's width (the classes, rounded up to a power of two).
    shift: u32,
    table: Table,
    /// aho-corasick's id of each state, for its match list.
    ids: Vec<StateID>,
    /// The longest keyword, in bytes.
    longest: usize,
}

/// Transitions, one row per state: the next state's id, with the entry's top bit set when that
/// state is a match state.
#[derive(Debug)]
enum Table {
    /// Under 2^15 states (the built-in catalogue has about 8,300).
    Narrow(Vec<u16>),
    Wide(Vec<u32>),
}

/// A transition table entry.
trait Entry: Copy {
    const MATCH: u32;
    fn get(self) -> u32;
}

impl Entry for u16 {
    const MATCH: u32 = 1 << 15;
    fn get(self) -> u32 {
        u32::from(self)
    }
}

impl Entry for u32 {
    const MATCH: u32 = 1 << 31;
    fn get(self) -> u32 {
        self
    }
}

impl Compact {
    /// Lays out `dfa` over `keywords` (the patterns it was built from); `None` when the DFA has
    /// no unanchored start state (it always has one).
    fn new(dfa: dfa::DFA, keywords: &[String]) -> Option<Compact> {
        Compact::with_narrow_limit(dfa, keywords, 1 << 15)
    }

    /// [`Compact::new`], with 16-bit ids below `narrow_limit` states (tests force 32-bit ones).
    fn with_narrow_limit(
        dfa: dfa::DFA,
        keywords: &[String],
        narrow_limit: usize,
    ) -> Option<Compact> {
        let start = dfa.start_state(Anchored::No).ok()?;
        let mut in_keyword = [false; 256];
        for &b in keywords.iter().flat_map(String::as_bytes) {
            in_keyword[usize::from(b.to_ascii_lowercase())] = true;
            in_keyword[usize::from(b.to_ascii_uppercase())] = true;
        }
        // One byte per class to step the DFA with: every byte of a class moves every state alike
        // (a byte in no keyword sends any state back to the start; the DFA ignores ASCII case).
        let mut representatives: Vec<u8> =
            (0..=255u8).find(|&b| !in_keyword[usize::from(b)]).into_iter().collect();
        let mut classes = [0u8; 256];
        for b in 0..=255u8 {
            if in_keyword[usize::from(b)] && !b.is_ascii_uppercase() {
                let class = u8::try_from(representatives.len()).ok()?;
                representatives.push(b);
                classes[usize::from(b)] = class;
                classes[usize::from(b.to_ascii_uppercase())] = class;
            }
        }
        let width = representatives.len().next_power_of_two();
        // Breadth first from the start state; `number` maps aho-corasick's ids to ours.
        let mut number: Vec<u32> = Vec::new();
        let mut ids = vec![start];
        let mut next: Vec<u32> = Vec::new();
        let mut matches: Vec<bool> = Vec::new();
        let mut index = 0;
        while let Some(&state) = ids.get(index) {
            for &byte in &representatives {
                let to = dfa.next_state(Anchored::No, state, byte);
                let slot = to.as_usize();
                if slot >= number.len() {
                    number.resize(slot + 1, u32::MAX);
                }
                if number[slot] == u32::MAX && to != start {
                    number[slot] = u32::try_from(ids.len()).ok()?;
                    ids.push(to);
                }
                next.push(if to == start { 0 } else { number[slot] });
                matches.push(dfa.is_match(to));
            }
            next.resize(next.len() + width - representatives.len(), 0);
            matches.resize(next.len(), false);
            index += 1;
        }
        let table = if ids.len() < narrow_limit {
            Table::Narrow(entries(&next, &matches, |id| u16::try_from(id).ok())?)
        } else {
            Table::Wide(entries(&next, &matches, Some)?)
        };
        let longest = dfa.max_pattern_len();
        Some(Compact { dfa, classes, shift: width.trailing_zeros(), table, ids, longest })
    }

    /// Every keyword occurrence in `buf` into `out` (cleared first), by end then start: what
    /// aho-corasick's overlapping search reports.
    ///
    /// The buffer is cut into [`LANES`] parts searched in lock-step, each from the start state:
    /// independent chains of loads the core overlaps. A lane reports the matches that start in
    /// its own part and runs on past its end for the longest keyword, so a keyword across a cut
    /// is found once, by the lane it starts in.
    ///
    /// With `runs`, the same pass records where base64 runs are ([`Base64Runs`]).
    fn hits(&self, buf: &[u8], out: &mut Vec<KeywordHit>, runs: Option<&mut Vec<usize>>) {
        out.clear();
        let mut none = Vec::new();
        match (&self.table, runs) {
            (Table::Narrow(table), Some(runs)) => self.hits_with::<_, true>(table, buf, out, runs),
            (Table::Wide(table), Some(runs)) => self.hits_with::<_, true>(table, buf, out, runs),
            (Table::Narrow(table), None) => self.hits_with::<_, false>(table, buf, out, &mut none),
            (Table::Wide(table), None) => self.hits_with::<_, false>(table, buf, out, &mut none),
        }
        if out.len() > 1 {
            out.sort_unstable_by_key(|hit| (hit.span.end, hit.span.start));
        }
    }

    fn hits_with<E: Entry, const RUNS: bool>(
        &self,
        table: &[E],
        buf: &[u8],
        out: &mut Vec<KeywordHit>,
        runs: &mut Vec<usize>,
    ) {
        let len = buf.len();
        if len < LANES_MIN {
            let lane = Lane { state: 0, count: Base64Runs::default() };
            self.run::<E, RUNS>(table, buf, 0..len, len, lane, out, runs);
            return;
        }
        let part = len / LANES;
        let own_end = |lane: usize| if lane + 1 == LANES { len } else { (lane + 1) * part };
        let lanes: [&[u8]; LANES] =
            std::array::from_fn(|lane| &buf[lane * part..(lane + 1) * part]);
        let mut states = [0u32; LANES];
        let mut counts = [Base64Runs::default(); LANES];
        for i in 0..part {
            for (lane, bytes) in lanes.iter().enumerate() {
                let byte = bytes[i];
                let entry = self.step(table, states[lane], byte);
                states[lane] = entry & !E::MATCH;
                if entry & E::MATCH != 0 {
                    self.report(states[lane], lane * part + i + 1, own_end(lane), out);
                }
                if RUNS {
                    counts[lane].step(byte, lane * part + i, runs);
                }
            }
        }
        // Each lane runs on past its part for the longest keyword (and a base64 run) that
        // starts in it.
        let tail = self.longest.max(MIN_BASE64) - 1;
        for (lane, (&state, &count)) in states.iter().zip(&counts).enumerate() {
            let own = own_end(lane);
            let range = (lane + 1) * part..(own + tail).min(len);
            self.run::<E, RUNS>(table, buf, range, own, Lane { state, count }, out, runs);
        }
    }

    /// Every keyword occurrence inside `buf[region]` into `out` (appended, unsorted), and the
    /// base64 runs that reach [`MIN_BASE64`] bytes inside it into `runs`.
    fn search_region(
        &self,
        buf: &[u8],
        region: Range<usize>,
        out: &mut Vec<KeywordHit>,
        runs: &mut Vec<usize>,
    ) {
        let (hits_before, runs_before) = (out.len(), runs.len());
        let part = &buf[region.clone()];
        match &self.table {
            Table::Narrow(table) => self.hits_with::<_, true>(table, part, out, runs),
            Table::Wide(table) => self.hits_with::<_, true>(table, part, out, runs),
        }
        for hit in &mut out[hits_before..] {
            hit.span = hit.span.start + region.start..hit.span.end + region.start;
        }
        for at in &mut runs[runs_before..] {
            *at += region.start;
        }
    }

    #[inline]
    fn step<E: Entry>(&self, table: &[E], state: u32, byte: u8) -> u32 {
        let at = ((state as usize) << self.shift) + usize::from(self.classes[usize::from(byte)]);
        table[at].get()
    }

    /// One lane over `buf[range]` from `lane`, reporting matches that start before `own_end`.
    #[allow(clippy::too_many_arguments, reason = "the hot loop's state, passed by value")]
    fn run<E: Entry, const RUNS: bool>(
        &self,
        table: &[E],
        buf: &[u8],
        range: Range<usize>,
        own_end: usize,
        lane: Lane,
        out: &mut Vec<KeywordHit>,
        runs: &mut Vec<usize>,
    ) {
        let first = range.start;
        let Lane { mut state, mut count } = lane;
        for (i, &byte) in buf[range].iter().enumerate() {
            let entry = self.step(table, state, byte);
            state = entry & !E::MATCH;
            if entry & E::MATCH != 0 {
                self.report(state, first + i + 1, own_end, out);
            }
            if RUNS {
                count.step(byte, first + i, runs);
            }
        }
    }

    /// The matches of (match) state `state`, reached just before `end`, that start before
    /// `own_end`.
    #[cold]
    #[inline(never)]
    fn report(&self, state: u32, end: usize, own_end: usize, out: &mut Vec<KeywordHit>) {
        let Some(&id) = self.ids.get(state as usize) else {
            return;
        };
        for index in 0..self.dfa.match_len(id) {
            let pattern = self.dfa.match_pattern(id, index);
            let start = end - self.dfa.pattern_len(pattern);
            if start < own_end {
                out.push(KeywordHit { keyword: pattern.as_usize(), span: start..end });
            }
        }
    }
}

/// Where a lane is: its DFA state and its count of base64 bytes.
#[derive(Clone, Copy)]
struct Lane {
    state: u32,
    count: Base64Runs,
}

/// Table entries from next-state ids and match flags; `None` when an id does not fit.
fn entries<E: Entry>(
    next: &[u32],
    matches: &[bool],
    narrow: impl Fn(u32) -> Option<E>,
) -> Option<Vec<E>> {
    next.iter()
        .zip(matches)
        .map(|(&id, &matching)| narrow(if matching { id | E::MATCH } else { id }))
        .collect()
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
        let first: Vec<_> = prefilter.hits(text).into_iter().map(|h| (h.keyword, h.span)).collect();
        prefilter.searched.store(DFA_AFTER, Ordering::Relaxed);
        let later: Vec<_> = prefilter.hits(text).into_iter().map(|h| (h.keyword, h.span)).collect();
        assert!(prefilter.dfa.get().is_some());
        assert_eq!(first, nfa);
        assert_eq!(later, nfa);
    }

    #[test]
    fn the_dfa_lanes_find_what_one_overlapping_search_finds_across_every_cut() {
        let rules = RuleSet::load(&[]).unwrap();
        let keywords = Prefilter::new(&rules).keywords;
        let ac = automaton(&keywords, AhoCorasickKind::DFA);
        let narrow = Compact::new(build_dfa(&keywords), &keywords).unwrap();
        let wide = Compact::with_narrow_limit(build_dfa(&keywords), &keywords, 0).unwrap();
        assert!(matches!(narrow.table, Table::Narrow(_)) && matches!(wide.table, Table::Wide(_)));
        // Keywords (some inside others, some long) packed densely, so that every lane cut falls
        // inside, just before or just after a keyword as the length changes.
        let line = "PASSWORD=ghp_x aws_secret_access_key:SECRET_KEY -----BEGIN PRIVATE KEY-----\n";
        let text = line.repeat(40);
        let mut hits = Vec::new();
        for len in (0..=LANES_MIN + 8).chain(text.len() - 300..=text.len()) {
            let buf = &text.as_bytes()[..len];
            let want: Vec<_> = ac
                .find_overlapping_iter(buf)
                .map(|m| (m.pattern().as_usize(), m.range()))
                .collect();
            for dfa in [&narrow, &wide] {
                dfa.hits(buf, &mut hits, None);
                let got: Vec<_> = hits.iter().map(|h| (h.keyword, h.span.clone())).collect();
                assert_eq!(got, want, "length {len}");
            }
        }
        assert!(hits.len() > 200, "{}", hits.len());
    }

    /// A prefilter over the built-in catalogue with its DFA built, made once for the tests.
    fn built_prefilter() -> &'static Prefilter {
        static PREFILTER: OnceLock<Prefilter> = OnceLock::new();
        PREFILTER.get_or_init(|| {
            let prefilter = Prefilter::new(&RuleSet::load(&[]).unwrap());
            prefilter.searched.store(DFA_AFTER, Ordering::Relaxed);
            prefilter.hits(b"warm up");
            assert!(matches!(prefilter.dfa.get(), Some(Some(_))));
            prefilter
        })
    }

    /// Pieces texts are made of: keywords whole and cut, base64 runs long and short, separators.
    const PIECES: &[&str] = &[
        "pass",
        "word",
        "PASSWORD",
        "token",
        "ghp_",
        "aws_secret_access_key",
        "AKIA",
        "api",
        "key",
        "_key",
        "sk_live_",
        "xoxb-",
        "-----BEGIN ",
        "PRIVATE KEY-----",
        "secret",
        "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY",
        "Zm9vYmFy",
        "a1b2c3d4e5f6",
        "=",
        " = ",
        "\n",
        "\"",
        ":",
        "/",
        "+",
        ".",
        "-",
        "_",
    ];

    fn text(pieces: &[usize]) -> Vec<u8> {
        pieces.iter().flat_map(|&i| PIECES[i % PIECES.len()].bytes()).collect()
    }

    /// What [`Prefilter::windows`] makes of `buf`'s keyword pass: the hits, and the base64 spans
    /// the decoding layer reads from the recorded run positions.
    fn pass_of(hits: &[KeywordHit], buf: &[u8], runs: &[usize]) -> PassSummary {
        let mut spans = Vec::new();
        super::super::decode::base64_spans_at(buf, runs, &mut spans);
        let hits = hits.iter().map(|h| (h.keyword, h.span.clone())).collect();
        (hits, spans)
    }

    type PassSummary =
        (Vec<(usize, Range<usize>)>, Vec<(Range<usize>, super::super::decode::Layer)>);

    proptest::proptest! {
        /// The hits and base64 runs derived from a base's memo and a delta's copies are those a
        /// full search of the built buffer finds, whatever the copies and inserts.
        #[test]
        fn derived_hits_are_what_a_full_search_finds(
            base in proptest::collection::vec(0usize..1000, 0..120),
            ops in proptest::collection::vec(
                (proptest::bool::ANY, 0usize..4000, 1usize..400, proptest::collection::vec(0usize..1000, 1..120)),
                0..12,
            ),
        ) {
            let prefilter = built_prefilter();
            let base = text(&base);
            let mut target = Vec::new();
            let mut copies = Vec::new();
            for (copy, from, len, inserted) in ops {
                if copy && !base.is_empty() {
                    let from = from % base.len();
                    let len = len.min(base.len() - from);
                    copies.push(Copied { to: target.len(), from, len });
                    target.extend_from_slice(&base[from..from + len]);
                } else {
                    target.extend(text(&inserted));
                }
            }
            let mut windows = Windows::default();
            prefilter.windows(&base, &mut windows, None);
            let memo = windows.memo(base.len()).unwrap();
            let derivation = Derivation { base: &memo, copies: &copies };
            let (mut hits, mut runs) = (Vec::new(), Vec::new());
            let counted = prefilter.derive_hits(&target, derivation, &mut hits, &mut runs);
            proptest::prop_assert_eq!(counted, Some(true));
            let (mut want_hits, mut want_runs) = (Vec::new(), Vec::new());
            proptest::prop_assert!(prefilter.collect_hits(&target, &mut want_hits, Some(&mut want_runs)));
            proptest::prop_assert_eq!(
                pass_of(&hits, &target, &runs),
                pass_of(&want_hits, &target, &want_runs)
            );
        }
    }

    #[test]
    fn a_derivation_that_does_not_fit_its_buffers_is_refused() {
        let prefilter = built_prefilter();
        let mut windows = Windows::default();
        prefilter.windows(b"password = hunter2", &mut windows, None);
        let memo = windows.memo(18).unwrap();
        let (mut hits, mut runs) = (Vec::new(), Vec::new());
        for copies in [
            vec![Copied { to: 0, from: 10, len: 9 }],
            vec![Copied { to: 5, from: 0, len: 8 }],
            vec![Copied { to: 4, from: 0, len: 4 }, Copied { to: 2, from: 0, len: 4 }],
        ] {
            let derivation = Derivation { base: &memo, copies: &copies };
            assert_eq!(prefilter.derive_hits(b"password", derivation, &mut hits, &mut runs), None);
        }
        let copies = [Copied { to: 0, from: 0, len: 8 }];
        let derivation = Derivation { base: &memo, copies: &copies };
        assert_eq!(
            prefilter.derive_hits(b"password", derivation, &mut hits, &mut runs),
            Some(true)
        );
        assert_eq!(hits.len(), 2, "pass and password: {hits:?}");
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
