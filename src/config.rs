//! Configuration: command-line flags resolved once into immutable, documented structs.
//!
//! clap types in the command line only describe and validate flags; the CLI resolves them once
//! into a [`Config`] (what the pipeline does, values only) and an [`OutputConfig`] (how to
//! report), so the rest of the program never looks at raw flags or the environment. Nothing live
//! (progress, caches, clients) is stored here: those are passed in.

pub(crate) mod repo;

use std::io::IsTerminal;
use std::path::PathBuf;

use crate::report::ReportFormat;

/// How content is read, for every target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadConfig {
    /// Scan files (or blobs) that look binary instead of skipping them.
    pub scan_binary: bool,
    /// Skip (and report) items larger than this many bytes; `None`: no limit.
    pub max_file_size: Option<u64>,
    /// Worker threads (at least 1).
    pub threads: usize,
    /// Scan files excluded by `.gitignore`, `.ignore` and `.leakhoundignore`.
    pub no_ignore: bool,
    /// Scan the printable runs of items that look binary (off with `--no-binary-strings`).
    pub binary_strings: bool,
    /// Open archives within these bounds; `None` with `--no-archives`.
    pub archives: Option<crate::source::archive::Limits>,
}

impl Default for ReadConfig {
    fn default() -> Self {
        ReadConfig {
            scan_binary: false,
            max_file_size: None,
            threads: default_threads(),
            no_ignore: false,
            binary_strings: true,
            archives: Some(crate::source::archive::Limits::default()),
        }
    }
}

pub use crate::outcome::GitMode;

/// Whether and how to check findings live (`--validate`, `--only-valid`).
#[derive(Debug, Clone, Default)]
pub struct ValidationChoice {
    /// Validate at all.
    pub validate: bool,
    /// Keep only findings confirmed live (implies `validate`).
    pub only_valid: bool,
    /// How requests are sent.
    pub connection: crate::validate::ValidationConfig,
}

/// One run's settings, resolved once from flags, environment and the `-c` file; values only.
///
/// Progress is not here: it is an observer passed to [`crate::pipeline::run`].
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// How content is read.
    pub read: ReadConfig,
    /// Extra rule files or directories, added to the built-ins.
    pub rules: Vec<PathBuf>,
    /// What may suppress findings.
    pub filter: FilterConfig,
    /// Live validation.
    pub validation: ValidationChoice,
    /// Follow `.git` files and object alternates that point outside the repository.
    pub allow_external_objects: bool,
    /// Accept missing git history (shallow or partial clone, absent objects) instead of exit 2;
    /// the coverage record says so.
    pub allow_missing_objects: bool,
    /// `--shard I/N` (git history): match only this shard's blobs; the report carries what
    /// `report merge` needs, and the stages that depend on all of a finding's locations (context,
    /// illustrations, `--min-confidence`) are left to the merge. Validation does not run in a
    /// shard (the command line refuses `--validate` with `--shard`).
    pub shard: Option<crate::outcome::Shard>,
    /// The incremental cache of a git history scan (off unless asked for).
    pub git_cache: GitCache,
}

/// Where a git history scan keeps its incremental cache ([docs/git.md]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum GitCache {
    /// No cache.
    #[default]
    Off,
    /// Under the repository's git directory (`leakhound/cache.redb`) when it is writable; the
    /// command line's default.
    Auto,
    /// In this directory, one file per repository (`--cache DIR`).
    Dir(std::path::PathBuf),
    /// In this directory, one file per *source* (`leakhound repos --cache DIR`): each run clones
    /// into a new directory, so the file is named after where the repository came from.
    Keyed {
        /// The cache directory.
        dir: std::path::PathBuf,
        /// The source (a clone URL without credentials, or a path).
        source: String,
    },
}

/// What may suppress findings: resolved from `-c/--config` (or `LEAKHOUND_CONFIG`),
/// `--no-repo-config`, `--baseline-path` and `--no-inline-allow`.
#[derive(Debug, Clone)]
#[allow(clippy::struct_excessive_bools, reason = "independent switches, each one flag")]
pub struct FilterConfig {
    /// An explicit configuration file; it replaces the scan root's own `.leakhound.toml`.
    pub config: Option<PathBuf>,
    /// Read `.leakhound.toml` files from the scanned tree (false with `--no-repo-config`).
    pub repo_config: bool,
    /// A baseline of accepted findings (`--baseline-path`).
    pub baseline: Option<PathBuf>,
    /// Without `baseline`, read the scan root's own `.leakhound-baseline` (true unless
    /// `--no-repo-config`; false when writing a baseline, which must see every finding).
    pub root_baseline: bool,
    /// Honour inline allow markers (false with `--no-inline-allow`).
    pub inline_allow: bool,
    /// Report only findings of at least this confidence (`--min-confidence`); `None` reports all.
    pub min_confidence: Option<crate::rules::Confidence>,
    /// `--strict`: nothing the scanned repository supplies (config files, ignore files, inline
    /// markers) is honoured; the coverage record says so.
    pub strict: bool,
}

impl Default for FilterConfig {
    /// What the command line does without flags: repository configuration, the root's own
    /// baseline and inline markers count; no `-c` file, no `--baseline-path`.
    fn default() -> Self {
        FilterConfig {
            config: None,
            repo_config: true,
            baseline: None,
            root_baseline: true,
            inline_allow: true,
            min_confidence: None,
            strict: false,
        }
    }
}

/// How to report.
#[derive(Debug, Clone)]
pub(crate) struct OutputConfig {
    /// Report format.
    pub format: ReportFormat,
    /// Report file; `None` is stdout.
    pub report_path: Option<PathBuf>,
    /// Show full secrets instead of redacted ones.
    pub show_secrets: bool,
    /// Exit code when there are findings.
    pub exit_code: u8,
    /// Colour the text report.
    pub color: bool,
    /// No summary or notices on stderr.
    pub quiet: bool,
    /// When to draw a progress line on stderr.
    pub progress: ProgressChoice,
}

/// When to show progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub(crate) enum ProgressChoice {
    /// On a terminal.
    #[default]
    Auto,
    /// Always (for terminals that do not say they are one).
    Always,
    /// Never.
    Never,
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

impl ColorChoice {
    /// Resolves `auto` against the environment and whether stdout is a terminal.
    pub(crate) fn resolve(self, writing_to_stdout: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                writing_to_stdout
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stdout().is_terminal()
            }
        }
    }
}

/// The default worker count: the machine's available parallelism.
pub(crate) fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// Parses a size such as `500`, `64K`, `10MB`, `1MiB`, `2G` (binary multiples).
pub(crate) fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let number: u64 =
        digits.parse().map_err(|_| format!("{text:?} is not a size like 10M or 500K"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        other => return Err(format!("unknown size unit {other:?} (use K, M or G)")),
    };
    number.checked_mul(1 << shift).ok_or_else(|| format!("{text:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("500"), Ok(500));
        assert_eq!(parse_size("64K"), Ok(64 << 10));
        assert_eq!(parse_size("10MB"), Ok(10 << 20));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert!(parse_size("ten").is_err());
        assert!(parse_size("5T").is_err());
    }
}
