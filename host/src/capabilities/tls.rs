//! The one TLS setup of a component: which server certificates to trust (the platform's roots
//! and `ca_file`, or exactly the pinned `tls_fingerprint`), the client identity to present, TLS
//! 1.2 at least. Built once per component and used by both ways the host connects: its pooled
//! reqwest client and the connections it keeps for NTLM and Negotiate. The parts every TLS
//! client of sluice shares (the roots and `ca_file`, reading PEM) are `sluice_core::tls`'s.

use std::sync::Arc;

use rustls::client::danger::ServerCertVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::PrivateKeyDer;
use rustls::ClientConfig;

use sluice_core::tls::{self, certificates, TlsSetupError};
use sluice_core::{read_regular_bytes, HttpSettings, CONFIG_FILE_LIMIT};

use super::certificate::{Explained, Fingerprint, Pinned, Unchecked};
use super::setup::HttpSetupError;

/// The rustls client configuration `settings` ask for, without ALPN (each user sets its own).
pub(crate) fn client_config(settings: &HttpSettings) -> Result<ClientConfig, HttpSetupError> {
    let provider = tls::crypto_provider();
    let verifier = verifier(settings, &provider)?;
    let builder = tls::client_builder(&provider, verifier)?;
    match &settings.client_identity_file {
        None => Ok(builder.with_no_client_auth()),
        Some(path) => {
            let pem = read_regular_bytes(path, CONFIG_FILE_LIMIT).map_err(TlsSetupError::Read)?;
            let invalid = |e: String| {
                HttpSetupError::Tls(TlsSetupError::Invalid {
                    path: path.clone(),
                    message: format!("needs a PEM certificate and its private key ({e})"),
                })
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
    let platform = tls::platform_verifier(settings.ca_file.as_deref(), provider)?;
    Ok(Arc::new(Explained(platform)))
}
