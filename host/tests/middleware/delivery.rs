//! Delivery: retries, Retry-After, giving up, refused updates, and recovery after a crash.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sluice_core::store::outbox;
use sluice_core::testkit::MemorySink;
use sluice_core::{queue_response_action, Store, TicketSink, Timestamp};
use sluice_sdk::{ActionOutcome, TicketAction};

use crate::support::{hours, minutes, titles_of, Harness, Outage};

#[test]
fn retry_after_is_honoured_and_the_action_succeeds_later() {
    let mut h = Harness::new("");
    h.engine
        .sink_mut()
        .retry_next
        .push(("create", Some(Duration::from_secs(30))));
    h.alert("A");
    h.step();
    assert!(h.sink().tickets.is_empty());
    h.advance(Duration::from_secs(29));
    assert!(h.sink().tickets.is_empty(), "not before Retry-After");
    h.advance(Duration::from_secs(2));
    assert_eq!(h.sink().tickets.len(), 1);
}

/// A create the sink refused at once (a 429) was not done: sent again without a lookup first,
/// which against a rate-limited instance would spend its quota.
#[test]
fn a_refused_create_is_sent_again_without_a_lookup() {
    let mut h = Harness::new("");
    h.engine
        .sink_mut()
        .retry_next
        .push(("create", Some(Duration::from_secs(30))));
    h.alert("A");
    h.step();
    h.advance(Duration::from_secs(31));
    assert_eq!(h.sink().tickets.len(), 1);
    assert_eq!(
        h.sink().requests,
        2,
        "the refused create and the create: no lookup between them"
    );
}

/// A sink that gave no outcome for a create (it panicked after sending it, say) may have
/// opened the ticket: looked up, found and adopted, not opened twice.
#[test]
fn a_create_without_an_outcome_is_looked_up_so_no_duplicate() {
    let mut h = Harness::new("");
    h.engine.sink_mut().silent_creates = 1;
    h.alert("A");
    h.step();
    assert_eq!(h.sink().tickets.len(), 1, "created, no outcome reported");
    h.advance(Duration::from_secs(60));
    assert_eq!(h.sink().tickets.len(), 1, "adopted, not created again");
    assert_eq!(h.engine.stats().delivery.adopted, 1);
}

#[test]
fn an_ambiguous_create_is_looked_up_before_it_is_retried_so_no_duplicate() {
    let mut h = Harness::new("");
    h.engine.sink_mut().ambiguous_creates = 1;
    h.alert("A");
    h.step();
    assert_eq!(
        h.sink().tickets.len(),
        1,
        "created, but the answer was lost"
    );
    h.advance(Duration::from_secs(60));
    assert_eq!(
        h.sink().tickets.len(),
        1,
        "found by its correlation key, not created again"
    );
    assert_eq!(h.engine.stats().delivery.adopted, 1);
    // The adopted ticket takes the repeats.
    h.alert("A");
    h.advance(minutes(15));
    assert_eq!(h.sink().tickets[0].notes.len(), 1);
}

/// The default settings against a create ServiceNow commits 65 s after it arrived, when the
/// sink had given up at 60 s: looked up, not sent again, and adopted once it lands.
#[test]
fn a_create_committed_after_the_timeout_is_adopted_with_the_default_settings() {
    let mut h = Harness::new("");
    h.engine.sink_mut().held_creates = 1;
    h.alert("A");
    h.step();
    assert!(h.sink().tickets.is_empty(), "in doubt: nothing visible yet");
    // The next looks, every 15 s, find nothing, and send nothing.
    for _ in 0..4 {
        h.advance(Duration::from_secs(15));
    }
    assert!(h.sink().tickets.is_empty(), "not sent again while in doubt");
    assert_eq!(h.engine.sink().held.len(), 1);
    h.engine.sink_mut().commit_held();
    for _ in 0..2 {
        h.advance(Duration::from_secs(15));
    }
    assert_eq!(
        h.sink().tickets.len(),
        1,
        "one ticket: the late one, adopted"
    );
    assert_eq!(h.engine.stats().delivery.adopted, 1);
}

/// A create that never lands is sent again once the window is over, and only then.
#[test]
fn a_create_in_doubt_that_never_lands_is_sent_again_after_the_window() {
    let mut h = Harness::new("delivery.in_doubt_window = \"2m\"");
    h.engine.sink_mut().held_creates = 1;
    h.alert("A");
    h.step();
    let sent = h.now();
    while h.now() < sent + Duration::from_secs(110) {
        h.advance(Duration::from_secs(5));
        assert!(
            h.sink().tickets.is_empty(),
            "not sent again within the window"
        );
    }
    for _ in 0..6 {
        h.advance(Duration::from_secs(5));
    }
    assert_eq!(h.sink().tickets.len(), 1, "sent again after the window");
}

/// A host that stopped while a create was out: the restart cannot know whether it was sent,
/// so the create is in doubt from then on, as after a timeout.
#[test]
fn a_create_left_in_flight_by_a_crash_is_in_doubt_until_the_window_passes() {
    let mut h = Harness::new("");
    h.engine.sink_mut().held_creates = 1;
    h.alert("A");
    h.step();
    {
        let mut store = h.place.open();
        store
            .write(|tx| {
                tx.execute(
                    "UPDATE outbox SET state = 'in_flight', in_doubt_since = NULL",
                    sluice_core::store::db::args![],
                )
                .map(drop)
            })
            .unwrap();
    }
    h.restart("");
    h.step();
    h.advance(Duration::from_secs(60));
    assert!(h.sink().tickets.is_empty(), "looked up, not sent again");
    h.engine.sink_mut().commit_held();
    h.advance(Duration::from_secs(20));
    assert_eq!(h.sink().tickets.len(), 1);
    assert_eq!(h.engine.stats().delivery.adopted, 1);
}

#[test]
fn an_action_left_in_flight_by_a_crash_is_reconciled_on_restart() {
    let mut h = Harness::new("");
    h.alert("A");
    // Simulate a crash after the create reached the sink but before its outcome was stored:
    // run one step, then put the action back in flight, as a dead process leaves it.
    h.step();
    {
        let mut store = h.place.open();
        store
            .write(|tx| {
                tx.execute(
                    "UPDATE outbox SET state = 'in_flight', done_at = NULL",
                    sluice_core::store::db::args![],
                )
                .map(drop)
            })
            .unwrap();
    }
    h.restart("");
    h.step();
    assert_eq!(h.sink().tickets.len(), 1, "no duplicate after the restart");
    let store = h.place.open();
    let counts = outbox::counts(&store.db(), "p").unwrap();
    assert_eq!(counts, vec![("done".to_owned(), 1)]);
}

#[test]
fn an_outage_is_retried_with_backoff_and_given_up_after_the_limit() {
    let mut h = Harness::new("delivery.give_up_after = \"1h\"");
    for _ in 0..100 {
        h.engine.sink_mut().retry_next.push(("create", None));
    }
    h.alert("A");
    h.step();
    let mut steps = 0;
    while h.engine.stats().delivery.dead == 0 && steps < 500 {
        h.advance(Duration::from_secs(30));
        steps += 1;
    }
    assert_eq!(h.engine.stats().delivery.dead, 1, "given up after an hour");
    assert!(
        h.engine.stats().delivery.retried >= 5,
        "{:?}",
        h.engine.stats()
    );
    assert!(
        h.engine.stats().delivery.retried < 100,
        "backoff spaced the retries: {:?}",
        h.engine.stats()
    );
    let store = h.place.open();
    let events = sluice_core::store::checkpoints::recent_events(&store.db(), "p", 10).unwrap();
    assert!(
        events
            .iter()
            .any(|(_, kind, m)| kind == "dead_letter" && m.contains("gave up")),
        "{events:?}"
    );
}

#[test]
fn a_refused_update_sends_its_alerts_to_a_new_ticket() {
    let mut h = Harness::new("");
    h.alert("A");
    h.step();
    h.engine
        .sink_mut()
        .refuse_updates_of
        .push("INC0000001".into());
    h.alert("A");
    h.advance(minutes(15));
    h.step();
    let sink = h.sink();
    assert_eq!(sink.tickets.len(), 2, "the repeat opened a new ticket");
    let d = sink.tickets[1].ticket.fields.get("description").unwrap();
    assert!(
        d.contains("Number: INC0000001"),
        "and references the old one: {d}"
    );
}

#[test]
fn a_partly_done_update_sends_only_what_is_left() {
    let mut h = Harness::new("");
    h.alert("A");
    h.step();
    h.alert("A");
    h.engine.sink_mut().retry_next.push(("attach", None));
    h.advance(minutes(15));
    assert_eq!(h.sink().tickets[0].notes.len(), 1);
    assert!(h.sink().tickets[0].attachments.is_empty());
    h.advance(minutes(1));
    let t = &h.sink().tickets[0];
    assert_eq!(t.notes.len(), 1, "the note is not written twice");
    assert_eq!(t.attachments.len(), 1);
}

#[test]
fn history_is_pruned_within_the_retention_limits() {
    let mut h = Harness::new("retention.alerts = 10\nsuppression.consolidation_interval = \"0s\"");
    for _ in 0..40 {
        h.alert("A");
        h.step();
    }
    h.advance(hours(1));
    let store = h.place.open();
    let n: i64 = store
        .db()
        .value(
            "SELECT count(*) FROM alerts",
            sluice_core::store::db::args![],
        )
        .unwrap();
    assert!(n <= 10, "{n} alerts kept");
    assert_eq!(store.integrity_check(), Ok(()));
}

/// A sink that delivers to a [`MemorySink`] and then, once, breaks the store (see
/// `StorePlace::breaker`): the engine cannot record the outcome, as when the disk is full, the
/// store is locked for longer than it waits, or the connection to the database is lost.
struct StoreFailsAfterSending {
    inner: MemorySink,
    breaker: Box<dyn FnMut() -> Outage + Send>,
    armed: bool,
    holder: Arc<Mutex<Option<Outage>>>,
}

impl TicketSink for StoreFailsAfterSending {
    fn deliver(&mut self, actions: Vec<TicketAction>) -> Vec<ActionOutcome> {
        let outcomes = self.inner.deliver(actions);
        if std::mem::take(&mut self.armed) {
            *self.holder.lock().unwrap() = Some((self.breaker)());
        }
        outcomes
    }
}

/// Issue 20, item 4: actions marked in flight when the store failed stayed in flight until a
/// restart. Once the store can be written again, the next step reconciles them as a restart
/// would: the ticket the sink opened is found, not opened again.
#[test]
fn actions_in_flight_when_the_store_failed_are_reconciled_without_a_restart() {
    let mut h = Harness::new("");
    h.alert("A");
    let holder = Arc::default();
    let sink = StoreFailsAfterSending {
        inner: MemorySink::default(),
        breaker: h.place.breaker(),
        armed: true,
        holder: Arc::clone(&holder),
    };
    let mut engine = h.engine_over(sink);

    assert!(engine.step().is_err(), "the outcome cannot be recorded");
    assert_eq!(engine.sink().inner.tickets.len(), 1, "the sink opened it");
    // The disk has room again / the lock is gone.
    holder.lock().unwrap().take();
    for _ in 0..5 {
        h.clock.advance(minutes(1));
        engine.step().expect("the store works again");
    }
    assert_eq!(engine.sink().inner.tickets.len(), 1, "no duplicate");
    let counts = outbox::counts(&engine.store().db(), "p").unwrap();
    assert_eq!(
        counts,
        vec![("done".to_owned(), 1)],
        "nothing left in flight"
    );
}

/// A sink that, in its first call, queues the response action of another alert through a
/// connection of its own (as the hand-off listener does while Auditor runs it) and then waits
/// for the pipeline to decide it, before it answers.
struct QueuesDuringTheCall {
    inner: MemorySink,
    queue: Option<(Store, String, Timestamp)>,
    decided_during_the_call: Arc<AtomicBool>,
}

/// Queues alert B's response action for record `rid` at `now` through the store's own
/// connection in `queue`, the first time only; then gives that connection back.
fn queue_b_once(queue: &mut Option<(Store, String, Timestamp)>) -> Option<(Store, String)> {
    let (mut store, rid, now) = queue.take()?;
    assert!(queue_response_action(&mut store, "p", "{B}", &rid, "B", now).unwrap());
    Some((store, rid))
}

impl TicketSink for QueuesDuringTheCall {
    fn deliver(&mut self, actions: Vec<TicketAction>) -> Vec<ActionOutcome> {
        if let Some((store, rid)) = queue_b_once(&mut self.queue) {
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                let decided: i64 = store
                    .db()
                    .value(
                        "SELECT count(*) FROM alerts WHERE record_id = ?1 AND status = 'decided'",
                        sluice_core::store::db::args![rid.as_str()],
                    )
                    .unwrap();
                if decided == 1 {
                    self.decided_during_the_call.store(true, Ordering::SeqCst);
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        self.inner.deliver(actions)
    }
}

/// An alert that arrives while a round is at the sink is taken in and decided meanwhile, and
/// its new ticket goes out as soon as that round ends, in the same step: it does not wait for
/// the round and then for a step of its own.
#[test]
fn an_alert_queued_while_a_round_is_at_the_sink_is_decided_meanwhile_and_sent_next() {
    let mut h = Harness::new("");
    h.alert("A");
    let rid = h.new_record("CORP\\jdoe");
    let decided = Arc::new(AtomicBool::new(false));
    let sink = QueuesDuringTheCall {
        inner: MemorySink::default(),
        queue: Some((h.place.open(), rid, h.now())),
        decided_during_the_call: Arc::clone(&decided),
    };
    let mut engine = h.engine_over(sink);

    engine.step().unwrap();
    assert!(
        decided.load(Ordering::SeqCst),
        "B was decided while A's round was at the sink"
    );
    let titles = titles_of(&engine.sink().inner);
    assert_eq!(
        titles.len(),
        2,
        "both tickets opened in one step: {titles:?}"
    );
    assert!(
        titles[0].contains('A') && titles[1].contains('B'),
        "{titles:?}"
    );
}

/// A sink that, in its first call, queues another alert's response action through a
/// connection of its own and then breaks the store before it answers: whether the pipeline
/// was taking that alert in or deciding it at the time, nothing may be lost or doubled.
struct QueuesThenBreaksTheStore {
    inner: MemorySink,
    queue: Option<(Store, String, Timestamp)>,
    breaker: Box<dyn FnMut() -> Outage + Send>,
    holder: Arc<Mutex<Option<Outage>>>,
}

impl TicketSink for QueuesThenBreaksTheStore {
    fn deliver(&mut self, actions: Vec<TicketAction>) -> Vec<ActionOutcome> {
        if let Some((store, _)) = queue_b_once(&mut self.queue) {
            drop(store);
            *self.holder.lock().unwrap() = Some((self.breaker)());
        }
        self.inner.deliver(actions)
    }
}

/// The store fails while a round is at the sink and alerts are being taken in beside it: the
/// step fails, and once the store works again the round's ticket is found (not opened again)
/// and the alert queued meanwhile opens its ticket once.
#[test]
fn a_store_that_fails_while_alerts_are_taken_in_beside_a_round_loses_and_doubles_nothing() {
    let mut h = Harness::new("");
    h.alert("A");
    let rid = h.new_record("CORP\\jdoe");
    let holder = Arc::default();
    let sink = QueuesThenBreaksTheStore {
        inner: MemorySink::default(),
        queue: Some((h.place.open(), rid, h.now())),
        breaker: h.place.breaker(),
        holder: Arc::clone(&holder),
    };
    let mut engine = h.engine_over(sink);

    assert!(
        engine.step().is_err(),
        "the round's outcome cannot be recorded"
    );
    holder.lock().unwrap().take();
    for _ in 0..5 {
        h.clock.advance(minutes(1));
        engine.step().expect("the store works again");
    }
    let titles = titles_of(&engine.sink().inner);
    assert_eq!(titles.len(), 2, "each alert's ticket once: {titles:?}");
    assert!(titles.iter().any(|t| t.contains('A')), "{titles:?}");
    assert!(titles.iter().any(|t| t.contains('B')), "{titles:?}");
    let counts = outbox::counts(&engine.store().db(), "p").unwrap();
    assert_eq!(
        counts,
        vec![("done".to_owned(), 2)],
        "nothing left in flight"
    );
}
