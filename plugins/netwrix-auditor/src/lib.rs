//! `netwrix-auditor`: the sluice source for Netwrix Auditor's Integration API (its
//! `activity_records/search` endpoint, in XML or JSON).
//!
//! One component, `netwrix_auditor` ([`NetwrixAuditor`]), with two ways in:
//!
//! ```text
//!  fetch(RIDs) ─► fetch.rs: batches of RID Equals … ─┐
//!                                                    ├─► client.rs ─► host HTTP ─► Auditor
//!  poll(checkpoint) ─► poll/: one page of a When ────┘      │  search.rs (request body)
//!                     window per call                       └► page/ (records), status.rs
//! ```
//!
//! Records come out as [`sluice_sdk::Record`]s: id = RID, time = `When`, every documented
//! element a field (nested ones dotted), each `Detail` a [`sluice_sdk::Detail`], unknown
//! elements kept. All IO goes through the host ([`sluice_sdk::Host::http`]), which owns TLS and
//! proxies; errors are classified for the host's retries, never retried here.
//!
//! The page decoders are public for the benchmarks:
//!
//! ```
//! use sluice_source_netwrix_auditor::{parse_page, Format};
//!
//! let page = parse_page(Format::Json, br#"{"ActivityRecordList":[{"RID":"R1","Who":"CORP\\jdoe",
//!     "When":"2024-03-11T08:45:12Z","Item":{"Name":"corp.local (Domain)"}}],"ContinuationMark":"M"}"#)
//!     .unwrap();
//! assert_eq!(page.records[0].id, "R1");
//! assert_eq!(page.records[0].field("Item.Name"), Some("corp.local (Domain)"));
//! assert_eq!(page.mark.as_deref(), Some("M"));
//! ```

mod auth;
mod client;
mod config;
mod endpoint;
mod error_list;
mod fetch;
mod filter;
mod html;
mod page;
mod poll;
mod search;
mod source;
mod start;
mod status;
mod when;

pub use auth::AuthMethod;
pub use config::{NetwrixAuditorConfig, Password};
pub use endpoint::Endpoint;
pub use filter::{FilterField, Operator, PollFilter};
pub use page::{parse_page, Format, Page, PageError};
pub use source::NetwrixAuditor;
pub use start::Start;

sluice_sdk::export_plugin! {
    name: "netwrix-auditor",
    sources: [NetwrixAuditor],
}
