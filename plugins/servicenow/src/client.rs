//! HTTP to the instance, through the host: one [`Call`] becomes one request (two after a 401
//! with OAuth: the refreshed token is tried once), signed in as configured (Basic, an OAuth
//! token or an API key in `x-sn-apikey`), with the standard headers and the configured
//! timeout, and the answer is classified ([`crate::classify`]).
//!
//! A [`Client`] is shared by the threads that deliver a batch's tickets concurrently. The OAuth
//! token is behind a lock held while a token is fetched, so requests that need a new token
//! at the same time fetch one between them, not one each.
//!
//! TLS, CA files, client certificates and proxies are not here: they are the host's `http`
//! table for this component, applied by the host's client to every request.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use sluice_sdk::{Host, HttpErrorKind, HttpRequest, HttpResponse};

use crate::classify::{classify, CallError, Principal};
use crate::config::{Secret, ServiceNowConfig};
use crate::envelope::ApiError;
use crate::in_flight::{InFlightLimit, Load};
use crate::oauth::{Grant, OAuth, TokenEndpoint};
use crate::query::Query;
use crate::signin::Method;

/// The header an API key travels in.
const API_KEY_HEADER: &str = "x-sn-apikey";

/// One request to make: method, path under the instance URL, query, body and extra headers.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    method: &'static str,
    path: String,
    query: Query,
    body: Option<(String, Vec<u8>)>,
    headers: Vec<(&'static str, String)>,
}

impl Call {
    /// A `GET`.
    pub(crate) fn get(path: String, query: Query) -> Self {
        Call {
            method: "GET",
            path,
            query,
            body: None,
            headers: Vec::new(),
        }
    }

    /// A `POST` of JSON.
    pub(crate) fn post_json(path: String, query: Query, body: &serde_json::Value) -> Self {
        Call::get(path, query).with_body("POST", "application/json", body.to_string().into_bytes())
    }

    /// A `PATCH` of JSON (a partial update: only the fields sent change).
    pub(crate) fn patch_json(path: String, query: Query, body: &serde_json::Value) -> Self {
        Call::get(path, query).with_body("PATCH", "application/json", body.to_string().into_bytes())
    }

    /// A `POST` of raw bytes of `content_type` (the Attachment API's `/file`).
    pub(crate) fn post_bytes(
        path: String,
        query: Query,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Self {
        Call::get(path, query).with_body("POST", content_type, bytes)
    }

    /// Adds a header.
    pub(crate) fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    fn with_body(mut self, method: &'static str, content_type: &str, bytes: Vec<u8>) -> Self {
        self.method = method;
        self.body = Some((content_type.to_owned(), bytes));
        self
    }
}

/// How requests sign in.
#[derive(Debug)]
enum SignIn {
    /// `Authorization: Basic`.
    Basic { username: String, password: Secret },
    /// `Authorization: Bearer`, from the token endpoint.
    OAuth(Mutex<OAuth>),
    /// `x-sn-apikey`.
    ApiKey(Secret),
}

/// The instance, as this sink reaches it.
#[derive(Debug)]
pub(crate) struct Client {
    host: Host,
    base_url: String,
    sign_in: SignIn,
    /// Whom a 401 is about.
    principal: Principal,
    timeout: Duration,
    /// How many requests may be in flight at once.
    in_flight: InFlightLimit,
}

impl Client {
    /// A client for `config`, which `ServiceNowConfig::check` accepted; no IO.
    pub(crate) fn new(config: &ServiceNowConfig, method: Method, host: Host) -> Self {
        let username = config.username.as_deref().unwrap_or("").trim().to_owned();
        let password = config.password.clone().unwrap_or_else(|| Secret::new(""));
        let user_principal = Principal {
            refused: format!("the credentials of user `{username}`"),
            check: "`username` and `password`",
        };
        let oauth = |grant: Grant| {
            let (id, secret) = config
                .oauth
                .as_ref()
                .map(|o| (o.client_id.trim().to_owned(), o.client_secret.clone()))
                .unwrap_or_else(|| (String::new(), Secret::new("")));
            SignIn::OAuth(Mutex::new(OAuth::new(id, secret, grant)))
        };
        let (sign_in, principal) = match method {
            Method::Basic => (SignIn::Basic { username, password }, user_principal),
            Method::OAuthPassword => (
                oauth(Grant::Password { username, password }),
                user_principal,
            ),
            Method::OAuthClientCredentials => (
                oauth(Grant::ClientCredentials),
                Principal {
                    refused: "the OAuth client-credentials token".to_owned(),
                    check: "`oauth.client_id` and `oauth.client_secret`",
                },
            ),
            Method::ApiKey => (
                SignIn::ApiKey(config.api_key.clone().unwrap_or_else(|| Secret::new(""))),
                Principal {
                    refused: "the API key".to_owned(),
                    check: "`api_key`: it may have been revoked or have expired, or the \
                            instance's API access policy may not cover the Table and \
                            Attachment APIs",
                },
            ),
        };
        Client {
            host,
            base_url: config.base_url().to_owned(),
            sign_in,
            principal,
            timeout: config.request_timeout.get(),
            in_flight: InFlightLimit::new(
                config.max_concurrent_requests,
                config.adaptive_concurrency,
            ),
        }
    }

    /// The instance URL, without a trailing slash.
    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Who requests sign in as, for messages: "user `svc`", "an API key", ….
    pub(crate) fn signed_in_as(&self) -> String {
        match &self.sign_in {
            SignIn::Basic { username, .. } => format!("user `{username}`"),
            SignIn::OAuth(oauth) => match &*lock(oauth) {
                o if o.is_client_credentials() => {
                    format!("OAuth client `{}` (client credentials)", o.client_id())
                }
                o => format!("{} (OAuth)", o.holder()),
            },
            SignIn::ApiKey(_) => "an API key".to_owned(),
        }
    }

    /// The host, for logging and the clock.
    pub(crate) fn host(&self) -> &Host {
        &self.host
    }

    /// Sends `call` when a place in flight is free; `Ok` only for a 2xx answer. While a
    /// `Retry-After` lasts, answers at once as rate limited, with the time left.
    pub(crate) fn send(&self, call: &Call) -> Result<HttpResponse, CallError> {
        let place = self
            .in_flight
            .enter()
            .map_err(|left| CallError::RateLimited {
                error: ApiError {
                    message: "not sent".to_owned(),
                    detail: Some(
                        "ServiceNow asked to wait (Retry-After) after an earlier request"
                            .to_owned(),
                    ),
                },
                retry_after: Some(left),
            })?;
        let result = self.send_now(call);
        place.leave(load_of(&result));
        result
    }

    fn send_now(&self, call: &Call) -> Result<HttpResponse, CallError> {
        let (response, bearer) = self.attempt(call)?;
        if response.status == 401 {
            if let (SignIn::OAuth(oauth), Some(bearer)) = (&self.sign_in, bearer) {
                // The token may have been revoked or have expired by the instance's clock:
                // refresh it once and try again (Splunk's add-on does the same); a second 401 is
                // about the credentials.
                if lock(oauth).expire(&bearer) {
                    self.host
                        .debug("ServiceNow answered 401 to the OAuth token; refreshing it once.");
                } else {
                    self.host.debug(
                        "ServiceNow answered 401 to an OAuth token another request has \
                         refreshed since; trying the new one once.",
                    );
                }
                let (response, _) = self.attempt(call)?;
                return classify(response, &self.principal, self.host.now()).map_err(|e| match e {
                    CallError::Credentials(message) => CallError::Credentials(format!(
                        "{message} (even with a freshly refreshed OAuth token)"
                    )),
                    other => other,
                });
            }
        }
        classify(response, &self.principal, self.host.now())
    }

    /// One request; also returns the OAuth access token it carried, if any.
    fn attempt(&self, call: &Call) -> Result<(HttpResponse, Option<String>), CallError> {
        let mut url = format!("{}{}", self.base_url, call.path);
        if !call.query.is_empty() {
            url.push('?');
            url.push_str(call.query.as_str());
        }
        let mut request = HttpRequest::new(call.method, url)
            .header("Accept", "application/json")
            .timeout(self.timeout);
        let mut bearer = None;
        request = match &self.sign_in {
            SignIn::Basic { username, password } => request.basic_auth(username, password.expose()),
            SignIn::OAuth(oauth) => {
                let endpoint = TokenEndpoint {
                    host: &self.host,
                    base_url: &self.base_url,
                    timeout: self.timeout,
                };
                // Held while a token is fetched: the other requests wait for it and use it.
                let token = lock(oauth).bearer(&endpoint)?;
                let request = request.bearer_auth(&token);
                bearer = Some(token);
                request
            }
            SignIn::ApiKey(key) => request.header(API_KEY_HEADER, key.expose()),
        };
        for (name, value) in &call.headers {
            request = request.header(*name, value.as_str());
        }
        if let Some((content_type, bytes)) = &call.body {
            request = request
                .header("Content-Type", content_type.as_str())
                .body(bytes.clone());
        }
        let response = self.host.http(request).map_err(CallError::transport)?;
        Ok((response, bearer))
    }
}

/// What the outcome of a request says of the instance's load.
fn load_of(result: &Result<HttpResponse, CallError>) -> Load {
    match result {
        Ok(_) => Load::Answered,
        Err(CallError::RateLimited { retry_after, .. }) => Load::PushedBack(*retry_after),
        Err(CallError::Unavailable { retry_after, .. }) => Load::PushedBack(*retry_after),
        Err(CallError::Unreachable {
            kind: HttpErrorKind::Timeout,
            ..
        }) => Load::PushedBack(None),
        Err(CallError::Unreachable { .. }) => Load::Unknown,
        Err(_) => Load::Answered,
    }
}

/// The OAuth state. A poisoned lock is used as is: a token is replaced whole or not at all.
fn lock(oauth: &Mutex<OAuth>) -> MutexGuard<'_, OAuth> {
    oauth.lock().unwrap_or_else(PoisonError::into_inner)
}
