//! `sluice emulate auditor` prints sample record ids, and one of them is enough to try a
//! response action by hand: `sluice explain --rid` fetches it from the emulator and says the
//! shipped alert that selects it would open a ticket.
//!
//! ```text
//!   sluice emulate auditor --listen 127.0.0.1:0 ──prints──► base URL, RecordIDs
//!   sluice explain --rid RID ──fetch──► the emulator ──► "NEW TICKET"
//! ```

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use crate::util::sluice;

#[test]
fn the_auditor_emulator_prints_sample_record_ids_that_explain_can_fetch() {
    let mut emulator = sluice()
        .args(["emulate", "auditor", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("sluice emulate runs");
    let mut lines = BufReader::new(emulator.stdout.take().expect("stdout")).lines();
    let mut printed = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("a line");
        let done = line.starts_with("Press Ctrl-C");
        printed.push(line);
        if done {
            break;
        }
    }
    let text = printed.join("\n");
    let url = printed[0].rsplit(' ').next().expect("the URL").to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{text}");
    let lockout = printed
        .iter()
        .find(|l| l.contains("(ITSM Add-On: User Account Locked Out)"))
        .unwrap_or_else(|| panic!("a lockout sample: {text}"));
    let rid = lockout
        .split_whitespace()
        .next()
        .expect("its RecordID")
        .to_owned();
    assert!(
        text.contains(&format!("sluice explain --rid {rid}")),
        "{text}"
    );

    let dir = tempfile::tempdir().unwrap();
    let alerts = concat!(env!("CARGO_MANIFEST_DIR"), "/../alerts");
    std::fs::write(
        dir.path().join("sluice.toml"),
        format!(
            "[pipelines.p.intake]\nalerts = '{alerts}'\n\n[pipelines.p.source]\n\
             type = \"netwrix_auditor\"\nendpoint = \"{url}\"\nusername = 'CORP\\svc-sluice'\n\
             password = \"sluice-demo\"\n\n[pipelines.p.sink]\ntype = \"servicenow\"\n\
             endpoint = \"http://127.0.0.1:9\"\nrelease = \"london\"\nusername = \"u\"\npassword = \"p\"\n"
        ),
    )
    .unwrap();
    crate::util::workspace_plugin("sluice-source-netwrix-auditor");
    crate::util::workspace_plugin("sluice-sink-servicenow");
    let out = sluice()
        .current_dir(dir.path())
        .args(["explain", "--rid", &rid])
        .output()
        .expect("sluice explain runs");
    let _ = emulator.kill();
    let _ = emulator.wait();
    let answer = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        answer.contains("ITSM Add-On: User Account Locked Out: NEW TICKET: opens a new ticket"),
        "{answer}"
    );
    assert!(
        !dir.path().join("sluice.db").exists(),
        "explain wrote no store"
    );
}
