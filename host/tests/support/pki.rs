//! Certificates for the response intake's tests, written as PEM files into a directory: a CA,
//! a server certificate it issued for `localhost` and 127.0.0.1, a client certificate it
//! issued, and a client certificate from another CA that must be refused.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};

/// The files, by what they are.
pub struct Pki {
    /// The CA that issued the server and client certificates (`--ca-file`, `client_ca`).
    pub ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    /// A client certificate another CA issued.
    pub stranger_cert: PathBuf,
    pub stranger_key: PathBuf,
}

fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate().expect("a CA key");
    CertifiedIssuer::self_signed(params, key).expect("a CA certificate")
}

/// A leaf for `names`, issued by `issuer`, for `usage`; written as `<stem>.pem`, `<stem>.key`.
fn leaf(
    dir: &Path,
    stem: &str,
    names: &[&str],
    usage: ExtendedKeyUsagePurpose,
    issuer: &CertifiedIssuer<'static, KeyPair>,
) -> (PathBuf, PathBuf) {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let mut params = CertificateParams::new(names).expect("leaf params");
    params.distinguished_name.push(DnType::CommonName, stem);
    params.extended_key_usages = vec![usage];
    let key = KeyPair::generate().expect("a leaf key");
    let cert = params.signed_by(&key, issuer).expect("a leaf certificate");
    let (cert_path, key_path) = (
        dir.join(format!("{stem}.pem")),
        dir.join(format!("{stem}.key")),
    );
    std::fs::write(&cert_path, cert.pem()).expect("write the certificate");
    std::fs::write(&key_path, key.serialize_pem()).expect("write the key");
    (cert_path, key_path)
}

impl Pki {
    /// Makes every file in `dir`.
    pub fn new(dir: &Path) -> Pki {
        let ours = ca("sluice test CA");
        let theirs = ca("another CA");
        let ca_path = dir.join("ca.pem");
        std::fs::write(&ca_path, ours.pem()).expect("write the CA");
        let server = ExtendedKeyUsagePurpose::ServerAuth;
        let client = ExtendedKeyUsagePurpose::ClientAuth;
        let (server_cert, server_key) =
            leaf(dir, "intake", &["localhost", "127.0.0.1"], server, &ours);
        let (client_cert, client_key) =
            leaf(dir, "auditor01", &["auditor01"], client.clone(), &ours);
        let (stranger_cert, stranger_key) = leaf(dir, "stranger", &["stranger"], client, &theirs);
        Pki {
            ca: ca_path,
            server_cert,
            server_key,
            client_cert,
            client_key,
            stranger_cert,
            stranger_key,
        }
    }
}
