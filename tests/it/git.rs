//! `leakhound git`: history, provenance, staged and range scans, and hostile repositories.
//!
//! Each test builds a repository with the `git` CLI in a temp dir (fixed author and dates, no
//! global config) and asserts the exact findings and their provenance.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::util::{Tree, fake, leakhound};

/// A repository under construction.
pub(crate) struct Repo {
    tree: Tree,
    pub(crate) dir: PathBuf,
    clock: u64,
}

impl Repo {
    pub(crate) fn new() -> Repo {
        let tree = Tree::new();
        let dir = tree.path().join("repo");
        std::fs::create_dir_all(&dir).unwrap();
        let mut repo = Repo { tree, dir, clock: 1_700_000_000 };
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    /// Runs git in the repository, with a fixed identity and date; panics on failure.
    pub(crate) fn git(&mut self, args: &[&str]) -> String {
        self.git_in(&self.dir.clone(), args)
    }

    fn git_in(&mut self, dir: &Path, args: &[&str]) -> String {
        self.clock += 60;
        let date = format!("@{} +0000", self.clock);
        let out = Command::new("git")
            .current_dir(dir)
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "Ada Lovelace")
            .env("GIT_AUTHOR_EMAIL", "ada@example.org")
            .env("GIT_COMMITTER_NAME", "Ada Lovelace")
            .env("GIT_COMMITTER_EMAIL", "ada@example.org")
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .env("GIT_ALLOW_PROTOCOL", "file")
            .output()
            .expect("git runs");
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    pub(crate) fn write(&self, rel: &str, contents: &str) {
        let path = self.dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }

    /// Writes, stages everything and commits; returns the commit id.
    pub(crate) fn commit(&mut self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }

    /// Runs `leakhound git ARGS -f json` in the repository.
    pub(crate) fn scan(&self, args: &[&str]) -> (i32, Value, String) {
        scan_at(&self.dir, args)
    }
}

/// Runs `leakhound git ARGS -f json` in `dir`.
fn scan_at(dir: &Path, args: &[&str]) -> (i32, Value, String) {
    let mut all = vec!["git"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-f", "json"]);
    let out = leakhound().current_dir(dir).args(&all).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("not JSON ({e}): {}\n{stderr}", String::from_utf8_lossy(&out.stdout))
    });
    (out.status.code().unwrap(), json, stderr)
}

/// `(path, commit or "-", state)` of every location, sorted.
fn places(doc: &Value) -> Vec<(String, String, String)> {
    let mut out: Vec<_> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["locations"].as_array().unwrap().iter())
        .map(|l| {
            let git = &l["git"];
            let commit = git["commit"]["id"].as_str().unwrap_or("-").to_string();
            (
                l["path"].as_str().unwrap().to_string(),
                commit,
                git["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn finding_count(doc: &Value) -> usize {
    doc["findings"].as_array().unwrap().len()
}

#[test]
fn a_secret_added_then_deleted_is_attributed_to_the_commit_that_added_it() {
    let mut repo = Repo::new();
    repo.write("README.md", "hello\n");
    repo.commit("first");
    repo.write("config.py", &format!("TOKEN = \"{}\"\n", fake::github_pat(1)));
    let added = repo.commit("add token");
    std::fs::remove_file(repo.dir.join("config.py")).unwrap();
    repo.commit("remove token");
    let (code, doc, stderr) = repo.scan(&[]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(places(&doc), vec![("config.py".into(), added, "reachable".into())]);
    let commit = &doc["findings"][0]["locations"][0]["git"]["commit"];
    assert_eq!(commit["author"], "Ada Lovelace");
    assert_eq!(commit["email"], "ada@example.org");
    assert_eq!(commit["refs"], serde_json::json!(["refs/heads/main"]));
    assert!(commit["date"].as_str().unwrap().starts_with("2023-11-14T"), "{commit}");
}

#[test]
fn each_blob_is_reported_once_per_path_with_renames_as_new_paths() {
    let mut repo = Repo::new();
    let token = fake::github_pat(2);
    repo.write("a/settings.env", &format!("GH={token}\n"));
    let first = repo.commit("add");
    repo.write("a/other.txt", "unrelated change\n");
    repo.commit("touch another file");
    std::fs::create_dir_all(repo.dir.join("b")).unwrap();
    repo.git(&["mv", "a/settings.env", "b/settings.env"]);
    let renamed = repo.commit("rename");
    let (_, doc, _) = repo.scan(&[]);
    assert_eq!(finding_count(&doc), 1);
    assert_eq!(
        places(&doc),
        vec![
            ("a/settings.env".into(), first, "reachable".into()),
            ("b/settings.env".into(), renamed, "reachable".into())
        ]
    );
}

#[test]
fn a_secret_only_in_a_merge_resolution_is_attributed_to_the_merge() {
    let mut repo = Repo::new();
    repo.write("app.cfg", "key = base\n");
    repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.write("app.cfg", "key = side\n");
    repo.commit("side");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("app.cfg", "key = main\n");
    repo.commit("main");
    let out =
        Command::new("git").current_dir(&repo.dir).args(["merge", "-q", "side"]).output().unwrap();
    assert!(!out.status.success(), "the merge must conflict");
    repo.write("app.cfg", &format!("key = {}\n", fake::github_pat(3)));
    let merge = repo.commit("merge side, resolving with a new token");
    let (_, doc, _) = repo.scan(&[]);
    assert_eq!(places(&doc), vec![("app.cfg".into(), merge, "reachable".into())]);
}

#[test]
fn tags_stashes_and_dangling_commits_are_scanned_and_marked() {
    let mut repo = Repo::new();
    repo.write("README.md", "hello\n");
    repo.commit("first");
    // Only a tag reaches this commit once its branch is deleted.
    repo.git(&["checkout", "-q", "-b", "release"]);
    repo.write("release.env", &format!("T={}\n", fake::github_pat(4)));
    let tagged = repo.commit("release secret");
    repo.git(&["tag", "v1.0", "-m", "v1.0"]);
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["branch", "-q", "-D", "release"]);
    // Only the stash holds this one.
    repo.write("README.md", &format!("token {}\n", fake::github_pat(5)));
    repo.git(&["stash", "-q"]);
    // This commit becomes dangling: reset away and reflogs expired.
    repo.write("lost.txt", &format!("t={}\n", fake::github_pat(6)));
    let lost = repo.commit("lost");
    repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    repo.git(&["reflog", "expire", "--expire=now", "--all"]);
    let (code, doc, stderr) = repo.scan(&[]);
    assert_eq!(code, 1, "{stderr}");
    let found = places(&doc);
    assert!(found.contains(&("release.env".into(), tagged, "reachable".into())), "{found:?}");
    assert!(found.contains(&("lost.txt".into(), lost, "unreachable".into())), "{found:?}");
    assert!(found.iter().any(|(p, _, s)| p == "README.md" && s == "reachable"), "{found:?}");
    let refs_of = |path: &str| -> Value {
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|f| f["locations"].as_array().unwrap().iter())
            .find(|l| l["path"] == path)
            .map(|l| l["git"]["commit"]["refs"].clone())
            .unwrap()
    };
    assert_eq!(refs_of("release.env"), serde_json::json!(["refs/tags/v1.0"]));
    assert_eq!(refs_of("README.md"), serde_json::json!(["refs/stash"]));
}

#[test]
fn staged_reports_only_what_the_index_adds() {
    let mut repo = Repo::new();
    let old = fake::github_pat(7);
    repo.write("old.env", &format!("T={old}\n"));
    repo.commit("an old secret, already committed");
    // Modify the file with the old secret (the old secret stays), stage a new secret in a new
    // file, and leave a third secret unstaged.
    repo.write("old.env", &format!("T={old}\nEXTRA=1\n"));
    repo.write("new.env", &format!("N={}\n", fake::github_pat(8)));
    repo.git(&["add", "old.env", "new.env"]);
    repo.write("unstaged.env", &format!("U={}\n", fake::github_pat(9)));
    let (code, doc, stderr) = repo.scan(&["--staged"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(places(&doc), vec![("new.env".into(), "-".into(), "staged".into())]);
    // Partial staging: the staged version is what counts, not the work tree.
    repo.git(&["commit", "-q", "-m", "commit them"]);
    repo.write("partial.env", "P=nothing\n");
    repo.git(&["add", "partial.env"]);
    repo.write("partial.env", &format!("P={}\n", fake::github_pat(10)));
    let (code, doc, _) = repo.scan(&["--staged"]);
    assert_eq!((code, finding_count(&doc)), (0, 0));
}

#[test]
fn staged_works_on_the_first_commit_and_with_git_index_file() {
    let mut repo = Repo::new();
    repo.write("first.env", &format!("T={}\n", fake::github_pat(11)));
    repo.git(&["add", "first.env"]);
    let (code, doc, stderr) = repo.scan(&["--staged"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(places(&doc), vec![("first.env".into(), "-".into(), "staged".into())]);
    // A hook run by `git commit -a` sees a temporary index through GIT_INDEX_FILE.
    let alt = repo.dir.join(".git/alt-index");
    let out = Command::new("git")
        .current_dir(&repo.dir)
        .args(["read-tree", "--empty"])
        .env("GIT_INDEX_FILE", &alt)
        .output()
        .unwrap();
    assert!(out.status.success());
    let out = leakhound()
        .current_dir(&repo.dir)
        .args(["git", "--staged", "-f", "json"])
        .env("GIT_INDEX_FILE", &alt)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "the empty temporary index adds nothing");
}

#[test]
fn range_and_since_report_only_secrets_the_commits_add() {
    let mut repo = Repo::new();
    let old = fake::github_pat(12);
    repo.write("app.env", &format!("OLD={old}\n"));
    let base = repo.commit("base with an old secret");
    repo.write("app.env", &format!("OLD={old}\nNEW={}\n", fake::github_pat(13)));
    let change = repo.commit("adds a secret next to the old one");
    repo.write("docs.md", "docs\n");
    repo.commit("harmless");
    let (code, doc, stderr) = repo.scan(&["--range", &format!("{base}..HEAD")]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(places(&doc), vec![("app.env".into(), change, "reachable".into())]);
    assert_eq!(doc["findings"][0]["locations"][0]["line"], 2);
    let (_, since, _) = repo.scan(&["--since", &base]);
    assert_eq!(places(&since), places(&doc));
    let (code, none, _) = repo.scan(&["--since", "HEAD~1"]);
    assert_eq!((code, finding_count(&none)), (0, 0));
    let out =
        leakhound().current_dir(&repo.dir).args(["git", "--range", "nope..HEAD"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"nope\""));
}

#[test]
fn bare_repositories_linked_worktrees_and_branch_filters() {
    let mut repo = Repo::new();
    repo.write("a.env", &format!("A={}\n", fake::github_pat(14)));
    repo.commit("a");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("b.env", &format!("B={}\n", fake::github_pat(15)));
    let feature = repo.commit("b");
    repo.git(&["checkout", "-q", "main"]);
    let bare = repo.tree.path().join("bare.git");
    let source = repo.dir.to_str().unwrap().to_string();
    repo.git(&["clone", "-q", "--bare", &source, bare.to_str().unwrap()]);
    let (_, doc, stderr) = scan_at(&bare, &[]);
    assert_eq!(finding_count(&doc), 2, "{stderr}");
    let (_, doc, _) = repo.scan(&["--branch", "main"]);
    assert_eq!(finding_count(&doc), 1);
    let (_, doc, _) = repo.scan(&["--branch", "feature"]);
    assert_eq!(finding_count(&doc), 2);
    let worktree = repo.tree.path().join("wt");
    repo.git(&["worktree", "add", "-q", worktree.to_str().unwrap(), "feature"]);
    std::fs::write(worktree.join("c.env"), format!("C={}\n", fake::github_pat(16))).unwrap();
    repo.git_in(&worktree, &["add", "c.env"]);
    let (code, doc, stderr) = scan_at(&worktree, &["--staged"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(places(&doc), vec![("c.env".into(), "-".into(), "staged".into())]);
    let (_, doc, _) = scan_at(&worktree, &["--branch", "feature"]);
    assert!(places(&doc).contains(&("b.env".into(), feature, "reachable".into())));
}

#[test]
fn a_shallow_clone_is_scanned_and_the_missing_history_reported() {
    let mut repo = Repo::new();
    repo.write("old.env", &format!("O={}\n", fake::github_pat(17)));
    repo.commit("old");
    repo.write("new.env", &format!("N={}\n", fake::github_pat(18)));
    repo.commit("new");
    let shallow = repo.tree.path().join("shallow");
    let url = format!("file://{}", repo.dir.display());
    repo.git(&["clone", "-q", "--depth", "1", &url, shallow.to_str().unwrap()]);
    let (code, doc, stderr) = scan_at(&shallow, &[]);
    // History before the boundary was asked for and is not there: incomplete, exit 2.
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("shallow clone"), "{stderr}");
    assert_eq!(doc["notices"][0]["kind"], "shallow-boundary");
    assert_eq!(doc["coverage"]["complete"], false);
    assert_eq!(doc["coverage"]["mode"], "history");
    // Both files are in the boundary commit's tree, so both are still found there.
    assert_eq!(finding_count(&doc), 2);
    // Accepted explicitly: a warning, stated in the coverage record; findings decide.
    let (code, doc, stderr) = scan_at(&shallow, &["--allow-missing-objects"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(doc["notices"][0]["level"], "warning");
    assert!(
        doc["coverage"]["accepted"].to_string().contains("--allow-missing-objects"),
        "{}",
        doc["coverage"]
    );
}

#[test]
fn submodules_are_recorded_not_followed_and_lfs_pointers_are_plain_text() {
    let mut sub = Repo::new();
    sub.write("inner.env", &format!("I={}\n", fake::github_pat(19)));
    sub.commit("inner secret");
    let mut repo = Repo::new();
    repo.write(
        "model.bin",
        "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n",
    );
    repo.commit("lfs pointer");
    let url = format!("file://{}", sub.dir.display());
    repo.git(&["-c", "protocol.file.allow=always", "submodule", "add", "-q", &url, "vendor/sub"]);
    repo.commit("add submodule");
    let (code, doc, stderr) = repo.scan(&[]);
    assert_eq!((code, finding_count(&doc)), (0, 0), "{stderr}");
}

#[test]
fn nothing_from_the_repository_config_is_executed() {
    let mut repo = Repo::new();
    repo.write("base.txt", "base\n");
    repo.commit("base");
    repo.write("a.env", &format!("A={}\n", fake::github_pat(20)));
    repo.commit("a");
    repo.write("b.env", &format!("B={}\n", fake::github_pat(21)));
    repo.git(&["add", "b.env"]);
    let marker = repo.tree.path().join("MARKER");
    let command = format!("touch {}", marker.display());
    for (key, value) in [
        ("core.fsmonitor", command.as_str()),
        ("core.hooksPath", "hooks"),
        ("core.sshCommand", command.as_str()),
        ("filter.evil.smudge", command.as_str()),
        ("filter.evil.clean", command.as_str()),
        ("filter.evil.process", command.as_str()),
        ("filter.evil.required", "true"),
        ("diff.evil.textconv", command.as_str()),
    ] {
        repo.git(&["config", key, value]);
    }
    repo.write(".gitattributes", "* filter=evil diff=evil\n");
    let modes = [
        &[][..],
        &["--staged"],
        &["--since", "HEAD~1"],
        &["--range", "HEAD~1..HEAD"],
        &["--branch", "main"],
    ];
    for args in modes {
        let (code, doc, stderr) = repo.scan(args);
        assert_eq!(code, 1, "{args:?} finds the committed or staged secret: {stderr}");
        assert!(finding_count(&doc) >= 1, "{args:?}");
        assert!(
            !marker.exists(),
            "leakhound git {args:?} executed a command from the repository config"
        );
    }
    let out = leakhound().current_dir(&repo.dir).args(["scan", "-q"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "the work tree is scanned as plain files");
    assert!(!marker.exists(), "leakhound scan executed a command from the repository config");
}

#[test]
fn git_files_and_alternates_pointing_outside_are_refused() {
    let mut elsewhere = Repo::new();
    elsewhere.write("x.env", &format!("X={}\n", fake::github_pat(22)));
    elsewhere.commit("x");
    let tree = Tree::new();
    let victim = tree.path().join("innocent");
    std::fs::create_dir_all(&victim).unwrap();
    std::fs::write(
        victim.join(".git"),
        format!("gitdir: {}\n", elsewhere.dir.join(".git").display()),
    )
    .unwrap();
    let out = leakhound().current_dir(&victim).args(["git", "-f", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--allow-external-objects"));
    let out = leakhound()
        .current_dir(&victim)
        .args(["git", "--allow-external-objects", "-q"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "allowed explicitly, the pointed-to history is scanned");

    let mut repo = Repo::new();
    repo.write("r.txt", "nothing\n");
    repo.commit("r");
    let alternates = repo.dir.join(".git/objects/info/alternates");
    std::fs::write(&alternates, format!("{}\n", elsewhere.dir.join(".git/objects").display()))
        .unwrap();
    let out = leakhound().current_dir(&repo.dir).args(["git", "-q"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("alternates"));
}

#[test]
fn a_corrupt_object_is_reported_by_id_and_the_rest_is_still_scanned() {
    let mut repo = Repo::new();
    repo.write("good.env", &format!("G={}\n", fake::github_pat(23)));
    repo.commit("good");
    repo.write("bad.txt", "this blob will be truncated on disk\n");
    repo.commit("bad");
    let blob = repo.git(&["rev-parse", "HEAD:bad.txt"]);
    let path = repo.dir.join(".git/objects").join(&blob[..2]).join(&blob[2..]);
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&path, perms).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let (code, doc, stderr) = repo.scan(&[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains(&blob), "the corrupt object is named: {stderr}");
    assert_eq!(finding_count(&doc), 1, "the good secret is still reported");
    assert_eq!(doc["summary"]["complete"], false);
}

#[cfg(unix)]
#[test]
fn a_real_pre_commit_hook_blocks_staged_secrets_including_commit_all() {
    use std::os::unix::fs::PermissionsExt;
    let mut repo = Repo::new();
    repo.write("app.cfg", "name = demo\n");
    repo.commit("first");
    let binary = assert_cmd::cargo::cargo_bin("leakhound");
    let hook = repo.dir.join(".git/hooks/pre-commit");
    std::fs::create_dir_all(hook.parent().unwrap()).unwrap();
    std::fs::write(
        &hook,
        format!("#!/bin/sh\nexec '{}' git --staged --color never\n", binary.display()),
    )
    .unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    let commit = |repo: &Repo, args: &[&str]| {
        Command::new("git")
            .current_dir(&repo.dir)
            .args(["-c", "user.name=Ada", "-c", "user.email=ada@example.org", "commit", "-q"])
            .args(args)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("LEAKHOUND_FINGERPRINT_KEY", crate::util::TEST_FINGERPRINT_KEY)
            .output()
            .unwrap()
    };
    // `git commit -a`: the hook sees git's temporary index through GIT_INDEX_FILE.
    repo.write("app.cfg", &format!("name = demo\ntoken = {}\n", fake::github_pat(40)));
    let out = commit(&repo, &["-a", "-m", "leak"]);
    assert!(!out.status.success(), "the hook must block `git commit -a` with a secret");
    let shown =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(
        shown.contains("github.pat.classic") && shown.contains("staged, not committed"),
        "{shown}"
    );
    // It says what to do next: revoke, an allow marker, or a baseline.
    assert!(shown.contains("This commit was blocked"), "{shown}");
    for step in ["revoke or rotate it", "`leakhound:allow`", "leakhound baseline create"] {
        assert!(shown.contains(step), "missing {step:?}: {shown}");
    }
    assert!(!shown.contains(&fake::github_pat(40)), "the hook output is redacted");
    // A clean change passes.
    repo.write("app.cfg", "name = demo2\n");
    let out = commit(&repo, &["-a", "-m", "clean"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// A history whose blobs are delta chains in a pack (the keyword search of a delta-built blob
/// covers only what its delta changed, once the search has seen a mebibyte) reports exactly what
/// the same history in loose objects (each blob searched whole) reports: the same findings, at
/// the same blobs, lines and commits.
#[test]
fn delta_chains_in_a_pack_report_what_loose_objects_report() {
    use base64::Engine as _;
    let mut repo = Repo::new();
    // 64 KiB of keyword-dense text, so 40 versions pass the mebibyte after which the DFA (and
    // the derivation from deltas) is used.
    let filler: Vec<String> = (0..1400)
        .map(|i| format!("password_hint_{i} = \"see the vault\"  # api key rotated {i}\n"))
        .collect();
    let plain = fake::github_pat(61);
    let late = fake::github_pat(62);
    let encoded = base64::engine::general_purpose::STANDARD
        .encode(format!("export GITHUB_TOKEN={}\n", fake::github_pat(63)));
    for version in 0..40 {
        let mut lines = filler.clone();
        lines[3] = format!("revision = {version}\n");
        if (10..35).contains(&version) {
            lines[700] = format!("github_token = \"{plain}\"\n");
        }
        if version >= 30 {
            lines.insert(1200, format!("LATE_TOKEN={late}\n"));
        }
        if version >= 20 {
            lines[900] = format!("bundle: {encoded}\n");
        }
        repo.write("app/settings.py", &lines.concat());
        repo.commit(&format!("version {version}"));
    }
    let loose = repo.dir.with_file_name("loose");
    let copied = Command::new("cp").arg("-a").arg(&repo.dir).arg(&loose).status().unwrap();
    assert!(copied.success());
    repo.git(&["gc", "-q", "--aggressive"]);
    let packs = std::fs::read_dir(repo.dir.join(".git/objects/pack")).unwrap().count();
    assert!(packs >= 2, "the history is packed");
    let (code, packed_doc, stderr) = repo.scan(&["--no-cache"]);
    assert_eq!(code, 1, "{stderr}");
    let (_, loose_doc, stderr) = scan_at(&loose, &["--no-cache"]);
    let rules: Vec<&str> = packed_doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert!(rules.len() >= 3, "the plain, late and base64-encoded tokens: {rules:?}");
    assert_eq!(packed_doc["findings"], loose_doc["findings"], "{stderr}");
    assert_eq!(places(&packed_doc), places(&loose_doc));
}
