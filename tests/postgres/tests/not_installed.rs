//! Without PostgreSQL's server, a cluster fails to start with a message that says what to
//! install. In a test binary of its own: it sets an environment variable, which `cargo test`
//! would otherwise share with the tests running beside it.

use sluice_test_postgres::{Cluster, ClusterError};

#[test]
fn without_the_server_binaries_the_error_says_what_to_install() {
    let empty = tempfile::tempdir().unwrap();
    // SAFETY (edition 2024's rule, kept here): no other thread of this binary reads the
    // environment; this is its only test.
    std::env::set_var("SLUICE_TEST_PG_BIN", empty.path());
    let error = Cluster::start().expect_err("no server in an empty directory");
    assert!(
        matches!(error, ClusterError::NotInstalled { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    for expected in [
        format!("SLUICE_TEST_PG_BIN={}", empty.path().display()),
        "install PostgreSQL's server: `apt-get install postgresql` on Debian".to_owned(),
        "(or set SLUICE_TEST_PG_BIN to the directory holding initdb and postgres)".to_owned(),
    ] {
        assert!(
            message.contains(&expected),
            "{expected:?} not in: {message}"
        );
    }
}
