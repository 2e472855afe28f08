//! Building a host's pipelines from its config: each enabled pipeline's source, sink and
//! engine, every problem reported at once; and their healthchecks.

use std::sync::Arc;

use sluice_core::{
    record_progress, ConfigErrors, ConfigFile, Diagnostic, Engine, PipelineSpec, StateSettings,
    Store, StoreError,
};

use super::{HostOptions, Prepared, StartError, Unhealthy};
use crate::plugin::{instantiate, PluginRegistry};
use crate::runtime::inputs::PipelineInputs;
use crate::telemetry::Role;

/// Loads and checks the config and builds its enabled pipelines, reporting every problem.
pub(super) fn prepare(options: &HostOptions) -> Result<(ConfigFile, Vec<Prepared>), StartError> {
    let (file, registry) =
        crate::runtime::config_and_plugins(&options.config, &options.plugin_dirs)?;
    let prepared = build_all(&file, &registry, options)?;
    Ok((file, prepared))
}

/// Builds the enabled pipelines of `file`, reporting every problem.
pub(super) fn build_all(
    file: &ConfigFile,
    registry: &PluginRegistry,
    options: &HostOptions,
) -> Result<Vec<Prepared>, StartError> {
    let specs = sluice_core::pipeline_specs(file)?;
    let mut prepared = Vec::new();
    let mut problems: Vec<Diagnostic> = Vec::new();
    for spec in specs {
        match build(file, registry, spec, options) {
            Ok(p) => prepared.push(p),
            Err(Failure::Config(mut d)) => problems.append(&mut d),
            Err(Failure::Store(e)) => return Err(e.into()),
        }
    }
    if !problems.is_empty() {
        return Err(ConfigErrors(problems).into());
    }
    Ok(prepared)
}

/// Why a pipeline could not be built.
enum Failure {
    Config(Vec<Diagnostic>),
    Store(StoreError),
}

/// Builds one pipeline's components and engine.
fn build(
    file: &ConfigFile,
    registry: &PluginRegistry,
    spec: PipelineSpec,
    options: &HostOptions,
) -> Result<Prepared, Failure> {
    let name = spec.name.clone();
    let clock = options.clock.clone();
    let handle = options.runtime.clone();
    let source = instantiate::source(registry, file, &name, clock.clone(), handle.clone());
    let sink = instantiate::sink(registry, file, &name, clock.clone(), handle);
    let (source, sink) = match (source, sink) {
        (Ok(source), Ok(sink)) => (source, sink),
        (source, sink) => {
            let problems = [source.err(), sink.err()].into_iter().flatten().collect();
            return Err(Failure::Config(problems));
        }
    };
    let state = &file.config.state;
    let store = Store::connect(state.location()).map_err(Failure::Store)?;
    let inputs = PipelineInputs::read(&spec.settings);
    Ok(Prepared {
        engine: Engine::new(Arc::new(spec), store, source.instance, sink.instance, clock),
        source_plugin: source.context.plugin,
        sink_plugin: sink.context.plugin,
        checks: Vec::new(),
        inputs,
    })
}

impl Prepared {
    /// Its pipeline's name.
    pub(super) fn name(&self) -> &str {
        &self.engine.spec().name
    }

    /// Runs the healthchecks of its source and sink; logs and returns the failures.
    pub(super) fn check(&mut self) -> Vec<Unhealthy> {
        self.checks = vec![
            (Role::Source, self.engine.source_mut().healthcheck()),
            (Role::Sink, self.engine.sink_mut().healthcheck()),
        ];
        let pipeline = &self.engine.spec().name;
        let mut failed = Vec::new();
        for (role, result) in &self.checks {
            if let Err(error) = result {
                tracing::error!(%pipeline, component = role.as_str(), %error, "Healthcheck failed.");
                failed.push(Unhealthy {
                    pipeline: pipeline.clone(),
                    role: *role,
                    error: error.clone(),
                });
            }
        }
        failed
    }
}

/// Folds the store's write-ahead log into its file and records its generation beside it, so
/// that a copy older than now is refused at the next start.
pub(super) fn checkpoint(state: &StateSettings) -> Result<(), StoreError> {
    Store::connect(state.location()).and_then(|mut store| record_progress(&mut store))
}
