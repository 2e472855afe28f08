//! Who is calling: Basic credentials, an OAuth Bearer token or an API key (header
//! `x-sn-apikey`, where the release and profile have the plugin), resolved to an [`Actor`].
//! Every failure is the same 401, whatever was wrong, as on a real instance. A key sent as a
//! query parameter, which ServiceNow also reads, is not served here: clients should not put a
//! secret in a URL, and sluice does not.

use base64::Engine as _;
use http::header::AUTHORIZATION;
use http::HeaderMap;
use jiff::Timestamp;

use super::account::{check_password, Account, Actor};
use super::errors::ApiError;
use super::tokens::Tokens;

/// The header an API key travels in.
pub(crate) const API_KEY_HEADER: &str = "x-sn-apikey";

/// Checks the `x-sn-apikey` or `Authorization` header against the accounts and the live
/// tokens.
pub(crate) fn authenticate(
    headers: &HeaderMap,
    accounts: &[Account],
    tokens: &Tokens,
    now: Timestamp,
) -> Result<Actor, ApiError> {
    // Without the plugin the header means nothing and the other credentials decide.
    if let Some(key) = headers
        .get(API_KEY_HEADER)
        .filter(|_| tokens.api_keys_active())
    {
        let user = key
            .to_str()
            .ok()
            .and_then(|key| tokens.user_of_api_key(key.trim()))
            .ok_or(ApiError::NotAuthenticated)?;
        return accounts
            .iter()
            .find(|a| a.user_name == user)
            .map(Actor::from)
            .ok_or(ApiError::NotAuthenticated);
    }
    let value = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(ApiError::NotAuthenticated)?;
    let (scheme, credentials) = value
        .trim()
        .split_once(' ')
        .ok_or(ApiError::NotAuthenticated)?;
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(credentials.trim())
            .map_err(|_| ApiError::NotAuthenticated)?;
        let decoded = String::from_utf8(decoded).map_err(|_| ApiError::NotAuthenticated)?;
        let (user, password) = decoded.split_once(':').ok_or(ApiError::NotAuthenticated)?;
        check_password(accounts, user, password)
            .map(Actor::from)
            .ok_or(ApiError::NotAuthenticated)
    } else if scheme.eq_ignore_ascii_case("bearer") {
        let user = tokens
            .user_of_access_token(credentials.trim(), now)
            .ok_or(ApiError::NotAuthenticated)?;
        accounts
            .iter()
            .find(|a| a.user_name == user)
            .map(Actor::from)
            .ok_or(ApiError::NotAuthenticated)
    } else {
        Err(ApiError::NotAuthenticated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accounts() -> Vec<Account> {
        vec![Account {
            user_name: "svc".to_owned(),
            password: "pw".to_owned(),
            sys_id: "1".to_owned(),
            display_name: "Svc".to_owned(),
            admin: false,
        }]
    }

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Ok(v) = value.parse() {
            headers.insert(AUTHORIZATION, v);
        }
        headers
    }

    #[test]
    fn basic_credentials_resolve_to_the_account() {
        let encoded = base64::engine::general_purpose::STANDARD.encode("svc:pw");
        let actor = authenticate(
            &headers(&format!("Basic {encoded}")),
            &accounts(),
            &Tokens::default(),
            Timestamp::now(),
        );
        assert_eq!(actor.map(|a| a.user_name).ok().as_deref(), Some("svc"));
    }

    #[test]
    fn wrong_missing_or_garbled_credentials_fail() {
        let wrong = base64::engine::general_purpose::STANDARD.encode("svc:nope");
        for value in [
            format!("Basic {wrong}"),
            "Basic !!!".to_owned(),
            "Bearer unknown".to_owned(),
            "Digest x".to_owned(),
            String::new(),
        ] {
            let result = authenticate(
                &headers(&value),
                &accounts(),
                &Tokens::default(),
                Timestamp::now(),
            );
            assert!(matches!(result, Err(ApiError::NotAuthenticated)), "{value}");
        }
    }

    #[test]
    fn an_api_key_signs_in_while_live() {
        let mut tokens = Tokens::default();
        tokens.add_api_key("key-1", "svc");
        tokens.set_api_keys_active(true);
        let with_key = |key: &str| {
            let mut headers = HeaderMap::new();
            if let Ok(v) = key.parse() {
                headers.insert(API_KEY_HEADER, v);
            }
            authenticate(&headers, &accounts(), &tokens, Timestamp::now())
        };
        assert_eq!(
            with_key("key-1").map(|a| a.user_name).ok().as_deref(),
            Some("svc")
        );
        assert!(matches!(with_key("key-2"), Err(ApiError::NotAuthenticated)));
        tokens.set_api_keys_active(false);
        let inactive = {
            let mut headers = HeaderMap::new();
            headers.insert(API_KEY_HEADER, http::HeaderValue::from_static("key-1"));
            authenticate(&headers, &accounts(), &tokens, Timestamp::now())
        };
        assert!(matches!(inactive, Err(ApiError::NotAuthenticated)));
    }
}
