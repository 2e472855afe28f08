//! The engine of one pipeline: intake, decisions, consolidation flushes, delivery and
//! pruning, stepped on the host clock.
//!
//! [`Engine::step`] does one round of everything that is due and returns; the runtime calls
//! it in a loop on the pipeline's own thread, sleeping until [`Engine::next_wakeup`], and
//! tests call it directly with a manual clock, so every interval is driven, never slept.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sluice_sdk::{ActionOutcome, ErrorKind, TicketAction};

use super::delivery::{Delivery, TicketSink};
use super::intake::{Intake, IntakeError, RecordSource};
use super::observe::{EngineObserver, EngineStats, Observed};
use super::pace::Paces;
use super::spec::PipelineSpec;
use super::suppression::{Decision, Suppression};
use crate::clock::Clock;
use crate::retry::jitter;
use crate::state::alerts::{self, AlertStatus};
use crate::state::retention::{self, Limits};

use crate::state::{due, Store, StoreError};
use crate::stop::StopSignal;
use crate::time::Timestamp;

/// Alerts decided in one transaction.
const DECIDE_BATCH: usize = 5000;
/// How often an idle engine looks for alerts queued by `sluice alert-response` (a look costs
/// one `PRAGMA data_version`: whether another process committed).
const QUEUE_POLL: Duration = Duration::from_millis(20);
/// How often an engine without response actions looks at the store when idle.
const IDLE_LOOK: Duration = Duration::from_secs(5);
/// Quiet looks before a step runs anyway (what changed without a commit elsewhere or a
/// known due time: a record to ask the source for again).
const QUIET_LOOKS: u32 = 10;
/// How often finished history is pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(60);
/// Finished alerts deleted at most in one pruning pass (about a tenth of a second of holding
/// the store's write lock).
const PRUNE_ALERTS_PER_PASS: usize = 10_000;
/// How often a pipeline looks for alerts queued by other processes while its sink works on a
/// round, when nothing rang (threads of this host ring as they queue). On SQLite a look reads
/// a counter of the open file.
const LOOK_WHILE_SENDING: Duration = Duration::from_millis(5);
/// The same on PostgreSQL, where a look is a statement: a round trip and a wake-up of the
/// server's process, which a burst's cores cannot spare every 5 ms. Every host's commit of
/// alerts rings the doorbell through the store's notification, so this look only catches a
/// notification lost while the listening connection was down. Measured in alternating runs
/// of the end-to-end bench's PostgreSQL response path: p99 249 ms against 300 with 5 ms.
const LOOK_WHILE_SENDING_POSTGRES: Duration = Duration::from_millis(100);
/// The sink is lent only for the length of a round's call, which returns it.
const LENT: &str = "the sink is back after each round's call";
/// Source polls per step while the source says it has more.
const POLLS_PER_STEP: usize = 50;

/// One pipeline's engine, generic over where records come from and tickets go.
pub struct Engine<S, K> {
    spec: Arc<PipelineSpec>,
    store: Store,
    source: S,
    /// Lent to a thread of its own for each round's call ([`Engine::send_taking_in`]), and
    /// back before the round ends: `None` only inside that call.
    sink: Option<K>,
    clock: Arc<dyn Clock>,
    correlation_prefix: String,
    recovered: bool,
    next_poll_at: Timestamp,
    source_failures: u32,
    source_retry_at: Timestamp,
    next_prune_at: Timestamp,
    /// How many ticket actions the sink takes per call (see [`Paces`]).
    paces: Paces,
    /// When the engine's own next work is due (poll, flush, ticket action, retry, pruning), as
    /// of the last step.
    own_next_at: Timestamp,
    /// Looks that found nothing to do since the last step.
    quiet_looks: u32,
    stats: EngineStats,
    observer: Option<Box<dyn EngineObserver>>,
    stop: Option<StopSignal>,
}

impl<S, K> std::fmt::Debug for Engine<S, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("pipeline", &self.spec.name)
            .finish_non_exhaustive()
    }
}

impl<S: RecordSource, K: TicketSink> Engine<S, K> {
    /// An engine for `spec` over `store`.
    pub fn new(
        spec: Arc<PipelineSpec>,
        store: Store,
        source: S,
        sink: K,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let correlation_prefix = format!("sluice-{}-{}-", store.id(), spec.name);
        Engine {
            spec,
            store,
            source,
            sink: Some(sink),
            clock,
            correlation_prefix,
            recovered: false,
            next_poll_at: Timestamp::EPOCH,
            source_failures: 0,
            source_retry_at: Timestamp::EPOCH,
            next_prune_at: Timestamp::EPOCH,
            paces: Paces::default(),
            own_next_at: Timestamp::EPOCH,
            quiet_looks: 0,
            stats: EngineStats::default(),
            observer: None,
            stop: None,
        }
    }

    /// Reports every source and sink call, and the totals after each step, to `observer`.
    pub fn with_observer(mut self, observer: Box<dyn EngineObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Ends a step early, between two batches, once `stop` is asked for: what is left stays
    /// queued for the next run.
    pub fn with_stop(mut self, stop: StopSignal) -> Self {
        self.stop = Some(stop);
        self
    }

    fn stopping(&self) -> bool {
        self.stop.as_ref().is_some_and(StopSignal::is_stopped)
    }

    /// The pipeline.
    pub fn spec(&self) -> &PipelineSpec {
        &self.spec
    }

    /// The state store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The state store, to fence its transactions (`Store::set_fence`).
    pub fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    /// The sink (tests inspect their stand-ins).
    pub fn sink(&self) -> &K {
        self.sink.as_ref().expect(LENT)
    }

    /// The sink, mutably.
    pub fn sink_mut(&mut self) -> &mut K {
        self.sink.as_mut().expect(LENT)
    }

    /// The source, mutably.
    pub fn source_mut(&mut self) -> &mut S {
        &mut self.source
    }

    /// Totals since start.
    pub fn stats(&self) -> EngineStats {
        self.stats
    }

    fn now(&self) -> Timestamp {
        Timestamp::from_system_time(self.clock.now())
    }

    /// Does everything that is due now: intake, decisions, flushes, delivery, pruning.
    pub fn step(&mut self) -> Result<(), StoreError> {
        let now = self.now();
        // A look between steps: nothing of ours is due and no other process committed.
        if self.recovered
            && now < self.own_next_at
            && self.quiet_looks < QUIET_LOOKS
            && !self.store.changed_elsewhere()
        {
            self.quiet_looks += 1;
            return Ok(());
        }
        self.quiet_looks = 0;
        let spec = Arc::clone(&self.spec);
        let settings = &spec.settings;
        let delivery = Delivery {
            pipeline: &spec.name,
            template: &spec.template,
            alerts: &spec.alerts,
            suppression: &settings.suppression,
            delivery: &settings.delivery,
            computer: &spec.computer,
        };
        if !self.recovered {
            let n = delivery.recover(&mut self.store, now)?;
            if n > 0 {
                tracing::warn!(pipeline = %spec.name, actions = n, "Recovered ticket actions interrupted by a stop or a store failure; opens among them are looked up before they are sent again.");
            }
            self.recovered = true;
        }

        // From here on, a commit by another process is an alert this step has not taken in.
        self.store.changed_elsewhere();
        let stages = self
            .intake(now)
            .and_then(|()| self.decide(now))
            .and_then(|()| self.deliver(&delivery));
        if let Err(error) = stages {
            // The store failed (a full disk, a lock held too long), perhaps after a batch was
            // sent but before its outcome was recorded: its actions stay marked in flight.
            // The next step reconciles them as a restart would, once the store works again.
            self.recovered = false;
            return Err(error);
        }

        if now >= self.next_prune_at {
            let more = self.prune(now)?;
            // A backlog (after a flood) goes in short passes, one per step.
            self.next_prune_at = if more { now } else { now + PRUNE_EVERY };
        }
        if let Some(observer) = &mut self.observer {
            observer.stepped(&self.stats);
        }
        self.own_next_at = self.own_next(now)?;
        Ok(())
    }

    /// Delivers until nothing more is due now (each round is one batch), but stops for alerts
    /// queued by `sluice alert-response` after the last look: the next step takes them in,
    /// and their new tickets go before the backlog of updates.
    fn deliver(&mut self, delivery: &Delivery<'_>) -> Result<(), StoreError> {
        while !self.stopping() {
            // Read for each round: a round can take a request timeout, and what it records (a
            // retry's due time, since when a create is in doubt) must not lag behind.
            let now = self.now();
            let sink = self.sink.as_mut().expect(LENT);
            let mut sink = Observed::new(sink, self.observer.as_deref());
            let Some(mut round) =
                delivery.begin(&mut self.store, &mut sink, now, &mut self.paces)?
            else {
                break;
            };
            let (sent, meanwhile) = match round.take_actions() {
                Some(actions) => {
                    let (outcomes, took, meanwhile) = self.send_taking_in(actions);
                    if let Some(observer) = &self.observer {
                        observer.sink_called(took, &outcomes);
                    }
                    (Some((outcomes, took)), meanwhile)
                }
                None => (None, Ok(())),
            };
            let report =
                delivery.finish(&mut self.store, round, sent, &mut self.paces, &mut jitter)?;
            meanwhile?;
            self.stats.delivery.add(&report);
            let sent = report.created + report.updated + report.retried + report.dead;
            if report.sink_calls == 0 || sent == 0 || self.store.changed_elsewhere() {
                break;
            }
        }
        Ok(())
    }

    /// Sends a round's `actions` on a thread of its own and, while the sink works, takes in
    /// and decides the alerts queued meanwhile, so that their new tickets are ready to go the
    /// moment the round ends instead of waiting for a step of their own after it. Returns the
    /// outcomes, how long the sink took, and how taking in went.
    ///
    /// Nothing else reaches the sink meanwhile: the round ends only when the call returns, so
    /// a store that fails meanwhile is reconciled (as after a crash) with nothing in flight.
    fn send_taking_in(
        &mut self,
        actions: Vec<TicketAction>,
    ) -> (Vec<ActionOutcome>, Duration, Result<(), StoreError>) {
        // Rung when the sink returns, and (through the doorbell) when an alert is handed over.
        let signal = self.stop.clone().unwrap_or_default();
        // The sink's own log lines name the pipeline, as they did on its thread.
        let span = tracing::Span::current();
        let mut sink = self.sink.take().expect(LENT);
        let mut actions = Some(actions);
        let name = format!("sink-{}", self.spec.name);
        let sent = std::thread::scope(|scope| -> std::io::Result<_> {
            let sending = std::thread::Builder::new()
                .name(name)
                .spawn_scoped(scope, || {
                    let _entered = span.enter();
                    let sent = timed_call(&mut sink, actions.take());
                    signal.ring();
                    sent
                })?;
            let meanwhile = self.take_in_while(|| sending.is_finished(), &signal);
            Ok((sending.join(), meanwhile))
        });
        let result = match sent {
            Ok((joined, meanwhile)) => joined.map(|(outcomes, took)| (outcomes, took, meanwhile)),
            Err(error) => {
                // No thread to spare: send from this one, taking nothing in meanwhile.
                tracing::warn!(%error, "Cannot start a thread for the sink's call; calling it from the pipeline's own.");
                let (outcomes, took) = timed_call(&mut sink, actions.take());
                Ok((outcomes, took, Ok(())))
            }
        };
        self.sink = Some(sink);
        result.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }

    /// Takes in and decides what other processes and threads queue, until `done` (the sink
    /// returned) or a stop: a look at the store each time `signal` rings or a short while
    /// passes. Looks follow one another while they find something: spacing them (10 ms was
    /// tried) left more to decide when the round ended, and new tickets slower in the
    /// end-to-end benchmark on both stores.
    fn take_in_while(
        &mut self,
        done: impl Fn() -> bool,
        signal: &StopSignal,
    ) -> Result<(), StoreError> {
        let look = if self.store.is_postgres() {
            LOOK_WHILE_SENDING_POSTGRES
        } else {
            LOOK_WHILE_SENDING
        };
        while !done() && !self.stopping() {
            if self.store.changed_elsewhere() {
                let now = self.now();
                self.intake(now)?;
                self.decide(now)?;
                continue;
            }
            signal.wait(look);
        }
        Ok(())
    }

    fn intake(&mut self, now: Timestamp) -> Result<(), StoreError> {
        let spec = Arc::clone(&self.spec);
        let intake = Intake {
            pipeline: &spec.name,
            settings: &spec.settings.intake,
            alerts: &spec.alerts,
        };
        if now < self.source_retry_at {
            return Ok(());
        }
        if spec.settings.intake.response_action {
            while !self.stopping() {
                let mut source = Observed::new(&mut self.source, self.observer.as_deref());
                let fetched = intake.fetch(&mut self.store, &mut source, now);
                match fetched {
                    Ok(r) => {
                        self.source_ok();
                        self.stats.records_fetched += r.fetched as u64;
                        self.stats.ignored += r.ignored as u64;
                        if r.fetched + r.missing + r.ignored
                            < spec.settings.intake.fetch_batch.max(1)
                        {
                            break;
                        }
                    }
                    Err(e) => return self.source_failed(e, now),
                }
            }
        }
        if spec.settings.intake.poll && now >= self.next_poll_at {
            let prefix = self.correlation_prefix.clone();
            let suppression = Suppression {
                pipeline: &spec.name,
                settings: &spec.settings.suppression,
                correlation_prefix: &prefix,
            };
            for _ in 0..POLLS_PER_STEP {
                if self.stopping() {
                    break;
                }
                let mut source = Observed::new(&mut self.source, self.observer.as_deref());
                let polled = intake.poll(&mut self.store, &mut source, &suppression, now);
                match polled {
                    Ok((r, decisions)) => {
                        self.source_ok();
                        self.stats.records_polled += r.records as u64;
                        self.count(&decisions);
                        if !r.more {
                            self.next_poll_at = now + spec.settings.intake.poll_interval.get();
                            break;
                        }
                    }
                    Err(e) => return self.source_failed(e, now),
                }
            }
        }
        Ok(())
    }

    fn count(&mut self, decisions: &[Decision]) {
        for d in decisions {
            self.stats.alerts += 1;
            match d {
                Decision::Open { .. } => self.stats.opened += 1,
                Decision::OpenFlood { .. } => {
                    self.stats.opened += 1;
                    self.stats.flood_opened += 1;
                }
                Decision::Consolidate { .. } => self.stats.consolidated += 1,
                Decision::Flood { .. } => self.stats.flooded += 1,
            }
        }
    }

    fn source_ok(&mut self) {
        if self.source_failures > 0 {
            tracing::info!(pipeline = %self.spec.name, "The source answers again.");
        }
        self.source_failures = 0;
    }

    fn source_failed(&mut self, error: IntakeError, now: Timestamp) -> Result<(), StoreError> {
        let error = match error {
            IntakeError::Store(e) => return Err(e),
            IntakeError::Source(e) => e,
        };
        self.source_failures += 1;
        let backoff = self.spec.settings.delivery.backoff();
        // Wrong credentials or config will not fix themselves: wait the longest delay.
        let attempts = match error.kind() {
            ErrorKind::Credentials | ErrorKind::Config => u32::MAX,
            _ => self.source_failures,
        };
        let delay = backoff.delay(attempts, error.retry_after(), jitter());
        self.source_retry_at = now + delay;
        let retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        match error.kind() {
            ErrorKind::Credentials | ErrorKind::Config => tracing::error!(
                pipeline = %self.spec.name, %error, kind = error.kind().as_code(), retry_in_ms,
                "The source refused us; check its config. Alerts stay queued."
            ),
            _ => tracing::warn!(
                pipeline = %self.spec.name, %error, kind = error.kind().as_code(), retry_in_ms,
                "The source failed; retrying with backoff. Alerts stay queued."
            ),
        }
        let message = error.to_string();
        self.store.write(|tx| {
            crate::state::checkpoints::event(tx, &self.spec.name, now, "source", &message)
        })?;
        Ok(())
    }

    fn decide(&mut self, now: Timestamp) -> Result<(), StoreError> {
        let spec = Arc::clone(&self.spec);
        let prefix = self.correlation_prefix.clone();
        let suppression = Suppression {
            pipeline: &spec.name,
            settings: &spec.settings.suppression,
            correlation_prefix: &prefix,
        };
        loop {
            let ready = self.store.read(alerts::with_status(
                &self.store.db(),
                &spec.name,
                AlertStatus::Ready,
                DECIDE_BATCH,
            ))?;
            let count = ready.len();
            let (disabled, ready): (Vec<_>, Vec<_>) = ready
                .into_iter()
                .partition(|a| spec.alerts.is_disabled(&a.alert_name));
            let decisions = self.store.write(|tx| {
                for alert in &disabled {
                    alerts::ignore(tx, alert.id)?;
                }
                let decisions = suppression.decide(tx, &ready, now)?;
                suppression.flush_due(tx, now)?;
                Ok(decisions)
            })?;
            self.count(&decisions);
            self.stats.ignored += disabled.len() as u64;
            if count < DECIDE_BATCH || self.stopping() {
                return Ok(());
            }
        }
    }

    /// One pruning pass; whether more finished history waits for the next.
    fn prune(&mut self, now: Timestamp) -> Result<bool, StoreError> {
        let r = &self.spec.settings.retention;
        let s = &self.spec.settings.suppression;
        let limits = Limits {
            alerts: r.alerts,
            alert_age: r.alert_age.get(),
            actions: r.ticket_actions,
            action_age: r.ticket_action_age.get(),
            ticket_age: s.correlation_interval.get().max(s.update_interval.get()),
            seen_age: r.seen_records_age.get(),
            events: 1000,
            alerts_per_pass: PRUNE_ALERTS_PER_PASS,
        };
        let name = self.spec.name.clone();
        let pruned = self
            .store
            .write(|tx| retention::prune(tx, &name, now, &limits))?;
        if pruned != retention::Pruned::default() {
            tracing::debug!(pipeline = %name, ?pruned, "Pruned finished history.");
        }
        Ok(pruned.more)
    }

    /// When the engine next has something to do: its own next work, or a short tick to look
    /// for alerts queued by `sluice alert-response`.
    pub fn next_wakeup(&self) -> Result<Timestamp, StoreError> {
        let now = self.now();
        let tick = if self.spec.settings.intake.response_action {
            QUEUE_POLL
        } else {
            IDLE_LOOK
        };
        Ok(self.own_next_at.min(now + tick).max(now))
    }

    /// The earliest of the next poll, source retry, alert to fetch or decide, consolidation
    /// flush, due ticket action and pruning.
    fn own_next(&self, now: Timestamp) -> Result<Timestamp, StoreError> {
        let db = &self.store.db();
        let mut next = self.next_prune_at;
        if self.spec.settings.intake.poll {
            next = next.min(self.next_poll_at.max(self.source_retry_at));
        }
        let work = self.store.read(due::stored_work(db, &self.spec.name))?;
        if work.ready {
            return Ok(now);
        }
        let fetch_at = work.fetch_at.map(|at| at.max(self.source_retry_at));
        for at in [fetch_at, work.flush_at, work.action_at]
            .into_iter()
            .flatten()
        {
            next = next.min(at);
        }
        Ok(next.max(now))
    }
}

/// The sink's outcomes for `actions` (none when there are none), and how long it took.
fn timed_call<K: TicketSink>(
    sink: &mut K,
    actions: Option<Vec<TicketAction>>,
) -> (Vec<ActionOutcome>, Duration) {
    let started = Instant::now();
    let outcomes = sink.deliver(actions.unwrap_or_default());
    (outcomes, started.elapsed())
}
