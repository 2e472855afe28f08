//! The running host: each enabled pipeline built from config and run by its engine on a
//! thread of its own (`running.rs`), until a stop is asked for (`stop.rs`); the config in
//! force, reloaded on SIGHUP or when its files change (`host.rs`, `events.rs`, `watch.rs`).
//!
//! A stop (SIGTERM, SIGINT, or a reload replacing the pipeline) lets each pipeline finish the
//! batch it is in (a batch ends after its sink call) and then returns; nothing is half-done,
//! because every batch commits what it confirmed and leaves the rest queued. A step still
//! running when the drain limit expires is abandoned at exit: what it sent is reconciled at
//! the next start. A reload never abandons one: the pipeline's new engine starts once the old
//! one has returned.

mod events;
mod host;
mod prepare;
mod running;
mod stop;
mod watch;

use std::path::Path;

pub use events::{listen, Event};
pub use host::{Host, HostOptions, StartError, Unhealthy};
pub(crate) use prepare::{config_and_plugins, load_plugins, pipeline_specs};
pub use running::{Healthcheck, Late, Running, HEALTH_RECHECK};
pub use stop::{Doorbell, StopSignal};
pub use watch::ConfigWatch;

use crate::config::{ConfigFile, Diagnostic, PipelineSettings};
use crate::pipeline::engine::PipelineSpec;
use crate::pipeline::mapping::{computer_name, default_ticket_fields, TicketTemplate};
use crate::pipeline::rules::AlertSet;

/// Builds pipeline `name`'s spec: its alert definitions and ticket template, checked.
pub fn build_spec(
    file: &ConfigFile,
    name: &str,
    settings: &PipelineSettings,
) -> Result<PipelineSpec, Vec<Diagnostic>> {
    let mut problems = Vec::new();
    let alerts = AlertSet::load_dir(&settings.intake.alerts).unwrap_or_else(|e| {
        problems.extend(e.0);
        AlertSet::default()
    });
    let fields = settings
        .ticket
        .clone()
        .unwrap_or_else(default_ticket_fields);
    let template = match TicketTemplate::new(&fields, &settings.correlation_format) {
        Ok(t) => Some(t),
        Err(errors) => {
            for e in errors {
                problems.push(file.source.diagnostic(
                    &format!("pipelines.{name}.ticket.{}", e.field),
                    e.error.to_string(),
                ));
            }
            None
        }
    };
    for (i, field) in settings.suppression.group_by.iter().enumerate() {
        if field.trim().is_empty() {
            problems.push(file.source.diagnostic(
                &format!("pipelines.{name}.suppression.group_by[{i}]"),
                "must name a record field, like \"Who\"",
            ));
        }
    }
    match template {
        Some(template) if problems.is_empty() => Ok(PipelineSpec {
            name: name.to_owned(),
            settings: settings.clone(),
            alerts,
            template,
            computer: computer_name(),
        }),
        _ => Err(problems),
    }
}

/// The state store path of `file`.
pub fn state_path(file: &ConfigFile) -> &Path {
    &file.config.state.path
}
