//! `leakhound trace [REPO]`: where one secret has been, across every ref and object.
//!
//! The secret comes from stdin (`--stdin`), or from a fingerprint (`--fingerprint`, as any report
//! prints it): the repository's history is scanned with the rules and the finding with that
//! fingerprint gives the secret, which never appears on the command line. The timeline itself is
//! [`crate::trace`]'s; this file resolves flags and writes it as text or JSON, redacted unless
//! `--show-secrets`. Exit status: 0 the secret is nowhere, 1 it was found, 2 something could not
//! be read (or the fingerprint matched nothing).

use std::io::{Read as _, Write};
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::{Args, ValueEnum};
use serde_json::json;

use crate::ExitStatus;
use crate::config::{Config, GitMode};
use crate::finding::Secret;
use crate::pipeline::{self, Target};
use crate::sanitize::escape_for_terminal;
use crate::trace::{Occurrence, RefExposure, RefKind, Timeline, TraceConfig};

/// Arguments of `leakhound trace`.
#[derive(Debug, Args)]
pub(crate) struct TraceArgs {
    /// The repository: a work tree, a `.git` directory or a bare repository.
    #[arg(value_name = "REPO", default_value = ".")]
    repo: PathBuf,
    /// Read the secret from stdin (one trailing newline is dropped).
    #[arg(long, conflicts_with = "fingerprint", required_unless_present = "fingerprint")]
    stdin: bool,
    /// Trace the secret of the finding with this fingerprint (found by scanning the history).
    #[arg(long, value_name = "FP")]
    fingerprint: Option<String>,
    /// Add rules from a YAML file or directory (to find a fingerprint of a custom rule).
    #[arg(long = "rules", value_name = "PATH")]
    rules: Vec<PathBuf>,
    /// Output format.
    #[arg(short = 'f', long = "report-format", value_enum, default_value_t = TraceFormat::Text)]
    format: TraceFormat,
    /// Show the full secret (redacted by default).
    #[arg(long)]
    show_secrets: bool,
    /// Follow `.git` files and object alternates that point outside the repository.
    #[arg(long)]
    allow_external_objects: bool,
    /// Worker threads (default: available cores).
    #[arg(short = 'j', long = "threads", value_name = "N")]
    threads: Option<usize>,
}

/// Output formats of `trace`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum TraceFormat {
    /// Human-readable text.
    Text,
    /// One JSON document.
    Json,
}

pub(crate) fn run(args: &TraceArgs) -> anyhow::Result<ExitStatus> {
    let config = TraceConfig {
        repo: args.repo.clone(),
        allow_external_objects: args.allow_external_objects,
        threads: args.threads.unwrap_or_else(crate::config::default_threads).max(1),
    };
    let secret = match &args.fingerprint {
        Some(fp) => secret_by_fingerprint(&config, &args.rules, fp)?,
        None => read_stdin_secret()?,
    };
    let timeline = crate::trace::trace(&config, &secret)?;
    let shown = if args.show_secrets {
        String::from_utf8_lossy(secret.expose()).into_owned()
    } else {
        secret.redacted()
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match args.format {
        TraceFormat::Text => write_text(&timeline, &shown, &mut out)?,
        TraceFormat::Json => write_json(&timeline, &shown, !args.show_secrets, &mut out)?,
    }
    out.flush()?;
    Ok(if timeline.incomplete() {
        ExitStatus::Error
    } else if timeline.occurrences.is_empty() {
        ExitStatus::Clean
    } else {
        ExitStatus::Findings(1)
    })
}

fn read_stdin_secret() -> anyhow::Result<Secret> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(1 << 20)
        .read_to_end(&mut bytes)
        .context("cannot read the secret from stdin")?;
    if bytes.ends_with(b"\n") {
        bytes.pop();
        if bytes.ends_with(b"\r") {
            bytes.pop();
        }
    }
    if bytes.is_empty() {
        bail!("no secret on stdin");
    }
    Ok(Secret::new(bytes))
}

/// Scans the history through the pipeline (the repository's configuration applies) and returns
/// the secret of the finding, active or suppressed, with `fingerprint`.
fn secret_by_fingerprint(
    config: &TraceConfig,
    rules: &[PathBuf],
    fingerprint: &str,
) -> anyhow::Result<Secret> {
    let mut run = Config {
        rules: rules.to_vec(),
        allow_external_objects: config.allow_external_objects,
        ..Config::default()
    };
    run.read.threads = config.threads;
    let target = Target::Git { repo: config.repo.clone(), mode: GitMode::History };
    let scanned = pipeline::run(&target, &run, None)?;
    let outcome = scanned.outcome;
    match outcome
        .findings
        .into_iter()
        .chain(outcome.suppressed)
        .find(|f| f.fingerprint == fingerprint)
    {
        Some(finding) => Ok(finding.secret),
        None => bail!(
            "no finding in the history of {} has fingerprint {fingerprint:?}",
            config.repo.display()
        ),
    }
}

fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

fn names(refs: &[&RefExposure]) -> String {
    refs.iter().map(|r| escape_for_terminal(&r.name).into_owned()).collect::<Vec<_>>().join(", ")
}

fn write_text(t: &Timeline, shown: &str, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "Trace of {}", escape_for_terminal(shown))?;
    if t.occurrences.is_empty() {
        writeln!(out, "  not found in any object of the repository")?;
        return write_notices(t, out);
    }
    if let Some(first) = t.first()
        && let Some(c) = &first.commit
    {
        let who = escape_for_terminal(&format!("{} <{}>", c.author, c.email)).into_owned();
        writeln!(out, "  first seen   {} in commit {} by {who}", c.date, short(&c.id))?;
        writeln!(out, "               at {}", escape_for_terminal(&first.path))?;
    }
    let head =
        t.default_branch.as_deref().map_or_else(|| "a detached HEAD".into(), escape_for_terminal);
    let at_head = if t.at_head { "yes: HEAD" } else { "no: HEAD" };
    writeln!(
        out,
        "  at HEAD      {at_head} ({head}) {}",
        if t.at_head { "holds it" } else { "does not hold it" }
    )?;
    let reached =
        |kind: RefKind| t.refs.iter().filter(|r| r.kind == kind && r.reached).collect::<Vec<_>>();
    let tags = reached(RefKind::Tag);
    let remotes = reached(RefKind::Remote);
    let released = if tags.is_empty() {
        "no tag reaches it".to_string()
    } else {
        format!("yes: {}", names(&tags))
    };
    let pushed = if remotes.is_empty() {
        "no remote-tracking ref reaches it".to_string()
    } else {
        format!("yes: {}", names(&remotes))
    };
    writeln!(out, "  released     {released}")?;
    writeln!(out, "  pushed       {pushed}")?;
    if t.unreachable_only() {
        writeln!(out, "  survives     only in unreachable objects (gc or a rewrite left them)")?;
    }
    writeln!(out, "  authors      {}", escape_for_terminal(&t.authors().join(", ")))?;
    writeln!(out, "Occurrences ({}), oldest first:", t.occurrences.len())?;
    for o in &t.occurrences {
        write_occurrence(o, out)?;
    }
    writeln!(out, "Refs:")?;
    for r in &t.refs {
        writeln!(out, "  {:<28} {}", escape_for_terminal(&r.name), ref_state(r))?;
    }
    write_notices(t, out)
}

fn write_occurrence(o: &Occurrence, out: &mut dyn Write) -> std::io::Result<()> {
    let decoded = o.decoded.as_deref().map(|d| format!(" (decoded: {d})")).unwrap_or_default();
    writeln!(
        out,
        "  {}:{}:{}{decoded}, blob {}",
        escape_for_terminal(&o.path),
        o.line,
        o.column,
        short(&o.blob)
    )?;
    match &o.commit {
        Some(c) => {
            let unreachable = if o.state == "reachable" { "" } else { " (unreachable)" };
            let who = escape_for_terminal(&format!("{} <{}>", c.author, c.email)).into_owned();
            writeln!(out, "    added {} in commit {}{unreachable} by {who}", c.date, short(&c.id))
        }
        None => writeln!(out, "    in an unreachable blob (no commit holds it)"),
    }
}

fn ref_state(r: &RefExposure) -> String {
    match (&r.removed_by, r.at_tip, r.reached) {
        (_, true, _) => "holds it at its tip".to_string(),
        (Some(c), _, _) => {
            let who = escape_for_terminal(&c.author).into_owned();
            format!(
                "removed by commit {} on {} ({who})",
                short(&c.id),
                &c.date[..c.date.len().min(10)]
            )
        }
        (None, false, true) => "reaches it in its history".to_string(),
        (None, false, false) => "never held it".to_string(),
    }
}

fn write_notices(t: &Timeline, out: &mut dyn Write) -> std::io::Result<()> {
    for n in &t.notices {
        let path = n.path().map(|p| format!("{}: ", escape_for_terminal(p))).unwrap_or_default();
        writeln!(out, "  {}: {path}{}", n.level.as_str(), escape_for_terminal(&n.message))?;
    }
    if t.incomplete() {
        writeln!(out, "  (the timeline is INCOMPLETE: see the errors above)")?;
    }
    Ok(())
}

fn write_json(
    t: &Timeline,
    shown: &str,
    redacted: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let names_of = |kind: RefKind| {
        t.refs
            .iter()
            .filter(|r| r.kind == kind && r.reached)
            .map(|r| r.name.clone())
            .collect::<Vec<_>>()
    };
    let notices: Vec<_> = t
        .notices
        .iter()
        .map(|n| json!({"level": n.level.as_str(), "kind": n.kind.as_str(), "path": n.path(), "message": n.message}))
        .collect();
    let document = json!({
        "secret": shown,
        "redacted": redacted,
        "found": !t.occurrences.is_empty(),
        "first": t.first(),
        "default_branch": t.default_branch,
        "at_head": t.at_head,
        "released_in": names_of(RefKind::Tag),
        "pushed_to": names_of(RefKind::Remote),
        "unreachable_only": t.unreachable_only(),
        "authors": t.authors(),
        "occurrences": t.occurrences,
        "refs": t.refs,
        "notices": notices,
        "complete": !t.incomplete(),
    });
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}
