//! Durations written the way people write them: `"15m"`, `"24h"`, `"30d"`, `"500ms"`.

use std::fmt;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A duration in config, written as text with a unit (`"90s"`, `"15m"`, `"1h 30m"`, `"30d"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct HumanDuration(pub Duration);

impl HumanDuration {
    /// A duration of `secs` seconds.
    pub const fn from_secs(secs: u64) -> Self {
        HumanDuration(Duration::from_secs(secs))
    }

    /// The duration.
    pub const fn get(self) -> Duration {
        self.0
    }
}

impl From<HumanDuration> for Duration {
    fn from(d: HumanDuration) -> Duration {
        d.0
    }
}

/// The way the vendor's documentation and people write durations: one unit, the largest
/// that divides it (`3600` s → `1h`, `900` s → `15m`, `2592000` s → `30d`), a whole day kept in
/// hours (`24h`); anything else (`90.5s`, `1h 30m 10s`) as humantime writes it.
impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const DAY: u64 = 86_400;
        if self.0.subsec_nanos() != 0 {
            return write!(f, "{}", humantime::format_duration(self.0));
        }
        match self.0.as_secs() {
            0 => f.write_str("0s"),
            s if s % DAY == 0 && s > DAY => write!(f, "{}d", s / DAY),
            s if s % 3600 == 0 => write!(f, "{}h", s / 3600),
            s if s % 60 == 0 => write!(f, "{}m", s / 60),
            s if s < 3600 => write!(f, "{s}s"),
            _ => write!(f, "{}", humantime::format_duration(self.0)),
        }
    }
}

/// The longest duration a setting takes: far beyond any sensible interval, and far enough
/// below the host's millisecond clock arithmetic (about 292 million years) that adding a few
/// durations to a time never overflows.
/// (A year is 365.25 days, as humantime counts `"1y"`.)
pub const MAX_DURATION: Duration = Duration::from_secs(100 * 31_557_600);

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let d = humantime::parse_duration(text.trim()).map_err(|e| {
            serde::de::Error::custom(format!(
                "invalid duration {text:?} ({e}); write a number and a unit, \
                 like \"90s\", \"15m\", \"24h\" or \"30d\""
            ))
        })?;
        if d > MAX_DURATION {
            return Err(serde::de::Error::custom(format!(
                "duration {text:?} is longer than 100 years, the longest a setting takes"
            )));
        }
        Ok(HumanDuration(d))
    }
}

impl Serialize for HumanDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl JsonSchema for HumanDuration {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A duration with a unit: \"90s\", \"15m\", \"24h\", \"30d\"; at most 100 years.",
            "examples": ["15m", "24h"]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_rejects_bare_numbers() {
        let d: HumanDuration = serde_json::from_str("\"15m\"").unwrap();
        assert_eq!(d.get(), Duration::from_secs(900));
        let d: HumanDuration = serde_json::from_str("\"30d\"").unwrap();
        assert_eq!(d.get(), Duration::from_secs(30 * 86400));
        let err = serde_json::from_str::<HumanDuration>("\"900\"").unwrap_err();
        assert!(err.to_string().contains("\"15m\""), "{err}");
    }

    /// Found by the config property tests: `poll_interval = "18446744073709551615s"` was
    /// accepted, and the engine's next poll time (now + the interval, in ms) overflowed.
    #[test]
    fn durations_beyond_a_century_are_refused() {
        let d: HumanDuration = serde_json::from_str("\"100y\"").unwrap();
        assert_eq!(d.get(), MAX_DURATION);
        for text in ["\"101y\"", "\"18446744073709551615s\"", "\"5000000000d\""] {
            let err = serde_json::from_str::<HumanDuration>(text).unwrap_err();
            assert!(err.to_string().contains("longer than 100 years"), "{err}");
        }
    }

    #[test]
    fn displays_in_one_unit_as_people_write_it_and_parses_back() {
        for (secs, text) in [
            (0, "0s"),
            (90, "90s"),
            (900, "15m"),
            (3600, "1h"),
            (86_400, "24h"),
            (2_592_000, "30d"),
            (3601, "1h 1s"),
        ] {
            let d = HumanDuration::from_secs(secs);
            assert_eq!(d.to_string(), text);
            assert_eq!(humantime::parse_duration(text).unwrap(), d.get(), "{text}");
        }
        assert_eq!(
            HumanDuration(Duration::from_millis(500)).to_string(),
            "500ms"
        );
    }
}
