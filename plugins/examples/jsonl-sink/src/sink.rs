//! The sink the host drives: it checks its config, checks the file in `healthcheck`, and
//! delivers each batch of ticket actions as journal lines.

use std::path::Path;

use sluice_sdk::{ActionOutcome, Host, PluginError, Sink, TicketAction};

use crate::batch::Batch;
use crate::config::JsonlConfig;
use crate::error::JournalError;
use crate::journal::JournalFile;
use crate::tickets::Tickets;

/// Appends ticket actions to a JSON Lines file, and answers lookups from it.
#[derive(Debug)]
pub struct JsonlSink {
    config: JsonlConfig,
    host: Host,
    /// `None` until the journal has been read back: `new` must do no IO.
    tickets: Option<Tickets>,
}

impl Sink for JsonlSink {
    const NAME: &'static str = "jsonl";
    const DESCRIPTION: &'static str = "Appends ticket actions to a JSON Lines file.";
    type Config = JsonlConfig;

    fn validate(config: &JsonlConfig) -> Result<(), PluginError> {
        config.check()
    }

    fn new(config: JsonlConfig, host: Host) -> Result<Self, PluginError> {
        Ok(JsonlSink {
            config,
            host,
            tickets: None,
        })
    }

    /// The IO `new` may not do: the host calls this at start (and in `sluice validate
    /// --environment`), so a file that cannot be written or read shows up before any alert.
    fn healthcheck(&mut self) -> Result<(), PluginError> {
        JournalFile::open_for_append(&self.config.path)?;
        read_back_once(&mut self.tickets, &self.config.path, &self.host)?;
        Ok(())
    }

    fn deliver(&mut self, actions: Vec<TicketAction>) -> Vec<ActionOutcome> {
        // Exactly one outcome per action, even when the batch cannot run at all.
        let count = actions.len();
        match self.deliver_batch(actions) {
            Ok(outcomes) => outcomes,
            Err(error) => vec![error.into_outcome(); count],
        }
    }
}

impl JsonlSink {
    /// One outcome per action, in order; an error holds back the whole batch (the journal
    /// cannot be read, opened or flushed), and the host retries every action of it.
    fn deliver_batch(
        &mut self,
        actions: Vec<TicketAction>,
    ) -> Result<Vec<ActionOutcome>, JournalError> {
        // Borrowed field by field: the batch holds the tickets mutably while it reads the
        // config and the host.
        let JsonlSink {
            config,
            host,
            tickets,
        } = self;
        let tickets = read_back_once(tickets, &config.path, host)?;
        let journal = JournalFile::open_for_append(&config.path)?;
        let mut batch = Batch::new(tickets, journal, host, &config.number_prefix);
        let outcomes = actions
            .into_iter()
            .map(|action| batch.run(action))
            .collect();
        if config.fsync {
            batch.flush()?;
        }
        Ok(outcomes)
    }
}

/// The tickets in `slot`, read back from the journal at `path` on first use, so that lookups
/// find tickets created before a restart without reading the file for every batch.
fn read_back_once<'a>(
    slot: &'a mut Option<Tickets>,
    path: &Path,
    host: &Host,
) -> Result<&'a mut Tickets, JournalError> {
    match slot {
        Some(tickets) => Ok(tickets),
        None => Ok(slot.insert(Tickets::read_back(path, host)?)),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::{SystemTime, UNIX_EPOCH};

    use sluice_sdk::{
        Capabilities, Correlation, HttpError, HttpErrorKind, HttpRequest, HttpResponse, Journal,
        LogLevel, SinkInstance, StateChange,
    };

    use super::*;

    /// The host, reduced to what this sink uses: a clock and a log.
    struct TestHost;

    impl Capabilities for TestHost {
        fn http(&self, _: HttpRequest) -> Result<HttpResponse, HttpError> {
            Err(HttpError::new(
                HttpErrorKind::Connect,
                "no network in tests",
            ))
        }
        fn log(&self, level: LogLevel, message: &str) {
            eprintln!("{level:?}: {message}");
        }
        fn now(&self) -> SystemTime {
            UNIX_EPOCH
        }
    }

    /// A sink writing `t.jsonl` in `dir`, built through the same ABI path the host uses.
    fn sink(dir: &tempfile::TempDir) -> SinkInstance {
        let plugin = crate::in_process().expect("the plugin registers");
        let config = serde_json::json!({ "path": dir.path().join("t.jsonl") });
        plugin
            .new_sink("jsonl", &config, Arc::new(TestHost))
            .expect("builds")
    }

    fn create(key: &str) -> TicketAction {
        TicketAction::Create {
            correlation: Correlation {
                id: key.into(),
                display: "test".into(),
            },
            fields: [("short_description", "Locked out")].into_iter().collect(),
        }
    }

    #[test]
    fn creates_updates_and_finds_tickets_again_after_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let mut first = sink(&dir);
        let outcomes = first.deliver(vec![create("k1")]);
        let ActionOutcome::Done(ticket) = &outcomes[0] else {
            panic!("{outcomes:?}")
        };
        assert_eq!(ticket.number, "JSONL0000001");
        let id = ticket.id.clone();
        first.deliver(vec![
            TicketAction::AddNote {
                ticket: id.clone(),
                journal: Journal::WorkNotes,
                text: "again".into(),
            },
            TicketAction::ChangeState {
                ticket: id.clone(),
                change: StateChange::Resolve {
                    close_code: "Solved (Permanently)".into(),
                    close_notes: "done".into(),
                },
            },
        ]);

        // A new instance reads the file back: the ticket is found by its key, resolved.
        let mut second = sink(&dir);
        let found = second.deliver(vec![TicketAction::FindByCorrelation {
            correlation_id: "k1".into(),
        }]);
        let ActionOutcome::Done(found) = &found[0] else {
            panic!("{found:?}")
        };
        assert_eq!(
            (found.id.as_str(), found.state.as_str()),
            (id.as_str(), "6")
        );
        assert_eq!(found.fields.get("work_notes"), Some("again"));
        assert_eq!(found.fields.get("close_code"), Some("Solved (Permanently)"));
        let reopened = second.deliver(vec![
            TicketAction::ChangeState {
                ticket: id.clone(),
                change: StateChange::Reopen,
            },
            TicketAction::ChangeState {
                ticket: id.clone(),
                change: StateChange::Reopen,
            },
        ]);
        assert!(
            matches!(&reopened[0], ActionOutcome::Done(t) if t.state == "1"),
            "{reopened:?}"
        );
        assert!(
            matches!(&reopened[1], ActionOutcome::Unchanged(t) if t.state == "1"),
            "{reopened:?}"
        );
        assert_eq!(
            second.deliver(vec![TicketAction::Get {
                ticket: "t99".into()
            }]),
            vec![ActionOutcome::NotFound]
        );
    }

    #[test]
    fn later_actions_on_a_failed_ticket_are_retried_not_run() {
        let dir = tempfile::tempdir().unwrap();
        let outcomes = sink(&dir).deliver(vec![
            TicketAction::AddNote {
                ticket: "missing".into(),
                journal: Journal::WorkNotes,
                text: "x".into(),
            },
            TicketAction::ChangeState {
                ticket: "missing".into(),
                change: StateChange::Reopen,
            },
        ]);
        assert!(
            matches!(outcomes[0], ActionOutcome::Failed(_)),
            "{outcomes:?}"
        );
        assert!(
            matches!(outcomes[1], ActionOutcome::Retry { .. }),
            "{outcomes:?}"
        );
    }

    #[test]
    fn invalid_config_names_the_key() {
        let plugin = crate::in_process().unwrap();
        let err = plugin
            .validate_config(
                "jsonl",
                &serde_json::json!({ "path": "x", "number_prefix": "IN-C" }),
            )
            .unwrap_err();
        assert_eq!(err.key_path(), Some("number_prefix"));
        let err = plugin
            .validate_config("jsonl", &serde_json::json!({ "pth": "x" }))
            .unwrap_err();
        assert!(err.message().contains("unknown field `pth`"), "{err}");
    }

    #[test]
    fn a_torn_last_line_is_skipped_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let outcomes = sink(&dir).deliver(vec![create("k1")]);
        assert!(
            matches!(outcomes[0], ActionOutcome::Done(_)),
            "{outcomes:?}"
        );
        let path = dir.path().join("t.jsonl");
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("{\"unix_ms\":0,\"act");
        std::fs::write(&path, text).unwrap();

        let mut restarted = sink(&dir);
        assert_eq!(restarted.healthcheck(), Ok(()));
        let found = restarted.deliver(vec![TicketAction::FindByCorrelation {
            correlation_id: "k1".into(),
        }]);
        assert!(
            matches!(&found[0], ActionOutcome::Done(t) if t.id == "t1"),
            "{found:?}"
        );
    }

    #[test]
    fn a_journal_that_cannot_be_opened_retries_the_whole_batch() {
        let dir = tempfile::tempdir().unwrap();
        let config = serde_json::json!({ "path": dir.path().join("missing/t.jsonl") });
        let plugin = crate::in_process().unwrap();
        let mut sink = plugin
            .new_sink("jsonl", &config, Arc::new(TestHost))
            .unwrap();
        assert!(sink.healthcheck().unwrap_err().kind().is_retryable());
        let outcomes = sink.deliver(vec![create("k1"), create("k2")]);
        assert_eq!(outcomes.len(), 2);
        assert!(
            outcomes
                .iter()
                .all(|o| matches!(o, ActionOutcome::Retry { reason, .. } if reason.starts_with("cannot open"))),
            "{outcomes:?}"
        );
    }
}
