//! The recipes in `deploy/` run as their engines run them: the Kubernetes Indexed Job's command
//! in N processes with `JOB_COMPLETION_INDEX` and its volumes (mount paths mapped to temporary
//! directories), then the merge Job; the GitHub Actions workflow's `run:` steps per matrix job
//! with the expressions GitHub substitutes, artifacts carried from the shard jobs to the merge
//! job. Both merged reports must be the report of one unsharded scan.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::shard::{normalised, repository};
use crate::util::{TEST_FINGERPRINT_KEY, leakhound};

fn yaml(path: &str) -> Value {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// PATH with the leakhound under test first.
fn path_env() -> String {
    let bin = Path::new(env!("CARGO_BIN_EXE_leakhound")).parent().unwrap().to_path_buf();
    format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default())
}

/// The report of one unsharded scan of `repo` (as named from `dir`), normalised; without the
/// history cache, whose use is per run (shards never use it).
fn unsharded(dir: &Path, repo: &str, out: &Path) -> String {
    let report = out.join("unsharded.json");
    let run = leakhound()
        .current_dir(dir)
        .args(["git", repo, "--no-cache", "-f", "json", "-q", "-r", report.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(report.exists(), "{}", String::from_utf8_lossy(&run.stderr));
    normalised(&report)
}

/// A container's script with its mount paths mapped to `volumes` (longest first, so `/repo`
/// inside `/reports` is never touched), and its environment (secrets: the test key).
fn container(job: &Value, volumes: &BTreeMap<String, PathBuf>) -> (String, Vec<(String, String)>) {
    let c = &job["spec"]["template"]["spec"]["containers"][0];
    let command: Vec<&str> =
        c["command"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(&command[..2], ["/bin/sh", "-c"]);
    let mut script = command[2].to_string();
    let mounts: Vec<(String, String)> = c["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (m["mountPath"].as_str().unwrap().to_string(), m["name"].as_str().unwrap().to_string())
        })
        .collect();
    for (path, name) in &mounts {
        script = remount(&script, path, volumes[name].to_str().unwrap());
    }
    let env = c["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let value = if let Some(v) = e["value"].as_str() {
                v.to_string()
            } else {
                assert!(e["valueFrom"]["secretKeyRef"].is_object());
                TEST_FINGERPRINT_KEY.to_string()
            };
            (e["name"].as_str().unwrap().to_string(), value)
        })
        .collect();
    (script, env)
}

/// `script` with every absolute path that starts with the mount path `mount` (a whole path
/// component) starting at `host` instead.
fn remount(script: &str, mount: &str, host: &str) -> String {
    let mut out = String::new();
    let mut rest = script;
    while let Some(at) = rest.find(mount) {
        let before = rest[..at].chars().last().or_else(|| out.chars().last());
        let after = rest[at + mount.len()..].chars().next();
        let starts = before.is_none_or(|c| c.is_whitespace() || "\"'=".contains(c));
        let whole = after.is_none_or(|c| !(c.is_alphanumeric() || "-_.".contains(c)));
        out.push_str(&rest[..at]);
        out.push_str(if starts && whole { host } else { mount });
        rest = &rest[at + mount.len()..];
    }
    out.push_str(rest);
    out
}

fn sh(script: &str, env: &[(String, String)], extra: &[(&str, String)], dir: &Path) -> Command {
    let mut cmd = Command::new("/bin/sh");
    cmd.args(["-c", script]).current_dir(dir).env("PATH", path_env()).env_remove("LEAKHOUND_SHARD");
    cmd.env_remove("LEAKHOUND_FINGERPRINT_KEY");
    for (k, v) in env {
        cmd.env(k, v);
    }
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd
}

#[test]
fn the_kubernetes_indexed_job_and_its_merge_give_the_unsharded_report() {
    let shards = yaml("deploy/kubernetes/shards-job.yaml");
    let merge = yaml("deploy/kubernetes/merge-job.yaml");
    assert_eq!(shards["spec"]["completionMode"], "Indexed");
    let n = shards["spec"]["completions"].as_u64().unwrap();
    assert_eq!(shards["spec"]["parallelism"].as_u64().unwrap(), n);
    let source = repository();
    let tmp = tempfile::tempdir().unwrap();
    let volumes: BTreeMap<String, PathBuf> =
        [("repo", "repo-volume"), ("reports", "reports-volume")]
            .into_iter()
            .map(|(name, dir)| {
                let path = tmp.path().join(dir);
                std::fs::create_dir(&path).unwrap();
                (name.to_string(), path)
            })
            .collect();
    let mirror = volumes["repo"].join("repo.git");
    let cloned = Command::new("git")
        .args(["clone", "--quiet", "--mirror"])
        .arg(&source.dir)
        .arg(&mirror)
        .status()
        .unwrap();
    assert!(cloned.success());
    let (script, env) = container(&shards, &volumes);
    assert!(script.contains(&format!("--shard auto/{n}")), "N in the command is the Job's");
    // N pods at once, each with its index.
    let pods: Vec<_> = (0..n)
        .map(|i| {
            sh(&script, &env, &[("JOB_COMPLETION_INDEX", i.to_string())], tmp.path())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for pod in pods {
        let out = pod.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "a shard pod failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let (script, env) = container(&merge, &volumes);
    let out = sh(&script, &env, &[], tmp.path()).output().unwrap();
    assert!(out.status.success(), "merge Job: {}", String::from_utf8_lossy(&out.stderr));
    let merged = normalised(&volumes["reports"].join("leakhound.json"));
    let expected = unsharded(tmp.path(), mirror.to_str().unwrap(), tmp.path());
    assert!(merged == expected, "the merge Job's report is not the unsharded one:\n{merged}");
    assert!(volumes["reports"].join("leakhound.sarif").exists());
    // One pod's report lost: the merge Job fails and says which.
    std::fs::remove_file(volumes["reports"].join("shard-1.json")).unwrap();
    let out = sh(&script, &env, &[], tmp.path()).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("missing: 1/{n}")));
}

/// `${{ ... }}` as GitHub substitutes it; anything else is a test failure.
fn expand(text: &str, vars: &BTreeMap<&str, String>) -> String {
    let mut out = text.to_string();
    while let Some(start) = out.find("${{") {
        let end = out[start..].find("}}").unwrap() + start;
        let name = out[start + 3..end].trim();
        let value = vars.get(name).unwrap_or_else(|| panic!("unknown expression {name}"));
        out.replace_range(start..end + 2, value);
    }
    out
}

/// Runs one job's steps in `workspace`: `run:` steps with bash as GitHub runs them, artifact
/// uploads and downloads through `artifacts`.
fn run_job(
    job: &Value,
    env: &BTreeMap<String, String>,
    vars: &BTreeMap<&str, String>,
    workspace: &Path,
    artifacts: &Path,
) {
    for step in job["steps"].as_array().unwrap() {
        let with = |key: &str| step["with"][key].as_str().map(|v| expand(v, vars));
        match step["uses"].as_str() {
            Some(u) if u.starts_with("actions/checkout@") => {}
            Some(u) if u.starts_with("actions/upload-artifact@") => {
                let name = with("name").unwrap();
                let from = workspace.join(with("path").unwrap());
                let to = artifacts.join(&name);
                std::fs::create_dir_all(&to).unwrap();
                if from.is_dir() {
                    for entry in std::fs::read_dir(&from).unwrap() {
                        let entry = entry.unwrap();
                        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
                    }
                } else {
                    std::fs::copy(&from, to.join(from.file_name().unwrap())).unwrap();
                }
            }
            Some(u) if u.starts_with("actions/download-artifact@") => {
                let prefix = with("pattern").unwrap().trim_end_matches('*').to_string();
                assert_eq!(step["with"]["merge-multiple"], true);
                let to = workspace.join(with("path").unwrap());
                std::fs::create_dir_all(&to).unwrap();
                for artifact in std::fs::read_dir(artifacts).unwrap() {
                    let artifact = artifact.unwrap();
                    if artifact.file_name().to_string_lossy().starts_with(&prefix) {
                        for file in std::fs::read_dir(artifact.path()).unwrap() {
                            let file = file.unwrap();
                            std::fs::copy(file.path(), to.join(file.file_name())).unwrap();
                        }
                    }
                }
            }
            Some(u) if u.starts_with("github/codeql-action/upload-sarif@") => {
                assert!(workspace.join(with("sarif_file").unwrap()).exists());
            }
            Some(other) => panic!("the test does not know {other}"),
            None => {
                let script = step["run"].as_str().unwrap();
                assert!(!script.contains("${{"), "run: reads only environment variables");
                let mut cmd = Command::new("bash");
                cmd.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
                    .current_dir(workspace)
                    .env("PATH", path_env())
                    .env_remove("LEAKHOUND_SHARD")
                    .env_remove("LEAKHOUND_FINGERPRINT_KEY");
                for (k, v) in env {
                    cmd.env(k, v);
                }
                if let Some(step_env) = step["env"].as_object() {
                    for (k, v) in step_env {
                        cmd.env(k, expand(v.as_str().unwrap(), vars));
                    }
                }
                let out = cmd.output().unwrap();
                assert!(
                    out.status.success(),
                    "step {:?}: {}",
                    step["name"],
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
    }
}

#[test]
fn the_github_actions_matrix_and_its_merge_give_the_unsharded_report() {
    let workflow = yaml("deploy/github/leakhound-shards.yml");
    let source = repository();
    let tmp = tempfile::tempdir().unwrap();
    let artifacts = tmp.path().join("artifacts");
    std::fs::create_dir(&artifacts).unwrap();
    let matrix: Vec<u64> = workflow["jobs"]["shard"]["strategy"]["matrix"]["shard"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    let mut vars = BTreeMap::from([
        ("secrets.LEAKHOUND_FINGERPRINT_KEY", TEST_FINGERPRINT_KEY.to_string()),
        ("strategy.job-total", matrix.len().to_string()),
    ]);
    let env: BTreeMap<String, String> = workflow["env"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), expand(v.as_str().unwrap(), &vars)))
        .collect();
    // Each matrix job checks out the whole history into its own workspace.
    let checkout = |name: &str| {
        let workspace = tmp.path().join(name);
        let ok = Command::new("git")
            .args(["clone", "--quiet", "--no-hardlinks"])
            .arg(&source.dir)
            .arg(&workspace)
            .status()
            .unwrap();
        assert!(ok.success());
        workspace
    };
    for shard in &matrix {
        vars.insert("matrix.shard", shard.to_string());
        let workspace = checkout(&format!("shard-{shard}"));
        run_job(&workflow["jobs"]["shard"], &env, &vars, &workspace, &artifacts);
    }
    vars.remove("matrix.shard");
    assert_eq!(workflow["jobs"]["merge"]["needs"], "shard");
    let workspace = checkout("merge");
    run_job(&workflow["jobs"]["merge"], &env, &vars, &workspace, &artifacts);
    let merged = normalised(&workspace.join("leakhound.json"));
    let expected = unsharded(&checkout("whole"), ".", tmp.path());
    assert!(merged == expected, "the merge job's report is not the unsharded one:\n{merged}");
}
