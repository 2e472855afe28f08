//! Both emulators, served on loopback by a runtime the test owns, and the directory `sluice`
//! runs in; what a test reads back from the emulators and from the state store.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sluice_core::queue_response_action;
use sluice_core::store::alerts;
use sluice_core::{Durability, Store};
use sluice_emulators::auditor::{Auditor, AuditorConfig};
use sluice_emulators::servicenow::{Incident, JournalEntry, ServiceNow, ServiceNowConfig};
use sluice_emulators::Served;
use tempfile::TempDir;
use tokio::runtime::Runtime;

use crate::util::{sluice, workspace_plugin};

/// The pipeline every config names (the base's and the layers' tables say `pipelines.p`).
pub const PIPELINE: &str = "p";

/// Which database a site keeps its state store in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in the site's directory (`state.db`), as a single host keeps it.
    Sqlite,
    /// A throwaway PostgreSQL server of the site's own (`[state] url`), as hosts sharing a
    /// store keep it.
    Postgres,
}

/// Both emulators, the directory, and the runtime serving them.
pub struct Site {
    pub auditor: Auditor,
    pub servicenow: ServiceNow,
    auditor_served: Served,
    /// `None` while [`Site::stop_servicenow`] has it down.
    servicenow_served: Mutex<Option<Served>>,
    /// Kept, so that ServiceNow comes back where the config points.
    servicenow_addr: SocketAddr,
    dir: TempDir,
    /// The PostgreSQL server of a store kept there ([`Backend::Postgres`]).
    postgres: Option<Mutex<sluice_test_postgres::Cluster>>,
    /// The `[state] url` layer that puts the config's store on [`Site::postgres`], merged
    /// over the base before a test's own layers, so that every config the test writes keeps
    /// the site's store.
    store_layer: Option<String>,
    // Last: the servers run on it.
    runtime: Runtime,
}

impl Site {
    /// An empty Auditor and a London instance with their default accounts, and the config:
    /// the base with `layers` merged over it (see [`Site::configure`]); the store a SQLite
    /// file in the site's directory.
    pub fn new(layers: &[&str]) -> Site {
        Site::on(Backend::Sqlite, layers)
    }

    /// [`Site::new`] with the store on `backend`.
    pub fn on(backend: Backend, layers: &[&str]) -> Site {
        Site::with_emulators_on(
            backend,
            AuditorConfig::default(),
            ServiceNowConfig::default(),
            layers,
        )
    }

    /// [`Site::new`] with the store on a PostgreSQL server of its own (`[state] url`), for
    /// several hosts to share: each started with [`Run::host`](crate::support::Run::host).
    pub fn shared(layers: &[&str]) -> Site {
        Site::on(Backend::Postgres, layers)
    }

    /// The emulators built from these configs (other credentials, say), served on ephemeral
    /// loopback ports, and the config: the base with `layers` merged over it; the store a
    /// SQLite file.
    pub fn with_emulators(
        auditor: AuditorConfig,
        servicenow: ServiceNowConfig,
        layers: &[&str],
    ) -> Site {
        Site::with_emulators_on(Backend::Sqlite, auditor, servicenow, layers)
    }

    /// [`Site::with_emulators`] with the store on `backend`: on PostgreSQL, a throwaway
    /// server of the site's own, gone with the site.
    pub fn with_emulators_on(
        backend: Backend,
        auditor: AuditorConfig,
        servicenow: ServiceNowConfig,
        layers: &[&str],
    ) -> Site {
        // The real plugins, next to the binary under test, where `sluice run` finds them.
        workspace_plugin("sluice-source-netwrix-auditor");
        workspace_plugin("sluice-sink-servicenow");
        // One TLS provider for the process, for a test that serves an emulator over TLS.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let auditor = Auditor::new(auditor);
        let servicenow = ServiceNow::new(servicenow);
        let loopback: SocketAddr = ([127, 0, 0, 1], 0).into();
        let auditor_served = runtime
            .block_on(sluice_emulators::serve(auditor.router(), loopback))
            .expect("the Auditor emulator listens");
        let servicenow_served = runtime
            .block_on(sluice_emulators::serve(servicenow.router(), loopback))
            .expect("the ServiceNow emulator listens");
        let postgres = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => {
                Some(sluice_test_postgres::Cluster::start().unwrap_or_else(|e| panic!("{e}")))
            }
        };
        let site = Site {
            auditor,
            servicenow,
            auditor_served,
            servicenow_addr: servicenow_served.addr(),
            servicenow_served: Mutex::new(Some(servicenow_served)),
            dir: tempfile::tempdir().expect("a temporary directory"),
            store_layer: postgres
                .as_ref()
                .map(|cluster| format!("[state]\nurl = {}", toml::Value::from(cluster.url()))),
            postgres: postgres.map(Mutex::new),
            runtime,
        };
        site.configure(layers);
        site
    }

    /// The `[state] url` layer of a site whose store is in PostgreSQL.
    pub(super) fn store_layer(&self) -> Option<&str> {
        self.store_layer.as_deref()
    }

    /// The PostgreSQL server of the store: to stop, kill or restart it.
    ///
    /// # Panics
    ///
    /// On a site whose store is a file.
    pub fn postgres(&self) -> std::sync::MutexGuard<'_, sluice_test_postgres::Cluster> {
        self.postgres
            .as_ref()
            .expect("a shared store")
            .lock()
            .unwrap()
    }

    /// The directory `sluice` runs in: its config, state store and socket.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The Auditor emulator's base URL.
    pub fn auditor_url(&self) -> String {
        self.auditor_served.base_url()
    }

    /// The ServiceNow emulator's base URL, the same while it is stopped.
    pub fn servicenow_url(&self) -> String {
        format!("http://{}", self.servicenow_addr)
    }

    /// Runs `future` on the emulators' runtime: another server beside them, or a request.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// GETs `url` (the telemetry endpoint): status and body.
    pub fn get(&self, url: &str) -> (u16, String) {
        self.block_on(async {
            let reply = reqwest::get(url).await.expect("the endpoint answers");
            let status = reply.status().as_u16();
            (status, reply.text().await.expect("a body"))
        })
    }

    /// Stops the ServiceNow emulator's listener: connections are refused until
    /// [`Site::start_servicenow`].
    pub fn stop_servicenow(&self) {
        let served = self.servicenow_served.lock().unwrap().take();
        if let Some(served) = served {
            self.block_on(served.shutdown());
        }
    }

    /// Serves the same ServiceNow instance again, on the same port (retrying while the old
    /// socket lingers).
    pub fn start_servicenow(&self) {
        let served = self.block_on(async {
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
        *self.servicenow_served.lock().unwrap() = Some(served);
    }

    /// Every incident, oldest first: the emulator starts with none, so these are the ones
    /// `sluice` opened (and a test's check for strays sees any it should not have).
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

    /// Runs `sluice ARGS…` in the directory, as an operator would (`status` and `validate`
    /// find `sluice.toml` there): exit code, standard output and standard error.
    pub fn sluice(&self, args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String, String) {
        let out = sluice()
            .current_dir(self.dir())
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

    /// `sluice alert-response --config F ARGS…` as Netwrix Auditor's response action runs it:
    /// from a directory of its own, the config named by its full path.
    fn alert_response_command(&self, args: &[&str]) -> Command {
        let mut cmd = sluice();
        cmd.arg("alert-response")
            .arg("--config")
            .arg(self.config_path())
            .args(args);
        cmd
    }

    /// Runs the response action with `args` and checks that it exits 0.
    pub fn alert_response(&self, args: &[&str]) -> Output {
        let output = self
            .alert_response_command(args)
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

    /// Runs the response action for each of `runs` side by side, as Auditor runs up to eight
    /// actions at once; checks that each exits 0 and returns their standard errors.
    pub fn alert_responses_at_once(&self, runs: &[Vec<&str>]) -> Vec<String> {
        let actions: Vec<_> = runs
            .iter()
            .map(|args| {
                self.alert_response_command(args)
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
        match &self.postgres {
            Some(cluster) => {
                let url = cluster.lock().unwrap().url();
                Store::open_postgres(&url).expect("the shared state store")
            }
            None => Store::open(&self.dir().join("state.db"), Durability::Full)
                .expect("the state store"),
        }
    }

    /// Queues alerts `(alert name, record id)` as `sluice alert-response` does, in-process (a
    /// flood of subprocesses would only slow the test); each gets its own Auditor alert id,
    /// and must be new to the store.
    pub fn queue<N: AsRef<str>, R: AsRef<str>>(&self, alerts: &[(N, R)]) {
        let mut store = self.store();
        let now = sluice_core::Timestamp::now();
        for (name, record) in alerts {
            let (name, record) = (name.as_ref(), record.as_ref());
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
        alerts::unfinished(&self.store().db(), PIPELINE).expect("count alerts")
    }

    /// Alerts of the pipeline per state (`done`, `dead`, …).
    pub fn alert_states(&self) -> Vec<(String, u64)> {
        alerts::counts(&self.store().db(), PIPELINE).expect("count alerts")
    }

    /// Alerts of the pipeline whose ticket action is in flight: sent, or being sent, and not
    /// yet settled.
    pub fn in_flight(&self) -> u64 {
        self.alert_states()
            .iter()
            .filter(|(state, _)| state == "in_flight")
            .map(|(_, n)| n)
            .sum()
    }

    /// Whether at least `alerts` alerts are in the store, each delivered or given up on (more
    /// than expected is for the test's accounting to report).
    pub fn settled(&self, alerts: u64) -> bool {
        let total: u64 = self.alert_states().iter().map(|(_, n)| n).sum();
        total >= alerts && self.unfinished() == 0
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

    /// The last errors of the pipeline's ticket actions that meet `condition` (SQL on `o`).
    fn action_errors(&self, condition: &str) -> Vec<String> {
        self.store()
            .db()
            .query(
                &format!(
                    "SELECT coalesce(o.last_error, '') FROM outbox o \
                     WHERE o.pipeline = ?1 AND {condition}"
                ),
                sluice_core::store::db::args![PIPELINE],
                |r| r.get(0),
            )
            .expect("read the outbox")
    }
}

/// The value of `series` (name and labels, as rendered) in a `/metrics` answer.
pub fn metric(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}
