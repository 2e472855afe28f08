//! NTLM and Negotiate for plugins: the host runs the handshake, on a connection it keeps for
//! that origin and account, and sends the request (and the ones after it) on that
//! connection. They authenticate a connection, not a request, so the pooled reqwest client,
//! which may pick any connection for the next request, cannot carry them.
//!
//! ```text
//!   request ──▶ kept connection for (scheme, origin, account)?
//!                 yes: send it bare ──▶ not 401: done │ 401: the server forgot; handshake anew
//!                 no:  connect ──▶ NEGOTIATE ──401 + CHALLENGE──▶ AUTHENTICATE (with the request)
//!                        ──▶ 2xx…5xx but 401: keep the connection │ 401: the answer, as is
//! ```
//!
//! A 401 after the AUTHENTICATE, or a 401 without a challenge for the scheme, goes back to the
//! plugin unchanged: its `WWW-Authenticate` headers say what the server offers, and the plugin
//! says what to change. Requests for one origin and account go one at a time.

mod connection;
mod handshake;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use sluice_sdk::{AuthScheme, HttpAuth, HttpError, HttpErrorKind, HttpRequest, HttpResponse};

use connection::{Connection, Origin};
use handshake::ClientHandshake;

/// What a kept connection is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    scheme: AuthScheme,
    origin: Origin,
    account: String,
}

/// The connections a component keeps for NTLM and Negotiate, one per origin and account.
#[derive(Debug)]
pub(crate) struct AuthenticatedConnections {
    tls: Arc<rustls::ClientConfig>,
    kept: Mutex<HashMap<Key, Arc<tokio::sync::Mutex<Option<Connection>>>>>,
}

impl AuthenticatedConnections {
    /// Connections made with `tls` (the component's TLS setup, ALPN `http/1.1`).
    pub(crate) fn new(tls: Arc<rustls::ClientConfig>) -> Self {
        AuthenticatedConnections {
            tls,
            kept: Mutex::default(),
        }
    }

    /// Sends `request`, authenticated with `auth` (NTLM or Negotiate).
    pub(crate) async fn send(
        &self,
        request: &HttpRequest,
        auth: &HttpAuth,
    ) -> Result<HttpResponse, HttpError> {
        let (origin, target) = Origin::of(&request.url)?;
        let key = Key {
            scheme: auth.scheme,
            origin,
            account: auth.username.to_lowercase(),
        };
        let slot = {
            let mut kept = self
                .kept
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(kept.entry(key.clone()).or_default())
        };
        let mut slot = slot.lock().await;
        if let Some(connection) = slot.as_mut().filter(|c| !c.is_closed()) {
            match connection.send(request, &target, None).await {
                Ok(response) if response.status != 401 => return Ok(response),
                // Forgotten by the server, or closed under us: start over.
                _ => {
                    tracing::debug!(origin = %key.origin.host, "NTLM connection needs a new handshake.")
                }
            }
        }
        *slot = None;
        let mut connection = Connection::open(&key.origin, &self.tls).await?;
        let (response, authenticated) =
            handshake(&mut connection, request, &target, auth, &key.origin.host).await?;
        if authenticated {
            *slot = Some(connection);
        }
        Ok(response)
    }
}

/// Runs the handshake on `connection`, carrying `request`; the final answer, and whether the
/// connection is now authenticated.
async fn handshake(
    connection: &mut Connection,
    request: &HttpRequest,
    target: &str,
    auth: &HttpAuth,
    host: &str,
) -> Result<(HttpResponse, bool), HttpError> {
    let scheme = auth.scheme.name();
    let mut context = ClientHandshake::new(auth.scheme, &auth.username, &auth.password, host)
        .map_err(|e| HttpError::new(HttpErrorKind::InvalidRequest, e.to_string()))?;
    let mut token = context.step(None).map_err(|e| protocol(scheme, &e))?;
    // NEGOTIATE, AUTHENTICATE; Negotiate may take one more round.
    for _ in 0..3 {
        let header = format!("{scheme} {}", STANDARD.encode(&token));
        let response = connection.send(request, target, Some(&header)).await?;
        if response.status != 401 {
            return Ok((response, true));
        }
        let Some(challenge) = server_token(&response, scheme) else {
            // Refused, or the scheme is not offered: the plugin reads the 401.
            return Ok((response, false));
        };
        token = context
            .step(Some(&challenge))
            .map_err(|e| protocol(scheme, &e))?;
    }
    Err(HttpError::new(
        HttpErrorKind::Other,
        format!("the {scheme} handshake did not end after three rounds"),
    ))
}

/// The server's token in a `WWW-Authenticate: SCHEME token` header, if any.
fn server_token(response: &HttpResponse, scheme: &str) -> Option<Vec<u8>> {
    response
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("www-authenticate"))
        .find_map(|(_, value)| {
            let (name, token) = value.trim().split_once(' ')?;
            if !name.eq_ignore_ascii_case(scheme) {
                return None;
            }
            STANDARD.decode(token.trim()).ok()
        })
}

fn protocol(scheme: &str, error: &handshake::HandshakeError) -> HttpError {
    HttpError::new(
        HttpErrorKind::Other,
        format!("the {scheme} handshake failed: {error}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unauthorized(challenges: &[&str]) -> HttpResponse {
        HttpResponse {
            status: 401,
            headers: challenges
                .iter()
                .map(|c| ("WWW-Authenticate".to_owned(), (*c).to_owned()))
                .collect(),
            body: Vec::new(),
        }
    }

    #[test]
    fn the_servers_token_is_read_from_its_schemes_header_only() {
        let response = unauthorized(&["Negotiate", "NTLM TlRMTVNTUAACAAAA", "Basic realm=\"x\""]);
        assert_eq!(
            server_token(&response, "NTLM").as_deref(),
            Some(&b"NTLMSSP\0\x02\0\0\0"[..])
        );
        assert_eq!(server_token(&response, "Negotiate"), None, "a bare offer");
        assert_eq!(server_token(&unauthorized(&["NTLM !!!"]), "NTLM"), None);
    }
}
