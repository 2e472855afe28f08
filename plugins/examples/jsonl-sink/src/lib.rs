//! `jsonl-sink`: an example sluice sink that appends every ticket action to a JSON Lines
//! file, its journal, and answers lookups from what that file says.
//!
//! It is the worked example of the plugin-author guide, built from nothing but `sluice-sdk`'s
//! public API; copy it to start a plugin. Useful for real, too: as an audit trail beside
//! ServiceNow, or to try a pipeline without a ticket system.
//!
//! The modules, from the host's side inwards:
//!
//! - `sink`: the [`Sink`](sluice_sdk::Sink) the host drives: config checks, health check,
//!   and `deliver`, which reads the journal back once and hands each batch to a `Batch`;
//! - `batch`: one `deliver` call: runs its actions in order and applies the SDK's rule on
//!   failed tickets;
//! - `actions`: what each ticket action writes, decided without IO;
//! - `tickets`: the tickets as the journal describes them;
//! - `journal`: the file format, and appending to the file and reading it back;
//! - `error`: what can go wrong with the file, and how the host should take it;
//! - `config`: the sink's table in the sluice config.

mod actions;
mod batch;
mod config;
mod error;
mod journal;
mod sink;
mod tickets;

pub use config::JsonlConfig;
pub use sink::JsonlSink;

sluice_sdk::export_plugin! {
    name: "jsonl-sink",
    sinks: [JsonlSink],
}
