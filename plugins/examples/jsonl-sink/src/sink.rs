//! The sink: turns each ticket action into a line, and answers lookups from the file.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::time::UNIX_EPOCH;

use sluice_sdk::{
    ActionOutcome, Host, Journal, PluginError, Sink, StateChange, Text, Ticket, TicketAction,
};

use crate::config::JsonlConfig;
use crate::journal::{Line, Tickets};

/// The states this sink uses, ServiceNow's numbering: 1 New, 6 Resolved, 7 Closed, 8 Canceled.
const NEW_STATE: &str = "1";
const RESOLVED_STATE: &str = "6";
const CLOSED_STATE: &str = "7";
const CLOSED_STATES: [&str; 3] = ["6", "7", "8"];

/// Appends ticket actions to a JSON Lines file.
#[derive(Debug)]
pub struct JsonlSink {
    config: JsonlConfig,
    host: Host,
    /// `None` until the file has been read back (the constructor does no IO).
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

    fn healthcheck(&mut self) -> Result<(), PluginError> {
        self.open_for_append().map(drop)?;
        self.load().map(drop)
    }

    fn deliver(&mut self, actions: Vec<TicketAction>) -> Vec<ActionOutcome> {
        if let Err(e) = self.load() {
            let reason = e.to_string();
            return actions
                .iter()
                .map(|_| ActionOutcome::retry(reason.clone()))
                .collect();
        }
        let mut file = match self.open_for_append() {
            Ok(f) => f,
            Err(e) => {
                return actions
                    .iter()
                    .map(|_| ActionOutcome::retry(e.to_string()))
                    .collect()
            }
        };
        let mut outcomes = Vec::with_capacity(actions.len());
        let mut failed_tickets: Vec<String> = Vec::new();
        for action in actions {
            // The SDK's rule: after a failure, later actions on that ticket wait for a retry.
            if let Some(t) = action.ticket() {
                if failed_tickets.iter().any(|f| f == t) {
                    outcomes.push(ActionOutcome::retry(
                        "an earlier action on this ticket did not succeed",
                    ));
                    continue;
                }
            }
            let ticket = action.ticket().map(str::to_owned);
            let outcome = self.execute(action, &mut file);
            if !matches!(
                outcome,
                ActionOutcome::Done(_) | ActionOutcome::Unchanged(_) | ActionOutcome::NotFound
            ) {
                failed_tickets.extend(ticket);
            }
            outcomes.push(outcome);
        }
        if self.config.fsync {
            if let Err(e) = file.sync_data() {
                let reason = format!("cannot flush {}: {e}", self.config.path.display());
                return outcomes
                    .iter()
                    .map(|_| ActionOutcome::retry(reason.clone()))
                    .collect();
            }
        }
        outcomes
    }
}

impl JsonlSink {
    fn execute(&mut self, action: TicketAction, file: &mut File) -> ActionOutcome {
        let tickets = self.tickets.get_or_insert_with(Tickets::default);
        let (ticket, action_name, fields, new_state, correlation_id, number) = match action {
            TicketAction::Get { ticket } => {
                return match tickets.by_id.get(ticket.as_str()) {
                    Some(t) => ActionOutcome::Done(t.clone()),
                    None => ActionOutcome::NotFound,
                }
            }
            TicketAction::FindByCorrelation { correlation_id } => {
                return match tickets
                    .newest_by_correlation
                    .get(correlation_id.as_str())
                    .and_then(|id| tickets.by_id.get(id))
                {
                    Some(t) => ActionOutcome::Done(t.clone()),
                    None => ActionOutcome::NotFound,
                }
            }
            TicketAction::Create {
                correlation,
                fields,
            } => {
                let n = tickets.created + 1;
                (
                    format!("t{n}"),
                    "create",
                    fields.into_vec(),
                    "1".to_owned(),
                    Some(correlation.id),
                    Some(format!("{}{n:07}", self.config.number_prefix)),
                )
            }
            other => {
                let Some(existing) = other.ticket().and_then(|id| tickets.by_id.get(id)) else {
                    return ActionOutcome::Failed(PluginError::rejected(format!(
                        "no ticket {:?} in {}",
                        other.ticket().unwrap_or_default(),
                        self.config.path.display()
                    )));
                };
                let state = existing.state.to_string();
                let id = existing.id.to_string();
                match other {
                    TicketAction::Update { fields, .. } => {
                        (id, "update", fields.into_vec(), state, None, None)
                    }
                    TicketAction::AddNote { journal, text, .. } => {
                        let field = match journal {
                            Journal::Comments => "comments",
                            _ => "work_notes",
                        };
                        (
                            id,
                            "add_note",
                            vec![(field.to_owned(), text)],
                            state,
                            None,
                            None,
                        )
                    }
                    TicketAction::Attach {
                        file_name, content, ..
                    } => (
                        id,
                        "attach",
                        vec![(
                            "attachment".to_owned(),
                            format!("{file_name} ({} bytes)", content.len()),
                        )],
                        state,
                        None,
                        None,
                    ),
                    TicketAction::ChangeState { change, .. } => {
                        let (to, code, notes) = match change {
                            StateChange::Reopen if CLOSED_STATES.contains(&state.as_str()) => {
                                (NEW_STATE.to_owned(), None, None)
                            }
                            StateChange::Reopen => {
                                return match tickets.by_id.get(id.as_str()) {
                                    Some(t) => ActionOutcome::Unchanged(t.clone()),
                                    None => ActionOutcome::NotFound,
                                }
                            }
                            StateChange::Resolve {
                                close_code,
                                close_notes,
                            } => (
                                RESOLVED_STATE.to_owned(),
                                Some(close_code),
                                Some(close_notes),
                            ),
                            StateChange::Close {
                                close_code,
                                close_notes,
                            } => (CLOSED_STATE.to_owned(), Some(close_code), Some(close_notes)),
                            set @ StateChange::Set { .. } if !set.applies_to(&state) => {
                                return match tickets.by_id.get(id.as_str()) {
                                    Some(t) => ActionOutcome::Unchanged(t.clone()),
                                    None => ActionOutcome::NotFound,
                                }
                            }
                            StateChange::Set { to, .. } => (to, None, None),
                            other => {
                                return ActionOutcome::Failed(PluginError::unsupported(format!(
                                    "jsonl does not support the state change {other:?}"
                                )))
                            }
                        };
                        let mut fields = Vec::new();
                        fields.extend(code.map(|c| ("close_code".to_owned(), c)));
                        fields.extend(notes.map(|n| ("close_notes".to_owned(), n)));
                        (id, "change_state", fields, to, None, None)
                    }
                    unknown => {
                        return ActionOutcome::Failed(PluginError::unsupported(format!(
                            "jsonl does not support {}",
                            unknown.kind()
                        )))
                    }
                }
            }
        };
        let line = Line {
            unix_ms: self
                .host
                .now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(0),
            action: action_name.to_owned(),
            ticket,
            number,
            correlation_id: correlation_id.map(Text::into_string),
            fields,
            state: new_state,
        };
        let mut text = match serde_json::to_string(&line) {
            Ok(text) => text,
            Err(e) => return ActionOutcome::Failed(PluginError::internal(e.to_string())),
        };
        text.push('\n');
        if let Err(e) = file.write_all(text.as_bytes()) {
            return ActionOutcome::retry(format!(
                "cannot write {}: {e}",
                self.config.path.display()
            ));
        }
        let link_prefix = self.link_prefix();
        let tickets = self.tickets.get_or_insert_with(Tickets::default);
        tickets.apply(&line, &link_prefix);
        match tickets.by_id.get(&line.ticket) {
            Some(t) => ActionOutcome::Done(t.clone()),
            None => ActionOutcome::Done(Ticket::default()),
        }
    }

    fn link_prefix(&self) -> String {
        format!("file://{}", self.config.path.display())
    }

    fn open_for_append(&self) -> Result<File, PluginError> {
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.config.path)
            .map_err(|e| {
                PluginError::transient(format!(
                    "cannot open {} for appending: {e}",
                    self.config.path.display()
                ))
            })
    }

    /// Reads the file back once, so lookups survive a restart.
    fn load(&mut self) -> Result<&mut Tickets, PluginError> {
        if self.tickets.is_none() {
            let mut tickets = Tickets::default();
            let link_prefix = self.link_prefix();
            match File::open(&self.config.path) {
                Ok(file) => {
                    for (n, line) in BufReader::new(file).lines().enumerate() {
                        let line = line.map_err(|e| {
                            PluginError::transient(format!(
                                "cannot read {}: {e}",
                                self.config.path.display()
                            ))
                        })?;
                        if line.trim().is_empty() {
                            continue;
                        }
                        match serde_json::from_str::<Line>(&line) {
                            Ok(parsed) => tickets.apply(&parsed, &link_prefix),
                            // A torn last line after a crash is skipped, not fatal.
                            Err(e) => self.host.warn(format!(
                                "{}:{}: skipping an unreadable line ({e})",
                                self.config.path.display(),
                                n + 1
                            )),
                        }
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(PluginError::transient(format!(
                        "cannot read {}: {e}",
                        self.config.path.display()
                    )))
                }
            }
            self.host
                .debug(format!("read back {} tickets", tickets.by_id.len()));
            self.tickets = Some(tickets);
        }
        Ok(self.tickets.get_or_insert_with(Tickets::default))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::SystemTime;

    use sluice_sdk::{
        Capabilities, Correlation, HttpError, HttpErrorKind, HttpRequest, HttpResponse, LogLevel,
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

    fn sink(dir: &tempfile::TempDir) -> sluice_sdk::SinkInstance {
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
}
