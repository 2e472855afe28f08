//! `jsonl-sink`: an example sluice sink that appends every ticket action to a JSON Lines
//! file, and answers lookups by reading that file back.
//!
//! It is the subject of the plugin-author guide (`sdk/docs/writing-a-plugin.md`) and uses
//! nothing but `sluice-sdk`'s public API. Useful for real, too: as an audit trail beside
//! ServiceNow, or to try a pipeline without a ticket system.

mod config;
mod journal;
mod sink;

pub use config::JsonlConfig;
pub use sink::JsonlSink;

sluice_sdk::export_plugin! {
    name: "jsonl-sink",
    sinks: [JsonlSink],
}
