//! The delivery lease on a real PostgreSQL server: one holder at a time, taken over only once
//! it lapsed or was released, each change of holder a higher epoch, and a fenced store that
//! commits nothing once its host's lease was taken over.

use std::time::Duration;

use sluice_core::store::alerts::{self, NewAlert, Origin};
use sluice_core::store::db::{args, DbError};
use sluice_core::store::lease::{self, Fence};
use sluice_core::{Store, StoreError, Timestamp};
use sluice_test_postgres::Cluster;

const LEASE: Duration = Duration::from_millis(400);

fn fence(lease: &lease::Lease) -> Fence {
    Fence {
        holder: lease.holder.clone(),
        epoch: lease.epoch,
    }
}

#[test]
fn one_holder_at_a_time_and_each_change_of_holder_a_higher_epoch() {
    let cluster = Cluster::start().unwrap();
    let a = Store::open_postgres(&cluster.url()).unwrap();
    let b = Store::open_postgres(&cluster.url()).unwrap();
    assert_eq!(lease::current(&a.db()).unwrap(), None);

    let first = lease::try_acquire(&a.db(), "host a", LEASE)
        .unwrap()
        .unwrap();
    assert_eq!(
        lease::try_acquire(&b.db(), "host b", LEASE).unwrap(),
        None,
        "a holds it"
    );
    let view = lease::current(&b.db()).unwrap().unwrap();
    assert!(view.is_live());
    assert_eq!(view.lease.holder, "host a");

    // Renewed, it outlives its first term.
    std::thread::sleep(LEASE / 2);
    assert!(lease::renew(&a.db(), &fence(&first), LEASE)
        .unwrap()
        .is_some());
    std::thread::sleep(LEASE / 2 + Duration::from_millis(50));
    assert_eq!(lease::try_acquire(&b.db(), "host b", LEASE).unwrap(), None);

    // Not renewed, it lapses and b takes it, one epoch on; a's renewal is refused.
    std::thread::sleep(LEASE + Duration::from_millis(50));
    let second = lease::try_acquire(&b.db(), "host b", LEASE)
        .unwrap()
        .unwrap();
    assert_eq!(second.epoch.get(), first.epoch.get() + 1);
    assert_eq!(lease::renew(&a.db(), &fence(&first), LEASE).unwrap(), None);

    // Released, it is free at once.
    assert!(lease::release(&b.db(), &fence(&second)).unwrap());
    let third = lease::try_acquire(&a.db(), "host a", LEASE)
        .unwrap()
        .unwrap();
    assert_eq!(third.epoch.get(), second.epoch.get() + 1);
    assert!(
        !lease::release(&b.db(), &fence(&second)).unwrap(),
        "b's is gone"
    );
}

fn alert(key: &str) -> NewAlert<'static> {
    NewAlert {
        pipeline: "p",
        dedupe_key: key.to_owned(),
        origin: Origin::Poll,
        alert_name: "A",
        auditor_alert_id: None,
        record_id: None,
        received_at: Timestamp::from_millis(1),
        record: Some("{}"),
        extra_records: None,
    }
}

#[test]
fn a_host_whose_lease_was_taken_over_commits_nothing() {
    let cluster = Cluster::start().unwrap();
    let mut paused = Store::open_postgres(&cluster.url()).unwrap();
    let mut standby = Store::open_postgres(&cluster.url()).unwrap();
    // A holder's description is written into the fence's query: quotes and backslashes in it
    // must still match.
    let old = lease::try_acquire(&paused.db(), r"host a, user o'brien\ops", LEASE)
        .unwrap()
        .unwrap();
    paused.set_fence(fence(&old));
    paused
        .write(|db| alerts::enqueue(db, &alert("before")))
        .unwrap();

    // Host a is paused past its lease; b takes over.
    std::thread::sleep(LEASE + Duration::from_millis(100));
    let new = lease::try_acquire(&standby.db(), "host b", LEASE)
        .unwrap()
        .unwrap();
    standby.set_fence(fence(&new));

    // a wakes and tries to commit what it decided before the pause.
    let err = paused
        .write(|db| alerts::enqueue(db, &alert("after")))
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Database { error: DbError::Fenced { epoch }, .. } if *epoch == old.epoch.get()),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("no longer holds the delivery lease"),
        "{err}"
    );
    standby
        .write(|db| alerts::enqueue(db, &alert("by b")))
        .unwrap();
    let keys: Vec<String> = standby
        .db()
        .query("SELECT dedupe_key FROM alerts ORDER BY id", args![], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(keys, ["before", "by b"]);
}

#[test]
fn a_takeover_waits_for_the_old_holders_transaction_to_end() {
    // The fence holds the lease's row while the old holder's transaction runs: the takeover
    // cannot slip in between its check and its commit.
    let cluster = Cluster::start().unwrap();
    let mut holder = Store::open_postgres(&cluster.url()).unwrap();
    let url = cluster.url();
    let old = lease::try_acquire(&holder.db(), "host a", Duration::from_millis(50))
        .unwrap()
        .unwrap();
    holder.set_fence(fence(&old));
    std::thread::sleep(Duration::from_millis(100));
    std::thread::scope(|s| {
        let committed = holder.write(|db| {
            // The lease lapsed, but no one took it over yet: the fence passes and holds the row.
            let takeover = s.spawn(|| {
                let standby = Store::open_postgres(&url).unwrap();
                lease::try_acquire(&standby.db(), "host b", LEASE)
            });
            std::thread::sleep(Duration::from_millis(300));
            assert!(
                !takeover.is_finished(),
                "the takeover waits for this commit"
            );
            alerts::enqueue(db, &alert("last of a")).map(|_| takeover)
        });
        let takeover = committed.unwrap();
        let new = takeover.join().unwrap().unwrap().unwrap();
        assert_eq!(new.epoch.get(), old.epoch.get() + 1);
    });
}

/// A lease check that fails with an error, not for want of the lease, fails its transaction
/// and leaves the connection clean: the host's next transaction works.
#[test]
fn a_lease_check_that_fails_leaves_the_connection_usable() {
    let cluster = Cluster::start().unwrap();
    let mut host = Store::open_postgres(&cluster.url()).unwrap();
    let admin = Store::open_postgres(&cluster.url()).unwrap();
    let held = lease::try_acquire(&host.db(), "host a", LEASE)
        .unwrap()
        .unwrap();
    host.set_fence(fence(&held));

    admin
        .db()
        .execute_batch("ALTER TABLE lease RENAME TO lease_away")
        .unwrap();
    let err = host
        .write(|db| alerts::enqueue(db, &alert("while away")))
        .unwrap_err();
    assert!(
        matches!(
            &err,
            StoreError::Database {
                error: DbError::Postgres(_),
                ..
            }
        ),
        "{err:?}"
    );
    admin
        .db()
        .execute_batch("ALTER TABLE lease_away RENAME TO lease")
        .unwrap();

    host.write(|db| alerts::enqueue(db, &alert("after")))
        .unwrap();
    let keys: Vec<String> = admin
        .db()
        .query("SELECT dedupe_key FROM alerts", args![], |r| r.get(0))
        .unwrap();
    assert_eq!(keys, ["after"]);
}
