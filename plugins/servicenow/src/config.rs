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

use crate::adapter::{self, Adapter};

/// Settings of the `servicenow` sink.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceNowConfig {
    /// The instance URL, e.g. `"https://acme.service-now.com"`. Required.
    pub endpoint: String,
    /// The instance's release: `helsinki`, `istanbul`, `jakarta` (experimental), `kingston` or
    /// `london`. Required; decides the adapter (README, "Releases").
    pub release: String,
    /// The integration user (role `itil` is enough to create, update and reopen Resolved
    /// incidents). Required.
    pub username: String,
    /// Its password; write a secret reference (`"${SN_PASSWORD}"`). Required.
    pub password: Secret,
    /// Use OAuth 2.0 (password grant at `/oauth_token.do`, refreshed before expiry) instead of
    /// Basic authentication. Default: none (Basic).
    #[serde(default)]
    pub oauth: Option<OAuthConfig>,
    /// The table incidents live in. Default: `"incident"`.
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
    /// The state a reopened incident gets (add-on `<NewState>`). Default: `"1"` (New).
    #[serde(default = "default_reopen_state")]
    pub reopen_state: String,
    /// States a ticket may be reopened from (add-on `<ClosedTicketStates>`). Default:
    /// `["6", "7", "8"]` (Resolved, Closed, Canceled).
    #[serde(default = "default_closed_states")]
    pub closed_states: Vec<String>,
    /// The state a resolve sets. Default: `"6"` (Resolved).
    #[serde(default = "default_resolved_state")]
    pub resolved_state: String,
    /// The state a close sets. Default: `"7"` (Closed).
    #[serde(default = "default_closed_state")]
    pub closed_state: String,
    /// `close_code` sent when a resolve or close names none; must be one of the instance's
    /// close codes. Default: `"Solved (Permanently)"`.
    #[serde(default = "default_close_code")]
    pub close_code: String,
    /// `close_notes` sent when a resolve or close gives none. Default:
    /// `"Resolved by sluice."`.
    #[serde(default = "default_close_notes")]
    pub close_notes: String,
    /// Send `X-no-response-body: true` on updates whose answer the sink does not need (Kingston
    /// and London only: earlier releases are not known to honour the header). Outcomes then
    /// carry the last known number and state. Default: false.
    #[serde(default)]
    pub suppress_update_bodies: bool,
    /// How many requests the sink keeps in flight to the instance at once, for different
    /// tickets of a batch; each ticket's own requests still go one after another. 1 is the
    /// vendor add-on's behaviour. A real instance serves REST requests from a small pool of
    /// threads per node (semaphores), so keep it small. Default: 4.
    #[serde(default = "default_max_concurrent_requests")]
    #[schemars(range(min = 1))]
    pub max_concurrent_requests: usize,
}

/// OAuth client registered on the instance (System OAuth → Application Registry).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OAuthConfig {
    /// The client id. Required.
    pub client_id: String,
    /// The client secret; write a secret reference. Required.
    pub client_secret: Secret,
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
fn default_reopen_state() -> String {
    "1".to_owned()
}
fn default_closed_states() -> Vec<String> {
    ["6", "7", "8"].map(str::to_owned).to_vec()
}
fn default_resolved_state() -> String {
    "6".to_owned()
}
fn default_closed_state() -> String {
    "7".to_owned()
}
fn default_close_code() -> String {
    "Solved (Permanently)".to_owned()
}
fn default_close_notes() -> String {
    "Resolved by sluice.".to_owned()
}
const fn default_max_concurrent_requests() -> usize {
    4
}

impl ServiceNowConfig {
    /// The adapter `release` names, or a config error listing the supported releases.
    pub(crate) fn adapter(&self) -> Result<&'static dyn Adapter, PluginError> {
        adapter::find(&self.release).ok_or_else(|| {
            PluginError::config(format!(
                "unknown ServiceNow release {:?}; supported releases: {}",
                self.release,
                adapter::supported()
            ))
            .at("release")
        })
    }

    /// `endpoint` without a trailing slash.
    pub(crate) fn base_url(&self) -> &str {
        self.endpoint.trim().trim_end_matches('/')
    }

    /// The configured states with their key paths, for messages and the start-up check.
    pub(crate) fn configured_states(&self) -> Vec<(String, &str)> {
        let mut states = vec![("reopen_state".to_owned(), self.reopen_state.as_str())];
        states.extend(
            self.closed_states
                .iter()
                .enumerate()
                .map(|(i, s)| (format!("closed_states[{i}]"), s.as_str())),
        );
        states.push(("resolved_state".to_owned(), self.resolved_state.as_str()));
        states.push(("closed_state".to_owned(), self.closed_state.as_str()));
        states
    }

    /// Pure checks, no IO (the host runs them in `sluice validate`). Returns the first problem,
    /// with its key path and what a valid value looks like.
    pub fn check(&self) -> Result<(), PluginError> {
        let adapter = self.adapter()?;
        check_endpoint(&self.endpoint)?;
        self.check_credentials()?;
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
                 did); the default is 4",
            )
            .at("max_concurrent_requests"));
        }
        self.check_suppress_update_bodies(adapter)
    }

    /// `username`, `password` and, with OAuth, the client's id and secret.
    fn check_credentials(&self) -> Result<(), PluginError> {
        if self.username.trim().is_empty() {
            return Err(
                PluginError::config("must name the integration user, like \"svc_sluice\"")
                    .at("username"),
            );
        }
        if self.password.expose().is_empty() {
            return Err(PluginError::config(
                "must not be empty; write a secret reference like \"${SN_PASSWORD}\"",
            )
            .at("password"));
        }
        let Some(oauth) = &self.oauth else {
            return Ok(());
        };
        if oauth.client_id.trim().is_empty() {
            return Err(PluginError::config(
                "must be the client id of an OAuth application registered on the instance",
            )
            .at("oauth.client_id"));
        }
        if oauth.client_secret.expose().is_empty() {
            return Err(PluginError::config(
                "must not be empty; write a secret reference like \"${SN_CLIENT_SECRET}\"",
            )
            .at("oauth.client_secret"));
        }
        Ok(())
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
        if self.closed_states.is_empty() {
            return Err(PluginError::config(
                "must list at least one state, like [\"6\", \"7\", \"8\"]",
            )
            .at("closed_states"));
        }
        if self.closed_states.contains(&self.reopen_state) {
            return Err(PluginError::config(format!(
                "{:?} is also in closed_states, so a reopened ticket would still count as \
                 closed; use an open state, like \"1\" (New)",
                self.reopen_state
            ))
            .at("reopen_state"));
        }
        Ok(())
    }

    /// The default `close_code` and `close_notes` of a resolve or close.
    fn check_close_info(&self) -> Result<(), PluginError> {
        if self.close_code.trim().is_empty() {
            return Err(PluginError::config(
                "must be one of the instance's close codes, like \"Solved (Permanently)\"",
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
    fn check_suppress_update_bodies(&self, adapter: &dyn Adapter) -> Result<(), PluginError> {
        if !self.suppress_update_bodies || adapter.no_response_body() {
            return Ok(());
        }
        let allowed: Vec<&str> = adapter::ADAPTERS
            .iter()
            .filter(|a| a.no_response_body())
            .map(|a| a.name())
            .collect();
        Err(PluginError::config(format!(
            "{} is not known to honour X-no-response-body (it has been seen working only on \
             Kingston and London instances); it may be set for: {}",
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
        assert_eq!(c.reopen_state, "1");
        assert_eq!(c.closed_states, ["6", "7", "8"]);
        assert_eq!(
            (c.resolved_state.as_str(), c.closed_state.as_str()),
            ("6", "7")
        );
        assert_eq!(c.base_url(), "https://acme.service-now.com");
        assert_eq!(c.max_concurrent_requests, 4);
        assert!(c.check().is_ok());
        assert_eq!(format!("{:?}", c.password), "<redacted>");
    }

    #[test]
    fn bad_values_name_their_key() {
        let cases = [
            (serde_json::json!({"release": "madrid"}), "release"),
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
        let err = config(serde_json::json!({"release": "madrid"}))
            .check()
            .err();
        let text = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            text.contains("helsinki, istanbul, jakarta (experimental), kingston, london"),
            "{text}"
        );
    }
}

#[cfg(test)]
mod schema_tests {
    use super::*;

    #[test]
    fn the_schema_documents_every_key_and_requires_four() {
        let schema =
            serde_json::to_value(schemars::schema_for!(ServiceNowConfig)).unwrap_or_default();
        let Some(properties) = schema["properties"].as_object() else {
            panic!("no properties: {schema}");
        };
        assert_eq!(properties.len(), 16, "{schema:#}");
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
        assert_eq!(required, ["endpoint", "password", "release", "username"]);
        assert_eq!(properties["request_timeout"]["default"], "60s");
        assert_eq!(properties["max_concurrent_requests"]["default"], 4);
        assert_eq!(properties["max_concurrent_requests"]["minimum"], 1);
    }
}
