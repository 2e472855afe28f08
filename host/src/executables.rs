//! sluice's two executables, which sit side by side: `sluice`, the small front people and
//! Netwrix Auditor run, and `sluice-host`, which does the work (see `src/bin/sluice.rs`).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::exit;

/// The front's file name on this platform.
const FRONT: &str = "sluice";
/// The host's file name on this platform.
const HOST: &str = "sluice-host";

/// `name` in `dir`, with this platform's suffix (`.exe`).
fn beside(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// The running executable's directory.
fn own_dir() -> std::io::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    Ok(exe.parent().unwrap_or(Path::new(".")).to_owned())
}

/// The `sluice` executable beside this one: what Auditor's response action runs, and what
/// sluice itself runs when it starts sluice as a user would (the demo).
///
/// # Errors
///
/// When the running executable's path is unknown.
pub fn front() -> std::io::Result<PathBuf> {
    Ok(beside(&own_dir()?, FRONT))
}

/// Runs `sluice-host` with the front's arguments `args` (the first is the program's name, kept
/// so messages say `sluice`), in this process where the platform can (exec), and returns its
/// exit code. If it cannot be started, says so.
pub fn run_host(args: &[OsString]) -> ExitCode {
    let host = match own_dir() {
        Ok(dir) => beside(&dir, HOST),
        Err(error) => return cannot_start(Path::new(HOST), &error),
    };
    let mut command = std::process::Command::new(&host);
    command.args(args.iter().skip(1));
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        if let Some(name) = args.first() {
            command.arg0(name);
        }
        // Returns only if it failed.
        let error = command.exec();
        cannot_start(&host, &error)
    }
    #[cfg(not(unix))]
    match command.status() {
        Ok(status) => ExitCode::from(status.code().map_or(exit::FAILURE, |c| c as u8)),
        Err(error) => cannot_start(&host, &error),
    }
}

fn cannot_start(host: &Path, error: &std::io::Error) -> ExitCode {
    eprintln!(
        "error: cannot start {}: {error}. sluice is two executables, `{FRONT}` and `{HOST}`, \
         which must sit side by side: install both (`cargo build --release` leaves them in \
         target/release).",
        host.display()
    );
    ExitCode::from(exit::FAILURE)
}
