//! [`Endpoint`]: the Auditor server's address (the `endpoint` key) and the Integration API URLs
//! built from it.
//!
//! Accepted forms:
//! - `https://auditor.corp.local:9699` (what Netwrix's own MCP client uses);
//! - `auditor.corp.local:9699`, the vendor add-on's scheme-less `NetwrixAuditorHost` form
//!   (in its `ITSMSettings.xml`), which means HTTPS, the API's default scheme;
//! - either with the API base path already appended (`…/netwrix/api/v1/`, or
//!   `…/netwrix/api/v1/activity_records` as Netwrix's SIEM add-on configs write it): it is
//!   recognised and not appended twice;
//! - a path prefix in front of the API path, for a reverse proxy (`https://gw/auditor`).
//!
//! Refused: other schemes, user info (`user:pw@`: credentials belong in `username` and
//! `password`, and would otherwise leak into error messages), queries and fragments.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

/// The Integration API's base path.
pub const API_BASE_PATH: &str = "/netwrix/api/v1/";

/// A parsed `endpoint`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `https://host:port/prefix/netwrix/api/v1/`, always ending in `/`.
    base: String,
    /// Whether the scheme is plain HTTP (Basic credentials then cross the network readable).
    plain_http: bool,
    /// Whether the host is this machine (`localhost`, `127.0.0.1`, `[::1]`).
    loopback: bool,
}

impl Endpoint {
    /// Parses the `endpoint` value; the error says what a valid value looks like.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let example = "like \"https://auditor.corp.local:9699\" or \"auditor.corp.local:9699\"";
        if text.is_empty() {
            return Err(format!("must name the Auditor server, {example}"));
        }
        if text.contains(['?', '#']) {
            return Err(format!(
                "must not carry a query or fragment (`?…`, `#…`); write the server address, {example}"
            ));
        }
        let (scheme, rest) = match text.split_once("://") {
            Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
            None => ("https".to_owned(), text),
        };
        if scheme != "https" && scheme != "http" {
            return Err(format!(
                "unsupported scheme {scheme:?}: the Integration API speaks https (the default) or \
                 http; write the server address, {example}"
            ));
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err(format!(
                "must not contain user info (\"user:password@\"); put the account in `username` \
                 and `password` and write the server address, {example}"
            ));
        }
        let host = check_authority(authority).map_err(|why| format!("{why}; {example}"))?;
        let prefix = api_prefix(path);
        Ok(Endpoint {
            base: format!("{scheme}://{authority}{prefix}{API_BASE_PATH}"),
            plain_http: scheme == "http",
            loopback: host.eq_ignore_ascii_case("localhost")
                || host
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback()),
        })
    }

    /// `…/netwrix/api/v1/`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Whether the endpoint uses plain HTTP.
    pub fn is_plain_http(&self) -> bool {
        self.plain_http
    }

    /// Whether requests carry the credentials readable over a network: plain HTTP to
    /// another machine (loopback traffic never leaves this one).
    pub fn exposes_credentials(&self) -> bool {
        self.plain_http && !self.loopback
    }

    /// `POST …/activity_records/search` with the query parameters `format` and `count`. XML is
    /// the API's default, so only JSON names its format.
    pub fn search_url(&self, json: bool, count: u32) -> String {
        if json {
            format!(
                "{}activity_records/search?format=json&count={count}",
                self.base
            )
        } else {
            format!("{}activity_records/search?count={count}", self.base)
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.base)
    }
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`; returns the host.
fn check_authority(authority: &str) -> Result<&str, String> {
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("unclosed IPv6 address in {authority:?}"))?;
        match after {
            "" => (host, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => return Err(format!("unexpected {after:?} after the IPv6 address")),
            },
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'));
    if !host_ok {
        return Err(format!("{host:?} is not a host name or address"));
    }
    if let Some(port) = port {
        let valid = port.parse::<u16>().is_ok_and(|p| p > 0);
        if !valid {
            return Err(format!(
                "{port:?} is not a port number (Auditor's default is 9699)"
            ));
        }
    }
    Ok(host)
}

/// The path in front of the API base path, without a trailing slash: `""` for a bare server
/// address, `"/auditor"` behind a proxy. A path that already ends in the API base (or in
/// `activity_records`, as the SIEM add-on writes it) has that part removed.
fn api_prefix(path: &str) -> &str {
    let mut path = path.trim_end_matches('/');
    for suffix in ["/activity_records", "/netwrix/api/v1"] {
        if path.len() >= suffix.len()
            && path.is_char_boundary(path.len() - suffix.len())
            && path[path.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
        {
            path = &path[..path.len() - suffix.len()];
        }
    }
    path.trim_end_matches('/')
}

impl<'de> Deserialize<'de> for Endpoint {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl Visitor<'_> for Text {
            type Value = Endpoint;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("the Auditor server address, like \"https://auditor.corp.local:9699\"")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Endpoint, E> {
                Endpoint::parse(text).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(text: &str) -> String {
        Endpoint::parse(text).map(|e| e.base).unwrap_or_else(|e| e)
    }

    #[test]
    fn documented_forms() {
        let want = "https://auditor.corp.local:9699/netwrix/api/v1/";
        for text in [
            "https://auditor.corp.local:9699",
            "https://auditor.corp.local:9699/",
            "auditor.corp.local:9699",
            "HTTPS://auditor.corp.local:9699/netwrix/api/v1/",
            "https://auditor.corp.local:9699/netwrix/api/v1/activity_records",
        ] {
            assert_eq!(base(text), want, "{text}");
        }
        assert_eq!(
            base("localhost:9699"),
            "https://localhost:9699/netwrix/api/v1/"
        );
        assert_eq!(
            base("http://127.0.0.1:8080"),
            "http://127.0.0.1:8080/netwrix/api/v1/"
        );
        assert_eq!(
            base("https://[::1]:9699"),
            "https://[::1]:9699/netwrix/api/v1/"
        );
        assert_eq!(
            base("https://gw.corp.local/auditor/"),
            "https://gw.corp.local/auditor/netwrix/api/v1/"
        );
    }

    #[test]
    fn search_urls() {
        let endpoint = Endpoint::parse("auditor:9699").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            endpoint.search_url(true, 200),
            "https://auditor:9699/netwrix/api/v1/activity_records/search?format=json&count=200"
        );
        assert_eq!(
            endpoint.search_url(false, 5),
            "https://auditor:9699/netwrix/api/v1/activity_records/search?count=5"
        );
        assert!(!endpoint.is_plain_http());
    }

    #[test]
    fn only_plain_http_to_another_machine_exposes_credentials() {
        let exposes = |text: &str| {
            Endpoint::parse(text)
                .unwrap_or_else(|e| panic!("{e}"))
                .exposes_credentials()
        };
        assert!(exposes("http://auditor.corp.local:9699"));
        assert!(exposes("http://10.0.0.5:9699"));
        assert!(!exposes("https://auditor.corp.local:9699"));
        assert!(!exposes("http://127.0.0.1:9699"));
        assert!(!exposes("http://LOCALHOST:9699"));
        assert!(!exposes("http://[::1]:9699"));
    }

    #[test]
    fn refusals_say_what_is_valid() {
        for bad in [
            "",
            "ftp://auditor:9699",
            "https://svc:secret@auditor:9699",
            "https://auditor:9699/?x=1",
            "https://auditor:notaport",
            "https://auditor:0",
            "https://:9699",
            "https://audi tor:9699",
            "https://[::1",
        ] {
            let err = Endpoint::parse(bad).err().unwrap_or_default();
            assert!(err.contains("auditor.corp.local:9699"), "{bad}: {err}");
            assert!(!err.contains("secret"), "{bad}: {err}");
        }
    }
}
