//! The config model: the keys the host owns. The structs are the schema (`sluice schema`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::Deserialize;

/// A sluice config file.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where sluice keeps its durable state.
    #[serde(default)]
    pub state: StateSettings,
    /// Where sluice finds plugins, besides the directory of its executable.
    #[serde(default)]
    pub plugins: PluginSettings,
    /// The pipelines, by name. Each reads from one source and writes to one sink.
    #[serde(default)]
    pub pipelines: BTreeMap<String, PipelineSettings>,
}

/// The durable state store.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StateSettings {
    /// The SQLite file; relative paths are relative to the working directory.
    /// Default: `sluice.db`.
    #[serde(default = "default_state_path")]
    pub path: PathBuf,
}

impl Default for StateSettings {
    fn default() -> Self {
        StateSettings {
            path: default_state_path(),
        }
    }
}

fn default_state_path() -> PathBuf {
    PathBuf::from("sluice.db")
}

/// Plugin discovery.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PluginSettings {
    /// Extra directories searched for plugin libraries, after the executable's directory.
    /// Default: none.
    #[serde(default)]
    pub directories: Vec<PathBuf>,
}

/// One pipeline: a source, a sink, and what happens in between.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PipelineSettings {
    /// Whether the pipeline runs. Default: true.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Where records come from.
    pub source: ComponentSettings,
    /// Where tickets go.
    pub sink: ComponentSettings,
}

const fn yes() -> bool {
    true
}

/// A source or sink: the host's keys, and the component's own keys, which its plugin
/// validates (`sluice schema` shows them per component).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct ComponentSettings {
    /// The component, by name (`netwrix_auditor`, `servicenow`, …); `sluice plugins` lists
    /// what is installed.
    #[serde(rename = "type")]
    pub component: String,
    /// The plugin that provides it, by name; needed only when two plugins provide a
    /// component of the same name.
    #[serde(default)]
    pub plugin: Option<String>,
    /// How the host connects to this component's system: TLS and proxy.
    #[serde(default)]
    pub http: HttpSettings,
    /// The component's own settings.
    #[serde(flatten)]
    #[schemars(skip)]
    pub settings: toml::Table,
}

/// HTTP client settings for one component. The host runs every plugin's HTTP requests.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    /// A PEM file of CA certificates to trust in addition to the system's roots (for
    /// Netwrix Auditor's self-signed certificate, say). Default: none.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// A PEM file holding a client certificate and its private key, for mutual TLS.
    /// Default: none.
    #[serde(default)]
    pub client_identity_file: Option<PathBuf>,
    /// Proxy URL for this component's requests (`http://proxy.corp:3128`). Default: the
    /// `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` environment variables; `"none"` disables them.
    #[serde(default)]
    pub proxy: Option<String>,
    /// Do not verify the server's TLS certificate. Insecure: anyone on the path can read
    /// and change the traffic. Logged as a warning at start. Default: false.
    #[serde(default)]
    pub insecure_skip_verify: bool,
}
