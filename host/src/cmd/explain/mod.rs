//! `sluice explain`: the operator's first question, "why did this make (no) ticket?",
//! answered for one activity record without writing anything: which alert definitions
//! select it and why (each filter field), what suppression would decide now (a new ticket,
//! an update or reopen of an open one, the flood ticket, or nothing), and the incident fields
//! or note it would send.
//!
//! The answer comes from the pipeline's own code: its filter evaluator, its `Suppression`
//! run on the real state store in a transaction that is rolled back, and its ticket
//! template. The record is fetched by id from the pipeline's source (`--rid`), or read from a
//! file (`--file`: Auditor's CSV, or an activity record in the Integration API's JSON form).

mod decide;
mod input;
mod report;
mod rules;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;
use serde_json::{json, Value};
use sluice_core::store::alerts::Origin;
use sluice_core::{build_spec, ConfigErrors, ConfigFile, PipelineSpec, RecordView};
use sluice_core::{SecretResolver, Store, Timestamp};
use sluice_sdk::Record;

use super::output::print;
use crate::cmd::{ConfigArg, GlobalArgs};
use crate::exit;
use crate::runtime::config_and_plugins;
use decide::Candidate;

/// Arguments of `sluice explain`.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("record").required(true).args(["rid", "file"]))]
pub struct ExplainArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// The pipeline. Default: the config's only enabled pipeline.
    #[arg(long, value_name = "NAME")]
    pub pipeline: Option<String>,
    /// The activity record's id (the RecordID Auditor passes to the response action): fetched
    /// from the pipeline's source, so the source's secrets must be set.
    #[arg(long, value_name = "RID")]
    pub rid: Option<String>,
    /// A file holding the record: a .csv as Auditor's response action writes it, or JSON in
    /// the Integration API's form.
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Explain the record as the response action of this alert (what Auditor passes as
    /// --alert-name). Default: as polling does, against every alert definition.
    #[arg(long, value_name = "NAME")]
    pub alert_name: Option<String>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

pub(crate) fn run(args: ExplainArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let path = &args.config.config;
    let plugins = || config_and_plugins(path, &global.plugin_dirs);
    let (file, records) = match (&args.rid, &args.file) {
        (Some(rid), _) => {
            let (file, registry) = plugins()?;
            let name = pipeline_name(&file, args.pipeline.as_deref())?;
            let record = input::fetch(&registry, &file, &name, rid)?;
            (file, vec![record])
        }
        (None, Some(records_file)) => {
            let file = ConfigFile::load_with(path, &SecretResolver::placeholders())?;
            let name = pipeline_name(&file, args.pipeline.as_deref())?;
            let mut source = None;
            let records = input::read_file(records_file, |rid| {
                if source.is_none() {
                    source = Some(plugins()?);
                }
                let (file, registry) = source.as_ref().context("the source is not loaded")?;
                input::fetch(registry, file, &name, rid)
            })?;
            (file, records)
        }
        (None, None) => bail!("pass --rid RID or --file FILE"),
    };
    let name = pipeline_name(&file, args.pipeline.as_deref())?;
    let settings = &file.config.pipelines[&name];
    let spec = build_spec(&file, &name, settings).map_err(ConfigErrors)?;
    let (mut store, store_note) = open_store(&file)?;
    let now = Timestamp::now();
    let mut explained = Vec::with_capacity(records.len());
    for record in &records {
        explained.push(explain(
            &mut store,
            &spec,
            record,
            args.alert_name.as_deref(),
            now,
        )?);
    }
    let report = json!({
        "pipeline": name,
        "polls": settings.intake.poll,
        "response_action": settings.intake.response_action,
        "state": file.config.state.path,
        "state_note": store_note,
        "at": jiff::Timestamp::from_millisecond(now.as_millis()).map(|t| t.to_string()).ok(),
        "written": false,
        "records": explained,
    });
    if args.json {
        print(&format!("{report}\n"))?;
    } else {
        print(&report::human(&report))?;
    }
    Ok(ExitCode::from(exit::OK))
}

/// The pipeline to explain for: `asked`, or the only enabled one.
fn pipeline_name(file: &ConfigFile, asked: Option<&str>) -> anyhow::Result<String> {
    let pipelines = &file.config.pipelines;
    if let Some(name) = asked {
        if pipelines.contains_key(name) {
            return Ok(name.to_owned());
        }
        bail!(
            "the config {} has no pipeline named {name:?}; it has {}",
            file.path().display(),
            names(pipelines.keys())
        );
    }
    let enabled: Vec<&String> = pipelines
        .iter()
        .filter(|(_, p)| p.enabled)
        .map(|(n, _)| n)
        .collect();
    match enabled.as_slice() {
        [one] => Ok((*one).clone()),
        [] => bail!("the config has no enabled pipeline; name one with --pipeline"),
        many => bail!(
            "the config has {} enabled pipelines ({}); say which with --pipeline NAME",
            many.len(),
            names(many.iter().copied())
        ),
    }
}

fn names<'a>(names: impl Iterator<Item = &'a String>) -> String {
    names
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The state store, opened for reading and for rolled-back dry runs; with no store yet, an
/// empty one in memory, and a note that says so.
fn open_store(file: &ConfigFile) -> anyhow::Result<(Store, Option<&'static str>)> {
    let state = &file.config.state;
    if state.path.exists() {
        let store = Store::connect(state.location())
            .context("cannot open the state store to ask what suppression would decide")?;
        return Ok((store, None));
    }
    let store = Store::open(std::path::Path::new(":memory:"), state.durability)
        .context("cannot open an empty state store in memory")?;
    Ok((
        store,
        Some("there is no state store yet: decided as for the first alert sluice sees"),
    ))
}

/// The explanation of one record.
fn explain(
    store: &mut Store,
    spec: &PipelineSpec,
    record: &Record,
    alert_name: Option<&str>,
    now: Timestamp,
) -> anyhow::Result<Value> {
    let view = RecordView::new(record);
    let verdicts = rules::verdicts(spec.alerts.all(), &view, now);
    let origin = if alert_name.is_some() || !spec.settings.intake.poll {
        Origin::ResponseAction
    } else {
        Origin::Poll
    };
    let mut suppressed = Vec::new();
    let candidates: Vec<Candidate<'_>> = match alert_name {
        Some(name) if spec.alerts.is_disabled(name) => {
            suppressed.push(json!({
                "alert": name,
                "decision": "suppressed",
                "explanation": "its alert definition is disabled (enabled = false): the alert \
                                is ignored, no ticket is opened or updated",
            }));
            Vec::new()
        }
        Some(name) => vec![Candidate { name, origin }],
        None => verdicts
            .iter()
            .filter(|v| v.raises())
            .map(|v| Candidate {
                name: &v.definition.name,
                origin,
            })
            .collect(),
    };
    let mut alerts = if candidates.is_empty() {
        Vec::new()
    } else {
        decide::decide(store, spec, record, &candidates, now)?
    };
    alerts.extend(suppressed);
    Ok(json!({
        "record": record_json(record),
        "alert_name": alert_name,
        "definition_known": alert_name.map(|n| spec.alerts.get(n).is_some()),
        "definitions": verdicts.iter().map(rules::Verdict::to_json).collect::<Vec<_>>(),
        "alerts": alerts,
    }))
}

fn record_json(record: &Record) -> Value {
    let fields: serde_json::Map<String, Value> = record
        .fields
        .iter()
        .map(|(k, v)| (k.to_owned(), Value::from(v)))
        .collect();
    json!({
        "id": record.id,
        "fields": fields,
        "details": record.details.iter().map(|d| json!({
            "property": d.property, "before": d.before, "after": d.after, "message": d.message,
        })).collect::<Vec<_>>(),
    })
}
