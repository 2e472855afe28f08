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

/// Which database a suite keeps its stores in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(dead_code)] // each suite binary uses one
pub enum Backend {
    /// A SQLite file in a temporary directory.
    Sqlite,
    /// A throwaway PostgreSQL server of the test's own.
    Postgres,
}

/// Where a test's store lives.
pub enum StorePlace {
    File(tempfile::TempDir),
    Postgres(Box<sluice_test_postgres::Cluster>),
}

impl StorePlace {
    /// A new, empty place on the suite's backend.
    pub fn new() -> StorePlace {
        match crate::BACKEND {
            Backend::Sqlite => StorePlace::File(tempfile::tempdir().unwrap()),
            Backend::Postgres => StorePlace::Postgres(Box::new(
                sluice_test_postgres::Cluster::start().unwrap_or_else(|e| panic!("{e}")),
            )),
        }
    }

    /// A connection to the store, created on first use.
    pub fn open(&self) -> Store {
        match self {
            StorePlace::File(dir) => {
                Store::open(&dir.path().join("state.db"), Durability::Normal).unwrap()
            }
            StorePlace::Postgres(cluster) => Store::open_postgres(&cluster.url()).unwrap(),
        }
    }

    /// Something that makes the store fail its users until the returned [`Outage`] is
    /// dropped, as a full disk or a lost database does: on SQLite, another connection takes
    /// the write lock; on PostgreSQL, every other connection to the database is cut and no
    /// new one is let in.
    pub fn breaker(&self) -> Box<dyn FnMut() -> Outage + Send> {
        match self {
            StorePlace::File(dir) => {
                let path = dir.path().join("state.db");
                Box::new(move || {
                    let store = Store::open(&path, Durability::Normal).unwrap();
                    store.sqlite().execute_batch("BEGIN IMMEDIATE").unwrap();
                    Outage::Locked(store)
                })
            }
            StorePlace::Postgres(cluster) => {
                let url = cluster.maintenance_url();
                Box::new(move || {
                    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
                    admin
                        .batch_execute(
                            "ALTER DATABASE sluice ALLOW_CONNECTIONS false; \
                             SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                             WHERE datname = 'sluice'",
                        )
                        .unwrap();
                    Outage::Refused(admin)
                })
            }
        }
    }
}

/// The store failing its users, until dropped (see [`StorePlace::breaker`]).
pub enum Outage {
    /// SQLite's write lock, held.
    Locked(#[allow(dead_code)] Store),
    /// A session in PostgreSQL's maintenance database that let no one into the store's.
    Refused(postgres::Client),
}

impl Drop for Outage {
    fn drop(&mut self) {
        if let Outage::Refused(admin) = self {
            admin
                .batch_execute("ALTER DATABASE sluice ALLOW_CONNECTIONS true")
                .unwrap();
        }
    }
}

/// An engine on a manual clock, over a temporary store.
pub struct Harness {
    pub engine: Engine<MemorySource, MemorySink>,
    pub clock: Arc<ManualClock>,
    pub place: StorePlace,
    next_record: usize,
    /// The connection Auditor's response actions queue through, kept (a PostgreSQL
    /// connection costs a password exchange).
    queue: Option<Store>,
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
        let place = StorePlace::new();
        let clock = Arc::new(ManualClock::new(
            SystemTime::UNIX_EPOCH + Duration::from_secs(START),
        ));
        let engine = Self::engine(
            &place,
            extra,
            alerts,
            clock.clone(),
            MemorySource::default(),
            MemorySink::default(),
        );
        Harness {
            engine,
            clock,
            place,
            next_record: 0,
            queue: None,
        }
    }

    pub fn engine(
        place: &StorePlace,
        extra: &str,
        alerts: Vec<AlertDefinition>,
        clock: Arc<ManualClock>,
        source: MemorySource,
        sink: MemorySink,
    ) -> Engine<MemorySource, MemorySink> {
        Self::engine_with(place, extra, alerts, clock, source, sink)
    }

    /// [`Harness::engine`] with a sink of the test's own.
    pub fn engine_with<K: TicketSink>(
        place: &StorePlace,
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
        Engine::new(Arc::new(spec), place.open(), source, sink, clock)
    }

    /// An engine over this harness's store, clock and source (taken from its engine), with
    /// `sink`, a sink of the test's own.
    pub fn engine_over<K: TicketSink>(&mut self, sink: K) -> Engine<MemorySource, K> {
        let source = std::mem::take(self.engine.source_mut());
        Self::engine_with(
            &self.place,
            "",
            Vec::new(),
            self.clock.clone(),
            source,
            sink,
        )
    }

    /// Replaces the engine with a fresh one over the same store, as a restart does.
    pub fn restart(&mut self, extra: &str) {
        let source = std::mem::take(self.engine.source_mut());
        let sink = std::mem::take(self.engine.sink_mut());
        self.engine = Self::engine(
            &self.place,
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
        let rid = self.new_record(who);
        let now = self.now();
        let store = self.queue.get_or_insert_with(|| self.place.open());
        assert!(
            queue_response_action(store, "p", &format!("{{{name}}}"), &rid, name, now).unwrap()
        );
        rid
    }

    /// A new record in Auditor, by `who`, for an alert to name: its id.
    pub fn new_record(&mut self, who: &str) -> String {
        self.next_record += 1;
        let rid = format!("rid-{:05}", self.next_record);
        let r = record(
            &rid,
            who,
            "\\local\\corp\\Users\\John Doe",
            "Account Locked Out",
        );
        self.engine.source_mut().records.insert(rid.clone(), r);
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
        titles_of(self.sink())
    }
}

pub fn minutes(n: u64) -> Duration {
    Duration::from_secs(60 * n)
}

pub fn hours(n: u64) -> Duration {
    Duration::from_secs(3600 * n)
}

/// The short descriptions of the tickets `sink` opened, in order.
pub fn titles_of(sink: &MemorySink) -> Vec<String> {
    sink.tickets
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
