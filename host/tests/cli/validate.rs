//! `sluice validate`: exit 0 on a good config, 78 with file, line, column and key otherwise.

use crate::util::{run, sluice, sluice_with_probe, text, workspace_plugin, PROBE_PIPELINE};

fn write_config(dir: &std::path::Path, body: &str) -> std::path::PathBuf {
    let path = dir.join("sluice.toml");
    std::fs::write(&path, body).unwrap();
    path
}

#[test]
fn a_valid_config_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), PROBE_PIPELINE);
    let out = run(sluice_with_probe()
        .arg("validate")
        .arg("--config")
        .arg(&config));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("valid (1 pipeline: audit)"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn a_misspelled_host_key_exits_78_naming_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &PROBE_PIPELINE.replace("path =", "paht ="));
    let out = run(sluice().arg("validate").arg("--config").arg(&config));
    assert_eq!(out.status.code(), Some(78));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "{}:3:1: state.paht: unknown field `paht`",
            config.display()
        )),
        "{stderr}"
    );
}

#[test]
fn a_misspelled_component_key_exits_78_naming_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &PROBE_PIPELINE.replace("prefix =", "prefx ="));
    let out = run(sluice_with_probe()
        .arg("validate")
        .arg("--config")
        .arg(&config));
    assert_eq!(out.status.code(), Some(78));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "{}:11:1: pipelines.audit.sink.prefx: unknown field `prefx`",
            config.display()
        )),
        "{stderr}"
    );
}

#[test]
fn every_problem_is_reported_and_json_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let body = PROBE_PIPELINE
        .replace("records = 3", "records = 3\npage = 0")
        .replace("type = \"probe_sink\"", "type = \"servicenow_typo\"");
    let config = write_config(dir.path(), &body);
    let out = run(sluice_with_probe()
        .arg("validate")
        .arg("--json")
        .arg("--config")
        .arg(&config));
    assert_eq!(out.status.code(), Some(78));
    let verdict: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(verdict["valid"], false);
    let problems = verdict["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 2, "{verdict}");
    assert_eq!(problems[0]["key_path"], "pipelines.audit.source.page");
    assert_eq!(problems[0]["line"], 8);
    assert_eq!(problems[1]["key_path"], "pipelines.audit.sink.type");
    let message = problems[1]["message"].as_str().unwrap();
    assert!(
        message.contains("installed sinks: ") && message.contains("probe_sink (plugin probe)"),
        "{message}"
    );
}

/// Two misspelled host keys in different tables: one run names both, each at its line.
#[test]
fn every_misspelled_host_key_is_reported_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let body = format!(
        "{}\n[pipelines.audit.delivery]\nretry_mx = \"1s\"\n",
        PROBE_PIPELINE.replace("path =", "paht =")
    );
    let config = write_config(dir.path(), &body);
    let out = run(sluice().arg("validate").arg("--config").arg(&config));
    assert_eq!(out.status.code(), Some(78));
    let stderr = text(&out.stderr);
    for said in [
        format!("{}:3:1: state.paht: unknown field `paht`", config.display()),
        format!(
            "{}:14:1: pipelines.audit.delivery.retry_mx: unknown field `retry_mx`",
            config.display()
        ),
        "2 problems in the config".to_owned(),
    ] {
        assert!(stderr.contains(&said), "{said}: {stderr}");
    }
}

/// A plugin's setting and a ticket template wrong in one file: one run names both.
#[test]
fn the_plugins_settings_and_the_templates_are_checked_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let body = format!(
        "{}\n[pipelines.audit.ticket]\nshort_description = \"%NoSuchField%\"\n",
        PROBE_PIPELINE.replace("prefix =", "prefx =")
    );
    let config = write_config(dir.path(), &body);
    let out = run(sluice_with_probe()
        .arg("validate")
        .arg("--json")
        .arg("--config")
        .arg(&config));
    assert_eq!(out.status.code(), Some(78));
    let verdict: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let keys: Vec<&str> = verdict["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["key_path"].as_str())
        .collect();
    assert_eq!(
        keys,
        [
            "pipelines.audit.sink.prefx",
            "pipelines.audit.ticket.short_description"
        ],
        "{verdict}"
    );
}

#[test]
fn secrets_never_appear_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    let body = PROBE_PIPELINE
        .replace(
            "prefix = \"AUD\"",
            "prefix = \"${PROBE_SECRET}\"\nbogus = 1",
        )
        .replace("records = 3", "records = \"${PROBE_SECRET}\"");
    let config = write_config(dir.path(), &body);
    let out = run(sluice_with_probe()
        .arg("validate")
        .arg("--config")
        .arg(&config)
        .env("PROBE_SECRET", "TopSecret42"));
    assert_eq!(out.status.code(), Some(78));
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(all.contains("bogus"), "{all}");
    assert!(
        all.contains("pipelines.audit.source.records: invalid type: string \"<redacted>\""),
        "{all}"
    );
    assert!(!all.contains("TopSecret42"), "{all}");
}

#[test]
fn the_example_config_in_the_repository_is_valid_with_the_real_plugins() {
    workspace_plugin("sluice-source-netwrix-auditor");
    workspace_plugin("sluice-sink-servicenow");
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../sluice.example.toml");
    let dir = tempfile::tempdir().unwrap();
    let password = dir.path().join("servicenow-password");
    std::fs::write(&password, "not-a-real-password\n").unwrap();
    let body = std::fs::read_to_string(example).unwrap().replace(
        "/etc/sluice/servicenow-password",
        password.to_str().unwrap(),
    );
    let config = write_config(dir.path(), &body);
    let out = run(sluice()
        .arg("validate")
        .arg("--config")
        .arg(&config)
        .env("SLUICE_AUDITOR_PASSWORD", "not-a-real-password"));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("valid (1 pipeline: security)"),
        "{}",
        text(&out.stdout)
    );
}
