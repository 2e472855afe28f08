//! Building a pipeline's component instances: resolve the component, give it an HTTP client
//! and the host's capabilities, and let its plugin construct it.

use std::sync::Arc;

use sluice_sdk::{ComponentKind, SinkInstance, SourceInstance};
use tokio::runtime::Handle;

use super::registry::{plugin_diagnostic, settings_json, ComponentRef};
use super::PluginRegistry;
use crate::capabilities::{ComponentContext, HostCapabilities, HttpClient};
use sluice_core::Clock;
use sluice_core::{ComponentSettings, ConfigFile, Diagnostic};

/// A built component, with the names it logs under.
#[derive(Debug)]
pub struct Built<T> {
    /// The instance.
    pub instance: T,
    /// Pipeline, plugin and component names.
    pub context: ComponentContext,
}

/// Builds pipeline `pipeline`'s source.
pub fn source(
    registry: &PluginRegistry,
    file: &ConfigFile,
    pipeline: &str,
    clock: Arc<dyn Clock>,
    runtime: Handle,
) -> Result<Built<SourceInstance>, Diagnostic> {
    let settings = &file.config.pipelines[pipeline].source;
    let (component, capabilities, context, base) = prepare(
        registry,
        file,
        pipeline,
        "source",
        ComponentKind::Source,
        settings,
        clock,
        runtime,
    )?;
    let instance = component
        .plugin
        .new_source(&component.name, &settings_json(settings), capabilities)
        .map_err(|e| plugin_diagnostic(file, &base, &e))?;
    Ok(Built { instance, context })
}

/// Builds pipeline `pipeline`'s sink.
pub fn sink(
    registry: &PluginRegistry,
    file: &ConfigFile,
    pipeline: &str,
    clock: Arc<dyn Clock>,
    runtime: Handle,
) -> Result<Built<SinkInstance>, Diagnostic> {
    let settings = &file.config.pipelines[pipeline].sink;
    let (component, capabilities, context, base) = prepare(
        registry,
        file,
        pipeline,
        "sink",
        ComponentKind::Sink,
        settings,
        clock,
        runtime,
    )?;
    let instance = component
        .plugin
        .new_sink(&component.name, &settings_json(settings), capabilities)
        .map_err(|e| plugin_diagnostic(file, &base, &e))?;
    Ok(Built { instance, context })
}

#[allow(clippy::too_many_arguments)]
fn prepare(
    registry: &PluginRegistry,
    file: &ConfigFile,
    pipeline: &str,
    role: &str,
    kind: ComponentKind,
    settings: &ComponentSettings,
    clock: Arc<dyn Clock>,
    runtime: Handle,
) -> Result<
    (
        ComponentRef,
        Arc<HostCapabilities>,
        ComponentContext,
        String,
    ),
    Diagnostic,
> {
    let base = format!("pipelines.{pipeline}.{role}");
    let component = registry
        .resolve(kind, settings)
        .map_err(|m| file.source.diagnostic(&format!("{base}.type"), m))?;
    let context = ComponentContext {
        pipeline: pipeline.to_owned(),
        plugin: component.plugin.manifest().name.clone(),
        component: component.name.clone(),
    };
    let label = format!("{pipeline}/{role} ({})", component.name);
    let http = HttpClient::new(&settings.http, runtime, &label).map_err(|e| {
        file.source
            .diagnostic(&format!("{base}.http"), e.to_string())
    })?;
    let capabilities = Arc::new(HostCapabilities::new(http, clock, context.clone()));
    Ok((component, capabilities, context, base))
}
