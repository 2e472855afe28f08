//! The ServiceNow releases the emulator can stand in for, Helsinki (2016) to Brazil (2026),
//! and how people write their names.
//!
//! ServiceNow names a release family after a city, in alphabetical order, about every six
//! months; its documentation bundles spell the name in lower case without spaces
//! (`washingtondc`, `sandiego`), which is the canonical key here. People also write
//! `Washington DC`, `washington dc` or `San-Diego`: [`Release::from_str`] takes any of them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A ServiceNow release family, oldest first (so `release >= Release::WashingtonDc` reads as
/// "Washington DC or later").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Release {
    /// Helsinki (2016): first release with the new incident state model.
    Helsinki,
    /// Istanbul (2017).
    Istanbul,
    /// Jakarta (2017): hold-reason choices on new instances.
    Jakarta,
    /// Kingston (2018): the release era of the 2018 captures.
    Kingston,
    /// London (2018); the Batch API appears.
    London,
    /// Madrid (2019).
    Madrid,
    /// New York (2019).
    NewYork,
    /// Orlando (2020).
    Orlando,
    /// Paris (2020).
    Paris,
    /// Quebec (2021).
    Quebec,
    /// Rome (2021).
    Rome,
    /// San Diego (2022).
    SanDiego,
    /// Tokyo (2022).
    Tokyo,
    /// Utah (2023).
    Utah,
    /// Vancouver (2023).
    Vancouver,
    /// Washington DC (2024): OAuth client credentials, API keys.
    WashingtonDc,
    /// Xanadu (2024).
    Xanadu,
    /// Yokohama (2025).
    Yokohama,
    /// Zurich (2025).
    Zurich,
    /// Australia (2026).
    Australia,
    /// Brazil (2026).
    Brazil,
}

impl Release {
    /// Every release, oldest first; tests loop over it.
    pub const ALL: [Release; 21] = [
        Release::Helsinki,
        Release::Istanbul,
        Release::Jakarta,
        Release::Kingston,
        Release::London,
        Release::Madrid,
        Release::NewYork,
        Release::Orlando,
        Release::Paris,
        Release::Quebec,
        Release::Rome,
        Release::SanDiego,
        Release::Tokyo,
        Release::Utah,
        Release::Vancouver,
        Release::WashingtonDc,
        Release::Xanadu,
        Release::Yokohama,
        Release::Zurich,
        Release::Australia,
        Release::Brazil,
    ];

    /// The release name as ServiceNow spells it (`"Washington DC"`).
    pub fn name(self) -> &'static str {
        self.names().0
    }

    /// The name as ServiceNow's documentation bundles and sluice's config write it: lower
    /// case, no spaces (`"washingtondc"`).
    pub fn key(self) -> &'static str {
        self.names().1
    }

    /// The year the release family became generally available.
    pub fn year(self) -> u16 {
        self.names().2
    }

    fn names(self) -> (&'static str, &'static str, u16) {
        match self {
            Release::Helsinki => ("Helsinki", "helsinki", 2016),
            Release::Istanbul => ("Istanbul", "istanbul", 2017),
            Release::Jakarta => ("Jakarta", "jakarta", 2017),
            Release::Kingston => ("Kingston", "kingston", 2018),
            Release::London => ("London", "london", 2018),
            Release::Madrid => ("Madrid", "madrid", 2019),
            Release::NewYork => ("New York", "newyork", 2019),
            Release::Orlando => ("Orlando", "orlando", 2020),
            Release::Paris => ("Paris", "paris", 2020),
            Release::Quebec => ("Quebec", "quebec", 2021),
            Release::Rome => ("Rome", "rome", 2021),
            Release::SanDiego => ("San Diego", "sandiego", 2022),
            Release::Tokyo => ("Tokyo", "tokyo", 2022),
            Release::Utah => ("Utah", "utah", 2023),
            Release::Vancouver => ("Vancouver", "vancouver", 2023),
            Release::WashingtonDc => ("Washington DC", "washingtondc", 2024),
            Release::Xanadu => ("Xanadu", "xanadu", 2024),
            Release::Yokohama => ("Yokohama", "yokohama", 2025),
            Release::Zurich => ("Zurich", "zurich", 2025),
            Release::Australia => ("Australia", "australia", 2026),
            Release::Brazil => ("Brazil", "brazil", 2026),
        }
    }

    /// Every key, oldest first, for messages: `helsinki, istanbul, …, brazil`.
    pub fn keys() -> String {
        Release::ALL.map(Release::key).join(", ")
    }
}

/// `text` as a release key: lower case, without spaces, dots, hyphens or underscores
/// (`"Washington D.C."` → `"washingtondc"`).
pub fn normalise_release_name(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '.' | '-' | '_'))
        .flat_map(char::to_lowercase)
        .collect()
}

impl fmt::Display for Release {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A release name that is not one of [`Release::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown ServiceNow release `{0}`; expected one of {keys}", keys = Release::keys())]
pub struct UnknownRelease(pub String);

impl FromStr for Release {
    type Err = UnknownRelease;

    /// `washingtondc`, `washington dc`, `Washington DC` and `WASHINGTON-DC` all parse.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = normalise_release_name(s);
        Release::ALL
            .into_iter()
            .find(|r| r.key() == wanted)
            .ok_or_else(|| UnknownRelease(s.trim().to_owned()))
    }
}

impl Serialize for Release {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.key())
    }
}

impl<'de> Deserialize<'de> for Release {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_people_use_parses() {
        for text in [
            "washingtondc",
            "washington dc",
            "Washington DC",
            "WASHINGTON-DC",
            " Washington D.C. ",
        ] {
            assert_eq!(text.parse::<Release>(), Ok(Release::WashingtonDc), "{text}");
        }
        for release in Release::ALL {
            assert_eq!(release.name().parse::<Release>(), Ok(release));
            assert_eq!(release.key().parse::<Release>(), Ok(release));
            assert_eq!(
                serde_json::to_value(release).ok(),
                Some(serde_json::json!(release.key()))
            );
        }
    }

    #[test]
    fn an_unknown_name_is_refused_with_the_list() {
        let err = "Ankara".parse::<Release>().err();
        let text = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("`Ankara`"), "{text}");
        assert!(
            text.contains("helsinki, istanbul, jakarta, kingston, london, madrid"),
            "{text}"
        );
        assert!(text.ends_with("zurich, australia, brazil"), "{text}");
    }

    #[test]
    fn releases_are_in_order_and_a_year_apart_at_most() {
        for pair in Release::ALL.windows(2) {
            assert!(pair[0] < pair[1]);
            assert!(pair[1].year() - pair[0].year() <= 1, "{pair:?}");
        }
    }
}
