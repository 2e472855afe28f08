//! The rig every test runs on: the ServiceNow emulator on a loopback port of a tokio runtime
//! the test owns, and the sink built through the plugin's real ABI path (`in_process()`) with
//! the host's real HTTP client, a manual host clock, and a log recorder.
//!
//! ```text
//!  #[test] thread ── SinkInstance::deliver ── HostCapabilities::http ──► runtime ──► emulator
//!                                   └── Recording::log (kept for assertions)
//! ```
//!
//! A layer around the emulator's router ([`Traffic`]) notes how many requests it is answering
//! at once and the order they arrive in.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use serde_json::{json, Value};
use sluice::plugin_host::{ComponentContext, HostCapabilities, HttpClient};
use sluice_core::{HttpSettings, ManualClock};
pub use sluice_emulators::servicenow::Release;
use sluice_emulators::servicenow::{
    PathKind, RequestStats, ServiceNow, ServiceNowConfig, SERVICE_DESK_SYS_ID,
};
use sluice_emulators::Served;
use sluice_sdk::{
    ActionOutcome, Capabilities, Correlation, Fields, HttpError, HttpRequest, HttpResponse,
    Journal, LogLevel, PluginError, SinkInstance, StateChange, Ticket, TicketAction,
};
use tokio::runtime::Runtime;

/// One `#[test]` per release for each named test body `fn name(release: Release)`:
/// `per_release!(name, …)` makes a module `name` with one test per release, Helsinki to
/// Brazil (so `cargo test name::zurich` runs one). Keep it in step with `Release::ALL`; the
/// test `startup::every_release_has_an_adapter` fails if a release is missing here.
macro_rules! per_release {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use sluice_emulators::servicenow::Release;
            #[test]
            fn helsinki() {
                super::$name(Release::Helsinki)
            }
            #[test]
            fn istanbul() {
                super::$name(Release::Istanbul)
            }
            #[test]
            fn jakarta() {
                super::$name(Release::Jakarta)
            }
            #[test]
            fn kingston() {
                super::$name(Release::Kingston)
            }
            #[test]
            fn london() {
                super::$name(Release::London)
            }
            #[test]
            fn madrid() {
                super::$name(Release::Madrid)
            }
            #[test]
            fn new_york() {
                super::$name(Release::NewYork)
            }
            #[test]
            fn orlando() {
                super::$name(Release::Orlando)
            }
            #[test]
            fn paris() {
                super::$name(Release::Paris)
            }
            #[test]
            fn quebec() {
                super::$name(Release::Quebec)
            }
            #[test]
            fn rome() {
                super::$name(Release::Rome)
            }
            #[test]
            fn san_diego() {
                super::$name(Release::SanDiego)
            }
            #[test]
            fn tokyo() {
                super::$name(Release::Tokyo)
            }
            #[test]
            fn utah() {
                super::$name(Release::Utah)
            }
            #[test]
            fn vancouver() {
                super::$name(Release::Vancouver)
            }
            #[test]
            fn washington_dc() {
                super::$name(Release::WashingtonDc)
            }
            #[test]
            fn xanadu() {
                super::$name(Release::Xanadu)
            }
            #[test]
            fn yokohama() {
                super::$name(Release::Yokohama)
            }
            #[test]
            fn zurich() {
                super::$name(Release::Zurich)
            }
            #[test]
            fn australia() {
                super::$name(Release::Australia)
            }
            #[test]
            fn brazil() {
                super::$name(Release::Brazil)
            }
        }
    )*};
}
pub(crate) use per_release;

/// Log lines the sink wrote.
pub type Logs = Arc<Mutex<Vec<(LogLevel, String)>>>;

/// The host's capabilities, recording every log line.
struct Recording {
    inner: HostCapabilities,
    logs: Logs,
}

impl Capabilities for Recording {
    fn http(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        self.inner.http(request)
    }
    fn log(&self, level: LogLevel, message: &str) {
        if let Ok(mut logs) = self.logs.lock() {
            logs.push((level, message.to_owned()));
        }
    }
    fn now(&self) -> SystemTime {
        self.inner.now()
    }
}

/// An emulated instance, served, and what a sink needs to reach it.
pub struct Rig {
    pub sn: ServiceNow,
    pub release: Release,
    pub clock: Arc<ManualClock>,
    pub logs: Logs,
    /// Requests as the emulator saw them arrive, and how many at once.
    pub traffic: Traffic,
    http: HttpClient,
    served: Served,
    // Last, so it outlives the server task and the client.
    _runtime: Runtime,
}

impl Rig {
    /// An instance of `release` with its default profile.
    pub fn new(release: Release) -> Rig {
        Rig::with(ServiceNowConfig::for_release(release))
    }

    /// An instance built from `config`.
    pub fn with(config: ServiceNowConfig) -> Rig {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let release = config.release;
        let sn = ServiceNow::new(config);
        let traffic = Traffic::default();
        let served = runtime
            .block_on(sluice_emulators::serve(
                traffic.wrap(sn.router()),
                "127.0.0.1:0".parse().expect("an address"),
            ))
            .expect("the emulator listens");
        let http = HttpClient::new(&HttpSettings::default(), runtime.handle().clone(), "test")
            .expect("an HTTP client");
        Rig {
            sn,
            release,
            clock: Arc::new(ManualClock::new(SystemTime::now())),
            logs: Arc::default(),
            traffic,
            http,
            served,
            _runtime: runtime,
        }
    }

    /// The sink's config for this instance: the emulator's API user, Basic auth.
    pub fn config(&self) -> Value {
        json!({
            "endpoint": self.served.base_url(),
            "release": self.release.key(),
            "username": "sluice",
            "password": "sluice",
        })
    }

    /// A sink with `config()` plus `overrides`, not yet health-checked.
    pub fn build(&self, overrides: Value) -> Result<SinkInstance, PluginError> {
        let mut config = self.config();
        if let (Some(c), Some(o)) = (config.as_object_mut(), overrides.as_object()) {
            for (k, v) in o {
                c.insert(k.clone(), v.clone());
            }
        }
        let capabilities = Recording {
            inner: HostCapabilities::new(
                self.http.clone(),
                self.clock.clone(),
                ComponentContext {
                    pipeline: "test".to_owned(),
                    plugin: "servicenow".to_owned(),
                    component: "servicenow".to_owned(),
                },
            ),
            logs: self.logs.clone(),
        };
        let plugin = sluice_sink_servicenow::in_process().expect("the plugin registers");
        plugin.new_sink("servicenow", &config, Arc::new(capabilities))
    }

    /// A health-checked sink with the default config.
    pub fn sink(&self) -> SinkInstance {
        self.sink_with(json!({}))
    }

    /// A health-checked sink with `overrides`.
    pub fn sink_with(&self, overrides: Value) -> SinkInstance {
        let mut sink = self.build(overrides).expect("the sink builds");
        sink.healthcheck().expect("the healthcheck passes");
        sink
    }

    /// Request counts so far.
    pub fn requests(&self) -> RequestStats {
        self.sn.requests()
    }

    /// Warnings logged so far.
    pub fn warnings(&self) -> Vec<String> {
        self.logs
            .lock()
            .map(|l| {
                l.iter()
                    .filter(|(level, _)| *level == LogLevel::Warn)
                    .map(|(_, m)| m.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Creates one incident with `key` and returns its ticket.
    pub fn create(&self, sink: &mut SinkInstance, key: &str) -> Ticket {
        done(&one(sink, create(key))).clone()
    }
}

/// What reached the emulator, seen by a layer around its whole router (latency included), so
/// concurrency and order are measured where the instance would feel them: how many requests
/// it was answering at once, and every request in order of arrival.
#[derive(Debug, Clone, Default)]
pub struct Traffic(Arc<Seen>);

#[derive(Debug, Default)]
struct Seen {
    now: AtomicUsize,
    peak: AtomicUsize,
    arrivals: Mutex<Vec<String>>,
}

impl Traffic {
    fn wrap(&self, router: axum::Router) -> axum::Router {
        let seen = self.0.clone();
        router.layer(axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| {
                let seen = seen.clone();
                async move {
                    if let Ok(mut arrivals) = seen.arrivals.lock() {
                        arrivals.push(format!("{} {}", request.method(), request.uri()));
                    }
                    let _counted = InFlight::enter(seen);
                    next.run(request).await
                }
            },
        ))
    }

    /// The most requests answered at once since the last reset.
    pub fn peak(&self) -> usize {
        self.0.peak.load(Ordering::SeqCst)
    }

    /// Requests since the last reset, as `"METHOD /path?query"`, in order of arrival.
    pub fn arrivals(&self) -> Vec<String> {
        self.0
            .arrivals
            .lock()
            .map(|a| a.clone())
            .unwrap_or_default()
    }

    /// Starts counting afresh (after the health check, say).
    pub fn reset(&self) {
        self.0
            .peak
            .store(self.0.now.load(Ordering::SeqCst), Ordering::SeqCst);
        if let Ok(mut arrivals) = self.0.arrivals.lock() {
            arrivals.clear();
        }
    }
}

/// One request being answered; a guard, so a request whose connection drops still leaves.
struct InFlight(Arc<Seen>);

impl InFlight {
    fn enter(seen: Arc<Seen>) -> InFlight {
        let now = seen.now.fetch_add(1, Ordering::SeqCst) + 1;
        seen.peak.fetch_max(now, Ordering::SeqCst);
        InFlight(seen)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Requests between two snapshots: `(method, kind)` counts and the total.
pub struct Delta {
    before: RequestStats,
    after: RequestStats,
}

impl Delta {
    pub fn new(before: RequestStats, after: RequestStats) -> Self {
        Delta { before, after }
    }
    pub fn total(&self) -> u64 {
        self.after.total() - self.before.total()
    }
    pub fn count(&self, method: &str, kind: PathKind) -> u64 {
        self.after.count(method, kind) - self.before.count(method, kind)
    }
    pub fn status(&self, status: u16) -> u64 {
        self.after.with_status(status) - self.before.with_status(status)
    }
}

/// Runs `f` and returns its result with the requests it cost.
pub fn counting<T>(rig: &Rig, f: impl FnOnce() -> T) -> (T, Delta) {
    let before = rig.requests();
    let value = f();
    (value, Delta::new(before, rig.requests()))
}

/// Delivers one action.
pub fn one(sink: &mut SinkInstance, action: TicketAction) -> ActionOutcome {
    let mut outcomes = sink.deliver(vec![action]);
    assert_eq!(outcomes.len(), 1, "{outcomes:?}");
    outcomes.remove(0)
}

/// The ticket of a `Done`, or a panic that shows the outcome.
#[track_caller]
pub fn done(outcome: &ActionOutcome) -> &Ticket {
    match outcome {
        ActionOutcome::Done(ticket) => ticket,
        other => panic!("expected Done, got {other:?}"),
    }
}

/// The error of a `Failed`, or a panic that shows the outcome.
#[track_caller]
pub fn failed(outcome: &ActionOutcome) -> &PluginError {
    match outcome {
        ActionOutcome::Failed(error) => error,
        other => panic!("expected Failed, got {other:?}"),
    }
}

/// The fields the vendor add-on writes on a new incident (its `<TicketParameters>` defaults).
pub fn incident_fields() -> Fields {
    [
        (
            "short_description",
            "[Netwrix Auditor] ITSM Add-On: User Account Locked Out",
        ),
        ("description", "User CORP\\jdoe was locked out on DC01."),
        ("category", "software"),
        ("impact", "2"),
        ("urgency", "1"),
        ("assignment_group", SERVICE_DESK_SYS_ID),
        ("work_notes", "Alert Details: who=CORP\\jdoe where=DC01"),
    ]
    .into_iter()
    .collect()
}

pub fn create(key: &str) -> TicketAction {
    TicketAction::Create {
        correlation: Correlation {
            id: key.to_owned().into(),
            display: "sluice: ITSM Add-On: User Account Locked Out"
                .to_owned()
                .into(),
        },
        fields: incident_fields(),
    }
}

pub fn note(ticket: &str, text: &str) -> TicketAction {
    TicketAction::AddNote {
        ticket: ticket.to_owned().into(),
        journal: Journal::WorkNotes,
        text: text.to_owned(),
    }
}

pub fn comment(ticket: &str, text: &str) -> TicketAction {
    TicketAction::AddNote {
        ticket: ticket.to_owned().into(),
        journal: Journal::Comments,
        text: text.to_owned(),
    }
}

pub fn update(ticket: &str, pairs: &[(&str, &str)]) -> TicketAction {
    TicketAction::Update {
        ticket: ticket.to_owned().into(),
        fields: pairs.iter().copied().collect(),
    }
}

pub fn change(ticket: &str, change: StateChange) -> TicketAction {
    TicketAction::ChangeState {
        ticket: ticket.to_owned().into(),
        change,
    }
}

pub fn reopen(ticket: &str) -> TicketAction {
    change(ticket, StateChange::Reopen)
}

/// A resolve with a close code of the release's era ("Solved Remotely (Permanently)", or
/// "Workaround provided" where today's list applies).
pub fn resolve(ticket: &str, release: Release) -> TicketAction {
    change(
        ticket,
        StateChange::Resolve {
            close_code: era_close_code(release).to_owned(),
            close_notes: "Account unlocked by the service desk.".to_owned(),
        },
    )
}

/// A close code the release's default profile lists, other than the sink's default.
pub fn era_close_code(release: Release) -> &'static str {
    let profile = sluice_emulators::servicenow::Profile::for_release(release);
    if profile
        .close_codes
        .iter()
        .any(|c| c == "Solved Remotely (Permanently)")
    {
        "Solved Remotely (Permanently)"
    } else {
        "Workaround provided"
    }
}

pub fn get(ticket: &str) -> TicketAction {
    TicketAction::Get {
        ticket: ticket.to_owned().into(),
    }
}

pub fn find(key: &str) -> TicketAction {
    TicketAction::FindByCorrelation {
        correlation_id: key.to_owned().into(),
    }
}

pub fn attach(ticket: &str, file_name: &str, content_type: &str, content: &[u8]) -> TicketAction {
    TicketAction::Attach {
        ticket: ticket.to_owned().into(),
        file_name: file_name.to_owned(),
        content_type: content_type.to_owned(),
        content: content.to_vec(),
    }
}
