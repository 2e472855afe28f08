//! Settling: what the sink's outcomes mean for each outbox row, written in one transaction.
//!
//! A job's outcomes are first tallied step by step ([`Tally`]): which steps the sink
//! confirmed, the ticket as it last showed it, and the first reason to try again or failure.
//! Then the tally is written: the ticket's state at the sink, a reopen or an open counted, and
//! the action finished, put back for its remaining steps, retried, or given up on.

use std::collections::HashMap;
use std::time::Duration;

use sluice_sdk::{ActionOutcome, ErrorKind, PluginError, Ticket};

use super::{Delivery, DeliveryReport, Job, RetryLater};
use crate::retry::Backoff;
use crate::state::alerts;
use crate::state::checkpoints;
use crate::state::db::{self, Db};
use crate::state::outbox::{self, OutboxKind, Step, Steps};
use crate::state::tickets::{self, SinkState, TicketKind};
use crate::state::{ActionId, TicketId};
use crate::time::Timestamp;

/// What settling a batch shares across its jobs: the transaction, the time, how to retry, and
/// the report it adds to.
pub(super) struct Settling<'a, 'c> {
    pub tx: &'a Db<'c>,
    pub now: Timestamp,
    /// When the sink's answers had all come back: a create it left in doubt was sent before.
    pub answered: Timestamp,
    pub backoff: Backoff,
    /// Numbers in `[0, 1)` for retry jitter.
    pub random: &'a mut dyn FnMut() -> f64,
    pub report: &'a mut DeliveryReport,
    /// Actions every step of which is confirmed, marked done together at the end.
    pub finished: Vec<ActionId>,
    /// What the sink last showed of each ticket, stored together at the end (the last
    /// shown, if a round showed one twice).
    pub sink_states: HashMap<TicketId, SinkState>,
}

/// What the sink's outcomes say of one job's steps, taken in the order they were sent.
struct Tally<'o> {
    /// The steps confirmed: in earlier rounds, and in this one.
    done: Steps,
    /// The ticket as the sink last showed it.
    ticket: Option<&'o Ticket>,
    /// Whether the sink reopened the ticket.
    reopened: bool,
    /// The first reason to try again: the sink asked to, or an outcome was missing or unknown.
    retry: Option<RetryLater>,
    /// The first failure.
    failure: Option<PluginError>,
    /// Whether the sink could not tell if the ticket's create was committed.
    create_in_doubt: bool,
}

impl Tally<'_> {
    /// Keeps the first reason to try again.
    fn retry(&mut self, reason: impl Into<String>, after: Option<Duration>) {
        self.retry
            .get_or_insert_with(|| RetryLater::new(reason, after));
    }

    /// Keeps the first failure.
    fn fail(&mut self, error: PluginError) {
        self.failure.get_or_insert(error);
    }
}

impl Delivery<'_> {
    /// Records what happened to `job`.
    pub(super) fn settle_job(
        &self,
        s: &mut Settling<'_, '_>,
        job: &Job,
        outcomes: &[ActionOutcome],
    ) -> db::Result<()> {
        if let Some(ticket) = &job.adopted {
            return self.adopt(s, job, ticket);
        }
        if let Some(deferred) = &job.deferred {
            return self.retry(s, job, &deferred.reason, deferred.after);
        }
        if job.steps.is_empty() {
            return self.nothing_sent(s, job);
        }
        let tally = self.tally(job, outcomes);
        if let Some(ticket) = tally.ticket {
            record_ticket(s, job, ticket);
        }
        let before = job.row.steps_done;
        if tally.reopened && tally.done.contains(Step::Reopen) && !before.contains(Step::Reopen) {
            self.reopened(s, job)?;
        }
        let opened = job.row.kind == OutboxKind::Open
            && tally.done.contains(Step::Notes)
            && !before.contains(Step::Notes);
        let number = tally
            .ticket
            .map(|t| t.number.as_str())
            .filter(|n| !n.is_empty())
            .or(job.ticket.number.as_deref())
            .unwrap_or_default();
        if opened {
            self.opened(s, job, number);
        }
        if tally.done.contains_all(self.steps_needed(job)) {
            return self.finished(s, job, number);
        }
        let (tx, id) = (s.tx, job.row.id);
        outbox::set_steps(tx, id, tally.done)?;
        if tally.create_in_doubt {
            outbox::doubt(tx, id, s.answered)?;
        }
        if opened && tally.retry.is_none() && tally.failure.is_none() {
            // The rest (the records' attachment) goes in the next round, right away.
            return outbox::requeue(tx, id, s.now);
        }
        self.not_done(s, job, tally.retry, tally.failure)
    }

    /// The ticket an earlier attempt opened was found: it is this action's, not opened again.
    fn adopt(&self, s: &mut Settling<'_, '_>, job: &Job, ticket: &Ticket) -> db::Result<()> {
        let (tx, now, id) = (s.tx, s.now, job.row.id);
        s.sink_states.insert(job.ticket.id, sink_state(ticket));
        if self.steps_needed(job).contains(Step::Attach) {
            outbox::set_steps(tx, id, Steps::of(Step::Notes))?;
            outbox::requeue(tx, id, now)?;
        } else {
            outbox::finish_all(tx, &[id], now)?;
        }
        s.report.created += 1;
        s.report.adopted += 1;
        tracing::info!(
            pipeline = self.pipeline, alert = %job.ticket.alert_name,
            key = %job.ticket.suppression_key, ticket = %ticket.number, decision = "adopt",
            "Found the ticket an interrupted attempt had opened; not opening it again."
        );
        Ok(())
    }

    /// `job` sent nothing: an update whose ticket never reached the sink sends its alerts to
    /// a new ticket; anything else had nothing left to send (no journal configured, say).
    fn nothing_sent(&self, s: &mut Settling<'_, '_>, job: &Job) -> db::Result<()> {
        let (tx, now, id) = (s.tx, s.now, job.row.id);
        if job.row.kind != OutboxKind::Update || job.ticket.sink_id.is_some() {
            return outbox::finish_all(tx, &[id], now);
        }
        let n = alerts::redecide_outbox(tx, id)?;
        outbox::kill(
            tx,
            id,
            now,
            "the ticket was never opened; its alerts were decided again",
        )?;
        tickets::set_unusable(tx, job.ticket.id)?;
        tracing::warn!(
            pipeline = self.pipeline, alert = %job.ticket.alert_name,
            key = %job.ticket.suppression_key, alerts = n, decision = "redecide",
            "The ticket to update was never opened; its alerts go to a new ticket."
        );
        Ok(())
    }

    /// Tallies the outcomes of `job`'s steps.
    fn tally<'o>(&self, job: &Job, outcomes: &'o [ActionOutcome]) -> Tally<'o> {
        let mut tally = Tally {
            done: job.row.steps_done,
            ticket: None,
            reopened: false,
            retry: None,
            failure: None,
            create_in_doubt: false,
        };
        for sent in &job.steps {
            let results = outcomes.get(sent.actions.clone()).unwrap_or_default();
            if results.is_empty() {
                tally.retry("the sink returned no outcome", None);
                continue;
            }
            let mut confirmed = true;
            for outcome in results {
                confirmed &= self.take(&mut tally, job, sent.step, outcome);
            }
            if confirmed {
                tally.done.insert(sent.step);
            }
        }
        tally
    }

    /// Adds the `outcome` of an action of `step` to the tally; whether it confirms the step.
    fn take<'o>(
        &self,
        tally: &mut Tally<'o>,
        job: &Job,
        step: Step,
        outcome: &'o ActionOutcome,
    ) -> bool {
        match outcome {
            ActionOutcome::Done(t) => {
                tally.ticket = Some(t);
                tally.reopened |= step == Step::Reopen;
                true
            }
            ActionOutcome::Unchanged(t) => {
                tally.ticket = Some(t);
                true
            }
            ActionOutcome::NotFound => {
                tally.fail(PluginError::rejected(
                    "the ticket no longer exists at the sink",
                ));
                false
            }
            ActionOutcome::Retry {
                reason,
                retry_after,
            } => {
                tally.retry(reason.clone(), *retry_after);
                false
            }
            ActionOutcome::InDoubt { reason } => {
                tally.retry(reason.clone(), None);
                tally.create_in_doubt |= creates(job, step);
                false
            }
            ActionOutcome::Failed(e) if step == Step::Attach && e.kind() == ErrorKind::Rejected => {
                // As the vendor's IgnoreUploadAttachmentError: the note says what happened.
                tracing::warn!(
                    pipeline = self.pipeline, key = %job.ticket.suppression_key, error = %e,
                    "The sink refused the records attachment; the update is kept without it."
                );
                true
            }
            ActionOutcome::Failed(e) => {
                // An internal failure is no word on the request: the sink may have panicked
                // after sending it, or given no outcome (the host's own failure then).
                tally.create_in_doubt |= e.kind() == ErrorKind::Internal && creates(job, step);
                tally.fail(e.clone());
                false
            }
            _ => {
                tally.retry("the sink reported an outcome this host does not know", None);
                tally.create_in_doubt |= creates(job, step);
                false
            }
        }
    }

    /// Counts the reopen of `job`'s ticket.
    fn reopened(&self, s: &mut Settling<'_, '_>, job: &Job) -> db::Result<()> {
        tickets::count_reopen(s.tx, job.ticket.id)?;
        s.report.reopened += 1;
        tracing::info!(
            pipeline = self.pipeline, alert = %job.ticket.alert_name,
            key = %job.ticket.suppression_key,
            ticket = job.ticket.number.as_deref().unwrap_or_default(), decision = "reopen",
            "Reopened the ticket: its alert repeated after it was closed."
        );
        Ok(())
    }

    /// Counts the ticket `job` opened, numbered `number`.
    fn opened(&self, s: &mut Settling<'_, '_>, job: &Job, number: &str) {
        let flood = job.ticket.kind == TicketKind::Flood;
        s.report.created += 1;
        if flood {
            s.report.flood_created += 1;
        }
        tracing::info!(
            pipeline = self.pipeline, alert = %job.ticket.alert_name,
            key = %job.ticket.suppression_key, ticket = number,
            decision = if flood { "open_flood" } else { "open" },
            "Opened a ticket."
        );
    }

    /// Every step of `job` is confirmed.
    fn finished(&self, s: &mut Settling<'_, '_>, job: &Job, number: &str) -> db::Result<()> {
        // Written with the round's others when it is settled (`Settling::finished`).
        s.finished.push(job.row.id);
        if job.row.kind == OutboxKind::Update {
            s.report.updated += 1;
            tracing::info!(
                pipeline = self.pipeline, alert = %job.ticket.alert_name,
                key = %job.ticket.suppression_key, ticket = number, alerts = job.total,
                decision = "update", "Updated the ticket with repeated alerts."
            );
        }
        Ok(())
    }

    /// Some step of `job` is not confirmed: the action is refused for good if the sink
    /// rejected it, and tried again otherwise.
    fn not_done(
        &self,
        s: &mut Settling<'_, '_>,
        job: &Job,
        retry: Option<RetryLater>,
        failure: Option<PluginError>,
    ) -> db::Result<()> {
        if let Some(error) = failure.as_ref().filter(|e| e.kind() == ErrorKind::Rejected) {
            return self.refused(s, job, error);
        }
        let retry = match (retry, failure) {
            (Some(retry), _) => retry,
            (None, Some(e)) => {
                if !e.kind().is_retryable() {
                    tracing::error!(
                        pipeline = self.pipeline, key = %job.ticket.suppression_key, error = %e,
                        kind = e.kind().as_code(), "The sink failed a ticket action; retrying later."
                    );
                }
                RetryLater::new(e.to_string(), e.retry_after())
            }
            (None, None) => RetryLater::new("incomplete", None),
        };
        self.retry(s, job, &retry.reason, retry.after)
    }

    fn retry(
        &self,
        s: &mut Settling<'_, '_>,
        job: &Job,
        reason: &str,
        retry_after: Option<Duration>,
    ) -> db::Result<()> {
        let (tx, now) = (s.tx, s.now);
        let row = &job.row;
        let first = row.first_attempt_at.unwrap_or(now);
        if now >= first + self.delivery.give_up_after.get() {
            let message = format!("gave up after {} attempts: {reason}", row.attempts.max(1));
            outbox::kill(tx, row.id, now, &message)?;
            checkpoints::event(tx, self.pipeline, now, "dead_letter", &message)?;
            s.report.dead += 1;
            tracing::error!(
                pipeline = self.pipeline, alert = %job.ticket.alert_name,
                key = %job.ticket.suppression_key,
                ticket = job.ticket.number.as_deref().unwrap_or_default(), decision = "give_up",
                %reason, "Gave up on a ticket action; its alerts are marked failed."
            );
            return Ok(());
        }
        let attempts = row.attempts + u32::from(job.deferred.is_none() && !job.steps.is_empty());
        let delay = s.backoff.delay(attempts.max(1), retry_after, (s.random)());
        outbox::retry_at(tx, row.id, now + delay, reason)?;
        s.report.retried += 1;
        tracing::warn!(
            pipeline = self.pipeline, alert = %job.ticket.alert_name,
            key = %job.ticket.suppression_key,
            ticket = job.ticket.number.as_deref().unwrap_or_default(), decision = "retry",
            %reason, retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            "Ticket action not done; it will be retried."
        );
        Ok(())
    }

    /// The sink refused the action for good.
    fn refused(&self, s: &mut Settling<'_, '_>, job: &Job, error: &PluginError) -> db::Result<()> {
        let (tx, now) = (s.tx, s.now);
        let row = &job.row;
        let key = &job.ticket.suppression_key;
        match row.kind {
            OutboxKind::Open => {
                let message = format!("the sink refused to open the ticket: {error}");
                outbox::kill(tx, row.id, now, &message)?;
                tickets::set_unusable(tx, job.ticket.id)?;
                checkpoints::event(tx, self.pipeline, now, "refused", &message)?;
                s.report.dead += 1;
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

/// Notes what the sink last showed of `job`'s ticket (stored with the round's others): all
/// of it for an open; for an update, its state, keeping the known id, and the known number
/// and link where the sink gave none.
fn record_ticket(s: &mut Settling<'_, '_>, job: &Job, t: &Ticket) {
    let state = if job.row.kind == OutboxKind::Open {
        sink_state(t)
    } else {
        let or_known = |given: &str, known: &Option<String>| -> String {
            if given.is_empty() {
                known.clone().unwrap_or_default()
            } else {
                given.to_owned()
            }
        };
        SinkState {
            sink_id: job
                .ticket
                .sink_id
                .clone()
                .unwrap_or_else(|| t.id.to_string()),
            number: or_known(&t.number, &job.ticket.number),
            link: or_known(&t.link, &job.ticket.link),
            state: t.state.to_string(),
        }
    };
    s.sink_states.insert(job.ticket.id, state);
}

/// All the sink showed of a ticket.
fn sink_state(t: &Ticket) -> SinkState {
    SinkState {
        sink_id: t.id.to_string(),
        number: t.number.to_string(),
        link: t.link.to_string(),
        state: t.state.to_string(),
    }
}

/// Whether `step` of `job` is its ticket's creation.
fn creates(job: &Job, step: Step) -> bool {
    job.row.kind == OutboxKind::Open && step == Step::Notes
}
