//! Rendering: the sink actions of one outbox row, through the mapping.

use std::borrow::Cow;

use sluice_sdk::{Correlation, StateChange, Ticket, TicketAction};

use super::{Delivery, Job, SentStep};
use crate::pipeline::mapping::TicketTemplate;
use crate::pipeline::notes::{self, LoadedAlert};
use crate::state::outbox::{OutboxKind, Step, Steps};
use crate::state::tickets::TicketKind;

/// The write batch of a round, as one job appends its steps to it.
struct StepWriter<'a> {
    /// The batch.
    actions: &'a mut Vec<TicketAction>,
    /// The job's steps appended so far.
    steps: Vec<SentStep>,
}

impl StepWriter<'_> {
    /// Appends `actions` as `step`; a step without actions is not sent.
    fn push(&mut self, step: Step, actions: impl IntoIterator<Item = TicketAction>) {
        let start = self.actions.len();
        self.actions.extend(actions);
        if self.actions.len() > start {
            self.steps.push(SentStep {
                step,
                actions: start..self.actions.len(),
            });
        }
    }
}

/// The action that attaches the text file `file_name` to the ticket `sink_id`.
fn attachment(sink_id: String, file_name: String, content: Vec<u8>) -> TicketAction {
    TicketAction::Attach {
        ticket: sink_id.into(),
        file_name,
        content_type: "text/plain".to_owned(),
        content,
    }
}

impl Delivery<'_> {
    /// The pipeline's template with the overrides of the alert `name`.
    pub(super) fn template_for(&self, name: &str) -> Cow<'_, TicketTemplate> {
        match self.alerts.get(name) {
            Some(d) => self.template.with_overrides(&d.ticket),
            None => Cow::Borrowed(self.template),
        }
    }

    /// The attachment of a threshold alert's other records, if the open carries one.
    pub(super) fn burst_attachment(&self, job: &Job) -> Option<(String, Vec<u8>)> {
        let first = job.burst.first()?;
        if !self.suppression.display_only_first_activity_record {
            return None;
        }
        Some(notes::records_attachment(
            &self.template_for(&first.row.alert_name),
            job.row.id,
            &job.burst,
            job.burst.len() as u64,
            self.computer,
        ))
    }

    /// The steps `job` needs in all: an open with a threshold's records to attach needs the
    /// attachment after the ticket, in a later round (its id is known only then).
    pub(super) fn steps_needed(&self, job: &Job) -> Steps {
        let sent: Steps = job.steps.iter().map(|s| s.step).collect();
        match job.row.kind {
            OutboxKind::Open if self.burst_attachment(job).is_some() => {
                sent.with(Step::Notes).with(Step::Attach)
            }
            _ => sent,
        }
    }

    /// The write actions of `job`, appended to `actions`.
    pub(super) fn build(&self, job: &mut Job, actions: &mut Vec<TicketAction>) {
        let mut writer = StepWriter {
            actions,
            steps: Vec::new(),
        };
        self.write_steps(job, &mut writer);
        job.steps.extend(writer.steps);
    }

    fn write_steps(&self, job: &Job, writer: &mut StepWriter<'_>) {
        let Some(first) = job.alerts.first() else {
            return;
        };
        let template = self.template_for(&first.row.alert_name);
        match job.row.kind {
            OutboxKind::Open if !job.row.steps_done.contains(Step::Notes) => {
                writer.push(Step::Notes, [self.create(job, first, &template)]);
            }
            // The ticket is open; what is left is the threshold's other records.
            OutboxKind::Open => {
                if let (Some(sink_id), Some((file_name, content))) =
                    (job.ticket.sink_id.clone(), self.burst_attachment(job))
                {
                    writer.push(Step::Attach, [attachment(sink_id, file_name, content)]);
                }
            }
            OutboxKind::Update => self.write_update(job, &template, writer),
        }
    }

    /// The create of `job`'s ticket, opened by its `first` alert.
    fn create(&self, job: &Job, first: &LoadedAlert, template: &TicketTemplate) -> TicketAction {
        let mut fields = match job.ticket.kind {
            TicketKind::Alert => {
                template.render_open(&first.context(self.computer), previous(job).as_ref())
            }
            TicketKind::Flood => {
                notes::flood_fields(template, first, self.suppression, self.computer)
            }
        };
        if !job.burst.is_empty() && !self.suppression.display_only_first_activity_record {
            notes::append_burst(template, &mut fields, &job.burst, self.computer);
        }
        let display = match job.ticket.kind {
            TicketKind::Alert => format!("sluice: {}", first.row.alert_name),
            TicketKind::Flood => "sluice: alert flood".to_owned(),
        };
        TicketAction::Create {
            correlation: Correlation {
                id: job.ticket.correlation_id.clone().into(),
                display: display.into(),
            },
            fields,
        }
    }

    /// The steps of an update not confirmed yet: reopen, notes, the records' attachment.
    fn write_update(&self, job: &Job, template: &TicketTemplate, writer: &mut StepWriter<'_>) {
        let Some(sink_id) = job.ticket.sink_id.clone() else {
            // Its open was given up on; `settle` sends the alerts to a new ticket.
            return;
        };
        let done = job.row.steps_done;
        if job.row.reopen && !done.contains(Step::Reopen) {
            writer.push(
                Step::Reopen,
                [TicketAction::ChangeState {
                    ticket: sink_id.clone().into(),
                    change: StateChange::Reopen,
                }],
            );
        }
        let attach = job.ticket.kind == TicketKind::Alert
            && self.suppression.display_only_first_activity_record;
        let records = attach.then(|| {
            notes::records_attachment(template, job.row.id, &job.alerts, job.total, self.computer)
        });
        if !done.contains(Step::Notes) {
            let file = records.as_ref().map(|(name, _)| name.as_str());
            let text = self.update_text(job, template, file);
            let notes = template
                .journals()
                .into_iter()
                .map(|journal| TicketAction::AddNote {
                    ticket: sink_id.clone().into(),
                    journal,
                    text: text.clone(),
                });
            writer.push(Step::Notes, notes);
        }
        if let Some((file_name, content)) = records.filter(|_| !done.contains(Step::Attach)) {
            writer.push(Step::Attach, [attachment(sink_id, file_name, content)]);
        }
    }

    /// The note of an update; `file` names the attachment that lists its records, if any.
    fn update_text(&self, job: &Job, template: &TicketTemplate, file: Option<&str>) -> String {
        match job.ticket.kind {
            TicketKind::Alert => {
                notes::update_note(template, &job.alerts, job.total, file, self.computer)
            }
            TicketKind::Flood => notes::flood_note(&job.alerts, job.total, self.computer),
        }
    }
}

/// The previous ticket a new one references: as the sink showed it this round, or what
/// sluice knows of it.
fn previous(job: &Job) -> Option<Ticket> {
    job.previous_fields.clone().or_else(|| {
        job.previous.as_ref().map(|p| Ticket {
            id: p.sink_id.clone().unwrap_or_default().into(),
            number: p.number.clone().unwrap_or_default().into(),
            state: p.state.clone().unwrap_or_default().into(),
            ..Ticket::default()
        })
    })
}
