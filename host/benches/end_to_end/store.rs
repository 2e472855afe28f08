//! Where a path's host keeps its state: the SQLite file beside its config (`state.db`, as
//! before), or a database of the bench's PostgreSQL server, started once for the whole run
//! with `fsync` on (to compare fairly with SQLite's `synchronous = FULL`).

use sluice_test_postgres::{Cluster, ClusterError};

/// Where a host keeps its state.
#[derive(Debug, Clone)]
pub enum StoreAt {
    /// The SQLite file `state.db` beside the config.
    File,
    /// A PostgreSQL database (its URL, with the password), and the delivery lease as the
    /// config gives it (`None`: the default, 10s).
    Postgres { url: String, lease: Option<String> },
}

impl StoreAt {
    /// A fresh database `name` of `cluster`, with the default lease.
    pub fn fresh(cluster: &Cluster, name: &str) -> StoreAt {
        let url = cluster
            .create_database(name)
            .unwrap_or_else(|e| panic!("cannot create the database {name}: {e}"));
        StoreAt::Postgres { url, lease: None }
    }

    /// The config's `[state]` table. The path is kept with a URL too: the socket response
    /// actions are handed over on lies beside it (`state.db.sock`), one per host directory.
    pub fn section(&self) -> String {
        let mut text = "[state]\npath = \"state.db\"\n".to_owned();
        if let StoreAt::Postgres { url, lease } = self {
            text.push_str(&format!("url = {}\n", toml::Value::from(url.as_str())));
            if let Some(lease) = lease {
                text.push_str(&format!("lease = {}\n", toml::Value::from(lease.as_str())));
            }
        }
        text
    }

    /// The database's URL; `None` for the file.
    pub fn url(&self) -> Option<&str> {
        match self {
            StoreAt::File => None,
            StoreAt::Postgres { url, .. } => Some(url),
        }
    }
}

/// The bench's PostgreSQL server, durable; `Err` with the note to print when PostgreSQL's
/// server is not installed, so that the SQLite paths still run.
///
/// # Panics
///
/// PostgreSQL is installed but its server did not start: the run would not measure what it
/// says it does.
pub fn start_postgres() -> Result<Cluster, String> {
    match Cluster::start_durable() {
        Ok(cluster) => Ok(cluster),
        Err(error @ ClusterError::NotInstalled { .. }) => Err(format!(
            "PostgreSQL's server is not installed, so the PostgreSQL paths are skipped: {error}"
        )),
        Err(error) => panic!("cannot start the bench's PostgreSQL server: {error}"),
    }
}
