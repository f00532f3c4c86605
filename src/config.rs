//! Configuration: command-line flags resolved once into immutable, documented structs.
//!
//! clap types in [`crate::cli`] only describe and validate flags; `resolve_scan` turns them
//! into a [`ScanConfig`] (what to read) and an [`OutputConfig`] (how to report), so the rest of
//! the program never looks at raw flags or the environment (STYLE.md habit 2).

pub mod repo;

use std::io::IsTerminal;
use std::path::PathBuf;

use crate::report::ReportFormat;

/// What to scan and how to read it.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    /// Files and directories; `-` is stdin.
    pub paths: Vec<PathBuf>,
    /// Scan files excluded by `.gitignore`, `.ignore` and `.leakhoundignore`.
    pub no_ignore: bool,
    /// Scan files that look binary instead of skipping them.
    pub scan_binary: bool,
    /// Skip (and report) files larger than this many bytes; `None`: no limit.
    pub max_file_size: Option<u64>,
    /// Worker threads (at least 1).
    pub threads: usize,
    /// Extra rule files or directories, added to the built-ins.
    pub rules: Vec<PathBuf>,
    /// Progress counters to bump, when a progress line is drawn.
    pub progress: Option<std::sync::Arc<crate::progress::Progress>>,
}

/// What may suppress findings: resolved from `-c/--config` (or `LEAKHOUND_CONFIG`),
/// `--no-repo-config`, `--baseline-path` and `--no-inline-allow`.
#[derive(Debug, Clone, Default)]
pub struct FilterConfig {
    /// An explicit configuration file; it replaces the scan root's own `.leakhound.toml`.
    pub config: Option<PathBuf>,
    /// Read `.leakhound.toml` files from the scanned tree (false with `--no-repo-config`).
    pub repo_config: bool,
    /// A baseline of accepted findings.
    pub baseline: Option<PathBuf>,
    /// Honour inline allow markers (false with `--no-inline-allow`).
    pub inline_allow: bool,
}

/// How to report.
#[derive(Debug, Clone)]
pub struct OutputConfig {
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
    pub progress: crate::progress::ProgressChoice,
    /// The lowest confidence reported (`--min-confidence`).
    pub min_confidence: crate::rules::Confidence,
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

impl ColorChoice {
    /// Resolves `auto` against the environment and whether stdout is a terminal.
    pub fn resolve(self, writing_to_stdout: bool) -> bool {
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
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// Parses a size such as `500`, `64K`, `10MB`, `1MiB`, `2G` (binary multiples).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let number: u64 = digits.parse().map_err(|_| format!("{text:?} is not a size like 10M or 500K"))?;
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
