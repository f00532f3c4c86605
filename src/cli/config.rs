//! `leakhound config explain PATH`: the effective configuration for one path, and where each
//! piece of it comes from.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::ExitStatus;
use crate::config::repo::{self, Chain, ConfigSource, ConfigTree, FsFiles, RepoConfig};
use crate::sanitize::escape_for_terminal;

/// `leakhound config ...`
#[derive(Debug, Subcommand)]
pub(crate) enum ConfigCommand {
    /// Print the configuration that applies to PATH: every file in its chain, rule switches,
    /// custom rule files and allowlist entries, each with the file and line it comes from.
    Explain(ExplainArgs),
}

/// Arguments of `config explain`.
#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    /// The path to explain, relative to the scan root.
    #[arg(value_name = "PATH")]
    path: String,
    /// The scan root whose `.leakhound.toml` files apply.
    #[arg(long, value_name = "DIR", default_value = ".")]
    root: PathBuf,
    /// Configuration file; replaces the root's `.leakhound.toml`.
    #[arg(short = 'c', long = "config", env = "LEAKHOUND_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Ignore `.leakhound.toml` files in the tree.
    #[arg(long)]
    no_repo_config: bool,
}

pub(crate) fn run(command: &ConfigCommand) -> anyhow::Result<ExitStatus> {
    let ConfigCommand::Explain(args) = command;
    let explicit = args
        .config
        .as_deref()
        .filter(|p| !p.as_os_str().is_empty())
        .map(repo::read_explicit)
        .transpose()?;
    let source = (!args.no_repo_config).then(|| {
        Box::new(FsFiles { root: args.root.clone(), shown: String::new() }) as Box<dyn ConfigSource>
    });
    let mut tree = ConfigTree::open(source, explicit);
    let path = args.path.trim_start_matches("./").to_string();
    let chain = tree.chain(&path);
    let mut text = describe(&path, &chain);
    for error in tree.errors() {
        let _ = writeln!(text, "error: {error}");
    }
    let mut stdout = std::io::stdout().lock();
    for line in text.lines() {
        writeln!(stdout, "{}", escape_for_terminal(line))?;
    }
    Ok(if tree.errors().is_empty() { ExitStatus::Clean } else { ExitStatus::Error })
}

/// The explanation text.
fn describe(path: &str, chain: &Chain) -> String {
    let mut out = format!("configuration for {path}\n");
    if chain.configs.is_empty() {
        out.push_str("  files: none (built-in defaults only)\n");
    }
    for config in &chain.configs {
        let inherit = match (config.inherit.value, config.inherit.line) {
            (false, line) => format!(" (inherit = false, line {line}: parents ignored)"),
            (true, _) => String::new(),
        };
        let _ = writeln!(out, "  file {}{inherit}", config.file);
    }
    describe_rules(&mut out, chain);
    describe_allows(&mut out, path, chain);
    out
}

fn describe_rules(out: &mut String, chain: &Chain) {
    let builtin = chain.configs.first().and_then(|c| c.builtin.as_ref().map(|b| (c, b)));
    match builtin {
        Some((config, b)) => {
            let _ =
                writeln!(out, "rules: built-in {} ({}:{})", on_off(b.value), config.file, b.line);
        }
        None => out.push_str("rules: built-in on (default)\n"),
    }
    for config in &chain.configs {
        for file in &config.rule_files {
            let _ =
                writeln!(out, "  custom rule file {} ({}:{})", file.value, config.file, file.line);
        }
        for switch in &config.switches {
            let verb = if switch.enable { "enable" } else { "disable" };
            let _ =
                writeln!(out, "  {verb} {:?} ({}:{})", switch.pattern, config.file, switch.line);
        }
    }
}

fn describe_allows(out: &mut String, path: &str, chain: &Chain) {
    out.push_str("allowlists:\n");
    let mut any = false;
    for config in &chain.configs {
        for allow in &config.allows {
            any = true;
            let _ = writeln!(
                out,
                "  [[allow]] {}:{}{}",
                config.file,
                allow.line,
                describe_allow(config, allow, path)
            );
        }
    }
    if !any {
        out.push_str("  none\n");
    }
    out.push_str(
        "inline markers: leakhound:allow, gitleaks:allow, pragma: allowlist secret (off with --no-inline-allow)\n",
    );
}

fn describe_allow(config: &RepoConfig, allow: &repo::Allow, path: &str) -> String {
    let mut parts = Vec::new();
    if let Some(d) = &allow.description {
        parts.push(format!("{d:?}"));
    }
    let list =
        |name: &str, items: Vec<&str>| (!items.is_empty()).then(|| format!("{name} {items:?}"));
    parts.extend(list("rules", allow.rules.iter().map(|(t, _)| t.as_str()).collect()));
    parts.extend(list("paths", allow.paths.iter().map(|(t, _)| t.as_str()).collect()));
    parts.extend(list("secrets", allow.secrets.iter().map(|(t, _)| t.as_str()).collect()));
    parts.extend(list("stopwords", allow.stopwords.iter().map(String::as_str).collect()));
    parts.extend(list("commits", allow.commits.iter().map(String::as_str).collect()));
    let rel = path.strip_prefix(config.dir.as_str()).unwrap_or(path);
    if allow.paths.iter().any(|(_, g)| g.is_match(rel)) {
        parts.push("-> this path matches".into());
    }
    format!(": {}", parts.join("; "))
}

fn on_off(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}
