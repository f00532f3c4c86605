//! The scanned repository is hostile (issue #14): reports it cannot forge or redirect, fingerprints
//! that do not give the secret away. Git-metadata cases live in `hostile.rs`.

use std::os::unix::fs::symlink;

use crate::util::{Tree, fake, leakhound};

/// File names built to forge output: line breaks, terminal escapes, bidi overrides, a GitHub
/// workflow command and a spreadsheet formula. (NUL cannot occur in a Unix file name; the escaping
/// of NUL is covered by `sanitize`'s unit tests.)
const HOSTILE_NAMES: &[&str] = &[
    "new\nline.env",
    "carriage\rreturn.env",
    "\u{1b}[2Kescape.env",
    "invoice\u{202e}vne.exe",
    "isolate\u{2066}d\u{2069}.env",
    "::error file=forged::pwned.env",
    "=HYPERLINK(\"x\").env",
    "c1\u{9b}31m.env",
];

const FORMATS: &[&str] = &["text", "json", "jsonl", "sarif", "gitlab", "csv", "github"];

fn hostile_tree() -> Tree {
    let tree = Tree::new();
    for (i, name) in HOSTILE_NAMES.iter().enumerate() {
        tree.file(name, format!("token = {}\n", fake::github_pat(900 + i as u64)));
    }
    tree
}

fn dangerous(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\r')
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
}

#[test]
fn hostile_file_names_cannot_forge_lines_escapes_or_bidi_in_any_format() {
    let tree = hostile_tree();
    for format in FORMATS {
        let run = tree.run(&["scan", "-f", format, "--color", "never"]);
        assert_eq!(run.code(), 1, "{format}: {}", run.stderr());
        let out = run.stdout();
        if let Some(c) = out.chars().find(|&c| dangerous(c)) {
            panic!("{format}: raw {c:?} in the report:\n{out}");
        }
        let line_end = if *format == "csv" { "\r\n" } else { "\n" };
        assert!(!out.replace(line_end, "").contains(['\r', '\n']), "{format}: a stray line break:\n{out}");
        for line in out.split(line_end) {
            let forged = line.starts_with("::") && *format != "github";
            assert!(!forged && !line.starts_with('='), "{format}: line {line:?} was forged");
        }
        assert!(!run.stderr().chars().any(dangerous), "{format}: stderr: {}", run.stderr());
    }
}

#[test]
fn github_annotations_are_exactly_one_line_per_location() {
    let run = hostile_tree().run(&["scan", "-f", "github"]);
    let lines: Vec<String> = run.stdout().lines().map(str::to_string).collect();
    assert_eq!(lines.len(), HOSTILE_NAMES.len(), "{lines:#?}");
    assert!(lines.iter().all(|l| l.starts_with("::error file=")), "{lines:#?}");
}

#[test]
fn json_reports_escape_bidi_but_keep_every_name_exact() {
    let run = hostile_tree().run(&["scan", "-f", "json"]);
    assert!(!run.stdout().contains('\u{202e}'));
    assert!(run.stdout().contains("\\u202e"));
    let mut paths: Vec<String> = run.hits().into_iter().map(|(_, path, _)| path).collect();
    paths.sort();
    let mut expected: Vec<String> = HOSTILE_NAMES.iter().map(ToString::to_string).collect();
    expected.sort();
    assert_eq!(paths, expected, "JSON is lossless");
}

#[test]
fn a_report_path_that_is_a_symlink_planted_in_the_tree_is_refused() {
    let tree = Tree::new();
    tree.file("app.env", format!("T={}\n", fake::github_pat(950)));
    let outside = Tree::new();
    let victim = outside.file("victim.txt", "precious\n");
    symlink(&victim, tree.path().join("report.json")).unwrap();
    let run = tree.run(&["scan", "-f", "json", "-r", "report.json"]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert!(run.stderr().contains("symbolic link"), "{}", run.stderr());
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n", "the link target is untouched");
}

#[test]
fn a_report_path_that_is_a_fifo_fails_at_once_instead_of_hanging() {
    let tree = Tree::new();
    tree.file("app.env", format!("T={}\n", fake::github_pat(951)));
    let fifo = tree.path().join("report.fifo");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let out = leakhound()
        .current_dir(tree.path())
        .args(["scan", "app.env", "-r", "report.fifo"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a regular file"));
}

#[test]
fn a_report_path_naming_stdout_is_the_users_choice_and_works() {
    let tree = Tree::new();
    tree.file("app.env", format!("T={}\n", fake::github_pat(952)));
    let run = tree.run(&["scan", "app.env", "-f", "json", "-r", "/dev/stdout"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert_eq!(run.hits().len(), 1);
}

/// `(fingerprint, SARIF partial fingerprint)` of the only finding of `scan -f json/sarif` with the
/// given environment.
fn fingerprints(tree: &Tree, env: &[(&str, &str)], remove_key: bool) -> (String, String) {
    let run = |format: &str| {
        let mut cmd = leakhound();
        cmd.current_dir(tree.path()).args(["scan", "app.env", "-f", format]);
        if remove_key {
            cmd.env_remove("LEAKHOUND_FINGERPRINT_KEY");
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let json = run("json");
    let sarif = run("sarif");
    let partial = &sarif["runs"][0]["results"][0]["partialFingerprints"]["leakhound/v2"];
    (json["findings"][0]["fingerprint"].as_str().unwrap().to_string(), partial.as_str().unwrap().to_string())
}

#[test]
fn fingerprints_are_keyed_so_a_dictionary_attack_on_the_report_fails() {
    use sha2::{Digest, Sha256};
    let tree = Tree::new();
    tree.file("app.env", "DB_PASSWORD=Zt8#qLm2vR!x\n");
    let (keyed, partial) = fingerprints(&tree, &[], false);
    // The old, unkeyed fingerprint that a dictionary attack reverses.
    let mut plain = Sha256::new();
    plain.update(b"generic.password-assignment\0Zt8#qLm2vR!x");
    let plain: String = plain.finalize()[..16].iter().map(|b| format!("{b:02x}")).collect();
    assert_ne!(keyed, plain);
    let (other, other_partial) = fingerprints(&tree, &[("LEAKHOUND_FINGERPRINT_KEY", "another team's key")], false);
    assert_ne!((&keyed, &partial), (&other, &other_partial), "the key changes both fingerprints");
    assert_eq!(fingerprints(&tree, &[], false), (keyed, partial), "one key, stable fingerprints");
}

#[test]
fn without_a_shared_key_a_per_user_key_file_is_created_once_and_reused() {
    let tree = Tree::new();
    tree.file("app.env", "DB_PASSWORD=Zt8#qLm2vR!x\n");
    let home = Tree::new();
    let config = home.path().to_str().unwrap().to_string();
    let env = [("XDG_CONFIG_HOME", config.as_str())];
    let first = fingerprints(&tree, &env, true);
    let key_file = home.path().join("leakhound/fingerprint.key");
    assert!(key_file.is_file(), "the key file is created on first use");
    assert_eq!(fingerprints(&tree, &env, true), first, "and reused");
    let other_home = Tree::new();
    let other = other_home.path().to_str().unwrap().to_string();
    assert_ne!(
        fingerprints(&tree, &[("XDG_CONFIG_HOME", other.as_str())], true).0,
        first.0,
        "another user, another key"
    );
}
