//! The one pipeline seen from outside: the same stages for every target, the coverage record,
//! git modes from anywhere in a work tree, `explain` reading what the scan reads, and the
//! embedding API.

use crate::git::Repo;
use crate::util::{Tree, fake, leakhound};

fn json_at(dir: &std::path::Path, args: &[&str]) -> (i32, serde_json::Value, String) {
    let out = leakhound().current_dir(dir).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let doc = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap(), doc, stderr)
}

#[test]
fn git_modes_work_from_a_subdirectory_of_the_work_tree() {
    let mut repo = Repo::new();
    repo.write("app/deep/config.env", &format!("TOKEN={}\n", fake::github_pat(41)));
    repo.commit("secret");
    let sub = repo.dir.join("app/deep");
    let (code, doc, stderr) = json_at(&sub, &["git", "-f", "json"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(doc["findings"][0]["locations"][0]["path"], "app/deep/config.env");
    repo.write("app/deep/staged.env", &format!("TOKEN={}\n", fake::github_pat(42)));
    repo.git(&["add", "app/deep/staged.env"]);
    let (code, doc, stderr) = json_at(&sub, &["git", "--staged", "-f", "json"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1);
    assert_eq!(doc["coverage"]["mode"], "staged");
}

#[test]
fn range_locations_name_the_ref_of_the_range_head() {
    let mut repo = Repo::new();
    repo.write("README", "hello\n");
    let base = repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("a.env", &format!("T={}\n", fake::github_pat(43)));
    repo.commit("add");
    let (code, doc, stderr) = repo.scan(&["--since", &base]);
    assert_eq!(code, 1, "{stderr}");
    let refs = &doc["findings"][0]["locations"][0]["git"]["commit"]["refs"];
    assert_eq!(refs[0], "refs/heads/feature", "{doc}");
    assert_eq!(doc["coverage"]["mode"], "range");
    assert_eq!(doc["coverage"]["base"], base.as_str());
    let (code, doc, _) = repo.scan(&["--range", &format!("{base}..feature")]);
    assert_eq!(code, 1);
    assert_eq!(
        doc["findings"][0]["locations"][0]["git"]["commit"]["refs"][0],
        "refs/heads/feature"
    );
}

#[test]
fn a_range_past_a_shallow_boundary_says_how_to_fetch_the_history() {
    let mut repo = Repo::new();
    repo.write("a", "1\n");
    let first = repo.commit("one");
    repo.write("a", "2\n");
    repo.commit("two");
    let tree = Tree::new();
    let shallow = tree.path().join("shallow");
    let url = format!("file://{}", repo.dir.display());
    repo.git(&["clone", "-q", "--depth", "1", &url, shallow.to_str().unwrap()]);
    let (code, _, stderr) = json_at(&shallow, &["git", "--since", &first, "-f", "json"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("shallow clone") && stderr.contains("git fetch --unshallow"),
        "{stderr}"
    );
}

#[test]
fn the_coverage_record_counts_and_lists_what_was_skipped() {
    let tree = Tree::new();
    tree.file("code.py", "x = 1\n");
    tree.file("image.bin", b"\x00\x01\x02binary\x00");
    std::os::unix::fs::symlink("/etc/hostname", tree.path().join("link")).unwrap();
    // Binaries are read for their printable runs by default; this test is about skips.
    let run = tree.run(&["scan", ".", "--no-binary-strings", "-f", "json"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let coverage = &run.json()["coverage"];
    assert_eq!(coverage["mode"], "files");
    assert_eq!(coverage["complete"], true);
    assert_eq!(coverage["items_scanned"], 1);
    assert_eq!(coverage["skipped"]["binary"]["count"], 1);
    assert_eq!(coverage["skipped"]["binary"]["paths"][0], "image.bin");
    assert_eq!(coverage["skipped"]["symlink"]["paths"][0], "link");
    let jsonl = tree.run(&["scan", ".", "-f", "jsonl"]);
    let last: serde_json::Value =
        serde_json::from_str(jsonl.stdout().lines().last().unwrap()).unwrap();
    assert_eq!(last["coverage"]["skipped"]["symlink"]["count"], 1);
}

#[test]
fn an_unreadable_item_is_a_typed_notice_and_makes_the_run_incomplete() {
    let tree = Tree::new();
    tree.file("ok.txt", "fine\n");
    let run = tree.run(&["scan", "ok.txt", "missing.txt", "-f", "json"]);
    assert_eq!(run.code(), 2);
    let doc = run.json();
    assert_eq!(doc["notices"][0]["kind"], "unreadable");
    assert_eq!(doc["notices"][0]["subject"], "path");
    assert_eq!(doc["notices"][0]["path"], "missing.txt");
    assert_eq!(doc["coverage"]["complete"], false);
}

#[test]
fn explain_reads_utf16_and_git_objects_and_says_each_thing_once() {
    let mut repo = Repo::new();
    let pat = fake::github_pat(44);
    let line = format!("token = {pat} token token\n");
    let utf16: Vec<u8> =
        [0xFF, 0xFE].into_iter().chain(line.encode_utf16().flat_map(u16::to_le_bytes)).collect();
    std::fs::write(repo.dir.join("wide.txt"), &utf16).unwrap();
    repo.write("plain.txt", &line);
    repo.commit("files");
    let run = leakhound().current_dir(&repo.dir).args(["explain", "wide.txt:1"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("UTF-16"), "{stdout}");
    assert!(stdout.contains("github.pat.classic"), "{stdout}");
    let keyword_lines: Vec<&str> =
        stdout.lines().filter(|l| l.starts_with("keyword \"token\"")).collect();
    assert_eq!(keyword_lines.len(), 1, "{stdout}");
    assert!(!stdout.contains(&pat), "redacted unless asked");
    std::fs::remove_file(repo.dir.join("plain.txt")).unwrap();
    let run =
        leakhound().current_dir(&repo.dir).args(["explain", "HEAD:plain.txt"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("github.pat.classic"), "{stdout}");
}

#[test]
fn the_embedding_api_scans_buffers_with_rules_compiled_once() {
    let scanner = leakhound::Scanner::new(&leakhound::Config::default()).expect("rules compile");
    let pat = fake::github_pat(45);
    let outcome = scanner.scan_bytes("notes.txt", format!("GH_TOKEN={pat}\n").as_bytes());
    assert_eq!(outcome.findings.len(), 1);
    assert_eq!(outcome.findings[0].locations[0].path, "notes.txt");
    assert!(!format!("{:?}", outcome.findings[0]).contains(&pat), "Debug never shows the secret");
    let allowed =
        scanner.scan_bytes("notes.txt", format!("GH_TOKEN={pat} # leakhound:allow\n").as_bytes());
    assert!(allowed.findings.is_empty());
    assert_eq!(allowed.suppressed.len(), 1);
    let again = scanner.scan_bytes("other.txt", b"nothing here\n");
    assert!(again.findings.is_empty() && !again.incomplete());
}
