//! `sluice move-store`: a SQLite store moved into a throwaway PostgreSQL server whole (every
//! row, its ids and its store id), and refused, leaving both stores as they were, when a host
//! runs on the file, when the target already holds a store, or when the credentials are wrong.
//!
//! ```text
//!   test ──engine (memory source and sink)──► state.db ──sluice move-store──► PostgreSQL
//!   test ──reads both through Store::db()──► compares every table, ordered by key
//! ```

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use sluice_core::store::db::{args, Db};
use sluice_core::testkit::{record, MemorySink, MemorySource};
use sluice_core::{default_ticket_fields, queue_response_action, AlertSet, ConfigFile};
use sluice_core::{DeliveryLock, Durability, Engine, ManualClock, PipelineSpec};
use sluice_core::{SecretResolver, Store, TicketTemplate, Timestamp};
use sluice_test_postgres::Cluster;

use super::util::{run, sluice, text, RESPONSE_ACTION_CONFIG};

/// Every table of a store, with the key its rows are compared in the order of.
const TABLES: &[(&str, &str)] = &[
    ("meta", "key"),
    ("alerts", "id"),
    ("tickets", "id"),
    ("outbox", "id"),
    ("flood_windows", "pipeline"),
    ("checkpoints", "pipeline"),
    ("seen_records", "pipeline, record_id"),
    ("thresholds", "pipeline, rule, grp"),
    ("events", "id"),
    ("activity", "pipeline, kind"),
];

/// A site: its config (a store at `state.db`) in a temporary directory.
fn site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sluice.toml"), RESPONSE_ACTION_CONFIG).unwrap();
    dir
}

fn cluster() -> Cluster {
    Cluster::start().unwrap_or_else(|e| panic!("{e}"))
}

/// Fills the store at `path` as a host would: tickets opened and delivered, a flood ticket,
/// repeats collecting into an update, alerts still waiting for their record; plus a
/// checkpoint, polled record ids, threshold counters and an event.
fn fill(path: &Path) {
    let clock = Arc::new(ManualClock::new(
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_710_000_000),
    ));
    let toml = "[pipelines.main]\nsource.type = \"x\"\nsink.type = \"y\"\n\
                suppression.consolidation_interval = \"5m\"\nsuppression.ticket_flood_limit = 3\n";
    let resolver = SecretResolver::new(|_: &str| None);
    let mut config = ConfigFile::parse(Path::new("t.toml"), toml.into(), &resolver).unwrap();
    let settings = config.config.pipelines.remove("main").unwrap();
    let fields = settings
        .ticket
        .clone()
        .unwrap_or_else(default_ticket_fields);
    let template = TicketTemplate::new(&fields, &settings.correlation_format).unwrap();
    let spec = PipelineSpec {
        name: "main".into(),
        settings,
        alerts: AlertSet::new(Vec::new()),
        template,
        computer: "auditor01".into(),
    };
    let store = Store::open(path, Durability::Normal).unwrap();
    let mut engine = Engine::new(
        Arc::new(spec),
        store,
        MemorySource::default(),
        MemorySink::default(),
        clock.clone(),
    );
    let mut queue = Store::open(path, Durability::Normal).unwrap();
    let mut n = 0;
    let mut alert = |engine: &mut Engine<MemorySource, MemorySink>, name: &str, known: bool| {
        n += 1;
        let rid = format!("rid-{n:04}");
        if known {
            let r = record(&rid, "CORP\\jdoe", "\\corp\\Users\\J", "Account Locked Out");
            engine.source_mut().records.insert(rid.clone(), r);
        }
        let now = Timestamp::from_system_time(sluice_core::Clock::now(clock.as_ref()));
        queue_response_action(&mut queue, "main", &format!("{{{name}}}"), &rid, name, now).unwrap();
    };
    for name in ["A", "B", "C", "D", "E", "A", "B"] {
        alert(&mut engine, name, true);
    }
    engine.step().unwrap();
    clock.advance(Duration::from_secs(60));
    for name in ["A", "A", "F"] {
        alert(&mut engine, name, true);
    }
    alert(&mut engine, "G", false);
    engine.step().unwrap();
    alert(&mut engine, "H", false);
    let mut store = Store::open(path, Durability::Normal).unwrap();
    store
        .write(|db| {
            db.execute_batch(
                "INSERT INTO checkpoints VALUES ('main', '{\"after\":\"2024-03-11T08:45:12Z\"}', 1710000000000);
                 INSERT INTO seen_records VALUES ('main', 'rid-0001', 1710000000000),
                     ('main', 'rid-0002', 1710000000001);
                 INSERT INTO thresholds VALUES ('main', 'failed', 'CORP\\x', '[[1710000000000,\"r1\"]]', 1);
                 INSERT INTO events (pipeline, at, kind, message) VALUES ('main', 5, 'sink', 'ServiceNow answered 503');",
            )
        })
        .unwrap();
}

/// Every row of `table` as `db` returns it, ordered by `key`; the columns the file has.
fn rows(db: &Db<'_>, columns: &str, table: &str, key: &str) -> Vec<Vec<String>> {
    let filter = if table == "meta" {
        " WHERE key <> 'schema_version'"
    } else {
        ""
    };
    db.query(
        &format!("SELECT {columns} FROM {table}{filter} ORDER BY {key}"),
        args![],
        |row| {
            (0..row.len())
                .map(|i| row.value(i).map(|v| format!("{v:?}")))
                .collect()
        },
    )
    .unwrap()
}

/// Asserts that every table of `file` and `pg` holds the same rows.
fn assert_same_rows(file: &Store, pg: &Store) {
    for (table, key) in TABLES {
        let columns: Vec<String> = file
            .db()
            .query(
                "SELECT name FROM pragma_table_info(?1) ORDER BY cid",
                args![table],
                |r| r.get(0),
            )
            .unwrap();
        let columns = columns.join(", ");
        let (a, b) = (
            rows(&file.db(), &columns, table, key),
            rows(&pg.db(), &columns, table, key),
        );
        assert_eq!(a, b, "table {table}");
        if *table != "flood_windows" && *table != "meta" {
            assert!(!a.is_empty(), "the test store has rows in {table}");
        }
    }
}

fn max_id(store: &Store, table: &str) -> i64 {
    store
        .db()
        .value(
            &format!("SELECT coalesce(max(id), 0) FROM {table}"),
            args![],
        )
        .unwrap()
}

#[test]
fn a_store_moves_whole_with_its_ids_and_its_store_id_and_new_ids_follow() {
    let dir = site();
    let path = dir.path().join("state.db");
    fill(&path);
    // An older schema is brought up to date first (migration 5 runs again, harmlessly).
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 4)
        .unwrap();
    let cluster = cluster();
    let url = cluster.create_database("moved").unwrap();
    let out = run(sluice().current_dir(dir.path()).args([
        "move-store",
        "-c",
        "sluice.toml",
        "--to",
        &url,
    ]));
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let file = Store::open(&path, Durability::Normal).unwrap();
    let pg = Store::open_postgres(&url).unwrap();
    assert_eq!(pg.id(), file.id(), "the store keeps its id");
    assert!(stdout.contains(file.id()), "{stdout}");
    assert!(stdout.contains("schema version 4"), "{stdout}");
    let alerts = file
        .db()
        .value::<i64>("SELECT count(*) FROM alerts", args![])
        .unwrap();
    let listed = format!("alerts {alerts}");
    assert!(
        stdout
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>().join(" ") == listed),
        "{stdout}"
    );
    assert!(
        stdout.contains("url = \"postgres://sluice:${PGPASSWORD}@127.0.0.1:"),
        "{stdout}"
    );
    let password = cluster.password();
    assert!(!stdout.contains(password) && !stderr.contains(password));
    let distinct =
        |sql: &str| -> Vec<String> { file.db().query(sql, args![], |r| r.get(0)).unwrap() };
    assert_eq!(
        distinct("SELECT DISTINCT status FROM alerts ORDER BY 1"),
        ["decided", "queued"]
    );
    assert_eq!(
        distinct("SELECT DISTINCT state FROM outbox ORDER BY 1"),
        ["collecting", "done"]
    );
    assert_same_rows(&file, &pg);

    // New rows get ids above the copied ones.
    let mut pg = pg;
    let copied = max_id(&file, "alerts");
    let now = Timestamp::now();
    assert!(queue_response_action(&mut pg, "main", "{new}", "rid-new", "New", now).unwrap());
    assert_eq!(max_id(&pg, "alerts"), copied + 1);
    for table in ["tickets", "outbox", "events"] {
        let next: i64 = pg
            .db()
            .value(
                &format!("SELECT nextval(pg_get_serial_sequence('{table}', 'id'))"),
                args![],
            )
            .unwrap();
        assert_eq!(next, max_id(&file, table) + 1, "{table}");
    }
}

#[test]
fn a_file_a_host_runs_on_is_not_moved_and_the_holder_is_named() {
    let dir = site();
    let path = dir.path().join("state.db");
    fill(&path);
    let _lock = DeliveryLock::acquire(&path).unwrap();
    let cluster = cluster();
    let out = run(sluice().current_dir(dir.path()).args([
        "move-store",
        "-c",
        "sluice.toml",
        "--to",
        &cluster.url(),
    ]));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("process {} since", std::process::id()))
            && stderr.contains("Stop it first"),
        "{stderr}"
    );
    let pg = Store::open_postgres(&cluster.url()).unwrap();
    assert_eq!(max_id(&pg, "alerts"), 0, "nothing was moved");
}

#[test]
fn a_target_that_holds_alerts_is_refused_and_left_as_it_was() {
    let dir = site();
    fill(&dir.path().join("state.db"));
    let cluster = cluster();
    let mut target = Store::open_postgres(&cluster.url()).unwrap();
    let now = Timestamp::now();
    queue_response_action(&mut target, "main", "{other}", "rid-x", "Other", now).unwrap();
    let out = run(sluice().current_dir(dir.path()).args([
        "move-store",
        "--config",
        "sluice.toml",
        "--to",
        &cluster.url(),
    ]));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("already holds a sluice store (1 row(s) in alerts)")
            && stderr.contains("nothing was moved"),
        "{stderr}"
    );
    let after = Store::open_postgres(&cluster.url()).unwrap();
    assert_eq!(after.id(), target.id(), "the target keeps its own id");
    let alerts: Vec<String> = after
        .db()
        .query("SELECT record_id FROM alerts", args![], |r| r.get(0))
        .unwrap();
    assert_eq!(alerts, ["rid-x"]);
}

#[test]
fn a_wrong_password_is_refused_without_printing_it() {
    let dir = site();
    fill(&dir.path().join("state.db"));
    let cluster = cluster();
    let wrong = "Wr0ng-Passw0rd-4711";
    let out = run(sluice().current_dir(dir.path()).args([
        "move-store",
        "-c",
        "sluice.toml",
        "--to",
        &cluster.url_with_password(wrong),
    ]));
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("password authentication failed")
            && stderr.contains("check the user and password"),
        "{stderr}"
    );
    assert!(
        !stderr.contains(wrong) && !stdout.contains(wrong),
        "{stderr}"
    );
}

#[test]
fn to_resolves_secret_references_from_the_environment_and_prints_them_unresolved() {
    let dir = site();
    fill(&dir.path().join("state.db"));
    let cluster = cluster();
    let password = cluster.password().to_owned();
    let to = format!(
        "postgres://sluice:${{SLUICE_TEST_PG_PASSWORD}}@127.0.0.1:{}/sluice",
        cluster.port()
    );
    let out = run(sluice()
        .current_dir(dir.path())
        .env("SLUICE_TEST_PG_PASSWORD", &password)
        .args(["move-store", "-c", "sluice.toml", "--to", &to]));
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains(&format!("url = \"{to}\"")), "{stdout}");
    assert!(!stdout.contains(&password) && !stderr.contains(&password));
    let pg = Store::open_postgres(&cluster.url()).unwrap();
    assert!(max_id(&pg, "alerts") > 0, "the store was moved");
}

#[test]
fn a_config_that_keeps_its_store_in_postgres_has_nothing_to_move() {
    let dir = tempfile::tempdir().unwrap();
    let config = RESPONSE_ACTION_CONFIG.replace(
        "[state]\n",
        "[state]\nurl = \"postgres://sluice:${PGPASSWORD}@db.example/sluice\"\n",
    );
    std::fs::write(dir.path().join("sluice.toml"), config).unwrap();
    let out = run(sluice().current_dir(dir.path()).args([
        "move-store",
        "-c",
        "sluice.toml",
        "--to",
        "postgres://sluice@db.example/sluice",
    ]));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("already keeps the store in PostgreSQL") && stderr.contains("--from"),
        "{stderr}"
    );
}
