//! Stand-ins for the source and the sink, and a harness that steps an engine on a manual
//! clock.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use sluice::capabilities::ManualClock;
use sluice::config::{ConfigFile, PipelineSettings, SecretResolver};
use sluice::pipeline::delivery::TicketSink;
use sluice::pipeline::engine::{Engine, PipelineSpec};
use sluice::pipeline::intake::{queue_response_action, RecordSource};
use sluice::pipeline::mapping::{default_ticket_fields, TicketTemplate};
use sluice::pipeline::rules::{AlertDefinition, AlertSet};
use sluice::state::{millis, Durability, Store};
use sluice_sdk::{
    ActionOutcome, Checkpoint, Journal, PluginError, Record, SourceBatch, StateChange, Ticket,
    TicketAction,
};

/// A ticket in the stand-in system.
#[derive(Debug, Clone)]
pub struct MemTicket {
    pub ticket: Ticket,
    pub correlation_id: String,
    pub notes: Vec<(Journal, String)>,
    pub attachments: Vec<(String, Vec<u8>)>,
}

/// A little ticket system: states 1 New … 6 Resolved, 7 Closed, 8 Canceled; reopen to 1.
#[derive(Debug, Default)]
pub struct MemorySink {
    pub tickets: Vec<MemTicket>,
    /// Calls to `deliver`, actions received, and the requests a real sink would make for them
    /// (consecutive reopen/note/update actions on one ticket coalesce into one, as the SDK
    /// allows and the ServiceNow sink does).
    pub calls: usize,
    pub actions: usize,
    pub requests: usize,
    /// The next actions of these kinds answer `Retry` with this delay.
    pub retry_next: Vec<(&'static str, Option<Duration>)>,
    /// Creates are applied but answered `Retry` (an ambiguous failure).
    pub ambiguous_creates: usize,
    /// Updates of these tickets (by number) are refused.
    pub refuse_updates_of: Vec<String>,
}

impl MemorySink {
    fn index(&self, id: &str) -> Option<usize> {
        self.tickets.iter().position(|t| t.ticket.id == id)
    }

    pub fn by_number(&self, number: &str) -> &MemTicket {
        self.tickets
            .iter()
            .find(|t| t.ticket.number == number)
            .expect("ticket exists")
    }

    /// Resolves a ticket, as an agent would.
    pub fn set_state(&mut self, number: &str, state: &str) {
        let t = self
            .tickets
            .iter_mut()
            .find(|t| t.ticket.number == number)
            .expect("ticket exists");
        t.ticket.state = state.to_owned();
    }

    fn apply(&mut self, action: TicketAction) -> ActionOutcome {
        if let Some(i) = self
            .retry_next
            .iter()
            .position(|(k, _)| *k == action.kind())
        {
            let (_, after) = self.retry_next.remove(i);
            return ActionOutcome::Retry {
                reason: "stand-in asked to".into(),
                retry_after: after,
            };
        }
        match action {
            TicketAction::Create {
                correlation,
                fields,
            } => {
                let n = self.tickets.len() + 1;
                let ticket = Ticket {
                    id: format!("sys{n}"),
                    number: format!("INC{n:07}"),
                    link: format!("mem://INC{n:07}"),
                    state: "1".into(),
                    display: [
                        ("state", "New"),
                        ("assignment_group", "Service Desk"),
                        ("opened_at", "2024-01-01 00:00:00"),
                    ]
                    .into_iter()
                    .collect(),
                    fields,
                };
                self.tickets.push(MemTicket {
                    ticket: ticket.clone(),
                    correlation_id: correlation.id,
                    notes: Vec::new(),
                    attachments: Vec::new(),
                });
                if self.ambiguous_creates > 0 {
                    self.ambiguous_creates -= 1;
                    return ActionOutcome::retry("connection reset after the request was sent");
                }
                ActionOutcome::Done(ticket)
            }
            TicketAction::FindByCorrelation { correlation_id } => {
                match self
                    .tickets
                    .iter()
                    .rev()
                    .find(|t| t.correlation_id == correlation_id)
                {
                    Some(t) => ActionOutcome::Done(t.ticket.clone()),
                    None => ActionOutcome::NotFound,
                }
            }
            TicketAction::Get { ticket } => match self.index(&ticket) {
                Some(i) => {
                    let mut t = self.tickets[i].ticket.clone();
                    let label = match t.state.as_str() {
                        "6" => "Resolved",
                        "7" => "Closed",
                        _ => "New",
                    };
                    t.display.set("state", label);
                    ActionOutcome::Done(t)
                }
                None => ActionOutcome::NotFound,
            },
            other => {
                let id = other.ticket().unwrap_or_default().to_owned();
                let Some(i) = self.index(&id) else {
                    return ActionOutcome::NotFound;
                };
                if self
                    .refuse_updates_of
                    .contains(&self.tickets[i].ticket.number)
                {
                    return ActionOutcome::Failed(PluginError::rejected(
                        "ACL Exception Update Failed due to security constraints",
                    ));
                }
                let t = &mut self.tickets[i];
                match other {
                    TicketAction::AddNote { journal, text, .. } => t.notes.push((journal, text)),
                    TicketAction::Attach {
                        file_name, content, ..
                    } => t.attachments.push((file_name, content)),
                    TicketAction::ChangeState {
                        change: StateChange::Reopen,
                        ..
                    } => {
                        if ["6", "7", "8"].contains(&t.ticket.state.as_str()) {
                            t.ticket.state = "1".into();
                        } else {
                            return ActionOutcome::Unchanged(t.ticket.clone());
                        }
                    }
                    TicketAction::Update { fields, .. } => {
                        for (k, v) in fields {
                            t.ticket.fields.set(k, v);
                        }
                    }
                    _ => return ActionOutcome::Failed(PluginError::unsupported("stand-in")),
                }
                ActionOutcome::Done(t.ticket.clone())
            }
        }
    }
}

impl TicketSink for MemorySink {
    fn deliver(&mut self, actions: Vec<TicketAction>) -> Vec<ActionOutcome> {
        self.calls += 1;
        self.actions += actions.len();
        let coalescible = |a: &TicketAction| {
            matches!(
                a,
                TicketAction::AddNote { .. }
                    | TicketAction::ChangeState { .. }
                    | TicketAction::Update { .. }
            )
        };
        let mut previous: Option<(bool, Option<String>)> = None;
        for a in &actions {
            let this = (coalescible(a), a.ticket().map(str::to_owned));
            if !(this.0 && previous.as_ref() == Some(&this)) {
                self.requests += 1;
            }
            previous = Some(this);
        }
        let mut failed: Vec<String> = Vec::new();
        actions
            .into_iter()
            .map(|a| {
                if a.ticket().is_some_and(|t| failed.iter().any(|f| f == t)) {
                    return ActionOutcome::retry("an earlier action on this ticket failed");
                }
                let ticket = a.ticket().map(str::to_owned);
                let outcome = self.apply(a);
                if !matches!(
                    outcome,
                    ActionOutcome::Done(_) | ActionOutcome::Unchanged(_) | ActionOutcome::NotFound
                ) {
                    failed.extend(ticket);
                }
                outcome
            })
            .collect()
    }
}

/// A source holding records by id, and a queue of pages for polling.
#[derive(Debug, Default)]
pub struct MemorySource {
    pub records: HashMap<String, Record>,
    pub pages: Vec<Vec<Record>>,
    pub polls: usize,
    pub fetches: usize,
    pub fail_next: usize,
}

impl RecordSource for MemorySource {
    fn poll(&mut self, checkpoint: Option<Checkpoint>) -> Result<SourceBatch, PluginError> {
        self.polls += 1;
        let next: usize = checkpoint.map_or(0, |c| c.0.parse().unwrap_or(0));
        let records = self.pages.get(next).cloned().unwrap_or_default();
        let end = next + usize::from(!records.is_empty());
        Ok(SourceBatch {
            records,
            checkpoint: Checkpoint(end.to_string()),
            more: end < self.pages.len(),
        })
    }

    fn fetch(&mut self, ids: Vec<String>) -> Result<Vec<Record>, PluginError> {
        self.fetches += 1;
        if self.fail_next > 0 {
            self.fail_next -= 1;
            return Err(PluginError::transient("Auditor answered 503"));
        }
        Ok(ids
            .iter()
            .filter_map(|id| self.records.get(id).cloned())
            .collect())
    }
}

/// An activity record: an account (`who`) did `action` on `what`.
pub fn record(id: &str, who: &str, what: &str, detail: &str) -> Record {
    let mut r = Record::new(id);
    r.fields.push("Who", who);
    r.fields.push("Action", "Modified");
    r.fields.push("ObjectType", "user");
    r.fields.push("What", what);
    r.fields.push("When", "2024-03-11T08:45:12Z");
    r.fields.push("Where", "dc01.corp.local");
    r.fields.push("DataSource", "Active Directory");
    r.details.push(
        sluice_sdk::Detail::new(detail)
            .before("False")
            .after("True"),
    );
    r
}

pub const START: u64 = 1_710_000_000;

/// An engine on a manual clock, over a temporary store.
pub struct Harness {
    pub engine: Engine<MemorySource, MemorySink>,
    pub clock: Arc<ManualClock>,
    pub dir: tempfile::TempDir,
    next_record: usize,
}

/// The pipeline settings of `extra` TOML lines under `[pipelines.p]` (source and sink are
/// stand-ins, their tables unused).
pub fn settings(extra: &str) -> PipelineSettings {
    let text = format!("[pipelines.p]\nsource.type = \"x\"\nsink.type = \"y\"\n{extra}\n");
    let env = SecretResolver::new(|_: &str| None);
    ConfigFile::parse(Path::new("test.toml"), text, &env)
        .unwrap_or_else(|e| panic!("{e}"))
        .config
        .pipelines
        .remove("p")
        .expect("pipeline p")
}

impl Harness {
    pub fn new(extra: &str) -> Self {
        Self::with_alerts(extra, Vec::new())
    }

    pub fn with_alerts(extra: &str, alerts: Vec<AlertDefinition>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(
            SystemTime::UNIX_EPOCH + Duration::from_secs(START),
        ));
        let engine = Self::engine(
            &dir,
            extra,
            alerts,
            clock.clone(),
            MemorySource::default(),
            MemorySink::default(),
        );
        Harness {
            engine,
            clock,
            dir,
            next_record: 0,
        }
    }

    pub fn engine(
        dir: &tempfile::TempDir,
        extra: &str,
        alerts: Vec<AlertDefinition>,
        clock: Arc<ManualClock>,
        source: MemorySource,
        sink: MemorySink,
    ) -> Engine<MemorySource, MemorySink> {
        let settings = settings(extra);
        let fields = settings
            .ticket
            .clone()
            .unwrap_or_else(default_ticket_fields);
        let template = TicketTemplate::new(&fields, &settings.correlation_format).unwrap();
        let spec = PipelineSpec {
            name: "p".into(),
            settings,
            alerts: AlertSet::new(alerts),
            template,
            computer: "auditor01".into(),
        };
        let store = Store::open(&dir.path().join("state.db"), Durability::Normal).unwrap();
        Engine::new(Arc::new(spec), store, source, sink, clock)
    }

    /// Replaces the engine with a fresh one over the same store, as a restart does.
    pub fn restart(&mut self, extra: &str) {
        let source = std::mem::take(self.engine.source_mut());
        let sink = std::mem::take(self.engine.sink_mut());
        self.engine = Self::engine(
            &self.dir,
            extra,
            Vec::new(),
            self.clock.clone(),
            source,
            sink,
        );
    }

    pub fn now_ms(&self) -> i64 {
        millis(sluice::capabilities::Clock::now(self.clock.as_ref()))
    }

    /// Auditor runs the response action of alert `name` for a new record.
    pub fn alert(&mut self, name: &str) -> String {
        self.alert_by(name, "CORP\\jdoe")
    }

    pub fn alert_by(&mut self, name: &str, who: &str) -> String {
        self.next_record += 1;
        let rid = format!("rid-{:05}", self.next_record);
        let r = record(
            &rid,
            who,
            "\\local\\corp\\Users\\John Doe",
            "Account Locked Out",
        );
        self.engine.source_mut().records.insert(rid.clone(), r);
        let now = self.now_ms();
        let store_path = self.dir.path().join("state.db");
        let mut store = Store::open(&store_path, Durability::Normal).unwrap();
        assert!(
            queue_response_action(&mut store, "p", &format!("{{{name}}}"), &rid, name, now)
                .unwrap()
        );
        rid
    }

    pub fn step(&mut self) {
        self.engine.step().unwrap();
    }

    pub fn advance(&mut self, by: Duration) {
        self.clock.advance(by);
        self.step();
    }

    pub fn sink(&self) -> &MemorySink {
        self.engine.sink()
    }
}

pub fn minutes(n: u64) -> Duration {
    Duration::from_secs(60 * n)
}

pub fn hours(n: u64) -> Duration {
    Duration::from_secs(3600 * n)
}
