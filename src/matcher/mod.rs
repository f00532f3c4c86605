//! The matcher: bytes in, matches out. No I/O.
//!
//! 1. The `prefilter` finds keyword hits and turns them into per-rule windows.
//! 2. Only those rules' regexes run, only inside their windows (look-around assertions such as
//!    `\b` still see the bytes outside a window, so windows never invent word boundaries).
//! 3. Each candidate secret passes the rule's entropy floor and checks, then the global
//!    [`filters`].
//! 4. Encoded spans (base64, JSON strings, percent-encoding) are decoded and scanned the same
//!    way ([`decode`]); their matches are mapped back to the encoded bytes.
//! 5. Overlaps are resolved by specificity ([`Specificity`]): of two kept matches whose secrets
//!    overlap, the more specific rule's wins; matches that do not overlap never hide each other.

pub(crate) mod checks;
pub(crate) mod checksum;
pub(crate) mod context;
pub(crate) mod decode;
pub(crate) mod filters;
pub(crate) mod prefilter;
mod required;
mod stats;

use std::ops::Range;
use std::sync::Arc;

use regex_automata::Input;
use regex_automata::meta;
use regex_automata::util::captures::Captures;

use crate::rules::{CompiledPattern, Kind, Rule, RuleSet};
use decode::{DECODE_BUDGET, Decoded, DecodedSecret, Layers, RangeIndex};
#[cfg(feature = "git")]
pub(crate) use prefilter::Copied;
pub(crate) use prefilter::{Derivation, KeywordPass, Memo};
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
    /// For a match found in decoded bytes: the layers and the decoded secret (`secret` and
    /// `span` are then the encoded bytes in the buffer).
    pub decoded: Option<Box<DecodedSecret>>,
}

impl RawMatch {
    /// The secret's bytes: decoded when found under a decoding layer, else `buf[secret]`.
    pub fn secret_bytes<'a>(&'a self, buf: &'a [u8]) -> &'a [u8] {
        self.decoded.as_deref().map_or(&buf[self.secret.clone()], |d| &d.bytes)
    }

    /// The decoding layers, for a match found in decoded bytes.
    pub fn layers(&self) -> Option<Layers> {
        self.decoded.as_deref().map(|d| d.layers)
    }
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
    /// A more specific rule matched the same bytes (see [`Specificity`]).
    Superseded,
    /// A generic password whose value is weak or looks like a placeholder (`password123`,
    /// `dummy-pass`): reported only where the file holds credentials by its name (`.env`, a shell
    /// profile, `mongoid.yml`; [`context::is_credential_path`]), dropped everywhere else.
    Weak,
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
            Verdict::Superseded => "dropped: a more specific rule matched the same bytes".into(),
            Verdict::Weak => "dropped: weak or placeholder-like password (reported only in a \
                               credential file: .env, shell profile, ...)"
                .into(),
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
    /// Whether [`Matcher::scan`] also returns [`Verdict::Weak`] matches (marked with the
    /// [`WEAK_ATTRIBUTE`]): only for callers that drop them outside credential files.
    keep_weak: bool,
    /// Per-rule costs, when `LEAKHOUND_RULE_STATS` is set ([`stats`]).
    stats: Option<stats::RuleStats>,
    /// Per rule, the bytes a window must hold for its regex to run ([`required`]), worked out
    /// on the rule's first window.
    required: Box<[std::sync::OnceLock<required::Required>]>,
}

/// The attribute a [`Verdict::Weak`] match carries out of [`Matcher::scan`]; the pipeline keeps
/// such a finding only at credential-file paths ([`context::gate_weak`]).
pub(crate) const WEAK_ATTRIBUTE: &str = "weak";

/// Per-thread reusable buffers; create one per worker with [`Matcher::scratch`].
#[derive(Debug)]
pub struct Scratch {
    windows: Windows,
    /// Per rule, the capture slots and the regex's search cache (its lazy DFA's states), made
    /// on the rule's first search in this thread. Owned here rather than in the regex's shared
    /// pool, they are freed with the worker: a history scan drops 20 MB of them before it builds
    /// its tree index (benches/README, "History memory"). Boxed, as a search cache is a few
    /// kilobytes and most rules never run in a given thread.
    regex_states: Vec<Option<Box<RegexState>>>,
    candidates: Vec<Candidate>,
    /// The first and second decoding layers and the candidates found in them.
    layers: [Decoded; 2],
    decoded_candidates: Vec<Candidate>,
}

impl Matcher {
    /// A matcher for a rule set (the prefilter is built when first needed).
    pub fn new(rules: Arc<RuleSet>) -> Matcher {
        let stats = stats::RuleStats::from_env(rules.rules().iter().map(|r| r.id().to_string()));
        let required = rules.rules().iter().map(|_| std::sync::OnceLock::new()).collect();
        Matcher { rules, prefilter: std::sync::OnceLock::new(), keep_weak: false, stats, required }
    }

    /// A matcher whose [`Matcher::scan`] also returns weak passwords ([`Verdict::Weak`]), marked
    /// with the [`WEAK_ATTRIBUTE`]: the caller must gate them by path ([`context::gate_weak`]).
    pub(crate) fn keeping_weak(rules: Arc<RuleSet>) -> Matcher {
        Matcher { keep_weak: true, ..Matcher::new(rules) }
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
        Scratch {
            windows: Windows::default(),
            regex_states: vec![None; self.rules.rules().len()],
            candidates: Vec::new(),
            layers: Default::default(),
            decoded_candidates: Vec::new(),
        }
    }

    /// Appends every reported match in `buf` to `out`, sorted by position then rule.
    pub fn scan(&self, buf: &[u8], scratch: &mut Scratch, out: &mut Vec<RawMatch>) {
        self.scan_derived(buf, scratch, out, KeywordPass::default());
    }

    /// [`Matcher::scan`] of a buffer built from a base whose keyword pass is known
    /// (`pass.derived`: the same matches, with the keyword search limited to what changed); with
    /// `pass.keep`, returns this buffer's keyword pass for the buffers built from it in turn.
    pub(crate) fn scan_derived(
        &self,
        buf: &[u8],
        scratch: &mut Scratch,
        out: &mut Vec<RawMatch>,
        pass: KeywordPass<'_>,
    ) -> Option<Memo> {
        let memo = self.candidates(buf, scratch, pass);
        let keep_weak = self.keep_weak;
        out.extend(scratch.candidates.drain(..).filter_map(|c| match c.verdict {
            Verdict::Kept => Some(c.found),
            Verdict::Weak if keep_weak => Some(marked_weak(c.found)),
            _ => None,
        }));
        memo
    }

    /// Every candidate in `buf` with its verdict (reported ones and dropped ones).
    pub fn explain(&self, buf: &[u8]) -> Vec<Candidate> {
        let mut scratch = self.scratch();
        self.candidates(buf, &mut scratch, KeywordPass::default());
        std::mem::take(&mut scratch.candidates)
    }

    /// Keyword hits in `buf`: (keyword, span, rule ids that listed it).
    pub fn keyword_hits(&self, buf: &[u8]) -> Vec<(String, Range<usize>, Vec<String>)> {
        self.prefilter()
            .hits(buf)
            .into_iter()
            .map(|hit| {
                let rules = self
                    .prefilter()
                    .rules_of(hit.keyword)
                    .iter()
                    .map(|&r| self.rules.rules()[r].id().to_string());
                (self.prefilter().keyword(hit.keyword).to_string(), hit.span, rules.collect())
            })
            .collect()
    }

    /// How many keyword hits `buf` has: the prefilter alone, for benchmarks.
    #[doc(hidden)]
    pub fn count_keyword_hits(&self, buf: &[u8]) -> usize {
        self.prefilter().hits(buf).len()
    }

    fn candidates(&self, buf: &[u8], scratch: &mut Scratch, pass: KeywordPass<'_>) -> Option<Memo> {
        scratch.candidates.clear();
        self.pattern_candidates(
            buf,
            &mut scratch.windows,
            &mut scratch.regex_states,
            &mut scratch.candidates,
            pass.derived,
        );
        let memo = if pass.keep { scratch.windows.memo(buf.len()) } else { None };
        self.decoded_candidates(buf, scratch);
        resolve_overlaps(&self.rules, buf, &mut scratch.candidates);
        resolve_weak(&mut scratch.candidates);
        scratch
            .candidates
            .sort_by_key(|c| (c.found.secret.start, c.found.rule, c.found.decoded.is_some()));
        memo
    }

    /// Runs the rules whose keywords occur in `buf` on their windows.
    fn pattern_candidates(
        &self,
        buf: &[u8],
        windows: &mut Windows,
        regex_states: &mut [Option<Box<RegexState>>],
        out: &mut Vec<Candidate>,
        derivation: Option<Derivation<'_>>,
    ) {
        self.prefilter().windows(buf, windows, derivation);
        for (rule_index, windows) in windows.iter() {
            let rule = &self.rules.rules()[rule_index];
            let started = self.stats.as_ref().map(|_| std::time::Instant::now());
            let before = out.len();
            let required = self.required[rule_index]
                .get_or_init(|| required::Required::of(&rule.spec.pattern));
            // Windows that lack a byte every match needs are never searched (nor is the
            // pattern compiled for them).
            let mut passing =
                windows.iter().filter(|w| required.may_match(&buf[(*w).clone()])).peekable();
            let mut searches = 0;
            // A pattern over the regex size limits cannot run; `rules check` reports it.
            if let (Some(_), Ok(pattern)) = (passing.peek(), rule.pattern()) {
                let state = regex_states[rule_index].get_or_insert_with(|| {
                    Box::new(RegexState {
                        caps: pattern.regex.create_captures(),
                        cache: pattern.regex.create_cache(),
                    })
                });
                let target = Target { rule, pattern, index: rule_index };
                for window in passing {
                    searches += find_in_window(&target, buf, window, state, out);
                }
            }
            if let (Some(stats), Some(started)) = (&self.stats, started) {
                let candidates = (out.len() - before) as u64;
                stats.record(rule_index, windows, stats::Work { started, searches, candidates });
            }
        }
    }

    /// Decodes the encoded spans of `buf` that no kept provider match covers (two layers deep)
    /// and adds the candidates found in them, mapped back to `buf`.
    fn decoded_candidates(&self, buf: &[u8], scratch: &mut Scratch) {
        let covered = RangeIndex::new(
            scratch
                .candidates
                .iter()
                .filter(|c| {
                    c.verdict == Verdict::Kept
                        && !self.rules.rules()[c.found.rule].spec.kind.is_generic()
                })
                .map(|c| c.found.secret.clone())
                .collect(),
        );
        let [first, second] = &mut scratch.layers;
        first.fill(buf, &covered, DECODE_BUDGET, scratch.windows.base64_runs());
        if first.is_empty() {
            return;
        }
        second.fill(
            &first.bytes,
            &RangeIndex::default(),
            DECODE_BUDGET.saturating_sub(first.len()),
            None,
        );
        let found = &mut scratch.decoded_candidates;
        found.clear();
        self.pattern_candidates(
            &first.bytes,
            &mut scratch.windows,
            &mut scratch.regex_states,
            found,
            None,
        );
        scratch.candidates.extend(found.drain(..).filter_map(|c| lift(first, c)));
        if second.is_empty() {
            return;
        }
        self.pattern_candidates(
            &second.bytes,
            &mut scratch.windows,
            &mut scratch.regex_states,
            found,
            None,
        );
        let lifted = found.drain(..).filter_map(|c| lift(second, c)).filter_map(|c| lift(first, c));
        scratch.candidates.extend(lifted);
    }
}

/// Maps a candidate found in `layer`'s decoded bytes to the bytes `layer` was decoded from,
/// recording the layer; `None` when its secret spans two decoded segments.
fn lift(layer: &Decoded, mut candidate: Candidate) -> Option<Candidate> {
    let (secret, outer) = layer.map(&candidate.found.secret)?;
    let span = layer.map_clamped(&candidate.found.span, &candidate.found.secret);
    candidate.found.decoded = Some(Box::new(match candidate.found.decoded.take() {
        None => DecodedSecret {
            layers: Layers { outer, inner: None },
            bytes: layer.bytes[candidate.found.secret.clone()].to_vec(),
        },
        Some(inner) => DecodedSecret {
            layers: Layers { outer, inner: Some(inner.layers.outer) },
            bytes: inner.bytes,
        },
    }));
    candidate.found.secret = secret;
    candidate.found.span = span;
    Some(candidate)
}

/// One rule's search state in one thread.
#[derive(Debug, Clone)]
struct RegexState {
    caps: Captures,
    cache: meta::Cache,
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
    state: &mut RegexState,
    out: &mut Vec<Candidate>,
) -> u64 {
    let RegexState { caps, cache } = state;
    let mut input = Input::new(buf).span(window.clone());
    let mut searches = 0;
    loop {
        searches += 1;
        target.pattern.regex.search_captures_with(cache, &input, caps);
        let Some(whole) = caps.get_match() else {
            return searches;
        };
        if let Some(secret) = caps.get_group(target.pattern.secret_group).filter(|s| !s.is_empty())
        {
            let found = RawMatch {
                rule: target.index,
                secret: secret.range(),
                span: whole.range(),
                attributes: attributes(target.pattern, buf, caps),
                decoded: None,
            };
            out.push(judge(target.rule, buf, found));
        }
        let next = if whole.is_empty() { whole.end() + 1 } else { whole.end() };
        if next > window.end {
            return searches;
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
fn is_placeholder_for(rule: &Rule, secret: &[u8]) -> bool {
    match rule.spec.kind {
        Kind::PrivateKey => false,
        // Credential files: the rule's `credential-file` check drops templates only.
        _ if is_credential_file(rule) => false,
        kind if kind.is_generic() => filters::is_generic_placeholder(secret),
        _ => filters::is_placeholder(secret),
    }
}

/// A rule for a credential file reports any value but a template (see `checks::passes`).
fn is_credential_file(rule: &Rule) -> bool {
    rule.spec.checks.contains(&crate::rules::CheckName::CredentialFile)
}

fn judge(rule: &Rule, buf: &[u8], found: RawMatch) -> Candidate {
    let secret = &buf[found.secret.clone()];
    let entropy = checks::shannon_entropy(secret);
    let verdict = if rule.spec.min_entropy.is_some_and(|min| entropy < min) {
        Verdict::LowEntropy
    } else if let Some(&failed) =
        rule.spec.checks.iter().find(|&&c| !checks::passes(c, buf, &found.secret))
    {
        Verdict::CheckFailed(failed)
    } else if is_placeholder_for(rule, secret) {
        Verdict::Placeholder
    } else if rule.spec.kind.is_generic()
        && !is_credential_file(rule)
        && filters::is_common_shape(secret)
    {
        Verdict::CommonShape
    } else {
        Verdict::Kept
    };
    let verdict = weak_or(rule, buf, &found, verdict);
    Candidate { found, verdict, entropy }
}

/// [`Verdict::Weak`] for a generic password dropped only for its strength (entropy, digits,
/// mixed case, a placeholder-like value) whose other checks pass and which is neither a template
/// (`${VAR}`, `<password>`), a setting's state (`true`, `null`) nor a common non-secret shape (a
/// hash, a path, code); else `verdict`.
fn weak_or(rule: &Rule, buf: &[u8], found: &RawMatch, verdict: Verdict) -> Verdict {
    use crate::rules::CheckName::{HasDigit, MixedCharset};
    let on_strength = matches!(
        verdict,
        Verdict::LowEntropy | Verdict::Placeholder | Verdict::CheckFailed(HasDigit | MixedCharset)
    );
    if !on_strength
        || !matches!(rule.spec.kind, Kind::Password | Kind::ConnectionString)
        || !rule.spec.provider.eq_ignore_ascii_case("generic")
        || is_credential_file(rule)
    {
        return verdict;
    }
    let secret = &buf[found.secret.clone()];
    let other_checks = rule
        .spec
        .checks
        .iter()
        .filter(|c| !matches!(c, HasDigit | MixedCharset))
        .all(|&c| checks::passes(c, buf, &found.secret));
    if other_checks
        && names_a_password(found)
        && !filters::is_template(secret)
        && !filters::is_non_value(secret)
        && !filters::is_common_shape(secret)
    {
        Verdict::Weak
    } else {
        verdict
    }
}

/// Whether the match's `name` group, when the rule has one, ends with a password word
/// (`RDS_PASSWORD`, `MLAB_PASS`, `AdminPassword`, `db.pwd`): `PASSWORD_TIMEOUT=30m` and
/// `PasswordHasher` name settings about passwords, whose values are never weak passwords.
fn names_a_password(found: &RawMatch) -> bool {
    found.attributes.iter().find(|(name, _)| &**name == "name").is_none_or(|(_, name)| {
        let last = name.rsplit(|c: char| !c.is_ascii_alphanumeric()).next().unwrap_or_default();
        // The last camelCase hump: `AdminPassword` -> `Password`.
        let hump = last
            .char_indices()
            .rev()
            .find(|&(i, c)| {
                c.is_ascii_uppercase()
                    && last[..i].chars().next_back().is_some_and(|p| p.is_ascii_lowercase())
            })
            .map_or(last, |(i, _)| &last[i..]);
        ["password", "passwd", "pass", "pwd", "pw", "passphrase", "passwort", "pword"]
            .iter()
            .any(|w| hump.eq_ignore_ascii_case(w))
    })
}

/// A weak match as [`Matcher::scan`] returns it: with the [`WEAK_ATTRIBUTE`].
fn marked_weak(mut found: RawMatch) -> RawMatch {
    found.attributes.push((Arc::from(WEAK_ATTRIBUTE), "true".to_string()));
    found
}

/// A weak candidate never hides a reported one: it is superseded by any kept candidate whose
/// secret overlaps its own, and by a weak one already taken on overlapping bytes (the one whose
/// whole match is longest, then first in rule order, is taken).
fn resolve_weak(candidates: &mut [Candidate]) {
    let mut weak: Vec<usize> =
        (0..candidates.len()).filter(|&i| candidates[i].verdict == Verdict::Weak).collect();
    if weak.is_empty() {
        return;
    }
    let kept = RangeIndex::new(
        candidates
            .iter()
            .filter(|c| c.verdict == Verdict::Kept)
            .map(|c| c.found.secret.clone())
            .collect(),
    );
    weak.sort_by_key(|&i| {
        (std::cmp::Reverse(candidates[i].found.span.len()), candidates[i].found.rule)
    });
    let mut taken: Vec<Range<usize>> = Vec::new();
    for i in weak {
        let secret = candidates[i].found.secret.clone();
        if kept.overlaps(&secret)
            || taken.iter().any(|t| t.start < secret.end && secret.start < t.end)
        {
            candidates[i].verdict = Verdict::Superseded;
        } else {
            taken.push(secret);
        }
    }
}

/// How specific a rule's match is; of two kept matches whose secrets overlap, the less specific
/// one is dropped (documented in `rules/README.md`, "Precedence"). Variants are in increasing
/// order of specificity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Specificity {
    /// A `provider: Generic` rule: a secret-looking name or a URL shape, and a random-looking
    /// value.
    Generic,
    /// `kind: jwt` (whatever the provider): a token recognised by its structure alone.
    Structure,
    /// A provider rule whose keywords are all outside the secret: it knows the secret by its
    /// context or file format (`.npmrc`, `config.json`, an environment variable name).
    Context,
    /// A provider rule whose keyword occurs inside the secret: it knows the token by its own
    /// format (`ghp_`, `xoxb-`, `AKIA`).
    TokenFormat,
}

impl Specificity {
    /// The specificity of `rule` for the secret `secret`.
    pub(crate) fn of(rule: &Rule, secret: &[u8]) -> Specificity {
        let kind = rule.spec.kind;
        if kind == Kind::Jwt {
            Specificity::Structure
        } else if rule.spec.provider.eq_ignore_ascii_case("generic") {
            Specificity::Generic
        } else if rule
            .spec
            .keywords
            .iter()
            .any(|k| contains_ignore_ascii_case(secret, k.as_bytes()))
        {
            Specificity::TokenFormat
        } else {
            Specificity::Context
        }
    }
}

fn contains_ignore_ascii_case(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle))
}

/// The precedence of a kept candidate: its rule's specificity, then raw before decoded (the same
/// secret seen raw and through a decoding layer is reported once, raw).
fn precedence(rules: &RuleSet, buf: &[u8], c: &Candidate) -> (Specificity, bool) {
    let rule = &rules.rules()[c.found.rule];
    (Specificity::of(rule, c.found.secret_bytes(buf)), c.found.decoded.is_none())
}

/// Marks as superseded every kept candidate whose secret overlaps a kept candidate of higher
/// precedence, and, of kept candidates of equal precedence on exactly the same bytes, all but
/// the one whose whole match is longest (it saw more context), then first in rule order.
fn resolve_overlaps(rules: &RuleSet, buf: &[u8], candidates: &mut [Candidate]) {
    let mut kept: Vec<(usize, (Specificity, bool))> = candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| c.verdict == Verdict::Kept)
        .map(|(i, c)| (i, precedence(rules, buf, c)))
        .collect();
    if kept.len() < 2 {
        return;
    }
    // Highest precedence first; within one level, by position (so equal ranges are adjacent),
    // longest match and rule order.
    kept.sort_by_key(|&(i, p)| {
        let found = &candidates[i].found;
        (
            std::cmp::Reverse(p),
            found.secret.start,
            found.secret.end,
            std::cmp::Reverse(found.span.len()),
            found.rule,
        )
    });
    let mut start = 0;
    while start < kept.len() {
        let level = kept[start].1;
        let end = start + kept[start..].iter().take_while(|(_, p)| *p == level).count();
        let higher = RangeIndex::new(
            kept[..start]
                .iter()
                .filter(|(i, _)| candidates[*i].verdict == Verdict::Kept)
                .map(|(i, _)| candidates[*i].found.secret.clone())
                .collect(),
        );
        let mut previous: Option<Range<usize>> = None;
        for &(i, _) in &kept[start..end] {
            let secret = candidates[i].found.secret.clone();
            if higher.overlaps(&secret) || previous.as_ref() == Some(&secret) {
                candidates[i].verdict = Verdict::Superseded;
            }
            previous = Some(secret);
        }
        start = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher() -> Matcher {
        Matcher::new(Arc::new(RuleSet::load(&[]).expect("built-in rules load")))
    }

    #[test]
    fn a_scratch_costs_a_pointer_per_rule_until_the_rule_runs() {
        // Unboxed, each rule's slot held a whole search cache: 3.5 MB of slots per thread to
        // allocate and fault in at start-up, for rules that mostly never run.
        assert!(std::mem::size_of::<RegexState>() > 256);
        assert_eq!(std::mem::size_of::<Option<Box<RegexState>>>(), 8);
        let scratch = matcher().scratch();
        assert!(scratch.regex_states.iter().all(Option::is_none));
    }

    /// (rule id, verdict) of every candidate in `text`.
    fn verdicts(m: &Matcher, text: &str) -> Vec<(String, Verdict)> {
        m.explain(text.as_bytes())
            .into_iter()
            .map(|c| (m.rules().rules()[c.found.rule].id().to_string(), c.verdict))
            .collect()
    }

    #[test]
    fn a_provider_key_hides_the_generic_jwt_on_the_same_bytes() {
        let m = matcher();
        // A fake key, split so this file scans clean (the project scans itself in CI).
        let key = concat!(
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
            ".eyJpc3MiOiJzdXBhYmFzZSIsInJlZiI6ImN1aXNyamtzZ293amlhcGtndGFkIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImlhdCI6MTcwNzg0MzU4MywiZXhwIjoyMDIzMjAzNTgzfQ",
            ".JeKsO96W1HGZcwYHyIwj2sGgseZaSEpC2E0FdRISF0I"
        );
        let seen = verdicts(&m, &format!("SUPABASE_SERVICE_ROLE_KEY={key}\n"));
        let kept: Vec<&str> =
            seen.iter().filter(|(_, v)| *v == Verdict::Kept).map(|(id, _)| id.as_str()).collect();
        assert_eq!(kept, vec!["supabase.service-role-key"], "{seen:?}");
        assert!(
            seen.iter().any(|(id, v)| id == "jwt.token" && *v == Verdict::Superseded),
            "{seen:?}"
        );
    }

    #[test]
    fn specificity_ranks_token_format_over_context_over_structure_over_generic() {
        let m = matcher();
        let rule = |id: &str| m.rules().get(id).unwrap();
        assert_eq!(
            Specificity::of(rule("github.pat.classic"), b"ghp_abc"),
            Specificity::TokenFormat
        );
        assert_eq!(Specificity::of(rule("npm.npmrc-auth"), b"ghp_abc"), Specificity::Context);
        assert_eq!(Specificity::of(rule("jwt.token"), b"eyJhbGciOi"), Specificity::Structure);
        assert_eq!(
            Specificity::of(rule("generic.secret-assignment"), b"abc"),
            Specificity::Generic
        );
        assert!(
            Specificity::TokenFormat > Specificity::Context
                && Specificity::Context > Specificity::Structure
        );
        assert!(Specificity::Structure > Specificity::Generic);
    }

    #[test]
    fn a_span_inside_a_raw_provider_match_is_not_decoded() {
        let m = matcher();
        let random = "Q7fK2mZr9XbW4nT1pLs8vHc3dJy6aE";
        let token = format!(
            "ghp_{random}{}",
            checksum::base62(u64::from(crc32fast::hash(random.as_bytes())), 6)
        );
        let text = format!("{{\"token\": \"{token}\\u0021\"}}\n");
        let seen = m.explain(text.as_bytes());
        let pat = m.rules().index_of("github.pat.classic").unwrap();
        let pats: Vec<&Candidate> = seen.iter().filter(|c| c.found.rule == pat).collect();
        assert_eq!(pats.len(), 1, "{seen:?}");
        assert!(pats[0].verdict == Verdict::Kept && pats[0].found.decoded.is_none());
    }

    #[test]
    fn of_equal_rules_on_the_same_bytes_raw_beats_decoded() {
        use base64::Engine as _;
        let m = matcher();
        let encoded =
            base64::engine::general_purpose::STANDARD.encode("API_SECRET=Zt8qLm2vR4xB9nC1wK7p");
        let seen = m.explain(format!("api_secret: {encoded}\n").as_bytes());
        let rule = m.rules().index_of("generic.secret-assignment").unwrap();
        let mine: Vec<&Candidate> = seen.iter().filter(|c| c.found.rule == rule).collect();
        assert_eq!(mine.len(), 2, "raw and decoded: {seen:?}");
        for c in mine {
            let expected =
                if c.found.decoded.is_none() { Verdict::Kept } else { Verdict::Superseded };
            assert_eq!(c.verdict, expected, "{c:?}");
        }
    }

    #[test]
    fn weak_passwords_are_weak_not_kept_and_templates_and_hashes_stay_dropped() {
        let m = matcher();
        let verdict_of = |text: &str| {
            verdicts(&m, text)
                .into_iter()
                .filter(|(id, _)| id == "generic.password-assignment")
                .map(|(_, v)| v)
                .collect::<Vec<_>>()
        };
        for weak in
            ["RDS_PASSWORD='dummy-pass'\n", "MLAB_PASS=password123\n", "DB_PASSWORD=admin\n"]
        {
            assert_eq!(verdict_of(weak), vec![Verdict::Weak], "{weak}");
        }
        assert_eq!(verdict_of("DB_PASSWORD=Zt8#qLm2vR!x\n"), vec![Verdict::Kept]);
        for dropped in
            ["DB_PASSWORD=${DB_PASSWORD}\n", "DB_PASSWORD=<password>\n", "DB_PASSWORD=********\n"]
        {
            assert!(!verdict_of(dropped).contains(&Verdict::Weak), "{dropped}");
            assert!(!verdict_of(dropped).contains(&Verdict::Kept), "{dropped}");
        }
        // A password hash is a common shape, not a weak password.
        let hash = concat!("$2y$05$", "Xo3lQ6Y5Lrj2V6yE1pVn7OqzWQ4f3h7bQyVbq0d1C2e3F4g5H6i7J");
        assert!(!verdict_of(&format!("password: {hash}\n")).contains(&Verdict::Weak));
    }

    #[test]
    fn only_a_matcher_keeping_weak_returns_weak_matches_and_marks_them() {
        let rules = Arc::new(RuleSet::load(&[]).expect("built-in rules load"));
        let text = b"export RDS_PASSWORD='dummy-pass'\n";
        let scan = |m: &Matcher| {
            let mut out = Vec::new();
            m.scan(text, &mut m.scratch(), &mut out);
            out
        };
        assert!(scan(&Matcher::new(Arc::clone(&rules))).is_empty());
        let found = scan(&Matcher::keeping_weak(rules));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].attributes.iter().any(|(name, _)| &**name == WEAK_ATTRIBUTE));
        assert_eq!(&text[found[0].secret.clone()], b"dummy-pass");
    }

    #[test]
    fn a_weak_match_never_hides_a_kept_one() {
        let candidate =
            |rule: usize, secret: Range<usize>, span: Range<usize>, verdict| Candidate {
                found: RawMatch { rule, secret, span, attributes: Vec::new(), decoded: None },
                verdict,
                entropy: 0.0,
            };
        let mut candidates = vec![
            candidate(0, 10..20, 0..20, Verdict::Weak),
            candidate(1, 12..20, 5..20, Verdict::Kept),
            candidate(2, 30..40, 25..40, Verdict::Weak),
            candidate(3, 30..40, 20..40, Verdict::Weak),
            candidate(4, 50..60, 45..60, Verdict::Weak),
        ];
        resolve_weak(&mut candidates);
        let verdicts: Vec<Verdict> = candidates.iter().map(|c| c.verdict).collect();
        assert_eq!(
            verdicts,
            [Verdict::Superseded, Verdict::Kept, Verdict::Superseded, Verdict::Weak, Verdict::Weak]
        );
    }

    #[test]
    fn a_weak_password_needs_a_name_that_ends_with_a_password_word() {
        let found = |name: &str| RawMatch {
            rule: 0,
            secret: 0..1,
            span: 0..1,
            attributes: vec![(Arc::from("name"), name.to_string())],
            decoded: None,
        };
        for name in ["RDS_PASSWORD", "MLAB_PASS", "AdminPassword", "db.pwd", "password"] {
            assert!(names_a_password(&found(name)), "{name}");
        }
        for name in
            ["SESSION_PASSWORD_TIMEOUT", "PasswordHasher", "password_prompt", "DbPasswordMinLength"]
        {
            assert!(!names_a_password(&found(name)), "{name}");
        }
        let unnamed = RawMatch { attributes: Vec::new(), ..found("x") };
        assert!(names_a_password(&unnamed));
    }
}
