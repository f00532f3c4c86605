//! Suppression: inline allow markers, `.leakhound.toml` configuration (nested, `-c`,
//! `--no-repo-config`, base-revision reads in git ranges), baselines (create, prune, gitleaks
//! import), and that every suppressed finding stays visible in JSON, JSONL and SARIF.

use serde_json::Value;

use crate::git::Repo;
use crate::util::{Tree, fake, leakhound};

/// `(rule, path, line, suppression kinds)` of every suppressed location in a JSON report.
fn suppressed(doc: &Value) -> Vec<(String, String, u64, Vec<String>)> {
    let mut out = Vec::new();
    for finding in doc["suppressed"].as_array().expect("suppressed array") {
        let kinds: Vec<String> = finding["suppressions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["kind"].as_str().unwrap().to_string())
            .collect();
        for loc in finding["locations"].as_array().unwrap() {
            out.push((
                finding["rule_id"].as_str().unwrap().to_string(),
                loc["path"].as_str().unwrap().to_string(),
                loc["line"].as_u64().unwrap(),
                kinds.clone(),
            ));
        }
    }
    out.sort();
    out
}

fn pat_line(seed: u64) -> String {
    format!("token = \"{}\"", fake::github_pat(seed))
}

const PAT: &str = "github.pat.classic";

#[test]
fn inline_markers_suppress_visibly_and_can_be_turned_off() {
    let tree = Tree::new();
    tree.file("a.py", format!("{}  # leakhound:allow\n", pat_line(1)));
    tree.file("b.js", format!("{} // gitleaks:allow\n", pat_line(2)));
    tree.file("c.yml", format!("# pragma: allowlist nextline secret\n{}\n", pat_line(3)));
    tree.file("d.pem.txt", format!("# leakhound:allow\n{}\n", pat_line(4)));
    tree.file("e.py", format!("{}\n# leakhound:allow\n", pat_line(5)));
    let run = tree.run(&["scan", ".", "-f", "json"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert_eq!(
        run.hits(),
        [(PAT.to_string(), "e.py".to_string(), 1)],
        "a marker on the next line does not count"
    );
    let doc = run.json();
    let kinds = vec!["inline-marker".to_string()];
    let expected: Vec<_> = [("a.py", 1), ("b.js", 1), ("c.yml", 2), ("d.pem.txt", 2)]
        .iter()
        .map(|(p, l)| (PAT.to_string(), (*p).to_string(), *l, kinds.clone()))
        .collect();
    assert_eq!(suppressed(&doc), expected);
    assert_eq!(doc["summary"]["suppressed"], 4);
    assert!(run.stderr().contains("4 suppressed (4 by inline-marker)"), "{}", run.stderr());

    let all = tree.run(&["scan", ".", "-f", "json", "--no-inline-allow"]);
    assert_eq!(all.hits().len(), 5);
    assert_eq!(all.json()["suppressed"].as_array().unwrap().len(), 0);
}

#[test]
fn a_fully_suppressed_scan_exits_clean_but_jsonl_and_sarif_keep_the_findings() {
    let tree = Tree::new();
    tree.file("a.py", format!("{}  # leakhound:allow\n", pat_line(9)));
    let text = tree.run(&["scan", "."]);
    assert_eq!(text.code(), 0, "{}", text.stderr());
    assert!(
        text.stderr().contains("leakhound: 0 findings, 1 suppressed (1 by inline-marker); 1 item,"),
        "{}",
        text.stderr()
    );
    let jsonl = tree.run(&["scan", ".", "-f", "jsonl"]);
    let line: Value =
        serde_json::from_str(jsonl.stdout().lines().next().expect("one line")).unwrap();
    assert_eq!(line["suppressed"]["rule_id"], PAT);
    assert_eq!(line["suppressed"]["suppressions"][0]["kind"], "inline-marker");
    let sarif = tree.run(&["scan", ".", "-f", "sarif"]).json();
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], PAT);
    assert_eq!(result["suppressions"][0]["kind"], "inSource");
    assert_eq!(result["suppressions"][0]["status"], "accepted");
    assert_eq!(
        result["suppressions"][0]["location"]["physicalLocation"]["artifactLocation"]["uri"],
        "a.py"
    );
}

#[test]
fn root_and_nested_configs_allowlist_with_file_and_line() {
    let tree = Tree::new();
    tree.file(
        ".leakhound.toml",
        "# root\n[rules]\ndisable = [\"aws.*\"]\n\n[[allow]]\ndescription = \"vendored\"\npaths = [\"vendor/**\"]\n\n[[allow]]\nstopwords = [\"ALLOWME\"]\n",
    );
    tree.file(
        "svc/.leakhound.toml",
        "[rules]\nenable = [\"aws.*\"]\n\n[[allow]]\npaths = [\"fixtures/\"]\n",
    );
    tree.file("iso/.leakhound.toml", "inherit = false\n");
    tree.file("vendor/lib.py", pat_line(1));
    tree.file("svc/fixtures/x.py", pat_line(2));
    tree.file("svc/vendor/y.py", pat_line(3));
    tree.file("iso/vendor/z.py", pat_line(4));
    tree.file("keys.env", format!("AWS_ACCESS_KEY_ID={}\n", fake::aws_key_id(5)));
    tree.file("svc/keys.env", format!("AWS_ACCESS_KEY_ID={}\n", fake::aws_key_id(6)));
    let run = tree.run(&["scan", ".", "-f", "json"]);
    let doc = run.json();
    let hits: Vec<(String, String)> = run.hits().into_iter().map(|(r, p, _)| (r, p)).collect();
    let mut active_paths: Vec<&str> = hits.iter().map(|(_, p)| p.as_str()).collect();
    active_paths.sort_unstable();
    assert_eq!(active_paths, ["iso/vendor/z.py", "svc/keys.env", "svc/vendor/y.py"], "{hits:?}");
    let sources: Vec<(String, String, u64)> = doc["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = &f["suppressions"][0];
            let path = f["locations"][0]["path"].as_str().unwrap().to_string();
            (path, s["file"].as_str().unwrap().to_string(), s["line"].as_u64().unwrap())
        })
        .collect();
    let mut sources = sources;
    sources.sort();
    assert_eq!(
        sources,
        [
            ("keys.env".into(), ".leakhound.toml".into(), 3),
            ("svc/fixtures/x.py".into(), "svc/.leakhound.toml".into(), 4),
            ("vendor/lib.py".into(), ".leakhound.toml".into(), 5),
        ]
    );
}

#[test]
fn secret_regexes_and_stopwords_match_the_secret_itself() {
    let tree = Tree::new();
    let pat = fake::github_pat(11);
    tree.file(".leakhound.toml", format!("[[allow]]\nsecrets = [\"^{}\"]\n", &pat[..12]));
    tree.file("a.py", format!("token = \"{pat}\"\n"));
    tree.file("b.py", pat_line(12));
    let run = tree.run(&["scan", ".", "-f", "json"]);
    assert_eq!(run.hits(), [(PAT.to_string(), "b.py".to_string(), 1)]);
    assert_eq!(suppressed(&run.json()).len(), 1);
}

#[test]
fn an_invalid_config_is_an_error_naming_file_and_line() {
    let tree = Tree::new();
    tree.file(".leakhound.toml", "[[allow]]\npaths = [\"ok/**\"]\nsecrets = [\"(\"]\n");
    tree.file("a.py", pat_line(1));
    // The repository's own config cannot abort the scan: the run goes on, reports the
    // finding, names the problem and exits 2.
    let run = tree.run(&["scan", ".", "-f", "json"]);
    assert_eq!(run.code(), 2);
    assert_eq!(run.hits().len(), 1, "nothing is suppressed by a config that was not applied");
    assert!(
        run.stderr().contains(".leakhound.toml: invalid configuration, not applied"),
        "{}",
        run.stderr()
    );
    assert!(run.stderr().contains("line 3: invalid secret regex"), "{}", run.stderr());

    let nested = Tree::new();
    nested
        .file("sub/.leakhound.toml", "[allowlist]\npaths = [\"**\"]\n[rules]\ndisabel = [\"*\"]\n");
    nested.file("sub/a.py", pat_line(2));
    let run = nested.run(&["scan", ".", "-f", "json"]);
    assert_eq!(run.code(), 1, "unknown keys are warnings, and suppress nothing");
    assert_eq!(run.hits().len(), 1);
    let stderr = run.stderr();
    assert!(
        stderr.contains("warning: sub/.leakhound.toml: line 1: unknown key `allowlist` ignored"),
        "{stderr}"
    );
    assert!(stderr.contains("line 4: unknown key `rules.disabel` ignored"), "{stderr}");
}

#[test]
fn explicit_config_env_and_no_repo_config() {
    let tree = Tree::new();
    tree.file(".leakhound.toml", "[[allow]]\npaths = [\"a.py\"]\n");
    tree.file("ci.toml", "[[allow]]\npaths = [\"b.py\"]\n");
    tree.file("a.py", pat_line(1));
    tree.file("b.py", pat_line(2));
    let paths =
        |run: crate::util::Run| run.hits().into_iter().map(|(_, p, _)| p).collect::<Vec<_>>();
    assert_eq!(paths(tree.run(&["scan", ".", "-f", "json"])), ["b.py"]);
    assert_eq!(
        paths(tree.run(&["scan", ".", "-f", "json", "-c", "ci.toml"])),
        ["a.py"],
        "-c replaces the root file"
    );
    let env = leakhound()
        .current_dir(tree.path())
        .env("LEAKHOUND_CONFIG", "ci.toml")
        .args(["scan", ".", "-f", "json"])
        .output()
        .unwrap();
    assert_eq!(paths(crate::util::Run(env)), ["a.py"]);
    assert_eq!(paths(tree.run(&["scan", ".", "-f", "json", "--no-repo-config"])), ["a.py", "b.py"]);
}

#[test]
fn config_rule_files_add_rules_and_builtin_off_only_suppresses_from_a_repo_config() {
    let tree = Tree::new();
    let rule = "rules:\n  - id: acme.token\n    name: ACME token\n    provider: ACME\n    kind: api-key\n    keywords: [acme_]\n    pattern: '(?P<secret>acme_[a-z0-9]{20})'\n    confidence: high\n    severity: high\n    examples: ['acme_q7k2m9x4w8p3z6n1r5t0']\n    negative_examples: ['acme_short']\n";
    tree.file("ci/rules.yaml", rule);
    tree.file(".leakhound.toml", "[rules]\nfiles = [\"ci/rules.yaml\"]\nbuiltin = false\n");
    tree.file("a.txt", format!("k = acme_q7k2m9x4w8p3z6n1r5t0\n{}\n", pat_line(1)));
    let run = tree.run(&["scan", "a.txt", ".", "-f", "json"]);
    let doc = run.json();
    let active: Vec<String> = run.hits().into_iter().map(|(r, _, _)| r).collect();
    assert!(active.contains(&"acme.token".to_string()), "{active:?} {}", run.stderr());
    assert!(!active.contains(&PAT.to_string()), "built-in findings are suppressed");
    let reasons: Vec<&str> = doc["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["suppressions"][0]["reason"].as_str().unwrap())
        .collect();
    assert!(reasons.iter().any(|r| r.contains("rules.builtin = false")), "{reasons:?}");

    tree.file("only.toml", "[rules]\nfiles = [\"ci/rules.yaml\"]\nbuiltin = false\n");
    let explicit = tree.run(&["scan", "a.txt", "-f", "json", "-c", "only.toml"]).json();
    assert_eq!(
        explicit["suppressed"].as_array().unwrap().len(),
        0,
        "with -c the built-ins are not loaded at all"
    );
    assert_eq!(explicit["findings"][0]["rule_id"], "acme.token");
}

#[test]
fn config_explain_names_every_source() {
    let tree = Tree::new();
    tree.file(".leakhound.toml", "[rules]\ndisable = [\"generic.*\"]\n");
    tree.file(
        "svc/.leakhound.toml",
        "\n[[allow]]\ndescription = \"fixtures\"\npaths = [\"fixtures/**\"]\n",
    );
    let run = tree.run(&["config", "explain", "svc/fixtures/a.py"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let out = run.stdout();
    assert!(out.contains("file .leakhound.toml\n  file svc/.leakhound.toml"), "{out}");
    assert!(out.contains("disable \"generic.*\" (.leakhound.toml:2)"), "{out}");
    assert!(
        out.contains("[[allow]] svc/.leakhound.toml:2: \"fixtures\"; paths [\"fixtures/**\"]; -> this path matches"),
        "{out}"
    );
    let other = tree.run(&["config", "explain", "svc/src/a.py"]).stdout();
    assert!(!other.contains("this path matches"), "{other}");
}

#[test]
fn a_baseline_survives_line_moves_and_prune_removes_stale_entries() {
    let tree = Tree::new();
    tree.file("a.py", format!("{}\n", pat_line(1)));
    tree.file("b.py", format!("{}\n", pat_line(2)));
    let create = tree.run(&["baseline", "create", "."]);
    assert_eq!(create.code(), 0, "{}", create.stderr());
    let text = std::fs::read_to_string(tree.path().join(".leakhound-baseline")).unwrap();
    assert!(!text.contains(&fake::github_pat(1)), "no secret in the baseline");
    assert_eq!(text.lines().filter(|l| !l.starts_with('#')).count(), 2, "{text}");

    tree.file("a.py", format!("# moved down\n\n\n{}\n", pat_line(1)));
    tree.file("c.py", pat_line(3));
    let run = tree.run(&["scan", ".", "-f", "json", "--baseline-path", ".leakhound-baseline"]);
    assert_eq!(run.hits(), [(PAT.to_string(), "c.py".to_string(), 1)]);
    let kinds: Vec<_> =
        suppressed(&run.json()).into_iter().map(|(_, p, l, k)| (p, l, k[0].clone())).collect();
    assert_eq!(
        kinds,
        [("a.py".into(), 4, "baseline".into()), ("b.py".into(), 1, "baseline".into())]
    );

    std::fs::remove_file(tree.path().join("b.py")).unwrap();
    let dry = tree.run(&["baseline", "prune", "--dry-run", "."]);
    assert_eq!(dry.code(), 1, "{}", dry.stderr());
    assert!(dry.stderr().contains("1 stale entry(ies) of 2"), "{}", dry.stderr());
    assert_eq!(
        std::fs::read_to_string(tree.path().join(".leakhound-baseline")).unwrap(),
        text,
        "dry run writes nothing"
    );
    assert_eq!(tree.run(&["baseline", "prune", "."]).code(), 0);
    let pruned = std::fs::read_to_string(tree.path().join(".leakhound-baseline")).unwrap();
    assert_eq!(pruned.lines().filter(|l| !l.starts_with('#')).count(), 1, "{pruned}");
    assert!(pruned.contains(text.lines().find(|l| l.starts_with("# key:")).unwrap()), "key kept");
}

/// The baseline at the scan root is read without `--baseline-path`; `--no-repo-config` turns it
/// off with the rest of the repository's own configuration.
#[test]
fn the_root_baseline_is_read_by_default() {
    let tree = Tree::new();
    tree.file("a.py", format!("{}\n", pat_line(1)));
    assert_eq!(tree.run(&["baseline", "create", "."]).code(), 0);
    tree.file("b.py", format!("{}\n", pat_line(2)));
    let run = tree.run(&["scan", ".", "-f", "json"]);
    assert_eq!(run.hits(), [(PAT.to_string(), "b.py".to_string(), 1)], "{}", run.stderr());
    let doc = run.json();
    assert_eq!(doc["suppressed"][0]["suppressions"][0]["file"], ".leakhound-baseline");
    let off = tree.run(&["scan", ".", "-f", "json", "--no-repo-config"]);
    assert_eq!(off.hits().len(), 2, "{}", off.stderr());
    // A baseline refuses entries of the other mode instead of mixing them.
    let mixed = tree.run(&["baseline", "create", "--git", "."]);
    assert_eq!(mixed.code(), 2);
    assert!(
        mixed.stderr().contains("was created from files (`# mode: files`); run this without --git"),
        "{}",
        mixed.stderr()
    );
}

/// `baseline create --git` records the mode, and `baseline prune` without `--git` scans the
/// history too: an entry for a secret that lives only in history is kept, and the next history
/// scan reads the baseline from the work tree by default and passes.
#[test]
fn a_history_baseline_is_pruned_as_history() {
    let mut repo = Repo::new();
    repo.write("old.py", &pat_line(1));
    repo.commit("a secret, later removed");
    repo.write("old.py", "token = from_env()\n");
    repo.write("now.py", &pat_line(2));
    repo.commit("the current secret");
    let run = |args: &[&str]| leakhound().current_dir(&repo.dir).args(args).output().unwrap();
    let create = run(&["baseline", "create", "--git", "."]);
    assert!(create.status.success(), "{}", String::from_utf8_lossy(&create.stderr));
    let text = std::fs::read_to_string(repo.dir.join(".leakhound-baseline")).unwrap();
    assert!(text.lines().any(|l| l == "# mode: git"), "{text}");
    assert_eq!(text.lines().filter(|l| !l.starts_with('#')).count(), 2, "{text}");

    let prune = run(&["baseline", "prune", "."]);
    assert!(prune.status.success(), "{}", String::from_utf8_lossy(&prune.stderr));
    assert!(String::from_utf8_lossy(&prune.stderr).contains("0 stale entry(ies) removed, 2 kept"));
    assert_eq!(std::fs::read_to_string(repo.dir.join(".leakhound-baseline")).unwrap(), text);

    let (code, doc, stderr) = repo.scan(&[]);
    assert_eq!(code, 0, "the history scan reads .leakhound-baseline: {stderr}");
    assert_eq!(doc["suppressed"].as_array().unwrap().len(), 2);
}

#[test]
fn scoped_baseline_entries_only_cover_their_path() {
    let tree = Tree::new();
    tree.file("a.py", pat_line(1));
    assert_eq!(
        tree.run(&["baseline", "create", "--scope-paths", "--baseline-path", "base.txt", "."])
            .code(),
        0
    );
    tree.file("copy.py", pat_line(1));
    let run = tree.run(&["scan", ".", "-f", "json", "--baseline-path", "base.txt"]);
    assert_eq!(
        run.hits(),
        [(PAT.to_string(), "copy.py".to_string(), 1)],
        "same secret in another file is reported"
    );
}

#[test]
fn a_baseline_key_can_live_in_the_environment() {
    let tree = Tree::new();
    tree.file("a.py", pat_line(1));
    let create = leakhound()
        .current_dir(tree.path())
        .env("LEAKHOUND_BASELINE_KEY", "k3y-from-ci")
        .args(["baseline", "create", "."])
        .output()
        .unwrap();
    assert!(create.status.success());
    let text = std::fs::read_to_string(tree.path().join(".leakhound-baseline")).unwrap();
    assert!(text.contains("# key: env LEAKHOUND_BASELINE_KEY"), "{text}");
    let without = tree.run(&["scan", ".", "--baseline-path", ".leakhound-baseline"]);
    assert_eq!(without.code(), 2, "a baseline whose key is missing is an error, not ignored");
    assert!(without.stderr().contains("set LEAKHOUND_BASELINE_KEY"), "{}", without.stderr());
    let mut with = leakhound();
    with.current_dir(tree.path()).env("LEAKHOUND_BASELINE_KEY", "k3y-from-ci");
    let out = with.args(["scan", ".", "--baseline-path", ".leakhound-baseline"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn gitleaks_baselines_are_accepted_for_migration() {
    let tree = Tree::new();
    tree.file("src/a.py", format!("\n{}\n", pat_line(1)));
    tree.file("src/b.py", pat_line(2));
    tree.file("src/c.py", pat_line(3));
    tree.file(".gitleaksignore", "# migrated\nsrc/a.py:github-pat:2\n");
    let report = format!(
        "[{{\"RuleID\":\"github-pat\",\"File\":\"src/b.py\",\"StartLine\":99,\"Secret\":\"{}\",\"Commit\":\"\"}}]",
        fake::github_pat(2)
    );
    tree.file("gitleaks-report.json", report);
    let ignore = tree.run(&["scan", "src", "-f", "json", "--baseline-path", ".gitleaksignore"]);
    let paths: Vec<String> = ignore.hits().into_iter().map(|(_, p, _)| p).collect();
    assert_eq!(paths, ["src/b.py", "src/c.py"], "{}", ignore.stderr());
    let json = tree.run(&["scan", "src", "-f", "json", "--baseline-path", "gitleaks-report.json"]);
    let paths: Vec<String> = json.hits().into_iter().map(|(_, p, _)| p).collect();
    assert_eq!(paths, ["src/a.py", "src/c.py"], "matched by the unredacted secret");
    let bad = tree.run(&["scan", ".", "--baseline-path", "src/a.py"]);
    assert_eq!(bad.code(), 2, "{}", bad.stderr());
}

#[test]
fn a_range_scan_reads_config_and_baseline_from_the_base_revision() {
    let mut repo = Repo::new();
    repo.write("README", "hello\n");
    let base = repo.commit("base");
    repo.write(".leakhound.toml", "[[allow]]\npaths = [\"app/**\"]\n");
    repo.write("app/settings.py", &pat_line(1));
    let head = repo.commit("add a secret and allowlist it in the same change");
    let range = format!("{base}..{head}");
    let (code, doc, stderr) = repo.scan(&["--range", &range]);
    assert_eq!(code, 1, "the change cannot allowlist itself: {stderr}");
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1);
    assert_eq!(doc["suppressed"].as_array().unwrap().len(), 0);

    repo.write("app/other.py", &pat_line(2));
    let next = repo.commit("another secret, now under a config that is in the base");
    let (code, doc, stderr) = repo.scan(&["--range", &format!("{head}..{next}")]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(suppressed(&doc)[0].1, "app/other.py");
    assert_eq!(
        doc["suppressed"][0]["suppressions"][0]["file"],
        ".leakhound.toml@".to_string() + &head
    );
    let (code, _, _) = repo.scan(&["--range", &format!("{head}..{next}"), "--no-repo-config"]);
    assert_eq!(code, 1);

    let out = leakhound()
        .current_dir(&repo.dir)
        .args(["baseline", "create", "--baseline-path", "base.txt", "."])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    repo.write("app/third.py", &format!("{}\n{}", pat_line(3), pat_line(1)));
    let last = repo.commit("the baseline arrives with a new secret");
    let (code, doc, stderr) =
        repo.scan(&["--since", &next, "--baseline-path", "base.txt", "--no-repo-config"]);
    assert_eq!(code, 1, "the baseline is not in the base revision: {stderr}");
    assert!(stderr.contains("not in the base revision"), "{stderr}");
    assert_eq!(doc["findings"].as_array().unwrap().len(), 2);
    let _ = last;
}

#[test]
fn staged_scans_honour_markers_and_the_work_tree_config() {
    let mut repo = Repo::new();
    repo.write("README", "hello\n");
    repo.commit("first");
    repo.write(".leakhound.toml", "[[allow]]\npaths = [\"docs/**\"]\n");
    repo.write("docs/example.md", &pat_line(1));
    repo.write("src/a.py", &format!("{} # leakhound:allow", pat_line(2)));
    repo.git(&["add", "-A"]);
    let (code, doc, stderr) = repo.scan(&["--staged"]);
    assert_eq!(code, 0, "{stderr}");
    let kinds: Vec<String> =
        suppressed(&doc).into_iter().map(|(_, _, _, k)| k[0].clone()).collect();
    assert_eq!(kinds, ["config", "inline-marker"]);
}

#[test]
fn progress_is_drawn_only_when_asked_and_erased_at_the_end() {
    let tree = Tree::new();
    tree.file("a.py", pat_line(1));
    let shown = tree.run(&["scan", ".", "--progress", "always"]);
    let err = shown.stderr();
    assert!(err.contains("\r\x1b[2Kleakhound: "), "{err:?}");
    assert!(err.contains(" files, "), "{err:?}");
    let summary_at = err.find("finding;").unwrap();
    assert!(
        err[..summary_at].ends_with("\r\x1b[2Kleakhound: 1 "),
        "the line is erased before the summary: {err:?}"
    );
    assert!(!err.contains(&fake::github_pat(1)[8..]), "no secret in progress output");
    assert!(!tree.run(&["scan", ".", "--progress", "always", "-q"]).stderr().contains('\r'));
    assert!(!tree.run(&["scan", "."]).stderr().contains('\r'), "stderr is not a terminal in tests");
}

#[test]
fn explain_gives_the_marker_config_and_baseline_verdicts() {
    let tree = Tree::new();
    tree.file("a.py", format!("{} # gitleaks:allow\n{}\n", pat_line(1), pat_line(2)));
    tree.file("fixtures/b.py", pat_line(3));
    tree.file(".leakhound.toml", "[[allow]]\npaths = [\"fixtures/**\"]\n");
    let marker = tree.run(&["explain", "a.py:1"]);
    assert_eq!(marker.code(), 0, "suppressed is not reported: {}", marker.stdout());
    assert!(
        marker
            .stdout()
            .contains("-> suppressed by inline-marker: inline marker `gitleaks:allow` (a.py:1)"),
        "{}",
        marker.stdout()
    );
    let plain = tree.run(&["explain", "a.py:2"]);
    assert_eq!(plain.code(), 1);
    assert!(
        plain
            .stdout()
            .contains("-> reported: no inline marker, configuration or baseline accepts it"),
        "{}",
        plain.stdout()
    );
    let config = tree.run(&["explain", "fixtures/b.py"]).stdout();
    assert!(
        config
            .contains("-> suppressed by config: path matches \"fixtures/**\" (.leakhound.toml:1)"),
        "{config}"
    );
    assert_eq!(tree.run(&["baseline", "create", "--no-inline-allow", "."]).code(), 0);
    let base = tree.run(&["explain", "a.py:2", "--baseline-path", ".leakhound-baseline"]).stdout();
    assert!(
        base.contains("-> suppressed by baseline: baseline entry github.pat.classic "),
        "{base}"
    );
    assert!(!base.contains(&fake::github_pat(2)), "redacted");
}

#[test]
fn git_scans_draw_progress_in_blobs() {
    let mut repo = Repo::new();
    repo.write("a.py", &pat_line(1));
    repo.commit("one");
    let out =
        leakhound().current_dir(&repo.dir).args(["git", "--progress", "always"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("\r\x1b[2Kleakhound: ") && err.contains(" blobs, "), "{err:?}");
    assert!(!err.contains(&fake::github_pat(1)[8..]), "no secret in progress output");
}
