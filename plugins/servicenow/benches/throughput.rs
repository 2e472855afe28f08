//! How fast and how economical the sink is against the ServiceNow emulator over loopback.
//!
//! Two parts:
//!
//! 1. **Request economy** (printed first, not timed): HTTP requests per ticket action, counted
//!    by the emulator — creates, consolidated updates, reopens, attachments.
//! 2. **Throughput** (criterion): incidents created per second, and consolidated updates
//!    (work note + update + resolve in one PATCH) per second, through the real ABI path and the
//!    host's HTTP client, as in production.
//!
//! Run with `cargo bench -p sluice-sink-servicenow`; numbers are recorded in the README.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use criterion::{Criterion, Throughput};
use serde_json::json;
use sluice::plugin_host::{ComponentContext, HostCapabilities, HttpClient};
use sluice_core::{HttpSettings, SystemClock};
use sluice_emulators::servicenow::{Release, ServiceNow, ServiceNowConfig};
use sluice_emulators::Served;
use sluice_sdk::{
    ActionOutcome, Correlation, Journal, SinkInstance, StateChange, Ticket, TicketAction,
};
use tokio::runtime::Runtime;

/// An emulated London instance and a health-checked sink pointed at it.
struct Rig {
    sn: ServiceNow,
    sink: SinkInstance,
    _served: Served,
    _runtime: Runtime,
}

impl Rig {
    fn new() -> Rig {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let sn = ServiceNow::new(ServiceNowConfig::for_release(Release::London));
        let served = runtime
            .block_on(sluice_emulators::serve(
                sn.router(),
                "127.0.0.1:0".parse().expect("an address"),
            ))
            .expect("the emulator listens");
        let http = HttpClient::new(&HttpSettings::default(), runtime.handle().clone(), "bench")
            .expect("a client");
        let capabilities = HostCapabilities::new(
            http,
            Arc::new(SystemClock),
            ComponentContext {
                pipeline: "bench".to_owned(),
                plugin: "servicenow".to_owned(),
                component: "servicenow".to_owned(),
            },
        );
        let config = json!({
            "endpoint": served.base_url(),
            "release": "london",
            "username": "sluice",
            "password": "sluice",
        });
        let plugin = sluice_sink_servicenow::in_process().expect("registers");
        let mut sink = plugin
            .new_sink("servicenow", &config, Arc::new(capabilities))
            .expect("builds");
        sink.healthcheck().expect("healthy");
        Rig {
            sn,
            sink,
            _served: served,
            _runtime: runtime,
        }
    }

    /// Requests the emulator served while `f` ran.
    fn cost<T>(&mut self, f: impl FnOnce(&mut SinkInstance) -> T) -> (T, u64) {
        let before = self.sn.requests().total();
        let value = f(&mut self.sink);
        (value, self.sn.requests().total() - before)
    }
}

fn create(n: u64) -> TicketAction {
    TicketAction::Create {
        correlation: Correlation {
            id: format!("bench:{n}").into(),
            display: "sluice bench".to_owned().into(),
        },
        fields: [
            (
                "short_description",
                "[Netwrix Auditor] User Account Locked Out",
            ),
            ("description", "User CORP\\jdoe was locked out on DC01."),
            ("impact", "2"),
            ("urgency", "2"),
            ("work_notes", "Alert Details: who=CORP\\jdoe where=DC01"),
        ]
        .into_iter()
        .collect(),
    }
}

fn note(id: &str) -> TicketAction {
    TicketAction::AddNote {
        ticket: id.to_owned().into(),
        journal: Journal::WorkNotes,
        text: "The alert fired again.".to_owned(),
    }
}

fn ticket(outcome: &ActionOutcome) -> Ticket {
    match outcome {
        ActionOutcome::Done(t) | ActionOutcome::Unchanged(t) => t.clone(),
        other => panic!("unexpected outcome {other:?}"),
    }
}

/// Prints the requests each kind of ticket action costs.
fn economy() {
    let mut rig = Rig::new();
    let mut rows: Vec<(&str, usize, u64)> = Vec::new();

    let (outcomes, n) = rig.cost(|s| s.deliver((0..10).map(create).collect()));
    rows.push(("create (10 in one batch)", outcomes.len(), n));
    let id = ticket(&outcomes[0]).id;

    let (outcomes, n) = rig.cost(|s| {
        s.deliver(vec![
            note(&id),
            TicketAction::Update {
                ticket: id.clone(),
                fields: [("urgency", "1")].into_iter().collect(),
            },
            TicketAction::ChangeState {
                ticket: id.clone(),
                change: StateChange::Resolve {
                    close_code: "Solved (Permanently)".to_owned(),
                    close_notes: "Unlocked.".to_owned(),
                },
            },
        ])
    });
    rows.push(("note + update + resolve (one run)", outcomes.len(), n));

    let (_, _) = rig.cost(|s| s.deliver(vec![TicketAction::Get { ticket: id.clone() }]));
    let reopen = TicketAction::ChangeState {
        ticket: id.clone(),
        change: StateChange::Reopen,
    };
    let (outcomes, n) = rig.cost(|s| s.deliver(vec![note(&id), reopen.clone()]));
    rows.push(("note + reopen, ticket seen resolved", outcomes.len(), n));

    let (outcomes, n) = rig.cost(|s| s.deliver(vec![note(&id), reopen.clone()]));
    rows.push(("note + reopen, ticket open (Unchanged)", outcomes.len(), n));

    rig.sn.set_state(&id, "6");
    let (outcomes, n) = rig.cost(|s| s.deliver(vec![note(&id), reopen.clone()]));
    rows.push((
        "note + reopen, resolved unseen by the sink",
        outcomes.len(),
        n,
    ));

    let (outcomes, n) = rig.cost(|s| {
        s.deliver(
            (0..3)
                .map(|i| TicketAction::Attach {
                    ticket: id.clone(),
                    file_name: format!("records-{i}.csv"),
                    content_type: "text/csv".to_owned(),
                    content: vec![b'x'; 16 * 1024],
                })
                .collect(),
        )
    });
    rows.push(("attach (3 files of 16 KiB)", outcomes.len(), n));

    let (outcomes, n) = rig.cost(|s| {
        s.deliver(vec![TicketAction::FindByCorrelation {
            correlation_id: "bench:3".to_owned().into(),
        }])
    });
    rows.push(("find by correlation", outcomes.len(), n));

    println!("\nHTTP requests per ticket action (London emulator, loopback)\n");
    println!("| actions | count | requests | per action |");
    println!("|---|---|---|---|");
    for (what, actions, requests) in rows {
        println!(
            "| {what} | {actions} | {requests} | {:.2} |",
            requests as f64 / actions as f64
        );
    }
    println!();
}

/// Times `iters` rounds of `round` on a fresh instance (set up untimed), so every sample starts
/// from an empty store: the emulator keeps rows in vectors and scans them, and a store grown by
/// thousands of earlier iterations would be what got measured.
fn fresh<T>(iters: u64, mut round: impl FnMut(&mut SinkInstance, u64, &str) -> T) -> Duration {
    let mut rig = Rig::new();
    let id = ticket(&rig.sink.deliver(vec![create(0)])[0]).id;
    let started = Instant::now();
    for i in 0..iters {
        std::hint::black_box(round(&mut rig.sink, i + 1, &id));
    }
    started.elapsed()
}

fn throughput(c: &mut Criterion) {
    let mut group = c.benchmark_group("servicenow");
    group.throughput(Throughput::Elements(1));
    group.bench_function("create one incident per deliver", |b| {
        b.iter_custom(|iters| {
            fresh(iters, |sink, i, _| {
                ticket(&sink.deliver(vec![create(i)])[0])
            })
        })
    });
    group.throughput(Throughput::Elements(10));
    group.bench_function("create ten incidents per deliver", |b| {
        b.iter_custom(|iters| {
            fresh(iters, |sink, i, _| {
                sink.deliver((0..10).map(|k| create(i * 10 + k)).collect())
            })
        })
    });
    group.throughput(Throughput::Elements(1));
    group.bench_function(
        "consolidated update (note + update + set) in one PATCH",
        |b| {
            b.iter_custom(|iters| {
                fresh(iters, |sink, _, id| {
                    let outcomes = sink.deliver(vec![
                        note(id),
                        TicketAction::Update {
                            ticket: id.to_owned().into(),
                            fields: [("urgency", "2")].into_iter().collect(),
                        },
                        TicketAction::ChangeState {
                            ticket: id.to_owned().into(),
                            change: StateChange::set("2"),
                        },
                    ]);
                    ticket(&outcomes[2])
                })
            })
        },
    );
    group.throughput(Throughput::Elements(1));
    group.bench_function("attach a 16 KiB file", |b| {
        b.iter_custom(|iters| {
            fresh(iters, |sink, i, id| {
                let outcomes = sink.deliver(vec![TicketAction::Attach {
                    ticket: id.to_owned().into(),
                    file_name: format!("records-{i}.csv"),
                    content_type: "text/csv".to_owned(),
                    content: vec![b'x'; 16 * 1024],
                }]);
                ticket(&outcomes[0])
            })
        })
    });
    group.finish();
}

fn main() {
    let started = SystemTime::now();
    economy();
    let mut c = Criterion::default()
        .sample_size(20)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .configure_from_args();
    throughput(&mut c);
    c.final_summary();
    if let Ok(took) = started.elapsed() {
        println!("(bench ran {:.0}s)", took.as_secs_f64());
    }
}
