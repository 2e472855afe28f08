//! Operating hosts on a shared (PostgreSQL) store: `sluice status`, `/readyz` and `/metrics`
//! say which host delivers; `sluice validate --environment` refuses a store it could not use
//! (TLS included: an untrusted certificate, a server without TLS), saying why and never
//! showing the password; the running host reaches its store over TLS only.

use crate::support::{metric, tail, telemetry, Site, BRISK};

#[test]
fn status_readyz_and_metrics_say_which_host_delivers() {
    let (layer_a, endpoint_a) = telemetry();
    let site = Site::shared(&[BRISK, &layer_a]);
    let a = site.run().host("a").start();
    a.wait_for_lines("This host took the delivery lease", 1);
    let (layer_b, endpoint_b) = telemetry();
    site.configure(&[BRISK, &layer_b, &shared_layer(&site)]);
    let b = site.run().host("b").start();
    b.wait_for_lines("Another host delivers", 1);

    let (code, out, err) = site.sluice(&["status"], &[]);
    assert_eq!(code, Some(0), "{err}");
    let holder = format!("process {}", a.pid());
    let delivering = out
        .lines()
        .find(|l| l.starts_with("Delivering:"))
        .unwrap_or_else(|| panic!("no Delivering line:\n{out}"));
    assert!(delivering.contains(&holder), "{out}");
    assert!(
        out.contains("State store: postgres://sluice@127.0.0.1:"),
        "{out}"
    );
    assert!(
        !out.contains(&site.postgres().url()),
        "the password is not shown:\n{out}"
    );

    let (status, body) = site.get(&format!("http://{endpoint_b}/readyz"));
    assert_eq!(
        status, 200,
        "a standby is ready: it accepts response actions: {body}"
    );
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["delivery"]["role"], "standby", "{body}");
    assert!(
        body["delivery"]["holder"]
            .as_str()
            .unwrap()
            .contains(&holder),
        "{body}"
    );
    let (_, body) = site.get(&format!("http://{endpoint_a}/readyz"));
    assert!(body.contains(r#""role":"delivering""#), "{body}");

    let (_, metrics_a) = site.get(&format!("http://{endpoint_a}/metrics"));
    let (_, metrics_b) = site.get(&format!("http://{endpoint_b}/metrics"));
    assert_eq!(
        metric(&metrics_a, "sluice_delivering"),
        Some(1.0),
        "{metrics_a}"
    );
    assert_eq!(
        metric(&metrics_b, "sluice_delivering"),
        Some(0.0),
        "{metrics_b}"
    );
    assert_eq!(
        metric(&metrics_a, "sluice_lease_takeovers_total"),
        Some(1.0)
    );
    b.stop().assert_clean();
    a.stop().assert_clean();
}

/// The `[state] url` layer of `site`'s store.
fn shared_layer(site: &Site) -> String {
    format!(
        "[state]\nurl = {}",
        toml::Value::from(site.postgres().url())
    )
}

#[test]
fn validate_environment_refuses_a_store_it_could_not_use() {
    let site = Site::shared(&[BRISK]);
    let (code, out, err) = site.sluice(&["validate", "--environment"], &[]);
    assert_eq!(
        code,
        Some(0),
        "a reachable, empty database is fine:\n{out}{err}"
    );

    let wrong = site.postgres().url_with_password("wr0ng-pa55word");
    site.configure(&[
        BRISK,
        &format!("[state]\nurl = {}", toml::Value::from(wrong)),
    ]);
    let (code, _, err) = site.sluice(&["validate", "--environment"], &[]);
    assert_eq!(code, Some(78), "{err}");
    assert!(err.contains("state.url"), "{err}");
    assert!(err.contains("password authentication failed"), "{err}");
    assert!(!err.contains("wr0ng-pa55word"), "{err}");

    // The password from the environment, as a secret reference: read, and right.
    let port = site.postgres().port();
    let password = site.postgres().password().to_owned();
    site.configure(&[
        BRISK,
        &format!("[state]\nurl = \"postgres://sluice:${{PGPW}}@127.0.0.1:{port}/sluice\""),
    ]);
    let (code, _, err) = site.sluice(&["validate", "--environment"], &[("PGPW", &password)]);
    assert_eq!(code, Some(0), "{err}");

    site.configure(&[
        BRISK,
        "[state]\nurl = \"postgres://sluice@127.0.0.1:1/sluice\"",
    ]);
    let (code, _, err) = site.sluice(&["validate", "--environment"], &[]);
    assert_eq!(code, Some(78), "{err}");
    assert!(err.contains("check that PostgreSQL runs"), "{}", tail(&err));
}

#[test]
fn run_refuses_at_start_a_store_it_cannot_use() {
    let site = Site::shared(&[BRISK]);
    let right = site.postgres().url();
    let wrong = site.postgres().url_with_password("n0t-the-pa55word");
    site.configure(&[
        BRISK,
        &format!("[state]\nurl = {}", toml::Value::from(wrong)),
    ]);
    let exit = site.run().spawn().wait();
    assert_eq!(exit.code, Some(1), "{}", tail(&exit.log));
    assert!(
        exit.log.contains("password authentication failed"),
        "{}",
        tail(&exit.log)
    );
    assert!(
        !exit.log.contains("n0t-the-pa55word"),
        "{}",
        tail(&exit.log)
    );

    // A store a newer sluice wrote: refused by validate --environment and at start.
    let mut store = sluice_core::Store::open_postgres(&right).unwrap();
    store
        .write(|db| {
            db.execute(
                "UPDATE meta SET value = '999' WHERE key = 'schema_version'",
                sluice_core::store::db::args![],
            )
        })
        .unwrap();
    site.configure(&[
        BRISK,
        &format!("[state]\nurl = {}", toml::Value::from(right)),
    ]);
    let (code, _, err) = site.sluice(&["validate", "--environment"], &[]);
    assert_eq!(code, Some(78), "{err}");
    assert!(
        err.contains("schema version 999, newer than this sluice"),
        "{err}"
    );
    let exit = site.run().spawn().wait();
    assert_eq!(exit.code, Some(1), "{}", tail(&exit.log));
    assert!(
        exit.log.contains("newer than this sluice"),
        "{}",
        tail(&exit.log)
    );
}

/// A name the TLS store's certificate is issued for, reached at 127.0.0.1 through `hostaddr`:
/// as far as sluice can tell, a server on another machine, where TLS is required by default.
const DB_NAME: &str = "db.sluice-test.invalid";

/// A PostgreSQL server with TLS on, its certificate issued for [`DB_NAME`] by `ca`.
fn tls_store(ca: &sluice_test_postgres::TestCa) -> sluice_test_postgres::Cluster {
    let certificate = ca.issue(&[DB_NAME]).unwrap();
    sluice_test_postgres::Cluster::start_tls(&certificate).unwrap()
}

/// The `[state]` layer of `cluster` by [`DB_NAME`], with `extra` lines.
fn tls_layer(cluster: &sluice_test_postgres::Cluster, extra: &str) -> String {
    let url = cluster
        .url()
        .replace("@127.0.0.1:", &format!("@{DB_NAME}:"));
    let url = format!("{url}?hostaddr=127.0.0.1");
    format!("[state]\nurl = {}\n{extra}", toml::Value::from(url))
}

#[test]
fn validate_environment_says_why_tls_to_the_store_fails() {
    let site = Site::new(&[BRISK]);
    let ca = sluice_test_postgres::TestCa::new("sluice test CA").unwrap();
    let cluster = tls_store(&ca);
    let secret = cluster.password().to_owned();

    site.configure(&[BRISK, &tls_layer(&cluster, "")]);
    let (code, _, err) = site.sluice(&["validate", "--environment"], &[]);
    assert_eq!(code, Some(78), "{err}");
    assert!(err.contains("state.url"), "{err}");
    assert!(err.contains("UnknownIssuer"), "{err}");
    assert!(err.contains("not issued by a CA this host trusts"), "{err}");
    assert!(err.contains("[state] ca_file"), "{err}");
    assert!(!err.contains(&secret), "{err}");

    // The CA beside the config, named relative to it: trusted, and the store usable.
    std::fs::write(site.dir().join("db-ca.pem"), ca.pem()).unwrap();
    site.configure(&[BRISK, &tls_layer(&cluster, "ca_file = \"db-ca.pem\"")]);
    let (code, out, err) = site.sluice(&["validate", "--environment"], &[]);
    assert_eq!(code, Some(0), "{out}{err}");

    std::fs::write(site.dir().join("not-a-ca.pem"), "nothing here\n").unwrap();
    site.configure(&[BRISK, &tls_layer(&cluster, "ca_file = \"not-a-ca.pem\"")]);
    let (code, _, err) = site.sluice(&["validate", "--environment"], &[]);
    assert_eq!(code, Some(78), "{err}");
    assert!(err.contains("state.ca_file"), "{err}");
    assert!(err.contains("holds no PEM certificate"), "{err}");

    // A server without TLS, where the URL requires it.
    let plain = sluice_test_postgres::Cluster::start().unwrap();
    let url = format!("{}?sslmode=require", plain.url());
    site.configure(&[BRISK, &format!("[state]\nurl = {}", toml::Value::from(url))]);
    let (code, _, err) = site.sluice(&["validate", "--environment"], &[]);
    assert_eq!(code, Some(78), "{err}");
    assert!(err.contains("the server offers no TLS"), "{err}");
    assert!(err.contains("sslmode=disable"), "{err}");
}

#[test]
fn run_and_status_reach_the_store_over_tls_only() {
    let site = Site::new(&[BRISK]);
    let ca = sluice_test_postgres::TestCa::new("sluice test CA").unwrap();
    let cluster = tls_store(&ca);
    let ca_file = site.dir().join("db-ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();
    let ca_line = format!(
        "ca_file = {}",
        toml::Value::from(ca_file.display().to_string())
    );
    site.configure(&[BRISK, &tls_layer(&cluster, &ca_line)]);
    let host = site.run().start();
    host.wait_for_lines("This host took the delivery lease", 1);
    let (code, out, err) = site.sluice(&["status"], &[]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains(&format!("process {}", host.pid())), "{out}");

    // As the server sees them: every session of sluice's is encrypted.
    let mut admin = postgres::Client::connect(
        &format!("{}?sslmode=disable", cluster.url()),
        postgres::NoTls,
    )
    .unwrap();
    let count = |admin: &mut postgres::Client, ssl: bool| -> i64 {
        admin
            .query_one(
                "SELECT count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) \
                 WHERE application_name LIKE 'sluice process %' AND ssl = $1",
                &[&ssl],
            )
            .unwrap()
            .get(0)
    };
    assert!(count(&mut admin, true) >= 2, "the host's sessions use TLS");
    assert_eq!(count(&mut admin, false), 0, "no session in plain text");
    host.stop().assert_clean();
}
