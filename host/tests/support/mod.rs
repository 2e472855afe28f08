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
//! - [`records`]: activity records as the Auditor stores them, and alerts for them.
//!
//! Nothing is asserted after a fixed sleep: conditions are polled until they hold.

mod config;
mod daemon;
pub mod pki;
mod records;
mod site;

pub use config::{closed_port, telemetry, AUDITOR_PASSWORD, AUDITOR_USER, BRISK, POLLING};
pub use daemon::{tail, Daemon, Exit, Run, PATIENCE};
pub use records::{
    deletion, distinct_alerts, lockout, write_lockout, write_lockouts, write_modifications,
};
pub use site::{metric, Site, PIPELINE};

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
