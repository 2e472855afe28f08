//! How many ticket actions go to the sink in one call.
//!
//! A call to the sink cannot be interrupted: a new ticket waits until the batch in flight is
//! done, and so does a stop. Against a fast sink, large batches cost nothing and save store
//! transactions; against a slow one (every action is an HTTPS round trip to ServiceNow), a
//! batch of 50 updates, each a note and an attachment, takes seconds. So a batch is held to
//! about `delivery.batch_time`, between one and `delivery.batch` actions.
//!
//! A sink sends several actions side by side (the ServiceNow sink's
//! `max_concurrent_requests`): up to that many take one round trip together, so a call's time
//! is not proportional to its size, and a small call says little about a larger one. The pace
//! therefore learns the limit itself, as TCP learns a window: larger by a quarter after a full
//! call that kept to the budget, smaller in proportion after one that did not. And since no
//! call is quicker than one round trip (what a call of one action takes), the budget is never
//! below that: a sink whose round trip alone exceeds `batch_time` still gets as many actions
//! at once as it answers in one round trip, not one at a time.
//!
//! New tickets and updates are paced apart ([`Paces`]): an update is several requests in a
//! row, an open one, so their rounds take different times; and a round of updates aims at half
//! the time, as a new ticket may be waiting for it to end.
//!
//! The pace is measured on the wall clock, not the host clock: it is about how long the sink
//! really takes, which the host clock (driven by tests) says nothing about.

use std::time::Duration;

use crate::config::DeliverySettings;

/// Slack over one round trip: round trips vary, and a call of one round trip must not count
/// as over the budget.
const ROUND_TRIP_SLACK: f64 = 1.25;
/// Weight of the newest call of one action in the round trip's moving average.
const NEWEST_WEIGHT: f64 = 0.3;

/// How many actions the next call to the sink may hold, learned from how long calls took.
#[derive(Debug, Clone, Copy)]
pub struct BatchPace {
    /// The current limit; `None` for `delivery.batch`.
    limit: Option<usize>,
    /// What a call of one action takes, seconds: a moving average of such calls, lowered by
    /// any quicker call (a sink that got faster shows it in calls of any size).
    round_trip: Option<f64>,
    /// Doubling the limit after each full call within the budget, until the first call over
    /// it (TCP's slow start): a pace that starts small reaches the sink's size in a few calls.
    starting: bool,
    /// The share of `delivery.batch_time` a call aims at.
    share: f64,
}

impl BatchPace {
    /// A pace whose first call holds `delivery.batch` actions.
    pub fn full() -> Self {
        BatchPace {
            limit: None,
            round_trip: None,
            starting: false,
            share: 1.0,
        }
    }

    /// The pace, its calls aiming at `share` of `delivery.batch_time`.
    pub fn with_share(self, share: f64) -> Self {
        BatchPace { share, ..self }
    }

    /// A pace whose first call holds one action, doubling from there.
    pub fn from_one() -> Self {
        BatchPace {
            limit: Some(1),
            round_trip: None,
            starting: true,
            share: 1.0,
        }
    }

    /// How many actions the next batch may hold.
    pub fn limit(&self, settings: &DeliverySettings) -> usize {
        let most = settings.batch.max(1);
        self.limit.unwrap_or(most).clamp(1, most)
    }

    /// Records that the sink took `took` for a call with `actions` actions.
    pub fn observe(&mut self, settings: &DeliverySettings, actions: usize, took: Duration) {
        if actions == 0 {
            return;
        }
        let took = took.as_secs_f64();
        self.round_trip = match (self.round_trip, actions) {
            (Some(average), 1) => Some(average + NEWEST_WEIGHT * (took - average)),
            (None, 1) => Some(took),
            (Some(average), _) => Some(average.min(took)),
            (None, _) => None,
        };
        let round_trip = self.round_trip.unwrap_or(0.0);
        let budget = (settings.batch_time.get().as_secs_f64() * self.share)
            .max(round_trip * ROUND_TRIP_SLACK);
        let current = self.limit(settings);
        // A call smaller than the limit, before any round trip is known, cannot tell a slow
        // sink from one slow round trip (the first call also opens the connections): it
        // says nothing about the limit. Shrinking on it left new tickets queueing behind
        // calls of one or two while the limit grew back a quarter at a time.
        let learnt_nothing = self.round_trip.is_none() && actions < current;
        let next = if learnt_nothing {
            current
        } else if took > budget {
            self.starting = false;
            // `as` saturates; a zero budget gives zero, and the clamp one.
            (actions as f64 * budget / took).floor() as usize
        } else if actions >= current && self.starting {
            current * 2
        } else if actions >= current {
            current + current.div_ceil(4)
        } else {
            current
        };
        self.limit = Some(next.clamp(1, settings.batch.max(1)));
    }
}

/// One pace for rounds of new tickets, one for rounds of updates.
#[derive(Debug, Clone, Copy)]
pub struct Paces {
    /// Rounds of new tickets (one request each, side by side): the first is full, since new
    /// tickets are what must not wait.
    pub open: BatchPace,
    /// Rounds of updates (a note, attachments, perhaps a reopen: requests in a row, so a full
    /// round can take long): the first holds one, so the first new tickets behind them do not
    /// wait for a full batch of updates to a sink whose speed nothing tells yet; and each aims
    /// at half of `batch_time` ([`UPDATE_SHARE`]).
    pub update: BatchPace,
}

/// The share of `delivery.batch_time` a round of updates aims at. A new ticket whose alert
/// arrives during a round of updates waits for it to end, while a round of new tickets holds
/// only tickets that are as new: updates (consolidated already) can take twice the rounds.
pub const UPDATE_SHARE: f64 = 0.5;

impl Default for Paces {
    fn default() -> Self {
        Paces {
            open: BatchPace::full(),
            update: BatchPace::from_one().with_share(UPDATE_SHARE),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::HumanDuration;

    fn settings(batch: usize, batch_time_ms: u64) -> DeliverySettings {
        DeliverySettings {
            batch,
            batch_time: HumanDuration(Duration::from_millis(batch_time_ms)),
            ..DeliverySettings::default()
        }
    }

    /// A sink sending `concurrency` actions at a time, each round trip `round_trip_ms`: how
    /// long a call of `actions` takes.
    fn concurrent(concurrency: usize, round_trip_ms: u64, actions: usize) -> Duration {
        Duration::from_millis(round_trip_ms * actions.div_ceil(concurrency) as u64)
    }

    /// The limits of `calls` calls, each as large as the pace allows.
    fn run(
        pace: &mut BatchPace,
        s: &DeliverySettings,
        calls: usize,
        sink: impl Fn(usize) -> Duration,
    ) -> Vec<usize> {
        (0..calls)
            .map(|_| {
                let n = pace.limit(s);
                pace.observe(s, n, sink(n));
                n
            })
            .collect()
    }

    fn mean(limits: &[usize]) -> f64 {
        limits.iter().sum::<usize>() as f64 / limits.len() as f64
    }

    #[test]
    fn a_fast_sink_gets_full_batches() {
        let s = settings(50, 50);
        let mut pace = BatchPace::full();
        assert_eq!(pace.limit(&s), 50, "nothing known yet");
        let limits = run(&mut pace, &s, 20, |n| Duration::from_micros(10 * n as u64));
        assert!(limits.iter().all(|&n| n == 50), "{limits:?}");
    }

    #[test]
    fn a_concurrent_sink_keeps_its_calls_near_the_budget_and_uses_its_concurrency() {
        // 16 side by side, 12 ms a round trip: 48 fit in four round trips (48 ms).
        let s = settings(200, 50);
        let mut pace = BatchPace::full();
        let limits = run(&mut pace, &s, 60, |n| concurrent(16, 12, n));
        let settled = &limits[20..];
        assert!(
            settled.iter().all(|&n| (16..=80).contains(&n)),
            "{limits:?}"
        );
        let mean = mean(settled);
        assert!(mean >= 30.0, "fills the round trips it can: {limits:?}");
        let longest = settled.iter().map(|&n| concurrent(16, 12, n)).max();
        assert!(longest <= Some(Duration::from_millis(72)), "{limits:?}");
    }

    #[test]
    fn rounds_of_updates_keep_to_half_the_budget() {
        // 16 side by side, 12 ms a round trip: two round trips fit in 25 ms.
        let s = settings(200, 50);
        let mut paces = Paces::default();
        let updates = run(&mut paces.update, &s, 60, |n| concurrent(16, 12, n));
        let opens = run(&mut paces.open, &s, 60, |n| concurrent(16, 12, n));
        let longest = |limits: &[usize]| limits.iter().map(|&n| concurrent(16, 12, n)).max();
        assert!(
            longest(&updates[20..]) <= Some(Duration::from_millis(36)),
            "{updates:?}"
        );
        assert!(
            mean(&updates[20..]) < mean(&opens[20..]),
            "{updates:?} {opens:?}"
        );
    }

    #[test]
    fn a_sink_slower_than_the_budget_still_gets_its_concurrency() {
        // ServiceNow far away: 4 side by side, 200 ms a round trip, budget 50 ms. One at a
        // time would waste three connections.
        let s = settings(50, 50);
        let mut pace = BatchPace::full();
        let limits = run(&mut pace, &s, 60, |n| concurrent(4, 200, n));
        let settled = &limits[20..];
        let mean = mean(settled);
        assert!((3.0..=6.0).contains(&mean), "{limits:?}");
        assert!(settled.iter().all(|&n| n <= 8), "{limits:?}");
    }

    #[test]
    fn a_sink_that_slows_down_gets_smaller_batches_and_one_timing_out_one_at_a_time() {
        let s = settings(50, 50);
        let mut pace = BatchPace::full();
        run(&mut pace, &s, 10, |n| Duration::from_micros(100 * n as u64));
        assert_eq!(pace.limit(&s), 50);
        // 10 ms an action, one after the other: five fit in 50 ms.
        let limits = run(&mut pace, &s, 20, |n| Duration::from_millis(10 * n as u64));
        assert!(
            limits[10..].iter().all(|&n| (3..=7).contains(&n)),
            "{limits:?}"
        );

        // Every call times out after 30 s: the limit falls to one at once.
        pace.observe(&s, pace.limit(&s), Duration::from_secs(30));
        assert_eq!(pace.limit(&s), 1);
    }

    #[test]
    fn a_pace_from_one_doubles_until_a_call_is_over_the_budget() {
        let s = settings(200, 50);
        let mut pace = BatchPace::from_one();
        let limits = run(&mut pace, &s, 10, |n| concurrent(16, 10, n));
        // 80 take 50 ms; 128 take 80, over: back to 80, then a quarter more at a time.
        assert_eq!(limits, [1, 2, 4, 8, 16, 32, 64, 128, 80, 100]);
    }

    #[test]
    fn a_slow_small_first_call_does_not_shrink_the_limit() {
        // Two new tickets, the first call of the run, slow (connections opening): 50 stays.
        let s = settings(50, 50);
        let mut pace = BatchPace::full();
        pace.observe(&s, 2, Duration::from_millis(70));
        assert_eq!(pace.limit(&s), 50);
        // Once a round trip is known, a slow call does shrink it.
        pace.observe(&s, 1, Duration::from_millis(10));
        pace.observe(&s, 2, Duration::from_millis(100));
        assert_eq!(pace.limit(&s), 1);
    }

    #[test]
    fn a_part_full_call_does_not_grow_the_limit() {
        let s = settings(50, 50);
        let mut pace = BatchPace::full();
        pace.observe(&s, 50, Duration::from_millis(100));
        assert_eq!(pace.limit(&s), 25);
        pace.observe(&s, 3, Duration::from_millis(1));
        assert_eq!(pace.limit(&s), 25, "three actions say nothing about 25");
        pace.observe(&s, 25, Duration::from_millis(40));
        assert_eq!(pace.limit(&s), 32);
    }

    #[test]
    fn a_zero_batch_time_holds_calls_to_one_round_trip_and_a_zero_batch_still_sends_one() {
        let s = settings(50, 0);
        let mut pace = BatchPace::full();
        let limits = run(&mut pace, &s, 40, |n| concurrent(4, 10, n));
        assert!(
            limits[20..].iter().all(|&n| (1..=6).contains(&n)),
            "{limits:?}"
        );
        assert_eq!(pace.limit(&settings(0, 50)), 1);
    }

    #[test]
    fn a_sink_that_gets_faster_gets_larger_batches_again() {
        let s = settings(50, 50);
        let mut pace = BatchPace::full();
        run(&mut pace, &s, 40, |n| concurrent(4, 300, n));
        assert!(pace.limit(&s) <= 8);
        let limits = run(&mut pace, &s, 40, |n| concurrent(4, 10, n));
        assert!(
            limits[30..].iter().all(|&n| (12..=25).contains(&n)),
            "{limits:?}"
        );
    }
}
