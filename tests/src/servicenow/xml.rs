//! `Accept: application/xml`: the Table and Aggregate APIs answer in XML when asked, as
//! ServiceNow documents (`Accept`: "application/json or application/xml").
//!
//! A layer around the whole router: a request that prefers XML is handed on as a JSON request,
//! and the JSON answer is written out as ServiceNow's XML: `<response>` around one `<result>`
//! per record (or the `<error>` and `<status>` of a failure), one element per field, an empty
//! value as an empty element (`<user_name/>`, as in the Batch API documentation's sample).
//! Request bodies in XML are not read (415), so clients send JSON.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE};
use http::HeaderValue;
use quick_xml::escape::escape;
use serde_json::Value;

use super::state::Shared;

/// The content type of an XML answer.
const XML_CT: &str = "application/xml;charset=UTF-8";

/// Whether `accept` asks for XML rather than JSON: XML is named and JSON is not.
pub(crate) fn prefers_xml(accept: &str) -> bool {
    let types: Vec<String> = accept
        .split(',')
        .map(|r| {
            r.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .collect();
    let xml = types
        .iter()
        .any(|t| t == "application/xml" || t == "text/xml");
    let json = types.iter().any(|t| t.contains("json"));
    xml && !json
}

/// The layer: XML out for requests that prefer it, where the profile serves XML.
pub(crate) async fn negotiate(
    State(shared): State<Arc<Shared>>,
    mut request: Request,
    next: Next,
) -> Response {
    let accept = request
        .headers()
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let path = request.uri().path();
    let api = path.contains("/table/") || path.contains("/stats/");
    if !(api && prefers_xml(accept) && shared.lock().profile.xml) {
        return next.run(request).await;
    }
    request
        .headers_mut()
        .insert(ACCEPT, HeaderValue::from_static("application/json"));
    let response = next.run(request).await;
    let (mut parts, body) = response.into_parts();
    let json = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let parsed = serde_json::from_slice::<Value>(&bytes)
        .ok()
        .filter(|_| json);
    let Some(value) = parsed else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let text = document(&value);
    parts.headers.remove(CONTENT_LENGTH);
    parts
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static(XML_CT));
    Response::from_parts(parts, Body::from(text))
}

/// A JSON answer as ServiceNow's XML document.
pub(crate) fn document(value: &Value) -> String {
    let mut out = String::from(r#"<?xml version="1.0" encoding="UTF-8"?><response>"#);
    if let Value::Object(members) = value {
        for (name, member) in members {
            match member {
                // A collection: one <result> per record.
                Value::Array(items) => items.iter().for_each(|item| element(&mut out, name, item)),
                other => element(&mut out, name, other),
            }
        }
    }
    out.push_str("</response>");
    out
}

/// `<name>value</name>`, objects as nested elements, empty values as `<name/>`.
fn element(out: &mut String, name: &str, value: &Value) {
    let text = match value {
        Value::Null => String::new(),
        Value::String(s) => escape(s.as_str()).into_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Object(members) => {
            out.push_str(&format!("<{name}>"));
            for (child, member) in members {
                element(out, child, member);
            }
            out.push_str(&format!("</{name}>"));
            return;
        }
        Value::Array(items) => {
            items.iter().for_each(|item| element(out, name, item));
            return;
        }
    };
    if text.is_empty() {
        out.push_str(&format!("<{name}/>"));
    } else {
        out.push_str(&format!("<{name}>{text}</{name}>"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_decides() {
        assert!(prefers_xml("application/xml"));
        assert!(prefers_xml("text/xml; q=0.9"));
        assert!(!prefers_xml("application/json, application/xml"));
        assert!(!prefers_xml("*/*"));
    }

    #[test]
    fn records_errors_and_references_render_as_servicenow_writes_them() {
        let list = serde_json::json!({"result": [
            {"number": "INC0010001", "user_name": "", "caller_id": {"link": "https://x/a&b", "value": "1"}},
            {"number": "INC0010002", "user_name": "x<y"},
        ]});
        let text = document(&list);
        assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?><response><result>"));
        assert!(text.ends_with("</result></response>"));
        assert_eq!(text.matches("<result>").count(), 2);
        for part in [
            "<caller_id><link>https://x/a&amp;b</link><value>1</value></caller_id>",
            "<number>INC0010001</number>",
            "<user_name/>",
            "<user_name>x&lt;y</user_name>",
        ] {
            assert!(text.contains(part), "{part} in {text}");
        }
        let error = serde_json::json!({"error": {"message": "No Record found", "detail": null}, "status": "failure"});
        let text = document(&error);
        for part in [
            "<detail/>",
            "<message>No Record found</message>",
            "<status>failure</status>",
        ] {
            assert!(text.contains(part), "{part} in {text}");
        }
    }
}
