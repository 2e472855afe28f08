//! Istanbul (2017).
//!
//! Same Table API behaviour as Helsinki for this sink. Istanbul added the authorization-code
//! and implicit OAuth grants; the sink keeps using the password and refresh-token grants,
//! which every supported release has. No `hold_reason` yet; `X-no-response-body` is neither
//! documented nor observed for this release.

use super::{Adapter, TableApi, ERA_CLOSE_CODES};

/// The Istanbul adapter.
#[derive(Debug)]
pub(crate) struct Istanbul;

impl Adapter for Istanbul {
    fn name(&self) -> &'static str {
        "istanbul"
    }
    fn title(&self) -> &'static str {
        "Istanbul"
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
