//! The source's config: its `[pipelines.NAME.source]` table minus the host's keys (`type`,
//! `plugin`, `http`). Parsing checks each value's form (the SDK names the key of the first
//! problem); [`NetwrixAuditorConfig::check`] adds the pure range checks `sluice validate`
//! runs. TLS and proxies are not here: they are the host's `http` table of the same
//! component, which runs every request.

use std::fmt;

use schemars::JsonSchema;
use serde::Deserialize;
use sluice_sdk::{HumanDuration, PluginError};

use crate::auth::AuthMethod;
use crate::endpoint::Endpoint;
use crate::filter::PollFilter;
use crate::page::Format;
use crate::start::Start;

/// Settings of the `netwrix_auditor` source.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NetwrixAuditorConfig {
    /// The Auditor server with the Integration API port, like
    /// `"https://auditor.corp.local:9699"`; the vendor add-on's scheme-less form
    /// `"auditor.corp.local:9699"` means https. `/netwrix/api/v1/` is appended. Required.
    #[schemars(with = "String")]
    pub endpoint: Endpoint,
    /// The account, `DOMAIN\user`. It needs the Global reviewer role in Auditor, or membership
    /// of the local "Netwrix Auditor Client Users" group on the Auditor server. Required.
    pub username: String,
    /// The account's password; write `"${ENV_VAR}"` or `"file:/path"` to keep it out of the
    /// file. Required.
    pub password: Password,
    /// How to authenticate: `"ntlm"` (NTLMv2; what Netwrix recommends), `"negotiate"`
    /// (SPNEGO carrying NTLM; no Kerberos), or `"basic"` (the password on every request).
    /// NTLM and Negotiate authenticate a connection, which the host keeps for this server and
    /// account. Default: `"basic"`.
    #[serde(default)]
    #[schemars(extend("default" = "basic"))]
    pub auth: AuthMethod,
    /// Wire format, `"json"` or `"xml"`. Default: `"json"` (smaller pages, faster to read).
    #[serde(default)]
    #[schemars(extend("default" = "json"))]
    pub format: Format,
    /// Records per request (the API's `count`), 1 to 1000. Default: 200, as the vendor add-on.
    #[serde(default = "default_count")]
    #[schemars(range(min = 1, max = 1000))]
    pub count: u32,
    /// How long one request may take, like `"180s"`. Default: `"180s"`, as the vendor add-on;
    /// a busy Audit Database can be slow.
    #[serde(default = "default_request_timeout")]
    #[schemars(extend("default" = "180s"))]
    pub request_timeout: HumanDuration,
    /// RIDs ORed into one search when fetching records for alerts, 1 to 1000. Default: 50
    /// (one request covers a typical alert burst, fits one page of the default `count`, and
    /// keeps the request body near 4 KB). 1 sends one search per RID.
    #[serde(default = "default_rids_per_request")]
    #[schemars(range(min = 1, max = 1000))]
    pub rids_per_request: u32,
    /// Where polling starts without a checkpoint: `"now"` (only new activity), a duration
    /// back like `"24h"`, or an RFC 3339 time like `"2025-03-01T00:00:00Z"`. Default: `"now"`.
    #[serde(default = "default_start")]
    #[schemars(with = "String", extend("default" = "now"))]
    pub start: Start,
    /// How late a record may become visible after its `When` and still be polled: each scan
    /// window reaches this far back into the previous one, like `"15m"`. Larger is safer
    /// against slow collection and costs re-reading that much activity on every poll.
    /// Default: `"15m"`.
    #[serde(default = "default_late_arrival")]
    #[schemars(extend("default" = "15m"))]
    pub late_arrival: HumanDuration,
    /// Pages one scan (a poll window, or a fetch batch) may take before it is ended with a
    /// warning: the guard against a server whose continuation mark never ends. Default: 10000
    /// (two million records at the default `count`).
    #[serde(default = "default_max_pages_per_scan")]
    #[schemars(range(min = 1))]
    pub max_pages_per_scan: u32,
    /// Server-side pre-filters for polling, ANDed with the `When` window, e.g.
    /// `{ field = "DataSource", operator = "Equals", value = "Active Directory" }`.
    /// Default: none (every record).
    #[serde(default)]
    #[schemars(extend("default" = []))]
    pub poll_filters: Vec<PollFilter>,
    /// Compatibility switch: end a scan on a page with fewer than `count` records instead of
    /// asking for the empty page the documentation names as the only end signal. Saves one
    /// request per poll on servers that fill every page. Default: false.
    #[serde(default)]
    pub end_scan_on_short_page: bool,
}

/// A password: never shown by `{:?}`.
#[derive(Clone, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct Password(String);

impl Password {
    /// The password itself, for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

const fn default_count() -> u32 {
    200
}

const fn default_request_timeout() -> HumanDuration {
    HumanDuration::from_secs(180)
}

const fn default_rids_per_request() -> u32 {
    50
}

const fn default_start() -> Start {
    Start::Now
}

const fn default_late_arrival() -> HumanDuration {
    HumanDuration::from_secs(15 * 60)
}

const fn default_max_pages_per_scan() -> u32 {
    10_000
}

impl NetwrixAuditorConfig {
    /// Pure checks, no IO; every error names its key and what a valid value looks like.
    pub fn check(&self) -> Result<(), PluginError> {
        let username = self.username.trim();
        if username.is_empty() || username.chars().any(char::is_control) {
            return Err(PluginError::config(
                "must name the account as DOMAIN\\user, like \"CORP\\\\svc-sluice\" in TOML",
            )
            .at("username"));
        }
        if username.contains(':') && self.auth == AuthMethod::Basic {
            return Err(PluginError::config(
                "cannot contain ':' (HTTP Basic separates the user from the password with it); \
                 write DOMAIN\\user",
            )
            .at("username"));
        }
        if self.password.0.is_empty() {
            return Err(PluginError::config(
                "must not be empty; write \"${AUDITOR_PASSWORD}\" to read it from the environment",
            )
            .at("password"));
        }
        if !(1..=1000).contains(&self.count) {
            return Err(PluginError::config(format!(
                "{} is out of range: use 1 to 1000 records per request; the vendor add-on uses \
                 200, this key's default",
                self.count
            ))
            .at("count"));
        }
        if !(1..=1000).contains(&self.rids_per_request) {
            return Err(PluginError::config(format!(
                "{} is out of range: use 1 to 1000 RIDs per search; the default is 50",
                self.rids_per_request
            ))
            .at("rids_per_request"));
        }
        let timeout = self.request_timeout.get().as_secs();
        if !(1..=3600).contains(&timeout) {
            return Err(PluginError::config(format!(
                "{} is out of range: use 1s to 1h; the vendor add-on waits \"180s\", this \
                 key's default",
                self.request_timeout
            ))
            .at("request_timeout"));
        }
        if self.late_arrival.get().as_secs() > 7 * 86_400 {
            return Err(PluginError::config(format!(
                "{} is too long: every poll re-reads this much activity; use at most \"7days\" \
                 (the default is \"15m\")",
                self.late_arrival
            ))
            .at("late_arrival"));
        }
        if let Start::Ago(back) = self.start {
            if back.as_secs() > 3_650 * 86_400 {
                return Err(PluginError::config(
                    "reaches back more than ten years; use \"now\", a duration like \"24h\", or \
                     an RFC 3339 time like \"2025-03-01T00:00:00Z\"",
                )
                .at("start"));
            }
        }
        if self.max_pages_per_scan == 0 {
            return Err(
                PluginError::config("must be at least 1; the default is 10000")
                    .at("max_pages_per_scan"),
            );
        }
        for (i, filter) in self.poll_filters.iter().enumerate() {
            filter.check(&format!("poll_filters[{i}]"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: serde_json::Value) -> Result<NetwrixAuditorConfig, String> {
        serde_json::from_value(json).map_err(|e| e.to_string())
    }

    fn minimal() -> serde_json::Value {
        serde_json::json!({
            "endpoint": "auditor.corp.local:9699",
            "username": "CORP\\svc-sluice",
            "password": "pw",
        })
    }

    #[test]
    fn defaults() {
        let config = parse(minimal()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.format, Format::Json);
        assert_eq!(config.count, 200);
        assert_eq!(config.request_timeout, HumanDuration::from_secs(180));
        assert_eq!(config.rids_per_request, 50);
        assert_eq!(config.start, Start::Now);
        assert_eq!(config.late_arrival, HumanDuration::from_secs(900));
        assert_eq!(config.max_pages_per_scan, 10_000);
        assert!(config.poll_filters.is_empty());
        assert!(!config.end_scan_on_short_page);
        assert_eq!(
            config.endpoint.base(),
            "https://auditor.corp.local:9699/netwrix/api/v1/"
        );
        assert!(config.check().is_ok());
        assert!(!format!("{config:?}").contains("\"pw\""));
    }

    #[test]
    fn range_checks_name_their_key() {
        let cases = [
            ("count", serde_json::json!(0), "200"),
            ("count", serde_json::json!(1001), "200"),
            ("rids_per_request", serde_json::json!(0), "50"),
            ("request_timeout", serde_json::json!("0s"), "180s"),
            ("late_arrival", serde_json::json!("30days"), "15m"),
            ("max_pages_per_scan", serde_json::json!(0), "10000"),
            ("start", serde_json::json!("20years"), "now"),
            ("username", serde_json::json!(""), "DOMAIN"),
            ("username", serde_json::json!("CORP\\a:b"), "':'"),
            ("password", serde_json::json!(""), "AUDITOR_PASSWORD"),
        ];
        for (key, value, hint) in cases {
            let mut json = minimal();
            json[key] = value;
            let config = parse(json).unwrap_or_else(|e| panic!("{key}: {e}"));
            let err = config.check().err();
            assert_eq!(err.as_ref().and_then(|e| e.key_path()), Some(key));
            assert!(err.is_some_and(|e| e.message().contains(hint)), "{key}");
        }
        let mut json = minimal();
        json["poll_filters"] = serde_json::json!([
            {"field": "Who", "value": "x"},
            {"field": "Action", "operator": "StartsWith", "value": "Mod"}
        ]);
        let err = parse(json).ok().and_then(|c| c.check().err());
        assert_eq!(
            err.as_ref().and_then(|e| e.key_path()),
            Some("poll_filters[1].operator")
        );
    }

    #[test]
    fn malformed_values_are_refused_at_parse() {
        for (key, value) in [
            ("endpoint", serde_json::json!("ftp://x")),
            ("format", serde_json::json!("csv")),
            ("start", serde_json::json!("last tuesday")),
            ("late_arrival", serde_json::json!("15")),
            ("no_such_key", serde_json::json!(1)),
        ] {
            let mut json = minimal();
            json[key] = value;
            assert!(parse(json).is_err(), "{key}");
        }
    }

    #[test]
    fn the_example_config_parses_and_validates() {
        let text = include_str!("../config.example.toml");
        let file: toml::Table = toml::from_str(text).unwrap_or_else(|e| panic!("{e}"));
        let pipelines = file.get("pipelines").and_then(toml::Value::as_table);
        let mut sources = 0;
        for (name, pipeline) in pipelines.into_iter().flatten() {
            let Some(source) = pipeline.get("source").and_then(toml::Value::as_table) else {
                continue;
            };
            let mut own = source.clone();
            for host_key in ["type", "plugin", "http"] {
                own.remove(host_key);
            }
            let json = serde_json::to_value(&own).unwrap_or_default();
            let config = parse(json).unwrap_or_else(|e| panic!("{name}: {e}"));
            config.check().unwrap_or_else(|e| panic!("{name}: {e}"));
            sources += 1;
        }
        assert!(sources >= 1);
    }
}
