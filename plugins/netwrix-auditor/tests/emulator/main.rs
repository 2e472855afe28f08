//! The netwrix-auditor source against the Auditor emulator, over real HTTP on loopback, in
//! both wire formats.
//!
//! ```text
//!  #[test] thread                         tokio runtime (owned by the test)
//!  plugin (in_process, real ABI path)
//!    └─ Host::http ─► host HttpClient ─► reqwest ─► 127.0.0.1:PORT ─► Auditor emulator
//!                      (blocks on the runtime)                         (faults, switches,
//!  asserts: records vs. what the emulator holds,                         request stats)
//!           request counts, error kinds and messages, log lines
//! ```
//!
//! - `fetch`: batched RID searches, unknown RIDs, lossless decoding;
//! - `poll`: windows, late arrivals, restarts, order, pre-filters;
//! - `faults`: last pages with and without marks, endless marks, page caps, truncated
//!   bodies, 503, dropped connections, 401, stale marks, wrong endpoints;
//! - `html`: an HTML page (proxy, login portal) where a page was expected;
//! - `config`: config errors name their key.

mod harness;

mod config;
mod faults;
mod fetch;
mod html;
mod poll;
