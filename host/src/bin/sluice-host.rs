//! `sluice-host`: the host's executable, which the `sluice` front starts for every command it
//! does not finish itself. Parse arguments, run, map the outcome to an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    sluice::main(sluice::cli::Cli::parse_args())
}
