//! `[response_intake]`: the HTTPS endpoint of `sluice run` that takes response actions from
//! other machines. Netwrix Auditor runs on Windows and starts each alert's response action on
//! its own server; when sluice runs elsewhere, the action forwards the alert here
//! (`sluice alert-response --to`, or `dist/windows/sluice-forward.cmd` with curl).

use std::net::SocketAddr;
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::Deserialize;

use sluice_sdk::HumanDuration;

/// The intake for response actions forwarded from the Auditor server. Off by default.
/// Changing it takes a restart.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseIntakeSettings {
    /// Serve the intake. Default: false.
    #[serde(default)]
    pub enabled: bool,
    /// The IP address and port to listen on. Default: `"0.0.0.0:10158"` (every address of
    /// this machine: the Auditor server is another machine).
    #[serde(default = "default_listen")]
    #[schemars(with = "String")]
    pub listen: SocketAddr,
    /// The URL the Auditor server reaches this intake by, for the command lines
    /// `sluice alerts list` prints. Default: `https://` this machine's host name and the
    /// port of `listen` (`http://` without TLS).
    #[serde(default)]
    pub public_url: Option<String>,
    /// The server's certificate chain (PEM), leaf first. With `tls_key`, the intake speaks
    /// HTTPS (TLS 1.2 or 1.3). Relative to the config file's directory.
    #[serde(default)]
    pub tls_certificate: Option<PathBuf>,
    /// The certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1).
    #[serde(default)]
    pub tls_key: Option<PathBuf>,
    /// Serve plain HTTP, without `tls_certificate`, on an address other machines can reach.
    /// Tokens and alerts then cross the network in clear. Plain HTTP on a loopback address
    /// needs no switch. Default: false.
    #[serde(default)]
    pub allow_plain_http: bool,
    /// The bearer token forwarders send (`Authorization: Bearer …`), as a secret reference:
    /// `"file:/etc/sluice/intake.token"`, `"${SLUICE_INTAKE_TOKEN}"` or `"exec:…"`.
    #[serde(default)]
    pub token: Option<String>,
    /// Instead of `token`: only the token's SHA-256, 64 hex digits, so the host never holds
    /// the token itself (`sluice generate intake-token` prints both).
    #[serde(default)]
    pub token_sha256: Option<String>,
    /// Client certificates: a forwarder must present one issued by a CA in this PEM file.
    /// With a token as well, both are required.
    #[serde(default)]
    pub client_ca: Option<PathBuf>,
    /// The largest request body taken, in bytes (a CSV of an alert's records is the largest).
    /// Default: 4194304 (4 MiB).
    #[serde(default = "default_max_body")]
    pub max_body_bytes: usize,
    /// The most requests handled at once; more are answered 503 with `Retry-After`.
    /// Default: 64.
    #[serde(default = "default_max_in_flight")]
    pub max_in_flight: usize,
    /// The most requests per second from one peer address; more are answered 429 with
    /// `Retry-After`. Default: 5000 (far above what an Auditor server sends in a storm; it
    /// stops a runaway client, not a busy one).
    #[serde(default = "default_per_peer_rate")]
    pub per_peer_rate: u32,
    /// How long a client may take for its TLS handshake and for sending a whole request;
    /// a slower one is cut off. Default: `"10s"`.
    #[serde(default = "default_request_timeout")]
    pub request_timeout: HumanDuration,
}

impl Default for ResponseIntakeSettings {
    fn default() -> Self {
        ResponseIntakeSettings {
            enabled: false,
            listen: default_listen(),
            public_url: None,
            tls_certificate: None,
            tls_key: None,
            allow_plain_http: false,
            token: None,
            token_sha256: None,
            client_ca: None,
            max_body_bytes: default_max_body(),
            max_in_flight: default_max_in_flight(),
            per_peer_rate: default_per_peer_rate(),
            request_timeout: default_request_timeout(),
        }
    }
}

impl ResponseIntakeSettings {
    /// Whether the intake speaks HTTPS.
    pub fn tls(&self) -> bool {
        self.tls_certificate.is_some()
    }

    /// The paths relative to the config file's directory, made absolute with `resolve`.
    pub(super) fn resolve_paths(&mut self, resolve: impl Fn(&mut PathBuf)) {
        for path in [
            &mut self.tls_certificate,
            &mut self.tls_key,
            &mut self.client_ca,
        ]
        .into_iter()
        .flatten()
        {
            resolve(path);
        }
    }

    /// The URL forwarders use: `public_url`, or one made of this machine's name and the port.
    pub fn url(&self, host_name: &str) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => {
                let scheme = if self.tls() { "https" } else { "http" };
                let host = if self.listen.ip().is_loopback() {
                    self.listen.ip().to_string()
                } else {
                    host_name.to_owned()
                };
                format!("{scheme}://{host}:{}", self.listen.port())
            }
        }
    }

    /// What is wrong with the keys beyond what their types say: each problem's key (under
    /// `response_intake.`) and message.
    pub(super) fn problems(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        if self.enabled {
            self.transport_problems(&mut problems);
            self.authentication_problems(&mut problems);
            for (key, value) in [
                ("max_body_bytes", self.max_body_bytes),
                ("max_in_flight", self.max_in_flight),
                ("per_peer_rate", self.per_peer_rate as usize),
            ] {
                if value == 0 {
                    problems.push((key, "must be at least 1".into()));
                }
            }
            if self.request_timeout.get().is_zero() {
                problems.push(("request_timeout", "must be longer than 0s".into()));
            }
        }
        problems
    }

    /// TLS, or plain HTTP where it is allowed.
    fn transport_problems(&self, problems: &mut Vec<(&'static str, String)>) {
        match (&self.tls_certificate, &self.tls_key) {
            (Some(_), None) => problems.push((
                "tls_certificate",
                "is set without tls_key: give the certificate's private key too".into(),
            )),
            (None, Some(_)) => problems.push((
                "tls_key",
                "is set without tls_certificate: give the certificate too".into(),
            )),
            (None, None) if !self.listen.ip().is_loopback() && !self.allow_plain_http => problems
                .push((
                    "listen",
                    format!(
                        "{} can be reached from other machines, and without tls_certificate \
                         and tls_key the intake would take tokens and alerts in clear; give \
                         both, or set response_intake.allow_plain_http = true to mean it",
                        self.listen.ip()
                    ),
                )),
            _ => {}
        }
        if self.client_ca.is_some() && !self.tls() {
            problems.push((
                "client_ca",
                "client certificates need HTTPS: give tls_certificate and tls_key".into(),
            ));
        }
    }

    /// A token or its digest, client certificates, or both; never none.
    fn authentication_problems(&self, problems: &mut Vec<(&'static str, String)>) {
        if self.token.is_some() && self.token_sha256.is_some() {
            problems.push((
                "token_sha256",
                "is set with token: give one of them (token_sha256 keeps the token itself off \
                 this machine)"
                    .into(),
            ));
        }
        if let Some(digest) = &self.token_sha256 {
            if digest.len() != 64 || !digest.chars().all(|c| c.is_ascii_hexdigit()) {
                problems.push((
                    "token_sha256",
                    "must be 64 hexadecimal digits, the SHA-256 of the token (`sluice generate \
                     intake-token` prints it)"
                        .into(),
                ));
            }
        }
        if self.token.as_deref().is_some_and(|t| t.trim().len() < 16) {
            problems.push((
                "token",
                "is shorter than 16 characters: use a long random token (`sluice generate \
                 intake-token` makes one)"
                    .into(),
            ));
        }
        if self.token.is_none() && self.token_sha256.is_none() && self.client_ca.is_none() {
            problems.push((
                "enabled",
                "the intake needs authentication: set token (or token_sha256), client_ca, or \
                 both"
                    .into(),
            ));
        }
    }
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([0, 0, 0, 0], 10158))
}

const fn default_max_body() -> usize {
    4 * 1024 * 1024
}

const fn default_max_in_flight() -> usize {
    64
}

const fn default_per_peer_rate() -> u32 {
    5000
}

fn default_request_timeout() -> HumanDuration {
    HumanDuration::from_secs(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(settings: &ResponseIntakeSettings) -> Vec<&'static str> {
        settings.problems().into_iter().map(|(k, _)| k).collect()
    }

    #[test]
    fn off_it_is_never_a_problem() {
        assert!(keys(&ResponseIntakeSettings::default()).is_empty());
    }

    #[test]
    fn on_it_needs_authentication_and_tls_or_a_loopback_address() {
        let on = ResponseIntakeSettings {
            enabled: true,
            ..Default::default()
        };
        assert_eq!(keys(&on), ["listen", "enabled"]);
        let loopback = ResponseIntakeSettings {
            listen: SocketAddr::from(([127, 0, 0, 1], 10158)),
            token_sha256: Some("ab".repeat(32)),
            ..on.clone()
        };
        assert!(keys(&loopback).is_empty());
        let half_tls = ResponseIntakeSettings {
            tls_certificate: Some("intake.pem".into()),
            token: Some("short".into()),
            client_ca: Some("ca.pem".into()),
            ..on
        };
        assert_eq!(keys(&half_tls), ["tls_certificate", "token"]);
    }
}
