//! Sources: what to scan. They produce items (a path and a way to read its bytes) and never
//! match anything themselves.
//!
//! - [`fs`]: files and directories, walked in parallel with the `ignore` crate.
//! - [`git`]: history, the staged index and commit ranges (feature `git`).
//! - [`image`]: container images (`docker save`, OCI layouts), layer by layer.
//! - [`ignores`]: which ignore files apply to a walk, so what they hide is counted.
//! - stdin (`-`) is read directly by the scan pipeline.

pub(crate) mod archive;
pub(crate) mod fs;
#[cfg(feature = "git")]
pub(crate) mod git;
pub(crate) mod ignores;
pub(crate) mod image;

/// Display form of a path: lossy UTF-8, `/` separators, no leading `./`.
pub(crate) fn display_path(path: &std::path::Path) -> String {
    let text = path.to_string_lossy();
    let text = text.strip_prefix("./").unwrap_or(&text);
    if std::path::MAIN_SEPARATOR == '\\' { text.replace('\\', "/") } else { text.to_string() }
}
