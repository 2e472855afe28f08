//! `sluice --version`: the version, the git revision the binary was built from, and its
//! target, so that an operator (and `sluice_build_info`) can say exactly what runs.

use crate::util::sluice;

#[test]
fn version_names_the_revision_and_the_target() {
    let out = sluice().arg("--version").output().expect("sluice runs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let revision = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map_or_else(
            || "unknown".to_owned(),
            |o| String::from_utf8_lossy(&o.stdout).trim().to_owned(),
        );
    let target = format!("{}-", std::env::consts::ARCH);
    assert!(
        text.starts_with(&format!(
            "sluice {} (revision {revision}, {target}",
            env!("CARGO_PKG_VERSION")
        )),
        "{text}"
    );
}
