//! Decoding one enum/search response page (records and continuation mark) into
//! [`sluice_sdk::Record`]s, in either wire format.
//!
//! Both decoders follow the mapping the SDK's `Record` documents: `id` is the RID, `time` is
//! `When` (`None` if it is in no form we know, the text is still kept as a field), the
//! scalar elements are fields under their names, nested ones dotted (`MonitoringPlan.Name`),
//! each `DetailList/Detail` a [`sluice_sdk::Detail`]. They are order-free and lossless:
//!
//! - an element present but empty is a field with an empty value; an absent one (or JSON
//!   `null`, or XML `xsi:nil="true"`) is no field;
//! - an unknown element is never fatal: a simple one becomes a field under its own name, a
//!   nested one a field per leaf under its dotted path (`Foo.Bar`), and an unknown child of a
//!   `Detail` a record field `DetailList.Detail.<name>`, since `Detail` has no room for it;
//! - a repeated element gives a repeated field.
//!
//! A record without a RID cannot be identified, deduplicated or fetched again; it is counted
//! in [`Page::unidentified`] and left out. A body that is not a complete page (bad syntax,
//! cut off, another root) is a [`PageError`].

mod json;
mod xml;

use schemars::JsonSchema;
use serde::Deserialize;
use sluice_sdk::Record;

/// The API's wire format: XML unless `?format=json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// `?format=json`: smaller pages and a faster decoder.
    #[default]
    Json,
    /// The API's default.
    Xml,
}

impl Format {
    /// The request `Content-Type` the API documents for the format.
    pub const fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json; Charset=UTF-8",
            Format::Xml => "application/xml; Charset=UTF-8",
        }
    }

    /// `json` or `xml`.
    pub const fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Xml => "xml",
        }
    }
}

/// One decoded page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    /// The records with a RID, in page order.
    pub records: Vec<Record>,
    /// The continuation mark; `None` if absent or empty (the documentation does not say
    /// whether the last page carries one).
    pub mark: Option<String>,
    /// Records left out for want of a RID.
    pub unidentified: usize,
}

impl Page {
    /// Builds a page from decoded records, setting aside those without a RID.
    fn new(mut records: Vec<Record>, mark: Option<String>) -> Page {
        let before = records.len();
        records.retain(|r| !r.id.is_empty());
        Page {
            unidentified: before - records.len(),
            records,
            mark: mark.filter(|m| !m.trim().is_empty()),
        }
    }
}

/// Why a response body is not a page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    /// JSON syntax error, wrong shape, or a body cut short.
    #[error("malformed JSON page: {0}")]
    Json(String),
    /// XML syntax error.
    #[error("malformed XML page at byte {position}: {message}")]
    Xml {
        /// What the XML reader found.
        message: String,
        /// Where.
        position: u64,
    },
    /// The body ends before its root element closes.
    #[error("the page ends before </{0}>: the body was cut short")]
    Truncated(&'static str),
    /// A well-formed document of another kind.
    #[error("expected an ActivityRecordList page, got {0}")]
    NotAPage(String),
}

/// Decodes a 200 response body of an enum or search request.
pub fn parse_page(format: Format, body: &[u8]) -> Result<Page, PageError> {
    match format {
        Format::Json => json::parse(body),
        Format::Xml => xml::parse(body),
    }
}

#[cfg(test)]
pub(crate) mod properties;
#[cfg(test)]
mod tests;
