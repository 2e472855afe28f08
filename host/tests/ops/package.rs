//! The Debian package, installed with dpkg: the command runs (`sluice --version`), the config
//! it ships validates once its secrets are given, the three plugins load from their own
//! directory, the `sluice` user exists, and the executables are stripped. It runs where
//! `SLUICE_DEB` names a package built by `dist/debian/build-deb.sh` (CI does), as root.
//!
//! ```text
//!   build-deb.sh ──► sluice_<v>_<arch>.deb ──dpkg -i──► /usr/bin/sluice --version, validate,
//!                                                     plugins; dpkg --purge
//! ```

use std::path::Path;
use std::process::{Command, Output};

fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} {args:?}: {e}"))
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn the_debian_package_installs_a_command_that_runs_and_a_config_that_validates() {
    let Ok(deb) = std::env::var("SLUICE_DEB") else {
        eprintln!("SLUICE_DEB is not set: build the package with dist/debian/build-deb.sh");
        return;
    };
    let install = run("dpkg", &["-i", &deb]);
    assert!(install.status.success(), "{}", text(&install));

    let version = run("/usr/bin/sluice", &["--version"]);
    assert!(version.status.success(), "{}", text(&version));
    assert!(
        text(&version).starts_with(&format!("sluice {} (revision ", env!("CARGO_PKG_VERSION"))),
        "{}",
        text(&version)
    );

    // The secrets, as systemd's LoadCredential= hands them to the service.
    let credentials = Path::new("/run/credentials/sluice.service");
    let made = !credentials.exists();
    std::fs::create_dir_all(credentials).unwrap();
    for name in ["auditor-password", "servicenow-password"] {
        std::fs::write(credentials.join(name), "a-test-secret-7f3e\n").unwrap();
    }
    let validate = run(
        "/usr/bin/sluice",
        &["validate", "--config", "/etc/sluice/sluice.toml"],
    );
    let plugins = run(
        "/usr/bin/sluice",
        &["plugins", "--json", "--config", "/etc/sluice/sluice.toml"],
    );
    if made {
        let _ = std::fs::remove_dir_all(credentials);
    }
    assert!(validate.status.success(), "{}", text(&validate));
    let listed: serde_json::Value = serde_json::from_slice(&plugins.stdout).unwrap();
    let paths: Vec<&str> = listed["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["path"].as_str())
        .collect();
    assert_eq!(paths.len(), 3, "{listed}");
    assert!(
        paths
            .iter()
            .all(|p| p.starts_with("/usr/lib/sluice/plugins/")),
        "{paths:?}"
    );

    assert!(run("getent", &["passwd", "sluice"]).status.success());
    for file in [
        "/lib/systemd/system/sluice.service",
        "/usr/share/man/man1/sluice.1.gz",
        "/usr/share/man/man1/sluice-explain.1.gz",
        "/usr/share/bash-completion/completions/sluice",
        "/usr/share/doc/sluice/operating.md",
    ] {
        assert!(Path::new(file).exists(), "{file} is installed");
    }
    for exe in ["/usr/lib/sluice/sluice", "/usr/lib/sluice/sluice-host"] {
        let size = std::fs::metadata(exe).unwrap().len();
        assert!(
            size < 40 * 1024 * 1024,
            "{exe} is {size} bytes: not stripped?"
        );
    }
    let purge = run("dpkg", &["--purge", "sluice"]);
    assert!(purge.status.success(), "{}", text(&purge));
}
