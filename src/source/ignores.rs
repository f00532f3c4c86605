//! Ignore files, applied by leakhound itself so every path they hide is counted.
//!
//! The `ignore` crate's walker applies ignore files silently: what it skips never reaches the
//! visitor. So its ignore handling is off, and the walk asks [`Ignores`] about each entry instead:
//! an ignored file or directory is reported as skipped (`ignored`, a directory once, not entered).
//!
//! Which files are read, for a directory `D` under a scan root `R`:
//! - in `D` and in every directory from `R` down to `D`: `.leakhoundignore`, `.ignore` and
//!   `.gitignore`, strongest first, deeper directories before shallower ones (as git and ripgrep
//!   order them);
//! - above `R` only when `R` lies inside a git work tree `W` (a directory with `.git`): the same
//!   files in the directories from `W` down to `R`'s parent, and `W/.git/info/exclude`. Those are
//!   the ignore files git itself would apply to `R`. Outside a work tree nothing above the root is
//!   read, so a file a stranger left in `/tmp` cannot hide anything in a scan of `/tmp/checkout`.
//! - never the user's global excludes file: it is not part of the scanned tree, and what it hides
//!   differs between machines.
//!
//! Ignore files that are symbolic links are not read (a link could point them anywhere).
//! Directory levels are built once and cached; the walk's threads share the cache.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

/// The ignore files read in each directory, strongest first.
pub(crate) const IGNORE_FILES: [&str; 3] = [".leakhoundignore", ".ignore", ".gitignore"];

/// The ignore files of one directory, and its parent's level.
#[derive(Debug, Default)]
struct Level {
    matchers: Vec<Gitignore>,
    parent: Option<Arc<Level>>,
}

impl Level {
    /// Whether `path` (absolute) is ignored: the deepest, strongest file that has a say decides.
    fn ignores(&self, path: &Path, is_dir: bool) -> bool {
        let mut level = Some(self);
        while let Some(current) = level {
            for matcher in &current.matchers {
                match matcher.matched(path, is_dir) {
                    Match::Ignore(_) => return true,
                    Match::Whitelist(_) => return false,
                    Match::None => {}
                }
            }
            level = current.parent.as_deref();
        }
        false
    }
}

/// The ignore files that apply under a set of scan roots, read on demand.
#[derive(Debug)]
pub(crate) struct Ignores {
    /// The scan roots, absolute.
    roots: Vec<PathBuf>,
    cache: Mutex<HashMap<PathBuf, Arc<Level>>>,
}

impl Ignores {
    /// Ignore files for a walk of `roots`.
    pub(crate) fn new(roots: &[PathBuf]) -> Ignores {
        Ignores {
            roots: roots.iter().map(|r| absolute(r)).collect(),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Whether the entry at `path` (below a root) is ignored.
    pub(crate) fn ignored(&self, path: &Path, is_dir: bool) -> bool {
        let path = absolute(path);
        let Some(parent) = path.parent() else { return false };
        self.level(parent).ignores(&path, is_dir)
    }

    /// [`Ignores::ignored`] for a walker thread that visits a directory's entries one after
    /// another: `last` keeps the level of the directory asked about last, so the entries of one
    /// directory cost neither a lock nor a lookup in the shared cache, and a path is made
    /// absolute once per directory instead of once per entry.
    pub(crate) fn ignored_with(
        &self,
        last: &mut Option<LastDir>,
        path: &Path,
        is_dir: bool,
    ) -> bool {
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return self.ignored(path, is_dir);
        };
        let last = match last {
            Some(last) if last.dir == parent => last,
            _ => {
                let absolute_dir = absolute(parent);
                let level = self.level(&absolute_dir);
                last.insert(LastDir { dir: parent.to_path_buf(), absolute_dir, level })
            }
        };
        last.level.ignores(&last.absolute_dir.join(name), is_dir)
    }

    fn level(&self, dir: &Path) -> Arc<Level> {
        if let Some(level) =
            self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(dir)
        {
            return Arc::clone(level);
        }
        let parent = if self.roots.iter().any(|r| r == dir) {
            above_root(dir)
        } else {
            dir.parent().map(|p| self.level(p))
        };
        let level = Arc::new(Level { matchers: read_dir_ignores(dir), parent });
        let mut cache = self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(cache.entry(dir.to_path_buf()).or_insert(level))
    }
}

/// The directory a walker thread asked [`Ignores::ignored_with`] about last.
#[derive(Debug)]
pub(crate) struct LastDir {
    /// As the walker gave it.
    dir: PathBuf,
    /// Made absolute, as [`Ignores::ignored`] matches paths.
    absolute_dir: PathBuf,
    level: Arc<Level>,
}

/// The levels above a scan root that git would apply: only inside a work tree.
fn above_root(root: &Path) -> Option<Arc<Level>> {
    let work_tree = root.ancestors().find(|a| a.join(".git").exists())?;
    let exclude = work_tree.join(".git/info/exclude");
    let mut level = Arc::new(Level { matchers: read_files(work_tree, &[exclude]), parent: None });
    // From the work tree down to the root's parent; the root reads its own files itself.
    let mut between: Vec<&Path> =
        root.ancestors().skip(1).take_while(|a| a.starts_with(work_tree)).collect();
    between.reverse();
    for dir in between {
        level = Arc::new(Level { matchers: read_dir_ignores(dir), parent: Some(level) });
    }
    Some(level)
}

fn read_dir_ignores(dir: &Path) -> Vec<Gitignore> {
    let files: Vec<PathBuf> = IGNORE_FILES.iter().map(|name| dir.join(name)).collect();
    read_files(dir, &files)
}

/// One matcher per file that exists and is a regular file (not a link), rooted at `dir`. A line
/// that does not parse is left out by the builder; the rest of the file still applies.
fn read_files(dir: &Path, files: &[PathBuf]) -> Vec<Gitignore> {
    files
        .iter()
        .filter(|f| std::fs::symlink_metadata(f).is_ok_and(|m| m.is_file()))
        .filter_map(|f| {
            let mut builder = GitignoreBuilder::new(dir);
            let _ = builder.add(f);
            builder.build().ok().filter(|g| !g.is_empty())
        })
        .collect()
}

fn absolute(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    // `a/./b` and `a/b` must be the same directory for the cache and for matching.
    absolute.components().filter(|c| !matches!(c, std::path::Component::CurDir)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn deeper_and_stronger_files_decide() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        write(&root, ".gitignore", "*.log\nbuild/\n");
        write(&root, "sub/.gitignore", "!keep.log\n");
        write(&root, "sub/.leakhoundignore", "secret.txt\n");
        let ignores = Ignores::new(std::slice::from_ref(&root));
        assert!(ignores.ignored(&root.join("a.log"), false));
        assert!(ignores.ignored(&root.join("build"), true));
        assert!(!ignores.ignored(&root.join("sub/keep.log"), false), "a deeper file re-includes");
        assert!(ignores.ignored(&root.join("sub/other.log"), false));
        assert!(ignores.ignored(&root.join("sub/secret.txt"), false));
        assert!(!ignores.ignored(&root.join("main.rs"), false));
    }

    #[test]
    fn the_per_thread_shortcut_answers_like_the_shared_cache() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        write(&root, ".gitignore", "*.log\n");
        write(&root, "sub/.gitignore", "!keep.log\nbuild/\n");
        let ignores = Ignores::new(std::slice::from_ref(&root));
        let mut last = None;
        for (rel, is_dir) in [
            ("a.log", false),
            ("main.rs", false),
            ("sub/keep.log", false),
            ("sub/other.log", false),
            ("sub/build", true),
            ("sub/./x.log", false),
            ("a.log", false),
        ] {
            let path = root.join(rel);
            let want = ignores.ignored(&path, is_dir);
            assert_eq!(ignores.ignored_with(&mut last, &path, is_dir), want, "{rel}");
        }
        assert!(ignores.ignored_with(&mut last, &root.join("sub/other.log"), false));
        assert!(!ignores.ignored_with(&mut last, &root.join("sub/keep.log"), false));
    }

    #[test]
    fn ignore_files_above_the_root_apply_only_inside_a_work_tree() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), ".gitignore", "*.env\n");
        let root = dir.path().join("checkout");
        write(&root, "app.env", "x");
        let outside = Ignores::new(std::slice::from_ref(&root));
        assert!(!outside.ignored(&root.join("app.env"), false), "a stranger's file above the root");

        std::fs::create_dir_all(dir.path().join(".git/info")).unwrap();
        write(dir.path(), ".git/info/exclude", "*.tmp\n");
        let inside = Ignores::new(std::slice::from_ref(&root));
        assert!(
            inside.ignored(&root.join("app.env"), false),
            "the work tree's own .gitignore applies"
        );
        assert!(inside.ignored(&root.join("x.tmp"), false), "and its info/exclude");
    }

    #[cfg(unix)]
    #[test]
    fn an_ignore_file_that_is_a_symlink_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "elsewhere", "*\n");
        let root = dir.path().join("root");
        std::fs::create_dir_all(&root).unwrap();
        std::os::unix::fs::symlink(dir.path().join("elsewhere"), root.join(".gitignore")).unwrap();
        assert!(!Ignores::new(std::slice::from_ref(&root)).ignored(&root.join("a.txt"), false));
    }
}
