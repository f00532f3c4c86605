//! No leaks: one canary secret, planted in a file, a git history and the index, goes
//! through every command and every report format, with and without `--show-secrets`. The full
//! canary must never reach stderr, a redacted report (stdout or `--report-path`), a validation
//! ledger, or any file the run leaves in its `TMPDIR`; and it must reach the report with
//! `--show-secrets`, so these checks can fail.
//!
//! The formats are read from `leakhound scan --help`, so a format added later is covered without
//! touching this file. Live validation goes to a fake provider on 127.0.0.1, never the internet.

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::util::{Run, Tree, fake, leakhound};

/// The report formats the CLI offers, parsed from the `--report-format` help text.
fn report_formats() -> Vec<String> {
    let out = leakhound().args(["scan", "--help"]).output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    let section = help.split("--report-format").nth(1).expect("--report-format is documented");
    let values = section.split("Possible values:").nth(1).expect("possible values are listed");
    let formats: Vec<String> = values
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with('['))
        .filter_map(|l| l.strip_prefix("- "))
        .map(|l| l.split(':').next().unwrap().trim().to_string())
        .collect();
    assert!(
        formats.len() >= 4 && formats.contains(&"sarif".to_string()),
        "parsed {formats:?} from:\n{help}"
    );
    formats
}

/// A fake GitHub API on 127.0.0.1 that answers 401 to everything; serves at most 256 requests
/// and stops with the test process.
fn fake_provider() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(256) {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let body = r#"{"message":"Bad credentials"}"#;
            let _ = write!(
                stream,
                "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("api.github.com=http://{address}")
}

/// Where the canary is planted: a work tree that is also a git repository with history and a
/// staged change, all holding the canary.
struct Planted {
    tree: Tree,
    canary: String,
    tmp: PathBuf,
    endpoint: String,
}

impl Planted {
    fn new() -> Planted {
        let tree = Tree::new();
        let canary = fake::github_pat(900);
        let planted =
            Planted { tmp: tree.path().join("tmp"), endpoint: fake_provider(), tree, canary };
        std::fs::create_dir_all(&planted.tmp).unwrap();
        planted.git(&["init", "-q", "-b", "main"]);
        planted.tree.file("repo/base.txt", "base\n");
        planted.commit("base");
        planted.tree.file("repo/app.env", format!("GH_TOKEN={}\n", planted.canary));
        planted.commit("leak");
        planted.tree.file("repo/staged.env", format!("STAGED={}\n", planted.canary));
        planted.git(&["add", "staged.env"]);
        planted
    }

    fn repo(&self) -> PathBuf {
        self.tree.path().join("repo")
    }

    fn git(&self, args: &[&str]) {
        std::fs::create_dir_all(self.repo()).unwrap();
        let out = Command::new("git")
            .current_dir(self.repo())
            .args(["-c", "user.name=Ada", "-c", "user.email=ada@example.org"])
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    fn commit(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
    }

    /// Runs leakhound in the repository with its own TMPDIR; stdin is `input`.
    fn run(&self, args: &[String], input: &str) -> Run {
        let out = leakhound()
            .current_dir(self.repo())
            .args(args)
            .env("TMPDIR", &self.tmp)
            .env("TMP", &self.tmp)
            .env("TEMP", &self.tmp)
            .write_stdin(input)
            .timeout(Duration::from_mins(2))
            .output()
            .unwrap();
        Run(out)
    }

    fn assert_absent(&self, what: &str, text: &str) {
        assert!(!text.contains(&self.canary), "the full canary leaked into {what}:\n{text}");
    }

    fn assert_present(&self, what: &str, text: &str) {
        assert!(
            text.contains(&self.canary),
            "{what} with --show-secrets does not show the canary:\n{text}"
        );
    }
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() { out.extend(files_under(&path)) } else { out.push(path) }
    }
    out
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(ToString::to_string).collect()
}

/// The reporting commands: scan of the work tree, and git in every mode.
fn reporting_commands() -> Vec<Vec<String>> {
    [
        &["scan", "."][..],
        &["git"],
        &["git", "--staged"],
        &["git", "--since", "HEAD~1"],
        &["git", "--range", "HEAD~1..HEAD"],
        &["git", "--branch", "main"],
    ]
    .iter()
    .map(|a| strings(a))
    .collect()
}

#[test]
fn the_canary_never_leaks_from_any_command_or_format_unless_show_secrets() {
    let planted = Planted::new();
    let report_file = planted.tree.path().join("report.out");
    for command in reporting_commands() {
        for format in report_formats() {
            for show in [false, true] {
                let mut args = command.clone();
                args.extend(strings(&["-f", &format, "--color", "always"]));
                if show {
                    args.push("--show-secrets".into());
                }
                let what = format!("{args:?}");
                let run = planted.run(&args, "");
                assert_eq!(run.code(), 1, "{what}: {}", run.stderr());
                planted.assert_absent(&format!("stderr of {what}"), &run.stderr());
                if show {
                    planted.assert_present(&what, &run.stdout());
                } else {
                    planted.assert_absent(&format!("stdout of {what}"), &run.stdout());
                }
                args.extend(strings(&["-r", report_file.to_str().unwrap()]));
                let run = planted.run(&args, "");
                let written = std::fs::read_to_string(&report_file).unwrap();
                planted.assert_absent(&format!("stdout of {what} -r"), &run.stdout());
                planted.assert_absent(&format!("stderr of {what} -r"), &run.stderr());
                if show {
                    planted.assert_present(&what, &written);
                } else {
                    planted.assert_absent(&what, &written);
                }
            }
        }
    }
    assert_tmpdir_clean(&planted);
}

#[test]
fn the_canary_never_leaks_from_validation_explain_rules_or_help() {
    let planted = Planted::new();
    let ledger = planted.tree.path().join("ledger.jsonl");
    let ledger_arg = ledger.to_str().unwrap().to_string();
    let validation = [
        "--validate",
        "--validation-endpoint",
        &planted.endpoint,
        "--validation-ledger",
        &ledger_arg,
    ];
    for format in report_formats() {
        let mut args = strings(&["scan", ".", "-f", &format]);
        args.extend(strings(&validation));
        let run = planted.run(&args, "");
        assert_eq!(run.code(), 1, "{args:?}: {}", run.stderr());
        planted.assert_absent(&format!("stdout of {args:?}"), &run.stdout());
        planted.assert_absent(&format!("stderr of {args:?}"), &run.stderr());
    }
    let ledger_text = std::fs::read_to_string(&ledger).expect("the ledger was written");
    assert!(
        ledger_text.contains("\"status\":\"invalid\""),
        "the fake provider was asked: {ledger_text}"
    );
    planted.assert_absent("the validation ledger", &ledger_text);

    let args = strings(&[
        "validate",
        "--rule",
        "github.pat.classic",
        "--validation-endpoint",
        &planted.endpoint,
    ]);
    let run = planted.run(&args, &format!("{}\n", planted.canary));
    assert_eq!(run.code(), 1, "the fake provider says invalid: {}", run.stderr());
    planted.assert_absent("stdout of validate", &run.stdout());
    planted.assert_absent("stderr of validate", &run.stderr());

    let explain = planted.run(&strings(&["explain", "app.env:1"]), "");
    assert!(explain.stdout().contains("github.pat.classic"), "{}", explain.stdout());
    planted.assert_absent("explain", &format!("{}{}", explain.stdout(), explain.stderr()));
    let shown = planted.run(&strings(&["explain", "--show-secrets", "app.env:1"]), "");
    planted.assert_present("explain", &shown.stdout());

    for args in [
        &["rules", "show", "github.pat.classic"][..],
        &["rules", "list"],
        &["--help"],
        &["scan", "--help"],
    ] {
        let run = planted.run(&strings(args), "");
        assert_eq!(run.code(), 0, "{args:?}: {}", run.stderr());
        planted.assert_absent(&format!("{args:?}"), &format!("{}{}", run.stdout(), run.stderr()));
    }
    let errors = planted.run(&strings(&["scan", &planted.canary]), "");
    assert_eq!(errors.code(), 2, "a missing path is an error");
    assert_tmpdir_clean(&planted);
}

/// The canary was scanned from stdin too, and nothing any run left in TMPDIR holds it.
fn assert_tmpdir_clean(planted: &Planted) {
    let run =
        planted.run(&strings(&["scan", "-", "-f", "json"]), &format!("x={}\n", planted.canary));
    assert_eq!(run.code(), 1);
    planted.assert_absent("stdout of scan -", &run.stdout());
    for file in files_under(&planted.tmp) {
        let bytes = std::fs::read(&file).unwrap();
        planted.assert_absent(
            &format!("temp file {}", file.display()),
            &String::from_utf8_lossy(&bytes),
        );
    }
}
