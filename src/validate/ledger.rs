//! `--validation-ledger FILE`: one JSON line per finding whose credential was sent to a host,
//! saying when, which rule and fingerprint, which host, and what came back. Never the secret:
//! an audit of where credentials went must not become a new leak.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;

use serde::Serialize;

use super::status::Validation;

/// One ledger line.
#[derive(Debug, Serialize)]
pub(crate) struct LedgerEntry<'a> {
    /// When the request was sent (RFC 3339, UTC).
    pub time: &'a str,
    /// The finding's rule id.
    pub rule: &'a str,
    /// The finding's fingerprint (a hash; the secret cannot be recovered from it).
    pub fingerprint: &'a str,
    /// The validator that built the request.
    pub validator: &'a str,
    /// The `host[:port]` the credential was sent to.
    pub host: &'a str,
    /// The outcome.
    pub outcome: &'a Validation,
}

/// An append-only JSONL file shared by the workers.
#[derive(Debug)]
pub(crate) struct Ledger {
    out: Mutex<BufWriter<File>>,
}

impl Ledger {
    /// Opens `path` for appending (creating it).
    pub(crate) fn open(path: &Path) -> std::io::Result<Ledger> {
        let file = File::options().create(true).append(true).open(path)?;
        Ok(Ledger { out: Mutex::new(BufWriter::new(file)) })
    }

    /// Appends one line.
    pub(crate) fn record(&self, entry: &LedgerEntry<'_>) -> std::io::Result<()> {
        let mut out = self.out.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        serde_json::to_writer(&mut *out, entry)?;
        writeln!(out)
    }

    /// Flushes buffered lines.
    pub(crate) fn flush(&self) -> std::io::Result<()> {
        self.out.lock().unwrap_or_else(std::sync::PoisonError::into_inner).flush()
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods, reason = "tests read the files they wrote")]
mod tests {
    use super::*;
    use crate::validate::status::ValidationStatus;

    #[test]
    fn writes_one_json_line_per_entry() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.jsonl");
        let ledger = Ledger::open(&path).unwrap();
        let outcome = Validation {
            status: ValidationStatus::Invalid,
            reason: None,
            checked_at: Some("2026-01-01T00:00:00Z".into()),
            details: std::collections::BTreeMap::new(),
        };
        for rule in ["a.b", "c.d"] {
            ledger
                .record(&LedgerEntry {
                    time: "2026-01-01T00:00:00Z",
                    rule,
                    fingerprint: "00ff",
                    validator: "v.x",
                    host: "api.example.com",
                    outcome: &outcome,
                })
                .unwrap();
        }
        ledger.flush().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> =
            text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1]["rule"], "c.d");
        assert_eq!(lines[0]["outcome"]["status"], "invalid");
        assert_eq!(lines[0]["host"], "api.example.com");
    }
}
