//! HTTP Basic (RFC 7617): the account and password on every request, checked against the
//! configured ones. Account names compare case-insensitively, as Windows account names do;
//! passwords exactly. `CORP\svc` style names contain a backslash, which Basic carries
//! untouched.

use axum::http::HeaderValue;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

/// Whether the token of an `Authorization: Basic` header carries the configured credentials.
pub(super) fn authorized(token: &str, username: &str, password: &str) -> bool {
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

/// `Basic realm="…"`, the challenge HTTP.sys sends.
pub(super) fn challenge(realm: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("Basic realm=\"{realm}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("Basic realm=\"auditor\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(user_pass: &str) -> String {
        STANDARD.encode(user_pass)
    }

    #[test]
    fn basic_with_a_backslash_user_is_accepted() {
        assert!(authorized(&token(r"CORP\svc:p:w"), r"CORP\svc", "p:w"));
        assert!(authorized(&token(r"corp\SVC:p:w"), r"CORP\svc", "p:w"));
    }

    #[test]
    fn anything_else_is_refused() {
        for token in [
            token(r"CORP\svc:wrong"),
            token(r"CORP\other:p"),
            token("no-colon"),
            "!!!".to_owned(),
            String::new(),
        ] {
            assert!(!authorized(&token, r"CORP\svc", "p"), "{token:?}");
        }
    }

    #[test]
    fn the_challenge_names_a_realm() {
        assert_eq!(
            challenge("auditor.corp.local"),
            "Basic realm=\"auditor.corp.local\""
        );
    }
}
