//! HTTP Basic authentication (every endpoint of the API requires authentication; Basic is one
//! of the four documented schemes, beside NTLM, Negotiate and Digest, and the one the emulator
//! implements).

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

/// The schemes the real server offers, in the order HTTP.sys lists them.
const CHALLENGE: &str = "Negotiate, NTLM, Basic";

/// Whether the request carries the configured credentials. Account names compare
/// case-insensitively, as Windows account names do; passwords exactly. `CORP\svc` style names
/// contain a backslash, which Basic carries untouched.
pub(crate) fn authorized(headers: &HeaderMap, username: &str, password: &str) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some((scheme, token)) = value.trim().split_once(' ') else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("Basic") {
        return false;
    }
    let Ok(decoded) = STANDARD.decode(token.trim()) else {
        return false;
    };
    let Ok(decoded) = String::from_utf8(decoded) else {
        return false;
    };
    match decoded.split_once(':') {
        Some((user, pass)) => user.eq_ignore_ascii_case(username) && pass == password,
        None => false,
    }
}

/// 401 with an empty body, as documented, and the challenge.
pub(crate) fn challenge() -> Response {
    let mut response = Response::new(axum::body::Body::empty());
    *response.status_mut() = StatusCode::UNAUTHORIZED;
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static(CHALLENGE),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(header::AUTHORIZATION, value);
        }
        headers
    }

    fn basic(user_pass: &str) -> HeaderMap {
        with(&format!("Basic {}", STANDARD.encode(user_pass)))
    }

    #[test]
    fn basic_with_a_backslash_user_is_accepted() {
        assert!(authorized(&basic(r"CORP\svc:p:w"), r"CORP\svc", "p:w"));
        assert!(authorized(&basic(r"corp\SVC:p:w"), r"CORP\svc", "p:w"));
    }

    #[test]
    fn anything_else_is_refused() {
        for headers in [
            HeaderMap::new(),
            basic(r"CORP\svc:wrong"),
            basic(r"CORP\other:p"),
            basic("no-colon"),
            with("Basic !!!"),
            with("Bearer abc"),
            with("Basic"),
        ] {
            assert!(!authorized(&headers, r"CORP\svc", "p"), "{headers:?}");
        }
    }
}
