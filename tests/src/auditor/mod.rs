//! Emulator of the Netwrix Auditor Integration API, held to Netwrix's documentation of its
//! endpoints, records and search filters, never to any client of ours.
//!
//! [`Auditor`] owns the state; [`Auditor::router`] returns the axum [`Router`] that `sluice
//! emulate auditor`, `sluice demo` and the tests mount with [`crate::serve`].
//!
//! # Endpoints
//!
//! | Method | Path under `/netwrix/api/v1/` | Body |
//! |---|---|---|
//! | GET | `activity_records/enum` | none: the first page |
//! | POST | `activity_records/enum` | the mark: `<ContinuationMark xmlns=…>` or a bare JSON string |
//! | POST | `activity_records/search` | `ActivityRecordSearch` / `{"FilterList":…}`, plus the mark on later pages |
//! | POST | `activity_records/` (and without the slash, a switch) | `ActivityRecordList` / a bare JSON array |
//!
//! XML is the default; `?format=json` switches request and response to JSON. `count=N` sets
//! the page size (default 1000). Every endpoint needs the configured account, by NTLM
//! (NTLMv2), Negotiate (SPNEGO carrying NTLM) or HTTP Basic, each a switch of
//! [`Behaviour`]; NTLM and Negotiate authenticate the connection. [`SelfSigned`] and
//! [`crate::serve_tls`] serve it over HTTPS with a self-signed certificate, as Auditor does by
//! default.
//!
//! # What the responses look like
//!
//! - Pages: 200, `application/xml` (`ActivityRecordList` with `ContinuationMark` first) or
//!   `application/json` (`{"ActivityRecordList":[…],"ContinuationMark":"…"}`). The data ends
//!   with an empty page, which carries a mark unless [`Behaviour::mark_on_last_page`] is off.
//!   Records come in insertion order ([`Behaviour::order`]); clients must not rely on any order.
//! - Writes: 200, empty, `text/plain`. Records get a RID, `DataSource` "Netwrix API", and
//!   " (Integration)" after `Item.Name`; they become visible to enum and search.
//! - 400 with an `ErrorList` (`XMLError` for malformed XML, `InputError` for a bad count, mark,
//!   filter or record); 500 empty for malformed JSON; 401 empty with one `WWW-Authenticate`
//!   header per scheme offered (`Negotiate`, `NTLM`, `Basic realm="HOST"`); 404 and 405
//!   empty; 413 empty above
//!   [`AuditorConfig::max_body_bytes`].
//!
//! # Example
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use sluice_emulators::auditor::{Auditor, AuditorConfig, DatasetConfig};
//!
//! let auditor = Auditor::new(AuditorConfig {
//!     dataset: Some(DatasetConfig::default()),
//!     ..AuditorConfig::default()
//! });
//! let served = sluice_emulators::serve(auditor.router(), ([127, 0, 0, 1], 0).into()).await?;
//! println!("{}/netwrix/api/v1/activity_records/enum", served.base_url());
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod auth;
mod certificate;
mod config;
pub mod dataset;
mod error;
mod faults;
mod filter;
mod groups;
mod handlers;
mod ingest;
mod json_in;
mod json_out;
mod paging;
mod query;
mod record;
mod reply;
mod routes;
mod stats;
mod store;
mod time;
mod xml_in;
mod xml_out;
mod xml_tree;

use std::sync::Arc;

use axum::Router;
use jiff::Timestamp;

pub use certificate::{CertificateError, SelfSigned};
pub use config::{AuditorConfig, Behaviour, KeyMatching, ResultOrder, DEFAULT_MAX_BODY_BYTES};
pub use dataset::{Category, DatasetConfig};
pub use faults::Faults;
pub use record::{ActivityRecord, Detail, Item, MonitoringPlan};
pub use routes::BASE_PATH;
pub use stats::{Endpoint, EndpointStats, RequestStats};
pub use xml_out::{ACTIVITY_RECORDS_NS, API_NS};

/// A running emulator's state. Cheap to clone: clones share the same Audit Database, clock,
/// faults and statistics, so a test can keep one handle while the router serves another.
#[derive(Clone, Debug)]
pub struct Auditor {
    shared: Arc<store::Shared>,
}

impl Auditor {
    /// Builds the emulator, generating the configured data set (if any) up front.
    pub fn new(config: AuditorConfig) -> Self {
        Auditor {
            shared: Arc::new(store::Shared::new(config)),
        }
    }

    /// All routes, ready to mount with [`crate::serve`].
    pub fn router(&self) -> Router {
        routes::router(Arc::clone(&self.shared))
    }

    /// Appends records as if Auditor had collected them, so tests can make new activity
    /// appear over time. A record without a RID gets one minted like the write endpoint does
    /// (from the emulator clock); a record with one keeps it. Unlike the write endpoint, the
    /// rest of the record is stored as given (no forced `DataSource`, no Item suffix), because
    /// it stands for activity of a monitored system, not integration input. Returns the RIDs
    /// in order.
    pub fn write(&self, records: Vec<ActivityRecord>) -> Vec<String> {
        self.shared.append(records)
    }

    /// Every stored record in insertion order, archive-only ones included.
    pub fn records(&self) -> Vec<ActivityRecord> {
        self.shared.records()
    }

    /// Replaces the fault modes; takes effect from the next request.
    pub fn set_faults(&self, faults: Faults) {
        self.shared.faults.set(faults);
    }

    /// The fault modes now in force (counters reflect the faults already fired).
    pub fn faults(&self) -> Faults {
        self.shared.faults.get()
    }

    /// Pins the emulator clock (`Today`/`Yesterday`/… timeframes, RID timestamps), or with
    /// `None` returns to the system clock.
    pub fn set_now(&self, now: Option<Timestamp>) {
        self.shared.set_now(now);
    }

    /// Sets the members of a group for the `InGroup`/`NotInGroup` filters, replacing any
    /// earlier members. `group` may carry a `DOMAIN\` prefix.
    pub fn set_group_members(&self, group: &str, members: &[String]) {
        self.shared.set_group(group, members);
    }

    /// Requests served so far, per endpoint and status.
    pub fn requests(&self) -> RequestStats {
        self.shared.stats.snapshot()
    }

    /// Sets the request statistics back to zero (e.g. after a benchmark's warm-up).
    pub fn reset_requests(&self) {
        self.shared.stats.reset();
    }
}
