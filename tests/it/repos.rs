//! `leakhound repos LIST`: many repositories into one report, with a record per repository,
//! credentials kept out of reports, reruns that skip unchanged repositories, timeouts, and a
//! clone served by `git daemon` on 127.0.0.1.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command};

use serde_json::Value;

use crate::git::Repo;
use crate::util::{fake, leakhound};

fn repo_with(files: &[(&str, String)]) -> Repo {
    let mut repo = Repo::new();
    for (path, body) in files {
        repo.write(path, body);
    }
    repo.commit("init");
    repo
}

fn repos(dir: &Path, args: &[&str]) -> (i32, Value, String) {
    let out =
        leakhound().current_dir(dir).arg("repos").args(args).args(["-f", "json"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let doc = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{stderr}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap(), doc, stderr)
}

fn statuses(doc: &Value) -> Vec<(String, String)> {
    doc["coverage"]["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (r["name"].as_str().unwrap().to_string(), r["status"].as_str().unwrap().to_string())
        })
        .collect()
}

#[test]
fn a_list_of_paths_and_urls_becomes_one_report_without_credentials() {
    let shared = fake::github_pat(41);
    let a = repo_with(&[("app.py", format!("t = \"{shared}\"\n"))]);
    let b = repo_with(&[(
        "conf/b.py",
        format!("t = \"{shared}\"\nu = \"{}\"\n", fake::github_pat(42)),
    )]);
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let url = format!("file://alice:s3cretpw@{}", b.dir.display());
    let list = format!(
        "# two repositories and one that does not exist\n{}\n{url}\n{}/missing\n",
        a.dir.display(),
        dir.path().display()
    );
    std::fs::write(dir.path().join("list.txt"), list).unwrap();
    let (code, doc, stderr) =
        repos(dir.path(), &["list.txt", "-j", "2", "--work-dir", work.to_str().unwrap()]);
    assert_eq!(code, 2, "a failed repository makes the run incomplete: {stderr}");
    let text = doc.to_string();
    assert!(!text.contains("s3cretpw") && !text.contains("alice") && !stderr.contains("s3cretpw"));
    let names = statuses(&doc);
    assert_eq!(names[0], ("repo".to_string(), "scanned".to_string()));
    assert_eq!(names[1].1, "scanned");
    assert_eq!(names[2], ("missing".to_string(), "failed".to_string()));
    assert!(doc["coverage"]["repositories"][2]["reason"].as_str().unwrap().contains("scan failed"));
    assert!(doc["notices"][0]["message"].as_str().unwrap().contains("not scanned"));
    // One finding for the secret both repositories hold, with both locations.
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2, "{text}");
    let paths: Vec<&str> = findings
        .iter()
        .flat_map(|f| f["locations"].as_array().unwrap())
        .map(|l| l["path"].as_str().unwrap())
        .collect();
    let b_name = &names[1].0;
    assert!(paths.contains(&"repo/app.py"), "{paths:?}");
    assert!(paths.contains(&format!("{b_name}/conf/b.py").as_str()), "{paths:?}");
    assert!(findings.iter().any(|f| f["locations"].as_array().unwrap().len() == 2));
    assert_eq!(std::fs::read_dir(&work).unwrap().count(), 0, "clones are deleted after their scan");
}

#[test]
fn a_rerun_reuses_unchanged_repositories_and_rescans_changed_ones() {
    let mut a = repo_with(&[("a.py", format!("t = \"{}\"\n", fake::github_pat(51)))]);
    let b = repo_with(&[("b.py", "nothing\n".to_string())]);
    let dir = tempfile::tempdir().unwrap();
    let list = format!("{}\n{}\n", a.dir.display(), b.dir.display());
    std::fs::write(dir.path().join("list.txt"), list).unwrap();
    let args = ["list.txt", "--state", "state"];
    let (code, first, _) = repos(dir.path(), &args);
    assert_eq!(code, 1);
    assert!(statuses(&first).iter().all(|(_, s)| s == "scanned"));
    let (code, second, _) = repos(dir.path(), &args);
    assert_eq!(code, 1, "the stored report still counts");
    assert!(statuses(&second).iter().all(|(_, s)| s == "unchanged"));
    assert_eq!(first["findings"], second["findings"]);
    a.write("later.py", &format!("t = \"{}\"\n", fake::github_pat(52)));
    a.commit("later");
    let (_, third, _) = repos(dir.path(), &args);
    let st = statuses(&third);
    assert_eq!((st[0].1.as_str(), st[1].1.as_str()), ("scanned", "unchanged"));
    assert_eq!(third["findings"].as_array().unwrap().len(), 2);
    // Other flags are other settings: everything is scanned again.
    let (_, fourth, _) =
        repos(dir.path(), &["list.txt", "--state", "state", "--max-file-size", "1M"]);
    assert!(statuses(&fourth).iter().all(|(_, s)| s == "scanned"));
}

#[test]
fn a_directory_of_repositories_splits_into_shards() {
    let dir = tempfile::tempdir().unwrap();
    let mut all = 0;
    for i in 0..6 {
        let repo = repo_with(&[("k.py", format!("t = \"{}\"\n", fake::github_pat(60 + i)))]);
        std::fs::rename(&repo.dir, dir.path().join(format!("r{i}"))).unwrap();
        all += 1;
        drop(repo);
    }
    let (_, whole, _) = repos(dir.path(), &["."]);
    assert_eq!(statuses(&whole).len(), all);
    let mut seen = Vec::new();
    for i in 0..3 {
        let spec = format!("{i}/3");
        let (_, part, _) = repos(dir.path(), &[".", "--shard", &spec]);
        seen.extend(statuses(&part).into_iter().map(|(n, _)| n));
    }
    seen.sort();
    let mut expected: Vec<String> = statuses(&whole).into_iter().map(|(n, _)| n).collect();
    expected.sort();
    assert_eq!(seen, expected, "every repository in exactly one shard");
}

/// A port on 127.0.0.1 nobody listens on (bound, then released for the daemon).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn exec_path() -> std::path::PathBuf {
    let out = Command::new("git").arg("--exec-path").output().unwrap();
    std::path::PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn clones_from_a_git_daemon_on_loopback_and_times_out_on_a_silent_server() {
    let a = repo_with(&[("d.py", format!("t = \"{}\"\n", fake::github_pat(71)))]);
    let base = a.dir.parent().unwrap().to_path_buf();
    let port = free_port();
    let daemon = Daemon(
        // The daemon binary itself: `git daemon` would leave it running when killed.
        Command::new(exec_path().join("git-daemon"))
            .args(["--reuseaddr", "--export-all", "--listen=127.0.0.1"])
            .arg(format!("--port={port}"))
            .arg(format!("--base-path={}", base.display()))
            .arg(&base)
            .spawn()
            .unwrap(),
    );
    // Wait (bounded) until it accepts connections.
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    // A server that accepts and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let list = format!("git://127.0.0.1:{port}/repo\ngit://127.0.0.1:{silent_port}/never\n");
    std::fs::write(dir.path().join("list.txt"), list).unwrap();
    let (code, doc, stderr) = repos(dir.path(), &["list.txt", "--timeout", "3"]);
    drop(daemon);
    drop(silent);
    let st = statuses(&doc);
    assert_eq!(st[0], (format!("127.0.0.1/{port}/repo"), "scanned".to_string()), "{stderr}");
    assert_eq!(st[1].1, "failed");
    assert!(doc["coverage"]["repositories"][1]["reason"].as_str().unwrap().contains("timed out"));
    assert_eq!(code, 2);
    assert_eq!(doc["findings"][0]["locations"][0]["path"], format!("127.0.0.1/{port}/repo/d.py"));
}

#[test]
fn with_cache_a_changed_repository_is_cloned_again_but_only_new_blobs_are_matched() {
    let mut origin = repo_with(&[
        ("app.py", format!("t = \"{}\"\n", fake::github_pat(51))),
        ("lib.py", "def f():\n    return 1\n".to_string()),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let url = format!("file://{}", origin.dir.display());
    std::fs::write(dir.path().join("list.txt"), format!("{url}\n")).unwrap();
    let args = ["list.txt", "--cache", cache.to_str().unwrap()];
    let (code, first, stderr) = repos(dir.path(), &args);
    assert_eq!(code, 1, "{stderr}");
    let files = || std::fs::read_dir(&cache).unwrap().count();
    assert_eq!(files(), 1, "one cache file per source");

    origin.write("deploy.env", &format!("T={}\n", fake::github_pat(52)));
    origin.commit("deploy");
    let (code, second, stderr) = repos(dir.path(), &args);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(files(), 1, "the fresh clone reuses the source's cache file");
    assert_eq!(first["findings"].as_array().unwrap().len(), 1);
    assert_eq!(second["findings"].as_array().unwrap().len(), 2);
    let (_, uncached, _) = repos(dir.path(), &["list.txt"]);
    assert_eq!(second["findings"], uncached["findings"]);

    // The cache is keyed by the source, not the clone's path: another clone of the same source
    // finds every old blob in it.
    let clone = dir.path().join("clone.git");
    let ok = Command::new("git")
        .args(["clone", "-q", "--mirror", &url, clone.to_str().unwrap()])
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .status()
        .unwrap();
    assert!(ok.success());
    let out = leakhound()
        .args(["git", clone.to_str().unwrap(), "-f", "json", "--cache"])
        .arg(&cache)
        .args(["--cache-as", &url])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["coverage"]["cache"]["state"], "used", "{doc}");
    let blobs = doc["coverage"]["items_scanned"].as_u64().unwrap();
    let served = doc["coverage"]["cache"]["served"].as_u64().unwrap();
    assert_eq!(served + 2, blobs, "all but the two blobs with matches (matched again)");
}
