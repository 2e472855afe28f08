//! The state store on PostgreSQL, against a real server of its own (a throwaway cluster):
//! the schema is created once however many hosts start together, rows read back as written,
//! and a wrong URL, password or database, or a database from a newer sluice, is refused
//! with a message that says what to do and never shows the password; a batch of decisions
//! is written whole; a query is planned for the tables as they are, not as they were.

use sluice_core::store::alerts::{self, NewAlert, Origin};
use sluice_core::store::db::args;
use sluice_core::store::{outbox, tickets};
use sluice_core::{
    Decision, HumanDuration, Store, StoreError, Suppression, SuppressionSettings, Timestamp,
};
use sluice_test_postgres::Cluster;

fn alert<'a>(key: &str, record: Option<&'a str>) -> NewAlert<'a> {
    NewAlert {
        pipeline: "p",
        dedupe_key: key.to_owned(),
        origin: Origin::Poll,
        alert_name: "Account Locked Out",
        auditor_alert_id: None,
        record_id: Some("rid-1"),
        received_at: Timestamp::from_millis(1_700_000_000_123),
        record,
        extra_records: None,
    }
}

#[test]
fn alerts_queue_once_per_key_and_read_back_as_written() {
    let cluster = Cluster::start().unwrap();
    let mut store = Store::open_postgres(&cluster.url()).unwrap();
    assert!(store.is_postgres());
    let first = store
        .write(|db| alerts::enqueue(db, &alert("k1", Some("{\"a\":1}"))))
        .unwrap();
    let again = store
        .write(|db| alerts::enqueue(db, &alert("k1", None)))
        .unwrap();
    assert!(first);
    assert!(!again, "the second alert with one dedupe key is ignored");
    let ready = store
        .read(alerts::with_status(
            &store.db(),
            "p",
            alerts::AlertStatus::Ready,
            10,
        ))
        .unwrap();
    assert_eq!(ready.len(), 1);
    assert_eq!(ready[0].record_id.as_deref(), Some("rid-1"));
    assert_eq!(ready[0].origin, Origin::Poll);
    assert_eq!(ready[0].record.as_deref(), Some("{\"a\":1}"));
    assert_eq!(
        ready[0].received_at,
        Timestamp::from_millis(1_700_000_000_123)
    );
}

#[test]
fn hosts_starting_together_create_one_store() {
    let cluster = Cluster::start().unwrap();
    let url = cluster.url();
    let ids: Vec<String> = std::thread::scope(|s| {
        let opens: Vec<_> = (0..6)
            .map(|_| s.spawn(|| Store::open_postgres(&url).map(|st| st.id().to_owned())))
            .collect();
        opens
            .into_iter()
            .map(|o| o.join().unwrap().unwrap())
            .collect()
    });
    assert!(
        ids.iter().all(|id| id == &ids[0] && id.len() == 12),
        "{ids:?}"
    );
}

#[test]
fn a_store_written_by_a_newer_sluice_is_refused() {
    let cluster = Cluster::start().unwrap();
    let mut store = Store::open_postgres(&cluster.url()).unwrap();
    store
        .write(|db| {
            db.execute(
                "UPDATE meta SET value = '999' WHERE key = 'schema_version'",
                args![],
            )
        })
        .unwrap();
    let err = Store::open_postgres(&cluster.url()).unwrap_err();
    assert!(
        matches!(err, StoreError::TooNew { found: 999, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("newer than this sluice"), "{err}");
}

#[test]
fn a_wrong_password_says_so_without_showing_it() {
    let cluster = Cluster::start().unwrap();
    let err = Store::open_postgres(&cluster.url_with_password("not-the-pw-0815")).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("password authentication failed"),
        "{message}"
    );
    assert!(message.contains("check the user and password"), "{message}");
    assert!(!message.contains("not-the-pw-0815"), "{message}");
    assert!(message.contains(&format!(
        "postgres://sluice@127.0.0.1:{}/sluice",
        cluster.port()
    )));
}

#[test]
fn an_unreachable_server_and_a_missing_database_say_what_to_check() {
    let cluster = Cluster::start().unwrap();
    let url = cluster.url();
    let missing = format!("{}/nosuchdb", url.rsplit_once('/').unwrap().0);
    let message = Store::open_postgres(&missing).unwrap_err().to_string();
    assert!(message.contains("create the database first"), "{message}");

    let port = cluster.port();
    drop(cluster);
    let message = Store::open_postgres(&url).unwrap_err().to_string();
    assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");
    assert!(message.contains("check that PostgreSQL runs"), "{message}");

    for url in [
        "postgres://sluice@/sluice",
        "postgres://sluice@db:port/sluice",
    ] {
        let message = Store::open_postgres(url).unwrap_err().to_string();
        assert!(
            message.contains("state.url is not a PostgreSQL connection URL"),
            "{message}"
        );
    }
}

#[test]
fn the_store_connects_again_after_the_server_restarted() {
    let mut cluster = Cluster::start().unwrap();
    let mut store = Store::open_postgres(&cluster.url()).unwrap();
    store
        .write(|db| alerts::enqueue(db, &alert("k1", Some("{}"))))
        .unwrap();
    cluster.kill();
    cluster.restart().unwrap();
    // The connection is gone, which the client learns only when it next sends: the
    // transaction's `BEGIN` finds out, and a new connection takes it (nothing else was sent).
    store
        .write(|db| alerts::enqueue(db, &alert("k2", Some("{}"))))
        .expect("the first transaction after the restart connects again");
    let keys: i64 = store
        .read(store.db().value("SELECT count(*) FROM alerts", args![]))
        .unwrap();
    assert_eq!(keys, 2, "k1 survived the crash and k2 was written");
}

/// An administrator ending the store's session (or a server shutting down) says so before
/// the socket closes; the client does not count the connection closed yet. The next
/// transaction must not fail for it, whether or not a statement saw the session end.
#[test]
fn a_session_the_server_ended_is_replaced_at_the_next_transaction() {
    let cluster = Cluster::start().unwrap();
    let mut store = Store::open_postgres(&cluster.url()).unwrap();
    let mut admin = postgres::Client::connect(&cluster.url(), postgres::NoTls).unwrap();
    let end_sessions = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                        WHERE datname = current_database() AND pid <> pg_backend_pid()";
    for (i, read_first) in [false, true, false, true].into_iter().enumerate() {
        store
            .write(|db| alerts::enqueue(db, &alert(&format!("a{i}"), Some("{}"))))
            .unwrap();
        admin.batch_execute(end_sessions).unwrap();
        if read_first {
            // A read sees the session end; it may fail, and must not leave the store broken.
            let _ = store.read(
                store
                    .db()
                    .value::<i64>("SELECT count(*) FROM alerts", args![]),
            );
        }
        store
            .write(|db| alerts::enqueue(db, &alert(&format!("b{i}"), Some("{}"))))
            .unwrap_or_else(|e| panic!("round {i}: the next transaction connects again: {e}"));
    }
    let count: i64 = store
        .read(store.db().value("SELECT count(*) FROM alerts", args![]))
        .unwrap();
    assert_eq!(count, 8);
}

/// A group commit queues its alerts a few statements at a time: each is new once, a repeat
/// within the batch or of an earlier one is not, and every alert of a batch longer than one
/// statement is written.
#[test]
fn alerts_queued_together_are_each_new_once() {
    let cluster = Cluster::start().unwrap();
    let mut store = Store::open_postgres(&cluster.url()).unwrap();
    let first = store
        .write(|db| {
            alerts::enqueue_all(
                db,
                &[alert("k1", None), alert("k2", None), alert("k1", None)],
            )
        })
        .unwrap();
    assert_eq!(first, [true, true, false]);
    let keys: Vec<String> = (0..20).map(|i| format!("k{i}")).collect();
    let batch: Vec<NewAlert<'_>> = keys.iter().map(|k| alert(k, Some("{}"))).collect();
    let second = store.write(|db| alerts::enqueue_all(db, &batch)).unwrap();
    let expected: Vec<bool> = (0..20).map(|i| !(1..=2).contains(&i)).collect();
    assert_eq!(second, expected);
    let count: i64 = store
        .read(store.db().value("SELECT count(*) FROM alerts", args![]))
        .unwrap();
    assert_eq!(count, 20);
    // One at a time, as `sluice alert-response` writes when no host listens: each takes one
    // id, not one per row of a statement padded to a fixed size.
    let newest = |store: &Store| -> i64 {
        store
            .read(store.db().value("SELECT max(id) FROM alerts", args![]))
            .unwrap()
    };
    let before = newest(&store);
    for key in ["k30", "k31", "k32"] {
        assert!(store
            .write(|db| alerts::enqueue(db, &alert(key, None)))
            .unwrap());
    }
    assert_eq!(
        newest(&store) - before,
        3,
        "no id taken by a row not written"
    );
}

/// A batch of alerts of `names`, queued and read back as suppression gets them.
fn ready_alerts(store: &mut Store, names: &[String], round: usize) -> Vec<alerts::AlertRow> {
    let received_at = Timestamp::from_millis(1_700_000_000_000 + round as i64);
    store
        .write(|db| {
            for name in names {
                alerts::enqueue(
                    db,
                    &NewAlert {
                        dedupe_key: format!("{name}/{round}"),
                        alert_name: name,
                        received_at,
                        ..alert("", Some("{}"))
                    },
                )?;
            }
            Ok(())
        })
        .unwrap();
    let ready = alerts::AlertStatus::Ready;
    store
        .read(alerts::with_status(&store.db(), "p", ready, 1000))
        .unwrap()
}

/// Decisions for more alerts than one statement writes (new tickets, their opens, then an
/// update collecting each one's repeat) are all written, on both databases, and ids taken
/// for a batch on PostgreSQL are not given to another session meanwhile.
#[test]
fn a_batch_of_decisions_larger_than_a_statement_is_written_whole_on_both_databases() {
    let cluster = Cluster::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = Store::open(&dir.path().join("state.db"), Default::default()).unwrap();
    let postgres = Store::open_postgres(&cluster.url()).unwrap();
    let settings = SuppressionSettings {
        ticket_flood_limit: 1000,
        consolidation_interval: HumanDuration::from_secs(600),
        ..SuppressionSettings::default()
    };
    let suppression = Suppression {
        pipeline: "p",
        settings: &settings,
        correlation_prefix: "sluice-test-p-",
    };
    let names: Vec<String> = (0..45).map(|i| format!("Alert {i:02}")).collect();
    for mut store in [file, postgres] {
        let now = Timestamp::from_millis(1_700_000_001_000);
        let batch = ready_alerts(&mut store, &names, 0);
        let mut other = store
            .is_postgres()
            .then(|| Store::open_postgres(&cluster.url()).unwrap());
        let opened = store
            .write(|db| {
                let decisions = suppression.decide(db, &batch, now)?;
                // Another host's session adds a ticket while this batch holds its ids.
                if let Some(other) = &mut other {
                    other
                        .write(|db| {
                            tickets::insert(
                                db,
                                &tickets::NewTicket {
                                    pipeline: "q",
                                    suppression_key: "other",
                                    kind: tickets::TicketKind::Alert,
                                    alert_name: "other",
                                    correlation_prefix: "sluice-test-q-",
                                    at: now,
                                },
                            )
                        })
                        .unwrap();
                }
                Ok(decisions)
            })
            .unwrap();
        assert_eq!(opened.len(), 45);
        assert!(opened.iter().all(|d| matches!(d, Decision::Open { .. })));

        let repeats = ready_alerts(&mut store, &names, 1);
        let repeated = store
            .write(|db| suppression.decide(db, &repeats, now))
            .unwrap();
        assert!(repeated
            .iter()
            .all(|d| matches!(d, Decision::Consolidate { .. })));

        let db = store.db();
        for (open, repeat) in opened.iter().zip(&repeated) {
            let (Decision::Open { ticket }, Decision::Consolidate { ticket: again }) =
                (open, repeat)
            else {
                unreachable!()
            };
            assert_eq!(ticket, again, "a repeat joins its own ticket");
            let row = tickets::get(&db, *ticket).unwrap().unwrap();
            assert_eq!(row.alert_count, 2, "{row:?}");
            assert_eq!(row.correlation_id, format!("sluice-test-p-{ticket}"));
            let update = row.collecting_outbox_id.expect("a collecting update");
            assert_eq!(outbox::alert_count(&db, update).unwrap(), 1);
        }
        let states: u64 = outbox::by_state(&db, "p")
            .unwrap()
            .into_iter()
            .map(|(_, n)| n)
            .sum();
        assert_eq!(states, 90, "45 opens and 45 updates");
    }
}

/// PostgreSQL keeps a generic plan of a prepared statement once a few runs found it no
/// costlier than planning each run. One chosen while the tables were empty stays when they
/// are large: the query for due ticket actions then read the whole outbox for each pending
/// action (30 ms a query after a flood's first few thousand). The store's statements are
/// planned for the tables as they are.
#[test]
fn a_query_first_run_on_empty_tables_is_planned_again_once_they_are_large() {
    let cluster = Cluster::start().unwrap();
    let mut store = Store::open_postgres(&cluster.url()).unwrap();
    let now = Timestamp::from_millis(1_700_000_000_000);
    for _ in 0..10 {
        store.read(outbox::due(&store.db(), "p", now, 50)).unwrap();
    }
    // A site after a flood: 5,000 tickets, each opened and updated, and a few updates due.
    store
        .write(|db| {
            db.execute_batch(
                "INSERT INTO tickets (pipeline, suppression_key, kind, alert_name, \
                 correlation_id, created_at, last_alert_at) \
                 SELECT 'p', 'key' || n, 'alert', 'Account Locked Out', 'c' || n, 0, 0 \
                 FROM generate_series(1, 5000) AS n; \
                 INSERT INTO outbox (pipeline, ticket_id, kind, state, created_at, next_at) \
                 SELECT 'p', t.id, k.kind, 'done', 0, 0 FROM tickets t, \
                 (VALUES ('open'), ('update')) AS k (kind); \
                 INSERT INTO outbox (pipeline, ticket_id, kind, state, created_at, next_at) \
                 SELECT 'p', id, 'update', 'pending', 0, 0 FROM tickets WHERE id % 500 = 0",
            )
        })
        .unwrap();
    let due = store.read(outbox::due(&store.db(), "p", now, 50)).unwrap();
    assert_eq!(due.len(), 10);

    // The plan the store's own session runs the query with, as it would run it now.
    let name: String = store
        .read(store.db().query_one(
            "SELECT name FROM pg_prepared_statements WHERE statement LIKE '%FROM outbox o %'",
            args![],
            |r| r.get(0),
        ))
        .unwrap();
    let plan: Vec<String> = store
        .read(store.db().query(
            &format!("EXPLAIN EXECUTE {name}('p', {}, 50)", now.as_millis()),
            args![],
            |r| r.get(0),
        ))
        .unwrap();
    assert!(
        !plan.iter().any(|line| line.contains("Seq Scan on outbox")),
        "the due actions are found by reading every ticket action: {plan:#?}"
    );
}
