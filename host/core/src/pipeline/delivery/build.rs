//! Rendering: the sink actions of one outbox row, through the mapping.

use sluice_sdk::{Correlation, StateChange, Ticket, TicketAction};

use super::{Delivery, Job, STEP_ATTACH, STEP_NOTES, STEP_REOPEN};
use crate::pipeline::mapping::TicketTemplate;
use crate::pipeline::notes;
use crate::state::outbox::OutboxKind;
use crate::state::tickets::TicketKind;

/// Adds the step that attaches the text file `file_name` to the ticket `sink_id`.
fn push_attachment(
    job: &mut Job,
    actions: &mut Vec<TicketAction>,
    sink_id: String,
    file_name: String,
    content: Vec<u8>,
) {
    let start = actions.len();
    actions.push(TicketAction::Attach {
        ticket: sink_id.into(),
        file_name,
        content_type: "text/plain".to_owned(),
        content,
    });
    job.steps.push((STEP_ATTACH, start..actions.len()));
}

impl Delivery<'_> {
    /// The pipeline's template with the overrides of the alert `name`.
    pub(super) fn template_for(&self, name: &str) -> std::borrow::Cow<'_, TicketTemplate> {
        match self.alerts.get(name) {
            Some(d) => self.template.with_overrides(&d.ticket),
            None => std::borrow::Cow::Borrowed(self.template),
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
    pub(super) fn steps_needed(&self, job: &Job) -> u32 {
        let sent = job.steps.iter().fold(0, |acc, (bit, _)| acc | bit);
        match job.row.kind {
            OutboxKind::Open if self.burst_attachment(job).is_some() => {
                sent | STEP_NOTES | STEP_ATTACH
            }
            _ => sent,
        }
    }

    /// The write actions of `job`, appended to `actions`.
    pub(super) fn build(&self, job: &mut Job, actions: &mut Vec<TicketAction>) {
        let Some(first) = job.alerts.first() else {
            return;
        };
        let template = self.template_for(&first.row.alert_name);
        match (job.row.kind, job.ticket.kind) {
            (OutboxKind::Open, kind) if job.row.steps_done & STEP_NOTES == 0 => {
                let mut fields = match kind {
                    TicketKind::Alert => {
                        let previous = job.previous_fields.clone().or_else(|| {
                            job.previous.as_ref().map(|p| Ticket {
                                id: p.sink_id.clone().unwrap_or_default().into(),
                                number: p.number.clone().unwrap_or_default().into(),
                                state: p.state.clone().unwrap_or_default().into(),
                                ..Ticket::default()
                            })
                        });
                        template.render_open(&first.context(self.computer), previous.as_ref())
                    }
                    TicketKind::Flood => {
                        notes::flood_fields(&template, first, self.suppression, self.computer)
                    }
                };
                if !job.burst.is_empty() && !self.suppression.display_only_first_activity_record {
                    notes::append_burst(&template, &mut fields, &job.burst, self.computer);
                }
                let display = match kind {
                    TicketKind::Alert => format!("sluice: {}", first.row.alert_name),
                    TicketKind::Flood => "sluice: alert flood".to_owned(),
                };
                let start = actions.len();
                actions.push(TicketAction::Create {
                    correlation: Correlation {
                        id: job.ticket.correlation_id.clone().into(),
                        display: display.into(),
                    },
                    fields,
                });
                job.steps.push((STEP_NOTES, start..actions.len()));
            }
            // The ticket is open; what is left is the threshold's other records.
            (OutboxKind::Open, _) => {
                if let (Some(sink_id), Some((file_name, content))) =
                    (job.ticket.sink_id.clone(), self.burst_attachment(job))
                {
                    push_attachment(job, actions, sink_id, file_name, content);
                }
            }
            (OutboxKind::Update, kind) => {
                let Some(sink_id) = job.ticket.sink_id.clone() else {
                    // Its open was given up on; `settle` sends the alerts to a new ticket.
                    return;
                };
                let done = job.row.steps_done;
                if job.row.reopen && done & STEP_REOPEN == 0 {
                    let start = actions.len();
                    actions.push(TicketAction::ChangeState {
                        ticket: sink_id.clone().into(),
                        change: StateChange::Reopen,
                    });
                    job.steps.push((STEP_REOPEN, start..actions.len()));
                }
                let attach = kind == TicketKind::Alert
                    && self.suppression.display_only_first_activity_record;
                let attachment = attach.then(|| {
                    notes::records_attachment(
                        &template,
                        job.row.id,
                        &job.alerts,
                        job.total,
                        self.computer,
                    )
                });
                if done & STEP_NOTES == 0 {
                    let text = match kind {
                        TicketKind::Alert => notes::update_note(
                            &template,
                            &job.alerts,
                            job.total,
                            attachment.as_ref().map(|(name, _)| name.as_str()),
                            self.computer,
                        ),
                        TicketKind::Flood => {
                            notes::flood_note(&job.alerts, job.total, self.computer)
                        }
                    };
                    let start = actions.len();
                    for journal in template.journals() {
                        actions.push(TicketAction::AddNote {
                            ticket: sink_id.clone().into(),
                            journal,
                            text: text.clone(),
                        });
                    }
                    if actions.len() > start {
                        job.steps.push((STEP_NOTES, start..actions.len()));
                    }
                }
                if let Some((file_name, content)) = attachment.filter(|_| done & STEP_ATTACH == 0) {
                    push_attachment(job, actions, sink_id, file_name, content);
                }
            }
        }
    }
}
