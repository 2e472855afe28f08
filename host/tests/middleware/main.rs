//! The middleware, table-driven on a controlled clock: rules, flood suppression,
//! consolidation, update and reopen, correlation, mapping, delivery and recovery.
//!
//! ```text
//!  harness ──queue──► state store ◄──step()── Engine ──deliver──► MemorySink
//!     │                                         │ fetch/poll
//!     └── ManualClock (advance, never sleep) ───┘──────────────► MemorySource
//! ```

mod delivery;
mod intake;
mod soak;
mod support;
mod suppression;
