//! The built-in rules: every `rules/*.yaml` file, embedded at build time by `build.rs`.

use super::RuleSource;

/// `(file name, YAML text)` for every built-in rule file, sorted by name.
const FILES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// The built-in rule files as sources named `builtin:FILE`.
pub fn sources() -> Vec<RuleSource> {
    FILES
        .iter()
        .map(|(name, text)| RuleSource { origin: format!("builtin:{name}"), text: (*text).to_string() })
        .collect()
}
