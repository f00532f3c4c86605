//! The scanned repository is hostile: reports it cannot forge or redirect, fingerprints
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
        assert!(
            !out.replace(line_end, "").contains(['\r', '\n']),
            "{format}: a stray line break:\n{out}"
        );
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
    assert_eq!(
        std::fs::read_to_string(&victim).unwrap(),
        "precious\n",
        "the link target is untouched"
    );
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
        .timeout(std::time::Duration::from_mins(1))
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
    (
        json["findings"][0]["fingerprint"].as_str().unwrap().to_string(),
        partial.as_str().unwrap().to_string(),
    )
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
    let plain: String = plain.finalize()[..16].iter().fold(String::new(), |mut hex, b| {
        use std::fmt::Write as _;
        let _ = write!(hex, "{b:02x}");
        hex
    });
    assert_ne!(keyed, plain);
    let (other, other_partial) =
        fingerprints(&tree, &[("LEAKHOUND_FINGERPRINT_KEY", "another team's key")], false);
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

mod missing_history {
    //! Missing history is reported, never clean.

    use std::path::Path;

    use serde_json::Value;

    use crate::git::Repo;
    use crate::util::{Tree, fake, leakhound};

    fn scan(dir: &Path, args: &[&str]) -> (i32, Value, String) {
        let out = leakhound()
            .current_dir(dir)
            .arg("git")
            .args(args)
            .args(["-f", "json"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let doc = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {stderr}"));
        (out.status.code().unwrap(), doc, stderr)
    }

    fn notices(doc: &Value, level: &str) -> Vec<String> {
        doc["notices"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["level"] == level)
            .map(|n| {
                format!(
                    "{} | {}",
                    n["path"].as_str().unwrap_or("-"),
                    n["message"].as_str().unwrap()
                )
            })
            .collect()
    }

    fn loose_path(repo: &Repo, id: &str) -> std::path::PathBuf {
        repo.dir.join(".git/objects").join(&id[..2]).join(&id[2..])
    }

    fn remove_object(repo: &Repo, id: &str) {
        std::fs::remove_file(loose_path(repo, id)).expect("the object is loose");
    }

    #[test]
    fn a_blob_deleted_from_the_object_store_is_named_with_its_commit_and_path() {
        let mut repo = Repo::new();
        repo.write("keep.env", &format!("K={}\n", fake::github_pat(960)));
        repo.write("dir/gone.env", &format!("G={}\n", fake::github_pat(961)));
        let commit = repo.commit("two files");
        let blob = repo.git(&["rev-parse", "HEAD:dir/gone.env"]);
        remove_object(&repo, &blob);
        let (code, doc, stderr) = scan(&repo.dir, &[]);
        assert_eq!(code, 2, "{stderr}");
        let errors = notices(&doc, "error");
        assert_eq!(errors.len(), 1, "{errors:#?}");
        assert!(errors[0].starts_with("dir/gone.env | blob "), "{errors:#?}");
        assert!(errors[0].contains(&blob) && errors[0].contains(&commit), "{errors:#?}");
        assert_eq!(doc["findings"].as_array().unwrap().len(), 1, "what is there is still scanned");
        let (code, doc, stderr) = scan(&repo.dir, &["--allow-missing-objects"]);
        assert_eq!(code, 1, "accepted: the findings decide: {stderr}");
        assert!(
            doc["coverage"]["accepted"].to_string().contains("--allow-missing-objects"),
            "stated: {}",
            doc["coverage"]
        );
        assert_eq!(
            doc["coverage"]["complete"], true,
            "what was asked (with the acceptance) was read"
        );
    }

    #[test]
    fn a_commit_whose_tree_is_missing_is_an_error() {
        let mut repo = Repo::new();
        repo.write("a.txt", "first\n");
        repo.commit("first");
        repo.write("b.txt", "second\n");
        let commit = repo.commit("second");
        let tree = repo.git(&["rev-parse", "HEAD^{tree}"]);
        remove_object(&repo, &tree);
        let (code, doc, stderr) = scan(&repo.dir, &[]);
        assert_eq!(code, 2, "{stderr}");
        let errors = notices(&doc, "error");
        assert!(
            errors
                .iter()
                .any(|e| e.contains(&format!("tree {tree} is missing")) && e.contains(&commit)),
            "{errors:#?}"
        );
    }

    #[test]
    fn a_missing_parent_commit_is_an_error_but_a_shallow_boundary_is_named_as_such() {
        let mut repo = Repo::new();
        repo.write("a.txt", "first\n");
        let first = repo.commit("first");
        repo.write("b.txt", "second\n");
        repo.commit("second");
        remove_object(&repo, &first);
        let (code, doc, stderr) = scan(&repo.dir, &[]);
        assert_eq!(code, 2, "{stderr}");
        assert!(
            notices(&doc, "error")
                .iter()
                .any(|e| e.contains(&format!("commit {first} is missing"))),
            "{doc}"
        );
    }

    #[test]
    fn a_blobless_clone_is_a_named_partial_clone_and_exit_2_unless_accepted() {
        let mut origin = Repo::new();
        origin.git(&["config", "uploadpack.allowFilter", "true"]);
        origin.write("a.env", &format!("A={}\n", fake::github_pat(962)));
        origin.commit("a");
        origin.write("b.env", &format!("B={}\n", fake::github_pat(963)));
        origin.commit("b");
        let place = Tree::new();
        let clone = place.path().join("clone.git");
        let url = format!("file://{}", origin.dir.display());
        origin.git(&["clone", "-q", "--bare", "--filter=blob:none", &url, clone.to_str().unwrap()]);
        let (code, doc, stderr) = scan(&clone, &[]);
        assert_eq!(code, 2, "{stderr}");
        let errors = notices(&doc, "error");
        let partial = errors
            .iter()
            .find(|e| e.contains("partial clone"))
            .unwrap_or_else(|| panic!("{errors:#?}"));
        assert!(
            partial.contains("promisor remote \"origin\"") && partial.contains("promisor pack"),
            "{partial}"
        );
        assert!(errors.iter().any(|e| e.starts_with("a.env | blob ")), "{errors:#?}");
        assert!(errors.iter().any(|e| e.starts_with("b.env | blob ")), "{errors:#?}");
        assert_eq!(doc["coverage"]["complete"], false, "{}", doc["coverage"]);
        let (code, doc, stderr) = scan(&clone, &["--allow-missing-objects"]);
        assert_eq!(code, 0, "{stderr}");
        assert!(notices(&doc, "warning").iter().any(|n| n.contains("partial clone")), "still said");
    }

    #[test]
    fn a_blobless_work_tree_stages_and_scans_its_index_with_a_warning_not_an_error() {
        let mut origin = Repo::new();
        origin.git(&["config", "uploadpack.allowFilter", "true"]);
        origin.write("old.txt", "old\n");
        origin.commit("old");
        let place = Tree::new();
        let clone = place.path().join("clone");
        let url = format!("file://{}", origin.dir.display());
        origin.git(&["clone", "-q", "--filter=blob:none", &url, clone.to_str().unwrap()]);
        std::fs::write(clone.join("new.env"), format!("T={}\n", fake::github_pat(964))).unwrap();
        let status = std::process::Command::new("git")
            .args(["-C", clone.to_str().unwrap(), "add", "new.env"])
            .status()
            .unwrap();
        assert!(status.success());
        let (code, doc, stderr) = scan(&clone, &["--staged"]);
        assert_eq!(code, 1, "the staged secret is found: {stderr}");
        assert!(notices(&doc, "error").is_empty(), "{:#?}", notices(&doc, "error"));
        assert!(notices(&doc, "warning").iter().any(|n| n.contains("partial clone")), "still said");
        // The whole history of the same clone is still an error.
        let (code, _, _) = scan(&clone, &[]);
        assert_eq!(code, 2);
    }

    #[test]
    fn a_shallow_full_history_scan_is_exit_2_unless_accepted_but_a_range_scan_is_not() {
        let mut repo = Repo::new();
        repo.write("old.txt", "old\n");
        repo.commit("old");
        repo.write("new.txt", "new\n");
        repo.commit("new");
        let place = Tree::new();
        let shallow = place.path().join("shallow");
        let url = format!("file://{}", repo.dir.display());
        repo.git(&["clone", "-q", "--depth", "1", &url, shallow.to_str().unwrap()]);
        let (code, doc, _) = scan(&shallow, &[]);
        assert_eq!(code, 2);
        assert!(notices(&doc, "error").iter().any(|e| e.contains("shallow clone")));
        assert_eq!(scan(&shallow, &["--allow-missing-objects"]).0, 0);
        assert_eq!(
            scan(&shallow, &["--branch", "HEAD"]).0,
            2,
            "a branch's whole history was asked for"
        );
        let (code, doc, _) = scan(&shallow, &["--staged"]);
        assert_eq!(code, 0, "the index against HEAD needs no history");
        assert!(notices(&doc, "warning").iter().any(|e| e.contains("shallow clone")));
    }
}

mod git_metadata {
    //! Reading another repository through git metadata is refused.

    use std::os::unix::fs::symlink;
    use std::path::Path;

    use crate::git::Repo;
    use crate::util::{Tree, fake, leakhound};

    /// A repository with one secret in its history, packed, that a hostile one tries to reach.
    fn elsewhere() -> Repo {
        let mut repo = Repo::new();
        repo.write("x.env", &format!("X={}\n", fake::github_pat(970)));
        repo.commit("x");
        repo.git(&["gc", "-q"]);
        repo
    }

    /// `(exit code, stderr)` of `leakhound git -q` in `dir`, and of the same with
    /// `--allow-external-objects`.
    fn refused_then_allowed(dir: &Path) -> ((i32, String), i32) {
        let run = |extra: &[&str]| {
            let out =
                leakhound().current_dir(dir).args(["git", "-q"]).args(extra).output().unwrap();
            (out.status.code().unwrap(), String::from_utf8_lossy(&out.stderr).into_owned())
        };
        (run(&[]), run(&["--allow-external-objects"]).0)
    }

    fn assert_refused(dir: &Path, what: &str) {
        let ((code, stderr), allowed) = refused_then_allowed(dir);
        assert_eq!(code, 2, "{what}: {stderr}");
        assert!(
            stderr.contains("outside the repository")
                && stderr.contains("--allow-external-objects"),
            "{what}: {stderr}"
        );
        assert_eq!(allowed, 1, "{what}: allowed explicitly, the other history is scanned");
    }

    #[test]
    fn a_dot_git_symlink_to_another_repository_is_refused() {
        let other = elsewhere();
        let tree = Tree::new();
        symlink(other.dir.join(".git"), tree.path().join(".git")).unwrap();
        assert_refused(tree.path(), ".git symlink");
    }

    #[test]
    fn a_git_file_into_a_modules_directory_that_is_a_symlink_is_refused() {
        let other = elsewhere();
        let store = Tree::new();
        let modules = store.path().join("super/.git/modules");
        std::fs::create_dir_all(store.path().join("super/.git/objects")).unwrap();
        std::fs::create_dir_all(&modules).unwrap();
        assert!(
            std::process::Command::new("cp")
                .arg("-r")
                .arg(other.dir.join(".git"))
                .arg(modules.join("m"))
                .status()
                .unwrap()
                .success()
        );
        let tree = Tree::new();
        std::fs::create_dir_all(tree.path().join("fake/objects")).unwrap();
        symlink(&modules, tree.path().join("fake/modules")).unwrap();
        std::fs::write(tree.path().join(".git"), "gitdir: fake/modules/m\n").unwrap();
        assert_refused(tree.path(), "modules symlink");
    }

    #[test]
    fn a_commondir_naming_another_repository_is_refused() {
        let other = elsewhere();
        let mut victim = Repo::new();
        victim.write("r.txt", "nothing\n");
        victim.commit("r");
        std::fs::write(
            victim.dir.join(".git/commondir"),
            format!("{}\n", other.dir.join(".git").display()),
        )
        .unwrap();
        assert_refused(&victim.dir, "commondir");
    }

    #[test]
    fn an_objects_directory_symlinked_from_elsewhere_is_refused() {
        let other = elsewhere();
        let mut victim = Repo::new();
        victim.write("r.txt", "nothing\n");
        victim.commit("r");
        let objects = victim.dir.join(".git/objects");
        std::fs::remove_dir_all(&objects).unwrap();
        symlink(other.dir.join(".git/objects"), &objects).unwrap();
        assert_refused(&victim.dir, "objects symlink");
    }

    #[test]
    fn a_pack_symlinked_from_another_repository_is_refused() {
        let other = elsewhere();
        let mut victim = Repo::new();
        victim.write("r.txt", "nothing\n");
        victim.commit("r");
        let packs = other.dir.join(".git/objects/pack");
        for entry in std::fs::read_dir(&packs).unwrap() {
            let path = entry.unwrap().path();
            symlink(&path, victim.dir.join(".git/objects/pack").join(path.file_name().unwrap()))
                .unwrap();
        }
        assert_refused(&victim.dir, "pack symlink");
    }

    #[test]
    fn a_submodule_checkout_reads_its_git_directory_in_the_superproject() {
        let mut sub = Repo::new();
        sub.write("inner.env", &format!("I={}\n", fake::github_pat(971)));
        sub.commit("inner secret");
        let mut repo = Repo::new();
        let url = format!("file://{}", sub.dir.display());
        repo.git(&[
            "-c",
            "protocol.file.allow=always",
            "submodule",
            "add",
            "-q",
            &url,
            "vendor/sub",
        ]);
        repo.commit("add submodule");
        let checkout = repo.dir.join("vendor/sub");
        assert!(checkout.join(".git").is_file(), "git made a .git file pointing into .git/modules");
        let out = leakhound().current_dir(&checkout).args(["git", "-q"]).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    }
}

mod sha256 {
    //! Repositories in SHA-256 object format are scanned in every git mode.

    use crate::git::Repo;
    use crate::util::fake;

    fn sha256_repo() -> Repo {
        let mut repo = Repo::new();
        std::fs::remove_dir_all(repo.dir.join(".git")).unwrap();
        repo.git(&["init", "-q", "--object-format=sha256", "-b", "main"]);
        assert_eq!(repo.git(&["rev-parse", "--show-object-format"]), "sha256");
        repo
    }

    #[test]
    fn history_loose_and_packed_branch_range_and_staged_all_find_the_secrets() {
        let mut repo = sha256_repo();
        repo.write("base.txt", "base\n");
        repo.commit("base");
        repo.write("a.env", &format!("A={}\n", fake::github_pat(980)));
        let added = repo.commit("a");
        assert_eq!(added.len(), 64);
        let (code, doc, stderr) = repo.scan(&[]);
        assert_eq!(code, 1, "loose objects: {stderr}");
        assert_eq!(doc["findings"][0]["locations"][0]["git"]["commit"]["id"], added.as_str());
        repo.git(&["gc", "-q"]);
        let (code, doc, stderr) = repo.scan(&[]);
        assert_eq!(code, 1, "packed: {stderr}");
        assert_eq!(doc["findings"][0]["locations"][0]["git"]["commit"]["id"], added.as_str());
        for args in
            [&["--branch", "main"][..], &["--range", "HEAD~1..HEAD"], &["--since", "HEAD~1"]]
        {
            let (code, _, stderr) = repo.scan(args);
            assert_eq!(code, 1, "{args:?}: {stderr}");
        }
        repo.write("b.env", &format!("B={}\n", fake::github_pat(981)));
        repo.git(&["add", "b.env"]);
        let (code, doc, stderr) = repo.scan(&["--staged"]);
        assert_eq!(code, 1, "staged: {stderr}");
        assert_eq!(doc["findings"][0]["locations"][0]["path"], "b.env");
    }
}

mod repository_cannot_decide {
    //! The scanned tree must not decide the result.

    use std::os::unix::fs::symlink;

    use crate::util::{Tree, fake};

    /// A tree whose own files try every way to hide its leaks.
    fn self_silencing_tree() -> Tree {
        let tree = Tree::new();
        tree.file(".leakhound.toml", "[[allow]]\npaths = [\"**\"]\n[rules]\ndisable = [\"*\"]\n");
        tree.file(".gitignore", "ignored.txt\nbuild/\n");
        tree.file(".leakhoundignore", "hidden.py\n");
        tree.file("ignored.txt", format!("t={}\n", fake::github_pat(990)));
        tree.file("build/out.txt", format!("t={}\n", fake::github_pat(991)));
        tree.file("hidden.py", format!("t={}\n", fake::github_pat(992)));
        tree.file("marked.py", format!("t={} # leakhound:allow\n", fake::github_pat(993)));
        tree.file("plain.py", format!("t={}\n", fake::github_pat(994)));
        tree
    }

    #[test]
    fn by_default_what_the_repository_hides_is_counted_and_listed() {
        let run = self_silencing_tree().run(&["scan", "-f", "json"]);
        let doc = run.json();
        assert_eq!(run.code(), 0, "config suppresses everything left: {}", run.stderr());
        assert_eq!(doc["findings"].as_array().unwrap().len(), 0);
        assert_eq!(
            doc["suppressed"].as_array().unwrap().len(),
            2,
            "suppressed findings are listed: {doc}"
        );
        let ignored = &doc["coverage"]["skipped"]["ignored"];
        assert_eq!(ignored["count"], 3, "{ignored}");
        let mut paths: Vec<&str> =
            ignored["paths"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
        paths.sort_unstable();
        assert_eq!(
            paths,
            ["build", "hidden.py", "ignored.txt"],
            "an ignored directory counts once"
        );
        assert!(run.stderr().contains("2 suppressed"), "{}", run.stderr());
    }

    #[test]
    fn strict_mode_ignores_config_ignore_files_and_markers_and_says_so() {
        let run = self_silencing_tree().run(&["scan", "--strict", "-f", "json"]);
        assert_eq!(run.code(), 1, "{}", run.stderr());
        let doc = run.json();
        assert_eq!(doc["findings"].as_array().unwrap().len(), 5, "{doc}");
        assert_eq!(doc["suppressed"].as_array().unwrap().len(), 0);
        assert_eq!(doc["coverage"]["strict"], true);
        assert!(doc["coverage"]["skipped"].get("ignored").is_none());
    }

    #[test]
    fn strict_mode_in_git_ignores_the_repository_config_and_markers() {
        let mut repo = crate::git::Repo::new();
        repo.write(".leakhound.toml", "[[allow]]\npaths = [\"**\"]\n");
        repo.write("a.py", &format!("t={} # leakhound:allow\n", fake::github_pat(995)));
        repo.commit("self-allowed");
        let (code, doc, _) = repo.scan(&[]);
        assert_eq!((code, doc["findings"].as_array().unwrap().len()), (0, 0));
        let (code, doc, stderr) = repo.scan(&["--strict"]);
        assert_eq!(code, 1, "{stderr}");
        assert_eq!(doc["findings"].as_array().unwrap().len(), 1);
        assert_eq!(doc["coverage"]["strict"], true);
    }

    #[test]
    fn ignore_files_above_the_root_are_read_only_inside_the_work_tree_that_owns_them() {
        let outer = Tree::new();
        outer.file(".gitignore", "*.py\n");
        outer.file("checkout/app.py", format!("t={}\n", fake::github_pat(996)));
        let run = outer.run(&["scan", "checkout", "-f", "json"]);
        assert_eq!(
            run.code(),
            1,
            "a stranger's .gitignore above the root hides nothing: {}",
            run.stderr()
        );
        std::fs::create_dir(outer.path().join(".git")).unwrap();
        let run = outer.run(&["scan", "checkout", "-f", "json"]);
        assert_eq!(run.code(), 0, "the work tree's own .gitignore applies, as git applies it");
        assert_eq!(run.json()["coverage"]["skipped"]["ignored"]["paths"][0], "checkout/app.py");
    }

    #[test]
    fn a_symlink_named_on_the_command_line_is_read_and_one_met_while_walking_is_counted() {
        let tree = Tree::new();
        let target = tree.file("real/token.txt", format!("t={}\n", fake::github_pat(997)));
        symlink(&target, tree.path().join("link.txt")).unwrap();
        std::fs::create_dir(tree.path().join("dir")).unwrap();
        symlink(&target, tree.path().join("dir/link.txt")).unwrap();
        let run = tree.run(&["scan", "link.txt", "-f", "json"]);
        assert_eq!(run.code(), 1, "named explicitly, it is read: {}", run.stderr());
        assert_eq!(run.hits()[0].1, "link.txt");
        let run = tree.run(&["scan", "dir", "-f", "json"]);
        assert_eq!(run.code(), 0);
        assert_eq!(run.json()["coverage"]["skipped"]["symlink"]["paths"][0], "dir/link.txt");
    }

    #[test]
    fn a_gitignored_credential_store_is_still_scanned_and_named_paths_ignore_nothing() {
        let tree = Tree::new();
        tree.file(".gitignore", ".env\nsecret.txt\n");
        tree.file(".env", format!("T={}\n", fake::github_pat(998)));
        tree.file("secret.txt", format!("t={}\n", fake::github_pat(999)));
        let run = tree.run(&["scan", "-f", "json"]);
        assert_eq!(run.hits().len(), 1, "the .env is scanned");
        assert_eq!(run.json()["coverage"]["skipped"]["ignored"]["count"], 1);
        let run = tree.run(&["scan", "secret.txt", "-f", "json"]);
        assert_eq!(run.hits().len(), 1, "a path the user names is read");
    }
}
