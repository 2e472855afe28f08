//! Recognising an HTML page where the Integration API's JSON or XML was expected: a proxy's
//! error page, a login portal, or another web site on the `endpoint`'s port. Messages then say
//! an HTML page arrived and quote its `<title>` (short, printable), never the body itself, which
//! may carry a portal's session state.

use std::fmt;

/// The longest title, and Content-Type, quoted, in characters.
const MAX_QUOTE: usize = 100;
/// How far into the body to look for `<title>`.
const TITLE_SCAN: usize = 64 * 1024;
/// How far into the body to look for `<html`.
const ROOT_SCAN: usize = 1024;

/// An HTML answer, as a message describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HtmlPage {
    content_type: Option<String>,
    title: Option<String>,
}

impl fmt::Display for HtmlPage {
    /// `an HTML page (Content-Type text/html; title "Sign in")`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.content_type {
            Some(value) => write!(f, "an HTML page (Content-Type {value}")?,
            None => write!(f, "an HTML page (no Content-Type")?,
        }
        if let Some(title) = &self.title {
            write!(f, "; title \"{title}\"")?;
        }
        write!(f, ")")
    }
}

/// The page, if the answer is HTML: by its `Content-Type` (`text/html`,
/// `application/xhtml+xml`), or else by how the body begins (`<!DOCTYPE html`, or `<html`
/// near the start, after an XML declaration or comments).
pub fn recognise(content_type: Option<&str>, body: &[u8]) -> Option<HtmlPage> {
    let typed = content_type.is_some_and(|value| {
        let essence = value.split(';').next().unwrap_or_default().trim();
        essence.eq_ignore_ascii_case("text/html")
            || essence.eq_ignore_ascii_case("application/xhtml+xml")
    });
    if !typed && !looks_like_html(body) {
        return None;
    }
    Some(HtmlPage {
        content_type: content_type.map(quote),
        title: title(body).map(|t| quote(&t)).filter(|t| !t.is_empty()),
    })
}

fn looks_like_html(body: &[u8]) -> bool {
    let start = &body[..body.len().min(ROOT_SCAN)];
    let text = String::from_utf8_lossy(start).to_ascii_lowercase();
    let text = text.trim_start_matches('\u{feff}').trim_start();
    text.starts_with("<!doctype html") || text.contains("<html")
}

/// The text of the first `<title>` in the start of the body, entities for the five XML
/// characters decoded, white space collapsed.
fn title(body: &[u8]) -> Option<String> {
    let start = &body[..body.len().min(TITLE_SCAN)];
    let text = String::from_utf8_lossy(start);
    // ASCII lower-casing keeps byte offsets, so positions found in `lower` index `text`.
    let lower = text.to_ascii_lowercase();
    let open = lower.find("<title")?;
    let content = open + lower[open..].find('>')? + 1;
    let end = content + lower[content..].find("</title")?;
    let raw = &text[content..end];
    let decoded = raw
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&amp;", "&");
    Some(
        decoded
            .split([' ', '\t'])
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// `value` made safe to quote in a message and a log line: control and invisible
/// direction-changing characters escaped, `"` and `\` escaped, at most [`MAX_QUOTE`]
/// characters (the last one `…` when cut).
pub fn quote(value: &str) -> String {
    let mut escaped: Vec<String> = Vec::new();
    for c in value.trim().chars() {
        let piece = if c.is_control() || is_invisible(c) {
            c.escape_default().to_string()
        } else if c == '"' || c == '\\' {
            format!("\\{c}")
        } else {
            c.to_string()
        };
        escaped.push(piece);
    }
    let mut out = String::new();
    let mut used = 0;
    for (i, piece) in escaped.iter().enumerate() {
        let len = piece.chars().count();
        let room = if i + 1 == escaped.len() {
            MAX_QUOTE
        } else {
            MAX_QUOTE - 1
        };
        if used + len > room {
            out.push('…');
            break;
        }
        out.push_str(piece);
        used += len;
    }
    out
}

/// Characters that change how a line reads without showing: line and paragraph separators,
/// zero-width and bidirectional controls.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognised_by_type_or_by_its_start() {
        let page = b"<html><head><title>Login</title></head></html>";
        let typed = recognise(Some("text/html; charset=utf-8"), b"oops");
        assert_eq!(
            typed.map(|p| p.to_string()).as_deref(),
            Some("an HTML page (Content-Type text/html; charset=utf-8)")
        );
        assert_eq!(
            recognise(None, page).map(|p| p.to_string()).as_deref(),
            Some("an HTML page (no Content-Type; title \"Login\")")
        );
        let xhtml = b"\xef\xbb\xbf <?xml version=\"1.0\"?>\n<!-- x --><HTML xmlns=\"http://www.w3.org/1999/xhtml\">";
        assert!(recognise(Some("application/xml"), xhtml).is_some());
        assert!(recognise(Some("application/json"), br#"{"ActivityRecordList":[]}"#).is_none());
        assert!(recognise(None, b"<ActivityRecordList/>").is_none());
        assert!(recognise(None, b"").is_none());
    }

    #[test]
    fn titles_are_short_and_printable() {
        let body = "<title lang=\"en\">\n  A &amp; B\t\"quoted\"\u{202e} \r\n</TITLE>";
        let inner = "<title>a\r\nb</title>";
        let escaped = recognise(Some("text/html"), inner.as_bytes()).and_then(|p| p.title);
        assert_eq!(escaped.as_deref(), Some("a\\r\\nb"));
        let page = recognise(Some("text/html"), body.as_bytes());
        assert_eq!(
            page.and_then(|p| p.title),
            Some("A & B \\\"quoted\\\"\\u{202e}".to_owned())
        );
        let long = quote(&"é".repeat(500));
        assert_eq!(long.chars().count(), MAX_QUOTE);
        assert!(long.ends_with('…'));
        let exact = "x".repeat(MAX_QUOTE);
        assert_eq!(quote(&exact), exact);
        // An escape is never cut in half.
        let cut = quote(&format!("{}\u{1b}", "x".repeat(MAX_QUOTE - 3)));
        assert!(cut.ends_with("x…"), "{cut}");
        assert!(recognise(Some("text/html"), b"<title>unclosed").is_some_and(|p| p.title.is_none()));
    }
}
