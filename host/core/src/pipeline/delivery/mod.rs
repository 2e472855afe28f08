//! Delivery: the outbox's ticket actions, rendered through the mapping and sent to the sink
//! in batches, in order per ticket, retried with backoff, and reconciled after a crash.
//!
//! Exactly-once ticket creation rests on two rules:
//!
//! 1. an action is marked in flight, durably, before it is sent; a process that dies leaves
//!    it so, and the next one puts it back in the queue with its attempt counted;
//! 2. an open whose earlier attempt may have reached the sink is first looked up by the
//!    ticket's correlation key; a ticket found is adopted, not created again. An attempt may
//!    have reached it unless the sink said it was not done (`Retry`, or a failure of its
//!    own): it was in flight when a process stopped, or the sink gave no answer (`InDoubt`)
//!    or no outcome at all. A create refused at once (a 429) costs no lookup before it is
//!    sent again: against a rate-limited instance, lookups would spend its quota;
//! 3. an open whose create is in doubt (sent, never answered: the sink may still commit it) is
//!    not sent again until `in_doubt_window` has passed since, only looked up ([`doubt`]).
//!
//! Updates are at-least-once: each step (reopen, note, attachment) is recorded when the sink
//! confirms it, and only unconfirmed steps are sent again.

mod build;
mod doubt;
mod settle;

use std::ops::Range;
use std::time::{Duration, Instant};

use sluice_sdk::{ActionOutcome, SinkInstance, Ticket, TicketAction};

use self::doubt::DoubtWindow;
use self::settle::Settling;
use super::mapping::TicketTemplate;
use super::notes::LoadedAlert;
use super::pace::Paces;
use super::record;
use super::rules::AlertSet;
use crate::config::{DeliverySettings, SuppressionSettings};
use crate::state::alerts::{self, AlertRow};

use crate::state::outbox::{self, OutboxKind, OutboxRow, Step};
use crate::state::tickets::{self, TicketKind, TicketRow};
use crate::state::{checkpoints, ActionId, Store, StoreError, TicketId};
use crate::time::Timestamp;

/// Where ticket actions go: a sink plugin, or a stand-in in tests. Sent to a thread of its
/// own for each round's call, while the pipeline takes in what arrives meanwhile.
pub trait TicketSink: Send {
    /// Executes `actions`, one outcome each, in order (see [`sluice_sdk::Sink::deliver`]).
    fn deliver(&mut self, actions: Vec<TicketAction>) -> Vec<ActionOutcome>;
}

impl TicketSink for SinkInstance {
    fn deliver(&mut self, actions: Vec<TicketAction>) -> Vec<ActionOutcome> {
        SinkInstance::deliver(self, actions)
    }
}

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

/// Why an action is not done this round and will be tried again.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RetryLater {
    /// Why, for the log and the store.
    reason: String,
    /// How long the system asked us to wait, if it did.
    after: Option<Duration>,
}

impl RetryLater {
    fn new(reason: impl Into<String>, after: Option<Duration>) -> Self {
        RetryLater {
            reason: reason.into(),
            after,
        }
    }
}

/// A step of a job sent in this round: its actions' place in the write batch.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SentStep {
    /// The step.
    step: Step,
    /// Indexes of its actions in the batch (and of their outcomes).
    actions: Range<usize>,
}

/// A round of delivery begun ([`Delivery::begin`]): its actions are marked in flight, and
/// its write actions wait to be sent in one call.
pub struct Round {
    jobs: Vec<Job>,
    actions: Option<Vec<TicketAction>>,
    /// Whether it is a round of new tickets (its pace is theirs).
    opens: bool,
    now: Timestamp,
    began: Instant,
    report: DeliveryReport,
}

impl Round {
    /// The write actions to send, in one call to the sink; `None` when the round has none
    /// (every action found done already, or deferred), and after the first call.
    pub fn take_actions(&mut self) -> Option<Vec<TicketAction>> {
        self.actions.take()
    }
}

impl std::fmt::Debug for Round {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Round")
            .field("jobs", &self.jobs.len())
            .field("opens", &self.opens)
            .finish_non_exhaustive()
    }
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
    /// The ticket an earlier attempt opened, found by its correlation key.
    adopted: Option<Ticket>,
    /// Not sent this round: the lookup before it failed.
    deferred: Option<RetryLater>,
    /// The steps sent this round, in order.
    steps: Vec<SentStep>,
}

/// The read a job needs before its write (see [`Delivery::lookups`]).
enum Lookup {
    /// Whether an earlier attempt opened the ticket already.
    Find,
    /// The current fields of the previous ticket the new one references.
    Previous,
}

impl Delivery<'_> {
    /// Puts actions a dead process left in flight back in the queue. Their attempt stays
    /// counted, so opens among them are reconciled before they are sent again; their creates
    /// are in doubt from `now` on, since that process may have sent them just before it
    /// stopped.
    pub fn recover(&self, store: &mut Store, now: Timestamp) -> Result<usize, StoreError> {
        let pipeline = self.pipeline;
        store.write(|tx| {
            let rows = outbox::in_flight(tx, pipeline)?;
            for row in &rows {
                if row.kind == OutboxKind::Open && !row.steps_done.contains(Step::Notes) {
                    outbox::doubt(tx, row.id, now)?;
                }
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

    /// Begins the round of actions due at `now`: reads them, looks up what must be read
    /// first, builds the write actions and marks the actions that have any as being sent,
    /// durably. `None` when nothing is due. The caller sends [`Round::take_actions`] in one
    /// call and hands the outcomes to [`Delivery::finish`]; between the two the round's
    /// actions are in flight, and no later round picks them or anything queued behind them on
    /// their tickets.
    pub fn begin(
        &self,
        store: &mut Store,
        sink: &mut dyn TicketSink,
        now: Timestamp,
        paces: &mut Paces,
    ) -> Result<Option<Round>, StoreError> {
        let began = Instant::now();
        let mut report = DeliveryReport::default();
        let (rows, opens) = self.due_round(store, now, paces)?;
        if rows.is_empty() {
            return Ok(None);
        }
        let mut jobs = self.load_all(store, rows)?;
        self.lookups(&mut jobs, sink, now, &mut report);
        let actions = self.start(store, &mut jobs, now)?;
        Ok(Some(Round {
            jobs,
            actions: (!actions.is_empty()).then_some(actions),
            opens,
            now,
            began,
            report,
        }))
    }

    /// Settles `round` with what the sink answered (`sent`: the outcomes and how long the call
    /// took; `None` when it had nothing to send), in one transaction: done, retry with
    /// backoff, or dead-lettered.
    pub fn finish(
        &self,
        store: &mut Store,
        round: Round,
        sent: Option<(Vec<ActionOutcome>, Duration)>,
        paces: &mut Paces,
        random: &mut dyn FnMut() -> f64,
    ) -> Result<DeliveryReport, StoreError> {
        let Round {
            jobs,
            opens,
            now,
            began,
            mut report,
            ..
        } = round;
        let outcomes = match sent {
            Some((outcomes, took)) => {
                report.sink_calls += 1;
                let pace = if opens {
                    &mut paces.open
                } else {
                    &mut paces.update
                };
                pace.observe(self.delivery, sending(&jobs).count(), took);
                outcomes
            }
            None => Vec::new(),
        };
        store.write(|tx| {
            let mut settling = Settling {
                tx,
                now,
                answered: now + began.elapsed(),
                backoff: self.delivery.backoff(),
                random,
                report: &mut report,
                finished: Vec::new(),
                sink_states: Default::default(),
            };
            for job in &jobs {
                self.settle_job(&mut settling, job, &outcomes)?;
            }
            outbox::finish_all(tx, &settling.finished, now)?;
            let shown: Vec<_> = std::mem::take(&mut settling.sink_states)
                .into_iter()
                .collect();
            tickets::set_sink_states(tx, &shown)?;
            let confirmed = outcomes
                .iter()
                .any(|o| matches!(o, ActionOutcome::Done(_) | ActionOutcome::Unchanged(_)));
            if confirmed || settling.report.adopted > 0 {
                checkpoints::touch(tx, self.pipeline, checkpoints::Activity::Delivery, now)?;
            }
            Ok(())
        })?;
        Ok(report)
    }

    /// The actions of this round, and the pace that sizes it. New tickets go in a round of
    /// their own (`due` lists them first): a round ends when its slowest ticket is done, and a
    /// new ticket should not wait for updates to others.
    /// Whether the round is of new tickets comes with it.
    fn due_round(
        &self,
        store: &Store,
        now: Timestamp,
        paces: &Paces,
    ) -> Result<(Vec<OutboxRow>, bool), StoreError> {
        let (open_limit, update_limit) = (
            paces.open.limit(self.delivery),
            paces.update.limit(self.delivery),
        );
        let mut rows = store.read(outbox::due(
            &store.db(),
            self.pipeline,
            now,
            open_limit.max(update_limit),
        ))?;
        let opens = rows.first().is_some_and(|r| r.kind == OutboxKind::Open);
        if opens {
            rows.retain(|r| r.kind == OutboxKind::Open);
            rows.truncate(open_limit);
        } else {
            rows.truncate(update_limit);
        }
        Ok((rows, opens))
    }

    /// Builds the write actions of `jobs` and marks the jobs that have any as being sent,
    /// durably, before they are sent.
    fn start(
        &self,
        store: &mut Store,
        jobs: &mut [Job],
        now: Timestamp,
    ) -> Result<Vec<TicketAction>, StoreError> {
        let mut actions = Vec::new();
        for job in jobs.iter_mut() {
            if job.adopted.is_none() && job.deferred.is_none() {
                self.build(job, &mut actions);
            }
        }
        let ids: Vec<ActionId> = sending(jobs).map(|j| j.row.id).collect();
        store.write(|tx| outbox::start_all(tx, &ids, now))?;
        Ok(actions)
    }

    /// The jobs of a round: each action with its ticket, its first alerts (as many as an
    /// update lists) and their count, and the ticket it references; read for the whole round
    /// at once.
    fn load_all(&self, store: &Store, rows: Vec<OutboxRow>) -> Result<Vec<Job>, StoreError> {
        let db = &store.db();
        let ticket_ids: Vec<TicketId> = rows
            .iter()
            .flat_map(|row| std::iter::once(row.ticket_id).chain(row.correlate_ticket_id))
            .collect();
        let tickets = store.read(tickets::get_all(db, &ticket_ids))?;
        let action_ids: Vec<ActionId> = rows.iter().map(|row| row.id).collect();
        let limit = self.suppression.max_records_per_update.max(1);
        let mut carried = store.read(alerts::of_outboxes(db, &action_ids, limit))?;
        rows.into_iter()
            .map(|row| {
                let ticket =
                    tickets
                        .get(&row.ticket_id)
                        .cloned()
                        .ok_or_else(|| StoreError::Corrupt {
                            store: store.name().to_owned(),
                            table: "outbox",
                            message: format!(
                                "action {} names ticket {}, which does not exist",
                                row.id, row.ticket_id
                            ),
                        })?;
                let previous = row
                    .correlate_ticket_id
                    .and_then(|id| tickets.get(&id).cloned());
                let (rows, total) = carried.remove(&row.id).unwrap_or_default();
                Ok(self.job(row, ticket, previous, rows, total))
            })
            .collect()
    }

    /// An action's job, its alerts' records read.
    fn job(
        &self,
        row: OutboxRow,
        ticket: TicketRow,
        previous: Option<TicketRow>,
        rows: Vec<AlertRow>,
        total: u64,
    ) -> Job {
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
        let burst = burst_of(&row, &ticket, &alerts);
        Job {
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
        }
    }

    /// Reads before writing: opens that may already exist are looked up by correlation key;
    /// new tickets that reference a previous one read its current fields.
    fn lookups(
        &self,
        jobs: &mut [Job],
        sink: &mut dyn TicketSink,
        now: Timestamp,
        report: &mut DeliveryReport,
    ) {
        let mut actions = Vec::new();
        let mut targets = Vec::new();
        for (i, job) in jobs.iter().enumerate() {
            // An open whose ticket is confirmed has only its attachment left.
            if job.row.kind != OutboxKind::Open || job.row.steps_done.contains(Step::Notes) {
                continue;
            }
            if job.row.in_doubt_since.is_some() {
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
        let doubt = DoubtWindow(self.delivery.in_doubt_window.get());
        for ((i, lookup), outcome) in targets.into_iter().zip(outcomes) {
            let job = &mut jobs[i];
            let not_found = matches!((&lookup, &outcome), (Lookup::Find, ActionOutcome::NotFound));
            looked_up(job, lookup, outcome);
            if not_found {
                job.deferred =
                    doubt.wait(job.row.in_doubt_since, now, job.row.last_error.as_deref());
                if job.deferred.is_none() && job.row.in_doubt_since.is_some() {
                    tracing::warn!(
                        pipeline = self.pipeline, alert = %job.ticket.alert_name,
                        key = %job.ticket.suppression_key, decision = "create_again",
                        "An earlier create of this ticket got no answer and no ticket appeared \
                         within delivery.in_doubt_window; sending it again."
                    );
                }
            }
        }
    }
}

/// The jobs of a round that send anything (the others were found done, or deferred).
fn sending(jobs: &[Job]) -> impl Iterator<Item = &Job> {
    jobs.iter().filter(|j| !j.steps.is_empty())
}

/// The other records of a threshold alert that `row` opens a ticket for (none for any other
/// action): each as an alert of its own, for rendering.
fn burst_of(row: &OutboxRow, ticket: &TicketRow, alerts: &[LoadedAlert]) -> Vec<LoadedAlert> {
    match (row.kind, ticket.kind, alerts.first()) {
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
    }
}

/// What a lookup's `outcome` means for `job`.
fn looked_up(job: &mut Job, lookup: Lookup, outcome: ActionOutcome) {
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
            job.deferred = Some(RetryLater::new(
                format!("looking the ticket up first: {reason}"),
                retry_after,
            ));
        }
        (Lookup::Find, ActionOutcome::Failed(e)) => {
            job.deferred = Some(RetryLater::new(
                format!("looking the ticket up first: {e}"),
                None,
            ));
        }
        (Lookup::Previous, ActionOutcome::Done(ticket) | ActionOutcome::Unchanged(ticket)) => {
            job.previous_fields = Some(ticket);
        }
        // The previous ticket cannot be read now: reference what sluice knows of it.
        (Lookup::Previous, _) => {}
        (_, _) => {}
    }
}
