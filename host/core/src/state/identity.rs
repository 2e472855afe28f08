//! Noticing that the store on disk is not the one this site had.
//!
//! A store that is replaced behind sluice's back (a file truncated to 0 bytes, a restore that
//! went wrong, a write-ahead log deleted before it was folded in) opens as a new, empty store:
//! acknowledged alerts are gone without a word, and because correlation ids carry the store's
//! id, polling the same records again opens a second incident for each. So the delivering
//! host keeps the id of the store it runs on in a file beside it (the store's path with `.id`
//! added) and refuses a store whose id differs. Starting afresh stays possible, as the
//! operator's explicit choice: delete that file.

use std::path::{Path, PathBuf};

use super::{Store, StoreError};
use crate::file::read_regular_file;

/// The most a marker file is read: it holds one id.
const MARKER_LIMIT: u64 = 4096;

/// Checks that `store` is the store this site ran on, and records it as such.
///
/// # Errors
///
/// [`StoreError::Replaced`] when the marker beside the store names another store;
/// [`StoreError::Lock`] when the marker cannot be read or written.
pub fn check_identity(store: &Store) -> Result<(), StoreError> {
    let marker = marker_path(store.path());
    let io = |error: std::io::Error| StoreError::Lock {
        path: marker.clone(),
        error,
    };
    if marker.exists() {
        let recorded = read_regular_file(&marker, MARKER_LIMIT)
            .map_err(|e| io(std::io::Error::other(e.to_string())))?;
        let recorded = recorded.trim();
        if recorded == store.id() {
            return Ok(());
        }
        return Err(StoreError::Replaced {
            store: store.path().to_owned(),
            marker,
            recorded: recorded.chars().take(64).collect(),
            found: store.id().to_owned(),
        });
    }
    std::fs::write(&marker, format!("{}\n", store.id())).map_err(io)
}

/// The marker of the store at `store`.
fn marker_path(store: &Path) -> PathBuf {
    let mut name = store.as_os_str().to_owned();
    name.push(".id");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Durability;

    #[test]
    fn a_store_replaced_by_an_empty_file_is_refused_until_the_operator_chooses_afresh() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let store = Store::open(&path, Durability::Normal).unwrap();
        check_identity(&store).expect("the first run records the store");
        check_identity(&store).expect("the same store again");
        drop(store);

        // The disk was reset: the file is there, empty.
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        std::fs::write(&path, b"").unwrap();
        let store = Store::open(&path, Durability::Normal).unwrap();
        match check_identity(&store) {
            Err(e @ StoreError::Replaced { .. }) => {
                let message = e.to_string();
                assert!(
                    message.contains("is not the store this site ran on"),
                    "{message}"
                );
                assert!(message.contains("state.db.id"), "{message}");
            }
            other => panic!("a replaced store must be refused: {other:?}"),
        }

        // Starting afresh, knowingly.
        std::fs::remove_file(marker_path(&path)).unwrap();
        check_identity(&store).expect("a fresh start once the marker is gone");
    }
}
