//! Release profiles: one set of behaviour switches per ServiceNow release.
//!
//! What is known of each behaviour is tagged: [C]onfirmed (ServiceNow's documentation or
//! knowledge base, or an exchange recorded with a real instance), [P]eer evidence (other
//! clients' code or write-ups: plausible, not authoritative) or [U]nverified (an inference).
//! Everything the emulator does that is not [C] for every release lives here as a switch, so
//! a test can flip it instead of trusting a guess. [`Profile::for_release`] picks the defaults;
//! the table below says which and why.
//!
//! | switch | Helsinki | Istanbul | Jakarta | Kingston | London | why |
//! |---|---|---|---|---|---|---|
//! | `state_model` | New | New | New | New | New | new model on new (zbooted) instances from Helsinki on; `Old` = an instance upgraded from an older release, which keeps the old model [C] |
//! | `hold_reason` | no | no | yes | yes | yes | the hold-reason choice list exists on new instances "as of Jakarta" [C] |
//! | `close_codes` | era list | era list | era list | era list | era list | the "Solved (…)" list of that era, as clients of the time send it [P] |
//! | `close_info` | None | None | None | DataPolicy | DataPolicy | [U]: whether 2016–2018 instances enforced close info server-side is not known. Guess: 2018 demo data says "Closed before close notes were made mandatory" (a record read in the same 2018 recording session as `tests/fixtures/servicenow-captures-2018/`), so the two 2018 releases enforce it |
//! | `closed_writes` | Strict | Strict | Strict | Strict | Strict | documented intent: closed incidents read-only for non-admins [C]; peers who saw writes succeed likely used admin users, which the emulator's admin credential reproduces [U] |
//! | `reopen` | CountAndClear | (same) | (same) | (same) | (same) | the UI's reopen increments `reopen_count`; what a REST reopen does to it and to the resolve fields [U] |
//! | `priority_on_update` | yes | yes | yes | yes | yes | the priority data lookup is believed to rerun when impact or urgency change [U] |
//! | `rate_limit` | none | none | none | none | none | no built-in default rule exists, admins add them [P]; the release that introduced rules [U] — tests opt in |
//! | `no_response_body_header` | no | no | no | yes | yes | `X-no-response-body` seen in the 2018 captures only ([C] for 2018, [U] earlier) |
//! | `invalid_query` | Ignore | Ignore | Ignore | Ignore | Ignore | ignoring an invalid term is documented since Geneva [C] |
//! | `v1_empty_is_404` | yes | yes | yes | yes | yes | the one documented difference between v1 and v2 (ServiceNow KB0551763) [C] |
//! | `name_value_filters` | no | no | no | yes | yes | only current docs [C]; a 2018–19 bridge relied on it [P] |
//! | `no_count_param` | no | no | no | no | no | `sysparm_no_count` only in current docs [U] |
//! | `link_on_single_page` | yes | yes | yes | yes | yes | the docs describe `Link` on collection GETs, prev/next left out when not applicable; one peer saw none on a single page [P] |
//! | `multipart_sys_id_field` | Either | Either | Either | Either | Either | `record_sys_id` (Geneva docs) vs `table_sys_id` (current); which one each release accepts [U] |
//! | `journal_table_readable` | yes | yes | yes | yes | yes | `sys_journal_field` ACLs may be stricter than the incident's [U] |
//! | `oauth` | yes | yes | yes | yes | yes | password + refresh grants on all five [P] |
//! | `max_body_bytes` | 10 MiB | 10 MiB | 10 MiB | 10 MiB | 10 MiB | ServiceNow's default REST payload cap, 10 MB (KB0747638) [C] |

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A ServiceNow release the emulator can stand in for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Release {
    /// Helsinki (2016): first release with the new incident state model.
    Helsinki,
    /// Istanbul (2017).
    Istanbul,
    /// Jakarta (2017): hold-reason choices on new instances.
    Jakarta,
    /// Kingston (2018): the release era of the 2018 captures.
    Kingston,
    /// London (2018).
    London,
}

impl Release {
    /// Every release, oldest first; tests loop over it.
    pub const ALL: [Release; 5] = [
        Release::Helsinki,
        Release::Istanbul,
        Release::Jakarta,
        Release::Kingston,
        Release::London,
    ];

    /// The release name as ServiceNow spells it (`"Kingston"`).
    pub fn name(self) -> &'static str {
        match self {
            Release::Helsinki => "Helsinki",
            Release::Istanbul => "Istanbul",
            Release::Jakarta => "Jakarta",
            Release::Kingston => "Kingston",
            Release::London => "London",
        }
    }
}

impl fmt::Display for Release {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A release name that is not one of [`Release::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown ServiceNow release `{0}`; expected one of helsinki, istanbul, jakarta, kingston, london")]
pub struct UnknownRelease(pub String);

impl FromStr for Release {
    type Err = UnknownRelease;

    /// Case-insensitive: `london`, `London` and `LONDON` all parse.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Release::ALL
            .into_iter()
            .find(|r| r.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownRelease(s.to_owned()))
    }
}

/// Which incident state model the instance runs. Independent of the release, because an
/// upgraded instance keeps the old model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StateModel {
    /// 1 New, 2 In Progress, 3 On Hold, 6 Resolved, 7 Closed, 8 Canceled.
    New,
    /// 1 New, 2 Active, 3 Awaiting Problem, 4 Awaiting User Info, 5 Awaiting Evidence,
    /// 6 Resolved, 7 Closed (instances upgraded from before Helsinki).
    Old,
}

/// Whether a non-admin may write to an inactive (Closed/Canceled) incident.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClosedWrites {
    /// 403 `ACL Exception Update Failed due to security constraints`.
    Strict,
    /// 200 and the write applies, as Elastic observed (kibana#162557).
    Permissive,
}

/// Whether resolving/closing requires close info (close code and notes) server-side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseInfoPolicy {
    /// Only a UI policy: REST writes are not checked.
    None,
    /// A data policy: 403 `Data Policy Exception: The following fields are mandatory: …` when
    /// the record would be Resolved/Closed without `close_code` and `close_notes`.
    DataPolicy,
}

/// What an invalid `sysparm_query` term does (the instance property
/// `glide.invalid_query.returns_no_rows` decides).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvalidQuery {
    /// The term is dropped and the rest of the query applies (default on every release).
    Ignore,
    /// The whole query matches nothing.
    NoRows,
}

/// Side effects of moving an incident from Resolved back to an open state (\[U\]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReopenEffects {
    /// Only `state`/`incident_state` change.
    None,
    /// `reopen_count` increments and `resolved_at`/`resolved_by` are cleared.
    CountAndClear,
}

/// Which multipart form field `/attachment/upload` reads the target sys_id from (\[U\]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MultipartSysIdField {
    /// `table_sys_id` (current docs).
    TableSysId,
    /// `record_sys_id` (Geneva docs).
    RecordSysId,
    /// Either name.
    Either,
}

/// Which API a rate-limit rule covers (rules are scoped to an API resource).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateLimitApi {
    /// The Table API (`/api/now/…/table/…`).
    Table,
    /// The Attachment API.
    Attachment,
    /// Both.
    All,
}

/// One inbound REST rate-limit rule (`sys_rate_limit_rules`): requests per clock hour.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitRule {
    /// Allowed requests per hour; request number `limit + 1` in an hour gets 429.
    pub requests_per_hour: u32,
    /// Which API the rule covers.
    pub api: RateLimitApi,
    /// Only this user (by user name); `None` = all users.
    #[serde(default)]
    pub user: Option<String>,
    /// The rule's sys_id, sent as `X-RateLimit-Rule`.
    pub rule_sys_id: String,
}

impl RateLimitRule {
    /// A Table API rule for all users, with a fixed rule sys_id.
    pub fn per_hour(requests_per_hour: u32) -> Self {
        RateLimitRule {
            requests_per_hour,
            api: RateLimitApi::Table,
            user: None,
            rule_sys_id: "5f0d4a1c4f5d130058ae7e918110c702".to_owned(),
        }
    }
}

/// Every behaviour switch of the emulator. Start from [`Profile::for_release`] and override
/// fields; see the module docs for the per-release defaults and their evidence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Profile {
    /// Incident state model.
    pub state_model: StateModel,
    /// Whether the `hold_reason` choice list exists; without it writes to `hold_reason` are
    /// dropped, without an error, like any value outside a choice list.
    pub hold_reason: bool,
    /// Valid `close_code` values; others are silently dropped, as modern instances do.
    pub close_codes: Vec<String>,
    /// Server-side close-info enforcement.
    pub close_info: CloseInfoPolicy,
    /// Writes to inactive incidents by non-admins.
    pub closed_writes: ClosedWrites,
    /// Side effects of a reopen (Resolved → open state).
    pub reopen: ReopenEffects,
    /// Recompute `priority` from impact × urgency on updates too (always on insert).
    pub priority_on_update: bool,
    /// Inbound rate limiting; `None` = no rule configured.
    pub rate_limit: Option<RateLimitRule>,
    /// Honour `X-no-response-body: true` on POST/PUT/PATCH.
    pub no_response_body_header: bool,
    /// Invalid `sysparm_query` terms.
    pub invalid_query: InvalidQuery,
    /// v1 collection GET with an empty page → 404 (KB0551763); otherwise 200 like v2.
    pub v1_empty_is_404: bool,
    /// Accept `field=value` query parameters as filters when `sysparm_query` is absent.
    pub name_value_filters: bool,
    /// Honour `sysparm_no_count=true` (omit `X-Total-Count`).
    pub no_count_param: bool,
    /// Send `Link` even when the result fits on one page.
    pub link_on_single_page: bool,
    /// Multipart upload field carrying the target sys_id.
    pub multipart_sys_id_field: MultipartSysIdField,
    /// Whether the API user may read `sys_journal_field` (403 otherwise).
    pub journal_table_readable: bool,
    /// `POST /oauth_token.do` with the password and refresh-token grants.
    pub oauth: bool,
    /// Largest accepted request body; larger → 400 (KB0747638: 10485760 bytes).
    pub max_body_bytes: usize,
}

/// `close_code` values of the 2016–2018 era (\[P\]: what the Ansible and Elastic clients send).
pub const ERA_CLOSE_CODES: [&str; 7] = [
    "Solved (Work Around)",
    "Solved (Permanently)",
    "Solved Remotely (Work Around)",
    "Solved Remotely (Permanently)",
    "Not Solved (Not Reproducible)",
    "Not Solved (Too Costly)",
    "Closed/Resolved by Caller",
];

/// Default REST payload cap (KB0747638).
pub const DEFAULT_MAX_BODY_BYTES: usize = 10_485_760;

impl Profile {
    /// The defaults for `release` (see the module docs for the table and its evidence).
    pub fn for_release(release: Release) -> Self {
        let from_2018 = matches!(release, Release::Kingston | Release::London);
        Profile {
            state_model: StateModel::New,
            hold_reason: release >= Release::Jakarta,
            close_codes: ERA_CLOSE_CODES.iter().map(|c| (*c).to_owned()).collect(),
            close_info: if from_2018 {
                CloseInfoPolicy::DataPolicy
            } else {
                CloseInfoPolicy::None
            },
            closed_writes: ClosedWrites::Strict,
            reopen: ReopenEffects::CountAndClear,
            priority_on_update: true,
            rate_limit: None,
            no_response_body_header: from_2018,
            invalid_query: InvalidQuery::Ignore,
            v1_empty_is_404: true,
            name_value_filters: from_2018,
            no_count_param: false,
            link_on_single_page: true,
            multipart_sys_id_field: MultipartSysIdField::Either,
            journal_table_readable: true,
            oauth: true,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }
}

impl Default for Profile {
    /// London's defaults.
    fn default() -> Self {
        Profile::for_release(Release::London)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_parses_case_insensitively_and_round_trips() {
        for release in Release::ALL {
            assert_eq!(release.to_string().parse::<Release>(), Ok(release));
            assert_eq!(
                release.name().to_uppercase().parse::<Release>(),
                Ok(release)
            );
        }
        assert!("madrid".parse::<Release>().is_err());
    }

    #[test]
    fn hold_reason_arrives_with_jakarta() {
        assert!(!Profile::for_release(Release::Istanbul).hold_reason);
        assert!(Profile::for_release(Release::Jakarta).hold_reason);
    }

    #[test]
    fn profile_deserializes_partially() {
        let profile: Profile =
            serde_json::from_str(r#"{"closed_writes":"permissive","state_model":"old"}"#)
                .expect("a partial profile parses");
        assert_eq!(profile.closed_writes, ClosedWrites::Permissive);
        assert_eq!(profile.state_model, StateModel::Old);
        assert_eq!(profile.max_body_bytes, DEFAULT_MAX_BODY_BYTES);
    }
}
