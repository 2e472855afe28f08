//! HTTP to the instance, through the host: one [`Call`] becomes one request (two after a 401
//! with OAuth: the refreshed token is tried once), with authentication, the
//! standard headers and the configured timeout, and the answer is classified
//! ([`crate::classify`]).
//!
//! A [`Client`] is shared by the threads that deliver a batch's tickets concurrently. The OAuth
//! token is behind a lock held while a token is fetched, so requests that need a new token
//! at the same time fetch one between them, not one each.
//!
//! TLS, CA files, client certificates and proxies are not here: they are the host's `http`
//! table for this component, applied by the host's client to every request.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use sluice_sdk::{Host, HttpRequest, HttpResponse};

use crate::classify::{classify, CallError};
use crate::config::{Secret, ServiceNowConfig};
use crate::oauth::{OAuth, TokenEndpoint};
use crate::query::Query;

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

/// The instance, as this sink reaches it.
#[derive(Debug)]
pub(crate) struct Client {
    host: Host,
    base_url: String,
    username: String,
    password: Secret,
    oauth: Option<Mutex<OAuth>>,
    timeout: Duration,
}

impl Client {
    /// A client for `config`; no IO.
    pub(crate) fn new(config: &ServiceNowConfig, host: Host) -> Self {
        Client {
            host,
            base_url: config.base_url().to_owned(),
            username: config.username.trim().to_owned(),
            password: config.password.clone(),
            oauth: config
                .oauth
                .as_ref()
                .map(|o| OAuth::new(o.client_id.trim().to_owned(), o.client_secret.clone()))
                .map(Mutex::new),
            timeout: config.request_timeout.get(),
        }
    }

    /// The instance URL, without a trailing slash.
    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The integration user.
    pub(crate) fn username(&self) -> &str {
        &self.username
    }

    /// The host, for logging and the clock.
    pub(crate) fn host(&self) -> &Host {
        &self.host
    }

    /// Sends `call`; `Ok` only for a 2xx answer.
    pub(crate) fn send(&self, call: &Call) -> Result<HttpResponse, CallError> {
        let (response, bearer) = self.attempt(call)?;
        if response.status == 401 {
            if let (Some(oauth), Some(bearer)) = (&self.oauth, bearer) {
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
                return classify(response, &self.username, self.host.now()).map_err(|e| match e {
                    CallError::Credentials(message) => CallError::Credentials(format!(
                        "{message} (even with a freshly refreshed OAuth token)"
                    )),
                    other => other,
                });
            }
        }
        classify(response, &self.username, self.host.now())
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
        let bearer = match &self.oauth {
            Some(oauth) => {
                let endpoint = TokenEndpoint {
                    host: &self.host,
                    base_url: &self.base_url,
                    username: &self.username,
                    password: &self.password,
                    timeout: self.timeout,
                };
                // Held while a token is fetched: the other requests wait for it and use it.
                Some(lock(oauth).bearer(&endpoint)?)
            }
            None => None,
        };
        request = match &bearer {
            Some(token) => request.bearer_auth(token),
            None => request.basic_auth(&self.username, self.password.expose()),
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

/// The OAuth state. A poisoned lock is used as is: a token is replaced whole or not at all.
fn lock(oauth: &Mutex<OAuth>) -> MutexGuard<'_, OAuth> {
    oauth.lock().unwrap_or_else(PoisonError::into_inner)
}
