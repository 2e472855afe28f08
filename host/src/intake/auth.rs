//! Who may hand alerts in: a bearer token, compared by its SHA-256 in constant time, and the
//! client certificate the TLS handshake verified. Nothing here logs or returns the token.

use axum::http::{header, HeaderMap};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use sluice_core::ResponseIntakeSettings;

/// The token a request must carry, as its SHA-256; `None` when no token is configured.
#[derive(Clone)]
pub(super) struct TokenCheck {
    digest: Option<[u8; 32]>,
}

impl std::fmt::Debug for TokenCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCheck")
            .field("configured", &self.digest.is_some())
            .finish()
    }
}

/// Why a request's token was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TokenRefusal {
    /// No `Authorization: Bearer` header.
    Missing,
    /// A token that is not the configured one.
    Wrong,
}

impl TokenRefusal {
    /// For the log and the answer.
    pub(super) fn as_str(self) -> &'static str {
        match self {
            TokenRefusal::Missing => "no bearer token",
            TokenRefusal::Wrong => "a wrong bearer token",
        }
    }
}

impl TokenCheck {
    /// The check `settings` ask for (the config check made sure `token_sha256` is 64 hex
    /// digits).
    pub(super) fn new(settings: &ResponseIntakeSettings) -> TokenCheck {
        let digest = match (&settings.token, &settings.token_sha256) {
            // The token file forwarders use holds the token or its header line; either may be
            // named here.
            (Some(token), _) => Some(sha256(
                parse_token(token.as_bytes())
                    .as_deref()
                    .unwrap_or(token.trim()),
            )),
            (None, Some(hex)) => parse_hex(hex),
            (None, None) => None,
        };
        TokenCheck { digest }
    }

    /// Whether `headers` carry the token (always, when none is configured).
    pub(super) fn check(&self, headers: &HeaderMap) -> Result<(), TokenRefusal> {
        let Some(expected) = &self.digest else {
            return Ok(());
        };
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, token) = v.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .ok_or(TokenRefusal::Missing)?;
        if bool::from(sha256(presented).ct_eq(expected)) {
            Ok(())
        } else {
            Err(TokenRefusal::Wrong)
        }
    }
}

/// The token in the content of a token file: the token alone, or the header line curl's
/// `-H @file` sends (`Authorization: Bearer <token>`), whitespace and line ends (CRLF
/// included) trimmed, a UTF-8 byte order mark (Notepad's) ignored. What is wrong otherwise,
/// never quoting the content.
pub(crate) fn parse_token(content: &[u8]) -> Result<String, &'static str> {
    let text = std::str::from_utf8(content).map_err(|_| "is not UTF-8 text")?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let line = lines.next().ok_or("is empty")?;
    if lines.next().is_some() {
        return Err("holds more than one line");
    }
    let token = match line.split_once(':') {
        Some((name, value)) if name.trim().eq_ignore_ascii_case("authorization") => {
            match value.trim().split_once(char::is_whitespace) {
                Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
                _ => return Err("holds an Authorization line without `Bearer <token>`"),
            }
        }
        _ => line,
    };
    if token.is_empty() || !token.chars().all(|c| c.is_ascii_graphic()) {
        return Err("holds no token, or one with spaces, control or non-ASCII characters");
    }
    Ok(token.to_owned())
}

/// The SHA-256 of `token`.
pub(crate) fn sha256(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn parse_hex(hex: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if hex.len() != 64 {
        return None;
    }
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn a_token_or_its_digest_checks_the_same() {
        let token = "s3cret-token-of-some-length";
        let hex: String = sha256(token).iter().map(|b| format!("{b:02x}")).collect();
        for settings in [
            ResponseIntakeSettings {
                token: Some(token.into()),
                ..Default::default()
            },
            ResponseIntakeSettings {
                token_sha256: Some(hex.to_uppercase()),
                ..Default::default()
            },
        ] {
            let check = TokenCheck::new(&settings);
            assert_eq!(check.check(&headers(&format!("Bearer {token}"))), Ok(()));
            assert_eq!(check.check(&headers(&format!("bearer  {token} "))), Ok(()));
            assert_eq!(
                check.check(&headers("Bearer nope")),
                Err(TokenRefusal::Wrong)
            );
            assert_eq!(
                check.check(&headers(&format!("Basic {token}"))),
                Err(TokenRefusal::Missing)
            );
            assert_eq!(check.check(&HeaderMap::new()), Err(TokenRefusal::Missing));
            assert!(!format!("{check:?}").contains(token));
        }
    }

    #[test]
    fn a_token_file_with_the_header_line_holds_the_same_token() {
        let check = TokenCheck::new(&ResponseIntakeSettings {
            token: Some("Authorization: Bearer s3cret-token-of-some-length\r\n".into()),
            ..Default::default()
        });
        assert_eq!(
            check.check(&headers("Bearer s3cret-token-of-some-length")),
            Ok(())
        );
    }

    #[test]
    fn without_a_token_configured_every_request_passes_this_check() {
        let check = TokenCheck::new(&ResponseIntakeSettings::default());
        assert_eq!(check.check(&HeaderMap::new()), Ok(()));
    }
}
