//! The loaded plugins, the refused ones, and how config components resolve to them.

use std::sync::Arc;

use sluice_sdk::{ComponentKind, LoadError, Plugin, PluginError};

use sluice_core::{ComponentSettings, ConfigFile, Diagnostic};

/// Every plugin library found, loaded or refused.
#[derive(Debug, Default)]
pub struct PluginRegistry {
    loaded: Vec<Arc<Plugin>>,
    refused: Vec<LoadError>,
}

/// A component of a loaded plugin, resolved from config.
#[derive(Debug, Clone)]
pub struct ComponentRef {
    /// The plugin providing it.
    pub plugin: Arc<Plugin>,
    /// The component's name.
    pub name: String,
}

impl PluginRegistry {
    /// Loads every library in `files`, one at a time (libloading's error reporting is not
    /// thread-safe on every platform), each from a private copy (`private.rs`). Refusals are
    /// kept; the others still load.
    pub fn load(files: &[std::path::PathBuf]) -> Self {
        let mut registry = PluginRegistry::default();
        for file in files {
            match super::private::load(file) {
                Ok(plugin) => {
                    let m = plugin.manifest();
                    tracing::debug!(
                        plugin = %m.name, version = %m.version, path = %file.display(),
                        "Loaded plugin."
                    );
                    registry.loaded.push(plugin);
                }
                Err(error) => registry.refused.push(error),
            }
        }
        registry
            .loaded
            .sort_by(|a, b| a.manifest().name.cmp(&b.manifest().name));
        registry
    }

    /// Logs each refusal as a warning, with the long form at debug level (`-v`).
    pub fn log_refusals(&self) {
        for error in &self.refused {
            tracing::warn!("{error}");
            if let Some(detail) = error.detail() {
                tracing::debug!(path = %error.path().display(), "Refusal detail:\n{detail}");
            }
        }
    }

    /// The loaded plugins, by name.
    pub fn plugins(&self) -> &[Arc<Plugin>] {
        &self.loaded
    }

    /// The libraries that were refused.
    pub fn refused(&self) -> &[LoadError] {
        &self.refused
    }

    /// The component `settings` names, of `kind`.
    ///
    /// # Errors
    ///
    /// A message for the user: no such component (listing the installed ones of that kind),
    /// or more than one plugin provides it and `plugin` does not say which.
    pub fn resolve(
        &self,
        kind: ComponentKind,
        settings: &ComponentSettings,
    ) -> Result<ComponentRef, String> {
        let name = settings.component.as_str();
        let candidates: Vec<&Arc<Plugin>> = self
            .loaded
            .iter()
            .filter(|p| {
                settings
                    .plugin
                    .as_deref()
                    .is_none_or(|want| p.manifest().name == want)
            })
            .filter(|p| p.manifest().component(kind, name).is_some())
            .collect();
        match candidates.as_slice() {
            [one] => Ok(ComponentRef {
                plugin: Arc::clone(one),
                name: name.to_owned(),
            }),
            [] => Err(self.not_found(kind, settings)),
            many => Err(ambiguous(kind, name, many)),
        }
    }

    fn not_found(&self, kind: ComponentKind, settings: &ComponentSettings) -> String {
        let mut available: Vec<String> = self
            .loaded
            .iter()
            .flat_map(|p| {
                p.manifest()
                    .components
                    .iter()
                    .filter(move |c| c.kind == kind)
                    .map(move |c| format!("{} (plugin {})", c.name, p.manifest().name))
            })
            .collect();
        available.sort();
        let mut message = match &settings.plugin {
            Some(plugin) => format!(
                "no loaded plugin named `{plugin}` provides a {kind} named `{}`",
                settings.component
            ),
            None => format!(
                "no loaded plugin provides a {kind} named `{}`",
                settings.component
            ),
        };
        if available.is_empty() {
            message.push_str(&format!("; no {kind} is installed"));
        } else {
            message.push_str(&format!("; installed {kind}s: {}", available.join(", ")));
        }
        if !self.refused.is_empty() {
            message.push_str(&format!(
                " ({} plugin file(s) were refused; `sluice plugins` says why)",
                self.refused.len()
            ));
        }
        message
    }

    /// Resolves every enabled pipeline's components and has their plugins validate their
    /// settings (pure checks, no IO). Returns every problem found, each placed in the file.
    pub fn validate(&self, file: &ConfigFile) -> Vec<Diagnostic> {
        let mut problems = Vec::new();
        for (name, pipeline) in &file.config.pipelines {
            for (role, kind, settings) in [
                ("source", ComponentKind::Source, &pipeline.source),
                ("sink", ComponentKind::Sink, &pipeline.sink),
            ] {
                let base = format!("pipelines.{name}.{role}");
                let component = match self.resolve(kind, settings) {
                    Ok(c) => c,
                    Err(message) => {
                        problems.push(file.source.diagnostic(&format!("{base}.type"), message));
                        continue;
                    }
                };
                let json = settings_json(settings);
                if let Err(e) = component.plugin.validate_config(&component.name, &json) {
                    problems.push(plugin_diagnostic(file, &base, &e));
                }
            }
        }
        problems
    }
}

/// More than one loaded plugin provides the component `name`. Plugins of different names are
/// told apart with `plugin = "NAME"`; copies of one plugin (the same name, from different
/// files) cannot be, so say which files they are and that one must go.
fn ambiguous(kind: ComponentKind, name: &str, many: &[&Arc<Plugin>]) -> String {
    // Plugin names in order of first appearance, each with its files.
    let mut by_name: Vec<(&str, Vec<String>)> = Vec::new();
    for plugin in many {
        let file = plugin
            .path()
            .map_or_else(|| "<in-process>".to_owned(), |f| f.display().to_string());
        let plugin_name = plugin.manifest().name.as_str();
        match by_name.iter_mut().find(|(n, _)| *n == plugin_name) {
            Some((_, files)) => files.push(file),
            None => by_name.push((plugin_name, vec![file])),
        }
    }
    let names: Vec<&str> = by_name.iter().map(|(n, _)| *n).collect();
    let copies: Vec<String> = by_name
        .iter()
        .filter(|(_, files)| files.len() > 1)
        .map(|(plugin, files)| {
            format!(
                "{} copies of plugin `{plugin}` provide a {kind} named `{name}`: {}",
                files.len(),
                files.join(", ")
            )
        })
        .collect();
    if copies.is_empty() {
        return format!(
            "{} plugins provide a {kind} named `{name}` ({}); add `plugin = \"NAME\"` to say which",
            many.len(),
            names.join(", ")
        );
    }
    let most = by_name.iter().map(|(_, f)| f.len()).max().unwrap_or(2);
    let mut message = format!(
        "{}; remove {} of the copies from the plugin directories (copies of one plugin have \
         the same name, so `plugin` cannot choose between them)",
        copies.join("; "),
        if most > 2 { "all but one" } else { "one" }
    );
    if names.len() > 1 {
        message.push_str(&format!(
            ", and add `plugin = \"NAME\"` to choose among {}",
            names.join(", ")
        ));
    }
    message
}

/// A plugin's error about its settings, placed at the key it names.
pub(crate) fn plugin_diagnostic(file: &ConfigFile, base: &str, error: &PluginError) -> Diagnostic {
    let path = match error.key_path() {
        Some(p) if !p.is_empty() => format!("{base}.{p}"),
        _ => base.to_owned(),
    };
    // A plugin's message may quote a value (serde's "invalid type: string \"...\""), and the
    // value may be a resolved secret.
    file.source
        .diagnostic(&path, file.secrets.redact(error.message()).into_owned())
}

/// The component's own settings as the JSON its plugin receives.
pub(crate) fn settings_json(settings: &ComponentSettings) -> serde_json::Value {
    serde_json::Value::Object(
        settings
            .settings
            .iter()
            .map(|(k, v)| (k.clone(), toml_to_json(v)))
            .collect(),
    )
}

fn toml_to_json(value: &toml::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        toml::Value::String(s) => J::String(s.clone()),
        toml::Value::Integer(i) => J::from(*i),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        toml::Value::Boolean(b) => J::Bool(*b),
        toml::Value::Datetime(d) => J::String(d.to_string()),
        toml::Value::Array(items) => J::Array(items.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => J::Object(
            t.iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        ),
    }
}
