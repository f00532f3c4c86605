//! The image source in the pipeline: reads a container image ([`crate::source::image`]) and
//! collects its matches and counts like every other source.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use crate::config::ReadConfig;
use crate::finding::Collector;
use crate::matcher::Matcher;
use crate::outcome::{Coverage, Observer, ScanMode, ScanOutcome, SkipReason, Subject, Tally};
use crate::source::display_path;
use crate::source::image::{self, ImageError};

/// Scans the image at `path`.
pub(super) fn scan(
    path: &Path,
    read: &ReadConfig,
    matcher: &Matcher,
    observer: Option<&Arc<dyn Observer>>,
) -> Result<ScanOutcome, ImageError> {
    let started = Instant::now();
    let report = image::scan(path, read, matcher)?;
    if let Some(observer) = observer {
        observer.item(report.bytes, report.matches.len() as u64);
    }
    let mut collector = Collector::new();
    let mut tally = Tally::default();
    tally.stats.items_scanned += report.items;
    tally.stats.bytes_scanned += report.bytes;
    for found in report.matches {
        collector.add_in_image(matcher.rules(), &found.path, found.origin, found.found);
    }
    for path in &report.binary {
        tally.skipped(SkipReason::Binary, Some(path));
    }
    for (path, size) in report.too_large {
        tally.too_large(Subject::Path(path), size);
    }
    for notice in report.notices {
        tally.notice(notice);
    }
    let coverage =
        Coverage { mode: ScanMode::Image, roots: vec![display_path(path)], ..Coverage::default() };
    Ok(tally.finish(collector.finish(), coverage, started.elapsed()))
}
