//! A temp directory of git repositories with isolated git configuration, for the tests that run
//! real tools around leakhound (pre-commit, the GitHub Action's shell steps).
//!
//! Every git command runs without system or global config, with a fixed identity, and with only
//! the `file` transport allowed, so nothing reaches the network. The leakhound binary under test
//! is first on `PATH` ([`Sandbox::path_var`]), as an installed leakhound would be.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::util::Tree;

/// A temp directory holding repositories.
pub(crate) struct Sandbox {
    tree: Tree,
}

impl Sandbox {
    pub(crate) fn new() -> Sandbox {
        Sandbox { tree: Tree::new() }
    }

    pub(crate) fn path(&self) -> &Path {
        self.tree.path()
    }

    /// `PATH` with the directory of the leakhound binary under test first.
    pub(crate) fn path_var() -> OsString {
        let binary = assert_cmd::cargo::cargo_bin("leakhound");
        let mut dirs = vec![binary.parent().expect("binary dir").to_path_buf()];
        dirs.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
        std::env::join_paths(dirs).expect("PATH")
    }

    /// A command with the isolated git environment, run in `dir`.
    pub(crate) fn command(program: &str, dir: &Path) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(dir)
            .env("PATH", Self::path_var())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "Ada Lovelace")
            .env("GIT_AUTHOR_EMAIL", "ada@example.org")
            .env("GIT_COMMITTER_NAME", "Ada Lovelace")
            .env("GIT_COMMITTER_EMAIL", "ada@example.org")
            .env("GIT_ALLOW_PROTOCOL", "file")
            .env("LEAKHOUND_FINGERPRINT_KEY", crate::util::TEST_FINGERPRINT_KEY)
            .env_remove("GIT_DIR")
            .env_remove("GIT_INDEX_FILE")
            .env_remove("GIT_WORK_TREE")
            .env_remove("NO_COLOR");
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("PRE_COMMIT_")
                || key.to_string_lossy().starts_with("GITHUB_")
            {
                cmd.env_remove(key);
            }
        }
        cmd
    }

    /// Runs git in `dir`; panics on failure; returns trimmed stdout.
    pub(crate) fn git(dir: &Path, args: &[&str]) -> String {
        let out = Self::command("git", dir).args(args).output().expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?} in {}: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// `git init -b main` of a new directory `name`.
    pub(crate) fn init(&self, name: &str) -> PathBuf {
        let dir = self.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        Self::git(&dir, &["init", "-q", "-b", "main"]);
        dir
    }

    /// Writes `contents` at `rel` under `dir`.
    pub(crate) fn write(dir: &Path, rel: &str, contents: &str) {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }

    /// Stages everything and commits with `--no-verify`; returns the new commit id.
    pub(crate) fn commit_all(dir: &Path, message: &str) -> String {
        Self::git(dir, &["add", "-A"]);
        Self::git(dir, &["commit", "-q", "--no-verify", "--allow-empty", "-m", message]);
        Self::git(dir, &["rev-parse", "HEAD"])
    }
}

/// stdout and stderr of a finished command, as one string.
pub(crate) fn shown(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}
