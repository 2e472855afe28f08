//! London (2018).
//!
//! Same as Kingston for this sink: the 2018 captures cover it too (the instance was of the
//! Kingston/London era, says `tests/fixtures/servicenow-captures-2018/README.md`), so
//! `X-no-response-body` may be used; `hold_reason` exists; the close-code list is still the
//! "Solved (…)" one.

use super::{Adapter, TableApi, ERA_CLOSE_CODES};

/// The London adapter.
#[derive(Debug)]
pub(crate) struct London;

impl Adapter for London {
    fn name(&self) -> &'static str {
        "london"
    }
    fn title(&self) -> &'static str {
        "London"
    }
    fn table_api(&self) -> TableApi {
        TableApi::V2
    }
    fn attachment_file_path(&self) -> &'static str {
        "/api/now/v1/attachment/file"
    }
    fn no_response_body(&self) -> bool {
        true
    }
    fn hold_reason(&self) -> bool {
        true
    }
    fn close_codes(&self) -> &'static [&'static str] {
        ERA_CLOSE_CODES
    }
    fn experimental(&self) -> Option<&'static str> {
        None
    }
}
