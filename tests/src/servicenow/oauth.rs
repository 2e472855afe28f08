//! The inbound OAuth token endpoint `POST /oauth_token.do` with the password and refresh-token
//! grants, and the tokens it hands out. Expiry follows the emulator clock, so a
//! test expires a token with `ServiceNow::advance` instead of sleeping.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::FormRejection;
use axum::extract::State;
use axum::response::Response;
use axum::Form;
use http::StatusCode;
use jiff::{SignedDuration, Timestamp};
use serde_json::json;

use super::auth::check_password;
use super::reply::json_response;
use super::state::Shared;
use super::store::new_sys_id;

/// Who a token was issued to, and until when it is valid.
#[derive(Clone, Debug)]
struct Grant {
    user_name: String,
    client_id: String,
    expires_at: Timestamp,
}

/// Live access and refresh tokens.
#[derive(Debug, Default)]
pub(crate) struct Tokens {
    access: HashMap<String, Grant>,
    refresh: HashMap<String, Grant>,
}

/// A freshly issued token pair.
#[derive(Debug)]
struct Issued {
    access_token: String,
    refresh_token: String,
    expires_in: u64,
}

impl Tokens {
    /// The user an unexpired access token belongs to.
    pub(crate) fn user_of_access_token(&self, token: &str, now: Timestamp) -> Option<&str> {
        self.access
            .get(token)
            .filter(|g| now < g.expires_at)
            .map(|g| g.user_name.as_str())
    }

    /// Issues an access token (and a refresh token unless one is being reused).
    fn issue(
        &mut self,
        user_name: &str,
        client_id: &str,
        now: Timestamp,
        lifetimes: (Duration, Duration),
        reuse_refresh: Option<String>,
    ) -> Issued {
        let (access_life, refresh_life) = lifetimes;
        let access_token = token_string();
        self.access.insert(
            access_token.clone(),
            Grant {
                user_name: user_name.to_owned(),
                client_id: client_id.to_owned(),
                expires_at: later(now, access_life),
            },
        );
        let refresh_token = reuse_refresh.unwrap_or_else(|| {
            let token = token_string();
            self.refresh.insert(
                token.clone(),
                Grant {
                    user_name: user_name.to_owned(),
                    client_id: client_id.to_owned(),
                    expires_at: later(now, refresh_life),
                },
            );
            token
        });
        Issued {
            access_token,
            refresh_token,
            // A 1800 s lifespan is reported as 1799, as real instances do: the seconds left,
            // rounded down.
            expires_in: access_life.as_secs().saturating_sub(1),
        }
    }

    /// The grant behind an unexpired refresh token of `client_id`.
    fn redeem_refresh(&self, token: &str, client_id: &str, now: Timestamp) -> Option<Grant> {
        self.refresh
            .get(token)
            .filter(|g| now < g.expires_at && g.client_id == client_id)
            .cloned()
    }
}

fn later(now: Timestamp, by: Duration) -> Timestamp {
    SignedDuration::try_from(by)
        .ok()
        .and_then(|by| now.checked_add(by).ok())
        .unwrap_or(Timestamp::MAX)
}

fn token_string() -> String {
    format!("{}{}", new_sys_id(), new_sys_id())
}

/// The failure body for every refused token request, the one real instances answer with.
fn denied() -> Response {
    json_response(
        StatusCode::UNAUTHORIZED,
        &json!({"error_description": "access_denied", "error": "server_error"}),
    )
}

/// `POST /oauth_token.do`.
pub(crate) async fn token(
    State(shared): State<Arc<Shared>>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let Ok(Form(pairs)) = form else {
        return denied();
    };
    let param = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let (Some(client_id), Some(client_secret)) = (param("client_id"), param("client_secret"))
    else {
        return denied();
    };
    let client_known = shared
        .oauth_clients
        .iter()
        .any(|(id, secret)| id == client_id && secret == client_secret);
    let mut inner = shared.lock();
    if !inner.profile.oauth || !client_known {
        return denied();
    }
    let now = inner.clock.now();
    let lifetimes = (shared.access_token_lifetime, shared.refresh_token_lifetime);
    let issued = match param("grant_type") {
        Some("password") => {
            let (Some(user), Some(password)) = (param("username"), param("password")) else {
                return denied();
            };
            let Some(account) = check_password(&shared.accounts, user, password) else {
                return denied();
            };
            inner
                .tokens
                .issue(&account.user_name, client_id, now, lifetimes, None)
        }
        Some("refresh_token") => {
            let Some(refresh) = param("refresh_token") else {
                return denied();
            };
            let Some(grant) = inner.tokens.redeem_refresh(refresh, client_id, now) else {
                return denied();
            };
            inner.tokens.issue(
                &grant.user_name,
                client_id,
                now,
                lifetimes,
                Some(refresh.to_owned()),
            )
        }
        _ => return denied(),
    };
    json_response(
        StatusCode::OK,
        &json!({
            "scope": "useraccount",
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
            "refresh_token": issued.refresh_token,
            "access_token": issued.access_token,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_tokens_expire_on_the_given_clock() {
        let mut tokens = Tokens::default();
        let now = Timestamp::now();
        let life = (Duration::from_secs(1800), Duration::from_secs(86_400));
        let issued = tokens.issue("svc", "client", now, life, None);
        assert_eq!(issued.expires_in, 1799);
        assert_eq!(
            tokens.user_of_access_token(&issued.access_token, now),
            Some("svc")
        );
        let after = later(now, Duration::from_secs(1800));
        assert_eq!(
            tokens.user_of_access_token(&issued.access_token, after),
            None
        );
        assert!(tokens
            .redeem_refresh(&issued.refresh_token, "client", after)
            .is_some());
        assert!(tokens
            .redeem_refresh(&issued.refresh_token, "other-client", after)
            .is_none());
    }
}
