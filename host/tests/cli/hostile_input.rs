//! Files and arguments no one should pass, passed anyway: a file that is not Auditor's CSV
//! (a password file, `/proc/self/environ`), an alert name that would forge log lines, a FIFO
//! or `/dev/zero` where a config, an alert file, a secret file, a CSV or an XML settings file
//! belongs. Each gets a clear error and a non-zero exit, quoting nothing of the file, never
//! hanging and never reading without end.
//!
//! ```text
//!   test ──spawns──► sluice …  (bounded: killed, and the test failed, after BOUND)
//!   test ──listens─► state.db.sock  (a stand-in host: must hear nothing forged)
//! ```

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::util::{sluice, sluice_with_probe, text, PROBE_PIPELINE, RESPONSE_ACTION_CONFIG};

/// The longest any command here may take; one that blocks on a FIFO is killed after it.
const BOUND: Duration = Duration::from_secs(30);

/// What a process may map (KiB) in the tests of `/dev/zero`: enough for sluice, and a read
/// without end fails at it instead of taking the machine's memory.
const MEMORY_KIB: u64 = 2 * 1024 * 1024;

/// A recognisable secret, the first line of the files sluice must not quote.
const SECRET: &str = "Zq7Xv9Kp3Wm";

/// A temporary site: `sluice.toml` (with [`RESPONSE_ACTION_CONFIG`]) in a directory of its own.
struct Site {
    dir: tempfile::TempDir,
}

impl Site {
    fn new() -> Site {
        Site::with_config(RESPONSE_ACTION_CONFIG)
    }

    fn with_config(config: &str) -> Site {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("sluice.toml"), config).unwrap();
        Site { dir }
    }

    fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }

    /// Makes a FIFO at `name` (nobody ever writes to it).
    fn fifo(&self, name: &str) -> std::path::PathBuf {
        let path = self.path(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        let status = Command::new("mkfifo").arg(&path).status().expect("mkfifo");
        assert!(status.success(), "mkfifo {}", path.display());
        path
    }

    /// Links `name` to `/dev/zero`.
    fn zero(&self, name: &str) -> std::path::PathBuf {
        let path = self.path(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::os::unix::fs::symlink("/dev/zero", &path).unwrap();
        path
    }

    /// `sluice ARGS` in the site's directory.
    fn sluice(&self, args: &[&str]) -> Command {
        let mut cmd = sluice();
        cmd.current_dir(self.dir.path()).args(args);
        cmd
    }

    /// `sluice ARGS` in the site's directory, its memory limited to [`MEMORY_KIB`].
    fn sluice_limited(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(format!("ulimit -v {MEMORY_KIB} && exec \"$0\" \"$@\""))
            .arg(env!("CARGO_BIN_EXE_sluice"))
            .args(args)
            .env_remove("SLUICE_CONFIG")
            .env_remove("SLUICE_LOG")
            .current_dir(self.dir.path());
        cmd
    }

    /// Alerts in the store (none when there is no store).
    fn queued(&self) -> i64 {
        let store = self.path("state.db");
        if !store.exists() {
            return 0;
        }
        rusqlite::Connection::open(&store)
            .unwrap()
            .query_row("SELECT count(*) FROM alerts", [], |r| r.get(0))
            .unwrap()
    }
}

/// Runs `cmd` to its end, or kills it after [`BOUND`] and fails the test: a FIFO must not
/// hang sluice.
fn bounded(cmd: &mut Command) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sluice starts");
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let deadline = Instant::now() + BOUND;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let err = text(&stderr.join().unwrap());
            panic!("{cmd:?} still ran after {BOUND:?} (blocked?) and was killed; stderr: {err}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

/// stdout and stderr together.
fn said(out: &Output) -> String {
    format!("{}{}", text(&out.stdout), text(&out.stderr))
}

/// Fails if `out` quotes [`SECRET`] in any form (sluice once printed header names lowercased
/// and stripped of punctuation).
fn assert_quotes_nothing(out: &Output) {
    let all = said(out).to_lowercase();
    assert!(
        !all.contains(&SECRET.to_lowercase()),
        "the file's content was printed: {all}"
    );
}

#[test]
fn alert_response_quotes_nothing_of_a_file_that_is_not_auditors_csv() {
    let site = Site::new();
    let files = [
        ("passwords", format!("admin:{SECRET}:1000\nroot:x:0\n")),
        (
            "shadow",
            format!("root:$6${SECRET}$abc:19000:0:99999:7:::\n"),
        ),
        ("one-column.csv", format!("{SECRET}\n1\n")),
        ("headers.csv", format!("Password,{SECRET}\nhunter2,x\n")),
    ];
    for (name, content) in &files {
        std::fs::write(site.path(name), content).unwrap();
        let out = bounded(&mut site.sluice(&["alert-response", "--config", "sluice.toml", name]));
        assert_ne!(out.status.code(), Some(0), "{name}");
        assert_quotes_nothing(&out);
        let stderr = text(&out.stderr);
        assert!(stderr.contains(name), "names the file: {stderr}");
        assert!(
            stderr.contains("Record ID") && stderr.contains("Who"),
            "says which columns it expected: {stderr}"
        );
        assert_eq!(site.queued(), 0, "{name}");
    }
}

#[test]
#[cfg(target_os = "linux")]
fn alert_response_quotes_nothing_of_proc_self_environ() {
    let site = Site::new();
    let out = bounded(
        site.sluice(&[
            "alert-response",
            "--config",
            "sluice.toml",
            "/proc/self/environ",
        ])
        .env("SERVICENOW_PASSWORD", SECRET),
    );
    assert_ne!(out.status.code(), Some(0));
    assert_quotes_nothing(&out);
    assert!(
        text(&out.stderr).contains("/proc/self/environ"),
        "{}",
        said(&out)
    );
    assert_eq!(site.queued(), 0);
}

/// Names that would start a line of their own in the host's log, or rewrite the terminal.
const FORGED_NAMES: [&str; 6] = [
    "Locked out\nINFO sluice: forged line",
    "Locked out\r",
    "Locked\u{1b}[2K out",
    "Locked\tout",
    "Locked out\u{2028}forged",
    "Locked\u{85}out",
];

#[test]
fn alert_names_with_line_breaks_or_control_characters_are_refused() {
    let site = Site::new();
    std::fs::write(site.path("alert.csv"), "Record ID,Who\nr1,CORP\\a\n").unwrap();
    for name in FORGED_NAMES {
        for ids in [&["7", "r1"][..], &["alert.csv"][..]] {
            let mut args = vec!["alert-response", "--config", "sluice.toml", "--alert-name"];
            args.push(name);
            args.extend(ids);
            let out = bounded(&mut site.sluice(&args));
            assert_ne!(out.status.code(), Some(0), "{name:?} {ids:?}");
            let stderr = text(&out.stderr);
            assert!(
                stderr.contains("--alert-name") && stderr.contains("control character"),
                "{name:?}: {stderr}"
            );
            assert!(!stderr.contains(name), "quoted escaped: {stderr}");
            assert_eq!(site.queued(), 0, "{name:?} {ids:?}");
        }
    }
}

/// The front's quick path, with a host listening: a forged name is not handed over.
#[test]
fn the_front_hands_no_forged_alert_name_to_the_running_host() {
    let site = Site::new();
    let host = StandInHost::listen(&site.path("state.db.sock"));
    for name in FORGED_NAMES {
        let out = bounded(&mut site.sluice(&[
            "alert-response",
            "--config",
            "sluice.toml",
            "--alert-name",
            name,
            "7",
            "r1",
        ]));
        let heard = host.heard();
        assert!(heard.is_empty(), "{name:?} was handed over: {heard:?}");
        assert_ne!(out.status.code(), Some(0), "{name:?}: {}", said(&out));
        assert_eq!(site.queued(), 0, "{name:?}");
    }
}

/// A socket where the host's would be, answering every request as queued.
struct StandInHost {
    heard: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

impl StandInHost {
    fn listen(socket: &Path) -> StandInHost {
        let listener = UnixListener::bind(socket).unwrap();
        listener.set_nonblocking(true).unwrap();
        let heard = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (log, stopping) = (heard.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stopping.load(Ordering::SeqCst) {
                let Ok((stream, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                stream.set_nonblocking(false).unwrap();
                let timeout = Some(Duration::from_secs(5));
                stream.set_read_timeout(timeout).unwrap();
                let mut line = String::new();
                let _ = BufReader::new(&stream).read_line(&mut line);
                let answer = b"{\"answer\":\"queued\",\"queued\":1,\"duplicates\":0}\n";
                let _ = (&stream).write_all(answer);
                log.lock().unwrap().push(line);
            }
        });
        StandInHost { heard, stop }
    }

    /// The requests heard so far, taken.
    fn heard(&self) -> Vec<String> {
        std::mem::take(&mut *self.heard.lock().unwrap())
    }
}

impl Drop for StandInHost {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

#[test]
fn validate_refuses_a_fifo_as_the_config_without_blocking() {
    let site = Site::new();
    site.fifo("fifo.toml");
    let out = bounded(&mut site.sluice(&["validate", "--config", "fifo.toml"]));
    assert_eq!(out.status.code(), Some(78), "{}", said(&out));
    assert!(
        text(&out.stderr).contains("fifo.toml")
            && text(&out.stderr).contains("is a FIFO, not a regular file"),
        "{}",
        said(&out)
    );
}

#[test]
fn validate_refuses_a_fifo_as_an_alert_file_without_blocking() {
    let site = Site::with_config(PROBE_PIPELINE);
    site.fifo("alerts/locked-out.toml");
    let mut validate = sluice_with_probe();
    validate
        .current_dir(site.dir.path())
        .args(["validate", "--config", "sluice.toml"]);
    let out = bounded(&mut validate);
    assert_eq!(out.status.code(), Some(78), "{}", said(&out));
    assert!(
        text(&out.stderr).contains("locked-out.toml")
            && text(&out.stderr).contains("is a FIFO, not a regular file"),
        "{}",
        said(&out)
    );
}

#[test]
fn the_alerts_commands_refuse_a_fifo_as_an_alert_file_without_blocking() {
    let site = Site::new();
    // The name of a shipped file, which `upload` reads to compare.
    site.fifo("alerts/user-account-locked-out.toml");
    for args in [
        &["list"][..],
        &["enable", "Locked"][..],
        &["disable", "Locked"][..],
        &["upload"][..],
    ] {
        let mut all = vec!["alerts"];
        all.extend(args);
        all.extend(["--config", "sluice.toml"]);
        let out = bounded(&mut site.sluice(&all));
        assert_ne!(out.status.code(), Some(0), "{args:?}: {}", said(&out));
        assert!(
            text(&out.stderr).contains("user-account-locked-out.toml")
                && text(&out.stderr).contains("is a FIFO, not a regular file"),
            "{args:?}: {}",
            said(&out)
        );
    }
}

#[test]
fn a_fifo_as_a_secret_file_is_refused_without_blocking() {
    let site = Site::with_config(
        &RESPONSE_ACTION_CONFIG.replace("${SLUICE_TEST_NEVER_SET}", "file:password"),
    );
    site.fifo("password");
    let out = bounded(&mut site.sluice(&["validate", "--config", "sluice.toml"]));
    assert_eq!(out.status.code(), Some(78), "{}", said(&out));
    assert!(
        text(&out.stderr).contains("is a FIFO, not a regular file"),
        "{}",
        said(&out)
    );
}

#[test]
fn alert_response_refuses_a_fifo_as_the_config_or_the_csv_without_blocking() {
    let site = Site::new();
    site.fifo("fifo.toml");
    site.fifo("alert.csv");
    for args in [
        &["--config", "fifo.toml", "7", "r1"][..],
        &["--config", "sluice.toml", "alert.csv"][..],
    ] {
        let mut all = vec!["alert-response"];
        all.extend(args);
        let out = bounded(&mut site.sluice(&all));
        assert_ne!(out.status.code(), Some(0), "{args:?}");
        assert!(
            text(&out.stderr).contains("is a FIFO, not a regular file"),
            "{args:?}: {}",
            said(&out)
        );
        assert_eq!(site.queued(), 0);
    }
}

#[test]
fn import_legacy_refuses_a_fifo_without_blocking() {
    let site = Site::new();
    site.fifo("ITSMSettings.xml");
    std::fs::write(site.path("ServiceNowSettings.xml"), "<a/>").unwrap();
    let out = bounded(&mut site.sluice(&[
        "import-legacy",
        "ITSMSettings.xml",
        "ServiceNowSettings.xml",
    ]));
    assert_ne!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).contains("ITSMSettings.xml is a FIFO, not a regular file"),
        "{}",
        said(&out)
    );
}

#[test]
fn dev_zero_is_refused_as_a_config_an_alert_file_or_a_csv() {
    let site = Site::new();
    site.zero("zero.toml");
    site.zero("zero.csv");
    for args in [
        &["validate", "--config", "zero.toml"][..],
        &["alert-response", "--config", "zero.toml", "7", "r1"][..],
        &["alert-response", "--config", "sluice.toml", "zero.csv"][..],
    ] {
        let out = bounded(&mut site.sluice_limited(args));
        assert_ne!(out.status.code(), Some(0), "{args:?}");
        assert!(
            text(&out.stderr).contains("is a character device, not a regular file"),
            "{args:?}: {}",
            said(&out)
        );
    }
    site.zero("alerts/zero.toml");
    let out = bounded(&mut site.sluice_limited(&["alerts", "list", "--config", "sluice.toml"]));
    assert_ne!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).contains("is a character device, not a regular file"),
        "{}",
        said(&out)
    );
}

#[test]
fn a_config_larger_than_the_limit_is_refused_saying_the_limit() {
    let site = Site::new();
    let big = std::fs::File::create(site.path("big.toml")).unwrap();
    big.set_len(17 * 1024 * 1024).unwrap();
    let out = bounded(&mut site.sluice(&["validate", "--config", "big.toml"]));
    assert_eq!(out.status.code(), Some(78));
    assert!(
        text(&out.stderr).contains("is larger than 16 MiB"),
        "{}",
        said(&out)
    );
}

#[test]
fn a_csv_larger_than_the_limit_is_refused_saying_the_limit() {
    let site = Site::new();
    let big = std::fs::File::create(site.path("big.csv")).unwrap();
    big.set_len(65 * 1024 * 1024).unwrap();
    let out = bounded(&mut site.sluice(&["alert-response", "--config", "sluice.toml", "big.csv"]));
    assert_ne!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).contains("big.csv is larger than 64 MiB"),
        "{}",
        said(&out)
    );
    assert_eq!(site.queued(), 0);
}

/// `sluice run` on [`PROBE_PIPELINE`] in `site`, its log (info) in `run.log`; returns once it
/// listens for response actions.
fn start_host(site: &Site) -> std::process::Child {
    let log = std::fs::File::create(site.path("run.log")).unwrap();
    let mut cmd = sluice_with_probe();
    cmd.current_dir(site.dir.path())
        .args(["run", "--config", "sluice.toml"])
        .env("SLUICE_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log);
    let mut child = cmd.spawn().expect("sluice run starts");
    let deadline = Instant::now() + BOUND;
    while !site.path("state.db.sock").exists() {
        if Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            let _ = child.kill();
            let _ = child.wait();
            panic!("sluice run did not start: {}", site.log());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

impl Site {
    /// What `sluice run` logged so far.
    fn log(&self) -> String {
        std::fs::read_to_string(self.path("run.log")).unwrap_or_default()
    }

    /// Waits at most [`BOUND`] for `run.log` to say `what`; whether it did.
    fn wait_for_log(&self, what: &str) -> bool {
        let deadline = Instant::now() + BOUND;
        while Instant::now() < deadline {
            if self.log().contains(what) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }
}

/// A FIFO appears among the alert files of a running host: the reload it starts refuses the
/// file and keeps the running config, and SIGTERM still stops the host.
#[test]
fn a_running_host_refuses_a_fifo_alert_file_at_reload_and_still_stops() {
    let site = Site::with_config(PROBE_PIPELINE);
    std::fs::create_dir(site.path("alerts")).unwrap();
    let mut host = start_host(&site);
    site.fifo("alerts/locked-out.toml");
    let refused = site.wait_for_log("it is a FIFO, not a regular file");
    let stopped = crate::util::terminate(&mut host, BOUND);
    assert!(
        refused,
        "the reload did not refuse the FIFO: {}",
        site.log()
    );
    assert!(stopped.is_some(), "SIGTERM did not stop it: {}", site.log());
    assert!(
        site.log().contains("keep the previous one"),
        "{}",
        site.log()
    );
}

/// The config itself replaced by a FIFO under a running host: the same.
#[test]
fn a_running_host_refuses_a_fifo_config_at_reload_and_still_stops() {
    let site = Site::with_config(PROBE_PIPELINE);
    let mut host = start_host(&site);
    std::fs::remove_file(site.path("sluice.toml")).unwrap();
    site.fifo("sluice.toml");
    let refused = site.wait_for_log("it is a FIFO, not a regular file");
    let stopped = crate::util::terminate(&mut host, BOUND);
    assert!(
        refused,
        "the reload did not refuse the FIFO: {}",
        site.log()
    );
    assert!(stopped.is_some(), "SIGTERM did not stop it: {}", site.log());
}
