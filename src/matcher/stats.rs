//! `LEAKHOUND_RULE_STATS=1`: what each rule's regex confirmation cost, printed on stderr when the
//! matcher is dropped (for benchmarks: which rules eat the time). Off by default; when off, the
//! matcher checks one `Option` per buffer and times nothing.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// The environment variable that turns the counters on.
pub(crate) const ENV: &str = "LEAKHOUND_RULE_STATS";

/// Counters for one rule, summed over all threads.
#[derive(Debug, Default)]
struct Counters {
    /// Windows the rule's regex ran in (after merging).
    windows: AtomicU64,
    /// Bytes in those windows.
    bytes: AtomicU64,
    /// Regex searches (one per window, plus one after each match).
    searches: AtomicU64,
    /// Candidates found (before checks and filters).
    candidates: AtomicU64,
    /// Nanoseconds spent in the rule's windows (regex, checks, filters).
    nanos: AtomicU64,
}

/// Per-rule counters, or `None` when [`ENV`] is not set.
#[derive(Debug)]
pub(crate) struct RuleStats {
    rules: Box<[Counters]>,
    ids: Vec<String>,
}

impl RuleStats {
    /// Counters for `ids` (rule ids in rule order) when [`ENV`] is set.
    pub(crate) fn from_env(ids: impl Iterator<Item = String>) -> Option<RuleStats> {
        std::env::var_os(ENV)?;
        let ids: Vec<String> = ids.collect();
        Some(RuleStats { rules: ids.iter().map(|_| Counters::default()).collect(), ids })
    }

    /// Records one rule's work over its windows, started at `started`.
    pub(crate) fn record(&self, rule: usize, windows: &[std::ops::Range<usize>], work: Work) {
        let Some(c) = self.rules.get(rule) else { return };
        let bytes: usize = windows.iter().map(std::ops::Range::len).sum();
        c.windows.fetch_add(windows.len() as u64, Ordering::Relaxed);
        c.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
        c.searches.fetch_add(work.searches, Ordering::Relaxed);
        c.candidates.fetch_add(work.candidates, Ordering::Relaxed);
        let nanos = u64::try_from(work.started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        c.nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// The table, most expensive rule first.
    fn table(&self) -> String {
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let mut rows: Vec<(usize, u64)> =
            self.rules.iter().enumerate().map(|(i, c)| (i, load(&c.nanos))).collect();
        rows.retain(|&(_, n)| n > 0);
        rows.sort_by_key(|&(i, n)| (std::cmp::Reverse(n), i));
        let total: u64 = rows.iter().map(|&(_, n)| n).sum();
        let mut out = format!(
            "leakhound: rule stats: {} rules ran, {:.3} s in all\n{:>9} {:>6} {:>9} {:>11} {:>9} {:>10}  rule\n",
            rows.len(),
            total as f64 / 1e9,
            "ms",
            "share",
            "windows",
            "bytes",
            "searches",
            "candidates"
        );
        for (i, nanos) in rows {
            let c = &self.rules[i];
            let _ = writeln!(
                out,
                "{:>9.2} {:>5.1}% {:>9} {:>11} {:>9} {:>10}  {}",
                nanos as f64 / 1e6,
                nanos as f64 * 100.0 / total.max(1) as f64,
                load(&c.windows),
                load(&c.bytes),
                load(&c.searches),
                load(&c.candidates),
                self.ids[i]
            );
        }
        out
    }
}

impl Drop for RuleStats {
    #[allow(clippy::print_stderr, reason = "LEAKHOUND_RULE_STATS prints its table on stderr")]
    fn drop(&mut self) {
        eprint!("{}", self.table());
    }
}

/// One rule's work over one buffer's windows.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Work {
    pub(crate) started: Instant,
    pub(crate) searches: u64,
    pub(crate) candidates: u64,
}
