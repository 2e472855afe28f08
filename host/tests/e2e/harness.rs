//! The bench every test runs on: both emulators served on loopback by a tokio runtime the test
//! owns, a config for the real plugins in a temporary directory, and `sluice run` as a
//! subprocess whose log is kept for the failure message.
//!
//! Conditions are waited for by polling the emulators and the state store, with a generous
//! deadline; nothing is asserted after a fixed sleep.

use std::fs::File;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use sluice_core::queue_response_action;
use sluice_core::{Durability, Store};
use sluice_emulators::auditor::{
    ActivityRecord, Auditor, AuditorConfig, Detail, Item, MonitoringPlan,
};
use sluice_emulators::servicenow::{Incident, JournalEntry, Release, ServiceNow, ServiceNowConfig};
use sluice_emulators::Served;
use tempfile::TempDir;
use tokio::runtime::Runtime;

use crate::util::{sluice, terminate, workspace_plugin};

/// The pipeline every test config names.
pub const PIPELINE: &str = "security";

/// The longest any condition is waited for: far beyond what a loaded 2-core machine needs, so
/// a timeout means something is stuck, not slow.
const PATIENCE: Duration = Duration::from_secs(90);

/// Overrides (for [`Site::configure`]) of a polling pipeline: the host reads the Auditor itself,
/// from an hour back, and raises alerts with the shipped alert set.
pub const POLLING: &str = r#"
    [source]
    start = "1h"

    [intake]
    response_action = false
    poll = true
    poll_interval = "200ms"
"#;

/// What `sluice run` logs once its pipelines run.
const RUNNING: &str = "sluice is running.";

/// The Auditor emulator's account.
pub const AUDITOR_USER: &str = r"CORP\svc-sluice";
pub const AUDITOR_PASSWORD: &str = "sluice-demo";

/// Both emulators, the config directory, and the runtime serving them.
pub struct Site {
    pub auditor: Auditor,
    pub servicenow: ServiceNow,
    auditor_served: Served,
    servicenow_served: Option<Served>,
    servicenow_addr: SocketAddr,
    dir: TempDir,
    // Last: the servers run on it.
    runtime: Runtime,
}

impl Site {
    /// An empty Auditor and a London instance, served on ephemeral loopback ports, and the
    /// default config.
    pub fn new() -> Site {
        // The real plugins, next to the binary under test, where `sluice run` finds them.
        workspace_plugin("sluice-source-netwrix-auditor");
        workspace_plugin("sluice-sink-servicenow");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let auditor = Auditor::new(AuditorConfig::default());
        let servicenow = ServiceNow::new(ServiceNowConfig::for_release(Release::London));
        let loopback: SocketAddr = "127.0.0.1:0".parse().expect("an address");
        let auditor_served = runtime
            .block_on(sluice_emulators::serve(auditor.router(), loopback))
            .expect("the Auditor emulator listens");
        let servicenow_served = runtime
            .block_on(sluice_emulators::serve(servicenow.router(), loopback))
            .expect("the ServiceNow emulator listens");
        let site = Site {
            auditor,
            servicenow,
            auditor_served,
            servicenow_addr: servicenow_served.addr(),
            servicenow_served: Some(servicenow_served),
            dir: tempfile::tempdir().expect("a temporary directory"),
            runtime,
        };
        site.configure("");
        site
    }

    /// The config directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The Auditor emulator's base URL.
    pub fn auditor_url(&self) -> String {
        self.auditor_served.base_url()
    }

    /// The ServiceNow emulator's base URL.
    pub fn servicenow_url(&self) -> String {
        format!("http://{}", self.servicenow_addr)
    }

    /// The config file.
    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("sluice.toml")
    }

    /// Writes the config: one pipeline from the Auditor emulator to the ServiceNow emulator,
    /// with retries and consolidation shortened to fractions of a second, and `overrides` (TOML
    /// relative to the pipeline's table, e.g. `[delivery]\ngive_up_after = "2s"`) merged in.
    pub fn configure(&self, overrides: &str) {
        let alerts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../alerts");
        let base = format!(
            r#"
            [source]
            type = "netwrix_auditor"
            endpoint = {auditor}
            username = {user}
            password = {password}
            request_timeout = "10s"

            [sink]
            type = "servicenow"
            endpoint = {servicenow}
            release = "london"
            username = "sluice"
            password = "sluice"
            request_timeout = "10s"

            [intake]
            alerts = {alerts}

            [suppression]
            consolidation_interval = "500ms"

            [delivery]
            retry_initial = "100ms"
            retry_max = "1s"
            retry_after_max = "2s"
            "#,
            auditor = quoted(&self.auditor_url()),
            user = quoted(AUDITOR_USER),
            password = quoted(AUDITOR_PASSWORD),
            servicenow = quoted(&self.servicenow_url()),
            alerts = quoted(&alerts.display().to_string()),
        );
        let mut pipeline: toml::Table = base.parse().expect("the base config parses");
        merge(
            &mut pipeline,
            overrides.parse().expect("the overrides parse"),
        );
        let mut config = toml::Table::new();
        config.insert("state".to_owned(), toml::Value::Table(state_table()));
        let mut pipelines = toml::Table::new();
        pipelines.insert(PIPELINE.to_owned(), toml::Value::Table(pipeline));
        config.insert("pipelines".to_owned(), toml::Value::Table(pipelines));
        std::fs::write(self.config_path(), config.to_string()).expect("write the config");
    }

    /// Starts `sluice run` and waits until it says it is running (plugins loaded,
    /// healthchecks done).
    pub fn start(&self) -> Host {
        let started = self.log().matches(RUNNING).count();
        let host = self.spawn();
        self.wait_for("sluice run to start", || {
            self.log().matches(RUNNING).count() > started
        });
        host
    }

    /// Starts `sluice run`; its log is appended to `sluice.log` in the config directory.
    pub fn spawn(&self) -> Host {
        let log = File::options()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("open the log");
        let child = sluice()
            .current_dir(self.dir.path())
            .arg("run")
            .arg("--config")
            .arg(self.config_path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("sluice run starts");
        Host { child: Some(child) }
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("sluice.log")
    }

    /// The host's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// The last lines of the host's log, for failure messages.
    pub fn log_tail(&self) -> String {
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(60)..].join("\n")
    }

    /// Runs `sluice alert-response --config F ARGS…`, as Netwrix Auditor's response action
    /// does, and checks that it exits 0.
    pub fn alert_response(&self, args: &[&str]) -> Output {
        let output = sluice()
            .arg("alert-response")
            .arg("--config")
            .arg(self.config_path())
            .args(args)
            .output()
            .expect("sluice alert-response runs");
        assert!(
            output.status.success(),
            "sluice alert-response {args:?} failed: {}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    /// Runs `sluice alert-response --config F ARGS…` for each of `runs` side by side, as
    /// Auditor runs up to eight actions at once; checks that each exits 0 and returns their
    /// standard errors.
    pub fn alert_responses_at_once(&self, runs: &[Vec<&str>]) -> Vec<String> {
        let actions: Vec<_> = runs
            .iter()
            .map(|args| {
                sluice()
                    .arg("alert-response")
                    .arg("--config")
                    .arg(self.config_path())
                    .args(args)
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("sluice alert-response runs")
            })
            .collect();
        actions
            .into_iter()
            .map(|action| {
                let output = action
                    .wait_with_output()
                    .expect("sluice alert-response ends");
                let log = String::from_utf8_lossy(&output.stderr).into_owned();
                assert!(output.status.success(), "{}: {log}", output.status);
                log
            })
            .collect()
    }

    /// A connection to the state store (created by the first `sluice` run, or now).
    pub fn store(&self) -> Store {
        Store::open(&self.dir.path().join("state.db"), Durability::Full).expect("the state store")
    }

    /// Queues alerts `(alert name, record id)` as `sluice alert-response` does, in-process (a
    /// flood of subprocesses would only slow the test); each gets its own Auditor alert id.
    pub fn queue(&self, alerts: &[(&str, &str)]) {
        let mut store = self.store();
        let now = sluice_core::millis(std::time::SystemTime::now());
        for (name, record) in alerts {
            let queued = queue_response_action(
                &mut store,
                PIPELINE,
                &format!("{{alert-{name}-{record}}}"),
                record,
                name,
                now,
            )
            .expect("queue the alert");
            assert!(queued, "{name} {record} was queued before");
        }
    }

    /// Alerts of the pipeline not yet delivered or given up on.
    pub fn unfinished(&self) -> u64 {
        sluice_core::store::alerts::unfinished(self.store().conn(), PIPELINE).expect("count alerts")
    }

    /// The last failures of the ticket actions not yet done (waiting for a retry, or being
    /// retried).
    pub fn retrying(&self) -> Vec<String> {
        self.action_errors("o.state IN ('pending', 'in_flight') AND o.last_error IS NOT NULL")
    }

    /// The reasons given for the ticket actions given up on that carry alerts.
    pub fn dead_letters(&self) -> Vec<String> {
        self.action_errors(
            "o.state = 'dead' AND EXISTS (SELECT 1 FROM alerts a WHERE a.outbox_id = o.id)",
        )
    }

    fn action_errors(&self, condition: &str) -> Vec<String> {
        let store = self.store();
        let errors = store
            .conn()
            .prepare(&format!(
                "SELECT coalesce(o.last_error, '') FROM outbox o \
                 WHERE o.pipeline = ?1 AND {condition}"
            ))
            .and_then(|mut s| {
                s.query_map([PIPELINE], |r| r.get(0))?
                    .collect::<Result<Vec<String>, _>>()
            })
            .expect("read the outbox");
        errors
    }

    /// Waits until `done` holds, failing with `what` and the host's log after [`PATIENCE`].
    pub fn wait_for(&self, what: &str, mut done: impl FnMut() -> bool) {
        let deadline = Instant::now() + PATIENCE;
        while !done() {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}\n--- sluice log (last lines) ---\n{}",
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until at least `alerts` alerts are in the store, each delivered or given up on
    /// (more than expected is for the ledger to report).
    pub fn wait_settled(&self, alerts: u64) {
        self.wait_for(&format!("{alerts} alerts delivered"), || {
            let counts = sluice_core::store::alerts::counts(self.store().conn(), PIPELINE)
                .expect("count alerts");
            let total: u64 = counts.iter().map(|(_, n)| n).sum();
            total >= alerts && self.unfinished() == 0
        });
    }

    /// Stops the ServiceNow emulator's listener: connections are refused until
    /// [`Site::start_servicenow`].
    pub fn stop_servicenow(&mut self) {
        if let Some(served) = self.servicenow_served.take() {
            self.runtime.block_on(served.shutdown());
        }
    }

    /// Serves the same ServiceNow instance again, on the same port.
    pub fn start_servicenow(&mut self) {
        let served = self.runtime.block_on(async {
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                match sluice_emulators::serve(self.servicenow.router(), self.servicenow_addr).await
                {
                    Ok(served) => return served,
                    Err(e) if Instant::now() < deadline => {
                        eprintln!("rebinding {}: {e}", self.servicenow_addr);
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    Err(e) => panic!("cannot listen on {} again: {e}", self.servicenow_addr),
                }
            }
        });
        self.servicenow_served = Some(served);
    }

    /// The incidents, oldest first.
    pub fn incidents(&self) -> Vec<Incident> {
        self.servicenow.incidents()
    }

    /// The work notes of an incident, oldest first.
    pub fn work_notes(&self, incident: &Incident) -> Vec<JournalEntry> {
        self.servicenow
            .journal(incident.sys_id())
            .into_iter()
            .filter(|e| e.element == "work_notes")
            .collect()
    }
}

/// A running `sluice run`; killed if dropped while running (a failed test leaves no process).
pub struct Host {
    child: Option<Child>,
}

impl Host {
    /// Stops it with SIGTERM and checks that it exits 0 after finishing its step.
    pub fn stop(mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let status = terminate(&mut child, Duration::from_secs(60));
        assert!(
            status.is_some_and(|s| s.success()),
            "sluice run did not stop cleanly on SIGTERM: {status:?}"
        );
    }

    /// Kills it with SIGKILL, mid-whatever it was doing.
    pub fn kill(mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn state_table() -> toml::Table {
    let mut state = toml::Table::new();
    state.insert("path".to_owned(), toml::Value::from("state.db"));
    state
}

fn quoted(text: &str) -> String {
    toml::Value::from(text).to_string()
}

/// Merges `over` into `base`, table by table.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// An Active Directory lockout of `who` at `when`, as a domain controller reports it: every
/// field the alert details show is set, so a test can find each in the ticket.
pub fn lockout(who: &str, when: Timestamp) -> ActivityRecord {
    let mut record = ActivityRecord::new(
        format!(r"CORP\{who}"),
        "Modified",
        format!(r"\local\corp\Users\{who}"),
        when,
        "dc01.corp.local",
        "user",
    );
    record.data_source = Some("Active Directory".to_owned());
    record.monitoring_plan = Some(MonitoringPlan {
        name: "AD Monitoring".to_owned(),
        id: None,
    });
    record.item = Some(Item {
        name: "corp.local (Domain)".to_owned(),
    });
    record.workstation = Some(format!("ws-{who}.corp.local"));
    let mut detail = Detail::named("Account Locked Out");
    detail.before = Some("False".to_owned());
    detail.after = Some("True".to_owned());
    record.details.push(detail);
    record
}

/// A file server's record of `who` deleting a file at `when`.
pub fn deletion(who: &str, n: u64, when: Timestamp) -> ActivityRecord {
    let mut record = ActivityRecord::new(
        format!(r"CORP\{who}"),
        "Removed",
        format!(r"\\fs01\projects\{who}\report-{n}.docx"),
        when,
        "fs01.corp.local",
        "File",
    );
    record.data_source = Some("File Servers".to_owned());
    record
}

/// A lockout of `who` at `when` (RFC 3339) stored in the Auditor; its RID.
pub fn write_lockout(auditor: &Auditor, who: &str, when: &str) -> String {
    let when: Timestamp = when.parse().expect("an RFC 3339 time");
    auditor.write(vec![lockout(who, when)]).remove(0)
}

/// `n` lockout records stored in the Auditor, one second apart ending now; their RIDs.
pub fn write_lockouts(auditor: &Auditor, prefix: &str, n: usize) -> Vec<String> {
    let now = Timestamp::now();
    let records = (0..n)
        .map(|i| {
            let when = now - jiff::SignedDuration::from_secs((n - i) as i64);
            lockout(&format!("{prefix}{i}"), when)
        })
        .collect();
    auditor.write(records)
}
