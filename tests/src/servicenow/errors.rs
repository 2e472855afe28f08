//! Every error the emulated APIs answer with, and its exact status, headers and body:
//! `{"error":{"message":…,"detail":…},"status":"failure"}`.

use axum::response::{IntoResponse, Response};
use http::header::{RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderValue, Method, StatusCode};
use serde_json::{json, Value};

use super::rate_limit::RateLimitHit;
use super::reply::json_response;

/// The record operation an ACL denied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Operation {
    Insert,
    Update,
    Delete,
}

impl Operation {
    fn word(self) -> &'static str {
        match self {
            Operation::Insert => "Insert",
            Operation::Update => "Update",
            Operation::Delete => "Delete",
        }
    }
}

/// An error response of the Table, Attachment or OAuth-protected APIs.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ApiError {
    /// 401, missing/bad credentials or an expired token (capture
    /// `service.TableApiClientTest_healthCheckInvalidCredentials.json`).
    #[error("User Not Authenticated")]
    NotAuthenticated,
    /// 400, unknown table (the answer modern instances give).
    #[error("Invalid table {0}")]
    InvalidTable(String),
    /// 400, the URI maps to no API.
    #[error("Requested URI does not represent any resource")]
    UnknownUri,
    /// 400, the body is not the JSON object expected; the real detail text varies by release
    /// and is not known.
    #[error("Exception while reading request: {0}")]
    UnreadableBody(String),
    /// 400, body over the REST payload cap (10 MB by default, ServiceNow KB0747638).
    #[error("Exception while reading request: {length} bytes, max {max}")]
    PayloadTooLarge { length: u64, max: usize },
    /// 403, a record ACL denied the operation.
    #[error("ACL Exception {} Failed due to security constraints", .0.word())]
    Acl(Operation),
    /// 403, insert aborted, e.g. duplicate sys_id (capture
    /// `output.ServiceNowOutputTest_insertRecordError.json`).
    #[error("Error during insert of {table} ({display})")]
    InsertFailed { table: String, display: String },
    /// 403, a business rule aborted the update (e.g. closing a security incident that is not
    /// in Review); the detail's wording is not documented.
    #[error("Error during update of {table} ({display})")]
    UpdateAborted { table: String, display: String },
    /// 403, the close-info data policy; carries the missing field labels.
    #[error("Data Policy Exception: The following fields are mandatory: {}", .0.join(", "))]
    DataPolicy(Vec<&'static str>),
    /// 404, unknown or unreadable sys_id (capture
    /// `output.ServiceNowOutputTest_deleteNonExistingRecord.json`).
    #[error("No Record found")]
    NoRecord,
    /// 404, v1 collection GET with an empty page (ServiceNow KB0551763).
    #[error("No Record found (v1 empty result)")]
    NoMatchV1,
    /// 405, verb not allowed on the path; the real texts are not known.
    #[error("{0} method not supported for API")]
    MethodNotAllowed(Method),
    /// 406, an `Accept` the emulator cannot serve (it only speaks JSON).
    #[error("Accept header not supported")]
    NotAcceptable,
    /// 415, a request body the emulator cannot read (it only speaks JSON).
    #[error("Content-Type not supported")]
    UnsupportedMediaType,
    /// 400 with a free message, e.g. a missing attachment parameter.
    #[error("{message}")]
    BadRequest {
        message: String,
        detail: Option<String>,
    },
    /// 403, the caller may not read the table (`journal_table_readable` off).
    #[error("Insufficient rights to query records")]
    QueryForbidden,
    /// 429 from a rate-limit rule.
    #[error("Rate limit exceeded")]
    RateLimited(RateLimitHit),
}

/// `{"error":{"message":…,"detail":…},"status":"failure"}`.
pub(crate) fn error_body(message: &str, detail: Option<&str>) -> Value {
    json!({
        "error": { "message": message, "detail": detail },
        "status": "failure",
    })
}

impl ApiError {
    /// The HTTP status.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            ApiError::NotAuthenticated => StatusCode::UNAUTHORIZED,
            ApiError::InvalidTable(_)
            | ApiError::UnknownUri
            | ApiError::UnreadableBody(_)
            | ApiError::PayloadTooLarge { .. }
            | ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Acl(_)
            | ApiError::InsertFailed { .. }
            | ApiError::UpdateAborted { .. }
            | ApiError::DataPolicy(_)
            | ApiError::QueryForbidden => StatusCode::FORBIDDEN,
            ApiError::NoRecord | ApiError::NoMatchV1 => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
        }
    }

    /// `(message, detail)` of the error body.
    fn message_and_detail(&self) -> (String, Option<String>) {
        match self {
            ApiError::NotAuthenticated => (
                "User Not Authenticated".to_owned(),
                Some("Required to provide Auth information".to_owned()),
            ),
            ApiError::InvalidTable(table) => (format!("Invalid table {table}"), None),
            ApiError::UnknownUri => (
                "Requested URI does not represent any resource".to_owned(),
                None,
            ),
            ApiError::UnreadableBody(detail) => (
                "Exception while reading request".to_owned(),
                Some(detail.clone()),
            ),
            ApiError::PayloadTooLarge { length, max } => (
                "Exception while reading request".to_owned(),
                Some(format!(
                    "Rejected large REST payload with content-length = {length} bytes. Max allowed: {max} bytes."
                )),
            ),
            ApiError::Acl(_)
            | ApiError::InsertFailed { .. }
            | ApiError::UpdateAborted { .. }
            | ApiError::DataPolicy(_) => {
                ("Operation Failed".to_owned(), Some(self.to_string()))
            }
            ApiError::NoRecord => (
                "No Record found".to_owned(),
                Some("Record doesn't exist or ACL restricts the record retrieval".to_owned()),
            ),
            ApiError::NoMatchV1 => (
                "No Record found".to_owned(),
                Some(
                    "Records matching query not found. Check query parameter or offset parameter"
                        .to_owned(),
                ),
            ),
            ApiError::MethodNotAllowed(method) => (
                "Method not Supported".to_owned(),
                Some(format!("{method} method not supported for API")),
            ),
            ApiError::NotAcceptable => (
                "Unsupported Accept header".to_owned(),
                Some("The emulator only produces application/json".to_owned()),
            ),
            ApiError::UnsupportedMediaType => (
                "Unsupported Content-Type".to_owned(),
                Some("The emulator only reads application/json".to_owned()),
            ),
            ApiError::BadRequest { message, detail } => (message.clone(), detail.clone()),
            ApiError::QueryForbidden => (
                "Insufficient rights to query records".to_owned(),
                Some("Field(s) present in the query do not have permission to be read".to_owned()),
            ),
            ApiError::RateLimited(hit) => (
                "Rate limit exceeded".to_owned(),
                Some(format!(
                    "Rate limit of {} requests per hour for {} exceeded",
                    hit.headers.limit, hit.api_label
                )),
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (message, detail) = self.message_and_detail();
        let mut response = json_response(self.status(), &error_body(&message, detail.as_deref()));
        let headers = response.headers_mut();
        match &self {
            ApiError::NotAuthenticated => {
                headers.insert(
                    WWW_AUTHENTICATE,
                    HeaderValue::from_static("BASIC realm=\"Service-now\""),
                );
            }
            ApiError::RateLimited(hit) => {
                hit.headers.apply(headers);
                headers.insert(RETRY_AFTER, HeaderValue::from(hit.retry_after_secs));
            }
            _ => {}
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_policy_names_only_the_missing_labels() {
        let (message, detail) = ApiError::DataPolicy(vec!["Resolution notes"]).message_and_detail();
        assert_eq!(message, "Operation Failed");
        assert_eq!(
            detail.as_deref(),
            Some("Data Policy Exception: The following fields are mandatory: Resolution notes")
        );
    }

    #[test]
    fn acl_detail_matches_the_reference() {
        let (_, detail) = ApiError::Acl(Operation::Update).message_and_detail();
        assert_eq!(
            detail.as_deref(),
            Some("ACL Exception Update Failed due to security constraints")
        );
    }

    #[test]
    fn insert_failure_matches_the_capture() {
        let error = ApiError::InsertFailed {
            table: "incident".to_owned(),
            display: "2135483521432".to_owned(),
        };
        assert_eq!(
            error.to_string(),
            "Error during insert of incident (2135483521432)"
        );
    }
}
