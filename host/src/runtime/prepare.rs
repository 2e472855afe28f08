//! What most subcommands do first: read the config and load the plugins it needs.

use std::path::Path;

use super::build_spec;
use crate::cli::GlobalArgs;
use crate::config::{ConfigErrors, ConfigFile};
use crate::pipeline::engine::PipelineSpec;
use crate::plugin::{plugin_directories, plugin_files, PluginRegistry};

/// Loads the plugins from the executable's directory, `configured` directories and
/// `--plugin-dir`s. A configured directory that cannot be read is a warning, not an error: the
/// components it should hold will be reported missing where they are used.
pub(crate) fn load_plugins(
    configured: &[std::path::PathBuf],
    global: &GlobalArgs,
) -> PluginRegistry {
    let directories = plugin_directories(configured, &global.plugin_dirs);
    let (files, unreadable) = plugin_files(&directories);
    for (dir, error) in unreadable {
        tracing::warn!(directory = %dir.display(), %error, "Cannot read a plugin directory.");
    }
    PluginRegistry::load(&files)
}

/// Reads `path` and loads the plugins, then has the plugins validate their components'
/// settings. Every problem is returned at once.
pub(crate) fn config_and_plugins(
    path: &Path,
    global: &GlobalArgs,
) -> Result<(ConfigFile, PluginRegistry), ConfigErrors> {
    let file = ConfigFile::load(path)?;
    let registry = load_plugins(&file.config.plugins.directories, global);
    registry.log_refusals();
    let problems = registry.validate(&file);
    if problems.is_empty() {
        Ok((file, registry))
    } else {
        Err(ConfigErrors(problems))
    }
}

/// The specs of the enabled pipelines: alert definitions loaded and templates checked.
pub(crate) fn pipeline_specs(file: &ConfigFile) -> Result<Vec<PipelineSpec>, ConfigErrors> {
    let mut specs = Vec::new();
    let mut problems = Vec::new();
    for (name, settings) in &file.config.pipelines {
        if !settings.enabled {
            continue;
        }
        match build_spec(file, name, settings) {
            Ok(spec) => specs.push(spec),
            Err(p) => problems.extend(p),
        }
    }
    if problems.is_empty() {
        Ok(specs)
    } else {
        Err(ConfigErrors(problems))
    }
}
