//! The sink against the ServiceNow emulator over loopback HTTP, once per release profile.
//!
//! ```text
//!  #[test] ──deliver()──► sluice-sink-servicenow (in_process, real ABI path)
//!                              │ Host::http
//!                              ▼
//!                   host HttpClient (reqwest) ──loopback──► emulator (axum, per-release profile)
//! ```
//!
//! Each module covers one area; `per_release!` runs a body for every release from Helsinki to
//! Brazil. Request counts come from the emulator's own statistics, so "one request per
//! create" is measured on the server side.

mod harness;

mod adaptive;
mod attach;
mod concurrency;
mod create;
mod errors;
mod lookup;
mod security_incident;
mod signin;
mod startup;
mod update;
