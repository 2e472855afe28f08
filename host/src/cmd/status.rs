//! `sluice status`: what the state store says of each pipeline: its queue, when it last
//! fetched and delivered, its flood window, the tickets still taking repeats, and recent
//! problems. It reads the store only (also while `sluice run` writes to it), loads no plugin,
//! contacts nothing and needs none of the service's secrets.

use std::fmt::Write;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;
use serde_json::{json, Value};

use super::output::print;
use super::ticket_state::state_name;
use crate::cmd::{ConfigArg, GlobalArgs};
use crate::exit;
use sluice_core::store::lease::{self, LeaseView};
use sluice_core::store::status::{self, OpenTickets, PipelineStatus};
use sluice_core::store::tickets::{FloodWindow, TicketRow};
use sluice_core::{ActionState, AlertState, Store, Timestamp};
use sluice_core::{ConfigFile, PipelineSettings, SecretResolver};

/// Arguments of `sluice status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Only this pipeline. Default: every pipeline of the config.
    #[arg(long, value_name = "NAME")]
    pub pipeline: Option<String>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// How the human form names the alert states waiting in the queue ([`AlertState::WAITING`]).
fn queue_words(state: AlertState) -> &'static str {
    match state {
        AlertState::Queued => "waiting for their record",
        AlertState::Ready => "to decide",
        AlertState::Action(ActionState::Collecting) => "collecting repeats",
        AlertState::Action(ActionState::Pending) => "to deliver",
        AlertState::Action(ActionState::InFlight) => "in flight",
        other => other.as_str(),
    }
}

pub(crate) fn run(args: StatusArgs, _global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let file = ConfigFile::load_with(&args.config.config, &SecretResolver::placeholders())?;
    // A shared store's URL holds its password: the one secret this command needs then.
    let file = match file.config.state.url {
        Some(_) => ConfigFile::load_with(&args.config.config, &SecretResolver::from_env())?,
        None => file,
    };
    let state = &file.config.state;
    if state.url.is_none() && !state.path.exists() {
        bail!(
            "there is no state store at {} yet: `sluice run` or `sluice alert-response` creates \
             it (the path is the config's state.path)",
            state.path.display()
        );
    }
    let store = Store::connect(state.location())
        .context("cannot open the state store to read the status")?;
    let pipelines: Vec<(&String, &PipelineSettings)> = match &args.pipeline {
        Some(name) => match file.config.pipelines.get_key_value(name) {
            Some(p) => vec![p],
            None => bail!(
                "the config {} has no pipeline named {name:?}",
                args.config.config.display()
            ),
        },
        None => file.config.pipelines.iter().collect(),
    };
    let now = Timestamp::now();
    let mut report = Vec::new();
    for (name, settings) in pipelines {
        let update_interval = settings.suppression.update_interval.get();
        let status = store.read(status::read(&store.db(), name, now, update_interval))?;
        report.push(pipeline_json(name, settings, &status, now));
    }
    let delivery = match store.is_postgres() {
        true => delivery_json(store.read(lease::current(&store.db()))?),
        false => Value::Null,
    };
    let report = json!({ "state": store.name(), "delivery": delivery, "pipelines": report });
    if args.json {
        print(&format!("{report}\n"))?;
    } else {
        print(&human(&report))?;
    }
    Ok(ExitCode::from(exit::OK))
}

/// Who delivers from a shared store: the lease's holder, since when, and whether it still
/// holds it.
fn delivery_json(view: Option<LeaseView>) -> Value {
    match view {
        None => json!({ "holder": null, "delivering": false }),
        Some(view) => json!({
            "holder": view.lease.holder,
            "delivering": view.is_live(),
            "epoch": view.lease.epoch.get(),
            "since": time(view.lease.acquired_at),
            "renewed_at": time(view.lease.renewed_at),
            "expires_at": time(view.lease.expires_at),
        }),
    }
}

/// `time` as an RFC 3339 time.
fn time(time: Timestamp) -> Value {
    jiff::Timestamp::from_millisecond(time.as_millis())
        .map_or(Value::Null, |t| Value::from(t.to_string()))
}

fn pipeline_json(
    name: &str,
    settings: &PipelineSettings,
    s: &PipelineStatus,
    now: Timestamp,
) -> Value {
    let queue: serde_json::Map<String, Value> = AlertState::WAITING
        .iter()
        .map(|state| (state.as_str().to_owned(), Value::from(s.alerts_in(*state))))
        .collect();
    let flood = s
        .flood_window
        .as_ref()
        .map(|(w, ticket)| flood_json(settings, w, ticket.as_ref(), now));
    let sink = settings.sink.component.as_str();
    let open: Vec<Value> = s
        .open_tickets
        .iter()
        .map(|o| open_tickets_json(o, sink))
        .collect();
    let (retrying, retrying_total) = &s.retrying;
    let retrying: Vec<Value> = retrying
        .iter()
        .map(|r| {
            json!({
                "alert": r.alert,
                "ticket": r.ticket,
                "attempts": r.attempts,
                "next_at": time(r.next_at),
                "error": r.error,
            })
        })
        .collect();
    let events: Vec<Value> = s
        .events
        .iter()
        .map(|(at, kind, message)| json!({ "at": time(*at), "kind": kind, "message": message }))
        .collect();
    json!({
        "name": name,
        "enabled": settings.enabled,
        "queue": queue,
        "alerts": {
            "done": s.alerts_in(AlertState::Action(ActionState::Done)),
            "dead": s.alerts_in(AlertState::Action(ActionState::Dead)),
            "ignored": s.alerts_in(AlertState::Ignored),
        },
        "last_fetch": s.last_fetch.map_or(Value::Null, time),
        "last_delivery": s.last_delivery.map_or(Value::Null, time),
        "flood_window": flood,
        "update_interval": settings.suppression.update_interval.to_string(),
        "open_tickets": open,
        "retrying": { "total": retrying_total, "newest": retrying },
        "recent_errors": events,
    })
}

/// The flood window `w` and its flood ticket, at `now`.
fn flood_json(
    settings: &PipelineSettings,
    w: &FloodWindow,
    ticket: Option<&TicketRow>,
    now: Timestamp,
) -> Value {
    let ends = w.started_at + settings.suppression.ticket_flood_interval.get();
    json!({
        "started_at": time(w.started_at),
        "ends_at": time(ends),
        "active": now < ends,
        "tickets": w.created,
        "limit": settings.suppression.ticket_flood_limit,
        "flood_ticket": ticket.and_then(|t| t.number.clone()),
    })
}

/// The tickets of one alert still taking repeats; `sink` is the pipeline's sink type, which
/// names the states.
fn open_tickets_json(o: &OpenTickets, sink: &str) -> Value {
    json!({
        "alert": o.alert,
        "kind": o.kind.as_str(),
        "tickets": o.count,
        "alerts": o.alerts,
        "newest": {
            "number": o.newest.number,
            "state": o.newest.state,
            "state_name": o.newest.state.as_deref().map(|v| state_name(sink, v)),
            "last_alert_at": time(o.newest.last_alert_at),
        },
    })
}

/// The report for people, from its JSON form (one source of truth for both).
fn human(report: &Value) -> String {
    let mut out = format!("State store: {}\n", text(&report["state"]));
    let d = &report["delivery"];
    if !d.is_null() {
        let line = match (d["holder"].as_str(), d["delivering"] == true) {
            (None, _) => "no host has delivered from this store yet".to_owned(),
            (Some(holder), true) => format!(
                "{holder}, since {} (lease epoch {}, renewed {})",
                text(&d["since"]),
                d["epoch"],
                text(&d["renewed_at"])
            ),
            (Some(holder), false) => format!(
                "none: the lease of {holder} ended at {}; a standby takes it within a second",
                text(&d["expires_at"])
            ),
        };
        let _ = writeln!(out, "Delivering:  {line}");
    }
    for p in report["pipelines"].as_array().into_iter().flatten() {
        human_pipeline(&mut out, p);
    }
    out
}

/// A JSON value as text: a string without its quotes.
fn text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

/// A time, or `never` when there is none.
fn or_never(v: &Value) -> String {
    if v.is_null() {
        "never".to_owned()
    } else {
        text(v)
    }
}

/// One pipeline's part of the report for people.
fn human_pipeline(out: &mut String, p: &Value) {
    let _ = writeln!(
        out,
        "\nPipeline {}{}",
        text(&p["name"]),
        if p["enabled"] == true {
            ""
        } else {
            " (disabled)"
        }
    );
    let queue: Vec<String> = AlertState::WAITING
        .iter()
        .map(|state| format!("{} {}", p["queue"][state.as_str()], queue_words(*state)))
        .collect();
    let _ = writeln!(out, "  Queue:          {}", queue.join(", "));
    let a = &p["alerts"];
    let _ = writeln!(
        out,
        "  Alerts handled: {} delivered, {} given up on, {} ignored (definition off){}",
        a["done"],
        a["dead"],
        a["ignored"],
        if a["dead"].as_u64().unwrap_or(0) > 0 {
            "; `sluice dead-letters list` shows what was given up on"
        } else {
            ""
        }
    );
    let _ = writeln!(out, "  Last fetch:     {}", or_never(&p["last_fetch"]));
    let _ = writeln!(out, "  Last delivery:  {}", or_never(&p["last_delivery"]));
    human_flood_window(out, &p["flood_window"]);
    human_open_tickets(out, p);
    human_retrying(out, &p["retrying"]);
    human_events(out, &p["recent_errors"]);
}

fn human_flood_window(out: &mut String, w: &Value) {
    if w.is_null() {
        let _ = writeln!(out, "  Flood window:   none yet");
        return;
    }
    let _ = writeln!(
        out,
        "  Flood window:   {} of {} tickets, {} to {}{}{}",
        w["tickets"],
        w["limit"],
        text(&w["started_at"]),
        text(&w["ends_at"]),
        if w["active"] == true {
            " (current)"
        } else {
            " (over)"
        },
        match w["flood_ticket"].as_str() {
            Some(n) => format!("; flood ticket {n}"),
            None => String::new(),
        }
    );
}

fn human_open_tickets(out: &mut String, p: &Value) {
    let _ = writeln!(
        out,
        "  Open tickets (taking repeats for {}):",
        text(&p["update_interval"])
    );
    let open = p["open_tickets"].as_array().cloned().unwrap_or_default();
    if open.is_empty() {
        let _ = writeln!(out, "    none");
    }
    for o in &open {
        let alert = if o["kind"] == "flood" {
            "(flood ticket)".to_owned()
        } else {
            text(&o["alert"])
        };
        let newest = &o["newest"];
        let _ = writeln!(
            out,
            "    {alert}: {} ticket(s), {} alert(s); newest {} (state {}), last alert {}",
            o["tickets"],
            o["alerts"],
            newest["number"].as_str().unwrap_or("not opened yet"),
            newest["state_name"].as_str().unwrap_or("unknown"),
            text(&newest["last_alert_at"])
        );
    }
}

fn human_retrying(out: &mut String, r: &Value) {
    let _ = writeln!(out, "  Retrying:       {} ticket action(s)", r["total"]);
    for item in r["newest"].as_array().into_iter().flatten() {
        let _ = writeln!(
            out,
            "    {} ({}): attempt {}, next at {}: {}",
            item["ticket"].as_str().unwrap_or("not opened yet"),
            text(&item["alert"]),
            item["attempts"],
            text(&item["next_at"]),
            text(&item["error"])
        );
    }
}

fn human_events(out: &mut String, events: &Value) {
    let events = events.as_array().cloned().unwrap_or_default();
    let _ = writeln!(
        out,
        "  Recent problems:{}",
        if events.is_empty() { " none" } else { "" }
    );
    for e in &events {
        let _ = writeln!(
            out,
            "    {} {}: {}",
            text(&e["at"]),
            text(&e["kind"]),
            text(&e["message"])
        );
    }
}
