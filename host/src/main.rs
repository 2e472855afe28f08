//! The `sluice` binary: parse arguments, run, map the outcome to an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    sluice::main(sluice::cli::Cli::parse_args())
}
