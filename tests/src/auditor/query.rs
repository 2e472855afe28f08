//! The query string: `format=json` and `count=N`. Parameters come in any
//! order; unknown ones are ignored.

use super::error::ApiError;

/// The documented default page size.
pub(crate) const DEFAULT_COUNT: usize = 1000;

/// Request and response encoding, chosen by `format=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// The default.
    Xml,
    /// `?format=json`.
    Json,
}

impl Format {
    /// The documented `Content-Type` of enum/search responses and error lists.
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Format::Xml => "application/xml",
            Format::Json => "application/json",
        }
    }
}

/// The parsed query string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Query {
    pub(crate) format: Format,
    pub(crate) count: usize,
}

/// Finds the format first on its own, so a bad `count` can be reported in the format the
/// client asked for.
pub(crate) fn format(raw: Option<&str>) -> Format {
    match last_value(raw, "format") {
        Some(value) if value.eq_ignore_ascii_case("json") => Format::Json,
        _ => Format::Xml,
    }
}

/// Parses the query string. `max_count` is the optional client-side style limit
/// ([`Behaviour::max_count`](super::Behaviour::max_count)).
pub(crate) fn parse(raw: Option<&str>, max_count: Option<u32>) -> Result<Query, ApiError> {
    let format = checked_format(raw)?;
    let count = match last_value(raw, "count") {
        None => DEFAULT_COUNT,
        Some(value) => parse_count(value, max_count)?,
    };
    Ok(Query { format, count })
}

/// The format alone, validated: the write endpoint takes no `count`.
pub(crate) fn checked_format(raw: Option<&str>) -> Result<Format, ApiError> {
    match last_value(raw, "format") {
        None => Ok(Format::Xml),
        Some(value) if value.eq_ignore_ascii_case("xml") => Ok(Format::Xml),
        Some(value) if value.eq_ignore_ascii_case("json") => Ok(Format::Json),
        Some(_) => Err(ApiError::input(
            "Invalid format parameter specified; use format=json or omit it for XML.",
        )),
    }
}

/// The value of the last occurrence of a parameter.
fn last_value<'q>(raw: Option<&'q str>, name: &str) -> Option<&'q str> {
    pairs(raw)
        .filter(|(key, _)| key.eq_ignore_ascii_case(name))
        .last()
        .map(|(_, value)| value)
}

fn parse_count(value: &str, max_count: Option<u32>) -> Result<usize, ApiError> {
    let count: u64 = value
        .parse()
        .map_err(|_| ApiError::count("count must be a positive whole number"))?;
    if count == 0 {
        return Err(ApiError::count("count must be greater than zero"));
    }
    if let Some(max) = max_count {
        if count > u64::from(max) {
            return Err(ApiError::count(&format!("count must not exceed {max}")));
        }
    }
    Ok(usize::try_from(count).unwrap_or(usize::MAX))
}

/// `key=value` pairs; a bare `key` has an empty value.
fn pairs(raw: Option<&str>) -> impl Iterator<Item = (&str, &str)> {
    raw.unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_xml_and_1000() {
        assert_eq!(
            parse(None, None),
            Ok(Query {
                format: Format::Xml,
                count: 1000
            })
        );
    }

    #[test]
    fn parameters_come_in_any_order() {
        let expected = Ok(Query {
            format: Format::Json,
            count: 1500,
        });
        assert_eq!(parse(Some("format=json&count=1500"), None), expected);
        assert_eq!(parse(Some("count=1500&format=json"), None), expected);
    }

    #[test]
    fn bad_counts_are_input_errors() {
        for bad in ["count=abc", "count=0", "count=-5", "count=", "count=1.5"] {
            let parsed = parse(Some(bad), None);
            assert!(
                matches!(&parsed, Err(ApiError::Input { description, .. })
                    if description.starts_with("Invalid count parameter")),
                "{bad}: {parsed:?}"
            );
        }
        assert!(parse(Some("count=1001"), Some(1000)).is_err());
        assert!(parse(Some("count=1000"), Some(1000)).is_ok());
    }

    #[test]
    fn format_is_found_even_when_count_is_bad() {
        assert_eq!(format(Some("count=x&format=json")), Format::Json);
        assert_eq!(format(Some("count=x")), Format::Xml);
        assert!(checked_format(Some("format=csv")).is_err());
        assert_eq!(
            checked_format(Some("count=x&format=JSON")),
            Ok(Format::Json)
        );
    }
}
