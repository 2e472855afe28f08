//! The whole import in-process: XML text → vendor settings → mapping → TOML text, read back
//! with the `toml` crate. The CLI tests (`host/tests/cli/import_legacy.rs`) run the binary on
//! the sample files; these cover the corners those files do not.

use std::path::Path;

use super::convert::{convert, Inputs};
use super::{legacy, write, xml};

/// Converts the two documents; returns the config as TOML and the notes as lines.
fn import(itsm: &str, servicenow: &str) -> (toml::Table, Vec<String>) {
    let i = xml::parse(Path::new("I.xml"), itsm.as_bytes()).unwrap();
    let s = xml::parse(Path::new("S.xml"), servicenow.as_bytes()).unwrap();
    let (itsm, mut notes) = legacy::read_itsm(&i, "I.xml").unwrap();
    let (sn, more) = legacy::read_servicenow(&s, "S.xml").unwrap();
    notes.extend(more);
    let imported = convert(
        &itsm,
        &sn,
        &Inputs {
            itsm: Path::new("I.xml"),
            servicenow: Path::new("S.xml"),
        },
    );
    notes.extend(imported.notes);
    let text = write::render(&imported.document);
    let table = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    (table, notes.iter().map(ToString::to_string).collect())
}

fn has(notes: &[String], text: &str) -> bool {
    notes.iter().any(|n| n.contains(text))
}

#[test]
fn out_of_range_request_settings_are_clamped_and_said_so() {
    let (config, notes) = import(
        "<R><ActivityRecordWebRequests><RequestLimit>5000</RequestLimit>\
         <RequestTimeout>0</RequestTimeout></ActivityRecordWebRequests></R>",
        "<S/>",
    );
    let source = &config["pipelines"]["security"]["source"];
    assert_eq!(source["count"].as_integer(), Some(1000));
    assert_eq!(source["request_timeout"].as_str(), Some("1s"));
    assert!(
        has(
            &notes,
            "I.xml:1: ActivityRecordWebRequests/RequestLimit: changed: 5000 records is \
             outside what sluice takes (1 to 1000); written as 1000"
        ),
        "{notes:#?}"
    );
    assert!(
        has(
            &notes,
            "ActivityRecordWebRequests/RequestTimeout: changed: 0 seconds"
        ),
        "{notes:#?}"
    );
}

#[test]
fn missing_credentials_and_urls_become_environment_references() {
    let (config, notes) = import(
        "<R><NetwrixAuditorUserName>CORP\\x</NetwrixAuditorUserName></R>",
        "<S><Connection><Password>file:/etc/pw</Password></Connection></S>",
    );
    let p = &config["pipelines"]["security"];
    assert_eq!(
        p["source"]["password"].as_str(),
        Some("${NETWRIX_AUDITOR_PASSWORD}")
    );
    assert_eq!(
        p["sink"]["endpoint"].as_str(),
        Some("${SERVICENOW_ENDPOINT}")
    );
    assert_eq!(
        p["sink"]["username"].as_str(),
        Some("${SERVICENOW_USERNAME}")
    );
    assert_eq!(
        p["sink"]["password"].as_str(),
        Some("${SERVICENOW_PASSWORD}")
    );
    assert!(
        has(&notes, "I.xml: NetwrixAuditorPassword: changed: empty"),
        "{notes:#?}"
    );
    assert!(has(&notes, "S.xml: Connection/URL: changed: not set"));
    assert!(has(&notes, "S.xml: Connection/UserName: changed: empty"));
    assert!(
        !notes.iter().any(|n| n.contains("/etc/pw")),
        "a password is never shown: {notes:#?}"
    );
    assert!(
        !has(&notes, "TicketParameters/"),
        "no ticket parameters means no per-field notes"
    );
    assert!(has(
        &notes,
        "S.xml: TicketParameters: changed: not in the file"
    ));
    assert!(p.get("ticket").is_none(), "sluice's defaults apply");
}

#[test]
fn reopen_options_that_sluice_would_refuse_are_reported() {
    let (config, notes) = import(
        "<R/>",
        "<S><ReopenTicketOptions><ClosedTicketStates/></ReopenTicketOptions></S>",
    );
    let p = &config["pipelines"]["security"];
    assert_eq!(
        p["suppression"]["reopen_ticket_on_repetitive_alerts"].as_bool(),
        Some(false)
    );
    assert!(p["sink"].get("closed_states").is_none());
    assert!(has(
        &notes,
        "ReopenTicketOptions/ClosedTicketStates: changed: lists no state"
    ));

    let (config, notes) = import(
        "<R/>",
        "<S><ReopenTicketOptions><ClosedTicketStates><TicketState>6</TicketState>\
         </ClosedTicketStates><NewState>6</NewState></ReopenTicketOptions></S>",
    );
    let sink = &config["pipelines"]["security"]["sink"];
    assert_eq!(sink["reopen_state"].as_str(), Some("6"));
    assert!(
        has(
            &notes,
            "ReopenTicketOptions/NewState: check: 6 is also a closed state"
        ),
        "{notes:#?}"
    );
}

#[test]
fn a_field_given_twice_keeps_the_later_template_in_the_later_place() {
    let (config, notes) = import(
        "<R/>",
        "<S><TicketParameters>\
         <TicketParameter><Name>impact</Name><Value>1</Value></TicketParameter>\
         <TicketParameter><Name>urgency</Name><Value>1</Value></TicketParameter>\
         <TicketParameter><Name>impact</Name><Value>3</Value></TicketParameter>\
         </TicketParameters></S>",
    );
    let ticket = &config["pipelines"]["security"]["ticket"];
    assert_eq!(ticket["impact"].as_str(), Some("3"));
    assert!(
        has(&notes, "TicketParameters/impact: changed: set again"),
        "{notes:#?}"
    );
}

#[test]
fn the_auditor_account_signs_in_with_ntlm_as_the_add_on_did() {
    for itsm in [
        "<R><NetwrixAuditorUserName>CORP\\svc</NetwrixAuditorUserName>\
         <NetwrixAuditorPassword>pw</NetwrixAuditorPassword></R>",
        "<R/>",
    ] {
        let (config, notes) = import(itsm, "<S/>");
        let source = &config["pipelines"]["security"]["source"];
        assert_eq!(source["auth"].as_str(), Some("ntlm"), "{itsm}");
        assert!(
            !has(&notes, "HTTP Basic"),
            "no Basic caveat once the scheme carries over: {notes:#?}"
        );
    }
    let (config, _) = import(
        "<R><NetwrixAuditorUserName>CORP\\svc</NetwrixAuditorUserName></R>",
        "<S/>",
    );
    assert_eq!(
        config["pipelines"]["security"]["source"]["username"].as_str(),
        Some("CORP\\svc")
    );
}
