//! A plugin file written over while `sluice run` has it loaded (`cp new.so old.so` rewrites
//! the very pages the host runs) must not take the host down: the host runs plugins from
//! private copies, keeps delivering, and says on a reload that a restart picks the new file
//! up.
//!
//! ```text
//!   bin/ (copies of sluice, sluice-host, the plugins) ── sluice run ──► emulators
//!   test: overwrite bin/libsluice_sink_servicenow.so in place ──► deliver, SIGHUP, SIGTERM
//!         ──► every alert delivered, "a restart of sluice loads the new file", exit 0
//! ```

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{distinct_alerts, Site};
use crate::util::profile_dir;

/// Copies the executables and the shipped plugins into `bin`, so that the test can write over
/// a plugin without touching the build other tests use.
fn install(bin: &Path) {
    std::fs::create_dir(bin).unwrap();
    let lib = |name: &str| {
        format!(
            "{}{name}{}",
            std::env::consts::DLL_PREFIX,
            std::env::consts::DLL_SUFFIX
        )
    };
    for file in [
        "sluice".to_owned(),
        "sluice-host".to_owned(),
        lib("sluice_source_netwrix_auditor"),
        lib("sluice_sink_servicenow"),
    ] {
        std::fs::copy(profile_dir().join(&file), bin.join(&file)).unwrap();
    }
}

fn wait_until(what: &str, log: &Path, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; log:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn signal(pid: u32, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

#[test]
fn a_plugin_written_over_on_disk_does_not_take_the_running_host_down() {
    // The real plugins beside the binary under test, where `install` copies them from.
    crate::util::workspace_plugin("sluice-source-netwrix-auditor");
    crate::util::workspace_plugin("sluice-sink-servicenow");
    let site = Site::new(&["\n[pipelines.p.suppression]\nconsolidation_interval = \"0s\"\n"]);
    let bin = site.dir().join("bin");
    install(&bin);
    let log = site.dir().join("sluice.log");
    let mut host = Command::new(bin.join("sluice"))
        .current_dir(site.dir())
        .env_remove("SLUICE_CONFIG")
        .env_remove("SLUICE_LOG")
        .args(["--log-file", "sluice.log", "run", "--no-watch-config"])
        .stdin(Stdio::null())
        .spawn()
        .expect("sluice run starts");
    let pid = host.id();
    let read_log = || std::fs::read_to_string(&log).unwrap_or_default();
    wait_until("the host runs", &log, || {
        read_log().contains("sluice is running.")
    });

    let alerts = distinct_alerts(&site.auditor, 2);
    site.queue(&alerts[..1]);
    wait_until("the first ticket", &log, || site.incidents().len() == 1);

    // Written over in place: the same inode, other bytes (as `cp` does to an existing file).
    let sink = bin.join(format!(
        "{}sluice_sink_servicenow{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    let len = std::fs::metadata(&sink).unwrap().len() as usize;
    std::fs::write(&sink, vec![0xCC_u8; len]).unwrap();

    site.queue(&alerts[1..]);
    wait_until("the second ticket", &log, || site.incidents().len() == 2);
    signal(pid, "HUP");
    wait_until("the reload", &log, || {
        read_log().contains("a restart of sluice loads the new file")
    });
    assert!(host.try_wait().unwrap().is_none(), "the host runs on");
    signal(pid, "TERM");
    let status = host.wait().unwrap();
    let text = read_log();
    assert_eq!(status.code(), Some(0), "{text}");
    assert_eq!(site.unfinished(), 0, "{text}");
}
