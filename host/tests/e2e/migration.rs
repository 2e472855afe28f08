//! Issue 6, migration: the vendor add-on's settings files, converted by `sluice
//! import-legacy`, run as they are and behave as the add-on was configured: its ticket
//! parameters, its journal, its reopen options.

use std::path::Path;

use sluice_emulators::servicenow::Incident;

use crate::support::{write_lockout, Daemon, Site, AUDITOR_PASSWORD, AUDITOR_USER, BRISK};
use crate::util::sluice;

const LOCKED_OUT: &str = "ITSM Add-On: User Account Locked Out";

/// The customized vendor sample, pointed at the emulators (and with a one-second
/// consolidation interval, so a repeat is written while the test waits), with `edits` to
/// `ITSMSettings.xml`.
fn vendor_files(site: &Site, edits: &[(&str, &str)]) -> (std::path::PathBuf, std::path::PathBuf) {
    let fixtures =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/legacy/customized");
    let read = |name: &str| std::fs::read_to_string(fixtures.join(name)).unwrap();
    let itsm = read("ITSMSettings.xml")
        .replace("http://auditor.corp.local:8788", &site.auditor_url())
        .replace(r"CORP\svc-audit", AUDITOR_USER)
        .replace(r#"Aud!t&lt;0r "q" ${HOME}\end"#, AUDITOR_PASSWORD)
        .replace(
            "<ConsolidationInterval>600</ConsolidationInterval>",
            "<ConsolidationInterval>1</ConsolidationInterval>",
        );
    let itsm = edits
        .iter()
        .fold(itsm, |text, (from, to)| text.replace(from, to));
    let servicenow = read("ServiceNowSettings.xml")
        .replace(
            "<URL>acme.service-now.com</URL>",
            &format!("<URL>{}</URL>", site.servicenow_url()),
        )
        .replace("svc_netwrix_int", "sluice")
        .replace("Sn0w&amp;Pa55 'x'", "sluice");
    let itsm_path = site.dir().join("ITSMSettings.xml");
    let servicenow_path = site.dir().join("ServiceNowSettings.xml");
    std::fs::write(&itsm_path, itsm).unwrap();
    std::fs::write(&servicenow_path, servicenow).unwrap();
    (itsm_path, servicenow_path)
}

/// Imports the customized vendor sample (with `edits`) over the site's config, starts `sluice
/// run`, and has Auditor's response action report a lockout of jdoe: the incident, once open.
fn run_imported<'s>(site: &'s Site, edits: &[(&str, &str)]) -> (Daemon<'s>, Incident) {
    let (itsm, servicenow) = vendor_files(site, edits);
    let import = sluice()
        .current_dir(site.dir())
        .arg("import-legacy")
        .arg(&itsm)
        .arg(&servicenow)
        .arg("-o")
        .arg(site.config_path())
        // Over the harness's own config.
        .arg("--force")
        .output()
        .unwrap();
    assert!(
        import.status.success(),
        "{}",
        String::from_utf8_lossy(&import.stderr)
    );
    let rid = write_lockout(&site.auditor, "jdoe", "2025-03-11T08:45:12Z");
    let host = site.run().start();
    site.alert_response(&["--alert-name", LOCKED_OUT, "{A1}", &rid]);
    host.wait_until("the incident", || site.incidents().len() == 1);
    (host, site.incidents().remove(0))
}

/// The service desk resolves `incident`, and jdoe is locked out again.
fn resolve_and_repeat(site: &Site, incident: &Incident) {
    assert!(site.servicenow.set_state(incident.number(), "6"));
    let again = write_lockout(&site.auditor, "jdoe", "2025-03-11T09:15:00Z");
    site.alert_response(&["--alert-name", LOCKED_OUT, "{A1}", &again]);
}

#[test]
fn an_imported_vendor_config_writes_the_vendors_ticket_fields_and_journal() {
    let site = Site::new(&[BRISK]);
    let (host, incident) = run_imported(&site, &[]);
    for (field, value) in [
        (
            "short_description",
            format!("[Audit] {LOCKED_OUT} on dc01.corp.local"),
        ),
        ("category", "security".to_owned()),
        ("impact", "2".to_owned()),
        ("urgency", "2".to_owned()),
        (
            "assignment_group",
            "8a4dde73c6112278017a6a4baf547aa7".to_owned(),
        ),
        ("contact_type", "monitoring".to_owned()),
    ] {
        assert_eq!(incident.get(field), value, "{field}");
    }
    // Its journal is `comments`, not work notes, with the vendor's layout.
    let journal = site.servicenow.journal(incident.sys_id());
    assert!(!journal.is_empty());
    assert!(
        journal.iter().all(|e| e.element == "comments"),
        "{journal:#?}"
    );
    let comment = &journal[0].value;
    assert!(
        comment.starts_with("Alert Details:\nWho: CORP\\jdoe\n"),
        "{comment}"
    );
    assert!(
        comment.contains("Sent by Netwrix Auditor from "),
        "{comment}"
    );

    // This vendor config neither updates nor reopens on a repeat, and does not correlate:
    // the repeat after the resolve opens a second incident that does not reference the first.
    resolve_and_repeat(&site, &incident);
    host.wait_until("the second incident", || site.incidents().len() == 2);
    host.stop().assert_clean();
    let incidents = site.incidents();
    assert_eq!(incidents[0].state(), "6", "the first stays resolved");
    assert!(
        !incidents[1].get("description").contains(incident.number()),
        "{}",
        incidents[1].get("description")
    );
}

#[test]
fn an_imported_vendor_config_reopens_to_the_vendors_new_state() {
    let site = Site::new(&[BRISK]);
    let (host, incident) = run_imported(
        &site,
        &[
            (
                "<UpdateTicketOnRepetitiveAlerts>false</UpdateTicketOnRepetitiveAlerts>",
                "<UpdateTicketOnRepetitiveAlerts>true</UpdateTicketOnRepetitiveAlerts>",
            ),
            (
                "<ReopenTicketOnRepetitiveAlerts>False</ReopenTicketOnRepetitiveAlerts>",
                "<ReopenTicketOnRepetitiveAlerts>True</ReopenTicketOnRepetitiveAlerts>",
            ),
        ],
    );
    // ReopenTicketOptions: closed states 6 and 7, new state 2 (In Progress).
    resolve_and_repeat(&site, &incident);
    host.wait_until("the reopen to In Progress", || {
        site.servicenow
            .incident(incident.number())
            .is_some_and(|i| i.state() == "2")
    });
    host.stop().assert_clean();
    assert_eq!(site.incidents().len(), 1, "updated, not opened again");
}
