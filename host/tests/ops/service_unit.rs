//! The systemd unit in `dist/systemd` is hardened: `systemd-analyze security` rates its
//! exposure 2.0 or lower, and `systemd-analyze verify` finds nothing wrong in it besides the
//! executable it names not being installed here.

use std::path::Path;
use std::process::Command;

/// `systemd-analyze`, or `None` when it is not installed and this is not CI.
fn systemd_analyze() -> Option<&'static str> {
    crate::support::installed(
        "systemd-analyze",
        "systemd",
        "the unit's hardening is not checked here",
    )
    .then_some("systemd-analyze")
}

#[test]
fn the_systemd_unit_is_hardened_to_an_exposure_of_at_most_2() {
    let Some(analyze) = systemd_analyze() else {
        return;
    };
    let unit = Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist/systemd/sluice.service");
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("sluice.service");
    std::fs::copy(&unit, &copy).unwrap();
    let out = Command::new(analyze)
        .args(["security", "--offline=yes", "--no-pager"])
        .arg(&copy)
        .output()
        .expect("systemd-analyze runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let exposure: f64 = text
        .lines()
        .find_map(|l| {
            l.split("Overall exposure level for sluice.service: ")
                .nth(1)
        })
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "no exposure level in:\n{text}{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    assert!(exposure <= 2.0, "exposure {exposure}:\n{text}");

    let out = Command::new(analyze)
        .args(["verify", "--man=no"])
        .arg(&copy)
        .output()
        .expect("systemd-analyze runs");
    let problems: Vec<String> = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| !l.contains("is not executable: No such file or directory"))
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
}
