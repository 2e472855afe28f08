//! The host's side: accept alerts, queue what arrived together in one transaction, answer
//! after the commit, wake the pipelines.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use super::{socket_path, Answer, Handoff, VERSION};
use sluice_core::Doorbell;
use sluice_core::StateSettings;
use sluice_core::Store;

/// The most alerts queued in one transaction; more wait for the next.
const MAX_BATCH: usize = 256;

/// How long a connection may take to send its request. The invocation sends it at once; a
/// client that does not must not hold up the others for long.
const REQUEST_TIMEOUT: Duration = Duration::from_millis(500);

/// The longest request read (a real one is a few hundred bytes).
const MAX_REQUEST: u64 = 64 * 1024;

/// The listening socket and its thread; stopped (and the socket removed) on drop.
#[derive(Debug)]
pub struct HandoffListener {
    path: PathBuf,
    /// The socket file's (device, inode), so that a stop removes only our own.
    file: (u64, u64),
    stopping: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl HandoffListener {
    /// Listens beside the store `state`, queueing into it and ringing `doorbell` after each
    /// commit. `None`, with a warning, when it cannot: response actions then write the store
    /// themselves, as when no host runs.
    pub fn start(state: &StateSettings, doorbell: Doorbell) -> Option<HandoffListener> {
        let path = socket_path(&state.path);
        match Self::bind(state, &path) {
            Ok(Some(Bound {
                listener,
                store,
                file,
            })) => {
                let stopping = Arc::new(AtomicBool::new(false));
                let flag = stopping.clone();
                let thread = std::thread::Builder::new()
                    .name("handoff".into())
                    .spawn(move || {
                        let span = tracing::info_span!("handoff");
                        let _entered = span.enter();
                        serve(&listener, store, &doorbell, &flag);
                    });
                match thread {
                    Ok(thread) => {
                        tracing::debug!(socket = %path.display(), "Taking response actions over the socket.");
                        Some(HandoffListener {
                            path,
                            file,
                            stopping,
                            thread: Some(thread),
                        })
                    }
                    Err(error) => {
                        let _ = std::fs::remove_file(&path);
                        tracing::warn!(%error, "Cannot start the thread that takes response actions; they will write the state store themselves.");
                        None
                    }
                }
            }
            Ok(None) => None,
            Err(error) => {
                tracing::warn!(
                    socket = %path.display(), %error,
                    "Cannot listen for response actions; they will write the state store themselves (slower when many run at once)."
                );
                None
            }
        }
    }

    /// The socket and the listener's own store connection; `None` when another host already
    /// listens there.
    fn bind(state: &StateSettings, path: &Path) -> std::io::Result<Option<Bound>> {
        if let Ok(meta) = std::fs::symlink_metadata(path) {
            if !meta.file_type().is_socket() {
                return Err(std::io::Error::other(format!(
                    "{} exists and is not a socket; move it away",
                    path.display()
                )));
            }
            if UnixStream::connect(path).is_ok() {
                tracing::warn!(
                    socket = %path.display(),
                    "Another sluice run uses this state store and takes its response actions."
                );
                return Ok(None);
            }
            // Left by a host that was killed.
            std::fs::remove_file(path)?;
        }
        // Who may hand over an alert is who may write the store.
        let mode = std::fs::metadata(&state.path)
            .map(|store| store.permissions().mode() & 0o666)
            .unwrap_or(0o600);
        let listener = bind_with_mode(path, mode)?;
        let meta = std::fs::metadata(path)?;
        let file = (meta.dev(), meta.ino());
        let store = match Store::connect(state.location()) {
            Ok(store) => store,
            Err(error) => {
                let _ = std::fs::remove_file(path);
                return Err(std::io::Error::other(error.to_string()));
            }
        };
        Ok(Some(Bound {
            listener,
            store,
            file,
        }))
    }

    fn shut(&mut self) {
        let Some(thread) = self.thread.take() else {
            return;
        };
        self.stopping.store(true, Ordering::SeqCst);
        // Wakes the blocking accept.
        let _ = UnixStream::connect(&self.path);
        let _ = thread.join();
        if std::fs::metadata(&self.path).is_ok_and(|m| (m.dev(), m.ino()) == self.file) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl Drop for HandoffListener {
    fn drop(&mut self) {
        self.shut();
    }
}

/// A bound socket, what `HandoffListener::bind` gives.
struct Bound {
    listener: UnixListener,
    /// The listener's own store connection.
    store: Store,
    /// The socket file's identity (device, inode): what `stop` removes, and nothing else.
    file: (u64, u64),
}

/// Binds a socket at `path` whose file has `mode` from the moment others can reach it: it is
/// bound in a private directory beside `path` (mode 0700), given its mode there and renamed
/// into place. Bound at `path` itself, it would have the umask's mode until the `chmod`.
fn bind_with_mode(path: &Path, mode: u32) -> std::io::Result<UnixListener> {
    use std::os::unix::fs::DirBuilderExt;

    let parent = path.parent().unwrap_or(Path::new("."));
    // Short: a socket's path is limited to about 100 bytes, and this one is a step longer.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let private = parent.join(format!(".sluice-{}-{nanos:x}", std::process::id()));
    let _ = std::fs::remove_dir_all(&private);
    std::fs::DirBuilder::new().mode(0o700).create(&private)?;
    let staged = private.join("s");
    let bound = UnixListener::bind(&staged).and_then(|listener| {
        std::fs::set_permissions(&staged, std::fs::Permissions::from_mode(mode))?;
        std::fs::rename(&staged, path)?;
        Ok(listener)
    });
    let _ = std::fs::remove_dir_all(&private);
    bound
}

/// Accepts until `stopping`: each round takes every connection waiting (up to
/// [`MAX_BATCH`]), queues their alerts in one transaction and answers each.
fn serve(listener: &UnixListener, mut store: Store, doorbell: &Doorbell, stopping: &AtomicBool) {
    loop {
        let first = listener.accept();
        if stopping.load(Ordering::SeqCst) {
            return;
        }
        let mut waiting: Vec<UnixStream> = match first {
            Ok((stream, _)) => vec![stream],
            Err(error) => {
                tracing::warn!(%error, "Cannot accept a response action's connection.");
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        if listener.set_nonblocking(true).is_ok() {
            while waiting.len() < MAX_BATCH {
                match listener.accept() {
                    Ok((stream, _)) => waiting.push(stream),
                    Err(_) => break,
                }
            }
            let _ = listener.set_nonblocking(false);
        }
        let requests: Vec<(UnixStream, Result<Handoff, String>)> = waiting
            .into_iter()
            .map(|mut stream| {
                let request = read_request(&mut stream);
                (stream, request)
            })
            .collect();
        let answers = queue(&mut store, &requests);
        let mut rung = false;
        for ((mut stream, _), answer) in requests.into_iter().zip(answers) {
            rung |= matches!(answer, Answer::Queued { queued, .. } if queued > 0);
            let mut line = serde_json::to_vec(&answer).unwrap_or_default();
            line.push(b'\n');
            // A client that went away writes the store itself; the queueing is idempotent.
            let _ = stream.write_all(&line);
        }
        if rung {
            doorbell.ring();
        }
    }
}

/// One request line, or why it is not one.
fn read_request(stream: &mut UnixStream) -> Result<Handoff, String> {
    stream
        .set_nonblocking(false)
        .and_then(|()| stream.set_read_timeout(Some(REQUEST_TIMEOUT)))
        .and_then(|()| stream.set_write_timeout(Some(REQUEST_TIMEOUT)))
        .map_err(|e| e.to_string())?;
    let mut line = String::new();
    BufReader::new(Read::by_ref(stream).take(MAX_REQUEST))
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the request: {e}"))?;
    let request: Handoff = serde_json::from_str(line.trim_end())
        .map_err(|e| format!("not a hand-off request: {e}"))?;
    if request.version != VERSION {
        return Err(format!(
            "hand-off version {} is not {VERSION}, this host's",
            request.version
        ));
    }
    request.check()?;
    Ok(request)
}

/// Queues every well-formed request in one transaction; one answer per request.
fn queue(store: &mut Store, requests: &[(UnixStream, Result<Handoff, String>)]) -> Vec<Answer> {
    let committed = store.write(|tx| {
        requests
            .iter()
            .map(|(_, request)| match request {
                Ok(alert) => alert
                    .enqueue(tx)
                    .map(|(queued, duplicates)| Answer::Queued { queued, duplicates }),
                Err(reason) => Ok(Answer::Refused {
                    reason: reason.clone(),
                }),
            })
            .collect::<sluice_core::store::db::Result<Vec<Answer>>>()
    });
    committed.unwrap_or_else(|error| {
        tracing::warn!(%error, alerts = requests.len(), "Cannot queue handed-over alerts; the response actions write the store themselves.");
        let reason = error.to_string();
        requests
            .iter()
            .map(|_| Answer::Refused {
                reason: reason.clone(),
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::handoff::{hand_off, HandoffError};
    use sluice_core::StopSignal;
    use sluice_core::{Durability, Store};

    /// A state store in `dir`, created, as `sluice run` has it before it listens.
    fn store_in(dir: &Path) -> StateSettings {
        let state = StateSettings {
            path: dir.join("state.db"),
            durability: Durability::Normal,
            ..StateSettings::default()
        };
        Store::connect(state.location()).unwrap();
        state
    }

    fn alert(record_id: &str) -> Handoff {
        let pipelines = vec!["a".into(), "b".into()];
        Handoff::new(
            pipelines,
            "0B5E",
            record_id,
            Some("Locked out"),
            sluice_core::Timestamp::from_millis(42),
        )
    }

    fn ask(path: &Path, line: &str) -> String {
        let mut stream = UnixStream::connect(path).expect("connect");
        stream.write_all(line.as_bytes()).unwrap();
        stream.shutdown(std::net::Shutdown::Write).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    }

    #[test]
    fn alerts_are_queued_once_per_pipeline_and_the_pipelines_woken() {
        let dir = tempfile::tempdir().unwrap();
        let state = store_in(dir.path());
        let doorbell = Doorbell::default();
        let pipeline = StopSignal::default();
        doorbell.register(pipeline.clone());
        let listener = HandoffListener::start(&state, doorbell).expect("listening");

        assert_eq!(hand_off(&state.path, &alert("r1")).unwrap(), (2, 0));
        assert_eq!(
            hand_off(&state.path, &alert("r1")).unwrap(),
            (0, 2),
            "a retry"
        );
        let started = Instant::now();
        assert!(!pipeline.wait(Duration::from_secs(30)));
        assert!(started.elapsed() < Duration::from_secs(10), "rung");

        let store = Store::connect(state.location()).unwrap();
        let queued: i64 = store
            .sqlite()
            .query_row(
                "SELECT count(*) FROM alerts WHERE record_id = 'r1' AND received_at = 42",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(
            queued, 2,
            "one per pipeline, with the invocation's arrival time"
        );

        drop(listener);
        assert!(!socket_path(&state.path).exists());
        assert!(matches!(
            hand_off(&state.path, &alert("r2")),
            Err(HandoffError::NotListening { .. })
        ));
    }

    #[test]
    fn garbage_and_other_versions_are_refused_and_the_listener_carries_on() {
        let dir = tempfile::tempdir().unwrap();
        let state = store_in(dir.path());
        let _listener = HandoffListener::start(&state, Doorbell::default()).expect("listening");
        let path = socket_path(&state.path);

        for (line, says) in [
            ("not json\n", "not a hand-off request"),
            ("", "not a hand-off request"),
            (r#"{"version":1}"#, "missing field"),
        ] {
            let answer = ask(&path, line);
            assert!(
                answer.contains(r#""answer":"refused""#),
                "{line:?}: {answer}"
            );
            assert!(answer.contains(says), "{line:?}: {answer}");
        }
        let mut newer = alert("r1");
        newer.version = VERSION + 1;
        assert!(matches!(
            hand_off(&state.path, &newer),
            Err(HandoffError::Refused { reason, .. }) if reason.contains("version 2")
        ));
        assert_eq!(hand_off(&state.path, &alert("r1")).unwrap(), (2, 0));
    }

    #[test]
    fn a_forged_alert_name_or_id_sent_to_the_socket_is_refused_and_not_queued() {
        let dir = tempfile::tempdir().unwrap();
        let state = store_in(dir.path());
        let _listener = HandoffListener::start(&state, Doorbell::default()).expect("listening");
        let mut forged = alert("r1");
        forged.alert_name = "Locked out\nINFO sluice: forged line".into();
        let mut bad_id = alert("r1");
        bad_id.record_id = "r1\u{1b}[2K".into();
        for (request, says) in [
            (
                forged,
                "the alert name \"Locked out\\nINFO sluice: forged line\" contains",
            ),
            (bad_id, "the record id \"r1\\u{1b}[2K\" contains"),
        ] {
            let line = format!("{}\n", serde_json::to_string(&request).unwrap());
            let answer = ask(&socket_path(&state.path), &line);
            let Ok(Answer::Refused { reason }) = serde_json::from_str(answer.trim_end()) else {
                panic!("not refused: {answer}");
            };
            assert!(reason.starts_with(says), "{reason}");
            assert!(
                !reason.contains('\n') && !reason.contains('\u{1b}'),
                "{reason}"
            );
        }
        let store = Store::connect(state.location()).unwrap();
        let queued: i64 = store
            .sqlite()
            .query_row("SELECT count(*) FROM alerts", [], |r| r.get(0))
            .unwrap();
        assert_eq!(queued, 0);
    }

    #[test]
    fn a_second_host_on_the_same_store_leaves_the_socket_to_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let state = store_in(dir.path());
        let first = HandoffListener::start(&state, Doorbell::default()).expect("listening");
        assert!(HandoffListener::start(&state, Doorbell::default()).is_none());
        assert_eq!(hand_off(&state.path, &alert("r1")).unwrap(), (2, 0));
        drop(first);
        assert!(!socket_path(&state.path).exists());
    }

    #[test]
    fn a_file_that_is_not_a_socket_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let state = store_in(dir.path());
        std::fs::write(socket_path(&state.path), "mine").unwrap();
        assert!(HandoffListener::start(&state, Doorbell::default()).is_none());
        assert_eq!(
            std::fs::read_to_string(socket_path(&state.path)).unwrap(),
            "mine"
        );
    }

    #[test]
    fn the_socket_has_the_stores_mode_and_nothing_is_left_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let state = store_in(dir.path());
        std::fs::set_permissions(&state.path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let listener = HandoffListener::start(&state, Doorbell::default()).expect("listening");
        let socket = std::fs::symlink_metadata(socket_path(&state.path)).unwrap();
        assert!(socket.file_type().is_socket());
        assert_eq!(socket.permissions().mode() & 0o777, 0o640);
        let staging: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(".sluice-"))
            .collect();
        assert!(staging.is_empty(), "left behind: {staging:?}");
        assert_eq!(hand_off(&state.path, &alert("r1")).unwrap(), (2, 0));
        drop(listener);
        assert!(!socket_path(&state.path).exists());
    }
}
