//! `leakhound trace`: the exposure timeline of one secret, built from a repository whose history
//! is known commit by commit (a branch that removed it, a tag that released it, a remote-tracking
//! ref, an encoded copy, an unreachable copy).

use base64::Engine as _;
use serde_json::Value;

use crate::git::Repo;
use crate::util::{fake, leakhound};

/// Runs `leakhound trace` in `repo` with `secret` on stdin; returns (exit code, stdout).
fn trace(repo: &Repo, secret: &str, args: &[&str]) -> (i32, String) {
    let out = leakhound()
        .current_dir(&repo.dir)
        .arg("trace")
        .args(args)
        .write_stdin(format!("{secret}\n"))
        .output()
        .unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn trace_json(repo: &Repo, secret: &str, args: &[&str]) -> (i32, Value) {
    let mut all = args.to_vec();
    all.extend(["-f", "json"]);
    let (code, out) = trace(repo, secret, &all);
    (code, serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}")))
}

/// main: introduce (v1 tag), then remove; feature: branched before the removal and keeps it;
/// origin/main is a remote-tracking ref at the introducing commit; a base64 copy by another
/// author lands on `other`.
fn history(secret: &str) -> (Repo, String, String) {
    let mut repo = Repo::new();
    repo.write("README.md", "hello\n");
    repo.commit("start");
    repo.write("config/app.env", &format!("TOKEN={secret}\n"));
    let introduced = repo.commit("add config");
    repo.git(&["tag", "v1"]);
    repo.git(&["update-ref", "refs/remotes/origin/main", &introduced]);
    repo.git(&["branch", "feature"]);
    repo.git(&["rm", "-q", "config/app.env"]);
    let removed = repo.commit("remove the token");
    repo.git(&["checkout", "-q", "-b", "other"]);
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("token: {secret}"));
    repo.write("k8s/secret.yaml", &format!("data:\n  creds: {encoded}\n"));
    repo.commit("add k8s secret");
    repo.git(&["checkout", "-q", "main"]);
    (repo, introduced, removed)
}

fn names(v: &Value) -> Vec<&str> {
    v.as_array().unwrap().iter().map(|n| n.as_str().unwrap()).collect()
}

#[test]
fn the_timeline_names_the_first_commit_every_copy_and_what_each_ref_did() {
    let secret = fake::github_pat(41);
    let (repo, introduced, removed) = history(&secret);
    let (code, t) = trace_json(&repo, &secret, &["--stdin"]);
    assert_eq!(code, 1, "{t:#}");
    assert_eq!(t["found"], true);
    assert_eq!(t["first"]["commit"]["id"], introduced.as_str());
    assert_eq!(t["first"]["path"], "config/app.env");
    let paths: Vec<(&str, Option<&str>)> = t["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["path"].as_str().unwrap(), o["decoded"].as_str()))
        .collect();
    assert_eq!(paths, [("config/app.env", None), ("k8s/secret.yaml", Some("base64"))]);
    assert_eq!(t["at_head"], false, "main removed it");
    assert_eq!(t["default_branch"], "refs/heads/main");
    assert_eq!(names(&t["released_in"]), ["refs/tags/v1"]);
    assert_eq!(names(&t["pushed_to"]), ["refs/remotes/origin/main"]);
    assert_eq!(names(&t["authors"]), ["Ada Lovelace <ada@example.org>"]);
    assert_eq!(t["unreachable_only"], false);
    let state = |name: &str| {
        let refs = t["refs"].as_array().unwrap();
        let r = refs
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("{name} missing: {t:#}"));
        (r["at_tip"].as_bool().unwrap(), r["removed_by"]["id"].as_str().map(String::from))
    };
    assert_eq!(state("refs/heads/main"), (false, Some(removed)));
    assert_eq!(state("refs/heads/feature"), (true, None));
    assert_eq!(state("refs/heads/other"), (true, None), "the base64 copy is at other's tip");
    assert_eq!(state("refs/tags/v1"), (true, None));
}

#[test]
fn a_secret_found_nowhere_exits_clean_and_says_so() {
    let (repo, _, _) = history(&fake::github_pat(42));
    let (code, out) = trace(&repo, &fake::github_pat(43), &["--stdin"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("not found in any object of the repository"), "{out}");
}

#[test]
fn a_secret_only_in_unreachable_objects_is_reported_as_such() {
    let secret = fake::github_pat(44);
    let mut repo = Repo::new();
    repo.write("a.txt", "clean\n");
    repo.commit("start");
    repo.write("leak.txt", &format!("{secret}\n"));
    repo.git(&["add", "leak.txt"]);
    repo.git(&["stash"]);
    repo.git(&["stash", "drop"]);
    let (code, t) = trace_json(&repo, &secret, &["--stdin"]);
    assert_eq!(code, 1, "{t:#}");
    assert_eq!(t["unreachable_only"], true, "{t:#}");
    assert!(t["refs"].as_array().unwrap().iter().all(|r| r["reached"] == false), "{t:#}");
}

#[test]
fn trace_by_fingerprint_finds_the_secret_through_a_history_scan() {
    let secret = fake::github_pat(45);
    let (repo, introduced, _) = history(&secret);
    let (_, report, _) = repo.scan(&[]);
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "github.pat.classic")
        .expect("the scan finds the token");
    let fp = finding["fingerprint"].as_str().unwrap();
    let (code, t) = trace_json(&repo, "", &["--fingerprint", fp]);
    assert_eq!(code, 1);
    assert_eq!(t["first"]["commit"]["id"], introduced.as_str());
    assert_eq!(t["redacted"], true);
    let (code, _) = trace(&repo, "", &["--fingerprint", "0000"]);
    assert_eq!(code, 2, "an unknown fingerprint is an error");
}

#[test]
fn the_text_timeline_is_redacted_unless_show_secrets() {
    let secret = fake::github_pat(46);
    let (repo, _, removed) = history(&secret);
    let (_, text) = trace(&repo, &secret, &["--stdin"]);
    assert!(!text.contains(&secret), "{text}");
    assert!(text.contains("released     yes: refs/tags/v1"), "{text}");
    assert!(text.contains(&format!("removed by commit {}", &removed[..12])), "{text}");
    let (_, shown) = trace(&repo, &secret, &["--stdin", "--show-secrets"]);
    assert!(shown.contains(&secret), "{shown}");
}
