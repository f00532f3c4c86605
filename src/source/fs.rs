//! Files and directories: a parallel walk with the `ignore` crate.
//!
//! Policy (issue #2):
//! - hidden files are scanned (`.env`!); `.git` directories and `.git` files are skipped;
//! - `.gitignore`, `.ignore` and `.leakhoundignore` are honoured (also outside git repositories),
//!   unless `--no-ignore`;
//! - files named like credential stores ([`CREDENTIAL_FILE_GLOBS`]) are scanned even when a
//!   gitignore pattern excludes them. This is a second walk whose overrides whitelist exactly those
//!   names: directories excluded by gitignore are still not entered (that is what `--no-ignore` is
//!   for), but a gitignored `.env` next to the code is found;
//! - symbolic links are never followed, FIFOs, sockets and devices are never opened: they are
//!   counted as skipped. Files are opened with `O_NOFOLLOW | O_NONBLOCK` and checked to be regular
//!   after opening, so a file swapped for a symlink or FIFO mid-scan cannot redirect or block us.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use ignore::overrides::OverrideBuilder;
use ignore::{WalkBuilder, WalkState};

/// Names of files that hold credentials by purpose; gitignore never hides them.
pub const CREDENTIAL_FILE_GLOBS: &[&str] = &[
    ".env",
    ".env.*",
    "*.env",
    ".envrc",
    "*.pem",
    "*.key",
    "*.ppk",
    "*.p8",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    "credentials",
    "credentials.*",
    "*credentials*.json",
    ".npmrc",
    ".pypirc",
    ".netrc",
    "_netrc",
    ".git-credentials",
    ".dockercfg",
    ".pgpass",
    ".my.cnf",
    ".s3cfg",
    ".boto",
    ".htpasswd",
    "*.tfvars",
    "*.tfstate",
    "secrets.yml",
    "secrets.yaml",
    "secrets.json",
    ".secrets",
    "*.secret",
    "*.secrets",
];

/// Path suffixes (directory + name) of credential stores with generic names.
const CREDENTIAL_PATH_SUFFIXES: &[&str] = &[".docker/config.json", ".kube/config", ".aws/credentials"];

/// What the walk found.
#[derive(Debug)]
pub enum Visit {
    /// A regular file to scan.
    File(PathBuf),
    /// Something that is deliberately not read.
    Skipped(PathBuf, SkipReason),
    /// A directory or file that could not be listed.
    Error(Option<PathBuf>, String),
}

pub use crate::outcome::SkipReason;

/// How to walk.
#[derive(Debug, Clone)]
pub struct WalkOptions {
    /// Ignore `.gitignore` and friends.
    pub no_ignore: bool,
    /// Worker threads.
    pub threads: usize,
}

/// Matches credential-store file names.
#[derive(Debug)]
pub struct CredentialNames {
    names: GlobSet,
}

impl Default for CredentialNames {
    fn default() -> Self {
        let mut builder = GlobSetBuilder::new();
        for glob in CREDENTIAL_FILE_GLOBS {
            builder.add(Glob::new(glob).expect("credential globs are valid"));
        }
        CredentialNames { names: builder.build().expect("credential globs are valid") }
    }
}

impl CredentialNames {
    /// Whether `path` names a credential store.
    pub fn matches(&self, path: &Path) -> bool {
        let by_name = path.file_name().is_some_and(|name| self.names.is_match(name));
        by_name || CREDENTIAL_PATH_SUFFIXES.iter().any(|suffix| path.ends_with(suffix))
    }
}

/// Walks `paths`, calling a per-thread visitor for every entry. Blocks until done.
pub fn walk<'s, F>(paths: &[PathBuf], options: &WalkOptions, make_visitor: F)
where
    F: Fn() -> Box<dyn FnMut(Visit) + Send + 's> + Sync,
{
    if paths.is_empty() {
        return;
    }
    let credentials = CredentialNames::default();
    let main = builder(paths, options).build_parallel();
    main.run(|| {
        let mut visit = make_visitor();
        let credentials = &credentials;
        let no_ignore = options.no_ignore;
        Box::new(move |entry| {
            // With ignores on, credential stores inside directories are all visited by the second
            // walk; paths named on the command line (depth 0) only by this one.
            let skip = |p: &Path, depth: usize| !no_ignore && depth > 0 && credentials.matches(p);
            handle(entry, &mut visit, &skip, true)
        })
    });
    if options.no_ignore {
        return;
    }
    let mut second = builder(paths, options);
    second.overrides(credential_overrides(&paths[0]));
    second.build_parallel().run(|| {
        let mut visit = make_visitor();
        // Errors (a missing path, an unreadable directory) were already reported by the first walk.
        // Paths named on the command line (depth 0) were visited by the first walk.
        Box::new(move |entry| handle(entry, &mut visit, &|_, depth| depth == 0, false))
    });
}

fn builder(paths: &[PathBuf], options: &WalkOptions) -> WalkBuilder {
    let mut builder = WalkBuilder::new(&paths[0]);
    for path in &paths[1..] {
        builder.add(path);
    }
    builder
        .hidden(false)
        .follow_links(false)
        .require_git(false)
        .git_ignore(!options.no_ignore)
        .git_global(!options.no_ignore)
        .git_exclude(!options.no_ignore)
        .ignore(!options.no_ignore)
        .parents(!options.no_ignore)
        .threads(options.threads)
        .filter_entry(|entry| entry.file_name() != ".git");
    if !options.no_ignore {
        builder.add_custom_ignore_filename(".leakhoundignore");
    }
    builder
}

fn credential_overrides(root: &Path) -> ignore::overrides::Override {
    let mut overrides = OverrideBuilder::new(root);
    for glob in CREDENTIAL_FILE_GLOBS {
        overrides.add(glob).expect("credential globs are valid");
    }
    for suffix in CREDENTIAL_PATH_SUFFIXES {
        overrides.add(&format!("**/{suffix}")).expect("credential globs are valid");
    }
    overrides.build().expect("credential globs are valid")
}

fn handle(
    entry: Result<ignore::DirEntry, ignore::Error>,
    visit: &mut Box<dyn FnMut(Visit) + Send + '_>,
    skip: &dyn Fn(&Path, usize) -> bool,
    report_errors: bool,
) -> WalkState {
    let entry = match entry {
        Ok(entry) => entry,
        Err(err) => {
            if report_errors {
                visit(Visit::Error(error_path(&err), error_message(&err)));
            }
            return WalkState::Continue;
        }
    };
    let Some(file_type) = entry.file_type() else {
        return WalkState::Continue; // stdin is never passed to the walker
    };
    let depth = entry.depth();
    let path = entry.into_path();
    if file_type.is_dir() {
        return WalkState::Continue;
    }
    if skip(&path, depth) {
        return WalkState::Continue;
    }
    if file_type.is_symlink() {
        visit(Visit::Skipped(path, SkipReason::Symlink));
    } else if file_type.is_file() {
        visit(Visit::File(path));
    } else {
        visit(Visit::Skipped(path, SkipReason::Special));
    }
    WalkState::Continue
}

/// The error without the path prefix `ignore` adds (the path is reported separately).
fn error_message(err: &ignore::Error) -> String {
    match err {
        ignore::Error::WithPath { err, .. } | ignore::Error::WithDepth { err, .. } => error_message(err),
        other => other.to_string(),
    }
}

fn error_path(err: &ignore::Error) -> Option<PathBuf> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => error_path(err),
        _ => None,
    }
}

/// Opens a file for scanning without following a symlink or blocking on a FIFO; `Ok(None)` when
/// the path is no longer a regular file. Returns the file and its size.
pub fn open_regular(path: &Path) -> io::Result<Option<(File, u64)>> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = match options.open(path) {
        Ok(file) => file,
        #[cfg(unix)]
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => return Ok(None),
        Err(e) => return Err(e),
    };
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Ok(None);
    }
    Ok(Some((file, meta.len())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_names_cover_the_usual_stores() {
        let names = CredentialNames::default();
        for path in [
            ".env",
            "app/.env.production",
            "deploy/prod.env",
            "keys/server.pem",
            "home/.ssh/id_rsa",
            "id_ed25519.pub",
            ".npmrc",
            "x/.git-credentials",
            "home/.docker/config.json",
            "infra/prod.tfvars",
        ] {
            assert!(names.matches(Path::new(path)), "{path}");
        }
        for path in ["src/main.rs", "config.json", "environment.ts", "README.md"] {
            assert!(!names.matches(Path::new(path)), "{path}");
        }
    }
}
