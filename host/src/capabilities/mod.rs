//! What the host offers plugins ([`sluice_sdk::Capabilities`]): HTTP through one reqwest
//! client per component (`http.rs`), with one TLS setup (`tls.rs`: roots, `ca_file`, a pinned
//! certificate, `certificate.rs`) and connections kept for NTLM and Negotiate
//! (`windows_auth/`), logging into the host's tracing output under the plugin's
//! name, and the host clock.

mod certificate;
mod failure;
mod http;
mod setup;
mod tls;
mod windows_auth;

use std::sync::Arc;
use std::time::SystemTime;

use sluice_core::Clock;
use sluice_sdk::{Capabilities, HttpError, HttpRequest, HttpResponse, LogLevel};

pub(crate) use http::install_crypto_provider;
pub use http::HttpClient;

/// Who is calling: the names every plugin log line carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentContext {
    /// The pipeline the component belongs to.
    pub pipeline: String,
    /// The plugin's name.
    pub plugin: String,
    /// The component's name.
    pub component: String,
}

/// The capabilities one component instance gets.
#[derive(Debug, Clone)]
pub struct HostCapabilities {
    http: HttpClient,
    clock: Arc<dyn Clock>,
    context: ComponentContext,
}

impl HostCapabilities {
    /// Capabilities for the component described by `context`.
    pub fn new(http: HttpClient, clock: Arc<dyn Clock>, context: ComponentContext) -> Self {
        HostCapabilities {
            http,
            clock,
            context,
        }
    }
}

impl Capabilities for HostCapabilities {
    fn http(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        self.http.execute(request)
    }

    fn log(&self, level: LogLevel, message: &str) {
        let ComponentContext {
            pipeline,
            plugin,
            component,
        } = &self.context;
        // `tracing` needs the level at compile time, hence one arm per level.
        match level {
            LogLevel::Error => {
                tracing::error!(target: "sluice::plugin", %pipeline, %plugin, %component, "{message}")
            }
            LogLevel::Warn => {
                tracing::warn!(target: "sluice::plugin", %pipeline, %plugin, %component, "{message}")
            }
            LogLevel::Info => {
                tracing::info!(target: "sluice::plugin", %pipeline, %plugin, %component, "{message}")
            }
            LogLevel::Debug => {
                tracing::debug!(target: "sluice::plugin", %pipeline, %plugin, %component, "{message}")
            }
            _ => {
                tracing::trace!(target: "sluice::plugin", %pipeline, %plugin, %component, "{message}")
            }
        }
    }

    fn now(&self) -> SystemTime {
        self.clock.now()
    }
}
