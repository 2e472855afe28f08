//! Stand-ins for the source and the sink, and a harness that steps an engine on a manual
//! clock.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use sluice_core::queue_response_action;
pub use sluice_core::testkit::{record, MemorySink, MemorySource};
use sluice_core::ManualClock;
use sluice_core::{default_ticket_fields, TicketTemplate};
use sluice_core::{AlertDefinition, AlertSet};
use sluice_core::{ConfigFile, PipelineSettings, SecretResolver};
use sluice_core::{Durability, Store, Timestamp};
use sluice_core::{Engine, PipelineSpec, TicketSink};

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
        Self::engine_with(dir, extra, alerts, clock, source, sink)
    }

    /// [`Harness::engine`] with a sink of the test's own.
    pub fn engine_with<K: TicketSink>(
        dir: &tempfile::TempDir,
        extra: &str,
        alerts: Vec<AlertDefinition>,
        clock: Arc<ManualClock>,
        source: MemorySource,
        sink: K,
    ) -> Engine<MemorySource, K> {
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

    pub fn now(&self) -> Timestamp {
        Timestamp::from_system_time(sluice_core::Clock::now(self.clock.as_ref()))
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
        let now = self.now();
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

    /// The short descriptions of the tickets opened, in order.
    pub fn titles(&self) -> Vec<String> {
        self.sink()
            .tickets
            .iter()
            .map(|t| {
                t.ticket
                    .fields
                    .get("short_description")
                    .unwrap_or("")
                    .to_owned()
            })
            .collect()
    }
}

pub fn minutes(n: u64) -> Duration {
    Duration::from_secs(60 * n)
}

pub fn hours(n: u64) -> Duration {
    Duration::from_secs(3600 * n)
}
