//! Reading a provider's file without blocking and without unbounded growth.
//!
//! Java opens whatever the reference names: a FIFO blocks the reading thread forever and
//! `/dev/zero` grows the heap until the worker dies. Here the file is opened with
//! `O_NONBLOCK` (so opening a FIFO returns at once), `fstat` admits only regular files,
//! and at most `limit + 1` bytes are read.

use std::fs::OpenOptions;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// Why a file could not be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// Not a regular file; the kind it is ("FIFO", "directory", ...).
    NotRegular(&'static str),
    /// Longer than the limit.
    TooLarge,
    Io(std::io::Error),
}

/// What a non-regular file is, for the error.
fn kind(t: std::fs::FileType) -> &'static str {
    if t.is_dir() {
        "directory"
    } else if t.is_fifo() {
        "FIFO"
    } else if t.is_char_device() {
        "character device"
    } else if t.is_block_device() {
        "block device"
    } else if t.is_socket() {
        "socket"
    } else if t.is_symlink() {
        "symbolic link"
    } else {
        "special file"
    }
}

/// The whole content of the regular file `path` (already resolved: symlinks are not
/// followed), if it holds at most `limit` bytes.
pub(crate) fn read_regular_file(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let mut file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            // O_NOFOLLOW on a symlink: the path changed since it was resolved.
            Some(libc::ELOOP) => ReadError::NotRegular("symbolic link"),
            // Opening a Unix socket.
            Some(libc::ENXIO) => ReadError::NotRegular("socket"),
            _ => ReadError::Io(e),
        })?;
    // fstat on the open descriptor: what was opened, not what the name pointed at before.
    let t = file.metadata().map_err(ReadError::Io)?.file_type();
    if !t.is_file() {
        return Err(ReadError::NotRegular(kind(t)));
    }
    // Files under /proc report size 0, so the limit is enforced on what is read.
    let mut bytes = Vec::new();
    (&mut file)
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge);
    }
    Ok(bytes)
}

/// Whether `path` (following symlinks) is a regular file, without opening it.
pub(crate) fn is_regular_file(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fifo(path: &Path) {
        let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: `c` is a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    }

    #[test]
    fn reads_a_regular_file_up_to_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, "12345").unwrap();
        assert_eq!(read_regular_file(&f, 5).unwrap(), b"12345");
        assert!(matches!(read_regular_file(&f, 4), Err(ReadError::TooLarge)));
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pipe");
        fifo(&p);
        // Without O_NONBLOCK this open would wait for a writer forever.
        assert!(matches!(
            read_regular_file(&p, 10),
            Err(ReadError::NotRegular("FIFO"))
        ));
    }

    #[test]
    fn devices_directories_and_proc_are_handled() {
        assert!(matches!(
            read_regular_file(Path::new("/dev/zero"), 1 << 20),
            Err(ReadError::NotRegular("character device"))
        ));
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            read_regular_file(dir.path(), 10),
            Err(ReadError::NotRegular("directory"))
        ));
        // /proc files claim size 0: the cap holds on what is actually read.
        assert!(matches!(
            read_regular_file(Path::new("/proc/self/maps"), 8),
            Err(ReadError::TooLarge)
        ));
    }

    #[test]
    fn a_symlink_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f"), "x").unwrap();
        std::os::unix::fs::symlink(dir.path().join("f"), dir.path().join("l")).unwrap();
        assert!(matches!(
            read_regular_file(&dir.path().join("l"), 10),
            Err(ReadError::NotRegular("symbolic link"))
        ));
        assert!(is_regular_file(&dir.path().join("l")));
        assert!(!is_regular_file(dir.path()));
    }

    #[test]
    fn a_socket_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sock");
        let _listener = std::os::unix::net::UnixListener::bind(&p).unwrap();
        assert!(matches!(
            read_regular_file(&p, 10),
            Err(ReadError::NotRegular("socket"))
        ));
    }
}
