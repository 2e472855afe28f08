//! Config errors through the real ABI path: each names its key path and what is valid.

use serde_json::json;
use sluice_emulators::auditor::AuditorConfig;
use sluice_sdk::ErrorKind;
use sluice_source_netwrix_auditor::Format;

use crate::harness::{at, Env};

#[test]
fn malformed_config_names_the_key() {
    let env = Env::new(AuditorConfig::default(), at("2025-04-03T00:00:00Z"));
    let cases = [
        (json!({"count": 0}), "count", "200"),
        (json!({"count": "many"}), "count", "invalid type"),
        (
            json!({"endpoint": "ftp://auditor:9699"}),
            "endpoint",
            "https",
        ),
        (
            json!({"endpoint": "https://svc:pw@auditor:9699"}),
            "endpoint",
            "username",
        ),
        (json!({"format": "csv"}), "format", "json"),
        (json!({"late_arrival": "fifteen"}), "late_arrival", "15m"),
        (json!({"start": "last week"}), "start", "now"),
        (json!({"rids_per_request": 5000}), "rids_per_request", "50"),
        (
            json!({"poll_filters": [{"field": "When", "value": "x"}]}),
            "poll_filters[0].field",
            "unknown variant",
        ),
        (
            json!({"poll_filters": [{"field": "Who", "operator": "InGroup", "value": "Admins"},
                                    {"field": "What", "operator": "InGroup", "value": "x"}]}),
            "poll_filters[1].operator",
            "InGroup",
        ),
        (
            json!({"ca_file": "/etc/ca.pem"}),
            "ca_file",
            "unknown field",
        ),
    ];
    for (extra, key, hint) in cases {
        let config = env.config(Format::Json, extra.clone());
        let err = env.try_source(&config).expect_err(&extra.to_string());
        assert_eq!(err.kind(), ErrorKind::Config, "{extra}");
        assert_eq!(err.key_path().unwrap_or(""), key, "{extra}: {err}");
        assert!(err.message().contains(hint), "{extra}: {err}");
    }
    let mut config = env.config(Format::Json, json!({}));
    config.as_object_mut().map(|c| c.remove("password"));
    let err = env.try_source(&config).expect_err("no password");
    assert!(err.message().contains("password"), "{err}");
}

/// Plain http is allowed (Auditor can be switched to it) but warned about when Basic
/// credentials then cross the network readable; to this machine (the emulator) they do not.
#[test]
fn plain_http_to_another_machine_is_warned_about() {
    let env = Env::new(AuditorConfig::default(), at("2025-04-03T00:00:00Z"));
    let _local = env.source(&env.config(Format::Xml, json!({})));
    assert_eq!(env.all_warnings(), Vec::<String>::new(), "loopback");
    let remote = json!({ "endpoint": "http://auditor.corp.local:9699" });
    let _remote = env.source(&env.config(Format::Xml, remote));
    let warnings = env.all_warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("plain http"), "{warnings:?}");
    assert!(!warnings[0].contains(crate::harness::PASSWORD));
}

/// The schema `sluice schema` prints: every key documented, the required ones required, each
/// default stated, unknown keys refused.
#[test]
fn the_schema_documents_every_key_and_default() {
    let plugin = sluice_source_netwrix_auditor::in_process().expect("the plugin registers");
    let component = &plugin.manifest().components[0];
    assert_eq!(component.name, "netwrix_auditor");
    let schema = &component.config_schema;
    assert_eq!(schema["additionalProperties"], json!(false));
    assert_eq!(
        schema["required"],
        json!(["endpoint", "username", "password"])
    );
    let properties = schema["properties"].as_object().expect("properties");
    for (key, property) in properties {
        let doc = property["description"].as_str().unwrap_or_default();
        assert!(!doc.is_empty(), "{key} is documented");
    }
    for (key, default) in [
        ("format", json!("json")),
        ("count", json!(200)),
        ("request_timeout", json!("180s")),
        ("rids_per_request", json!(50)),
        ("start", json!("now")),
        ("late_arrival", json!("15m")),
        ("max_pages_per_scan", json!(10_000)),
        ("poll_filters", json!([])),
        ("end_scan_on_short_page", json!(false)),
    ] {
        assert_eq!(properties[key]["default"], default, "{key}");
    }
    assert_eq!(properties["count"]["maximum"], json!(1000));
}
