//! The emulator's configuration: credentials, an optional generated data set, and one switch
//! for every behaviour the documentation leaves open.
//!
//! Each default is the reading of the documentation we believe most likely, so a default
//! emulator is that reading; tests flip a switch to prove a client copes with the other one.
//!
//! The tags on the switches say where a behaviour comes from: **\[D\]** documented by Netwrix,
//! **\[C\]** seen in a public client of the API (evidence of how real servers answer, not a
//! specification), **\[I\]** inferred, because the documentation does not say.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::dataset::DatasetConfig;
use super::faults::Faults;

/// Everything [`Auditor::new`](super::Auditor::new) needs.
#[derive(Clone, Debug)]
pub struct AuditorConfig {
    /// The account HTTP Basic must present. Default `CORP\svc-sluice` (a down-level logon name,
    /// backslash included, as the curl examples of the API documentation use). Compared
    /// case-insensitively, as Windows account names are.
    pub username: String,
    /// The password HTTP Basic must present. Default `sluice-demo`.
    pub password: String,
    /// Records (and group memberships) to load at start. Default `None`: an empty Audit
    /// Database.
    pub dataset: Option<DatasetConfig>,
    /// Extra group memberships for the `InGroup`/`NotInGroup` filters: group name (with or
    /// without the `DOMAIN\` prefix) to member accounts. Merged with the data set's directory.
    /// Default empty.
    pub groups: BTreeMap<String, Vec<String>>,
    /// Switches for the inferred behaviours. Default [`Behaviour::default`].
    pub behaviour: Behaviour,
    /// Request bodies above this many bytes get 413 with an empty body (Netwrix recommends at
    /// most 50 MB per write). Default 50 MiB.
    pub max_body_bytes: usize,
    /// Monitoring plans that contain the "Netwrix API" data source. A write naming any other
    /// plan is refused with 400 (a plan named on input must exist and contain that data
    /// source). Default `None`: every plan name is accepted.
    pub integration_plans: Option<Vec<String>>,
    /// Fault modes active from the start; change them later with
    /// [`Auditor::set_faults`](super::Auditor::set_faults). Default: none.
    pub faults: Faults,
}

/// Default request body limit: 50 MiB, the documented recommendation.
pub const DEFAULT_MAX_BODY_BYTES: usize = 50 * 1024 * 1024;

impl Default for AuditorConfig {
    fn default() -> Self {
        AuditorConfig {
            username: r"CORP\svc-sluice".to_owned(),
            password: "sluice-demo".to_owned(),
            dataset: None,
            groups: BTreeMap::new(),
            behaviour: Behaviour::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            integration_plans: None,
            faults: Faults::default(),
        }
    }
}

/// One switch per inferred (**\[I\]**) or client-seen (**\[C\]**) behaviour. Each field names
/// the part of the API it concerns and states its default.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Behaviour {
    /// Authentication \[D\]: HTTP Basic is offered and accepted. Default `true`; `false`
    /// leaves it out of every challenge and refuses it, like a server where Basic is turned
    /// off.
    pub accept_basic: bool,
    /// Authentication \[D\]: NTLM (NTLMv2) is offered and accepted, on servers that can tell
    /// connections apart (see [`crate::ConnectionId`]). Default `true`.
    pub accept_ntlm: bool,
    /// Authentication \[D\]: Negotiate (SPNEGO carrying NTLM; no Kerberos) is offered and
    /// accepted, on servers that can tell connections apart. Default `true`.
    pub accept_negotiate: bool,
    /// Paging \[I\]: the empty page that ends the data still carries a `ContinuationMark`.
    /// Default `true`; `false` omits the mark on that page.
    pub mark_on_last_page: bool,
    /// Endpoints \[I\]: `POST /netwrix/api/v1/activity_records` (no trailing slash) is the write
    /// endpoint too. Default `true`; `false` answers 404 there.
    pub write_without_trailing_slash: bool,
    /// JSON bodies \[C\]/\[I\]: how JSON object keys are matched. Default [`KeyMatching::Exact`].
    pub json_keys: KeyMatching,
    /// Search filters \[I\]: accept the spaced filter name `Monitoring Plan` besides
    /// `MonitoringPlan`. Default `true`.
    pub spaced_monitoring_plan: bool,
    /// Filter operators \[I\]: text filters compare case-insensitively (SQL Server's default
    /// collation). Default `true`.
    pub case_insensitive: bool,
    /// `Action` filter \[I\]: it compares case-insensitively. Default `true`.
    pub case_insensitive_action: bool,
    /// `When` filter \[I\]: an interval includes its `To` bound (`From <= When <= To`).
    /// Default `true`; `false` makes it `From <= When < To`.
    pub inclusive_to: bool,
    /// `When` filter \[I\]: several positive `When` entries combine with OR (the default, like
    /// every other field); `true` makes them combine with AND (the intersection).
    pub when_entries_and: bool,
    /// Result order \[I\]: the order enum and search return records in. Default
    /// [`ResultOrder::Insertion`]. Clients must not rely on any order.
    pub order: ResultOrder,
    /// Timeframes \[I\]: the UTC offset, in minutes, of the server's calendar day, used by the
    /// `Today`, `Yesterday`, `LastSevenDays` and `LastThirtyDays` timeframes (each a run of
    /// whole calendar days ending with today, today included). Default `0` (UTC).
    pub timeframe_utc_offset_minutes: i32,
    /// XML namespaces \[I\]: input roots (`ActivityRecordList`, `ActivityRecordSearch`,
    /// `ContinuationMark`) must be in the documented namespace; otherwise 400 `XMLError`.
    /// Default `true`.
    pub require_namespace: bool,
    /// Writes \[D/I\]: a written `Action` must be one of the `Action` values the search filter
    /// documentation lists. Default `true`.
    pub validate_action: bool,
    /// Page size \[C\]: the largest `count` accepted; larger values get 400 `InputError`. Default
    /// `None` (no documented maximum).
    pub max_count: Option<u32>,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            accept_basic: true,
            accept_ntlm: true,
            accept_negotiate: true,
            mark_on_last_page: true,
            write_without_trailing_slash: true,
            json_keys: KeyMatching::Exact,
            spaced_monitoring_plan: true,
            case_insensitive: true,
            case_insensitive_action: true,
            inclusive_to: true,
            when_entries_and: false,
            order: ResultOrder::Insertion,
            timeframe_utc_offset_minutes: 0,
            require_namespace: true,
            validate_action: true,
            max_count: None,
        }
    }
}

/// How JSON object keys in request bodies are matched (Netwrix's own MCP client sends
/// `"filterlist"` in lower case when it pages a search).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyMatching {
    /// Keys must be spelled as documented (`FilterList`, `Who`, …).
    Exact,
    /// Keys match regardless of case.
    CaseInsensitive,
}

/// The order of records in enum and search pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResultOrder {
    /// Oldest stored first.
    Insertion,
    /// Newest stored first. A paging pass started before a write does not see that write.
    Reverse,
}
