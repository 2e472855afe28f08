//! Server certificates as an operator sees them: the SHA-256 fingerprint a component pins
//! (`http.tls_fingerprint`), and what a certificate that could not be verified says about
//! itself (subject, validity, fingerprint), so the operator can pin it knowingly.
//!
//! Two certificate verifiers sit on that: [`Pinned`] accepts exactly the pinned certificate,
//! and [`Explained`] wraps the ordinary verifier so that a refusal carries the certificate's
//! details. Neither turns verification off: a pinned certificate must still sign the handshake.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, OtherError, SignatureScheme};
use sha2::{Digest, Sha256};

/// A certificate's SHA-256 fingerprint: the hash of its DER encoding.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    /// The fingerprint of `der`.
    pub fn of(der: &[u8]) -> Self {
        Fingerprint(Sha256::digest(der).into())
    }
}

/// `sha256:` and 64 lower-case hex digits, the form `tls_fingerprint` takes.
impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sha256:")?;
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Why a `tls_fingerprint` value is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a SHA-256 fingerprint: write \"sha256:\" and the certificate's 64 hex digits \
     (colons between pairs allowed), as `openssl x509 -noout -fingerprint -sha256` or `sluice \
     validate --environment` print it"
)]
pub struct FingerprintError(String);

impl FromStr for Fingerprint {
    type Err = FingerprintError;

    /// `sha256:AB:CD:…` or `sha256:abcd…`, any case.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || FingerprintError(text.chars().take(120).collect());
        let trimmed = text.trim();
        let hex = trimmed
            .get(..7)
            .filter(|p| p.eq_ignore_ascii_case("sha256:"))
            .map(|_| &trimmed[7..])
            .ok_or_else(invalid)?;
        let digits: Vec<u8> = hex.bytes().filter(|b| *b != b':').collect();
        if digits.len() != 64 {
            return Err(invalid());
        }
        let mut out = [0u8; 32];
        for (i, pair) in digits.chunks(2).enumerate() {
            let pair = std::str::from_utf8(pair).map_err(|_| invalid())?;
            out[i] = u8::from_str_radix(pair, 16).map_err(|_| invalid())?;
        }
        Ok(Fingerprint(out))
    }
}

/// What a certificate says about itself, for a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateDetails {
    /// The subject, like `CN=auditor.corp.local`.
    pub subject: String,
    /// Not before, not after (RFC 3339), when the certificate could be read.
    pub validity: Option<(String, String)>,
    /// Its fingerprint.
    pub fingerprint: Fingerprint,
}

impl CertificateDetails {
    /// The details of `der`; a certificate that cannot be parsed still has its fingerprint.
    pub fn of(der: &[u8]) -> Self {
        let fingerprint = Fingerprint::of(der);
        match x509_parser::parse_x509_certificate(der) {
            Ok((_, cert)) => {
                let validity = cert.validity();
                let time = |t: &x509_parser::time::ASN1Time| {
                    t.to_rfc2822().unwrap_or_else(|_| t.timestamp().to_string())
                };
                CertificateDetails {
                    subject: cert.subject().to_string(),
                    validity: Some((time(&validity.not_before), time(&validity.not_after))),
                    fingerprint,
                }
            }
            Err(_) => CertificateDetails {
                subject: "(unreadable certificate)".to_owned(),
                validity: None,
                fingerprint,
            },
        }
    }
}

impl fmt::Display for CertificateDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "subject \"{}\"", self.subject)?;
        if let Some((from, to)) = &self.validity {
            write!(f, ", valid from {from} to {to}")?;
        }
        write!(f, ", fingerprint {}", self.fingerprint)
    }
}

/// A certificate refused, with what it says about itself. Carried inside rustls's error, so
/// the host's HTTP error message can show it.
#[derive(Debug)]
pub struct Unverified {
    /// Why it was refused.
    pub cause: CertificateError,
    /// The server's certificate.
    pub presented: CertificateDetails,
    /// The pin it failed, if it was pinned.
    pub pinned: Option<Fingerprint>,
}

impl fmt::Display for Unverified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pinned {
            Some(pin) => write!(
                f,
                "the server's certificate is not the pinned one (`tls_fingerprint = \"{pin}\"`): \
                 it presented {}. If the certificate was renewed (Auditor renews its \
                 self-signed certificate), confirm the new one with the server's administrator \
                 and pin its fingerprint",
                self.presented
            ),
            None => write!(
                f,
                "{}; the server presented {}. To trust exactly this certificate, confirm the \
                 fingerprint with the server's administrator and set `tls_fingerprint = \"{}\"` \
                 in the component's `http` table (or trust its issuer with `ca_file`)",
                cause_text(&self.cause),
                self.presented,
                self.presented.fingerprint
            ),
        }
    }
}

impl std::error::Error for Unverified {}

/// The refusal inside `error`, if it is one of ours.
pub fn unverified(error: &rustls::Error) -> Option<&Unverified> {
    match error {
        rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(inner))) => {
            inner.downcast_ref::<Unverified>()
        }
        _ => None,
    }
}

/// A certificate error in words: rustls shows an opaque webpki error by its `Debug`.
fn cause_text(cause: &CertificateError) -> String {
    match cause {
        CertificateError::Other(OtherError(inner)) => inner.to_string(),
        other => other.to_string(),
    }
}

fn refused(cause: CertificateError, der: &[u8], pinned: Option<Fingerprint>) -> rustls::Error {
    rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(Unverified {
        cause,
        presented: CertificateDetails::of(der),
        pinned,
    }))))
}

/// Accepts the one certificate whose fingerprint is pinned, whatever its issuer, names or
/// dates (a self-signed certificate has no issuer to check, and the pin is the trust); the
/// handshake's signature is still checked against it.
#[derive(Debug)]
pub struct Pinned {
    pin: Fingerprint,
    provider: Arc<CryptoProvider>,
}

impl Pinned {
    /// A verifier for `pin`.
    pub fn new(pin: Fingerprint, provider: Arc<CryptoProvider>) -> Self {
        Pinned { pin, provider }
    }
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if Fingerprint::of(end_entity) == self.pin {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(refused(
                CertificateError::ApplicationVerificationFailure,
                end_entity,
                Some(self.pin),
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The ordinary verifier (the platform's roots and `ca_file`), whose refusals name the
/// certificate refused.
#[derive(Debug)]
pub struct Explained(pub Arc<dyn ServerCertVerifier>);

impl ServerCertVerifier for Explained {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map_err(|e| match e {
                rustls::Error::InvalidCertificate(cause) => refused(cause, end_entity, None),
                other => other,
            })
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }

    fn requires_raw_public_keys(&self) -> bool {
        self.0.requires_raw_public_keys()
    }

    fn root_hint_subjects(&self) -> Option<&[rustls::DistinguishedName]> {
        self.0.root_hint_subjects()
    }
}

/// Accepts any certificate (`insecure_skip_verify`, warned about at start); the handshake's
/// signature is still checked.
#[derive(Debug)]
pub struct Unchecked(pub Arc<CryptoProvider>);

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_parse_with_or_without_colons_and_print_one_way() {
        let plain = format!("sha256:{}", "ab".repeat(32));
        let colons = format!("SHA256:{}", vec!["AB"; 32].join(":"));
        let a: Fingerprint = plain.parse().expect("plain");
        let b: Fingerprint = colons.parse().expect("with colons");
        assert_eq!(a, b);
        assert_eq!(a.to_string(), plain);
    }

    #[test]
    fn anything_else_is_refused_with_the_form_to_write() {
        for bad in [
            "",
            "ab".repeat(32).as_str(),
            "sha1:abcd",
            &format!("sha256:{}", "ab".repeat(31)),
            &format!("sha256:{}", "zz".repeat(32)),
            "sha256:é",
        ] {
            let err = bad.parse::<Fingerprint>().expect_err(bad);
            assert!(err.to_string().contains("\"sha256:\""), "{err}");
        }
    }
}
