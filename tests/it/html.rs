//! `-f html` in a real browser: headless Chromium (Debian's package) loads the report from a file,
//! runs its script, and dumps the DOM it built.
//!
//! Console messages (script errors, Content-Security-Policy violations) reach Chromium's stderr
//! as `:CONSOLE` lines; a report that loads cleanly has none. Filtering is checked through the
//! URL fragment, which the page's filter controls write and read (`#rule=...&path=...`): the
//! rows the page draws for a fragment must be exactly the findings that match it in the JSON
//! report. Without Chromium the tests say so and pass, unless `LEAKHOUND_REQUIRE_CHROMIUM=1`
//! (CI sets it), where they fail.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::git::Repo;
use crate::util::{Tree, fake};

const CHROMIUM: &str = "/usr/bin/chromium";

/// Chromium's path, or `None` (after saying why) when it is missing and not required.
#[allow(clippy::print_stderr)] // says why the test did nothing
fn chromium() -> Option<&'static Path> {
    if Path::new(CHROMIUM).exists() {
        return Some(Path::new(CHROMIUM));
    }
    assert!(
        std::env::var_os("LEAKHOUND_REQUIRE_CHROMIUM").is_none_or(|v| v != "1"),
        "LEAKHOUND_REQUIRE_CHROMIUM=1 but {CHROMIUM} is missing (apt-get install -y chromium)"
    );
    eprintln!("skipped: {CHROMIUM} is missing (apt-get install -y chromium; CI requires it)");
    None
}

/// What the browser made of a page.
struct Page {
    /// The DOM after the page's script ran.
    dom: String,
    /// Console messages (errors, CSP violations, logs).
    console: Vec<String>,
}

impl Page {
    /// The `data-fingerprint` of every finding row drawn, in order.
    fn rows(&self) -> Vec<String> {
        self.dom
            .split("data-fingerprint=\"")
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap_or_default().to_string())
            .collect()
    }

    fn assert_loaded_cleanly(&self) {
        assert!(self.console.is_empty(), "console messages: {:#?}", self.console);
        assert!(self.dom.contains("data-ready=\"1\""), "the script did not finish:\n{}", self.dom);
    }
}

/// Loads `file#fragment` in headless Chromium with a fresh profile and no network features.
fn load(browser: &Path, file: &Path, fragment: &str) -> Page {
    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}#{fragment}", file.display());
    let out = Command::new(browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"])
        .args(["--disable-background-networking", "--disable-component-update", "--disable-sync"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--enable-logging=stderr", "--v=0", "--dump-dom", &url])
        .output()
        .expect("chromium runs");
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    let console = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(String::from)
        .collect();
    Page { dom: String::from_utf8_lossy(&out.stdout).into_owned(), console }
}

/// A tree with findings of two rules in two directories.
fn sample_tree() -> Tree {
    let tree = Tree::new();
    tree.file("src/app.py", format!("client = Client(token=\"{}\")\n", fake::github_pat(1)));
    tree.file("src/other.py", format!("t = \"{}\"\n", fake::github_pat(2)));
    tree.file("deploy/prod.env", format!("DB_PASSWORD=Zt8#qLm2vR!x\nGH={}\n", fake::github_pat(1)));
    tree
}

/// Writes the HTML report of `args` to `report.html` in `dir` and returns its path.
fn html_report(dir: &Path, args: &[&str]) -> PathBuf {
    let path = dir.join("report.html");
    let out = crate::util::leakhound()
        .current_dir(dir)
        .args(args)
        .args(["-f", "html", "-r"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&out.stderr));
    path
}

/// Fingerprints of the JSON report's findings that satisfy `keep`, sorted.
fn json_fingerprints(tree: &Tree, keep: impl Fn(&Value) -> bool) -> Vec<String> {
    let json = tree.run(&["scan", "-f", "json"]).json();
    let mut prints: Vec<String> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| keep(f))
        .map(|f| f["fingerprint"].as_str().unwrap().to_string())
        .collect();
    prints.sort();
    prints
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn the_report_loads_without_console_errors_and_draws_every_finding_by_priority() {
    let Some(browser) = chromium() else { return };
    let tree = sample_tree();
    let page = load(browser, &html_report(tree.path(), &["scan"]), "");
    page.assert_loaded_cleanly();
    assert_eq!(sorted(page.rows()), json_fingerprints(&tree, |_| true));
    let json = tree.run(&["scan", "-f", "json"]).json();
    let score = |print: &str| {
        let findings = json["findings"].as_array().unwrap();
        findings.iter().find(|f| f["fingerprint"] == print).unwrap()["priority"]["score"]
            .as_u64()
            .unwrap()
    };
    let scores: Vec<u64> = page.rows().iter().map(|p| score(p)).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "rows are not sorted by priority: {scores:?}");
    assert!(page.dom.contains("Complete: everything asked for was read."), "{}", page.dom);
    assert!(
        page.dom.contains("Coverage: files of ."),
        "the coverage record is shown:\n{}",
        page.dom
    );
    // A finding's details hold its revocation steps, references and locations.
    let pat = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "github.pat.classic")
        .unwrap();
    let opened = load(
        browser,
        &tree.path().join("report.html"),
        &format!("open={}", pat["fingerprint"].as_str().unwrap()),
    );
    opened.assert_loaded_cleanly();
    let revoke = pat["revoke"].as_str().unwrap().replace('>', "&gt;");
    assert!(opened.dom.contains(&revoke), "the revocation steps are shown:\n{}", opened.dom);
    assert!(
        opened.dom.contains("2 locations") && opened.dom.contains("deploy/prod.env:2:4"),
        "{}",
        opened.dom
    );
}

#[test]
fn filters_in_the_fragment_draw_exactly_the_matching_findings() {
    let Some(browser) = chromium() else { return };
    let tree = sample_tree();
    let report = html_report(tree.path(), &["scan"]);
    let by_rule = load(browser, &report, "rule=github.pat.classic");
    by_rule.assert_loaded_cleanly();
    assert_eq!(
        sorted(by_rule.rows()),
        json_fingerprints(&tree, |f| f["rule_id"] == "github.pat.classic")
    );
    assert_eq!(by_rule.rows().len(), 2);

    let in_deploy = |f: &Value| {
        f["locations"].as_array().unwrap().iter().any(|l| l["path"] == "deploy/prod.env")
    };
    let by_path = load(browser, &report, "path=DEPLOY");
    assert_eq!(sorted(by_path.rows()), json_fingerprints(&tree, in_deploy));
    assert_eq!(by_path.rows().len(), 2);

    let both = load(browser, &report, "path=deploy&rule=github.pat.classic&severity=high");
    assert_eq!(both.rows().len(), 1);

    // Sorting by path: first locations ascending, ties by priority (the token before the password).
    let json = tree.run(&["scan", "-f", "json"]).json();
    let print = |rule: &str, first_path: &str| -> String {
        let findings = json["findings"].as_array().unwrap();
        let f = findings
            .iter()
            .find(|f| f["rule_id"] == rule && f["locations"][0]["path"] == first_path)
            .unwrap();
        f["fingerprint"].as_str().unwrap().to_string()
    };
    let by_path = load(browser, &report, "sort=path");
    by_path.assert_loaded_cleanly();
    let expected = [
        print("github.pat.classic", "deploy/prod.env"),
        print("generic.password-assignment", "deploy/prod.env"),
        print("github.pat.classic", "src/other.py"),
    ];
    assert_eq!(by_path.rows(), expected);

    let none = load(browser, &report, "validity=live");
    none.assert_loaded_cleanly();
    assert!(none.rows().is_empty());
    assert!(none.dom.contains("data-matching=\"0\""), "{}", none.dom);
}

#[test]
fn a_redacted_report_holds_no_secret_and_show_secrets_is_the_only_way_in() {
    let Some(browser) = chromium() else { return };
    let tree = sample_tree();
    let secrets = [fake::github_pat(1), fake::github_pat(2), "Zt8#qLm2vR!x".to_string()];
    let report = html_report(tree.path(), &["scan"]);
    let file = std::fs::read_to_string(&report).unwrap();
    let page = load(browser, &report, "");
    page.assert_loaded_cleanly();
    for secret in &secrets {
        assert!(!file.contains(secret.as_str()), "the file holds a secret");
        assert!(!page.dom.contains(secret.as_str()), "the DOM holds a secret");
    }
    assert!(page.dom.contains("ghp_"), "redacted prefixes are shown");
    let shown = load(browser, &html_report(tree.path(), &["scan", "--show-secrets"]), "");
    for secret in &secrets[..2] {
        assert!(shown.dom.contains(secret.as_str()), "--show-secrets shows the secret in a row");
    }
}

#[cfg(unix)]
#[test]
fn hostile_file_names_and_ref_names_stay_text() {
    let Some(browser) = chromium() else { return };
    let mut repo = Repo::new();
    let hostile_dir = "x<";
    let hostile_file = "script><img src=x onerror=document.title='pwned'>.txt";
    repo.write(&format!("{hostile_dir}/{hostile_file}"), &format!("t={}\n", fake::github_pat(5)));
    repo.commit("add <b>bold</b> things");
    repo.git(&["branch", "evil</script><script>document.title='pwned'<"]);
    let report = html_report(&repo.dir, &["git"]);
    let file = std::fs::read_to_string(&report).unwrap();
    assert_eq!(file.matches("</script>").count(), 2, "only the two script elements close");
    let page = load(browser, &report, "");
    page.assert_loaded_cleanly();
    assert_eq!(page.rows().len(), 1);
    assert!(page.dom.contains("<title>leakhound report</title>"), "the title was changed");
    assert!(!page.dom.contains("<img"), "markup was injected:\n{}", page.dom);
    assert!(
        page.dom.contains("x&lt;/script&gt;&lt;img src=x onerror="),
        "the path is shown as text:\n{}",
        page.dom
    );
    // The details (locations, exposure timeline with the hostile ref name) stay text too.
    let opened = load(browser, &report, &format!("open={}", page.rows()[0]));
    opened.assert_loaded_cleanly();
    assert!(opened.dom.contains("Exposure timeline"), "{}", opened.dom);
    assert!(
        opened.dom.contains("refs/heads/evil&lt;/script&gt;&lt;script&gt;document.title="),
        "{}",
        opened.dom
    );
    assert!(!opened.dom.contains("<img") && opened.dom.contains("<title>leakhound report</title>"));
}

/// The page draws at most 100 rows at a time and pages through the rest.
#[test]
fn large_reports_are_paged() {
    let Some(browser) = chromium() else { return };
    let tree = Tree::new();
    let body: Vec<String> =
        (0..250).map(|i| format!("t{i}={}", fake::github_pat(1000 + i))).collect();
    tree.file("many.txt", body.join("\n"));
    let report = html_report(tree.path(), &["scan"]);
    let first = load(browser, &report, "");
    first.assert_loaded_cleanly();
    assert_eq!(first.rows().len(), 100);
    assert!(first.dom.contains("data-matching=\"250\""), "{}", first.dom);
    let last = load(browser, &report, "page=3");
    assert_eq!(last.rows().len(), 50);
    let all: std::collections::BTreeSet<String> =
        (1..=3).flat_map(|page| load(browser, &report, &format!("page={page}")).rows()).collect();
    assert_eq!(all.len(), 250, "the pages together show every finding once");
}

/// The file around the data: doctype, policy, shell (the script and stylesheet are elided; their
/// hashes are pinned through the policy).
#[test]
fn html_report_snapshot() {
    let tree = sample_tree();
    let html = std::fs::read_to_string(html_report(tree.path(), &["scan"])).unwrap();
    let elide = |text: &str, open: &str, close: &str| -> String {
        let start = text.rfind(open).unwrap() + open.len();
        let end = start + text[start..].find(close).unwrap();
        format!("{}[elided]{}", &text[..start], &text[end..])
    };
    let html = elide(&html, "<style>", "</style>");
    let html = elide(&html, "<script>", "</script>");
    let duration = regex::Regex::new(r#""duration_ms":\d+"#).unwrap();
    let html = duration.replace(&html, "\"duration_ms\":0").into_owned();
    let html = html.replace(env!("CARGO_PKG_VERSION"), "[version]");
    insta::assert_snapshot!(html.replace(",\"", ",\n\""));
}
