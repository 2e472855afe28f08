//! `sluice import-legacy`: the vendor add-on's settings files in, a sluice config out.
//!
//! ```text
//!   tests/fixtures/legacy/default/*.xml ──► sluice import-legacy -o sluice.toml
//!                                             └──► sluice validate (real plugins): exit 0
//!   tests/fixtures/legacy/customized/*.xml ──► sluice import-legacy -o sluice.toml
//!        ├──► toml: every value at its key      ├──► stderr: exactly the settings dropped
//!        └──► ConfigFile::parse: suppression = the vendor's; TicketTemplate renders its fields
//! ```

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use sluice_core::{AlertContext, TicketTemplate};
use sluice_core::{ConfigFile, SecretResolver};
use sluice_sdk::{Detail, Journal, Record, Ticket};

use crate::util::{run, sluice, text, workspace_plugin};

fn fixture(set: &str, file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/legacy")
        .join(set)
        .join(file)
}

/// Imports fixture set `set` into `dir/sluice.toml`.
fn import(dir: &Path, set: &str) -> (Output, PathBuf) {
    import_files(
        dir,
        &fixture(set, "ITSMSettings.xml"),
        &fixture(set, "ServiceNowSettings.xml"),
    )
}

fn import_files(dir: &Path, itsm: &Path, servicenow: &Path) -> (Output, PathBuf) {
    let config = dir.join("sluice.toml");
    let out = run(sluice()
        .arg("import-legacy")
        .arg(itsm)
        .arg(servicenow)
        .arg("-o")
        .arg(&config)
        .current_dir(dir));
    (out, config)
}

/// The vendor file with `from` replaced by `to`, written into `dir`.
fn edited(dir: &Path, set: &str, file: &str, from: &str, to: &str) -> PathBuf {
    let original = std::fs::read_to_string(fixture(set, file)).unwrap();
    assert!(original.contains(from), "{file} has no {from:?}");
    let path = dir.join(file);
    std::fs::write(&path, original.replace(from, to)).unwrap();
    path
}

/// The text of the first `<name>` element of a vendor file (the fixtures are plain enough).
fn vendor(set: &str, file: &str, name: &str) -> String {
    let xml = std::fs::read_to_string(fixture(set, file)).unwrap();
    let lower = xml.to_ascii_lowercase();
    let open = format!("<{}>", name.to_ascii_lowercase());
    let start = lower.find(&open).unwrap_or_else(|| panic!("no <{name}>")) + open.len();
    let end = start + lower[start..].find('<').unwrap();
    xml[start..end].to_owned()
}

fn vendor_secs(set: &str, name: &str) -> Duration {
    Duration::from_secs(vendor(set, "ITSMSettings.xml", name).parse().unwrap())
}

fn vendor_flag(set: &str, name: &str) -> bool {
    match vendor(set, "ITSMSettings.xml", name)
        .to_ascii_lowercase()
        .as_str()
    {
        "true" | "1" => true,
        "false" | "0" => false,
        other => panic!("{name} = {other}"),
    }
}

fn parse_toml(path: &Path) -> toml::Table {
    let body = std::fs::read_to_string(path).unwrap();
    toml::from_str(&body).unwrap_or_else(|e| panic!("{e}\n{body}"))
}

/// The settings the report says were not carried over.
fn not_carried_over(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|l| {
            let (head, _) = l.split_once(": not carried over: ")?;
            Some(head.rsplit(": ").next()?.to_owned())
        })
        .collect()
}

#[test]
fn the_default_sample_validates_with_the_real_plugins() {
    workspace_plugin("sluice-source-netwrix-auditor");
    workspace_plugin("sluice-sink-servicenow");
    let dir = tempfile::tempdir().unwrap();
    let (out, config) = import(dir.path(), "default");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(out.stdout.is_empty(), "the config went to -o");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&config).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "it holds passwords");
    }
    assert!(
        stderr.contains(
            "TicketParameters/assignment_group: check: \"d625dccec0a8016700a22a0f7900d06\""
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "ServiceNow release (not in the add-on's files): check: written as \"london\""
        ),
        "{stderr}"
    );
    assert!(
        stderr.lines().last().unwrap().starts_with(&format!(
            "sluice import-legacy: wrote {} (pipeline \"security\"): 2 not carried over, 0 changed,",
            config.display()
        )),
        "{stderr}"
    );

    let validate = run(sluice()
        .arg("validate")
        .arg("--config")
        .arg(&config)
        .current_dir(dir.path()));
    assert_eq!(
        validate.status.code(),
        Some(0),
        "{}\n{}",
        text(&validate.stderr),
        std::fs::read_to_string(&config).unwrap()
    );
    assert!(
        text(&validate.stdout).contains("valid (1 pipeline: security)"),
        "{}",
        text(&validate.stdout)
    );

    let written = parse_toml(&config);
    assert_eq!(written["state"]["path"].as_str(), Some("sluice.db"));
    let p = &written["pipelines"]["security"];
    assert_eq!(
        p["source"]["endpoint"].as_str(),
        Some("https://localhost:9699"),
        "the vendor's scheme-less default means https"
    );
    assert_eq!(p["intake"]["alerts"].as_str(), Some("alerts"));
    assert_eq!(p["sink"]["release"].as_str(), Some("london"));
}

#[test]
fn the_customized_sample_lands_every_value_and_reports_what_has_no_equivalent() {
    let dir = tempfile::tempdir().unwrap();
    let (out, config) = import(dir.path(), "customized");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let written = parse_toml(&config);
    let p = &written["pipelines"]["security"];
    let s = |table: &str, key: &str| p[table][key].as_str().map(str::to_owned);
    let i = |table: &str, key: &str| p[table][key].as_integer();
    let b = |table: &str, key: &str| p[table][key].as_bool();

    // ITSMSettings.xml
    assert_eq!(s("source", "type").as_deref(), Some("netwrix_auditor"));
    assert_eq!(
        s("source", "endpoint").as_deref(),
        Some("http://auditor.corp.local:8788")
    );
    assert_eq!(s("source", "username").as_deref(), Some("CORP\\svc-audit"));
    assert_eq!(
        s("source", "password").as_deref(),
        Some("Aud!t<0r \"q\" $${HOME}\\end"),
        "as given, with `${{` escaped so it is not read as a reference"
    );
    assert_eq!(i("source", "count"), Some(500));
    assert_eq!(s("source", "request_timeout").as_deref(), Some("5m"));
    assert_eq!(i("suppression", "ticket_flood_limit"), Some(25));
    assert_eq!(
        s("suppression", "ticket_flood_interval").as_deref(),
        Some("2h")
    );
    assert_eq!(
        s("suppression", "consolidation_interval").as_deref(),
        Some("10m")
    );
    assert_eq!(
        b("suppression", "update_ticket_on_repetitive_alerts"),
        Some(false)
    );
    assert_eq!(
        b("suppression", "reopen_ticket_on_repetitive_alerts"),
        Some(false)
    );
    assert_eq!(s("suppression", "update_interval").as_deref(), Some("12h"));
    assert_eq!(b("suppression", "ticket_correlation"), Some(false));
    assert_eq!(
        s("suppression", "correlation_interval").as_deref(),
        Some("14d")
    );
    assert_eq!(
        b("suppression", "display_only_first_activity_record"),
        Some(false)
    );
    assert_eq!(i("retention", "alerts"), Some(8000));
    assert_eq!(s("retention", "alert_age").as_deref(), Some("14d"));
    assert_eq!(i("retention", "ticket_actions"), Some(100_000));
    assert_eq!(s("retention", "ticket_action_age").as_deref(), Some("3d"));
    assert_eq!(
        s("retention", "seen_records_age").as_deref(),
        Some("14d"),
        "raised to alert_age, which sluice requires"
    );

    // ServiceNowSettings.xml
    assert_eq!(s("sink", "type").as_deref(), Some("servicenow"));
    assert_eq!(
        s("sink", "endpoint").as_deref(),
        Some("https://acme.service-now.com")
    );
    assert_eq!(s("sink", "release").as_deref(), Some("london"));
    assert_eq!(s("sink", "username").as_deref(), Some("svc_netwrix_int"));
    assert_eq!(s("sink", "password").as_deref(), Some("Sn0w&Pa55 'x'"));
    assert_eq!(s("sink", "reopen_state").as_deref(), Some("2"));
    let closed: Vec<&str> = p["sink"]["closed_states"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(closed, ["6", "7"]);
    assert_eq!(
        p["correlation_format"].as_str(),
        Some(
            "Related incident:\nNumber: %number%\nPriority: %priority%\nOpened: %opened_at%\n\
             Caller: %caller_id%\nState: %state%"
        )
    );
    let ticket = p["ticket"].as_table().unwrap();
    let expected = [
        ("short_description", "[Audit] %AlertName% on %Where%"),
        ("category", "security"),
        ("impact", "2"),
        ("urgency", "2"),
        ("severity", "3"),
        ("assignment_group", "8a4dde73c6112278017a6a4baf547aa7"),
        (
            "description",
            "%AlertDescription%\n\n%PreviousTicketReference%",
        ),
        (
            "comments",
            "Alert Details:\nWho: %Who%\nAction: %Action%\nWhat: %What%\nWhen: %When%\n\
             Where: %Where%\nDetails: %Details%\nSent by Netwrix Auditor from %Computer%",
        ),
        ("contact_type", "monitoring"),
        ("caller_id", "6816f79cc0a8016401c5a33be04be441"),
        (
            "u_record_source",
            "%DataSource% / %MonitoringPlanName% (%RecordID%)",
        ),
    ];
    assert_eq!(ticket.len(), expected.len(), "{ticket:?}");
    for (field, value) in expected {
        assert_eq!(ticket[field].as_str(), Some(value), "{field}");
    }
    assert!(!ticket.contains_key("work_notes"));
    // The add-on's order is kept in the file (a TOML table has none once parsed).
    let body = std::fs::read_to_string(&config).unwrap();
    let positions: Vec<usize> = expected
        .iter()
        .map(|(field, _)| body.find(&format!("\n{field} = ")).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{body}");

    // The report: exactly the settings sluice has no equivalent for.
    let mut dropped = not_carried_over(&stderr);
    dropped.sort();
    assert_eq!(
        dropped,
        [
            "CheckAlertQueueInterval",
            "EnableTls12",
            "IgnoreUploadAttachmentError",
            "ProcessActivityRecordQueueInterval",
            "TicketParameterRefs",
        ],
        "{stderr}"
    );
    assert!(
        stderr.contains("Connection/URL: changed: has no scheme"),
        "{stderr}"
    );
    assert!(
        stderr.contains("NetwrixAuditorHost: check: http://auditor.corp.local:8788 is plain http"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("assignment_group"),
        "a real sys_id is not flagged: {stderr}"
    );
    for password in [
        vendor("customized", "ITSMSettings.xml", "NetwrixAuditorPassword"),
        "Sn0w&amp;Pa55".to_owned(),
        "Sn0w&Pa55".to_owned(),
        "Aud!t".to_owned(),
    ] {
        assert!(
            !stderr.contains(&password),
            "{password} on stderr: {stderr}"
        );
    }
    let summary = stderr.lines().last().unwrap();
    assert!(
        summary.contains("5 not carried over, 1 changed, 4 to check"),
        "{summary}"
    );
}

#[test]
fn imported_settings_behave_as_the_vendor_configured_them() {
    let dir = tempfile::tempdir().unwrap();
    let (out, config) = import(dir.path(), "customized");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let body = std::fs::read_to_string(&config).unwrap();
    let file = ConfigFile::parse(&config, body, &SecretResolver::new(|_: &str| None))
        .unwrap_or_else(|e| panic!("{e}"));
    let p = &file.config.pipelines["security"];

    let set = "customized";
    let s = &p.suppression;
    let limit: u32 = vendor(set, "ITSMSettings.xml", "TicketFloodLimit")
        .parse()
        .unwrap();
    assert_eq!(s.ticket_flood_limit, limit);
    assert_eq!(
        s.ticket_flood_interval.get(),
        vendor_secs(set, "TicketFloodInterval")
    );
    assert_eq!(
        s.consolidation_interval.get(),
        vendor_secs(set, "ConsolidationInterval")
    );
    assert_eq!(
        s.update_ticket_on_repetitive_alerts,
        vendor_flag(set, "UpdateTicketOnRepetitiveAlerts")
    );
    assert_eq!(s.update_interval.get(), vendor_secs(set, "UpdateInterval"));
    assert_eq!(
        s.reopen_ticket_on_repetitive_alerts,
        vendor_flag(set, "ReopenTicketOnRepetitiveAlerts")
    );
    assert_eq!(
        s.ticket_correlation,
        vendor_flag(set, "EnableTicketCorrelation")
    );
    assert_eq!(
        s.correlation_interval.get(),
        vendor_secs(set, "CorrelationInterval")
    );
    assert_eq!(
        s.display_only_first_activity_record,
        vendor_flag(set, "DisplayOnlyFirstActivityRecord")
    );
    assert!(s.group_by.is_empty(), "one ticket per alert, as the add-on");
    assert_eq!(p.retention.alerts, 8000);
    assert_eq!(p.retention.alert_age.get(), Duration::from_secs(1_209_600));
    assert_eq!(p.retention.ticket_actions, 100_000);
    assert_eq!(
        p.retention.ticket_action_age.get(),
        Duration::from_secs(259_200)
    );
    assert_eq!(
        p.source.settings["password"].as_str(),
        Some("Aud!t<0r \"q\" ${HOME}\\end"),
        "the host reads back exactly the vendor's password"
    );

    // The vendor's TicketParameters, rendered by sluice's template engine.
    let fields = p.ticket.clone().unwrap();
    let template =
        TicketTemplate::new(&fields, &p.correlation_format).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(template.journals(), [Journal::Comments]);
    let mut record = Record::new("rid-1");
    for (k, v) in [
        ("Who", "CORP\\jdoe"),
        ("Action", "Added"),
        ("What", "\\local\\corp\\Users\\Domain Admins"),
        ("When", "2024-03-11T08:45:12Z"),
        ("Where", "dc01.corp.local"),
        ("DataSource", "Active Directory"),
        ("MonitoringPlan.Name", "AD Monitoring"),
    ] {
        record.fields.push(k, v);
    }
    record
        .details
        .push(Detail::new("Member").after("CORP\\mallory"));
    let alert = AlertContext {
        name: "ITSM Add-On: Member Added to Privileged Group",
        description: "Someone joined Domain Admins.",
        alert_id: Some("{A1}"),
        record_id: Some("rid-1"),
        record: Some(&record),
        computer: "sluice01",
    };
    let previous = Ticket {
        number: "INC0010042".into(),
        state: "7".into(),
        fields: [("opened_at", "2024-03-10 08:00:00"), ("priority", "2")]
            .into_iter()
            .collect(),
        display: [
            ("state", "Closed"),
            ("priority", "2 - High"),
            ("caller_id", "Jane Doe"),
        ]
        .into_iter()
        .collect(),
        ..Ticket::default()
    };
    let ticket = template.render_open(&alert, Some(&previous));
    assert_eq!(
        ticket.get("short_description"),
        Some("[Audit] ITSM Add-On: Member Added to Privileged Group on dc01.corp.local")
    );
    for (field, value) in [
        ("category", "security"),
        ("impact", "2"),
        ("urgency", "2"),
        ("severity", "3"),
        ("assignment_group", "8a4dde73c6112278017a6a4baf547aa7"),
        ("contact_type", "monitoring"),
        ("caller_id", "6816f79cc0a8016401c5a33be04be441"),
        (
            "u_record_source",
            "Active Directory / AD Monitoring (rid-1)",
        ),
    ] {
        assert_eq!(ticket.get(field), Some(value), "{field}");
    }
    assert_eq!(
        ticket.get("description"),
        Some(
            "Someone joined Domain Admins.\n\nRelated incident:\nNumber: INC0010042\n\
             Priority: 2 - High\nOpened: 2024-03-10 08:00:00\nCaller: Jane Doe\nState: Closed"
        )
    );
    assert_eq!(
        ticket.get("comments"),
        Some(
            "Alert Details:\nWho: CORP\\jdoe\nAction: Added\n\
             What: \\local\\corp\\Users\\Domain Admins\nWhen: 2024-03-11T08:45:12Z\n\
             Where: dc01.corp.local\nDetails: Member: (none) -> CORP\\mallory\n\
             Sent by Netwrix Auditor from sluice01"
        )
    );
}

#[test]
fn an_empty_user_name_becomes_environment_placeholders_that_validate_explains() {
    workspace_plugin("sluice-source-netwrix-auditor");
    workspace_plugin("sluice-sink-servicenow");
    let dir = tempfile::tempdir().unwrap();
    let itsm = edited(
        dir.path(),
        "default",
        "ITSMSettings.xml",
        "<NetwrixAuditorUserName>CORP\\svc-netwrix</NetwrixAuditorUserName>",
        "<NetwrixAuditorUserName></NetwrixAuditorUserName>",
    );
    let (out, config) = import_files(
        dir.path(),
        &itsm,
        &fixture("default", "ServiceNowSettings.xml"),
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(
            "NetwrixAuditorUserName: changed: empty, so the add-on signed in as its Windows \
             service account"
        ),
        "{stderr}"
    );
    let written = parse_toml(&config);
    let source = &written["pipelines"]["security"]["source"];
    assert_eq!(
        source["username"].as_str(),
        Some("${NETWRIX_AUDITOR_USERNAME}")
    );
    assert_eq!(
        source["password"].as_str(),
        Some("${NETWRIX_AUDITOR_PASSWORD}")
    );

    let validate = |env: &[(&str, &str)]| {
        let mut cmd = sluice();
        cmd.arg("validate")
            .arg("--config")
            .arg(&config)
            .current_dir(dir.path())
            .env_remove("NETWRIX_AUDITOR_USERNAME")
            .env_remove("NETWRIX_AUDITOR_PASSWORD");
        for (k, v) in env {
            cmd.env(k, v);
        }
        run(&mut cmd)
    };
    let refused = validate(&[]);
    assert_eq!(refused.status.code(), Some(78));
    let message = text(&refused.stderr);
    assert!(
        message.contains(
            "pipelines.security.source.username: environment variable NETWRIX_AUDITOR_USERNAME \
             is not set"
        ),
        "{message}"
    );
    let accepted = validate(&[
        ("NETWRIX_AUDITOR_USERNAME", "CORP\\svc-sluice"),
        ("NETWRIX_AUDITOR_PASSWORD", "from-the-environment"),
    ]);
    assert_eq!(
        accepted.status.code(),
        Some(0),
        "{}",
        text(&accepted.stderr)
    );
}

#[test]
fn an_unknown_placeholder_is_reported_and_written_as_is() {
    let dir = tempfile::tempdir().unwrap();
    let servicenow = edited(
        dir.path(),
        "default",
        "ServiceNowSettings.xml",
        "[Netwrix Auditor] %AlertName%",
        "[Netwrix Auditor] %alertname% %Severity%",
    );
    let (out, config) = import_files(
        dir.path(),
        &fixture("default", "ITSMSettings.xml"),
        &servicenow,
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(
            "TicketParameters/short_description: check: %alertname% is not a placeholder sluice \
             knows (names are case-sensitive: %AlertName%)"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("%Severity% is not a placeholder sluice knows; it knows %AlertName%,"),
        "{stderr}"
    );
    let written = parse_toml(&config);
    assert_eq!(
        written["pipelines"]["security"]["ticket"]["short_description"].as_str(),
        Some("[Netwrix Auditor] %alertname% %Severity%")
    );
}

#[test]
fn malformed_xml_exits_1_naming_file_and_position() {
    let dir = tempfile::tempdir().unwrap();
    let itsm = edited(
        dir.path(),
        "default",
        "ITSMSettings.xml",
        "<TicketFloodLimit>10</TicketFloodLimit>",
        "<TicketFloodLimit>10</TicketFloodLimt>",
    );
    let (out, config) = import_files(
        dir.path(),
        &itsm,
        &fixture("default", "ServiceNowSettings.xml"),
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with(&format!("error: {}:8:", itsm.display())),
        "{stderr}"
    );
    assert!(stderr.contains("malformed XML"), "{stderr}");
    assert!(!config.exists(), "nothing is written");

    // What usually breaks these files is a `<` or `&` in a password; its text stays hidden.
    let servicenow = edited(
        dir.path(),
        "default",
        "ServiceNowSettings.xml",
        "<Password>Sn0w-Def4ult</Password>",
        "<Password>Sn0w<Def4ult</Password>",
    );
    let (out, _) = import_files(
        dir.path(),
        &fixture("default", "ITSMSettings.xml"),
        &servicenow,
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("malformed XML in or after the password at line 8"),
        "{stderr}"
    );
    assert!(!stderr.contains("Def4ult"), "{stderr}");
}

#[test]
fn a_value_that_is_not_a_number_exits_1_naming_file_line_and_element() {
    let dir = tempfile::tempdir().unwrap();
    let itsm = edited(
        dir.path(),
        "default",
        "ITSMSettings.xml",
        "<ConsolidationInterval>900</ConsolidationInterval>",
        "<ConsolidationInterval>15 minutes</ConsolidationInterval>",
    );
    let (out, _) = import_files(
        dir.path(),
        &itsm,
        &fixture("default", "ServiceNowSettings.xml"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr).trim_end(),
        format!(
            "error: {}:10:3: <ConsolidationInterval> is \"15 minutes\", not a whole number of \
             seconds; the add-on's default is 900",
            itsm.display()
        )
    );
}

#[test]
fn an_existing_output_file_is_refused_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("sluice.toml");
    std::fs::write(&config, "# mine\n").unwrap();
    let (out, _) = import(dir.path(), "default");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("exists; pass --force to overwrite it"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&config).unwrap(), "# mine\n");

    let forced = run(sluice()
        .arg("import-legacy")
        .arg(fixture("default", "ITSMSettings.xml"))
        .arg(fixture("default", "ServiceNowSettings.xml"))
        .arg("-o")
        .arg(&config)
        .arg("--force"));
    assert_eq!(forced.status.code(), Some(0), "{}", text(&forced.stderr));
    assert!(parse_toml(&config).contains_key("pipelines"));
}

#[test]
fn without_output_the_config_goes_to_stdout_and_quiet_drops_the_report() {
    let out = run(sluice()
        .arg("--quiet")
        .arg("import-legacy")
        .arg(fixture("default", "ITSMSettings.xml"))
        .arg(fixture("default", "ServiceNowSettings.xml")));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    let config: toml::Table = toml::from_str(&text(&out.stdout)).unwrap();
    assert_eq!(
        config["pipelines"]["security"]["sink"]["endpoint"].as_str(),
        Some("https://example.service-now.com")
    );
}

#[test]
fn unreadable_or_swapped_inputs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.xml");
    let (out, _) = import_files(
        dir.path(),
        &missing,
        &fixture("default", "ServiceNowSettings.xml"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains(&format!("cannot read {}", missing.display())),
        "{}",
        text(&out.stderr)
    );

    let (out, config) = import_files(
        dir.path(),
        &fixture("default", "ServiceNowSettings.xml"),
        &fixture("default", "ITSMSettings.xml"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains(
            "looks like the add-on's ServiceNowSettings.xml; give ITSMSettings.xml first"
        ),
        "{}",
        text(&out.stderr)
    );
    assert!(!config.exists());
}
