//! `sluice run` as a child process of the test, its standard output and error read as they
//! are written, and the one way a test waits for it: polling a condition until it holds, for
//! at most [`PATIENCE`], failing at once (with the log) if the host exits meanwhile.

use std::cell::RefCell;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::Site;
use crate::util::sluice;

/// The longest anything is waited for: far beyond what a loaded 2-core machine needs, so a
/// timeout means something is stuck, not slow.
pub const PATIENCE: Duration = Duration::from_secs(90);

/// What `sluice run` logs once its pipelines run (plugins loaded, healthchecks done).
const RUNNING: &str = "sluice is running.";

/// `sluice [GLOBAL…] run --config <dir>/sluice.toml [ARGS…]` in the site's directory, not
/// started yet: [`Run::start`] or [`Run::spawn`].
pub struct Run<'s> {
    site: &'s Site,
    /// The host's own directory under the site's, for one of several hosts on a shared store.
    host: Option<String>,
    global: Vec<String>,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

impl Site {
    /// `sluice run` on this site's config, as a service manager would start it.
    pub fn run(&self) -> Run<'_> {
        Run {
            site: self,
            host: None,
            global: Vec::new(),
            args: Vec::new(),
            env: Vec::new(),
        }
    }
}

impl<'s> Run<'s> {
    /// Runs it as host `name` of several on a shared store: from a directory of its own under
    /// the site's, with a copy of the site's config as it is now (so its hand-off socket is
    /// its own, as on a machine of its own).
    pub fn host(mut self, name: &str) -> Self {
        self.host = Some(name.to_owned());
        self
    }

    /// Options before `run` (`-v`, `--log-format json`).
    pub fn global(mut self, flags: &[&str]) -> Self {
        self.global.extend(flags.iter().map(|f| f.to_string()));
        self
    }

    /// Options of `run` (`--require-healthy`, `--no-watch-config`).
    pub fn args(mut self, args: &[&str]) -> Self {
        self.args.extend(args.iter().map(|a| a.to_string()));
        self
    }

    /// Environment variables (a config's `${VAR}` references, proxies).
    pub fn env(mut self, vars: &[(&str, &str)]) -> Self {
        let vars = vars.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        self.env.extend(vars);
        self
    }

    /// Starts it and waits until it says it is running.
    pub fn start(self) -> Daemon<'s> {
        let daemon = self.spawn();
        daemon.wait_for_lines(RUNNING, 1);
        daemon
    }

    /// Starts it and returns at once: for a test that kills it anywhere, start-up included, or
    /// expects it not to come up.
    pub fn spawn(self) -> Daemon<'s> {
        let (dir, config) = match &self.host {
            None => (self.site.dir().to_owned(), self.site.config_path()),
            Some(name) => {
                let dir = self.site.dir().join(name);
                std::fs::create_dir_all(&dir).expect("the host's directory");
                let config = dir.join("sluice.toml");
                std::fs::copy(self.site.config_path(), &config).expect("the host's config");
                (dir, config)
            }
        };
        let mut child = sluice()
            .current_dir(dir)
            .args(&self.global)
            .arg("run")
            .arg("--config")
            .arg(config)
            .args(&self.args)
            .envs(self.env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("sluice run starts");
        let log = Arc::new(Mutex::new(String::new()));
        let streams: [Box<dyn Read + Send>; 2] = [
            Box::new(child.stdout.take().expect("stdout")),
            Box::new(child.stderr.take().expect("stderr")),
        ];
        let readers = streams
            .into_iter()
            .map(|stream| collect_lines(stream, Arc::clone(&log)))
            .collect();
        Daemon {
            site: self.site,
            child: RefCell::new(child),
            log,
            readers,
        }
    }
}

/// Appends each line of `stream` to `log` as it comes, until the stream ends.
fn collect_lines(stream: Box<dyn Read + Send>, log: Arc<Mutex<String>>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            let mut log = log.lock().unwrap();
            log.push_str(&line);
            log.push('\n');
        }
    })
}

/// A running `sluice run`; killed if dropped while running (a failed test leaves no process).
pub struct Daemon<'s> {
    site: &'s Site,
    child: RefCell<Child>,
    log: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
}

/// How a `sluice run` ended.
#[derive(Debug)]
pub struct Exit {
    /// Its exit code; `None` if a signal ended it.
    pub code: Option<i32>,
    /// Everything it wrote, standard output and error interleaved by line.
    pub log: String,
}

impl Exit {
    /// Checks that it stopped cleanly (exit 0, its step finished); returns its log.
    pub fn assert_clean(self) -> String {
        assert_eq!(
            self.code,
            Some(0),
            "sluice run did not stop cleanly:\n{}",
            tail(&self.log)
        );
        self.log
    }
}

impl Daemon<'_> {
    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.borrow().id()
    }

    /// Everything it wrote so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits until `needle` was written on `times` lines in all.
    pub fn wait_for_lines(&self, needle: &str, times: usize) {
        self.wait_until(&format!("{times}× {needle:?} in the log"), || {
            self.log().lines().filter(|l| l.contains(needle)).count() >= times
        });
    }

    /// Waits until at least `alerts` alerts are in the store, each delivered or given up on.
    pub fn wait_settled(&self, alerts: u64) {
        self.wait_until(&format!("{alerts} alerts delivered"), || {
            self.site.settled(alerts)
        });
    }

    /// Waits until `done` holds while it runs; fails with `what` and its log if it exits
    /// first or after [`PATIENCE`].
    pub fn wait_until(&self, what: &str, mut done: impl FnMut() -> bool) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.try_status() {
                panic!(
                    "sluice run exited ({status}) before {what}:\n{}",
                    tail(&self.log())
                );
            }
            if done() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}\n--- sluice log (last lines) ---\n{}",
                tail(&self.log())
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn try_status(&self) -> Option<ExitStatus> {
        self.child
            .borrow_mut()
            .try_wait()
            .expect("wait for sluice run")
    }

    /// Sends `signal` (`TERM`, `HUP`, `INT`) through `kill`, the one portable way without a
    /// signal crate.
    pub fn signal(&self, signal: &str) {
        let pid = self.child.borrow().id();
        let status = Command::new("kill")
            .args([format!("-{signal}"), pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{signal} failed");
    }

    /// SIGTERM, then [`Daemon::wait`]: a stop as a service manager makes it.
    #[must_use = "check how it stopped"]
    pub fn stop(self) -> Exit {
        self.signal("TERM");
        self.wait()
    }

    /// Waits for it to exit (by itself, or after [`Daemon::signal`]); kills it and fails if
    /// it has not after [`PATIENCE`].
    #[must_use = "check how it exited"]
    pub fn wait(mut self) -> Exit {
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = self.try_status() {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.get_mut().kill();
                panic!("sluice run did not exit:\n{}", tail(&self.log()));
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        self.exit(status)
    }

    /// Kills it with SIGKILL, mid-whatever it was doing.
    pub fn kill(mut self) -> Exit {
        let child = self.child.get_mut();
        let _ = child.kill();
        let status = child.wait().expect("wait for sluice run");
        self.exit(status)
    }

    /// Its exit, once it has exited: the rest of its output read first.
    fn exit(&mut self, status: ExitStatus) -> Exit {
        for reader in std::mem::take(&mut self.readers) {
            let _ = reader.join();
        }
        Exit {
            code: status.code(),
            log: self.log(),
        }
    }
}

impl Drop for Daemon<'_> {
    fn drop(&mut self) {
        let child = self.child.get_mut();
        if let Ok(None) = child.try_wait() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The last lines of a log, for failure messages.
pub fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(60)..].join("\n")
}
