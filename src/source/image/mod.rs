//! Container images: a `docker save` tarball or an OCI image layout (a directory, or the same as a
//! tar), read in place with no daemon and nothing written to disk.
//!
//! Every layer is read ([`layer`]: a layer is a tar, plain or compressed, opened by the archive
//! module within its [`Limits`](crate::source::archive::Limits) and scan budget, nested archives
//! included) and so is the image configuration (`Env`, `Labels`, `Cmd`, `Entrypoint`, and each
//! history step's `created_by`). Whiteouts (`.wh.NAME`, `.wh..wh..opq`) of the layers above decide
//! whether a secret is in the final file system or only in a lower layer; both are reported, since
//! every layer ships.
//!
//! A location reads `IMAGE!sha256:<12 hex>/etc/app.env` (the blob's digest, cut like a short image
//! id, then the path inside it; a nested archive continues with `!`), and the configuration's
//! `IMAGE!sha256:<12 hex>/config/Env/0` (a JSON pointer into it). Each carries an
//! [`ImageOrigin`]: image reference, full blob digest, layer position, history step, presence.
//!
//! Fail closed: a missing blob, a digest mismatch (every blob read is hashed), malformed JSON, a
//! manifest path leaving the image, a layer over a bound: each is a typed notice, and the rest of
//! the image is still read.

mod layer;
mod layout;
pub(crate) mod store;

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::config::ReadConfig;
use crate::content::{LocatedMatch, Reader};
use crate::finding::{ImageOrigin, ImagePresence, Secret};
use crate::matcher::Matcher;
use crate::outcome::{Notice, NoticeKind, Subject};
use crate::source::archive::{self, Limits, ScanBudget};
use crate::source::{display_path, fs};
use crate::unpack;

use layer::LayerScan;
use layout::{BlobRef, Fault, FaultKind, ImageConfig, ImageSpec};
use store::{DirStore, Store, TarStore};

/// Why an image could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The path cannot be opened.
    #[error("cannot open image {path}: {message}")]
    Open {
        /// The image path.
        path: String,
        /// Why.
        message: String,
    },
    /// Neither a `docker save` tarball nor an OCI image layout.
    #[error(
        "{0} is not a container image: no manifest.json (docker save) or index.json (OCI layout)"
    )]
    NotAnImage(String),
}

/// A match in an image, with its location path and provenance.
#[derive(Debug)]
pub(crate) struct ImageMatch {
    pub path: String,
    pub origin: ImageOrigin,
    pub found: LocatedMatch,
}

/// Everything one image scan produced, for the pipeline to collect and count.
#[derive(Debug, Default)]
pub(crate) struct ImageReport {
    pub matches: Vec<ImageMatch>,
    pub notices: Vec<Notice>,
    /// Members and configuration values read, and their bytes.
    pub items: u64,
    pub bytes: u64,
    /// Binary members not matched (with `--no-binary-strings`).
    pub binary: Vec<String>,
    /// Members over `--max-file-size`, with their sizes.
    pub too_large: Vec<(String, u64)>,
}

/// Reads the image at `path`.
pub(crate) fn scan(
    path: &Path,
    read: &ReadConfig,
    matcher: &Matcher,
) -> Result<ImageReport, ImageError> {
    let shown = display_path(path);
    let open_error = |message: String| ImageError::Open { path: shown.clone(), message };
    let mut report = ImageReport::default();
    let store: Box<dyn Store> = if path.is_dir() {
        Box::new(DirStore::new(path))
    } else {
        let mut file = match fs::open_named(path) {
            Ok(Some((file, _))) => file,
            Ok(None) => return Err(open_error("not a regular file or directory".to_string())),
            Err(e) => return Err(open_error(e.to_string())),
        };
        if let Some(format) = compressed(&mut file).map_err(|e| open_error(e.to_string()))? {
            return Err(open_error(format!(
                "a {format}-compressed file: decompress it first (a tar is read in place)"
            )));
        }
        let (store, problem) = TarStore::index(file);
        if let Some(problem) = problem {
            report.notices.push(Notice::new(
                NoticeKind::Corrupt,
                Subject::Path(shown.clone()),
                format!(
                    "the image tar is damaged, what follows the damage was not read: {problem}"
                ),
            ));
        }
        Box::new(store)
    };
    let mut faults = Vec::new();
    let Some(images) = layout::images(store.as_ref(), &mut faults) else {
        return Err(ImageError::NotAnImage(shown));
    };
    let limits = read.archives.unwrap_or_default();
    let scan = ImageScan {
        store: store.as_ref(),
        shown: &shown,
        read,
        matcher,
        limits,
        budget: ScanBudget::default(),
    };
    for image in &images {
        scan.image(image, &mut report, &mut faults);
    }
    report.notices.extend(faults.iter().map(|f| fault_notice(&shown, f)));
    Ok(report)
}

/// The compression format `file` starts with, if any (the file is left at its start).
fn compressed(file: &mut std::fs::File) -> std::io::Result<Option<&'static str>> {
    use std::io::{Read as _, Seek as _};
    let mut head = Vec::new();
    (&mut *file).take(archive::SNIFF_LEN as u64).read_to_end(&mut head)?;
    file.rewind()?;
    Ok(archive::sniff(&head).filter(|f| *f != archive::Format::Tar).map(archive::Format::as_str))
}

/// The notice for a layout fault at a path inside the image.
fn fault_notice(image: &str, fault: &Fault) -> Notice {
    let kind = match fault.kind {
        FaultKind::Missing => NoticeKind::MissingBlob,
        FaultKind::DigestMismatch => NoticeKind::DigestMismatch,
        FaultKind::Corrupt => NoticeKind::Corrupt,
        FaultKind::Unreadable => NoticeKind::Unreadable,
        FaultKind::Unsupported => NoticeKind::Unsupported,
        FaultKind::Bound => NoticeKind::BudgetExhausted,
    };
    Notice::new(kind, Subject::Path(format!("{image}!{}", fault.at)), fault.message.clone())
}

/// `sha256:` and the first 12 hex digits, as short image ids are shown.
fn short(digest: &str) -> &str {
    let end = digest.find(':').map_or(0, |colon| colon + 1) + 12;
    digest.get(..end).unwrap_or(digest)
}

/// One image scan's shared state.
struct ImageScan<'a> {
    store: &'a dyn Store,
    shown: &'a str,
    read: &'a ReadConfig,
    matcher: &'a Matcher,
    limits: Limits,
    budget: ScanBudget,
}

impl ImageScan<'_> {
    fn image(&self, image: &ImageSpec, report: &mut ImageReport, faults: &mut Vec<Fault>) {
        let config = image.config.as_ref().and_then(|blob| self.config(blob, faults));
        let (config, config_digest) = config.unwrap_or_default();
        let layer_steps = config.layer_steps();
        // Secrets found in the history, masked wherever a step is shown as provenance.
        let mut steps: Vec<String> = config.history.iter().map(|(step, _)| step.clone()).collect();
        let mut reader = Reader::new(self.matcher);
        let options = unpack::read_options(self.read);
        let mut config_matches = Vec::new();
        for (pointer, text) in &config.items {
            let mut found = Vec::new();
            let summary = reader.scan_blob(self.matcher, text.as_bytes(), options, &mut found);
            report.items += 1;
            report.bytes += summary.bytes;
            let step = pointer
                .strip_prefix("history/")
                .and_then(|rest| rest.split('/').next())
                .and_then(|n| n.parse::<usize>().ok());
            if let Some(step) = step.and_then(|n| steps.get_mut(n)) {
                *step = masked(text, &found);
            }
            config_matches.extend(found.into_iter().map(|m| (pointer.clone(), step, m)));
        }
        for (pointer, step, found) in config_matches {
            let origin = ImageOrigin {
                reference: image.reference.clone(),
                blob: config_digest.clone(),
                layer: step.and_then(|s| layer_steps.iter().position(|&l| l == s)),
                step: step.and_then(|s| steps.get(s).cloned()),
                presence: ImagePresence::Config,
            };
            let path = format!("{}!{}/{pointer}", self.shown, short(&config_digest));
            report.matches.push(ImageMatch { path, origin, found });
        }
        let layers = self.layers(image, &config, faults);
        for (position, (scan, first)) in layers.iter().enumerate() {
            let Some(scan) = scan else { continue };
            if *first {
                report.items += scan.items;
                report.bytes += scan.bytes;
                report.notices.extend(scan.notices.iter().cloned());
                report.binary.extend(scan.binary.iter().cloned());
                report.too_large.extend(scan.too_large.iter().cloned());
            }
            let above: Vec<&LayerScan> =
                layers[position + 1..].iter().filter_map(|(s, _)| s.as_deref()).collect();
            let step = layer_steps.get(position).and_then(|&s| steps.get(s)).cloned();
            for m in &scan.matches {
                let hidden = above.iter().any(|upper| upper.changes.hides(&m.file));
                let presence =
                    if hidden { ImagePresence::LowerLayerOnly } else { ImagePresence::Final };
                let origin = ImageOrigin {
                    reference: image.reference.clone(),
                    blob: scan.digest.clone(),
                    layer: Some(position),
                    step: step.clone().filter(|s| !s.is_empty()),
                    presence,
                };
                let path = format!("{}!{}/{}", self.shown, short(&scan.digest), m.member);
                report.matches.push(ImageMatch { path, origin, found: m.found.clone() });
            }
        }
    }

    /// Reads and parses the configuration blob; its digest as read.
    fn config(&self, blob: &BlobRef, faults: &mut Vec<Fault>) -> Option<(ImageConfig, String)> {
        let bytes = match self.store.read(&blob.path, layout::MAX_JSON) {
            Ok(bytes) => bytes,
            Err(e) => {
                faults.push(layout::Fault::new(&blob.path, blob_fault_kind(&e), blob_message(&e)));
                return None;
            }
        };
        let actual = layout::sha256(&bytes);
        if let Some(expected) = &blob.digest {
            faults.extend(layout::verify(&blob.path, &actual, expected));
        }
        match serde_json::from_slice(&bytes) {
            Ok(value) => Some((ImageConfig::parse(&value), actual)),
            Err(e) => {
                faults.push(Fault::new(
                    &blob.path,
                    FaultKind::Corrupt,
                    format!("image configuration is not valid JSON: {e}"),
                ));
                None
            }
        }
    }

    /// Reads every layer of `image`, in parallel; `None` for a layer not read (a fault says why).
    /// A blob listed more than once is read once: its later positions share the first reading
    /// (`false` beside them), so a manifest repeating one large blob costs one read.
    fn layers(
        &self,
        image: &ImageSpec,
        config: &ImageConfig,
        faults: &mut Vec<Fault>,
    ) -> Vec<(Option<Arc<LayerScan>>, bool)> {
        let count = image.layers.len();
        let mut seen = HashMap::new();
        let first: Vec<usize> = image
            .layers
            .iter()
            .enumerate()
            .map(|(p, blob)| blob.as_ref().map_or(p, |b| *seen.entry(b.path.as_str()).or_insert(p)))
            .collect();
        let results: Mutex<Vec<Option<Arc<LayerScan>>>> =
            Mutex::new((0..count).map(|_| None).collect());
        let layer_faults = Mutex::new(Vec::new());
        let next = AtomicUsize::new(0);
        let threads = self.read.threads.clamp(1, count.max(1));
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    let mut reader = Reader::new(self.matcher);
                    loop {
                        let position = next.fetch_add(1, Ordering::Relaxed);
                        let Some(blob) = image.layers.get(position) else { break };
                        let Some(blob) = blob else { continue };
                        if first.get(position) != Some(&position) {
                            continue;
                        }
                        let mut local = Vec::new();
                        let diff_id = config.diff_ids.get(position).map(String::as_str);
                        let scan = self.layer(&mut reader, blob, diff_id, &mut local);
                        lock(&layer_faults).extend(local);
                        if let Some(slot) = lock(&results).get_mut(position) {
                            *slot = scan.map(Arc::new);
                        }
                    }
                });
            }
        });
        let mut local =
            layer_faults.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
        local.sort_by(|a, b| a.at.cmp(&b.at));
        faults.extend(local);
        let results = results.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
        first
            .iter()
            .enumerate()
            .map(|(p, &f)| (results.get(f).cloned().flatten(), p == f))
            .collect()
    }

    /// Reads, verifies and scans one layer blob.
    fn layer(
        &self,
        reader: &mut Reader,
        blob: &BlobRef,
        diff_id: Option<&str>,
        faults: &mut Vec<Fault>,
    ) -> Option<LayerScan> {
        let bytes = match self.store.read(&blob.path, self.limits.max_archive_bytes) {
            Ok(bytes) => bytes,
            Err(e) => {
                faults.push(Fault::new(&blob.path, blob_fault_kind(&e), blob_message(&e)));
                return None;
            }
        };
        let actual = layout::sha256(&bytes);
        match (&blob.digest, diff_id) {
            (Some(expected), _) => faults.extend(layout::verify(&blob.path, &actual, expected)),
            // A `docker save` layer.tar is uncompressed: its digest is the config's diff id.
            (None, Some(diff_id)) if layer::is_uncompressed(&bytes) => {
                faults.extend(layout::verify(&blob.path, &actual, diff_id));
            }
            (None, _) => faults.push(Fault::new(
                &blob.path,
                FaultKind::Unsupported,
                "no digest to check this layer against: content not verified",
            )),
        }
        let context = layer::Context {
            matcher: self.matcher,
            options: unpack::read_options(self.read),
            limits: &self.limits,
            budget: &self.budget,
            max_file_size: self.read.max_file_size,
        };
        let subject = format!("{}!{}", self.shown, short(&actual));
        Some(layer::scan(reader, &context, &actual, &subject, &bytes))
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn blob_fault_kind(error: &store::BlobError) -> FaultKind {
    match error {
        store::BlobError::Missing => FaultKind::Missing,
        store::BlobError::TooLarge(_) | store::BlobError::Unreadable(_) => FaultKind::Unreadable,
    }
}

fn blob_message(error: &store::BlobError) -> String {
    match error {
        store::BlobError::Missing => "named by a manifest, absent from the image".to_string(),
        store::BlobError::TooLarge(size) => {
            format!("{size} bytes: over the archive size bound (--max-archive-size), not read")
        }
        store::BlobError::Unreadable(why) => format!("not read: {why}"),
    }
}

/// `text` with every match's secret replaced by its redacted form.
fn masked(text: &str, found: &[LocatedMatch]) -> String {
    let bytes = text.as_bytes();
    let mut ranges: Vec<std::ops::Range<usize>> =
        found.iter().map(|m| m.found.secret.clone()).filter(|r| r.end <= bytes.len()).collect();
    ranges.sort_by_key(|r| r.start);
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    for range in ranges {
        if range.start < at {
            continue;
        }
        out.extend_from_slice(&bytes[at..range.start]);
        out.extend_from_slice(Secret::new(bytes[range.clone()].to_vec()).redacted().as_bytes());
        at = range.end;
    }
    out.extend_from_slice(&bytes[at..]);
    let mut text = String::from_utf8_lossy(&out).into_owned();
    // A secret found decoded (base64 and the like) may also appear as itself.
    for m in found {
        if let Ok(secret) = std::str::from_utf8(&m.secret)
            && !secret.is_empty()
        {
            text = text.replace(secret, &Secret::new(m.secret.clone()).redacted());
        }
    }
    text
}
