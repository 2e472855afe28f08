//! The pipeline, in data-flow order:
//!
//! ```text
//! intake ──► rules ──► suppression ──► mapping ──► delivery ──► sink
//! (fetch by   (filters,  (flood, consolidate,  (templates)  (outbox, retries,
//!  id, poll)   thresholds) update, reopen,                   reconciliation)
//!                          correlate)
//! ```
//!
//! Every stage reads and writes the state store; [`engine::Engine`] steps them on the host
//! clock. `spec` builds what a pipeline is from its settings; `observe` is how the engine
//! reports its calls without knowing who listens.

// What a pipeline is.
pub mod spec;

// The stages, in the order an alert meets them.
pub mod intake;

pub mod record;

pub mod rules;

pub mod filter;

pub mod suppression;

pub mod mapping;

pub mod template;

pub mod notes;

pub mod delivery;

pub mod pace;

// What steps them, and who hears of it.
pub mod engine;

pub mod observe;
