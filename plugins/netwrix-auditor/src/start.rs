//! [`Start`]: where polling begins when there is no checkpoint yet (the `start` key).

use std::fmt;
use std::time::Duration;

use jiff::Timestamp;
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

/// The first scan window's lower bound on `When`, for a pipeline without a checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Only activity from the first poll on (`"now"`).
    Now,
    /// Activity from this long before the first poll (`"24h"`).
    Ago(Duration),
    /// Activity from this moment on (`"2025-03-01T00:00:00Z"`, RFC 3339).
    At(Timestamp),
}

impl Start {
    /// Parses config text; the error lists the three accepted forms.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("now") {
            return Ok(Start::Now);
        }
        if let Ok(duration) = humantime::parse_duration(text) {
            return Ok(Start::Ago(duration));
        }
        if let Ok(at) = text.parse::<Timestamp>() {
            return Ok(Start::At(at));
        }
        Err(format!(
            "invalid start {text:?}: use \"now\" (only new activity), a duration back from the \
             first poll like \"24h\", or an RFC 3339 time like \"2025-03-01T00:00:00Z\""
        ))
    }

    /// The lower bound this start gives when the first poll happens at `now`.
    pub fn resolve(self, now: Timestamp) -> Timestamp {
        match self {
            Start::Now => now,
            Start::Ago(back) => jiff::SignedDuration::try_from(back)
                .ok()
                .and_then(|back| now.checked_sub(back).ok())
                .unwrap_or(Timestamp::MIN),
            Start::At(at) => at,
        }
    }
}

impl fmt::Display for Start {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Start::Now => f.write_str("now"),
            Start::Ago(back) => write!(f, "{}", humantime::format_duration(*back)),
            Start::At(at) => write!(f, "{at}"),
        }
    }
}

impl<'de> Deserialize<'de> for Start {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl Visitor<'_> for Text {
            type Value = Start;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("\"now\", a duration like \"24h\", or an RFC 3339 time")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Start, E> {
                Start::parse(text).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_forms() {
        assert_eq!(Start::parse("now"), Ok(Start::Now));
        assert_eq!(
            Start::parse("24h"),
            Ok(Start::Ago(Duration::from_secs(86_400)))
        );
        let at = Start::parse("2025-03-01T01:00:00+01:00");
        assert_eq!(
            at.map(|s| s.resolve(Timestamp::UNIX_EPOCH).to_string()),
            Ok("2025-03-01T00:00:00Z".to_owned())
        );
        assert!(Start::parse("yesterday").is_err());
    }

    #[test]
    fn resolves_against_the_first_poll() {
        let now = Timestamp::from_second(100_000).unwrap_or(Timestamp::UNIX_EPOCH);
        assert_eq!(Start::Now.resolve(now), now);
        assert_eq!(
            Start::Ago(Duration::from_secs(100))
                .resolve(now)
                .as_second(),
            99_900
        );
        assert_eq!(
            Start::Ago(Duration::from_secs(u64::MAX)).resolve(now),
            Timestamp::MIN
        );
    }
}
