//! `leakhound hook AGENT`: one agent hook invocation (payload on stdin, decision on stdout).
//!
//! The payload is read up to a bound (a larger one blocks, as an unreadable one does); the
//! library's [`crate::hook::answer`] decides; the exit status is the one the agent expects for
//! that decision (Claude Code: 0 with JSON, or 2 to block; generic: 0 allow, 1 block).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Read as _;

use anyhow::Context as _;
use clap::{Args, ValueEnum};

use super::RuleArgs;
use crate::ExitStatus;
use crate::config::{Config, FilterConfig};
use crate::hook::{Agent, HookOptions};
use crate::pipeline::Scanner;

/// The largest payload read from stdin.
const MAX_PAYLOAD: u64 = 64 << 20;

/// Which agent's hook format to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum AgentArg {
    /// Claude Code (`UserPromptSubmit`, `PreToolUse`, `PostToolUse`).
    ClaudeCode,
    /// Cursor (`beforeSubmitPrompt`, `beforeReadFile`, `beforeShellExecution`, `beforeMCPExecution`).
    Cursor,
    /// Any tool: stdin is the text; JSON decision on stdout; exit 0 allow, 1 block.
    Generic,
}

/// Arguments of `leakhound hook`.
#[derive(Debug, Args)]
pub(crate) struct HookArgs {
    /// The agent whose hook payload and decision format to use.
    #[arg(value_enum)]
    agent: AgentArg,
    /// Pass a tool input on with its secrets replaced (Claude Code `PreToolUse`, asking the user
    /// to confirm) and print `redacted_text` (generic), instead of only blocking.
    #[arg(long)]
    redact: bool,
    /// Largest file a read event checks; larger ones are blocked, e.g. 16M.
    #[arg(long, value_name = "SIZE", default_value = "16M", value_parser = super::parse_size_arg)]
    max_file_size: u64,
    #[command(flatten)]
    rules: RuleArgs,
}

pub(crate) fn run(args: &HookArgs) -> anyhow::Result<ExitStatus> {
    let agent = match args.agent {
        AgentArg::ClaudeCode => Agent::ClaudeCode,
        AgentArg::Cursor => Agent::Cursor,
        AgentArg::Generic => Agent::Generic,
    };
    // Inline allow markers and repository configuration do not apply: what reaches a model is
    // not allowed to silence its own secrets.
    let filter =
        FilterConfig { repo_config: false, inline_allow: false, ..FilterConfig::default() };
    let config = Config { rules: args.rules.rules.clone(), filter, ..Config::default() };
    let scanner = Scanner::new(&config).context("cannot compile the rules")?;
    let mut input = Vec::new();
    std::io::stdin()
        .take(MAX_PAYLOAD + 1)
        .read_to_end(&mut input)
        .context("cannot read the hook payload")?;
    let options = HookOptions { redact: args.redact, max_file_size: args.max_file_size };
    let reply = if input.len() as u64 > MAX_PAYLOAD {
        crate::hook::too_large(agent, MAX_PAYLOAD)
    } else {
        crate::hook::answer(agent, &scanner, &input, &options)
    };
    if !reply.stdout.is_empty() {
        println!("{}", reply.stdout);
    }
    if !reply.stderr.is_empty() {
        eprintln!("{}", reply.stderr);
    }
    Ok(match reply.exit_code {
        0 => ExitStatus::Clean,
        2 => ExitStatus::Error,
        code => ExitStatus::Findings(code),
    })
}
