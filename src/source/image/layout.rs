//! The two image layouts: `docker save` (`manifest.json`: config and layer paths, `RepoTags`) and
//! OCI (`index.json` -> manifests, possibly through nested indexes -> config and layer digests,
//! blobs at `blobs/<algorithm>/<hex>`), and the image configuration both point at.
//!
//! Everything here parses hostile JSON: whatever is malformed or points outside the image becomes
//! a [`Fault`] naming where, and the rest is still used.

use serde_json::Value;
use sha2::{Digest as _, Sha256};

use super::store::{BlobError, Store, clean};

/// Largest manifest, index or configuration read (they are small JSON documents).
pub(crate) const MAX_JSON: u64 = 16 << 20;

/// Nested indexes followed (a multi-platform index is one level).
const MAX_INDEX_DEPTH: u32 = 4;

/// Images per file and layers per image read (Docker allows 127 layers): a hostile manifest
/// naming one large blob a million times must not cost a million reads.
pub(crate) const MAX_ENTRIES: usize = 1_000;

/// Cuts `list` to [`MAX_ENTRIES`], with a fault saying so.
fn bounded<'v>(list: &'v [Value], at: &str, what: &str, faults: &mut Vec<Fault>) -> &'v [Value] {
    if list.len() > MAX_ENTRIES {
        faults.push(Fault::new(
            at,
            FaultKind::Bound,
            format!("{} {what}: only the first {MAX_ENTRIES} were read", list.len()),
        ));
    }
    &list[..list.len().min(MAX_ENTRIES)]
}

/// One image: its reference, configuration and layers, bottom first.
#[derive(Debug, Clone)]
pub(crate) struct ImageSpec {
    pub reference: Option<String>,
    /// `None` when the manifest gives no usable configuration (a fault says why).
    pub config: Option<BlobRef>,
    /// `None` for a layer whose entry is unusable (a fault says why): it still counts, so later
    /// layers keep their positions.
    pub layers: Vec<Option<BlobRef>>,
}

/// A blob to read: its path in the image and the digest it must have, when one is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BlobRef {
    pub path: String,
    pub digest: Option<String>,
}

/// Something wrong with the layout, and where (a path inside the image).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fault {
    pub at: String,
    pub kind: FaultKind,
    pub message: String,
}

/// What kind of fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FaultKind {
    /// A named blob is absent.
    Missing,
    /// Content does not match its digest.
    DigestMismatch,
    /// Malformed JSON, a path outside the image, an invalid digest.
    Corrupt,
    /// Present but unreadable, or too large for its bound.
    Unreadable,
    /// A digest algorithm that cannot be checked.
    Unsupported,
    /// More images or layers than are read.
    Bound,
}

impl Fault {
    pub(crate) fn new(at: &str, kind: FaultKind, message: impl Into<String>) -> Fault {
        Fault { at: at.to_string(), kind, message: message.into() }
    }

    fn from_blob(at: &str, error: &BlobError) -> Fault {
        match error {
            BlobError::Missing => Fault::new(at, FaultKind::Missing, "named by a manifest, absent"),
            BlobError::TooLarge(size) => {
                Fault::new(at, FaultKind::Unreadable, format!("{size} bytes: over the bound"))
            }
            BlobError::Unreadable(why) => Fault::new(at, FaultKind::Unreadable, why.clone()),
        }
    }
}

/// The sha256 digest of `bytes`, as `sha256:<hex>`.
pub(crate) fn sha256(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let hash = Sha256::digest(bytes);
    let mut text = String::with_capacity(71);
    text.push_str("sha256:");
    for b in hash {
        let _ = write!(text, "{b:02x}");
    }
    text
}

/// Checks `actual` (a sha256 digest) against `expected`; a fault when they differ or when
/// `expected` uses another algorithm.
pub(crate) fn verify(at: &str, actual: &str, expected: &str) -> Option<Fault> {
    if !expected.starts_with("sha256:") {
        let algorithm = expected.split(':').next().unwrap_or_default();
        return Some(Fault::new(
            at,
            FaultKind::Unsupported,
            format!("digest algorithm {algorithm:?} not checked: content not verified"),
        ));
    }
    (actual != expected).then(|| {
        Fault::new(
            at,
            FaultKind::DigestMismatch,
            format!(
                "digest mismatch: content is {actual}, the manifest names {expected} (read anyway)"
            ),
        )
    })
}

/// `blobs/<algorithm>/<hex>` for a well-formed digest.
fn blob_path(digest: &str) -> Option<String> {
    let (algorithm, hex) = digest.split_once(':')?;
    let algorithm_ok = !algorithm.is_empty()
        && algorithm
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+._-".contains(&b));
    let hex_ok =
        hex.len() >= 32 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    (algorithm_ok && hex_ok).then(|| format!("blobs/{algorithm}/{hex}"))
}

/// The digest a `docker save` file name states: `<64 hex>.json`, `<64 hex>.tar` or
/// `blobs/sha256/<64 hex>`.
fn digest_in_name(path: &str) -> Option<String> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name.strip_suffix(".json").or_else(|| name.strip_suffix(".tar")).unwrap_or(name);
    let hex =
        stem.len() == 64 && stem.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    hex.then(|| format!("sha256:{stem}"))
}

/// Reads a JSON document from the image.
fn read_json(
    store: &dyn Store,
    path: &str,
    expected: Option<&str>,
    faults: &mut Vec<Fault>,
) -> Option<Value> {
    let bytes = match store.read(path, MAX_JSON) {
        Ok(bytes) => bytes,
        Err(e) => {
            faults.push(Fault::from_blob(path, &e));
            return None;
        }
    };
    if let Some(expected) = expected {
        faults.extend(verify(path, &sha256(&bytes), expected));
    }
    match serde_json::from_slice(&bytes) {
        Ok(value) => Some(value),
        Err(e) => {
            faults.push(Fault::new(path, FaultKind::Corrupt, format!("not valid JSON: {e}")));
            None
        }
    }
}

/// Which layout the image uses; `None` when it has neither `manifest.json` nor `index.json`.
pub(crate) fn images(store: &dyn Store, faults: &mut Vec<Fault>) -> Option<Vec<ImageSpec>> {
    match store.read("manifest.json", MAX_JSON) {
        Err(BlobError::Missing) => {}
        _ => return Some(docker_save(store, faults)),
    }
    match store.read("index.json", MAX_JSON) {
        Err(BlobError::Missing) => None,
        _ => Some(oci(store, faults)),
    }
}

/// `docker save`: `manifest.json` is a list of `{Config, RepoTags, Layers}`.
fn docker_save(store: &dyn Store, faults: &mut Vec<Fault>) -> Vec<ImageSpec> {
    const AT: &str = "manifest.json";
    let Some(value) = read_json(store, AT, None, faults) else { return Vec::new() };
    let Some(list) = value.as_array() else {
        faults.push(Fault::new(AT, FaultKind::Corrupt, "not a list of images"));
        return Vec::new();
    };
    let mut images = Vec::new();
    for (i, entry) in bounded(list, AT, "images", faults).iter().enumerate() {
        let at = format!("{AT}[{i}]");
        let reference = entry
            .get("RepoTags")
            .and_then(Value::as_array)
            .and_then(|tags| tags.iter().find_map(Value::as_str))
            .map(str::to_string);
        let named = |field: &str, raw: Option<&str>, faults: &mut Vec<Fault>| -> Option<BlobRef> {
            let Some(raw) = raw else {
                faults.push(Fault::new(
                    &at,
                    FaultKind::Corrupt,
                    format!("{field}: missing or not a string"),
                ));
                return None;
            };
            if let Some(path) = clean(raw) {
                let digest = digest_in_name(&path);
                Some(BlobRef { path, digest })
            } else {
                let shown: String = raw.chars().take(200).collect();
                faults.push(Fault::new(
                    &at,
                    FaultKind::Corrupt,
                    format!("{field} path {shown:?} leaves the image: not followed"),
                ));
                None
            }
        };
        let config = named("Config", entry.get("Config").and_then(Value::as_str), faults);
        let layers = if let Some(layers) = entry.get("Layers").and_then(Value::as_array) {
            bounded(layers, &at, "layers", faults)
                .iter()
                .enumerate()
                .map(|(n, l)| named(&format!("Layers[{n}]"), l.as_str(), faults))
                .collect()
        } else {
            faults.push(Fault::new(&at, FaultKind::Corrupt, "Layers: missing or not a list"));
            Vec::new()
        };
        images.push(ImageSpec { reference, config, layers });
    }
    images
}

/// OCI image layout: `index.json`, then manifests (through nested indexes), by digest.
fn oci(store: &dyn Store, faults: &mut Vec<Fault>) -> Vec<ImageSpec> {
    let mut images = Vec::new();
    if let Some(index) = read_json(store, "index.json", None, faults) {
        walk_index(store, "index.json", &index, None, 0, &mut images, faults);
    }
    images
}

fn walk_index(
    store: &dyn Store,
    at: &str,
    index: &Value,
    inherited: Option<&str>,
    depth: u32,
    images: &mut Vec<ImageSpec>,
    faults: &mut Vec<Fault>,
) {
    let Some(manifests) = index.get("manifests").and_then(Value::as_array) else {
        faults.push(Fault::new(at, FaultKind::Corrupt, "manifests: missing or not a list"));
        return;
    };
    for (i, descriptor) in bounded(manifests, at, "manifests", faults).iter().enumerate() {
        if images.len() >= MAX_ENTRIES {
            break;
        }
        let here = format!("{at}:manifests[{i}]");
        let reference = reference(descriptor).or(inherited.map(str::to_string));
        let Some((path, digest)) = descriptor_blob(descriptor, &here, faults) else { continue };
        let Some(document) = read_json(store, &path, Some(&digest), faults) else { continue };
        if document.get("manifests").is_some() {
            if depth >= MAX_INDEX_DEPTH {
                faults.push(Fault::new(
                    &path,
                    FaultKind::Corrupt,
                    "indexes nested too deep: not followed",
                ));
                continue;
            }
            walk_index(store, &path, &document, reference.as_deref(), depth + 1, images, faults);
            continue;
        }
        let config = document
            .get("config")
            .and_then(|c| descriptor_blob(c, &format!("{path}:config"), faults))
            .map(|(path, digest)| BlobRef { path, digest: Some(digest) });
        let layers = if let Some(layers) = document.get("layers").and_then(Value::as_array) {
            bounded(layers, &path, "layers", faults)
                .iter()
                .enumerate()
                .map(|(n, l)| {
                    descriptor_blob(l, &format!("{path}:layers[{n}]"), faults)
                        .map(|(path, digest)| BlobRef { path, digest: Some(digest) })
                })
                .collect()
        } else {
            faults.push(Fault::new(&path, FaultKind::Corrupt, "layers: missing or not a list"));
            Vec::new()
        };
        images.push(ImageSpec { reference, config, layers });
    }
}

/// A descriptor's blob path and digest.
fn descriptor_blob(
    descriptor: &Value,
    at: &str,
    faults: &mut Vec<Fault>,
) -> Option<(String, String)> {
    let Some(digest) = descriptor.get("digest").and_then(Value::as_str) else {
        faults.push(Fault::new(at, FaultKind::Corrupt, "digest: missing or not a string"));
        return None;
    };
    if let Some(path) = blob_path(digest) {
        Some((path, digest.to_string()))
    } else {
        let shown: String = digest.chars().take(200).collect();
        faults.push(Fault::new(
            at,
            FaultKind::Corrupt,
            format!("invalid digest {shown:?}: not followed"),
        ));
        None
    }
}

/// The image name a descriptor's annotations give.
fn reference(descriptor: &Value) -> Option<String> {
    let annotations = descriptor.get("annotations")?;
    ["io.containerd.image.name", "org.opencontainers.image.ref.name"]
        .iter()
        .find_map(|key| annotations.get(*key).and_then(Value::as_str))
        .map(str::to_string)
}

/// What the image configuration holds that a scan reads.
#[derive(Debug, Clone, Default)]
pub(crate) struct ImageConfig {
    /// `(JSON pointer, text)` of each value to scan: `config/Env/0`, `config/Labels/<key>`,
    /// `config/Cmd`, `config/Entrypoint`, `history/<n>/created_by`.
    pub items: Vec<(String, String)>,
    /// Each history step: its `created_by` and whether it made a layer.
    pub history: Vec<(String, bool)>,
    /// `rootfs.diff_ids`: the uncompressed layers' digests.
    pub diff_ids: Vec<String>,
}

impl ImageConfig {
    /// Reads the configuration document (any field may be absent).
    pub(crate) fn parse(value: &Value) -> ImageConfig {
        let mut items = Vec::new();
        for section in ["config"] {
            let Some(config) = value.get(section) else { continue };
            if let Some(env) = config.get("Env").and_then(Value::as_array) {
                for (i, var) in env.iter().enumerate() {
                    if let Some(var) = var.as_str() {
                        items.push((format!("{section}/Env/{i}"), var.to_string()));
                    }
                }
            }
            if let Some(labels) = config.get("Labels").and_then(Value::as_object) {
                for (key, text) in labels {
                    if let Some(text) = text.as_str() {
                        let pointer = format!(
                            "{section}/Labels/{}",
                            key.replace('~', "~0").replace('/', "~1")
                        );
                        items.push((pointer, format!("{key}={text}")));
                    }
                }
            }
            for field in ["Cmd", "Entrypoint"] {
                let text = match config.get(field) {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Array(args)) => {
                        args.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" ")
                    }
                    _ => continue,
                };
                items.push((format!("{section}/{field}"), text));
            }
        }
        let mut history = Vec::new();
        if let Some(steps) = value.get("history").and_then(Value::as_array) {
            for (i, step) in steps.iter().enumerate() {
                let created_by = step.get("created_by").and_then(Value::as_str).unwrap_or_default();
                let empty = step.get("empty_layer").and_then(Value::as_bool).unwrap_or(false);
                if !created_by.is_empty() {
                    items.push((format!("history/{i}/created_by"), created_by.to_string()));
                }
                history.push((created_by.to_string(), !empty));
            }
        }
        let diff_ids = value
            .pointer("/rootfs/diff_ids")
            .and_then(Value::as_array)
            .map(|ids| ids.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default();
        ImageConfig { items, history, diff_ids }
    }

    /// The history step index that created each layer (steps with `empty_layer` make none).
    pub(crate) fn layer_steps(&self) -> Vec<usize> {
        self.history.iter().enumerate().filter(|(_, (_, made))| *made).map(|(i, _)| i).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_name_blobs_only_when_well_formed() {
        let hex = "a".repeat(64);
        assert_eq!(blob_path(&format!("sha256:{hex}")), Some(format!("blobs/sha256/{hex}")));
        assert_eq!(blob_path("sha256:../../etc/passwd"), None);
        assert_eq!(blob_path("sha256"), None);
        assert_eq!(digest_in_name(&format!("{hex}.json")), Some(format!("sha256:{hex}")));
        assert_eq!(digest_in_name(&format!("{hex}/layer.tar")), None);
    }

    #[test]
    fn history_steps_map_to_the_layers_they_made() {
        let value = serde_json::json!({
            "config": {"Env": ["A=1"], "Cmd": ["sh", "-c", "x"]},
            "history": [
                {"created_by": "ADD base"},
                {"created_by": "ENV A=1", "empty_layer": true},
                {"created_by": "RUN make"}
            ],
            "rootfs": {"diff_ids": ["sha256:1", "sha256:2"]}
        });
        let config = ImageConfig::parse(&value);
        assert_eq!(config.layer_steps(), vec![0, 2]);
        assert!(config.items.contains(&("config/Env/0".to_string(), "A=1".to_string())));
        assert!(config.items.contains(&("config/Cmd".to_string(), "sh -c x".to_string())));
        assert_eq!(config.diff_ids.len(), 2);
    }
}
