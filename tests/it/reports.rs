//! Snapshots of every report format for one small tree (volatile fields redacted).

use crate::util::{Tree, fake};

fn sample_tree() -> Tree {
    let tree = Tree::new();
    tree.file("src/app.py", format!("import os\n\nclient = Client(token=\"{}\")\n", fake::github_pat(1)));
    tree.file("deploy/my settings.env", format!("DB_PASSWORD=Zt8#qLm2vR!x\nGH={}\n", fake::github_pat(1)));
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
#[allow(clippy::print_stderr)] // says why the test did nothing when the validator is absent
fn sarif_passes_github_code_scanning_validation() {
    let Some(validator) = std::env::var_os("LEAKHOUND_SARIF_VALIDATOR") else {
        eprintln!("skipped: set LEAKHOUND_SARIF_VALIDATOR=.ci/sarif-validate.sh (CI does)");
        return;
    };
    let tree = sample_tree();
    tree.file("weird dir/ü #1.txt", format!("t={}\n", crate::util::fake::github_pat(9)));
    tree.file("allowed.py", format!("t={} # leakhound:allow\n", crate::util::fake::github_pat(10)));
    let run = tree.run(&["scan", ".", "missing-dir", "--max-file-size", "40", "-f", "sarif", "-r", "out.sarif"]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    let out = std::process::Command::new("bash")
        .arg(validator)
        .arg(tree.path().join("out.sarif"))
        .output()
        .expect("run the SARIF validator");
    assert!(
        out.status.success(),
        "SARIF validation failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
