//! `sluice dead-letters list | show | requeue` on the actions a running host gave up on while
//! ServiceNow failed, and `sluice status` naming incident states.
//!
//! ```text
//!   ServiceNow answers 500 ──► sluice run gives up (give_up_after 1s) ──► dead letters
//!   test: list, show ──► fix ServiceNow ──► requeue ID, requeue --all ──► incidents exist once
//! ```

use sluice_emulators::servicenow::{Faults, Trigger};

use crate::support::{distinct_alerts, Exit, Site};

const GIVE_UP_FAST: &str = r#"
[pipelines.p.delivery]
give_up_after = "1s"
in_doubt_window = "1s"
retry_initial = "100ms"
retry_max = "200ms"
"#;

#[test]
fn dead_letters_are_listed_shown_and_requeued_into_one_incident_each() {
    let site = Site::new(&[GIVE_UP_FAST]);
    let (code, _, stderr) = site.sluice(&["dead-letters", "list"], &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("there is no state store at"), "{stderr}");

    site.servicenow.set_faults(Faults {
        server_error: Trigger::probability(1.0),
        methods: vec!["POST".to_owned()],
        ..Faults::default()
    });
    let daemon = site.run().start();
    site.queue(&distinct_alerts(&site.auditor, 2));
    daemon.wait_until("both opens given up on", || site.dead_letters().len() == 2);

    let (code, out, err) = site.sluice(&["dead-letters", "list", "--json"], &[]);
    assert_eq!(code, Some(0), "{err}");
    let listed: serde_json::Value = serde_json::from_str(&out).unwrap();
    let letters = listed["dead_letters"].as_array().unwrap();
    assert_eq!(letters.len(), 2, "{listed}");
    for l in letters {
        assert_eq!(
            (&l["kind"], &l["alerts"], &l["pipeline"]),
            (&"open".into(), &1.into(), &"p".into())
        );
        assert!(
            l["error"].as_str().unwrap().starts_with("gave up after"),
            "{l}"
        );
        assert!(l["ticket"]["number"].is_null(), "never opened: {l}");
    }
    let (first, second) = (letters[1]["id"].to_string(), letters[0]["id"].to_string());

    let (code, human, _) = site.sluice(&["dead-letters", "list"], &[]);
    assert_eq!(code, Some(0));
    assert!(human.contains("2 dead letter(s)"), "{human}");
    assert!(
        human.contains("Alert 00") && human.contains("Alert 01"),
        "{human}"
    );

    let (code, shown, err) = site.sluice(&["dead-letters", "show", &first], &[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        shown.contains(&format!("Dead letter {first} in pipeline p")),
        "{shown}"
    );
    assert!(
        shown.contains("Given up:") && shown.contains("500"),
        "{shown}"
    );
    assert!(
        shown.contains("Alert 00") && shown.contains("record "),
        "{shown}"
    );

    let (code, _, err) = site.sluice(&["dead-letters", "show", "99999"], &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains("there is no dead letter 99999"), "{err}");

    site.servicenow.set_faults(Faults::default());
    let (code, out, err) = site.sluice(&["dead-letters", "requeue", &first], &[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains(&format!(
            "Requeued {first} (open of a ticket not opened yet, 1 alert(s))"
        )),
        "{out}"
    );
    daemon.wait_until("the requeued open reached ServiceNow", || {
        site.incidents().len() == 1
    });

    let (code, _, err) = site.sluice(&["dead-letters", "requeue", &first], &[]);
    assert_eq!(code, Some(1), "a requeued action is no dead letter");
    assert!(
        err.contains(&format!("ticket action {first} is not a dead letter")),
        "{err}"
    );

    let (code, out, err) = site.sluice(&["dead-letters", "requeue", "--all"], &[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains(&format!("Requeued {second}")), "{out}");
    daemon.wait_until("every alert delivered", || site.unfinished() == 0);
    assert_eq!(site.incidents().len(), 2, "one incident per requeued open");
    assert!(site.dead_letters().is_empty());
    let (_, human, _) = site.sluice(&["dead-letters", "list"], &[]);
    assert!(human.starts_with("No dead letters"), "{human}");

    // Incident states by name, not number.
    let (code, status, _) = site.sluice(&["status"], &[]);
    assert_eq!(code, Some(0));
    assert!(status.contains("(state New)"), "{status}");
    let (_, json, _) = site.sluice(&["status", "--json"], &[]);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let newest = &json["pipelines"][0]["open_tickets"][0]["newest"];
    assert_eq!(
        (&newest["state"], &newest["state_name"]),
        (&"1".into(), &"New".into()),
        "{newest}"
    );

    let Exit { code, log } = daemon.stop();
    assert_eq!(code, Some(0), "{log}");
}
