//! What the operations tests share: both emulators served on loopback, a working directory
//! with a config that points at them, `sluice run` as a child process whose log is read as it
//! is written, and the state store read directly.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sluice_core::queue_response_action;
use sluice_core::store::alerts;
use sluice_core::{millis, Durability, Store};
use sluice_emulators::auditor::{ActivityRecord, Auditor, AuditorConfig};
use sluice_emulators::servicenow::{Incident, ServiceNow, ServiceNowConfig};
use sluice_emulators::Served;

use crate::util::{sluice, workspace_plugin};

/// How long a test waits for something that takes well under a second on an idle machine.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// Waits until `done` holds, polling; panics with `what` and `context()` after [`PATIENCE`].
fn wait_or(what: &str, mut done: impl FnMut() -> bool, context: impl Fn() -> String) {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "gave up waiting: {what}\n{}",
            context()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Both emulators, served on loopback ports by a runtime of their own.
pub struct Systems {
    pub runtime: tokio::runtime::Runtime,
    pub auditor: Auditor,
    pub servicenow: ServiceNow,
    pub auditor_url: String,
    pub servicenow_url: String,
    served: Vec<Served>,
}

impl Systems {
    /// The emulators with their default credentials.
    pub fn start() -> Systems {
        Self::with(AuditorConfig::default(), ServiceNowConfig::default())
    }

    /// The emulators built from these configs.
    pub fn with(auditor: AuditorConfig, servicenow: ServiceNowConfig) -> Systems {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
        let auditor = Auditor::new(auditor);
        let servicenow = ServiceNow::new(servicenow);
        let loopback = ([127, 0, 0, 1], 0).into();
        let (a, s) = runtime.block_on(async {
            (
                sluice_emulators::serve(auditor.router(), loopback)
                    .await
                    .expect("serve the auditor emulator"),
                sluice_emulators::serve(servicenow.router(), loopback)
                    .await
                    .expect("serve the servicenow emulator"),
            )
        });
        Systems {
            auditor_url: a.base_url(),
            servicenow_url: s.base_url(),
            served: vec![a, s],
            runtime,
            auditor,
            servicenow,
        }
    }

    /// Writes `n` activity records to Auditor; returns their RIDs.
    pub fn records(&self, n: usize) -> Vec<String> {
        let now = jiff::Timestamp::now();
        self.auditor.write(
            (0..n)
                .map(|i| {
                    ActivityRecord::new(
                        format!("CORP\\user{i}"),
                        "Modified",
                        format!("CN=Object {i},OU=Test,DC=corp,DC=local"),
                        now,
                        "dc01.corp.local",
                        "user",
                    )
                })
                .collect(),
        )
    }

    /// The incidents sluice opened (each carries a correlation id).
    pub fn incidents(&self) -> Vec<Incident> {
        self.servicenow
            .incidents()
            .into_iter()
            .filter(|i| !i.get("correlation_id").is_empty())
            .collect()
    }

    /// GETs `path` from `base` (the telemetry endpoint): status and body.
    pub fn get(&self, url: &str) -> (u16, String) {
        self.runtime.block_on(async {
            let reply = reqwest::get(url).await.expect("the endpoint answers");
            let status = reply.status().as_u16();
            (status, reply.text().await.expect("a body"))
        })
    }
}

impl Drop for Systems {
    fn drop(&mut self) {
        let served = std::mem::take(&mut self.served);
        self.runtime.block_on(async {
            for s in served {
                s.shutdown().await;
            }
        });
    }
}

/// A working directory with `sluice.toml`, its state store and the plugins.
pub struct Site {
    pub dir: tempfile::TempDir,
}

impl Site {
    /// A directory with `config` written as `sluice.toml`; builds the real plugins if needed.
    pub fn new(config: &str) -> Site {
        workspace_plugin("sluice-source-netwrix-auditor");
        workspace_plugin("sluice-sink-servicenow");
        let site = Site {
            dir: tempfile::tempdir().expect("a temporary directory"),
        };
        site.write_config(config);
        site
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn config_path(&self) -> PathBuf {
        self.path().join("sluice.toml")
    }

    /// Replaces `sluice.toml`, atomically (as an editor or a config manager would).
    pub fn write_config(&self, config: &str) {
        let tmp = self.path().join(".sluice.toml.new");
        std::fs::write(&tmp, config).expect("write the config");
        std::fs::rename(&tmp, self.config_path()).expect("replace the config");
    }

    /// A connection to the state store.
    pub fn store(&self) -> Store {
        Store::open(&self.path().join("state.db"), Durability::Full).expect("the state store")
    }

    /// Queues response-action alerts `(alert name, record id)` for pipeline `p`.
    pub fn queue(&self, alerts: &[(String, String)]) {
        let mut store = self.store();
        let now = millis(std::time::SystemTime::now());
        for (i, (name, record)) in alerts.iter().enumerate() {
            queue_response_action(
                &mut store,
                "p",
                &format!("{{alert-{i}}}"),
                record,
                name,
                now,
            )
            .expect("queue an alert");
        }
    }

    /// Alerts of pipeline `p` not yet delivered or given up on.
    pub fn unfinished(&self) -> u64 {
        alerts::unfinished(self.store().conn(), "p").expect("count")
    }

    /// Alerts of pipeline `p` per state.
    pub fn alert_states(&self) -> Vec<(String, u64)> {
        alerts::counts(self.store().conn(), "p").expect("count")
    }

    /// Runs `sluice` with `args` here and returns (exit code, stdout, stderr).
    pub fn sluice(&self, args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String, String) {
        let out = sluice()
            .current_dir(self.path())
            .args(args)
            .envs(env.iter().copied())
            .output()
            .expect("sluice runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

/// The config of one pipeline `p` from Auditor to ServiceNow London, each alert its own ticket
/// (no flood limit to speak of, repeats written at once), with `extra` TOML appended.
pub fn config(systems: &Systems, extra: &str) -> String {
    format!(
        r#"[state]
path = "state.db"

[pipelines.p.source]
type = "netwrix_auditor"
endpoint = "{auditor}"
username = 'CORP\svc-sluice'
password = "sluice-demo"

[pipelines.p.sink]
type = "servicenow"
endpoint = "{servicenow}"
release = "london"
username = "sluice"
password = "sluice"

[pipelines.p.delivery]
retry_initial = "200ms"
retry_max = "1s"
{extra}"#,
        auditor = systems.auditor_url,
        servicenow = systems.servicenow_url,
    )
}

/// `n` alerts named `Alert 00`, `Alert 01`…, each on its own new record.
pub fn distinct_alerts(systems: &Systems, n: usize) -> Vec<(String, String)> {
    systems
        .records(n)
        .into_iter()
        .enumerate()
        .map(|(i, rid)| (format!("Alert {i:02}"), rid))
        .collect()
}

/// `sluice run` as a child process, its standard output and error collected as they come.
pub struct Daemon {
    child: Mutex<Child>,
    output: Arc<Mutex<String>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

impl Daemon {
    /// Starts `sluice [global] run --config sluice.toml [args]` in `site`.
    pub fn start(site: &Site, global: &[&str], args: &[&str], env: &[(&str, &str)]) -> Daemon {
        let mut cmd: Command = sluice();
        cmd.current_dir(site.path())
            .args(global)
            .args(["run", "--config", "sluice.toml"])
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("sluice run starts");
        let output = Arc::new(Mutex::new(String::new()));
        let mut readers = Vec::new();
        let streams: Vec<Box<dyn std::io::Read + Send>> = vec![
            Box::new(child.stdout.take().expect("stdout")),
            Box::new(child.stderr.take().expect("stderr")),
        ];
        for stream in streams {
            let output = Arc::clone(&output);
            readers.push(std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let mut all = output.lock().unwrap();
                    all.push_str(&line);
                    all.push('\n');
                }
            }));
        }
        Daemon {
            child: Mutex::new(child),
            output,
            readers,
        }
    }

    /// Everything it wrote so far.
    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// How many lines so far contain `needle`.
    pub fn count(&self, needle: &str) -> usize {
        self.output().lines().filter(|l| l.contains(needle)).count()
    }

    /// Waits until `needle` was written `times` times in all.
    pub fn wait_for(&self, needle: &str, times: usize) {
        self.wait_until(&format!("{times}× {needle:?} in the log"), || {
            self.count(needle) >= times
        });
    }

    /// Waits until `done` holds while it runs; panics with its log if it exits or after
    /// [`PATIENCE`].
    pub fn wait_until(&self, what: &str, mut done: impl FnMut() -> bool) {
        wait_or(
            what,
            || {
                if let Ok(Some(status)) = self.try_status() {
                    panic!("sluice exited ({status}):\n{}", self.output());
                }
                done()
            },
            || self.output(),
        );
    }

    fn try_status(&self) -> std::io::Result<Option<ExitStatus>> {
        self.child.lock().unwrap().try_wait()
    }

    /// Sends `signal` (`TERM`, `HUP`, `INT`).
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{signal} failed");
    }

    fn pid(&self) -> u32 {
        self.child.lock().unwrap().id()
    }

    /// Waits for it to exit; returns its exit code and everything it wrote.
    pub fn wait(mut self) -> (Option<i32>, String) {
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = self.try_status().expect("wait") {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.lock().unwrap().kill();
                panic!("sluice did not exit:\n{}", self.output());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        for r in std::mem::take(&mut self.readers) {
            let _ = r.join();
        }
        (status.code(), self.output())
    }

    /// SIGTERM, then [`Daemon::wait`].
    pub fn stop(self) -> (Option<i32>, String) {
        self.signal("TERM");
        self.wait()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let child = self.child.get_mut().unwrap();
        if let Ok(None) = child.try_wait() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A loopback port nothing listens on.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

/// A `[telemetry]` table on a free loopback port, and that address.
pub fn telemetry() -> (String, String) {
    let addr = format!("127.0.0.1:{}", closed_port());
    (
        format!("\n[telemetry]\nenabled = true\nlisten = \"{addr}\"\n"),
        addr,
    )
}

/// The value of `series` (name and labels, as rendered) in a `/metrics` answer.
pub fn metric(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}
