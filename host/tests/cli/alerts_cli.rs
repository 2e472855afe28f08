//! `sluice alerts`: list, upload, enable, disable, run as a user would, in a temporary
//! directory with a small config whose plugins are not installed (the alerts commands load
//! none) and whose secret is not set (they need none).
//!
//! ```text
//!   test ──spawns──► sluice alerts … --config sluice.toml  (cwd: a temp dir)
//!                        └─► reads/writes <temp>/alerts/*.toml; compared with the repo's alerts/
//! ```

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;
use sluice_core::load_alert_file as load_file;

use crate::util::{run, sluice, text};

const CONFIG: &str = r#"
[pipelines.main.source]
type = "netwrix_auditor"
password = "${SLUICE_TEST_NEVER_SET}"

[pipelines.main.sink]
type = "servicenow"
"#;

const LOCKOUT: &str = "ITSM Add-On: User Account Locked Out";
const LOCKOUT_FILE: &str = "user-account-locked-out.toml";

/// A temporary working directory with `sluice.toml`.
struct Site {
    dir: tempfile::TempDir,
}

impl Site {
    fn new(config: &str) -> Site {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("sluice.toml"), config).unwrap();
        Site { dir }
    }

    /// The working directory as the process sees it (links resolved).
    fn root(&self) -> PathBuf {
        self.dir.path().canonicalize().unwrap()
    }

    fn alerts(&self) -> PathBuf {
        self.root().join("alerts")
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_as("sluice-test-host", args)
    }

    /// Runs with `HOSTNAME` set to `host`, the name the intake's URL is made of.
    fn run_as(&self, host: &str, args: &[&str]) -> Output {
        run(sluice()
            .current_dir(self.dir.path())
            .env_remove("SLUICE_TEST_NEVER_SET")
            .env("HOSTNAME", host)
            .arg("alerts")
            .args(args))
    }

    /// Runs and expects exit 0; standard output.
    fn ok(&self, args: &[&str]) -> String {
        self.ok_as("sluice-test-host", args)
    }

    fn ok_as(&self, host: &str, args: &[&str]) -> String {
        let out = self.run_as(host, args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "sluice alerts {args:?}\nstdout: {}\nstderr: {}",
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stdout)
    }
}

/// The repository's shipped files: (file name, content).
fn shipped() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../alerts");
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

fn shipped_text(file: &str) -> String {
    shipped()
        .into_iter()
        .find(|(f, _)| f == file)
        .map(|(_, c)| c)
        .unwrap()
}

fn line_of<'a>(out: &'a str, file: &str) -> &'a str {
    out.lines()
        .find(|l| l.contains(file))
        .unwrap_or_else(|| panic!("no line about {file} in:\n{out}"))
}

#[test]
fn upload_writes_the_shipped_set_then_leaves_it_and_keeps_edits() {
    let site = Site::new(CONFIG);
    let out = site.ok(&["upload"]);
    let shipped = shipped();
    assert!(out.contains(", created"), "{out}");
    for (file, content) in &shipped {
        assert!(
            line_of(&out, file).trim_start().starts_with("written"),
            "{out}"
        );
        let installed = std::fs::read_to_string(site.alerts().join(file)).unwrap();
        assert_eq!(&installed, content, "{file} is installed byte for byte");
    }
    assert!(out.contains(&format!(
        "{n} shipped alerts: {n} written.",
        n = shipped.len()
    )));

    let again = site.ok(&["upload"]);
    assert!(
        again.contains(&format!(
            "{n} shipped alerts: {n} unchanged.",
            n = shipped.len()
        )),
        "{again}"
    );

    // An edit is kept; the shipped version goes beside it.
    let file = site.alerts().join("mass-file-deletion.toml");
    let edited = shipped_text("mass-file-deletion.toml").replace("count = 40", "count = 60");
    std::fs::write(&file, &edited).unwrap();
    let kept = site.ok(&["upload"]);
    let line = line_of(&kept, "mass-file-deletion.toml");
    assert!(
        line.contains("kept your edited") && line.contains("mass-file-deletion.toml.shipped"),
        "{kept}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), edited);
    let beside = site.alerts().join("mass-file-deletion.toml.shipped");
    assert_eq!(
        std::fs::read_to_string(&beside).unwrap(),
        shipped_text("mass-file-deletion.toml")
    );
    // The copy beside it is not an alert: the directory still loads, with the user's count.
    let set = sluice_core::AlertSet::load_dir(&site.alerts()).unwrap();
    assert_eq!(set.all().len(), shipped.len());
    assert_eq!(
        set.get("ITSM Add-On: Mass File Deletion")
            .unwrap()
            .threshold
            .as_ref()
            .unwrap()
            .count,
        60
    );

    // Turning an alert off is an edit too, and needs no copy.
    site.ok(&["disable", LOCKOUT]);
    let kept = site.ok(&["upload"]);
    assert!(
        line_of(&kept, LOCKOUT_FILE).contains("only `enabled` differs"),
        "{kept}"
    );
    assert!(!site
        .alerts()
        .join(format!("{LOCKOUT_FILE}.shipped"))
        .exists());

    // Put back as shipped, the file is unchanged and the copy goes.
    std::fs::write(&file, shipped_text("mass-file-deletion.toml")).unwrap();
    let back = site.ok(&["upload"]);
    assert!(
        line_of(&back, "mass-file-deletion.toml")
            .trim_start()
            .starts_with("unchanged"),
        "{back}"
    );
    assert!(!beside.exists());

    // --force puts the shipped versions back and removes the copy.
    std::fs::write(&file, &edited).unwrap();
    site.ok(&["upload"]);
    assert!(beside.exists());
    let forced = site.ok(&["upload", "--force"]);
    assert!(line_of(&forced, "mass-file-deletion.toml")
        .trim_start()
        .starts_with("replaced"));
    assert!(!beside.exists());
    for (file, content) in &shipped {
        assert_eq!(
            &std::fs::read_to_string(site.alerts().join(file)).unwrap(),
            content
        );
    }
}

#[test]
fn upload_json_reports_each_file() {
    let site = Site::new(CONFIG);
    let out = site.ok(&["upload", "--json"]);
    let report: Value = serde_json::from_str(&out).unwrap();
    let dir = &report["directories"][0];
    assert_eq!(dir["path"], site.alerts().display().to_string());
    assert_eq!(dir["pipelines"][0], "main");
    let files = dir["files"].as_array().unwrap();
    assert_eq!(files.len(), shipped().len());
    assert!(files.iter().all(|f| f["outcome"] == "written"));
    assert!(files.iter().any(|f| f["alert"] == LOCKOUT));
}

#[test]
fn list_prints_each_alert_with_its_response_action() {
    let site = Site::new(CONFIG);
    site.ok(&["upload"]);
    let out = site.ok(&["list"]);
    let config = site.root().join("sluice.toml");
    let exe = Path::new(env!("CARGO_BIN_EXE_sluice"))
        .canonicalize()
        .unwrap();
    for (file, _) in shipped() {
        assert!(
            out.contains(&site.alerts().join(&file).display().to_string()),
            "{out}"
        );
    }
    assert!(
        out.contains(&format!("Run              {}", exe.display())),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "With parameters  alert-response --config {} --alert-name \"{LOCKOUT}\"",
            config.display()
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "sh               {} alert-response --config {} --alert-name '{LOCKOUT}'",
            exe.display(),
            config.display()
        )),
        "{out}"
    );
    assert!(out.contains("threshold        40 records within 2m, counted per Who"));
    assert!(out.contains("{AlertID} {RecordID}"), "{out}");
    assert!(out.contains("untick \"Write data to CSV file\""), "{out}");
    assert!(!out.contains("Topology") && !out.contains("sluice-forward.cmd"));
    assert!(
        out.contains("Auditor runs on Windows: to run sluice elsewhere, turn on [response_intake]"),
        "a hint where the path printed is not a Windows one: {out}"
    );
}

/// `CONFIG` with a response intake: the Auditor server is another machine.
fn forwarded(intake: &str) -> String {
    format!(
        "[response_intake]\nenabled = true\ntoken_sha256 = \"{}\"\n{intake}\n{CONFIG}",
        "ab".repeat(32)
    )
}

const SCRIPT: &str = r"C:\Program Files\sluice\sluice-forward.cmd";
const TOKEN: &str = r#""C:\Program Files\sluice\sluice-intake.token""#;

#[test]
fn list_with_the_intake_on_prints_the_forwarder_for_the_auditor_server() {
    let site = Site::new(&forwarded("listen = \"127.0.0.1:10158\""));
    site.ok(&["upload"]);
    let out = site.ok(&["list"]);
    let url = "http://127.0.0.1:10158";
    assert!(
        out.contains(&format!(
            "Topology: the Auditor server forwards to this host's intake at {url} \
             (response_intake.enabled = true; the URL is response_intake.public_url"
        )) && out.contains("With response_intake.enabled = false"),
        "{out}"
    );
    assert_eq!(out.matches("Topology:").count(), 1, "said once: {out}");
    assert!(
        out.contains(&format!("Run              {SCRIPT}\n")),
        "{out}"
    );
    assert!(
        out.contains(&format!("With parameters  \"{LOCKOUT}\"\n")),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            r#"sluice.exe       "C:\Program Files\sluice\sluice.exe" alert-response --to {url} --token-file {TOKEN} --alert-name "{LOCKOUT}""#
        )),
        "{out}"
    );
    assert!(
        !out.contains("--config") && !out.contains("\n  sh "),
        "{out}"
    );
    assert!(out.contains("set SLUICE_URL") && out.contains("SLUICE_CA_FILE"));
}

#[test]
fn list_json_with_the_intake_on_names_the_topology_and_both_forwarders() {
    let site = Site::new(&forwarded("listen = \"127.0.0.1:10158\""));
    site.ok(&["upload"]);
    let listing: Value = serde_json::from_str(&site.ok(&["list", "--json"])).unwrap();
    assert_eq!(listing["topology"], "forwarded");
    assert_eq!(listing["forwarder"]["url"], "http://127.0.0.1:10158");
    assert_eq!(listing["forwarder"]["script"], SCRIPT);
    for a in listing["alerts"].as_array().unwrap() {
        let name = a["name"].as_str().unwrap();
        assert_eq!(
            a["response_action"]["argv"],
            serde_json::json!([SCRIPT, name])
        );
        assert!(a["response_action"].get("sh").is_none());
        assert_eq!(
            a["sluice_forwarder"]["argv"],
            serde_json::json!([
                r"C:\Program Files\sluice\sluice.exe",
                "alert-response",
                "--to",
                "http://127.0.0.1:10158",
                "--token-file",
                TOKEN.trim_matches('"'),
                "--alert-name",
                name
            ])
        );
    }

    let same: Value = serde_json::from_str(&Site::new(CONFIG).ok(&["list", "--json"])).unwrap();
    assert_eq!(same["topology"], "same_machine");
    assert!(same["forwarder"].is_null());
}

#[test]
fn the_intake_url_is_the_public_url_or_made_of_the_host_name() {
    let cases = [
        (
            "listen = \"0.0.0.0:10158\"\nallow_plain_http = true",
            "http://sluice.corp.local:10158",
        ),
        (
            "listen = \"0.0.0.0:8443\"\ntls_certificate = \"/etc/sluice/intake.pem\"\n\
             tls_key = \"/etc/sluice/intake.key\"",
            "https://sluice.corp.local:8443",
        ),
        (
            "allow_plain_http = true\npublic_url = \"https://intake.corp.local/\"",
            "https://intake.corp.local",
        ),
    ];
    for (intake, url) in cases {
        let site = Site::new(&forwarded(intake));
        let listing: Value =
            serde_json::from_str(&site.ok_as("sluice.corp.local", &["list", "--json"])).unwrap();
        assert_eq!(listing["forwarder"]["url"], url, "{intake}");
    }
}

#[test]
fn list_json_has_names_files_states_thresholds_and_command_lines() {
    let site = Site::new(CONFIG);
    site.ok(&["upload"]);
    site.ok(&["disable", LOCKOUT]);
    let listing: Value = serde_json::from_str(&site.ok(&["list", "--json"])).unwrap();
    let config = site.root().join("sluice.toml").display().to_string();
    assert_eq!(listing["config"], config);
    assert_eq!(listing["problems"].as_array().unwrap().len(), 0);
    let alerts = listing["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), shipped().len());
    for a in alerts {
        let name = a["name"].as_str().unwrap();
        let argv: Vec<&str> = a["response_action"]["argv"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(
            argv[1..],
            [
                "alert-response",
                "--config",
                config.as_str(),
                "--alert-name",
                name
            ],
            "{name}"
        );
        assert_eq!(a["pipelines"][0], "main");
        assert!(a["file"].as_str().unwrap().ends_with(".toml"));
    }
    let lockout = alerts.iter().find(|a| a["name"] == LOCKOUT).unwrap();
    assert_eq!(lockout["enabled"], false);
    let failed = alerts
        .iter()
        .find(|a| a["name"] == "ITSM Add-On: Repeated Failed Logons")
        .unwrap();
    assert_eq!(failed["threshold"]["count"], 8);
    assert_eq!(failed["threshold"]["within_secs"], 300);
    assert_eq!(failed["threshold"]["group_by"], "Who");
}

#[test]
fn list_reports_a_broken_file_with_its_line_and_exits_78() {
    let site = Site::new(CONFIG);
    site.ok(&["upload"]);
    std::fs::write(
        site.alerts().join("mine.toml"),
        "name = \"Mine\"\n[filters]\nWhom = \"x\"\n",
    )
    .unwrap();
    let out = site.run(&["list"]);
    assert_eq!(out.status.code(), Some(78));
    assert!(
        text(&out.stdout).contains(LOCKOUT),
        "the rest is still listed"
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("mine.toml:3:1: filters.Whom: not a filter field"),
        "{stderr}"
    );
}

#[test]
fn list_of_a_missing_directory_says_how_to_fill_it() {
    let site = Site::new(CONFIG);
    let out = site.ok(&["list"]);
    assert!(out.contains("the directory does not exist"), "{out}");
    assert!(out.contains("sluice alerts upload"), "{out}");
}

#[test]
fn disable_and_enable_change_only_the_enabled_value() {
    let site = Site::new(CONFIG);
    site.ok(&["upload"]);
    let file = site.alerts().join(LOCKOUT_FILE);
    let original = std::fs::read_to_string(&file).unwrap();
    assert!(load_file(&file).unwrap().enabled);

    let out = site.ok(&["disable", LOCKOUT]);
    assert!(out.contains("is now disabled"), "{out}");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        original.replacen("enabled = true", "enabled = false", 1)
    );
    assert!(!load_file(&file).unwrap().enabled, "the loader sees it off");

    let out = site.ok(&["disable", LOCKOUT]);
    assert!(out.contains("is already disabled"), "{out}");

    let out = site.ok(&["enable", LOCKOUT]);
    assert!(out.contains("is now enabled"), "{out}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), original);
    assert!(load_file(&file).unwrap().enabled);
}

#[test]
fn an_unknown_name_exits_1_and_lists_the_names_closest_first() {
    let site = Site::new(CONFIG);
    site.ok(&["upload"]);
    let out = site.run(&["enable", "ITSM Add-On: User Acount Locked Out"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("names match exactly"), "{stderr}");
    let listed: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("  "))
        .collect();
    assert_eq!(listed.len(), shipped().len(), "{stderr}");
    assert_eq!(listed[0], LOCKOUT, "closest first:\n{stderr}");
    // The name matches exactly, case included.
    let out = site.run(&["disable", &LOCKOUT.to_uppercase()]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn pipelines_select_directories_and_command_lines() {
    let site = Site::new(
        r#"
[pipelines.hq.source]
type = "netwrix_auditor"
[pipelines.hq.sink]
type = "servicenow"
[pipelines.hq.intake]
alerts = "hq-alerts"

[pipelines.branch.source]
type = "netwrix_auditor"
[pipelines.branch.sink]
type = "servicenow"
[pipelines.branch.intake]
alerts = "branch-alerts"
"#,
    );
    let out = site.ok(&["upload", "--pipeline", "hq"]);
    assert!(out.contains("hq-alerts"), "{out}");
    assert!(site.root().join("hq-alerts").join(LOCKOUT_FILE).exists());
    assert!(!site.root().join("branch-alerts").exists());

    // Two pipelines take response actions, so the command line names the alert's pipeline.
    let listing: Value =
        serde_json::from_str(&site.ok(&["list", "--json", "--pipeline", "hq"])).unwrap();
    let parameters = listing["alerts"][0]["response_action"]["parameters"]
        .as_str()
        .unwrap();
    assert!(
        parameters.contains(" --pipeline hq --alert-name "),
        "{parameters}"
    );
    // Forwarded, the sluice line names it; the script cannot, and says so.
    let config = std::fs::read_to_string(site.root().join("sluice.toml")).unwrap();
    std::fs::write(
        site.root().join("sluice.toml"),
        format!(
            "[response_intake]\nenabled = true\nallow_plain_http = true\n\
             token = \"${{T}}\"\n{config}"
        ),
    )
    .unwrap();
    let listing: Value =
        serde_json::from_str(&site.ok(&["list", "--json", "--pipeline", "hq"])).unwrap();
    let alert = &listing["alerts"][0];
    let parameters = alert["sluice_forwarder"]["parameters"].as_str().unwrap();
    assert!(
        parameters.contains(" --pipeline hq --alert-name "),
        "{parameters}"
    );
    let warning = alert["response_action"]["warning"].as_str().unwrap();
    assert!(warning.contains("--pipeline hq"), "{warning}");

    let out = site.run(&["list", "--pipeline", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("no pipeline named \"nope\"") && stderr.contains("branch, hq"),
        "{stderr}"
    );
}

#[test]
fn a_missing_config_is_an_error_that_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(sluice().current_dir(dir.path()).args(["alerts", "list"]));
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("cannot read the config sluice.toml") && stderr.contains("--config"),
        "{stderr}"
    );
}

#[test]
fn upload_skips_an_alert_whose_name_another_file_already_uses() {
    let site = Site::new(CONFIG);
    std::fs::create_dir(site.alerts()).unwrap();
    let mine = format!("name = \"{LOCKOUT}\"\n[filters]\nDetail = \"Account Locked Out\"\n");
    std::fs::write(site.alerts().join("my-lockout.toml"), &mine).unwrap();
    let out = site.ok(&["upload"]);
    let line = line_of(&out, LOCKOUT_FILE);
    assert!(
        line.trim_start().starts_with("skipped") && line.contains("my-lockout.toml"),
        "{out}"
    );
    assert!(!site.alerts().join(LOCKOUT_FILE).exists());
    assert!(
        sluice_core::AlertSet::load_dir(&site.alerts()).is_ok(),
        "no duplicate name was created"
    );
}
