//! `sluice schema`: the JSON Schema of the config, for editors and CI checks.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::cmd::GlobalArgs;
use crate::exit;
use crate::runtime::load_plugins;
use sluice_core::{config_schema, ConfigFile};

/// Arguments of `sluice schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// A config whose `plugins.directories` are searched for components too. Default:
    /// `sluice.toml` when it exists.
    #[arg(short, long, value_name = "FILE", env = "SLUICE_CONFIG")]
    pub config: Option<PathBuf>,
}

pub(crate) fn run(args: SchemaArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let path = args
        .config
        .or_else(|| Some(PathBuf::from("sluice.toml")).filter(|p| p.exists()));
    let configured = path
        .and_then(|p| ConfigFile::load(&p).ok())
        .map(|f| f.config.plugins.directories)
        .unwrap_or_default();
    let registry = load_plugins(&configured, &global.plugin_dirs);
    let schema = config_schema(registry.plugins().iter().map(|p| p.as_ref()));
    super::output::print_line(&serde_json::to_string_pretty(&schema)?)?;
    Ok(ExitCode::from(exit::OK))
}
