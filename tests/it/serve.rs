//! `leakhound serve`: one JSON response per request line, in order, ids echoed, errors answered
//! instead of ending the session, request size bounded, secrets redacted unless asked.

use serde_json::{Value, json};

use crate::util::{Tree, fake, leakhound};

/// Runs `leakhound serve ARGS` in `dir` with `requests` on stdin; returns the response lines.
fn serve(dir: &std::path::Path, args: &[&str], requests: &str) -> Vec<Value> {
    let output = leakhound()
        .current_dir(dir)
        .arg("serve")
        .args(args)
        .write_stdin(requests)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).expect("every response line is JSON"))
        .collect()
}

fn lines(requests: &[Value]) -> String {
    requests.iter().map(|r| r.to_string() + "\n").collect()
}

#[test]
fn answers_each_request_in_order_with_its_id() {
    let tree = Tree::new();
    let token = fake::github_pat(1);
    let requests = lines(&[
        json!({"id": "first", "op": "scan_text", "text": format!("x\nGH_TOKEN={token}\n"), "name": "prompt.txt"}),
        json!({"id": 2, "op": "scan_text", "text": "nothing here"}),
        json!({"id": {"nested": [3]}, "op": "rules"}),
    ]);
    let responses = serve(tree.path(), &[], &requests);
    let ids: Vec<&Value> = responses.iter().map(|r| &r["id"]).collect();
    assert_eq!(ids, [&json!("first"), &json!(2), &json!({"nested": [3]})]);
    assert!(responses.iter().all(|r| r["ok"] == json!(true)));
    let finding = &responses[0]["findings"][0];
    assert_eq!(finding["rule_id"], json!("github.pat.classic"));
    assert_eq!((finding["path"].as_str(), finding["line"].as_u64()), (Some("prompt.txt"), Some(2)));
    assert_eq!(responses[1]["findings"], json!([]));
    let rules = responses[2]["rules"].as_array().unwrap();
    assert!(rules.iter().any(|r| r["id"] == json!("github.pat.classic")));
}

#[test]
fn secrets_are_redacted_unless_the_request_asks() {
    let tree = Tree::new();
    let token = fake::github_pat(2);
    let text = format!("token = {token}");
    let requests = lines(&[
        json!({"id": 1, "op": "scan_text", "text": text}),
        json!({"id": 2, "op": "scan_text", "text": text, "show_secrets": true}),
    ]);
    let output =
        leakhound().current_dir(tree.path()).arg("serve").write_stdin(requests).output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let responses: Vec<Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(responses[0]["findings"][0]["redacted"], json!(true));
    assert!(!stdout.lines().next().unwrap().contains(&token), "first response leaks the secret");
    assert_eq!(responses[1]["findings"][0]["secret"], json!(token));
    assert!(!stdout.contains("fingerprint"));
}

#[test]
fn bad_lines_get_error_responses_and_the_session_goes_on() {
    let tree = Tree::new();
    let deep = "[".repeat(10_000);
    let requests = format!(
        "{{not json\n{}\n{}\n\n{deep}\n\u{0}\u{ff}\n{}\n",
        json!({"id": 7, "op": "launch_missiles"}),
        json!({"id": 8, "op": "scan_text"}),
        json!({"id": 9, "op": "scan_text", "text": "still serving"}),
    );
    let responses = serve(tree.path(), &[], &requests);
    let kinds: Vec<(Value, Value)> =
        responses.iter().map(|r| (r["id"].clone(), r["error"]["kind"].clone())).collect();
    assert_eq!(
        kinds,
        [
            (Value::Null, json!("bad_json")),
            (json!(7), json!("bad_request")),
            (json!(8), json!("bad_request")),
            (Value::Null, json!("bad_json")),
            (Value::Null, json!("bad_json")),
            (json!(9), Value::Null),
        ]
    );
    assert_eq!(responses[5]["ok"], json!(true));
}

#[test]
fn a_request_over_the_size_limit_is_refused_clearly() {
    let tree = Tree::new();
    let big = json!({"id": 1, "op": "scan_text", "text": "a".repeat(5000)});
    let small = json!({"id": 2, "op": "scan_text", "text": "b"});
    let responses = serve(tree.path(), &["--max-request-size", "1K"], &lines(&[big, small]));
    assert_eq!(responses[0]["error"]["kind"], json!("too_large"));
    assert!(
        responses[0]["error"]["message"].as_str().unwrap().contains("over the limit of 1024 bytes")
    );
    assert_eq!((responses[1]["id"].clone(), responses[1]["ok"].clone()), (json!(2), json!(true)));
}

#[test]
fn scan_path_runs_the_pipeline_and_names_what_it_could_not_read() {
    let tree = Tree::new();
    tree.file(
        "conf/app.env",
        format!("AWS_ACCESS_KEY_ID={}\nGH={}\n", fake::aws_key_id(3), fake::github_pat(3)),
    );
    let requests = lines(&[
        json!({"id": 1, "op": "scan_path", "paths": ["conf"]}),
        json!({"id": 2, "op": "scan_path", "paths": ["missing"]}),
    ]);
    let responses = serve(tree.path(), &[], &requests);
    assert_eq!(responses[0]["complete"], json!(true));
    let rules: Vec<&str> = responses[0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"github.pat.classic"), "{rules:?}");
    assert_eq!(responses[1]["complete"], json!(false));
    assert!(responses[1]["notices"][0].as_str().unwrap().contains("missing"));
}

#[test]
fn inline_markers_suppress_and_are_counted() {
    let tree = Tree::new();
    let text = format!("t = {}  # leakhound:allow\n", fake::github_pat(4));
    let responses =
        serve(tree.path(), &[], &lines(&[json!({"id": 1, "op": "scan_text", "text": text})]));
    assert_eq!(
        (responses[0]["findings"].clone(), responses[0]["suppressed"].clone()),
        (json!([]), json!(1))
    );
}

#[test]
fn explain_lists_candidates_with_their_verdicts() {
    let tree = Tree::new();
    let text = format!("one\ntoken={}\n", fake::github_pat(5));
    let requests = lines(&[json!({"id": "e", "op": "explain", "text": text, "line": 2})]);
    let responses = serve(tree.path(), &[], &requests);
    let candidates = responses[0]["candidates"].as_array().unwrap();
    let kept: Vec<(&str, u64)> = candidates
        .iter()
        .filter(|c| c["reported"] == json!(true))
        .map(|c| (c["rule_id"].as_str().unwrap(), c["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(kept, [("github.pat.classic", 2)]);
    assert!(candidates.iter().all(|c| c["secret"].as_str().unwrap().contains("chars]")));
}
