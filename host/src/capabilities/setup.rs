//! Why a component's HTTP client could not be set up: a file it names, a setting it cannot
//! use. Shown at the component's `http` key by `sluice validate` and at start.

use std::path::PathBuf;

use sluice_core::tls::TlsSetupError;
use sluice_core::FileError;

use super::certificate::FingerprintError;

/// Why a component's HTTP client could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum HttpSetupError {
    /// A certificate or key file could not be read (or is no regular file, or too large).
    #[error(transparent)]
    Read(#[from] FileError),
    /// A file did not hold what it should.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
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

/// The shared part of the TLS setup failed: said as the HTTP client's own failures are.
impl From<TlsSetupError> for HttpSetupError {
    fn from(error: TlsSetupError) -> Self {
        match error {
            TlsSetupError::Read(e) => HttpSetupError::Read(e),
            TlsSetupError::Invalid { path, message } => HttpSetupError::Invalid { path, message },
            TlsSetupError::Build(message) => HttpSetupError::Build(message),
        }
    }
}
