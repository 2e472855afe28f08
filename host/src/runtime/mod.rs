//! The running host: each enabled pipeline built from config and run by its engine on a
//! thread of its own (`running.rs`), until a stop is asked for (`stop.rs`); the config in
//! force, reloaded on SIGHUP or when its files change (`host.rs`, `events.rs`, `watch.rs`).
//!
//! A stop (SIGTERM, SIGINT, or a reload replacing the pipeline) lets each pipeline finish the
//! batch it is in (a batch ends after its sink call) and then returns; nothing is half-done,
//! because every batch commits what it confirmed and leaves the rest queued. A step still
//! running when the drain limit expires is abandoned at exit: what it sent is reconciled at
//! the next start. A reload never abandons one: the pipeline's new engine starts once the old
//! one has returned.

mod events;
mod host;
pub(crate) mod inputs;
mod leadership;
mod prepare;
mod running;
mod wakeup;
mod watch;

pub use events::{listen, Event};
pub use host::{Host, HostOptions, StartError};
pub(crate) use prepare::{config_and_plugins, config_with_plugins, load_plugins};
pub use watch::ConfigWatch;
