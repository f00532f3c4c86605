//! leakhound's integration tests: one binary (STYLE.md habit 9), one module per area.
//!
//! Every test builds its own tree in a temp dir ([`util::Tree`]) and runs the real CLI, or calls
//! the library directly for property tests. Tokens are generated fakes with the right shape
//! ([`util::fake`]); none is a real credential.

// A test binary: the library's module boundaries and no-panic rules are not its rules.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods)]

mod accuracy;
mod action;
mod archives;
#[cfg(feature = "git")]
mod cache;
mod canary;
mod confidence;
mod confine;
mod decode;
mod deploy;
mod errors;
mod git;
mod hook;
mod hostile;
mod html;
mod image;
mod pipeline;
mod precommit;
mod props;
mod reports;
mod repos;
mod rules_cli;
mod sandbox;
mod scan_cli;
mod serve;
mod shard;
mod suppress;
mod trace;
mod util;
#[cfg(feature = "validate")]
mod validate;
