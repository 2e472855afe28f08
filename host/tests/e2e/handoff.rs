//! The hand-off: while `sluice run` is up, `sluice alert-response` gives it the alert over the
//! socket beside the state store instead of writing the store; when the host is down, or left
//! a stale socket behind (SIGKILL), the invocation writes the store itself. Either way the
//! alert is queued once and opens one incident.
//!
//! Every test runs on both backends: the socket is beside `[state] path` either way, and the
//! host behind it, or the invocation, queues into the site's store. Only the socket's mode
//! is checked on SQLite alone: it follows the store file's, and a PostgreSQL store has none.

use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::PathBuf;

use crate::ledger::{account, Expect};
use crate::support::{
    on_both_backends, write_lockout, write_lockouts, Backend, Daemon, Site, BRISK,
};

on_both_backends!(
    while_the_host_runs_alerts_are_handed_over_and_the_socket_goes_with_the_host,
    the_front_alone_hands_alerts_to_the_running_host,
    after_a_kill_the_stale_socket_is_bypassed_and_then_replaced,
    response_actions_fired_at_once_at_a_running_host_make_one_ticket,
);

const LOCKED_OUT: &str = "ITSM Add-On: User Account Locked Out";
const ALERT_ID: &str = "{6F1C0A52-1B7E-4F0C-9D52-3C1A2B4D5E6F}";
/// Layer: on PostgreSQL, a killed host holds the delivery lease until it lapses; a second,
/// so that the next host delivers at once, as after a clean stop. (A file store has no lease.)
const KILLED_HOSTS_LEASE: &str = "[state]\nlease = \"1s\"";
/// What `alert-response -v` logs when it writes the store itself.
const DIRECT: &str = "Writing the state store directly.";

fn socket(site: &Site) -> PathBuf {
    site.dir().join("state.db.sock")
}

/// The arguments Auditor gives `alert-response` for `rid`, with `-v` so that it says which
/// way the alert went.
fn args(rid: &str) -> Vec<&str> {
    vec!["-v", "--alert-name", LOCKED_OUT, ALERT_ID, rid]
}

/// Runs `alert-response -v` for `rid`; returns its log.
fn respond(site: &Site, rid: &str) -> String {
    let output = site.alert_response(&args(rid));
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Waits for `n` alerts to settle, stops the host, and checks that all went to one ticket.
fn assert_one_ticket_for(site: &Site, host: Daemon<'_>, n: u64) {
    host.wait_settled(n);
    host.stop().assert_clean();
    let ledger = account(site, Expect::delivered(n));
    let opened = ledger.opened(LOCKED_OUT);
    assert_eq!((opened.len(), opened[0].alerts), (1, n), "{ledger:#?}");
}

fn while_the_host_runs_alerts_are_handed_over_and_the_socket_goes_with_the_host(backend: Backend) {
    let site = Site::on(backend, &[BRISK]);
    let rid = write_lockout(&site.auditor, "jdoe", "2025-03-11T08:45:12Z");
    let host = site.run().start();

    let socket = socket(&site);
    let meta = std::fs::metadata(&socket).expect("the socket beside the store");
    assert!(meta.file_type().is_socket());
    if backend == Backend::Sqlite {
        let store_mode = std::fs::metadata(site.dir().join("state.db"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            meta.permissions().mode() & 0o777,
            store_mode & 0o666,
            "who may hand over an alert is who may write the store"
        );
    }

    let log = respond(&site, &rid);
    assert!(!log.contains(DIRECT), "handed over, not written: {log}");
    assert!(log.contains("queued=1 duplicates=0"), "{log}");
    // A retry is recognised by the host as it would be by the store.
    let log = respond(&site, &rid);
    assert!(log.contains("queued=0 duplicates=1"), "{log}");
    host.wait_settled(1);
    host.stop().assert_clean();

    assert!(!socket.exists(), "a stopped host leaves no socket behind");
    assert_eq!(site.incidents().len(), 1);
    account(&site, Expect::delivered(1));
}

/// Auditor runs the `sluice` front, which hands the alert over by itself while the host runs:
/// copied alone into a directory, without `sluice-host`, it still queues alerts. With the
/// host stopped it needs `sluice-host` to write the store, and says so when it is missing.
fn the_front_alone_hands_alerts_to_the_running_host(backend: Backend) {
    let site = Site::on(backend, &[BRISK]);
    let rid = write_lockout(&site.auditor, "jdoe", "2025-03-11T08:45:12Z");
    let alone = tempfile::tempdir().unwrap();
    let front = alone.path().join("sluice");
    std::fs::copy(env!("CARGO_BIN_EXE_sluice"), &front).unwrap();
    let respond = || {
        std::process::Command::new(&front)
            .arg("alert-response")
            .arg("--config")
            .arg(site.config_path())
            .args(["--alert-name", LOCKED_OUT, ALERT_ID, &rid])
            .env_remove("SLUICE_CONFIG")
            .output()
            .unwrap()
    };

    let host = site.run().start();
    for _ in 0..2 {
        // The second is Auditor retrying: accepted, and the same alert.
        let output = respond();
        assert!(output.status.success(), "{output:?}");
        assert!(
            output.stderr.is_empty(),
            "the quick way prints nothing: {output:?}"
        );
    }
    assert_one_ticket_for(&site, host, 1);

    let output = respond();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(
        error.contains("sluice-host") && error.contains("side by side"),
        "{error}"
    );
}

fn after_a_kill_the_stale_socket_is_bypassed_and_then_replaced(backend: Backend) {
    let site = Site::on(backend, &[BRISK, KILLED_HOSTS_LEASE]);
    let rids = write_lockouts(&site.auditor, "stale", 3);
    let host = site.run().start();
    host.kill();
    assert!(socket(&site).exists(), "SIGKILL leaves the socket file");

    // Nobody listens: the invocation writes the store itself, and says why with -v.
    let log = respond(&site, &rids[0]);
    assert!(log.contains(DIRECT), "{log}");
    assert!(log.contains("no sluice run listens"), "{log}");
    assert_eq!(site.unfinished(), 1, "queued in the store");

    // The next host replaces the stale socket and takes the next alerts over it.
    let host = site.run().start();
    for rid in &rids[1..] {
        let log = respond(&site, rid);
        assert!(!log.contains(DIRECT), "{log}");
    }
    assert_one_ticket_for(&site, host, 3);
}

fn response_actions_fired_at_once_at_a_running_host_make_one_ticket(backend: Backend) {
    let site = Site::on(backend, &[BRISK]);
    let rids = write_lockouts(&site.auditor, "burst", 16);
    let host = site.run().start();
    // Auditor runs up to eight at a time; the host queues those that arrive together in one
    // transaction.
    for chunk in rids.chunks(8) {
        let runs: Vec<Vec<&str>> = chunk.iter().map(|rid| args(rid)).collect();
        for log in site.alert_responses_at_once(&runs) {
            assert!(!log.contains(DIRECT), "{log}");
        }
    }
    assert_one_ticket_for(&site, host, 16);
}
