//! The benchmarks' bench: the Auditor emulator with a generated data set on a loopback port,
//! and the host's real HTTP client on a runtime the benchmark owns.

// Shared by both benchmarks; each uses a part of it.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::SystemTime;

use sluice::plugin_host::{ComponentContext, HostCapabilities, HttpClient};
use sluice_core::{HttpSettings, SystemClock};
use sluice_emulators::auditor::{Auditor, AuditorConfig, DatasetConfig};
use sluice_emulators::Served;
use sluice_sdk::{Capabilities, HttpError, HttpRequest, HttpResponse, LogLevel};
use tokio::runtime::Runtime;

pub const USER: &str = r"CORP\svc-sluice";
pub const PASSWORD: &str = "sluice-demo";

/// The host's capabilities without its log output (warnings about the plain-http emulator
/// would only clutter the report).
pub struct Quiet(pub HostCapabilities);

impl Capabilities for Quiet {
    fn http(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        self.0.http(request)
    }
    fn log(&self, _: LogLevel, _: &str) {}
    fn now(&self) -> SystemTime {
        self.0.now()
    }
}

/// A served emulator.
pub struct Bench {
    pub auditor: Auditor,
    pub http: HttpClient,
    served: Option<Served>,
    runtime: Runtime,
}

impl Bench {
    pub fn new(records: usize) -> Bench {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let auditor = Auditor::new(AuditorConfig {
            dataset: Some(DatasetConfig {
                records,
                ..DatasetConfig::default()
            }),
            ..AuditorConfig::default()
        });
        let served = runtime
            .block_on(sluice_emulators::serve(
                auditor.router(),
                "127.0.0.1:0".parse().expect("an address"),
            ))
            .expect("the emulator serves");
        let http = HttpClient::new(&HttpSettings::default(), runtime.handle().clone(), "bench")
            .expect("an HTTP client");
        Bench {
            auditor,
            http,
            served: Some(served),
            runtime,
        }
    }

    pub fn base_url(&self) -> String {
        self.served
            .as_ref()
            .map(Served::base_url)
            .unwrap_or_default()
    }

    pub fn capabilities(&self) -> Arc<dyn Capabilities> {
        Arc::new(Quiet(HostCapabilities::new(
            self.http.clone(),
            Arc::new(SystemClock),
            ComponentContext {
                pipeline: "bench".to_owned(),
                plugin: "netwrix-auditor".to_owned(),
                component: "netwrix_auditor".to_owned(),
            },
        )))
    }
}

impl Drop for Bench {
    fn drop(&mut self) {
        if let Some(served) = self.served.take() {
            self.runtime.block_on(served.shutdown());
        }
    }
}
