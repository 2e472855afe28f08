//! The sink's config: its `[pipelines.NAME.sink]` table, minus the host's keys (`type`,
//! `plugin`, `http`).

use std::path::PathBuf;

use schemars::JsonSchema;
use serde::Deserialize;
use sluice_sdk::PluginError;

// Doc comments here become the schema `sluice schema` prints (the struct's, too: keep it one
// line), so each says what its default is. `deny_unknown_fields` turns a misspelled key into
// an error at `sluice validate` instead of a silently ignored setting.

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
    /// Checks what deserializing cannot, without IO: the host runs it in `sluice validate`,
    /// where touching the file would be a surprise. Each error names its key, so the host can
    /// point at the line of the config to fix.
    pub fn check(&self) -> Result<(), PluginError> {
        if self.path.as_os_str().is_empty() {
            return Err(PluginError::config(
                "must name a file, like \"/var/lib/sluice/tickets.jsonl\"",
            )
            .at("path"));
        }
        if !is_number_prefix(&self.number_prefix) {
            return Err(
                PluginError::config("must be letters and digits, like \"JSONL\"")
                    .at("number_prefix"),
            );
        }
        Ok(())
    }
}

/// Whether `prefix` can start a ticket number: people read, type and search for those
/// numbers, so only ASCII letters and digits, and at least one of them.
fn is_number_prefix(prefix: &str) -> bool {
    !prefix.is_empty() && prefix.chars().all(|c| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    /// `config.example.toml` is what users copy: every `jsonl` sink in it must validate.
    #[test]
    fn the_example_config_validates() {
        let file: toml::Table = toml::from_str(include_str!("../config.example.toml")).unwrap();
        let plugin = crate::in_process().unwrap();
        let mut sinks = 0;
        for (name, pipeline) in file["pipelines"].as_table().unwrap() {
            let mut sink = pipeline["sink"].as_table().unwrap().clone();
            assert_eq!(sink.remove("type").unwrap().as_str(), Some("jsonl"));
            let config = serde_json::to_value(&sink).unwrap();
            plugin
                .validate_config("jsonl", &config)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            sinks += 1;
        }
        assert_eq!(sinks, 1);
    }
}
