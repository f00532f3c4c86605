//! `leakhound scan`: what is read, what is skipped, what is reported, and the exit status.

use crate::util::{Tree, fake, leakhound};

#[test]
fn a_secret_is_found_and_the_exit_status_is_1() {
    let tree = Tree::new();
    let token = fake::github_pat(1);
    tree.file("src/config.py", format!("import os\nGITHUB_TOKEN = \"{token}\"\n"));
    let run = tree.run(&["scan", "-f", "json"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert_eq!(run.hits(), vec![("github.pat.classic".into(), "src/config.py".into(), 2)]);
    let loc = &run.json()["findings"][0]["locations"][0];
    assert_eq!((loc["column"].as_u64(), loc["end_column"].as_u64()), (Some(17), Some(57)));
}

#[test]
fn a_clean_tree_exits_0_and_exit_code_overrides_findings() {
    let tree = Tree::new();
    tree.file("README.md", "nothing to see here\n");
    assert_eq!(tree.run(&["scan"]).code(), 0);
    tree.file("a.env", format!("TOKEN={}\n", fake::github_pat(2)));
    assert_eq!(tree.run(&["scan", "--exit-code", "42"]).code(), 42);
}

#[test]
fn gitignore_is_honoured_except_for_credential_stores() {
    let tree = Tree::new();
    let (a, b, c) = (fake::github_pat(3), fake::github_pat(4), fake::github_pat(5));
    tree.file(".gitignore", "build/\n*.log\n.env\nconfig/prod.pem\n");
    tree.file(".env", format!("GH={a}\n"));
    tree.file("app.log", format!("token {b}\n"));
    tree.file("build/out.txt", format!("token {c}\n"));
    tree.file("config/prod.pem", format!("token {c}\n"));
    let run = tree.run(&["scan", "-f", "json"]);
    let paths: Vec<String> = run.hits().into_iter().map(|h| h.1).collect();
    assert_eq!(paths, vec![".env", "config/prod.pem"], "{}", run.stdout());

    let all = tree.run(&["scan", "--no-ignore", "-f", "json"]);
    let paths: Vec<String> = all.hits().into_iter().map(|h| h.1).collect();
    assert_eq!(paths, vec![".env", "app.log", "build/out.txt", "config/prod.pem"]);
}

#[test]
fn hidden_files_are_scanned_and_the_git_directory_is_not() {
    let tree = Tree::new();
    tree.file(".config/settings.ini", format!("token={}\n", fake::github_pat(6)));
    tree.file(".git/config", format!("token={}\n", fake::github_pat(7)));
    let run = tree.run(&["scan", "-f", "json"]);
    let paths: Vec<String> = run.hits().into_iter().map(|h| h.1).collect();
    assert_eq!(paths, vec![".config/settings.ini"]);
}

#[test]
fn binary_files_are_skipped_and_counted_with_no_binary_strings_unless_scan_binary() {
    let tree = Tree::new();
    let mut blob = b"\x7fELF\0\0\0".to_vec();
    blob.extend_from_slice(format!(" {} ", fake::github_pat(8)).as_bytes());
    tree.file("tool.bin", &blob);
    let run = tree.run(&["scan", "--no-binary-strings", "-f", "json"]);
    assert_eq!(run.code(), 0);
    assert_eq!(run.json()["summary"]["skipped_binary"], 1);
    assert!(run.stderr().contains("1 binary"), "{}", run.stderr());
    let run = tree.run(&["scan", "-f", "json"]);
    assert_eq!(run.code(), 1, "printable runs of binaries are scanned by default");
    assert_eq!(run.hits().len(), 1);
    let run = tree.run(&["scan", "--scan-binary", "-f", "json"]);
    assert_eq!(run.code(), 1);
    assert_eq!(run.hits().len(), 1);
}

#[test]
fn files_over_max_file_size_are_listed_not_hidden() {
    let tree = Tree::new();
    tree.file("big.txt", format!("{}\n{}", "x".repeat(5000), fake::github_pat(9)));
    tree.file("small.txt", format!("t={}\n", fake::github_pat(10)));
    let run = tree.run(&["scan", "--max-file-size", "1K", "-f", "json"]);
    assert_eq!(run.code(), 1, "findings decide the status; a deliberate size skip is a warning");
    let doc = run.json();
    assert_eq!(doc["summary"]["skipped_too_large"], 1);
    assert_eq!(doc["notices"][0]["path"], "big.txt");
    assert_eq!(doc["notices"][0]["level"], "warning");
    assert!(run.stderr().contains("warning: big.txt: skipped"), "{}", run.stderr());
}

#[test]
fn an_unreadable_path_is_an_error_but_other_findings_are_still_reported() {
    let tree = Tree::new();
    tree.file("ok.txt", format!("t={}\n", fake::github_pat(11)));
    let run = tree.run(&["scan", "ok.txt", "does-not-exist.txt", "-f", "json"]);
    assert_eq!(run.code(), 2, "incomplete results must not look clean or merely dirty");
    let doc = run.json();
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1);
    assert_eq!(doc["summary"]["complete"], false);
    assert_eq!(doc["notices"][0]["level"], "error");
    assert!(run.stderr().contains("does-not-exist.txt"), "{}", run.stderr());
}

#[test]
fn stdin_is_scanned_with_dash() {
    let token = fake::github_pat(12);
    let out = leakhound()
        .args(["scan", "-", "-f", "json"])
        .write_stdin(format!("line one\nexport GH_TOKEN={token}\n"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["findings"][0]["locations"][0]["path"], "<stdin>");
    assert_eq!(doc["findings"][0]["locations"][0]["line"], 2);
}

#[cfg(unix)]
#[test]
fn symlinks_are_never_followed_and_fifos_never_opened() {
    let outside = Tree::new();
    let secret_file = outside.file("secret.txt", format!("t={}\n", fake::github_pat(13)));
    let tree = Tree::new();
    tree.file("plain.txt", "hello\n");
    std::os::unix::fs::symlink(&secret_file, tree.path().join("link.txt")).unwrap();
    std::os::unix::fs::symlink(outside.path(), tree.path().join("linkdir")).unwrap();
    let fifo = tree.path().join("pipe");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let run = tree.run(&["scan", "-f", "json"]);
    assert_eq!(run.code(), 0, "{}", run.stdout());
    let summary = &run.json()["summary"];
    assert_eq!(summary["skipped_symlinks"], 2);
    assert_eq!(summary["skipped_special"], 1);
}

#[test]
fn a_provider_rule_wins_over_generic_on_the_same_bytes_only() {
    let tree = Tree::new();
    let token = fake::github_pat(14);
    tree.file("a.env", format!("API_TOKEN={token} DB_PASSWORD=Zt8#qLm2vR!x\n"));
    let run = tree.run(&["scan", "-f", "json"]);
    let rules: Vec<String> = run.hits().into_iter().map(|h| h.0).collect();
    assert_eq!(rules, vec!["generic.password-assignment", "github.pat.classic"]);
}

#[test]
fn placeholders_templates_and_lookups_are_not_reported() {
    let tree = Tree::new();
    tree.file(
        "config.yaml",
        "password: ${DB_PASSWORD}\napi_key: \"{{ vault_api_key }}\"\nsecret = os.environ[\"SECRET\"]\n\
         token: your-token-here\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\nghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n\
         client_secret: 123e4567-e89b-12d3-a456-426614174000\n",
    );
    let run = tree.run(&["scan", "-f", "json"]);
    assert_eq!(run.code(), 0, "{}", run.stdout());
}

#[test]
fn secrets_are_redacted_unless_show_secrets() {
    let tree = Tree::new();
    let token = fake::github_pat(15);
    tree.file("a.txt", format!("t={token}\n"));
    for format in ["text", "json", "jsonl", "sarif"] {
        let run = tree.run(&["scan", "-f", format]);
        assert!(!run.stdout().contains(&token), "{format} leaked the secret");
        assert!(!run.stderr().contains(&token), "{format} leaked the secret on stderr");
        assert!(run.stdout().contains(&token[..8]), "{format} lacks the recognisable prefix");
        let shown = tree.run(&["scan", "-f", format, "--show-secrets"]);
        assert!(shown.stdout().contains(&token), "{format} --show-secrets hides the secret");
    }
}

#[test]
fn hostile_file_names_are_escaped_in_text_output() {
    let tree = Tree::new();
    tree.file("evil\nname\u{1b}[2J.txt", format!("t={}\n", fake::github_pat(16)));
    let run = tree.run(&["scan", "--color", "never"]);
    let out = run.stdout();
    assert!(out.contains("evil\\nname\\x1b[2J.txt:1:3"), "{out}");
    assert!(!out.contains('\u{1b}'), "a raw escape reached the terminal");
}

#[test]
fn one_finding_per_rule_and_secret_with_every_location() {
    let tree = Tree::new();
    let token = fake::github_pat(17);
    tree.file("a.txt", format!("t={token}\n"));
    tree.file("b/c.txt", format!("\n\n  x={token}\n"));
    let run = tree.run(&["scan", "-f", "json"]);
    let doc = run.json();
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1);
    assert_eq!(doc["findings"][0]["locations"].as_array().unwrap().len(), 2);
    let before = doc["findings"][0]["fingerprint"].clone();
    tree.file("a.txt", format!("moved\ndown\nt={token}\n"));
    assert_eq!(tree.run(&["scan", "-f", "json"]).json()["findings"][0]["fingerprint"], before);
}

#[test]
fn custom_rules_are_added_with_rules_flag() {
    let tree = Tree::new();
    tree.file(
        "rules/acme.yaml",
        r"rules:
  - id: acme.key
    name: ACME key
    provider: ACME
    kind: api-key
    keywords: [acme_]
    pattern: '\b(?P<secret>acme_[0-9a-f]{16})\b'
    confidence: high
    severity: medium
    references: [https://acme.invalid/keys]
    revoke: Delete it in the ACME console.
    examples: ['k = acme_0123456789abcdef']
    negative_examples: ['k = acme_0123']
",
    );
    tree.file("src/a.txt", "key = acme_9f8e7d6c5b4a3f2e\n");
    let run = tree.run(&["scan", "src", "--rules", "rules/acme.yaml", "-f", "json"]);
    assert_eq!(run.hits(), vec![("acme.key".into(), "src/a.txt".into(), 1)]);
    let bad = tree.file("rules/bad.yaml", "rules:\n  - id: nope\n");
    let run = tree.run(&["scan", "src", "--rules", bad.to_str().unwrap()]);
    assert_eq!(run.code(), 2);
    assert!(run.stderr().contains("bad.yaml"), "{}", run.stderr());
}

#[test]
fn a_secret_straddling_a_window_boundary_in_a_large_file_is_found_once() {
    let tree = Tree::new();
    let token = fake::github_pat(18);
    let window = leakhound::internals::content::WINDOW;
    let mut body = vec![b'a'; window + 1000];
    for i in (100..body.len()).step_by(100) {
        body[i] = b'\n';
    }
    let at = window - 20;
    body[at - 1] = b' ';
    body[at..at + token.len()].copy_from_slice(token.as_bytes());
    body[at + token.len()] = b' ';
    tree.file("big.txt", &body);
    let run = tree.run(&["scan", "-f", "json"]);
    let doc = run.json();
    let locations = doc["findings"][0]["locations"].as_array().unwrap();
    assert_eq!(locations.len(), 1, "{}", run.stdout());
    assert_eq!(locations[0]["offset"].as_u64(), Some(at as u64));
}

#[test]
fn output_is_identical_across_thread_counts() {
    let tree = Tree::new();
    for i in 0..60u64 {
        let body = if i % 3 == 0 {
            format!("t{i}={}\n", fake::github_pat(100 + i))
        } else {
            format!("nothing {i}\n")
        };
        tree.file(&format!("d{}/f{i}.txt", i % 7), body);
        tree.file(&format!("shared{}.txt", i % 5), format!("same={}\n", fake::github_pat(7)));
    }
    let strip = |mut v: serde_json::Value| {
        v["summary"]["duration_ms"] = serde_json::Value::Null;
        v
    };
    let one = strip(tree.run(&["scan", "-j", "1", "-f", "json"]).json());
    for threads in ["2", "4", "8"] {
        assert_eq!(
            strip(tree.run(&["scan", "-j", threads, "-f", "json"]).json()),
            one,
            "-j {threads}"
        );
    }
}

#[test]
fn usage_errors_exit_2() {
    let tree = Tree::new();
    assert_eq!(tree.run(&["scan", "--max-file-size", "lots"]).code(), 2);
    assert_eq!(tree.run(&["scan", "--no-such-flag"]).code(), 2);
    assert_eq!(tree.run(&["--version"]).code(), 0);
}

#[test]
fn an_aws_access_key_id_is_found_in_a_credentials_file() {
    let tree = Tree::new();
    let id = fake::aws_key_id(3);
    tree.file(".aws/credentials", format!("[default]\naws_access_key_id = {id}\n"));
    let run = tree.run(&["scan", "-f", "json"]);
    assert_eq!(run.hits(), vec![("aws.access-key-id".into(), ".aws/credentials".into(), 2)]);
}

#[test]
fn utf16_files_are_decoded_with_or_without_a_byte_order_mark() {
    let tree = Tree::new();
    let token = fake::github_pat(30);
    let text = format!("[auth]\r\ntoken = {token}\r\n");
    let le: Vec<u8> =
        [0xFF, 0xFE].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect();
    let be_no_bom: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    tree.file("windows.ini", le);
    tree.file("java.properties", be_no_bom);
    let run = tree.run(&["scan", "-f", "json"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert_eq!(
        run.hits(),
        vec![
            ("github.pat.classic".into(), "java.properties".into(), 2),
            ("github.pat.classic".into(), "windows.ini".into(), 2)
        ]
    );
    assert_eq!(run.json()["summary"]["skipped_binary"], 0);
}
