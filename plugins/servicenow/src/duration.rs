//! Durations in config written the way people write them (`"60s"`, `"2m"`), the same form the
//! host's own keys use.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A duration written as text with a unit: `"60s"`, `"90s"`, `"2m"`.
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
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", humantime::format_duration(self.0))
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        humantime::parse_duration(text.trim())
            .map(HumanDuration)
            .map_err(|e| {
                serde::de::Error::custom(format!(
                    "invalid duration {text:?} ({e}); write a number and a unit, like \"60s\" or \"2m\""
                ))
            })
    }
}

/// Whole seconds as `"60s"` (the form the docs use), anything finer in humantime's form.
impl Serialize for HumanDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0.subsec_nanos() == 0 {
            serializer.collect_str(&format_args!("{}s", self.0.as_secs()))
        } else {
            serializer.collect_str(self)
        }
    }
}

impl JsonSchema for HumanDuration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A duration with a unit: \"60s\", \"90s\", \"2m\".",
            "examples": ["60s"]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_rejects_bare_numbers() {
        let d: Result<HumanDuration, _> = serde_json::from_str("\"90s\"");
        assert_eq!(d.ok(), Some(HumanDuration::from_secs(90)));
        let err = serde_json::from_str::<HumanDuration>("\"60\"")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("\"60s\""), "{err}");
        let text = serde_json::to_string(&HumanDuration::from_secs(60)).unwrap_or_default();
        assert_eq!(text, "\"60s\"");
    }
}
