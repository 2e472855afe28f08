//! The sink's config: the `[pipelines.NAME.sink]` table, minus the host's keys.

use std::path::PathBuf;

use schemars::JsonSchema;
use serde::Deserialize;
use sluice_sdk::PluginError;

/// Settings of the `jsonl` sink.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonlConfig {
    /// The file to append to; created if missing.
    pub path: PathBuf,
    /// Prefix of the ticket numbers this sink invents. Default: `"JSONL"`.
    #[serde(default = "default_prefix")]
    pub number_prefix: String,
    /// Flush each batch to disk (`fsync`) before reporting it done. Default: true.
    #[serde(default = "yes")]
    pub fsync: bool,
}

fn default_prefix() -> String {
    "JSONL".to_owned()
}

const fn yes() -> bool {
    true
}

impl JsonlConfig {
    /// Pure checks, no IO (the host runs them in `sluice validate`).
    pub fn check(&self) -> Result<(), PluginError> {
        if self.path.as_os_str().is_empty() {
            return Err(PluginError::config(
                "must name a file, like \"/var/lib/sluice/tickets.jsonl\"",
            )
            .at("path"));
        }
        if self.number_prefix.is_empty()
            || !self
                .number_prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric())
        {
            return Err(
                PluginError::config("must be letters and digits, like \"JSONL\"")
                    .at("number_prefix"),
            );
        }
        Ok(())
    }
}
