//! `sluice plugins`: what is installed, and what was refused and why.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use super::output::{print, print_line};
use crate::cmd::GlobalArgs;
use crate::exit;
use crate::runtime::load_plugins;
use sluice_core::{ConfigFile, SecretResolver};

/// Arguments of `sluice plugins`.
#[derive(Debug, Args)]
pub struct PluginsArgs {
    /// A config whose `plugins.directories` are searched too (its secrets are not needed).
    /// Default: `sluice.toml` when it exists.
    #[arg(short, long, value_name = "FILE", env = "SLUICE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Listing {
    plugins: Vec<PluginEntry>,
    refused: Vec<Refusal>,
}

#[derive(Serialize)]
struct PluginEntry {
    name: String,
    version: String,
    sdk_version: String,
    abi_version: String,
    path: String,
    components: Vec<ComponentEntry>,
}

#[derive(Serialize)]
struct ComponentEntry {
    name: String,
    kind: &'static str,
    description: String,
}

#[derive(Serialize)]
struct Refusal {
    path: String,
    reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

pub(crate) fn run(args: PluginsArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let config_path = args
        .config
        .clone()
        .or_else(|| Some(PathBuf::from("sluice.toml")).filter(|p| p.exists()));
    // The plugin directories need none of the config's secrets: references are not resolved,
    // so an operator's shell without the service's environment lists what the service loads.
    // A config that cannot be read is an error, not a shorter list.
    let configured = match &config_path {
        Some(path) => {
            ConfigFile::load_with(path, &SecretResolver::placeholders())?
                .config
                .plugins
                .directories
        }
        None => Vec::new(),
    };
    let registry = load_plugins(&configured, &global.plugin_dirs);
    let listing = Listing {
        plugins: registry
            .plugins()
            .iter()
            .map(|p| {
                let m = p.manifest();
                PluginEntry {
                    name: m.name.clone(),
                    version: m.version.clone(),
                    sdk_version: m.sdk_version.clone(),
                    abi_version: m.abi_version.clone(),
                    path: p
                        .path()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default(),
                    components: m
                        .components
                        .iter()
                        .map(|c| ComponentEntry {
                            name: c.name.clone(),
                            kind: c.kind.as_str(),
                            description: c.description.clone(),
                        })
                        .collect(),
                }
            })
            .collect(),
        refused: registry
            .refused()
            .iter()
            .map(|e| Refusal {
                path: e.path().display().to_string(),
                reason: e.to_string(),
                detail: (global.verbose > 0)
                    .then(|| e.detail().map(str::to_owned))
                    .flatten(),
            })
            .collect(),
    };
    if args.json {
        print_line(&serde_json::to_string_pretty(&listing)?)?;
    } else {
        print(&table(&listing))?;
    }
    Ok(ExitCode::from(exit::OK))
}

fn table(listing: &Listing) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    if listing.plugins.is_empty() {
        out.push_str("No plugins found.\n");
    }
    for p in &listing.plugins {
        let _ = writeln!(
            out,
            "{} {}  (sluice-sdk {}, ABI {})",
            p.name, p.version, p.sdk_version, p.abi_version
        );
        let _ = writeln!(out, "  {}", p.path);
        for c in &p.components {
            let _ = writeln!(out, "  {:<6}  {:<20}  {}", c.kind, c.name, c.description);
        }
    }
    if !listing.refused.is_empty() {
        out.push_str("\nRefused:\n");
        for r in &listing.refused {
            let _ = writeln!(out, "  {}", r.reason);
            if let Some(detail) = &r.detail {
                for line in detail.lines() {
                    let _ = writeln!(out, "    {line}");
                }
            }
        }
    }
    out
}
