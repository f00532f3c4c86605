//! The `leakhound._native` extension module: leakhound's scanner for Python.
//!
//! The rules are compiled once per process, on the first `scan_text`/`scan_bytes` call, and kept
//! in a [`OnceLock`]; every later buffer reuses them (a peer's users found a ~3 s
//! start-up per call unusable). `scan_path` and `scan_git` run the whole pipeline, which reads the
//! scanned tree's `.leakhound.toml` and so compiles the rules for that tree on each call.
//!
//! Secrets are redacted unless a call passes `show_secrets=True`; no fingerprint (a hash of the
//! secret) is handed to Python. The GIL is released while scanning. The Python-facing names and
//! their types are declared in `leakhound/__init__.pyi`.

use std::path::PathBuf;
use std::sync::OnceLock;

use leakhound::outcome::ScanOutcome;
use leakhound::{Config, FilterConfig, GitMode, Scanner, Target};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(
    leakhound,
    LeakhoundError,
    PyException,
    "A scan could not start (rules, configuration, repository)."
);

/// One finding: a secret a rule matched, at its first location.
#[pyclass(frozen, get_all, module = "leakhound")]
struct Finding {
    rule_id: String,
    rule_name: String,
    secret: String,
    redacted: bool,
    path: String,
    line: u64,
    column: u64,
    end_line: u64,
    end_column: u64,
    locations: usize,
    confidence: Option<String>,
    decoded: Option<String>,
    commit: Option<String>,
}

#[pymethods]
impl Finding {
    fn __repr__(&self) -> String {
        format!("Finding(rule_id={:?}, path={:?}, line={})", self.rule_id, self.path, self.line)
    }
}

/// What a path or git scan found, and whether everything asked for was read.
#[pyclass(frozen, get_all, module = "leakhound")]
struct ScanResult {
    findings: Vec<Py<Finding>>,
    suppressed: Vec<Py<Finding>>,
    notices: Vec<String>,
    complete: bool,
    bytes_scanned: u64,
}

#[pymethods]
impl ScanResult {
    fn __repr__(&self) -> String {
        format!(
            "ScanResult(findings={}, suppressed={}, notices={}, complete={})",
            self.findings.len(),
            self.suppressed.len(),
            self.notices.len(),
            self.complete
        )
    }
}

/// The process-wide scanner for buffers, built on first use.
fn scanner() -> PyResult<&'static Scanner> {
    static SCANNER: OnceLock<Result<Scanner, String>> = OnceLock::new();
    SCANNER
        .get_or_init(|| Scanner::new(&default_config()).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| LeakhoundError::new_err(e.clone()))
}

/// The command line's defaults: repository configuration and inline allow markers apply.
fn default_config() -> Config {
    Config {
        filter: FilterConfig { repo_config: true, inline_allow: true, ..FilterConfig::default() },
        ..Config::default()
    }
}

/// A finding as Python sees it: the view `leakhound serve` sends, plus the introducing commit.
fn convert(
    py: Python<'_>,
    rules: &leakhound::RuleSet,
    finding: &leakhound::Finding,
    show: bool,
) -> PyResult<Py<Finding>> {
    let commit = finding
        .locations
        .first()
        .and_then(|l| l.git.as_ref())
        .and_then(|g| g.commit.as_ref())
        .map(|c| c.id.clone());
    let view = leakhound::FindingView::new(rules, finding, show);
    let finding = Finding {
        rule_id: view.rule_id,
        rule_name: view.rule_name,
        secret: view.secret,
        redacted: view.redacted,
        path: view.path,
        line: view.line,
        column: view.column,
        end_line: view.end_line,
        end_column: view.end_column,
        locations: view.locations,
        confidence: view.confidence.map(str::to_string),
        decoded: view.decoded,
        commit,
    };
    Py::new(py, finding)
}

fn convert_all(
    py: Python<'_>,
    rules: &leakhound::RuleSet,
    findings: &[leakhound::Finding],
    show: bool,
) -> PyResult<Vec<Py<Finding>>> {
    findings.iter().map(|f| convert(py, rules, f, show)).collect()
}

fn result(
    py: Python<'_>,
    rules: &leakhound::RuleSet,
    outcome: &ScanOutcome,
    show: bool,
) -> PyResult<ScanResult> {
    Ok(ScanResult {
        findings: convert_all(py, rules, &outcome.findings, show)?,
        suppressed: convert_all(py, rules, &outcome.suppressed, show)?,
        notices: outcome.notices.iter().map(describe_notice).collect(),
        complete: !outcome.incomplete(),
        bytes_scanned: outcome.stats.bytes_scanned,
    })
}

fn describe_notice(notice: &leakhound::Notice) -> String {
    match notice.path() {
        Some(path) => format!("{}: {path}: {}", notice.level.as_str(), notice.message),
        None => format!("{}: {}", notice.level.as_str(), notice.message),
    }
}

/// Scans a string; returns the findings that are not suppressed.
#[pyfunction]
#[pyo3(signature = (text, *, name = "<text>", show_secrets = false))]
fn scan_text(
    py: Python<'_>,
    text: &str,
    name: &str,
    show_secrets: bool,
) -> PyResult<Vec<Py<Finding>>> {
    scan_buffer(py, text.as_bytes(), name, show_secrets)
}

/// Scans bytes (UTF-16 and binary content handled as the scan reads files).
#[pyfunction]
#[pyo3(signature = (data, *, name = "<bytes>", show_secrets = false))]
fn scan_bytes(
    py: Python<'_>,
    data: &[u8],
    name: &str,
    show_secrets: bool,
) -> PyResult<Vec<Py<Finding>>> {
    scan_buffer(py, data, name, show_secrets)
}

fn scan_buffer(py: Python<'_>, data: &[u8], name: &str, show: bool) -> PyResult<Vec<Py<Finding>>> {
    let scanner = scanner()?;
    let outcome = py.detach(|| scanner.scan_bytes(name, data));
    convert_all(py, scanner.rules(), &outcome.findings, show)
}

/// Scans files and directories (as `leakhound scan PATH...`).
#[pyfunction]
#[pyo3(signature = (*paths, show_secrets = false))]
fn scan_path(py: Python<'_>, paths: Vec<PathBuf>, show_secrets: bool) -> PyResult<ScanResult> {
    run(py, &Target::Paths(paths), show_secrets)
}

/// Scans a git repository: every object (`staged=False`) or the staged index against HEAD.
#[pyfunction]
#[pyo3(signature = (repo, *, staged = false, show_secrets = false))]
fn scan_git(
    py: Python<'_>,
    repo: PathBuf,
    staged: bool,
    show_secrets: bool,
) -> PyResult<ScanResult> {
    let mode = if staged { GitMode::Staged } else { GitMode::History };
    run(py, &Target::Git { repo, mode }, show_secrets)
}

fn run(py: Python<'_>, target: &Target, show: bool) -> PyResult<ScanResult> {
    let config = default_config();
    let scanned = py
        .detach(|| leakhound::pipeline::run(target, &config, None))
        .map_err(|e| LeakhoundError::new_err(e.to_string()))?;
    result(py, &scanned.rules, &scanned.outcome, show)
}

/// The names of the compiled rules.
#[pyfunction]
fn rule_ids() -> PyResult<Vec<String>> {
    Ok(scanner()?.rules().rules().iter().map(|r| r.id().to_string()).collect())
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Finding>()?;
    m.add_class::<ScanResult>()?;
    m.add("LeakhoundError", m.py().get_type::<LeakhoundError>())?;
    m.add_function(wrap_pyfunction!(scan_text, m)?)?;
    m.add_function(wrap_pyfunction!(scan_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(scan_path, m)?)?;
    m.add_function(wrap_pyfunction!(scan_git, m)?)?;
    m.add_function(wrap_pyfunction!(rule_ids, m)?)?;
    Ok(())
}
