//! Snapshots of every report format for one small tree (volatile fields redacted).

use crate::util::{Tree, fake};

fn sample_tree() -> Tree {
    let tree = Tree::new();
    tree.file(
        "src/app.py",
        format!(
            "import os\n\nclient = Client(token=\"{}\")\n",
            fake::github_pat(1)
        ),
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
