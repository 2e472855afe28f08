//! `sluice dead-letters list | show | requeue`: the ticket actions sluice gave up on
//! (`delivery.give_up_after` passed, or the sink refused them for good), what each carried and
//! why it died, and putting them back in the queue once the cause is fixed.
//!
//! It works on the state store only, like `sluice status`: no plugin is loaded and no secret
//! is needed. A requeued action is due at once; a running `sluice run` picks it up within a
//! second or two, a stopped one when it starts.

use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use serde_json::{json, Value};

use super::output::print;
use super::ticket_state::state_name;
use crate::cmd::{ConfigArg, GlobalArgs};
use crate::exit;
use sluice_core::store::alerts;
use sluice_core::store::dead_letters::{self, DeadLetter, RequeueError};
use sluice_core::{ActionId, ConfigFile, SecretResolver, Store, Timestamp};

/// Dead letters listed at most.
const LIST_LIMIT: usize = 1000;
/// Alerts of one dead letter shown at most.
const SHOW_ALERTS: usize = 50;

/// Arguments of `sluice dead-letters`.
#[derive(Debug, Args)]
pub struct DeadLettersArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// What to do.
    #[command(subcommand)]
    pub command: DeadLettersCommand,
}

/// The subcommands of `sluice dead-letters`.
#[derive(Debug, Subcommand)]
pub enum DeadLettersCommand {
    /// List the dead letters, newest first: id, pipeline, ticket, alerts, when and why.
    List {
        /// Only this pipeline's.
        #[arg(long, value_name = "NAME")]
        pipeline: Option<String>,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Show one dead letter: its ticket, its attempts, its last error and its alerts.
    Show {
        /// The dead letter's id (`list` prints it).
        id: i64,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Put dead letters back in the queue, to be sent again at once, with a fresh
    /// `give_up_after` (an open that was ever sent is looked up first, never created twice).
    /// Fix what made them fail first (`show` says what it was).
    Requeue {
        /// The dead letters' ids.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        ids: Vec<i64>,
        /// Every dead letter (of `--pipeline`, if given) that still carries alerts.
        #[arg(long)]
        all: bool,
        /// With `--all`: only this pipeline's.
        #[arg(long, value_name = "NAME", requires = "all")]
        pipeline: Option<String>,
    },
}

pub(crate) fn run(args: DeadLettersArgs, _global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let file = ConfigFile::load_with(&args.config.config, &SecretResolver::placeholders())?;
    let state = &file.config.state;
    if !state.path.exists() {
        bail!(
            "there is no state store at {} yet, so no dead letter: `sluice run` or `sluice \
             alert-response` creates it (the path is the config's state.path)",
            state.path.display()
        );
    }
    let mut store = Store::connect(state.location())
        .context("cannot open the state store to read its dead letters")?;
    let sinks = SinkTypes(&file);
    match args.command {
        DeadLettersCommand::List { pipeline, json } => {
            if let Some(name) = &pipeline {
                sinks.check(name, &args.config)?;
            }
            let letters = store.read(dead_letters::list(
                &store.db(),
                pipeline.as_deref(),
                LIST_LIMIT,
            ))?;
            let report: Vec<Value> = letters.iter().map(|l| letter_json(l, &sinks)).collect();
            if json {
                print(&format!("{}\n", json!({ "dead_letters": report })))?;
            } else {
                print(&human_list(&report))?;
            }
        }
        DeadLettersCommand::Show { id, json } => {
            let id = ActionId::new(id);
            let Some(letter) = store.read(dead_letters::get(&store.db(), id))? else {
                bail!(
                    "there is no dead letter {id} in {}; `sluice dead-letters list` lists them",
                    state.path.display()
                );
            };
            let (rows, total) = store.read(alerts::of_outbox(&store.db(), id, SHOW_ALERTS))?;
            let mut report = letter_json(&letter, &sinks);
            report["alerts_listed"] = rows
                .iter()
                .map(|a| {
                    json!({
                        "alert_id": a.id.get(),
                        "name": a.alert_name,
                        "auditor_alert_id": a.auditor_alert_id,
                        "record_id": a.record_id,
                        "received_at": time(a.received_at),
                    })
                })
                .collect();
            report["alerts"] = json!(total);
            if json {
                print(&format!("{report}\n"))?;
            } else {
                print(&human_show(&report))?;
            }
        }
        DeadLettersCommand::Requeue { ids, all, pipeline } => {
            if let Some(name) = &pipeline {
                sinks.check(name, &args.config)?;
            }
            return requeue(&mut store, ids, all, pipeline.as_deref());
        }
    }
    Ok(ExitCode::from(exit::OK))
}

/// Requeues `ids`, or every dead letter (of `pipeline`) with `all`; says what it did for each.
/// Exit 1 when one of the named ids could not be requeued.
fn requeue(
    store: &mut Store,
    ids: Vec<i64>,
    all: bool,
    pipeline: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let ids: Vec<ActionId> = if all {
        store
            .read(dead_letters::list(&store.db(), pipeline, usize::MAX >> 1))?
            .into_iter()
            .filter(|l| l.alerts > 0)
            .map(|l| l.action.id)
            .collect()
    } else {
        ids.into_iter().map(ActionId::new).collect()
    };
    if ids.is_empty() {
        print("No dead letter to requeue.\n")?;
        return Ok(ExitCode::from(exit::OK));
    }
    let now = Timestamp::now();
    let mut failed = 0;
    for id in ids {
        let result = store.write(|tx| match dead_letters::requeue(tx, id, now) {
            Err(RequeueError::Store(e)) => Err(e),
            other => Ok(other),
        })?;
        match result {
            Ok(letter) => {
                tracing::info!(
                    pipeline = %letter.pipeline, action = %id, alerts = letter.alerts,
                    "Requeued a dead letter by hand."
                );
                print(&format!(
                    "Requeued {id} ({} of {}, {} alert(s)) in pipeline {}; it is sent again at once.\n",
                    letter.kind(),
                    ticket_words(&letter),
                    letter.alerts,
                    letter.pipeline
                ))?;
            }
            Err(e) => {
                failed += 1;
                eprintln!("error: {e}");
            }
        }
    }
    Ok(ExitCode::from(if failed == 0 {
        exit::OK
    } else {
        exit::FAILURE
    }))
}

/// Each pipeline's sink type, to name ticket states.
struct SinkTypes<'a>(&'a ConfigFile);

impl SinkTypes<'_> {
    fn of(&self, pipeline: &str) -> &str {
        self.0
            .config
            .pipelines
            .get(pipeline)
            .map_or("", |p| p.sink.component.as_str())
    }

    fn check(&self, pipeline: &str, config: &ConfigArg) -> anyhow::Result<()> {
        if self.0.config.pipelines.contains_key(pipeline) {
            Ok(())
        } else {
            bail!(
                "the config {} has no pipeline named {pipeline:?}",
                config.config.display()
            )
        }
    }
}

/// `time` as an RFC 3339 time.
fn time(time: Timestamp) -> Value {
    jiff::Timestamp::from_millisecond(time.as_millis())
        .map_or(Value::Null, |t| Value::from(t.to_string()))
}

/// The ticket a letter acts on, for a sentence: `INC0010001`, or `a ticket not opened yet`.
fn ticket_words(letter: &DeadLetter) -> String {
    match &letter.ticket.number {
        Some(n) => format!("ticket {n}"),
        None => "a ticket not opened yet".to_owned(),
    }
}

fn letter_json(l: &DeadLetter, sinks: &SinkTypes<'_>) -> Value {
    let t = &l.ticket;
    json!({
        "id": l.action.id.get(),
        "pipeline": l.pipeline,
        "kind": l.kind(),
        "reopen": l.action.reopen,
        "alert": if t.alert_name.is_empty() { "(flood ticket)" } else { t.alert_name.as_str() },
        "ticket": {
            "number": t.number,
            "state": t.state,
            "state_name": t.state.as_deref().map(|s| state_name(sinks.of(&l.pipeline), s)),
            "link": t.link,
            "kind": t.kind.as_str(),
            "correlation_id": t.correlation_id,
        },
        "alerts": l.alerts,
        "attempts": l.action.attempts,
        "decided_at": time(l.action.created_at),
        "first_attempt_at": l.action.first_attempt_at.map_or(Value::Null, time),
        "given_up_at": l.given_up_at.map_or(Value::Null, time),
        "error": l.action.last_error,
    })
}

/// A JSON value as text: a string without its quotes, `-` for none.
fn text(v: &Value) -> String {
    match v {
        Value::Null => "-".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn human_list(report: &[Value]) -> String {
    if report.is_empty() {
        return "No dead letters: every ticket action was delivered or is still being tried.\n"
            .to_owned();
    }
    let mut out = format!(
        "{:>6}  {:<12} {:<7} {:<11} {:>6}  {:<20}  {}\n",
        "ID", "PIPELINE", "ACTION", "TICKET", "ALERTS", "GIVEN UP AT", "ALERT / ERROR"
    );
    for l in report {
        out.push_str(&format!(
            "{:>6}  {:<12} {:<7} {:<11} {:>6}  {:<20}  {}\n{:>8}{}\n",
            l["id"],
            text(&l["pipeline"]),
            text(&l["kind"]),
            text(&l["ticket"]["number"]),
            l["alerts"],
            text(&l["given_up_at"]),
            text(&l["alert"]),
            "",
            text(&l["error"]),
        ));
    }
    out.push_str(&format!(
        "\n{} dead letter(s). `sluice dead-letters show ID` shows one; `sluice dead-letters \
         requeue ID` sends it again once the cause is fixed.\n",
        report.len()
    ));
    out
}

fn human_show(l: &Value) -> String {
    let t = &l["ticket"];
    let state = match (t["state"].as_str(), t["state_name"].as_str()) {
        (Some(v), Some(name)) if v != name => format!("{name} ({v})"),
        (Some(v), _) => v.to_owned(),
        _ => "unknown".to_owned(),
    };
    let mut out = format!(
        "Dead letter {} in pipeline {}\n  Action:       {}{} of {} ticket for {}\n  Ticket:       {} (state {state}){}\n  \
         Correlation:  {}\n  Decided:      {}\n  First tried:  {}\n  Given up:     {} after {} attempt(s)\n  \
         Error:        {}\n  Alerts:       {}\n",
        l["id"],
        text(&l["pipeline"]),
        text(&l["kind"]),
        if l["reopen"] == true { " (with reopen)" } else { "" },
        text(&t["kind"]),
        text(&l["alert"]),
        t["number"].as_str().unwrap_or("not opened"),
        t["link"].as_str().map(|s| format!(", {s}")).unwrap_or_default(),
        text(&t["correlation_id"]),
        text(&l["decided_at"]),
        text(&l["first_attempt_at"]),
        text(&l["given_up_at"]),
        l["attempts"],
        text(&l["error"]),
        l["alerts"],
    );
    for a in l["alerts_listed"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "    {}  {}  record {}  received {}\n",
            a["alert_id"],
            text(&a["name"]),
            text(&a["record_id"]),
            text(&a["received_at"])
        ));
    }
    out
}
