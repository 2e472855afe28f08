//! The shared store over TLS, against real servers of their own with certificates of a test
//! CA: the session is encrypted (as the server itself reports, in `pg_stat_ssl`) and the
//! certificate verified against `ca_file` and the host name; a server that cannot be trusted,
//! or offers no TLS where it is required, is refused with what to do; `sslmode=disable`
//! connects in plain text. No message shows the password.

use std::path::PathBuf;

use sluice_core::store::db::args;
use sluice_core::{Database, Store, StoreError};
use sluice_test_postgres::{Cluster, TestCa};
use tempfile::TempDir;

/// A name the test servers' certificates are issued for, reached through `hostaddr`: a host
/// on another machine as far as sluice can tell, so TLS is required by default.
const REMOTE_NAME: &str = "db.sluice-test.invalid";

/// A TLS server whose certificate `ca` issued for 127.0.0.1 and `localhost`.
fn tls_cluster(ca: &TestCa) -> Cluster {
    let certificate = ca.issue(&["127.0.0.1", "localhost", REMOTE_NAME]).unwrap();
    Cluster::start_tls(&certificate).unwrap()
}

/// `ca`'s certificate as a file, in `dir`.
fn ca_file(dir: &TempDir, ca: &TestCa) -> PathBuf {
    let path = dir.path().join("ca.pem");
    std::fs::write(&path, ca.pem()).unwrap();
    path
}

/// `cluster`'s URL with `query` appended (`sslmode=…`, `hostaddr=…`).
fn url_with(cluster: &Cluster, query: &str) -> String {
    format!("{}?{query}", cluster.url())
}

/// The URL of `cluster` by [`REMOTE_NAME`], reached at 127.0.0.1, with `query` added.
fn remote_url(cluster: &Cluster, query: &str) -> String {
    let url = cluster
        .url()
        .replace("@127.0.0.1:", &format!("@{REMOTE_NAME}:"));
    format!("{url}?hostaddr=127.0.0.1{query}")
}

/// Whether the store's own session is encrypted, as the server sees it.
fn encrypted(store: &Store) -> bool {
    store
        .db()
        .value::<i64>(
            "SELECT count(*) FROM pg_stat_ssl WHERE pid = pg_backend_pid() AND ssl",
            args![],
        )
        .unwrap()
        == 1
}

fn refusal(database: Database<'_>) -> String {
    match Store::open_database(database) {
        Ok(_) => panic!("connected to {}", database.url),
        Err(e) => e.to_string(),
    }
}

#[test]
fn with_the_ca_in_ca_file_the_store_works_over_tls_and_after_a_restart() {
    let ca = TestCa::new("sluice test CA").unwrap();
    let mut cluster = tls_cluster(&ca);
    let dir = TempDir::new().unwrap();
    let ca_file = ca_file(&dir, &ca);
    for url in [
        cluster.url(),
        url_with(&cluster, "sslmode=require"),
        url_with(&cluster, "sslmode=verify-full"),
        remote_url(&cluster, ""),
    ] {
        let database = Database {
            url: &url,
            ca_file: Some(&ca_file),
        };
        let store = Store::open_database(database).unwrap_or_else(|e| panic!("{url}: {e}"));
        assert!(encrypted(&store), "{url}: the session is not encrypted");
    }

    let url = remote_url(&cluster, "");
    let mut store = Store::open_database(Database {
        url: &url,
        ca_file: Some(&ca_file),
    })
    .unwrap();
    cluster.restart().unwrap();
    // The session the restart ended is replaced, over TLS again, at the next transaction.
    store
        .write(|db| db.execute("CREATE TABLE after_restart (x bigint)", args![]))
        .unwrap();
    assert!(encrypted(&store), "the new session is not encrypted");
}

#[test]
fn a_certificate_of_an_unknown_ca_is_refused_with_the_advice_to_set_ca_file() {
    let ca = TestCa::new("sluice test CA").unwrap();
    let cluster = tls_cluster(&ca);
    let other = TestCa::new("another CA").unwrap();
    let dir = TempDir::new().unwrap();
    let other_file = ca_file(&dir, &other);
    let url = remote_url(&cluster, "");
    // A host on another machine needs TLS by default; on 127.0.0.1 a CA file asks for it.
    let cases = [
        (url.clone(), None),
        (url.clone(), Some(other_file.as_path())),
        (cluster.url(), Some(other_file.as_path())),
    ];
    for (url, ca_file) in cases {
        let message = refusal(Database { url: &url, ca_file });
        assert!(message.contains("UnknownIssuer"), "{message}");
        assert!(
            message.contains("not issued by a CA this host trusts"),
            "{message}"
        );
        assert!(message.contains("[state] ca_file"), "{message}");
        assert!(!message.contains(cluster.password()), "{message}");
    }
}

#[test]
fn a_certificate_for_another_name_is_refused_naming_both() {
    let ca = TestCa::new("sluice test CA").unwrap();
    let certificate = ca.issue(&[REMOTE_NAME]).unwrap();
    let cluster = Cluster::start_tls(&certificate).unwrap();
    let dir = TempDir::new().unwrap();
    let ca_file = ca_file(&dir, &ca);
    let url = url_with(&cluster, "sslmode=require");
    let message = refusal(Database {
        url: &url,
        ca_file: Some(&ca_file),
    });
    assert!(
        message.contains("certificate not valid for name \"127.0.0.1\""),
        "{message}"
    );
    assert!(message.contains(REMOTE_NAME), "{message}");
    assert!(
        message.contains("must name the host state.url connects to"),
        "{message}"
    );
    assert!(!message.contains(cluster.password()), "{message}");
}

#[test]
fn required_tls_against_a_server_without_it_says_what_to_do() {
    let cluster = Cluster::start().unwrap();
    // Said in the URL, and by default for a host on another machine.
    for url in [
        url_with(&cluster, "sslmode=require"),
        remote_url(&cluster, ""),
    ] {
        let message = refusal(Database::at(&url));
        assert!(message.contains("the server offers no TLS"), "{message}");
        assert!(message.contains("ssl = on"), "{message}");
        assert!(message.contains("sslmode=disable"), "{message}");
        assert!(!message.contains(cluster.password()), "{message}");
    }
    // Preferred (on this machine, by default) or turned off: plain text.
    for url in [cluster.url(), remote_url(&cluster, "&sslmode=disable")] {
        let store = Store::open_database(Database::at(&url)).unwrap();
        assert!(!encrypted(&store), "{url}");
    }
}

#[test]
fn sslmode_disable_connects_in_plain_text_to_a_tls_server() {
    let ca = TestCa::new("sluice test CA").unwrap();
    let cluster = tls_cluster(&ca);
    let url = remote_url(&cluster, "&sslmode=disable");
    let store = Store::open_database(Database::at(&url)).unwrap();
    assert!(!encrypted(&store), "sslmode=disable, yet encrypted");
    // On this machine without a CA file, plain text is the default: a local server's
    // certificate (often self-signed) is not in the way.
    let store = Store::open_database(Database::at(&cluster.url())).unwrap();
    assert!(!encrypted(&store), "the local default is plain text");
}

#[test]
fn a_ca_file_that_holds_no_certificate_is_refused_by_its_path() {
    let cluster = Cluster::start().unwrap();
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("not-a-ca.pem");
    std::fs::write(&path, "-----BEGIN NOTHING-----\n").unwrap();
    let url = url_with(&cluster, "sslmode=require");
    let err = Store::open_database(Database {
        url: &url,
        ca_file: Some(&path),
    })
    .map(|_| ())
    .unwrap_err();
    assert!(matches!(err, StoreError::Tls { .. }), "{err}");
    let message = err.to_string();
    assert!(message.contains("not-a-ca.pem"), "{message}");
    let missing = dir.path().join("missing.pem");
    let message = refusal(Database {
        url: &url,
        ca_file: Some(&missing),
    });
    assert!(message.contains("missing.pem"), "{message}");
}
