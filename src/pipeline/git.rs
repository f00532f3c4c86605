//! The git target's setup and source stage.
//!
//! Configuration and baseline for a git scan: a range scan reads them from its base revision, so
//! the change under review cannot allowlist itself; other modes read the work tree's files (the
//! committed tip's in a bare repository). Without `--baseline-path`, the root's own
//! `.leakhound-baseline` is read from the same place as `.leakhound.toml`.

use std::path::Path;
use std::sync::Arc;

use super::PipelineError;
use crate::baseline::Baseline;
use crate::config::repo::{self, ConfigError, ConfigSource, ConfigTree, FsFiles};
use crate::config::{Config, FilterConfig, GitCache, GitMode};
use crate::matcher::Matcher;
use crate::outcome::{Notice, NoticeKind, Observer, ScanOutcome, Subject};
use crate::source::git::{self, GitScan};
use crate::suppress::{Root, Setup};

/// Configuration, baseline and rule selection for a git scan.
pub(super) fn setup(
    repo: &Path,
    mode: &GitMode,
    allow: bool,
    filter: &FilterConfig,
) -> Result<(Setup, Vec<Notice>), PipelineError> {
    let explicit = filter.config.as_deref().map(repo::read_explicit).transpose()?;
    let work = git::work_tree(repo, allow);
    let base = match mode {
        GitMode::Range { base, .. } => Some(base.as_str()),
        _ => None,
    };
    let boxed = |files: git::TreeFiles| Box::new(files) as Box<dyn ConfigSource>;
    let source: Option<Box<dyn ConfigSource>> = match (filter.repo_config, base, &work) {
        (false, _, _) => None,
        (true, Some(base), _) => git::tree_files(repo, allow, base)?.map(boxed),
        (true, None, Some(work)) => {
            Some(Box::new(FsFiles { root: work.clone(), shown: String::new() }))
        }
        (true, None, None) => git::tree_files(repo, allow, "HEAD")?.map(boxed),
    };
    let (baseline, notice) = match (&filter.baseline, &source) {
        (Some(path), _) => read_baseline(path, base.map(|b| (repo, allow, b)), work.as_deref())?,
        (None, Some(source)) if filter.root_baseline => {
            (crate::suppress::root_baseline(source.as_ref())?, None)
        }
        (None, _) => (None, None),
    };
    let tree = ConfigTree::open(source, explicit.clone());
    let roots = vec![Root { prefix: String::new(), tree }];
    Ok((Setup::assemble(roots, explicit, filter, baseline)?, notice.into_iter().collect()))
}

/// Reads the baseline: from the base revision when the scan is a range and the file lies in
/// the work tree, otherwise from disk.
fn read_baseline(
    path: &Path,
    base: Option<(&Path, bool, &str)>,
    work: Option<&Path>,
) -> Result<(Option<Baseline>, Option<Notice>), PipelineError> {
    let in_repo = work.and_then(|w| {
        let absolute = std::fs::canonicalize(path)
            .ok()
            .or_else(|| std::env::current_dir().ok().map(|d| d.join(path)))?;
        let work = std::fs::canonicalize(w).ok()?;
        absolute.strip_prefix(&work).ok().map(crate::source::display_path)
    });
    let (Some((repo, allow, rev)), Some(rel)) = (base, in_repo) else {
        return Ok((Some(Baseline::read(path)?), None));
    };
    let files = git::tree_files(repo, allow, rev)?;
    let config_error =
        |message: String| ConfigError { file: format!("{rel}@{rev}"), line: 0, message };
    let Some(bytes) =
        files.as_ref().map(|f| f.read(&rel)).transpose().map_err(config_error)?.flatten()
    else {
        let message = format!(
            "the baseline is not in the base revision {rev}; it is not applied to this range"
        );
        return Ok((
            None,
            Some(Notice::new(NoticeKind::NotApplied, Subject::Config(rel), message)),
        ));
    };
    let shown = format!("{rel}@{rev}");
    let text =
        String::from_utf8(bytes).map_err(|_| config_error("baseline is not UTF-8".into()))?;
    Ok((Some(Baseline::parse(&text, &shown)?), None))
}

/// The repository that `path` is in: `path` itself when it is a work tree (has `.git`) or a git
/// directory, else the nearest ancestor with a `.git`, as git finds it from a subdirectory.
/// Only ancestors are looked at (never links out of the tree), and only for the user's own
/// choice of path.
pub(super) fn repository_root(path: &Path) -> std::path::PathBuf {
    let is_repo = |p: &Path| {
        p.join(".git").exists() || (p.join("HEAD").is_file() && p.join("objects").is_dir())
    };
    if is_repo(path) {
        return path.to_path_buf();
    }
    let Ok(absolute) = std::path::absolute(path) else { return path.to_path_buf() };
    absolute
        .ancestors()
        .skip(1)
        .find(|p| is_repo(p))
        .map_or_else(|| path.to_path_buf(), Path::to_path_buf)
}

/// The source stage for a repository.
pub(super) fn scan(
    repo: &Path,
    mode: &GitMode,
    config: &Config,
    matcher: &Matcher,
    observer: Option<&Arc<dyn Observer>>,
) -> Result<ScanOutcome, PipelineError> {
    let scan = GitScan {
        repo,
        mode,
        allow_external_objects: config.allow_external_objects,
        allow_missing_objects: config.allow_missing_objects,
        read: &config.read,
        observer: observer.cloned(),
        // A shard matches only its own blobs: it must neither trust nor fill a cache that a
        // whole scan reads (a blob another shard owns is not clean for being skipped here).
        // Shard 0/1 owns every blob.
        cache: if config.shard.is_some_and(|s| s.count > 1) {
            &GitCache::Off
        } else {
            &config.git_cache
        },
        shard: config.shard,
    };
    Ok(git::scan(&scan, matcher)?)
}
