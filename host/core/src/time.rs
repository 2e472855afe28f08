//! Points in time, as the pipeline and the store reckon them: milliseconds since 1970 (UTC) on
//! the host clock. Durations are [`std::time::Duration`]s.
//!
//! The store keeps a [`Timestamp`] as an integer column of milliseconds, and JSON (threshold
//! counters, stored records, the hand-off) as a number of milliseconds, so files written before
//! the type existed read the same.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A point in time, to the millisecond: what the store keeps and what every interval is
/// measured between. Arithmetic with [`Duration`]s saturates instead of overflowing, and a
/// duration counts in whole milliseconds (what the store can hold).
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(i64);

impl Timestamp {
    /// 1970-01-01T00:00:00Z; what a time never set reads as.
    pub const EPOCH: Timestamp = Timestamp(0);

    /// The time `ms` milliseconds after 1970 (before it, if negative).
    pub const fn from_millis(ms: i64) -> Timestamp {
        Timestamp(ms)
    }

    /// Milliseconds since 1970: the store's representation.
    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// `time`, to the millisecond; a time before 1970 reads as [`Timestamp::EPOCH`], one
    /// beyond what milliseconds in an `i64` reach as the latest they do.
    pub fn from_system_time(time: SystemTime) -> Timestamp {
        Timestamp(
            time.duration_since(UNIX_EPOCH)
                .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
                .unwrap_or(0),
        )
    }

    /// Now, by the system's clock. (The engine reads the host clock, which tests move; this
    /// is for commands that stamp what they do with the real time.)
    pub fn now() -> Timestamp {
        Timestamp::from_system_time(SystemTime::now())
    }

    /// The same time as a [`SystemTime`]; a time before 1970 reads as 1970.
    pub fn to_system_time(self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(u64::try_from(self.0).unwrap_or(0))
    }

    /// How long after `earlier` this is; zero if it is not after it.
    pub fn saturating_since(self, earlier: Timestamp) -> Duration {
        Duration::from_millis(u64::try_from(self.0.saturating_sub(earlier.0)).unwrap_or(0))
    }

    /// How far apart the two are, either way round.
    pub fn abs_diff(self, other: Timestamp) -> Duration {
        Duration::from_millis(self.0.abs_diff(other.0))
    }
}

/// Whole milliseconds of `d`, saturating.
fn millis_of(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl std::ops::Add<Duration> for Timestamp {
    type Output = Timestamp;

    fn add(self, d: Duration) -> Timestamp {
        Timestamp(self.0.saturating_add(millis_of(d)))
    }
}

impl std::ops::Sub<Duration> for Timestamp {
    type Output = Timestamp;

    fn sub(self, d: Duration) -> Timestamp {
        Timestamp(self.0.saturating_sub(millis_of(d)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_like_the_store_always_has() {
        let t = Timestamp::from_millis(1_700_000_000_123);
        assert_eq!(Timestamp::from_system_time(t.to_system_time()), t);
        assert_eq!(
            Timestamp::from_system_time(UNIX_EPOCH - Duration::from_secs(1)),
            Timestamp::EPOCH
        );
        assert_eq!(Timestamp::from_millis(-5).to_system_time(), UNIX_EPOCH);
    }

    #[test]
    fn arithmetic_saturates_and_counts_whole_milliseconds() {
        let t = Timestamp::from_millis(1_000);
        assert_eq!(
            t + Duration::from_micros(2_999),
            Timestamp::from_millis(1_002)
        );
        assert_eq!(t - Duration::from_secs(2), Timestamp::from_millis(-1_000));
        assert_eq!(
            Timestamp::from_millis(i64::MAX - 1) + Duration::from_secs(1),
            Timestamp::from_millis(i64::MAX)
        );
        assert_eq!(
            t.saturating_since(Timestamp::from_millis(400)),
            Duration::from_millis(600)
        );
        assert_eq!(
            t.saturating_since(Timestamp::from_millis(4_000)),
            Duration::ZERO
        );
        assert_eq!(
            t.abs_diff(Timestamp::from_millis(4_000)),
            Duration::from_secs(3)
        );
    }

    #[test]
    fn is_a_number_in_json() {
        let t = Timestamp::from_millis(42);
        assert_eq!(serde_json::to_string(&t).unwrap(), "42");
    }
}
