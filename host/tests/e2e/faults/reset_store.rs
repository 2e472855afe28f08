//! A state store reset behind sluice's back (the file truncated to 0 bytes, its write-ahead
//! log gone). It used to open as a new, empty store: acknowledged alerts were lost without a
//! word, and polling the same records again opened a second incident for each. Now `sluice
//! run` refuses it, saying what happened and how to start afresh knowingly.

use super::{alerts, NAMES};
use crate::support::{tail, write_lockouts, Site, BRISK};

#[test]
fn a_store_reset_to_an_empty_file_is_refused_and_opens_nothing() {
    let site = Site::new(&[BRISK]);
    let rids = write_lockouts(&site.auditor, "reset", 8);
    let host = site.run().start();
    site.queue(&alerts(&rids, &NAMES));
    host.wait_settled(8);
    host.stop().assert_clean();
    let incidents = site.incidents().len();

    let store = site.dir().join("state.db");
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", store.display()));
    }
    std::fs::write(&store, b"").unwrap();

    let refused = site.run().spawn().wait();
    assert_eq!(refused.code, Some(1), "{}", tail(&refused.log));
    for words in ["is not the store this site ran on", "state.db.id"] {
        assert!(refused.log.contains(words), "{}", tail(&refused.log));
    }
    assert_eq!(site.incidents().len(), incidents, "nothing opened again");

    // Starting afresh is the operator's explicit choice.
    std::fs::remove_file(site.dir().join("state.db.id")).unwrap();
    site.run().start().stop().assert_clean();
}

/// A backup restored over a newer store keeps the store's id and loses what came after it:
/// `sluice run` refuses it as an older copy.
#[test]
fn a_backup_restored_over_a_newer_store_is_refused_and_opens_nothing() {
    let site = Site::new(&[BRISK]);
    let rids = write_lockouts(&site.auditor, "restored", 8);
    let store = site.dir().join("state.db");
    let backup = site.dir().join("backup.db");

    let host = site.run().start();
    site.queue(&alerts(&rids[..4], &NAMES));
    host.wait_settled(4);
    host.stop().assert_clean();
    std::fs::copy(&store, &backup).unwrap();
    let host = site.run().start();
    site.queue(&alerts(&rids[4..], &NAMES));
    host.wait_settled(8);
    host.stop().assert_clean();
    let incidents = site.incidents().len();

    restore_and_expect_refusal(&site, &backup, incidents);
}

/// Restores `backup` over the site's store, as an operator would: `sluice run` refuses it as
/// an older copy, says what to do, and opens no incident beyond the `incidents` there were.
fn restore_and_expect_refusal(site: &Site, backup: &std::path::Path, incidents: usize) {
    let store = site.dir().join("state.db");
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", store.display()));
    }
    std::fs::copy(backup, &store).unwrap();
    let refused = site.run().spawn().wait();
    assert_eq!(refused.code, Some(1), "{}", tail(&refused.log));
    for words in [
        "is an older copy of the store this site ran on",
        "state.db.id",
        "`start`",
    ] {
        assert!(
            refused.log.contains(words),
            "{words}: {}",
            tail(&refused.log)
        );
    }
    assert_eq!(site.incidents().len(), incidents, "nothing opened again");
}

#[test]
fn a_store_that_is_no_database_is_refused_at_start_saying_what_to_do() {
    let site = Site::new(&[BRISK]);
    std::fs::write(
        site.dir().join("state.db"),
        "this is not a SQLite database, but it is long enough to be read as one: \
         SQLite looks at the first hundred bytes of the header before it says so"
            .repeat(20),
    )
    .unwrap();
    for flags in [&[][..], &["--require-healthy"][..]] {
        let refused = site.run().args(flags).spawn().wait();
        assert_eq!(refused.code, Some(1), "{}", tail(&refused.log));
        assert!(
            refused
                .log
                .contains("is not a sluice state store or is damaged: restore it from a backup"),
            "{}",
            tail(&refused.log)
        );
    }
}

/// The generation the marker beside `store` records.
fn recorded_generation(store: &std::path::Path) -> u64 {
    std::fs::read_to_string(format!("{}.id", store.display()))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("generation "))
        .and_then(|g| g.trim().parse().ok())
        .unwrap_or(0)
}

/// A backup taken while the host ran, after it started: once the host has checkpointed the
/// store since (`[state] checkpoint_interval`), the backup is an older copy, refused at the
/// next start, even when the host was killed and no clean stop recorded anything.
#[test]
fn a_backup_taken_while_the_host_ran_is_refused_once_a_checkpoint_passed_it() {
    let site = Site::new(&[BRISK, "[state]\ncheckpoint_interval = \"1s\""]);
    let rids = write_lockouts(&site.auditor, "restored", 8);
    let store = site.dir().join("state.db");
    let backup = site.dir().join("backup.db");

    let host = site.run().start();
    site.queue(&alerts(&rids[..4], &NAMES));
    host.wait_settled(4);
    // A consistent copy of the live store, as a backup tool takes it.
    let at_backup = recorded_generation(&store);
    rusqlite::Connection::open(&store)
        .unwrap()
        .execute("VACUUM INTO ?1", [backup.to_str().unwrap()])
        .unwrap();
    site.queue(&alerts(&rids[4..], &NAMES));
    host.wait_settled(8);
    host.wait_until("a checkpoint after the backup", || {
        recorded_generation(&store) > at_backup
    });
    host.kill();
    restore_and_expect_refusal(&site, &backup, site.incidents().len());
}
