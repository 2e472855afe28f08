//! The config file: its model (`model.rs`), loading with precise diagnostics (`load.rs`,
//! `diagnostic.rs`); durations are the SDK's [`HumanDuration`], the one syntax of the host's
//! keys and every plugin's.
//!
//! This module parses and checks what the host owns. A component's own keys (everything in a
//! `source` or `sink` table except `type`, `plugin` and `http`) are handed to its plugin, which
//! validates them against its own schema; the plugin registry turns those errors back into
//! diagnostics with file, line and column.

/// The variable that names the config file when `--config` does not.
pub const CONFIG_ENV: &str = "SLUICE_CONFIG";
/// The config file when neither `--config` nor [`CONFIG_ENV`] names one.
pub const DEFAULT_CONFIG: &str = "sluice.toml";

mod diagnostic;

mod load;
mod model;
mod response_intake;
mod response_view;
mod schema;
mod unknown;

pub use diagnostic::{ConfigErrors, Diagnostic};
pub use load::{ConfigFile, SourceMap};
pub use model::{
    default_correlation_format, ComponentSettings, Config, DeliverySettings, HttpSettings,
    IntakeSettings, PipelineSettings, PluginSettings, RetentionSettings, StateSettings,
    SuppressionSettings, TelemetrySettings,
};
pub use response_intake::ResponseIntakeSettings;
pub use response_view::ResponseView;
pub use schema::config_schema;
pub use sluice_sdk::HumanDuration;
