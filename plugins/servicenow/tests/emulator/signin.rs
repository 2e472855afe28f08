//! The sign-ins of today's releases against the emulator: the OAuth client-credentials grant
//! and API keys (Washington DC on), refused with the release that introduced them on older
//! releases; tokens that expire mid-run, refreshed once for requests in flight together; a
//! wrong client secret and a revoked API key as errors that name the setting, after which a
//! corrected config delivers the same action.

use std::time::Duration;

use serde_json::{json, Value};
use sluice_emulators::servicenow::{PathKind, Profile, ServiceNowConfig};
use sluice_sdk::{ActionOutcome, ErrorKind};

use crate::harness::*;

/// The config keys that sign in with the client-credentials grant, and no user.
fn client_credentials(secret: &str) -> Value {
    json!({
        "username": null,
        "password": null,
        "oauth": {"grant": "client_credentials", "client_id": "sluice", "client_secret": secret},
    })
}

/// The config keys that sign in with an API key, and no user.
fn api_key(key: &str) -> Value {
    json!({"username": null, "password": null, "api_key": key})
}

/// An instance of `release` whose administrator enabled the client-credentials grant.
fn with_client_credentials(release: Release) -> Rig {
    let mut config = ServiceNowConfig::for_release(release);
    config.profile = Profile {
        client_credentials: true,
        ..Profile::for_release(release)
    };
    Rig::with(config)
}

fn client_credentials_sign_in_from_washington_dc(release: Release) {
    let rig = with_client_credentials(release);
    if release < Release::WashingtonDc {
        let err = rig
            .build(client_credentials("sluice-secret"))
            .expect_err("refused");
        assert_eq!(err.kind(), ErrorKind::Config);
        assert_eq!(err.key_path(), Some("oauth.grant"));
        assert!(err.message().contains("Washington DC (2024)"), "{err}");
        return;
    }
    let mut sink = rig.sink_with(client_credentials("sluice-secret"));
    let ticket = rig.create(&mut sink, "k");
    let stored = rig.sn.incident(&ticket.id).expect("created");
    assert_eq!(
        stored.get("opened_by"),
        sluice_emulators::servicenow::API_USER_SYS_ID
    );
    assert_eq!(rig.requests().count("POST", PathKind::OAuthToken), 1);
    assert_eq!(rig.requests().with_status(401), 0);
}

fn api_key_sign_in_from_washington_dc(release: Release) {
    let rig = Rig::new(release);
    if release < Release::WashingtonDc {
        let err = rig.build(api_key("sluice-api-key")).expect_err("refused");
        assert_eq!(err.key_path(), Some("api_key"));
        assert!(err.message().contains("Washington DC (2024)"), "{err}");
        return;
    }
    let mut sink = rig.sink_with(api_key("sluice-api-key"));
    let ticket = rig.create(&mut sink, "k");
    assert!(rig.sn.incident(&ticket.id).is_some());
    assert_eq!(rig.requests().count("POST", PathKind::OAuthToken), 0);
    assert_eq!(rig.requests().with_status(401), 0);
}

#[test]
fn client_credentials_the_instance_has_not_enabled_say_so() {
    let rig = Rig::new(Release::Zurich);
    let mut sink = rig
        .build(client_credentials("sluice-secret"))
        .expect("builds");
    let err = sink.healthcheck().expect_err("the grant is off");
    assert_eq!(err.kind(), ErrorKind::Credentials);
    assert!(
        err.message()
            .contains("glide.oauth.inbound.client.credential.grant_type.enabled"),
        "{err}"
    );
}

#[test]
fn a_wrong_client_secret_names_the_setting_and_the_fixed_config_delivers() {
    let rig = with_client_credentials(Release::WashingtonDc);
    let mut wrong = rig
        .build(client_credentials("s3cr3t-wrong"))
        .expect("builds");
    let outcome = one(&mut wrong, create("k"));
    let ActionOutcome::Failed(err) = &outcome else {
        panic!("not refused: {outcome:?}")
    };
    assert_eq!(err.kind(), ErrorKind::Credentials);
    assert!(err.message().contains("`oauth.client_secret`"), "{err}");
    assert!(!err.message().contains("s3cr3t"), "{err}");
    assert!(rig.sn.incidents().is_empty());
    // The operator fixes the secret; the same action then goes through, once.
    let mut fixed = rig.sink_with(client_credentials("sluice-secret"));
    done(&one(&mut fixed, create("k")));
    assert_eq!(rig.sn.incidents().len(), 1);
}

#[test]
fn a_client_credentials_token_that_expires_mid_run_is_asked_for_again() {
    let rig = with_client_credentials(Release::Australia);
    let mut sink = rig.sink_with(client_credentials("sluice-secret"));
    rig.create(&mut sink, "k1");
    // The token lives 1799 s; the grant gave no refresh token, so the grant is asked again.
    rig.clock.advance(Duration::from_secs(1795));
    rig.sn.advance(Duration::from_secs(1795));
    let (_, cost) = counting(&rig, || rig.create(&mut sink, "k2"));
    assert_eq!(cost.count("POST", PathKind::OAuthToken), 1);
    assert_eq!(cost.status(401), 0);
    // The instance's clock alone runs past the next token: a 401, one new token, one retry.
    rig.sn.advance(Duration::from_secs(3600));
    let (outcome, cost) = counting(&rig, || one(&mut sink, create("k3")));
    done(&outcome);
    assert_eq!(
        (cost.status(401), cost.count("POST", PathKind::OAuthToken)),
        (1, 1)
    );
    assert_eq!(rig.sn.incidents().len(), 3);
}

#[test]
fn requests_in_flight_together_share_one_refreshed_token() {
    let rig = Rig::new(Release::Zurich);
    let oauth = json!({"oauth": {"client_id": "sluice", "client_secret": "sluice-secret"},
        "max_concurrent_requests": 4});
    let mut sink = rig.sink_with(oauth);
    let tickets: Vec<String> = (0..4)
        .map(|n| rig.create(&mut sink, &format!("k{n}")).id.to_string())
        .collect();
    rig.clock.advance(Duration::from_secs(1795));
    rig.sn.advance(Duration::from_secs(1795));
    let batch = tickets.iter().map(|id| note(id, "seen again")).collect();
    let (outcomes, cost) = counting(&rig, || sink.deliver(batch));
    assert!(
        outcomes.iter().all(|o| matches!(o, ActionOutcome::Done(_))),
        "{outcomes:?}"
    );
    assert_eq!(cost.count("POST", PathKind::OAuthToken), 1, "one refresh");
    assert_eq!(cost.status(401), 0);
}

#[test]
fn a_revoked_api_key_names_the_setting_and_a_new_key_delivers() {
    let rig = Rig::new(Release::Yokohama);
    let mut sink = rig.sink_with(api_key("sluice-api-key"));
    let id = rig.create(&mut sink, "k").id;
    let notes = rig.sn.journal(&id).len();
    assert!(rig.sn.revoke_api_key("sluice-api-key"));
    let outcome = one(&mut sink, note(&id, "after the revocation"));
    let ActionOutcome::Failed(err) = &outcome else {
        panic!("not refused: {outcome:?}")
    };
    assert_eq!(err.kind(), ErrorKind::Credentials);
    assert!(err.message().contains("`api_key`"), "{err}");
    assert!(err.message().contains("revoked"), "{err}");
    assert!(!err.message().contains("sluice-api-key"), "{err}");
    assert_eq!(rig.sn.journal(&id).len(), notes);
    // The administrator issues a new key; the same note goes through with it.
    rig.sn.add_api_key("rotated-key", "sluice");
    let mut fixed = rig.sink_with(api_key("rotated-key"));
    done(&one(&mut fixed, note(&id, "after the revocation")));
    assert_eq!(rig.sn.journal(&id).len(), notes + 1);
}

#[test]
fn an_instance_without_the_api_key_plugin_refuses_the_key() {
    let mut config = ServiceNowConfig::for_release(Release::Xanadu);
    config.profile.api_key = false;
    let rig = Rig::with(config);
    let err = rig
        .build(api_key("sluice-api-key"))
        .expect("builds")
        .healthcheck()
        .expect_err("no plugin");
    assert_eq!(err.kind(), ErrorKind::Credentials);
    assert!(err.message().contains("`api_key`"), "{err}");
}

per_release!(
    client_credentials_sign_in_from_washington_dc,
    api_key_sign_in_from_washington_dc,
);
