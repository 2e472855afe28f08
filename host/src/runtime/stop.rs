//! Asking a pipeline to stop, and waking it if it sleeps.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// A stop signal that wakes sleeping pipelines at once.
#[derive(Debug, Clone, Default)]
pub struct StopSignal {
    inner: Arc<(Mutex<bool>, Condvar)>,
}

impl StopSignal {
    /// Asks every holder to stop.
    pub fn stop(&self) {
        let (flag, wake) = &*self.inner;
        *flag.lock().unwrap_or_else(|p| p.into_inner()) = true;
        wake.notify_all();
    }

    /// Whether a stop was asked for.
    pub fn is_stopped(&self) -> bool {
        *self.inner.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sleeps up to `timeout`; returns `true` if a stop was asked for.
    pub fn wait(&self, timeout: Duration) -> bool {
        let (flag, wake) = &*self.inner;
        let guard = flag.lock().unwrap_or_else(|p| p.into_inner());
        let (guard, _) = wake
            .wait_timeout_while(guard, timeout, |stopped| !*stopped)
            .unwrap_or_else(|p| p.into_inner());
        *guard
    }
}
