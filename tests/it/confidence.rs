//! Context marking and `--min-confidence`: findings that sit only in tests, docs, examples or
//! vendored code are reported one confidence step lower, and the flag hides (and counts) them.

use serde_json::Value;

use crate::util::{Tree, fake};

/// The finding of `rule` in a JSON report.
fn finding<'a>(doc: &'a Value, rule: &str) -> &'a Value {
    doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule_id"] == rule)
        .unwrap_or_else(|| panic!("no {rule} finding in {doc}"))
}

fn rules(doc: &Value) -> Vec<String> {
    let mut ids: Vec<String> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

/// A production token, a generic password in a test, and a password hex key in the docs.
fn mixed_tree() -> Tree {
    let tree = Tree::new();
    tree.file("src/app.py", format!("GITHUB_TOKEN = \"{}\"\n", fake::github_pat(11)));
    tree.file("tests/test_login.py", "LOGIN_PASSWORD = \"Zt8#qLm2vR!x\"\n");
    tree.file("docs/setup.md", format!("export GH_TOKEN={}\n", fake::github_pat(12)));
    tree
}

#[test]
fn findings_only_in_tests_docs_or_examples_are_marked_one_step_lower() {
    let tree = mixed_tree();
    let run = tree.run(&["scan", "-f", "json"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let doc = run.json();
    let production = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["locations"][0]["path"] == "src/app.py")
        .unwrap();
    assert_eq!(production["confidence"], "high");
    assert!(production["attributes"].get("context").is_none(), "{production}");
    let test = finding(&doc, "generic.password-assignment");
    assert_eq!(
        (test["confidence"].as_str(), test["attributes"]["context"].as_str()),
        (Some("low"), Some("test"))
    );
    let docs = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["locations"][0]["path"] == "docs/setup.md")
        .unwrap();
    assert_eq!(
        (docs["confidence"].as_str(), docs["attributes"]["context"].as_str()),
        (Some("medium"), Some("docs"))
    );
}

#[test]
fn min_confidence_hides_lower_findings_and_says_how_many() {
    let tree = mixed_tree();
    let medium = tree.run(&["scan", "-f", "json", "--min-confidence", "medium"]);
    assert_eq!(medium.code(), 1);
    assert_eq!(rules(&medium.json()), ["github.pat.classic", "github.pat.classic"]);
    assert!(
        medium.stderr().contains("1 finding(s) below --min-confidence medium not reported"),
        "{}",
        medium.stderr()
    );

    let high = tree.run(&["scan", "-f", "json", "--min-confidence", "high"]);
    let doc = high.json();
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1, "{doc}");
    assert_eq!(doc["findings"][0]["locations"][0]["path"], "src/app.py");
    assert!(
        high.stderr().contains("2 finding(s) below --min-confidence high"),
        "{}",
        high.stderr()
    );

    let all = tree.run(&["scan", "-f", "json", "--min-confidence", "low"]);
    assert_eq!(all.json()["findings"].as_array().unwrap().len(), 3);
    assert!(!all.stderr().contains("below --min-confidence"));
}

#[test]
fn only_hidden_findings_leave_a_clean_exit_status() {
    let tree = Tree::new();
    tree.file("tests/fixtures/db.env", "DB_PASSWORD=Zt8#qLm2vR!x\n");
    let run = tree.run(&["scan", "--min-confidence", "medium"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(
        run.stderr().contains("1 finding(s) below --min-confidence medium"),
        "{}",
        run.stderr()
    );
}

#[test]
fn a_secret_also_in_production_code_keeps_its_confidence() {
    let tree = Tree::new();
    let token = fake::github_pat(13);
    tree.file("tests/fixtures/config.env", format!("GITHUB_TOKEN={token}\n"));
    tree.file("deploy/config.env", format!("GITHUB_TOKEN={token}\n"));
    let doc = tree.run(&["scan", "-f", "json"]).json();
    let found = finding(&doc, "github.pat.classic");
    assert_eq!(found["locations"].as_array().unwrap().len(), 2);
    assert_eq!(found["confidence"], "high");
    assert!(found["attributes"].get("context").is_none(), "{found}");
}

#[test]
fn the_scan_root_does_not_give_its_files_a_context() {
    let tree = Tree::new();
    tree.file("tests/project/src/app.py", format!("GITHUB_TOKEN = \"{}\"\n", fake::github_pat(14)));
    let root = tree.path().join("tests/project");
    let run = tree.run(&["scan", "-f", "json", root.to_str().unwrap()]);
    let found = finding(&run.json(), "github.pat.classic").clone();
    assert_eq!(found["confidence"], "high", "{found}");
}

#[test]
fn credential_files_report_weak_passwords_but_manuals_do_not() {
    let tree = Tree::new();
    tree.file("home/.pgpass", "db.internal:5432:orders:orders_app:orders\n");
    tree.file("home/.git-credentials", "https://jdoe:summer2024@git.acme.io\n");
    tree.file(
        "docs/credential-store.md",
        "Lines look like this:\n\nhttps://user:pass@example.com\n",
    );
    let run = tree.run(&["scan", "-f", "json"]);
    let hits: Vec<(String, String)> =
        run.hits().into_iter().map(|(rule, path, _)| (rule, path)).collect();
    assert_eq!(
        hits,
        [
            ("git.credentials-file".to_string(), "home/.git-credentials".to_string()),
            ("pgpass.password".to_string(), "home/.pgpass".to_string()),
        ],
        "{}",
        run.stdout()
    );
}

#[test]
fn an_unknown_confidence_level_is_a_usage_error() {
    let tree = Tree::new();
    let run = tree.run(&["scan", "--min-confidence", "certain"]);
    assert_eq!(run.code(), 2);
    assert!(run.stderr().contains("expected low, medium or high"), "{}", run.stderr());
}

/// A weak password is reported where the file holds credentials by its name (`.env`, a shell
/// profile), with the `weak` attribute, and nowhere else: not in code, tests or `.env.example`.
#[test]
fn weak_passwords_are_reported_only_in_credential_files() {
    let weak = ["dummy", "-pass"].concat();
    let tree = Tree::new();
    tree.file(".env", format!("DB_PASSWORD={weak}\nREDIS_PASSWORD=${{REDIS_PASSWORD}}\n"));
    tree.file("home/.bash_profile", format!("export MLAB_PASS='{weak}'\n"));
    tree.file(".env.example", format!("DB_PASSWORD={weak}\n"));
    tree.file("tests/.env", format!("DB_PASSWORD={weak}\n"));
    tree.file("src/settings.py", format!("DB_PASSWORD = \"{weak}\"\n"));
    let run = tree.run(&["scan", "-f", "json"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let doc = run.json();
    let found = finding(&doc, "generic.password-assignment");
    let paths: Vec<&str> = found["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, [".env", "home/.bash_profile"], "{doc}");
    assert_eq!(found["attributes"]["weak"], "true");
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1, "{doc}");
    assert!(doc["suppressed"].as_array().is_none_or(Vec::is_empty), "{doc}");

    // The same files without a credential file: nothing is reported.
    let code_only = Tree::new();
    code_only.file("src/settings.py", format!("DB_PASSWORD = \"{weak}\"\n"));
    code_only.file("tests/.env", format!("DB_PASSWORD={weak}\n"));
    let run = code_only.run(&["scan", "-f", "json"]);
    assert_eq!(run.code(), 0, "{}", run.stdout());
}

/// In git history the paths a weak password's blobs had decide the same way: the blob at `.env`
/// is reported, the same value in code in another commit is not.
#[cfg(feature = "git")]
#[test]
fn weak_passwords_in_history_are_judged_by_their_paths() {
    let weak = ["dummy", "-pass"].concat();
    let mut repo = crate::git::Repo::new();
    repo.write("src/settings.py", &format!("DB_PASSWORD = \"{weak}\"\n"));
    repo.commit("settings");
    repo.write(".env", &format!("DB_PASSWORD={weak}\n"));
    let added = repo.commit("env");
    let (code, doc, stderr) = repo.scan(&[]);
    assert_eq!(code, 1, "{stderr}");
    let found = finding(&doc, "generic.password-assignment");
    let locations = found["locations"].as_array().unwrap();
    assert_eq!(locations.len(), 1, "{doc}");
    assert_eq!(locations[0]["path"], ".env");
    assert_eq!(locations[0]["git"]["commit"]["id"], added.as_str());
}

/// A weak password in a comparison or a connection URL to a real host is reported in code at low
/// confidence (`--min-confidence medium` hides it, counted); the same value in tests, a
/// placeholder, or a URL to localhost stays quiet; `explain` says so line by line.
#[test]
fn weak_passwords_in_code_forms_are_low_and_quiet_in_tests() {
    let weak = ["team", "42"].concat();
    let tree = Tree::new();
    tree.file("app/auth.py", format!("if password == \"{weak}\":\n    ok()\n"));
    // Under the URL rule's entropy floor: weak.
    tree.file("app/queue.py", "URL = \"amqps://tasks:tasks7@10.20.4.17:5671/q\"\n");
    tree.file("app/dev.py", "URL = \"amqps://cache:cache7@localhost:5671/q\"\n");
    tree.file("app/demo.py", "if password == \"secret\":\n    ok()\n");
    tree.file("tests/test_auth.py", format!("if password == \"{weak}y\":\n    ok()\n"));
    let run = tree.run(&["scan", "-f", "json"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let doc = run.json();
    assert_eq!(
        rules(&doc),
        ["generic.password-comparison", "url.database-connection-string"],
        "{doc}"
    );
    for rule in ["generic.password-comparison", "url.database-connection-string"] {
        let found = finding(&doc, rule);
        assert_eq!(found["confidence"], "low", "{doc}");
        assert_eq!(found["attributes"]["weak"], "true", "{doc}");
        assert_eq!(found["locations"].as_array().unwrap().len(), 1, "{doc}");
    }
    let hidden = tree.run(&["scan", "-f", "json", "--min-confidence", "medium"]);
    assert_eq!(hidden.code(), 0, "{}", hidden.stdout());
    assert!(
        hidden.stderr().contains("2 finding(s) below --min-confidence medium"),
        "{}",
        hidden.stderr()
    );

    let explained = tree.run(&["explain", "app/auth.py:1"]);
    assert!(explained.stdout().contains("is reported (low confidence)"), "{}", explained.stdout());
    let in_test = tree.run(&["explain", "tests/test_auth.py:1"]);
    assert_eq!(in_test.code(), 0, "{}", in_test.stdout());
    assert!(in_test.stdout().contains("nothing is reported there"), "{}", in_test.stdout());
}
