//! The certificate the emulator serves HTTPS with: self-signed and generated at start, as
//! Auditor generates its own when the Integration API is switched to HTTPS (its default), so
//! a client must pin it, trust it, or fail.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sha2::{Digest, Sha256};

/// A freshly generated self-signed certificate and its key.
#[derive(Debug)]
pub struct SelfSigned {
    der: CertificateDer<'static>,
    pem: String,
    key_der: Vec<u8>,
}

/// Why no certificate could be made.
#[derive(Debug, thiserror::Error)]
#[error("cannot generate the emulator's self-signed certificate: {0}")]
pub struct CertificateError(String);

impl SelfSigned {
    /// A certificate for `names` (host names or IP addresses; the first is also its common
    /// name), valid from 2025 to 2035, with a new ECDSA P-256 key, CA:TRUE (its own issuer).
    pub fn generate(names: &[&str]) -> Result<Self, CertificateError> {
        let fail = |e: rcgen::Error| CertificateError(e.to_string());
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(names.clone()).map_err(fail)?;
        if let Some(first) = names.first() {
            params
                .distinguished_name
                .push(DnType::CommonName, first.as_str());
        }
        // Self-signed and its own issuer, as Windows makes them: a client can trust it only by
        // pinning it, or by taking it as a trust anchor.
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.not_before = rcgen::date_time_ymd(2025, 1, 1);
        params.not_after = rcgen::date_time_ymd(2035, 1, 1);
        let key = KeyPair::generate().map_err(fail)?;
        let cert = params.self_signed(&key).map_err(fail)?;
        Ok(SelfSigned {
            der: cert.der().clone(),
            pem: cert.pem(),
            key_der: key.serialize_der(),
        })
    }

    /// The certificate, PEM-encoded (what an operator would export from Auditor's store).
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// Its SHA-256 fingerprint as `sha256:` and 64 lower-case hex digits, the form
    /// `tls_fingerprint` takes.
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::digest(self.der.as_ref());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("sha256:{hex}")
    }

    /// A rustls server configuration presenting this certificate, for
    /// [`serve_tls`](crate::serve_tls).
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, CertificateError> {
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| CertificateError(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(vec![self.der.clone()], key)
            .map_err(|e| CertificateError(e.to_string()))?;
        Ok(Arc::new(config))
    }
}
