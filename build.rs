//! Embeds the built-in data files into the binary: every `rules/*.yaml` file becomes
//! `$OUT_DIR/builtin_rules.rs` (read by `rules::builtin`) and every `rules/validators/*.yaml`
//! file becomes `$OUT_DIR/builtin_validators.rs` (read by `validate::catalog`). Each is a sorted
//! list of `(file name, contents)` pairs.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a build script reports failure by panicking")]

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    embed(&rules, "builtin_rules.rs");
    embed(&rules.join("validators"), "builtin_validators.rs");
}

/// Writes `$OUT_DIR/<out_name>`: the `*.yaml` files directly in `dir`, sorted by name.
fn embed(dir: &Path, out_name: &str) {
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{} is readable: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    files.sort();
    let mut out = String::from("&[\n");
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path.file_name().unwrap().to_string_lossy();
        writeln!(out, "    ({name:?}, include_str!({:?})),", path.display().to_string()).unwrap();
    }
    out.push(']');
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join(out_name);
    std::fs::write(dest, out).expect("write the embedded file list");
}
