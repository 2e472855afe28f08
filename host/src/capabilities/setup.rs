//! Why a component's HTTP client could not be set up: a file it names, a setting it cannot
//! use. Shown at the component's `http` key by `sluice validate` and at start.

use sluice_core::tls::TlsSetupError;

use super::certificate::FingerprintError;

/// Why a component's HTTP client could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum HttpSetupError {
    /// The TLS setup every client of sluice shares failed: a certificate or key file that
    /// cannot be read or does not hold what it should.
    #[error(transparent)]
    Tls(#[from] TlsSetupError),
    /// The proxy setting is not usable.
    #[error("invalid proxy {0:?}: expected a URL like \"http://proxy.corp.local:3128\"")]
    Proxy(String),
    /// reqwest refused the combination.
    #[error("cannot build the HTTP client: {0}")]
    Build(String),
    /// `tls_fingerprint` is not a SHA-256 fingerprint.
    #[error("tls_fingerprint: {0}")]
    Fingerprint(FingerprintError),
    /// Two settings contradict each other.
    #[error("{0}")]
    Conflict(&'static str),
}
