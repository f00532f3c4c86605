//! Many repositories (`leakhound repos LIST`): each one's history scanned by its own child
//! process, with bounded concurrency, bounded disk and a timeout per repository, then combined
//! into one report by [`crate::pipeline::combine`].
//!
//! A clone URL is cloned with the system `git` (`--mirror`, hooks off, only the http, https,
//! ssh, git and file transports, never a terminal prompt) into a temporary directory that is
//! deleted as soon as its scan ends, so at most `jobs` clones are on disk at once. A local path
//! is scanned where it is. Each scan is `leakhound git REPO --shard 0/1 -f json`, run by the
//! binary the caller names: a child can be killed when its time is up, and one repository that
//! crashes or exhausts memory does not take the others down.
//!
//! User names and passwords in URLs never reach a report, a notice or the state directory: every
//! URL is shown by [`shown_url`], and git's own messages pass through [`scrub`].
//!
//! With a state directory, a rerun first asks each repository for its refs (`git ls-remote`,
//! no clone); when they and the rules and flags are as at the last run, the report stored then is
//! reused and the repository is recorded as `unchanged`.

use std::ffi::OsStr;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::outcome::RepositoryRecord;
use crate::pipeline::RepoScan;

/// Settings of a `leakhound repos` run.
#[derive(Debug, Clone)]
pub(crate) struct FleetConfig {
    /// The leakhound binary that scans one repository.
    pub(crate) exe: PathBuf,
    /// Repositories scanned at once (at least 1).
    pub(crate) jobs: usize,
    /// Time for one repository: its refs, clone and scan together.
    pub(crate) timeout: Duration,
    /// Where clones go (a temporary directory inside it per clone); default: the system's.
    pub(crate) work: Option<PathBuf>,
    /// Where tips and reports of the last run are kept, when reruns should skip.
    pub(crate) state: Option<PathBuf>,
    /// Flags given to every `leakhound git` (rules, sizes, filters).
    pub(crate) scan_args: Vec<String>,
    /// Digest of the rule set and flags: part of what makes a repository unchanged.
    pub(crate) settings: String,
    /// Where each repository's history cache is kept, by source, when one is.
    pub(crate) cache: Option<PathBuf>,
}

/// One entry of the list: a local repository or a clone URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// A repository on disk, scanned in place.
    Path(PathBuf),
    /// Something `git clone` takes (`https://`, `ssh://`, `git://`, `file://`, `user@host:path`).
    Url(String),
}

impl Source {
    /// How the source is shown (URLs without user and password).
    pub(crate) fn shown(&self) -> String {
        match self {
            Source::Path(p) => crate::source::display_path(p),
            Source::Url(u) => shown_url(u),
        }
    }

    /// The default name its locations are prefixed with.
    fn base_name(&self) -> String {
        match self {
            Source::Path(p) => p
                .file_name()
                .map_or_else(|| crate::source::display_path(p), |n| n.to_string_lossy().into()),
            Source::Url(u) => {
                let shown = shown_url(u);
                let rest = shown.split_once("://").map_or(shown.as_str(), |(_, r)| r);
                let rest = rest.trim_matches('/');
                rest.strip_suffix(".git").unwrap_or(rest).replace(':', "/")
            }
        }
    }
}

/// Reads a list: one local path or clone URL per line (`#` starts a comment), relative paths
/// against the list's directory. A directory instead of a file lists its repositories (every
/// subdirectory that is a work tree or a bare repository), sorted.
pub(crate) fn read_list(list: &Path) -> std::io::Result<Vec<Source>> {
    if list.is_dir() {
        let mut repos: Vec<PathBuf> = std::fs::read_dir(list)?
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.path())
            .filter(|p| is_repository(p))
            .collect();
        repos.sort();
        return Ok(repos.into_iter().map(Source::Path).collect());
    }
    #[allow(clippy::disallowed_methods, reason = "the list the user names, not scanned content")]
    let text = std::fs::read_to_string(list)?;
    // Never empty, so no entry becomes a path that starts with `-` (an option to git).
    let base = Path::new(".").join(list.parent().unwrap_or(Path::new(".")));
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            if is_url(line) && !line.starts_with('-') {
                Source::Url(line.to_string())
            } else {
                Source::Path(base.join(line))
            }
        })
        .collect())
}

fn is_repository(path: &Path) -> bool {
    path.join(".git").exists() || (path.join("HEAD").is_file() && path.join("objects").is_dir())
}

/// `scheme://...` or scp-like `user@host:path`.
fn is_url(line: &str) -> bool {
    if line.contains("://") {
        return true;
    }
    match (line.find('@'), line.find(':')) {
        (Some(at), Some(colon)) => at < colon && !line[..colon].contains('/'),
        _ => false,
    }
}

/// A URL without its userinfo (`https://tok@host/x` becomes `https://host/x`). An scp-like
/// address keeps its user name: that form has no room for a secret.
pub(crate) fn shown_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
        None => url.to_string(),
    }
}

/// `text` with the user information of every URL in it removed (git's error messages quote URLs).
pub(crate) fn scrub(text: &str) -> String {
    text.split_inclusive(char::is_whitespace)
        .map(|word| if word.contains("://") { shown_url(word) } else { word.to_string() })
        .collect()
}

/// Whether the list entry at `position`, shown as `shown`, is this shard's: a hash of how it is
/// shown, so adding a line to the list moves no other repository to another shard.
pub(crate) fn in_shard(shown: &str, shard: Option<crate::outcome::Shard>) -> bool {
    shard.is_none_or(|s| s.owns(&Sha256::digest(shown.as_bytes())))
}

/// Names for `sources`: the base name, made unique with `~2`, `~3`, ... in list order.
fn names(sources: &[Source]) -> Vec<String> {
    let mut seen = std::collections::HashMap::<String, usize>::new();
    sources
        .iter()
        .map(|s| {
            let base = s.base_name();
            let n = seen.entry(base.clone()).or_insert(0);
            *n += 1;
            if *n == 1 { base } else { format!("{base}~{n}") }
        })
        .collect()
}

/// Scans every source, `jobs` at a time; results in list order.
pub(crate) fn scan_all(sources: &[Source], config: &FleetConfig) -> Vec<RepoScan> {
    let names = names(sources);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<RepoScan>>> =
        Mutex::new(std::iter::repeat_with(|| None).take(sources.len()).collect());
    std::thread::scope(|scope| {
        for _ in 0..config.jobs.max(1).min(sources.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(source) = sources.get(i) else { break };
                    let scan = scan_one(source, &names[i], config);
                    let mut results =
                        results.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    results[i] = Some(scan);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .into_iter()
        .flatten()
        .collect()
}

fn record(source: &Source, name: &str, status: &str) -> RepositoryRecord {
    RepositoryRecord {
        name: name.to_string(),
        source: source.shown(),
        status: status.to_string(),
        tip: None,
        reason: None,
    }
}

fn failed(source: &Source, name: &str, reason: &str) -> RepoScan {
    let mut record = record(source, name, "failed");
    record.reason = Some(scrub(reason));
    RepoScan { record, report: None }
}

/// One repository: refs, the stored report if nothing changed, else clone (URLs) and scan.
fn scan_one(source: &Source, name: &str, config: &FleetConfig) -> RepoScan {
    let deadline = Instant::now() + config.timeout;
    let target = match source {
        Source::Path(p) => p.as_os_str(),
        Source::Url(u) => OsStr::new(u.as_str()),
    };
    let state = config.state.as_ref().map(|dir| State::new(dir, &source.shown()));
    let work = match WorkDir::new(config.work.as_deref()) {
        Ok(w) => w,
        Err(e) => return failed(source, name, &format!("cannot make a work directory: {e}")),
    };
    let refs = match state {
        Some(_) => match git(&[OsStr::new("ls-remote"), target], work.path(), deadline) {
            Ok(out) => Some(refs_digest(&out, &config.settings)),
            Err(e) => return failed(source, name, &format!("cannot list its refs: {e}")),
        },
        None => None,
    };
    if let (Some(state), Some(refs)) = (&state, &refs)
        && let Some(report) = state.unchanged(refs)
    {
        return RepoScan { record: record(source, name, "unchanged"), report: Some(report) };
    }
    let repo = match source {
        Source::Path(p) => p.clone(),
        Source::Url(_) => {
            let clone = work.path().join("repo.git");
            let args = [
                OsStr::new("clone"),
                OsStr::new("--mirror"),
                OsStr::new("--quiet"),
                OsStr::new("--"),
                target,
                clone.as_os_str(),
            ];
            if let Err(e) = git(&args, work.path(), deadline) {
                return failed(source, name, &format!("clone failed: {e}"));
            }
            clone
        }
    };
    let report = work.path().join("report.json");
    let mut scan = Command::new(&config.exe);
    scan.arg("git")
        .arg(&repo)
        .args(["--shard", "0/1", "-f", "json", "-q", "--progress", "never", "-r"])
        .arg(&report)
        .args(&config.scan_args)
        .env_remove("LEAKHOUND_SHARD");
    match &config.cache {
        Some(dir) => scan.arg("--cache").arg(dir).arg("--cache-as").arg(source.shown()),
        None => scan.arg("--no-cache"),
    };
    match run(scan, work.path(), deadline) {
        Ok(_) => {}
        Err(e) => return failed(source, name, &format!("scan failed: {e}")),
    }
    #[allow(clippy::disallowed_methods, reason = "the report our own child process wrote")]
    let Ok(text) = std::fs::read_to_string(&report) else {
        #[allow(clippy::disallowed_methods, reason = "our own child's captured stderr")]
        let said = std::fs::read_to_string(work.path().join("stderr")).unwrap_or_default();
        let said = said.lines().map(str::trim).rfind(|l| !l.is_empty());
        let said = said.unwrap_or("no message");
        return failed(source, name, &format!("scan failed: {said}"));
    };
    if let (Some(state), Some(refs)) = (&state, &refs) {
        state.store(refs, &text);
    }
    RepoScan { record: record(source, name, "scanned"), report: Some(text) }
}

fn refs_digest(ls_remote: &str, settings: &str) -> String {
    let mut lines: Vec<&str> = ls_remote.lines().collect();
    lines.sort_unstable();
    crate::fingerprint::hex(&Sha256::digest(format!("{settings}\n{}", lines.join("\n")).as_bytes()))
}

/// The system `git` with hooks off, only known transports, no terminal prompt.
fn git(args: &[&OsStr], work: &Path, deadline: Instant) -> Result<String, String> {
    let mut cmd = Command::new("git");
    cmd.args([
        "-c",
        "core.hooksPath=/dev/null",
        "-c",
        "core.fsmonitor=false",
        "-c",
        "protocol.allow=never",
        "-c",
        "protocol.https.allow=always",
        "-c",
        "protocol.http.allow=always",
        "-c",
        "protocol.ssh.allow=always",
        "-c",
        "protocol.git.allow=always",
        "-c",
        "protocol.file.allow=always",
    ])
    .args(args)
    .env("GIT_TERMINAL_PROMPT", "0")
    .env("GIT_ASKPASS", "true")
    .env("SSH_ASKPASS", "true")
    .env("GIT_SSH_COMMAND", "ssh -o BatchMode=yes");
    run(cmd, work, deadline)
}

/// Runs `cmd` until it exits or `deadline` passes (then it is killed); its stdout on success,
/// the last lines of its stderr otherwise.
fn run(mut cmd: Command, work: &Path, deadline: Instant) -> Result<String, String> {
    let capture = |name: &str| {
        std::fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(work.join(name))
            .map_err(|e| format!("cannot capture output: {e}"))
    };
    let err_file = capture("stderr")?;
    let out_file = capture("stdout")?;
    let (Ok(err_copy), Ok(out_copy)) = (err_file.try_clone(), out_file.try_clone()) else {
        return Err("cannot capture output".into());
    };
    cmd.stdin(Stdio::null()).stdout(out_copy).stderr(err_copy);
    // Its own process group, so a timeout stops its helpers too (`git-remote-https`, ...).
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd.spawn().map_err(|e| format!("cannot start: {e}"))?;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                #[cfg(unix)]
                let _ = Command::new("kill")
                    .args(["-KILL", "--", &format!("-{}", child.id())])
                    .stderr(Stdio::null())
                    .status();
                let _ = child.kill();
                let _ = child.wait();
                return Err("timed out (--timeout)".into());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("cannot wait: {e}")),
        }
    };
    let read = |mut file: std::fs::File| {
        use std::io::Seek as _;
        let mut text = String::new();
        let _ = file.seek(std::io::SeekFrom::Start(0));
        let _ = file.read_to_string(&mut text);
        text
    };
    // A scan that found secrets (1) or could not read everything (2) still wrote its report.
    let leakhound_done = matches!(status.code(), Some(1 | 2)) && cmd.get_program() != "git";
    if status.success() || leakhound_done {
        return Ok(read(out_file));
    }
    let stderr = read(err_file);
    let tail: Vec<&str> =
        stderr.lines().map(str::trim).filter(|l| !l.is_empty()).rev().take(3).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    Err(format!("{status}: {}", scrub(tail.join(" / ").trim())))
}

/// The state of one repository: `<dir>/<hash>.refs` (digest of its refs, the rules and flags)
/// and `<dir>/<hash>.json` (its last report, redacted like every report).
struct State {
    refs: PathBuf,
    report: PathBuf,
}

impl State {
    fn new(dir: &Path, shown: &str) -> State {
        let key = crate::fingerprint::hex(&Sha256::digest(shown.as_bytes()));
        let key = &key[..24];
        State { refs: dir.join(format!("{key}.refs")), report: dir.join(format!("{key}.json")) }
    }

    #[allow(clippy::disallowed_methods, reason = "leakhound's own state files")]
    fn unchanged(&self, refs: &str) -> Option<String> {
        let stored = std::fs::read_to_string(&self.refs).ok()?;
        (stored.trim() == refs).then(|| std::fs::read_to_string(&self.report).ok())?
    }

    /// Best effort: a state that cannot be written only means the next run scans again.
    fn store(&self, refs: &str, report: &str) {
        if let Some(dir) = self.refs.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        if std::fs::write(&self.report, report).is_ok() {
            let _ = std::fs::write(&self.refs, refs);
        }
    }
}

/// A directory of our own for one repository (its clone, its report, captured output), removed
/// with everything in it when dropped.
struct WorkDir(PathBuf);

impl WorkDir {
    fn new(parent: Option<&Path>) -> std::io::Result<WorkDir> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let parent = parent.map_or_else(std::env::temp_dir, Path::to_path_buf);
        loop {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let dir = parent.join(format!("leakhound-repo-{}-{n}", std::process::id()));
            match std::fs::create_dir(&dir) {
                Ok(()) => return Ok(WorkDir(dir)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
        }
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_user_and_password() {
        assert_eq!(shown_url("https://user:tok@host/org/r.git"), "https://host/org/r.git");
        assert_eq!(shown_url("https://host/a@b"), "https://host/a@b");
        assert_eq!(shown_url("git@host:org/r.git"), "git@host:org/r.git");
        assert_eq!(
            scrub("fatal: unable to access 'https://x:y@h/r/': 403"),
            "fatal: unable to access 'https://h/r/': 403"
        );
    }

    #[test]
    fn lists_tell_urls_from_paths_and_names_are_unique() {
        assert!(is_url("https://h/x") && is_url("git@h:x") && is_url("file:///x"));
        assert!(!is_url("./repos/a") && !is_url("/srv/a@b:c/x"));
        let sources = [
            Source::Url("https://t@github.com/org/app.git".into()),
            Source::Path("/srv/app".into()),
            Source::Path("/other/app".into()),
        ];
        assert_eq!(names(&sources), ["github.com/org/app", "app", "app~2"]);
    }

    #[test]
    fn every_entry_is_in_exactly_one_shard() {
        for entry in ["a", "b", "https://h/c", "/d"] {
            let owners = (0..3)
                .filter(|&index| in_shard(entry, Some(crate::outcome::Shard { index, count: 3 })))
                .count();
            assert_eq!(owners, 1);
        }
    }
}
