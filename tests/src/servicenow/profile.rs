//! Release profiles: one set of behaviour switches per ServiceNow release.
//!
//! What is known of each behaviour is tagged: [C]onfirmed (ServiceNow's documentation or
//! knowledge base, or an exchange recorded with a real instance), [P]eer evidence (other
//! clients' code or write-ups: plausible, not authoritative) or [U]nverified (an inference).
//! Everything the emulator does that is not [C] for every release lives here as a switch, so
//! a test can flip it instead of trusting a guess. [`Profile::for_release`] picks the defaults;
//! the table below says which and why. Ranges are inclusive and oldest first ("Kingston on" =
//! Kingston to Brazil).
//!
//! | switch | default | why |
//! |---|---|---|
//! | `state_model` | New, every release | new model on new (zbooted) instances from Helsinki on, unchanged to today; `Old` = an instance upgraded from an older release, which keeps the old model [C] |
//! | `hold_reason` | Jakarta on | the hold-reason choice list exists on new instances "as of Jakarta" [C]; hold reasons 1/3/4/5 still today [C] |
//! | `close_codes` | "Solved (…)" list to Vancouver; today's list (Duplicate … User error) from Washington DC | the old list is what clients of 2016–2018 send [P]; today's list is documented [C]; which release switched is not documented [U]: Ansible's `servicenow.itsm` moved to today's list in April 2024, the Washington DC era [P] |
//! | `close_info` | DataPolicy from Kingston | [U] for 2016–2018: 2018 demo data says "Closed before close notes were made mandatory" (a record read in the same 2018 recording session as `tests/fixtures/servicenow-captures-2018/`), so 2018 on enforce it; today's instances answer `Data Policy Exception` [P] |
//! | `closed_writes` | Strict, every release | documented intent: closed incidents read-only for non-admins [C]; peers who saw writes succeed likely used admin users, which the emulator's admin credential reproduces [U] |
//! | `reopen` | CountAndClear | the UI's reopen increments `reopen_count`; what a REST reopen does to it and to the resolve fields [U] |
//! | `priority_on_update` | yes | the priority data lookup is believed to rerun when impact or urgency change [U] |
//! | `rate_limit` | none | no built-in default rule exists, admins add them [P]; the release that introduced rules [U] — tests opt in |
//! | `no_response_body_header` | Kingston on | `X-no-response-body` seen in the 2018 captures and documented in today's Table API reference [C]; not seen before 2018 [U] |
//! | `invalid_query` | Ignore | ignoring an invalid term is documented since Geneva, and today [C] |
//! | `v1_empty_is_404` | yes | the one documented difference between v1 and v2 (ServiceNow KB0551763, and today's Table API reference) [C] |
//! | `name_value_filters` | Kingston on | in today's docs [C]; a 2018–19 bridge relied on it [P] |
//! | `no_count_param` | Washington DC on | `sysparm_no_count` is in today's docs [C]; the release that added it [U] |
//! | `link_on_single_page` | yes | the docs describe `Link` on collection GETs, prev/next left out when not applicable; one peer saw none on a single page [P] |
//! | `multipart_sys_id_field` | Either | `record_sys_id` (Geneva docs) vs `table_sys_id` (current); which one each release accepts [U] |
//! | `journal_table_readable` | yes | `sys_journal_field` ACLs may be stricter than the incident's [U] |
//! | `oauth` | yes | password + refresh grants on every release [P] |
//! | `client_credentials` | off | the grant exists from Washington DC, off until the property `glide.oauth.inbound.client.credential.grant_type.enabled` is set [C]; has no effect before Washington DC |
//! | `api_key` | Washington DC on | the "API Key and HMAC Authentication" plugin, header `x-sn-apikey`; earliest docs found are Washington DC's [C]; has no effect before Washington DC |
//! | `max_body_bytes` | 10 MiB | ServiceNow's default REST payload cap, 10 MB (KB0747638) [C] |
//! | `attachment_extended_fields` | Quebec on | `hash`, `chunk_size_bytes`, `state` seen on 2021–2023 instances, `created_by_name`/`updated_by_name` in today's docs [C today]; the release that added them [U] |
//! | `xml` | yes | the Table API serves `application/xml` (today's reference, and the `Accept` documented since Geneva) [C] |
//! | `batch_api` | London on | `POST /api/now/v1/batch`, documented today [C]; since London per a ServiceNow performance-team article [P] |
//! | `aggregate_api` | yes | `GET /api/now/stats/{table}`, documented today [C]; older releases [U] |
//! | `security_incident_response` | Washington DC on | the application and its table `sn_si_incident` are documented today [C]; an application an instance installs, so older profiles switch it on [U] |
//! | `security_incident_states`, `…_close_codes` | Draft 10 … Review 100, Closed 3, Cancelled 7; four codes | the lifecycle and the closure code from Review are documented [C]; the values are not [U] |

use serde::{Deserialize, Serialize};

use super::release::Release;

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
    /// The client-credentials grant is enabled (the system property
    /// `glide.oauth.inbound.client.credential.grant_type.enabled`). No effect before Washington
    /// DC, which introduced the grant.
    pub client_credentials: bool,
    /// The "API Key and HMAC Authentication" plugin is active: a key in the `x-sn-apikey`
    /// header signs in as the user it was issued to. No effect before Washington DC.
    pub api_key: bool,
    /// Largest accepted request body; larger → 400 (KB0747638: 10485760 bytes).
    pub max_body_bytes: usize,
    /// The Security Incident Response application is installed: `sn_si_incident` exists
    /// (otherwise `400 Invalid table`, as for any unknown table).
    pub security_incident_response: bool,
    /// Its `state` choices `(value, label)`, in lifecycle order. The lifecycle is documented
    /// (Draft → Analysis → Contain → Eradicate → Recover → Review → Closed / Cancelled); the
    /// values are not (\[U\]), so clients must read them from `sys_choice`.
    pub security_incident_states: Vec<(String, String)>,
    /// Its closure codes (`close_code`); not documented (\[U\]).
    pub security_incident_close_codes: Vec<String>,
    /// Attachment metadata carries `hash` (SHA-256 of the content), `chunk_size_bytes`,
    /// `state`, `created_by_name` and `updated_by_name`.
    pub attachment_extended_fields: bool,
    /// The Table API serves XML to `Accept: application/xml`.
    pub xml: bool,
    /// The Batch API, `POST /api/now/v1/batch`.
    pub batch_api: bool,
    /// The Aggregate API, `GET /api/now/stats/{table}`.
    pub aggregate_api: bool,
}

/// `sn_si_incident` states in lifecycle order: labels as documented, values \[U\].
pub const SECURITY_INCIDENT_STATES: [(&str, &str); 8] = [
    ("10", "Draft"),
    ("16", "Analysis"),
    ("18", "Contain"),
    ("19", "Eradicate"),
    ("20", "Recover"),
    ("100", "Review"),
    ("3", "Closed"),
    ("7", "Cancelled"),
];

/// `sn_si_incident` closure codes \[U\].
pub const SECURITY_INCIDENT_CLOSE_CODES: [&str; 4] = [
    "Confirmed incident",
    "False positive",
    "Duplicate",
    "Risk accepted",
];

/// `close_code` values of the 2016–2018 era (\[P\]: what the Ansible and Elastic clients send).
/// Until a release that is not documented; see [`CURRENT_CLOSE_CODES`].
pub const ERA_CLOSE_CODES: [&str; 7] = [
    "Solved (Work Around)",
    "Solved (Permanently)",
    "Solved Remotely (Work Around)",
    "Solved Remotely (Permanently)",
    "Not Solved (Not Reproducible)",
    "Not Solved (Too Costly)",
    "Closed/Resolved by Caller",
];

/// `close_code` values of today's base system (ServiceNow's "resolve and close an incident"
/// documentation), in its order.
pub const CURRENT_CLOSE_CODES: [&str; 10] = [
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

/// Default REST payload cap (KB0747638).
pub const DEFAULT_MAX_BODY_BYTES: usize = 10_485_760;

impl Profile {
    /// The defaults for `release` (see the module docs for the table and its evidence).
    pub fn for_release(release: Release) -> Self {
        let from_2018 = release >= Release::Kingston;
        let today = release >= Release::WashingtonDc;
        let close_codes: &[&str] = if today {
            &CURRENT_CLOSE_CODES
        } else {
            &ERA_CLOSE_CODES
        };
        Profile {
            state_model: StateModel::New,
            hold_reason: release >= Release::Jakarta,
            close_codes: close_codes.iter().map(|c| (*c).to_owned()).collect(),
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
            no_count_param: today,
            link_on_single_page: true,
            multipart_sys_id_field: MultipartSysIdField::Either,
            journal_table_readable: true,
            oauth: true,
            client_credentials: false,
            api_key: today,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            security_incident_response: today,
            security_incident_states: SECURITY_INCIDENT_STATES
                .iter()
                .map(|(v, l)| ((*v).to_owned(), (*l).to_owned()))
                .collect(),
            security_incident_close_codes: SECURITY_INCIDENT_CLOSE_CODES
                .iter()
                .map(|c| (*c).to_owned())
                .collect(),
            attachment_extended_fields: release >= Release::Quebec,
            xml: true,
            batch_api: release >= Release::London,
            aggregate_api: true,
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
    fn close_codes_change_with_washington_dc() {
        let vancouver = Profile::for_release(Release::Vancouver).close_codes;
        assert!(vancouver.iter().any(|c| c == "Solved (Permanently)"));
        let washington = Profile::for_release(Release::WashingtonDc).close_codes;
        assert!(washington.iter().any(|c| c == "Solution provided"));
        assert!(!washington.iter().any(|c| c == "Solved (Permanently)"));
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
