//! Retry timing, written once for every sink and source: capped exponential backoff with full
//! jitter, honouring a system's `Retry-After` up to a limit.

use std::time::Duration;

/// How retries are spaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Delay before the first retry (before jitter).
    pub initial: Duration,
    /// The longest delay.
    pub max: Duration,
    /// The longest `Retry-After` honoured.
    pub retry_after_max: Duration,
}

impl Backoff {
    /// The delay before attempt `attempt + 1`, after `attempt` attempts (1-based) failed.
    /// `retry_after` from the system wins when given, capped at `retry_after_max`. `random` is
    /// a number in `[0, 1)` (full jitter: the delay is uniform in `[0, cap]`).
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>, random: f64) -> Duration {
        if let Some(after) = retry_after {
            return after.min(self.retry_after_max);
        }
        let exp = self
            .initial
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1).min(30)));
        let cap = exp.min(self.max);
        // Keep a floor of a tenth of the first delay, so a retry never spins.
        cap.mul_f64(random.clamp(0.0, 1.0)).max(self.initial / 10)
    }
}

/// A uniform number in `[0, 1)` from the system's randomness.
pub fn jitter() -> f64 {
    let bytes = *uuid::Uuid::new_v4().as_bytes();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap_or_default());
    (n >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    const B: Backoff = Backoff {
        initial: Duration::from_secs(1),
        max: Duration::from_secs(300),
        retry_after_max: Duration::from_secs(3600),
    };

    #[test]
    fn doubles_up_to_the_cap_with_full_jitter() {
        assert_eq!(
            B.delay(1, None, 0.999_999),
            Duration::from_secs(1).mul_f64(0.999_999)
        );
        assert_eq!(B.delay(4, None, 0.5), Duration::from_secs(4));
        assert_eq!(B.delay(40, None, 0.5), Duration::from_secs(150));
        assert_eq!(
            B.delay(3, None, 0.0),
            Duration::from_millis(100),
            "a floor, never zero"
        );
    }

    #[test]
    fn retry_after_wins_but_is_capped() {
        assert_eq!(
            B.delay(1, Some(Duration::from_secs(30)), 0.1),
            Duration::from_secs(30)
        );
        assert_eq!(
            B.delay(1, Some(Duration::from_secs(86_400)), 0.1),
            Duration::from_secs(3600)
        );
    }

    #[test]
    fn jitter_is_in_range() {
        for _ in 0..1000 {
            let j = jitter();
            assert!((0.0..1.0).contains(&j));
        }
    }
}
