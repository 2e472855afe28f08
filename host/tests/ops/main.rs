//! Operating sluice: the real `sluice` binary and plugins against both emulators on loopback,
//! driven as an operator would, with signals, config edits, the telemetry endpoint and
//! `sluice status`.
//!
//! ```text
//!   test ──queue alerts──► state.db ◄──── sluice run ◄── SIGTERM / SIGHUP / config edits
//!     │                                     │  fetch         │ deliver        │
//!     │                                     ▼                ▼                ▼
//!     └──asserts──► incidents, journals   Auditor emu    ServiceNow emu   /healthz /readyz /metrics
//! ```

mod dead_letters;
mod explain;
mod health;
mod monitoring;
mod network;
mod package;
mod plugin_replaced;
mod reload;
mod reload_scope;
mod secrets;
mod self_signed_ca;
mod service_unit;
mod shutdown;
mod status;
// The site both this suite and the end-to-end tests run on: emulators, config, `sluice run`.
// Each suite uses part of it.
#[allow(dead_code, unused_imports)]
#[path = "../support/mod.rs"]
mod support;
// Shared with the CLI tests: the binary under test and the plugin builds.
#[allow(dead_code)]
#[path = "../cli/util.rs"]
mod util;
