//! A small element tree read from a request body with quick-xml.
//!
//! Request documents are small and their element order is free (the documented
//! examples disagree on order), so reading them into a tree and then picking children by name
//! is simpler and safer than a streaming state machine. Depth is capped so a hostile body
//! cannot exhaust the stack.

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use super::error::ApiError;

/// Deeper documents than this are refused; the deepest documented one has depth 4.
const MAX_DEPTH: usize = 32;

/// One element: its namespace, local name, attributes (by local name) and children.
#[derive(Debug, Default)]
pub(crate) struct Element {
    /// The resolved namespace URI, if the element is in one.
    pub(crate) namespace: Option<String>,
    /// The local name.
    pub(crate) name: String,
    /// Attributes by local name, in document order.
    pub(crate) attributes: Vec<(String, String)>,
    /// Child elements in document order.
    pub(crate) children: Vec<Element>,
    /// The text directly inside this element (entities and CDATA resolved).
    pub(crate) text: String,
}

impl Element {
    /// The children with the given local name, in document order.
    pub(crate) fn children_named<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |child| child.name == name)
    }

    /// The first child with the given local name.
    pub(crate) fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|child| child.name == name)
    }

    /// The text of the first child with the given local name.
    pub(crate) fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|child| child.text.as_str())
    }

    /// An attribute's value by local name.
    pub(crate) fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Parses a request body into its root element; anything not well-formed is an `XMLError`.
pub(crate) fn parse(body: &[u8]) -> Result<Element, ApiError> {
    let text =
        std::str::from_utf8(body).map_err(|_| ApiError::xml("the document is not valid UTF-8"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = NsReader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let (namespace, event) = reader
            .read_resolved_event()
            .map(|(ns, event)| (namespace_of(ns), event))
            .map_err(|error| {
                ApiError::xml(format!("{error} (at byte {})", reader.buffer_position()))
            })?;
        match event {
            Event::Start(start) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(ApiError::xml("the document is nested too deeply"));
                }
                stack.push(element(namespace, &start)?);
            }
            Event::Empty(start) => {
                let element = element(namespace, &start)?;
                attach(&mut stack, &mut root, element)?;
            }
            Event::End(_) => {
                let element = stack
                    .pop()
                    .ok_or_else(|| ApiError::xml("unexpected end tag"))?;
                attach(&mut stack, &mut root, element)?;
            }
            Event::Text(text) => {
                let content = text.xml10_content();
                append_text(&mut stack, &content)?;
            }
            Event::CData(data) => {
                let content = data.xml10_content();
                append_text(&mut stack, &content)?;
            }
            Event::GeneralRef(reference) => {
                let resolved = resolve_reference(&reference.xml10_content())?;
                append_text(&mut stack, resolved.encode_utf8(&mut [0; 4]))?;
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(ApiError::xml("the document ends inside an element"));
    }
    root.ok_or_else(|| ApiError::xml("the document has no root element"))
}

/// Builds an element from a start tag.
fn element(namespace: Option<String>, start: &BytesStart<'_>) -> Result<Element, ApiError> {
    let name = start.local_name().as_ref().to_owned();
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|error| ApiError::xml(error.to_string()))?;
        let key = attribute.key;
        // Namespace declarations are not data.
        if key.as_ref() == "xmlns" || key.as_ref().starts_with("xmlns:") {
            continue;
        }
        let value = attribute
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|error| ApiError::xml(error.to_string()))?;
        let local = key.local_name().as_ref().to_owned();
        attributes.push((local, value.into_owned()));
    }
    Ok(Element {
        namespace,
        name,
        attributes,
        ..Element::default()
    })
}

/// Hangs a finished element on its parent, or makes it the root.
fn attach(
    stack: &mut [Element],
    root: &mut Option<Element>,
    element: Element,
) -> Result<(), ApiError> {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None if root.is_none() => *root = Some(element),
        None => return Err(ApiError::xml("the document has more than one root element")),
    }
    Ok(())
}

/// Adds text to the open element; text outside the root must be whitespace.
fn append_text(stack: &mut [Element], text: &str) -> Result<(), ApiError> {
    match stack.last_mut() {
        Some(open) => open.text.push_str(text),
        None if text.trim().is_empty() => {}
        None => return Err(ApiError::xml("text outside the root element")),
    }
    Ok(())
}

/// The five predefined entities and character references; anything else is undefined.
fn resolve_reference(name: &str) -> Result<char, ApiError> {
    let predefined = match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => None,
    };
    if let Some(c) = predefined {
        return Ok(c);
    }
    let number = name
        .strip_prefix("#x")
        .map(|hex| u32::from_str_radix(hex, 16))
        .or_else(|| name.strip_prefix('#').map(str::parse::<u32>));
    match number {
        Some(Ok(code)) if code != 0 => {
            char::from_u32(code).ok_or_else(|| ApiError::xml("invalid character reference"))
        }
        _ => Err(ApiError::xml(format!("undefined entity &{name};"))),
    }
}

fn namespace_of(resolved: ResolveResult<'_>) -> Option<String> {
    match resolved {
        ResolveResult::Bound(ns) => Some(ns.as_ref().to_owned()),
        ResolveResult::Unbound | ResolveResult::Unknown(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_namespaces_attributes_and_entities() {
        let doc = br#"<?xml version="1.0" encoding="utf-8"?>
            <a:Root xmlns:a="urn:x"><Who Operator="Equals">CORP\a &amp; b&#x21;<![CDATA[<c>]]></Who></a:Root>"#;
        let root = parse(doc);
        assert!(root.is_ok(), "{root:?}");
        let root = root.unwrap_or_default();
        assert_eq!(root.namespace.as_deref(), Some("urn:x"));
        assert_eq!(root.name, "Root");
        let who = root.child("Who");
        assert_eq!(who.and_then(|w| w.attribute("Operator")), Some("Equals"));
        assert_eq!(who.map(|w| w.text.as_str()), Some(r"CORP\a & b!<c>"));
    }

    #[test]
    fn malformed_documents_are_xml_errors() {
        for bad in [
            &b"<a><b></a>"[..],
            b"<a>",
            b"",
            b"just text",
            b"<a/><b/>",
            b"<a>&nope;</a>",
            b"<a x='1' x='2'/>",
            b"\xff\xfe<a/>",
        ] {
            let parsed = parse(bad);
            assert!(
                matches!(parsed, Err(ApiError::Xml { .. })),
                "{:?} gave {parsed:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn deep_nesting_is_refused() {
        let doc = "<a>".repeat(100) + &"</a>".repeat(100);
        assert!(matches!(parse(doc.as_bytes()), Err(ApiError::Xml { .. })));
    }
}
