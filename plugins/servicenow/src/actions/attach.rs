//! `Attach`: one binary upload, `POST /api/now/v1/attachment/file?table_name&table_sys_id&file_name`
//! with the file's own `Content-Type`. The binary endpoint is used on every release because
//! its query parameters are the same in every release's documentation, while the multipart
//! form's field names are not documented.

use sluice_sdk::{ActionOutcome, PluginError};

use super::remembered;
use crate::client::Call;
use crate::query::Query;
use crate::record::is_sys_id;
use crate::session::Session;

/// Attaches `content` to ticket `sys_id`.
pub(super) fn run(
    session: &Session,
    sys_id: &str,
    file_name: &str,
    content_type: &str,
    content: &[u8],
) -> ActionOutcome {
    if !is_sys_id(sys_id) {
        return ActionOutcome::Failed(PluginError::rejected(format!(
            "{sys_id:?} is not a ServiceNow sys_id (32 letters and digits); cannot attach {file_name:?}"
        )));
    }
    if file_name.trim().is_empty() || file_name.chars().any(char::is_control) {
        return ActionOutcome::Failed(PluginError::rejected(format!(
            "cannot attach a file named {file_name:?}: a file name is needed, without control characters"
        )));
    }
    // The Content-Type is mandatory on this endpoint.
    let content_type = if content_type.trim().is_empty() {
        "application/octet-stream"
    } else {
        content_type.trim()
    };
    let query = Query::new()
        .param("table_name", &session.config.table)
        .param("table_sys_id", sys_id)
        .param("file_name", file_name);
    let call = Call::post_bytes(
        session.adapter.attachment_file_path().to_owned(),
        query,
        content_type,
        content.to_vec(),
    );
    let doing = format!("attach {file_name:?} to {}", session.name_of(sys_id));
    match session.client.send(&call) {
        // The answer describes the attachment, not the incident: the ticket is as last seen.
        Ok(_) => ActionOutcome::Done(remembered(session, sys_id, None)),
        Err(error) => error.outcome(&doing),
    }
}
