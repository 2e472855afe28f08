//! # sluice-core
//!
//! The heart of sluice, without a command line, an HTTP server or an HTTP client: the
//! pipeline that turns records into ticket actions, the durable state store it runs on, the
//! settings model, retry timing and the host clock. The `sluice` crate puts the CLI, the
//! runtime, plugin loading, telemetry and the hand-off on top.
//!
//! Read it in data-flow order:
//!
//! - `config`: the settings model and loading the config file with precise diagnostics;
//!   `secret`: secret references and their redaction;
//! - `pipeline`: intake ─► rules ─► suppression ─► mapping ─► delivery, stepped by the
//!   [`Engine`];
//! - `state`: the durable store (queue, outbox, tickets, windows, checkpoints), its rows
//!   typed: row ids per table, the states of alerts and ticket actions;
//! - `time`: points in time ([`Timestamp`]) as the pipeline and the store reckon them;
//! - `retry`, `clock`, `stop`: when to try again, what time it is, when to stop;
//! - `file`: reading a file a user named (regular files only, up to a limit);
//! - `tls`: the TLS client side the host's HTTP and the shared store's PostgreSQL share.
//!
//! The module tree is private; what other crates may use is re-exported below.

mod clock;
mod config;
mod file;
mod pipeline;
mod retry;
mod secret;
mod state;
mod stop;
#[cfg(feature = "testkit")]
pub mod testkit;
mod time;
// Public as a whole: every item is for the host's HTTP capability, and `tls::` says which
// part of sluice its names (`certificates`, `platform_verifier`) belong to.
pub mod tls;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{
    config_schema, default_correlation_format, ComponentSettings, Config, ConfigErrors, ConfigFile,
    DeliverySettings, Diagnostic, HttpSettings, HumanDuration, IntakeSettings, PipelineSettings,
    PluginSettings, ResponseIntakeSettings, ResponseView, RetentionSettings, SourceMap,
    StateSettings, SuppressionSettings, TelemetrySettings, CONFIG_ENV, DEFAULT_CONFIG,
};
pub use file::{read_regular_bytes, read_regular_file, FileError, CONFIG_FILE_LIMIT};
pub use pipeline::delivery::TicketSink;
pub use pipeline::engine::Engine;
pub use pipeline::filter::{Filters, RecordView};
pub use pipeline::intake::{queue_response_action, response_action_alert, RecordSource};
pub use pipeline::mapping::{
    computer_name, default_ticket_fields, render_detail_list, AlertContext, TicketTemplate,
    ALERT_PLACEHOLDERS,
};
pub use pipeline::observe::{DeliveryReportTotals, EngineObserver, EngineStats, SourceCall};
pub use pipeline::record::{from_json as record_from_json, to_json as record_to_json};
pub use pipeline::rules::{
    check_alert_name, load_file as load_alert_file, AlertDefinition, AlertSet,
};
pub use pipeline::spec::{build_spec, pipeline_specs, PipelineSpec};
pub use pipeline::suppression::{Decision, Placement, Suppression};
pub use pipeline::template::Template;
pub use retry::{jitter, Backoff};
pub use secret::{redact, SecretResolver, Secrets, EXEC_TIMEOUT, REDACTED};
pub use state::alerts::AlertState;
pub use state::outbox::ActionState;
pub use state::{
    check_identity, record_progress, ActionId, AlertId, Database, DeliveryLock, Durability,
    Location, Store, StoreError, TicketId,
};
pub use stop::{Doorbell, StopSignal};
pub use time::Timestamp;

/// What the host reads from the store for status, metrics and its commands.
pub mod store {
    pub use crate::state::{
        alerts, checkpoints, db, dead_letters, first_unused_id, lease, outbox, status, tickets,
    };
}
