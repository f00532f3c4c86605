//! The process exit status: a closed set of outcomes (DESIGN.md §6).
//!
//! `0` no findings and everything read, `1` findings (or the user's `--exit-code`), `2` an error:
//! bad arguments or config, or any content that could not be read. Errors win over findings so a
//! scan never looks clean, or merely "dirty", when it was incomplete.

use std::process::ExitCode;

/// How a leakhound run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// No findings, and every item was read.
    Clean,
    /// At least one unsuppressed finding; carries the code to exit with (default 1).
    Findings(u8),
    /// Bad usage, or something could not be read: the results are incomplete.
    Error,
}

impl ExitStatus {
    /// The numeric process exit code.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Clean => 0,
            ExitStatus::Findings(code) => code,
            ExitStatus::Error => 2,
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        ExitCode::from(status.code())
    }
}
