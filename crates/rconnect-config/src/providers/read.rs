//! Reading a provider's file without blocking and without unbounded growth.
//!
//! Java opens whatever the reference names: a FIFO blocks the reading thread forever and
//! `/dev/zero` grows the heap until the worker dies. Here the file is opened with
//! `O_NONBLOCK` (so opening a FIFO returns at once), `fstat` admits only regular files,
//! and at most `limit + 1` bytes are read. On Windows the file is opened without following
//! a symbolic link (`FILE_FLAG_OPEN_REPARSE_POINT`) and only a disk file is read
//! (`GetFileType`), so a named pipe or a device (`NUL`, `CON`, `COM1`) is refused.

use std::fs::{File, OpenOptions};
use std::io::Read;
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
#[cfg(unix)]
fn kind(t: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
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

/// What a non-regular file is, for the error.
#[cfg(windows)]
fn kind(t: std::fs::FileType) -> &'static str {
    if t.is_dir() {
        "directory"
    } else if t.is_symlink() {
        "symbolic link"
    } else {
        "special file"
    }
}

/// Opens `path` for reading without following a final symbolic link and without blocking.
#[cfg(unix)]
fn open_no_follow(path: &Path) -> Result<File, ReadError> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            // O_NOFOLLOW on a symlink: the path changed since it was resolved.
            Some(libc::ELOOP) => ReadError::NotRegular("symbolic link"),
            // Opening a Unix socket.
            Some(libc::ENXIO) => ReadError::NotRegular("socket"),
            _ => ReadError::Io(e),
        })
}

/// Opens `path` for reading without following a final symbolic link (or junction): the
/// link itself is opened, and refused below as not a regular file. Only a disk file is
/// kept: reading a named pipe may block and a device such as `CON` may never end.
#[cfg(windows)]
fn open_no_follow(path: &Path) -> Result<File, ReadError> {
    use std::os::windows::fs::OpenOptionsExt;
    use std::os::windows::io::AsRawHandle;
    use windows_sys::Win32::Storage::FileSystem::{
        GetFileType, FILE_FLAG_OPEN_REPARSE_POINT, FILE_TYPE_CHAR, FILE_TYPE_DISK, FILE_TYPE_PIPE,
    };
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(FILE_FLAG_OPEN_REPARSE_POINT)
        .open(path)
        .map_err(|e| {
            // Windows opens a directory only with FILE_FLAG_BACKUP_SEMANTICS; say what it is
            // rather than "access denied".
            match std::fs::symlink_metadata(path) {
                Ok(m) if m.is_dir() => ReadError::NotRegular("directory"),
                _ => ReadError::Io(e),
            }
        })?;
    // SAFETY: the handle is open (owned by `file`) for the duration of the call.
    match unsafe { GetFileType(file.as_raw_handle()) } {
        FILE_TYPE_DISK => Ok(file),
        FILE_TYPE_PIPE => Err(ReadError::NotRegular("named pipe")),
        FILE_TYPE_CHAR => Err(ReadError::NotRegular("character device")),
        _ => Err(ReadError::NotRegular("special file")),
    }
}

/// The whole content of the regular file `path` (already resolved: symlinks are not
/// followed), if it holds at most `limit` bytes.
pub(crate) fn read_regular_file(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let mut file = open_no_follow(path)?;
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

// The cases are Unix files (FIFOs, /dev, /proc, Unix sockets).
#[cfg(all(test, unix))]
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
