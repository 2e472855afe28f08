//! `sluice emulate auditor|servicenow`: serve an emulator of an external system on a port,
//! for trying sluice without a Netwrix Auditor or a ServiceNow instance.
//!
//! The emulators are the ones every test runs against (`sluice-emulators`), held to the
//! vendors' documentation and recorded exchanges. The Auditor emulator starts with a few
//! sample records (`samples.rs`) and prints their ids, to try a response action by hand.

mod samples;

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use sluice_emulators::auditor::{Auditor, AuditorConfig, DatasetConfig};
use sluice_emulators::servicenow::{Release, ServiceNow, ServiceNowConfig};

use super::output::{print, print_line};
use crate::cmd::GlobalArgs;
use crate::exit;

/// Arguments of `sluice emulate`.
#[derive(Debug, Args)]
pub struct EmulateArgs {
    /// Which system.
    #[command(subcommand)]
    pub system: EmulatedSystem,
}

/// The systems sluice can emulate.
#[derive(Debug, Subcommand)]
pub enum EmulatedSystem {
    /// The Netwrix Auditor Integration API (`/netwrix/api/v1/activity_records/...`).
    Auditor(AuditorArgs),
    /// The ServiceNow Table and Attachment APIs of one release.
    Servicenow(ServiceNowArgs),
}

/// Arguments of `sluice emulate auditor`.
#[derive(Debug, Args)]
pub struct AuditorArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9699")]
    pub listen: SocketAddr,
    /// The account clients must log in with (HTTP Basic).
    #[arg(long, default_value = r"CORP\svc-sluice")]
    pub username: String,
    /// Its password.
    #[arg(long, default_value = "sluice-demo")]
    pub password: String,
    /// Generate this many realistic activity records at start.
    #[arg(long, default_value_t = 0)]
    pub records: usize,
    /// Seed of the generated records (the same seed gives the same records).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Fault modes, as JSON (latency, 503s, dropped connections, truncated bodies, an endless
    /// continuation mark), e.g. `{"latency_ms":200,"unavailable_next":3}`.
    #[arg(long, value_name = "JSON")]
    pub faults: Option<String>,
}

/// Arguments of `sluice emulate servicenow`.
#[derive(Debug, Args)]
pub struct ServiceNowArgs {
    /// The release to behave as, Helsinki to Brazil: helsinki, …, london, madrid, …,
    /// washingtondc (or "washington dc"), …, zurich, australia, brazil.
    #[arg(long, default_value = "london")]
    pub release: String,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The API user (HTTP Basic, and the OAuth password grant).
    #[arg(long, default_value = "sluice")]
    pub username: String,
    /// Its password.
    #[arg(long, default_value = "sluice")]
    pub password: String,
    /// Fault modes, as JSON (latency, 5xx, dropped connections, ambiguous POSTs, 429), e.g.
    /// `{"latency_ms":5,"server_error":{"next":2}}`.
    #[arg(long, value_name = "JSON")]
    pub faults: Option<String>,
}

pub(crate) fn run(args: EmulateArgs, _global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new()?;
    let (router, listen, what) = match args.system {
        EmulatedSystem::Auditor(a) => {
            let mut config = AuditorConfig {
                username: a.username.clone(),
                password: a.password,
                ..AuditorConfig::default()
            };
            if a.records > 0 {
                config.dataset = Some(DatasetConfig {
                    seed: a.seed,
                    records: a.records,
                    ..DatasetConfig::default()
                });
            }
            if let Some(json) = &a.faults {
                config.faults =
                    serde_json::from_str(json).context("--faults is not valid fault JSON")?;
            }
            let auditor = Auditor::new(config);
            let samples = samples::store(&auditor);
            let what = format!(
                "Netwrix Auditor Integration API emulator, {} records, user {}",
                auditor.records().len(),
                a.username
            );
            let what = (what, Some(samples::describe(&samples)));
            (auditor.router(), a.listen, what)
        }
        EmulatedSystem::Servicenow(s) => {
            let release: Release = s.release.parse().map_err(anyhow::Error::new)?;
            let config = ServiceNowConfig {
                username: s.username.clone(),
                password: s.password,
                ..ServiceNowConfig::for_release(release)
            };
            let servicenow = ServiceNow::new(config);
            if let Some(json) = &s.faults {
                servicenow.set_faults(
                    serde_json::from_str(json).context("--faults is not valid fault JSON")?,
                );
            }
            let what = (
                format!("ServiceNow {release} emulator, user {}", s.username),
                None,
            );
            (servicenow.router(), s.listen, what)
        }
    };
    runtime.block_on(async move {
        let served = sluice_emulators::serve(router, listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let (what, samples) = what;
        print_line(&format!("{what}: {}", served.base_url()))?;
        if let Some(samples) = samples {
            print(&samples)?;
        }
        print_line("Press Ctrl-C to stop.")?;
        let _ = tokio::signal::ctrl_c().await;
        served.shutdown().await;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::from(exit::OK))
}
