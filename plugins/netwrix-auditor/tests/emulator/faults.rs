//! What a real server and network do wrong (error statuses, marks on the last page, marks that
//! never end, slow answers), through the emulator's switches and fault modes: every scan
//! terminates, every failure is classified.

use serde_json::json;
use sluice_emulators::auditor::{AuditorConfig, Behaviour, DatasetConfig, Faults};
use sluice_sdk::{Checkpoint, ErrorKind, PluginError};
use sluice_source_netwrix_auditor::Format;

use crate::harness::{at, both_formats, checkpoint_json, drain, Env, PASSWORD, USER};

fn env(records: usize, behaviour: Behaviour) -> Env {
    Env::new(
        AuditorConfig {
            dataset: Some(DatasetConfig {
                records,
                ..DatasetConfig::default()
            }),
            behaviour,
            ..AuditorConfig::default()
        },
        at("2025-04-03T00:00:00Z"),
    )
}

fn poll_config(env: &Env, format: Format, count: u32) -> serde_json::Value {
    env.config(
        format,
        json!({"start": "2025-03-01T00:00:00Z", "count": count}),
    )
}

fn error(result: Result<impl std::fmt::Debug, PluginError>) -> PluginError {
    result.expect_err("an error")
}

/// The empty page that ends the data may or may not carry a mark; either way the
/// scan (and a fetch) stops there: 200 records at 50 a page take exactly five searches.
fn an_empty_page_ends_the_scan_with_or_without_a_mark(format: Format) {
    for mark_on_last_page in [true, false] {
        let env = env(
            200,
            Behaviour {
                mark_on_last_page,
                ..Behaviour::default()
            },
        );
        let mut checkpoint = None;
        let records = drain(
            &mut env.source(&poll_config(&env, format, 50)),
            &mut checkpoint,
        );
        assert_eq!(records.len(), 200, "mark on last page: {mark_on_last_page}");
        assert_eq!(env.searches(), 5, "mark on last page: {mark_on_last_page}");
        let unknown = vec!["20200101000000000FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF".to_owned()];
        let mut source = env.source(&env.config(format, json!({})));
        assert!(source.fetch(unknown).expect("fetch").is_empty());
        assert_eq!(env.searches(), 6);
    }
}

/// A mark that leads to the same page forever. The repeated page is recognised, by the
/// instance that saw the first one and, after a restart, from the checkpoint's page digest;
/// the scan ends with a warning and nothing is returned twice. A fetch batch stops the same way.
fn an_endless_mark_ends_the_scan_with_a_warning(format: Format) {
    let env = env(100, Behaviour::default());
    env.auditor.set_faults(Faults {
        endless_mark: true,
        ..Faults::default()
    });
    let config = poll_config(&env, format, 10);
    let mut source = env.source(&config);
    let first = source.poll(None).expect("page 1");
    assert_eq!((first.records.len(), first.more), (10, true));

    let again = source.poll(Some(first.checkpoint.clone())).expect("page 2");
    assert!(again.records.is_empty());
    assert!(!again.more, "the scan ends");
    assert!(env.warnings().iter().any(|w| w.contains("never ends")));

    let restarted = env
        .source(&config)
        .poll(Some(first.checkpoint))
        .expect("page 2 after a restart");
    assert!(restarted.records.is_empty());
    assert!(!restarted.more, "the scan ends after a restart too");
    assert_eq!(env.searches(), 3);

    let rids: Vec<String> = env
        .auditor
        .records()
        .iter()
        .filter_map(|r| r.rid.clone())
        .take(30)
        .collect();
    let mut fetcher = env.source(&env.config(format, json!({"count": 5})));
    let fetched = fetcher.fetch(rids).expect("fetch ends");
    assert_eq!(fetched.len(), 5);
    assert_eq!(env.searches(), 5);
    assert_eq!(env.warnings().len(), 3);
}

/// `max_pages_per_scan` bounds a scan whatever the server does.
fn the_page_cap_ends_a_scan(format: Format) {
    let env = env(100, Behaviour::default());
    let mut config = poll_config(&env, format, 5);
    config["max_pages_per_scan"] = json!(3);
    let mut checkpoint = None;
    let records = drain(&mut env.source(&config), &mut checkpoint);
    assert_eq!(records.len(), 15);
    assert_eq!(env.searches(), 3);
    assert!(env
        .warnings()
        .iter()
        .any(|w| w.contains("max_pages_per_scan = 3")));
    let state = checkpoint.as_ref().map(checkpoint_json).unwrap_or_default();
    assert!(
        state.get("mark").is_none(),
        "the next poll starts a new window"
    );
}

/// A body cut in half is an error naming the request (never the password), and the
/// checkpoint does not move: the same poll then succeeds.
fn a_truncated_page_is_an_error_and_the_checkpoint_stays(format: Format) {
    let env = env(100, Behaviour::default());
    let mut source = env.source(&poll_config(&env, format, 10));
    let first = source.poll(None).expect("page 1");
    env.auditor.set_faults(Faults {
        truncate_next: 1,
        ..Faults::default()
    });
    let err = error(source.poll(Some(first.checkpoint.clone())));
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
    let message = err.to_string();
    assert!(message.contains("POST http://127.0.0.1:"), "{message}");
    assert!(
        message.contains("/netwrix/api/v1/activity_records/search"),
        "{message}"
    );
    assert!(message.contains("page 2"), "{message}");
    assert!(!message.contains(PASSWORD), "{message}");

    let second = source
        .poll(Some(first.checkpoint))
        .expect("page 2, retried");
    assert_eq!(second.records.len(), 10);
    assert!(second
        .records
        .iter()
        .all(|r| first.records.iter().all(|f| f.id != r.id)));

    env.auditor.set_faults(Faults {
        truncate_next: 1,
        ..Faults::default()
    });
    let rid = first.records[0].id.clone();
    assert_eq!(error(source.fetch(vec![rid])).kind(), ErrorKind::Protocol);
}

/// 503 (Archive Service busy) and a connection dropped without an answer are transient:
/// the host retries with backoff; the next attempt succeeds.
fn busy_and_dropped_are_transient(format: Format) {
    let env = env(50, Behaviour::default());
    let mut source = env.source(&poll_config(&env, format, 10));
    env.auditor.set_faults(Faults {
        unavailable_next: 1,
        ..Faults::default()
    });
    let busy = error(source.poll(None));
    assert_eq!(busy.kind(), ErrorKind::Transient);
    assert!(busy.message().contains("503"), "{busy}");
    env.auditor.set_faults(Faults {
        drop_next: 1,
        ..Faults::default()
    });
    let dropped = error(source.poll(None));
    assert_eq!(dropped.kind(), ErrorKind::Transient, "{dropped}");
    env.auditor.set_faults(Faults {
        drop_next: 1,
        ..Faults::default()
    });
    assert_eq!(
        error(source.fetch(vec!["R".to_owned()])).kind(),
        ErrorKind::Transient
    );
    assert_eq!(source.poll(None).expect("recovered").records.len(), 10);
}

/// 401: a credentials error naming the account and the role it needs, never a password; and
/// a hint when the server does not offer Basic at all.
fn unauthorized_is_a_credentials_error(format: Format) {
    let env = env(10, Behaviour::default());
    let mut config = env.config(format, json!({}));
    config["password"] = json!("not-the-password");
    let mut source = env.source(&config);
    for err in [error(source.healthcheck()), error(source.poll(None))] {
        assert_eq!(err.kind(), ErrorKind::Credentials);
        let message = err.to_string();
        assert!(message.contains(USER), "{message}");
        assert!(message.contains("Global reviewer"), "{message}");
        assert!(!message.contains("not-the-password"), "{message}");
        assert!(!message.contains(PASSWORD), "{message}");
    }

    let windows_only = self::env(
        10,
        Behaviour {
            accept_basic: false,
            ..Behaviour::default()
        },
    );
    let err = error(
        windows_only
            .source(&windows_only.config(format, json!({})))
            .healthcheck(),
    );
    assert_eq!(err.kind(), ErrorKind::Credentials);
    assert!(err.message().contains("Basic"), "{err}");
    // The Windows schemes the server does offer work, through the host's handshake.
    for auth in ["ntlm", "negotiate"] {
        let config = windows_only.config(format, json!({ "auth": auth }));
        if let Err(e) = windows_only.source(&config).healthcheck() {
            panic!("{auth}: {e}");
        }
    }
}

/// A stored mark the server no longer accepts (400 after a restart) restarts the window's
/// scan from its first page, instead of failing forever; the window is then read whole.
fn a_refused_stored_mark_restarts_the_scan(format: Format) {
    let env = env(300, Behaviour::default());
    let config = poll_config(&env, format, 20);
    let first = env.source(&config).poll(None).expect("page 1");
    let mut state = checkpoint_json(&first.checkpoint);
    state["mark"] = json!("bm90IGEgbWFyayBvZiB0aGlzIHNlcnZlcg==");
    let stale = Checkpoint(state.to_string());

    let mut source = env.source(&config);
    let restarted = source.poll(Some(stale)).expect("not an error");
    assert!(restarted.records.is_empty());
    assert!(restarted.more);
    let state = checkpoint_json(&restarted.checkpoint);
    assert_eq!(state["page"], 0);
    assert!(state.get("mark").is_none());
    assert_eq!(
        state["to"],
        checkpoint_json(&first.checkpoint)["to"],
        "the same window"
    );
    assert!(env
        .warnings()
        .iter()
        .any(|w| w.contains("refused the stored continuation mark")));

    let mut checkpoint = Some(restarted.checkpoint);
    let records = drain(&mut source, &mut checkpoint);
    assert_eq!(records.len(), 300);
}

/// The healthcheck is one small search; a wrong path is a config error about `endpoint`.
fn healthcheck_and_a_wrong_endpoint(format: Format) {
    let env = env(10, Behaviour::default());
    env.source(&env.config(format, json!({})))
        .healthcheck()
        .expect("healthy");
    assert_eq!(env.searches(), 1);
    let mut config = env.config(format, json!({}));
    config["endpoint"] = json!(format!("{}/elsewhere", env.base_url()));
    let err = error(env.source(&config).healthcheck());
    assert_eq!(err.kind(), ErrorKind::Config);
    assert_eq!(err.key_path(), Some("endpoint"));
    assert!(err.message().contains("404"), "{err}");
}

both_formats!(
    an_empty_page_ends_the_scan_with_or_without_a_mark,
    an_endless_mark_ends_the_scan_with_a_warning,
    the_page_cap_ends_a_scan,
    a_truncated_page_is_an_error_and_the_checkpoint_stays,
    busy_and_dropped_are_transient,
    unauthorized_is_a_credentials_error,
    a_refused_stored_mark_restarts_the_scan,
    healthcheck_and_a_wrong_endpoint,
);
