//! What a pipeline is, built and checked from its settings: its alert definitions loaded, its
//! ticket template parsed, every problem reported at once with its key path.

use crate::config::{ConfigErrors, ConfigFile, Diagnostic, PipelineSettings};

use super::mapping::{computer_name, default_ticket_fields, TicketTemplate};
use super::rules::AlertSet;

/// What a pipeline is: its settings and what was built from them.
#[derive(Debug, Clone)]
pub struct PipelineSpec {
    /// The pipeline's name.
    pub name: String,
    /// Its settings.
    pub settings: PipelineSettings,
    /// Its alert definitions.
    pub alerts: AlertSet,
    /// Its ticket template.
    pub template: TicketTemplate,
    /// `%Computer%`.
    pub computer: String,
}

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

/// The specs of the enabled pipelines: alert definitions loaded and templates checked.
pub fn pipeline_specs(file: &ConfigFile) -> Result<Vec<PipelineSpec>, ConfigErrors> {
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
