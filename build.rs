//! Embeds the built-in data files into the binary: every `rules/*.yaml` file becomes
//! `$OUT_DIR/builtin_rules.rs` (read by `rules::builtin`) and every `rules/validators/*.yaml`
//! file becomes `$OUT_DIR/builtin_validators.rs` (read by `validate::catalog`). Each is a sorted
//! list of `(file name, contents)` pairs.
//!
//! The rule files are also pre-built: each is parsed here and written out as JSON
//! (`$OUT_DIR/builtin_rules_prebuilt.rs`, `(file name, Some(json))`), because parsing the YAML
//! of several hundred rules was most of leakhound's start-up (benches/README.md, "Start-up").
//! The conversion is generic (YAML value to JSON value, no knowledge of the rule schema), so the
//! same serde types read either form and a new field or file form needs no change here. The one
//! exception: each rule's and row's `examples` and `negative_examples` are left out of the JSON,
//! because a scan never reads them and they were close to half of its bytes (`rules check` and
//! `rules show` read the YAML). A file that does not parse gets `None`: the YAML is then parsed at
//! run time and its error reported as usual.
//!
//! Provider-table rows (`families:`) are expanded here too, by the same `family::expand` the
//! library uses (its source and the syntax types are compiled into this script): each row becomes
//! an ordinary rule in the JSON, so a scan does not format and escape a thousand regexes at every
//! start (that was a third of the start-up's instructions, `benches/README.md`, "Start-up"). A
//! row that does not expand stays a row, and the run-time load reports its error as before.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a build script reports failure by panicking"
)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

// The rule syntax and the provider-table expansion, shared with the library.
#[allow(dead_code, unreachable_pub, reason = "the build script uses only the row expansion")]
#[path = "src/rules/syntax.rs"]
mod syntax;

#[allow(dead_code, unreachable_pub, reason = "the build script uses only the row expansion")]
#[path = "src/rules/family.rs"]
mod family;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for shared in ["src/rules/syntax.rs", "src/rules/family.rs"] {
        println!("cargo:rerun-if-changed={}", root.join(shared).display());
    }
    let rules = root.join("rules");
    let files = yaml_files(&rules);
    embed(&files, "builtin_rules.rs");
    prebuild(&files, "builtin_rules_prebuilt.rs");
    embed(&yaml_files(&rules.join("validators")), "builtin_validators.rs");
}

/// The `*.yaml` files directly in `dir`, sorted by name.
fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{} is readable: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    files.sort();
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    files
}

fn out_dir() -> PathBuf {
    PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
}

fn file_name(path: &Path) -> String {
    path.file_name().expect("a file").to_string_lossy().into_owned()
}

/// Writes `$OUT_DIR/<out_name>`: `(name, include_str!(path))` for each file.
fn embed(files: &[PathBuf], out_name: &str) {
    let mut out = String::from("&[\n");
    for path in files {
        writeln!(
            out,
            "    ({:?}, include_str!({:?})),",
            file_name(path),
            path.display().to_string()
        )
        .unwrap();
    }
    out.push(']');
    std::fs::write(out_dir().join(out_name), out).expect("write the embedded file list");
}

/// Moves every provider-table row that expands into the file's `rules` list, as the rule it
/// expands to; a row that does not deserialize or expand is left for the run-time load to report.
fn expand_families(file: &mut serde_json::Value) {
    let Some(rows) = file.get_mut("families").and_then(serde_json::Value::as_array_mut) else {
        return;
    };
    let mut expanded = Vec::new();
    rows.retain(|row| {
        let rule = serde_json::from_value::<syntax::FamilySpec>(row.clone())
            .ok()
            .and_then(|row| family::expand(row).ok())
            .and_then(|rule| serde_json::to_value(rule).ok());
        match rule {
            Some(rule) => {
                expanded.push(rule);
                false
            }
            None => true,
        }
    });
    if expanded.is_empty() {
        return;
    }
    if let Some(object) = file.as_object_mut() {
        let rules = object.entry("rules").or_insert_with(|| serde_json::Value::Array(Vec::new()));
        if let Some(rules) = rules.as_array_mut() {
            rules.append(&mut expanded);
        }
    }
}

/// Removes `examples` and `negative_examples` from every entry of the file's `rules` and
/// `families` lists: only `rules check` proves them, and it reads the YAML.
fn drop_examples(file: &mut serde_json::Value) {
    for list in ["rules", "families"] {
        if let Some(entries) = file.get_mut(list).and_then(serde_json::Value::as_array_mut) {
            for entry in entries.iter_mut().filter_map(serde_json::Value::as_object_mut) {
                entry.remove("examples");
                entry.remove("negative_examples");
            }
        }
    }
}

/// Writes `$OUT_DIR/<out_name>`: `(name, Some(include_str!(json)))` for each file that parses as
/// YAML, `(name, None)` for one that does not.
#[allow(
    clippy::disallowed_methods,
    reason = "build time: reads this repository's own rule files, not scanned content"
)]
fn prebuild(files: &[PathBuf], out_name: &str) {
    let dir = out_dir().join("prebuilt");
    std::fs::create_dir_all(&dir).expect("create the pre-built rules directory");
    let mut out = String::from("&[\n");
    for path in files {
        let name = file_name(path);
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("{} is readable: {e}", path.display()));
        match serde_saphyr::from_str::<serde_json::Value>(&text) {
            Ok(mut value) => {
                expand_families(&mut value);
                drop_examples(&mut value);
                let json = dir.join(format!("{name}.json"));
                std::fs::write(&json, serde_json::to_string(&value).expect("a YAML value is JSON"))
                    .expect("write a pre-built rule file");
                writeln!(
                    out,
                    "    ({name:?}, Some(include_str!({:?}))),",
                    json.display().to_string()
                )
                .unwrap();
            }
            Err(_) => writeln!(out, "    ({name:?}, None),").unwrap(),
        }
    }
    out.push(']');
    std::fs::write(out_dir().join(out_name), out).expect("write the pre-built file list");
}
