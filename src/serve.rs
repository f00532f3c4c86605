//! `leakhound serve`: newline-delimited JSON requests on one stream, one response per request on
//! another, in order, with the rules compiled once for the life of the process.
//!
//! Editors, agents and language bindings call a scanner many times; paying rule compilation on
//! every call is what made a peer's `scan -` unusable from Python. A request is one line of JSON:
//!
//! ```text
//! {"id": 1, "op": "scan_text", "text": "...", "name": "prompt.txt", "show_secrets": false}
//! {"id": 2, "op": "scan_path", "paths": ["src", "config/app.yml"]}
//! {"id": 3, "op": "explain", "text": "...", "line": 2}
//! {"id": 4, "op": "rules"}
//! ```
//!
//! Every request gets exactly one response line carrying its `id` back (any JSON value; `null`
//! when the line was not JSON). A bad line never ends the session: it gets an error response
//! (`bad_json`, `bad_request`, `too_large`, `scan_failed`). A line longer than the limit is
//! drained without being buffered and answered with `too_large`. Blank lines are ignored.
//! Secrets are redacted unless the request sets `show_secrets`; no fingerprint (a hash of the
//! secret) is sent.

use std::io::{self, BufRead, Write};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::Config;
use crate::finding::Finding;
use crate::matcher::Verdict;
use crate::outcome::ScanOutcome;
use crate::pipeline::{self, Scanner, Target};
use crate::rules::RuleSet;

/// One request, after its `id` was taken out.
#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
enum Request {
    /// Scan a text buffer.
    ScanText {
        text: String,
        #[serde(default = "default_name")]
        name: String,
        #[serde(default)]
        show_secrets: bool,
    },
    /// Scan files and directories with the whole pipeline (repository configuration applies).
    ScanPath {
        paths: Vec<PathBuf>,
        #[serde(default)]
        show_secrets: bool,
    },
    /// What every rule's pattern produced in a text, and what happened to each candidate.
    Explain {
        text: String,
        #[serde(default)]
        line: Option<u64>,
        #[serde(default)]
        show_secrets: bool,
    },
    /// The compiled rules.
    Rules,
}

fn default_name() -> String {
    "<text>".to_string()
}

/// Why a request got no result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ErrorKind {
    /// The line is not JSON.
    BadJson,
    /// JSON, but not a request this protocol knows.
    BadRequest,
    /// The line is longer than the limit.
    TooLarge,
    /// The scan could not start (configuration, rules).
    ScanFailed,
}

/// A finding as the protocol sends it.
#[derive(Debug, Serialize)]
pub struct FindingView {
    /// The rule's id.
    pub rule_id: String,
    /// The rule's name.
    pub rule_name: String,
    /// The secret, redacted unless asked.
    pub secret: String,
    /// Whether `secret` is redacted.
    pub redacted: bool,
    /// Where it was first found.
    pub path: String,
    /// 1-based line.
    pub line: u64,
    /// 1-based column.
    pub column: u64,
    /// Last line.
    pub end_line: u64,
    /// Column after the end.
    pub end_column: u64,
    /// How many places hold the same secret.
    pub locations: usize,
    /// The rule's confidence, when it states one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<&'static str>,
    /// The encoding the secret was found under, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decoded: Option<String>,
}

impl FindingView {
    /// The protocol's view of `finding`.
    pub fn new(rules: &RuleSet, finding: &Finding, show_secrets: bool) -> FindingView {
        let location = finding.locations.first();
        let position = location.map(|l| &l.position);
        FindingView {
            rule_id: finding.rule_id.clone(),
            rule_name: rules
                .rules()
                .get(finding.rule)
                .map(|r| r.spec.name.clone())
                .unwrap_or_default(),
            secret: shown(finding.secret.expose(), show_secrets),
            redacted: !show_secrets,
            path: location.map(|l| l.path.clone()).unwrap_or_default(),
            line: position.map_or(0, |p| p.line),
            column: position.map_or(0, |p| p.column),
            end_line: position.map_or(0, |p| p.end_line),
            end_column: position.map_or(0, |p| p.end_column),
            locations: finding.locations.len(),
            confidence: finding.confidence.map(crate::rules::Confidence::as_str),
            decoded: location.and_then(|l| l.decoded).map(crate::matcher::decode::Layers::describe),
        }
    }
}

fn shown(secret: &[u8], show: bool) -> String {
    let secret = crate::finding::Secret::new(secret.to_vec());
    if show { String::from_utf8_lossy(secret.expose()).into_owned() } else { secret.redacted() }
}

/// One explained candidate.
#[derive(Debug, Serialize)]
struct CandidateView {
    rule_id: String,
    line: u64,
    secret: String,
    reported: bool,
    verdict: String,
    entropy: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    decoded: Option<String>,
}

/// A scan's result.
#[derive(Debug, Serialize)]
struct ScanReply {
    findings: Vec<FindingView>,
    suppressed: usize,
    complete: bool,
    notices: Vec<String>,
    bytes_scanned: u64,
}

/// What a request produced: a result object or an error.
#[derive(Debug)]
enum Reply {
    Ok(Value),
    Err(ErrorKind, String),
}

/// A rule in the `rules` reply.
#[derive(Debug, Serialize)]
struct RuleView<'a> {
    id: &'a str,
    name: &'a str,
}

/// Reads one line of at most `max` bytes (without its newline) into `buf`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum LineRead {
    /// A whole line is in the buffer.
    Line,
    /// The line was longer than the limit; this many bytes were drained and dropped.
    TooLarge(usize),
    /// End of input.
    End,
}

/// Reads the next line into `buf` (cleared first), never buffering more than `max` bytes.
pub(crate) fn read_bounded_line(
    input: &mut impl BufRead,
    max: usize,
    buf: &mut Vec<u8>,
) -> io::Result<LineRead> {
    buf.clear();
    let mut seen = 0usize;
    loop {
        let available = match input.fill_buf() {
            Ok(available) => available,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(if seen == 0 { LineRead::End } else { finished(seen, max) });
        }
        let (chunk, newline) = match memchr::memchr(b'\n', available) {
            Some(at) => (&available[..at], true),
            None => (available, false),
        };
        seen += chunk.len();
        if seen <= max {
            buf.extend_from_slice(chunk);
        } else {
            buf.clear();
        }
        let used = chunk.len() + usize::from(newline);
        input.consume(used);
        if newline {
            return Ok(finished(seen, max));
        }
    }
}

fn finished(seen: usize, max: usize) -> LineRead {
    if seen > max { LineRead::TooLarge(seen) } else { LineRead::Line }
}

/// A serving session: the scanner, the configuration for path scans, the request bound.
#[derive(Debug)]
pub(crate) struct Server {
    scanner: Scanner,
    config: Config,
    max_request: usize,
}

/// What a session did, for the caller's exit status.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SessionSummary {
    /// Requests answered.
    pub requests: u64,
    /// Of those, answered with an error.
    pub errors: u64,
}

impl Server {
    /// Compiles the rules once for the session.
    pub(crate) fn new(
        config: Config,
        max_request: usize,
    ) -> Result<Server, pipeline::PipelineError> {
        let scanner = Scanner::new(&config)?;
        Ok(Server { scanner, config, max_request })
    }

    /// Answers every request line of `input` on `output`, in order, flushing after each,
    /// until end of input. Only an I/O error on either stream ends it early.
    pub(crate) fn run(
        &self,
        input: &mut impl BufRead,
        output: &mut impl Write,
    ) -> io::Result<SessionSummary> {
        let mut summary = SessionSummary::default();
        let mut line = Vec::new();
        loop {
            let response = match read_bounded_line(input, self.max_request, &mut line)? {
                LineRead::End => return Ok(summary),
                LineRead::Line if line.iter().all(u8::is_ascii_whitespace) => continue,
                LineRead::Line => self.answer(&line),
                LineRead::TooLarge(size) => error_response(
                    &Value::Null,
                    ErrorKind::TooLarge,
                    &format!(
                        "request of {size} bytes is over the limit of {} bytes",
                        self.max_request
                    ),
                ),
            };
            summary.requests += 1;
            summary.errors += u64::from(response.get("ok") == Some(&Value::Bool(false)));
            serde_json::to_writer(&mut *output, &response)?;
            output.write_all(b"\n")?;
            output.flush()?;
        }
    }

    /// The response to one request line.
    pub(crate) fn answer(&self, line: &[u8]) -> Value {
        let mut value: Value = match serde_json::from_slice(line) {
            Ok(value) => value,
            Err(e) => {
                return error_response(&Value::Null, ErrorKind::BadJson, &format!("not JSON: {e}"));
            }
        };
        let id = value.as_object_mut().and_then(|o| o.remove("id")).unwrap_or(Value::Null);
        let reply = match serde_json::from_value::<Request>(value) {
            Ok(request) => self.handle(request),
            Err(e) => Reply::Err(ErrorKind::BadRequest, e.to_string()),
        };
        match reply {
            Reply::Ok(Value::Object(mut result)) => {
                result.insert("id".into(), id);
                result.insert("ok".into(), Value::Bool(true));
                Value::Object(result)
            }
            Reply::Ok(other) => serde_json::json!({"id": id, "ok": true, "result": other}),
            Reply::Err(kind, message) => error_response(&id, kind, &message),
        }
    }

    fn handle(&self, request: Request) -> Reply {
        match request {
            Request::ScanText { text, name, show_secrets } => {
                let outcome = self.scanner.scan_bytes(&name, text.as_bytes());
                to_value(&scan_reply(self.scanner.rules(), &outcome, show_secrets))
            }
            Request::ScanPath { paths, show_secrets } => {
                match pipeline::run(&Target::Paths(paths), &self.config, None) {
                    Ok(scanned) => {
                        to_value(&scan_reply(&scanned.rules, &scanned.outcome, show_secrets))
                    }
                    Err(e) => Reply::Err(ErrorKind::ScanFailed, e.to_string()),
                }
            }
            Request::Explain { text, line, show_secrets } => to_value(&serde_json::json!({
                "candidates": self.explain(text.as_bytes(), line, show_secrets)
            })),
            Request::Rules => {
                let rules: Vec<RuleView<'_>> = self
                    .scanner
                    .rules()
                    .rules()
                    .iter()
                    .map(|r| RuleView { id: r.id(), name: &r.spec.name })
                    .collect();
                to_value(&serde_json::json!({ "rules": rules }))
            }
        }
    }

    fn explain(&self, bytes: &[u8], line: Option<u64>, show: bool) -> Vec<CandidateView> {
        let rules = self.scanner.rules();
        self.scanner
            .explain_bytes(bytes)
            .into_iter()
            .map(|c| CandidateView {
                rule_id: rules.rules()[c.found.rule].id().to_string(),
                line: line_of(bytes, c.found.secret.start),
                secret: shown(c.found.secret_bytes(bytes), show),
                reported: c.verdict == Verdict::Kept,
                verdict: c.verdict.describe(),
                entropy: c.entropy,
                decoded: c.found.layers().map(crate::matcher::decode::Layers::describe),
            })
            .filter(|c| line.is_none_or(|l| l == c.line))
            .collect()
    }
}

fn scan_reply(rules: &RuleSet, outcome: &ScanOutcome, show: bool) -> ScanReply {
    ScanReply {
        findings: outcome.findings.iter().map(|f| FindingView::new(rules, f, show)).collect(),
        suppressed: outcome.suppressed.len(),
        complete: !outcome.incomplete(),
        notices: outcome.notices.iter().map(describe_notice).collect(),
        bytes_scanned: outcome.stats.bytes_scanned,
    }
}

/// A notice as one line of text: level, path when there is one, message.
pub(crate) fn describe_notice(notice: &crate::outcome::Notice) -> String {
    match notice.path() {
        Some(path) => format!("{}: {path}: {}", notice.level.as_str(), notice.message),
        None => format!("{}: {}", notice.level.as_str(), notice.message),
    }
}

fn to_value(result: &impl Serialize) -> Reply {
    match serde_json::to_value(result) {
        Ok(value) => Reply::Ok(value),
        Err(e) => Reply::Err(ErrorKind::ScanFailed, e.to_string()),
    }
}

fn error_response(id: &Value, kind: ErrorKind, message: &str) -> Value {
    serde_json::json!({"id": id, "ok": false, "error": {"kind": kind, "message": message}})
}

/// 1-based line number of byte `offset`.
fn line_of(bytes: &[u8], offset: usize) -> u64 {
    1 + memchr::memchr_iter(b'\n', &bytes[..offset.min(bytes.len())]).count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], max: usize) -> Vec<(LineRead, Vec<u8>)> {
        let mut reader = io::BufReader::with_capacity(4, input);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        loop {
            let read = read_bounded_line(&mut reader, max, &mut buf).unwrap();
            if read == LineRead::End {
                return out;
            }
            out.push((read, buf.clone()));
        }
    }

    #[test]
    fn lines_split_on_newlines_across_buffer_refills() {
        let got = lines(b"first line\nsecond\nlast-without-newline", 100);
        assert_eq!(
            got,
            vec![
                (LineRead::Line, b"first line".to_vec()),
                (LineRead::Line, b"second".to_vec()),
                (LineRead::Line, b"last-without-newline".to_vec()),
            ]
        );
    }

    #[test]
    fn a_line_over_the_limit_is_drained_and_the_next_one_still_read() {
        let got = lines(b"0123456789abcdef\nok\n", 8);
        assert_eq!(
            got,
            vec![(LineRead::TooLarge(16), Vec::new()), (LineRead::Line, b"ok".to_vec())]
        );
    }

    #[test]
    fn a_line_exactly_at_the_limit_is_accepted() {
        assert_eq!(lines(b"12345678\n", 8), vec![(LineRead::Line, b"12345678".to_vec())]);
    }
}
