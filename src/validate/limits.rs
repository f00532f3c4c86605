//! Politeness: a per-host request spacing and the retry policy.
//!
//! The global concurrency limit is the worker count in [`super::run`]; this module spaces
//! requests to the same host (`--validation-rate` per second) and decides how long to wait before
//! asking again after a 429 or 5xx: the provider's `Retry-After` when it gives one in seconds,
//! otherwise exponential backoff, and never longer than the configured cap (a longer wait ends
//! the check as `unknown`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Spaces requests to each host at least `interval` apart, across all workers.
#[derive(Debug)]
pub(crate) struct HostPacer {
    interval: Duration,
    next_slot: Mutex<HashMap<String, Instant>>,
}

impl HostPacer {
    /// `per_second` requests per host per second (0 means no spacing).
    pub(crate) fn new(per_second: u32) -> HostPacer {
        let interval =
            if per_second == 0 { Duration::ZERO } else { Duration::from_secs(1) / per_second };
        HostPacer { interval, next_slot: Mutex::new(HashMap::new()) }
    }

    /// Blocks until a request to `host` may be sent.
    pub(crate) fn wait_turn(&self, host: &str) {
        let wait = {
            let mut slots =
                self.next_slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let now = Instant::now();
            let slot = slots.entry(host.to_string()).or_insert(now);
            let start = (*slot).max(now);
            *slot = start + self.interval;
            start - now
        };
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
    }
}

/// How often and how long to retry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RetryPolicy {
    /// Retries after the first attempt.
    pub(crate) retries: u32,
    /// The first backoff when the provider gives no `Retry-After`; doubles each retry.
    pub(crate) base_backoff: Duration,
    /// The longest wait accepted; a longer `Retry-After` ends the check.
    pub(crate) max_wait: Duration,
}

impl RetryPolicy {
    /// How long to wait before retry number `attempt` (0-based), or `None` to give up.
    pub(crate) fn wait_before(
        &self,
        attempt: u32,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        if attempt >= self.retries {
            return None;
        }
        let wait = retry_after.unwrap_or_else(|| self.base_backoff * 2u32.saturating_pow(attempt));
        (wait <= self.max_wait).then_some(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_are_bounded_and_honour_retry_after() {
        let policy = RetryPolicy {
            retries: 2,
            base_backoff: Duration::from_millis(100),
            max_wait: Duration::from_secs(5),
        };
        assert_eq!(policy.wait_before(0, None), Some(Duration::from_millis(100)));
        assert_eq!(policy.wait_before(1, None), Some(Duration::from_millis(200)));
        assert_eq!(policy.wait_before(2, None), None);
        assert_eq!(
            policy.wait_before(0, Some(Duration::from_secs(3))),
            Some(Duration::from_secs(3))
        );
        assert_eq!(policy.wait_before(0, Some(Duration::from_mins(1))), None);
    }

    #[test]
    fn requests_to_one_host_are_spaced() {
        let pacer = HostPacer::new(20);
        let started = Instant::now();
        for _ in 0..3 {
            pacer.wait_turn("api.example.com");
        }
        pacer.wait_turn("other.example.com");
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(100), "{elapsed:?}");
        assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
    }
}
