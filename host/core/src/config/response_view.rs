//! The little a response action needs from the config while `sluice run` is up: where the
//! state store is, and which pipelines take response actions.
//!
//! The `sluice` front reads this before anything heavy is loaded (see `handoff::front`). It is
//! lenient on purpose: keys it does not know are someone else's, and the host that takes the
//! alert checked its own config when it loaded it. Whatever this view cannot read, the front
//! leaves to the full `sluice alert-response`, which reads and checks the whole file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::load::config_dir;
use super::model::{default_state_path, yes};

/// What a response action reads from the config: the store and the pipelines.
#[derive(Debug, Deserialize)]
pub struct ResponseView {
    #[serde(default)]
    state: StateView,
    #[serde(default)]
    pipelines: BTreeMap<String, PipelineView>,
}

#[derive(Debug, Deserialize)]
struct StateView {
    #[serde(default = "default_state_path")]
    path: PathBuf,
}

impl Default for StateView {
    fn default() -> Self {
        StateView {
            path: default_state_path(),
        }
    }
}

#[derive(Debug, Deserialize)]
struct PipelineView {
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default)]
    intake: IntakeView,
}

#[derive(Debug, Deserialize)]
struct IntakeView {
    #[serde(default = "yes")]
    response_action: bool,
}

impl Default for IntakeView {
    fn default() -> Self {
        IntakeView {
            response_action: yes(),
        }
    }
}

impl ResponseView {
    /// Parses the config `text` read from `path`; `None` when it is not TOML of this shape.
    pub fn parse(path: &Path, text: &str) -> Option<ResponseView> {
        let mut view: ResponseView = toml::from_str(text).ok()?;
        // As the full loader does: relative to the config's directory.
        if view.state.path.is_relative() {
            view.state.path = config_dir(path).join(&view.state.path);
        }
        Some(view)
    }

    /// The state store.
    pub fn state_path(&self) -> &Path {
        &self.state.path
    }

    /// Each pipeline's name, and whether it is enabled and takes response actions.
    pub fn pipelines(&self) -> impl Iterator<Item = (&str, bool)> {
        self.pipelines
            .iter()
            .map(|(name, p)| (name.as_str(), p.enabled && p.intake.response_action))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ConfigFile;
    use crate::secret::SecretResolver;

    /// The view and the full loader agree on the store and the pipelines.
    fn agree(text: &str) {
        let path = Path::new("/etc/sluice/sluice.toml");
        let view = ResponseView::parse(path, text).expect("the view reads it");
        let full = ConfigFile::parse(path, text.to_owned(), &SecretResolver::placeholders())
            .expect("the full loader reads it");
        assert_eq!(view.state_path(), full.config.state.path);
        let full_pipelines: Vec<(&str, bool)> = full
            .config
            .pipelines
            .iter()
            .map(|(n, p)| (n.as_str(), p.takes_response_actions()))
            .collect();
        assert_eq!(view.pipelines().collect::<Vec<_>>(), full_pipelines);
    }

    const PIPELINE: &str = r#"
        [pipelines.NAME.source]
        type = "netwrix_auditor"
        [pipelines.NAME.sink]
        type = "servicenow"
    "#;

    fn pipeline(name: &str, extra: &str) -> String {
        format!("{}\n{extra}\n", PIPELINE.replace("NAME", name))
    }

    #[test]
    fn defaults_are_the_full_loaders() {
        agree("");
        agree(&pipeline("security", ""));
    }

    #[test]
    fn relative_and_absolute_store_paths_and_switched_off_pipelines() {
        let text = format!(
            "[state]\npath = \"var/state.db\"\ndurability = \"normal\"\n{}{}{}",
            pipeline(
                "a",
                "[pipelines.a.intake]\nresponse_action = false\npoll = true"
            ),
            pipeline("b", "[pipelines.b]\nenabled = false"),
            pipeline(
                "c",
                "[pipelines.c.suppression]\nconsolidation_interval = \"0s\""
            ),
        );
        agree(&text);
        agree("[state]\npath = \"/var/lib/sluice/sluice.db\"");
    }

    #[test]
    fn what_is_not_toml_is_left_to_the_full_loader() {
        let path = Path::new("sluice.toml");
        assert!(ResponseView::parse(path, "[state").is_none());
        assert!(ResponseView::parse(path, "[state]\npath = 3").is_none());
    }
}
