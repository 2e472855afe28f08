//! The TLS client side every connection sluice opens shares, whatever it carries (a
//! component's HTTP, the shared store's PostgreSQL session): which servers to trust (the
//! platform's roots plus a `ca_file` of the operator's), TLS 1.2 at least, the ring provider,
//! and finding rustls's reason inside an error that wraps it, so that a refusal can be
//! explained. What is particular to one use (a pinned certificate, a client identity, ALPN)
//! stays with that use.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::ServerCertVerifier;
use rustls::client::WantsClientCert;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, ConfigBuilder};

use crate::file::{read_regular_bytes, FileError, CONFIG_FILE_LIMIT};

/// Why the trust of a TLS client could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    /// A certificate file could not be read (or is no regular file, or too large).
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
    /// rustls or the platform refused the combination.
    #[error("cannot build the TLS client: {0}")]
    Build(String),
}

/// The crypto provider of every TLS client sluice builds: ring (it builds in seconds and needs
/// no C toolchain), chosen explicitly rather than through a process-wide default that a
/// dependency could set differently.
pub fn crypto_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A client config's first half: `provider`, TLS 1.3 and 1.2, and `verifier` deciding which
/// server certificates to accept. The caller adds its client identity (or none) and ALPN.
pub fn client_builder(
    provider: &Arc<CryptoProvider>,
    verifier: Arc<dyn ServerCertVerifier>,
) -> Result<ConfigBuilder<ClientConfig, WantsClientCert>, TlsSetupError> {
    Ok(ClientConfig::builder_with_provider(Arc::clone(provider))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| TlsSetupError::Build(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier))
}

/// The ordinary verifier: a certificate chain to one of the platform's roots or of the
/// certificates in `ca_file` (a PEM bundle), valid now, for the name connected to.
pub fn platform_verifier(
    ca_file: Option<&Path>,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<dyn ServerCertVerifier>, TlsSetupError> {
    let mut extra = Vec::new();
    if let Some(path) = ca_file {
        let pem = read_regular_bytes(path, CONFIG_FILE_LIMIT)?;
        extra = certificates(&pem).map_err(|e| TlsSetupError::Invalid {
            path: path.to_owned(),
            message: format!("not a PEM bundle of CA certificates ({e})"),
        })?;
        if extra.is_empty() {
            return Err(TlsSetupError::Invalid {
                path: path.to_owned(),
                message: "holds no PEM certificate".to_owned(),
            });
        }
    }
    let platform =
        rustls_platform_verifier::Verifier::new_with_extra_roots(extra, Arc::clone(provider))
            .map_err(|e| TlsSetupError::Build(e.to_string()))?;
    Ok(Arc::new(platform))
}

/// The certificates of a PEM bundle, in order.
pub fn certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())
}

/// The rustls error in `error`'s causes, if any. rustls's error reaches us inside an
/// `io::Error` (possibly inside another), whose `source()` skips past what it wraps to that
/// error's own source: look inside with `get_ref` instead.
pub fn rustls_error<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<rustls::Error>() {
            return Some(found);
        }
        current = match e
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    None
}

/// webpki's `CaUsedAsEndEntity`, which rustls carries as an opaque `Other` certificate error
/// (the webpki crate is not ours to name, so it is recognised by its name): the server
/// presents a CA certificate as its own, which no `ca_file` makes acceptable.
pub fn is_ca_used_as_end_entity(error: &rustls::Error) -> bool {
    match error {
        rustls::Error::InvalidCertificate(rustls::CertificateError::Other(other)) => {
            format!("{other:?}").contains("CaUsedAsEndEntity")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_file_without_certificates_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate\n").unwrap();
        let err = platform_verifier(Some(&path), &crypto_provider()).unwrap_err();
        assert!(
            err.to_string().contains("holds no PEM certificate"),
            "{err}"
        );
        assert!(err.to_string().contains("ca.pem"), "{err}");
    }

    #[test]
    fn the_rustls_error_is_found_inside_io_errors() {
        let inner = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, inner);
        let outer = std::io::Error::other(io);
        assert!(matches!(
            rustls_error(&outer),
            Some(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer
            ))
        ));
    }
}
