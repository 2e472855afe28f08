//! The responses the API documents: empty-bodied statuses, the write
//! success, pages and error lists, each with its documented content type.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;

use super::error::ApiError;
use super::query::Format;
use super::record::ActivityRecord;
use super::{json_out, xml_out};

/// A status with an empty body (401, 404, 405, 413, 500, 503).
pub(crate) fn empty(status: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
}

/// A successful write: 200, `Content-Length: 0`, `Content-Type: text/plain`.
pub(crate) fn written() -> Response {
    let mut response = empty(StatusCode::OK);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    response
}

/// An enum or search page.
pub(crate) fn page(format: Format, records: &[ActivityRecord], mark: Option<&str>) -> Response {
    let body = match format {
        Format::Xml => xml_out::page(records, mark).into_bytes(),
        Format::Json => json_out::page(records, mark),
    };
    with_body(StatusCode::OK, format, body)
}

/// The documented answer to an error: an `ErrorList` for 400s, empty bodies otherwise.
pub(crate) fn error(format: Format, error: &ApiError) -> Response {
    match error.entry() {
        Some(entry) => {
            let body = match format {
                Format::Xml => xml_out::error_list(&entry).into_bytes(),
                Format::Json => json_out::error_list(&entry),
            };
            with_body(StatusCode::BAD_REQUEST, format, body)
        }
        None => match error {
            ApiError::TooLarge { .. } => empty(StatusCode::PAYLOAD_TOO_LARGE),
            _ => empty(StatusCode::INTERNAL_SERVER_ERROR),
        },
    }
}

fn with_body(status: StatusCode, format: Format, body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    response
}
