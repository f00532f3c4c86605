//! Opening a report file safely.
//!
//! A report path may lie inside the scanned tree, which is hostile: a symlink planted at that name
//! would make `-r report.json` overwrite whatever it points to, and a FIFO would block the scan
//! forever after all the work is done. So the file is opened without following a final symlink
//! (`O_NOFOLLOW`), without blocking (`O_NONBLOCK`: a FIFO with no reader fails at once), checked to
//! be a regular file after opening, and only then truncated. The user's own streams are the
//! exception, named as such: `/dev/stdout`, `/dev/stderr` and `/dev/fd/1`, `/dev/fd/2` (`-` never
//! reaches this function: it means stdout), and so is `/dev/null` (a report thrown away on
//! purpose, e.g. when only the exit status matters).

use std::fs::File;
use std::io;
use std::path::Path;

/// Paths that name the process's own output streams, or discard; opened as they are.
const STREAMS: &[&str] = &["/dev/stdout", "/dev/stderr", "/dev/fd/1", "/dev/fd/2", "/dev/null"];

/// Why a report file was not opened.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OutputError {
    /// The path is a symbolic link.
    #[error("{0} is a symbolic link; refusing to write a report through it")]
    Symlink(String),
    /// The path exists and is not a regular file (a FIFO, socket, device or directory).
    #[error("{0} is not a regular file; refusing to write a report to it")]
    NotRegular(String),
    /// The operating system refused.
    #[error("cannot open {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// Why.
        source: io::Error,
    },
}

/// Opens (creating or truncating) the regular file at `path` for a report.
pub(crate) fn open_report(path: &Path) -> Result<File, OutputError> {
    let file = open_unlinked(path)?;
    if !is_stream(path) {
        file.set_len(0)
            .map_err(|source| OutputError::Io { path: path.display().to_string(), source })?;
    }
    Ok(file)
}

/// Checks, before a scan, that a report can be written to `path`, with the same rules as
/// [`open_report`] and without truncating anything; a file that did not exist is created and
/// removed again, so a scan that then fails leaves nothing behind.
pub(crate) fn check_report(path: &Path) -> Result<(), OutputError> {
    let existed = path.symlink_metadata().is_ok();
    drop(open_unlinked(path)?);
    if !existed {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

fn is_stream(path: &Path) -> bool {
    STREAMS.iter().any(|s| path == Path::new(s))
}

/// Opens `path` for writing without following a final symlink or blocking, checked to be a
/// regular file (or one of the process's own streams); nothing is truncated.
fn open_unlinked(path: &Path) -> Result<File, OutputError> {
    let shown = || path.display().to_string();
    if is_stream(path) {
        return std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|source| OutputError::Io { path: shown(), source });
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC);
    }
    let file = match options.open(path) {
        Ok(file) => file,
        #[cfg(unix)]
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(OutputError::Symlink(shown()));
        }
        // A FIFO without a reader: opening it for writing without blocking fails with ENXIO.
        #[cfg(unix)]
        Err(e) if e.raw_os_error() == Some(libc::ENXIO) => {
            return Err(OutputError::NotRegular(shown()));
        }
        Err(e) if e.kind() == io::ErrorKind::IsADirectory => {
            return Err(OutputError::NotRegular(shown()));
        }
        Err(source) => return Err(OutputError::Io { path: shown(), source }),
    };
    let meta = file.metadata().map_err(|source| OutputError::Io { path: shown(), source })?;
    if !meta.is_file() {
        return Err(OutputError::NotRegular(shown()));
    }
    Ok(file)
}

#[cfg(all(test, unix))]
#[allow(clippy::disallowed_methods, reason = "test code")]
mod tests {
    use super::*;

    #[test]
    fn a_regular_file_is_created_or_truncated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        std::fs::write(&path, "old contents that are longer").unwrap();
        drop(open_report(&path).unwrap());
        assert_eq!(std::fs::read(&path).unwrap(), b"");
        let fresh = dir.path().join("new.json");
        drop(open_report(&fresh).unwrap());
        assert!(fresh.is_file());
    }

    #[test]
    fn dev_null_is_opened_as_it_is() {
        let null = Path::new("/dev/null");
        check_report(null).unwrap();
        drop(open_report(null).unwrap());
        let meta = null.symlink_metadata().unwrap();
        assert!(!meta.is_file(), "/dev/null is still a device");
    }

    #[test]
    fn a_symlink_is_refused_and_its_target_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("victim");
        std::fs::write(&target, "precious").unwrap();
        let link = dir.path().join("report.json");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(matches!(open_report(&link), Err(OutputError::Symlink(_))));
        assert_eq!(std::fs::read(&target).unwrap(), b"precious");
    }

    #[test]
    fn fifos_and_directories_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        // `unsafe` is denied crate-wide, so the FIFO is made with the `mkfifo` program.
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(made.success());
        assert!(matches!(open_report(&fifo), Err(OutputError::NotRegular(_))));
        assert!(matches!(open_report(dir.path()), Err(OutputError::NotRegular(_))));
    }
}
