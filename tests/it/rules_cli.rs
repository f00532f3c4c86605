//! `leakhound rules list | show | check`.

use crate::util::Tree;

#[test]
fn builtin_rules_pass_their_own_check() {
    let run = Tree::new().run(&["rules", "check"]);
    assert_eq!(run.code(), 0, "{}", run.stdout());
    assert!(run.stdout().contains(", 0 problem(s)"), "{}", run.stdout());
}

#[test]
fn rules_check_fails_on_a_broken_example_and_a_missing_negative() {
    let tree = Tree::new();
    let file = tree.file(
        "r.yaml",
        r"rules:
  - id: demo.key
    name: Demo key
    provider: Demo
    kind: api-key
    keywords: [demo_]
    pattern: '\b(?P<secret>demo_[0-9a-f]{16})\b'
    confidence: high
    severity: low
    references: [https://demo.invalid]
    revoke: Delete it.
    examples: ['k = demo_0123']
",
    );
    let run = tree.run(&["rules", "check", file.to_str().unwrap()]);
    assert_eq!(run.code(), 1);
    let out = run.stdout();
    assert!(
        out.contains("demo.key: example \"k = demo_0123\" does not match the pattern"),
        "{out}"
    );
    assert!(out.contains("demo.key: needs at least one example and one negative example"), "{out}");
}

#[test]
fn rules_check_proves_examples_between_other_lines_of_a_file() {
    // `$` outside multi-line mode matches only at the end of the text: the example passes alone
    // and would miss in every real file. A whole-file rule (`\A...\z`) is proven alone only.
    let tree = Tree::new();
    let rule = |id: &str, keyword: &str, pattern: &str, example: &str| {
        format!(
            "  - id: {id}
    name: Demo key
    provider: Demo
    kind: api-key
    keywords: [{keyword}]
    pattern: '{pattern}'
    confidence: high
    severity: low
    references: [https://demo.invalid]
    revoke: Delete it.
    examples: ['{example}']
    negative_examples: ['k = other']
"
        )
    };
    let body = [
        rule(
            "demo.end",
            "endkey_",
            r"(?P<secret>endkey_[0-9a-f]{16})$",
            "k = endkey_0f1e2d3c4b5a6978",
        ),
        rule(
            "demo.multi",
            "multikey_",
            r"(?P<secret>multikey_[0-9a-f]{16})(?m:$)",
            "k = multikey_8a7b6c5d4e3f2011",
        ),
        rule(
            "demo.file",
            "filekey_",
            r"\A(?P<secret>filekey_[0-9a-f]{16})\z",
            "filekey_5a4b3c2d1e0f9687",
        ),
    ]
    .concat();
    let file = tree.file("r.yaml", format!("rules:\n{body}"));
    let run = tree.run(&["rules", "check", file.to_str().unwrap()]);
    let out = run.stdout();
    assert_eq!(run.code(), 1, "{out}");
    assert!(
        out.contains(
            "demo.end: example \"k = endkey_0f1e2d3c4b5a6978\" is reported alone but not between \
             other lines of a file"
        ),
        "{out}"
    );
    assert!(!out.contains("demo.multi:"), "{out}");
    assert!(!out.contains("demo.file:"), "{out}");
    assert!(
        out.contains("3 rules checked, 2 examples and 3 negative examples proven, 1 problem(s)"),
        "{out}"
    );
}

#[test]
fn rules_list_json_and_show() {
    let tree = Tree::new();
    let run = tree.run(&["rules", "list", "--format", "json"]);
    let rules: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    let ids: Vec<&str> =
        rules.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"github.pat.classic"));
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted, "rules are listed in id order");
    let show = tree.run(&["rules", "show", "github.pat.classic"]);
    assert!(show.stdout().contains("crc32-github"), "{}", show.stdout());
    assert_eq!(tree.run(&["rules", "show", "no.such.rule"]).code(), 2);
}

/// `rules list` prints only rules on stdout (one per line, every line a rule id and its fields);
/// the count goes to stderr.
#[test]
fn rules_list_prints_the_count_on_stderr() {
    let run = Tree::new().run(&["rules", "list"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let stdout = run.stdout();
    assert!(
        stdout.lines().all(|l| l.contains('.') && l.split_whitespace().count() >= 4),
        "{stdout}"
    );
    let count = stdout.lines().count();
    assert!(count > 50, "{stdout}");
    assert_eq!(run.stderr().trim(), format!("{count} rules"));
}

#[test]
fn explain_says_why_a_line_was_or_was_not_reported() {
    let tree = Tree::new();
    // Not a dotenv file: in `app.env` the weak `changeme` would be reported (a credential file).
    tree.file("app.cfg", "a=1\nDB_PASSWORD=Zt8#qLm2vR!x\npassword: changeme\n");
    let reported = tree.run(&["explain", "app.cfg:2"]);
    assert_eq!(reported.code(), 1);
    let out = reported.stdout();
    assert!(
        out.lines().any(|l| l.starts_with("keyword \"pass\" at line 2 triggers")
            && l.contains("generic.password-assignment")),
        "{out}"
    );
    assert!(out.contains("generic.password-assignment at line 2: Zt8…[12 chars]"), "{out}");
    assert!(out.contains("-> reported"), "{out}");
    assert!(!out.contains("qLm2vR"), "explain redacts by default: {out}");
    let dropped = tree.run(&["explain", "app.cfg:3"]);
    assert_eq!(dropped.code(), 0);
    assert!(
        dropped.stdout().contains("-> dropped: weak or placeholder-like password"),
        "{}",
        dropped.stdout()
    );
    let nothing = tree.run(&["explain", "app.cfg:1"]);
    assert!(
        nothing.stdout().contains("no keyword of any rule occurs there"),
        "{}",
        nothing.stdout()
    );
}

/// Runs `rules/coverage/SCRIPT --check` and fails with its stderr when it does.
fn coverage_script_checks(script: &str) {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = std::process::Command::new("python3")
        .arg(format!("{root}/rules/coverage/{script}"))
        .arg("--check")
        .output()
        .unwrap_or_else(|e| panic!("python3 runs (it is needed for rules/coverage/{script}): {e}"));
    assert!(out.status.success(), "{script}: {}", String::from_utf8_lossy(&out.stderr));
}

/// `rules/COVERAGE.md` is regenerated from `rules/coverage/peers.tsv` and `rules/*.yaml`; the
/// check fails when the table is stale, names a rule that does not exist, or lets the missing
/// rows grow past their budget.
#[test]
fn coverage_table_is_current_and_names_only_existing_rules() {
    coverage_script_checks("coverage.py");
}

/// `rules/providers-tail-2.yaml` is what `rules/coverage/tail2.py` writes from its facts table
/// (the YAML is generated; a hand edit there would be lost on the next run).
#[test]
fn generated_provider_table_is_current() {
    coverage_script_checks("tail2.py");
}

/// `rules/providers-hand-5p.yaml` is what `rules/coverage/hand5p.py` writes (generated too).
#[test]
fn generated_hand_rules_5p_are_current() {
    coverage_script_checks("hand5p.py");
}

/// A provider-table row in a `--rules` file is expanded and proven like a hand-written rule.
#[test]
fn rules_check_proves_provider_table_rows() {
    let tree = Tree::new();
    let file = tree.file(
        "t.yaml",
        r"families:
  - id: demo.api-key
    name: Demo API key
    provider: Demo
    names: [demoapp]
    alphabet: hex
    length: 32
    references: [https://demo.invalid]
    revoke: Delete it.
    examples: ['DEMOAPP_API_KEY=4f1c9a7e2b3d5f60718293a4b5c6d7e8']
    negative_examples: ['API_KEY=4f1c9a7e2b3d5f60718293a4b5c6d7e8', 'DEMOAPP_API_KEY=4f1c9a7e2b3d5f60718293a4b5c6d7e']
  - id: demo.broken
    name: Demo broken row
    provider: Demo
    names: [demoapp]
    alphabet: hex
    length: 32
    references: [https://demo.invalid]
    revoke: Delete it.
    examples: ['DEMOAPP_TOKEN=4f1c9a7e2b3d']
    negative_examples: ['API_KEY=4f1c9a7e2b3d5f60718293a4b5c6d7e8']
",
    );
    let run = tree.run(&["rules", "check", file.to_str().unwrap()]);
    assert_eq!(run.code(), 1, "{}", run.stdout());
    let out = run.stdout();
    assert!(!out.contains("demo.api-key:"), "{out}");
    assert!(
        out.contains(
            "demo.broken: example \"DEMOAPP_TOKEN=4f1c9a7e2b3d\" does not match the pattern"
        ),
        "{out}"
    );
}
