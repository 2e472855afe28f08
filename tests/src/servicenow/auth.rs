//! Who is calling: Basic credentials or an OAuth Bearer token, resolved to an [`Actor`].
//! Every failure is the same 401, whatever was wrong, as on a real instance.

use base64::Engine as _;
use http::header::AUTHORIZATION;
use http::HeaderMap;
use jiff::Timestamp;

use super::account::{check_password, Account, Actor};
use super::errors::ApiError;
use super::tokens::Tokens;

/// Checks the `Authorization` header against the accounts and the live tokens.
pub(crate) fn authenticate(
    headers: &HeaderMap,
    accounts: &[Account],
    tokens: &Tokens,
    now: Timestamp,
) -> Result<Actor, ApiError> {
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
}
