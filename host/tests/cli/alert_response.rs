//! `sluice alert-response` handed what Auditor would never pass, or what a misconfigured
//! response action passes: a clear error, a non-zero exit, and nothing queued.

use super::util::{run, sluice, text, RESPONSE_ACTION_CONFIG};

/// Runs `sluice alert-response ARGS` in a fresh site; returns (exit code, stderr, alerts queued).
fn alert_response(args: &[&str], files: &[(&str, &str)]) -> (i32, String, i64) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sluice.toml"), RESPONSE_ACTION_CONFIG).unwrap();
    for (name, content) in files {
        std::fs::write(dir.path().join(name), content).unwrap();
    }
    let out = run(sluice()
        .current_dir(dir.path())
        .args(["alert-response", "--config", "sluice.toml"])
        .args(args));
    let store = dir.path().join("state.db");
    let queued = if store.exists() {
        rusqlite::Connection::open(&store)
            .unwrap()
            .query_row("SELECT count(*) FROM alerts", [], |r| r.get(0))
            .unwrap()
    } else {
        0
    };
    (out.status.code().unwrap_or(-1), text(&out.stderr), queued)
}

#[test]
fn well_formed_ids_are_queued() {
    for alert_id in ["7", "{0B5E0000-0000-4000-8000-0000000000AE}"] {
        let (code, stderr, queued) = alert_response(
            &[
                alert_id,
                "202503030342556561449596057D4DF59E5BA385B9ABB8D35",
            ],
            &[],
        );
        assert_eq!((code, queued), (0, 1), "{alert_id}: {stderr}");
    }
}

#[test]
fn ids_auditor_would_never_pass_are_refused_and_nothing_is_queued() {
    for (args, problem) in [
        (
            ["", "202503030342556561449596057D4DF59E5BA385B9ABB8D35"],
            "is empty",
        ),
        (
            ["7", "{RecordID}"],
            "placeholder Netwrix Auditor did not fill in",
        ),
        (
            ["{AlertID}", "2025"],
            "placeholder Netwrix Auditor did not fill in",
        ),
        (["7", "2025 0303"], "contains spaces"),
    ] {
        let (code, stderr, queued) = alert_response(&args, &[]);
        assert_ne!(code, 0, "{args:?}");
        assert!(stderr.contains(problem), "{args:?}: {stderr}");
        assert!(
            stderr.contains("{AlertID} {RecordID}") && stderr.contains("nothing was queued"),
            "says what the command line must be: {stderr}"
        );
        assert_eq!(queued, 0, "{args:?}");
    }
}

#[test]
fn one_argument_that_is_not_a_file_names_the_command_line_to_check() {
    let (code, stderr, queued) = alert_response(&["7"], &[]);
    assert_ne!(code, 0);
    assert!(
        stderr.contains("expected <AlertID> <RecordID>, or the path of a CSV file; 7 is neither"),
        "{stderr}"
    );
    assert!(stderr.contains("sluice alerts list"), "{stderr}");
    assert_eq!(queued, 0);
}

#[test]
fn a_csv_sluice_cannot_read_says_which_option_to_untick() {
    let (code, stderr, queued) = alert_response(&["alert.csv"], &[("alert.csv", "garbage\n1\n")]);
    assert_ne!(code, 0);
    assert!(
        stderr.contains("untick \"Write data to CSV file\""),
        "{stderr}"
    );
    assert_eq!(queued, 0);
}
