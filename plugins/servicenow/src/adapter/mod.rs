//! One adapter per ServiceNow release. An adapter states what this sink does differently on its
//! release, nothing else: the requests themselves are written once, in `actions/`, and ask the
//! adapter where they must differ. Adding a release is one new module and one line in
//! [`ADAPTERS`]; swapping releases is the config change `release = "london"`.
//!
//! What differs, and why:
//!
//! | | Helsinki | Istanbul | Jakarta | Kingston | London | evidence |
//! |---|---|---|---|---|---|---|
//! | Table API path | `/api/now/v2/table` | same | same | same | same | ServiceNow documentation: v2 exists since Geneva, so every release has it; pinned |
//! | Attachment API | `/api/now/v1/attachment/file`, binary | same | same | same | same | ServiceNow documentation, Geneva and later; the multipart form's field names are not documented, so it is not used |
//! | `X-no-response-body` allowed | no | no | no | yes | yes | observed on 2018 (Kingston/London era) instances, in `tests/fixtures/servicenow-captures-2018/`; not documented or observed earlier |
//! | `hold_reason` field | no | no | yes | yes | yes | ServiceNow documentation: the on-hold reason list exists on new instances as of Jakarta |
//! | close codes of the era | "Solved (…)" list | same | same | same | same | what integrations of the time sent (Ansible's mapping, Elastic's connector) |
//! | experimental | no | no | **yes** | no | no | the Netwrix add-on documents Jakarta support as experimental |
//!
//! Behaviour that is not release-bound is not here: the state model depends on whether the
//! instance was installed new or upgraded from before Helsinki, so the sink reads it from
//! `sys_choice` at start instead; 429 handling applies on every release because no
//! documentation says which release introduced rate-limit rules.

mod helsinki;
mod istanbul;
mod jakarta;
mod kingston;
mod london;

use std::fmt;

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

/// What one release does differently. Every method is required, so each adapter's module
/// reads as that release's complete entry in the table above.
pub(crate) trait Adapter: Send + Sync + fmt::Debug {
    /// The name `release = "…"` uses: lower case (`"london"`).
    fn name(&self) -> &'static str;
    /// The release as ServiceNow spells it (`"London"`).
    fn title(&self) -> &'static str;
    /// The Table API version to pin.
    fn table_api(&self) -> TableApi;
    /// Path of the binary upload endpoint of the Attachment API.
    fn attachment_file_path(&self) -> &'static str;
    /// Whether `X-no-response-body: true` may be sent (`suppress_update_bodies`).
    fn no_response_body(&self) -> bool;
    /// Whether incidents have the `hold_reason` field; without it, the instance drops writes to
    /// it without an error, so the sink drops them itself, with a warning.
    fn hold_reason(&self) -> bool;
    /// The `close_code` values of the release's era, to check `close_code` against when the
    /// instance's own choice list cannot be read.
    fn close_codes(&self) -> &'static [&'static str];
    /// Why support is experimental, if it is; logged as a warning when the sink starts.
    fn experimental(&self) -> Option<&'static str>;
}

/// The `close_code` choices of 2016–2018 base systems, as integrations of the time sent them
/// (Ansible's mapping; Elastic's connector closes with `Closed/Resolved by Caller`). Later
/// releases replaced the list; the instance drops an unknown value without an error, hence
/// the check at start.
pub(crate) const ERA_CLOSE_CODES: &[&str] = &[
    "Solved (Work Around)",
    "Solved (Permanently)",
    "Solved Remotely (Work Around)",
    "Solved Remotely (Permanently)",
    "Not Solved (Not Reproducible)",
    "Not Solved (Too Costly)",
    "Closed/Resolved by Caller",
];

/// Every supported release, oldest first.
pub(crate) static ADAPTERS: [&dyn Adapter; 5] = [
    &helsinki::Helsinki,
    &istanbul::Istanbul,
    &jakarta::Jakarta,
    &kingston::Kingston,
    &london::London,
];

/// The adapter for `release` (case-insensitive).
pub(crate) fn find(release: &str) -> Option<&'static dyn Adapter> {
    let release = release.trim();
    ADAPTERS
        .iter()
        .copied()
        .find(|a| a.name().eq_ignore_ascii_case(release))
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
    fn every_release_is_found_by_its_name_in_any_case() {
        for adapter in ADAPTERS {
            assert_eq!(
                find(adapter.name()).map(|a| a.title()),
                Some(adapter.title())
            );
            assert!(find(&adapter.title().to_uppercase()).is_some());
        }
        assert!(find("madrid").is_none());
    }

    #[test]
    fn only_jakarta_is_experimental_and_only_2018_releases_skip_bodies() {
        let experimental: Vec<_> = ADAPTERS
            .iter()
            .filter(|a| a.experimental().is_some())
            .map(|a| a.name())
            .collect();
        assert_eq!(experimental, ["jakarta"]);
        let lean: Vec<_> = ADAPTERS
            .iter()
            .filter(|a| a.no_response_body())
            .map(|a| a.name())
            .collect();
        assert_eq!(lean, ["kingston", "london"]);
        assert_eq!(
            supported(),
            "helsinki, istanbul, jakarta (experimental), kingston, london"
        );
    }

    #[test]
    fn every_adapter_pins_v2_and_the_binary_upload() {
        for adapter in ADAPTERS {
            assert_eq!(adapter.table_api().path(), "/api/now/v2/table");
            assert_eq!(
                adapter.attachment_file_path(),
                "/api/now/v1/attachment/file"
            );
        }
    }
}
