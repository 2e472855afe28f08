//! The sink's config: the `[pipelines.NAME.sink]` table minus the host's keys (`type`,
//! `plugin`, `http`). TLS, CA files, client certificates and proxies are the host's `http`
//! table, not keys of this one: the host runs every request.
//!
//! The ticket-state keys are the ones the Netwrix add-on kept in `ServiceNowSettings.xml`
//! (`<ReopenTicketOptions>`); `healthcheck` checks them against the instance's own state
//! model.

use std::fmt;

use schemars::JsonSchema;
use serde::Deserialize;
use sluice_sdk::{HumanDuration, PluginError};

mod sign_in;

use crate::adapter::{self, Adapter};

/// Settings of the `servicenow` sink.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceNowConfig {
    /// The instance URL, e.g. `"https://acme.service-now.com"`. Required.
    pub endpoint: String,
    /// The instance's release family, Helsinki to Brazil: `helsinki`, …, `london`, `madrid`,
    /// …, `washingtondc`, …, `zurich`, `australia`, `brazil` (`"Washington DC"` works too).
    /// Required; decides the adapter (README, "Releases").
    pub release: String,
    /// The integration user (role `itil` is enough to create, update and reopen Resolved
    /// incidents). Required for Basic authentication and the OAuth password grant.
    #[serde(default)]
    pub username: Option<String>,
    /// Its password; write a secret reference (`"${SN_PASSWORD}"`). Required with `username`.
    #[serde(default)]
    pub password: Option<Secret>,
    /// Use OAuth 2.0 tokens from `/oauth_token.do`, refreshed before expiry, instead of
    /// Basic authentication. Default: none (Basic).
    #[serde(default)]
    pub oauth: Option<OAuthConfig>,
    /// Sign in with an API key (header `x-sn-apikey`; Washington DC on) instead of a user and
    /// password; write a secret reference (`"${SN_API_KEY}"`). Default: none.
    #[serde(default)]
    pub api_key: Option<Secret>,
    /// The table tickets live in: `"incident"`, or `"sn_si_incident"` for Security Incident
    /// Response (its states and closure codes are read from the instance). Default:
    /// `"incident"`.
    #[serde(default = "default_table")]
    pub table: String,
    /// How long one request may take, connect to last byte. Default: `"60s"`.
    #[serde(default = "default_timeout")]
    #[schemars(extend("default" = "60s"))]
    pub request_timeout: HumanDuration,
    /// `correlation_display` written on new incidents when the host gives none. Default:
    /// `"sluice"`.
    #[serde(default = "default_correlation_display")]
    pub correlation_display: String,
    /// The state a reopened ticket gets (add-on `<NewState>`). Default: `"1"` (New); on
    /// `sn_si_incident`, the instance's Analysis state.
    #[serde(default)]
    pub reopen_state: Option<String>,
    /// States a ticket may be reopened from (add-on `<ClosedTicketStates>`). Default:
    /// `["6", "7", "8"]` (Resolved, Closed, Canceled); on `sn_si_incident`, the instance's
    /// Review, Closed and Cancelled states.
    #[serde(default)]
    pub closed_states: Option<Vec<String>>,
    /// The state a resolve sets. Default: `"6"` (Resolved); on `sn_si_incident`, Review.
    #[serde(default)]
    pub resolved_state: Option<String>,
    /// The state a close sets. Default: `"7"` (Closed); on `sn_si_incident`, Closed.
    #[serde(default)]
    pub closed_state: Option<String>,
    /// `close_code` sent when a resolve or close names none; must be one of the instance's
    /// close codes. Default: the release's usual code the instance lists, `"Solved
    /// (Permanently)"` until London, `"Solution provided"` from Washington DC.
    #[serde(default)]
    pub close_code: Option<String>,
    /// `close_notes` sent when a resolve or close gives none. Default:
    /// `"Resolved by sluice."`.
    #[serde(default = "default_close_notes")]
    pub close_notes: String,
    /// Send `X-no-response-body: true` on updates whose answer the sink does not need (Kingston
    /// and London only: earlier releases are not known to honour the header). Outcomes then
    /// carry the last known number and state. Default: false.
    #[serde(default)]
    pub suppress_update_bodies: bool,
    /// The most requests the sink keeps in flight to the instance at once, for different
    /// tickets of a batch; each ticket's own requests still go one after another. With
    /// `adaptive_concurrency`, a ceiling: the sink keeps as many as the instance answers
    /// without slowing down or pushing back, learned as it goes. 1 is the vendor add-on's
    /// behaviour. Default: 16.
    #[serde(default = "default_max_concurrent_requests")]
    #[schemars(range(min = 1))]
    pub max_concurrent_requests: usize,
    /// Learn how many requests to keep in flight (up to `max_concurrent_requests`) from the
    /// instance's answers: one more while round trips hold, fewer when they grow, half on a
    /// 429, a 5xx or a timeout; and send nothing while a `Retry-After` lasts. With `false`,
    /// always `max_concurrent_requests`. Default: true.
    #[serde(default = "default_adaptive_concurrency")]
    pub adaptive_concurrency: bool,
}

/// OAuth client registered on the instance (System OAuth → Application Registry).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OAuthConfig {
    /// The grant: `"password"` (as `username`, every release) or `"client_credentials"` (as
    /// the application's OAuth Application User; Washington DC on, where the instance enables
    /// it). Default: `"password"`.
    #[serde(default)]
    pub grant: OAuthGrant,
    /// The client id. Required.
    pub client_id: String,
    /// The client secret; write a secret reference. Required.
    pub client_secret: Secret,
}

/// An OAuth grant the sink can use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OAuthGrant {
    /// Resource-owner password grant, with `username` and `password`.
    #[default]
    Password,
    /// Client-credentials grant: the client id and secret alone.
    ClientCredentials,
}

/// A secret string: deserialized like a string, never shown by `Debug`.
#[derive(Clone, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// A secret holding `text`.
    pub fn new(text: impl Into<String>) -> Self {
        Secret(text.into())
    }

    /// The secret text, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

fn default_table() -> String {
    "incident".to_owned()
}
const fn default_timeout() -> HumanDuration {
    HumanDuration::from_secs(60)
}
fn default_correlation_display() -> String {
    "sluice".to_owned()
}
fn default_close_notes() -> String {
    "Resolved by sluice.".to_owned()
}
const fn default_max_concurrent_requests() -> usize {
    16
}

const fn default_adaptive_concurrency() -> bool {
    true
}

impl ServiceNowConfig {
    /// The adapter `release` names, or a config error listing the supported releases.
    pub(crate) fn adapter(&self) -> Result<&'static Adapter, PluginError> {
        adapter::find(&self.release).ok_or_else(|| {
            PluginError::config(format!(
                "unknown ServiceNow release {:?}; supported releases: {}",
                self.release,
                adapter::supported()
            ))
            .at("release")
        })
    }

    /// Whether the sink writes security incidents (`table = "sn_si_incident"`), whose states
    /// and closure codes are the instance's own.
    pub(crate) fn is_security_incident(&self) -> bool {
        self.table == "sn_si_incident"
    }

    /// `endpoint` without a trailing slash.
    pub(crate) fn base_url(&self) -> &str {
        self.endpoint.trim().trim_end_matches('/')
    }

    /// The configured states with their key paths (the ones left to their defaults are not
    /// listed), for the pure checks.
    pub(crate) fn configured_states(&self) -> Vec<(String, &str)> {
        let mut states: Vec<(String, &str)> = Vec::new();
        if let Some(reopen) = &self.reopen_state {
            states.push(("reopen_state".to_owned(), reopen));
        }
        for (i, s) in self.closed_states.iter().flatten().enumerate() {
            states.push((format!("closed_states[{i}]"), s));
        }
        if let Some(resolved) = &self.resolved_state {
            states.push(("resolved_state".to_owned(), resolved));
        }
        if let Some(closed) = &self.closed_state {
            states.push(("closed_state".to_owned(), closed));
        }
        states
    }

    /// Pure checks, no IO (the host runs them in `sluice validate`). Returns the first problem,
    /// with its key path and what a valid value looks like.
    pub fn check(&self) -> Result<(), PluginError> {
        let adapter = self.adapter()?;
        check_endpoint(&self.endpoint)?;
        self.sign_in_for(adapter)?;
        check_table(&self.table)?;
        if self.request_timeout.get().is_zero() {
            return Err(
                PluginError::config("must be longer than zero, like \"60s\"").at("request_timeout"),
            );
        }
        self.check_states()?;
        self.check_close_info()?;
        if self.max_concurrent_requests == 0 {
            return Err(PluginError::config(
                "must be at least 1 (1 sends one request at a time, as the vendor add-on \
                 did); the default is 16",
            )
            .at("max_concurrent_requests"));
        }
        self.check_suppress_update_bodies(adapter)
    }

    /// Every configured state is a raw value, and reopening leads out of the closed states.
    fn check_states(&self) -> Result<(), PluginError> {
        for (key, state) in self.configured_states() {
            if !is_state_value(state) {
                return Err(PluginError::config(format!(
                    "{state:?} is not a raw state value; write the number ServiceNow stores, \
                     like \"6\" for Resolved"
                ))
                .at(key));
            }
        }
        if self.closed_states.as_ref().is_some_and(Vec::is_empty) {
            return Err(PluginError::config(
                "must list at least one state, like [\"6\", \"7\", \"8\"]",
            )
            .at("closed_states"));
        }
        let incident_closed = ["6", "7", "8"].map(str::to_owned).to_vec();
        let closed = match (&self.closed_states, self.is_security_incident()) {
            (Some(closed), _) => closed,
            (None, false) => &incident_closed,
            // Known only once the instance's states are read.
            (None, true) => return Ok(()),
        };
        match &self.reopen_state {
            Some(reopen) if closed.contains(reopen) => Err(PluginError::config(format!(
                "{reopen:?} is also in closed_states, so a reopened ticket would still count \
                 as closed; use an open state, like \"1\" (New)",
            ))
            .at("reopen_state")),
            _ => Ok(()),
        }
    }

    /// The default `close_code` and `close_notes` of a resolve or close.
    fn check_close_info(&self) -> Result<(), PluginError> {
        if self
            .close_code
            .as_deref()
            .is_some_and(|c| c.trim().is_empty())
        {
            return Err(PluginError::config(
                "must be one of the instance's close codes, like \"Solution provided\", or \
                 left out for the release's usual one",
            )
            .at("close_code"));
        }
        if self.close_notes.trim().is_empty() {
            return Err(PluginError::config(
                "must not be empty: an instance that makes close info mandatory refuses to \
                 resolve or close an incident without close notes",
            )
            .at("close_notes"));
        }
        Ok(())
    }

    /// `suppress_update_bodies` only for releases known to honour `X-no-response-body`.
    fn check_suppress_update_bodies(&self, adapter: &Adapter) -> Result<(), PluginError> {
        if !self.suppress_update_bodies || adapter.no_response_body() {
            return Ok(());
        }
        let allowed: Vec<&str> = adapter::ADAPTERS
            .iter()
            .filter(|a| a.no_response_body())
            .map(|a| a.name())
            .collect();
        Err(PluginError::config(format!(
            "{} is not known to honour X-no-response-body (it was first seen working on \
             Kingston instances, in 2018); it may be set for: {}",
            adapter.title(),
            allowed.join(", ")
        ))
        .at("suppress_update_bodies"))
    }
}

/// A table name as ServiceNow spells it: lower case letters, digits and `_`, starting with a
/// letter.
fn check_table(table: &str) -> Result<(), PluginError> {
    let table_ok = table.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && table
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if table_ok {
        return Ok(());
    }
    Err(PluginError::config(format!(
        "{table:?} is not a table name; write the table's name in lower case, like \"incident\""
    ))
    .at("table"))
}

/// An integer choice value, as ServiceNow stores states (`"1"`, `"-5"`).
fn is_state_value(value: &str) -> bool {
    let digits = value.strip_prefix('-').unwrap_or(value);
    !digits.is_empty() && digits.len() <= 9 && digits.chars().all(|c| c.is_ascii_digit())
}

fn check_endpoint(endpoint: &str) -> Result<(), PluginError> {
    let example = "like \"https://acme.service-now.com\"";
    let bad = |why: &str| {
        Err(PluginError::config(format!(
            "{endpoint:?} {why}; write the instance URL, {example}"
        ))
        .at("endpoint"))
    };
    let endpoint = endpoint.trim();
    let Some(rest) = endpoint
        .strip_prefix("https://")
        .or_else(|| endpoint.strip_prefix("http://"))
    else {
        return bad("does not start with https://");
    };
    let authority = rest.split('/').next().unwrap_or("");
    if authority.is_empty() {
        return bad("has no host name");
    }
    if authority.contains('@') {
        return bad("carries credentials; put them in username and password instead");
    }
    if rest.contains('?') || rest.contains('#') {
        return bad("has a query or fragment");
    }
    if authority.chars().any(char::is_whitespace) {
        return bad("contains spaces");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(json: serde_json::Value) -> ServiceNowConfig {
        let base = serde_json::json!({
            "endpoint": "https://acme.service-now.com/",
            "release": "london",
            "username": "svc",
            "password": "pw",
        });
        let mut merged = base;
        if let (Some(m), Some(extra)) = (merged.as_object_mut(), json.as_object()) {
            for (k, v) in extra {
                m.insert(k.clone(), v.clone());
            }
        }
        match serde_json::from_value(merged) {
            Ok(c) => c,
            Err(e) => panic!("config does not parse: {e}"),
        }
    }

    #[test]
    fn defaults_are_the_add_on_defaults() {
        let c = config(serde_json::json!({}));
        assert_eq!(c.table, "incident");
        assert_eq!(c.request_timeout, HumanDuration::from_secs(60));
        assert_eq!(c.reopen_state, None, "the table's default, chosen at start");
        assert_eq!(c.closed_states, None);
        assert_eq!(c.base_url(), "https://acme.service-now.com");
        assert_eq!(c.max_concurrent_requests, 16);
        assert!(c.adaptive_concurrency);
        assert!(c.check().is_ok());
        assert_eq!(format!("{:?}", c.password), "Some(<redacted>)");
        assert_eq!(
            c.close_code, None,
            "the release's usual code, chosen at start"
        );
    }

    #[test]
    fn bad_values_name_their_key() {
        let cases = [
            (serde_json::json!({"release": "ankara"}), "release"),
            (
                serde_json::json!({"endpoint": "acme.service-now.com"}),
                "endpoint",
            ),
            (
                serde_json::json!({"endpoint": "https://u:p@acme"}),
                "endpoint",
            ),
            (serde_json::json!({"password": ""}), "password"),
            (serde_json::json!({"table": "Incident"}), "table"),
            (
                serde_json::json!({"request_timeout": "0s"}),
                "request_timeout",
            ),
            (
                serde_json::json!({"closed_states": ["6", "seven"]}),
                "closed_states[1]",
            ),
            (serde_json::json!({"reopen_state": "6"}), "reopen_state"),
            (serde_json::json!({"closed_states": []}), "closed_states"),
            (
                serde_json::json!({"oauth": {"client_id": "", "client_secret": "s"}}),
                "oauth.client_id",
            ),
            (
                serde_json::json!({"release": "istanbul", "suppress_update_bodies": true}),
                "suppress_update_bodies",
            ),
            (
                serde_json::json!({"max_concurrent_requests": 0}),
                "max_concurrent_requests",
            ),
        ];
        for (json, key) in cases {
            let err = config(json.clone()).check().err();
            assert_eq!(
                err.as_ref().and_then(|e| e.key_path()),
                Some(key),
                "{json}: {err:?}"
            );
        }
    }

    #[test]
    fn unknown_release_lists_the_supported_ones() {
        let err = config(serde_json::json!({"release": "ankara"}))
            .check()
            .err();
        let text = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            text.contains("helsinki, istanbul, jakarta (experimental), kingston, london, madrid"),
            "{text}"
        );
        assert!(text.contains("zurich, australia, brazil"), "{text}");
    }

    #[test]
    fn release_names_are_written_as_people_write_them() {
        for release in ["washingtondc", "washington dc", "Washington DC", "ZURICH"] {
            let c = config(serde_json::json!({"release": release}));
            assert!(c.check().is_ok(), "{release}");
        }
    }

    /// A config with `username` and `password` removed, then `json` merged in.
    fn without_user(json: serde_json::Value) -> ServiceNowConfig {
        let mut c = config(json);
        c.username = None;
        c.password = None;
        c
    }

    #[test]
    fn modern_sign_ins_are_refused_before_washington_dc_naming_it() {
        let key = serde_json::json!({"release": "vancouver", "api_key": "k"});
        let err = without_user(key).check().err();
        assert_eq!(err.as_ref().and_then(|e| e.key_path()), Some("api_key"));
        let text = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("Washington DC (2024)"), "{text}");
        assert!(text.contains("Vancouver"), "{text}");
        let grant = serde_json::json!({"release": "london", "oauth": {
            "grant": "client_credentials", "client_id": "c", "client_secret": "s"}});
        let err = without_user(grant).check().err();
        assert_eq!(err.as_ref().and_then(|e| e.key_path()), Some("oauth.grant"));
        let text = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("client-credentials") && text.contains("Washington DC"));
        let fine = serde_json::json!({"release": "washington dc", "api_key": "k"});
        assert!(without_user(fine).check().is_ok());
        let fine = serde_json::json!({"release": "zurich", "oauth": {
            "grant": "client_credentials", "client_id": "c", "client_secret": "s"}});
        assert!(without_user(fine).check().is_ok());
    }

    #[test]
    fn one_sign_in_at_a_time() {
        let both = serde_json::json!({"release": "zurich", "api_key": "k",
            "oauth": {"client_id": "c", "client_secret": "s"}});
        let err = without_user(both).check().err();
        assert_eq!(
            err.and_then(|e| e.key_path().map(str::to_owned)).as_deref(),
            Some("api_key")
        );
        let key_and_password = config(serde_json::json!({"release": "zurich", "api_key": "k"}));
        let err = key_and_password.check().err();
        assert_eq!(
            err.and_then(|e| e.key_path().map(str::to_owned)).as_deref(),
            Some("password")
        );
        let nobody = without_user(serde_json::json!({}));
        let err = nobody.check().err();
        assert_eq!(
            err.and_then(|e| e.key_path().map(str::to_owned)).as_deref(),
            Some("username")
        );
        let empty_key = without_user(serde_json::json!({"release": "zurich", "api_key": ""}));
        let err = empty_key.check().err();
        assert_eq!(
            err.and_then(|e| e.key_path().map(str::to_owned)).as_deref(),
            Some("api_key")
        );
    }
}

#[cfg(test)]
mod schema_tests {
    use super::*;

    #[test]
    fn the_schema_documents_every_key_and_requires_two() {
        let schema =
            serde_json::to_value(schemars::schema_for!(ServiceNowConfig)).unwrap_or_default();
        let Some(properties) = schema["properties"].as_object() else {
            panic!("no properties: {schema}");
        };
        assert_eq!(properties.len(), 18, "{schema:#}");
        for (key, property) in properties {
            let described = property["description"]
                .as_str()
                .is_some_and(|d| !d.is_empty());
            assert!(described, "{key} has no description: {property}");
        }
        let mut required: Vec<&str> = schema["required"]
            .as_array()
            .map(|r| r.iter().filter_map(|v| v.as_str()).collect())
            .unwrap_or_default();
        required.sort_unstable();
        assert_eq!(required, ["endpoint", "release"]);
        assert_eq!(properties["request_timeout"]["default"], "60s");
        assert_eq!(properties["max_concurrent_requests"]["default"], 16);
        assert_eq!(properties["adaptive_concurrency"]["default"], true);
        assert_eq!(properties["max_concurrent_requests"]["minimum"], 1);
    }
}
