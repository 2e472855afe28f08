//! Building responses the way the instance sends them: `Content-Type:
//! application/json;charset=UTF-8` (no space) and the `{"result": …}` envelope.

use axum::body::Body;
use axum::response::Response;
use http::header::{CONTENT_TYPE, LOCATION};
use http::{HeaderValue, StatusCode};
use serde_json::{json, Value};

/// The exact content type of every JSON response (captures: `application/json;charset=UTF-8`).
pub(crate) const JSON_CONTENT_TYPE: &str = "application/json;charset=UTF-8";

/// A JSON response with ServiceNow's content type.
pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
    response
}

/// `{"result": result}`.
pub(crate) fn result_response(status: StatusCode, result: Value) -> Response {
    json_response(status, &json!({ "result": result }))
}

/// A response with no body and no content type: 204 after DELETE, and 201 under
/// `X-no-response-body: true` (capture `output.ServiceNowOutputTest_insertRecordNoResponse.json`).
pub(crate) fn empty_response(status: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
}

/// Adds a `Location` header (ignored if the URL is not a valid header value).
pub(crate) fn with_location(mut response: Response, location: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}
