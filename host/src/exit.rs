//! The exit codes of `sluice`, a documented contract for scripts and service managers.

/// Success.
pub const OK: u8 = 0;
/// A runtime failure.
pub const FAILURE: u8 = 1;
/// Invalid command-line usage (clap's own code).
pub const USAGE: u8 = 2;
/// A required system (source or sink) could not be reached (`EX_UNAVAILABLE`).
pub const UNAVAILABLE: u8 = 69;
/// The config is invalid (`EX_CONFIG`).
pub const CONFIG: u8 = 78;
