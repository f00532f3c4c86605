//! leakhound's integration tests: one binary (STYLE.md habit 9), one module per area.
//!
//! Every test builds its own tree in a temp dir ([`util::Tree`]) and runs the real CLI, or calls
//! the library directly for property tests. Tokens are generated fakes with the right shape
//! ([`util::fake`]); none is a real credential.

mod accuracy;
mod action;
mod canary;
mod decode;
mod git;
mod hook;
mod hostile;
mod pipeline;
mod precommit;
mod props;
mod reports;
mod rules_cli;
mod sandbox;
mod scan_cli;
mod serve;
mod suppress;
mod util;
#[cfg(feature = "validate")]
mod validate;
