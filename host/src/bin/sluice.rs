//! `sluice`: the executable people and Netwrix Auditor run.
//!
//! It is small on purpose. Auditor starts it once per alert, and a response action while
//! `sluice run` is up only needs to hand the alert over a socket ([`sluice::hand_off_response_action`]),
//! which this does without loading the host: its start costs about half of the host's. Every
//! other command, and every response action it cannot finish, goes to `sluice-host` beside
//! it, with the same arguments, in the same process (exec).

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    #[cfg(unix)]
    if sluice::hand_off_response_action(&args) {
        return ExitCode::SUCCESS;
    }
    sluice::run_host(&args)
}
