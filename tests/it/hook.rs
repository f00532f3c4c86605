//! `leakhound hook`: payloads shaped like each agent's (written for these tests), answered in
//! that agent's decision format; reasons never carry a whole secret; unreadable payloads block.

use serde_json::{Value, json};

use crate::util::{Tree, fake, leakhound};

struct Answer {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).expect("the decision is JSON")
    }
}

fn hook(dir: &std::path::Path, args: &[&str], payload: impl Into<Vec<u8>>) -> Answer {
    let output =
        leakhound().current_dir(dir).arg("hook").args(args).write_stdin(payload).output().unwrap();
    Answer {
        code: output.status.code().unwrap(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

fn claude(event: &str, cwd: &std::path::Path, extra: &Value) -> String {
    let mut payload = json!({
        "session_id": "5d1c7e0a-test",
        "transcript_path": "/tmp/transcript.jsonl",
        "cwd": cwd,
        "hook_event_name": event,
    });
    payload.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    payload.to_string()
}

#[test]
fn claude_code_prompt_with_a_secret_is_blocked_with_a_redacted_reason() {
    let tree = Tree::new();
    let token = fake::github_pat(11);
    let payload = claude(
        "UserPromptSubmit",
        tree.path(),
        &json!({"prompt": format!("why does {token} fail?")}),
    );
    let answer = hook(tree.path(), &["claude-code"], payload);
    assert_eq!(answer.code, 0);
    let decision = answer.json();
    assert_eq!(decision["decision"], json!("block"));
    let reason = decision["reason"].as_str().unwrap();
    assert!(reason.contains("github.pat.classic") && reason.contains("chars]"), "{reason}");
    assert!(!answer.stdout.contains(&token) && !answer.stderr.contains(&token));
}

#[test]
fn claude_code_clean_prompt_is_allowed_without_output() {
    let tree = Tree::new();
    let payload =
        claude("UserPromptSubmit", tree.path(), &json!({"prompt": "rename this variable"}));
    let answer = hook(tree.path(), &["claude-code"], payload);
    assert_eq!((answer.code, answer.stdout.as_str()), (0, ""));
}

#[test]
fn claude_code_tool_input_with_a_secret_is_denied() {
    let tree = Tree::new();
    let token = fake::github_pat(12);
    let input = json!({"command": format!("curl -H 'Authorization: token {token}' https://api.github.invalid")});
    let payload =
        claude("PreToolUse", tree.path(), &json!({"tool_name": "Bash", "tool_input": input}));
    let decision = hook(tree.path(), &["claude-code"], payload).json();
    let output = &decision["hookSpecificOutput"];
    assert_eq!(output["hookEventName"], json!("PreToolUse"));
    assert_eq!(output["permissionDecision"], json!("deny"));
    assert!(output["permissionDecisionReason"].as_str().unwrap().contains("tool_input.command:1"));
}

#[test]
fn claude_code_redact_passes_the_tool_input_on_without_the_secret_and_asks() {
    let tree = Tree::new();
    let token = fake::github_pat(13);
    let input = json!({"file_path": "notes.md", "content": format!("# notes\ntoken: {token}\n")});
    let payload =
        claude("PreToolUse", tree.path(), &json!({"tool_name": "Write", "tool_input": input}));
    let answer = hook(tree.path(), &["claude-code", "--redact"], payload);
    let output = &answer.json()["hookSpecificOutput"];
    assert_eq!(output["permissionDecision"], json!("ask"));
    assert_eq!(output["updatedInput"]["file_path"], json!("notes.md"));
    assert_eq!(
        output["updatedInput"]["content"],
        json!("# notes\ntoken: [REDACTED:github.pat.classic]\n")
    );
    assert!(!answer.stdout.contains(&token));
}

#[test]
fn claude_code_read_of_a_file_holding_a_secret_is_denied_before_it_is_read() {
    let tree = Tree::new();
    tree.file("deploy/.env", format!("GITHUB_TOKEN={}\n", fake::github_pat(14)));
    tree.file("README.md", "nothing secret\n");
    let read = |path: &str| {
        let payload = claude(
            "PreToolUse",
            tree.path(),
            &json!({"tool_name": "Read", "tool_input": {"file_path": path}}),
        );
        hook(tree.path(), &["claude-code"], payload)
    };
    let denied = read("deploy/.env").json();
    assert_eq!(denied["hookSpecificOutput"]["permissionDecision"], json!("deny"));
    assert_eq!(read("README.md").stdout, "");
    // A file that does not exist leaks nothing: the tool's own read fails.
    assert_eq!(read("nowhere.txt").stdout, "");
}

#[test]
fn claude_code_inline_markers_do_not_silence_a_hook() {
    let tree = Tree::new();
    tree.file("seed.py", format!("TOKEN = '{}'  # leakhound:allow\n", fake::github_pat(15)));
    let payload = claude(
        "PreToolUse",
        tree.path(),
        &json!({"tool_name": "Read", "tool_input": {"file_path": "seed.py"}}),
    );
    let decision = hook(tree.path(), &["claude-code"], payload).json();
    assert_eq!(decision["hookSpecificOutput"]["permissionDecision"], json!("deny"));
}

#[test]
fn claude_code_tool_output_with_a_secret_is_flagged_to_the_model() {
    let tree = Tree::new();
    let response =
        json!({"stdout": format!("AKIA... ok\nGH_TOKEN={}\n", fake::github_pat(16)), "stderr": ""});
    let payload = claude(
        "PostToolUse",
        tree.path(),
        &json!({"tool_name": "Bash", "tool_input": {"command": "env"}, "tool_response": response}),
    );
    let decision = hook(tree.path(), &["claude-code"], payload).json();
    assert_eq!(decision["decision"], json!("block"));
    assert!(decision["reason"].as_str().unwrap().contains("tool_response.stdout:2"));
}

#[test]
fn claude_code_unreadable_payload_blocks_with_exit_status_2() {
    let tree = Tree::new();
    for payload in ["{\"hook_event_name\": ", "[1, 2]", ""] {
        let answer = hook(tree.path(), &["claude-code"], payload);
        assert_eq!(answer.code, 2, "payload {payload:?}");
        assert!(answer.stderr.contains("could not check this step"), "{}", answer.stderr);
    }
}

#[test]
fn cursor_events_get_cursor_decisions() {
    let tree = Tree::new();
    let token = fake::github_pat(17);
    let base =
        json!({"conversation_id": "c-1", "generation_id": "g-1", "workspace_roots": [tree.path()]});
    let event = |name: &str, extra: Value| {
        let mut payload = base.clone();
        payload["hook_event_name"] = json!(name);
        payload.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        hook(tree.path(), &["cursor"], payload.to_string())
    };
    let prompt =
        event("beforeSubmitPrompt", json!({"prompt": format!("use {token}"), "attachments": []}));
    assert_eq!(prompt.json()["continue"], json!(false));
    assert!(!prompt.stdout.contains(&token));
    assert_eq!(
        event("beforeSubmitPrompt", json!({"prompt": "hello"})).json(),
        json!({"continue": true})
    );
    let shell = event(
        "beforeShellExecution",
        json!({"command": format!("export T={token}"), "cwd": tree.path()}),
    );
    assert_eq!(shell.json()["permission"], json!("deny"));
    let read =
        event("beforeReadFile", json!({"file_path": "a.env", "content": format!("T={token}\n")}));
    assert_eq!(read.json()["permission"], json!("deny"));
    let mcp = event(
        "beforeMCPExecution",
        json!({"tool_name": "search", "tool_input": "{\"q\": \"docs\"}"}),
    );
    assert_eq!(mcp.json(), json!({"permission": "allow"}));
    let broken = hook(tree.path(), &["cursor"], "not json");
    assert_eq!(broken.json()["permission"], json!("deny"));
}

#[test]
fn generic_hook_reads_text_and_exits_1_to_block() {
    let tree = Tree::new();
    let token = fake::github_pat(18);
    let blocked = hook(tree.path(), &["generic", "--redact"], format!("line\nkey {token}\n"));
    assert_eq!(blocked.code, 1);
    let decision = blocked.json();
    assert_eq!(decision["decision"], json!("block"));
    assert_eq!(decision["redacted_text"], json!("line\nkey [REDACTED:github.pat.classic]\n"));
    assert!(!blocked.stdout.contains(&token));
    let allowed = hook(tree.path(), &["generic"], "plain text");
    assert_eq!((allowed.code, allowed.json()), (0, json!({"decision": "allow"})));
}
