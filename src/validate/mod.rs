//! Live validation (`--validate`, DESIGN.md §5): is a found credential live?
//!
//! Any subcommand calls [`validate_findings`] after collecting findings. The work is split in
//! three steps, each its own module:
//! 1. `plan`: for each finding, its validator ([`catalog`], data from
//!    `rules/validators/*.yaml`), the values the request needs (the secret, the rule's named
//!    groups, companion parts found nearby), the rendered request, and the canary check. Findings
//!    whose requests are identical share one check: every distinct credential is checked once.
//! 2. `run`: a bounded pool of workers sends the requests, spacing them per host, retrying
//!    429/5xx with bounded backoff, reading each answer with the validator's response rules.
//! 3. The results are written back to the findings and counted in a [`ValidationSummary`].
//!
//! Safety is structural, not a convention: a validator's host is a literal in its file and no
//! template can reach it ([`catalog`]); the HTTP client verifies certificates, never follows a
//! redirect, and refuses non-public addresses in its resolver (`http`, [`guard`]); known
//! canary tokens are never sent ([`canary`]); secrets never appear in errors, logs or the
//! ledger ([`ledger`]), which only ever see fingerprints and redacted forms.
//!
//! Offline checks ([`offline`]) need no network and run on every scan.

pub(crate) mod aws;
pub(crate) mod canary;
pub(crate) mod catalog;
pub(crate) mod endpoint;
#[cfg(feature = "validate")]
pub(crate) mod guard;
pub(crate) mod interpret;
#[cfg_attr(
    not(feature = "validate"),
    allow(dead_code, reason = "without live validation the ledger is opened but never written")
)]
pub(crate) mod ledger;
pub(crate) mod offline;
pub(crate) mod spec;
pub(crate) mod template;

mod clock;
#[cfg(feature = "validate")]
mod http;
#[cfg(feature = "validate")]
mod limits;
mod plan;
mod request;
#[cfg(feature = "validate")]
mod run;
pub(crate) mod status;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

pub(crate) use catalog::{Catalog, CatalogErrors};
pub(crate) use clock::Timestamp;
pub(crate) use endpoint::EndpointOverride;
pub use status::{UnknownReason, Validation, ValidationStatus};

use crate::finding::Finding;
use crate::rules::RuleSet;

/// How to validate: resolved once from flags (every field has a safe default).
#[derive(Debug, Clone)]
pub struct ValidationConfig {
    /// Requests in flight at once, over all hosts.
    pub concurrency: usize,
    /// Requests per second to any one host (0: no spacing).
    pub rate_per_host: u32,
    /// Timeout of one request, connection included.
    pub timeout: Duration,
    /// Retries after a 429, a 5xx, a timeout or a network error.
    pub retries: u32,
    /// The first backoff when the provider gives no `Retry-After`; doubles each retry.
    pub base_backoff: Duration,
    /// The longest wait before a retry; a longer `Retry-After` ends the check as `unknown`.
    pub max_retry_wait: Duration,
    /// `--validation-endpoint HOST=URL` overrides (trusted, see `validate::endpoint`).
    pub endpoints: Vec<EndpointOverride>,
    /// Lift the private-address guard for provider hosts too.
    pub allow_internal_ips: bool,
    /// Where to append the JSONL ledger.
    pub ledger: Option<PathBuf>,
}

impl Default for ValidationConfig {
    fn default() -> ValidationConfig {
        ValidationConfig {
            concurrency: 8,
            rate_per_host: 5,
            timeout: Duration::from_secs(10),
            retries: 2,
            base_backoff: Duration::from_millis(500),
            max_retry_wait: Duration::from_secs(30),
            endpoints: Vec::new(),
            allow_internal_ips: false,
            ledger: None,
        }
    }
}

/// What a validation run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationSummary {
    /// Findings given a status by this run.
    pub findings: usize,
    /// Distinct credentials sent to a provider (one check each, retries aside).
    pub requests: usize,
    /// Findings per status.
    pub by_status: BTreeMap<ValidationStatus, usize>,
}

impl ValidationSummary {
    /// `validation: 5 finding(s), 4 check(s): 1 valid, 2 invalid, 2 unknown`.
    pub fn describe(&self) -> String {
        let counts: Vec<String> =
            self.by_status.iter().map(|(status, n)| format!("{n} {}", status.as_str())).collect();
        format!(
            "validation: {} finding(s), {} check(s){}{}",
            self.findings,
            self.requests,
            if counts.is_empty() { "" } else { ": " },
            counts.join(", ")
        )
    }
}

/// Why validation could not run at all (individual checks never fail the run).
#[derive(Debug, thiserror::Error)]
pub enum ValidationError {
    /// The validators did not load.
    #[error(transparent)]
    Catalog(#[from] CatalogErrors),
    /// This build has no HTTP client (built without the `validate` feature).
    #[error("live validation is not in this build of leakhound (the `validate` feature is off)")]
    NotBuilt,
    /// The ledger could not be opened or written.
    #[error("cannot write validation ledger {path}: {source}")]
    Ledger {
        /// The ledger path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Sends the planned requests (the `validate` feature).
#[cfg(feature = "validate")]
fn send(
    plan: &plan::Plan<'_>,
    findings: &[Finding],
    config: &ValidationConfig,
    ledger: Option<&ledger::Ledger>,
) -> Result<Vec<Validation>, ValidationError> {
    run::run(&plan.jobs, findings, config, ledger).map_err(|source| ValidationError::Ledger {
        path: config.ledger.clone().unwrap_or_default(),
        source,
    })
}

/// Without the `validate` feature there is no HTTP client: nothing can be sent.
#[cfg(not(feature = "validate"))]
fn send(
    plan: &plan::Plan<'_>,
    _findings: &[Finding],
    _config: &ValidationConfig,
    _ledger: Option<&ledger::Ledger>,
) -> Result<Vec<Validation>, ValidationError> {
    if plan.jobs.is_empty() { Ok(Vec::new()) } else { Err(ValidationError::NotBuilt) }
}

/// Validates `findings` with the built-in validators, setting each one's `validation`.
pub(crate) fn validate_findings(
    findings: &mut [Finding],
    rules: &RuleSet,
    config: &ValidationConfig,
) -> Result<ValidationSummary, ValidationError> {
    let catalog = Catalog::builtin(rules)?;
    validate_findings_with(findings, rules, &catalog, config)
}

/// Validates `findings` with `catalog` (tests and custom validators).
pub fn validate_findings_with(
    findings: &mut [Finding],
    rules: &RuleSet,
    catalog: &Catalog,
    config: &ValidationConfig,
) -> Result<ValidationSummary, ValidationError> {
    let ledger_error = |source| ValidationError::Ledger {
        path: config.ledger.clone().unwrap_or_default(),
        source,
    };
    let ledger =
        config.ledger.as_deref().map(ledger::Ledger::open).transpose().map_err(ledger_error)?;
    let plan = plan::plan(findings, rules, catalog, config);
    let outcomes = send(&plan, findings, config, ledger.as_ref())?;
    let mut summary =
        ValidationSummary { requests: plan.jobs.len(), ..ValidationSummary::default() };
    let assigned = plan.immediate.into_iter().chain(
        plan.jobs
            .iter()
            .zip(outcomes)
            .flat_map(|(job, outcome)| job.findings.iter().map(move |&i| (i, outcome.clone()))),
    );
    for (index, validation) in assigned {
        summary.findings += 1;
        *summary.by_status.entry(validation.status).or_default() += 1;
        findings[index].validation = Some(validation);
    }
    Ok(summary)
}
