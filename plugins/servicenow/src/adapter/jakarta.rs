//! Jakarta (2017) — experimental.
//!
//! The Netwrix Auditor add-on this sink replaces documents its Jakarta support as
//! experimental, so the sink says so at start. What changed for incidents: the `hold_reason`
//! choice list exists on new instances as of Jakarta (ServiceNow documentation); priority
//! changes make work notes mandatory in the form only (a UI policy, not enforced on REST).
//! Inbound rate-limit rules may date from here (no documentation says); 429 is handled on
//! every release anyway. `X-no-response-body` is still neither documented nor observed.

use super::{Adapter, TableApi, ERA_CLOSE_CODES};

/// The Jakarta adapter.
#[derive(Debug)]
pub(crate) struct Jakarta;

impl Adapter for Jakarta {
    fn name(&self) -> &'static str {
        "jakarta"
    }
    fn title(&self) -> &'static str {
        "Jakarta"
    }
    fn table_api(&self) -> TableApi {
        TableApi::V2
    }
    fn attachment_file_path(&self) -> &'static str {
        "/api/now/v1/attachment/file"
    }
    fn no_response_body(&self) -> bool {
        false
    }
    fn hold_reason(&self) -> bool {
        true
    }
    fn close_codes(&self) -> &'static [&'static str] {
        ERA_CLOSE_CODES
    }
    fn experimental(&self) -> Option<&'static str> {
        Some(
            "the Netwrix Auditor add-on for ServiceNow documents its Jakarta support as \
             experimental, and so does sluice: check the first incidents it creates",
        )
    }
}
