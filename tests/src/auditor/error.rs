//! The errors a request can earn, mapped to the documented status codes and `ErrorList`
//! categories.
//!
//! Descriptions are generic enough for a client's log; they never echo credentials.

use thiserror::Error;

/// Why a request is refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub(crate) enum ApiError {
    /// 400 with category `XMLError`: the body is not well-formed XML or not the documented
    /// document.
    #[error("XMLError: {description}")]
    Xml {
        description: String,
        location: Option<String>,
    },
    /// 400 with category `InputError`: a bad `count`, mark, filter or record value.
    #[error("InputError: {description}")]
    Input {
        description: String,
        location: Option<String>,
    },
    /// 500 with an empty body: the body is not JSON at all (documented so, unlike malformed
    /// XML, which gets 400 with an `ErrorList`).
    #[error("malformed JSON: {0}")]
    MalformedJson(String),
    /// 413 with an empty body.
    #[error("request body exceeds {limit} bytes")]
    TooLarge { limit: usize },
}

impl ApiError {
    /// An `XMLError`; the HRESULT prefix mirrors the documented example.
    pub(crate) fn xml(detail: impl std::fmt::Display) -> Self {
        ApiError::Xml {
            description: format!("0xC00CE56D Error parsing the XML document: {detail}"),
            location: None,
        }
    }

    /// An `InputError`.
    pub(crate) fn input(description: impl Into<String>) -> Self {
        ApiError::Input {
            description: description.into(),
            location: None,
        }
    }

    /// The documented wording for an invalid `count`.
    pub(crate) fn count(detail: &str) -> Self {
        ApiError::input(format!(
            "Invalid count parameter specified. Error details: 0x80040204 {detail}"
        ))
    }

    /// Adds an XML-style location (e.g. `ActivityRecord[2]/When`) to a 400 error.
    pub(crate) fn at(self, location: impl Into<String>) -> Self {
        match self {
            ApiError::Xml { description, .. } => ApiError::Xml {
                description,
                location: Some(location.into()),
            },
            ApiError::Input { description, .. } => ApiError::Input {
                description,
                location: Some(location.into()),
            },
            other => other,
        }
    }

    /// The `Category`, `Description` and `Location` of an `ErrorList` entry, for the errors
    /// that have a body.
    pub(crate) fn entry(&self) -> Option<ErrorEntry<'_>> {
        match self {
            ApiError::Xml {
                description,
                location,
            } => Some(ErrorEntry {
                category: "XMLError",
                description,
                location: location.as_deref(),
            }),
            ApiError::Input {
                description,
                location,
            } => Some(ErrorEntry {
                category: "InputError",
                description,
                location: location.as_deref(),
            }),
            ApiError::MalformedJson(_) | ApiError::TooLarge { .. } => None,
        }
    }
}

/// One `Error` of an `ErrorList`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ErrorEntry<'a> {
    pub(crate) category: &'a str,
    pub(crate) description: &'a str,
    pub(crate) location: Option<&'a str>,
}
