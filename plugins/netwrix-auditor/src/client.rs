//! [`Client`]: one `POST …/activity_records/search` through the host,
//! answered by a decoded page, by the errors of a 400, or by a classified [`PluginError`].
//!
//! The client owns the request's shape (URL, query, the authentication the host runs, content
//! type, timeout) and nothing of paging: [`crate::fetch`] and [`crate::poll`] decide which
//! requests to make.

use std::fmt;
use std::time::Duration;

use sluice_sdk::{Host, HttpRequest, PluginError};

use crate::auth::AuthMethod;
use crate::config::Password;
use crate::endpoint::Endpoint;
use crate::error_list::ApiError;
use crate::filter::Condition;
use crate::page::{self, Format, Page};
use crate::search;
use crate::status::{self, RequestInfo};

/// The answer to one search request.
#[derive(Debug)]
pub enum Answer {
    /// 2xx with a well-formed page.
    Page(Page),
    /// 400 Bad Request: a stale continuation mark, or a search the server will not run.
    Refused {
        /// The `ErrorList` entries (empty if the body was none).
        errors: Vec<ApiError>,
        /// The error to return when the caller cannot recover (a `rejected` error naming the
        /// request and quoting the server).
        error: PluginError,
    },
}

/// Talks to one Auditor server as one account.
pub struct Client {
    host: Host,
    endpoint: Endpoint,
    username: String,
    password: Password,
    auth: AuthMethod,
    format: Format,
    timeout: Duration,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.endpoint)
            .field("username", &self.username)
            .field("auth", &self.auth)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client; no IO.
    pub fn new(
        host: Host,
        endpoint: Endpoint,
        username: String,
        password: Password,
        auth: AuthMethod,
        format: Format,
        timeout: Duration,
    ) -> Self {
        Client {
            host,
            endpoint,
            username,
            password,
            auth,
            format,
            timeout,
        }
    }

    /// The host, for logging and the clock.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// Searches with `conditions` (and `mark` for a later page), `count` records per page.
    /// `purpose` says what the request is for in every message about it ("fetch of 50 RIDs,
    /// batch 1 of 2, page 1").
    pub fn search(
        &self,
        conditions: &[Condition],
        mark: Option<&str>,
        count: u32,
        purpose: &str,
    ) -> Result<Answer, PluginError> {
        let url = self.endpoint.search_url(self.format == Format::Json, count);
        let label = format!("POST {url} ({purpose})");
        let info = RequestInfo {
            label: &label,
            account: &self.username,
            auth: self.auth,
            base: self.endpoint.base(),
            format: self.format,
        };
        let request = HttpRequest::post(url.as_str())
            .auth(self.auth.scheme(), &self.username, self.password.expose())
            .header("Content-Type", self.format.content_type())
            .body(search::render(self.format, conditions, mark))
            .timeout(self.timeout);
        let response = self
            .host
            .http(request)
            .map_err(|e| status::transport(&e, info))?;
        if !response.is_success() {
            let errors = status::failure(&response, info, self.host.now())?;
            let error = status::rejected(&errors, &response, info);
            return Ok(Answer::Refused { errors, error });
        }
        let page = page::parse_page(self.format, &response.body)
            .map_err(|e| status::not_a_page(&response, &e, info))?;
        if page.unidentified > 0 {
            self.host.warn(format!(
                "{} record(s) without a RID in the answer to {label} were left out: a record \
                 without its id cannot be deduplicated or fetched again",
                page.unidentified
            ));
        }
        Ok(Answer::Page(page))
    }
}
