//! One adapter per ServiceNow release, Helsinki (2016) to Brazil (2026). An adapter states
//! what this sink does differently on its release, nothing else: the requests themselves are
//! written once, in `actions/`, and ask the adapter where they must differ. Adding a release
//! is one entry in [`ADAPTERS`] (`releases.rs`); swapping releases is the config change
//! `release = "zurich"`.
//!
//! What differs, and why (ranges are inclusive, oldest first):
//!
//! | release | year | `X-no-response-body` | `hold_reason` | close codes of the era | client credentials, API key |
//! |---|---|---|---|---|---|
//! | Helsinki | 2016 | no | no | "Solved (…)" | no |
//! | Istanbul | 2017 | no | no | "Solved (…)" | no |
//! | Jakarta (experimental) | 2017 | no | yes | "Solved (…)" | no |
//! | Kingston, London | 2018 | yes | yes | "Solved (…)" | no |
//! | Madrid … Vancouver | 2019–2023 | yes | yes | either list | no |
//! | Washington DC … Brazil | 2024–2026 | yes | yes | today's list | yes |
//!
//! The evidence:
//!
//! - Table API `/api/now/v2/table` on every release: v2 exists since Geneva and is still the
//!   documented path today, with the same envelope and error body.
//! - Attachment API `/api/now/v1/attachment/file`, binary, on every release: documented from
//!   Geneva to today; the multipart form's field names are not documented for every release,
//!   so it is not used.
//! - `X-no-response-body`: observed on 2018 (Kingston/London era) instances, in
//!   `tests/fixtures/servicenow-captures-2018/`, and documented in today's Table API
//!   reference for POST, PUT and PATCH; neither documented nor observed before 2018.
//! - `hold_reason`: the on-hold reason list exists on new instances as of Jakarta
//!   (ServiceNow documentation), with the same values today.
//! - Close codes: integrations of 2016–2018 sent the "Solved (…)" list (Ansible's mapping,
//!   Elastic's connector); today's documentation lists Duplicate … User error, and Ansible's
//!   ServiceNow collection moved to that list in April 2024, the Washington DC era. Which
//!   release between switched is not documented, so from Madrid to Vancouver either list is
//!   taken. The sink reads the instance's own list at start anyway and picks its default
//!   from it.
//! - OAuth client credentials and API keys (`x-sn-apikey`): from Washington DC, says
//!   ServiceNow (KB1645212 for the grant; the API key documentation starts with Washington
//!   DC). The password and refresh-token grants exist on every release.
//! - Jakarta is experimental because the Netwrix Auditor add-on this sink replaces documented
//!   its Jakarta support so.
//!
//! Behaviour that is not release-bound is not here: the state model depends on whether the
//! instance was installed new or upgraded from before Helsinki, so the sink reads it from
//! `sys_choice` at start instead; 429 handling applies on every release because no
//! documentation says which release introduced rate-limit rules.

mod releases;

pub(crate) use releases::ADAPTERS;

use crate::signin::Method;

/// Which Table API version an adapter pins. The only documented difference between them: a
/// collection GET that matches nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TableApi {
    /// `/api/now/v1/table`: an empty collection GET answers 404 (KB0551763).
    #[allow(dead_code)] // no shipped adapter uses v1; the lookups still handle it
    V1,
    /// `/api/now/v2/table`: an empty collection GET answers 200 `{"result":[]}`.
    V2,
}

impl TableApi {
    /// The path prefix, without a trailing slash.
    pub(crate) fn path(self) -> &'static str {
        match self {
            TableApi::V1 => "/api/now/v1/table",
            TableApi::V2 => "/api/now/v2/table",
        }
    }

    /// Whether a collection GET that matches nothing answers 404 instead of an empty list.
    pub(crate) fn empty_query_is_404(self) -> bool {
        self == TableApi::V1
    }
}

/// The incident close-code list a release's base system ships.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CloseCodeEra {
    /// "Solved (Permanently)" and the rest ([`SOLVED_CLOSE_CODES`]).
    Solved,
    /// Not documented which: either list.
    Either,
    /// Today's list ([`CURRENT_CLOSE_CODES`]).
    Current,
}

/// The `close_code` choices of 2016–2018 base systems, as integrations of the time sent them
/// (Ansible's mapping; Elastic's connector closes with `Closed/Resolved by Caller`). Later
/// releases replaced the list; the instance drops an unknown value without an error, hence
/// the check at start.
pub(crate) const SOLVED_CLOSE_CODES: &[&str] = &[
    "Solved (Work Around)",
    "Solved (Permanently)",
    "Solved Remotely (Work Around)",
    "Solved Remotely (Permanently)",
    "Not Solved (Not Reproducible)",
    "Not Solved (Too Costly)",
    "Closed/Resolved by Caller",
];

/// The `close_code` choices of today's base system (ServiceNow's "resolve and close an
/// incident" documentation).
pub(crate) const CURRENT_CLOSE_CODES: &[&str] = &[
    "Duplicate",
    "Known error",
    "No resolution provided",
    "Resolved by caller",
    "Resolved by change",
    "Resolved by problem",
    "Resolved by request",
    "Solution provided",
    "Workaround provided",
    "User error",
];

/// What one release does differently. Every field is required, so each entry of
/// [`ADAPTERS`] reads as that release's complete row of the table above.
#[derive(Debug)]
pub(crate) struct Adapter {
    /// The name `release = "…"` uses: lower case, no spaces (`"washingtondc"`), as
    /// ServiceNow's documentation bundles write it.
    name: &'static str,
    /// The release as ServiceNow spells it (`"Washington DC"`).
    title: &'static str,
    /// The year the release family became generally available.
    year: u16,
    /// Whether `X-no-response-body: true` may be sent (`suppress_update_bodies`).
    no_response_body: bool,
    /// Whether incidents have the `hold_reason` field; without it, the instance drops writes
    /// to it without an error, so the sink drops them itself, with a warning.
    hold_reason: bool,
    /// The base system's close-code list.
    close_codes: CloseCodeEra,
    /// Whether the OAuth client-credentials grant and API keys exist.
    modern_sign_ins: bool,
    /// Why support is experimental, if it is; logged as a warning when the sink starts.
    experimental: Option<&'static str>,
}

impl Adapter {
    /// The name `release = "…"` uses (`"washingtondc"`).
    pub(crate) fn name(&self) -> &'static str {
        self.name
    }
    /// The release as ServiceNow spells it (`"Washington DC"`).
    pub(crate) fn title(&self) -> &'static str {
        self.title
    }
    /// The year the release family became generally available.
    pub(crate) fn year(&self) -> u16 {
        self.year
    }
    /// The Table API version to pin: v2 on every release.
    pub(crate) fn table_api(&self) -> TableApi {
        TableApi::V2
    }
    /// Path of the binary upload endpoint of the Attachment API, the same on every release.
    pub(crate) fn attachment_file_path(&self) -> &'static str {
        "/api/now/v1/attachment/file"
    }
    /// Whether `X-no-response-body: true` may be sent (`suppress_update_bodies`).
    pub(crate) fn no_response_body(&self) -> bool {
        self.no_response_body
    }
    /// Whether incidents have the `hold_reason` field.
    pub(crate) fn hold_reason(&self) -> bool {
        self.hold_reason
    }
    /// The `close_code` values of the release's era, to check `close_code` against when the
    /// instance's own choice list cannot be read.
    pub(crate) fn close_codes(&self) -> Vec<&'static str> {
        match self.close_codes {
            CloseCodeEra::Solved => SOLVED_CLOSE_CODES.to_vec(),
            CloseCodeEra::Either => [SOLVED_CLOSE_CODES, CURRENT_CLOSE_CODES].concat(),
            CloseCodeEra::Current => CURRENT_CLOSE_CODES.to_vec(),
        }
    }
    /// The close code a resolve sends when neither the action nor `close_code` names one, in
    /// order of preference; the first the instance lists is taken.
    pub(crate) fn default_close_codes(&self) -> &'static [&'static str] {
        match self.close_codes {
            CloseCodeEra::Solved => &["Solved (Permanently)"],
            CloseCodeEra::Either => &["Solution provided", "Solved (Permanently)"],
            CloseCodeEra::Current => &["Solution provided"],
        }
    }
    /// The era's own default when the instance's list cannot be read; `None` where the era
    /// is not known.
    pub(crate) fn era_default_close_code(&self) -> Option<&'static str> {
        match self.close_codes {
            CloseCodeEra::Either => None,
            _ => self.default_close_codes().first().copied(),
        }
    }
    /// Whether the release has sign-in `method`.
    pub(crate) fn has_sign_in(&self, method: Method) -> bool {
        match method {
            Method::Basic | Method::OAuthPassword => true,
            Method::OAuthClientCredentials | Method::ApiKey => self.modern_sign_ins,
        }
    }
    /// Why support is experimental, if it is.
    pub(crate) fn experimental(&self) -> Option<&'static str> {
        self.experimental
    }
}

/// `text` as a release name: lower case, without spaces, dots, hyphens or underscores, so
/// `Washington DC`, `washington dc` and `washingtondc` are one release.
fn normalise(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '.' | '-' | '_'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The adapter for `release`, however it is written.
pub(crate) fn find(release: &str) -> Option<&'static Adapter> {
    let wanted = normalise(release);
    ADAPTERS.iter().find(|a| a.name == wanted)
}

/// The oldest release with sign-in `method`.
pub(crate) fn introducing(method: Method) -> Option<&'static Adapter> {
    ADAPTERS.iter().find(|a| a.has_sign_in(method))
}

/// The supported releases for messages: `helsinki, istanbul, jakarta (experimental), …`.
pub(crate) fn supported() -> String {
    ADAPTERS
        .iter()
        .map(|a| {
            if a.experimental().is_some() {
                format!("{} (experimental)", a.name())
            } else {
                a.name().to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_release_is_found_however_people_write_it() {
        for adapter in &ADAPTERS {
            assert_eq!(
                find(adapter.name()).map(|a| a.title()),
                Some(adapter.title())
            );
            assert_eq!(
                find(adapter.title()).map(|a| a.name()),
                Some(adapter.name())
            );
            assert!(find(&adapter.title().to_uppercase()).is_some());
        }
        for text in [
            "washingtondc",
            "washington dc",
            "Washington DC",
            "Washington D.C.",
        ] {
            assert_eq!(
                find(text).map(|a| a.title()),
                Some("Washington DC"),
                "{text}"
            );
        }
        assert!(find("ankara").is_none());
    }

    #[test]
    fn releases_are_oldest_first_and_only_jakarta_is_experimental() {
        for pair in ADAPTERS.windows(2) {
            assert!(pair[0].year() <= pair[1].year(), "{pair:?}");
        }
        let experimental: Vec<_> = ADAPTERS
            .iter()
            .filter(|a| a.experimental().is_some())
            .map(|a| a.name())
            .collect();
        assert_eq!(experimental, ["jakarta"]);
        let text = supported();
        assert!(
            text.starts_with(
                "helsinki, istanbul, jakarta (experimental), kingston, london, madrid"
            ),
            "{text}"
        );
        assert!(text.ends_with("washingtondc, xanadu, yokohama, zurich, australia, brazil"));
    }

    #[test]
    fn bodies_may_be_skipped_from_kingston_on() {
        let lean: Vec<_> = ADAPTERS
            .iter()
            .filter(|a| a.no_response_body())
            .map(|a| a.name())
            .collect();
        assert_eq!(lean.first(), Some(&"kingston"));
        assert_eq!(lean.len(), ADAPTERS.len() - 3);
    }

    #[test]
    fn modern_sign_ins_start_with_washington_dc() {
        for method in [Method::OAuthClientCredentials, Method::ApiKey] {
            assert_eq!(introducing(method).map(|a| a.name()), Some("washingtondc"));
        }
        assert_eq!(
            introducing(Method::Basic).map(|a| a.name()),
            Some("helsinki")
        );
    }

    #[test]
    fn close_code_eras() {
        let code = |name: &str| find(name).and_then(Adapter::era_default_close_code);
        assert_eq!(code("london"), Some("Solved (Permanently)"));
        assert_eq!(code("rome"), None);
        assert_eq!(code("zurich"), Some("Solution provided"));
        let rome = find("rome").map(Adapter::close_codes).unwrap_or_default();
        assert!(rome.contains(&"Solved (Permanently)") && rome.contains(&"Solution provided"));
    }

    #[test]
    fn every_adapter_pins_v2_and_the_binary_upload() {
        for adapter in &ADAPTERS {
            assert_eq!(adapter.table_api().path(), "/api/now/v2/table");
            assert_eq!(
                adapter.attachment_file_path(),
                "/api/now/v1/attachment/file"
            );
        }
    }
}
