//! One store, one delivering host.
//!
//! Two hosts delivering from one store would each take the other's in-flight ticket actions
//! for a crash's leftovers and send them again: duplicate incidents. So a host that polls and
//! delivers holds an exclusive lock on a file beside the store (the store's path with `.lock`
//! added) for as long as it runs, and a second host refuses to start, naming the process that
//! holds it. The operating system releases the lock when the holder's process ends, however it
//! ends (a SIGKILL too), so a crash never leaves a stale lock behind. Writers that only queue
//! alerts (`sluice alert-response`) take no lock.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::StoreError;

/// The exclusive right to deliver from a store; released when dropped (or when the process
/// ends).
#[derive(Debug)]
pub struct DeliveryLock {
    /// Held open: closing it releases the lock.
    _file: File,
    path: PathBuf,
}

impl DeliveryLock {
    /// Takes the delivery lock of the store at `store`, or says who holds it.
    ///
    /// # Errors
    ///
    /// [`StoreError::InUse`] when another process holds it; [`StoreError::Lock`] when the
    /// lock file cannot be opened or locked.
    pub fn acquire(store: &Path) -> Result<DeliveryLock, StoreError> {
        let path = lock_path(store);
        let io = |error| StoreError::Lock {
            path: path.clone(),
            error,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut file = open(&path).map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(StoreError::InUse {
                    store: store.to_owned(),
                    holder: holder(&mut file),
                })
            }
            Err(TryLockError::Error(error)) => return Err(io(error)),
        }
        // Who holds it, for the refusal a second host prints.
        let about = format!(
            "process {} since {}",
            std::process::id(),
            jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ")
        );
        file.set_len(0)
            .and_then(|()| file.write_all(about.as_bytes()))
            .and_then(|()| file.sync_data())
            .map_err(io)?;
        Ok(DeliveryLock { _file: file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The lock file of the store at `store`.
fn lock_path(store: &Path) -> PathBuf {
    let mut name = store.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Opens (creating) the lock file, readable and writable by its owner only.
fn open(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// What the holder wrote about itself, if it is there yet and reads as such.
fn holder(file: &mut File) -> Option<String> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.take(200).read_to_string(&mut text).ok()?;
    let text = text.trim();
    let plausible = text.starts_with("process ")
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " :.-+TZ".contains(c));
    plausible.then(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_naming_the_holder_and_free_once_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("state.db");
        let first = DeliveryLock::acquire(&store).unwrap();
        assert_eq!(first.path(), dir.path().join("state.db.lock"));
        match DeliveryLock::acquire(&store) {
            Err(StoreError::InUse { holder, .. }) => {
                let holder = holder.expect("the holder is named");
                assert!(
                    holder.starts_with(&format!("process {} since ", std::process::id())),
                    "{holder}"
                );
            }
            other => panic!("a second lock must be refused: {other:?}"),
        }
        drop(first);
        DeliveryLock::acquire(&store).expect("free again once the holder is gone");
    }

    #[test]
    fn garbage_in_the_lock_file_is_not_repeated() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("state.db");
        let _first = DeliveryLock::acquire(&store).unwrap();
        std::fs::write(lock_path(&store), "secret\nline").unwrap();
        match DeliveryLock::acquire(&store) {
            Err(StoreError::InUse { holder, .. }) => assert_eq!(holder, None),
            other => panic!("{other:?}"),
        }
    }
}
