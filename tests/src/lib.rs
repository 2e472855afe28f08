//! Emulators of the two external systems sluice talks to, held to their documentation and to
//! recorded exchanges, never to sluice's own clients.
//!
//! - [`auditor`]: the Netwrix Auditor Integration API (`/netwrix/api/v1/activity_records/...`),
//!   see `shared/reference/netwrix-auditor.md` §1–3.
//! - [`servicenow`]: the ServiceNow Table and Attachment APIs, one profile per release, see
//!   `shared/reference/servicenow.md` and `shared/fixtures/servicenow-captures-2018/`.
//!
//! Each emulator is a library that returns an [`axum::Router`]; `sluice emulate`, `sluice demo`
//! and every test mount those same routers on a loopback port with [`serve`].

pub mod auditor;
mod serve;
pub mod servicenow;

pub use serve::{serve, Served};
