//! Clusters against real servers: what the state store's tests will rely on.

use std::net::TcpStream;

use postgres::error::SqlState;
use postgres::{Client, NoTls};
use sluice_test_postgres::{Cluster, ClusterError};

fn connect(url: &str) -> Client {
    Client::connect(url, NoTls).unwrap_or_else(|error| panic!("cannot connect to {url}: {error}"))
}

/// Creates the table `notes` with one row, `text`, committed.
fn write_note(client: &mut Client, text: &str) {
    client
        .batch_execute("CREATE TABLE notes (id serial PRIMARY KEY, text text NOT NULL)")
        .unwrap();
    client
        .execute("INSERT INTO notes (text) VALUES ($1)", &[&text])
        .unwrap();
}

fn notes(client: &mut Client) -> Vec<String> {
    client
        .query("SELECT text FROM notes ORDER BY id", &[])
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect()
}

#[test]
fn a_cluster_serves_its_url_to_its_owner_over_tcp() {
    let cluster = Cluster::start().unwrap();
    let url = cluster.url();
    assert!(
        url.starts_with("postgres://sluice:")
            && url.ends_with(&format!("@127.0.0.1:{}/sluice", cluster.port())),
        "{url}"
    );
    let mut client = connect(&url);
    write_note(&mut client, "hello");
    assert_eq!(notes(&mut client), ["hello"]);
    let row = client
        .query_one(
            "SELECT current_user::text, current_database()::text, inet_server_addr()::text, \
             current_setting('fsync')",
            &[],
        )
        .unwrap();
    let seen: (String, String, String, String) = (row.get(0), row.get(1), row.get(2), row.get(3));
    assert_eq!(
        seen,
        (
            "sluice".into(),
            "sluice".into(),
            "127.0.0.1/32".into(),
            "off".into()
        )
    );
}

#[test]
fn a_durable_cluster_syncs() {
    let cluster = Cluster::start_durable().unwrap();
    let mut client = connect(&cluster.url());
    for setting in ["fsync", "full_page_writes", "synchronous_commit"] {
        let row = client
            .query_one("SELECT current_setting($1)", &[&setting])
            .unwrap();
        assert_eq!(row.get::<_, String>(0), "on", "{setting}");
    }
}

#[test]
fn a_wrong_password_is_refused_as_an_authentication_failure() {
    let cluster = Cluster::start().unwrap();
    let url = cluster.url_with_password("not the p@ssword");
    assert!(url.contains(":not%20the%20p%40ssword@"), "{url}");
    let error = match Client::connect(&url, NoTls) {
        Ok(_) => panic!("a wrong password must be refused"),
        Err(error) => error,
    };
    assert_eq!(
        error.code(),
        Some(&SqlState::INVALID_PASSWORD),
        "expected 28P01 (invalid_password), got: {error}"
    );
}

#[test]
fn stop_then_restart_keeps_the_data_and_the_port() {
    let mut cluster = Cluster::start().unwrap();
    let port = cluster.port();
    write_note(&mut connect(&cluster.url()), "kept");

    cluster.stop().unwrap();
    assert!(
        Client::connect(&cluster.url(), NoTls).is_err(),
        "a stopped server still accepts"
    );
    cluster
        .stop()
        .expect("stopping a stopped cluster does nothing");

    cluster.restart().unwrap();
    assert_eq!(cluster.port(), port);
    assert_eq!(notes(&mut connect(&cluster.url())), ["kept"]);

    // Restarting a running cluster stops it first.
    cluster.restart().unwrap();
    assert_eq!(notes(&mut connect(&cluster.url())), ["kept"]);
}

#[test]
fn kill_then_restart_keeps_a_committed_row() {
    let mut cluster = Cluster::start().unwrap();
    // A session left open across the kill: its backend outlives the postmaster for a moment,
    // holding the shared memory a new server must wait for.
    let mut session = connect(&cluster.url());
    write_note(&mut session, "committed");
    session
        .batch_execute("BEGIN; INSERT INTO notes (text) VALUES ('open')")
        .unwrap();

    cluster.kill();
    cluster.kill();
    assert!(
        Client::connect(&cluster.url(), NoTls).is_err(),
        "a killed server still accepts"
    );
    cluster.restart().unwrap();
    assert_eq!(notes(&mut connect(&cluster.url())), ["committed"]);
    assert!(
        session.batch_execute("COMMIT").is_err(),
        "a session outlived its server"
    );
}

#[test]
fn a_killed_cluster_can_be_dropped_without_a_restart() {
    let mut cluster = Cluster::start().unwrap();
    let port = cluster.port();
    let _session = connect(&cluster.url());
    cluster.kill();
    drop(cluster);
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
}

#[test]
fn dropping_a_cluster_stops_its_server() {
    let cluster = Cluster::start().unwrap();
    let port = cluster.port();
    let _session = connect(&cluster.url());
    assert!(TcpStream::connect(("127.0.0.1", port)).is_ok());
    drop(cluster);
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the server outlived its cluster"
    );
}

#[test]
fn two_clusters_at_once_are_apart() {
    let first = Cluster::start().unwrap();
    let second = Cluster::start().unwrap();
    assert_ne!(first.port(), second.port());
    write_note(&mut connect(&first.url()), "first");
    write_note(&mut connect(&second.url()), "second");
    assert_eq!(notes(&mut connect(&first.url())), ["first"]);
    assert_eq!(notes(&mut connect(&second.url())), ["second"]);
    // Each cluster has a password of its own.
    assert!(Client::connect(&second.url_with_password(&password(&first.url())), NoTls).is_err());
}

/// The password in a URL made by [`Cluster::url`].
fn password(url: &str) -> String {
    let after_user = url.split_once("sluice:").unwrap().1;
    after_user.split_once('@').unwrap().0.to_owned()
}

#[test]
fn create_database_gives_a_separate_usable_database() {
    let cluster = Cluster::start().unwrap();
    let url = cluster.create_database("second_store").unwrap();
    let base = cluster.url();
    let base = base.strip_suffix("/sluice").unwrap();
    assert_eq!(url, format!("{base}/second_store"));

    let mut second = connect(&url);
    write_note(&mut second, "in the second");
    let owner = second
        .query_one(
            "SELECT pg_get_userbyid(datdba)::text FROM pg_database WHERE datname = current_database()",
            &[],
        )
        .unwrap();
    assert_eq!(owner.get::<_, String>(0), "sluice");

    let mut first = connect(&cluster.url());
    let error = first.query("SELECT text FROM notes", &[]).unwrap_err();
    assert_eq!(error.code(), Some(&SqlState::UNDEFINED_TABLE), "{error}");

    let taken = cluster.create_database("second_store").unwrap_err();
    assert!(matches!(taken, ClusterError::Sql { .. }), "{taken}");
    for name in ["", "two words", "quote\"d", &"x".repeat(64)] {
        let error = cluster.create_database(name).unwrap_err();
        assert!(
            matches!(error, ClusterError::InvalidName { .. }),
            "{name:?}: {error}"
        );
    }
}

#[test]
fn a_restart_on_a_taken_port_fails_with_the_servers_own_words() {
    let mut cluster = Cluster::start().unwrap();
    write_note(&mut connect(&cluster.url()), "kept");
    cluster.stop().unwrap();
    let squatter = std::net::TcpListener::bind(("127.0.0.1", cluster.port())).unwrap();

    let error = cluster.restart().expect_err("the port is taken");
    let message = error.to_string();
    assert!(matches!(error, ClusterError::Start { .. }), "{error:?}");
    assert!(message.contains("Address already in use"), "{message}");

    drop(squatter);
    cluster.restart().unwrap();
    assert_eq!(notes(&mut connect(&cluster.url())), ["kept"]);
}
