//! The middleware suite (`tests/middleware/`) with the store on PostgreSQL: every test on a
//! throwaway server of its own, so the same rules, suppression, delivery and recovery are
//! checked on both databases the store can be kept in.

/// Where the suite's stores live.
const BACKEND: support::Backend = support::Backend::Postgres;

#[path = "../middleware/delivery.rs"]
mod delivery;
#[path = "../middleware/intake.rs"]
mod intake;
#[path = "../middleware/soak.rs"]
mod soak;
#[path = "../middleware/support.rs"]
mod support;
#[path = "../middleware/suppression.rs"]
mod suppression;
