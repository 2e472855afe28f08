//! The one TLS setup of a component: which server certificates to trust (the platform's roots
//! and `ca_file`, or exactly the pinned `tls_fingerprint`), the client identity to present, TLS
//! 1.2 at least. Built once per component and used by both ways the host connects: its pooled
//! reqwest client and the connections it keeps for NTLM and Negotiate.

use std::sync::Arc;

use rustls::client::danger::ServerCertVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ClientConfig;

use sluice_core::{read_regular_bytes, HttpSettings, CONFIG_FILE_LIMIT};

use super::certificate::{Explained, Fingerprint, Pinned, Unchecked};
use super::setup::HttpSetupError;

/// The rustls client configuration `settings` ask for, without ALPN (each user sets its own).
pub(crate) fn client_config(settings: &HttpSettings) -> Result<ClientConfig, HttpSetupError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = verifier(settings, &provider)?;
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| HttpSetupError::Build(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    match &settings.client_identity_file {
        None => Ok(builder.with_no_client_auth()),
        Some(path) => {
            let pem = read_regular_bytes(path, CONFIG_FILE_LIMIT)?;
            let invalid = |e: String| HttpSetupError::Invalid {
                path: path.clone(),
                message: format!("needs a PEM certificate and its private key ({e})"),
            };
            let chain = certificates(&pem).map_err(invalid)?;
            if chain.is_empty() {
                return Err(invalid("no certificate found".to_owned()));
            }
            let key = PrivateKeyDer::from_pem_slice(&pem).map_err(|e| invalid(e.to_string()))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| invalid(e.to_string()))
        }
    }
}

/// Pinned, unchecked (`insecure_skip_verify`), or the platform's roots plus `ca_file`.
fn verifier(
    settings: &HttpSettings,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<dyn ServerCertVerifier>, HttpSetupError> {
    if let Some(pin) = &settings.tls_fingerprint {
        if settings.insecure_skip_verify {
            return Err(HttpSetupError::Conflict(
                "`tls_fingerprint` and `insecure_skip_verify = true` contradict each other: a \
                 pin trusts exactly one certificate; remove `insecure_skip_verify`",
            ));
        }
        let pin: Fingerprint = pin.parse().map_err(HttpSetupError::Fingerprint)?;
        return Ok(Arc::new(Pinned::new(pin, Arc::clone(provider))));
    }
    if settings.insecure_skip_verify {
        return Ok(Arc::new(Unchecked(Arc::clone(provider))));
    }
    let mut extra = Vec::new();
    if let Some(path) = &settings.ca_file {
        let pem = read_regular_bytes(path, CONFIG_FILE_LIMIT)?;
        extra = certificates(&pem).map_err(|e| HttpSetupError::Invalid {
            path: path.clone(),
            message: format!("not a PEM bundle of CA certificates ({e})"),
        })?;
        if extra.is_empty() {
            return Err(HttpSetupError::Invalid {
                path: path.clone(),
                message: "holds no PEM certificate".to_owned(),
            });
        }
    }
    let platform =
        rustls_platform_verifier::Verifier::new_with_extra_roots(extra, Arc::clone(provider))
            .map_err(|e| HttpSetupError::Build(e.to_string()))?;
    Ok(Arc::new(Explained(Arc::new(platform))))
}

/// The certificates of a PEM bundle, in order.
pub(crate) fn certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())
}
