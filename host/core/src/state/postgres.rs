//! The store in a PostgreSQL database, shared by several hosts: connecting (and connecting
//! again after the server or the network went away), over TLS as `tls.rs` decides,
//! transactions, and the name messages give it (the URL without its password).

mod tls;

use std::cell::{Cell, RefCell};
use std::time::Duration;

use postgres::config::SslMode;
use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, Config, SimpleQueryMessage};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::db::{self, postgres::Statements, Db};
use super::lease::{self, Fence};
use super::{Database, StoreError};

pub(super) use tls::advice as tls_advice;
pub(crate) use tls::config as parse_url;

/// How long connecting may take when the URL does not say (`connect_timeout`).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long data sent to the database may go unacknowledged before the connection counts as
/// lost (`tcp_user_timeout`), when the URL does not say.
const TCP_USER_TIMEOUT: Duration = Duration::from_secs(5);

/// A connection to the database, with the statements prepared on it.
pub(super) struct Link {
    client: RefCell<Client>,
    statements: Statements,
    config: Config,
    /// How each connection, the first and any later one, is encrypted and verified; `None`
    /// with `sslmode=disable` (which then needs no CA certificates on this machine).
    tls: Option<MakeRustlsConnect>,
    /// Whether this connection listens for queued alerts (a new one must be told again).
    listening: Cell<bool>,
}

impl Link {
    /// Connects to `database`'s URL (a `postgres://` URL or `key=value` pairs), over TLS as
    /// its `sslmode` and `ca_file` say; returns the link and the name messages give the store.
    pub(super) fn connect(database: Database<'_>) -> Result<(Link, String), StoreError> {
        let mut config = tls::config(database.url, database.ca_file.is_some())
            .map_err(|message| StoreError::Url { message })?;
        if config.get_hosts().is_empty() {
            return Err(StoreError::Url {
                message: "it names no host".into(),
            });
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        // A network cut must show as an error within seconds, not when the operating system
        // gives up on the connection (minutes): the delivering host has to notice before its
        // lease lapses.
        if config.get_tcp_user_timeout().is_none() {
            config.tcp_user_timeout(TCP_USER_TIMEOUT);
        }
        if config.get_keepalives_interval().is_none() {
            config
                .keepalives_idle(Duration::from_secs(5))
                .keepalives_interval(Duration::from_secs(2))
                .keepalives_retries(3);
        }
        // Which process a connection is, for the database's operators (pg_stat_activity).
        if config.get_application_name().is_none() {
            config.application_name(&format!("sluice process {}", std::process::id()));
        }
        let name = display_name(&config);
        let tls = match config.get_ssl_mode() {
            SslMode::Disable => None,
            _ => Some(tls::connector(database.ca_file).map_err(|error| StoreError::Tls { error })?),
        };
        let client = open(&config, tls.as_ref()).map_err(StoreError::database(&name))?;
        Ok((
            Link {
                client: RefCell::new(client),
                statements: Statements::default(),
                config,
                tls,
                listening: Cell::new(false),
            },
            name,
        ))
    }

    /// Connects again if the connection was lost; statements prepared on the old one, and
    /// its `LISTEN`, go.
    fn reconnect_if_closed(&self) -> db::Result<()> {
        if self.client.borrow().is_closed() || self.statements.lost() {
            self.reconnect()?;
        }
        Ok(())
    }

    fn reconnect(&self) -> db::Result<()> {
        let client = open(&self.config, self.tls.as_ref())?;
        *self.client.borrow_mut() = client;
        self.statements.forget();
        self.listening.set(false);
        Ok(())
    }

    /// Statements outside a transaction (each commits on its own).
    pub(super) fn db(&self) -> Db<'_> {
        // A failed reconnect shows as the next statement's connection error.
        let _ = self.reconnect_if_closed();
        Db::postgres(&self.client, &self.statements)
    }

    /// Runs `f` in a transaction, committed when `commit` and `f` succeeded, else rolled back.
    /// A transaction fenced by `fence` (see `lease`) fails unless the lease is still its.
    pub(super) fn write<T>(
        &mut self,
        f: impl FnOnce(&Db<'_>) -> db::Result<T>,
        commit: bool,
        fence: Option<&Fence>,
    ) -> db::Result<T> {
        let opening = match fence {
            Some(fence) => format!("BEGIN; {}", lease::fence_query(fence)),
            None => "BEGIN".to_owned(),
        };
        // Ends the transaction on every way out: the query after `BEGIN` may fail once the
        // transaction has begun, and a connection left in a failed transaction refuses every
        // later statement.
        let open = OpenTransaction::new(&self.client);
        let answer = self.begin(&opening)?;
        if let Some(fence) = fence {
            let held = answer
                .iter()
                .any(|m| matches!(m, SimpleQueryMessage::Row(_)));
            if !held {
                return Err(lease::fenced(fence));
            }
        }
        let value = f(&Db::postgres(&self.client, &self.statements))?;
        open.end(if commit { "COMMIT" } else { "ROLLBACK" })?;
        Ok(value)
    }

    /// Starts a transaction with `opening` (`BEGIN`, perhaps followed by a query, in one round
    /// trip), on a new connection if the one held was lost; returns what it answered.
    fn begin(&self, opening: &str) -> db::Result<Vec<SimpleQueryMessage>> {
        self.reconnect_if_closed()?;
        match self
            .client
            .borrow_mut()
            .simple_query(opening)
            .map_err(db::DbError::from)
        {
            Ok(answer) => return Ok(answer),
            // The session may have ended with nothing to show for it yet (the server closed
            // the socket since the last statement): `BEGIN` is what finds out, and as nothing
            // else was sent, a new connection may safely try again.
            Err(e) if e.is_connection() => {}
            Err(e) => return Err(e),
        }
        self.reconnect()?;
        Ok(self.client.borrow_mut().simple_query(opening)?)
    }

    /// Waits up to `wait` for a host to queue alerts (the `alerts_queued` trigger's
    /// notification); `true` when one did. The first call starts listening.
    pub(super) fn wait_for_alerts(&mut self, wait: Duration) -> db::Result<bool> {
        self.reconnect_if_closed()?;
        let client = self.client.get_mut();
        if !self.listening.get() {
            client.batch_execute("LISTEN sluice_alerts")?;
            self.listening.set(true);
        }
        let mut notifications = client.notifications();
        let first = notifications.timeout_iter(wait).next()?;
        // Several notifications may be waiting: one wake-up is enough for them all.
        while let Ok(Some(_)) = notifications.iter().next() {}
        Ok(first.is_some())
    }

    /// The newest alert's id: it grows whenever any host queues an alert.
    pub(super) fn newest_alert(&self) -> db::Result<i64> {
        self.db()
            .value("SELECT coalesce(max(id), 0) FROM alerts", db::args![])
    }
}

/// A new session on the server `config` names, over TLS unless `tls` is `None`.
fn open(config: &Config, tls: Option<&MakeRustlsConnect>) -> Result<Client, postgres::Error> {
    let mut client = match tls {
        Some(tls) => config.connect(tls.clone()),
        None => config.connect(postgres::NoTls),
    }?;
    // Each statement is prepared once per connection and run for its life. After a few runs
    // PostgreSQL may keep one generic plan for it, and one chosen while a site's tables were
    // still empty outlives their growth: the query for due ticket actions then read the whole
    // outbox for each pending action. Planning each run for the tables as they are costs a
    // fraction of a millisecond.
    client.batch_execute("SET plan_cache_mode = force_custom_plan")?;
    Ok(client)
}

/// A transaction begun on a connection: rolled back unless ended (an error or a panic in
/// the middle leaves the connection clean for the next one).
struct OpenTransaction<'c> {
    client: &'c RefCell<Client>,
    ended: bool,
}

impl<'c> OpenTransaction<'c> {
    fn new(client: &'c RefCell<Client>) -> Self {
        OpenTransaction {
            client,
            ended: false,
        }
    }

    fn end(mut self, how: &str) -> db::Result<()> {
        self.ended = true;
        Ok(self.client.borrow_mut().batch_execute(how)?)
    }
}

impl Drop for OpenTransaction<'_> {
    fn drop(&mut self) {
        // A lost connection needs no more: the server rolls back what it did not commit.
        if !self.ended {
            if let Ok(mut client) = self.client.try_borrow_mut() {
                let _ = client.batch_execute("ROLLBACK");
            }
        }
    }
}

/// `postgres://user@host:port/database`: the URL without its password, for messages.
fn display_name(config: &Config) -> String {
    let user = config.get_user().unwrap_or("");
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .zip(config.get_ports().iter().chain(std::iter::repeat(&5432)))
        .map(|(host, port)| match host {
            postgres::config::Host::Tcp(h) => format!("{h}:{port}"),
            #[cfg(unix)]
            postgres::config::Host::Unix(p) => p.display().to_string(),
        })
        .collect();
    let database = config.get_dbname().unwrap_or(user);
    let at = if user.is_empty() { "" } else { "@" };
    format!("postgres://{user}{at}{}/{database}", hosts.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn the_name_leaves_the_password_out() {
        let config =
            Config::from_str("postgres://sluice:s3cret-pw@db1.example:6432/alerts").unwrap();
        assert_eq!(
            display_name(&config),
            "postgres://sluice@db1.example:6432/alerts"
        );
        let config = Config::from_str("host=db2 user=ops password=s3cret-pw").unwrap();
        assert_eq!(display_name(&config), "postgres://ops@db2:5432/ops");
    }
}
