//! OAuth 2.0 tokens from the instance's `/oauth_token.do`: the password grant (every release)
//! or the client-credentials grant (Washington DC on) to start, the refresh-token grant
//! before the access token expires by the **host** clock (so tests move time instead of
//! sleeping), and once more after a 401. A client-credentials token may come without a
//! refresh token; then the grant itself is asked again.

use std::time::{Duration, SystemTime};

use serde::Deserialize;
use sluice_sdk::{Host, HttpRequest};

use crate::classify::{classify, CallError, Principal};
use crate::config::Secret;
use crate::envelope;
use crate::query::Query;

/// Refresh this long before expiry, at most (a tenth of a short lifetime otherwise).
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// Longest token lifetime believed; a larger `expires_in` is read as this, so clock arithmetic
/// cannot overflow on a nonsensical answer.
const MAX_LIFETIME: Duration = Duration::from_secs(366 * 24 * 3600);

/// Where tokens are requested.
#[derive(Debug)]
pub(crate) struct TokenEndpoint<'a> {
    pub(crate) host: &'a Host,
    pub(crate) base_url: &'a str,
    pub(crate) timeout: Duration,
}

/// The grant that starts a token's life.
#[derive(Debug)]
pub(crate) enum Grant {
    /// As `username`, with its password.
    Password { username: String, password: Secret },
    /// As the client's OAuth Application User.
    ClientCredentials,
}

/// The OAuth client and its current token.
#[derive(Debug)]
pub(crate) struct OAuth {
    client_id: String,
    client_secret: Secret,
    grant: Grant,
    token: Option<Token>,
}

/// A token pair. `Debug` is hand-written so it never prints them.
struct Token {
    access: String,
    refresh: Option<String>,
    /// When to stop using `access`: its expiry minus the refresh margin.
    refresh_at: SystemTime,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("refresh_at", &self.refresh_at)
            .finish_non_exhaustive()
    }
}

/// The token endpoint's success body. `expires_in` is documented as a number (`1799`); a
/// string is accepted too, since every other value ServiceNow sends is one.
#[derive(Deserialize)]
struct Granted {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

impl OAuth {
    /// A client with no token yet.
    pub(crate) fn new(client_id: String, client_secret: Secret, grant: Grant) -> Self {
        OAuth {
            client_id,
            client_secret,
            grant,
            token: None,
        }
    }

    /// The client id, for messages.
    pub(crate) fn client_id(&self) -> &str {
        &self.client_id
    }

    /// An access token that is valid now by the host clock: minted with the configured grant
    /// if there is none, refreshed if it is about to expire (falling back to the configured
    /// grant if the refresh token is refused or there is none).
    pub(crate) fn bearer(&mut self, endpoint: &TokenEndpoint<'_>) -> Result<String, CallError> {
        let now = endpoint.host.now();
        if let Some(token) = &self.token {
            if now < token.refresh_at {
                return Ok(token.access.clone());
            }
        }
        // The old token stays until a new one arrives, so a failed refresh can be tried again.
        let refresh = self.token.as_ref().and_then(|t| t.refresh.clone());
        let token = match refresh {
            Some(refresh) => match self.grant(
                endpoint,
                &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
            ) {
                Ok(token) => token,
                Err(CallError::Credentials(_)) => {
                    endpoint.host.debug(
                        "ServiceNow refused the OAuth refresh token; requesting a new token \
                         with the configured grant.",
                    );
                    self.first_grant(endpoint)?
                }
                Err(other) => return Err(other),
            },
            None => self.first_grant(endpoint)?,
        };
        let access = token.access.clone();
        self.token = Some(token);
        Ok(access)
    }

    /// Forgets that the access token `rejected` is valid (the instance answered 401 to it): the
    /// next [`OAuth::bearer`] refreshes it. Only if it is still the current token: requests in
    /// flight together meet the same 401, and one refresh serves them all. Returns whether it
    /// was the current token.
    pub(crate) fn expire(&mut self, rejected: &str) -> bool {
        match &mut self.token {
            Some(token) if token.access == rejected => {
                token.refresh_at = SystemTime::UNIX_EPOCH;
                true
            }
            _ => false,
        }
    }

    /// The configured grant: password or client credentials.
    fn first_grant(&self, endpoint: &TokenEndpoint<'_>) -> Result<Token, CallError> {
        match &self.grant {
            Grant::Password { username, password } => self.grant(
                endpoint,
                &[
                    ("grant_type", "password"),
                    ("username", username),
                    ("password", password.expose()),
                ],
            ),
            Grant::ClientCredentials => {
                self.grant(endpoint, &[("grant_type", "client_credentials")])
            }
        }
    }

    /// Whether tokens come from the client-credentials grant.
    pub(crate) fn is_client_credentials(&self) -> bool {
        matches!(self.grant, Grant::ClientCredentials)
    }

    /// Whom tokens are for, in messages: "user `svc`" or "the OAuth application's user".
    pub(crate) fn holder(&self) -> String {
        match &self.grant {
            Grant::Password { username, .. } => format!("user `{username}`"),
            Grant::ClientCredentials => "the OAuth application's user".to_owned(),
        }
    }

    /// The config keys a refused grant is about.
    fn grant_keys(&self) -> &'static str {
        match &self.grant {
            Grant::Password { .. } => {
                "`username`, `password`, `oauth.client_id` and `oauth.client_secret` (of an \
                 application registered on the instance)"
            }
            Grant::ClientCredentials => {
                "`oauth.client_id` and `oauth.client_secret`, and that the instance enables \
                 the client-credentials grant (system property \
                 glide.oauth.inbound.client.credential.grant_type.enabled)"
            }
        }
    }

    fn grant(
        &self,
        endpoint: &TokenEndpoint<'_>,
        params: &[(&str, &str)],
    ) -> Result<Token, CallError> {
        let grant_type = params.first().map(|(_, v)| *v).unwrap_or("password");
        let mut form = Query::new()
            .param("client_id", &self.client_id)
            .param("client_secret", self.client_secret.expose());
        for (name, value) in params {
            form = form.param(name, value);
        }
        let request = HttpRequest::post(format!("{}/oauth_token.do", endpoint.base_url))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Accept", "application/json")
            .body(form.as_str().as_bytes().to_vec())
            .timeout(endpoint.timeout);
        let requested = endpoint.host.now();
        let response = endpoint.host.http(request).map_err(CallError::transport)?;
        let who = Principal {
            refused: format!("the OAuth {grant_type} grant"),
            check: "",
        };
        let response = match classify(response, &who, requested) {
            Ok(response) => response,
            // The token endpoint answers 401 (sometimes 400) for a bad client, user or grant
            // (`{"error":"server_error","error_description":"access_denied"}`): all of them
            // mean the credentials, not the request.
            Err(CallError::Credentials(_) | CallError::Rejected { .. }) => {
                return Err(CallError::Credentials(format!(
                    "ServiceNow refused the OAuth {grant_type} grant for {} with client `{}`; \
                     check {}",
                    self.holder(),
                    self.client_id,
                    self.grant_keys()
                )))
            }
            Err(other) => return Err(other),
        };
        let granted: Granted = serde_json::from_slice(&response.body).map_err(|e| {
            CallError::Protocol(format!(
                "the token endpoint answered something else than a token ({e}): {}",
                envelope::summary(&response.body)
            ))
        })?;
        let lifetime = granted
            .expires_in
            .as_ref()
            .and_then(|v| match v {
                serde_json::Value::Number(n) => n.as_u64(),
                serde_json::Value::String(s) => s.trim().parse().ok(),
                _ => None,
            })
            .map(Duration::from_secs)
            // 1800 s is the default token lifespan of an application registry entry, which
            // answers `"expires_in":1799`.
            .unwrap_or(Duration::from_secs(1799))
            .min(MAX_LIFETIME);
        let margin = REFRESH_MARGIN.min(lifetime / 10);
        endpoint.host.debug(format!(
            "Got an OAuth access token for {} ({grant_type} grant), valid {}s.",
            self.holder(),
            lifetime.as_secs()
        ));
        Ok(Token {
            access: granted.access_token,
            refresh: granted.refresh_token.filter(|r| !r.is_empty()),
            refresh_at: requested
                .checked_add(lifetime.saturating_sub(margin))
                .unwrap_or(requested),
        })
    }
}
