//! Snapshots of every report format for one small tree (volatile fields redacted).

use crate::util::{Tree, fake};

fn sample_tree() -> Tree {
    let tree = Tree::new();
    tree.file(
        "src/app.py",
        format!("import os\n\nclient = Client(token=\"{}\")\n", fake::github_pat(1)),
    );
    tree.file(
        "deploy/my settings.env",
        format!("DB_PASSWORD=Zt8#qLm2vR!x\nGH={}\n", fake::github_pat(1)),
    );
    tree.file(".gitignore", "*.log\n");
    tree
}

#[test]
fn text_report() {
    let run = sample_tree().run(&["scan", "--color", "never"]);
    assert_eq!(run.code(), 1);
    insta::assert_snapshot!(run.stdout());
}

#[test]
fn json_report() {
    let run = sample_tree().run(&["scan", "-f", "json"]);
    insta::assert_json_snapshot!(run.json(), { ".summary.duration_ms" => "[duration]" });
}

#[test]
fn jsonl_report() {
    let tree = sample_tree();
    let run = tree.run(&["scan", ".", "missing-dir", "-f", "jsonl"]);
    assert_eq!(run.code(), 2);
    insta::assert_snapshot!(run.stdout());
}

#[test]
fn sarif_report() {
    let run = sample_tree().run(&["scan", "-f", "sarif"]);
    let sarif = run.json();
    insta::assert_json_snapshot!(sarif, { ".runs[0].tool.driver.version" => "[version]", ".runs[0].tool.driver.semanticVersion" => "[version]" });
}

/// The SARIF of a scan with findings and notices passes Microsoft's SARIF Multitool with GitHub's
/// ingestion rules (`.ci/sarif-validate.sh`). CI installs the validator and sets
/// `LEAKHOUND_SARIF_VALIDATOR` to the script, which makes this test mandatory there.
#[test]
fn sarif_passes_github_code_scanning_validation() {
    let Some(validator) = crate::util::sarif_validator() else { return };
    let tree = sample_tree();
    tree.file("weird dir/ü #1.txt", format!("t={}\n", crate::util::fake::github_pat(9)));
    tree.file("allowed.py", format!("t={} # leakhound:allow\n", crate::util::fake::github_pat(10)));
    let run = tree.run(&[
        "scan",
        ".",
        "missing-dir",
        "--max-file-size",
        "40",
        "-f",
        "sarif",
        "-r",
        "out.sarif",
    ]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    crate::util::assert_valid_sarif(&validator, &tree.path().join("out.sarif"));
}

#[test]
fn gitlab_report() {
    let run = sample_tree().run(&["scan", "-f", "gitlab"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    insta::assert_json_snapshot!(run.json(), {
        ".scan.analyzer.version" => "[version]",
        ".scan.scanner.version" => "[version]",
        ".scan.start_time" => "[time]",
        ".scan.end_time" => "[time]",
    });
}

#[test]
fn csv_report() {
    let run = sample_tree().run(&["scan", "-f", "csv"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    insta::assert_snapshot!(run.stdout());
}

#[test]
fn github_annotations_report() {
    let run = sample_tree().run(&["scan", "-f", "github"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    insta::assert_snapshot!(run.stdout());
}

/// Every format is redacted by default and shows the full secret only with `--show-secrets`.
#[test]
fn new_formats_redact_unless_show_secrets() {
    let tree = sample_tree();
    let secret = fake::github_pat(1);
    for format in ["gitlab", "csv", "github"] {
        let redacted = tree.run(&["scan", "-f", format]);
        assert_eq!(redacted.code(), 1, "{format}: {}", redacted.stderr());
        assert!(!redacted.stdout().contains(&secret), "{format} leaks the secret by default");
        assert!(redacted.stdout().contains("ghp_"), "{format} keeps the redacted prefix");
        let shown = tree.run(&["scan", "-f", format, "--show-secrets"]);
        assert!(
            shown.stdout().contains(&secret),
            "{format} hides the secret despite --show-secrets"
        );
    }
}

/// A hostile file name cannot break out of a CSV cell, run as a spreadsheet formula, forge a
/// second GitHub workflow command, or send a terminal escape (ESC) into the job log.
#[cfg(unix)]
#[test]
fn hostile_paths_are_escaped_in_csv_and_github_formats() {
    let tree = Tree::new();
    let name = "=cmd|x,y\n::error::forged%.txt";
    tree.file(name, format!("t={}\n", fake::github_pat(3)));
    let csv = tree.run(&["scan", "-f", "csv"]).stdout();
    // The newline is escaped (a raw one would start a forged `::error` line in a CI log).
    assert!(csv.contains("\"'=cmd|x,y\\n::error::forged%.txt\""), "{csv}");
    let github = tree.run(&["scan", "-f", "github"]).stdout();
    let lines: Vec<&str> = github.lines().collect();
    assert_eq!(lines.len(), 1, "{github}");
    assert!(
        lines[0].starts_with("::error file==cmd|x%2Cy\\n%3A%3Aerror%3A%3Aforged%25.txt,line=1,"),
        "{github}"
    );

    let tree = Tree::new();
    tree.file("\u{1b}[2Jclear.txt", format!("t={}\n", fake::github_pat(4)));
    let github = tree.run(&["scan", "-f", "github"]).stdout();
    assert!(!github.contains('\u{1b}'), "a raw ESC reached the annotations: {github:?}");
    assert!(github.starts_with("::error file=\\x1b[2Jclear.txt,line=1,"), "{github}");
}

/// The GitLab report is valid against GitLab's own secret-detection schema (15.2.5, vendored in
/// fixtures/gitlab/), with findings and with notices; and the schema does reject a broken report,
/// so the check can fail.
#[test]
fn gitlab_report_is_valid_against_gitlabs_schema() {
    let (schemas, index) = crate::util::gitlab_schema();

    let tree = sample_tree();
    let run = tree.run(&["scan", ".", "missing-dir", "-f", "gitlab"]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    let mut report = run.json();
    assert_eq!(report["vulnerabilities"].as_array().unwrap().len(), 3);
    assert_eq!(report["scan"]["status"], "failure");
    if let Err(e) = schemas.validate(&report, index) {
        panic!("the GitLab report breaks the schema: {e:#}\n{report:#}");
    }
    let clean = Tree::new();
    clean.file("a.txt", "nothing here\n");
    let empty = clean.run(&["scan", "-f", "gitlab"]).json();
    assert!(schemas.validate(&empty, index).is_ok(), "{empty:#}");

    report["vulnerabilities"][0]["location"]["commit"] = serde_json::json!({});
    assert!(
        schemas.validate(&report, index).is_err(),
        "the schema must reject a location without a commit sha"
    );
}

/// A history scan's text report folds locations (5 shown, the rest counted), puts each commit
/// under its location, summarises the refs in one line, and keeps lines within 80 columns.
#[test]
fn text_report_of_history_folds_locations_and_summarises_refs() {
    let mut repo = crate::git::Repo::new();
    let token = fake::github_pat(77);
    for i in 0..7 {
        repo.write(&format!("svc{i}/config.env"), &format!("TOKEN={token}\n"));
        repo.commit(&format!("service {i}"));
    }
    repo.git(&["tag", "v1.0"]);
    repo.git(&["tag", "v1.1"]);
    repo.git(&["branch", "release"]);
    repo.git(&["branch", "wip"]);
    let out = crate::util::leakhound()
        .current_dir(&repo.dir)
        .args(["git", "--color", "never"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
    assert!(text.contains("refs         on main, 2 other branches and 2 tags"), "{text}");
    assert!(text.contains("... and 2 more locations"), "{text}");
    insta::assert_snapshot!(text);
}
