//! One cluster's postmaster: started as our own child (not through `pg_ctl`), so that stopping
//! it is a signal we send and killing it is a real SIGKILL of the postmaster. It stays in the
//! test's process group: when nextest or a terminal signals the group, the server gets the
//! signal too and shuts down rather than outliving the test.

use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom, Write};
use std::net::TcpListener;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use postgres::{Client, NoTls};

use crate::account::Account;
use crate::error::ClusterError;
use crate::pki::ServerCertificate;
use crate::sys::{self, Signal};
use crate::template::{DATABASE, SUPERUSER};

/// How long a server may take to accept connections, crash recovery included.
const START_PATIENCE: Duration = Duration::from_secs(15);

/// How often a starting server is polled.
const POLL: Duration = Duration::from_millis(20);

/// How many free ports are tried when another process takes the one chosen before the
/// server binds it.
const PORT_ATTEMPTS: u32 = 5;

/// How many lines of the server's log an error carries.
const LOG_LINES: usize = 30;

/// What one cluster's server is run with; fixed for the cluster's life.
#[derive(Debug)]
pub(crate) struct Settings {
    /// The `postgres` program.
    pub program: PathBuf,
    /// The cluster's own directory, the server's working directory.
    pub dir: PathBuf,
    /// The data directory, inside `dir`.
    pub data: PathBuf,
    /// The Unix socket directory, inside `dir`: the server's socket is the cluster's own.
    pub sockets: PathBuf,
    /// The server's log (its stderr), inside `dir`, appended to by every start.
    pub log: PathBuf,
    /// `fsync` and `full_page_writes` on, as a production server has them.
    pub durable: bool,
    /// With TLS on: the server's certificate and key.
    pub tls: Option<TlsFiles>,
    pub account: Account,
}

/// Where a TLS cluster's certificate and key are, inside its directory.
#[derive(Debug)]
pub(crate) struct TlsFiles {
    certificate: PathBuf,
    key: PathBuf,
}

impl TlsFiles {
    /// The files' places in the cluster's directory `dir`.
    pub(crate) fn in_dir(dir: &Path) -> TlsFiles {
        TlsFiles {
            certificate: dir.join("server.crt"),
            key: dir.join("server.key"),
        }
    }

    /// Writes `certificate` and its key, mode 0600, and gives them to `account`: the server
    /// refuses a key that others may read.
    pub(crate) fn write(
        &self,
        certificate: &ServerCertificate,
        account: &Account,
    ) -> std::io::Result<()> {
        for (path, pem) in [
            (&self.certificate, &certificate.certificate),
            (&self.key, &certificate.key),
        ] {
            fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)?
                .write_all(pem.as_bytes())?;
            account.give(path)?;
        }
        Ok(())
    }
}

/// A server that accepts connections, and a superuser session on it over the Unix socket.
pub(crate) struct Launched {
    pub child: Child,
    pub port: u16,
    pub client: Client,
}

impl Settings {
    /// Starts the server on `port`, or on a free port of its own choosing when `None`, and
    /// waits until it accepts connections. A chosen port that another process takes first
    /// is replaced; a shared memory block still held by a killed server's backends is waited
    /// out.
    pub(crate) fn launch(&self, port: Option<u16>) -> Result<Launched, ClusterError> {
        let deadline = Instant::now() + START_PATIENCE;
        let mut ports_tried = 1;
        loop {
            let chosen = match port {
                Some(port) => port,
                None => free_port()?,
            };
            let (mut child, offset) = self.spawn(chosen)?;
            let ready = self.wait_ready(&mut child, chosen, offset, deadline);
            if let Ok(client) = ready {
                return Ok(Launched {
                    child,
                    port: chosen,
                    client,
                });
            }
            // Whatever went wrong, no server and none of its shared memory is left behind.
            let _ = child.kill();
            let _ = child.wait();
            clear_orphans(&self.data, child.id(), Duration::ZERO, true);
            match ready {
                Ok(_) => unreachable!("returned above"),
                Err(ClusterError::Start { log, .. })
                    if port.is_none()
                        && ports_tried < PORT_ATTEMPTS
                        && log.contains("Address already in use") =>
                {
                    ports_tried += 1;
                }
                Err(ClusterError::Start { log, .. })
                    if Instant::now() < deadline
                        && log.contains("pre-existing shared memory block") =>
                {
                    thread::sleep(POLL);
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// A superuser session over the Unix socket, where authentication is `trust`.
    pub(crate) fn admin(&self, port: u16) -> Result<Client, postgres::Error> {
        postgres::Config::new()
            .host_path(&self.sockets)
            .port(port)
            .user(SUPERUSER)
            .dbname(DATABASE)
            .connect_timeout(Duration::from_secs(2))
            .connect(NoTls)
    }

    /// Starts `postgres` on `port`; returns it and where its log is at before it writes.
    fn spawn(&self, port: u16) -> Result<(Child, u64), ClusterError> {
        let action = format!("start {}", self.program.display());
        let log = File::options()
            .create(true)
            .append(true)
            .open(&self.log)
            .map_err(ClusterError::io(format!("open {}", self.log.display())))?;
        let offset = log
            .metadata()
            .map_err(ClusterError::io(format!("read {}", self.log.display())))?
            .len();
        let stdout = log.try_clone().map_err(ClusterError::io(&action))?;
        let on_off = if self.durable { "on" } else { "off" };
        let mut command = self.account.command(&self.program, &self.dir);
        command
            .arg("-D")
            .arg(&self.data)
            .args(["-p", &port.to_string(), "-k"])
            .arg(&self.sockets)
            .args(["-c", "listen_addresses=127.0.0.1"])
            .args(["-c", &format!("fsync={on_off}")])
            .args(["-c", &format!("full_page_writes={on_off}")])
            .args(["-c", "max_connections=100", "-c", "shared_buffers=32MB"])
            .args(["-c", "huge_pages=off"])
            // Dynamic shared memory in the data directory, gone with it: a killed server
            // would leave its `/dev/shm/PostgreSQL.*` segments behind.
            .args(["-c", "dynamic_shared_memory_type=mmap"]);
        if let Some(tls) = &self.tls {
            let file = |key: &str, path: &Path| format!("{key}={}", path.display());
            command
                .args(["-c", "ssl=on", "-c"])
                .arg(file("ssl_cert_file", &tls.certificate))
                .arg("-c")
                .arg(file("ssl_key_file", &tls.key));
        }
        command.stdin(Stdio::null()).stdout(stdout).stderr(log);
        let child = command.spawn().map_err(ClusterError::io(action))?;
        Ok((child, offset))
    }

    /// Polls until the server accepts a session, exits, or `deadline` passes.
    fn wait_ready(
        &self,
        child: &mut Child,
        port: u16,
        offset: u64,
        deadline: Instant,
    ) -> Result<Client, ClusterError> {
        loop {
            let exited = child
                .try_wait()
                .map_err(ClusterError::io("wait for the server"))?;
            if let Some(status) = exited {
                return Err(self.failed(format!("it exited ({status})"), offset));
            }
            if let Ok(client) = self.admin(port) {
                return Ok(client);
            }
            if Instant::now() >= deadline {
                let seconds = START_PATIENCE.as_secs();
                let reason = format!("it did not accept connections within {seconds} s");
                return Err(self.failed(reason, offset));
            }
            thread::sleep(POLL);
        }
    }

    /// A start error with the last lines the server logged since `offset`.
    fn failed(&self, reason: String, offset: u64) -> ClusterError {
        let mut text = String::new();
        let read = File::open(&self.log).and_then(|mut file| {
            file.seek(SeekFrom::Start(offset))?;
            file.read_to_string(&mut text)
        });
        let log = match read {
            Ok(_) => {
                let lines: Vec<&str> = text.lines().collect();
                lines[lines.len().saturating_sub(LOG_LINES)..].join("\n")
            }
            Err(error) => format!("(cannot read {}: {error})", self.log.display()),
        };
        ClusterError::Start { reason, log }
    }
}

/// Sends `signal` to the postmaster and waits up to `patience` for it to exit.
pub(crate) fn stop(
    child: &mut Child,
    signal: Signal,
    patience: Duration,
) -> Result<(), ClusterError> {
    let pid = child.id();
    sys::send(pid, signal).map_err(ClusterError::io(format!("signal the server (pid {pid})")))?;
    let deadline = Instant::now() + patience;
    loop {
        let exited = child
            .try_wait()
            .map_err(ClusterError::io(format!("wait for the server (pid {pid})")))?;
        if exited.is_some() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(ClusterError::Stop {
                pid,
                seconds: patience.as_secs(),
            });
        }
        thread::sleep(Duration::from_millis(5));
    }
}

/// After the postmaster `pid` was killed, waits up to `patience` for its backends to exit:
/// until then they hold its shared memory block, and a new server refuses to start. With
/// `remove`, the block is then removed, as the postmaster would have done on a clean exit.
pub(crate) fn clear_orphans(data: &Path, pid: u32, patience: Duration, remove: bool) {
    // A clean shutdown removes `postmaster.pid`; a killed postmaster leaves it, with the id
    // of its shared memory block on line 7 ("  5432001    32769": key, then id).
    let Ok(text) = fs::read_to_string(data.join("postmaster.pid")) else {
        return;
    };
    let id = text
        .lines()
        .nth(6)
        .and_then(|line| line.split_whitespace().nth(1));
    let Some(id) = id.and_then(|id| id.parse::<i32>().ok()) else {
        return;
    };
    let deadline = Instant::now() + patience;
    while let Some(segment) = sys::segment(id) {
        if segment.creator != pid {
            return;
        }
        if !segment.attached || Instant::now() >= deadline {
            if remove {
                sys::remove_segment(id);
            }
            return;
        }
        thread::sleep(POLL);
    }
}

/// A port free on the loopback interface now; the server may still lose it to another
/// process before it binds it, which [`Settings::launch`] handles.
fn free_port() -> Result<u16, ClusterError> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(ClusterError::io("find a free port on 127.0.0.1"))
}
