//! End to end: the real `sluice` binary and the real plugins against both emulators over HTTP
//! on loopback. Issue 6 (the response action) and issue 8 (fault injection).
//!
//! ```text
//!   test ──alert-response──► state.db.sock ─► sluice run (subprocess; SIGTERM, SIGKILL)
//!     │      (or, no host: ──► state.db ◄────┘)
//!     │                                      │ netwrix_auditor        │ servicenow
//!     │                                      ▼                        ▼
//!     ├──writes records, faults──► Auditor emulator       ServiceNow emulator ◄── faults
//!     └──accounting (ledger): state.db against the incidents, journals, attachments
//! ```

mod faults;
mod handoff;
mod intake;
mod ledger;
mod migration;
mod response_action;
mod servicenow_today;
mod shared_store;
mod windows_auth;
// The site both this suite and the operations tests run on: emulators, config, `sluice run`.
// Each suite uses part of it.
#[allow(dead_code, unused_imports)]
#[path = "../support/mod.rs"]
mod support;
// Shared with the CLI tests: the binary, the plugins built next to it, seeds.
#[allow(dead_code)]
#[path = "../cli/util.rs"]
mod util;
