//! How many ticket actions go to the sink in one call.
//!
//! A call to the sink cannot be interrupted: a new ticket waits until the batch in flight is
//! done, and so does a stop. Against a fast sink, large batches cost nothing and save store
//! transactions; against a slow one (every action is an HTTPS round trip to ServiceNow), a
//! batch of 50 updates, each a note and an attachment, takes seconds. So a batch is cut to
//! what the sink took about `delivery.batch_time` for lately, between one and
//! `delivery.batch` actions.
//!
//! The pace is measured on the wall clock, not the host clock: it is about how long the sink
//! really takes, which the host clock (driven by tests) says nothing about.

use std::time::Duration;

use crate::config::DeliverySettings;

/// Weight of the newest call in the moving average (the rest is history): a sink that slows
/// down is followed within a few calls, one slow call does not halve the batch.
const NEWEST_WEIGHT: f64 = 0.3;

/// The sink's recent time per ticket action, as a moving average.
#[derive(Debug, Clone, Copy, Default)]
pub struct BatchPace {
    /// Seconds per action; `None` until the first call.
    per_action: Option<f64>,
}

impl BatchPace {
    /// How many actions the next batch may hold.
    pub fn limit(&self, settings: &DeliverySettings) -> usize {
        let most = settings.batch.max(1);
        match self.per_action {
            Some(per_action) if per_action > 0.0 => {
                let fit = settings.batch_time.get().as_secs_f64() / per_action;
                // `as` saturates: a huge quotient (an instant sink) is `most`.
                (fit.floor() as usize).clamp(1, most)
            }
            _ => most,
        }
    }

    /// Records that the sink took `took` for a call with `actions` actions.
    pub fn observe(&mut self, actions: usize, took: Duration) {
        if actions == 0 {
            return;
        }
        let newest = took.as_secs_f64() / actions as f64;
        self.per_action = Some(match self.per_action {
            Some(average) => average + NEWEST_WEIGHT * (newest - average),
            None => newest,
        });
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

    #[test]
    fn a_fast_sink_gets_full_batches_and_a_slow_one_small_ones() {
        let settings = settings(50, 50);
        let mut pace = BatchPace::default();
        assert_eq!(pace.limit(&settings), 50, "nothing known yet");
        pace.observe(50, Duration::from_micros(500));
        assert_eq!(pace.limit(&settings), 50);

        // ServiceNow at 10 ms an action: five fit in 50 ms, after a few calls.
        for _ in 0..20 {
            pace.observe(5, Duration::from_millis(50));
        }
        assert_eq!(pace.limit(&settings), 5);

        // A sink timing out: one action at a time, never none.
        pace.observe(1, Duration::from_secs(30));
        assert_eq!(pace.limit(&settings), 1);
    }

    #[test]
    fn one_slow_call_does_not_collapse_the_batch() {
        let settings = settings(50, 50);
        let mut pace = BatchPace::default();
        for _ in 0..10 {
            pace.observe(10, Duration::from_millis(10));
        }
        assert_eq!(pace.limit(&settings), 50);
        pace.observe(10, Duration::from_millis(20));
        assert_eq!(
            pace.limit(&settings),
            38,
            "1 ms a record, then 2: 1.3 ms on average"
        );
    }

    #[test]
    fn a_zero_batch_time_or_batch_still_sends_one() {
        let mut pace = BatchPace::default();
        pace.observe(1, Duration::from_millis(1));
        assert_eq!(pace.limit(&settings(50, 0)), 1);
        assert_eq!(pace.limit(&settings(0, 50)), 1);
    }
}
