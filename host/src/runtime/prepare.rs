//! What most subcommands do first: read the config and load the plugins it needs.

use std::path::{Path, PathBuf};

use crate::plugin::{plugin_directories, plugin_files, PluginRegistry};
use sluice_core::{ConfigErrors, ConfigFile, Diagnostic};

/// Loads the plugins from the executable's directory, `configured` directories and
/// `--plugin-dir`s. A configured directory that cannot be read is a warning, not an error: the
/// components it should hold will be reported missing where they are used.
pub(crate) fn load_plugins(configured: &[PathBuf], extra: &[PathBuf]) -> PluginRegistry {
    let directories = plugin_directories(configured, extra);
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
    extra_plugin_dirs: &[PathBuf],
) -> Result<(ConfigFile, PluginRegistry), ConfigErrors> {
    let (file, registry, problems) = config_with_plugins(path, extra_plugin_dirs)?;
    if problems.is_empty() {
        Ok((file, registry))
    } else {
        Err(ConfigErrors(problems))
    }
}

/// Reads `path` and loads the plugins; the problems the plugins found in their components'
/// settings are returned beside them, so that a caller can add what it checks next.
///
/// # Errors
///
/// The file cannot be read, or the host's own keys are wrong: nothing further can be checked.
pub(crate) fn config_with_plugins(
    path: &Path,
    extra_plugin_dirs: &[PathBuf],
) -> Result<(ConfigFile, PluginRegistry, Vec<Diagnostic>), ConfigErrors> {
    let file = ConfigFile::load(path)?;
    let registry = load_plugins(&file.config.plugins.directories, extra_plugin_dirs);
    registry.log_refusals();
    let problems = registry.validate(&file);
    Ok((file, registry, problems))
}
