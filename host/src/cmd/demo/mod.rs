//! `sluice demo`: the whole product in one command, with nothing to set up and no network
//! beyond loopback.
//!
//! It starts both emulators on loopback ports, writes a config for two pipelines (one fed by
//! Netwrix Auditor's response action, one polling the Integration API), installs the shipped
//! alert set with `sluice alerts upload`, builds the pipelines with the real plugins, and plays
//! a story on a manual clock ([`scenario`]): a lockout reported through `sluice
//! alert-response`, a burst of Domain Admins changes, a password spray that floods the alert
//! set, and a repeat after the service desk resolved the ticket. Then it reports what sluice
//! did ([`report`]) and exits 0.

mod report;
mod scenario;
mod stage;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sluice_emulators::servicenow::{Release, UnknownRelease};

use self::report::Report;
use self::scenario::ACTS;
use self::stage::Stage;
use super::output::{print, print_line};
use crate::cmd::GlobalArgs;
use crate::exit;

/// Arguments of `sluice demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Print the report as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// The ServiceNow release to emulate, Helsinki to Brazil: helsinki, …, london, madrid, …,
    /// washingtondc (or "washington dc"), xanadu, yokohama, zurich, australia, brazil.
    #[arg(long, default_value = "london", value_parser = parse_release)]
    pub release: Release,
    /// Keep the demo's config, alert files and state store in this new or empty directory
    /// (default: a temporary directory, removed at the end).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Also write the run's metrics to this file, as `sluice run`'s `/metrics` endpoint
    /// serves them (Prometheus text format).
    #[arg(long, value_name = "FILE")]
    pub metrics: Option<PathBuf>,
}

fn parse_release(text: &str) -> Result<Release, String> {
    text.parse().map_err(|e: UnknownRelease| e.to_string())
}

pub(crate) fn run(args: DemoArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let progress = if global.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::with_draw_target(Some(ACTS.len() as u64), ProgressDrawTarget::stderr())
    };
    progress.set_style(
        ProgressStyle::with_template("{spinner} [{bar:24}] {pos}/{len} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    progress.enable_steady_tick(std::time::Duration::from_millis(120));

    let mut stage = Stage::new(args.dir.as_deref(), args.release)?;
    let played = scenario::play(&mut stage, global, &progress);
    progress.finish_and_clear();
    played?;
    let report = Report::read(&stage, args.dir.is_some())?;
    if let Some(path) = &args.metrics {
        std::fs::write(path, stage.render_metrics()?)
            .with_context(|| format!("cannot write the metrics to {}", path.display()))?;
    }
    stage.shut_down();

    if args.json {
        print_line(&serde_json::to_string_pretty(&report)?)?;
    } else {
        print(&report.render())?;
    }
    Ok(ExitCode::from(exit::OK))
}
