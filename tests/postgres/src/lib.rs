//! Throwaway PostgreSQL clusters for sluice's tests: each [`Cluster`] is a server of its own,
//! on a loopback port of its own, in a temporary directory that goes when the cluster is
//! dropped.
//!
//! ```
//! use sluice_test_postgres::Cluster;
//!
//! let cluster = Cluster::start().unwrap();
//! let mut client = postgres::Client::connect(&cluster.url(), postgres::NoTls).unwrap();
//! let row = client.query_one("SELECT current_user::text", &[]).unwrap();
//! assert_eq!(row.get::<_, String>(0), "sluice");
//! ```
//!
//! A cluster has the superuser `sluice`, who owns the database `sluice`; the code under test
//! reaches it only through its URL, over TCP with a password (SCRAM), as it would reach a real
//! server. Starting one copies a template data directory, made once and kept in the temporary
//! directory, rather than running `initdb`, so that many test processes can each start their
//! own cheaply.
//!
//! The server programs are looked for in `SLUICE_TEST_PG_BIN`, then in the newest
//! `/usr/lib/postgresql/*/bin`, then on PATH. Without them a start fails with
//! [`ClusterError::NotInstalled`], which says what to install: a test that needs PostgreSQL
//! fails rather than passing by testing nothing.

#![warn(missing_docs)]

mod account;
mod error;
mod install;
mod pki;
mod server;
// The libc calls std has no wrapper for; nothing else in this crate is unsafe.
#[allow(unsafe_code)]
mod sys;
mod template;

use std::fs::{self, Permissions};
use std::os::unix::fs::PermissionsExt;
use std::process::Child;
use std::time::Duration;

use tempfile::TempDir;

pub use error::ClusterError;
pub use pki::{ServerCertificate, TestCa};

use account::Account;
use install::Install;
use server::{Settings, TlsFiles};
use sys::Signal;
use template::{DATABASE, SUPERUSER};

/// How long a fast shutdown may take: it writes a checkpoint, which syncs when durable.
const STOP_PATIENCE: Duration = Duration::from_secs(60);

/// How long a drop waits for an immediate shutdown, then for a killed server's backends.
const DROP_PATIENCE: Duration = Duration::from_secs(5);

/// One running PostgreSQL server and its data. Dropping it shuts the server down at once
/// (an immediate shutdown, then SIGKILL if that does not end it within five seconds) and
/// removes its directory; a test that panics still drops it while unwinding.
#[derive(Debug)]
pub struct Cluster {
    settings: Settings,
    /// `None` once stopped or killed.
    postmaster: Option<Child>,
    /// The last postmaster's process id, running or not: its shared memory is cleared after
    /// a kill.
    pid: u32,
    port: u16,
    password: String,
    /// Removed when the cluster drops, after [`Drop::drop`] has stopped the server.
    _dir: TempDir,
}

impl Cluster {
    /// Starts a fresh cluster with `fsync` off: what tests want, as a test's data need not
    /// survive the machine crashing, and syncing would make them slow. Committed data still
    /// survives the server being killed ([`Cluster::kill`]).
    pub fn start() -> Result<Cluster, ClusterError> {
        Cluster::start_with(false, None)
    }

    /// Starts a fresh cluster, as [`Cluster::start`], with TLS on (`ssl = on`): the server
    /// presents `certificate` (from [`TestCa::issue`]), and still accepts sessions without
    /// TLS, as a server does unless its `pg_hba.conf` says `hostssl`. Its certificate and key
    /// are files of the server's account only (mode 0600), as PostgreSQL requires of a key.
    pub fn start_tls(certificate: &ServerCertificate) -> Result<Cluster, ClusterError> {
        Cluster::start_with(false, Some(certificate))
    }

    /// Starts a fresh cluster with `fsync` and `full_page_writes` on, as a production server
    /// runs: for benchmarks that compare with SQLite's `synchronous = FULL`.
    pub fn start_durable() -> Result<Cluster, ClusterError> {
        Cluster::start_with(true, None)
    }

    fn start_with(
        durable: bool,
        certificate: Option<&ServerCertificate>,
    ) -> Result<Cluster, ClusterError> {
        let install = Install::find()?;
        let account = Account::choose()?;
        let template = template::template(&install, &account)?;
        let dir = scratch_dir(durable).map_err(ClusterError::io("create a temporary directory"))?;
        let settings = Settings {
            program: install.program("postgres"),
            dir: dir.path().to_path_buf(),
            data: dir.path().join("data"),
            sockets: dir.path().join("sockets"),
            log: dir.path().join("server.log"),
            durable,
            tls: certificate.map(|_| TlsFiles::in_dir(dir.path())),
            account,
        };
        let action = format!("prepare {}", dir.path().display());
        // The account running the server must reach its data and socket directories.
        (|| {
            fs::set_permissions(dir.path(), Permissions::from_mode(0o755))?;
            fs::create_dir(&settings.sockets)?;
            fs::set_permissions(&settings.sockets, Permissions::from_mode(0o700))?;
            settings.account.give(&settings.sockets)?;
            if let (Some(files), Some(certificate)) = (&settings.tls, certificate) {
                files.write(certificate, &settings.account)?;
            }
            Ok::<(), std::io::Error>(())
        })()
        .map_err(ClusterError::io(action))?;
        template::copy(&template, &settings.data, &settings.account)?;
        let launched = settings.launch(None)?;
        let mut admin = launched.client;
        let cluster = Cluster {
            settings,
            pid: launched.child.id(),
            postmaster: Some(launched.child),
            port: launched.port,
            password: uuid::Uuid::new_v4().simple().to_string(),
            _dir: dir,
        };
        // The template's password is shared by every copy; each cluster gets its own.
        let statement = format!("ALTER ROLE {SUPERUSER} PASSWORD '{}'", cluster.password);
        admin
            .batch_execute(&statement)
            .map_err(ClusterError::sql("set the superuser's password"))?;
        Ok(cluster)
    }

    /// The URL of the database `sluice` as its owner `sluice`, with the cluster's password:
    /// `postgres://sluice:<password>@127.0.0.1:<port>/sluice`.
    pub fn url(&self) -> String {
        self.url_of(DATABASE, &self.password)
    }

    /// The password of the superuser `sluice` (in [`Cluster::url`]): for tests that give it
    /// apart from the URL, or check that nothing shows it.
    pub fn password(&self) -> &str {
        &self.password
    }

    /// The URL of the `postgres` database `initdb` made, for sessions that must not be in
    /// the database under test (e.g. to refuse connections to it for a while).
    pub fn maintenance_url(&self) -> String {
        self.url_of("postgres", &self.password)
    }

    /// [`Cluster::url`] with another password, which the server refuses: for tests of how
    /// wrong credentials are reported.
    pub fn url_with_password(&self, password: &str) -> String {
        self.url_of(DATABASE, password)
    }

    /// Creates a further empty database, owned by `sluice`, and returns its URL: for tests
    /// that need two stores apart on one server. `name` is 1 to 63 ASCII letters, digits and
    /// underscores, so that it needs no quoting in a URL.
    pub fn create_database(&self, name: &str) -> Result<String, ClusterError> {
        let valid = (1..=63).contains(&name.len())
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !valid {
            return Err(ClusterError::InvalidName {
                name: name.to_owned(),
            });
        }
        let action = format!("create the database {name}");
        let mut admin = self
            .settings
            .admin(self.port)
            .map_err(ClusterError::sql(&action))?;
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\" OWNER {SUPERUSER}"))
            .map_err(ClusterError::sql(action))?;
        Ok(self.url_of(name, &self.password))
    }

    /// The server's TCP port on 127.0.0.1; kept across [`Cluster::restart`].
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Shuts the server down the way an operator would (a fast shutdown: open sessions are
    /// ended, a checkpoint is written); the data stays for [`Cluster::restart`]. Stopping a
    /// stopped cluster does nothing.
    pub fn stop(&mut self) -> Result<(), ClusterError> {
        if let Some(child) = &mut self.postmaster {
            server::stop(child, Signal::Interrupt, STOP_PATIENCE)?;
            self.postmaster = None;
        }
        Ok(())
    }

    /// Kills the postmaster with SIGKILL, as a crash would: no checkpoint, no goodbye to
    /// clients. Its backends notice and exit on their own; [`Cluster::restart`] then recovers
    /// from the write-ahead log.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.postmaster.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and data, after [`Cluster::stop`] or
    /// [`Cluster::kill`] (or stops it first if it runs). Fails if another process took the
    /// port meanwhile.
    pub fn restart(&mut self) -> Result<(), ClusterError> {
        self.stop()?;
        server::clear_orphans(&self.settings.data, self.pid, DROP_PATIENCE, false);
        let launched = self.settings.launch(Some(self.port))?;
        self.pid = launched.child.id();
        self.postmaster = Some(launched.child);
        Ok(())
    }

    /// The URL of `database` with `password`, which is percent-encoded.
    fn url_of(&self, database: &str, password: &str) -> String {
        let port = self.port;
        let password = percent_encode(password);
        format!("postgres://{SUPERUSER}:{password}@127.0.0.1:{port}/{database}")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Some(mut child) = self.postmaster.take() {
            if server::stop(&mut child, Signal::Quit, DROP_PATIENCE).is_err() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        server::clear_orphans(&self.settings.data, self.pid, DROP_PATIENCE, true);
    }
}

/// `text` with everything but URL-unreserved characters percent-encoded.
fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// A new directory for a cluster. A test's cluster goes to memory (`/dev/shm`) where there is
/// one: copying the template there costs a tenth of what creating its thousand files on disk
/// does, and its data need not outlive the test. A durable cluster stays on disk, where
/// syncing means something.
fn scratch_dir(durable: bool) -> std::io::Result<TempDir> {
    let builder = || {
        let mut b = tempfile::Builder::new();
        b.prefix("sluice-test-postgres-cluster-");
        b
    };
    let memory = std::path::Path::new("/dev/shm");
    if !durable && memory.is_dir() {
        if let Ok(dir) = builder().tempdir_in(memory) {
            return Ok(dir);
        }
    }
    builder().tempdir()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_percent_encoded_in_urls() {
        assert_eq!(percent_encode("plain-1.2_3~"), "plain-1.2_3~");
        assert_eq!(percent_encode("a@b:c/d%é"), "a%40b%3Ac%2Fd%25%C3%A9");
    }
}
