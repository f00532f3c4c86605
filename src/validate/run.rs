//! Sending the planned requests: a bounded pool of workers (the global concurrency limit), a
//! per-host pacer, bounded retries, and the ledger.
//!
//! Each worker takes a job, waits its host's turn, sends, reads the answer with the validator's
//! response rules, and retries 429/5xx/timeouts/network errors as [`RetryPolicy`] allows. The
//! outcome of job `i` is returned at index `i`, so results do not depend on scheduling.

use std::time::Duration;

use crossbeam_channel::unbounded;

use super::ValidationConfig;
use super::clock::Timestamp;
use super::http::Client;
use super::interpret::{Decision, capture, interpret};
use super::ledger::{Ledger, LedgerEntry};
use super::limits::{HostPacer, RetryPolicy};
use super::plan::Job;
use super::status::{UnknownReason, Validation, ValidationStatus};
use crate::finding::Finding;

/// Runs every job; the outcome of `jobs[i]` is at index `i`.
#[allow(clippy::expect_used, reason = "the workers hold the receiver until every job is sent")]
pub(crate) fn run(
    jobs: &[Job<'_>],
    findings: &[Finding],
    config: &ValidationConfig,
    ledger: Option<&Ledger>,
) -> std::io::Result<Vec<Validation>> {
    if jobs.is_empty() {
        return Ok(Vec::new());
    }
    let client = Client::new(config.timeout, config.allow_internal_ips);
    let pacer = HostPacer::new(config.rate_per_host);
    let policy = RetryPolicy {
        retries: config.retries,
        base_backoff: config.base_backoff,
        max_wait: config.max_retry_wait,
    };
    let (job_tx, job_rx) = unbounded::<usize>();
    let (done_tx, done_rx) = unbounded::<(usize, Validation)>();
    for index in 0..jobs.len() {
        job_tx.send(index).expect("receiver alive");
    }
    drop(job_tx);
    let workers = config.concurrency.clamp(1, jobs.len());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let (job_rx, done_tx) = (job_rx.clone(), done_tx.clone());
            let (client, pacer) = (&client, &pacer);
            scope.spawn(move || {
                for index in job_rx {
                    let outcome = check(&jobs[index], client, pacer, &policy);
                    let _ = done_tx.send((index, outcome));
                }
            });
        }
    });
    drop(done_tx);
    let mut outcomes = vec![Validation::unknown(UnknownReason::Network); jobs.len()];
    for (index, outcome) in done_rx {
        outcomes[index] = outcome;
    }
    if let Some(ledger) = ledger {
        record(ledger, jobs, findings, &outcomes)?;
    }
    Ok(outcomes)
}

/// Sends one job, retrying as the policy allows.
fn check(job: &Job<'_>, client: &Client, pacer: &HostPacer, policy: &RetryPolicy) -> Validation {
    let mut attempt = 0;
    loop {
        pacer.wait_turn(&job.request.authority);
        let checked_at = Some(Timestamp::now().rfc3339());
        let mut details = std::collections::BTreeMap::new();
        let decision = match client.send(&job.request) {
            Ok(answer) => {
                let decision = interpret(&job.validator.spec.responses, &answer);
                if decision == Decision::Final(ValidationStatus::Valid) {
                    details = capture(&job.validator.spec.capture, &answer, &job.request);
                }
                decision
            }
            Err(reason) => transport_decision(reason),
        };
        let (status, reason) = match decision {
            Decision::Final(status) => (status, None),
            Decision::Unknown(reason) => (ValidationStatus::Unknown, Some(reason)),
            Decision::Retry { reason, after } => match policy.wait_before(attempt, after) {
                Some(wait) => {
                    sleep(wait);
                    attempt += 1;
                    continue;
                }
                None => (ValidationStatus::Unknown, Some(reason)),
            },
        };
        return Validation { status, reason, checked_at, details };
    }
}

/// Timeouts and network errors are worth one more try; a refused address or an unrenderable
/// request is not.
fn transport_decision(reason: UnknownReason) -> Decision {
    match reason {
        UnknownReason::Timeout | UnknownReason::Network => Decision::Retry { reason, after: None },
        other => Decision::Unknown(other),
    }
}

fn sleep(wait: Duration) {
    if !wait.is_zero() {
        std::thread::sleep(wait);
    }
}

/// One ledger line per finding whose credential left this machine (or may have: a network
/// error can come after the request was written). A refused address sent nothing.
fn record(
    ledger: &Ledger,
    jobs: &[Job<'_>],
    findings: &[Finding],
    outcomes: &[Validation],
) -> std::io::Result<()> {
    for (job, outcome) in jobs.iter().zip(outcomes) {
        if matches!(
            outcome.reason,
            Some(UnknownReason::BlockedAddress | UnknownReason::Unrenderable)
        ) {
            continue;
        }
        let time = outcome.checked_at.as_deref().unwrap_or_default();
        for &index in &job.findings {
            ledger.record(&LedgerEntry {
                time,
                rule: &findings[index].rule_id,
                fingerprint: &findings[index].fingerprint,
                validator: &job.validator.spec.id,
                host: &job.request.authority,
                outcome,
            })?;
        }
    }
    ledger.flush()
}
