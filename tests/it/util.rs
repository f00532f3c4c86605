//! Test helpers: temp trees, running the CLI, fake tokens.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

/// A directory tree in a temp dir, deleted on drop.
pub(crate) struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    pub(crate) fn new() -> Tree {
        Tree { dir: tempfile::tempdir().expect("temp dir") }
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `contents` at `rel`, creating parent directories.
    pub(crate) fn file(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap();
        path
    }

    /// Runs `leakhound ARGS` with the tree as working directory.
    pub(crate) fn run(&self, args: &[&str]) -> Run {
        let output =
            leakhound().current_dir(self.path()).args(args).output().expect("run leakhound");
        Run(output)
    }
}

/// The fingerprint key every test run uses, so fingerprints are deterministic and no test writes
/// a key file into the user's configuration directory.
pub(crate) const TEST_FINGERPRINT_KEY: &str = "leakhound integration tests";

/// The leakhound binary under test, with a clean environment for colour and a fixed fingerprint key.
pub(crate) fn leakhound() -> Command {
    let mut cmd = Command::cargo_bin("leakhound").expect("binary built");
    cmd.env_remove("NO_COLOR");
    cmd.env("LEAKHOUND_FINGERPRINT_KEY", TEST_FINGERPRINT_KEY);
    cmd
}

/// A finished run.
pub(crate) struct Run(pub Output);

impl Run {
    pub(crate) fn code(&self) -> i32 {
        self.0.status.code().expect("exited normally")
    }

    pub(crate) fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }

    pub(crate) fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }

    /// stdout parsed as one JSON document.
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.0.stdout).unwrap_or_else(|e| {
            panic!("stdout is not JSON ({e}):\n{}\nstderr:\n{}", self.stdout(), self.stderr())
        })
    }

    /// `(rule_id, path, line)` of every location in a JSON report, sorted.
    pub(crate) fn hits(&self) -> Vec<(String, String, u64)> {
        let doc = self.json();
        let mut hits = Vec::new();
        for finding in doc["findings"].as_array().expect("findings array") {
            for loc in finding["locations"].as_array().unwrap() {
                hits.push((
                    finding["rule_id"].as_str().unwrap().to_string(),
                    loc["path"].as_str().unwrap().to_string(),
                    loc["line"].as_u64().unwrap(),
                ));
            }
        }
        hits.sort();
        hits
    }
}

/// Fake tokens with the right shape. `seed` picks deterministic "random" characters.
pub(crate) mod fake {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    /// `n` pseudo-random alphanumerics from a seed (xorshift; deterministic).
    pub(crate) fn alnum(seed: u64, n: usize) -> String {
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                ALNUM[(state % ALNUM.len() as u64) as usize] as char
            })
            .collect()
    }

    /// A GitHub classic PAT with a valid CRC32 checksum.
    pub(crate) fn github_pat(seed: u64) -> String {
        let random = alnum(seed, 30);
        let checksum =
            leakhound::internals::matcher::base62(u64::from(crc32fast::hash(random.as_bytes())), 6);
        format!("ghp_{random}{checksum}")
    }

    /// An AWS access key id.
    pub(crate) fn aws_key_id(seed: u64) -> String {
        let upper: String = alnum(seed, 400)
            .chars()
            .filter(|c| c.is_ascii_uppercase() || ('2'..='7').contains(c))
            .take(16)
            .collect();
        format!("AKIA{upper}")
    }
}

/// The SARIF validator script CI names in `LEAKHOUND_SARIF_VALIDATOR`; `None` (and a line saying
/// the test was skipped) when it is not set.
#[allow(clippy::print_stderr, reason = "says why the test did nothing")]
pub(crate) fn sarif_validator() -> Option<std::ffi::OsString> {
    let validator = std::env::var_os("LEAKHOUND_SARIF_VALIDATOR");
    if validator.is_none() {
        eprintln!("skipped: set LEAKHOUND_SARIF_VALIDATOR=.ci/sarif-validate.sh (CI does)");
    }
    validator
}

/// GitLab's secret-detection report schema (`fixtures/gitlab/`), compiled.
pub(crate) fn gitlab_schema() -> (boon::Schemas, boon::SchemaIndex) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/gitlab/secret-detection-report-format-15.2.5.json"
    );
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.add_resource("urn:gitlab-secret-detection", schema).unwrap();
    let index = compiler.compile("urn:gitlab-secret-detection", &mut schemas).unwrap();
    (schemas, index)
}

/// Runs the SARIF validator script (`LEAKHOUND_SARIF_VALIDATOR`, i.e. `.ci/sarif-validate.sh`) on
/// `sarif` and fails the test with its output unless it accepts the file.
pub(crate) fn assert_valid_sarif(validator: &std::ffi::OsStr, sarif: &Path) {
    let out =
        Command::new("bash").arg(validator).arg(sarif).output().expect("run the SARIF validator");
    assert!(
        out.status.success(),
        "SARIF validation failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A tar of `(name, content)` regular files (mode 644), in memory.
pub(crate) fn tar_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, bytes) in members {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        builder.append_data(&mut header, name, *bytes).unwrap();
    }
    builder.into_inner().unwrap()
}

/// `bytes` gzip-compressed, in memory.
pub(crate) fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut encoder, bytes).unwrap();
    encoder.finish().unwrap()
}
