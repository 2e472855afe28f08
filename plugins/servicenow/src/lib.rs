//! # sluice-sink-servicenow
//!
//! The `servicenow` sink: executes the host's ticket actions against a ServiceNow instance
//! through the Table API (`/api/now/v2/table`) and the Attachment API, one adapter per release
//! (Helsinki to Brazil; Jakarta experimental). The host decides what to do;
//! this crate does it in as few requests as it can and classifies what happened:
//!
//! ```text
//! deliver(actions) ─► plan (coalesce runs per ticket) ─► actions/* ─► client ─► Host::http
//!                                                           │             └─► classify: Done / Retry / Failed
//!                                           adapter (what differs per release)
//! ```
//!
//! - `config`: the TOML keys and their pure checks (durations are the SDK's
//!   [`HumanDuration`](sluice_sdk::HumanDuration): `"60s"`, `"2m"`).
//! - `adapter/`: the [`Adapter`](adapter::Adapter) table, one entry per release.
//! - `signin`: which way of signing in the config chose, and whether the release has it.
//! - `client`, `oauth`, `classify`, `envelope`, `query`: HTTP through the host, auth, error
//!   classes, ServiceNow's JSON envelopes, URL encoding.
//! - `plan`: which actions share a PATCH; `actions/`: create, update, attach, lookups, and
//!   `concurrent`: a batch's tickets side by side (`max_concurrent_requests`).
//! - `session`: what the actions run against (config, adapter, client, what is known);
//!   `sink`: the `Sink` implementation that builds it.
//! - `instance`: the state model and close codes read from `sys_choice` at start;
//!   `states`: the states the actions move tickets to, per table (`incident`, or
//!   `sn_si_incident` by label);
//!   `known`: the last state seen per ticket; `record`: records → tickets.
//!
//! See the README for every config key, the per-release table and the request counts.

mod actions;
mod adapter;
mod classify;
mod client;
mod config;
mod envelope;
mod in_flight;
mod instance;
mod known;
mod oauth;
mod plan;
mod query;
mod record;
mod session;
mod signin;
mod sink;
mod states;

pub use config::{OAuthConfig, OAuthGrant, Secret, ServiceNowConfig};
pub use sink::ServiceNow;

sluice_sdk::export_plugin! {
    name: "servicenow",
    sinks: [ServiceNow],
}
