//! The exit codes of `sluice`, a documented contract for scripts and service managers.
//!
//! `sluice alert-response --to` (forwarding to `sluice run` on another machine) adds three of
//! the BSD `sysexits.h` codes, so the response action's exit status, which Netwrix Auditor
//! logs, says whether a retry can help: [`TEMPFAIL`] yes, [`NOPERM`] and [`DATAERR`] not
//! until someone fixes the credentials or the command line.

/// Success.
pub const OK: u8 = 0;
/// A runtime failure.
pub const FAILURE: u8 = 1;
/// Invalid command-line usage (clap's own code).
pub const USAGE: u8 = 2;
/// The request can never succeed as it is (`EX_DATAERR`): the host refused the alert itself
/// (400, 413, 415, 422), or `--to` names something that is not its intake (404, a redirect).
pub const DATAERR: u8 = 65;
/// A required system (source or sink) could not be reached (`EX_UNAVAILABLE`).
pub const UNAVAILABLE: u8 = 69;
/// Try again later (`EX_TEMPFAIL`): the host is down, unreachable, slow or busy (503, 429,
/// 5xx). Nothing was queued; Netwrix Auditor retries the response action.
pub const TEMPFAIL: u8 = 75;
/// The host refused the credentials (`EX_NOPERM`): 401 or 403, a wrong or missing token or
/// client certificate.
pub const NOPERM: u8 = 77;
/// The config is invalid (`EX_CONFIG`).
pub const CONFIG: u8 = 78;
