//! The XML page: `<ActivityRecordList>` holding a `ContinuationMark`
//! and `ActivityRecord`s, read with quick-xml's streaming reader straight into [`Record`]s.
//!
//! Names are matched by local name, so a prefixed namespace (`<a:ActivityRecord>`) reads the
//! same as the default one the API uses; the namespace itself is not checked, so an older or
//! newer schema URI is no reason to drop data. Entity and character references are resolved;
//! CDATA is taken as text.

use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::Reader;
use sluice_sdk::{Detail, Fields, Record};

use super::{Page, PageError};
use crate::when;

pub(super) fn parse(body: &[u8]) -> Result<Page, PageError> {
    let mut reader = Reader::from_reader(body);
    let mut state = State::default();
    loop {
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(e) => {
                return Err(PageError::Xml {
                    message: e.to_string(),
                    position: reader.error_position(),
                })
            }
        };
        match event {
            Event::Start(e) => state.open(&e)?,
            Event::Empty(e) => {
                state.open(&e)?;
                state.close();
            }
            Event::End(_) => state.close(),
            Event::Text(t) => state.text(&t.xml10_content()),
            Event::CData(c) => state.text(&c.xml10_content()),
            Event::GeneralRef(r) => {
                let c = resolve(&r).map_err(|message| PageError::Xml {
                    message,
                    position: reader.buffer_position(),
                })?;
                state.text(c.encode_utf8(&mut [0; 4]));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    state.finish()
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

/// Where the reader stands in the document.
#[derive(Default)]
struct State {
    /// Open elements, the root included.
    depth: usize,
    root_seen: bool,
    root_closed: bool,
    /// Inside `<ContinuationMark>` (a child of the root).
    in_mark: bool,
    mark: Option<String>,
    records: Vec<Record>,
    /// Inside an `<ActivityRecord>`.
    record: Option<RecordBuilder>,
}

impl State {
    fn open(&mut self, e: &BytesStart<'_>) -> Result<(), PageError> {
        self.depth += 1;
        let name = e.local_name().into_inner();
        match self.depth {
            1 if self.root_seen => {
                return Err(PageError::NotAPage("a second root element".to_owned()))
            }
            1 if name == "ActivityRecordList" => self.root_seen = true,
            1 => return Err(PageError::NotAPage(format!("<{name}>"))),
            2 if name == "ActivityRecord" => self.record = Some(RecordBuilder::new()),
            2 if name == "ContinuationMark" => {
                self.in_mark = true;
                self.mark = Some(String::new());
            }
            2 => {}
            _ => {
                if let Some(builder) = &mut self.record {
                    builder.open(name, is_nil(e));
                }
            }
        }
        Ok(())
    }

    fn close(&mut self) {
        match self.depth {
            0 => return,
            1 => self.root_closed = true,
            2 => {
                self.in_mark = false;
                if let Some(builder) = self.record.take() {
                    self.records.push(builder.record);
                }
            }
            _ => {
                if let Some(builder) = &mut self.record {
                    builder.close();
                }
            }
        }
        self.depth -= 1;
    }

    fn text(&mut self, text: &str) {
        if self.in_mark && self.depth == 2 {
            if let Some(mark) = &mut self.mark {
                mark.push_str(text);
            }
        } else if let Some(frame) = self.record.as_mut().and_then(|b| b.stack.last_mut()) {
            frame.text.push_str(text);
        }
    }

    fn finish(self) -> Result<Page, PageError> {
        if !self.root_closed {
            return Err(PageError::Truncated("ActivityRecordList"));
        }
        let mark = self.mark.map(|m| m.trim().to_owned());
        Ok(Page::new(self.records, mark))
    }
}

/// `xsi:nil="true"`: the XML Schema spelling of an absent value.
fn is_nil(e: &BytesStart<'_>) -> bool {
    if e.attributes_raw().is_empty() {
        return false;
    }
    e.attributes()
        .flatten()
        .any(|a| a.key.local_name().into_inner() == "nil" && a.value.trim() == "true")
}

/// An element inside a record, waiting for its end tag.
struct Frame {
    name: String,
    text: String,
    /// Has child elements: a container, whose own text is indentation.
    children: bool,
    nil: bool,
}

/// One `<ActivityRecord>` being read.
struct RecordBuilder {
    record: Record,
    /// Open elements below `<ActivityRecord>`.
    stack: Vec<Frame>,
    /// The `DetailList/Detail` being read.
    detail: Option<Detail>,
}

impl RecordBuilder {
    fn new() -> Self {
        RecordBuilder {
            record: Record {
                // The documented elements, flattened: room for all without regrowing.
                fields: Fields::with_capacity(14),
                ..Record::default()
            },
            stack: Vec::with_capacity(4),
            detail: None,
        }
    }

    fn open(&mut self, name: &str, nil: bool) {
        if let Some(parent) = self.stack.last_mut() {
            parent.children = true;
        }
        self.stack.push(Frame {
            name: name.to_owned(),
            text: String::new(),
            children: false,
            nil,
        });
        if self.stack.len() == 2 && self.stack[0].name == "DetailList" && name == "Detail" {
            self.detail = Some(Detail::default());
        }
    }

    fn close(&mut self) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        let level = self.stack.len();
        let in_details = self.stack.first().is_some_and(|f| f.name == "DetailList");
        if in_details && level == 1 && frame.name == "Detail" {
            if let Some(detail) = self.detail.take() {
                self.record.details.push(detail);
            }
            return;
        }
        // A container's leaves were taken as they closed; an absent value is no field.
        if frame.children || frame.nil {
            return;
        }
        if in_details && level == 2 && self.stack[1].name == "Detail" {
            if let Some(detail) = &mut self.detail {
                match frame.name.as_str() {
                    "PropertyName" => detail.property = frame.text,
                    "Before" => detail.before = Some(frame.text),
                    "After" => detail.after = Some(frame.text),
                    "Message" => detail.message = Some(frame.text),
                    other => self
                        .record
                        .fields
                        .push(format!("DetailList.Detail.{other}"), frame.text),
                }
            }
            return;
        }
        if level == 0 {
            match frame.name.as_str() {
                "RID" => self.record.id = frame.text.trim().to_owned(),
                // `<DetailList/>`: no details.
                "DetailList" => {}
                "When" => {
                    if self.record.time.is_none() {
                        self.record.time = when::parse_system_time(&frame.text);
                    }
                    self.record.fields.push(frame.name, frame.text);
                }
                _ => self.record.fields.push(frame.name, frame.text),
            }
            return;
        }
        let mut path = String::with_capacity(32);
        for ancestor in &self.stack {
            path.push_str(&ancestor.name);
            path.push('.');
        }
        path.push_str(&frame.name);
        self.record.fields.push(path, frame.text);
    }
}
