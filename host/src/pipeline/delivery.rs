//! Delivery: the outbox's ticket actions, rendered through the mapping and sent to the sink
//! in batches, in order per ticket, retried with backoff, and reconciled after a crash.
//!
//! Exactly-once ticket creation rests on two rules:
//!
//! 1. an action is marked in flight, durably, before it is sent; a process that dies leaves
//!    it so, and the next one puts it back in the queue with its attempt counted;
//! 2. an open whose earlier attempt may have reached the sink (any attempt before this one) is
//!    first looked up by the ticket's correlation key; a ticket found is adopted, not created
//!    again.
//!
//! Updates are at-least-once: each step (reopen, note, attachment) is recorded when the sink
//! confirms it, and only unconfirmed steps are sent again.

use sluice_sdk::{
    ActionOutcome, Correlation, ErrorKind, PluginError, SinkInstance, StateChange, Ticket,
    TicketAction,
};

use super::mapping::TicketTemplate;
use super::notes::{self, LoadedAlert};
use super::pace::BatchPace;
use super::record;
use super::rules::AlertSet;
use crate::config::{DeliverySettings, SuppressionSettings};
use crate::retry::Backoff;
use crate::state::alerts;
use crate::state::outbox::{self, OutboxKind, OutboxRow};
use crate::state::tickets::{self, TicketKind, TicketRow};
use crate::state::{checkpoints, duration_ms, Store, StoreError};

/// Where ticket actions go: a sink plugin, or a stand-in in tests.
pub trait TicketSink {
    /// Executes `actions`, one outcome each, in order (see [`sluice_sdk::Sink::deliver`]).
    fn deliver(&mut self, actions: Vec<TicketAction>) -> Vec<ActionOutcome>;
}

impl TicketSink for SinkInstance {
    fn deliver(&mut self, actions: Vec<TicketAction>) -> Vec<ActionOutcome> {
        SinkInstance::deliver(self, actions)
    }
}

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

/// Steps of an update, as bits of `steps_done`.
const STEP_REOPEN: u32 = 1;
const STEP_NOTES: u32 = 2;
const STEP_ATTACH: u32 = 4;

/// What one delivery round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Tickets opened (alert and flood tickets).
    pub created: u32,
    /// Of those, flood tickets.
    pub flood_created: u32,
    /// Opens found already done at the sink after a crash or an ambiguous failure.
    pub adopted: u32,
    /// Consolidated updates written.
    pub updated: u32,
    /// Tickets reopened.
    pub reopened: u32,
    /// Actions that will be tried again.
    pub retried: u32,
    /// Actions given up on.
    pub dead: u32,
    /// Calls to the sink.
    pub sink_calls: u32,
}

/// Everything delivery needs to know about a pipeline.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    /// The pipeline.
    pub pipeline: &'a str,
    /// Its ticket template.
    pub template: &'a TicketTemplate,
    /// Its alert definitions (descriptions and ticket overrides).
    pub alerts: &'a AlertSet,
    /// Its suppression settings (what updates say).
    pub suppression: &'a SuppressionSettings,
    /// Its delivery settings.
    pub delivery: &'a DeliverySettings,
    /// `%Computer%`.
    pub computer: &'a str,
}

/// One outbox action being delivered.
struct Job {
    row: OutboxRow,
    ticket: TicketRow,
    alerts: Vec<LoadedAlert>,
    total: u64,
    /// The other records of a threshold alert (its first record is the alert's own).
    burst: Vec<LoadedAlert>,
    previous: Option<TicketRow>,
    previous_fields: Option<Ticket>,
    adopted: Option<Ticket>,
    deferred: Option<(String, Option<std::time::Duration>)>,
    /// (step bit, indexes of its actions in the write batch)
    steps: Vec<(u32, std::ops::Range<usize>)>,
}

impl Delivery<'_> {
    fn backoff(&self) -> Backoff {
        Backoff {
            initial: self.delivery.retry_initial.get(),
            max: self.delivery.retry_max.get(),
            retry_after_max: self.delivery.retry_after_max.get(),
        }
    }

    /// Puts actions a dead process left in flight back in the queue. Their attempt stays
    /// counted, so opens among them are reconciled before they are sent again.
    pub fn recover(&self, store: &mut Store) -> Result<usize, StoreError> {
        let pipeline = self.pipeline;
        store.write(|tx| {
            let rows = outbox::in_flight(tx, pipeline)?;
            for row in &rows {
                outbox::retry_at(
                    tx,
                    row.id,
                    row.next_at,
                    "interrupted: sluice stopped while it was being delivered",
                )?;
            }
            Ok(rows.len())
        })
    }

    /// Delivers the actions due at `now` (ms), at most one batch, as large as `pace` says.
    /// `random` gives numbers in `[0, 1)` for retry jitter.
    pub fn run(
        &self,
        store: &mut Store,
        sink: &mut dyn TicketSink,
        now: i64,
        pace: &mut BatchPace,
        random: &mut dyn FnMut() -> f64,
    ) -> Result<DeliveryReport, StoreError> {
        let mut report = DeliveryReport::default();
        let mut rows = store.read(outbox::due(
            store.conn(),
            self.pipeline,
            now,
            pace.limit(self.delivery),
        ))?;
        // New tickets go in a round of their own (`due` lists them first): a round ends when
        // its slowest ticket is done, and a new ticket should not wait for updates to others.
        if rows.first().is_some_and(|r| r.kind == OutboxKind::Open) {
            rows.retain(|r| r.kind == OutboxKind::Open);
        }
        if rows.is_empty() {
            return Ok(report);
        }
        let mut jobs = Vec::with_capacity(rows.len());
        for row in rows {
            jobs.push(self.load(store, row)?);
        }

        self.lookups(&mut jobs, sink, &mut report);

        // Mark what is about to be sent, durably, before sending it.
        let mut actions = Vec::new();
        for job in jobs.iter_mut() {
            if job.adopted.is_none() && job.deferred.is_none() {
                self.build(job, &mut actions);
            }
        }
        let sending: Vec<i64> = jobs
            .iter()
            .filter(|j| !j.steps.is_empty())
            .map(|j| j.row.id)
            .collect();
        store.write(|tx| {
            for id in &sending {
                outbox::start(tx, *id, now)?;
            }
            Ok(())
        })?;
        let outcomes = if actions.is_empty() {
            Vec::new()
        } else {
            report.sink_calls += 1;
            let started = std::time::Instant::now();
            let outcomes = sink.deliver(actions);
            pace.observe(sending.len(), started.elapsed());
            outcomes
        };

        let backoff = self.backoff();
        store.write(|tx| {
            for job in &jobs {
                self.settle(tx, job, &outcomes, now, &backoff, random, &mut report)?;
            }
            let confirmed = outcomes
                .iter()
                .any(|o| matches!(o, ActionOutcome::Done(_) | ActionOutcome::Unchanged(_)));
            if confirmed || report.adopted > 0 {
                checkpoints::touch(tx, self.pipeline, checkpoints::Activity::Delivery, now)?;
            }
            Ok(())
        })?;
        Ok(report)
    }

    fn load(&self, store: &Store, row: OutboxRow) -> Result<Job, StoreError> {
        let conn = store.conn();
        let ticket = store
            .read(tickets::get(conn, row.ticket_id))?
            .ok_or_else(|| StoreError::Corrupt {
                path: store.path().to_owned(),
                table: "outbox",
                message: format!(
                    "action {} names ticket {}, which does not exist",
                    row.id, row.ticket_id
                ),
            })?;
        let (rows, total) = store.read(alerts::of_outbox(
            conn,
            row.id,
            self.suppression.max_records_per_update.max(1),
        ))?;
        let alerts: Vec<LoadedAlert> = rows
            .into_iter()
            .map(|row| LoadedAlert {
                record: row.record.as_deref().and_then(record::from_json),
                description: self
                    .alerts
                    .get(&row.alert_name)
                    .map(|d| d.description.clone())
                    .unwrap_or_default(),
                row,
            })
            .collect();
        let burst = match (row.kind, ticket.kind, alerts.first()) {
            (OutboxKind::Open, TicketKind::Alert, Some(first)) => first
                .row
                .extra_records
                .as_deref()
                .map(record::many_from_json)
                .unwrap_or_default()
                .into_iter()
                .map(|r| LoadedAlert {
                    record: Some(r),
                    ..first.clone()
                })
                .collect(),
            _ => Vec::new(),
        };
        let previous = match row.correlate_ticket_id {
            Some(id) => store.read(tickets::get(conn, id))?,
            None => None,
        };
        Ok(Job {
            row,
            ticket,
            alerts,
            total,
            burst,
            previous,
            previous_fields: None,
            adopted: None,
            deferred: None,
            steps: Vec::new(),
        })
    }

    /// Reads before writing: opens that may already exist are looked up by correlation key;
    /// new tickets that reference a previous one read its current fields.
    fn lookups(&self, jobs: &mut [Job], sink: &mut dyn TicketSink, report: &mut DeliveryReport) {
        enum Lookup {
            Find,
            Previous,
        }
        let mut actions = Vec::new();
        let mut targets = Vec::new();
        for (i, job) in jobs.iter().enumerate() {
            // An open whose ticket is confirmed has only its attachment left.
            if job.row.kind != OutboxKind::Open || job.row.steps_done & STEP_NOTES != 0 {
                continue;
            }
            if job.row.attempts > 0 {
                actions.push(TicketAction::FindByCorrelation {
                    correlation_id: job.ticket.correlation_id.clone().into(),
                });
                targets.push((i, Lookup::Find));
            }
            if let Some(sink_id) = job.previous.as_ref().and_then(|p| p.sink_id.clone()) {
                actions.push(TicketAction::Get {
                    ticket: sink_id.into(),
                });
                targets.push((i, Lookup::Previous));
            }
        }
        if actions.is_empty() {
            return;
        }
        report.sink_calls += 1;
        let outcomes = sink.deliver(actions);
        for ((i, lookup), outcome) in targets.into_iter().zip(outcomes) {
            let job = &mut jobs[i];
            match (lookup, outcome) {
                (Lookup::Find, ActionOutcome::Done(ticket) | ActionOutcome::Unchanged(ticket)) => {
                    job.adopted = Some(ticket);
                }
                (Lookup::Find, ActionOutcome::NotFound) => {}
                (
                    Lookup::Find,
                    ActionOutcome::Retry {
                        reason,
                        retry_after,
                    },
                ) => {
                    job.deferred = Some((
                        format!("looking the ticket up first: {reason}"),
                        retry_after,
                    ));
                }
                (Lookup::Find, ActionOutcome::Failed(e)) => {
                    job.deferred = Some((format!("looking the ticket up first: {e}"), None));
                }
                (
                    Lookup::Previous,
                    ActionOutcome::Done(ticket) | ActionOutcome::Unchanged(ticket),
                ) => {
                    job.previous_fields = Some(ticket);
                }
                // The previous ticket cannot be read now: reference what sluice knows of it.
                (Lookup::Previous, _) => {}
                (_, _) => {}
            }
        }
    }

    /// The pipeline's template with the overrides of the alert `name`.
    fn template_for(&self, name: &str) -> std::borrow::Cow<'_, TicketTemplate> {
        match self.alerts.get(name) {
            Some(d) => self.template.with_overrides(&d.ticket),
            None => std::borrow::Cow::Borrowed(self.template),
        }
    }

    /// The attachment of a threshold alert's other records, if the open carries one.
    fn burst_attachment(&self, job: &Job) -> Option<(String, Vec<u8>)> {
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
    fn steps_needed(&self, job: &Job) -> u32 {
        let sent = job.steps.iter().fold(0, |acc, (bit, _)| acc | bit);
        match job.row.kind {
            OutboxKind::Open if self.burst_attachment(job).is_some() => {
                sent | STEP_NOTES | STEP_ATTACH
            }
            _ => sent,
        }
    }

    /// The write actions of `job`, appended to `actions`.
    fn build(&self, job: &mut Job, actions: &mut Vec<TicketAction>) {
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

    /// Records what happened to `job`.
    #[allow(clippy::too_many_arguments)]
    fn settle(
        &self,
        tx: &rusqlite::Connection,
        job: &Job,
        outcomes: &[ActionOutcome],
        now: i64,
        backoff: &Backoff,
        random: &mut dyn FnMut() -> f64,
        report: &mut DeliveryReport,
    ) -> rusqlite::Result<()> {
        let row = &job.row;
        let key = &job.ticket.suppression_key;
        if let Some(ticket) = &job.adopted {
            tickets::set_sink_state(
                tx,
                job.ticket.id,
                &ticket.id,
                &ticket.number,
                &ticket.link,
                &ticket.state,
            )?;
            if self.steps_needed(job) & STEP_ATTACH != 0 {
                outbox::set_steps(tx, row.id, STEP_NOTES)?;
                outbox::requeue(tx, row.id, now)?;
            } else {
                outbox::finish(tx, row.id, now)?;
            }
            report.created += 1;
            report.adopted += 1;
            tracing::info!(
                pipeline = self.pipeline, alert = %job.ticket.alert_name, %key,
                ticket = %ticket.number, decision = "adopt",
                "Found the ticket an interrupted attempt had opened; not opening it again."
            );
            return Ok(());
        }
        if let Some((reason, after)) = &job.deferred {
            return self.retry(tx, job, reason, *after, now, backoff, random, report);
        }
        if job.steps.is_empty() {
            // An update whose ticket never reached the sink: its alerts go to a new ticket.
            if row.kind == OutboxKind::Update && job.ticket.sink_id.is_none() {
                let n = alerts::redecide_outbox(tx, row.id)?;
                outbox::kill(
                    tx,
                    row.id,
                    now,
                    "the ticket was never opened; its alerts were decided again",
                )?;
                tickets::set_unusable(tx, job.ticket.id)?;
                tracing::warn!(
                    pipeline = self.pipeline, alert = %job.ticket.alert_name, %key, alerts = n,
                    decision = "redecide",
                    "The ticket to update was never opened; its alerts go to a new ticket."
                );
                return Ok(());
            }
            // Nothing left to send (no journal configured, say): done.
            outbox::finish(tx, row.id, now)?;
            return Ok(());
        }

        let mut steps_done = row.steps_done;
        let mut last_ticket: Option<&Ticket> = None;
        let mut reopened = false;
        let mut retry: Option<(String, Option<std::time::Duration>)> = None;
        let mut failure: Option<(u32, PluginError)> = None;
        for (bit, range) in &job.steps {
            let results: Vec<&ActionOutcome> = outcomes
                .get(range.clone())
                .unwrap_or_default()
                .iter()
                .collect();
            if results.is_empty() {
                retry.get_or_insert(("the sink returned no outcome".to_owned(), None));
                continue;
            }
            let mut step_ok = true;
            for outcome in results {
                match outcome {
                    ActionOutcome::Done(t) => {
                        last_ticket = Some(t);
                        if *bit == STEP_REOPEN {
                            reopened = true;
                        }
                    }
                    ActionOutcome::Unchanged(t) => last_ticket = Some(t),
                    ActionOutcome::NotFound => {
                        step_ok = false;
                        failure.get_or_insert((
                            *bit,
                            PluginError::rejected("the ticket no longer exists at the sink"),
                        ));
                    }
                    ActionOutcome::Retry {
                        reason,
                        retry_after,
                    } => {
                        step_ok = false;
                        retry.get_or_insert((reason.clone(), *retry_after));
                    }
                    ActionOutcome::Failed(e)
                        if *bit == STEP_ATTACH && e.kind() == ErrorKind::Rejected =>
                    {
                        // As the vendor's IgnoreUploadAttachmentError: the note says what happened.
                        tracing::warn!(pipeline = self.pipeline, %key, error = %e, "The sink refused the records attachment; the update is kept without it.");
                    }
                    ActionOutcome::Failed(e) => {
                        step_ok = false;
                        failure.get_or_insert((*bit, e.clone()));
                    }
                    _ => {
                        step_ok = false;
                        retry.get_or_insert((
                            "the sink reported an outcome this host does not know".to_owned(),
                            None,
                        ));
                    }
                }
            }
            if step_ok {
                steps_done |= bit;
            }
        }
        if let Some(t) = last_ticket {
            if row.kind == OutboxKind::Open {
                tickets::set_sink_state(tx, job.ticket.id, &t.id, &t.number, &t.link, &t.state)?;
            } else {
                tickets::set_sink_state(
                    tx,
                    job.ticket.id,
                    job.ticket.sink_id.as_deref().unwrap_or(&t.id),
                    if t.number.is_empty() {
                        job.ticket.number.as_deref().unwrap_or_default()
                    } else {
                        &t.number
                    },
                    if t.link.is_empty() {
                        job.ticket.link.as_deref().unwrap_or_default()
                    } else {
                        &t.link
                    },
                    &t.state,
                )?;
            }
        }
        if reopened && steps_done & STEP_REOPEN != 0 && row.steps_done & STEP_REOPEN == 0 {
            tickets::count_reopen(tx, job.ticket.id)?;
            report.reopened += 1;
            tracing::info!(
                pipeline = self.pipeline, alert = %job.ticket.alert_name, %key,
                ticket = job.ticket.number.as_deref().unwrap_or_default(), decision = "reopen",
                "Reopened the ticket: its alert repeated after it was closed."
            );
        }
        let opened = row.kind == OutboxKind::Open
            && steps_done & STEP_NOTES != 0
            && row.steps_done & STEP_NOTES == 0;
        let number = last_ticket
            .map(|t| t.number.as_str())
            .filter(|n| !n.is_empty())
            .or(job.ticket.number.as_deref())
            .unwrap_or_default();
        if opened {
            report.created += 1;
            if job.ticket.kind == TicketKind::Flood {
                report.flood_created += 1;
            }
            tracing::info!(
                pipeline = self.pipeline, alert = %job.ticket.alert_name, %key, ticket = number,
                decision = if job.ticket.kind == TicketKind::Flood { "open_flood" } else { "open" },
                "Opened a ticket."
            );
        }
        let all = self.steps_needed(job);
        if steps_done & all == all {
            outbox::finish(tx, row.id, now)?;
            if row.kind == OutboxKind::Update {
                report.updated += 1;
                tracing::info!(
                    pipeline = self.pipeline, alert = %job.ticket.alert_name, %key, ticket = number,
                    alerts = job.total, decision = "update", "Updated the ticket with repeated alerts."
                );
            }
            return Ok(());
        }
        if opened && retry.is_none() && failure.is_none() {
            // The rest (the records' attachment) goes in the next round, right away.
            outbox::set_steps(tx, row.id, steps_done)?;
            return outbox::requeue(tx, row.id, now);
        }
        outbox::set_steps(tx, row.id, steps_done)?;
        if let Some((_, error)) = failure
            .as_ref()
            .filter(|(_, e)| e.kind() == ErrorKind::Rejected)
        {
            return self.refused(tx, job, error, now, report);
        }
        let (reason, after) = match (retry, failure) {
            (Some(r), _) => r,
            (None, Some((_, e))) => {
                if !e.kind().is_retryable() {
                    tracing::error!(pipeline = self.pipeline, %key, error = %e, kind = e.kind().as_code(), "The sink failed a ticket action; retrying later.");
                }
                (e.to_string(), e.retry_after())
            }
            (None, None) => ("incomplete".to_owned(), None),
        };
        self.retry(tx, job, &reason, after, now, backoff, random, report)
    }

    #[allow(clippy::too_many_arguments)]
    fn retry(
        &self,
        tx: &rusqlite::Connection,
        job: &Job,
        reason: &str,
        retry_after: Option<std::time::Duration>,
        now: i64,
        backoff: &Backoff,
        random: &mut dyn FnMut() -> f64,
        report: &mut DeliveryReport,
    ) -> rusqlite::Result<()> {
        let row = &job.row;
        let first = row.first_attempt_at.unwrap_or(now);
        if now - first >= duration_ms(self.delivery.give_up_after.get()) {
            let message = format!("gave up after {} attempts: {reason}", row.attempts.max(1));
            outbox::kill(tx, row.id, now, &message)?;
            checkpoints::event(tx, self.pipeline, now, "dead_letter", &message)?;
            report.dead += 1;
            tracing::error!(
                pipeline = self.pipeline, alert = %job.ticket.alert_name,
                key = %job.ticket.suppression_key,
                ticket = job.ticket.number.as_deref().unwrap_or_default(), decision = "give_up",
                %reason, "Gave up on a ticket action; its alerts are marked failed."
            );
            return Ok(());
        }
        let attempts = row.attempts + u32::from(job.deferred.is_none() && !job.steps.is_empty());
        let delay = backoff.delay(attempts.max(1), retry_after, random());
        outbox::retry_at(tx, row.id, now + duration_ms(delay), reason)?;
        report.retried += 1;
        tracing::warn!(
            pipeline = self.pipeline, alert = %job.ticket.alert_name,
            key = %job.ticket.suppression_key,
            ticket = job.ticket.number.as_deref().unwrap_or_default(), decision = "retry",
            %reason, retry_in_ms = duration_ms(delay), "Ticket action not done; it will be retried."
        );
        Ok(())
    }

    /// The sink refused the action for good.
    fn refused(
        &self,
        tx: &rusqlite::Connection,
        job: &Job,
        error: &PluginError,
        now: i64,
        report: &mut DeliveryReport,
    ) -> rusqlite::Result<()> {
        let row = &job.row;
        let key = &job.ticket.suppression_key;
        match row.kind {
            OutboxKind::Open => {
                let message = format!("the sink refused to open the ticket: {error}");
                outbox::kill(tx, row.id, now, &message)?;
                tickets::set_unusable(tx, job.ticket.id)?;
                checkpoints::event(tx, self.pipeline, now, "refused", &message)?;
                report.dead += 1;
                tracing::error!(
                    pipeline = self.pipeline, alert = %job.ticket.alert_name, %key, %error,
                    decision = "refused", "The sink refused to open a ticket; its alert is marked failed."
                );
            }
            OutboxKind::Update => {
                let n = alerts::redecide_outbox(tx, row.id)?;
                tickets::set_unusable(tx, job.ticket.id)?;
                let message = format!(
                    "the sink refused to update {} ({error}); its {n} alerts go to a new ticket",
                    job.ticket.number.as_deref().unwrap_or("the ticket")
                );
                outbox::kill(tx, row.id, now, &message)?;
                checkpoints::event(tx, self.pipeline, now, "refused", &message)?;
                tracing::warn!(
                    pipeline = self.pipeline, alert = %job.ticket.alert_name, %key, %error,
                    ticket = job.ticket.number.as_deref().unwrap_or_default(), alerts = n,
                    decision = "redecide",
                    "The sink refused to update the ticket; its alerts go to a new ticket."
                );
            }
        }
        Ok(())
    }
}
