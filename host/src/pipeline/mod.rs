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
//! clock.

pub mod delivery;
pub mod engine;
pub mod filter;
pub mod intake;
pub mod mapping;
pub mod notes;
pub mod pace;
pub mod record;
pub mod rules;
pub mod suppression;
pub mod template;
