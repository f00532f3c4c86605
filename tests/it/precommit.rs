//! `.pre-commit-hooks.yaml` under the real pre-commit framework, in temp repositories.
//!
//! The hooks come from a local clone of the manifest (a file path as the repo URL: nothing is
//! fetched). `leakhound-system` and `leakhound-pre-push-system` run the debug binary on `PATH`
//! (as does `leakhound-pre-push` with `language: system`); the
//! `language: rust` hook, which makes pre-commit `cargo install` this repository (a release build),
//! is tested once by an `#[ignore]`d test that `.ci/run` runs explicitly.
//!
//! pre-commit comes from `PyPI` (`.ci/run` installs it). Without it these tests print why they did
//! nothing, unless `LEAKHOUND_REQUIRE_PRECOMMIT=1` (set by CI), which makes them fail.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::sandbox::{Sandbox, shown};
use crate::util::fake;

const MANIFEST: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/.pre-commit-hooks.yaml");

/// How to run pre-commit here: `pre-commit` on PATH, or `python3 -m pre_commit`; `None` (after
/// saying why) when neither works and CI does not require it.
#[allow(clippy::print_stderr)] // says why a test did nothing
fn pre_commit() -> Option<Vec<String>> {
    let candidates =
        [vec!["pre-commit".to_string()], vec!["python3".into(), "-m".into(), "pre_commit".into()]];
    for candidate in candidates {
        let works = Command::new(&candidate[0]).args(&candidate[1..]).arg("--version").output();
        if works.is_ok_and(|out| out.status.success()) {
            return Some(candidate);
        }
    }
    assert!(
        std::env::var_os("LEAKHOUND_REQUIRE_PRECOMMIT").is_none_or(|v| v != "1"),
        "pre-commit is required (LEAKHOUND_REQUIRE_PRECOMMIT=1) but neither `pre-commit` nor `python3 -m pre_commit` runs"
    );
    eprintln!("skipped: pre-commit is not installed (python3 -m pip install --user pre-commit)");
    None
}

/// A project repository whose `.pre-commit-config.yaml` uses this repository's hook manifest.
struct Project {
    sandbox: Sandbox,
    dir: PathBuf,
    pre_commit: Vec<String>,
}

impl Project {
    /// `hooks` is the YAML list under the local hook repository (ids and overrides).
    fn new(hooks: &str) -> Option<Project> {
        let pre_commit = pre_commit()?;
        let sandbox = Sandbox::new();
        let hook_repo = sandbox.init("hooks");
        std::fs::copy(MANIFEST, hook_repo.join(".pre-commit-hooks.yaml")).unwrap();
        let rev = Sandbox::commit_all(&hook_repo, "hooks");
        let dir = sandbox.init("project");
        let config =
            format!("repos:\n- repo: {}\n  rev: {rev}\n  hooks:\n{hooks}", hook_repo.display());
        Sandbox::write(&dir, ".pre-commit-config.yaml", &config);
        Some(Project { sandbox, dir, pre_commit })
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Sandbox::command(program, &self.dir);
        cmd.env("PRE_COMMIT_HOME", self.sandbox.path().join("pre-commit-home"));
        cmd
    }

    fn install(&self, hook_type: &str) {
        let out = self
            .command(&self.pre_commit[0])
            .args(&self.pre_commit[1..])
            .args(["install", "--hook-type", hook_type])
            .output()
            .unwrap();
        assert!(out.status.success(), "pre-commit install: {}", shown(&out));
    }

    fn git(&self, args: &[&str]) -> Output {
        self.command("git").args(args).output().unwrap()
    }

    /// `pre-commit ARGS` run by hand (not from a git hook).
    fn run(&self, args: &[&str]) -> Output {
        self.command(&self.pre_commit[0]).args(&self.pre_commit[1..]).args(args).output().unwrap()
    }

    fn write(&self, rel: &str, contents: &str) {
        Sandbox::write(&self.dir, rel, contents);
    }
}

fn assert_blocked(out: &Output, secret: &str, what: &str) {
    let text = shown(out);
    assert!(!out.status.success(), "{what} must be blocked:\n{text}");
    assert!(
        text.contains("Failed") && text.contains("github.pat.classic"),
        "{what}: no clear message:\n{text}"
    );
    assert!(
        text.contains("ghp_") && text.contains("[40 chars]"),
        "{what}: no redacted secret:\n{text}"
    );
    assert!(!text.contains(secret), "{what}: the full secret was printed");
}

fn assert_passed(out: &Output, what: &str) {
    assert!(out.status.success(), "{what} must pass:\n{}", shown(out));
}

#[test]
fn pre_commit_hook_blocks_staged_secrets_and_passes_clean_changes() {
    let Some(project) = Project::new("  - id: leakhound-system\n") else { return };
    project.install("pre-commit");
    let secret = fake::github_pat(61);

    // The first commit, before HEAD exists.
    project.write("app.cfg", &format!("name = demo\ntoken = {secret}\n"));
    project.git(&["add", "-A"]);
    assert_blocked(
        &project.git(&["commit", "-q", "-m", "first"]),
        &secret,
        "a first commit with a secret",
    );
    project.write("app.cfg", "name = demo\n");
    project.git(&["add", "-A"]);
    assert_passed(&project.git(&["commit", "-q", "-m", "first"]), "a clean first commit");

    // `git commit -a`: the hook sees git's temporary index.
    project.write("app.cfg", &format!("name = demo\ntoken = {secret}\n"));
    assert_blocked(
        &project.git(&["commit", "-q", "-a", "-m", "all"]),
        &secret,
        "git commit -a with a secret",
    );

    // Partial staging: a clean staged change passes while the secret stays unstaged and on disk.
    project.write("app.cfg", "name = demo2\n");
    project.git(&["add", "app.cfg"]);
    project.write("app.cfg", &format!("name = demo2\ntoken = {secret}\n"));
    assert_passed(
        &project.git(&["commit", "-q", "-m", "partial"]),
        "a clean staged change with an unstaged secret",
    );
    let committed = String::from_utf8(project.git(&["show", "HEAD:app.cfg"]).stdout).unwrap();
    assert_eq!(committed, "name = demo2\n");
    let on_disk = std::fs::read_to_string(project.dir.join("app.cfg")).unwrap();
    assert!(on_disk.contains(&secret), "pre-commit restores the unstaged change");

    // The reverse: a staged secret with a clean work tree is blocked.
    project.git(&["add", "app.cfg"]);
    project.write("app.cfg", "name = demo3\n");
    assert_blocked(
        &project.git(&["commit", "-q", "-m", "staged"]),
        &secret,
        "a staged secret under a clean work tree",
    );
}

/// `pre-commit run --all-files`, `--files` and the manual stage hand file names over: those files
/// are scanned whole, so a secret committed earlier (past the hook) is found; the repository's
/// `.leakhound.toml` applies to them as it does in a scan of `.`.
#[test]
fn run_with_file_names_scans_those_files_whole() {
    let Some(project) = Project::new("  - id: leakhound-system\n") else { return };
    let secret = fake::github_pat(67);
    project.write("app.cfg", &format!("name = demo\ntoken = {secret}\n"));
    project.write("notes.txt", "nothing to see\n");
    project.git(&["add", "-A"]);
    assert_passed(
        &project.git(&["commit", "-q", "--no-verify", "-m", "leak past the hook"]),
        "commit --no-verify",
    );

    assert_blocked(&project.run(&["run", "--all-files"]), &secret, "pre-commit run --all-files");
    assert_blocked(
        &project.run(&["run", "--files", "app.cfg"]),
        &secret,
        "pre-commit run --files app.cfg",
    );
    assert_passed(
        &project.run(&["run", "--files", "notes.txt"]),
        "pre-commit run --files of a clean file",
    );
    let manual = project.run(&["run", "--hook-stage", "manual", "--all-files"]);
    assert_blocked(&manual, &secret, "the manual stage");

    // Unchanged files are not the commit's business: a clean commit on top still passes.
    project.install("pre-commit");
    project.write("notes.txt", "still nothing\n");
    project.git(&["add", "notes.txt"]);
    assert_passed(
        &project.git(&["commit", "-q", "-m", "clean change"]),
        "a clean commit over an old secret",
    );

    // The repository's configuration applies to named files.
    project.write(
        ".leakhound.toml",
        "[[allow]]\npaths = [\"app.cfg\"]\ndescription = \"demo fixture\"\n",
    );
    assert_passed(
        &project.run(&["run", "--files", "app.cfg"]),
        "a file the repository's config allows",
    );
}

#[test]
fn pre_push_system_hook_uses_the_binary_on_path() {
    let Some(project) = Project::new("  - id: leakhound-pre-push-system\n") else { return };
    project.install("pre-push");
    let remote = project.sandbox.path().join("remote.git");
    Sandbox::git(
        project.sandbox.path(),
        &["init", "-q", "--bare", "-b", "main", remote.to_str().unwrap()],
    );
    let secret = fake::github_pat(68);
    project.write("app.cfg", &format!("token = {secret}\n"));
    Sandbox::commit_all(&project.dir, "leak");
    assert_blocked(
        &project.git(&["push", "-q", remote.to_str().unwrap(), "main"]),
        &secret,
        "pre-push-system",
    );
}

#[test]
fn pre_push_hook_scans_only_the_pushed_commits() {
    let hooks = "  - id: leakhound-pre-push\n    language: system\n";
    let Some(project) = Project::new(hooks) else { return };
    project.install("pre-push");
    let remote = project.sandbox.path().join("remote.git");
    Sandbox::git(
        project.sandbox.path(),
        &["init", "-q", "--bare", "-b", "main", remote.to_str().unwrap()],
    );
    Sandbox::git(&project.dir, &["remote", "add", "origin", remote.to_str().unwrap()]);
    let secret = fake::github_pat(62);
    let push = |args: &[&str]| project.git(&[&["push", "-q", "origin"], args].concat());

    // The first push carries the root commit: the whole pushed history is scanned.
    project.write("app.cfg", "name = demo\n");
    Sandbox::commit_all(&project.dir, "clean root");
    assert_passed(&push(&["main"]), "a clean first push");

    project.write("app.cfg", &format!("name = demo\ntoken = {secret}\n"));
    Sandbox::commit_all(&project.dir, "leak");
    assert_blocked(&push(&["main"]), &secret, "a push that adds a secret");

    // Once the secret is on the remote (pushed with --no-verify), later pushes scan only new commits.
    assert_passed(&push(&["--no-verify", "main"]), "a push with --no-verify");
    project.write("other.txt", "hello\n");
    Sandbox::commit_all(&project.dir, "clean");
    assert_passed(&push(&["main"]), "a clean push after an old secret");

    // A new branch: the commits not yet on the remote are scanned.
    Sandbox::git(&project.dir, &["checkout", "-q", "-b", "feature"]);
    project.write("feature.env", &format!("GH={}\n", fake::github_pat(63)));
    Sandbox::commit_all(&project.dir, "feature leak");
    assert_blocked(&push(&["feature"]), &fake::github_pat(63), "a new branch with a secret");
    Sandbox::git(&project.dir, &["checkout", "-q", "main"]);
    Sandbox::git(&project.dir, &["checkout", "-q", "-b", "clean-feature"]);
    project.write("feature.txt", "fine\n");
    Sandbox::commit_all(&project.dir, "clean feature");
    assert_passed(&push(&["clean-feature"]), "a clean new branch");
}

#[test]
fn pre_push_hook_scans_a_whole_new_history_with_its_root() {
    let hooks = "  - id: leakhound-pre-push\n    language: system\n";
    let Some(project) = Project::new(hooks) else { return };
    project.install("pre-push");
    let remote = project.sandbox.path().join("remote.git");
    Sandbox::git(
        project.sandbox.path(),
        &["init", "-q", "--bare", "-b", "main", remote.to_str().unwrap()],
    );
    let secret = fake::github_pat(64);
    project.write("app.cfg", &format!("token = {secret}\n"));
    Sandbox::commit_all(&project.dir, "leaky root");
    project.write("app.cfg", "token = from-env\n");
    Sandbox::commit_all(&project.dir, "removed again");
    let out = project.git(&["push", "-q", remote.to_str().unwrap(), "main"]);
    assert_blocked(&out, &secret, "a first push whose history holds a secret");
}

/// The pre-push entry itself: a from-ref of zeros (what git gives for a new branch) falls back to
/// the whole history of the pushed commit, and a real range scans only that range.
#[test]
fn pre_push_entry_handles_a_zero_from_ref() {
    let entry = manifest_entry("leakhound-pre-push");
    let sandbox = Sandbox::new();
    let dir = sandbox.init("repo");
    let secret = fake::github_pat(65);
    Sandbox::write(&dir, "a.cfg", &format!("token = {secret}\n"));
    let first = Sandbox::commit_all(&dir, "leak");
    Sandbox::write(&dir, "b.txt", "clean\n");
    let second = Sandbox::commit_all(&dir, "clean");
    let run = |from: &str| {
        let script = format!("{entry} --color never");
        Sandbox::command("bash", &dir)
            .args(["-c", &script])
            .env("PRE_COMMIT_FROM_REF", from)
            .env("PRE_COMMIT_TO_REF", &second)
            .output()
            .unwrap()
    };
    let zero = run(&"0".repeat(40));
    assert_eq!(zero.status.code(), Some(1), "{}", shown(&zero));
    assert!(shown(&zero).contains("github.pat.classic") && !shown(&zero).contains(&secret));
    let range = run(&first);
    assert_eq!(
        range.status.code(),
        Some(0),
        "only {first}..{second} is scanned: {}",
        shown(&range)
    );
}

/// The `entry` of hook `id` in `.pre-commit-hooks.yaml`.
fn manifest_entry(id: &str) -> String {
    let hooks: Vec<serde_json::Value> =
        serde_saphyr::from_str(&std::fs::read_to_string(MANIFEST).unwrap()).unwrap();
    let hook = hooks.iter().find(|h| h["id"] == id).unwrap_or_else(|| panic!("no hook {id}"));
    hook["entry"].as_str().unwrap().to_string()
}

/// Each cargo-built hook has a twin for a leakhound on PATH with the same entry.
#[test]
fn every_hook_has_a_system_twin() {
    for (built, system) in
        [("leakhound", "leakhound-system"), ("leakhound-pre-push", "leakhound-pre-push-system")]
    {
        assert_eq!(manifest_entry(built), manifest_entry(system), "{built} and {system} differ");
    }
}

/// The `language: rust` hook: pre-commit clones this repository (at its HEAD commit) and builds
/// leakhound with `cargo install` (a release build: minutes), offline from cargo's cache, into
/// `target/pre-commit-rust-hook` (kept, so a second run on the same machine is quick). Run by
/// `.ci/run` as `cargo test --locked --test it -- --ignored rust_hook_builds_and_blocks`.
#[test]
#[ignore = "release build of leakhound through pre-commit: minutes; .ci/run runs it explicitly"]
fn rust_hook_builds_and_blocks_staged_secrets() {
    let Some(pre_commit) = pre_commit() else { return };
    let source = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rev = Sandbox::git(source, &["rev-parse", "HEAD"]);
    let sandbox = Sandbox::new();
    let dir = sandbox.init("project");
    let config = format!(
        "repos:\n- repo: {}\n  rev: {rev}\n  hooks:\n  - id: leakhound\n",
        source.display()
    );
    Sandbox::write(&dir, ".pre-commit-config.yaml", &config);
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pre-commit-rust-hook");
    let command = |program: &str| {
        let mut cmd = Sandbox::command(program, &dir);
        cmd.env("PRE_COMMIT_HOME", sandbox.path().join("pre-commit-home"))
            .env("CARGO_NET_OFFLINE", "true")
            .env("CARGO_TARGET_DIR", &target)
            // What is tested is pre-commit building and running the hook, not the release
            // profile's optimisations: thin LTO off and more codegen units halve the build.
            .env("CARGO_PROFILE_RELEASE_LTO", "off")
            .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
            // Leave the built debug binary off PATH: the hook must use the one pre-commit builds.
            .env("PATH", std::env::var_os("PATH").unwrap_or_default());
        cmd
    };
    let out =
        command(&pre_commit[0]).args(&pre_commit[1..]).args(["install-hooks"]).output().unwrap();
    assert_passed(&out, "pre-commit install-hooks (cargo install of leakhound)");
    assert_shipped_stripped(&sandbox.path().join("pre-commit-home"));
    let out = command(&pre_commit[0]).args(&pre_commit[1..]).args(["install"]).output().unwrap();
    assert_passed(&out, "pre-commit install");
    let secret = fake::github_pat(66);
    Sandbox::write(&dir, "app.cfg", &format!("token = {secret}\n"));
    command("git").args(["add", "-A"]).output().unwrap();
    assert_blocked(
        &command("git").args(["commit", "-q", "-m", "leak"]).output().unwrap(),
        &secret,
        "rust hook",
    );
    Sandbox::write(&dir, "app.cfg", "token = from-env\n");
    command("git").args(["add", "-A"]).output().unwrap();
    assert_passed(
        &command("git").args(["commit", "-q", "-m", "clean"]).output().unwrap(),
        "rust hook, clean",
    );
}

/// The release profile ships what users install: no debug info (line tables made it 60 MB) and
/// no symbol table. Checked on the binary pre-commit's `cargo install` put in its environment: no
/// `.symtab` section name anywhere in it (an unstripped ELF names it in its section-name table;
/// `.debug_*` names cannot be checked that way, as std's backtrace code holds them as strings),
/// and a size bound. This test builds with LTO off and 16 codegen units to keep CI short, which
/// makes the binary about 15% larger than the shipped thin-LTO build (16.2 MB here against the
/// release profile's size in `docs/ci.md`), so the bound is 20 MiB: it still catches debug info
/// or symbols coming back (60 MB).
fn assert_shipped_stripped(pre_commit_home: &Path) {
    let installed =
        find_file(pre_commit_home, "leakhound").expect("pre-commit installed a leakhound binary");
    let bytes = std::fs::read(&installed).unwrap();
    assert!(bytes.len() < 20 << 20, "{} is {} bytes", installed.display(), bytes.len());
    if cfg!(target_os = "linux") {
        assert!(
            !bytes.windows(7).any(|w| w == b".symtab"),
            "{} keeps its symbol table",
            installed.display()
        );
    }
}

/// The first regular file named `name` under `dir`, searched depth first.
fn find_file(dir: &Path, name: &str) -> Option<PathBuf> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let kind = entry.file_type().ok()?;
        if kind.is_dir() {
            if let Some(found) = find_file(&entry.path(), name) {
                return Some(found);
            }
        } else if kind.is_file() && entry.file_name() == name {
            return Some(entry.path());
        }
    }
    None
}
