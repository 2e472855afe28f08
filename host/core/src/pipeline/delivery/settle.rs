//! Settling: what the sink's outcomes mean for each outbox row, written in one transaction.

use sluice_sdk::{ActionOutcome, ErrorKind, PluginError, Ticket};

use super::{Delivery, DeliveryReport, Job, STEP_ATTACH, STEP_NOTES, STEP_REOPEN};
use crate::retry::Backoff;
use crate::state::alerts;
use crate::state::outbox::{self, OutboxKind};
use crate::state::tickets::{self, TicketKind};
use crate::state::{checkpoints, duration_ms};

/// What settling a batch shares across its jobs: the transaction, the time, how to retry, and
/// the report it adds to.
pub(super) struct Settling<'a> {
    pub tx: &'a rusqlite::Connection,
    pub now: i64,
    pub backoff: Backoff,
    /// Numbers in `[0, 1)` for retry jitter.
    pub random: &'a mut dyn FnMut() -> f64,
    pub report: &'a mut DeliveryReport,
}

impl Delivery<'_> {
    /// Records what happened to `job`.
    pub(super) fn settle_job(
        &self,
        s: &mut Settling<'_>,
        job: &Job,
        outcomes: &[ActionOutcome],
    ) -> rusqlite::Result<()> {
        let (tx, now) = (s.tx, s.now);
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
            s.report.created += 1;
            s.report.adopted += 1;
            tracing::info!(
                pipeline = self.pipeline, alert = %job.ticket.alert_name, %key,
                ticket = %ticket.number, decision = "adopt",
                "Found the ticket an interrupted attempt had opened; not opening it again."
            );
            return Ok(());
        }
        if let Some((reason, after)) = &job.deferred {
            return self.retry(s, job, reason, *after);
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
            s.report.reopened += 1;
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
            s.report.created += 1;
            if job.ticket.kind == TicketKind::Flood {
                s.report.flood_created += 1;
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
                s.report.updated += 1;
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
            return self.refused(s, job, error);
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
        self.retry(s, job, &reason, after)
    }

    fn retry(
        &self,
        s: &mut Settling<'_>,
        job: &Job,
        reason: &str,
        retry_after: Option<std::time::Duration>,
    ) -> rusqlite::Result<()> {
        let (tx, now) = (s.tx, s.now);
        let row = &job.row;
        let first = row.first_attempt_at.unwrap_or(now);
        if now - first >= duration_ms(self.delivery.give_up_after.get()) {
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
        outbox::retry_at(tx, row.id, now + duration_ms(delay), reason)?;
        s.report.retried += 1;
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
        s: &mut Settling<'_>,
        job: &Job,
        error: &PluginError,
    ) -> rusqlite::Result<()> {
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
