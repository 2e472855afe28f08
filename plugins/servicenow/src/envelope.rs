//! ServiceNow's JSON envelopes: `{"result": …}` on success and
//! `{"error":{"message":…,"detail":…},"status":"failure"}` on failure.
//!
//! Parsers are lenient where the captures vary: member order differs (`detail` comes before
//! `message` in `output.ServiceNowOutputTest_deleteNonExistingRecord.json`), `detail` may be
//! `null` (as in a 400 `Invalid table`), a 201 under `X-no-response-body` has no body at all
//! (`output.ServiceNowOutputTest_insertRecordNoResponse.json`), the token endpoint answers in
//! OAuth's own shape (`{"error":…,"error_description":…}`), and a proxy in front of the
//! instance answers HTML.

use std::fmt;

use serde_json::Value;

/// What a failed response says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    /// `error.message`, or a summary of a body that is not ServiceNow's JSON.
    pub(crate) message: String,
    /// `error.detail`, when present and not null.
    pub(crate) detail: Option<String>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.detail {
            Some(detail) if !detail.is_empty() => write!(f, "{}: {detail}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

/// The `result` member of a success body; `Ok(None)` when the body is empty (the
/// `X-no-response-body` answer) or `result` is null.
pub(crate) fn result(body: &[u8]) -> Result<Option<Value>, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| format!("the success answer is not JSON ({e}): {}", summary(body)))?;
    match value {
        Value::Object(mut object) => match object.remove("result") {
            Some(Value::Null) | None if object.contains_key("error") => Err(format!(
                "a success status carried an error: {}",
                failure(body)
            )),
            Some(Value::Null) => Ok(None),
            Some(result) => Ok(Some(result)),
            None => Err(format!("the answer has no `result`: {}", summary(body))),
        },
        _ => Err(format!(
            "the answer is not a JSON object: {}",
            summary(body)
        )),
    }
}

/// What a failure body says, whatever its shape.
pub(crate) fn failure(body: &[u8]) -> ApiError {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return ApiError {
            message: summary(body),
            detail: None,
        };
    };
    match value.get("error") {
        // The Table/Attachment API envelope, any member order, detail possibly null.
        Some(Value::Object(error)) => ApiError {
            message: error
                .get("message")
                .map(text)
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "(no message)".to_owned()),
            detail: error.get("detail").map(text).filter(|d| !d.is_empty()),
        },
        // The token endpoint: {"error_description":"access_denied","error":"server_error"}.
        Some(Value::String(code)) => ApiError {
            message: value
                .get("error_description")
                .map(text)
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| code.clone()),
            detail: Some(code.clone()),
        },
        _ => ApiError {
            message: summary(body),
            detail: None,
        },
    }
}

/// A JSON scalar as text; `null` is empty.
fn text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => clean(s, 500),
        other => clean(&other.to_string(), 500),
    }
}

/// One line describing a body that is not ServiceNow's JSON: an HTML page's `<title>`, else
/// its first characters; never more than 200 characters, never control characters.
pub(crate) fn summary(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return "(empty body)".to_owned();
    }
    let lower = trimmed.to_ascii_lowercase();
    if let (Some(start), Some(end)) = (lower.find("<title>"), lower.find("</title>")) {
        let from = start + "<title>".len();
        if from <= end {
            if let Some(title) = trimmed.get(from..end) {
                return format!("HTML page \"{}\"", clean(title, 200));
            }
        }
    }
    clean(trimmed, 200)
}

/// `text` on one line, at most `max` characters.
fn clean(text: &str, max: usize) -> String {
    let mut out: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .take(max + 1)
        .collect();
    if out.chars().count() > max {
        out = out.chars().take(max).collect();
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_envelope_in_either_order_with_null_detail() {
        // output.ServiceNowOutputTest_deleteNonExistingRecord.json
        let captured = br#"{"error":{"detail":"Record doesn't exist or ACL restricts the record retrieval","message":"No Record found"},"status":"failure"}"#;
        let e = failure(captured);
        assert_eq!(e.message, "No Record found");
        assert_eq!(
            e.detail.as_deref(),
            Some("Record doesn't exist or ACL restricts the record retrieval")
        );
        let e = failure(
            br#"{"status":"failure","error":{"message":"Invalid table incidnet","detail":null}}"#,
        );
        assert_eq!(e.to_string(), "Invalid table incidnet");
    }

    #[test]
    fn token_endpoint_and_html_failures() {
        let e = failure(br#"{"error_description":"access_denied","error":"server_error"}"#);
        assert_eq!(e.to_string(), "access_denied: server_error");
        let e = failure(b"<html><head><title>502 Bad Gateway</title></head><body>x</body></html>");
        assert_eq!(e.message, "HTML page \"502 Bad Gateway\"");
        assert_eq!(failure(b"").message, "(empty body)");
        let long = "x".repeat(1000);
        assert!(failure(long.as_bytes()).message.chars().count() <= 201);
    }

    #[test]
    fn results_object_array_and_empty() {
        assert_eq!(
            result(br#"{"result":{"sys_id":"a"}}"#),
            Ok(Some(serde_json::json!({"sys_id": "a"})))
        );
        assert_eq!(result(br#"{"result":[]}"#), Ok(Some(serde_json::json!([]))));
        assert_eq!(result(b""), Ok(None));
        assert!(result(b"<html>").is_err());
        assert!(result(br#"{"rows":[]}"#).is_err());
        assert!(result(br#"{"error":{"message":"m","detail":null},"status":"failure"}"#).is_err());
    }
}
