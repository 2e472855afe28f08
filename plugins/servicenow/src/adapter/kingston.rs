//! Kingston (2018).
//!
//! The era of the real exchanges in `tests/fixtures/servicenow-captures-2018/`: there,
//! `X-no-response-body: true` on a POST returned 201 with an empty body and a `Location`
//! header (`output.ServiceNowOutputTest_insertRecordNoResponse.json`), so the header may be
//! used (`suppress_update_bodies`). `hold_reason` exists. Whether these releases enforce close
//! info on REST (a data policy) or only in the form (a UI policy) is not documented: the sink
//! always sends `close_code` and `close_notes` with the state in one request, which satisfies
//! either.

use super::{Adapter, TableApi, ERA_CLOSE_CODES};

/// The Kingston adapter.
#[derive(Debug)]
pub(crate) struct Kingston;

impl Adapter for Kingston {
    fn name(&self) -> &'static str {
        "kingston"
    }
    fn title(&self) -> &'static str {
        "Kingston"
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
