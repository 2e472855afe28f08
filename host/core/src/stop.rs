//! Asking a pipeline to stop, and waking it if it sleeps: for a stop, or because an alert was
//! handed over (the [`Doorbell`]).

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// What a sleeping pipeline is woken for.
#[derive(Debug, Default)]
struct Flags {
    stopped: bool,
    /// Work arrived since the pipeline last slept.
    rung: bool,
}

/// A stop signal that wakes sleeping pipelines at once.
#[derive(Debug, Clone, Default)]
pub struct StopSignal {
    inner: Arc<(Mutex<Flags>, Condvar)>,
}

impl StopSignal {
    /// Asks every holder to stop.
    pub fn stop(&self) {
        let (flags, wake) = &*self.inner;
        flags.lock().unwrap_or_else(|p| p.into_inner()).stopped = true;
        wake.notify_all();
    }

    /// Whether a stop was asked for.
    pub fn is_stopped(&self) -> bool {
        self.inner
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .stopped
    }

    /// Wakes the holder from its sleep, or keeps it from sleeping next time: work arrived.
    pub fn ring(&self) {
        let (flags, wake) = &*self.inner;
        flags.lock().unwrap_or_else(|p| p.into_inner()).rung = true;
        wake.notify_all();
    }

    /// Sleeps up to `timeout`, or until a stop is asked for or the signal is rung; returns
    /// `true` if a stop was asked for.
    pub fn wait(&self, timeout: Duration) -> bool {
        let (flags, wake) = &*self.inner;
        let guard = flags.lock().unwrap_or_else(|p| p.into_inner());
        let (mut guard, _) = wake
            .wait_timeout_while(guard, timeout, |f| !f.stopped && !f.rung)
            .unwrap_or_else(|p| p.into_inner());
        guard.rung = false;
        guard.stopped
    }
}

/// Wakes every running pipeline: an alert was queued for them by another thread (the
/// hand-off listener), so they need not wait for their next look at the store.
#[derive(Debug, Clone, Default)]
pub struct Doorbell {
    pipelines: Arc<Mutex<Vec<StopSignal>>>,
}

impl Doorbell {
    /// Adds a pipeline's signal; it is forgotten once stopped.
    pub fn register(&self, signal: StopSignal) {
        let mut pipelines = self.pipelines.lock().unwrap_or_else(|p| p.into_inner());
        pipelines.retain(|s| !s.is_stopped());
        pipelines.push(signal);
    }

    /// Wakes every pipeline registered and not stopped.
    pub fn ring(&self) {
        let pipelines = self.pipelines.lock().unwrap_or_else(|p| p.into_inner());
        for signal in pipelines.iter() {
            signal.ring();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    #[test]
    fn a_ring_wakes_a_sleeper_without_stopping_it_and_a_stop_still_stops() {
        let signal = StopSignal::default();
        let doorbell = Doorbell::default();
        doorbell.register(signal.clone());
        let sleeper = {
            let signal = signal.clone();
            std::thread::spawn(move || {
                let started = Instant::now();
                let stopped = signal.wait(Duration::from_secs(30));
                (stopped, started.elapsed())
            })
        };
        std::thread::sleep(Duration::from_millis(20));
        doorbell.ring();
        let (stopped, slept) = sleeper.join().expect("the sleeper");
        assert!(!stopped, "a ring is not a stop");
        assert!(slept < Duration::from_secs(10), "woken by the ring");

        // A ring before the sleep: the next wait returns at once, and only that one.
        doorbell.ring();
        assert!(!signal.wait(Duration::from_secs(30)));
        let started = Instant::now();
        assert!(!signal.wait(Duration::from_millis(30)));
        assert!(started.elapsed() >= Duration::from_millis(30));

        signal.stop();
        assert!(signal.wait(Duration::from_secs(30)));
        doorbell.register(StopSignal::default());
        assert_eq!(
            doorbell.pipelines.lock().unwrap().len(),
            1,
            "the stopped one is forgotten"
        );
    }
}
