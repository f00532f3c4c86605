//! The built-in rules: every `rules/*.yaml` file, embedded at build time by `build.rs`.
//!
//! Two forms are embedded. The YAML text ([`sources`]) is what `rules check` and `rules show`
//! read. The pre-built form (`prebuilt`) is the same files converted to JSON by `build.rs`; a
//! scan loads that, because parsing several hundred rules' YAML was most of the start-up time
//! (benches/README.md, "Start-up"). Both are read by the same serde types, and a test proves
//! they give identical rules, except that the pre-built form leaves out the examples and
//! negative examples (a scan never reads them; `rules check` and `rules show` read the YAML).

use super::RuleSource;

/// `(file name, YAML text)` for every built-in rule file, sorted by name.
const FILES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// `(file name, JSON text)` for every built-in rule file, sorted by name; `None` for a file
/// whose YAML did not parse at build time.
const PREBUILT: &[(&str, Option<&str>)] =
    include!(concat!(env!("OUT_DIR"), "/builtin_rules_prebuilt.rs"));

/// The built-in rule files as sources named `builtin:FILE`.
pub(crate) fn sources() -> Vec<RuleSource> {
    FILES
        .iter()
        .map(|(name, text)| RuleSource {
            origin: format!("builtin:{name}"),
            text: (*text).to_string(),
        })
        .collect()
}

/// One built-in rule file in the form a scan loads.
#[derive(Debug, Clone, Copy)]
pub(crate) enum BuiltinFile {
    /// Converted to JSON at build time.
    Json {
        /// The file name.
        name: &'static str,
        /// The JSON text.
        json: &'static str,
    },
    /// The YAML text, for a file that did not parse at build time (its error is reported when
    /// it is loaded).
    Yaml {
        /// The file name.
        name: &'static str,
        /// The YAML text.
        yaml: &'static str,
    },
}

impl BuiltinFile {
    /// The text's length in bytes (a measure of its parsing work).
    pub(crate) fn len(&self) -> usize {
        match self {
            BuiltinFile::Json { json, .. } => json.len(),
            BuiltinFile::Yaml { yaml, .. } => yaml.len(),
        }
    }
}

/// The built-in rule files, pre-built where possible, sorted by name.
pub(crate) fn prebuilt() -> impl Iterator<Item = BuiltinFile> {
    PREBUILT.iter().zip(FILES).map(|(&(name, json), &(_, yaml))| match json {
        Some(json) => BuiltinFile::Json { name, json },
        None => BuiltinFile::Yaml { name, yaml },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::syntax::{RuleFile, RuleSpec};

    #[test]
    fn the_prebuilt_form_holds_exactly_the_yaml_rules_with_the_rows_expanded() {
        assert_eq!(PREBUILT.len(), FILES.len());
        for (file, (name, yaml)) in prebuilt().zip(FILES) {
            let BuiltinFile::Json { name: prebuilt_name, json } = file else {
                panic!("{name} did not parse at build time");
            };
            assert_eq!(prebuilt_name, *name);
            let from_yaml: RuleFile = serde_saphyr::from_str(yaml).unwrap();
            let from_json: RuleFile = serde_json::from_str(json).unwrap();
            // Every built-in provider-table row was expanded at build time.
            assert!(from_json.families.is_empty(), "{name}: rows left unexpanded");
            // The pre-built form leaves the examples out, and only them.
            let json_examples = from_json.rules.iter().map(|r| r.examples.len()).sum::<usize>();
            assert_eq!(json_examples, 0, "{name}");
            let rows = from_yaml.families.into_iter().map(super::super::family::expand);
            let mut want: Vec<_> =
                from_yaml.rules.into_iter().chain(rows.map(Result::unwrap)).collect();
            for rule in &mut want {
                rule.examples.clear();
                rule.negative_examples.clear();
            }
            assert!(!want.is_empty(), "{name}");
            let as_json = |rules: &[RuleSpec]| serde_json::to_value(rules).unwrap();
            assert_eq!(as_json(&from_json.rules), as_json(&want), "{name}");
        }
    }
}
