//! Reading a file a user named: a config, an alert definition, a secret file, a CSV, an XML
//! settings file. Only a regular file is read, and only up to a limit, so that a FIFO never
//! blocks the reader (and with it the signal path of a running host) and `/dev/zero` never
//! fills its memory.
//!
//! The file is opened without blocking (`O_NONBLOCK`, which a FIFO honours and a regular file
//! ignores), its type is checked on the open file, so a path swapped between a check and the
//! open changes nothing, and at most the limit and one byte more is read, whatever size the
//! file claims (`/proc` files claim 0).

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The most read from a config or alert definition file: 16 MiB. A config with every
/// pipeline and template is a few KB; anything near this is not a config.
pub const CONFIG_FILE_LIMIT: u64 = 16 * 1024 * 1024;

/// Why a file was not read. Shown as is, it names the path; [`FileError::problem`] says what
/// is wrong without it, for a message that names the path already.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// Opening or reading failed.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// A directory, a FIFO, a device or a socket.
    #[error("{} is {kind}, not a regular file", path.display())]
    NotRegular {
        /// The file.
        path: PathBuf,
        /// What it is, with its article: "a FIFO".
        kind: &'static str,
    },
    /// More than the limit.
    #[error("{} is larger than {}, the most sluice reads from it", path.display(), size(*limit))]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit, in bytes.
        limit: u64,
    },
    /// Not UTF-8 (for [`read_regular_file`] only).
    #[error("{} is not UTF-8 text", path.display())]
    NotUtf8 {
        /// The file.
        path: PathBuf,
    },
}

impl FileError {
    /// What is wrong, without the path: "it is a FIFO, not a regular file".
    pub fn problem(&self) -> String {
        match self {
            FileError::Io { source, .. } => source.to_string(),
            FileError::NotRegular { kind, .. } => format!("it is {kind}, not a regular file"),
            FileError::TooLarge { limit, .. } => format!(
                "it is larger than {}, the most sluice reads from it",
                size(*limit)
            ),
            FileError::NotUtf8 { .. } => "it is not UTF-8 text".to_owned(),
        }
    }

    /// The kind of the I/O error, when opening or reading failed.
    pub fn io_kind(&self) -> Option<std::io::ErrorKind> {
        match self {
            FileError::Io { source, .. } => Some(source.kind()),
            _ => None,
        }
    }
}

/// The text of the regular file at `path`, at most `limit` bytes of UTF-8.
///
/// # Errors
///
/// When it cannot be opened or read, is not a regular file, is larger than `limit`, or is
/// not UTF-8.
pub fn read_regular_file(path: &Path, limit: u64) -> Result<String, FileError> {
    let bytes = read_regular_bytes(path, limit)?;
    String::from_utf8(bytes).map_err(|_| FileError::NotUtf8 {
        path: path.to_owned(),
    })
}

/// The content of the regular file at `path`, at most `limit` bytes.
///
/// # Errors
///
/// When it cannot be opened or read, is not a regular file, or is larger than `limit`.
pub fn read_regular_bytes(path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
    let io = |source| FileError::Io {
        path: path.to_owned(),
        source,
    };
    let file = open_without_blocking(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(FileError::NotRegular {
            path: path.to_owned(),
            kind: kind_of(&meta.file_type()),
        });
    }
    let too_large = || FileError::TooLarge {
        path: path.to_owned(),
        limit,
    };
    if meta.len() > limit {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

#[cfg(unix)]
fn open_without_blocking(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_without_blocking(path: &Path) -> std::io::Result<File> {
    File::open(path)
}

/// What a file that is not a regular file is, for "… is a FIFO, not a regular file".
fn kind_of(file_type: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    if file_type.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}

/// `limit` for people: "16 MiB", "64 KiB", "100 bytes".
fn size(limit: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    if limit >= MIB && limit.is_multiple_of(MIB) {
        format!("{} MiB", limit / MIB)
    } else if limit >= KIB && limit.is_multiple_of(KIB) {
        format!("{} KiB", limit / KIB)
    } else {
        format!("{limit} bytes")
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_regular_file_is_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.toml");
        std::fs::write(&path, "name = \"x\"\n").unwrap();
        assert_eq!(read_regular_file(&path, 11).unwrap(), "name = \"x\"\n");
        assert_eq!(read_regular_bytes(&path, 11).unwrap().len(), 11);
    }

    #[test]
    fn a_file_over_the_limit_is_refused_saying_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.toml");
        let file = File::create(&path).unwrap();
        file.set_len(CONFIG_FILE_LIMIT + 1).unwrap();
        let err = read_regular_file(&path, CONFIG_FILE_LIMIT).unwrap_err();
        assert!(matches!(err, FileError::TooLarge { .. }), "{err}");
        assert!(
            err.to_string().contains("big.toml is larger than 16 MiB"),
            "{err}"
        );
        std::fs::write(&path, "12345").unwrap();
        let err = read_regular_file(&path, 4).unwrap_err();
        assert_eq!(
            err.problem(),
            "it is larger than 4 bytes, the most sluice reads from it"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_file_that_claims_no_size_is_still_held_to_the_limit() {
        let path = Path::new("/proc/self/environ");
        assert_eq!(std::fs::metadata(path).unwrap().len(), 0);
        assert!(matches!(
            read_regular_bytes(path, 1),
            Err(FileError::TooLarge { .. })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fifo.toml");
        let made = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap();
        assert!(made.success());
        // Read on a thread: if it blocks, the test fails after the wait instead of hanging.
        let (tx, rx) = std::sync::mpsc::channel();
        let reading = path.clone();
        std::thread::spawn(move || {
            let _ = tx.send(read_regular_file(&reading, CONFIG_FILE_LIMIT).map(drop));
        });
        let err = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("reading a FIFO blocked")
            .unwrap_err();
        assert!(
            err.to_string()
                .ends_with("fifo.toml is a FIFO, not a regular file"),
            "{err}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn devices_and_directories_are_refused() {
        let err = read_regular_bytes(Path::new("/dev/zero"), CONFIG_FILE_LIMIT).unwrap_err();
        assert_eq!(
            err.to_string(),
            "/dev/zero is a character device, not a regular file"
        );
        let dir = tempfile::tempdir().unwrap();
        let err = read_regular_bytes(dir.path(), CONFIG_FILE_LIMIT).unwrap_err();
        assert_eq!(err.problem(), "it is a directory, not a regular file");
    }

    #[test]
    fn a_missing_file_keeps_its_io_error() {
        let err = read_regular_file(Path::new("/nonexistent/sluice.toml"), 10).unwrap_err();
        assert_eq!(err.io_kind(), Some(std::io::ErrorKind::NotFound));
        assert!(err
            .to_string()
            .starts_with("cannot read /nonexistent/sluice.toml: "));
    }

    #[test]
    fn text_that_is_not_utf8_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("latin1.toml");
        std::fs::write(&path, b"name = \"caf\xe9\"").unwrap();
        assert!(matches!(
            read_regular_file(&path, 100),
            Err(FileError::NotUtf8 { .. })
        ));
    }
}
