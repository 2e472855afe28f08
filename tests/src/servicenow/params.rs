//! Request parameters (`sysparm_*`), the API version of a path, the base URL links point at,
//! and the `Link` pagination header.

use axum::extract::Query;
use http::header::HOST;
use http::{HeaderMap, Uri};

use super::errors::ApiError;
use super::render::DisplayMode;

/// `sysparm_limit` when absent, as documented.
pub(crate) const DEFAULT_TABLE_LIMIT: usize = 10_000;

/// The query string, decoded, in order.
#[derive(Clone, Debug, Default)]
pub(crate) struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Decodes the query string of `uri`.
    pub(crate) fn from_uri(uri: &Uri) -> Result<Self, ApiError> {
        Query::<Vec<(String, String)>>::try_from_uri(uri)
            .map(|Query(pairs)| Params { pairs })
            .map_err(|_| ApiError::BadRequest {
                message: "Invalid query string".to_owned(),
                detail: None,
            })
    }

    /// All parameters in order.
    pub(crate) fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The first value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A boolean parameter: true only for `true` (any case).
    pub(crate) fn flag(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    }

    /// `sysparm_fields` as a list; `None` when absent or empty (all columns).
    pub(crate) fn fields(&self) -> Option<Vec<String>> {
        let fields: Vec<String> = self
            .get("sysparm_fields")?
            .split(',')
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(str::to_owned)
            .collect();
        (!fields.is_empty()).then_some(fields)
    }

    /// `sysparm_limit`, falling back to `default` when absent, zero or not a number.
    pub(crate) fn limit(&self, default: usize) -> usize {
        self.get("sysparm_limit")
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|l| *l > 0)
            .unwrap_or(default)
    }

    /// `sysparm_offset`, 0 when absent or not a number.
    pub(crate) fn offset(&self) -> usize {
        self.get("sysparm_offset")
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(0)
    }

    /// `sysparm_display_value`.
    pub(crate) fn display_mode(&self) -> DisplayMode {
        DisplayMode::parse(self.get("sysparm_display_value"))
    }
}

/// The Table API version a path addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ApiVersion {
    /// `/api/now/v1/…`: empty collection → 404.
    V1,
    /// `/api/now/v2/…` or unversioned (latest = v2 since Geneva).
    V2,
}

impl ApiVersion {
    /// The version of `path`.
    pub(crate) fn of(path: &str) -> Self {
        if path.starts_with("/api/now/v1/") {
            ApiVersion::V1
        } else {
            ApiVersion::V2
        }
    }
}

/// The `scheme://host` links point at: the configured instance URL, else `http://` + the
/// request's `Host` (the emulator serves plain HTTP on loopback).
pub(crate) fn base_url(headers: &HeaderMap, configured: Option<&str>) -> String {
    if let Some(url) = configured {
        return url.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// Percent-encodes a query component, leaving unreserved characters and `,` (the real `Link`
/// headers keep `sysparm_fields` commas).
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~' | b',') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The `Link` header for a page: first, prev/next when they exist, last.
pub(crate) fn page_links(
    base_url: &str,
    path: &str,
    params: &Params,
    offset: usize,
    limit: usize,
    total: usize,
) -> String {
    let url = |at: usize| {
        let mut query: Vec<String> = params
            .pairs()
            .iter()
            .filter(|(k, _)| k != "sysparm_offset" && k != "sysparm_limit")
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        query.push(format!("sysparm_limit={limit}"));
        query.push(format!("sysparm_offset={at}"));
        format!("<{base_url}{path}?{}>", query.join("&"))
    };
    let last = if total == 0 {
        0
    } else {
        (total - 1) / limit * limit
    };
    let mut links = vec![format!("{};rel=\"first\"", url(0))];
    if offset > 0 {
        links.push(format!(
            "{};rel=\"prev\"",
            url(offset.saturating_sub(limit))
        ));
    }
    if offset.saturating_add(limit) < total {
        links.push(format!(
            "{};rel=\"next\"",
            url(offset.saturating_add(limit))
        ));
    }
    links.push(format!("{};rel=\"last\"", url(last)));
    links.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_decode_and_fall_back() {
        let uri: Uri = "/x?sysparm_query=a%3D1%5Eb%3D2&sysparm_limit=abc&sysparm_fields=&sysparm_display_value=False&sysparm_exclude_reference_link=TRUE"
            .parse()
            .unwrap_or_default();
        let params = Params::from_uri(&uri).unwrap_or_default();
        assert_eq!(params.get("sysparm_query"), Some("a=1^b=2"));
        assert_eq!(params.limit(10), 10);
        assert_eq!(params.fields(), None);
        assert_eq!(params.display_mode(), DisplayMode::Value);
        assert!(params.flag("sysparm_exclude_reference_link"));
    }

    #[test]
    fn links_for_a_middle_page() {
        let uri: Uri = "/x?sysparm_query=active%3Dtrue&sysparm_offset=2&sysparm_limit=2"
            .parse()
            .unwrap_or_default();
        let params = Params::from_uri(&uri).unwrap_or_default();
        let links = page_links("http://sn", "/api/now/table/incident", &params, 2, 2, 5);
        assert_eq!(
            links,
            "<http://sn/api/now/table/incident?sysparm_query=active%3Dtrue&sysparm_limit=2&sysparm_offset=0>;rel=\"first\",\
             <http://sn/api/now/table/incident?sysparm_query=active%3Dtrue&sysparm_limit=2&sysparm_offset=0>;rel=\"prev\",\
             <http://sn/api/now/table/incident?sysparm_query=active%3Dtrue&sysparm_limit=2&sysparm_offset=4>;rel=\"next\",\
             <http://sn/api/now/table/incident?sysparm_query=active%3Dtrue&sysparm_limit=2&sysparm_offset=4>;rel=\"last\""
        );
    }

    #[test]
    fn versions() {
        assert_eq!(ApiVersion::of("/api/now/v1/table/incident"), ApiVersion::V1);
        assert_eq!(ApiVersion::of("/api/now/table/incident"), ApiVersion::V2);
    }
}
