//! `action.yml`, the composite GitHub Action, run step by step in a simulated runner.
//!
//! Each test builds an `origin` repository with real commits, clones it as the workspace (as
//! actions/checkout would), writes an event payload (push, new branch, force push, pull request,
//! schedule), and runs the action's `run:` steps with bash as the runner does (`bash --noprofile
//! --norc -eo pipefail`), with `GITHUB_*` variables, a fresh `GITHUB_OUTPUT` per step, one
//! `GITHUB_STEP_SUMMARY`, and each step's `env:` evaluated from the inputs and earlier step
//! outputs. The debug leakhound binary is on `PATH` instead of the build or download steps (the
//! download step has its own test against a `file://` release directory).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::{Value, json};

use crate::sandbox::{Sandbox, shown};
use crate::util::fake;

const ACTION: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/action.yml");
const ZERO: &str = "0000000000000000000000000000000000000000";

fn action() -> Value {
    serde_saphyr::from_str(&std::fs::read_to_string(ACTION).unwrap()).expect("action.yml parses")
}

/// One step's result.
struct StepRun {
    output: Output,
    outputs: BTreeMap<String, String>,
}

impl StepRun {
    fn code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }
}

/// The result of running some of the action's steps.
struct ActionRun {
    steps: BTreeMap<String, StepRun>,
    summary: String,
    /// The action's outputs, evaluated from `outputs.*.value`.
    outputs: BTreeMap<String, String>,
    github_path: String,
}

impl ActionRun {
    fn step(&self, id: &str) -> &StepRun {
        self.steps.get(id).unwrap_or_else(|| panic!("step {id} did not run"))
    }

    /// Everything a user or a log could see.
    fn everything(&self) -> String {
        let mut all = self.summary.clone();
        for step in self.steps.values() {
            all.push_str(&shown(&step.output));
            all.push_str(&serde_json::to_string(&step.outputs).unwrap());
        }
        all
    }

    fn annotations(&self, level: &str) -> Vec<String> {
        let prefix = format!("::{level} ");
        self.steps
            .values()
            .flat_map(|s| shown(&s.output).lines().map(str::to_string).collect::<Vec<_>>())
            .filter(|l| l.starts_with(&prefix))
            .collect()
    }

    fn assert_never_shows(&self, secrets: &[&str]) {
        let all = self.everything();
        for secret in secrets {
            assert!(!all.contains(secret), "a full secret was shown:\n{all}");
        }
    }
}

/// A simulated runner: a workspace repository, inputs and an event.
struct Runner {
    sandbox: Sandbox,
    workspace: PathBuf,
    inputs: BTreeMap<String, String>,
    event_name: String,
    payload: Value,
    /// Directories put before the usual `PATH` (fake tools).
    path_prefix: Vec<PathBuf>,
}

impl Runner {
    fn new(sandbox: Sandbox, workspace: PathBuf, event_name: &str, payload: Value) -> Runner {
        Runner {
            sandbox,
            workspace,
            inputs: BTreeMap::new(),
            event_name: event_name.into(),
            payload,
            path_prefix: vec![],
        }
    }

    fn input(mut self, name: &str, value: &str) -> Runner {
        self.inputs.insert(name.into(), value.into());
        self
    }

    /// Runs the steps named in `ids`, in the action's order, stopping at the first failure.
    fn run(&self, ids: &[&str]) -> ActionRun {
        let jq = std::process::Command::new("jq").arg("--version").output();
        assert!(
            jq.is_ok_and(|o| o.status.success()),
            "the action's steps need jq, as GitHub's runners have (apt-get install jq)"
        );
        let action = action();
        let dir = self.sandbox.path().join(format!("runner-{}", ids.join("-")));
        std::fs::create_dir_all(dir.join("temp")).unwrap();
        let event_path = dir.join("event.json");
        std::fs::write(&event_path, serde_json::to_vec(&self.payload).unwrap()).unwrap();
        let summary = dir.join("summary.md");
        let github_path = dir.join("path.txt");
        std::fs::write(&summary, "").unwrap();
        std::fs::write(&github_path, "").unwrap();
        let mut steps: BTreeMap<String, StepRun> = BTreeMap::new();
        for step in action["runs"]["steps"].as_array().unwrap() {
            let Some(id) = step["id"].as_str().filter(|id| ids.contains(id)) else { continue };
            let script = dir.join(format!("{id}.sh"));
            std::fs::write(&script, step["run"].as_str().expect("a run step")).unwrap();
            let output_file = dir.join(format!("{id}.out"));
            std::fs::write(&output_file, "").unwrap();
            let mut cmd = Sandbox::command("bash", &self.workspace);
            cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
                .arg(&script)
                .env("GITHUB_EVENT_NAME", &self.event_name)
                .env("GITHUB_EVENT_PATH", &event_path)
                .env("GITHUB_OUTPUT", &output_file)
                .env("GITHUB_STEP_SUMMARY", &summary)
                .env("GITHUB_PATH", &github_path)
                .env("GITHUB_WORKSPACE", &self.workspace)
                .env("GITHUB_ACTION_PATH", env!("CARGO_MANIFEST_DIR"))
                .env("RUNNER_TEMP", dir.join("temp"))
                .env("RUNNER_OS", "Linux")
                .env("HOME", self.sandbox.path().join("home"));
            if !self.path_prefix.is_empty() {
                let mut dirs = self.path_prefix.clone();
                dirs.extend(std::env::split_paths(&Sandbox::path_var()));
                cmd.env("PATH", std::env::join_paths(dirs).unwrap());
            }
            for (key, value) in step["env"].as_object().into_iter().flatten() {
                cmd.env(key, self.evaluate(&action, value.as_str().unwrap_or_default(), &steps));
            }
            let output = cmd.output().expect("bash runs");
            let outputs = parse_outputs(&std::fs::read_to_string(&output_file).unwrap());
            let failed = !output.status.success();
            steps.insert(id.to_string(), StepRun { output, outputs });
            if failed {
                break;
            }
        }
        let outputs = action["outputs"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(name, o)| {
                (name.clone(), self.evaluate(&action, o["value"].as_str().unwrap(), &steps))
            })
            .collect();
        ActionRun {
            steps,
            summary: std::fs::read_to_string(&summary).unwrap(),
            outputs,
            github_path: std::fs::read_to_string(&github_path).unwrap(),
        }
    }

    /// Replaces `${{ inputs.X }}`, `${{ steps.S.outputs.X }}` and `${{ github.action_path }}`; any
    /// other expression is a test failure, which keeps action.yml simple enough to test.
    fn evaluate(&self, action: &Value, text: &str, steps: &BTreeMap<String, StepRun>) -> String {
        let pattern = regex::Regex::new(r"\$\{\{\s*([^}]*?)\s*\}\}").unwrap();
        pattern
            .replace_all(text, |caps: &regex::Captures<'_>| {
                let expr = &caps[1];
                let parts: Vec<&str> = expr.split('.').collect();
                match parts.as_slice() {
                    ["inputs", name] => self.inputs.get(*name).cloned().unwrap_or_else(|| {
                        let input = &action["inputs"][*name];
                        assert!(input.is_object(), "unknown input {name}");
                        input["default"].as_str().unwrap_or_default().to_string()
                    }),
                    ["steps", id, "outputs", name] => steps
                        .get(*id)
                        .and_then(|s| s.outputs.get(*name))
                        .cloned()
                        .unwrap_or_default(),
                    ["github", "action_path"] => env!("CARGO_MANIFEST_DIR").to_string(),
                    _ => panic!("the test runner cannot evaluate ${{{{ {expr} }}}}"),
                }
            })
            .into_owned()
    }
}

/// `key=value` lines and `key<<DELIM` blocks of a `GITHUB_OUTPUT` file.
fn parse_outputs(text: &str) -> BTreeMap<String, String> {
    let mut outputs = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((key, delimiter)) = line.split_once("<<") {
            let value: Vec<&str> = lines.by_ref().take_while(|l| *l != delimiter).collect();
            outputs.insert(key.to_string(), value.join("\n"));
        } else if let Some((key, value)) = line.split_once('=') {
            outputs.insert(key.to_string(), value.to_string());
        }
    }
    outputs
}

/// Commits on `origin`: main has an old secret (removed again) and a new one; `feature` branches
/// off before the new one and adds its own.
struct History {
    sandbox: Sandbox,
    origin: PathBuf,
    m1: String,
    m2: String,
    m3: String,
    f2: String,
    secrets: [String; 3],
}

impl History {
    fn new() -> History {
        let sandbox = Sandbox::new();
        let author = sandbox.init("author");
        let secrets = [fake::github_pat(71), fake::github_pat(72), fake::github_pat(73)];
        Sandbox::write(&author, "old.cfg", &format!("token = {}\n", secrets[0]));
        let m1 = Sandbox::commit_all(&author, "old secret");
        Sandbox::write(&author, "old.cfg", "token = from-env\n");
        let m2 = Sandbox::commit_all(&author, "remove it");
        Sandbox::git(&author, &["checkout", "-q", "-b", "feature"]);
        Sandbox::write(&author, "feature.env", &format!("GH={}\n", secrets[1]));
        Sandbox::commit_all(&author, "feature secret");
        Sandbox::write(&author, "feature.txt", "more\n");
        let f2 = Sandbox::commit_all(&author, "feature clean");
        Sandbox::git(&author, &["checkout", "-q", "main"]);
        Sandbox::write(&author, "main.env", &format!("GH={}\n", secrets[2]));
        let m3 = Sandbox::commit_all(&author, "main secret");
        let origin = sandbox.path().join("origin.git");
        Sandbox::git(
            sandbox.path(),
            &["clone", "-q", "--bare", author.to_str().unwrap(), origin.to_str().unwrap()],
        );
        History { sandbox, origin, m1, m2, m3, f2, secrets }
    }

    /// Clones origin as the workspace (`extra` e.g. `--depth 1`) and makes a runner for the event.
    fn runner(self, extra: &[&str], event_name: &str, payload: Value) -> Runner {
        let workspace = self.sandbox.path().join("workspace");
        let url = format!("file://{}", self.origin.display());
        let mut args = vec!["clone", "-q"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&[url.as_str(), workspace.to_str().unwrap()]);
        Sandbox::git(self.sandbox.path(), &args);
        Runner::new(self.sandbox, workspace, event_name, payload)
    }
}

fn push_event(ref_name: &str, before: &str, after: &str) -> Value {
    json!({"ref": ref_name, "before": before, "after": after, "forced": false, "repository": {"default_branch": "main"}})
}

const SCAN: &[&str] = &["range", "scan"];

#[test]
fn push_scans_before_to_after_and_fails_on_findings() {
    let history = History::new();
    let (m2, m3, secrets) = (history.m2.clone(), history.m3.clone(), history.secrets.clone());
    let runner = history.runner(&[], "push", push_event("refs/heads/main", &m2, &m3));
    let run = runner.run(SCAN);
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    // Run in the workspace, so the relative sarif-file output is relative to it.
    let sarif = runner.workspace.join(&run.outputs["sarif-file"]);
    assert!(sarif.is_file(), "the SARIF file is written");
    assert_eq!(run.step("range").outputs["rev"], format!("{m2}..{m3}"));
    assert_eq!(run.outputs["exit-code"], "1");
    assert_eq!(run.outputs["findings"], "1");
    assert_eq!(run.step("scan").code(), 1, "fail-on-findings defaults to true");
    let errors = run.annotations("error");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with(
            "::error file=main.env,line=1,endLine=1,col=4,endColumn=44,title=leakhound%3A GitHub"
        ),
        "{}",
        errors[0]
    );
    assert!(errors[0].contains("ghp_") && errors[0].contains("[40 chars]"));
    assert!(run.summary.contains("## leakhound: 1 finding(s) in 1 location(s)"), "{}", run.summary);
    assert!(
        run.summary.contains(&format!("{m2}..{m3}")) && run.summary.contains("github.pat.classic"),
        "{}",
        run.summary
    );
    assert!(run.summary.contains(&m3[..12]), "the summary names the commit: {}", run.summary);
    run.assert_never_shows(&secrets);
}

#[test]
fn fail_on_findings_false_reports_without_failing() {
    let history = History::new();
    let (m2, m3) = (history.m2.clone(), history.m3.clone());
    let run = history
        .runner(&[], "push", push_event("refs/heads/main", &m2, &m3))
        .input("fail-on-findings", "false")
        .run(SCAN);
    assert_eq!(run.step("scan").code(), 0, "{}", shown(&run.step("scan").output));
    assert_eq!(run.outputs["exit-code"], "1");
    assert_eq!(run.outputs["findings"], "1");
}

#[test]
fn a_clean_push_passes() {
    let history = History::new();
    let (m1, m2) = (history.m1.clone(), history.m2.clone());
    let run = history.runner(&[], "push", push_event("refs/heads/main", &m1, &m2)).run(SCAN);
    assert_eq!(run.step("scan").code(), 0, "{}", run.everything());
    assert_eq!(run.outputs["exit-code"], "0");
    assert_eq!(run.outputs["findings"], "0");
    assert!(run.annotations("error").is_empty());
    assert!(run.summary.contains("0 finding(s)"), "{}", run.summary);
}

#[test]
fn a_new_branch_scans_what_is_not_on_the_default_branch() {
    let history = History::new();
    let (m3, f2, secrets) = (history.m3.clone(), history.f2.clone(), history.secrets.clone());
    let run = history.runner(&[], "push", push_event("refs/heads/feature", ZERO, &f2)).run(SCAN);
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    assert_scanned_in_workspace(&run, &secrets, &format!("{m3}..{f2}"), 1);
    assert!(
        run.step("range").outputs["description"].starts_with("new branch"),
        "{:?}",
        run.step("range").outputs
    );
    assert!(
        run.annotations("error")[0].contains("file=feature.env"),
        "{:?}",
        run.annotations("error")
    );
}

#[test]
fn a_force_push_whose_old_tip_is_gone_falls_back() {
    let history = History::new();
    let (m3, f2, secrets) = (history.m3.clone(), history.f2.clone(), history.secrets.clone());
    let gone = "1234567890123456789012345678901234567890";
    let mut payload = push_event("refs/heads/feature", gone, &f2);
    payload["forced"] = json!(true);
    let run = history.runner(&[], "push", payload).run(SCAN);
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    assert_scanned_in_workspace(&run, &secrets, &format!("{m3}..{f2}"), 1);
    assert!(
        run.step("range").outputs["description"].starts_with("force push"),
        "{:?}",
        run.step("range").outputs
    );
}

#[test]
fn a_force_push_to_the_default_branch_scans_its_whole_history() {
    let history = History::new();
    let (m3, secrets) = (history.m3.clone(), history.secrets.clone());
    let run = history
        .runner(
            &[],
            "push",
            push_event("refs/heads/main", "1234567890123456789012345678901234567890", &m3),
        )
        .run(SCAN);
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    assert_scanned_in_workspace(&run, &secrets, &m3, 2);
    assert_eq!(run.step("range").outputs["kind"], "branch");
}

#[test]
fn a_pull_request_scans_base_to_head() {
    let history = History::new();
    let (m2, f2, secrets) = (history.m2.clone(), history.f2.clone(), history.secrets.clone());
    let payload = json!({"pull_request": {"base": {"sha": m2}, "head": {"sha": f2}}, "repository": {"default_branch": "main"}});
    let run = history.runner(&[], "pull_request", payload).run(SCAN);
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    assert_scanned_in_workspace(&run, &secrets, &format!("{m2}..{f2}"), 1);
}

#[test]
fn a_schedule_scans_the_whole_history() {
    let history = History::new();
    let secrets = history.secrets.clone();
    let run = history.runner(&[], "schedule", json!({"schedule": "0 3 * * *"})).run(SCAN);
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    assert_scanned_in_workspace(&run, &secrets, "", 3);
    assert_eq!(run.step("range").outputs["kind"], "history");
}

/// `assert_scanned` with the SARIF path resolved against the workspace.
fn assert_scanned_in_workspace(run: &ActionRun, secrets: &[&str], rev: &str, expected: usize) {
    let range = run.step("range");
    assert_eq!(range.code(), 0, "{}", shown(&range.output));
    assert_eq!(range.outputs["rev"], rev, "{:?}", range.outputs);
    assert_eq!(run.outputs["findings"], expected.to_string(), "{}", run.everything());
    assert_eq!(run.annotations("error").len(), expected.min(10), "{:?}", run.annotations("error"));
    run.assert_never_shows(secrets);
    assert!(run.summary.len() < 1024 * 1024);
}

#[test]
fn many_findings_make_at_most_ten_annotations_and_a_bounded_redacted_summary() {
    let sandbox = Sandbox::new();
    let workspace = sandbox.init("workspace");
    let secrets: Vec<String> = (0..150).map(|i| fake::github_pat(100 + i)).collect();
    let body = secrets.iter().map(|s| format!("t = {s}")).collect::<Vec<_>>().join("\n");
    Sandbox::write(&workspace, "tokens.txt", &body);
    Sandbox::write(&workspace, "a|b<script>x.env", &format!("GH={}\n", fake::github_pat(99)));
    Sandbox::commit_all(&workspace, "many");
    let run = Runner::new(sandbox, workspace, "workflow_dispatch", json!({})).run(SCAN);
    assert_eq!(run.outputs["findings"], "151", "{}", run.everything());
    assert_eq!(run.annotations("error").len(), 10);
    assert!(run.summary.len() < 1024 * 1024);
    assert_eq!(
        run.summary.matches("| <code>github.pat.classic</code>").count(),
        100,
        "{}",
        run.summary
    );
    assert!(run.summary.contains("51 more location(s)"), "{}", run.summary);
    assert!(
        run.summary.contains("a&#124;b&lt;script&gt;x.env") && !run.summary.contains("<script>"),
        "{}",
        run.summary
    );
    let all: Vec<&str> = secrets.iter().map(String::as_str).collect();
    run.assert_never_shows(&all);
    run.assert_never_shows(&[&fake::github_pat(99)]);
}

/// `--show-secrets` in `args` shows secrets in the SARIF (the user asked), never in the summary or
/// the annotations.
#[test]
fn summary_and_annotations_stay_redacted_with_show_secrets() {
    let history = History::new();
    let (m2, m3, secret) = (history.m2.clone(), history.m3.clone(), history.secrets[2].clone());
    let runner = history
        .runner(&[], "push", push_event("refs/heads/main", &m2, &m3))
        .input("args", "--show-secrets");
    let run = runner.run(SCAN);
    let sarif = std::fs::read_to_string(runner.workspace.join(&run.outputs["sarif-file"])).unwrap();
    assert!(sarif.contains(&secret), "the SARIF has what the user asked for");
    run.assert_never_shows(&[&secret]);
    assert!(run.summary.contains(&format!("{}…[40 chars]", &secret[..8])), "{}", run.summary);
}

#[test]
fn a_shallow_clone_is_deepened() {
    let history = History::new();
    let (m2, m3, secrets) = (history.m2.clone(), history.m3.clone(), history.secrets.clone());
    let runner = history.runner(&["--depth", "1"], "push", push_event("refs/heads/main", &m2, &m3));
    assert_eq!(Sandbox::git(&runner.workspace, &["rev-parse", "--is-shallow-repository"]), "true");
    let run = runner.run(SCAN);
    assert_eq!(Sandbox::git(&runner.workspace, &["rev-parse", "--is-shallow-repository"]), "false");
    assert_eq!(run.step("range").outputs["shallow"], "false");
    assert!(shown(&run.step("range").output).contains("fetched the full history"));
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    assert_scanned_in_workspace(&run, &secrets, &format!("{m2}..{m3}"), 1);
}

#[test]
fn a_shallow_clone_that_cannot_be_deepened_is_reported() {
    let history = History::new();
    let secrets = history.secrets.clone();
    let runner = history.runner(&["--depth", "1"], "schedule", json!({}));
    Sandbox::git(
        &runner.workspace,
        &["remote", "set-url", "origin", "file:///nonexistent/leakhound-origin.git"],
    );
    let run = runner.run(SCAN);
    assert_eq!(run.step("range").outputs["shallow"], "true");
    let warnings = run.annotations("warning");
    assert!(warnings.iter().any(|w| w.contains("shallow")), "{}", run.everything());
    assert!(run.summary.contains("shallow clone: older history missing"), "{}", run.summary);
    // What the shallow clone holds is still scanned: main's tip has the newest secret.
    assert_eq!(run.outputs["findings"], "1", "{}", run.everything());
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    run.assert_never_shows(&secrets);
}

/// The extra report of `report-format` is written besides the SARIF.
#[test]
fn report_format_writes_an_extra_report() {
    let history = History::new();
    let (m2, m3) = (history.m2.clone(), history.m3.clone());
    let runner = history
        .runner(&[], "push", push_event("refs/heads/main", &m2, &m3))
        .input("report-format", "gitlab");
    let run = runner.run(SCAN);
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(runner.workspace.join(&run.outputs["report-file"])).unwrap(),
    )
    .unwrap();
    assert_eq!(report["vulnerabilities"].as_array().unwrap().len(), 1);
}

/// Every `run:` reads inputs through `env:` only, so inputs are never spliced into shell code.
#[test]
fn run_steps_use_only_environment_variables() {
    let action = action();
    let steps = action["runs"]["steps"].as_array().unwrap();
    let mut runs = 0;
    for step in steps {
        if let Some(run) = step["run"].as_str() {
            runs += 1;
            assert!(
                !run.contains("${{"),
                "step {} splices an expression into shell code",
                step["id"]
            );
            assert_eq!(step["shell"], "bash");
        }
    }
    assert!(runs >= 4);
}

/// The release download verifies the checksum and puts the binary on `PATH`.
#[cfg(target_os = "linux")]
#[test]
fn a_release_binary_is_downloaded_and_verified() {
    use sha2::{Digest, Sha256};
    use std::os::unix::fs::PermissionsExt;
    let target = match std::env::consts::ARCH {
        "x86_64" => "x86_64-unknown-linux-gnu",
        "aarch64" => "aarch64-unknown-linux-gnu",
        _ => return,
    };
    let sandbox = Sandbox::new();
    let workspace = sandbox.init("workspace");
    let release = sandbox.path().join("releases/v9.8.7");
    std::fs::create_dir_all(&release).unwrap();
    let staging = sandbox.path().join("staging");
    Sandbox::write(&staging, "leakhound", "#!/bin/sh\necho leakhound 9.8.7\n");
    std::fs::set_permissions(staging.join("leakhound"), std::fs::Permissions::from_mode(0o755))
        .unwrap();
    let name = format!("leakhound-9.8.7-{target}.tar.gz");
    let tar = std::process::Command::new("tar")
        .args([
            "-czf",
            release.join(&name).to_str().unwrap(),
            "-C",
            staging.to_str().unwrap(),
            "leakhound",
        ])
        .output()
        .unwrap();
    assert!(tar.status.success(), "{}", shown(&tar));
    let digest = Sha256::digest(std::fs::read(release.join(&name)).unwrap());
    let hex = digest.iter().fold(String::new(), |mut hex, b| {
        use std::fmt::Write as _;
        let _ = write!(hex, "{b:02x}");
        hex
    });
    let checksum = release.join(format!("{name}.sha256"));
    std::fs::write(&checksum, format!("{hex}  {name}\n")).unwrap();
    let base = format!("file://{}", sandbox.path().join("releases").display());
    let runner = Runner::new(sandbox, workspace, "push", json!({}))
        .input("version", "9.8.7")
        .input("release-url", &base);
    let run = runner.run(&["release"]);
    assert_eq!(run.step("release").code(), 0, "{}", shown(&run.step("release").output));
    let dir = Path::new(run.github_path.trim());
    let out = std::process::Command::new(dir.join("leakhound")).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "leakhound 9.8.7\n");

    std::fs::write(&checksum, format!("{}  {name}\n", "0".repeat(64))).unwrap();
    let run = runner.run(&["release"]);
    assert_eq!(run.step("release").code(), 1);
    assert!(shown(&run.step("release").output).contains("checksum mismatch"));
    assert!(run.github_path.is_empty(), "an unverified binary is never put on PATH");
}

/// Building from source: the cache key is a hash of the action's source, `cargo install` runs only
/// when the cached build is missing, and the build's `bin` goes on `PATH`.
#[cfg(unix)]
#[test]
fn a_source_build_is_keyed_by_the_source_and_skipped_when_cached() {
    use std::os::unix::fs::PermissionsExt;
    let sandbox = Sandbox::new();
    let workspace = sandbox.init("workspace");
    let tools = sandbox.path().join("tools");
    let log = sandbox.path().join("cargo.log");
    let fake_cargo = format!(
        "#!/bin/sh\necho \"$@\" >> '{}'\nroot=\"\"\nwhile [ $# -gt 0 ]; do [ \"$1\" = --root ] && root=\"$2\"; shift; done\nmkdir -p \"$root/bin\" && printf '#!/bin/sh\\n' > \"$root/bin/leakhound\" && chmod +x \"$root/bin/leakhound\"\n",
        log.display()
    );
    Sandbox::write(&tools, "cargo", &fake_cargo);
    std::fs::set_permissions(tools.join("cargo"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut runner = Runner::new(sandbox, workspace, "push", json!({}));
    runner.path_prefix.push(tools);
    let first = runner.run(&["source", "build"]);
    assert_eq!(first.step("build").code(), 0, "{}", first.everything());
    let key = &first.step("source").outputs["key"];
    assert!(key.starts_with("leakhound-Linux-") && key.len() > 40, "{key}");
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(
        calls.starts_with(&format!(
            "install --locked --path {} --root ",
            env!("CARGO_MANIFEST_DIR")
        )),
        "{calls}"
    );
    let bin = Path::new(first.github_path.trim());
    assert!(bin.join("leakhound").is_file() && bin.ends_with("bin"), "{}", first.github_path);

    let second = runner.run(&["source", "build"]);
    assert_eq!(&second.step("source").outputs["key"], key, "the key is stable");
    assert_eq!(
        std::fs::read_to_string(&log).unwrap().lines().count(),
        1,
        "a cached build is not rebuilt"
    );
    assert_eq!(second.github_path, first.github_path);
}

/// `baseline-path` reaches leakhound: findings accepted in the baseline no longer fail the step and
/// are only counted as suppressed. (A range scan reads the baseline from its base revision, so a
/// push cannot accept its own leak; a full-history scan reads it from the work tree.)
#[test]
fn a_baseline_accepts_known_findings() {
    let history = History::new();
    let runner = history.runner(&[], "schedule", json!({})).input("baseline-path", "accepted.json");
    let create = crate::util::leakhound()
        .current_dir(&runner.workspace)
        .args(["baseline", "create", "--git", "--baseline-path", "accepted.json", "."])
        .output()
        .unwrap();
    assert!(create.status.success(), "{}", shown(&create));
    let run = runner.run(SCAN);
    assert_eq!(run.step("scan").code(), 0, "{}", run.everything());
    assert_eq!(run.outputs["findings"], "0");
    assert_eq!(run.outputs["exit-code"], "0");
    assert!(run.annotations("error").is_empty(), "{:?}", run.annotations("error"));
    assert!(run.summary.contains("3 suppressed location(s)"), "{}", run.summary);
}
