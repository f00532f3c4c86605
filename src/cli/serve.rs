//! `leakhound serve`: the NDJSON protocol of [`crate::serve`] on stdin and stdout.
//!
//! Flags become a `Config` (rules, configuration file, inline markers); the rules are compiled
//! once, then every request line is answered in order until stdin closes. Exit status 0 when the
//! session ended normally (error responses are part of the protocol, not failures), 2 when the
//! rules do not compile or a stream fails.

use anyhow::Context as _;
use clap::Args;

use super::{FilterArgs, RuleArgs};
use crate::ExitStatus;
use crate::config::Config;
use crate::serve::Server;

/// Arguments of `leakhound serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Largest request line accepted (longer ones get a `too_large` error response), e.g. 16M.
    #[arg(long = "max-request-size", value_name = "SIZE", default_value = "16M", value_parser = super::parse_size_arg)]
    max_request_size: u64,
    #[command(flatten)]
    rules: RuleArgs,
    #[command(flatten)]
    filter: FilterArgs,
}

pub(crate) fn run(args: &ServeArgs) -> anyhow::Result<ExitStatus> {
    let config = Config {
        rules: args.rules.rules.clone(),
        filter: args.filter.resolve(),
        ..Config::default()
    };
    let max = usize::try_from(args.max_request_size).unwrap_or(usize::MAX);
    let server = Server::new(config, max).context("cannot start serving")?;
    let mut input = std::io::stdin().lock();
    let mut output = std::io::stdout().lock();
    server.run(&mut input, &mut output).context("serve: a stream failed")?;
    Ok(ExitStatus::Clean)
}
