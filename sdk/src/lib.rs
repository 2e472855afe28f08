//! # sluice-sdk
//!
//! The stable ABI between the sluice host and its plugins. A plugin is a `cdylib` that
//! provides named **sources** (which read [`Record`]s from a system such as Netwrix Auditor)
//! and **sinks** (which execute [`TicketAction`]s against a system such as ServiceNow). The
//! host loads plugins at start, checks that they speak its ABI, and drives them:
//!
//! ```text
//!  source plugin          host                                   sink plugin
//!  poll / fetch ──► records ──► rules ─► suppression ─► mapping ──► deliver(actions)
//!                                                                   ◄── one outcome each
//! ```
//!
//! Everything crosses the boundary in batches, through std-typed values converted once at the
//! edge; no abi_stable, tokio or reqwest type appears in this crate's API. Plugins do no IO of
//! their own: HTTP, logging and the clock come from the [`Host`] handed to their constructor.
//! A panic inside a plugin becomes an error ([`ErrorKind::Panicked`]), never an abort.
//!
//! Writing a plugin takes three steps: a config struct (serde + schemars), an implementation
//! of [`Source`] or [`Sink`], and one [`export_plugin!`] line. The guide,
//! [`guide`], walks through a complete sink.
//!
//! ```
//! use schemars::JsonSchema;
//! use serde::Deserialize;
//! use sluice_sdk::{ActionOutcome, Host, PluginError, Sink, Ticket, TicketAction};
//!
//! /// Config of the `counter` sink.
//! #[derive(Deserialize, JsonSchema)]
//! #[serde(deny_unknown_fields)]
//! struct CounterConfig {
//!     /// Prefix of the ticket numbers it invents.
//!     prefix: String,
//! }
//!
//! /// Counts actions instead of delivering them.
//! struct Counter { config: CounterConfig, seen: u64, host: Host }
//!
//! impl Sink for Counter {
//!     const NAME: &'static str = "counter";
//!     const DESCRIPTION: &'static str = "Counts ticket actions.";
//!     type Config = CounterConfig;
//!
//!     fn new(config: CounterConfig, host: Host) -> Result<Self, PluginError> {
//!         Ok(Counter { config, seen: 0, host })
//!     }
//!
//!     fn deliver(&mut self, actions: Vec<TicketAction>) -> Vec<ActionOutcome> {
//!         actions.into_iter().map(|_| {
//!             self.seen += 1;
//!             self.host.debug(format!("action {}", self.seen));
//!             ActionOutcome::Done(Ticket {
//!                 number: format!("{}{}", self.config.prefix, self.seen).into(),
//!                 ..Ticket::default()
//!             })
//!         }).collect()
//!     }
//! }
//!
//! sluice_sdk::export_plugin! { sinks: [Counter] }
//! # fn main() {
//! #     let plugin = in_process().unwrap();
//! #     assert_eq!(plugin.manifest().components[0].name, "counter");
//! # }
//! ```
//!
//! # The host side
//!
//! The host loads libraries with [`Plugin::load`], which refuses, with a short
//! [`LoadError`], a file that is not a sluice plugin or was built against another ABI.
//! [`Plugin::new_source`] and [`Plugin::new_sink`] build component instances from their
//! config and the host's [`Capabilities`].
//!
//! # Cargo features
//!
//! | feature | what it does | default |
//! |---|---|---|
//! | `__test_layout_drift` | internal: changes a type's layout, to test the loader's refusal | off |
//! | `__test_version_drift` | internal: claims another ABI version, to test the loader's refusal | off |

#![deny(missing_docs)]

// abi_stable's derives and `#[sabi_trait]` expand to `unsafe impl`s; nothing under `abi` is
// hand-written unsafe code.
#[allow(
    unsafe_code,
    unused_qualifications,
    non_local_definitions,
    missing_debug_implementations,
    clippy::mem_forget
)]
mod abi;
mod action;
mod component;
mod duration;
mod error;
mod export;
mod fields;
mod host;
mod http;
mod loader;
mod manifest;
mod record;
mod text;

pub mod guide;

pub use abi::ABI_VERSION;
pub use action::{ActionOutcome, Correlation, Journal, StateChange, Ticket, TicketAction};
pub use component::{Checkpoint, Sink, Source, SourceBatch};
pub use duration::{HumanDuration, ParseDurationError, MAX_DURATION};
pub use error::{ErrorKind, PluginError};
pub use fields::Fields;
pub use host::{Capabilities, Host, LogLevel};
pub use http::{
    retry_delay_until, AuthScheme, HttpAuth, HttpError, HttpErrorKind, HttpRequest, HttpResponse,
    Redirect, DEFAULT_TIMEOUT, MAX_RETRY_AFTER,
};
pub use loader::{LoadError, LoadErrorKind, Plugin, SinkInstance, SourceInstance};
pub use manifest::{ComponentInfo, ComponentKind, PluginManifest};
pub use record::{Detail, Record};
pub use text::Text;

/// The version of this crate, which plugins report in their manifest.
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");

/// What [`export_plugin!`] expands to. Not public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::abi::root::PluginModRef;
    pub use crate::export::glue::{root_module, Component, PluginDef};
    pub use abi_stable;

    /// Registry entry for a source (`sources: [...]` in `export_plugin!`).
    pub fn sources<S: crate::Source>() -> Component {
        Component::source::<S>()
    }

    /// Registry entry for a sink (`sinks: [...]` in `export_plugin!`).
    pub fn sinks<S: crate::Sink>() -> Component {
        Component::sink::<S>()
    }
}
