//! The add-on's settings files read as a plain element tree, with the line and column of every
//! element.
//!
//! Strict about well-formedness (a malformed file is an error naming file, line and column),
//! lenient about everything else: the root's name, namespaces (names are taken without their
//! prefix), comments, the XML declaration, and the encoding, where .NET writes UTF-8 with or
//! without a byte-order mark, or UTF-16 with one. Matching names is the caller's business
//! (`legacy.rs` does it case-insensitively).

use std::borrow::Cow;
use std::fmt;
use std::path::Path;

use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

/// One element: its name without prefix, where it starts, its attributes, its own text and its
/// children.
#[derive(Debug, Clone, Default)]
pub(super) struct Element {
    /// The local name, as written.
    pub(super) name: String,
    /// 1-based line of the start tag.
    pub(super) line: usize,
    /// 1-based column of the start tag, in characters.
    pub(super) column: usize,
    /// Attributes by local name, values unescaped.
    pub(super) attributes: Vec<(String, String)>,
    /// Text directly inside the element (text, CDATA and references, line ends normalized as
    /// XML 1.0 says), not trimmed. For a container this is its indentation.
    pub(super) text: String,
    /// Child elements, in document order.
    pub(super) children: Vec<Element>,
}

impl Element {
    /// Whether the name is `name`, ignoring ASCII case.
    pub(super) fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    /// The first child named `name` (any case).
    pub(super) fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.is(name))
    }

    /// The attribute named `name` (any case).
    pub(super) fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A file that is not well-formed XML, or not text.
#[derive(Debug)]
pub(super) struct XmlError {
    file: String,
    position: Option<(usize, usize)>,
    message: String,
}

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, column)) => write!(f, "{}:{line}:{column}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for XmlError {}

/// Parses `bytes`, the content of `path`, and returns the root element.
pub(super) fn parse(path: &Path, bytes: &[u8]) -> Result<Element, XmlError> {
    let file = path.display().to_string();
    let text = decode(bytes).map_err(|message| XmlError {
        file: file.clone(),
        position: None,
        message,
    })?;
    let error = |offset: u64, message: String| XmlError {
        file: file.clone(),
        position: Some(line_column(&text, offset)),
        message: without_passwords(&text, message),
    };
    let mut reader = Reader::from_str(&text);
    let mut open: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let at = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| error(reader.error_position(), format!("malformed XML: {e}")))?;
        match event {
            Event::Start(e) | Event::Empty(e) if open.is_empty() && root.is_some() => {
                return Err(error(
                    at,
                    format!(
                        "malformed XML: a second root element <{}>",
                        e.local_name().into_inner()
                    ),
                ));
            }
            Event::Start(e) => open.push(element(&e, &text, at).map_err(|m| error(at, m))?),
            Event::Empty(e) => {
                let element = element(&e, &text, at).map_err(|m| error(at, m))?;
                close(element, &mut open, &mut root);
            }
            Event::End(_) => {
                if let Some(element) = open.pop() {
                    close(element, &mut open, &mut root);
                }
            }
            Event::Text(t) => push_text(&mut open, &t.xml10_content()).map_err(|m| error(at, m))?,
            Event::CData(c) => {
                push_text(&mut open, &c.xml10_content()).map_err(|m| error(at, m))?
            }
            Event::GeneralRef(r) => {
                let c = resolve(&r).map_err(|m| error(at, format!("malformed XML: {m}")))?;
                push_text(&mut open, c.encode_utf8(&mut [0; 4])).map_err(|m| error(at, m))?;
            }
            Event::Eof => break,
            // The declaration, comments, processing instructions, a DOCTYPE.
            _ => {}
        }
    }
    if let Some(unclosed) = open.last() {
        return Err(error(
            text.len() as u64,
            format!(
                "malformed XML: the file ends inside <{}> (opened at line {}); is it cut short?",
                unclosed.name, unclosed.line
            ),
        ));
    }
    root.ok_or_else(|| XmlError {
        file,
        position: None,
        message: "no XML element in the file; is it the add-on's settings file?".to_owned(),
    })
}

/// `message`, or a general one if it quotes a piece of a password. A `<` or `&` in a password
/// is what usually breaks these files, and the parser's message then quotes the text around
/// it ("expected `</word</Password>`", "unknown entity &word;").
fn without_passwords(text: &str, message: String) -> String {
    for (i, line) in text.lines().enumerate() {
        let lower = line.to_ascii_lowercase();
        // ASCII lowercasing keeps byte offsets, so `lower`'s positions index `line`.
        let Some(tag) = lower.find("password") else {
            continue;
        };
        let Some(open_end) = lower[tag..].find('>').map(|j| tag + j + 1) else {
            continue;
        };
        let end = lower
            .rfind("</")
            .filter(|&e| e >= open_end)
            .unwrap_or(line.len());
        let leaks = line[open_end..end]
            .split(|c: char| c.is_whitespace() || "<>&;/\"'=".contains(c))
            .filter(|piece| piece.chars().count() >= 3)
            .any(|piece| message.contains(piece));
        if leaks {
            return format!(
                "malformed XML in or after the password at line {} (its text is not shown): \
                 write a `<` in it as &lt; and a `&` as &amp;",
                i + 1
            );
        }
    }
    message
}

/// UTF-8 (a byte-order mark is skipped) or UTF-16 with a byte-order mark.
fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, String> {
    let utf16 = |be: bool| {
        let units: Vec<u16> = bytes[2..]
            .chunks(2)
            .map(|c| match (be, c) {
                (true, [a, b]) => u16::from_be_bytes([*a, *b]),
                (false, [a, b]) => u16::from_le_bytes([*a, *b]),
                _ => 0xFFFD,
            })
            .collect();
        String::from_utf16(&units)
            .map(Cow::Owned)
            .map_err(|_| "not valid UTF-16 text".to_owned())
    };
    match bytes {
        [0xEF, 0xBB, 0xBF, rest @ ..] => std::str::from_utf8(rest).map(Cow::Borrowed),
        [0xFF, 0xFE, ..] => return utf16(false),
        [0xFE, 0xFF, ..] => return utf16(true),
        _ => std::str::from_utf8(bytes).map(Cow::Borrowed),
    }
    .map_err(|e| {
        format!(
            "not UTF-8 text (invalid byte at offset {}); save the file as UTF-8 or UTF-16",
            e.valid_up_to()
        )
    })
}

fn element(e: &BytesStart<'_>, text: &str, at: u64) -> Result<Element, String> {
    let (line, column) = line_column(text, at);
    let mut attributes = Vec::new();
    for attribute in e.attributes() {
        let attribute = attribute.map_err(|e| format!("malformed XML: {e}"))?;
        let value = attribute
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| format!("malformed XML: {e}"))?;
        attributes.push((
            attribute.key.local_name().into_inner().to_owned(),
            value.into_owned(),
        ));
    }
    Ok(Element {
        name: e.local_name().into_inner().to_owned(),
        line,
        column,
        attributes,
        ..Element::default()
    })
}

fn close(element: Element, open: &mut [Element], root: &mut Option<Element>) {
    match open.last_mut() {
        Some(parent) => parent.children.push(element),
        None => *root = Some(element),
    }
}

fn push_text(open: &mut [Element], text: &str) -> Result<(), String> {
    match open.last_mut() {
        Some(element) => {
            element.text.push_str(text);
            Ok(())
        }
        None if text.trim().is_empty() => Ok(()),
        None => Err("malformed XML: text outside the root element".to_owned()),
    }
}

/// `&amp;` and the other predefined entities, and `&#…;` character references.
fn resolve(reference: &BytesRef<'_>) -> Result<char, String> {
    match reference.resolve_char_ref() {
        Ok(Some(c)) => return Ok(c),
        Ok(None) => {}
        Err(e) => return Err(e.to_string()),
    }
    match &**reference {
        "amp" => Ok('&'),
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "quot" => Ok('"'),
        "apos" => Ok('\''),
        other => Err(format!("unknown entity &{other};")),
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
fn line_column(text: &str, offset: u64) -> (usize, usize) {
    let offset = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(text.len());
    let mut end = offset;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<Element, String> {
        parse(Path::new("S.xml"), text.as_bytes()).map_err(|e| e.to_string())
    }

    #[test]
    fn reads_names_positions_text_and_references() {
        let root = parse_str(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!-- c -->\n<a:Root xmlns:a=\"x\">\n  \
             <a:Name k=\"v&amp;w\">x &amp; y&#10;z<![CDATA[<raw>]]></a:Name>\r\n  <Empty/>\n</a:Root>",
        )
        .unwrap();
        assert_eq!(root.name, "Root");
        assert_eq!((root.line, root.column), (3, 1));
        let name = root.child("name").unwrap();
        assert_eq!((name.line, name.column), (4, 3));
        assert_eq!(name.text, "x & y\nz<raw>");
        assert_eq!(name.attribute("K"), Some("v&w"));
        let empty = root.child("EMPTY").unwrap();
        assert_eq!((empty.line, empty.text.as_str()), (5, ""));
    }

    #[test]
    fn byte_order_marks_and_utf16_are_read() {
        let mut utf8 = vec![0xEF, 0xBB, 0xBF];
        utf8.extend_from_slice("<R><V>é</V></R>".as_bytes());
        let root = parse(Path::new("x"), &utf8).unwrap();
        assert_eq!(root.children[0].text, "é");
        let mut utf16 = vec![0xFF, 0xFE];
        for unit in "<R><V>é</V></R>".encode_utf16() {
            utf16.extend_from_slice(&unit.to_le_bytes());
        }
        let root = parse(Path::new("x"), &utf16).unwrap();
        assert_eq!(root.children[0].text, "é");
        let err = parse(Path::new("x"), b"<R>\xFF</R>")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("x: not UTF-8 text"), "{err}");
    }

    #[test]
    fn malformed_files_name_file_line_and_column() {
        let err = parse_str("<R>\n  <A>1</B>\n</R>").unwrap_err();
        assert!(err.starts_with("S.xml:2:"), "{err}");
        assert!(err.contains("malformed XML"), "{err}");
        let err = parse_str("<R>\n  <A>1</A>\n").unwrap_err();
        assert!(err.contains("ends inside <R> (opened at line 1)"), "{err}");
        let err = parse_str("<R/>\n<S/>").unwrap_err();
        assert!(err.starts_with("S.xml:2:1: "), "{err}");
        let err = parse_str("<R>&nope;</R>").unwrap_err();
        assert!(err.contains("&nope;"), "{err}");
        // A password's text never shows, even when it is what broke the file.
        for broken in [
            "<R>\n<Password>Secr3t&zebra;x</Password>\n</R>",
            "<R>\n<NetwrixAuditorPassword>Secr3t<zebra</NetwrixAuditorPassword>\n</R>",
        ] {
            let err = parse_str(broken).unwrap_err();
            assert!(!err.contains("zebra"), "{err}");
            assert!(err.contains("password at line 2"), "{err}");
        }
        assert!(parse_str("").unwrap_err().contains("no XML element"));
    }
}
