//! The incremental history cache: a rescan reads only new blobs and reports exactly what an
//! uncached scan reports; rules and options invalidate it; a corrupt, foreign or busy cache is
//! a warning and never costs a finding; no secret is ever written to it.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::git::Repo;
use crate::util::{fake, leakhound};

/// A scan's exit code, its JSON report, the `findings` array as the report wrote it, stderr.
struct Scan {
    code: i32,
    doc: Value,
    findings: String,
    stderr: String,
}

impl Scan {
    fn cache(&self) -> &Value {
        &self.doc["coverage"]["cache"]
    }

    fn served(&self) -> u64 {
        self.cache()["served"].as_u64().unwrap()
    }

    fn notice_kinds(&self) -> Vec<String> {
        self.doc["notices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| format!("{}:{}", n["level"].as_str().unwrap(), n["kind"].as_str().unwrap()))
            .collect()
    }
}

fn scan(dir: &Path, args: &[&str]) -> Scan {
    scan_with_key(dir, args, None)
}

/// [`scan`], with another fingerprint key when given.
fn scan_with_key(dir: &Path, args: &[&str], key: Option<&str>) -> Scan {
    let mut all = vec!["git", "."];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-f", "json", "-j", "2"]);
    let mut cmd = leakhound();
    if let Some(key) = key {
        cmd.env("LEAKHOUND_FINGERPRINT_KEY", key);
    }
    let out = cmd.current_dir(dir).args(&all).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let doc: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\n{stderr}"));
    // The findings exactly as written: from `"findings":` to the `"suppressed":` that follows.
    let start = stdout.find("\"findings\":").unwrap();
    let end = start + stdout[start..].find("\"suppressed\":").unwrap();
    let findings = stdout[start..end].to_string();
    Scan { code: out.status.code().unwrap(), doc, findings, stderr }
}

/// A repository with a few clean files, a secret, and a file the extra rule below matches.
fn history() -> Repo {
    let mut repo = Repo::new();
    for i in 0..5 {
        repo.write(&format!("src/m{i}.rs"), &format!("fn m{i}() -> u32 {{ {i} }}\n"));
    }
    repo.commit("code");
    repo.write("config.py", &format!("TOKEN = \"{}\"\n", fake::github_pat(11)));
    repo.write("notes.txt", "ticket cachetest_9f8e7d6c5b4a3f2e is open\n");
    repo.commit("config");
    repo.write("src/m0.rs", "fn m0() -> u32 { 100 }\n");
    repo.commit("change");
    repo
}

fn cache_file(repo: &Repo) -> PathBuf {
    repo.dir.join(".git/leakhound/cache.redb")
}

fn same_as_uncached(repo: &Repo, cached: &Scan, args: &[&str]) {
    let mut plain = args.to_vec();
    plain.push("--no-cache");
    let uncached = scan(&repo.dir, &plain);
    assert_eq!(cached.code, uncached.code, "{}", cached.stderr);
    assert_eq!(cached.findings, uncached.findings);
    assert!(uncached.doc["coverage"].get("cache").is_none());
    for counter in ["items_scanned", "bytes_scanned"] {
        assert_eq!(cached.doc["coverage"][counter], uncached.doc["coverage"][counter], "{counter}");
    }
}

#[test]
fn a_rescan_after_one_commit_reads_only_the_new_blobs_and_reports_the_same_bytes() {
    let mut repo = history();
    let first = scan(&repo.dir, &[]);
    assert_eq!(first.code, 1, "{}", first.stderr);
    assert_eq!(first.cache()["state"], "new");
    assert_eq!(first.served(), 0);
    let blobs = first.doc["coverage"]["items_scanned"].as_u64().unwrap();
    assert_eq!(first.cache()["stored"].as_u64().unwrap(), blobs);
    assert!(cache_file(&repo).is_file());

    repo.write("deploy.env", &format!("T={}\n", fake::github_pat(12)));
    repo.write("src/m1.rs", "fn m1() -> u32 { 7 }\n");
    repo.commit("one more");
    let second = scan(&repo.dir, &[]);
    assert_eq!(second.cache()["state"], "used");
    // Every old blob but the one with a match came from the cache; that one was matched again.
    assert_eq!(second.served(), blobs - 1);
    assert_eq!(second.cache()["matched_again"], 1);
    assert_eq!(second.cache()["stored"], 2);
    assert_eq!(second.doc["findings"].as_array().unwrap().len(), 2);
    let summary = format!("{} blobs from the history cache", blobs - 1);
    assert!(second.stderr.contains(&summary), "{}", second.stderr);
    same_as_uncached(&repo, &second, &[]);
}

#[test]
fn a_rules_change_or_an_option_change_invalidates_the_cache() {
    let repo = history();
    assert_eq!(scan(&repo.dir, &[]).cache()["state"], "new");
    std::fs::write(
        repo.dir.join("../ticket.yaml"),
        "rules:
  - id: test.ticket
    name: Ticket
    provider: Test
    kind: generic
    keywords: [cachetest_]
    pattern: 'cachetest_(?P<secret>[0-9a-f]{16})'
    confidence: high
    severity: low
    examples: ['cachetest_0123456789abcdef']
    negative_examples: ['cachetest_0123']
",
    )
    .unwrap();
    // The new rule matches a blob the cache holds as clean: it must be read again.
    let rules = ["--rules", "../ticket.yaml"];
    let with_rule = scan(&repo.dir, &rules);
    assert_eq!(with_rule.cache()["state"], "invalidated (rules or options changed)");
    assert_eq!(with_rule.served(), 0);
    let ids: Vec<&str> = with_rule.doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"test.ticket"), "{ids:?}");
    same_as_uncached(&repo, &with_rule, &rules);
    let again = scan(&repo.dir, &rules);
    assert_eq!(again.cache()["state"], "used");
    assert!(again.served() > 0);
    same_as_uncached(&repo, &again, &rules);

    // An option that changes what is read does too.
    let option = scan(&repo.dir, &["--no-archives"]);
    assert_eq!(option.cache()["state"], "invalidated (rules or options changed)");
    assert_eq!(option.served(), 0);
    same_as_uncached(&repo, &option, &["--no-archives"]);
}

#[test]
fn a_corrupt_truncated_or_foreign_cache_is_a_warning_and_costs_no_finding() {
    let mut repo = history();
    let blob = repo.git(&["rev-parse", "HEAD:src/m1.rs"]);
    let blob: Vec<u8> =
        (0..20).map(|i| u8::from_str_radix(&blob[2 * i..2 * i + 2], 16).unwrap()).collect();
    let first = scan(&repo.dir, &[]);
    let file = cache_file(&repo);
    let good = std::fs::read(&file).unwrap();

    let garbage: Vec<u8> = (0..good.len()).map(|i| (i * 7 % 251) as u8).collect();
    let damaged = [garbage, good[..good.len() / 2].to_vec(), {
        let mut flipped = good.clone();
        // A flipped byte in a stored blob id fails the page checksums.
        let at = flipped.windows(20).position(|w| w == blob.as_slice()).unwrap();
        flipped[at + 3] ^= 0x5a;
        flipped
    }];
    for (n, bytes) in damaged.iter().enumerate() {
        std::fs::write(&file, bytes).unwrap();
        let run = scan(&repo.dir, &[]);
        assert_eq!(run.findings, first.findings, "case {n}");
        assert_eq!(run.code, 1, "case {n}: {}", run.stderr);
        assert_eq!(run.served(), 0, "case {n}");
        assert!(
            run.notice_kinds().contains(&"warning:cache-ignored".to_string()),
            "case {n}: {:?}",
            run.doc["notices"]
        );
        // The cache was rebuilt: the next scan uses it without a notice.
        let next = scan(&repo.dir, &[]);
        assert_eq!(next.cache()["state"], "used", "case {n}: {:?}", next.doc["notices"]);
        assert!(next.notice_kinds().is_empty(), "case {n}");
        assert_eq!(next.findings, first.findings, "case {n}");
    }

    // A copy of the repository elsewhere carries the cache of another repository.
    let copy = repo.dir.parent().unwrap().join("copy");
    let status =
        std::process::Command::new("cp").args(["-a"]).arg(&repo.dir).arg(&copy).status().unwrap();
    assert!(status.success());
    let foreign = scan(&copy, &[]);
    assert_eq!(foreign.served(), 0);
    assert_eq!(foreign.findings, first.findings);
    let notice = &foreign.doc["notices"][0];
    assert_eq!(notice["kind"], "cache-ignored");
    assert!(notice["message"].as_str().unwrap().contains("another repository"), "{notice}");

    // A cache sealed under another key (one that came with the repository) is not trusted.
    let planted = scan_with_key(&repo.dir, &[], Some("someone else's key"));
    assert_eq!(planted.served(), 0);
    let notice = &planted.doc["notices"][0];
    assert_eq!(notice["kind"], "cache-ignored");
    assert!(notice["message"].as_str().unwrap().contains("fingerprint key"), "{notice}");
}

#[test]
fn a_busy_cache_is_not_used_and_the_scan_is_complete() {
    let repo = history();
    let first = scan(&repo.dir, &[]);
    let held = leakhound::internals::git::hold_cache(&cache_file(&repo)).expect("cache opens");
    let busy = scan(&repo.dir, &[]);
    drop(held);
    assert_eq!(busy.cache()["used"], false);
    assert_eq!(busy.cache()["state"], "busy");
    assert_eq!(busy.notice_kinds(), ["warning:cache-ignored"]);
    assert_eq!(busy.findings, first.findings);
    assert_eq!(busy.code, 1);
    assert_eq!(scan(&repo.dir, &[]).cache()["state"], "used");
}

#[test]
fn the_cache_holds_no_secret_never_follows_a_link_and_can_live_elsewhere() {
    let repo = history();
    let secret = fake::github_pat(11);
    scan(&repo.dir, &[]);
    let bytes = std::fs::read(cache_file(&repo)).unwrap();
    assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()));
    assert!(!bytes.windows(4).any(|w| w == b"ghp_"));

    // `--cache DIR`: one file per repository there; nothing new under the git directory.
    let elsewhere = repo.dir.parent().unwrap().join("caches");
    std::fs::remove_dir_all(repo.dir.join(".git/leakhound")).unwrap();
    let dir = elsewhere.to_str().unwrap();
    assert_eq!(scan(&repo.dir, &["--cache", dir]).cache()["state"], "new");
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 1);
    assert!(scan(&repo.dir, &["--cache", dir]).served() > 0);
    assert!(!repo.dir.join(".git/leakhound").exists());

    // A link planted where the default cache goes is not followed.
    let outside = repo.dir.parent().unwrap().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, repo.dir.join(".git/leakhound")).unwrap();
    let linked = scan(&repo.dir, &[]);
    assert_eq!(linked.cache()["used"], false);
    assert_eq!(linked.code, 1);
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
}

/// Packs every object into one new pack (delta chains included) and drops the old packs and
/// loose objects, with plumbing only.
fn repack(repo: &Repo) {
    let pack_dir = repo.dir.join(".git/objects/pack");
    let old: Vec<PathBuf> = std::fs::read_dir(&pack_dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(
            "git rev-list --objects --all | git pack-objects -q --depth=50 --window=250 \
             .git/objects/pack/pack >/dev/null && git prune-packed",
        )
        .current_dir(&repo.dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for path in old {
        std::fs::remove_file(path).unwrap();
    }
}

#[test]
fn in_packs_known_blobs_are_skipped_inside_delta_chains_and_new_ones_are_found() {
    let mut repo = Repo::new();
    let lines =
        |n: usize| (0..n).map(|i| format!("setting_{i} = {}", i * 7) + "\n").collect::<String>();
    for round in 0..12 {
        repo.write("settings.txt", &lines(300 + round * 5));
        repo.commit(&format!("round {round}"));
    }
    repo.write("config.py", &format!("TOKEN = \"{}\"\n", fake::github_pat(21)));
    repo.commit("token");
    repack(&repo);
    let first = scan(&repo.dir, &[]);
    assert_eq!(first.cache()["state"], "new");
    let blobs = first.doc["coverage"]["items_scanned"].as_u64().unwrap();

    // A smaller revision (a delta on a known, larger base) holding a new secret, and a larger
    // one (a new base under known deltas).
    let smaller = lines(200) + "token = \"" + &fake::github_pat(22) + "\"\n";
    repo.write("settings.txt", &smaller);
    repo.commit("shrink");
    repo.write("other.txt", &lines(400));
    repo.commit("grow");
    repack(&repo);
    let second = scan(&repo.dir, &[]);
    assert_eq!(second.cache()["state"], "used");
    assert_eq!(second.served(), blobs - 1, "all old blobs but the matched one");
    assert_eq!(second.cache()["matched_again"], 1);
    assert_eq!(second.cache()["stored"], 2);
    assert_eq!(second.doc["findings"].as_array().unwrap().len(), 2);
    same_as_uncached(&repo, &second, &[]);
}

/// The whole report but the timing and the cache record, as a rescan without the cache writes it.
fn whole_report_as_uncached(repo: &Repo, cached: &Scan, args: &[&str]) {
    let strip = |doc: &Value| {
        let mut doc = doc.clone();
        doc["summary"]["duration_ms"] = Value::Null;
        doc["coverage"].as_object_mut().unwrap().remove("cache");
        doc
    };
    let mut plain = args.to_vec();
    plain.push("--no-cache");
    let uncached = scan(&repo.dir, &plain);
    assert_eq!(cached.code, uncached.code, "{}", cached.stderr);
    assert_eq!(cached.findings, uncached.findings);
    assert_eq!(strip(&cached.doc), strip(&uncached.doc));
}

fn snapshot_state(scan: &Scan) -> String {
    scan.cache()["snapshot"].as_str().unwrap().to_string()
}

/// Runs a shell command in the repository (plumbing the tests need), with no user config.
fn sh(repo: &Repo, script: &str) -> String {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(&repo.dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert!(out.status.success(), "{script}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn a_snapshot_covers_the_packs_and_rescans_read_only_what_was_added_with_the_same_report() {
    let mut repo = Repo::new();
    repo.write("src/lib.rs", "pub fn f() {}\n");
    repo.commit("code");
    let secret = format!("TOKEN = \"{}\"\n", fake::github_pat(31));
    repo.write("config.py", &secret);
    repo.commit("config");
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.write("side.txt", &format!("T={}\n", fake::github_pat(32)));
    repo.commit("side secret");
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["tag", "v1"]);
    std::fs::remove_file(repo.dir.join("config.py")).unwrap();
    repo.commit("remove config");
    repack(&repo);

    let first = scan(&repo.dir, &[]);
    assert_eq!(first.code, 1, "{}", first.stderr);
    assert_eq!(snapshot_state(&first), "taken");
    let again = scan(&repo.dir, &[]);
    assert_eq!(snapshot_state(&again), "used (1 of 1 packs)");
    assert_eq!(again.served(), 0, "the snapshot answers for the pack: no blob is looked up");
    assert_eq!(again.cache()["matched_again"], 2, "the two blobs with matches are read again");
    whole_report_as_uncached(&repo, &again, &[]);

    // Loose objects: the old secret back at a new path (a known blob, a new introduction), a new
    // secret, and a branch deleted (its commit becomes unreachable, its origin says so).
    repo.write("copy.py", &secret);
    repo.write("deploy.env", &format!("T={}\n", fake::github_pat(33)));
    repo.commit("copy and deploy");
    repo.git(&["branch", "-D", "side"]);
    let third = scan(&repo.dir, &[]);
    assert_eq!(snapshot_state(&third), "used (1 of 1 packs)");
    assert_eq!(third.doc["findings"].as_array().unwrap().len(), 3);
    assert!(third.findings.contains("unreachable"), "{}", third.findings);
    whole_report_as_uncached(&repo, &third, &[]);

    // The loose objects packed into a second pack (the first stays): it is read, the first is not.
    sh(&repo, "git repack -d -q");
    let fourth = scan(&repo.dir, &[]);
    assert_eq!(snapshot_state(&fourth), "used (1 of 2 packs)");
    whole_report_as_uncached(&repo, &fourth, &[]);
    let fifth = scan(&repo.dir, &[]);
    assert_eq!(snapshot_state(&fifth), "used (2 of 2 packs)");
    whole_report_as_uncached(&repo, &fifth, &[]);

    // Every pack rewritten: the snapshot no longer applies and every pack is read.
    repack(&repo);
    let sixth = scan(&repo.dir, &[]);
    assert_eq!(snapshot_state(&sixth), "not used: a pack it covers was removed or changed");
    whole_report_as_uncached(&repo, &sixth, &[]);
    assert_eq!(snapshot_state(&scan(&repo.dir, &[])), "used (1 of 1 packs)");
}

#[test]
fn with_a_snapshot_missing_objects_are_still_reported_and_one_that_returns_is_read() {
    let mut repo = Repo::new();
    repo.write("docs/readme.txt", "hello\n");
    repo.write("src/keep.txt", "kept\n");
    repo.commit("start");
    repo.write("config.py", &format!("TOKEN = \"{}\"\n", fake::github_pat(41)));
    repo.commit("config");
    // Pack everything but one blob, then drop the loose copies: docs/readme.txt is missing.
    let gone = sh(&repo, "git rev-parse HEAD:docs/readme.txt");
    sh(
        &repo,
        &format!(
            "git rev-list --objects --all | grep -v {gone} | git pack-objects -q .git/objects/pack/pack >/dev/null && git prune-packed && rm -f .git/objects/{}/{}",
            &gone[..2],
            &gone[2..]
        ),
    );
    // Out of the work tree too, or the next `git add -A` would write the blob back.
    std::fs::remove_file(repo.dir.join("docs/readme.txt")).unwrap();
    let first = scan(&repo.dir, &[]);
    assert_eq!(first.code, 2, "a missing object is an error: {}", first.stderr);
    assert_eq!(snapshot_state(&first), "taken");
    assert!(first.notice_kinds().contains(&"error:missing-object".to_string()));
    assert!(first.doc["notices"].to_string().contains("docs/readme.txt"), "located by path");

    repo.write("deploy.env", &format!("T={}\n", fake::github_pat(42)));
    repo.commit("deploy");
    let second = scan(&repo.dir, &[]);
    assert_eq!(snapshot_state(&second), "used (1 of 1 packs)");
    assert!(second.doc["notices"].to_string().contains("docs/readme.txt"));
    whole_report_as_uncached(&repo, &second, &[]);
    // Accepting missing objects needs no presence check: the snapshot serves that too.
    let accepted = scan(&repo.dir, &["--allow-missing-objects"]);
    assert_eq!(accepted.code, 1);
    assert_eq!(snapshot_state(&accepted), "used (1 of 1 packs)");
    whole_report_as_uncached(&repo, &accepted, &["--allow-missing-objects"]);
    // After an --allow-missing-objects scan the snapshot holds no presence check: not used.
    let checked = scan(&repo.dir, &[]);
    assert_eq!(snapshot_state(&checked), "not used: taken without the presence check");
    whole_report_as_uncached(&repo, &checked, &[]);

    // The object comes back: what it holds could be introduced by covered commits.
    sh(&repo, "printf 'hello\\n' | git hash-object -w --stdin >/dev/null");
    let back = scan(&repo.dir, &[]);
    assert_eq!(snapshot_state(&back), "not used: an object that was missing is present now");
    assert_eq!(back.code, 1, "{}", back.stderr);
    whole_report_as_uncached(&repo, &back, &[]);
}

#[test]
fn an_unreadable_snapshot_is_a_warning_and_every_pack_is_read() {
    let mut repo = Repo::new();
    repo.write("config.py", &format!("TOKEN = \"{}\"\n", fake::github_pat(71)));
    repo.commit("config");
    repack(&repo);
    assert_eq!(snapshot_state(&scan(&repo.dir, &[])), "taken");
    // Damage the snapshot's value inside an intact store (redb's own checksums pass).
    {
        let db = redb::Database::create(cache_file(&repo)).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let meta: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("meta");
            let mut table = txn.open_table(meta).unwrap();
            table.insert("snapshot", &b"not a snapshot"[..]).unwrap();
        }
        txn.commit().unwrap();
    }
    let run = scan(&repo.dir, &[]);
    assert_eq!(snapshot_state(&run), "unreadable; every pack was read");
    assert!(run.notice_kinds().contains(&"warning:cache-ignored".to_string()));
    assert!(run.doc["notices"].to_string().contains("snapshot"), "{}", run.doc["notices"]);
    same_as_uncached(&repo, &run, &[]);
    assert_eq!(snapshot_state(&scan(&repo.dir, &[])), "used (1 of 1 packs)", "taken again");
}

#[test]
fn a_cache_of_another_format_from_this_user_is_refilled_without_a_warning() {
    let repo = history();
    let first = scan(&repo.dir, &[]);
    {
        let db = redb::Database::create(cache_file(&repo)).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let meta: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("meta");
            let mut table = txn.open_table(meta).unwrap();
            table.insert("format", &1u32.to_le_bytes()[..]).unwrap();
        }
        txn.commit().unwrap();
    }
    let older = scan(&repo.dir, &[]);
    assert_eq!(older.cache()["state"], "invalidated (another cache format)");
    assert!(older.notice_kinds().is_empty(), "{:?}", older.doc["notices"]);
    assert_eq!(older.served(), 0);
    assert_eq!(older.findings, first.findings);
    assert_eq!(scan(&repo.dir, &[]).cache()["state"], "used");
}
