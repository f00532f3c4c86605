//! Files and directories: a parallel walk with the `ignore` crate.
//!
//! Policy:
//! - hidden files are scanned (`.env`!); `.git` directories and `.git` files are skipped;
//! - `.gitignore`, `.ignore` and `.leakhoundignore` are honoured (also outside git repositories),
//!   unless `--no-ignore` or `--strict`; which ones apply, above the root too, is
//!   [`super::ignores`]'s to say. Every ignored entry is reported as skipped (`ignored`): an
//!   ignored directory once, and not entered;
//! - files named like credential stores ([`CREDENTIAL_FILE_GLOBS`]) are scanned even when an
//!   ignore file excludes them (directories excluded are still not entered: that is what
//!   `--no-ignore` is for), so a gitignored `.env` next to the code is found;
//! - a path named on the command line is always read (ripgrep's rule): ignore files do not apply
//!   to it, and a symbolic link named there is read through;
//! - symbolic links met while walking are never followed, FIFOs, sockets and devices are never
//!   opened: they are counted as skipped. Files are opened with `O_NOFOLLOW | O_NONBLOCK` and checked to be regular
//!   after opening, so a file swapped for a symlink or FIFO mid-scan cannot redirect or block us.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use ignore::{WalkBuilder, WalkState};

use super::ignores::{Ignores, LastDir};

/// Names of files that hold credentials by purpose; gitignore never hides them.
pub(crate) const CREDENTIAL_FILE_GLOBS: &[&str] = &[
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
const CREDENTIAL_PATH_SUFFIXES: &[&str] =
    &[".docker/config.json", ".kube/config", ".aws/credentials"];

/// What the walk found.
#[derive(Debug)]
pub(crate) enum Visit {
    /// A regular file to scan.
    File(PathBuf),
    /// A symbolic link the user named on the command line: read through the link
    /// ([`open_named`]), as the user asked for it.
    Named(PathBuf),
    /// Something that is deliberately not read.
    Skipped(PathBuf, SkipReason),
    /// A directory or file that could not be listed.
    Error(Option<PathBuf>, String),
}

pub(crate) use crate::outcome::SkipReason;

/// How to walk.
#[derive(Debug, Clone)]
pub(crate) struct WalkOptions {
    /// Ignore `.gitignore` and friends.
    pub no_ignore: bool,
    /// Worker threads.
    pub threads: usize,
}

/// Whether `path` names a credential store.
///
/// The globs use `*` and literal characters only (a test holds them to that), so they are
/// matched directly: compiling them into a `GlobSet` cost a tenth of the start-up's
/// instructions, for a few dozen short names.
pub(crate) fn is_credential_store(path: &Path) -> bool {
    let by_name = path.file_name().is_some_and(|name| {
        let name = name.as_encoded_bytes();
        CREDENTIAL_FILE_GLOBS.iter().any(|glob| star_match(glob.as_bytes(), name))
    });
    by_name || CREDENTIAL_PATH_SUFFIXES.iter().any(|suffix| path.ends_with(suffix))
}

/// Whether `name` matches `glob`, where `*` stands for any run of bytes and every other byte for
/// itself.
fn star_match(glob: &[u8], name: &[u8]) -> bool {
    let Some(star) = glob.iter().position(|&b| b == b'*') else {
        return glob == name;
    };
    let (head, rest) = (&glob[..star], &glob[star + 1..]);
    name.strip_prefix(head)
        .is_some_and(|name| (0..=name.len()).any(|skip| star_match(rest, &name[skip..])))
}

/// Walks `paths`, calling a per-thread visitor for every entry. Blocks until done.
pub(crate) fn walk<'s, F>(paths: &[PathBuf], options: &WalkOptions, make_visitor: F)
where
    F: Fn() -> Box<dyn FnMut(Visit) + Send + 's> + Sync,
{
    if paths.is_empty() {
        return;
    }
    let ignores = (!options.no_ignore).then(|| Ignores::new(paths));
    builder(paths, options).build_parallel().run(|| {
        let mut visit = make_visitor();
        let mut policy = Policy { ignores: ignores.as_ref(), last_dir: None };
        Box::new(move |entry| handle(entry, &mut visit, &mut policy))
    });
}

fn builder(paths: &[PathBuf], options: &WalkOptions) -> WalkBuilder {
    let mut builder = WalkBuilder::new(&paths[0]);
    for path in &paths[1..] {
        builder.add(path);
    }
    // Ignore files are applied by [`Ignores`] in `handle`, so what they hide is counted.
    builder
        .standard_filters(false)
        .follow_links(false)
        .threads(options.threads)
        .filter_entry(|entry| entry.file_name() != ".git");
    builder
}

/// What decides, per entry, whether it is read.
struct Policy<'a> {
    /// `None` with `--no-ignore`.
    ignores: Option<&'a Ignores>,
    /// This thread's last directory ([`Ignores::ignored_with`]).
    last_dir: Option<LastDir>,
}

impl Policy<'_> {
    /// Whether an entry below a root is hidden by an ignore file (credential stores never are).
    fn ignored(&mut self, path: &Path, is_dir: bool) -> bool {
        let Some(ignores) = self.ignores else { return false };
        ignores.ignored_with(&mut self.last_dir, path, is_dir)
            && (is_dir || !is_credential_store(path))
    }
}

fn handle(
    entry: Result<ignore::DirEntry, ignore::Error>,
    visit: &mut Box<dyn FnMut(Visit) + Send + '_>,
    policy: &mut Policy<'_>,
) -> WalkState {
    let entry = match entry {
        Ok(entry) => entry,
        Err(err) => {
            visit(Visit::Error(error_path(&err), error_message(&err)));
            return WalkState::Continue;
        }
    };
    let Some(file_type) = entry.file_type() else {
        return WalkState::Continue; // stdin is never passed to the walker
    };
    let named = entry.depth() == 0;
    // The walker follows a root that is a link (its file type is the target's); say so.
    let named_link = named && std::fs::symlink_metadata(entry.path()).is_ok_and(|m| m.is_symlink());
    let path = entry.into_path();
    // A path the user named is read whatever the ignore files say (ripgrep's rule).
    if !named && policy.ignored(&path, file_type.is_dir()) {
        visit(Visit::Skipped(path, SkipReason::Ignored));
        return WalkState::Skip; // an ignored directory counts once and is not entered
    }
    if file_type.is_dir() {
        return WalkState::Continue;
    }
    if named_link || (named && file_type.is_symlink()) {
        visit(Visit::Named(path));
    } else if file_type.is_symlink() {
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
        ignore::Error::WithPath { err, .. } | ignore::Error::WithDepth { err, .. } => {
            error_message(err)
        }
        other => other.to_string(),
    }
}

fn error_path(err: &ignore::Error) -> Option<PathBuf> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        _ => None,
    }
}

/// Opens a file for scanning without following a symlink or blocking on a FIFO; `Ok(None)` when
/// the path is no longer a regular file. Returns the file and its size.
pub(crate) fn open_regular(path: &Path) -> io::Result<Option<(File, u64)>> {
    open_file(path, true)
}

/// Opens a path the user named, following a symbolic link (never blocking on a FIFO); `Ok(None)`
/// when it does not lead to a regular file.
pub(crate) fn open_named(path: &Path) -> io::Result<Option<(File, u64)>> {
    open_file(path, false)
}

fn open_file(path: &Path, no_follow: bool) -> io::Result<Option<(File, u64)>> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let follow = if no_follow { libc::O_NOFOLLOW } else { 0 };
        options.custom_flags(follow | libc::O_NONBLOCK);
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
    fn credential_globs_use_only_stars_and_match_like_globset() {
        let names = [
            ".env",
            ".env.local",
            "prod.env",
            ".envrc",
            "x.pem",
            "a.key",
            "id_rsa",
            "id_rsa.pub",
            "credentials",
            "credentials.json",
            "gcp-credentials-prod.json",
            "credentials.yml",
            "my.credentials.json.bak",
            "secrets.yml",
            "app.secret",
            "envrc",
            "env",
            "key",
            "xcredentials",
            "pem",
            ".pem",
            "a.tfvars.json",
            "id_ed25519",
            "x.secrets",
            "",
        ];
        for glob in CREDENTIAL_FILE_GLOBS {
            assert!(!glob.contains(['?', '[', ']', '{', '}', '\\', '/', '!']), "{glob}");
            let reference = globset::Glob::new(glob).unwrap().compile_matcher();
            for name in names {
                assert_eq!(
                    star_match(glob.as_bytes(), name.as_bytes()),
                    reference.is_match(name),
                    "{glob} vs {name:?}"
                );
            }
        }
    }

    #[test]
    fn credential_names_cover_the_usual_stores() {
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
            assert!(is_credential_store(Path::new(path)), "{path}");
        }
        for path in ["src/main.rs", "config.json", "environment.ts", "README.md"] {
            assert!(!is_credential_store(Path::new(path)), "{path}");
        }
    }
}
