//! A test CA and the server certificates it issues, for clusters with TLS on
//! ([`Cluster::start_tls`](crate::Cluster::start_tls)): made fresh in memory for each test, so
//! that a test can hold a CA the server's certificate does not chain to, or a certificate for
//! a name the client does not connect by.

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};

use crate::error::ClusterError;

/// A certificate authority of a test's own.
#[derive(Debug)]
pub struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A server certificate and its private key, both PEM.
#[derive(Debug, Clone)]
pub struct ServerCertificate {
    /// The certificate (the server sends it; its issuer is the CA's).
    pub certificate: String,
    /// Its private key.
    pub key: String,
}

impl TestCa {
    /// A new self-signed CA whose subject is `CN=<name>`.
    pub fn new(name: &str) -> Result<TestCa, ClusterError> {
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(certificate)?;
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate().map_err(certificate)?;
        let issuer = CertifiedIssuer::self_signed(params, key).map_err(certificate)?;
        Ok(TestCa { issuer })
    }

    /// The CA's certificate, PEM: what a client that trusts it is given.
    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A server certificate for `names` (DNS names or IP addresses), issued by this CA.
    pub fn issue(&self, names: &[&str]) -> Result<ServerCertificate, ClusterError> {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(names).map_err(certificate)?;
        params
            .distinguished_name
            .push(DnType::CommonName, "sluice test PostgreSQL server");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let key = KeyPair::generate().map_err(certificate)?;
        let cert = params.signed_by(&key, &self.issuer).map_err(certificate)?;
        Ok(ServerCertificate {
            certificate: cert.pem(),
            key: key.serialize_pem(),
        })
    }
}

fn certificate(error: rcgen::Error) -> ClusterError {
    ClusterError::Certificate {
        message: error.to_string(),
    }
}
