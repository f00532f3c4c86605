//! Opening a repository that must be treated as hostile.
//!
//! - The repository is opened with gix's isolated options: no system or global configuration, no
//!   environment variables. Nothing from its own configuration is ever executed: leakhound reads
//!   objects, refs and the index only, so `core.fsmonitor`, hooks, filters, textconv,
//!   `core.sshCommand` and friends are never consulted.
//!
//! What may be read outside the scan root, all decided on paths with every
//! symbolic link resolved, so a link inside the metadata cannot lead elsewhere:
//! - a linked worktree's administrative directory (`G/worktrees/NAME`, where `G` is a git
//!   directory) whose `gitdir` back-link names this very `.git` file: git's own record that the
//!   worktree belongs to that repository. Then `G` (its objects, refs) may be read too;
//! - a submodule's git directory `G/modules/NAME` when the scan root lies inside the work tree
//!   that owns `G` (the superproject);
//! - anything, with `--allow-external-objects` (the user vouches for it).
//!
//! Everything else is refused before any object is read, and the scan ends with exit 2: a `.git`
//! file or a `.git` symlink that leads elsewhere, a `modules` or `worktrees` directory that is a
//! link, a `commondir` naming another repository, an `objects` directory, pack file or loose
//! fan-out directory that is a link out of the repository, and `objects/info/alternates` entries
//! outside it (they would make us read, and report, another repository's objects).

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
    /// The git directory is (or is reached through) a symbolic link or a `commondir` that leads
    /// out of the repository.
    #[error(
        "{link} leads to {target}, outside the repository; refusing to read another repository's history (pass --allow-external-objects to allow)"
    )]
    LinkedGitDir {
        /// The link or directory as found.
        link: PathBuf,
        /// Where it leads, resolved.
        target: PathBuf,
    },
    /// The object directory, a pack or a loose fan-out directory is a symbolic link out of the
    /// repository.
    #[error(
        "{link} is a link to {target}, outside the repository; refusing to read objects through it (pass --allow-external-objects to allow)"
    )]
    LinkedObjects {
        /// The link.
        link: PathBuf,
        /// Where it leads, resolved.
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
    let mut allowed = vec![canonical(path)];
    let dotgit = path.join(".git");
    let dotgit_meta = std::fs::symlink_metadata(&dotgit).ok();
    if !allow_external && let Some(meta) = dotgit_meta {
        if meta.is_symlink() {
            check_linked(&dotgit, &canonical(&dotgit), &allowed, |link, target| {
                OpenError::LinkedGitDir { link, target }
            })?;
        } else if meta.is_file() {
            allowed.extend(check_gitfile(path, &dotgit)?);
        }
    }
    let options = gix::open::Options::isolated().open_path_as_is(false);
    let repo = gix::ThreadSafeRepository::open_opts(path, options)
        .map_err(|e| OpenError::Open { path: path.to_path_buf(), message: e.to_string() })?;
    let local = repo.to_thread_local();
    let (common, hash) = (local.common_dir().to_path_buf(), local.object_hash());
    let own_objects = common.join("objects");
    if !allow_external {
        check_linked(&common, &canonical(&common), &allowed, |link, target| {
            OpenError::LinkedGitDir { link, target }
        })?;
        check_object_store(&own_objects, &allowed)?;
    }
    let mut object_dirs = vec![own_objects.clone()];
    for target in alternates(&own_objects)? {
        if !allow_external && !is_within(&target, &common) {
            return Err(OpenError::ExternalAlternate {
                alternates: own_objects.join("info/alternates"),
                target,
            });
        }
        object_dirs.push(target);
    }
    for dir in &object_dirs {
        readable_or_absent(&dir.join("pack"), |p| std::fs::read_dir(p).map(drop))?;
    }
    Ok(Opened { repo, objects: ObjectDirs { dirs: object_dirs, hash } })
}

#[allow(
    clippy::disallowed_methods,
    reason = "repository metadata (.git files), checked before it is trusted"
)]
/// Checks where a `.git` file points; returns the git directory that owns a legitimate linked
/// worktree or submodule outside the root (which may then be read too).
fn check_gitfile(root: &Path, gitfile: &Path) -> Result<Option<PathBuf>, OpenError> {
    let text = std::fs::read_to_string(gitfile).unwrap_or_default();
    let Some(target) = text.lines().find_map(|l| l.strip_prefix("gitdir:")).map(str::trim) else {
        return Ok(None); // not a gitdir pointer: let gix report what it is
    };
    let target = root.join(target);
    let resolved = canonical(&target);
    if resolved.starts_with(canonical(root)) {
        return Ok(None);
    }
    if let Some(owner) =
        linked_worktree_owner(&resolved, gitfile).or_else(|| submodule_owner(&resolved, root))
    {
        return Ok(Some(owner));
    }
    Err(OpenError::ExternalGitDir { gitfile: gitfile.to_path_buf(), target })
}

/// `G` when `admin` is `G/worktrees/NAME` of a git directory `G` and its `gitdir` file names
/// `gitfile` (git writes that back-link when it creates the worktree).
#[allow(
    clippy::disallowed_methods,
    reason = "reads a file named by the user or the repository metadata, not scanned content"
)]
fn linked_worktree_owner(admin: &Path, gitfile: &Path) -> Option<PathBuf> {
    let owner = git_dir_above(admin, "worktrees")?;
    let back = std::fs::read_to_string(admin.join("gitdir")).ok()?;
    (canonical(&admin.join(back.trim())) == canonical(gitfile)).then_some(owner)
}

/// `G` when `module` is `G/modules/...` of a git directory `G` named `.git` whose work tree (the
/// superproject) holds the scan root.
fn submodule_owner(module: &Path, root: &Path) -> Option<PathBuf> {
    let owner = module
        .ancestors()
        .skip(1)
        .find(|a| a.file_name().is_some_and(|n| n == "modules"))?
        .parent()?;
    let superproject = owner.parent()?;
    let is_owner = owner.file_name().is_some_and(|n| n == ".git") && owner.join("objects").is_dir();
    (is_owner && canonical(root).starts_with(superproject)).then(|| owner.to_path_buf())
}

/// `G` when `dir` is `G/KIND/NAME` and `G` holds an object directory (paths already resolved).
fn git_dir_above(dir: &Path, kind: &str) -> Option<PathBuf> {
    let parent = dir.parent()?;
    let owner = parent.parent()?;
    (parent.file_name()? == kind && owner.join("objects").is_dir()).then(|| owner.to_path_buf())
}

/// Refuses `path` (resolved: `resolved`) unless it lies within one of the `allowed` roots.
fn check_linked(
    path: &Path,
    resolved: &Path,
    allowed: &[PathBuf],
    error: fn(PathBuf, PathBuf) -> OpenError,
) -> Result<(), OpenError> {
    if allowed.iter().any(|root| resolved.starts_with(root)) {
        Ok(())
    } else {
        Err(error(path.to_path_buf(), resolved.to_path_buf()))
    }
}

/// The object directory, its packs and its loose fan-out directories may not be links that
/// lead out of the allowed roots: a foreign pack would be scanned in full, unreachable objects
/// and all.
fn check_object_store(objects: &Path, allowed: &[PathBuf]) -> Result<(), OpenError> {
    check_linked(objects, &canonical(objects), allowed, |link, target| OpenError::LinkedObjects {
        link,
        target,
    })?;
    let Some(entries) = readable_or_absent(objects, |p| std::fs::read_dir(p))? else {
        return Ok(());
    };
    let mut linked: Vec<PathBuf> = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        if entry.file_type().is_ok_and(|t| t.is_symlink()) {
            linked.push(entry.path());
        } else if name == "pack"
            && let Some(packs) = readable_or_absent(&entry.path(), |p| std::fs::read_dir(p))?
        {
            let links = packs
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_ok_and(|t| t.is_symlink()));
            linked.extend(links.map(|e| e.path()));
        }
    }
    for link in linked {
        check_linked(&link, &canonical(&link), allowed, |link, target| OpenError::LinkedObjects {
            link,
            target,
        })?;
    }
    Ok(())
}

/// `path` with every symbolic link and `..` resolved; as given when it does not exist.
fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Object directories listed in `objects/info/alternates`, resolved.
#[allow(
    clippy::disallowed_methods,
    reason = "repository metadata (alternates), checked before it is trusted"
)]
fn alternates(objects: &Path) -> Result<Vec<PathBuf>, OpenError> {
    let path = objects.join("info/alternates");
    let Some(text) = readable_or_absent(&path, |p| std::fs::read_to_string(p))? else {
        return Ok(Vec::new());
    };
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| objects.join(l))
        .collect())
}

/// `read(path)`, `None` when the path does not exist, an error when it exists but cannot be read.
fn readable_or_absent<T>(
    path: &Path,
    read: impl Fn(&Path) -> std::io::Result<T>,
) -> Result<Option<T>, OpenError> {
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
