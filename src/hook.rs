//! Agent hooks: `leakhound hook claude-code|cursor|generic` reads one hook payload on stdin, scans
//! what is about to reach a model (a prompt, a tool's input, a file about to be read, a tool's
//! output) and answers in that agent's decision format: allow, or block with a redacted reason.
//!
//! A credential that reaches a model's context has leaked, so hooks are strict where the file
//! scan is lenient: inline allow markers are ignored (a file the agent reads is not trusted to
//! silence its own secrets), and a payload that cannot be read blocks (fail closed). The reason
//! names rules and redacted secrets only; it never carries a whole secret.
//!
//! Text is scanned per JSON string (each with a name like `tool_input.command`), so a secret is
//! found where it is, and `--redact` can replace it in that string. Claude Code's `PreToolUse`
//! accepts a modified tool input (`updatedInput`): with `--redact` a tool input holding a secret
//! is passed on with the secret replaced, asking the user to confirm (never auto-approving).
//! Prompts and files cannot be rewritten by either agent; they are blocked.
//!
//! Payload shapes follow each agent's hook documentation; the tests use payloads of our own.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::finding::Finding;
use crate::pipeline::Scanner;

/// The agents whose hook formats are spoken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Agent {
    /// Claude Code: `UserPromptSubmit`, `PreToolUse`, `PostToolUse`.
    ClaudeCode,
    /// Cursor: `beforeSubmitPrompt`, `beforeReadFile`, `beforeShellExecution`,
    /// `beforeMCPExecution`.
    Cursor,
    /// Any tool: stdin is the text itself; the answer is a small JSON decision.
    Generic,
}

/// How a hook behaves.
#[derive(Debug, Clone)]
pub(crate) struct HookOptions {
    /// Replace secrets in a tool input the agent can take back modified (Claude Code
    /// `PreToolUse`; the generic hook's `redacted_text`), instead of blocking.
    pub redact: bool,
    /// The largest file a read-file event scans; larger ones block.
    pub max_file_size: u64,
}

impl Default for HookOptions {
    fn default() -> Self {
        HookOptions { redact: false, max_file_size: 16 << 20 }
    }
}

/// The hook's answer: what to print on stdout and stderr, and the exit status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HookReply {
    /// The agent's decision JSON (may be empty: allow without output).
    pub stdout: String,
    /// A message for the agent's log (Claude Code shows it on exit status 2).
    pub stderr: String,
    /// The exit status the agent expects for this decision.
    pub exit_code: u8,
}

/// One piece of text taken from a payload, with where it came from.
#[derive(Debug, Clone)]
struct Piece {
    name: String,
    bytes: Vec<u8>,
}

/// What scanning a set of pieces found.
#[derive(Debug, Default)]
struct Verdict {
    /// `rule (redacted secret) in name:line`, one per finding.
    found: Vec<String>,
    /// The secrets, to replace in pieces when redacting.
    secrets: Vec<(String, String)>,
}

impl Verdict {
    fn clean(&self) -> bool {
        self.found.is_empty()
    }

    fn reason(&self) -> String {
        let count = self.found.len();
        let plural = if count == 1 { "" } else { "s" };
        format!(
            "leakhound found {count} secret{plural}: {}. Keep credentials out of the conversation: use an \
             environment variable or a secret manager.",
            self.found.join("; ")
        )
    }

    fn redact(&self, text: &str) -> String {
        self.secrets
            .iter()
            .fold(text.to_string(), |text, (secret, replacement)| text.replace(secret, replacement))
    }
}

fn scan_pieces(scanner: &Scanner, pieces: &[Piece]) -> Verdict {
    let mut verdict = Verdict::default();
    for piece in pieces {
        let outcome = scanner.scan_bytes(&piece.name, &piece.bytes);
        for finding in &outcome.findings {
            verdict.found.push(describe(finding));
            let secret = finding.secret.expose();
            if !secret.is_empty() && memchr::memmem::find(&piece.bytes, secret).is_some() {
                let secret = String::from_utf8_lossy(secret).into_owned();
                verdict.secrets.push((secret, format!("[REDACTED:{}]", finding.rule_id)));
            }
        }
    }
    verdict
}

fn describe(finding: &Finding) -> String {
    let at = finding
        .locations
        .first()
        .map(|l| format!(" in {}:{}", l.path, l.position.line))
        .unwrap_or_default();
    format!("{} ({}){at}", finding.rule_id, finding.secret.redacted())
}

/// Every string under `value`, named by its path from `prefix` (`tool_input.edits[0].new`).
fn strings(prefix: &str, value: &Value, out: &mut Vec<Piece>) {
    match value {
        Value::String(text) => {
            out.push(Piece { name: prefix.to_string(), bytes: text.clone().into_bytes() });
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                strings(&format!("{prefix}[{i}]"), item, out);
            }
        }
        Value::Object(fields) => {
            for (key, item) in fields {
                strings(&format!("{prefix}.{key}"), item, out);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Replaces secrets in every string under `value`.
fn redact_value(value: &Value, verdict: &Verdict) -> Value {
    match value {
        Value::String(text) => Value::String(verdict.redact(text)),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| redact_value(v, verdict)).collect())
        }
        Value::Object(fields) => Value::Object(
            fields.iter().map(|(k, v)| (k.clone(), redact_value(v, verdict))).collect(),
        ),
        other => other.clone(),
    }
}

/// The text of a file an agent is about to read, or why it cannot be checked.
enum FileText {
    /// Read: the bytes as they are (the scanner decodes UTF-16 itself).
    Read(Vec<u8>),
    /// Not there or not readable: the agent's own read fails the same way, nothing leaks.
    Unreadable,
    /// Larger than the bound: blocked, since it was not checked.
    TooLarge(u64),
}

#[allow(
    clippy::disallowed_methods,
    reason = "the file an agent is about to read, read the way the agent will read it, to scan it first"
)]
fn read_file(path: &Path, cwd: Option<&Path>, max: u64) -> FileText {
    let path = match cwd {
        Some(cwd) if path.is_relative() => cwd.join(path),
        _ => path.to_path_buf(),
    };
    let Ok(meta) = std::fs::metadata(&path) else { return FileText::Unreadable };
    if !meta.is_file() {
        return FileText::Unreadable;
    }
    if meta.len() > max {
        return FileText::TooLarge(meta.len());
    }
    match std::fs::read(&path) {
        Ok(bytes) => FileText::Read(bytes),
        Err(_) => FileText::Unreadable,
    }
}

/// Answers one hook invocation: `input` is everything the agent wrote on stdin.
pub(crate) fn answer(
    agent: Agent,
    scanner: &Scanner,
    input: &[u8],
    options: &HookOptions,
) -> HookReply {
    let payload = match agent {
        Agent::Generic => return generic(scanner, input, options),
        Agent::ClaudeCode | Agent::Cursor => match serde_json::from_slice::<Value>(input) {
            Ok(payload) if payload.is_object() => payload,
            Ok(_) => return unreadable(agent, "the hook payload is not a JSON object"),
            Err(e) => return unreadable(agent, &format!("the hook payload is not JSON: {e}")),
        },
    };
    if agent == Agent::Cursor {
        cursor(scanner, &payload, options)
    } else {
        claude_code(scanner, &payload, options)
    }
}

/// The reply to a payload over `max` bytes: blocked, as an unreadable one.
pub(crate) fn too_large(agent: Agent, max: u64) -> HookReply {
    unreadable(agent, &format!("the hook payload is larger than {max} bytes"))
}

/// A payload that cannot be read blocks: the agent's way of saying so, per agent.
fn unreadable(agent: Agent, why: &str) -> HookReply {
    let message = format!("leakhound could not check this step, so it is blocked: {why}");
    match agent {
        // Exit status 2 blocks the prompt or tool call and shows stderr.
        Agent::ClaudeCode | Agent::Generic => {
            HookReply { stdout: String::new(), stderr: message, exit_code: 2 }
        }
        Agent::Cursor => {
            reply(&json!({"continue": false, "permission": "deny", "user_message": message}))
        }
    }
}

fn reply(value: &Value) -> HookReply {
    HookReply { stdout: value.to_string(), stderr: String::new(), exit_code: 0 }
}

fn allow_silently() -> HookReply {
    HookReply { stdout: String::new(), stderr: String::new(), exit_code: 0 }
}

fn field<'a>(payload: &'a Value, name: &str) -> Option<&'a Value> {
    payload.get(name).filter(|v| !v.is_null())
}

fn text_field(payload: &Value, name: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    if let Some(value) = field(payload, name) {
        strings(name, value, &mut pieces);
    }
    pieces
}

fn cwd(payload: &Value) -> Option<PathBuf> {
    payload.get("cwd").and_then(Value::as_str).map(PathBuf::from)
}

fn claude_code(scanner: &Scanner, payload: &Value, options: &HookOptions) -> HookReply {
    let event = payload.get("hook_event_name").and_then(Value::as_str).unwrap_or_default();
    match event {
        "UserPromptSubmit" => {
            let verdict = scan_pieces(scanner, &text_field(payload, "prompt"));
            if verdict.clean() {
                return allow_silently();
            }
            reply(&json!({"decision": "block", "reason": verdict.reason()}))
        }
        "PreToolUse" => claude_pre_tool(scanner, payload, options),
        "PostToolUse" => {
            let verdict = scan_pieces(scanner, &text_field(payload, "tool_response"));
            if verdict.clean() {
                return allow_silently();
            }
            let reason = format!(
                "{} The tool's output holds it: do not repeat, store or send it anywhere.",
                verdict.reason()
            );
            reply(&json!({"decision": "block", "reason": reason}))
        }
        _ => allow_silently(),
    }
}

fn claude_deny(reason: &str) -> HookReply {
    reply(&json!({"hookSpecificOutput": {
        "hookEventName": "PreToolUse",
        "permissionDecision": "deny",
        "permissionDecisionReason": reason,
    }}))
}

fn claude_pre_tool(scanner: &Scanner, payload: &Value, options: &HookOptions) -> HookReply {
    let input = field(payload, "tool_input").cloned().unwrap_or(Value::Null);
    let verdict = scan_pieces(scanner, &text_field(payload, "tool_input"));
    let tool = payload.get("tool_name").and_then(Value::as_str).unwrap_or_default();
    if tool == "Read"
        && let Some(path) = input.get("file_path").and_then(Value::as_str)
        && let Some(blocked) =
            check_file(scanner, Path::new(path), cwd(payload).as_deref(), options)
    {
        return claude_deny(&blocked);
    }
    if verdict.clean() {
        return allow_silently();
    }
    if options.redact && verdict.secrets.len() == verdict.found.len() {
        return reply(&json!({"hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": "ask",
            "permissionDecisionReason": format!("{} Redacted in the tool input; confirm to run it redacted.", verdict.reason()),
            "updatedInput": redact_value(&input, &verdict),
        }}));
    }
    claude_deny(&verdict.reason())
}

/// Scans a file an agent is about to read; `Some(reason)` when it must be blocked.
fn check_file(
    scanner: &Scanner,
    path: &Path,
    cwd: Option<&Path>,
    options: &HookOptions,
) -> Option<String> {
    match read_file(path, cwd, options.max_file_size) {
        FileText::Unreadable => None,
        FileText::TooLarge(size) => Some(format!(
            "leakhound did not check {} ({size} bytes, over its {} byte limit for reads), so it is blocked",
            path.display(),
            options.max_file_size
        )),
        FileText::Read(bytes) => {
            let verdict =
                scan_pieces(scanner, &[Piece { name: path.display().to_string(), bytes }]);
            (!verdict.clean()).then(|| verdict.reason())
        }
    }
}

fn cursor(scanner: &Scanner, payload: &Value, options: &HookOptions) -> HookReply {
    let event = payload.get("hook_event_name").and_then(Value::as_str).unwrap_or_default();
    match event {
        "beforeSubmitPrompt" => {
            let verdict = scan_pieces(scanner, &text_field(payload, "prompt"));
            if verdict.clean() {
                return reply(&json!({"continue": true}));
            }
            reply(&json!({"continue": false, "user_message": verdict.reason()}))
        }
        "beforeReadFile" => cursor_read(scanner, payload, options),
        "beforeShellExecution" => {
            cursor_permission(&scan_pieces(scanner, &text_field(payload, "command")))
        }
        "beforeMCPExecution" => {
            cursor_permission(&scan_pieces(scanner, &text_field(payload, "tool_input")))
        }
        _ => reply(&json!({})),
    }
}

fn cursor_permission(verdict: &Verdict) -> HookReply {
    if verdict.clean() {
        return reply(&json!({"permission": "allow"}));
    }
    let reason = verdict.reason();
    reply(&json!({"permission": "deny", "user_message": reason, "agent_message": reason}))
}

fn cursor_read(scanner: &Scanner, payload: &Value, options: &HookOptions) -> HookReply {
    let path = payload.get("file_path").and_then(Value::as_str).unwrap_or_default();
    let blocked = match payload.get("content").and_then(Value::as_str) {
        Some(content) => {
            let piece = Piece { name: path.to_string(), bytes: content.as_bytes().to_vec() };
            let verdict = scan_pieces(scanner, &[piece]);
            (!verdict.clean()).then(|| verdict.reason())
        }
        None if path.is_empty() => None,
        None => check_file(scanner, Path::new(path), None, options),
    };
    match blocked {
        None => reply(&json!({"permission": "allow"})),
        Some(reason) => {
            reply(&json!({"permission": "deny", "user_message": reason, "agent_message": reason}))
        }
    }
}

/// The generic hook: stdin is the text; exit 0 allows, 1 blocks.
fn generic(scanner: &Scanner, input: &[u8], options: &HookOptions) -> HookReply {
    let verdict = scan_pieces(scanner, &[Piece { name: "<stdin>".into(), bytes: input.to_vec() }]);
    if verdict.clean() {
        return reply(&json!({"decision": "allow"}));
    }
    let mut answer =
        json!({"decision": "block", "reason": verdict.reason(), "findings": verdict.found});
    if options.redact {
        answer["redacted_text"] = Value::String(verdict.redact(&String::from_utf8_lossy(input)));
    }
    HookReply { stdout: answer.to_string(), stderr: String::new(), exit_code: 1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_named_by_their_path_in_the_payload() {
        let value =
            json!({"command": "ls", "edits": [{"new": "a"}, {"old": "b", "n": 3}], "flag": true});
        let mut pieces = Vec::new();
        strings("tool_input", &value, &mut pieces);
        let names: Vec<(&str, &[u8])> =
            pieces.iter().map(|p| (p.name.as_str(), p.bytes.as_slice())).collect();
        assert_eq!(
            names,
            [
                ("tool_input.command", &b"ls"[..]),
                ("tool_input.edits[0].new", &b"a"[..]),
                ("tool_input.edits[1].old", &b"b"[..]),
            ]
        );
    }

    #[test]
    fn redaction_replaces_every_occurrence_and_keeps_the_shape() {
        let verdict = Verdict {
            found: vec!["r (s…[6 chars])".into()],
            secrets: vec![("s3cr3t".into(), "[REDACTED:r]".into())],
        };
        let value = json!({"a": "x s3cr3t y s3cr3t", "b": [1, "s3cr3t"], "c": null});
        assert_eq!(
            redact_value(&value, &verdict),
            json!({"a": "x [REDACTED:r] y [REDACTED:r]", "b": [1, "[REDACTED:r]"], "c": null})
        );
    }
}
