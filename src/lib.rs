//! leakhound: a secret leak scanner.
//!
//! The library owns everything; `main.rs` only calls [`run`]. Data flows one way
//! (DESIGN.md §1): `Config -> RuleSet -> source items -> workers (content -> matcher)
//! -> bounded channel -> one collector (findings) -> report -> exit status`.
//!
//! Module map:
//! - [`cli`]: clap definitions and one function per subcommand; calls the facades below.
//! - [`config`]: flags resolved once into an immutable [`config::ScanConfig`].
//! - [`rules`]: YAML rule syntax, compiled [`rules::RuleSet`], built-in rules, `rules check`.
//! - [`matcher`]: keyword prefilter, regex confirmation, checks and filters. Bytes in, matches out.
//! - [`content`]: reading an item's bytes in overlapping windows; binary detection.
//! - [`source`]: what to scan (directory walk, stdin).
//! - [`scan`]: the pipeline that ties sources, workers and the collector together.
//! - [`finding`]: findings, locations, fingerprints, redaction, the collector.
//! - [`report`]: one emitter per output format.
//! - [`date`]: UTC dates from Unix seconds.
//! - [`validate`]: offline checks (JWT expiry, key blocks) and opt-in live validity checks.

pub mod baseline;
pub mod cli;
pub mod config;
pub mod content;
pub mod date;
pub mod finding;
pub mod marker;
pub mod matcher;
pub mod printable;
pub mod progress;
pub mod report;
pub mod rules;
pub mod sanitize;
pub mod scan;
pub mod source;
pub mod suppress;
pub mod unpack;
pub mod validate;

mod exit;

pub use exit::ExitStatus;

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
        cause.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
