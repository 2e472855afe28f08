//! The body of a refused request: `ErrorList` of `Error{Category,
//! Description, Location?}` in XML (namespace `http://schemas.netwrix.com/api/v1/`), or
//! `{"ErrorList":[{…}]}` in JSON. Read so that error messages carry what the server said.

use quick_xml::events::Event;
use quick_xml::Reader;
use serde::Deserialize;

use crate::html;
use crate::page::Format;

/// One `Error` of an `ErrorList`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ApiError {
    /// `XMLError`, `InputError`, `ServerError`…
    pub category: String,
    /// The server's explanation.
    pub description: String,
    /// Where in the request document, in XML terms; optional.
    pub location: Option<String>,
}

/// The errors in `body`, trying `format` first and then the other one (a server answers a
/// request it could not read in its default, XML). Empty if the body is no `ErrorList`.
pub fn parse(format: Format, body: &[u8]) -> Vec<ApiError> {
    let found = match format {
        Format::Json => json(body).or_else(|| xml(body)),
        Format::Xml => xml(body).or_else(|| json(body)),
    };
    found.unwrap_or_default()
}

/// `Category: Description (at Location)`, joined; or, for a body that is no `ErrorList`, an
/// HTML page's title (see [`crate::html`]) or the start of the body itself (control
/// characters removed). `content_type` is the answer's, if known.
pub fn describe(errors: &[ApiError], content_type: Option<&str>, body: &[u8]) -> String {
    if errors.is_empty() {
        return match html::recognise(content_type, body) {
            Some(page) => page.to_string(),
            None => snippet(body),
        };
    }
    errors
        .iter()
        .map(|e| {
            let mut text = format!("{}: {}", e.category, e.description.trim());
            if let Some(location) = e.location.as_deref().filter(|l| !l.is_empty()) {
                text.push_str(&format!(" (at {location})"));
            }
            text
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Up to 300 characters of a body, for messages about bodies we could not read.
pub fn snippet(body: &[u8]) -> String {
    if body.is_empty() {
        return "an empty body".to_owned();
    }
    let text = String::from_utf8_lossy(body);
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(300)
        .collect();
    if text.chars().count() > 300 {
        out.push('…');
    }
    format!("body {:?}", out.trim())
}

fn json(body: &[u8]) -> Option<Vec<ApiError>> {
    #[derive(Deserialize)]
    struct Body {
        #[serde(rename = "ErrorList")]
        list: Vec<ApiError>,
    }
    serde_json::from_slice::<Body>(body)
        .ok()
        .map(|b| b.list)
        .filter(|l| !l.is_empty())
}

fn xml(body: &[u8]) -> Option<Vec<ApiError>> {
    let mut reader = Reader::from_reader(body);
    let mut errors = Vec::new();
    let mut path: Vec<String> = Vec::new();
    let mut text = String::new();
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) => {
                let name = e.local_name().into_inner().to_owned();
                if path.is_empty() && name != "ErrorList" {
                    return None;
                }
                if path.len() == 1 && name == "Error" {
                    errors.push(ApiError::default());
                }
                path.push(name);
                text.clear();
            }
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::CData(c) => text.push_str(&c.xml10_content()),
            Event::GeneralRef(r) => match &*r {
                "amp" => text.push('&'),
                "lt" => text.push('<'),
                "gt" => text.push('>'),
                "quot" => text.push('"'),
                "apos" => text.push('\''),
                _ => {
                    if let Ok(Some(c)) = r.resolve_char_ref() {
                        text.push(c);
                    }
                }
            },
            Event::End(_) => {
                if path.len() == 3 && path[1] == "Error" {
                    if let Some(error) = errors.last_mut() {
                        let value = std::mem::take(&mut text);
                        match path[2].as_str() {
                            "Category" => error.category = value,
                            "Description" => error.description = value,
                            "Location" => error.location = Some(value),
                            _ => {}
                        }
                    }
                }
                path.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    (!errors.is_empty()).then_some(errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_error_list_in_the_api_namespace() {
        let body = br#"<?xml version="1.0" standalone="yes"?>
<ErrorList xmlns="http://schemas.netwrix.com/api/v1/"><Error><Category>InputError</Category><Description>Invalid count parameter specified. Error details: 0x80040204 &amp; more</Description><Location>count</Location></Error></ErrorList>"#;
        let errors = parse(Format::Xml, body);
        assert_eq!(errors.len(), 1);
        assert_eq!(
            describe(&errors, None, body),
            "InputError: Invalid count parameter specified. Error details: 0x80040204 & more (at count)"
        );
    }

    #[test]
    fn json_error_list_and_a_format_mismatch() {
        let body = br#"{"ErrorList":[{"Category":"ServerError","Description":"SQL unreachable"}]}"#;
        assert_eq!(
            describe(&parse(Format::Json, body), None, body),
            "ServerError: SQL unreachable"
        );
        // An XML answer to a JSON request is still understood.
        let xml = b"<ErrorList><Error><Category>XMLError</Category><Description>d</Description></Error></ErrorList>";
        assert_eq!(parse(Format::Json, xml)[0].category, "XMLError");
    }

    #[test]
    fn anything_else_is_quoted_briefly() {
        assert!(parse(Format::Json, b"<html>oops</html>").is_empty());
        assert_eq!(describe(&[], None, b""), "an empty body");
        let long = vec![b'x'; 1000];
        assert!(describe(&[], None, &long).ends_with("…\""));
        let page = b"<!DOCTYPE html><title>Service Unavailable</title><p>secret</p>";
        assert_eq!(
            describe(&[], Some("text/html"), page),
            "an HTML page (Content-Type text/html; title \"Service Unavailable\")"
        );
    }
}
