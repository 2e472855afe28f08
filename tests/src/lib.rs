//! Emulators of the two external systems sluice talks to, held to their documentation and to
//! recorded exchanges, never to sluice's own clients.
//!
//! - [`auditor`]: the Netwrix Auditor Integration API (`/netwrix/api/v1/activity_records/...`),
//!   held to Netwrix's documentation of its endpoints, activity records and search filters.
//! - [`servicenow`]: the ServiceNow Table and Attachment APIs, one profile per release, held
//!   to ServiceNow's documentation and to the real exchanges recorded in
//!   `tests/fixtures/servicenow-captures-2018/`.
//!
//! Each emulator is a library that returns an [`axum::Router`]; `sluice emulate`, `sluice demo`
//! and every test mount those same routers on a loopback port with [`serve`].

pub mod auditor;
mod serve;
pub mod servicenow;

pub use serve::{serve, serve_tls, ConnectionId, Served};
