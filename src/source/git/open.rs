//! Opening a repository that must be treated as hostile.
//!
//! - The repository is opened with gix's isolated options: no system or global configuration, no
//!   environment variables. Nothing from its own configuration is ever executed: leakhound reads
//!   objects, refs and the index only, so `core.fsmonitor`, hooks, filters, textconv,
//!   `core.sshCommand` and friends are never consulted.
//! - A `.git` *file* may point elsewhere. It is followed only when its target is inside the scan
//!   root, or has the layout git itself creates for linked worktrees and submodules
//!   (`…/.git/worktrees/NAME`, `…/.git/modules/NAME`); anything else is refused unless
//!   `--allow-external-objects`.
//! - `objects/info/alternates` entries that lie outside the repository are refused the same way:
//!   they would make us read (and report) another repository's objects.

use std::path::{Path, PathBuf};

use super::objects::ObjectDirs;

/// Why a repository could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// gix could not open it.
    #[error("cannot open git repository {path}: {message}")]
    Open {
        /// The path given.
        path: PathBuf,
        /// gix's message.
        message: String,
    },
    /// A `.git` file points outside the repository.
    #[error(
        "{gitfile} points to {target}, outside the repository; refusing to read it (pass --allow-external-objects to allow)"
    )]
    ExternalGitDir {
        /// The `.git` file.
        gitfile: PathBuf,
        /// Where it points.
        target: PathBuf,
    },
    /// An alternates entry points outside the repository.
    #[error(
        "{alternates} lists {target}, an object directory outside the repository; refusing to read it (pass --allow-external-objects to allow)"
    )]
    ExternalAlternate {
        /// The alternates file.
        alternates: PathBuf,
        /// The listed directory.
        target: PathBuf,
    },
    /// An object directory's pack listing or alternates file exists but cannot be read: its
    /// objects would be missed silently, so the scan refuses to run (fail closed).
    #[error("cannot read {path}: {source}; its objects would not be scanned")]
    Unreadable {
        /// The directory or file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// An opened repository and what the scan needs to know about it.
pub(crate) struct Opened {
    /// The repository (thread-safe handle).
    pub(crate) repo: gix::ThreadSafeRepository,
    /// The object directories to read: the repository's own and allowed alternates.
    pub(crate) objects: ObjectDirs,
}

/// Opens the repository at `path` (a work tree, a `.git` directory, or a bare repository).
pub(crate) fn open(path: &Path, allow_external: bool) -> Result<Opened, OpenError> {
    let gitfile = path.join(".git");
    if gitfile.is_file() && !allow_external {
        check_gitfile(path, &gitfile)?;
    }
    let options = gix::open::Options::isolated().open_path_as_is(false);
    let repo = gix::ThreadSafeRepository::open_opts(path, options)
        .map_err(|e| OpenError::Open { path: path.to_path_buf(), message: e.to_string() })?;
    let local = repo.to_thread_local();
    let (common, hash) = (local.common_dir().to_path_buf(), local.object_hash());
    let own_objects = common.join("objects");
    let mut object_dirs = vec![own_objects.clone()];
    for target in alternates(&own_objects)? {
        if !allow_external && !is_within(&target, &common) {
            return Err(OpenError::ExternalAlternate { alternates: own_objects.join("info/alternates"), target });
        }
        object_dirs.push(target);
    }
    for dir in &object_dirs {
        readable_or_absent(&dir.join("pack"), |p| std::fs::read_dir(p).map(drop))?;
    }
    Ok(Opened { repo, objects: ObjectDirs { dirs: object_dirs, hash } })
}

#[allow(clippy::disallowed_methods, reason = "repository metadata (.git files), checked before it is trusted")]
fn check_gitfile(root: &Path, gitfile: &Path) -> Result<(), OpenError> {
    let text = std::fs::read_to_string(gitfile).unwrap_or_default();
    let Some(target) = text.lines().find_map(|l| l.strip_prefix("gitdir:")).map(str::trim) else {
        return Ok(()); // not a gitdir pointer: let gix report what it is
    };
    let target = root.join(target);
    let layout_ok =
        target.parent().and_then(|p| p.file_name()).is_some_and(|name| name == "worktrees" || name == "modules")
            && target.parent().and_then(Path::parent).is_some_and(|g| g.join("objects").is_dir());
    if layout_ok || is_within(&target, root) {
        Ok(())
    } else {
        Err(OpenError::ExternalGitDir { gitfile: gitfile.to_path_buf(), target })
    }
}

/// Object directories listed in `objects/info/alternates`, resolved.
#[allow(clippy::disallowed_methods, reason = "repository metadata (alternates), checked before it is trusted")]
fn alternates(objects: &Path) -> Result<Vec<PathBuf>, OpenError> {
    let path = objects.join("info/alternates");
    let Some(text) = readable_or_absent(&path, |p| std::fs::read_to_string(p))? else {
        return Ok(Vec::new());
    };
    Ok(text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(|l| objects.join(l)).collect())
}

/// `read(path)`, `None` when the path does not exist, an error when it exists but cannot be read.
fn readable_or_absent<T>(path: &Path, read: impl Fn(&Path) -> std::io::Result<T>) -> Result<Option<T>, OpenError> {
    match read(path) {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(OpenError::Unreadable { path: path.to_path_buf(), source }),
    }
}

/// Whether `path` lies within `root`, after resolving `..` and symlinks where possible.
fn is_within(path: &Path, root: &Path) -> bool {
    let resolve = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    resolve(path).starts_with(resolve(root))
}
