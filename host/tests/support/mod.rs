//! The one test site of the end-to-end and operations tests: the real `sluice` binary and
//! plugins against both emulators on loopback.
//!
//! - [`site`]: the emulators, served by a runtime the test owns, and the directory `sluice`
//!   runs in, with what a test reads back: incidents and journals from ServiceNow, the queue
//!   from the state store;
//! - [`config`]: the config written there, a base for the emulators with TOML layers merged
//!   over it;
//! - [`daemon`]: `sluice run` as a child process, its log read as it is written, and the one
//!   way a test waits: polling, with [`daemon::PATIENCE`], failing at once if the host exits;
//! - [`records`]: activity records as the Auditor stores them, and alerts for them;
//! - [`ports`]: loopback ports where nothing listens, and free ones, never handed out twice.
//!
//! Nothing is asserted after a fixed sleep: conditions are polled until they hold.
//!
//! A test of what the state store keeps (queueing, delivery, restarts, hand-off) runs on both
//! databases the store can be kept in: its body is a function taking the [`Backend`], which
//! builds its site with [`Site::on`], and [`on_both_backends!`] makes the `sqlite::` and
//! `postgres::` tests that call it.

mod config;
mod daemon;
pub mod pki;
pub mod ports;
mod records;
mod site;

pub use config::{telemetry, AUDITOR_PASSWORD, AUDITOR_USER, BRISK, POLLING};
pub use daemon::{tail, Daemon, Exit, Run, PATIENCE};
pub use ports::{closed_port, free_port};
pub use records::{
    deletion, distinct_alerts, lockout, write_lockout, write_lockouts, write_modifications,
};
pub use site::{metric, Backend, Site, PIPELINE};

/// Whether `program` runs here. When it does not, a test that needs it is skipped, saying so
/// with `unchecked` ("the alerting rules are not checked here"), except in CI (`CI=true`),
/// where `.ci/run` installs it (Debian's `package`) and its absence fails the test.
pub fn installed(program: &str, package: &str, unchecked: &str) -> bool {
    if std::process::Command::new(program)
        .arg("--version")
        .output()
        .is_ok()
    {
        return true;
    }
    assert_ne!(
        std::env::var("CI").as_deref(),
        Ok("true"),
        "{program} is not installed; CI must install it (Debian's `{package}` package)"
    );
    eprintln!("{program} is not installed: {unchecked}");
    false
}

/// Makes each named test run on both backends: for every `name`, a function
/// `fn name(backend: Backend)` of the calling module, `sqlite::name` and `postgres::name`
/// call it with [`Backend::Sqlite`] and [`Backend::Postgres`]. The bodies stay ordinary
/// functions (formatted, linted, read as any test), written once;
/// `cargo nextest run -E 'test(/::postgres::/)'` selects the PostgreSQL runs.
#[allow(unused_macros)] // the operations suite shares this module and runs on SQLite alone
macro_rules! on_both_backends {
    ($($test:ident),+ $(,)?) => {
        /// The tests with the state store in a SQLite file, as a single host keeps it.
        mod sqlite {
            $(
                #[test]
                fn $test() {
                    super::$test($crate::support::Backend::Sqlite)
                }
            )+
        }

        /// The same tests with the state store on a PostgreSQL server of the test's own, as
        /// hosts sharing a store keep it.
        mod postgres {
            $(
                #[test]
                fn $test() {
                    super::$test($crate::support::Backend::Postgres)
                }
            )+
        }
    };
}
pub(crate) use on_both_backends;
