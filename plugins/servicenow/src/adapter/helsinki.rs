//! Helsinki (2016).
//!
//! The first release with the new incident state model, but only on new instances; upgraded
//! ones keep the old model (ServiceNow KB0564465), which the start-up check reads from the
//! instance. Before Jakarta there is no `hold_reason` list. `X-no-response-body` is neither
//! documented nor observed for this release, so it is never sent.

use super::{Adapter, TableApi, ERA_CLOSE_CODES};

/// The Helsinki adapter.
#[derive(Debug)]
pub(crate) struct Helsinki;

impl Adapter for Helsinki {
    fn name(&self) -> &'static str {
        "helsinki"
    }
    fn title(&self) -> &'static str {
        "Helsinki"
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
        false
    }
    fn close_codes(&self) -> &'static [&'static str] {
        ERA_CLOSE_CODES
    }
    fn experimental(&self) -> Option<&'static str> {
        None
    }
}
