//! The Windows forwarder's exact curl command line (`dist/windows/sluice-forward.cmd`), run
//! with this machine's curl against the real intake: its exit status is what Auditor sees, so
//! it must be 0 only for an alert sluice committed.
//!
//! What is substituted is only what cmd would expand: the script's variables (the intake
//! tried, the alert's name and ids its arguments gave) and `%%`. The batch file itself is not
//! run (there is no cmd here): its loop over several intakes, `:try`, is mirrored by
//! [`in_turn`], which the script's own line of stop codes keeps honest.
//!
//! On SQLite alone: what is checked is the script's line and its exit statuses; the commit
//! behind the intake's 200 is the one `forwarding.rs` checks on both backends.

use std::process::Command;

use super::*;
use crate::ledger::{account, Expect};
use crate::support::{closed_port, write_lockout};

/// The Windows forwarder.
fn script_path() -> &'static str {
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../dist/windows/sluice-forward.cmd"
    )
}

/// The script's command line for the ids case, as written in the file.
fn curl_line() -> String {
    let text = std::fs::read_to_string(script_path()).expect("the Windows forwarder");
    text.lines()
        .map(|line| line.trim_end_matches('\r'))
        .find(|line| line.starts_with("curl.exe ") && line.contains("--data-urlencode"))
        .expect("a curl.exe line with the ids")
        .to_owned()
}

/// What the script's `:send` prints and exits with: the HTTP status (`000` for none) and
/// curl's exit status.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Sent {
    http: String,
    curl: Option<i32>,
}

/// Runs the line for the intake at `url` with `token_file` and the ids, as cmd would expand
/// it in `:send`.
fn send(intake: &Intake, url: &str, token_file: &Path, alert_id: &str, record_id: &str) -> Sent {
    let line = curl_line()
        .replacen("curl.exe ", "curl ", 1)
        .replace(
            "%SLUICE_CACERT%",
            &format!("--cacert \"{}\"", intake.pki.ca.display()),
        )
        .replace("%SLUICE_TOKEN_FILE%", &token_file.display().to_string())
        .replace("%SLUICE_TRY%", url)
        .replace("%SLUICE_ALERT_NAME%", LOCKED_OUT)
        .replace("%SLUICE_ALERT_ID%", alert_id)
        .replace("%SLUICE_RECORD_ID%", record_id)
        .replace("--output NUL ", "--output /dev/null ");
    assert!(
        !line.replace("%%", "").contains('%'),
        "every variable expanded: {line}"
    );
    let output = Command::new("sh")
        .args(["-c", &line.replace("%%", "%")])
        .output()
        .expect("sh and curl run");
    Sent {
        http: String::from_utf8_lossy(&output.stdout).trim().to_owned(),
        curl: output.status.code(),
    }
}

/// Runs the line for the intake's own URL: curl's exit status.
fn run_curl(intake: &Intake, token_file: &Path, alert_id: &str, record_id: &str) -> Option<i32> {
    send(intake, &intake.url, token_file, alert_id, record_id).curl
}

/// The script's `:try` over `urls`, in order, as it reads `:send`'s answers: stop at curl's
/// 0 or one of the stop codes, or at an HTTP refusal (22) but 408, 429 and 5xx; else on to
/// the next. What each answered, and the exit status (the last one's).
fn in_turn(intake: &Intake, urls: &[&str], token_file: &Path, record_id: &str) -> (Vec<Sent>, i32) {
    const RULE: [&str; 5] = [
        r#"for %%c in (2 26 47 58 77) do if "%SLUICE_RC%"=="%%c" goto :try_stop"#,
        r#"if not "%SLUICE_RC%"=="22" goto :try_next"#,
        r#"if "%SLUICE_HTTP:~0,1%"=="5" goto :try_next"#,
        r#"if "%SLUICE_HTTP%"=="408" goto :try_next"#,
        r#"if "%SLUICE_HTTP%"=="429" goto :try_next"#,
    ];
    let script = std::fs::read_to_string(script_path()).expect("the Windows forwarder");
    let lines: Vec<&str> = script.lines().map(|l| l.trim_end_matches('\r')).collect();
    for line in RULE {
        assert!(
            lines.contains(&line),
            "the script's rule changed ({line} is gone): change this mirror of :try with it"
        );
    }
    let mut sent = Vec::new();
    for url in urls {
        let answer = send(intake, url, token_file, ALERT_ID, record_id);
        let code = answer.curl.expect("curl exits");
        sent.push(answer.clone());
        let busy = answer.http.starts_with('5') || ["408", "429"].contains(&answer.http.as_str());
        let stop = match code {
            0 | 2 | 26 | 47 | 58 | 77 => true,
            22 => !busy,
            _ => false,
        };
        if stop {
            return (sent, code);
        }
    }
    let last = sent.last().and_then(|s| s.curl).expect("an intake tried");
    (sent, last)
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

/// Several intakes in SLUICE_URL: the one down is passed over and the next queues the alert;
/// a refused token ends the tries at once; with all down, each is tried and the last one's
/// status is the script's.
#[test]
fn the_windows_forwarder_passes_over_an_intake_that_is_down_and_stops_at_a_refusal() {
    let unchecked = "the Windows forwarder's command line is not run here";
    if !crate::support::installed("curl", "curl", unchecked) {
        return;
    }
    let intake = Intake::new("", &[]);
    let rid = write_lockout(&intake.site.auditor, "jdoe", "2025-03-11T08:45:12Z");
    let host = intake.site.run().start();
    let down = format!("https://localhost:{}", closed_port());
    let (gone, ok) = (
        Sent {
            http: "000".into(),
            curl: Some(7),
        },
        Sent {
            http: "200".into(),
            curl: Some(0),
        },
    );

    let urls = [down.as_str(), intake.url.as_str()];
    let (sent, code) = in_turn(&intake, &urls, &intake.token_file, &rid);
    assert_eq!((sent, code), (vec![gone.clone(), ok.clone()], 0));
    // Auditor's retry, the intakes the other way round: the first queues it, as the same alert.
    let urls = [intake.url.as_str(), down.as_str()];
    let (sent, code) = in_turn(&intake, &urls, &intake.token_file, &rid);
    assert_eq!((sent, code), (vec![ok], 0));

    let wrong = intake.token_file.with_file_name("wrong.token");
    std::fs::write(&wrong, "Authorization: Bearer not-the-token\r\n").expect("write a token");
    let refused = Sent {
        http: "401".into(),
        curl: Some(22),
    };
    let (sent, code) = in_turn(&intake, &urls, &wrong, &rid);
    assert_eq!((sent, code), (vec![refused], 22), "the second not tried");

    let other = format!("https://localhost:{}", closed_port());
    let (sent, code) = in_turn(&intake, &[&down, &other], &intake.token_file, &rid);
    assert_eq!((sent, code), (vec![gone.clone(), gone], 7));

    host.wait_settled(1);
    host.stop().assert_clean();
    assert_eq!(alerts_in_store(&intake.site), 1);
    assert_eq!(intake.site.incidents().len(), 1);
    account(&intake.site, Expect::delivered(1));
}
