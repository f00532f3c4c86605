//! Decoding layers: secrets written base64-encoded, as JSON strings with escapes
//! or percent-encoded are found and reported at the encoded bytes, with the layer; decoys that
//! decode to nothing secret are not; CRLF files; and the engine fixes that came with them
//! (anchors across read windows, one finding per secret bytes).

use std::io::Cursor;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use leakhound::internals::content::{ReadOptions, Reader};
use leakhound::internals::matcher::Matcher;
use leakhound::internals::rules::RuleSet;

use crate::util::{Tree, fake};

fn b64(text: &str) -> String {
    STANDARD.encode(text)
}

/// One reported location: rule, path, line, column, end column, decoding layers, secret.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    rule: String,
    path: String,
    line: u64,
    column: u64,
    end_column: u64,
    decoded: Option<String>,
    secret: String,
}

/// Scans the tree (secrets shown) and returns every location.
fn scan(tree: &Tree) -> Vec<Seen> {
    let run = tree.run(&["scan", "-f", "json", "--show-secrets"]);
    assert!(matches!(run.code(), 0 | 1), "exit {}: {}", run.code(), run.stderr());
    let doc = run.json();
    let mut seen = Vec::new();
    for finding in doc["findings"].as_array().unwrap() {
        for loc in finding["locations"].as_array().unwrap() {
            seen.push(Seen {
                rule: finding["rule_id"].as_str().unwrap().into(),
                path: loc["path"].as_str().unwrap().into(),
                line: loc["line"].as_u64().unwrap(),
                column: loc["column"].as_u64().unwrap(),
                end_column: loc["end_column"].as_u64().unwrap(),
                decoded: loc.get("decoded").and_then(Value::as_str).map(str::to_string),
                secret: finding["secret"].as_str().unwrap().into(),
            });
        }
    }
    seen
}

/// 1-based column of `needle` in `line`.
fn column_of(line: &str, needle: &str) -> u64 {
    line.find(needle).unwrap_or_else(|| panic!("{needle:?} not in {line:?}")) as u64 + 1
}

#[test]
fn a_token_in_a_kubernetes_secret_is_found_at_its_base64_value() {
    let tree = Tree::new();
    let token = fake::github_pat(101);
    let value = b64(&token);
    let line = format!("  GITHUB_TOKEN: {value}");
    tree.file(
        "k8s/secret.yaml",
        format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: ci\ndata:\n{line}\n"),
    );
    let seen = scan(&tree);
    assert_eq!(
        seen.len(),
        1,
        "one finding: the token, not also the generic Secret value: {seen:?}"
    );
    let s = &seen[0];
    assert_eq!(
        (s.rule.as_str(), s.line, s.decoded.as_deref()),
        ("github.pat.classic", 6, Some("base64"))
    );
    assert_eq!(s.secret, token);
    assert_eq!(s.column, column_of(&line, &value));
    assert_eq!(s.end_column, s.column + value.len() as u64, "the token is the whole value");
}

#[test]
fn a_basic_auth_header_is_reported_by_the_basic_auth_rule_and_a_token_inside_by_its_own() {
    let tree = Tree::new();
    let password = fake::alnum(102, 20);
    let header = b64(&format!("deploy:{password}"));
    let token = fake::github_pat(103);
    let with_token = b64(&format!("x-access-token:{token}"));
    tree.file(
        "scripts/push.sh",
        format!(
            "curl -H \"Authorization: Basic {header}\" https://nexus.acme.io/\n\
             curl -H \"Authorization: Basic {with_token}\" https://git.acme.io/\n"
        ),
    );
    let seen = scan(&tree);
    let rules: Vec<(&str, u64, Option<&str>)> =
        seen.iter().map(|s| (s.rule.as_str(), s.line, s.decoded.as_deref())).collect();
    assert_eq!(
        rules,
        vec![("generic.basic-auth-header", 1, None), ("github.pat.classic", 2, Some("base64"))]
    );
    assert_eq!(seen[1].secret, token);
}

#[test]
fn a_docker_config_auth_value_holding_a_token_is_decoded() {
    let tree = Tree::new();
    let token = fake::github_pat(104);
    let auth = b64(&format!("ci-bot:{token}"));
    tree.file(
        ".docker/config.json",
        format!("{{\n  \"auths\": {{\n    \"ghcr.io\": {{\n      \"auth\": \"{auth}\"\n    }}\n  }}\n}}\n"),
    );
    let seen = scan(&tree);
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!((seen[0].rule.as_str(), seen[0].line), ("github.pat.classic", 4));
    assert_eq!(seen[0].secret, token);
    assert_eq!(seen[0].decoded.as_deref(), Some("base64"));
}

#[test]
fn a_generic_base64_blob_of_a_config_is_decoded() {
    let tree = Tree::new();
    let key = fake::aws_key_id(105);
    let blob = b64(&format!("[default]\naws_access_key_id = {key}\nregion = eu-west-1\n"));
    tree.file("deploy/values.yaml", format!("bootstrap:\n  payload: {blob}\n"));
    let seen = scan(&tree);
    assert!(
        seen.iter().any(|s| s.rule.starts_with("aws.")
            && s.secret == key
            && s.line == 2
            && s.decoded.as_deref() == Some("base64")),
        "{seen:?}"
    );
}

#[test]
fn base64_decoys_produce_no_finding() {
    let tree = Tree::new();
    // Text that is not secret, random bytes (an image), digests, and a long identifier.
    let random: Vec<u8> =
        fake::alnum(106, 300).bytes().map(|b| b.wrapping_mul(151).wrapping_add(7)).collect();
    tree.file(
        "assets/data.yaml",
        format!(
            "readme: {}\nicon: {}\nsha256: {}\nintegrity: {}\nfunc: ContainerCreateWithHostConfigAndNetworking2\n",
            b64("This manifest describes the nightly build of the docs site."),
            STANDARD.encode(&random),
            STANDARD.encode([0x5Au8; 32].map(|b| b ^ 0x33)),
            b64("just some plain words, nothing to report here")
        ),
    );
    let run = tree.run(&["scan", "-f", "json"]);
    assert_eq!(run.code(), 0, "{}", run.stdout());
}

#[test]
fn a_private_key_in_a_notebook_cell_is_found_across_json_strings() {
    let tree = Tree::new();
    let body: Vec<String> = (0..6).map(|i| fake::alnum(110 + i, 64)).collect();
    let mut cell = vec![
        "\"import jwt\\n\",".to_string(),
        "\"KEY = \\\"\\\"\\\"-----BEGIN RSA PRIVATE KEY-----\\n\",".to_string(),
    ];
    cell.extend(body.iter().map(|line| format!("\"{line}\\n\",")));
    cell.push("\"-----END RSA PRIVATE KEY-----\\\"\\\"\\\"\\n\"".to_string());
    let source = cell.iter().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n");
    let notebook = format!(
        "{{\n \"cells\": [\n  {{\n   \"cell_type\": \"code\",\n   \"source\": [\n{source}\n   ]\n  }}\n ],\n \"nbformat\": 4\n}}\n"
    );
    tree.file("analysis/sign.ipynb", &notebook);
    let seen = scan(&tree);
    assert_eq!(seen.len(), 1, "{seen:?}");
    let s = &seen[0];
    assert_eq!((s.rule.as_str(), s.decoded.as_deref()), ("privatekey.rsa", Some("json-string")));
    let begin_line = notebook.lines().position(|l| l.contains("BEGIN RSA")).unwrap() as u64 + 1;
    assert_eq!(s.line, begin_line);
    assert!(
        s.secret.starts_with("-----BEGIN RSA PRIVATE KEY-----\n") && s.secret.contains(&body[3]),
        "{:?}",
        s.secret
    );
}

#[test]
fn escaped_slashes_and_unicode_escapes_are_decoded() {
    let tree = Tree::new();
    let token = fake::github_pat(120);
    let escaped_token = token.replacen('_', "\\u005f", 1);
    let hook = format!(
        "TQ{}/B{}/{}",
        fake::alnum(121, 9).to_uppercase(),
        fake::alnum(122, 10).to_uppercase(),
        fake::alnum(123, 24)
    );
    let escaped_hook =
        format!("https:\\/\\/hooks.slack.com\\/services\\/{}", hook.replace('/', "\\/"));
    tree.file(
        "settings.json",
        format!("{{\n  \"token\": \"{escaped_token}\",\n  \"webhook\": \"{escaped_hook}\"\n}}\n"),
    );
    let seen = scan(&tree);
    let got: Vec<(&str, u64, Option<&str>)> =
        seen.iter().map(|s| (s.rule.as_str(), s.line, s.decoded.as_deref())).collect();
    assert_eq!(got.len(), 2, "{seen:?}");
    assert_eq!(got[0], ("github.pat.classic", 2, Some("json-string")));
    assert_eq!(seen[0].secret, token);
    assert_eq!((got[1].1, got[1].2), (3, Some("json-string")));
    assert!(got[1].0.starts_with("slack."), "{seen:?}");
}

#[test]
fn percent_encoded_passwords_and_query_tokens_are_found() {
    let tree = Tree::new();
    let token = fake::github_pat(130);
    let password =
        format!("{}%40{}%2F{}%3A9", fake::alnum(131, 6), fake::alnum(132, 5), fake::alnum(133, 4));
    let url_line = format!("DATABASE_URL=postgres://orders:{password}@db.acme.io:5432/orders");
    let query_line = format!(
        "FEED=https://api.acme.io/v1/export?format=csv&api_key={}",
        token.replace('_', "%5F")
    );
    tree.file(".env.production", format!("{url_line}\n{query_line}\n"));
    let seen = scan(&tree);
    let got: Vec<(&str, u64, Option<&str>)> =
        seen.iter().map(|s| (s.rule.as_str(), s.line, s.decoded.as_deref())).collect();
    assert_eq!(
        got,
        vec![
            ("url.database-connection-string", 1, None),
            ("github.pat.classic", 2, Some("percent"))
        ]
    );
    assert_eq!(seen[0].column, column_of(&url_line, &password));
    assert_eq!(seen[1].secret, token);
    assert_eq!(seen[1].column, column_of(&query_line, "ghp%5F"));
}

#[test]
fn crlf_files_are_matched_with_right_lines_and_columns() {
    let tree = Tree::new();
    let token = fake::github_pat(140);
    let password = fake::alnum(141, 18);
    tree.file(".env", format!("# deploy\r\nGITHUB_TOKEN={token}\r\nDB_PASSWORD={password}\r\n"));
    let body: Vec<String> = (0..5).map(|i| fake::alnum(142 + i, 64)).collect();
    tree.file(
        "keys/deploy.pem",
        format!(
            "-----BEGIN RSA PRIVATE KEY-----\r\n{}\r\n-----END RSA PRIVATE KEY-----\r\n",
            body.join("\r\n")
        ),
    );
    let seen = scan(&tree);
    let pat = seen.iter().find(|s| s.rule == "github.pat.classic").expect("token found");
    assert_eq!((pat.path.as_str(), pat.line, pat.column, pat.end_column), (".env", 2, 14, 14 + 40));
    assert_eq!(pat.secret, token, "no carriage return in the secret");
    let pw = seen
        .iter()
        .find(|s| s.secret == password)
        .unwrap_or_else(|| panic!("password found: {seen:?}"));
    assert_eq!((pw.line, pw.column), (3, 13));
    let key = seen.iter().find(|s| s.rule == "privatekey.rsa").expect("key found");
    assert_eq!((key.path.as_str(), key.line, key.column), ("keys/deploy.pem", 1, 1));
    assert!(key.secret.ends_with("-----END RSA PRIVATE KEY-----") && key.secret.contains(&body[4]));
}

#[test]
fn explain_shows_the_decoding_layer() {
    let tree = Tree::new();
    let token = fake::github_pat(150);
    let path = tree.file("secret.yaml", format!("kind: Secret\ndata:\n  token: {}\n", b64(&token)));
    let run = tree.run(&["explain", &format!("{}:3", path.display())]);
    let out = run.stdout();
    assert!(out.contains("github.pat.classic at line 3 (decoded: base64)"), "{out}");
    assert!(out.contains("-> reported"), "{out}");
    assert!(!out.contains(&token), "redacted by default: {out}");
}

#[test]
fn one_finding_when_a_context_rule_and_a_token_rule_match_the_same_bytes() {
    let tree = Tree::new();
    let token = fake::github_pat(160);
    tree.file(".npmrc", format!("//npm.pkg.github.com/:_authToken={token}\n"));
    let seen = scan(&tree);
    let rules: Vec<&str> = seen.iter().map(|s| s.rule.as_str()).collect();
    assert_eq!(rules, vec!["github.pat.classic"], "the token rule wins over the .npmrc rule");
}

#[test]
fn line_anchors_mean_line_starts_across_read_windows() {
    // `npm.npmrc-auth` is anchored at a line start: `x_authToken=` mid-line must not match,
    // even when a read window boundary falls right before `_authToken`.
    let matcher = Matcher::new(Arc::new(RuleSet::load(&[]).unwrap()));
    let token = fake::alnum(170, 40);
    let window = 1 << 10;
    let filler = "filler line of text\n";
    let boundary = 10 * window;
    let mut text = filler.repeat((boundary - 1) / filler.len() - 1);
    while text.len() < boundary - 1 {
        text.push('y');
    }
    text.push_str("x_authToken=");
    text.push_str(&token);
    text.push('\n');
    // Enough after it that the window starting at `boundary` is not the last one.
    text.push_str(&filler.repeat((300 << 10) / filler.len()));
    let mut reader = Reader::with_window(&matcher, window, 0);
    let mut out = Vec::new();
    reader.scan(&matcher, Cursor::new(text.as_bytes()), ReadOptions::default(), &mut out).unwrap();
    let npmrc = matcher.rules().index_of("npm.npmrc-auth").unwrap();
    assert!(out.iter().all(|m| m.found.rule != npmrc), "anchored rule matched mid-line");
}
