//! Adaptive concurrency: how many requests the sink keeps in flight, learned from the
//! instance's answers. What is asserted is what the emulator saw at once, and what was sent,
//! never how long anything took.

use std::time::{Duration, SystemTime};

use serde_json::json;
use sluice_emulators::servicenow::{Faults, RateLimitRule};
use sluice_sdk::{ActionOutcome, TicketAction};

use crate::harness::*;

fn creates(prefix: &str, n: usize) -> Vec<TicketAction> {
    (0..n).map(|i| create(&format!("{prefix}{i}"))).collect()
}

/// With the defaults, against an instance that answers every request in 5 ms, the sink soon
/// keeps more than the four requests in flight that used to be the fixed default, and never
/// more than the ceiling of 16.
#[test]
fn the_default_grows_past_four_in_flight_against_a_quick_instance() {
    let rig = Rig::new(Release::Zurich);
    let mut sink = rig.sink();
    rig.sn.set_faults(Faults {
        latency_ms: 5,
        ..Faults::default()
    });
    rig.traffic.reset();
    let outcomes = sink.deliver(creates("quick", 300));
    assert!(outcomes.iter().all(|o| matches!(o, ActionOutcome::Done(_))));
    assert_eq!(rig.sn.incidents().len(), 300);
    let peak = rig.traffic.peak();
    assert!(peak > 4, "only {peak} requests at once");
    assert!(peak <= 16, "{peak} requests at once, over the ceiling");
}

/// Switched off, the sink keeps the configured number in flight from the first request.
#[test]
fn a_fixed_limit_is_used_from_the_start() {
    let rig = Rig::new(Release::Zurich);
    let mut sink =
        rig.sink_with(json!({"adaptive_concurrency": false, "max_concurrent_requests": 4}));
    rig.sn.set_faults(Faults {
        latency_ms: 50,
        ..Faults::default()
    });
    rig.traffic.reset();
    let outcomes = sink.deliver(creates("fixed", 8));
    assert!(outcomes.iter().all(|o| matches!(o, ActionOutcome::Done(_))));
    assert_eq!(rig.traffic.peak(), 4);
}

/// Past the instance's rate limit, the first 429's `Retry-After` holds every request of the
/// batch not yet sent: they are answered as rate limited, with the time left, without being
/// sent.
#[test]
fn a_retry_after_holds_the_rest_of_the_batch_unsent() {
    let rig = Rig::new(Release::Zurich);
    let mut sink = rig.sink();
    let hour = SystemTime::UNIX_EPOCH + Duration::from_secs(1_527_847_200);
    rig.sn.set_now(hour + Duration::from_secs(600));
    let mut profile = rig.sn.profile();
    profile.rate_limit = Some(RateLimitRule::per_hour(5));
    rig.sn.set_profile(profile);
    let (outcomes, cost) = counting(&rig, || sink.deliver(creates("limited", 60)));
    let created = outcomes
        .iter()
        .filter(|o| matches!(o, ActionOutcome::Done(_)))
        .count();
    let waiting = outcomes
        .iter()
        .filter(|o| matches!(o, ActionOutcome::Retry { retry_after: Some(d), .. } if d.as_secs() > 2900))
        .count();
    assert_eq!(created + waiting, 60, "{outcomes:?}");
    assert!(created <= 5, "{created}");
    // Refused: only the requests already in flight when the first refusal came back, at most
    // the ceiling of 16 (how far slow start had grown the limit by then depends on how the
    // answers interleave); the other forty-odd were never sent.
    assert!(
        cost.status(429) <= 16,
        "{} requests refused: the rest should have waited without being sent",
        cost.status(429)
    );
    assert!(cost.total() <= 21, "{} requests sent", cost.total());
}
