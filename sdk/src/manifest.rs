//! [`PluginManifest`]: what a plugin says about itself.

use serde::Serialize;

/// A plugin's name, versions and components, as `sluice plugins` lists them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PluginManifest {
    /// The plugin's package name.
    pub name: String,
    /// The plugin's own version.
    pub version: String,
    /// The version of sluice-sdk it was built with.
    pub sdk_version: String,
    /// The ABI version it speaks (see [`crate::ABI_VERSION`]).
    pub abi_version: String,
    /// What it provides.
    pub components: Vec<ComponentInfo>,
}

impl PluginManifest {
    /// The component named `name` of `kind`.
    pub fn component(&self, kind: ComponentKind, name: &str) -> Option<&ComponentInfo> {
        self.components
            .iter()
            .find(|c| c.kind == kind && c.name == name)
    }
}

/// One component of a plugin.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComponentInfo {
    /// Its name, as config's `type` names it.
    pub name: String,
    /// Source or sink.
    pub kind: ComponentKind,
    /// One line about it.
    pub description: String,
    /// The JSON Schema of its config table.
    pub config_schema: serde_json::Value,
}

/// Whether a component reads records or writes tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ComponentKind {
    /// Produces records.
    Source,
    /// Executes ticket actions.
    Sink,
}

impl ComponentKind {
    /// `"source"` or `"sink"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ComponentKind::Source => "source",
            ComponentKind::Sink => "sink",
        }
    }

    pub(crate) fn to_code(self) -> u8 {
        match self {
            ComponentKind::Source => 1,
            ComponentKind::Sink => 2,
        }
    }

    pub(crate) fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(ComponentKind::Source),
            2 => Some(ComponentKind::Sink),
            _ => None,
        }
    }
}

impl std::fmt::Display for ComponentKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
