//! The test bench: the Auditor emulator on a loopback port, served by a tokio runtime the test
//! owns, and the plugin built in-process with the host's real capabilities (its reqwest client
//! and a manual clock), wrapped to record log lines. Plugin calls run on the plain `#[test]`
//! thread: the host's client blocks on the runtime, as it does on the host's blocking pool.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jiff::Timestamp;
use serde_json::{json, Value};
use sluice::plugin_host::{ComponentContext, HostCapabilities, HttpClient};
use sluice_core::{HttpSettings, ManualClock};
use sluice_emulators::auditor::{
    ActivityRecord, Auditor, AuditorConfig, Detail as EmuDetail, Endpoint, Item, MonitoringPlan,
};
use sluice_emulators::Served;
use sluice_sdk::{
    Capabilities, Checkpoint, Detail, HttpError, HttpRequest, HttpResponse, LogLevel, Plugin,
    PluginError, Record, SourceInstance,
};
use sluice_source_netwrix_auditor::Format;
use tokio::runtime::Runtime;

/// The emulator's default account.
pub const USER: &str = r"CORP\svc-sluice";
pub const PASSWORD: &str = "sluice-demo";

/// A point in time as the tests write it.
pub fn at(text: &str) -> Timestamp {
    text.parse().expect("a test timestamp")
}

pub fn system_time(ts: Timestamp) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::try_from(ts.as_second()).expect("after 1970"))
}

/// Log lines the plugin wrote.
type Logs = Arc<Mutex<Vec<(LogLevel, String)>>>;

/// The host's capabilities, with the log lines kept for assertions.
struct Recording {
    inner: HostCapabilities,
    logs: Logs,
}

impl Capabilities for Recording {
    fn http(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        self.inner.http(request)
    }

    fn log(&self, level: LogLevel, message: &str) {
        self.logs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((level, message.to_owned()));
        self.inner.log(level, message);
    }

    fn now(&self) -> SystemTime {
        self.inner.now()
    }
}

/// One emulator and everything needed to build plugin instances against it.
pub struct Env {
    pub auditor: Auditor,
    pub clock: Arc<ManualClock>,
    logs: Logs,
    capabilities: Arc<Recording>,
    plugin: Plugin,
    served: Option<Served>,
    // Declared last: dropped after the server handle it runs.
    runtime: Runtime,
}

impl Env {
    /// Serves an emulator configured by `config`; the host clock starts at `now`.
    pub fn new(config: AuditorConfig, now: Timestamp) -> Env {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let auditor = Auditor::new(config);
        let served = runtime
            .block_on(sluice_emulators::serve(
                auditor.router(),
                "127.0.0.1:0".parse().expect("an address"),
            ))
            .expect("the emulator serves");
        let http = HttpClient::new(&HttpSettings::default(), runtime.handle().clone(), "test")
            .expect("an HTTP client");
        let clock = Arc::new(ManualClock::new(system_time(now)));
        let logs = Logs::default();
        let capabilities = Arc::new(Recording {
            inner: HostCapabilities::new(
                http,
                clock.clone(),
                ComponentContext {
                    pipeline: "test".to_owned(),
                    plugin: "netwrix-auditor".to_owned(),
                    component: "netwrix_auditor".to_owned(),
                },
            ),
            logs: logs.clone(),
        });
        Env {
            auditor,
            clock,
            logs,
            capabilities,
            plugin: sluice_source_netwrix_auditor::in_process().expect("the plugin registers"),
            served: Some(served),
            runtime,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.served
            .as_ref()
            .map(Served::base_url)
            .unwrap_or_default()
    }

    /// The minimal config for `format`, plus `extra` keys.
    pub fn config(&self, format: Format, extra: Value) -> Value {
        let mut config = json!({
            "endpoint": self.base_url(),
            "username": USER,
            "password": PASSWORD,
            "format": match format { Format::Json => "json", Format::Xml => "xml" },
        });
        if let (Some(config), Value::Object(extra)) = (config.as_object_mut(), extra) {
            config.extend(extra);
        }
        config
    }

    /// Builds a source instance (a "restart" is simply another one).
    pub fn try_source(&self, config: &Value) -> Result<SourceInstance, PluginError> {
        let capabilities: Arc<dyn Capabilities> = self.capabilities.clone();
        self.plugin
            .new_source("netwrix_auditor", config, capabilities)
    }

    pub fn source(&self, config: &Value) -> SourceInstance {
        self.try_source(config).expect("the source builds")
    }

    /// Moves the host clock to `now`.
    pub fn set_now(&self, now: Timestamp) {
        self.clock.set(system_time(now));
    }

    /// Search requests the emulator received so far.
    pub fn searches(&self) -> u64 {
        self.auditor.requests().count(Endpoint::Search)
    }

    /// Warnings the plugin logged so far, except the one every instance gives for the
    /// emulator's plain-http endpoint.
    pub fn warnings(&self) -> Vec<String> {
        self.all_warnings()
            .into_iter()
            .filter(|message| !message.contains("is plain http"))
            .collect()
    }

    /// Every warning the plugin logged so far.
    pub fn all_warnings(&self) -> Vec<String> {
        self.logs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|(level, _)| *level == LogLevel::Warn)
            .map(|(_, message)| message.clone())
            .collect()
    }

    /// Runs `f` on the runtime (for emulator calls that must be inside it; none so far).
    #[allow(dead_code)]
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Some(served) = self.served.take() {
            self.runtime.block_on(served.shutdown());
        }
    }
}

/// Polls until the scan reports no more pages; returns its records. Bounded, so a plugin that
/// loops forever fails the test instead of hanging it.
pub fn drain(source: &mut SourceInstance, checkpoint: &mut Option<Checkpoint>) -> Vec<Record> {
    let mut records = Vec::new();
    for _ in 0..10_000 {
        let batch = source.poll(checkpoint.clone()).expect("a poll");
        records.extend(batch.records);
        *checkpoint = Some(batch.checkpoint);
        if !batch.more {
            return records;
        }
    }
    panic!("the scan did not end within 10,000 polls");
}

/// The checkpoint as JSON, to look at its window.
pub fn checkpoint_json(checkpoint: &Checkpoint) -> Value {
    serde_json::from_str(checkpoint.as_str()).expect("checkpoints are JSON")
}

/// A record as this plugin must decode it from the emulator's output: every element the
/// emulator writes, `When` in its UTC output form, details in order.
pub fn expected(record: &ActivityRecord) -> Record {
    let mut out = Record::new(record.rid.clone().unwrap_or_default());
    let when = Timestamp::from_second(record.when.as_second()).expect("in range");
    out.time = Some(system_time(when));
    let mut push = |name: &str, value: Option<&str>| {
        if let Some(value) = value {
            out.fields.push(name, value);
        }
    };
    push(
        "MonitoringPlan.Name",
        record.monitoring_plan.as_ref().map(|p| p.name.as_str()),
    );
    push(
        "MonitoringPlan.ID",
        record
            .monitoring_plan
            .as_ref()
            .and_then(|p| p.id.as_deref()),
    );
    push("DataSource", record.data_source.as_deref());
    push("Item.Name", record.item.as_ref().map(|i| i.name.as_str()));
    push("ObjectType", Some(&record.object_type));
    push("What", Some(&record.what));
    push("Action", Some(&record.action));
    push("When", Some(&format!("{when:.0}")));
    push("Where", Some(&record.r#where));
    push("Who", Some(&record.who));
    push("Workstation", record.workstation.as_deref());
    out.details = record
        .details
        .iter()
        .map(|d| Detail {
            property: d.property_name.clone(),
            before: d.before.clone(),
            after: d.after.clone(),
            message: d.message.clone(),
        })
        .collect();
    out
}

/// Asserts `actual` decodes `expected` losslessly (field order aside: the formats differ).
pub fn assert_same(actual: &Record, expected: &Record) {
    let sorted = |r: &Record| {
        let mut fields = r.fields.clone().into_vec();
        fields.sort();
        fields
    };
    assert_eq!(actual.id, expected.id);
    assert_eq!(actual.time, expected.time, "{}", actual.id);
    assert_eq!(sorted(actual), sorted(expected), "{}", actual.id);
    assert_eq!(actual.details, expected.details, "{}", actual.id);
}

/// A new record with every optional element set, for writing into the emulator.
pub fn activity(when: Timestamp, label: &str) -> ActivityRecord {
    let mut record = ActivityRecord::new(
        r"CORP\jdoe",
        "Modified",
        format!(r"\local\corp\Corp\Users\{label}"),
        when,
        "dc01.corp.local",
        "user",
    );
    record.monitoring_plan = Some(MonitoringPlan {
        name: "AD Monitoring".to_owned(),
        id: Some("{7C1D2E3F-4A5B-4C6D-8E9F-0A1B2C3D4E5F}".to_owned()),
    });
    record.data_source = Some("Active Directory".to_owned());
    record.item = Some(Item {
        name: "corp.local (Domain)".to_owned(),
    });
    record.workstation = Some("ws-042.corp.local".to_owned());
    record.details = vec![EmuDetail {
        property_name: "title".to_owned(),
        before: Some("Engineer & <Lead>".to_owned()),
        after: Some(String::new()),
        message: Some(format!("changed {label}")),
    }];
    record
}

/// Declares a test per wire format for each `fn name(format: Format)`.
macro_rules! both_formats {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[test]
                fn xml() {
                    super::$name(sluice_source_netwrix_auditor::Format::Xml);
                }
                #[test]
                fn json() {
                    super::$name(sluice_source_netwrix_auditor::Format::Json);
                }
            }
        )*
    };
}
pub(crate) use both_formats;
