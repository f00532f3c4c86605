//! Live validation, without the internet: every request goes to a fake provider on 127.0.0.1
//! (mapped with `--validation-endpoint`), which answers like the real one for valid, invalid,
//! revoked, rate-limited and failing credentials, and records what it was sent.
//!
//! What these tests prove: every built-in validator reads every documented answer right through
//! the real HTTP stack; the secret goes only to the validator's host (never to a host named by
//! scanned content, never across a redirect, never to a private address); each distinct
//! credential is sent once; retries honour `Retry-After` and are bounded; canaries are not sent;
//! and the ledger, reports, stderr and errors never contain a secret.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use base64::Engine as _;
use leakhound::internals::content::Reader;
use leakhound::internals::finding::{Collector, Finding};
use leakhound::internals::matcher::Matcher;
use leakhound::internals::rules::{RuleSet, RuleSource};
use leakhound::internals::validate::{
    Catalog, UnknownReason, ValidationConfig, ValidationStatus, validate_findings_with,
};

use crate::util::{Tree, fake, leakhound};

// ---------------------------------------------------------------------------------------------
// A fake provider: a tiny HTTP/1.1 server on 127.0.0.1 that records requests.

/// One scripted answer.
#[derive(Clone)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn new(status: u16, body: &str) -> Reply {
        Reply { status, headers: Vec::new(), body: body.to_string() }
    }

    fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

/// A request as received.
#[derive(Clone, Debug)]
struct Received {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Everything sent, with basic-auth credentials decoded, for "does it carry X" checks.
    fn everything(&self) -> String {
        let mut all = format!("{} {}\n", self.method, self.path);
        for (k, v) in &self.headers {
            let _ = writeln!(all, "{k}: {v}");
            if let Some(b64) = v.strip_prefix("Basic ") {
                let decoded =
                    base64::engine::general_purpose::STANDARD.decode(b64).unwrap_or_default();
                all.push_str(&String::from_utf8_lossy(&decoded));
                all.push('\n');
            }
        }
        all.push_str(&self.body);
        all
    }
}

type Responder = Box<dyn Fn(usize, &Received) -> Option<Reply> + Send + Sync>;

struct FakeProvider {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FakeProvider {
    /// Answers the scripted replies in order, repeating the last one.
    fn replying(replies: Vec<Reply>) -> FakeProvider {
        FakeProvider::with(move |n, _| Some(replies[n.min(replies.len() - 1)].clone()))
    }

    /// Answers with `respond(request number, request)`; `None` holds the connection unanswered.
    fn with(
        respond: impl Fn(usize, &Received) -> Option<Reply> + Send + Sync + 'static,
    ) -> FakeProvider {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let respond: Responder = Box::new(respond);
        let (rec, stopping) = (Arc::clone(&received), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            for (n, stream) in listener.incoming().take(200).enumerate() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                serve(stream, n, &respond, &rec);
            }
        });
        FakeProvider { addr, received, stop, thread: Some(thread) }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `--validation-endpoint HOST=<this server>`.
    fn endpoint_for(&self, host: &str) -> String {
        format!("{host}={}", self.url())
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

impl Drop for FakeProvider {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(stream: TcpStream, n: usize, respond: &Responder, received: &Mutex<Vec<Received>>) {
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let Some(request) = read_request(&stream) else {
        return;
    };
    received.lock().unwrap().push(request.clone());
    let Some(reply) = respond(n, &request) else {
        std::thread::sleep(Duration::from_secs(3)); // never answer (timeout tests)
        return;
    };
    let mut out = format!(
        "HTTP/1.1 {} Fake\r\nContent-Length: {}\r\nConnection: close\r\n",
        reply.status,
        reply.body.len()
    );
    for (k, v) in &reply.headers {
        let _ = write!(out, "{k}: {v}\r\n");
    }
    out.push_str("\r\n");
    out.push_str(&reply.body);
    let mut stream = stream;
    let _ = stream.write_all(out.as_bytes());
}

fn read_request(stream: &TcpStream) -> Option<Received> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_string(), parts.next()?.to_string());
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (k, v) = header.split_once(':')?;
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Received { method, path, headers, body: String::from_utf8_lossy(&body).into_owned() })
}

// ---------------------------------------------------------------------------------------------
// Library helpers.

/// The built-in rules read from their YAML: these tests build scan texts from the rules'
/// examples, which the pre-built form a scan loads leaves out.
static RULES: LazyLock<Arc<RuleSet>> = LazyLock::new(|| {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    paths.sort();
    let sources: Vec<RuleSource> = paths
        .iter()
        .map(|path| RuleSource {
            origin: format!("builtin:{}", path.file_name().unwrap().to_string_lossy()),
            text: std::fs::read_to_string(path).unwrap(),
        })
        .collect();
    Arc::new(RuleSet::compile(&sources).unwrap())
});

/// The findings a scan of `text` (as file `path`) produces.
fn findings_in(rules: &Arc<RuleSet>, path: &str, text: &str) -> Vec<Finding> {
    let matcher = Matcher::new(Arc::clone(rules));
    let mut located = Vec::new();
    Reader::new(&matcher).scan_bytes(&matcher, text.as_bytes(), &mut located);
    let mut collector = Collector::new();
    for found in located {
        collector.add(rules, path, found);
    }
    collector.finish()
}

/// A config that sends `host` to `server`, quickly.
fn config_for(server: &FakeProvider, host: &str, retries: u32) -> ValidationConfig {
    ValidationConfig {
        endpoints: vec![server.endpoint_for(host).parse().unwrap()],
        retries,
        rate_per_host: 0,
        base_backoff: Duration::from_millis(10),
        timeout: Duration::from_secs(5),
        ..ValidationConfig::default()
    }
}

/// A scan text in which the validator's first rule is found along with every companion.
fn example_text(rules: &RuleSet, validator: &leakhound::internals::validate::Validator) -> String {
    let mut lines = vec![rules.get(&validator.spec.rules[0]).unwrap().spec.examples[0].clone()];
    for companion in &validator.spec.companions {
        lines.push(rules.get(&companion.rule).unwrap().spec.examples[0].clone());
    }
    lines.join("\n") + "\n"
}

/// What in a request proves the credential was in it.
fn carried_value(
    validator: &leakhound::internals::validate::Validator,
    finding: &Finding,
) -> String {
    let secret = String::from_utf8(finding.secret.expose().to_vec()).unwrap();
    if validator.spec.request.sign.is_some() && validator.spec.rules[0] == "aws.access-key-id" {
        format!("Credential={secret}/")
    } else if validator.spec.request.sign.is_some() {
        "Credential=AKIA".to_string() // the secret key itself is never sent, only its signature
    } else if validator.spec.request.url.contains("url_path") {
        secret.split_once("://").unwrap().1.split_once('/').unwrap().1.to_string()
    } else {
        secret
    }
}

fn validate_one(
    rules: &RuleSet,
    catalog: &Catalog,
    findings: &[Finding],
    rule_id: &str,
    config: &ValidationConfig,
) -> leakhound::internals::validate::Validation {
    let mut findings = findings.to_vec();
    validate_findings_with(&mut findings, rules, catalog, config).unwrap();
    findings.iter().find(|f| f.rule_id == rule_id).and_then(|f| f.validation.clone()).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Every built-in validator, every documented answer, through the real HTTP stack.

#[test]
fn every_validator_reads_every_documented_answer_from_a_local_provider() {
    let rules = &*RULES;
    let catalog = Catalog::builtin(rules).unwrap();
    assert!(catalog.validators().len() >= 60);
    for validator in catalog.validators() {
        let id = &validator.spec.id;
        let rule_id = &validator.spec.rules[0];
        let findings = findings_in(rules, "example.env", &example_text(rules, validator));
        let finding = findings
            .iter()
            .find(|f| &f.rule_id == rule_id)
            .unwrap_or_else(|| panic!("{id}: the example of {rule_id} produced no finding"));
        let must_carry = carried_value(validator, finding);
        let url_path = validator.spec.request.url["https://".len()..]
            .split_once('/')
            .map(|(_, p)| format!("/{}", p.split(['?', '{']).next().unwrap()));
        for example in &validator.spec.examples {
            let server = FakeProvider::replying(vec![Reply::new(example.status, &example.body)]);
            let config = config_for(&server, &validator.host, 0);
            let got = validate_one(rules, &catalog, &findings, rule_id, &config);
            assert_eq!(
                got.status, example.outcome,
                "{id}: answer {} {}",
                example.status, example.body
            );
            assert!(got.checked_at.is_some(), "{id}");
            let sent = server.received();
            assert_eq!(sent.len(), 1, "{id}: one request per credential");
            assert_eq!(sent[0].method, validator.spec.request.method.as_str(), "{id}");
            if let Some(path) = &url_path {
                assert!(
                    sent[0].path.starts_with(path.as_str()),
                    "{id}: {} vs {path}",
                    sent[0].path
                );
            }
            assert!(
                sent[0].everything().contains(&must_carry),
                "{id}: the request does not carry the credential"
            );
        }
    }
}

#[test]
fn every_validator_retries_rate_limits_and_server_errors_then_gives_up() {
    let rules = &*RULES;
    let catalog = Catalog::builtin(rules).unwrap();
    for validator in catalog.validators() {
        let id = &validator.spec.id;
        let rule_id = &validator.spec.rules[0];
        let findings = findings_in(rules, "example.env", &example_text(rules, validator));
        let valid =
            validator.spec.examples.iter().find(|e| e.outcome == ValidationStatus::Valid).unwrap();
        // 429 with Retry-After, then the valid answer: the retry succeeds.
        let server = FakeProvider::replying(vec![
            Reply::new(429, "slow down").header("Retry-After", "0"),
            Reply::new(valid.status, &valid.body),
        ]);
        let got = validate_one(
            rules,
            &catalog,
            &findings,
            rule_id,
            &config_for(&server, &validator.host, 2),
        );
        assert_eq!(got.status, ValidationStatus::Valid, "{id}");
        assert_eq!(server.received().len(), 2, "{id}");
        // Always 429: bounded retries, then unknown (rate limited).
        let server = FakeProvider::replying(vec![Reply::new(429, "").header("Retry-After", "0")]);
        let got = validate_one(
            rules,
            &catalog,
            &findings,
            rule_id,
            &config_for(&server, &validator.host, 2),
        );
        assert_eq!(got.reason, Some(UnknownReason::RateLimited), "{id}");
        assert_eq!(server.received().len(), 3, "{id}: first try + 2 retries");
        // Always 5xx: unknown (server error).
        let server = FakeProvider::replying(vec![Reply::new(503, "unavailable")]);
        let got = validate_one(
            rules,
            &catalog,
            &findings,
            rule_id,
            &config_for(&server, &validator.host, 1),
        );
        assert_eq!(got.reason, Some(UnknownReason::ServerError), "{id}");
        assert_eq!(server.received().len(), 2, "{id}");
    }
}

#[test]
fn a_retry_after_beyond_the_cap_ends_the_check_without_waiting() {
    let rules = &*RULES;
    let catalog = Catalog::builtin(rules).unwrap();
    let findings = findings_in(rules, "a.env", &format!("GH={}\n", fake::github_pat(40)));
    let server = FakeProvider::replying(vec![Reply::new(429, "").header("Retry-After", "3600")]);
    let started = std::time::Instant::now();
    let got = validate_one(
        rules,
        &catalog,
        &findings,
        "github.pat.classic",
        &config_for(&server, "api.github.com", 2),
    );
    assert_eq!(got.reason, Some(UnknownReason::RateLimited));
    assert_eq!(server.received().len(), 1);
    assert!(started.elapsed() < Duration::from_secs(5));
}

// ---------------------------------------------------------------------------------------------
// Safety: where a secret may go.

const LOCALHOST_VALIDATOR: &str = r"
validators:
  - id: demo.whoami
    rules: [github.pat.classic]
    request:
      method: GET
      url: https://localhost/user
      headers:
        Authorization: Bearer {{secret}}
    responses:
      - {status: [200], outcome: valid}
      - {status: [401], outcome: invalid}
    examples:
      - {outcome: valid, status: 200}
      - {outcome: invalid, status: 401}
";

#[test]
fn a_provider_host_on_a_private_address_is_refused_before_connecting() {
    let rules = &*RULES;
    let catalog = Catalog::compile(
        &[RuleSource { origin: "test.yaml".into(), text: LOCALHOST_VALIDATOR.into() }],
        rules,
    )
    .unwrap();
    let findings = findings_in(rules, "a.env", &format!("GH={}\n", fake::github_pat(41)));
    let config = ValidationConfig { retries: 0, ..ValidationConfig::default() };
    let got = validate_one(rules, &catalog, &findings, "github.pat.classic", &config);
    assert_eq!(got.reason, Some(UnknownReason::BlockedAddress));
    // With the guard lifted the same request does try to connect (and fails: nothing listens on
    // localhost:443), which shows the refusal above happened before any connection.
    let lifted = ValidationConfig { allow_internal_ips: true, ..config };
    let got = validate_one(rules, &catalog, &findings, "github.pat.classic", &lifted);
    assert_eq!(got.reason, Some(UnknownReason::Network));
}

#[test]
fn a_redirect_is_not_followed_to_another_host() {
    let elsewhere = FakeProvider::replying(vec![Reply::new(200, "{}")]);
    let provider = FakeProvider::replying(vec![
        Reply::new(302, "").header("Location", &format!("{}/steal", elsewhere.url())),
    ]);
    let tree = Tree::new();
    tree.file("a.env", format!("GH={}\n", fake::github_pat(42)));
    let run = tree.run(&[
        "scan",
        "-f",
        "json",
        "--validate",
        "--validation-retries",
        "0",
        "--validation-endpoint",
        &provider.endpoint_for("api.github.com"),
    ]);
    let validation = &run.json()["findings"][0]["validation"];
    assert_eq!(validation["status"], "unknown", "{}", run.stderr());
    assert_eq!(validation["reason"], "redirected");
    assert_eq!(provider.received().len(), 1);
    assert!(elsewhere.received().is_empty(), "the redirect was followed");
}

#[test]
fn hosts_named_in_scanned_content_are_never_contacted() {
    // A server standing for a host the scanned content names (a URL with credentials, a Sentry
    // DSN), and the real validator host of a Discord webhook whose URL names discordapp.com.
    let named = FakeProvider::replying(vec![Reply::new(200, "{}")]);
    let discord = FakeProvider::replying(vec![Reply::new(200, r#"{"type":1,"id":"1"}"#)]);
    let hook_token = fake::alnum(43, 68);
    let hook_path = format!("/api/webhooks/987234509871236548/{hook_token}");
    let tree = Tree::new();
    tree.file(
        "config.txt",
        format!(
            "DB=https://admin:{password}@{addr}/db\n\
             SENTRY_DSN=https://{dsn}@{addr}/42\n\
             HOOK=https://discordapp.com{hook_path}\n",
            addr = named.addr,
            dsn = "5f2c8a1b9e7d4c3a8b6f1e0d2c4a6b8e",
            password = fake::alnum(44, 18),
        ),
    );
    let run = tree.run(&[
        "scan",
        "-f",
        "json",
        "--validate",
        "--allow-internal-ips",
        "--validation-endpoint",
        &discord.endpoint_for("discord.com"),
    ]);
    assert!(named.received().is_empty(), "a host named by content was contacted");
    let sent = discord.received();
    assert_eq!(sent.len(), 1, "{}", run.stdout());
    assert_eq!(sent[0].path, hook_path);
    assert_eq!(sent[0].header("host"), Some(discord.addr.to_string().as_str()));
    let doc = run.json();
    let statuses: Vec<(&str, &str)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap(),
                f["validation"]["reason"]
                    .as_str()
                    .unwrap_or(f["validation"]["status"].as_str().unwrap()),
            )
        })
        .collect();
    assert!(statuses.contains(&("discord.webhook", "valid")), "{statuses:?}");
    assert!(statuses.contains(&("url.basic-auth", "no-validator")), "{statuses:?}");
}

#[test]
fn endpoint_overrides_must_be_https_or_loopback() {
    let tree = Tree::new();
    let run = tree.run(&[
        "scan",
        "--validate",
        "--validation-endpoint",
        "api.github.com=http://10.0.0.1",
    ]);
    assert_eq!(run.code(), 2);
    assert!(run.stderr().contains("only to loopback"), "{}", run.stderr());
}

// ---------------------------------------------------------------------------------------------
// What the CLI reports.

/// A provider that accepts exactly `good` and refuses every other bearer token.
fn github_accepting(good: &str) -> FakeProvider {
    let expected = format!("Bearer {good}");
    FakeProvider::with(move |_, request| {
        Some(if request.header("authorization") == Some(expected.as_str()) {
            Reply::new(200, r#"{"login":"octocat"}"#)
        } else {
            Reply::new(401, r#"{"message":"Bad credentials"}"#)
        })
    })
}

#[test]
fn statuses_appear_in_text_json_and_sarif() {
    let (good, bad) = (fake::github_pat(50), fake::github_pat(51));
    let server = github_accepting(&good);
    let tree = Tree::new();
    tree.file("a.env", format!("GOOD={good}\nBAD={bad}\n"));
    let endpoint = server.endpoint_for("api.github.com");
    let args = ["scan", "--validate", "--validation-endpoint", &endpoint];

    let json = tree.run(&[&args[..], &["-f", "json"]].concat());
    assert_eq!(json.code(), 1);
    let findings = json.json()["findings"].as_array().unwrap().clone();
    assert_eq!(findings[0]["validation"]["status"], "valid");
    assert!(findings[0]["validation"]["checked_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(findings[1]["validation"]["status"], "invalid");
    assert!(
        json.stderr().contains("validation: 2 finding(s), 2 check(s): 1 valid, 1 invalid"),
        "{}",
        json.stderr()
    );

    let sarif = tree.run(&[&args[..], &["-f", "sarif"]].concat());
    let doc: serde_json::Value = serde_json::from_str(&sarif.stdout()).unwrap();
    let props = &doc["runs"][0]["results"][0]["properties"];
    assert_eq!(props["validation"]["status"], "valid");

    let text = tree.run(&args);
    assert!(text.stdout().contains("  validation   valid"), "{}", text.stdout());
    assert!(text.stdout().contains("  validation   invalid"));
}

#[test]
fn only_valid_reports_only_live_credentials() {
    let (good, bad) = (fake::github_pat(52), fake::github_pat(53));
    let server = github_accepting(&good);
    let tree = Tree::new();
    tree.file("a.env", format!("GOOD={good}\nBAD={bad}\n"));
    let run = tree.run(&[
        "scan",
        "-f",
        "json",
        "--only-valid",
        "--validation-endpoint",
        &server.endpoint_for("api.github.com"),
    ]);
    assert_eq!(run.hits(), vec![("github.pat.classic".into(), "a.env".into(), 1)]);
    assert_eq!(run.code(), 1);
    // Nothing live: nothing reported, exit 0.
    tree.file("a.env", format!("BAD={bad}\n"));
    let run = tree.run(&[
        "scan",
        "-f",
        "json",
        "--only-valid",
        "--validation-endpoint",
        &server.endpoint_for("api.github.com"),
    ]);
    assert!(run.hits().is_empty());
    assert_eq!(run.code(), 0);
}

#[test]
fn without_validate_nothing_is_sent_and_there_is_no_validation_field() {
    let server = github_accepting("none");
    let tree = Tree::new();
    tree.file("a.env", format!("GH={}\n", fake::github_pat(54)));
    let run = tree.run(&[
        "scan",
        "-f",
        "json",
        "--validation-endpoint",
        &server.endpoint_for("api.github.com"),
    ]);
    assert!(run.json()["findings"][0].get("validation").is_none());
    assert!(server.received().is_empty());
}

#[test]
fn each_distinct_credential_is_checked_once() {
    let token = fake::github_pat(55);
    let server = github_accepting(&token);
    let tree = Tree::new();
    for i in 0..5 {
        tree.file(&format!("dir{i}/a.env"), format!("GH={token}\nAGAIN={token}\n"));
    }
    let run = tree.run(&[
        "scan",
        "-f",
        "json",
        "--validate",
        "--validation-endpoint",
        &server.endpoint_for("api.github.com"),
    ]);
    assert_eq!(run.json()["findings"][0]["validation"]["status"], "valid");
    assert_eq!(server.received().len(), 1);
}

#[test]
fn an_aws_key_pair_found_together_is_signed_and_checked_once() {
    let key_id = fake::aws_key_id(60);
    let secret_key = format!("{}/{}", fake::alnum(61, 20), fake::alnum(62, 19));
    let server = FakeProvider::replying(vec![Reply::new(
        200,
        "<GetCallerIdentityResponse><GetCallerIdentityResult><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>",
    )]);
    let tree = Tree::new();
    tree.file(
        ".aws/credentials",
        format!("[default]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret_key}\n"),
    );
    let run = tree.run(&[
        "scan",
        "-f",
        "json",
        "--validate",
        "--validation-endpoint",
        &server.endpoint_for("sts.amazonaws.com"),
    ]);
    let doc = run.json();
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2, "{}", run.stdout());
    for f in findings {
        assert_eq!(f["validation"]["status"], "valid", "{f}");
    }
    let sent = server.received();
    assert_eq!(sent.len(), 1, "one request for the pair");
    let auth = sent[0].header("authorization").unwrap();
    assert!(auth.starts_with(&format!("AWS4-HMAC-SHA256 Credential={key_id}/")), "{auth}");
    assert!(auth.contains("/us-east-1/sts/aws4_request"));
    assert!(sent[0].header("x-amz-date").is_some());
    assert_eq!(sent[0].body, "Action=GetCallerIdentity&Version=2011-06-15");
    assert!(!sent[0].everything().contains(&secret_key), "the secret key itself was sent");
}

#[test]
fn half_of_a_pair_is_unknown_missing_part_and_not_sent() {
    let server = FakeProvider::replying(vec![Reply::new(200, "")]);
    let tree = Tree::new();
    tree.file("a.env", format!("AWS_ACCESS_KEY_ID={}\n", fake::aws_key_id(63)));
    let run = tree.run(&[
        "scan",
        "-f",
        "json",
        "--validate",
        "--validation-endpoint",
        &server.endpoint_for("sts.amazonaws.com"),
    ]);
    assert_eq!(run.json()["findings"][0]["validation"]["reason"], "missing-part");
    assert!(server.received().is_empty());
}

#[test]
fn canary_token_keys_are_not_sent() {
    let server = FakeProvider::replying(vec![Reply::new(200, "")]);
    let tree = Tree::new();
    tree.file(
        "a.env",
        format!(
            "aws_access_key_id = AKIAYVP4CIPPERUVIFXG\naws_secret_access_key = {}/{}\n",
            fake::alnum(64, 20),
            fake::alnum(65, 19)
        ),
    );
    let run = tree.run(&[
        "scan",
        "-f",
        "json",
        "--validate",
        "--validation-endpoint",
        &server.endpoint_for("sts.amazonaws.com"),
    ]);
    for f in run.json()["findings"].as_array().unwrap() {
        assert_eq!(f["validation"]["reason"], "likely-canary", "{f}");
    }
    assert!(server.received().is_empty());
}

#[test]
fn a_silent_provider_times_out() {
    let server = FakeProvider::with(|_, _| None);
    let tree = Tree::new();
    tree.file("a.env", format!("GH={}\n", fake::github_pat(66)));
    let run = tree.run(&[
        "scan",
        "-f",
        "json",
        "--validate",
        "--validation-timeout",
        "1",
        "--validation-retries",
        "0",
        "--validation-endpoint",
        &server.endpoint_for("api.github.com"),
    ]);
    assert_eq!(run.json()["findings"][0]["validation"]["reason"], "timeout");
}

#[test]
fn findings_without_a_validator_are_unknown_no_validator() {
    let tree = Tree::new();
    tree.file("a.env", "stripe_webhook_secret = whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n");
    let run = tree.run(&["scan", "-f", "json", "--validate"]);
    let validation = &run.json()["findings"][0]["validation"];
    assert_eq!(validation["status"], "unknown", "{}", run.stdout());
    assert_eq!(validation["reason"], "no-validator");
    assert!(validation.get("checked_at").is_none());
}

// ---------------------------------------------------------------------------------------------
// Secrets never leak through validation's own outputs.

#[test]
fn the_ledger_reports_and_stderr_never_contain_the_secret() {
    let token = fake::github_pat(70);
    let server = github_accepting(&token);
    let tree = Tree::new();
    tree.file("a.env", format!("GH={token}\n"));
    let ledger = tree.path().join("ledger.jsonl");
    let ledger_arg = ledger.to_str().unwrap();
    for format in ["text", "json", "jsonl", "sarif"] {
        let run = tree.run(&[
            "scan",
            "-f",
            format,
            "--validate",
            "--validation-ledger",
            ledger_arg,
            "--validation-endpoint",
            &server.endpoint_for("api.github.com"),
        ]);
        assert_eq!(run.code(), 1, "{}", run.stderr());
        assert!(!run.stdout().contains(&token), "{format} report shows the secret");
        assert!(!run.stderr().contains(&token), "stderr shows the secret");
    }
    let text = std::fs::read_to_string(&ledger).unwrap();
    assert!(!text.contains(&token), "the ledger contains the secret");
    let lines: Vec<serde_json::Value> =
        text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 4, "one line per run (appended)");
    assert_eq!(lines[0]["rule"], "github.pat.classic");
    assert_eq!(lines[0]["host"], server.addr.to_string());
    assert_eq!(lines[0]["outcome"]["status"], "valid");
    assert_eq!(lines[0]["fingerprint"].as_str().unwrap().len(), 32);
    assert!(lines[0]["time"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn failures_do_not_put_the_secret_in_errors() {
    let token = fake::github_pat(71);
    let tree = Tree::new();
    tree.file("a.env", format!("GH={token}\n"));
    // An unwritable ledger is a fatal error; the message names the path, not the secret.
    let run = tree.run(&[
        "scan",
        "--validate",
        "--validation-ledger",
        "/nonexistent-dir/ledger.jsonl",
        "--validation-endpoint",
        "api.github.com=http://127.0.0.1:9",
    ]);
    assert_eq!(run.code(), 2);
    assert!(run.stderr().contains("ledger"), "{}", run.stderr());
    assert!(!run.stderr().contains(&token));
    // A connection refused is `unknown (network)`, quietly.
    let run = tree.run(&[
        "scan",
        "--validate",
        "--validation-retries",
        "0",
        "--validation-endpoint",
        "api.github.com=http://127.0.0.1:9",
    ]);
    assert!(run.stdout().contains("unknown (network)"), "{}", run.stdout());
    assert!(!run.stdout().contains(&token) && !run.stderr().contains(&token));
}

// ---------------------------------------------------------------------------------------------
// `leakhound validate --rule ID`, offline checks.

fn validate_stdin(rule: &str, stdin: &str, endpoint: &str) -> crate::util::Run {
    let output = leakhound()
        .args(["validate", "--rule", rule, "--validation-endpoint", endpoint])
        .write_stdin(stdin.to_string())
        .output()
        .unwrap();
    crate::util::Run(output)
}

#[test]
fn validate_reads_one_secret_from_stdin_and_prints_its_status() {
    let (good, bad) = (fake::github_pat(80), fake::github_pat(81));
    let server = github_accepting(&good);
    let endpoint = server.endpoint_for("api.github.com");
    let run = validate_stdin("github.pat.classic", &format!("{good}\n"), &endpoint);
    assert_eq!((run.code(), run.stdout().trim()), (0, "valid"), "{}", run.stderr());
    let run = validate_stdin("github.pat.classic", &bad, &endpoint);
    assert_eq!((run.code(), run.stdout().trim()), (1, "invalid"));
    assert!(!run.stdout().contains(&bad) && !run.stderr().contains(&bad));
    let run = validate_stdin("no.such-rule", &bad, &endpoint);
    assert_eq!(run.code(), 2);
    // The secret is never taken from argv: there is no such argument.
    let run = Tree::new().run(&["validate", "--rule", "github.pat.classic", &bad]);
    assert_eq!(run.code(), 2);
}

#[test]
fn validate_pairs_parts_given_on_stdin() {
    let server = FakeProvider::replying(vec![Reply::new(
        403,
        "<ErrorResponse><Error><Code>InvalidClientTokenId</Code></Error></ErrorResponse>",
    )]);
    let stdin = format!(
        "aws_access_key_id = {}\naws_secret_access_key = {}/{}\n",
        fake::aws_key_id(82),
        fake::alnum(83, 20),
        fake::alnum(84, 19)
    );
    let run =
        validate_stdin("aws.secret-access-key", &stdin, &server.endpoint_for("sts.amazonaws.com"));
    assert_eq!((run.code(), run.stdout().trim()), (1, "invalid"), "{}", run.stderr());
    assert_eq!(server.received().len(), 1);
}

#[test]
fn expired_jwts_are_marked_offline_with_their_claims() {
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let jwt = format!(
        "{}.{}.{}",
        b64(r#"{"alg":"RS256","typ":"JWT"}"#),
        b64(r#"{"iss":"https://login.example.com","aud":"api","exp":1500000000,"sub":"u1"}"#),
        fake::alnum(85, 43)
    );
    let tree = Tree::new();
    tree.file("token.txt", format!("token: {jwt}\n"));
    let run = tree.run(&["scan", "-f", "json"]);
    let finding = &run.json()["findings"][0];
    assert_eq!(finding["rule_id"], "jwt.token", "{}", run.stdout());
    assert_eq!(finding["validation"]["status"], "expired");
    assert!(finding["validation"].get("checked_at").is_none());
    assert_eq!(finding["attributes"]["jwt.alg"], "RS256");
    assert_eq!(finding["attributes"]["jwt.iss"], "https://login.example.com");
    assert_eq!(finding["attributes"]["jwt.aud"], "api");
    assert_eq!(finding["attributes"]["jwt.exp"], "2017-07-14T02:40:00Z");
}

#[test]
fn unparseable_key_blocks_get_low_confidence() {
    let body: String = (0..6).map(|i| fake::alnum(90 + i, 64) + "\n").collect();
    let tree = Tree::new();
    tree.file(
        "key.pem",
        format!("-----BEGIN RSA PRIVATE KEY-----\n{body}-----END RSA PRIVATE KEY-----\n"),
    );
    let run = tree.run(&["scan", "-f", "json"]);
    let finding = &run.json()["findings"][0];
    assert_eq!(finding["rule_id"], "privatekey.rsa", "{}", run.stdout());
    assert_eq!(finding["attributes"]["key.parse"], "failed");
    assert_eq!(finding["confidence"], "low");
}

#[test]
fn what_a_live_credential_can_do_appears_in_text_json_and_html() {
    let (good, echoed) = (fake::github_pat(90), fake::github_pat(91));
    let (good_auth, echoed_auth) = (format!("Bearer {good}"), format!("Bearer {echoed}"));
    let echo = echoed.clone();
    let server = FakeProvider::with(move |_, request| {
        let auth = request.header("authorization");
        Some(if auth == Some(good_auth.as_str()) {
            Reply::new(200, r#"{"login":"octocat"}"#)
                .header("X-OAuth-Scopes", "repo, read:org")
                .header("GitHub-Authentication-Token-Expiration", "2031-01-02 03:04:05 UTC")
        } else if auth == Some(echoed_auth.as_str()) {
            // A provider that echoes the credential: that value is never kept.
            Reply::new(200, &format!(r#"{{"login":"{echo}"}}"#)).header("X-OAuth-Scopes", "gist")
        } else {
            Reply::new(401, r#"{"message":"Bad credentials"}"#)
        })
    });
    let tree = Tree::new();
    tree.file("a.env", format!("GOOD={good}\nECHO={echoed}\n"));
    let endpoint = server.endpoint_for("api.github.com");
    let args = ["scan", "--validate", "--validation-endpoint", &endpoint];

    let json = tree.run(&[&args[..], &["-f", "json"]].concat());
    assert_eq!(json.code(), 1, "{}", json.stderr());
    let findings = json.json()["findings"].as_array().unwrap().clone();
    let details: Vec<&serde_json::Value> =
        findings.iter().map(|f| &f["validation"]["details"]).collect();
    assert!(
        details.contains(&&serde_json::json!({
            "scopes": "repo, read:org",
            "expires": "2031-01-02 03:04:05 UTC",
            "login": "octocat"
        })),
        "{details:?}"
    );
    assert!(details.contains(&&serde_json::json!({"scopes": "gist"})), "{details:?}");
    assert!(!json.stdout().contains(&echoed));

    let text = tree.run(&args);
    // The line wraps like every labelled field.
    let access = "  access       expires: 2031-01-02 03:04:05 UTC; login: octocat; scopes: repo,";
    assert!(text.stdout().contains(access), "{}", text.stdout());
    assert!(text.stdout().contains("read:org"), "{}", text.stdout());
    let html = tree.run(&[&args[..], &["-f", "html"]].concat());
    assert!(html.stdout().contains("read:org"));
    assert!(!html.stdout().contains(&echoed));
}
