//! Where a finding sits: test code, documentation or an example, judged by its path.
//!
//! On large real trees most reports that are not live secrets come from test fixtures (`testdata/`,
//! `*_test.go`, git's `t/t1234-*.sh`), documentation (`docs/`, `*.md`) and examples
//! (`examples/`, `.env.example`). Key material there is still reported (a real key committed to a
//! test directory is still a leak), but a finding all of whose locations are in such places gets a
//! `context` attribute (`test`, `docs`, `example`, `vendor`) and a confidence one step below its rule's, so
//! `--min-confidence` can hide it, counted, in one flag.
//!
//! Paths are judged relative to the scan root (the pipeline passes the suppressor's view of a
//! location): a scan of `~/tests/project` must not mark everything in it as test code. Pure
//! functions of paths and findings; no I/O.

use std::collections::BTreeSet;

use crate::finding::Finding;
use crate::rules::{CheckName, Confidence, RuleSet};

use super::WEAK_ATTRIBUTE;
use super::filters;

/// The kind of place a path is, when it is not production code or configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Context {
    /// Tests, test data, fixtures, mocks.
    Test,
    /// Documentation: a docs directory or a prose file (Markdown, reStructuredText, `AsciiDoc`).
    Docs,
    /// Examples, samples, demos and template files (`.env.example`, `config.sample.yml`).
    Example,
    /// Third-party code copied into the tree (`vendor/`, `third_party/`, `node_modules/`): its
    /// own tests and examples rarely say so in their paths.
    Vendor,
}

impl Context {
    /// The lowercase name used in the `context` attribute.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Context::Test => "test",
            Context::Docs => "docs",
            Context::Example => "example",
            Context::Vendor => "vendor",
        }
    }
}

/// The attribute a marked finding carries.
pub(crate) const ATTRIBUTE: &str = "context";

/// Directory names that hold tests and their data.
const TEST_DIRS: &[&str] = &[
    "test",
    "tests",
    "testdata",
    "test-data",
    "test_data",
    "testing",
    "testutil",
    "testutils",
    "__tests__",
    "spec",
    "specs",
    "fixture",
    "fixtures",
    "__fixtures__",
    "mock",
    "mocks",
    "__mocks__",
    "integration-cli",
    "e2e",
    "t",
];

/// Directory names that hold documentation.
const DOC_DIRS: &[&str] = &["doc", "docs", "documentation", "man", "manual", "website"];

/// Directory names that hold examples.
const EXAMPLE_DIRS: &[&str] = &["example", "examples", "sample", "samples", "demo", "demos"];

/// Directory names that hold third-party code.
const VENDOR_DIRS: &[&str] =
    &["vendor", "third_party", "third-party", "node_modules", "bower_components"];

/// Extensions of prose files.
const DOC_EXTENSIONS: &[&str] = &["md", "markdown", "mdx", "rst", "adoc", "asciidoc"];

/// Words that, as a dot-separated part of a file name, mark a template or example copy.
const EXAMPLE_NAME_PARTS: &[&str] =
    &["example", "examples", "sample", "template", "dist", "tmpl", "tpl"];

/// The context of a repository-relative path, if any (test wins over docs, docs over example,
/// example over vendor when several apply: a test fixture under `docs/` is still test data).
pub(crate) fn of_path(path: &str) -> Option<Context> {
    let parts: Vec<&str> = path.split(['/', '\\']).filter(|p| !p.is_empty() && *p != ".").collect();
    let (name, dirs) = parts.split_last()?;
    let dir_is =
        |list: &[&str]| dirs.iter().any(|d| list.iter().any(|w| d.eq_ignore_ascii_case(w)));
    if dir_is(TEST_DIRS) || is_test_file(name) {
        Some(Context::Test)
    } else if dir_is(DOC_DIRS) || is_doc_file(name) {
        Some(Context::Docs)
    } else if dir_is(EXAMPLE_DIRS) || is_example_file(name) {
        Some(Context::Example)
    } else if dir_is(VENDOR_DIRS) {
        Some(Context::Vendor)
    } else {
        None
    }
}

/// `x_test.go`, `test_x.py`, `x_test.py`, `x.test.ts`, `x.spec.js`, `XTest.java`, `XTests.cs`,
/// `x_spec.rb`, `conftest.py`, git's `t1234-name.sh`.
fn is_test_file(name: &str) -> bool {
    let stem = name.split_once('.').map_or(name, |(stem, _)| stem);
    let lower = stem.to_ascii_lowercase();
    let bytes = name.as_bytes();
    let git_test = bytes.len() > 6
        && bytes[0] == b't'
        && bytes[1..5].iter().all(u8::is_ascii_digit)
        && bytes[5] == b'-';
    git_test
        || lower == "test"
        || lower.contains("testdata")
        || lower.contains("test_data")
        || lower.starts_with("test_")
        || ["_test", "_tests", "_spec", "-test", "-spec"].iter().any(|s| lower.ends_with(s))
        || (stem.ends_with("Test") || stem.ends_with("Tests")) && stem.len() > 5
        || name.split('.').skip(1).any(|part| part == "test" || part == "spec")
        || lower == "conftest"
}

/// Prose (`*.md`, `*.rst`, `*.adoc`) and API descriptions (`swagger.yaml`, `openapi.json`),
/// whose `example:` values are documentation.
fn is_doc_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let (stem, ext) = lower.rsplit_once('.').unwrap_or((&lower, ""));
    DOC_EXTENSIONS.contains(&ext)
        || (matches!(stem, "swagger" | "openapi") && matches!(ext, "yaml" | "yml" | "json"))
}

/// `.env.example`, `config.sample.yml`, `settings.py.dist`, `app.template.json`.
fn is_example_file(name: &str) -> bool {
    name.split('.')
        .skip(1)
        .any(|part| EXAMPLE_NAME_PARTS.iter().any(|w| part.eq_ignore_ascii_case(w)))
}

/// File names that hold credentials by their purpose: whatever password they hold is the one a
/// program or a person logs in with, however weak it looks. Compared case-insensitively with a
/// path's last part. Dotenv files are here (`.env`, `.env.production`; their shared templates are
/// `.env.example` and friends, which are example context), and so are shell start-up files, which
/// export the variables a user's tools log in with.
const CREDENTIAL_FILE_NAMES: &[&str] = &[
    // dotenv and shell start-up files
    ".env",
    ".envrc",
    ".bashrc",
    ".bash_profile",
    ".bash_login",
    ".bash_aliases",
    ".profile",
    ".zshrc",
    ".zprofile",
    ".zshenv",
    ".kshrc",
    ".cshrc",
    ".tcshrc",
    // login and client credential files
    ".netrc",
    "_netrc",
    ".pgpass",
    ".my.cnf",
    ".git-credentials",
    ".npmrc",
    ".pypirc",
    ".s3cfg",
    ".esmtprc",
    ".msmtprc",
    ".muttrc",
    ".fetchmailrc",
    ".mbsyncrc",
    ".authinfo",
    // FTP/SFTP clients and editor deployment settings
    "sitemanager.xml",
    "recentservers.xml",
    "filezilla.xml",
    "winscp.ini",
    "sftp-config.json",
    ".ftpconfig",
    "sftp.json",
    ".remote-sync.json",
    "deployment-config.json",
    "ftpsync.settings",
    // IDE data sources and database clients
    "datasources.xml",
    "datasources.local.xml",
    "data-sources.xml",
    "webservers.xml",
    "robomongo.json",
    "robo3t.json",
    // frameworks' credential files
    "database.yml",
    "mongoid.yml",
    "secrets.yml",
    "wp-config.php",
    "master.key",
    "credentials.yml",
    "parameters.yml",
    "local_settings.py",
    // game and voice server configurations
    "ventrilo_srv.ini",
    "murmur.ini",
    "mumble-server.ini",
];

/// Whether a repository-relative path names a credential file ([`CREDENTIAL_FILE_NAMES`], or a
/// dotenv file with a suffix: `.env.local`, `.env.production`, `prod.env`). A password there is
/// reported even when it is weak or looks like a placeholder ([`gate_weak`]).
pub(crate) fn is_credential_path(path: &str) -> bool {
    let Some(name) = path.rsplit(['/', '\\']).next() else {
        return false;
    };
    let lower = name.to_ascii_lowercase();
    CREDENTIAL_FILE_NAMES.contains(&lower.as_str())
        || (lower.starts_with(".env.") && !is_example_file(&lower))
        || std::path::Path::new(&lower).extension().is_some_and(|ext| ext == "env")
}

/// Generic forms whose layout says that a value is a password in use, not a setting about one:
/// a URL or connection string with a password, a credential constructor, a comparison with a
/// literal, a password stated in prose. A weak value there (`3eCa3P`, `Rrhh1234`, `team10`) is a
/// leak wherever it sits, so [`gate_weak`] keeps it outside credential files too, at low
/// confidence ([`weak_in_code`] says which values; docs/precision.md says why).
const WEAK_IN_CODE_RULES: &[&str] = &[
    "url.database-connection-string",
    "url.basic-auth",
    "url.jdbc-userinfo",
    "url.jdbc-password-property",
    "url.ado-connection-string",
    "generic.credential-constructor",
    "generic.password-comparison",
    "generic.prose-password",
];

/// Whether a weak match of rule `rule_id` with value `secret` (and, for URLs, the `host` it
/// names) is reported outside credential files ([`WEAK_IN_CODE_RULES`]): not a placeholder word
/// (`secret`, `password`, `changeme`, `hunter2`) and at least four characters. A URL's weak
/// password must also hold a digit and name a real-looking host: doc comments and tests inside
/// source files write `john:smith@socks.example.org`, `user:pass@proxyhost:port` and
/// `name:word@localhost` ([`is_real_host`]).
pub(crate) fn weak_in_code(rule_id: &str, secret: &[u8], host: Option<&str>) -> bool {
    WEAK_IN_CODE_RULES.contains(&rule_id)
        && secret.len() >= 4
        && !filters::is_generic_placeholder(secret)
        && host.is_none_or(|host| secret.iter().any(u8::is_ascii_digit) && is_real_host(host))
}

/// A host name with a dot (or an IPv6 literal) that is neither a loopback or `.local` name nor
/// reserved for documentation ([`is_documentation_host`]): `db.acme.io`, `10.20.4.17`.
fn is_real_host(host: &str) -> bool {
    let lower = host.to_ascii_lowercase();
    (lower.contains('.') || lower.starts_with('['))
        && !is_documentation_host(&lower)
        && !lower.starts_with("127.")
        && !matches!(lower.as_str(), "0.0.0.0" | "[::1]")
        && !lower.rsplit('.').next().is_some_and(|tld| matches!(tld, "localhost" | "local"))
}

/// RFC 2606 / RFC 6761 names, which only documentation uses: `example.com`, `db.example.org`,
/// `host.example`, `server.test`, `x.invalid`.
fn is_documentation_host(host: &str) -> bool {
    let lower = host.to_ascii_lowercase();
    let labels: Vec<&str> = lower.split('.').collect();
    let n = labels.len();
    (n >= 2 && labels[n - 2] == "example" && matches!(labels[n - 1], "com" | "org" | "net"))
        || matches!(labels[n - 1], "example" | "test" | "invalid")
}

/// Whether a weak password is reported at `path` (relative to the scan root): in a credential
/// file outside tests, docs and examples ([`is_credential_path`]), or, when `in_code`
/// ([`weak_in_code`]), anywhere outside tests, docs, examples and vendored code.
pub(crate) fn weak_reported_at(path: &str, in_code: bool) -> bool {
    let context = of_path(path);
    (is_credential_path(path) && context.is_none_or(|c| c == Context::Vendor))
        || (in_code && context.is_none())
}

/// Keeps each weak finding (a weak or placeholder-like password under a generic rule, marked by
/// the matcher with [`WEAK_ATTRIBUTE`]) only at its locations where [`weak_reported_at`] says
/// so (`relative` gives a location's path inside its scan root), and keeps the marker attribute
/// as `weak=true`; a weak finding left without locations is dropped. One kept only outside
/// credential files (a weak password in a connection URL or a comparison) is reported at low
/// confidence. Each location is judged alone, so shards agree with a whole run. Returns how many
/// findings were dropped.
pub(crate) fn gate_weak(findings: &mut Vec<Finding>, relative: &dyn Fn(&str) -> String) -> usize {
    let before = findings.len();
    findings.retain_mut(|finding| {
        if finding.attributes.remove(WEAK_ATTRIBUTE).is_none() {
            return true;
        }
        let host = finding.attributes.get("host").map(String::as_str);
        let in_code = weak_in_code(&finding.rule_id, finding.secret.expose(), host);
        let mut in_credential_file = false;
        finding.locations.retain(|loc| {
            let path = relative(&loc.path);
            in_credential_file |= weak_reported_at(&path, false);
            weak_reported_at(&path, in_code)
        });
        if finding.locations.is_empty() {
            return false;
        }
        if !in_credential_file {
            finding.confidence = Some(Confidence::Low);
        }
        finding.attributes.insert(WEAK_ATTRIBUTE.to_string(), "true".to_string());
        true
    });
    before - findings.len()
}

/// One step less sure.
pub(crate) fn lowered(confidence: Confidence) -> Confidence {
    match confidence {
        Confidence::High => Confidence::Medium,
        Confidence::Medium | Confidence::Low => Confidence::Low,
    }
}

/// Marks every finding all of whose locations are in a test, docs, example or vendor context
/// (`relative` gives a location's path inside its scan root): adds the `context` attribute (the
/// contexts, comma-separated) and lowers its confidence one step. A finding with one location in
/// production code is untouched.
pub(crate) fn mark(findings: &mut [Finding], rules: &RuleSet, relative: &dyn Fn(&str) -> String) {
    for finding in findings {
        let contexts: Option<BTreeSet<Context>> =
            finding.locations.iter().map(|loc| of_path(&relative(&loc.path))).collect();
        let Some(contexts) = contexts.filter(|c| !c.is_empty()) else {
            continue;
        };
        let names: Vec<&str> = contexts.iter().map(|c| c.as_str()).collect();
        finding.attributes.insert(ATTRIBUTE.to_string(), names.join(","));
        finding.confidence = Some(lowered(confidence_of(finding, rules)));
    }
}

/// Drops the findings of credential-file rules (which report any value but a template, however
/// weak) whose value is a placeholder and all of whose locations are in tests, docs or examples:
/// `https://user:pass@example.com` in a manual is an illustration, in `~/.git-credentials` it is
/// a password. Returns how many were dropped.
pub(crate) fn drop_illustrations(
    findings: &mut Vec<Finding>,
    rules: &RuleSet,
    relative: &dyn Fn(&str) -> String,
) -> usize {
    let before = findings.len();
    findings.retain(|f| {
        !(may_illustrate(f, rules)
            && f.locations.iter().all(|loc| of_path(&relative(&loc.path)).is_some()))
    });
    before - findings.len()
}

/// Whether a finding is dropped by [`drop_illustrations`] when all its locations are in tests,
/// docs or examples: a credential-file rule's finding whose value is a placeholder.
pub(crate) fn may_illustrate(finding: &Finding, rules: &RuleSet) -> bool {
    rules.rules()[finding.rule].spec.checks.contains(&CheckName::CredentialFile)
        && filters::is_placeholder(finding.secret.expose())
}

/// The confidence a finding is reported with: lowered by an offline check or its context, else
/// its rule's.
pub(crate) fn confidence_of(finding: &Finding, rules: &RuleSet) -> Confidence {
    finding.confidence.unwrap_or(rules.rules()[finding.rule].spec.confidence)
}

/// Keeps the findings whose confidence is at least `min`; returns how many were dropped.
pub(crate) fn retain_confident(
    findings: &mut Vec<Finding>,
    rules: &RuleSet,
    min: Confidence,
) -> usize {
    let before = findings.len();
    findings.retain(|f| confidence_of(f, rules) >= min);
    before - findings.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_code_and_test_data_are_test_context() {
        for path in [
            "daemon/config_test.go",
            "pkg/testdata/server.key",
            "tests/it/accuracy.rs",
            "app/test_settings.py",
            "web/src/login.spec.ts",
            "web/src/login.test.js",
            "src/test/java/com/acme/AuthServiceTest.java",
            "spec/models/user_spec.rb",
            "t/t5550-http-fetch-dumb.sh",
            "t/lib-httpd/passwd",
            "integration-cli/docker_cli_login_test.go",
            "docs/fixtures/creds.json",
            "contrib/credential/netrc/test.netrc",
            "openpgp/keys_test_data.go",
        ] {
            assert_eq!(of_path(path), Some(Context::Test), "{path}");
        }
    }

    #[test]
    fn documentation_and_examples_have_their_context() {
        for path in [
            "docs/install.md",
            "README.md",
            "Documentation/git-credential.adoc",
            "man/docker-login.1",
            "api/swagger.yaml",
        ] {
            assert_eq!(of_path(path), Some(Context::Docs), "{path}");
        }
        for path in [
            ".env.example",
            "config/database.sample.yml",
            "examples/basic/main.go",
            "wp-config.php.dist",
        ] {
            assert_eq!(of_path(path), Some(Context::Example), "{path}");
        }
        for path in [
            "vendor/github.com/acme/client/config.go",
            "third_party/lib/settings.py",
            "web/node_modules/x/index.js",
        ] {
            assert_eq!(of_path(path), Some(Context::Vendor), "{path}");
        }
    }

    #[test]
    fn production_paths_have_no_context() {
        for path in [
            ".env",
            "config/database.yml",
            "src/main.rs",
            "daemon/config.go",
            "contest/entry.py",
            "attest/Latest.java",
            "t1234.sh",
            "deploy/k8s/secret.yaml",
            "src/Testimony.java",
        ] {
            assert_eq!(of_path(path), None, "{path}");
        }
    }

    #[test]
    fn any_file_name_is_judged_without_panicking() {
        // A multi-byte character across byte 5 once split a slice in the git test-name check.
        for path in [
            "t123\u{e9}x-y.sh",
            "t\u{e9}\u{e9}\u{e9}-x.sh",
            "t1\u{e9}-\u{e9}\u{e9}",
            "/",
            "",
            "t",
            "\u{1f600}/t0001-",
        ] {
            let _ = of_path(path);
        }
        assert_eq!(of_path("t\u{e9}\u{e9}\u{e9}-x.sh"), None);
    }

    #[test]
    fn confidence_steps_down_once_and_bottoms_out() {
        assert_eq!(lowered(Confidence::High), Confidence::Medium);
        assert_eq!(lowered(Confidence::Medium), Confidence::Low);
        assert_eq!(lowered(Confidence::Low), Confidence::Low);
    }

    #[test]
    fn credential_files_are_known_by_name() {
        for path in [
            ".env",
            "web/var/www/.env",
            "deploy/.env.production",
            "compose/prod.env",
            "home/.bash_profile",
            ".zshrc",
            "db/mongoid.yml",
            "config/database.yml",
            "servers/ventrilo_srv.ini",
            "FileZilla/sitemanager.xml",
            ".idea/dataSources.xml",
            "home/.esmtprc",
        ] {
            assert!(is_credential_path(path), "{path}");
        }
        for path in [
            ".env.example",
            ".env.sample",
            "src/env.rs",
            "docs/.envrc.md",
            "config/settings.yml",
            "scripts/deploy.sh",
            ".env/",
            "",
        ] {
            assert!(!is_credential_path(path), "{path}");
        }
    }

    fn weak(rule_id: &str, secret: &str, host: Option<&str>, paths: &[&str]) -> Finding {
        use crate::content::Position;
        use crate::finding::{Location, Secret};
        let mut attributes = std::collections::BTreeMap::new();
        attributes.insert(WEAK_ATTRIBUTE.to_string(), "true".to_string());
        if let Some(host) = host {
            attributes.insert("host".to_string(), host.to_string());
        }
        let locations = paths
            .iter()
            .map(|p| Location {
                path: (*p).to_string(),
                position: Position { line: 1, column: 1, end_line: 1, end_column: 2, offset: 0 },
                git: None,
                image: None,
                marker: None,
                decoded: None,
            })
            .collect();
        Finding {
            rule: 0,
            rule_id: rule_id.to_string(),
            secret: Secret::new(secret.as_bytes().to_vec()),
            fingerprint: "f".into(),
            attributes,
            locations,
            validation: None,
            confidence: None,
            suppressions: Vec::new(),
        }
    }

    #[test]
    fn weak_passwords_in_code_forms_are_kept_at_low_confidence_outside_tests_and_docs() {
        let same = |p: &str| p.to_string();
        let mut findings = vec![
            // A weak password in a connection URL to a real host, in code: low.
            weak("url.database-connection-string", "orchid7", Some("10.2.3.4"), &["app/db.py"]),
            // ... in code and a `.env`: the credential file keeps the rule's confidence.
            weak("generic.password-comparison", "team42", None, &["app/auth.py", ".env"]),
            // ... only in tests and docs: dropped.
            weak("generic.password-comparison", "team42", None, &["tests/test_auth.py"]),
            weak("url.basic-auth", "orchid", Some("git.acme.io"), &["docs/setup.md"]),
            // A placeholder, a documentation host, a plain assignment: dropped in code.
            weak("generic.credential-constructor", "secret", None, &["src/Ldap.java"]),
            weak("url.basic-auth", "orchid", Some("db.example.com"), &["app/db.py"]),
            weak("generic.password-assignment", "orchid", None, &["app/settings.py"]),
        ];
        assert_eq!(gate_weak(&mut findings, &same), 5);
        assert_eq!(findings.len(), 2);
        assert_eq!(findings[0].confidence, Some(Confidence::Low));
        assert_eq!(findings[0].attributes.get(WEAK_ATTRIBUTE).map(String::as_str), Some("true"));
        assert_eq!(findings[1].confidence, None);
        assert_eq!(findings[1].locations.len(), 2);
    }

    #[test]
    fn documentation_hosts_are_reserved_names() {
        for host in
            ["example.com", "db.example.org", "EXAMPLE.NET", "host.example", "a.test", "x.invalid"]
        {
            assert!(is_documentation_host(host), "{host}");
        }
        for host in ["10.20.4.17", "db.acme.io", "example.io", "localhost", "examples.com", ""] {
            assert!(!is_documentation_host(host), "{host}");
        }
        assert!(weak_in_code("url.basic-auth", b"orchid7", Some("git.acme.io")));
        assert!(!weak_in_code("url.basic-auth", b"orchid", Some("git.acme.io")), "no digit");
        for host in ["localhost", "127.0.0.1", "proxyhost", "nas.local", "db.example.com"] {
            assert!(!weak_in_code("url.basic-auth", b"orchid7", Some(host)), "{host}");
        }
        assert!(weak_in_code("generic.password-comparison", b"orchid", None), "no URL, no digit");
        assert!(!weak_in_code("url.basic-auth", b"ab1", Some("git.acme.io")), "too short");
        assert!(!weak_in_code("generic.password-comparison", b"hunter2", None), "placeholder");
        assert!(!weak_in_code("generic.password-assignment", b"orchid", None), "not a code form");
    }
}
