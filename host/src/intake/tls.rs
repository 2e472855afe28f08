//! The intake's TLS: its certificate and key, TLS 1.2 or 1.3, and, with `client_ca`, a client
//! certificate issued by that CA required of every connection.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::PrivateKeyDer;
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};

use super::IntakeError;
use sluice_core::tls::certificates as pem_certificates;
use sluice_core::{read_regular_bytes, ResponseIntakeSettings, CONFIG_FILE_LIMIT};

/// The server configuration `settings` ask for; `None` for plain HTTP.
pub(super) fn server_config(
    settings: &ResponseIntakeSettings,
) -> Result<Option<Arc<ServerConfig>>, IntakeError> {
    let (Some(cert_path), Some(key_path)) = (&settings.tls_certificate, &settings.tls_key) else {
        return Ok(None);
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain = pem_certificates(&read(cert_path)?)
        .map_err(|e| invalid(cert_path, format!("not a PEM certificate chain ({e})")))?;
    if chain.is_empty() {
        return Err(invalid(cert_path, "holds no PEM certificate".into()));
    }
    let key = PrivateKeyDer::from_pem_slice(&read(key_path)?)
        .map_err(|e| invalid(key_path, format!("holds no PEM private key ({e})")))?;
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| IntakeError::Tls(e.to_string()))?;
    let builder = match &settings.client_ca {
        None => builder.with_no_client_auth(),
        Some(ca_path) => {
            let mut roots = RootCertStore::empty();
            let cas = pem_certificates(&read(ca_path)?)
                .map_err(|e| invalid(ca_path, format!("not a PEM bundle ({e})")))?;
            let (added, _) = roots.add_parsable_certificates(cas);
            if added == 0 {
                return Err(invalid(ca_path, "holds no usable CA certificate".into()));
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| invalid(ca_path, e.to_string()))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder
        .with_single_cert(chain, key)
        .map_err(|e| invalid(key_path, format!("does not fit the certificate ({e})")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Some(Arc::new(config)))
}

fn read(path: &Path) -> Result<Vec<u8>, IntakeError> {
    read_regular_bytes(path, CONFIG_FILE_LIMIT).map_err(|e| IntakeError::File(e.to_string()))
}

fn invalid(path: &Path, message: String) -> IntakeError {
    IntakeError::File(format!("{}: {message}", path.display()))
}
