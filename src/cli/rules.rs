//! `leakhound rules list | show ID | check [PATH]...`.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Subcommand, ValueEnum};

use super::RuleArgs;
use crate::ExitStatus;
use crate::rules::{RuleSet, builtin, check, read_rule_paths};

/// `leakhound rules ...`
#[derive(Debug, Subcommand)]
pub(crate) enum RulesCommand {
    /// List every rule: id, kind, severity, name.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// Show one rule in full (YAML).
    Show {
        /// The rule id.
        id: String,
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// Compile every rule and prove its examples and negative examples.
    ///
    /// Without PATH, checks the built-in rules; with PATH (files or directories), checks those
    /// rules, compiled together with the built-ins.
    Check {
        /// Rule files or directories to check.
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
}

/// Formats of `rules list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ListFormat {
    /// Aligned columns.
    Text,
    /// A JSON array of rules.
    Json,
}

pub(crate) fn run(command: &RulesCommand) -> anyhow::Result<ExitStatus> {
    let mut out = std::io::stdout().lock();
    match command {
        RulesCommand::List { format, rules } => {
            let set = RuleSet::load(&rules.rules)?;
            list(&set, *format, &mut out)?;
            Ok(ExitStatus::Clean)
        }
        RulesCommand::Show { id, rules } => {
            // From the YAML, not the pre-built form a scan loads: that one has no examples.
            let mut sources = builtin::sources();
            sources.extend(read_rule_paths(&rules.rules)?);
            let set = RuleSet::compile(&sources)?;
            let rule = set
                .get(id)
                .with_context(|| format!("no rule with id {id:?} (see `leakhound rules list`)"))?;
            let yaml =
                serde_saphyr::to_string(&rule.spec).context("cannot render the rule as YAML")?;
            writeln!(out, "# from {}\n{yaml}", rule.origin)?;
            Ok(ExitStatus::Clean)
        }
        RulesCommand::Check { paths } => check_rules(paths, &mut out),
    }
}

fn list(set: &RuleSet, format: ListFormat, out: &mut dyn Write) -> anyhow::Result<()> {
    match format {
        ListFormat::Json => {
            let specs: Vec<_> = set.rules().iter().map(|r| &r.spec).collect();
            serde_json::to_writer_pretty(&mut *out, &specs)?;
            writeln!(out)?;
        }
        ListFormat::Text => {
            let width = set.rules().iter().map(|r| r.id().len()).max().unwrap_or(0);
            for rule in set.rules() {
                let s = &rule.spec;
                writeln!(
                    out,
                    "{:width$}  {:19}  {:8}  {}",
                    s.id,
                    s.kind.as_str(),
                    s.severity.as_str(),
                    s.name
                )?;
            }
            // The count goes to stderr so stdout holds only the list (for pipes and `wc -l`).
            writeln!(std::io::stderr(), "{} rules", set.rules().len())?;
        }
    }
    Ok(())
}

/// The built-in validators load against the rules and prove their example answers: how many
/// validators, and one line per problem.
fn check_validators(set: &RuleSet) -> (usize, Vec<String>) {
    match crate::validate::Catalog::builtin(set) {
        Ok(catalog) => (catalog.validators().len(), catalog.check_examples()),
        Err(errors) => (0, errors.items.iter().map(ToString::to_string).collect()),
    }
}

fn check_rules(paths: &[PathBuf], out: &mut dyn Write) -> anyhow::Result<ExitStatus> {
    let mut sources = builtin::sources();
    let extra = read_rule_paths(paths)?;
    let checked_origins: Vec<String> = if paths.is_empty() {
        sources.iter().map(|s| s.origin.clone()).collect()
    } else {
        extra.iter().map(|s| s.origin.clone()).collect()
    };
    sources.extend(extra);
    let set = match RuleSet::compile(&sources) {
        Ok(set) => set,
        Err(errors) => {
            writeln!(out, "{errors}")?;
            return Ok(ExitStatus::Findings(1));
        }
    };
    let mut report =
        check::check(&Arc::new(set), |origin| checked_origins.iter().any(|o| o == origin));
    if paths.is_empty() {
        let (validators, problems) = check_validators(&RuleSet::compile(&sources)?);
        writeln!(out, "{validators} validators loaded, their example answers checked")?;
        report.problems.extend(problems);
    }
    for problem in &report.problems {
        writeln!(out, "FAIL {problem}")?;
    }
    writeln!(
        out,
        "{} rules checked, {} examples and {} negative examples proven, {} problem(s)",
        report.rules,
        report.examples,
        report.negative_examples,
        report.problems.len()
    )?;
    Ok(if report.problems.is_empty() { ExitStatus::Clean } else { ExitStatus::Findings(1) })
}
