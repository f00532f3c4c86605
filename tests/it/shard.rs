//! `leakhound git --shard I/N` and `leakhound report merge`: the merged report of N shards is
//! byte for byte the report of one unsharded run (only `summary.duration_ms`, a wall time, is
//! per run; the unsharded runs pass `--no-cache`, since the history cache's use is per run too
//! and shards never use it), and a missing, duplicated or foreign shard is an error that names it.

use std::path::{Path, PathBuf};

use crate::git::Repo;
use crate::util::{fake, leakhound};

/// A history with what a merge must get right: a secret in several files, commits and shards,
/// suppressed and active locations of one secret, test-only and docs-only secrets (context),
/// a binary blob, a blob over the size limit, a branch and a tag.
pub(crate) fn repository() -> Repo {
    let mut repo = Repo::new();
    repo.write(
        ".leakhound.toml",
        "[[allow]]\ndescription = \"vendored\"\npaths = [\"vendor/**\"]\n",
    );
    for commit in 0..12u64 {
        for file in 0..6u64 {
            let seed = commit * 10 + file;
            let shared = fake::github_pat(7);
            let body = format!(
                "token = \"{}\"\nshared = \"{shared}\"\naws = \"{}\"\n",
                fake::github_pat(seed),
                fake::aws_key_id(seed)
            );
            repo.write(&format!("src/m{file}/conf{commit}.py"), &body);
        }
        let own = fake::github_pat(1000 + commit);
        repo.write(&format!("tests/t{commit}.py"), &format!("t = \"{own}\"\n"));
        repo.write(&format!("docs/d{commit}.md"), &format!("x `{}`\n", fake::github_pat(2000)));
        repo.write(&format!("vendor/v{commit}.py"), &format!("v = \"{}\"\n", fake::github_pat(7)));
        repo.write(
            "marked.py",
            &format!("m = \"{}\"  # leakhound:allow\n", fake::github_pat(3000 + commit % 3)),
        );
        if commit % 4 == 0 {
            // An expired JWT: the offline check's verdict travels through the shard reports.
            use base64::Engine as _;
            let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
            let jwt = format!(
                "{}.{}.{}",
                b64(r#"{"alg":"RS256","typ":"JWT"}"#),
                b64(&format!(
                    r#"{{"iss":"https://login.example.com","aud":"api","exp":1500000000,"sub":"u{commit}"}}"#
                )),
                fake::alnum(90 + commit, 43)
            );
            repo.write(&format!("auth{commit}.txt"), &format!("token: {jwt}\n"));
        }
        // A credential file's password in test data only (kept, context `test`; its redacted
        // stand-in must not be taken for a placeholder), and a placeholder in docs only (an
        // illustration: dropped) that is also in production code once (kept).
        repo.write(
            &format!("tests/data/c{commit}.netrc"),
            &format!(
                "machine h{commit} login bob password {}\n",
                fake::alnum(300 + commit % 2, 14)
            ),
        );
        repo.write(
            &format!("docs/n{commit}.netrc"),
            "machine example.com login me password changeme\n",
        );
        if commit == 11 {
            repo.write("deploy/prod.netrc", "machine example.com login me password changeme\n");
        }
        repo.write(&format!("bin{commit}.dat"), &format!("\u{0}\u{1}{commit}\u{0}"));
        repo.write("big.txt", &format!("{}\n", "y".repeat(3000 + commit as usize)));
        repo.commit(&format!("commit {commit}"));
        if commit == 5 {
            repo.git(&["branch", "side"]);
            repo.git(&["tag", "v1"]);
        }
    }
    repo
}

fn run_to(dir: &Path, args: &[&str], out: &Path) -> i32 {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["-f", "json", "-q", "-r", out.to_str().unwrap()]);
    let run = leakhound().current_dir(dir).args(&all).output().unwrap();
    assert!(out.exists(), "{}", String::from_utf8_lossy(&run.stderr));
    run.status.code().unwrap()
}

/// The report with its one per-run value, the wall time, set to 0.
pub(crate) fn normalised(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .map(|l| match l.find("\"duration_ms\": ") {
            Some(at) => format!("{}\"duration_ms\": 0", &l[..at]),
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn shards(repo: &Repo, out: &Path, n: u32, extra: &[&str]) -> Vec<PathBuf> {
    (0..n)
        .map(|i| {
            let path = out.join(format!("shard-{i}-of-{n}.json"));
            let spec = format!("{i}/{n}");
            let mut args = vec!["git", ".", "--shard", &spec, "--max-file-size", "3005"];
            args.extend_from_slice(extra);
            run_to(&repo.dir, &args, &path);
            path
        })
        .collect()
}

fn merge(dir: &Path, files: &[PathBuf], out: &Path, format: &str) -> std::process::Output {
    let mut cmd = leakhound();
    cmd.current_dir(dir).args(["report", "merge", "-q", "-f", format, "-r", out.to_str().unwrap()]);
    cmd.args(files);
    cmd.output().unwrap()
}

#[test]
fn merged_shards_are_the_unsharded_report_byte_for_byte() {
    let repo = repository();
    let out = tempfile::tempdir().unwrap();
    for extra in [&[][..], &["--min-confidence", "high"][..]] {
        let whole = out.path().join("whole.json");
        let code = run_to(
            &repo.dir,
            &[&["git", ".", "--no-cache", "--max-file-size", "3005"][..], extra].concat(),
            &whole,
        );
        let expected = normalised(&whole);
        let doc: serde_json::Value = serde_json::from_str(&expected).unwrap();
        assert!(doc["findings"].as_array().unwrap().len() > 50, "{expected}");
        assert!(!doc["suppressed"].as_array().unwrap().is_empty());
        assert!(
            !extra.is_empty() || expected.contains("\"netrc.password\""),
            "credential-file findings are in the report"
        );
        assert!(
            !extra.is_empty() || expected.contains("\"expired\""),
            "an offline verdict is in the report"
        );
        assert!(doc["coverage"]["skipped"]["too-large"]["count"].as_u64().unwrap() > 0);
        for n in [1, 2, 3, 7] {
            let files = shards(&repo, out.path(), n, extra);
            let merged = out.path().join(format!("merged-{n}.json"));
            let run = merge(&repo.dir, &files, &merged, "json");
            assert_eq!(run.status.code(), Some(code), "{}", String::from_utf8_lossy(&run.stderr));
            let got = normalised(&merged);
            assert!(got == expected, "N = {n} {extra:?}: merged report differs:\n{got}");
        }
    }
}

#[test]
fn each_blob_is_matched_by_exactly_one_shard() {
    let repo = repository();
    let out = tempfile::tempdir().unwrap();
    let whole = out.path().join("whole.json");
    run_to(&repo.dir, &["git", ".", "--no-cache", "--max-file-size", "3005"], &whole);
    let whole: serde_json::Value = serde_json::from_str(&normalised(&whole)).unwrap();
    let mut items = 0;
    for file in shards(&repo, out.path(), 3, &[]) {
        let doc: serde_json::Value = serde_json::from_str(&normalised(&file)).unwrap();
        assert_eq!(doc["coverage"]["shard"]["count"], 3);
        assert_eq!(doc["coverage"]["refs"], whole["coverage"]["refs"]);
        items += doc["coverage"]["items_scanned"].as_u64().unwrap();
    }
    assert_eq!(items, whole["coverage"]["items_scanned"].as_u64().unwrap());
}

#[test]
fn every_format_merges_like_the_unsharded_scan() {
    let repo = repository();
    let out = tempfile::tempdir().unwrap();
    let files = shards(&repo, out.path(), 2, &[]);
    for format in ["jsonl", "sarif", "csv", "gitlab", "github", "text"] {
        let whole = out.path().join(format!("whole.{format}"));
        let args = [
            "git",
            ".",
            "--no-cache",
            "--max-file-size",
            "3005",
            "-f",
            format,
            "-q",
            "--color",
            "never",
        ];
        let run = leakhound()
            .current_dir(&repo.dir)
            .args(args)
            .args(["-r", whole.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(whole.exists(), "{}", String::from_utf8_lossy(&run.stderr));
        let merged = out.path().join(format!("merged.{format}"));
        let run = merge(&repo.dir, &files, &merged, format);
        assert!(merged.exists(), "{}", String::from_utf8_lossy(&run.stderr));
        let strip = |p: &Path| {
            std::fs::read_to_string(p)
                .unwrap()
                .lines()
                .filter(|l| {
                    !l.contains("duration")
                        && !l.contains("_time\"")
                        && !l.contains(" in 0.")
                        && !l.contains("endTimeUtc")
                        && !l.contains("startTimeUtc")
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(strip(&merged), strip(&whole), "format {format}");
    }
}

#[test]
fn missing_duplicated_and_foreign_shards_are_named() {
    let mut repo = repository();
    let out = tempfile::tempdir().unwrap();
    let three = shards(&repo, out.path(), 3, &[]);
    let merged = out.path().join("m.json");
    let cwd = out.path().to_path_buf();
    let error = |files: &[PathBuf]| {
        let run = merge(&cwd, files, &merged, "json");
        assert_eq!(run.status.code(), Some(2));
        String::from_utf8_lossy(&run.stderr).into_owned()
    };
    assert!(error(&three[..2]).contains("missing: 2/3"));
    let twice = [three[0].clone(), three[1].clone(), three[1].clone(), three[2].clone()];
    assert!(error(&twice).contains("shard 1/3 is given twice"));
    let two = shards(&repo, out.path(), 2, &[]);
    let mixed = [three[0].clone(), two[1].clone()];
    let message = error(&mixed);
    assert!(
        message.contains("shard-1-of-2.json is a foreign shard") && message.contains("shard count"),
        "{message}"
    );
    let strict = out.path().join("strict.json");
    run_to(
        &repo.dir,
        &["git", ".", "--shard", "2/3", "--max-file-size", "3005", "--strict"],
        &strict,
    );
    let message = error(&[three[0].clone(), three[1].clone(), strict]);
    assert!(message.contains("strict.json is a foreign shard: not the same settings"), "{message}");
    // A new commit moves the tip: shards of the old and new history do not mix.
    repo.write("later.txt", "x\n");
    repo.commit("later");
    let moved = out.path().join("moved.json");
    run_to(&repo.dir, &["git", ".", "--shard", "2/3", "--max-file-size", "3005"], &moved);
    let message = error(&[three[0].clone(), three[1].clone(), moved]);
    assert!(message.contains("moved.json is a foreign shard: not the same ref tips"), "{message}");
    // A plain report is not a shard.
    let plain = out.path().join("plain.json");
    run_to(&repo.dir, &["git", "."], &plain);
    assert!(error(&[plain]).contains("not a shard report"));
}

#[test]
fn shards_without_findings_merge_with_the_others() {
    let mut repo = Repo::new();
    repo.write("one.py", &format!("t = \"{}\"\n", fake::github_pat(5)));
    repo.write("two.txt", "nothing here\n");
    repo.commit("one secret");
    let out = tempfile::tempdir().unwrap();
    let whole = out.path().join("whole.json");
    let code = run_to(&repo.dir, &["git", ".", "--no-cache"], &whole);
    let files: Vec<PathBuf> = (0..5)
        .map(|i| {
            let path = out.path().join(format!("s{i}.json"));
            run_to(&repo.dir, &["git", ".", "--shard", &format!("{i}/5")], &path);
            path
        })
        .collect();
    let empty = files.iter().filter(|f| normalised(f).contains("\"findings\": []")).count();
    assert!(empty >= 4, "most shards have no finding");
    let merged = out.path().join("merged.json");
    let run = merge(&repo.dir, &files, &merged, "json");
    assert_eq!(run.status.code(), Some(code), "{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(normalised(&merged), normalised(&whole));
}

#[test]
fn missing_objects_are_reported_by_shard_zero_and_merged_like_the_unsharded_scan() {
    let mut repo = Repo::new();
    repo.write("docs/readme.txt", "hello\n");
    repo.write("conf.py", &format!("t = \"{}\"\n", fake::github_pat(61)));
    repo.commit("start");
    repo.write("more.py", &format!("t = \"{}\"\n", fake::github_pat(62)));
    repo.commit("more");
    let gone = repo.git(&["rev-parse", "HEAD:docs/readme.txt"]);
    std::fs::remove_file(repo.dir.join(format!(".git/objects/{}/{}", &gone[..2], &gone[2..])))
        .unwrap();
    let out = tempfile::tempdir().unwrap();
    let whole = out.path().join("whole.json");
    let code = run_to(&repo.dir, &["git", ".", "--no-cache"], &whole);
    assert_eq!(code, 2, "a missing object makes the scan incomplete");
    let expected = normalised(&whole);
    assert!(expected.contains("docs/readme.txt") && expected.contains(&gone), "{expected}");
    for n in [2, 3] {
        let files = shards(&repo, out.path(), n, &[]);
        // Shard 0 checks every reference; the others leave that to it.
        assert!(std::fs::read_to_string(&files[0]).unwrap().contains(&gone));
        assert!(!std::fs::read_to_string(&files[1]).unwrap().contains(&gone));
        let merged = out.path().join(format!("merged-{n}.json"));
        let run = merge(&repo.dir, &files, &merged, "json");
        assert_eq!(run.status.code(), Some(2), "{}", String::from_utf8_lossy(&run.stderr));
        assert!(normalised(&merged) == expected, "N = {n}: merged report differs");
    }
}
