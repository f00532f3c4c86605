//! Errors that say what is wrong: which file, whether a line is meant, what to write instead, and
//! checks that fail before a long scan rather than after it.

use std::process::Command;

use crate::git::Repo;
use crate::util::{Run, Tree, fake, leakhound};

#[test]
fn a_missing_config_file_is_named_without_a_line_number() {
    let tree = Tree::new();
    tree.file("a.txt", "hello\n");
    let run = tree.run(&["scan", ".", "-c", "missing.toml"]);
    assert_eq!(run.code(), 2);
    assert!(run.stderr().contains("missing.toml: cannot read: "), "{}", run.stderr());
    assert!(!run.stderr().contains("missing.toml:1"), "{}", run.stderr());
}

#[test]
fn a_table_written_with_single_brackets_says_to_write_double_ones() {
    let tree = Tree::new();
    tree.file(".leakhound.toml", "# fixtures\n[allow]\npaths = [\"tests/**\"]\n");
    let run = tree.run(&["scan", "."]);
    assert_eq!(run.code(), 2);
    // A repository's config problem is a notice, never an abort (the repository must not decide
    // the result), with the line and what to write.
    assert!(run.stderr().contains(".leakhound.toml: invalid configuration"), "{}", run.stderr());
    assert!(run.stderr().contains("line 2: `[allow]` is one table"), "{}", run.stderr());
    assert!(run.stderr().contains("write `[[allow]]` for each entry"), "{}", run.stderr());
    assert!(!run.stderr().contains("expected a sequence"), "{}", run.stderr());
}

#[test]
fn a_broken_rule_file_is_named_with_its_position_once() {
    let tree = Tree::new();
    tree.file("custom.yaml", "rules:\n  - id: custom.x\n    bogus: 1\n");
    let run = tree.run(&["scan", ".", "--rules", "custom.yaml"]);
    assert_eq!(run.code(), 2);
    let stderr = run.stderr();
    assert!(
        stderr.contains("custom.yaml:3:5: invalid rule file: unknown field `bogus`"),
        "{stderr}"
    );
    assert!(!stderr.contains("<input>"), "{stderr}");
    assert_eq!(stderr.matches("unknown field `bogus`").count(), 1, "{stderr}");
}

/// An invalid `.leakhound.toml` is what a scan would fail on first; a bad `-r` path must be
/// reported before it, so the check runs before any configuration is read or blob scanned.
#[test]
fn an_unwritable_report_path_fails_before_scanning() {
    let tree = Tree::new();
    tree.file(".leakhound.toml", "[[allow]]\nsecrets = [\"(\"]\n");
    tree.file("a.txt", format!("t={}\n", fake::github_pat(70)));
    let run = tree.run(&["scan", ".", "-r", "no-such-dir/report.json"]);
    assert_eq!(run.code(), 2);
    assert!(
        run.stderr().contains("cannot write report no-such-dir/report.json"),
        "{}",
        run.stderr()
    );
    assert!(!run.stderr().contains("invalid secret regex"), "the scan started: {}", run.stderr());
    let dir = tree.run(&["scan", ".", "-r", "."]);
    assert!(
        dir.stderr().contains("cannot write report .")
            && dir.stderr().contains("is not a regular file"),
        "{}",
        dir.stderr()
    );

    let mut repo = Repo::new();
    repo.write(".leakhound.toml", "[[allow]]\nsecrets = [\"(\"]\n");
    repo.commit("broken config");
    let out = leakhound()
        .current_dir(&repo.dir)
        .args(["git", ".", "-r", "missing/r.sarif"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("cannot write report missing/r.sarif")
            && !stderr.contains("invalid secret"),
        "{stderr}"
    );
}

/// The check leaves nothing behind: a report file that did not exist is not created by a scan
/// that then fails, and a good path still gets its report.
#[test]
fn the_report_path_check_leaves_no_file_behind() {
    let tree = Tree::new();
    tree.file("a.txt", format!("t={}\n", fake::github_pat(71)));
    let failed = tree.run(&["scan", ".", "-r", "out.json", "-c", "missing.toml"]);
    assert_eq!(failed.code(), 2);
    assert!(!tree.path().join("out.json").exists(), "a failed run left a report file");
    let ok = tree.run(&["scan", ".", "-f", "json", "-r", "out.json"]);
    assert_eq!(ok.code(), 1, "{}", ok.stderr());
    let report = std::fs::read_to_string(tree.path().join("out.json")).unwrap();
    assert!(report.contains("github.pat.classic"), "{report}");
}

/// A directory named on the command line that cannot be listed is reported as such (exit 2)
/// while the other paths are scanned; before, the scan stopped at `DIR/.leakhound.toml:1: cannot
/// read`. As root, permissions do not apply, so the scan runs as `nobody` through `setpriv`.
#[cfg(target_os = "linux")]
#[test]
fn an_unreadable_directory_is_reported_as_the_directory() {
    use std::os::unix::fs::PermissionsExt as _;
    let tree = Tree::new();
    tree.file("ok/a.txt", format!("t={}\n", fake::github_pat(72)));
    tree.file("locked/b.txt", "hidden\n");
    std::fs::set_permissions(tree.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(tree.path().join("ok"), std::fs::Permissions::from_mode(0o755))
        .unwrap();
    std::fs::set_permissions(tree.path().join("locked"), std::fs::Permissions::from_mode(0o000))
        .unwrap();
    let run = Run(unprivileged(&["scan", "ok", "locked", "-f", "json"])
        .current_dir(tree.path())
        .output()
        .unwrap());
    std::fs::set_permissions(tree.path().join("locked"), std::fs::Permissions::from_mode(0o755))
        .unwrap();
    assert_eq!(run.code(), 2, "{}", run.stderr());
    let doc = run.json();
    assert_eq!(
        doc["findings"].as_array().unwrap().len(),
        1,
        "the readable directory is still scanned"
    );
    assert_eq!(doc["notices"][0]["level"], "error");
    assert_eq!(doc["notices"][0]["path"], "locked", "{doc:#}");
    assert!(!run.stderr().contains(".leakhound.toml"), "{}", run.stderr());
}

/// `leakhound ARGS` as an unprivileged user: directly, or as `nobody` when the tests run as root.
#[cfg(target_os = "linux")]
fn unprivileged(args: &[&str]) -> Command {
    let binary = assert_cmd::cargo::cargo_bin("leakhound");
    let uid = Command::new("id").arg("-u").output().unwrap();
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        let mut cmd = Command::new(binary);
        cmd.args(args);
        return cmd;
    }
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups"]).arg(binary).args(args);
    cmd
}
