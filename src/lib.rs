//! leakhound: a secret leak scanner.
//!
//! The library owns everything; `main.rs` only calls [`run`]. Every target (paths, stdin, git
//! history, the staged index, commit ranges) goes through one pipeline
//! (`docs/architecture.md` in the repository draws it):
//! `Config -> RuleSet -> source items -> workers (content -> matcher) -> collector (findings)
//! -> offline checks -> suppression -> validation -> outcome -> report -> exit status`.
//!
//! # Embedding
//!
//! Build a [`Scanner`] once (the rules are compiled then) and scan buffers or targets with it:
//!
//! ```
//! use leakhound::{Config, Scanner};
//!
//! let scanner = Scanner::new(&Config::default()).expect("the built-in rules compile");
//! // A fake Stripe key, assembled so that this file itself scans clean.
//! let key = ["sk_live_", "51sg6Dz3uO95aV9zVEUcrpVv7qn7MOLg6aFTTfjuHFw61RvuiK0i44SdhuYuXblsfYzO9KyikGeXkAeQcZYt6TWCf7GIfyNPLiM"].concat();
//! let outcome = scanner.scan_bytes("config.env", format!("STRIPE_SECRET_KEY={key}\n").as_bytes());
//! for finding in &outcome.findings {
//!     // Secrets print redacted unless asked for with `expose()`.
//!     println!("{} at {}:{}", finding.rule_id, finding.locations[0].path, finding.locations[0].position.line);
//! }
//! assert!(outcome.findings.iter().any(|f| f.rule_id.starts_with("stripe.")));
//! ```
//!
//! A whole scan, with the same stages as the command line:
//!
//! ```no_run
//! use leakhound::{Config, Target, pipeline};
//!
//! let scanned = pipeline::run(&Target::Paths(vec![".".into()]), &Config::default(), None)?;
//! println!("{} finding(s), complete: {}", scanned.outcome.findings.len(), !scanned.outcome.incomplete());
//! # Ok::<(), leakhound::PipelineError>(())
//! ```
//!
//! Module map:
//! - [`pipeline`]: the one sequence of stages; [`Scanner`] for embedders.
//! - [`outcome`]: notices, counters, the coverage record, the outcome (the bottom of the graph).
//! - [`config`]: the immutable run configuration and `.leakhound.toml` files.
//! - [`rules`]: YAML rule syntax, compiled [`rules::RuleSet`], built-in rules, `rules check`.
//! - [`matcher`]: keyword prefilter, regex confirmation, checks and filters. Bytes in, matches out.
//! - [`content`]: reading an item's bytes in overlapping windows; UTF-16; binary detection.
//! - [`source`]: what to scan (directory walk, git objects, provenance).
//! - [`finding`]: findings, locations, fingerprints, redaction, the collector.
//! - [`fingerprint`]: the key behind every fingerprint (HMAC, never a plain hash).
//! - [`priority`]: which finding to act on first (validity, exposure, severity, confidence, age).
//! - [`trace`]: the exposure timeline of one secret across a repository (`leakhound trace`).
//! - [`suppress`]: inline markers, configuration allowlists and baselines.
//! - [`validate`]: offline checks (JWT expiry, key blocks) and opt-in live validity checks.
//! - [`report`]: one emitter per output format.
//! - [`serve`]: the NDJSON protocol of `leakhound serve` (rules compiled once per session).
//! - [`hook`]: agent hooks (Claude Code, Cursor, generic): payload in, allow or block out.
//! - `cli`: the command line (flags in, exit status out).

pub mod baseline;
mod cli;
pub mod config;
pub mod content;
pub mod date;
pub mod finding;
pub mod fingerprint;
pub mod hook;
pub mod marker;
pub mod matcher;
pub mod outcome;
pub mod pipeline;
pub mod priority;
pub mod progress;
pub mod report;
pub mod rules;
pub mod sanitize;
pub mod serve;
pub mod source;
pub mod suppress;
#[cfg(feature = "git")]
pub mod trace;
pub mod unpack;
pub mod validate;

mod exit;

pub use config::{Config, FilterConfig, GitMode, ReadConfig, ValidationChoice};
pub use exit::ExitStatus;
pub use finding::{Finding, Location, Secret};
pub use outcome::{Notice, ScanOutcome};
pub use pipeline::{PipelineError, Scanned, Scanner, Target};

use std::ffi::OsString;

/// Runs leakhound with the given command line (the first item is the program name).
///
/// Returns the exit status the process should end with; an `Err` is a fatal error (bad
/// arguments, unreadable rules, a report that could not be written) whose chain the binary prints.
pub fn run<I, T>(args: I) -> anyhow::Result<ExitStatus>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    cli::run(args)
}

/// Whether an error chain ends in a broken pipe, e.g. `leakhound scan | head -1`.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
