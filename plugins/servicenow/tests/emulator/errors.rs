//! Every error class: what the sink reports, and that it never loops or sleeps.

use std::time::{Duration, SystemTime};

use sluice_emulators::servicenow::{
    CloseInfoPolicy, ClosedWrites, Faults, PathKind, RateLimitRule, ServerErrorStatus, Trigger,
};
use sluice_sdk::{ActionOutcome, ErrorKind, StateChange};

use crate::harness::*;

const UNKNOWN: &str = "0123456789abcdef0123456789abcdef";

fn rate_limit_429_is_retry_after_the_announced_delay(release: Release) {
    let rig = Rig::new(release);
    let mut sink = rig.sink();
    // 600 s into an hour: the hourly rate-limit counter resets in 3000 s.
    let hour = SystemTime::UNIX_EPOCH + Duration::from_secs(1_527_847_200);
    rig.sn.set_now(hour + Duration::from_secs(600));
    let mut profile = rig.sn.profile();
    profile.rate_limit = Some(RateLimitRule::per_hour(1));
    rig.sn.set_profile(profile);
    done(&one(&mut sink, create("first")));
    let (outcome, cost) = counting(&rig, || one(&mut sink, create("second")));
    assert_eq!(
        (cost.total(), cost.status(429)),
        (1, 1),
        "no retry inside the sink"
    );
    match outcome {
        ActionOutcome::Retry {
            retry_after: Some(delay),
            reason,
        } => {
            assert!((2990..=3000).contains(&delay.as_secs()), "{delay:?}");
            assert!(reason.contains("Rate limit exceeded"), "{reason}");
        }
        other => panic!("expected Retry with a delay, got {other:?}"),
    }
}

fn a_busy_node_429_is_retry_without_a_delay(release: Release) {
    let rig = Rig::new(release);
    let mut sink = rig.sink();
    rig.sn.set_faults(Faults {
        busy: Trigger::next(1),
        ..Faults::default()
    });
    assert!(matches!(
        one(&mut sink, create("k")),
        ActionOutcome::Retry {
            retry_after: None,
            ..
        }
    ));
}

fn server_errors_and_proxy_pages_are_retried(release: Release) {
    let rig = Rig::new(release);
    let mut sink = rig.sink();
    let id = rig.create(&mut sink, "k").id;
    for status in [
        ServerErrorStatus::InternalServerError,
        ServerErrorStatus::BadGateway,
        ServerErrorStatus::ServiceUnavailable,
    ] {
        rig.sn.set_faults(Faults {
            server_error: Trigger::next(1),
            server_error_status: status,
            ..Faults::default()
        });
        let (outcomes, cost) = counting(&rig, || {
            sink.deliver(vec![note(&id, "x"), attach(&id, "a", "text/plain", b"a")])
        });
        assert_eq!(cost.total(), 1, "the attachment waits: {outcomes:?}");
        match &outcomes[0] {
            ActionOutcome::Retry {
                retry_after: None,
                reason,
            } => {
                assert!(reason.contains(&u16::from(status).to_string()), "{reason}");
            }
            other => panic!("expected Retry, got {other:?}"),
        }
        assert!(
            matches!(&outcomes[1], ActionOutcome::Retry { reason, .. } if reason.contains("earlier action"))
        );
    }
}

/// A create whose connection broke may have been done: the sink cannot tell, and says so.
fn a_dropped_connection_leaves_a_create_in_doubt(release: Release) {
    let rig = Rig::new(release);
    let mut sink = rig.sink();
    rig.sn.set_faults(Faults {
        drop_connection: Trigger::next(1),
        ..Faults::default()
    });
    let outcome = one(&mut sink, create("k"));
    assert!(
        matches!(&outcome, ActionOutcome::InDoubt { reason } if reason.contains("\"k\"")),
        "{outcome:?}"
    );
    assert_eq!(rig.requests().dropped(), 1);
    // A note on a known ticket is simply retried: it is not a create.
    let id = rig.create(&mut sink, "k2").id;
    rig.sn.set_faults(Faults {
        drop_connection: Trigger::next(1),
        ..Faults::default()
    });
    let outcome = one(&mut sink, note(&id, "x"));
    assert!(
        matches!(outcome, ActionOutcome::Retry { .. }),
        "{outcome:?}"
    );
}

fn a_lost_create_answer_is_in_doubt_and_found_by_its_key(release: Release) {
    let rig = Rig::new(release);
    let mut sink = rig.sink();
    rig.sn.set_faults(Faults {
        ambiguous_post: Trigger::next(1),
        ..Faults::default()
    });
    assert!(matches!(
        one(&mut sink, create("ambiguous")),
        ActionOutcome::InDoubt { .. }
    ));
    // What the host does before retrying a create whose outcome it never learned.
    let found = one(&mut sink, find("ambiguous"));
    assert_eq!(rig.sn.incidents().len(), 1);
    assert_eq!(done(&found).id, rig.sn.incidents()[0].sys_id());
}

fn bad_data_400_is_failed_with_servicenows_words(release: Release) {
    let rig = Rig::new(release);
    let mut sink = rig.sink();
    let mut profile = rig.sn.profile();
    profile.max_body_bytes = 2048;
    rig.sn.set_profile(profile);
    let mut big = create("big");
    if let sluice_sdk::TicketAction::Create { fields, .. } = &mut big {
        fields.set("description", "x".repeat(4096));
    }
    let outcome = one(&mut sink, big);
    let error = failed(&outcome);
    assert_eq!(error.kind(), ErrorKind::Rejected);
    assert!(
        error
            .message()
            .contains("HTTP 400 Exception while reading request: Rejected large REST payload"),
        "{error}"
    );

    // An unknown table: 400 `Invalid table incidnet` with a null detail.
    let mut sink = rig
        .build(serde_json::json!({"table": "incidnet"}))
        .expect("builds");
    let outcome = one(&mut sink, create("k"));
    let error = failed(&outcome);
    assert!(
        error
            .message()
            .ends_with("HTTP 400 Invalid table incidnet; check `table`"),
        "{error}"
    );
}

fn wrong_credentials_are_a_credentials_failure_naming_the_user(release: Release) {
    let rig = Rig::new(release);
    let mut sink = rig
        .build(serde_json::json!({"password": "hunter2-wrong"}))
        .expect("builds");
    let err = sink.healthcheck().expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Credentials);
    assert!(err.message().contains("`sluice`"), "{err}");
    assert!(!err.message().contains("hunter2"), "{err}");
    let outcome = one(&mut sink, create("k"));
    assert_eq!(failed(&outcome).kind(), ErrorKind::Credentials);
    assert!(!failed(&outcome).message().contains("hunter2"));
}

fn a_closed_incident_under_the_strict_acl_is_failed_naming_the_permission(release: Release) {
    let rig = Rig::new(release);
    assert_eq!(rig.sn.profile().closed_writes, ClosedWrites::Strict);
    let mut sink = rig.sink();
    let id = rig.create(&mut sink, "k").id;
    assert!(rig.sn.set_state(&id, "7"), "the service desk closes it");
    done(&one(&mut sink, get(&id)));
    let (outcomes, cost) = counting(&rig, || {
        sink.deliver(vec![note(&id, "again"), reopen(&id), note(&id, "later")])
    });
    assert_eq!(
        cost.total(),
        1,
        "one PATCH, refused, and nothing more: {outcomes:?}"
    );
    assert_eq!(cost.status(403), 1);
    for outcome in &outcomes[..2] {
        let error = failed(outcome);
        assert_eq!(error.kind(), ErrorKind::Rejected);
        assert!(
            error
                .message()
                .contains("ACL Exception Update Failed due to security constraints"),
            "{error}"
        );
        assert!(
            error
                .message()
                .contains("write access to inactive incidents"),
            "{error}"
        );
    }
    assert!(
        matches!(&outcomes[2], ActionOutcome::Retry { .. }),
        "{outcomes:?}"
    );
    assert_eq!(
        rig.sn
            .incident(&id)
            .map(|i| i.state().to_owned())
            .as_deref(),
        Some("7")
    );

    // Where the instance lets the user write closed incidents, the same batch reopens it.
    let mut profile = rig.sn.profile();
    profile.closed_writes = ClosedWrites::Permissive;
    rig.sn.set_profile(profile);
    let outcomes = sink.deliver(vec![note(&id, "again"), reopen(&id)]);
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, ActionOutcome::Done(t) if t.state == "1")),
        "{outcomes:?}"
    );
}

fn a_data_policy_refusal_is_failed(release: Release) {
    let rig = Rig::new(release);
    let mut profile = rig.sn.profile();
    profile.close_info = CloseInfoPolicy::DataPolicy;
    rig.sn.set_profile(profile);
    let mut sink = rig.sink();
    let id = rig.create(&mut sink, "k").id;
    // A raw set to Resolved carries no close info; the named Resolve would.
    let outcome = one(&mut sink, change(&id, StateChange::set("6")));
    let error = failed(&outcome);
    assert!(
        error
            .message()
            .contains("HTTP 403 Operation Failed: Data Policy Exception"),
        "{error}"
    );
    assert_eq!(done(&one(&mut sink, resolve(&id, release))).state, "6");
}

fn an_unknown_sys_id_is_failed_and_later_actions_wait(release: Release) {
    let rig = Rig::new(release);
    let mut sink = rig.sink();
    let (outcomes, cost) = counting(&rig, || {
        sink.deliver(vec![
            note(UNKNOWN, "x"),
            attach(UNKNOWN, "a", "text/plain", b"a"),
            reopen(UNKNOWN),
            create("other"),
        ])
    });
    let error = failed(&outcomes[0]);
    assert!(
        error.message().contains(
            "HTTP 404 No Record found: Record doesn't exist or ACL restricts the record retrieval"
        ),
        "{error}"
    );
    assert!(
        matches!(&outcomes[1], ActionOutcome::Retry { .. }),
        "{outcomes:?}"
    );
    // The reopen shared the note's PATCH, so it shares its outcome.
    assert_eq!(outcomes[2], outcomes[0]);
    done(&outcomes[3]);
    assert_eq!(cost.count("PATCH", PathKind::TableRecord), 1);
    assert_eq!(cost.count("POST", PathKind::AttachmentFile), 0);
}

per_release!(
    rate_limit_429_is_retry_after_the_announced_delay,
    a_busy_node_429_is_retry_without_a_delay,
    server_errors_and_proxy_pages_are_retried,
    a_dropped_connection_leaves_a_create_in_doubt,
    a_lost_create_answer_is_in_doubt_and_found_by_its_key,
    bad_data_400_is_failed_with_servicenows_words,
    wrong_credentials_are_a_credentials_failure_naming_the_user,
    a_closed_incident_under_the_strict_acl_is_failed_naming_the_permission,
    a_data_policy_refusal_is_failed,
    an_unknown_sys_id_is_failed_and_later_actions_wait,
);

/// A create the instance finishes after the client gave up (its transaction runs on): the
/// sink reports it in doubt, a lookup meanwhile finds nothing, and the incident appears later.
/// Release-independent, so it runs once.
#[test]
fn a_create_committed_after_the_client_gave_up_is_in_doubt_then_found() {
    let rig = Rig::new(Release::London);
    let mut sink = rig.sink_with(serde_json::json!({"request_timeout": "300ms"}));
    rig.sn.set_faults(Faults {
        late_commit: Trigger::next(1),
        late_commit_ms: (1000, 1000),
        ..Faults::default()
    });
    let outcome = one(&mut sink, create("late"));
    assert!(
        matches!(&outcome, ActionOutcome::InDoubt { reason } if reason.contains("\"late\"")),
        "{outcome:?}"
    );
    assert!(
        matches!(one(&mut sink, find("late")), ActionOutcome::NotFound),
        "not committed yet"
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while rig.sn.incidents().is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        rig.sn.incidents().len(),
        1,
        "the instance finished the create although the client had gone"
    );
    done(&one(&mut sink, find("late")));
}

/// Two incidents with one correlation key (a create committed later than the window allowed
/// for): the lookup takes the newer and reports both, so an agent can close the duplicate.
#[test]
fn a_duplicate_incident_found_by_a_lookup_is_reported() {
    let rig = Rig::new(Release::London);
    let mut sink = rig.sink();
    let first = rig.create(&mut sink, "twice");
    rig.sn.set_now(SystemTime::now() + Duration::from_secs(60));
    let second = rig.create(&mut sink, "twice");
    let found = one(&mut sink, find("twice"));
    assert_eq!(done(&found).id, second.id, "the newer incident");
    let warnings = rig.warnings();
    assert!(
        warnings.iter().any(|w| w.contains("Duplicate incidents")
            && w.contains(first.number.as_str())
            && w.contains(second.number.as_str())),
        "{warnings:?}"
    );
}
