//! Why a cluster could not be made, started or used. Each message says what to do where
//! there is something to do: a test that needs PostgreSQL fails with it.

use std::io;
use std::process::ExitStatus;

/// What went wrong with a [`Cluster`](crate::Cluster).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// No PostgreSQL server binaries were found: tests that need one fail rather than skip,
    /// so that a machine without PostgreSQL cannot pass them by running nothing.
    #[error(
        "PostgreSQL's server programs initdb and postgres were not found (searched: {searched}); \
         install PostgreSQL's server: `apt-get install postgresql` on Debian \
         (or set SLUICE_TEST_PG_BIN to the directory holding initdb and postgres)"
    )]
    NotInstalled {
        /// The places searched, in order.
        searched: String,
    },
    /// Running as root, with no account to run PostgreSQL as (it refuses root).
    #[error(
        "PostgreSQL refuses to run as root, and neither a `postgres` nor a `nobody` user \
         exists to run it as; create one, or run the tests as another user"
    )]
    NoUser,
    /// A file system or process operation failed.
    #[error("cannot {action}: {source}")]
    Io {
        /// What was being done, as "cannot …" continues.
        action: String,
        /// The operating system's error.
        source: io::Error,
    },
    /// `initdb`, or the single-user server that prepares the template, failed.
    #[error("{program} failed ({status}); its output:\n{output}")]
    Command {
        /// The command line's program and purpose.
        program: String,
        /// How it exited.
        status: ExitStatus,
        /// What it wrote, stdout then stderr.
        output: String,
    },
    /// The server did not come up, with the end of its log to say why.
    #[error("the PostgreSQL server did not start: {reason}; the end of its log:\n{log}")]
    Start {
        /// What was seen: an exit status, or a timeout.
        reason: String,
        /// The last lines the server logged.
        log: String,
    },
    /// The server did not exit after being asked to stop.
    #[error("the PostgreSQL server (pid {pid}) did not stop within {seconds} s")]
    Stop {
        /// The postmaster's process id.
        pid: u32,
        /// How long we waited.
        seconds: u64,
    },
    /// A statement sent to the server failed.
    #[error("cannot {action}: {source}")]
    Sql {
        /// What was being done, as "cannot …" continues.
        action: String,
        /// The client's error, with the server's message when there is one.
        source: postgres::Error,
    },
    /// A test certificate could not be made.
    #[error("cannot make a test certificate: {message}")]
    Certificate {
        /// rcgen's words.
        message: String,
    },
    /// A database name this crate will not put in a URL or a statement unquoted.
    #[error("invalid database name {name:?}: use 1 to 63 ASCII letters, digits and underscores")]
    InvalidName {
        /// The name given.
        name: String,
    },
}

impl ClusterError {
    /// An [`Io`](ClusterError::Io) error: `action` continues "cannot …".
    pub(crate) fn io(action: impl Into<String>) -> impl FnOnce(io::Error) -> ClusterError {
        let action = action.into();
        move |source| ClusterError::Io { action, source }
    }

    /// An [`Sql`](ClusterError::Sql) error: `action` continues "cannot …".
    pub(crate) fn sql(action: impl Into<String>) -> impl FnOnce(postgres::Error) -> ClusterError {
        let action = action.into();
        move |source| ClusterError::Sql { action, source }
    }
}
