//! Start-up: config checks, the healthcheck against the instance's state model, OAuth, and
//! the experimental warning.

use std::time::Duration;

use serde_json::json;
use sluice_emulators::servicenow::{PathKind, Release, StateModel};
use sluice_sdk::{ErrorKind, LogLevel};

use crate::harness::*;

fn the_healthcheck_accepts_a_new_instance_and_reads_its_states(release: Release) {
    let rig = Rig::new(release);
    let (_, cost) = counting(&rig, || rig.sink());
    assert_eq!(
        cost.count("GET", PathKind::TableCollection),
        2,
        "states and close codes"
    );
    let logs = rig.logs.lock().map(|l| l.clone()).unwrap_or_default();
    assert!(
        logs.iter()
            .any(|(level, m)| *level == LogLevel::Info
                && m.contains("6 Resolved, 7 Closed, 8 Canceled")),
        "{logs:?}"
    );
}

fn the_healthcheck_refuses_state_8_on_the_old_model(release: Release) {
    let rig = Rig::new(release);
    let mut profile = rig.sn.profile();
    profile.state_model = StateModel::Old;
    rig.sn.set_profile(profile);
    let mut sink = rig
        .build(json!({}))
        .expect("builds: the check needs the instance");
    let err = sink
        .healthcheck()
        .expect_err("the default closed states include 8");
    assert_eq!(err.kind(), ErrorKind::Config);
    assert_eq!(err.key_path(), Some("closed_states[2]"));
    assert!(err.message().contains("no state \"8\""), "{err}");
    assert!(
        err.message()
            .contains("1 New, 2 Active, 3 Awaiting Problem"),
        "{err}"
    );
    let err = rig
        .build(json!({"closed_states": ["6", "7"], "reopen_state": "8"}))
        .expect("builds")
        .healthcheck()
        .expect_err("no 8 to reopen to");
    assert_eq!(err.key_path(), Some("reopen_state"));
    // Configured for the old model, it starts.
    let mut sink = rig.sink_with(json!({"closed_states": ["6", "7"], "reopen_state": "2"}));
    let id = rig.create(&mut sink, "k").id;
    assert!(rig.sn.set_state(&id, "6"));
    assert_eq!(done(&one(&mut sink, reopen(&id))).state, "2");
}

fn the_healthcheck_refuses_a_close_code_the_instance_lacks(release: Release) {
    // A code of the other era's list: the instance drops it silently, so the sink refuses it.
    let (foreign, listed) = if release >= Release::WashingtonDc {
        ("Solved (Permanently)", "Workaround provided")
    } else {
        ("Solution provided", "Solved Remotely (Work Around)")
    };
    let rig = Rig::new(release);
    let err = rig
        .build(json!({"close_code": foreign}))
        .expect("builds")
        .healthcheck()
        .expect_err("not an era close code");
    assert_eq!(err.key_path(), Some("close_code"));
    assert!(err.message().contains(listed), "{err}");
    // And a resolve naming an unknown code is refused before it is sent (the instance
    // would drop it silently).
    let mut sink = rig.sink();
    let id = rig.create(&mut sink, "k").id;
    let (outcome, cost) = counting(&rig, || {
        one(
            &mut sink,
            change(
                &id,
                sluice_sdk::StateChange::Resolve {
                    close_code: foreign.into(),
                    close_notes: "n".into(),
                },
            ),
        )
    });
    assert!(
        failed(&outcome).message().contains(&format!("{foreign:?}")),
        "{outcome:?}"
    );
    assert_eq!(cost.total(), 0);
}

fn oauth_password_grant_then_refresh_before_expiry(release: Release) {
    let rig = Rig::new(release);
    let oauth = json!({"oauth": {"client_id": "sluice", "client_secret": "sluice-secret"}});
    let mut sink = rig.sink_with(oauth);
    rig.create(&mut sink, "k1");
    let stats = rig.requests();
    assert_eq!(
        stats.count("POST", PathKind::OAuthToken),
        1,
        "one password grant"
    );
    // 1790 s later on both clocks: within the refresh margin of a 1799 s token.
    rig.clock.advance(Duration::from_secs(1790));
    rig.sn.advance(Duration::from_secs(1790));
    let (_, cost) = counting(&rig, || rig.create(&mut sink, "k2"));
    assert_eq!(
        cost.count("POST", PathKind::OAuthToken),
        1,
        "refreshed before the call"
    );
    assert_eq!(cost.status(401), 0);
    assert_eq!(cost.total(), 2);
}

fn oauth_refreshes_once_after_a_401(release: Release) {
    let rig = Rig::new(release);
    let oauth = json!({"oauth": {"client_id": "sluice", "client_secret": "sluice-secret"}});
    let mut sink = rig.sink_with(oauth);
    // The instance's clock runs ahead of the host's: the token expired there, not here.
    rig.sn.advance(Duration::from_secs(2000));
    let (outcome, cost) = counting(&rig, || one(&mut sink, create("k")));
    done(&outcome);
    assert_eq!(cost.status(401), 1);
    assert_eq!(cost.count("POST", PathKind::OAuthToken), 1);
    assert_eq!(cost.count("POST", PathKind::TableCollection), 2);
}

fn oauth_with_a_wrong_secret_is_a_credentials_error(release: Release) {
    let rig = Rig::new(release);
    let mut sink = rig
        .build(json!({"oauth": {"client_id": "sluice", "client_secret": "s3cr3t-wrong"}}))
        .expect("builds");
    let err = sink.healthcheck().expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Credentials);
    assert!(err.message().contains("`sluice`"), "{err}");
    assert!(
        !err.message().contains("s3cr3t") && !err.message().contains("password=sluice"),
        "{err}"
    );
}

#[test]
fn an_unknown_release_lists_the_supported_ones() {
    let plugin = sluice_sink_servicenow::in_process().expect("registers");
    let config = json!({
        "endpoint": "https://acme.service-now.com",
        "release": "ankara",
        "username": "svc",
        "password": "pw",
    });
    let err = plugin
        .validate_config("servicenow", &config)
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Config);
    assert_eq!(err.key_path(), Some("release"));
    assert!(
        err.message()
            .contains("helsinki, istanbul, jakarta (experimental), kingston, london, madrid"),
        "{err}"
    );
    assert!(err.message().contains("washingtondc"), "{err}");
    let err = plugin
        .validate_config("servicenow", &json!({"endpoint": "x", "releas": "london"}))
        .expect_err("a misspelled key");
    assert!(err.message().contains("unknown field `releas`"), "{err}");
}

#[test]
fn every_release_has_an_adapter_and_a_test_per_release() {
    let plugin = sluice_sink_servicenow::in_process().expect("registers");
    for release in Release::ALL {
        for name in [release.key(), release.name()] {
            let config = json!({"endpoint": "https://acme.service-now.com", "release": name,
                "username": "svc", "password": "pw"});
            assert!(
                plugin.validate_config("servicenow", &config).is_ok(),
                "{name}"
            );
        }
    }
    // `per_release!` writes one test per release by hand; this counts them.
    let listed = include_str!("harness.rs")
        .matches("super::$name(Release::")
        .count();
    assert_eq!(listed, Release::ALL.len());
}

#[test]
fn jakarta_warns_that_its_support_is_experimental() {
    for release in Release::ALL {
        let rig = Rig::new(release);
        rig.build(json!({})).expect("builds");
        let experimental = rig.warnings().iter().any(|w| w.contains("experimental"));
        assert_eq!(
            experimental,
            release == Release::Jakarta,
            "{release}: {:?}",
            rig.warnings()
        );
    }
}

#[test]
fn the_example_config_parses_and_validates() {
    let text = include_str!("../../config.example.toml");
    let table: toml::Table = toml::from_str(text).expect("TOML");
    let sink = table["pipelines"]["security"]["sink"]
        .as_table()
        .expect("a sink table")
        .clone();
    let mut settings = sink;
    for host_key in ["type", "plugin", "http"] {
        settings.remove(host_key);
    }
    let json = serde_json::to_value(settings).expect("JSON");
    let plugin = sluice_sink_servicenow::in_process().expect("registers");
    plugin
        .validate_config("servicenow", &json)
        .expect("the example is valid");
}

per_release!(
    the_healthcheck_accepts_a_new_instance_and_reads_its_states,
    the_healthcheck_refuses_state_8_on_the_old_model,
    the_healthcheck_refuses_a_close_code_the_instance_lacks,
    oauth_password_grant_then_refresh_before_expiry,
    oauth_refreshes_once_after_a_401,
    oauth_with_a_wrong_secret_is_a_credentials_error,
);
