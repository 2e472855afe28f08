//! The inbound OAuth token endpoint `POST /oauth_token.do` with the password and refresh-token
//! grants on every release, and the client-credentials grant from Washington DC where the
//! instance enables it. The tokens it hands out are kept in [`Tokens`](super::tokens::Tokens).
//! A client-credentials token acts as the client's "OAuth Application User" (here the API
//! user) and comes without a refresh token: the client asks again.

use std::sync::Arc;

use axum::extract::rejection::FormRejection;
use axum::extract::State;
use axum::response::Response;
use axum::Form;
use http::StatusCode;
use serde_json::json;

use super::account::check_password;
use super::release::Release;
use super::reply::json_response;
use super::state::Shared;
use super::tokens::Refresh;

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
                .issue(&account.user_name, client_id, now, lifetimes, Refresh::New)
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
                Refresh::Reuse(refresh.to_owned()),
            )
        }
        Some("client_credentials")
            if shared.release >= Release::WashingtonDc && inner.profile.client_credentials =>
        {
            let user = shared.client_credentials_user.clone();
            inner
                .tokens
                .issue(&user, client_id, now, lifetimes, Refresh::None)
        }
        _ => return denied(),
    };
    let mut body = json!({
        "scope": "useraccount",
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
        "access_token": issued.access_token,
    });
    if let Some(refresh) = issued.refresh_token {
        body["refresh_token"] = json!(refresh);
    }
    json_response(StatusCode::OK, &body)
}
