//! `sluice validate`: is this config good? Exit 0 when it is, 78 (EX_CONFIG) when not.
//!
//! Stages, each reporting every problem it finds: TOML syntax and the host's keys; finding
//! the plugins and the components the pipelines name; each plugin's own checks of its
//! component's settings; and, with `--environment`, each component's healthcheck (can the
//! system be reached, do the credentials work).

use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use serde_json::json;

use super::output::print_line;
use crate::cmd::{ConfigArg, GlobalArgs};
use crate::exit;
use crate::plugin::{instantiate, PluginRegistry};
use crate::runtime::config_with_plugins;
use sluice_core::pipeline_specs;
use sluice_core::SystemClock;
use sluice_core::{ConfigErrors, ConfigFile, StoreError};

/// Arguments of `sluice validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Also build every component and run its healthcheck (network access to the systems).
    #[arg(long)]
    pub environment: bool,
    /// Print the verdict as one JSON object.
    #[arg(long)]
    pub json: bool,
}

pub(crate) fn run(args: ValidateArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let path = &args.config.config;
    // Every problem at once: the plugins' checks of their settings and the alert files and
    // templates together; the systems are contacted only for a config without any.
    let result = config_with_plugins(path, &global.plugin_dirs).and_then(
        |(file, registry, mut problems)| {
            if let Err(specs) = pipeline_specs(&file) {
                problems.extend(specs.0);
            }
            if !problems.is_empty() {
                return Err(ConfigErrors(problems));
            }
            if args.environment {
                healthchecks(&file, &registry)?;
            }
            Ok(file)
        },
    );
    match (result, args.json) {
        (Ok(file), json) => {
            let names: Vec<&str> = file.config.pipelines.keys().map(String::as_str).collect();
            if json {
                print_line(
                    &json!({ "valid": true, "file": path, "pipelines": names }).to_string(),
                )?;
            } else {
                print_line(&format!(
                    "{}: valid ({} pipeline{}{}{})",
                    path.display(),
                    names.len(),
                    if names.len() == 1 { "" } else { "s" },
                    if names.is_empty() { "" } else { ": " },
                    names.join(", ")
                ))?;
            }
            Ok(ExitCode::from(exit::OK))
        }
        (Err(errors), true) => {
            let problems: Vec<_> = errors
                .0
                .iter()
                .map(|d| {
                    json!({
                        "file": d.file,
                        "line": d.position.map(|p| p.0),
                        "column": d.position.map(|p| p.1),
                        "key_path": d.key_path,
                        "message": d.message,
                    })
                })
                .collect();
            print_line(&json!({ "valid": false, "file": path, "problems": problems }).to_string())?;
            Ok(ExitCode::from(exit::CONFIG))
        }
        (Err(errors), false) => Err(errors.into()),
    }
}

/// Builds every enabled pipeline's components and runs their healthchecks.
fn healthchecks(file: &ConfigFile, registry: &PluginRegistry) -> Result<(), ConfigErrors> {
    let runtime = tokio::runtime::Runtime::new().map_err(|e| {
        ConfigErrors::one(sluice_core::Diagnostic::new(
            file.path(),
            format!("cannot start the runtime: {e}"),
        ))
    })?;
    let clock = Arc::new(SystemClock);
    let mut problems = Vec::new();
    for (name, pipeline) in &file.config.pipelines {
        if !pipeline.enabled {
            continue;
        }
        match instantiate::source(
            registry,
            file,
            name,
            clock.clone(),
            runtime.handle().clone(),
        ) {
            Ok(mut built) => {
                if let Err(e) = built.instance.healthcheck() {
                    problems.push(file.source.diagnostic(
                        &format!("pipelines.{name}.source"),
                        format!("healthcheck failed: {e}"),
                    ));
                }
            }
            Err(d) => problems.push(d),
        }
        match instantiate::sink(
            registry,
            file,
            name,
            clock.clone(),
            runtime.handle().clone(),
        ) {
            Ok(mut built) => {
                if let Err(e) = built.instance.healthcheck() {
                    problems.push(file.source.diagnostic(
                        &format!("pipelines.{name}.sink"),
                        format!("healthcheck failed: {e}"),
                    ));
                }
            }
            Err(d) => problems.push(d),
        }
    }
    if let Some(database) = file.config.state.database() {
        if let Err(e) = sluice_core::Store::check_postgres(database) {
            // A CA file that cannot be used is the key to fix; anything else is the URL's.
            let key = match e {
                StoreError::Tls { .. } if database.ca_file.is_some() => "state.ca_file",
                _ => "state.url",
            };
            problems.push(file.source.diagnostic(key, e.to_string()));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ConfigErrors(problems))
    }
}
