//! The Debian package, installed with dpkg: the command runs (`sluice --version`), the config
//! it ships validates once its secrets are given, the three plugins load from their own
//! directory, the `sluice` user exists, and the executables are stripped.
//!
//! It installs a package on the machine, as root, so it runs only where that is wanted: with
//! `SLUICE_DEB` naming a package `dist/debian/build-deb.sh` built, or in CI (`CI=true`),
//! where it packages the binaries the tests were built with (`build-deb.sh --from`: the
//! same script and layout, without a second, release, build).
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
    let _built;
    let deb = match std::env::var("SLUICE_DEB") {
        Ok(deb) => deb,
        Err(_) if std::env::var("CI").as_deref() == Ok("true") => {
            _built = build_from_the_test_binaries();
            _built.1.clone()
        }
        Err(_) => {
            eprintln!(
                "SLUICE_DEB is not set and this is not CI: build the package with \
                 dist/debian/build-deb.sh and name it in SLUICE_DEB to install it here"
            );
            return;
        }
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
    // Stripped: no symbol table, no debug sections (the size depends on the profile built).
    for exe in ["/usr/lib/sluice/sluice", "/usr/lib/sluice/sluice-host"] {
        let sections = text(&run("objdump", &["-h", exe]));
        assert!(
            !sections.contains(".symtab")
                && !sections.contains(".debug_info")
                && !sections.contains(".debug_line"),
            "{exe} is not stripped: {sections}"
        );
    }
    let purge = run("dpkg", &["--purge", "sluice"]);
    assert!(purge.status.success(), "{}", text(&purge));
}

/// A package of the binaries the tests run, with the three plugins built beside them; the
/// directory it is in (kept until the test ends) and its path.
fn build_from_the_test_binaries() -> (tempfile::TempDir, String) {
    for plugin in [
        "sluice-source-netwrix-auditor",
        "sluice-sink-servicenow",
        "sluice-sink-jsonl",
    ] {
        crate::util::workspace_plugin(plugin);
    }
    let binaries = Path::new(env!("CARGO_BIN_EXE_sluice"))
        .parent()
        .expect("the binaries' directory");
    let out = tempfile::tempdir().expect("a directory for the package");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../dist/debian/build-deb.sh");
    let built = Command::new("bash")
        .arg(script)
        .arg("--from")
        .arg(binaries)
        .env("CARGO_TARGET_DIR", out.path())
        .output()
        .expect("bash runs");
    assert!(
        built.status.success(),
        "build-deb.sh --from: {}",
        text(&built)
    );
    let deb = String::from_utf8_lossy(&built.stdout).trim().to_owned();
    (out, deb)
}
