//! The hand-off of a response action's alert to the running host.
//!
//! Netwrix Auditor runs `sluice alert-response` once per alert, up to eight at a time. When
//! each wrote the state store itself, eight short-lived processes and the host took turns at
//! SQLite's one write lock, each with a cold page cache: the invocations waited for the lock,
//! and so did the host's own transactions, which delayed the very tickets the alerts were for.
//!
//! So while `sluice run` is up it listens on a Unix socket beside the store (the store's path
//! with `.sock` added). An invocation connects, sends one line of JSON ([`Handoff`]) and waits
//! for the answer ([`Answer`]); the host queues everything that arrived together in one
//! transaction, answers once it is committed, and wakes the pipelines. Nothing is lost by
//! this: the answer comes after the commit, and when nobody listens (the host is stopped, or
//! the socket could not be made), or the host does not answer in time, the invocation writes
//! the store itself, as before. Queueing is idempotent (the dedupe key), so an alert handed
//! over *and* written directly is one alert.
//!
//! Who may connect is who may write the store: the socket gets the store file's permissions.

#[cfg(unix)]
mod client;
pub mod commit;
pub mod csv;
#[cfg(unix)]
pub mod front;
#[cfg(unix)]
mod listener;

use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use serde::{Deserialize, Serialize};

use sluice_core::store::alerts::{self, NewAlert};
use sluice_core::store::db::{self, Db};
use sluice_core::Timestamp;
use sluice_core::{check_alert_name, response_action_alert, Config};

use self::csv::CsvAlert;

#[cfg(unix)]
pub use client::hand_off;
#[cfg(unix)]
pub use listener::HandoffListener;

/// The protocol's version; a listener answers any other with [`Answer::Refused`], and the
/// invocation then writes the store itself (an upgraded binary meeting an older running host).
pub const VERSION: u32 = 1;

/// The socket of the host that uses the store at `state`: `state.db` → `state.db.sock`.
pub fn socket_path(state: &Path) -> PathBuf {
    let mut name = state.as_os_str().to_owned();
    name.push(".sock");
    PathBuf::from(name)
}

/// One response action's alert, as `sluice alert-response` sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Handoff {
    /// [`VERSION`].
    pub version: u32,
    /// The pipelines to queue it into (the invocation's config chose them).
    pub pipelines: Vec<String>,
    /// Auditor's alert id.
    pub alert_id: String,
    /// The Activity Record's id.
    pub record_id: String,
    /// The alert's name.
    pub alert_name: String,
    /// When Auditor ran the action (the invocation's clock: the alert's arrival time does not
    /// depend on how it reached the store); on the wire, milliseconds since 1970.
    pub received_at: Timestamp,
}

impl Handoff {
    /// The alert Auditor named with `alert_id` and `record_id`, for `pipelines`, received at
    /// `received_at`; without a name, it is called after its id.
    pub fn new(
        pipelines: Vec<String>,
        alert_id: &str,
        record_id: &str,
        alert_name: Option<&str>,
        received_at: Timestamp,
    ) -> Handoff {
        Handoff {
            version: VERSION,
            pipelines,
            alert_id: alert_id.to_owned(),
            record_id: record_id.to_owned(),
            alert_name: alert_name.map_or_else(
                || format!("Netwrix Auditor alert {alert_id}"),
                str::to_owned,
            ),
            received_at,
        }
    }

    /// Refuses what no `sluice alert-response` sends: an id Auditor would never pass
    /// ([`check_id`]), an alert name that would forge lines in the host's log
    /// ([`check_alert_name`]), a pipeline name with a control character. The listener checks
    /// every request: one may come straight to the socket.
    ///
    /// # Errors
    ///
    /// What is wrong, the value quoted escaped.
    pub fn check(&self) -> Result<(), String> {
        let quoted = |what: &str, value: &str, problem: &str| format!("{what} {value:?} {problem}");
        check_id(&self.alert_id).map_err(|p| quoted("the alert id", &self.alert_id, p))?;
        check_id(&self.record_id).map_err(|p| quoted("the record id", &self.record_id, p))?;
        check_alert_name(&self.alert_name)
            .map_err(|p| quoted("the alert name", &self.alert_name, p))?;
        match self
            .pipelines
            .iter()
            .find(|p| p.chars().any(char::is_control))
        {
            Some(p) => Err(quoted("the pipeline", p, "contains a control character")),
            None => Ok(()),
        }
    }

    /// The alert as queued in each of its pipelines.
    pub fn alerts(&self) -> Vec<NewAlert<'_>> {
        self.pipelines
            .iter()
            .map(|pipeline| {
                response_action_alert(
                    pipeline,
                    &self.alert_id,
                    &self.record_id,
                    &self.alert_name,
                    self.received_at,
                )
            })
            .collect()
    }

    /// Queues the alert in each of its pipelines within `tx`, as the host does on receipt
    /// and the invocation does when no host answers; returns (newly queued, already there).
    pub fn enqueue(&self, db: &Db<'_>) -> db::Result<(usize, usize)> {
        let new = alerts::enqueue_all(db, &self.alerts())?;
        let queued = new.iter().filter(|n| **n).count();
        Ok((queued, new.len() - queued))
    }
}

/// A response action's alert as it reaches the host: Auditor's ids, or the CSV of its "Write
/// data to CSV file" mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseAlert {
    /// `{AlertID} {RecordID}` and the alert's name, for its pipelines.
    Ids(Handoff),
    /// The CSV's rows, as alert `alert_name`, for `pipelines`.
    Csv {
        /// The pipelines to queue into.
        pipelines: Vec<String>,
        /// The rows read.
        rows: Vec<CsvAlert>,
        /// The alert's name, if given.
        alert_name: Option<String>,
        /// When it arrived.
        received_at: Timestamp,
    },
}

impl ResponseAlert {
    /// Queues the alert within `tx`; returns (newly queued, already there).
    pub fn enqueue(&self, db: &Db<'_>) -> db::Result<(usize, usize)> {
        match self {
            ResponseAlert::Ids(handoff) => handoff.enqueue(db),
            ResponseAlert::Csv {
                pipelines,
                rows,
                alert_name,
                received_at,
            } => csv::enqueue(db, pipelines, rows, alert_name.as_deref(), *received_at),
        }
    }

    /// How many alerts it is per pipeline (a CSV row each).
    pub fn alerts(&self) -> usize {
        match self {
            ResponseAlert::Ids(_) => 1,
            ResponseAlert::Csv { rows, .. } => rows.len(),
        }
    }

    /// The pipelines it goes to.
    pub fn pipelines(&self) -> &[String] {
        match self {
            ResponseAlert::Ids(handoff) => &handoff.pipelines,
            ResponseAlert::Csv { pipelines, .. } => pipelines,
        }
    }
}

/// Which pipelines take response actions, as the running host's config says; shared with
/// what receives them and updated at each reload.
#[derive(Debug, Clone, Default)]
pub struct ResponsePipelines(Arc<RwLock<Vec<(String, bool)>>>);

impl ResponsePipelines {
    /// The pipelines of `config`.
    pub fn of(config: &Config) -> ResponsePipelines {
        let pipelines = ResponsePipelines::default();
        pipelines.update(config);
        pipelines
    }

    /// Takes the pipelines of `config` (a reload).
    pub fn update(&self, config: &Config) {
        let pipelines = config
            .pipelines
            .iter()
            .map(|(name, p)| (name.clone(), p.takes_response_actions()))
            .collect();
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = pipelines;
    }

    /// The pipelines an alert goes to: the one `wanted` (as `sluice alert-response
    /// --pipeline` takes it), or every one that is enabled and takes response actions.
    ///
    /// # Errors
    ///
    /// None would take it: what is wrong, for the sender.
    pub fn route(&self, wanted: Option<&str>) -> Result<Vec<String>, String> {
        let known = self.0.read().unwrap_or_else(PoisonError::into_inner);
        let chosen = response_pipelines(known.iter().map(|(n, t)| (n.as_str(), *t)), wanted);
        match (chosen.is_empty(), wanted) {
            (false, _) => Ok(chosen),
            (true, Some(name)) => Err(format!("this host has no pipeline named {name:?}")),
            (true, None) => Err("no enabled pipeline on this host takes response actions \
                 (intake.response_action)"
                .to_owned()),
        }
    }
}

/// The pipelines a response action's alert goes to: the one `wanted`, or, by default, every
/// pipeline that is enabled and takes response actions. `pipelines` gives each pipeline's
/// name and whether it is enabled and takes response actions.
pub fn response_pipelines<'a>(
    pipelines: impl IntoIterator<Item = (&'a str, bool)>,
    wanted: Option<&str>,
) -> Vec<String> {
    pipelines
        .into_iter()
        .filter(|(name, takes)| wanted.map_or(*takes, |w| w == *name))
        .map(|(name, _)| name.to_owned())
        .collect()
}

/// Refuses an id Auditor would never pass: empty, with spaces or control characters, or a
/// placeholder left as written (`{RecordID}`: the command was run by hand, or the response
/// action's placeholders are misspelled). Queued, it could only fail later, in the host.
/// (An alert id is a GUID, which Auditor may write in braces: `{0B5E…}` is an id.)
///
/// # Errors
///
/// What is wrong with the id, to follow "the {what} argument {id:?} ".
pub fn check_id(id: &str) -> Result<(), &'static str> {
    if id.is_empty() {
        Err("is empty")
    } else if id
        .strip_prefix('{')
        .and_then(|i| i.strip_suffix('}'))
        .is_some_and(|inner| !inner.is_empty() && inner.chars().all(|c| c.is_ascii_alphabetic()))
    {
        Err("is a placeholder Netwrix Auditor did not fill in")
    } else if id.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Err("contains spaces or control characters")
    } else {
        Ok(())
    }
}

/// The host's answer to a [`Handoff`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum Answer {
    /// Committed: newly queued in this many pipelines, already there in this many.
    Queued {
        /// Pipelines that had not seen the alert.
        queued: usize,
        /// Pipelines that had (a retried action).
        duplicates: usize,
    },
    /// Not queued; the invocation writes the store itself.
    Refused {
        /// Why, for the invocation's debug log.
        reason: String,
    },
}

/// Why an alert could not be handed over (the invocation then writes the store itself).
#[derive(Debug, thiserror::Error)]
pub enum HandoffError {
    /// No host listens on the socket (it is stopped, or the socket is stale).
    #[error("no sluice run listens on {path}: {source}")]
    NotListening {
        /// The socket.
        path: PathBuf,
        /// Why the connection failed.
        source: std::io::Error,
    },
    /// The connection broke or the answer did not come in time.
    #[error("the hand-off over {path} failed: {source}")]
    Io {
        /// The socket.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// The answer was not one this sluice understands.
    #[error("the host on {path} answered something unexpected: {answer:?}")]
    BadAnswer {
        /// The socket.
        path: PathBuf,
        /// What came back (cut short).
        answer: String,
    },
    /// The host did not queue the alert.
    #[error("the host on {path} did not queue the alert: {reason}")]
    Refused {
        /// The socket.
        path: PathBuf,
        /// Its reason.
        reason: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_socket_sits_beside_the_store() {
        assert_eq!(
            socket_path(Path::new("/var/lib/sluice/state.db")),
            Path::new("/var/lib/sluice/state.db.sock")
        );
        assert_eq!(
            socket_path(Path::new("sluice.db")),
            Path::new("sluice.db.sock")
        );
    }

    #[test]
    fn the_wire_format_is_one_json_object_each_way() {
        let request = Handoff {
            version: VERSION,
            pipelines: vec!["security".into()],
            alert_id: "0b5e".into(),
            record_id: "r1".into(),
            alert_name: "User Account Locked Out".into(),
            received_at: Timestamp::from_millis(1),
        };
        let text = serde_json::to_string(&request).unwrap();
        assert!(!text.contains('\n'));
        assert_eq!(serde_json::from_str::<Handoff>(&text).unwrap(), request);
        assert_eq!(
            serde_json::to_string(&Answer::Queued {
                queued: 1,
                duplicates: 0
            })
            .unwrap(),
            r#"{"answer":"queued","queued":1,"duplicates":0}"#
        );
    }
}
