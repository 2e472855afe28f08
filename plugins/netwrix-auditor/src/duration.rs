//! [`HumanDuration`]: a config duration written as text (`"180s"`, `"15m"`, `"24h"`), in the
//! same syntax as the host's own config (humantime), so one pipeline file reads one way.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

/// A duration from config text such as `"180s"`, `"15m"`, `"1h 30m"` or `"2days"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct HumanDuration(pub Duration);

impl HumanDuration {
    /// `secs` seconds.
    pub const fn from_secs(secs: u64) -> Self {
        HumanDuration(Duration::from_secs(secs))
    }

    /// The duration.
    pub const fn get(self) -> Duration {
        self.0
    }

    /// Parses config text; the error says what a valid value looks like.
    pub fn parse(text: &str) -> Result<Self, String> {
        humantime::parse_duration(text.trim())
            .map(HumanDuration)
            .map_err(|e| {
                format!(
                    "invalid duration {text:?} ({e}); write a number with a unit, like \"180s\", \
                     \"15m\" or \"24h\""
                )
            })
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", humantime::format_duration(self.0))
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl Visitor<'_> for Text {
            type Value = HumanDuration;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration like \"180s\", \"15m\" or \"24h\"")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<HumanDuration, E> {
                HumanDuration::parse(text).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_usual_forms() {
        assert_eq!(
            HumanDuration::parse("180s"),
            Ok(HumanDuration::from_secs(180))
        );
        assert_eq!(
            HumanDuration::parse("15m"),
            Ok(HumanDuration::from_secs(900))
        );
        assert_eq!(
            HumanDuration::parse(" 24h "),
            Ok(HumanDuration::from_secs(86_400))
        );
        assert_eq!(
            HumanDuration::parse("1h 30m"),
            Ok(HumanDuration::from_secs(5_400))
        );
    }

    #[test]
    fn refuses_bare_numbers_and_nonsense_with_an_example() {
        for bad in ["180", "soon", "", "-5s"] {
            let err = HumanDuration::parse(bad).err().unwrap_or_default();
            assert!(err.contains("\"180s\""), "{bad}: {err}");
        }
    }
}
