//! Noticing that the store on disk is not the one this site had, or is an older copy of it.
//!
//! A store that is replaced behind sluice's back (a file truncated to 0 bytes, a restore that
//! went wrong, a write-ahead log deleted before it was folded in) opens as a new, empty store:
//! acknowledged alerts are gone without a word, and because correlation ids carry the store's
//! id, polling the same records again opens a second incident for each. So the delivering
//! host keeps the id of the store it runs on in a file beside it (the store's path with `.id`
//! added) and refuses a store whose id differs.
//!
//! A store can also keep its id and lose its history: a backup restored over a newer store.
//! So the store counts generations (`meta.generation`), and at every checkpoint (start, clean
//! stop, and every `[state] checkpoint_interval` while it runs) the host adds one, folds the
//! write-ahead log into the database file (synced) and then records the generation in the
//! marker too. The marker never runs ahead of what the file durably holds, so a store whose
//! generation is below the marker's is an older copy, whatever the durability setting; one
//! that lost only what it held since the last checkpoint is not noticed (see the README's
//! guarantees).
//!
//! Starting afresh stays possible, as the operator's explicit choice: delete the marker.

use std::path::{Path, PathBuf};

use super::{db, Store, StoreError};
use crate::file::read_regular_file;

/// The most a marker file is read: it holds an id and a generation.
const MARKER_LIMIT: u64 = 4096;

/// What the marker beside a store records.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Marker {
    id: String,
    /// Absent in a marker an older sluice wrote.
    generation: Option<u64>,
}

impl Marker {
    fn parse(text: &str) -> Marker {
        let mut lines = text.lines().map(str::trim);
        let id = lines.next().unwrap_or_default().to_owned();
        let generation = lines
            .find_map(|l| l.strip_prefix("generation "))
            .and_then(|g| g.trim().parse().ok());
        Marker { id, generation }
    }
}

/// Checks that `store` is the store this site ran on, and no older copy of it; then records
/// it as such, a generation on ([`record_progress`]).
///
/// # Errors
///
/// [`StoreError::Replaced`] when the marker beside the store names another store;
/// [`StoreError::Rewound`] when it records a later generation than the store's;
/// [`StoreError::Lock`] when the marker cannot be read or written.
pub fn check_identity(store: &mut Store) -> Result<(), StoreError> {
    // A PostgreSQL store has no file to be reset or replaced beside sluice: keeping it
    // durable (replication, backups) is the database's job.
    let Some(path) = store.path().map(Path::to_path_buf) else {
        return Ok(());
    };
    let marker = marker_path(&path);
    if marker.exists() {
        let text = read_regular_file(&marker, MARKER_LIMIT).map_err(|e| StoreError::Lock {
            path: marker.clone(),
            error: std::io::Error::other(e.to_string()),
        })?;
        let recorded = Marker::parse(&text);
        if recorded.id != store.id() {
            return Err(StoreError::Replaced {
                store: path.clone(),
                marker,
                recorded: recorded.id.chars().take(64).collect(),
                found: store.id().to_owned(),
            });
        }
        let found = generation(store)?;
        if let Some(recorded) = recorded.generation.filter(|g| *g > found) {
            return Err(StoreError::Rewound {
                store: path.clone(),
                marker,
                recorded,
                found,
            });
        }
    }
    record_progress(store)
}

/// Records that `store` durably holds what it holds now: its generation goes up by one, the
/// write-ahead log is folded into the database file, and only then the marker records the
/// new generation. When a reader keeps the log from being folded in, the marker keeps the
/// generation before, which is still true.
///
/// # Errors
///
/// The store or the marker cannot be written.
pub fn record_progress(store: &mut Store) -> Result<(), StoreError> {
    let Some(path) = store.path().map(Path::to_path_buf) else {
        return Ok(());
    };
    let name = store.name().to_owned();
    let sqlite = StoreError::database(&name);
    let generation = store.write(|tx| {
        tx.value::<i64>(
            "INSERT INTO meta (key, value) VALUES ('generation', '1') \
             ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(meta.value AS BIGINT) + 1 AS TEXT) \
             RETURNING CAST(value AS BIGINT)",
            db::args![],
        )
    })?;
    let busy: i64 = store
        .sqlite()
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))
        .map_err(sqlite)?;
    let recorded = if busy == 0 {
        Some(u64::try_from(generation).unwrap_or(0))
    } else {
        None
    };
    write_marker(store, &path, recorded)
}

/// Writes the marker beside the store at `path`: the store's id, and `generation` if given,
/// else the one recorded before.
fn write_marker(store: &Store, path: &Path, generation: Option<u64>) -> Result<(), StoreError> {
    let marker = marker_path(path);
    let io = |error: std::io::Error| StoreError::Lock {
        path: marker.clone(),
        error,
    };
    let generation = generation.or_else(|| {
        read_regular_file(&marker, MARKER_LIMIT)
            .ok()
            .and_then(|text| Marker::parse(&text).generation)
    });
    let mut text = format!("{}\n", store.id());
    if let Some(generation) = generation {
        text.push_str(&format!("generation {generation}\n"));
    }
    // Whole or not at all: a marker cut short by a crash would refuse the store.
    let staged = marker.with_extension("id.new");
    std::fs::write(&staged, text).map_err(io)?;
    std::fs::rename(&staged, &marker).map_err(io)
}

/// The store's generation: 0 for a store no host has recorded yet.
fn generation(store: &Store) -> Result<u64, StoreError> {
    let value: Option<i64> = store
        .sqlite()
        .query_row(
            "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'generation'",
            [],
            |r| r.get(0),
        )
        .ok();
    Ok(value.and_then(|v| u64::try_from(v).ok()).unwrap_or(0))
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
        let mut store = Store::open(&path, Durability::Normal).unwrap();
        check_identity(&mut store).expect("the first run records the store");
        check_identity(&mut store).expect("the same store again");
        drop(store);

        // The disk was reset: the file is there, empty.
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        std::fs::write(&path, b"").unwrap();
        let mut store = Store::open(&path, Durability::Normal).unwrap();
        match check_identity(&mut store) {
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
        check_identity(&mut store).expect("a fresh start once the marker is gone");
    }

    #[test]
    fn an_older_copy_of_the_store_is_refused_until_the_operator_chooses_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let backup = dir.path().join("backup.db");
        let mut store = Store::open(&path, Durability::Normal).unwrap();
        check_identity(&mut store).expect("the first start");
        drop(store);
        // A backup of the stopped store, then more starts and stops.
        std::fs::copy(&path, &backup).unwrap();
        for _ in 0..2 {
            let mut store = Store::open(&path, Durability::Normal).unwrap();
            check_identity(&mut store).expect("the same store");
            record_progress(&mut store).expect("a clean stop");
        }
        assert!(std::fs::read_to_string(marker_path(&path))
            .unwrap()
            .contains("generation 5"));

        // The backup restored over it: the same id, an older generation.
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        std::fs::copy(&backup, &path).unwrap();
        let mut store = Store::open(&path, Durability::Normal).unwrap();
        match check_identity(&mut store) {
            Err(e @ StoreError::Rewound { .. }) => {
                let message = e.to_string();
                assert!(message.contains("generation 1"), "{message}");
                assert!(message.contains("generation 5"), "{message}");
                assert!(message.contains("`start`"), "{message}");
            }
            other => panic!("an older copy must be refused: {other:?}"),
        }
        std::fs::remove_file(marker_path(&path)).unwrap();
        check_identity(&mut store).expect("going on with it, knowingly");
    }

    #[test]
    fn a_marker_without_a_generation_is_taken_as_an_older_sluice_wrote_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let mut store = Store::open(&path, Durability::Normal).unwrap();
        std::fs::write(marker_path(&path), format!("{}\n", store.id())).unwrap();
        check_identity(&mut store).expect("an older marker");
        assert!(std::fs::read_to_string(marker_path(&path))
            .unwrap()
            .contains("generation 1"));
    }
}
