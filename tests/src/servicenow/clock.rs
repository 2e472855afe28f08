//! The emulator's clock: wall time plus an offset that tests move, so token expiry, rate-limit
//! windows and `sys_updated_on` can be driven without sleeping.

use std::time::{Duration, SystemTime};

use jiff::{SignedDuration, Timestamp};

/// Wall-clock time shifted by an adjustable offset.
#[derive(Debug, Default)]
pub(crate) struct Clock {
    offset: SignedDuration,
}

impl Clock {
    /// The emulator's current time.
    pub(crate) fn now(&self) -> Timestamp {
        Timestamp::now()
            .checked_add(self.offset)
            .unwrap_or_else(|_| Timestamp::now())
    }

    /// Makes `now()` return `at` (and keep ticking from there).
    pub(crate) fn set_now(&mut self, at: SystemTime) {
        if let Ok(target) = Timestamp::try_from(at) {
            self.offset = target.duration_since(Timestamp::now());
        }
    }

    /// Moves the clock forward by `by`.
    pub(crate) fn advance(&mut self, by: Duration) {
        if let Ok(by) = SignedDuration::try_from(by) {
            self.offset = self.offset.saturating_add(by);
        }
    }
}

/// ServiceNow's API date-time form, always UTC in value mode: `YYYY-MM-DD HH:MM:SS`.
pub(crate) fn glide_date_time(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M:%S").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_moves_now_forward() {
        let mut clock = Clock::default();
        let before = clock.now();
        clock.advance(Duration::from_secs(3600));
        assert!(clock.now().duration_since(before) >= SignedDuration::from_secs(3600));
    }

    #[test]
    fn set_now_and_format() {
        let mut clock = Clock::default();
        clock.set_now(SystemTime::UNIX_EPOCH + Duration::from_secs(1_527_847_504));
        let text = glide_date_time(clock.now());
        assert!(text.starts_with("2018-06-01 10:05:0"), "{text}");
    }
}
