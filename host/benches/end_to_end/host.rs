//! The real host: the release `sluice` binary and its plugins side by side in target/release,
//! run as a subprocess so that its memory is its own.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sluice_core::store::alerts;
use sluice_core::{Durability, Store};

/// The plugins the bench loads, by package.
const PLUGINS: [&str; 2] = ["sluice-source-netwrix-auditor", "sluice-sink-servicenow"];

/// The `sluice` binary cargo built for this bench (target/release/sluice).
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_sluice"))
}

/// Makes sure the plugins sit next to the binary, built from this tree: `cargo build
/// --release` for them, which does nothing when they are up to date. (A bench build does not
/// build them: they are other packages.)
pub fn ensure_plugins() -> Result<(), String> {
    let mut command = vec!["build".to_owned(), "--release".to_owned()];
    for p in PLUGINS {
        command.extend(["-p".to_owned(), p.to_owned()]);
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .args(&command)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!(
            "building the plugins failed; run `cargo {}` and look at its errors",
            command.join(" ")
        ));
    }
    // The binary and the plugins must come from the same tree: a checkout built into the same
    // target directory earlier can leave its own `sluice` there, which refuses these plugins.
    let out = Command::new(binary())
        .args(["plugins", "--json"])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", binary().display()))?;
    let listing: serde_json::Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("`sluice plugins --json` did not print JSON: {e}"))?;
    let ours = |entry: &&serde_json::Value| {
        let path = entry["path"].as_str().unwrap_or_default();
        PLUGINS
            .iter()
            .any(|p| path.contains(&format!("lib{}.", p.replace('-', "_"))))
    };
    let refused: Vec<&serde_json::Value> = listing["refused"]
        .as_array()
        .map(|r| r.iter().filter(ours).collect())
        .unwrap_or_default();
    if refused.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} refuses the plugins next to it: {refused:?}; remove target/release/sluice and \
             target/release/*.so and run the bench again",
            binary().display()
        ))
    }
}

/// A running `sluice run`.
pub struct Host {
    child: Child,
    dir: PathBuf,
    log: PathBuf,
    /// The PostgreSQL database the config's `[state] url` names; `None`: the SQLite file
    /// `state.db` beside the config.
    url: Option<String>,
}

impl Host {
    /// Starts `sluice run` on `dir/sluice.toml`, its state in `state.db` beside it; its log
    /// (warnings and errors, or the level `SLUICE_BENCH_LOG` names) goes to `dir/host.log`.
    // The intake bench starts its hosts so; this one with `launch`.
    #[allow(dead_code)]
    pub fn start(dir: &Path) -> Host {
        Host::launch(dir, None, "host.log", &[])
    }

    /// [`Host::start`] with its state in the PostgreSQL database at `url` (which the config
    /// must name) when given, its log in `dir/log`, and `directives` (such as
    /// `sluice::handoff=debug`) added to the log's filter.
    pub fn launch(dir: &Path, url: Option<&str>, log: &str, directives: &[&str]) -> Host {
        let log = dir.join(log);
        let file = std::fs::File::create(&log).expect("create the host log");
        let mut filter = std::env::var("SLUICE_BENCH_LOG").unwrap_or_else(|_| "warn".to_owned());
        for directive in directives {
            filter.push(',');
            filter.push_str(directive);
        }
        let child = Command::new(binary())
            .current_dir(dir)
            .args(["run", "--config", "sluice.toml"])
            .env("SLUICE_LOG", filter)
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("sluice run starts");
        Host {
            child,
            dir: dir.to_owned(),
            log,
            url: url.map(str::to_owned),
        }
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The CPU seconds the host has used so far.
    pub fn cpu_seconds(&self) -> f64 {
        crate::cpu::seconds_of(self.child.id())
    }

    /// The host's peak resident memory so far (VmHWM), MB.
    pub fn peak_rss_mb(&self) -> f64 {
        crate::memory::peak_rss_mb(Some(self.child.id()))
    }

    /// Fails the bench with the host's log if it exited.
    pub fn check_alive(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!(
                "sluice run exited ({status}) during the bench:\n{}",
                self.log()
            );
        }
    }

    /// Waits until `expected` alerts are in the store and every one is decided and delivered.
    pub fn wait_delivered(&mut self, expected: u64, limit: Duration) {
        let deadline = Instant::now() + limit;
        let store = self.open_when_created();
        loop {
            self.check_alive();
            let counts = alerts::counts(&store.db(), "bench").unwrap_or_default();
            let total: u64 = counts.iter().map(|(_, n)| n).sum();
            if total >= expected && alerts::unfinished(&store.db(), "bench").unwrap_or(1) == 0 {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "not delivered after {limit:?}: alerts {counts:?}; see {}",
                self.log.display()
            );
            // The figures come from ServiceNow's side (when it answered), not from this loop:
            // looking seldom keeps the bench's own queries (a count over every alert) off the
            // cores the host and its database are timed on.
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Ticket actions done, by kind (`open`, `update`), from the store.
    pub fn actions_done(&self) -> Vec<(String, u64)> {
        self.count("SELECT kind, count(*) FROM outbox WHERE state = 'done' GROUP BY kind")
    }

    /// Alerts whose ticket action is done, and ticket actions given up on (dead letters).
    pub fn delivered_and_dead(&self) -> (u64, u64) {
        let first = |rows: Vec<(String, u64)>| rows.first().map_or(0, |(_, n)| *n);
        (
            first(self.count(
                "SELECT 'alerts', count(*) FROM alerts a JOIN outbox o ON o.id = a.outbox_id \
                 WHERE o.state = 'done'",
            )),
            first(self.count("SELECT 'dead', count(*) FROM outbox WHERE state = 'dead'")),
        )
    }

    /// The `(label, count)` rows `sql` selects from the store.
    fn count(&self, sql: &str) -> Vec<(String, u64)> {
        let store = self.open_store();
        store
            .db()
            .query(sql, &[], |r| {
                Ok((r.get::<String>(0)?, r.get::<i64>(1)? as u64))
            })
            .expect("read the store")
    }

    /// Opens the host's store (creating its schema if the host did not yet).
    fn open_store(&self) -> Store {
        match &self.url {
            None => Store::open(&self.dir.join("state.db"), Durability::Normal),
            Some(url) => Store::open_postgres(url),
        }
        .expect("open the state store")
    }

    /// Waits until the host has created its store (so that the bench's reads do not create
    /// it in the host's stead), then opens it.
    fn open_when_created(&mut self) -> Store {
        let path = self.dir.join("state.db");
        // One connection, asked again and again: a connection per look would cost the server
        // a process start each, on the cores the host is being timed on.
        let mut client = self.url.as_ref().map(|url| {
            postgres::Client::connect(url, postgres::NoTls).expect("connect to PostgreSQL")
        });
        let created = |client: &mut Option<postgres::Client>| match client {
            None => path.exists(),
            Some(client) => client
                .query_one("SELECT to_regclass('meta') IS NOT NULL", &[])
                .is_ok_and(|row| row.get::<_, bool>(0)),
        };
        while !created(&mut client) {
            self.check_alive();
            std::thread::sleep(Duration::from_millis(5));
        }
        self.open_store()
    }

    /// Stops the host cleanly (SIGTERM) and waits for it.
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }

    /// Kills the host with SIGKILL, as a crash would, and waits for it.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
