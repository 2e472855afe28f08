//! The Windows forwarder's exact curl command line (`dist/windows/sluice-forward.cmd`), run
//! with this machine's curl against the real intake: its exit status is what Auditor sees, so
//! it must be 0 only for an alert sluice committed.
//!
//! What is substituted is only what cmd would expand: the script's variables and its
//! arguments (`%~1` the alert name, `%~2` `%~3` the ids). The batch file itself is not run.

use std::process::Command;

use super::*;
use crate::ledger::{account, Expect};
use crate::support::write_lockout;

/// The script's command line for the ids case, as written in the file.
fn curl_line() -> String {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../dist/windows/sluice-forward.cmd"
    );
    let text = std::fs::read_to_string(script).expect("the Windows forwarder");
    text.lines()
        .map(|line| line.trim_end_matches('\r'))
        .find(|line| line.starts_with("curl.exe ") && line.contains("--data-urlencode"))
        .expect("a curl.exe line with the ids")
        .to_owned()
}

/// Runs the line with `token_file` and the ids, as cmd would expand it; curl's exit status.
fn run_curl(intake: &Intake, token_file: &Path, alert_id: &str, record_id: &str) -> Option<i32> {
    let line = curl_line()
        .replacen("curl.exe ", "curl ", 1)
        .replace(
            "%SLUICE_CACERT%",
            &format!("--cacert \"{}\"", intake.pki.ca.display()),
        )
        .replace("%SLUICE_TOKEN_FILE%", &token_file.display().to_string())
        .replace("%SLUICE_URL%", &intake.url)
        .replace("%~1", LOCKED_OUT)
        .replace("%~2", alert_id)
        .replace("%~3", record_id);
    assert!(!line.contains('%'), "every variable expanded: {line}");
    let output = Command::new("sh")
        .args(["-c", &line])
        .output()
        .expect("sh and curl run");
    output.status.code()
}

#[test]
fn the_windows_forwarders_curl_line_opens_one_incident_and_fails_on_every_refusal() {
    let unchecked = "the Windows forwarder's command line is not run here";
    if !crate::support::installed("curl", "curl", unchecked) {
        return;
    }
    let intake = Intake::new("", &[]);
    let rid = write_lockout(&intake.site.auditor, "jdoe", "2025-03-11T08:45:12Z");
    // The host is down: curl cannot connect (7), and Auditor will retry.
    assert_eq!(
        run_curl(&intake, &intake.token_file, ALERT_ID, &rid),
        Some(7)
    );

    let host = intake.site.run().start();
    let wrong = intake.token_file.with_file_name("wrong.token");
    std::fs::write(&wrong, "Authorization: Bearer not-the-token\r\n").expect("write a token");
    // Refused by sluice (HTTP 4xx): curl --fail exits 22, and nothing is queued.
    assert_eq!(run_curl(&intake, &wrong, ALERT_ID, &rid), Some(22));
    assert_eq!(
        run_curl(&intake, &intake.token_file, "{AlertID}", &rid),
        Some(22)
    );
    assert_eq!(alerts_in_store(&intake.site), 0);

    assert_eq!(
        run_curl(&intake, &intake.token_file, ALERT_ID, &rid),
        Some(0)
    );
    assert_eq!(
        run_curl(&intake, &intake.token_file, ALERT_ID, &rid),
        Some(0),
        "a retry"
    );
    host.wait_settled(1);
    host.stop().assert_clean();
    assert_eq!(alerts_in_store(&intake.site), 1);
    assert_eq!(intake.site.incidents().len(), 1);
    account(&intake.site, Expect::delivered(1));
}
