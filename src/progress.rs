//! The progress display: one line on stderr, redrawn a few times a second during long scans.
//!
//! Owns the counters that sources bump ([`Progress`]) and the thread that draws them
//! ([`Display`]). Counters are relaxed atomics bumped once per file or blob, so the hot path
//! pays nothing measurable. The line shows counts and rates only, never a path or a secret. It
//! is drawn only on a terminal (or with `--progress always`), never with `-q`, and is erased
//! when the scan ends so the summary starts on a clean line.

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::config::ProgressChoice;
use crate::outcome::{Observer, human_bytes};

/// How often the line is redrawn.
const TICK: Duration = Duration::from_millis(200);

/// Counters shared by the scan's workers.
#[derive(Debug)]
pub(crate) struct Progress {
    /// What an item is called: `files` or `blobs`.
    unit: &'static str,
    items: AtomicU64,
    bytes: AtomicU64,
    findings: AtomicU64,
    started: Instant,
}

impl Progress {
    /// Fresh counters for items called `unit`.
    pub(crate) fn new(unit: &'static str) -> Progress {
        Progress {
            unit,
            items: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            findings: AtomicU64::new(0),
            started: Instant::now(),
        }
    }

    /// One item of `bytes` done, with `findings` matches in it.
    pub(crate) fn item(&self, bytes: u64, findings: u64) {
        self.items.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        self.findings.fetch_add(findings, Ordering::Relaxed);
    }

    /// The line as it would be drawn now.
    pub(crate) fn line(&self) -> String {
        let items = self.items.load(Ordering::Relaxed);
        let bytes = self.bytes.load(Ordering::Relaxed);
        let findings = self.findings.load(Ordering::Relaxed);
        let millis = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX).max(1);
        format!(
            "leakhound: {items} {}, {}, {findings} match(es), {}/s",
            self.unit,
            human_bytes(bytes),
            human_bytes(bytes.saturating_mul(1000) / millis)
        )
    }
}

impl Observer for Progress {
    fn item(&self, bytes: u64, matches: u64) {
        Progress::item(self, bytes, matches);
    }
}

/// Draws a [`Progress`] on stderr until dropped.
#[derive(Debug)]
pub(crate) struct Display {
    stop: Arc<(Mutex<bool>, Condvar)>,
    drawn: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Display {
    /// Starts drawing `progress` when `choice` and the terminal say so; `None` otherwise.
    pub(crate) fn start(
        progress: &Arc<Progress>,
        choice: ProgressChoice,
        quiet: bool,
    ) -> Option<Display> {
        use std::io::IsTerminal as _;
        let on = match choice {
            ProgressChoice::Never => false,
            ProgressChoice::Always => true,
            ProgressChoice::Auto => {
                std::io::stderr().is_terminal()
                    && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
            }
        };
        if quiet || !on {
            return None;
        }
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let drawn = Arc::new(AtomicBool::new(false));
        let thread = {
            let (progress, stop, drawn) =
                (Arc::clone(progress), Arc::clone(&stop), Arc::clone(&drawn));
            std::thread::spawn(move || draw_until_stopped(&progress, &stop, &drawn))
        };
        Some(Display { stop, drawn, thread: Some(thread) })
    }
}

fn draw_until_stopped(progress: &Progress, stop: &(Mutex<bool>, Condvar), drawn: &AtomicBool) {
    let (lock, wake) = stop;
    let mut stopped = lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    while !*stopped {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{}", progress.line());
        let _ = err.flush();
        drawn.store(true, Ordering::Relaxed);
        drop(err);
        stopped =
            wake.wait_timeout(stopped, TICK).unwrap_or_else(std::sync::PoisonError::into_inner).0;
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        let (lock, wake) = &*self.stop;
        *lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = true;
        wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        if self.drawn.load(Ordering::Relaxed) {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_counts_items_bytes_and_matches() {
        let p = Progress::new("files");
        p.item(2048, 1);
        p.item(1024, 0);
        let line = p.line();
        assert!(line.starts_with("leakhound: 2 files, 3.0 KiB, 1 match(es), "), "{line}");
        assert!(line.ends_with("/s"), "{line}");
    }

    #[test]
    fn never_and_quiet_draw_nothing() {
        let p = Arc::new(Progress::new("blobs"));
        assert!(Display::start(&p, ProgressChoice::Never, false).is_none());
        assert!(Display::start(&p, ProgressChoice::Always, true).is_none());
    }
}
