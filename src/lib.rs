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
//! - `config`: the immutable run configuration and `.leakhound.toml` files.
//! - `rules`: YAML rule syntax, compiled [`RuleSet`], built-in rules, `rules check`.
//! - `matcher`: keyword prefilter, regex confirmation, checks and filters. Bytes in, matches out.
//! - `content`: reading an item's bytes in overlapping windows; UTF-16; binary detection.
//! - `source`: what to scan (directory walk, git objects, provenance).
//! - `finding`: findings, locations, fingerprints, redaction, the collector.
//! - `fingerprint`: the key behind every fingerprint (HMAC, never a plain hash).
//! - `priority`: which finding to act on first (validity, exposure, severity, confidence, age).
//! - `trace`: the exposure timeline of one secret across a repository (`leakhound trace`).
//! - `suppress`: inline markers, configuration allowlists and baselines.
//! - `validate`: offline checks (JWT expiry, key blocks) and opt-in live validity checks.
//! - `report`: one emitter per output format.
//! - `serve`: the NDJSON protocol of `leakhound serve` (rules compiled once per session).
//! - `hook`: agent hooks (Claude Code, Cursor, generic): payload in, allow or block out.
//! - `cli`: the command line (flags in, exit status out).

mod baseline;
mod cli;
mod config;
mod content;
mod date;
mod finding;
mod fingerprint;
#[cfg(feature = "git")]
mod fleet;
mod hook;
mod marker;
mod matcher;
pub mod outcome;
pub mod pipeline;
mod priority;
mod progress;
mod report;
mod rules;
mod sanitize;
mod serve;
mod source;
mod suppress;
#[cfg(feature = "git")]
mod trace;
mod unpack;
mod validate;

mod exit;

pub use config::{Config, FilterConfig, GitCache, GitMode, ReadConfig, ValidationChoice};
pub use exit::ExitStatus;
pub use finding::{Finding, Location, Secret};
pub use outcome::{Notice, ScanOutcome};
pub use pipeline::{PipelineError, Scanned, Scanner, Target};
pub use rules::RuleSet;
pub use serve::FindingView;

/// Not an API: the internals the project's own integration tests, benches and fuzz targets reach
/// past the public surface for. Nothing here is stable, documented or meant for other crates.
#[doc(hidden)]
pub mod internals {
    pub mod baseline {
        pub use crate::baseline::{Baseline, BaselineKind, Subject};
    }
    pub mod config {
        pub use crate::config::repo::{Chain, RepoConfig, Subject};
    }
    pub mod content {
        pub use crate::content::{
            LocatedMatch, OVERLAP, Position, ReadOptions, Reader, Utf16, WINDOW, decode_utf16,
            looks_binary, utf16_encoding,
        };
    }
    pub mod finding {
        pub use crate::finding::{
            Collector, CommitInfo, Finding, GitOrigin, Location, OriginState, Secret, Suppression,
            SuppressionKind, fingerprint,
        };
    }
    pub mod matcher {
        pub use crate::matcher::Matcher;
        pub use crate::matcher::checksum::base62;
    }
    pub mod report {
        pub use crate::report::{ReportContext, ReportFormat, emit};
    }
    pub mod rules {
        pub use crate::rules::{RuleSet, RuleSource};
    }
    pub mod sanitize {
        pub use crate::sanitize::escape_for_terminal;
    }
    pub mod archive {
        pub use crate::source::archive::{Event, Limits, ScanBudget, expand};
    }
    #[cfg(feature = "git")]
    pub mod git {
        pub use crate::source::git::fuzzing;
        pub use crate::source::git::hold_cache;
    }
    pub mod validate {
        pub use crate::validate::catalog::{Catalog, Validator};
        pub use crate::validate::{
            UnknownReason, Validation, ValidationConfig, ValidationStatus, validate_findings_with,
        };
    }
}

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
