//! [`HumanDuration`]: durations in config written the way people write them (`"90s"`, `"15m"`,
//! `"24h"`, `"30d"`), in one syntax for the host's keys and every plugin's.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use schemars::JsonSchema;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// The longest duration a [`HumanDuration`] parses: 100 years (a year is 365.25 days, as
/// `"1y"` counts). Far beyond any sensible interval, and far enough below the host's
/// millisecond clock arithmetic (about 292 million years) that adding a few durations to a
/// time never overflows.
pub const MAX_DURATION: Duration = Duration::from_secs(100 * 31_557_600);

/// What a valid duration looks like, for error messages.
const EXAMPLES: &str = "like \"90s\", \"15m\", \"24h\" or \"30d\"";

/// A duration in config, written as text with a unit: `"90s"`, `"15m"`, `"1h 30m"`, `"30d"`.
///
/// Parsing (from config through serde, or with [`str::parse`]) reads
/// [humantime](https://docs.rs/humantime)'s syntax after trimming surrounding whitespace. It
/// refuses a bare number (`"90"`: seconds or minutes?) and anything longer than
/// [`MAX_DURATION`], with a message that says what a valid value looks like.
///
/// Display and serialization write one unit, the largest that divides the duration (`3600` s
/// is `1h`, `900` s is `15m`, `2592000` s is `30d`), except that a whole day stays in hours
/// (`24h`); anything else (`1h 1s`, `500ms`) is written as humantime writes it. What is
/// written parses back to the same duration.
///
/// ```
/// use std::time::Duration;
/// use serde::Deserialize;
/// use sluice_sdk::HumanDuration;
///
/// #[derive(Deserialize)]
/// struct Settings {
///     request_timeout: HumanDuration,
/// }
///
/// let settings: Settings = serde_json::from_str(r#"{"request_timeout": " 90s "}"#).unwrap();
/// assert_eq!(settings.request_timeout.get(), Duration::from_secs(90));
///
/// assert_eq!("1h 30m".parse(), Ok(HumanDuration::from_secs(5400)));
/// assert_eq!(HumanDuration::from_secs(900).to_string(), "15m");
///
/// let refused = "90".parse::<HumanDuration>().unwrap_err();
/// assert!(refused.to_string().contains("\"90s\""));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct HumanDuration(pub Duration);

impl HumanDuration {
    /// A duration of `secs` seconds.
    pub const fn from_secs(secs: u64) -> Self {
        HumanDuration(Duration::from_secs(secs))
    }

    /// A duration of `millis` milliseconds.
    pub const fn from_millis(millis: u64) -> Self {
        HumanDuration(Duration::from_millis(millis))
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

/// Why a text is not a [`HumanDuration`]. The message quotes the text and says what a valid
/// value looks like.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseDurationError {
    message: String,
}

impl FromStr for HumanDuration {
    type Err = ParseDurationError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let refuse = |message| Err(ParseDurationError { message });
        let d = match humantime::parse_duration(text.trim()) {
            Ok(d) => d,
            Err(e) => {
                return refuse(format!(
                    "invalid duration {text:?} ({e}); write a number and a unit, {EXAMPLES}"
                ))
            }
        };
        if d > MAX_DURATION {
            return refuse(format!(
                "duration {text:?} is longer than 100 years, the longest a setting takes"
            ));
        }
        Ok(HumanDuration(d))
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HOUR: u64 = 3600;
        const DAY: u64 = 24 * HOUR;
        if self.0.subsec_nanos() != 0 {
            return write!(f, "{}", humantime::format_duration(self.0));
        }
        match self.0.as_secs() {
            0 => f.write_str("0s"),
            s if s % DAY == 0 && s > DAY => write!(f, "{}d", s / DAY),
            s if s % HOUR == 0 => write!(f, "{}h", s / HOUR),
            s if s % 60 == 0 => write!(f, "{}m", s / 60),
            s if s < HOUR => write!(f, "{s}s"),
            _ => write!(f, "{}", humantime::format_duration(self.0)),
        }
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;

        impl Visitor<'_> for Text {
            type Value = HumanDuration;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a duration with a unit, {EXAMPLES}")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<HumanDuration, E> {
                text.parse().map_err(E::custom)
            }
        }

        deserializer.deserialize_str(Text)
    }
}

/// Written as [`Display`](fmt::Display) writes it.
impl Serialize for HumanDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl JsonSchema for HumanDuration {
    fn schema_name() -> Cow<'static, str> {
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

    fn parse(text: &str) -> Result<HumanDuration, String> {
        text.parse().map_err(|e: ParseDurationError| e.to_string())
    }

    #[test]
    fn parses_the_usual_forms_trimmed() {
        for (text, secs) in [
            ("90s", 90),
            ("15m", 900),
            (" 24h ", 86_400),
            ("1h 30m", 5_400),
            ("30d", 30 * 86_400),
            ("2days", 2 * 86_400),
        ] {
            assert_eq!(parse(text), Ok(HumanDuration::from_secs(secs)), "{text}");
        }
        assert_eq!(parse("500ms"), Ok(HumanDuration::from_millis(500)));
    }

    #[test]
    fn refuses_bare_numbers_and_nonsense_with_an_example() {
        for bad in ["900", "soon", "", "-5s"] {
            let err = parse(bad).err().unwrap_or_default();
            assert!(err.contains("\"15m\""), "{bad}: {err}");
        }
        let err = serde_json::from_str::<HumanDuration>("\"900\"")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("\"15m\""), "{err}");
        let err = serde_json::from_str::<HumanDuration>("900")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("a duration with a unit"), "{err}");
    }

    /// `poll_interval = "18446744073709551615s"` was once accepted, and the engine's next poll
    /// time (now + the interval, in ms) overflowed.
    #[test]
    fn durations_beyond_a_century_are_refused() {
        assert_eq!(parse("100y").map(HumanDuration::get), Ok(MAX_DURATION));
        for text in ["101y", "18446744073709551615s", "5000000000d"] {
            let err = parse(text).err().unwrap_or_default();
            assert!(err.contains("longer than 100 years"), "{err}");
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
            assert_eq!(parse(text), Ok(d), "{text}");
        }
        assert_eq!(HumanDuration::from_millis(500).to_string(), "500ms");
    }

    #[test]
    fn serializes_as_displayed() {
        let text = serde_json::to_string(&HumanDuration::from_secs(86_400)).unwrap_or_default();
        assert_eq!(text, "\"24h\"");
        assert_eq!(
            Duration::from(HumanDuration::from_secs(3)),
            Duration::from_secs(3)
        );
    }
}
