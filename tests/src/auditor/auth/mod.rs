//! Authentication, as the Integration API's Windows HTTP server does it: every endpoint needs
//! it; NTLM (the documented recommendation), Negotiate (SPNEGO carrying NTLM) and Basic are
//! offered, each a switch of the profile. A 401 carries one `WWW-Authenticate` header per
//! scheme offered, `Negotiate` and `NTLM` first and `Basic realm="HOST"` last, as HTTP.sys
//! sends them. Digest and Kerberos are not implemented, so never offered.
//!
//! NTLM and Negotiate authenticate a connection: the CHALLENGE and the AUTHENTICATE must come
//! on one connection, and later requests on it are served without a header. They are offered
//! only where the server can tell connections apart ([`crate::ConnectionId`], which
//! [`crate::serve`] provides); a router mounted elsewhere offers Basic alone.

mod basic;
mod connections;
mod ntlm;
mod spnego;

use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use connections::ConnectionState;
pub(crate) use connections::Connections;
use spnego::Framing;

use super::stats::Endpoint;
use super::store::Shared;
use crate::ConnectionId;

/// A connection-oriented scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// `NTLM`.
    Ntlm,
    /// `Negotiate`.
    Negotiate,
}

impl Scheme {
    fn name(self) -> &'static str {
        match self {
            Scheme::Ntlm => "NTLM",
            Scheme::Negotiate => "Negotiate",
        }
    }
}

/// What the layer in front of an endpoint holds.
#[derive(Debug, Clone)]
pub(crate) struct Gate {
    /// The emulator's state: the account, the switches, the clock.
    pub(crate) shared: Arc<Shared>,
    /// The connections of this router.
    pub(crate) connections: Arc<Connections>,
    /// The endpoint, to tag a 401 for the statistics.
    pub(crate) endpoint: Endpoint,
}

/// The middleware in front of each documented endpoint: lets an authenticated request
/// through (adding SPNEGO's final token to the answer), and answers anything else itself.
pub(crate) async fn layer(State(gate): State<Gate>, request: Request, next: Next) -> Response {
    let Gate {
        shared,
        connections,
        endpoint,
    } = gate;
    let connection = request
        .extensions()
        .get::<ConnectInfo<ConnectionId>>()
        .map(|info| info.0 .0);
    match authenticate(&shared, &connections, connection, request.headers()) {
        Verdict::Pass(final_token) => {
            let mut response = next.run(request).await;
            if let Some(value) = final_token {
                response
                    .headers_mut()
                    .append(header::WWW_AUTHENTICATE, value);
            }
            response
        }
        Verdict::Answer(mut response) => {
            response.extensions_mut().insert(endpoint);
            response
        }
    }
}

/// What the server does with a request.
enum Verdict {
    /// Serve it, adding this header (SPNEGO's final token) to the answer.
    Pass(Option<HeaderValue>),
    /// Answer with this instead (a 401).
    Answer(Response),
}

/// Whether `headers` authenticate a request on `connection`.
fn authenticate(
    shared: &Shared,
    connections: &Connections,
    connection: Option<u64>,
    headers: &HeaderMap,
) -> Verdict {
    let offer = Offer::of(shared, connection.is_some());
    let Some((scheme, token)) = authorization(headers) else {
        if let Some(ConnectionState::Authenticated) = connection.and_then(|id| connections.get(id))
        {
            return Verdict::Pass(None);
        }
        return Verdict::Answer(offer.challenge(headers));
    };
    if scheme.eq_ignore_ascii_case("Basic") {
        if offer.basic && basic::authorized(token, &shared.username, &shared.password) {
            return Verdict::Pass(None);
        }
        tracing::info!("Auditor emulator: Basic credentials refused.");
        return Verdict::Answer(offer.challenge(headers));
    }
    let windows = [Scheme::Negotiate, Scheme::Ntlm]
        .into_iter()
        .find(|s| s.name().eq_ignore_ascii_case(scheme));
    match (windows, connection) {
        (Some(windows), Some(id)) if offer.offers(windows) => {
            match handshake(shared, connections, id, windows, token) {
                Ok(Step::Challenge(response)) => Verdict::Answer(response),
                Ok(Step::Authenticated(final_token)) => Verdict::Pass(final_token),
                Err(refused) => {
                    tracing::info!(
                        scheme = windows.name(),
                        reason = %refused,
                        "Auditor emulator: authentication refused."
                    );
                    connections.forget(id);
                    Verdict::Answer(offer.challenge(headers))
                }
            }
        }
        _ => Verdict::Answer(offer.challenge(headers)),
    }
}

/// Where a handshake step leaves the request.
enum Step {
    /// Answer with this 401, which carries the CHALLENGE.
    Challenge(Response),
    /// The connection is authenticated; add this header (SPNEGO's final token) to the answer.
    Authenticated(Option<HeaderValue>),
}

/// One step of an NTLM or Negotiate handshake on connection `id`: a NEGOTIATE gets its
/// CHALLENGE; an AUTHENTICATE that verifies authenticates the connection. `Err` says why the
/// step was refused, for the log.
fn handshake(
    shared: &Shared,
    connections: &Connections,
    id: u64,
    scheme: Scheme,
    token: &str,
) -> Result<Step, String> {
    let bytes = STANDARD
        .decode(token.trim())
        .map_err(|_| "the token is not base64".to_owned())?;
    let (message, framing) = match scheme {
        Scheme::Ntlm => (bytes, Framing::Bare),
        Scheme::Negotiate => spnego::unwrap(&bytes).map_err(|e| e.to_string())?,
    };
    match message.get(8) {
        Some(1) => {
            let names = ntlm::ServerNames {
                domain: account(shared).domain.to_ascii_uppercase(),
                computer: "AUDITOR".to_owned(),
            };
            let (challenge, reply) =
                ntlm::challenge(&message, &names, filetime(shared)).map_err(|e| e.to_string())?;
            connections.set(
                id,
                ConnectionState::Challenged {
                    scheme,
                    challenge,
                    framing,
                },
            );
            let reply = spnego::wrap_challenge(reply, framing);
            Ok(Step::Challenge(unauthorized(vec![with_token(
                scheme, &reply,
            )])))
        }
        Some(3) => {
            let Some(ConnectionState::Challenged {
                scheme: challenged_with,
                challenge,
                framing,
            }) = connections.get(id)
            else {
                return Err("an AUTHENTICATE with no CHALLENGE on this connection".to_owned());
            };
            if challenged_with != scheme {
                return Err("the handshake changed schemes half-way".to_owned());
            }
            ntlm::verify(&message, &challenge, &account(shared)).map_err(|e| e.to_string())?;
            connections.set(id, ConnectionState::Authenticated);
            Ok(Step::Authenticated(
                spnego::wrap_result(true, framing).map(|t| with_token(scheme, &t)),
            ))
        }
        _ => Err("not an NTLM NEGOTIATE or AUTHENTICATE message".to_owned()),
    }
}

/// The configured account, `DOMAIN\user` split.
fn account(shared: &Shared) -> ntlm::Account<'_> {
    let (domain, user) = shared
        .username
        .split_once('\\')
        .unwrap_or(("", &shared.username));
    ntlm::Account {
        domain,
        user,
        password: &shared.password,
    }
}

/// The emulator clock as a Windows FILETIME (100 ns since 1601).
fn filetime(shared: &Shared) -> u64 {
    const UNIX_EPOCH_AS_FILETIME: i128 = 116_444_736_000_000_000;
    let ticks = shared.now().as_nanosecond() / 100 + UNIX_EPOCH_AS_FILETIME;
    u64::try_from(ticks).unwrap_or(0)
}

/// The `Authorization` header as scheme and token.
fn authorization(headers: &HeaderMap) -> Option<(&str, &str)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    Some(value.split_once(' ').unwrap_or((value, "")))
}

/// What this server offers a request.
struct Offer {
    basic: bool,
    ntlm: bool,
    negotiate: bool,
}

impl Offer {
    fn of(shared: &Shared, connection_known: bool) -> Self {
        let b = &shared.behaviour;
        Offer {
            basic: b.accept_basic,
            ntlm: b.accept_ntlm && connection_known,
            negotiate: b.accept_negotiate && connection_known,
        }
    }

    fn offers(&self, scheme: Scheme) -> bool {
        match scheme {
            Scheme::Ntlm => self.ntlm,
            Scheme::Negotiate => self.negotiate,
        }
    }

    /// 401 with an empty body, as documented, and one challenge per scheme offered.
    fn challenge(&self, headers: &HeaderMap) -> Response {
        let mut challenges = Vec::new();
        if self.negotiate {
            challenges.push(HeaderValue::from_static("Negotiate"));
        }
        if self.ntlm {
            challenges.push(HeaderValue::from_static("NTLM"));
        }
        if self.basic {
            challenges.push(basic::challenge(&realm(headers)));
        }
        unauthorized(challenges)
    }
}

/// The realm HTTP.sys names in its Basic challenge: the host the client asked for.
fn realm(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    // `[::1]:9699`, `auditor:9699`, `auditor`.
    let name = match host.rfind(':') {
        Some(i) if !host[i..].contains(']') => &host[..i],
        _ => host,
    };
    name.chars().filter(|c| *c != '"' && *c != '\\').collect()
}

fn with_token(scheme: Scheme, token: &[u8]) -> HeaderValue {
    let value = format!("{} {}", scheme.name(), STANDARD.encode(token));
    // Base64 and a scheme name are valid header text.
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("NTLM"))
}

fn unauthorized(challenges: Vec<HeaderValue>) -> Response {
    let mut response = Response::new(axum::body::Body::empty());
    *response.status_mut() = StatusCode::UNAUTHORIZED;
    for value in challenges {
        response
            .headers_mut()
            .append(header::WWW_AUTHENTICATE, value);
    }
    response
}
