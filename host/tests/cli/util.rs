//! Helpers: the built binary, built plugins, temporary directories.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output};
use std::time::{Duration, Instant};

/// `target/<profile>`, where cargo put the `sluice` binary under test.
pub fn profile_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_sluice"))
        .parent()
        .expect("the binary has a directory")
        .to_owned()
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host/ is in the workspace")
        .to_owned()
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
}

fn release() -> bool {
    profile_dir().file_name().is_some_and(|n| n == "release")
}

/// The `sluice` binary under test.
pub fn sluice() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sluice"));
    cmd.env_remove("SLUICE_CONFIG").env_remove("SLUICE_LOG");
    cmd
}

/// A workspace plugin's library, built if `cargo test` did not build it already (it does with
/// `--workspace`) or if it predates the SDK it was built against.
pub fn workspace_plugin(package: &str) -> PathBuf {
    let file = profile_dir().join(format!(
        "{}{}{}",
        std::env::consts::DLL_PREFIX,
        package.replace('-', "_"),
        std::env::consts::DLL_SUFFIX
    ));
    // Stale: missing, built before the SDK it links was last rebuilt (a run of `cargo test
    // -p sluice` after an SDK change rebuilds the host, not the plugins), or older than the
    // copy a test build of the plugin itself left in deps/ (cargo copies a library up into
    // the profile directory only when it builds it for itself). A host-only change leaves
    // the SDK, and so the plugins, alone.
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let newer = |other: &Path| match (modified(&file), modified(other)) {
        (Some(plugin), Some(other)) => plugin < other,
        (Some(_), None) => false,
        (None, _) => true,
    };
    let deps = profile_dir()
        .join("deps")
        .join(file.file_name().expect("a file name"));
    let stale = newer(&profile_dir().join("libsluice_sdk.rlib")) || newer(&deps);
    if stale {
        let mut cmd = cargo();
        cmd.current_dir(workspace_root())
            .args(["build", "-p", package]);
        if release() {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("cargo runs");
        assert!(status.success(), "cargo build -p {package} failed");
    }
    assert!(file.exists(), "{} is missing", file.display());
    file
}

/// The probe plugin (`tests/fixtures/probe-plugin`): every entry point of the ABI, for the
/// loader tests. It is no workspace member, so no build of the workspace leaves it beside
/// `sluice` for an install to copy; it is built here, into `target/fixture-plugins`, and the
/// tests that use it name that directory (see [`sluice_with_probe`]).
pub fn probe_plugin() -> PathBuf {
    let target = profile_dir()
        .parent()
        .expect("target dir")
        .join("fixture-plugins");
    build_fixture("tests/fixtures/probe-plugin/Cargo.toml", &[], &target);
    library(&target, "sluice_probe_plugin")
}

/// A config of one pipeline from Netwrix Auditor to ServiceNow, enough for `sluice
/// alert-response` (which reads only the store and the pipelines); its source password is a
/// reference no test sets.
pub const RESPONSE_ACTION_CONFIG: &str = r#"
[state]
path = "state.db"

[pipelines.main.source]
type = "netwrix_auditor"
password = "${SLUICE_TEST_NEVER_SET}"

[pipelines.main.sink]
type = "servicenow"
"#;

/// A config of one pipeline from the probe plugin's source to its sink, which `validate`
/// takes (with [`sluice_with_probe`]). Tests assert line numbers in it: append, never insert.
pub const PROBE_PIPELINE: &str = r#"
[state]
path = "state.db"

[pipelines.audit.source]
type = "probe_source"
records = 3

[pipelines.audit.sink]
type = "probe_sink"
prefix = "AUD"
"#;

/// The `sluice` binary under test, looking for plugins in the probe plugin's directory too.
pub fn sluice_with_probe() -> Command {
    let probe = probe_plugin();
    let mut cmd = sluice();
    cmd.arg("--plugin-dir")
        .arg(probe.parent().expect("the library has a directory"));
    cmd
}

/// The drifted fixture plugin built with `feature` (`layout` or `version`), copied into `dir`
/// under a name of its own. It is built outside the workspace, into its own target directory
/// per feature, so the drift never reaches the workspace's build and two builds never
/// overwrite each other's library.
pub fn drifted_plugin(feature: &str, dir: &Path) -> PathBuf {
    let target = profile_dir()
        .parent()
        .expect("target dir")
        .join(format!("drifted-{feature}"));
    build_fixture(
        "tests/fixtures/drifted-plugin/Cargo.toml",
        &["--features", feature],
        &target,
    );
    let copy = dir.join(format!(
        "{}drifted_{feature}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    std::fs::copy(library(&target, "sluice_drifted_plugin"), &copy)
        .expect("copy the drifted plugin");
    copy
}

/// Builds the fixture plugin of `manifest` (relative to the workspace) into `target`: a
/// no-op when it is up to date.
fn build_fixture(manifest: &str, args: &[&str], target: &Path) {
    let output = cargo()
        .current_dir(workspace_root())
        .args(["build", "--quiet", "--manifest-path", manifest])
        .args(args)
        .arg("--target-dir")
        .arg(target)
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "building {manifest} failed:\n{}",
        text(&output.stderr)
    );
}

/// The library `name` built in `target`'s debug profile.
fn library(target: &Path, name: &str) -> PathBuf {
    target.join("debug").join(format!(
        "{}{name}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ))
}

/// Standard output or error as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `cmd`, returning its output.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("the sluice binary runs")
}

/// Stops `child` with SIGTERM (a clean stop) through `kill`, the one portable way without a
/// signal crate; SIGKILL if it has not exited after `grace`. Returns how it exited, `None` if
/// it had to be killed.
pub fn terminate(child: &mut Child, grace: Duration) -> Option<ExitStatus> {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// A small deterministic generator, so a failing run can be replayed from its seed.
#[derive(Debug)]
pub struct Lcg(pub u64);

impl Lcg {
    /// A generator seeded from `SLUICE_TEST_SEED` when set (to replay a failure), else from
    /// the clock; the seed is printed either way.
    pub fn seeded(test: &str) -> Lcg {
        let seed = std::env::var("SLUICE_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos() as u64)
            });
        eprintln!("{test}: seed {seed} (replay with SLUICE_TEST_SEED={seed})");
        Lcg(seed)
    }

    /// A number in `0..below`.
    pub fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}
