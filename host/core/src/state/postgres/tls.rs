//! TLS to the shared store's PostgreSQL server: whether the connection must, may or must not
//! be encrypted (`sslmode` in `[state] url`, or sluice's default), which server certificates
//! are trusted (the platform's roots plus `[state] ca_file`, the host name always checked), and
//! what an operator is told when TLS stands in the way.
//!
//! Whenever TLS is used the certificate is verified: unlike libpq, `prefer` and `require` never
//! mean "encrypted, but to whoever answers", as encryption to an unverified server keeps out
//! only an eavesdropper who could as easily have been the server.

use std::borrow::Cow;
use std::ops::Range;
use std::path::Path;
use std::str::FromStr;

use postgres::config::{Host, SslMode};
use postgres::Config;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::tls::{self, TlsSetupError};

/// The ALPN protocol PostgreSQL 17 registered, which its direct TLS negotiation
/// (`sslnegotiation=direct`) requires and older servers ignore.
const ALPN: &[u8] = b"postgresql";

/// The connection settings of `url` (a `postgres://` URL or `key=value` pairs), its `sslmode`
/// as sluice reads it: `disable`; `allow` and `prefer` (TLS when the server offers it);
/// `require`, `verify-ca` and `verify-full` (TLS or no connection; the certificate and the
/// host name are verified in every mode that encrypts). Without `sslmode`: `require` when a
/// host is on another machine or a `ca_file` is given; else (every host is this machine:
/// loopback or a Unix socket, where no network carries the session) `disable`.
pub(crate) fn config(url: &str, ca_file: bool) -> Result<Config, String> {
    let (text, given) = sslmode_for_postgres(url)?;
    let mut config = Config::from_str(&text).map_err(|e| e.to_string())?;
    if !given {
        config.ssl_mode(default_mode(config.get_hosts(), ca_file));
    }
    Ok(config)
}

/// `disable` for hosts all on this machine, unless a CA file says whom to trust; else
/// `require`. Not `prefer` on this machine: a local server often has TLS on with a
/// certificate no CA issued (a distribution's self-signed one), which a verified `prefer`
/// would refuse although nothing crosses a network.
fn default_mode(hosts: &[Host], ca_file: bool) -> SslMode {
    let on_this_machine = |host: &Host| match host {
        Host::Tcp(name) => is_loopback(name),
        #[cfg(unix)]
        Host::Unix(_) => true,
    };
    if !ca_file && !hosts.is_empty() && hosts.iter().all(on_this_machine) {
        SslMode::Disable
    } else {
        SslMode::Require
    }
}

/// `localhost`, or a loopback address written out. Decided by the name as written, not as
/// resolved: a name that resolves to loopback today may not tomorrow, or for an attacker
/// who answers the lookup.
fn is_loopback(name: &str) -> bool {
    let name = name.trim_start_matches('[').trim_end_matches(']');
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The TLS connector of the store: the platform's roots plus `ca_file`, TLS 1.2 at least.
pub(crate) fn connector(ca_file: Option<&Path>) -> Result<MakeRustlsConnect, TlsSetupError> {
    let provider = tls::crypto_provider();
    let verifier = tls::platform_verifier(ca_file, &provider)?;
    let mut config = tls::client_builder(&provider, verifier)?.with_no_client_auth();
    config.alpn_protocols = vec![ALPN.to_vec()];
    Ok(MakeRustlsConnect::new(config))
}

/// `url` with each `sslmode` value replaced by the one of `postgres`' three it amounts to
/// (`postgres` knows `disable`, `prefer` and `require` only, and `require` is where sluice's
/// verification makes the difference), and whether it had one.
fn sslmode_for_postgres(url: &str) -> Result<(Cow<'_, str>, bool), String> {
    let mut text = Cow::Borrowed(url);
    let mut given = false;
    // From the last, so that the earlier ranges stay where they were.
    for (key, value) in parameters(url).into_iter().rev() {
        match &url[key] {
            "sslmode" => {
                given = true;
                let mode = match &url[value.clone()] {
                    "disable" => "disable",
                    "allow" | "prefer" => "prefer",
                    "require" | "verify-ca" | "verify-full" => "require",
                    other => {
                        return Err(format!(
                            "sslmode {other:?} is none of disable, allow, prefer, require, \
                             verify-ca, verify-full"
                        ))
                    }
                };
                text.to_mut().replace_range(value, mode);
            }
            "sslrootcert" => {
                return Err(
                    "sslrootcert is not read from the URL: give the CA certificate \
                            (PEM) that issued the server's certificate as [state] ca_file"
                        .to_owned(),
                )
            }
            _ => {}
        }
    }
    Ok((text, given))
}

/// Where each parameter's name and value are in `url`, as `postgres` reads it: the query of a
/// `postgres://` URL (after the credentials, which may hold a `?`), or `key = value` pairs,
/// values optionally in single quotes. Text that is neither yields what was read before it;
/// the parser then says what is wrong.
fn parameters(url: &str) -> Vec<(Range<usize>, Range<usize>)> {
    let prefix = ["postgres://", "postgresql://"]
        .into_iter()
        .find(|p| url.starts_with(p));
    match prefix {
        Some(prefix) => url_parameters(url, prefix.len()),
        None => key_value_parameters(url),
    }
}

fn url_parameters(url: &str, from: usize) -> Vec<(Range<usize>, Range<usize>)> {
    let after_credentials = url[from..].find('@').map_or(from, |at| from + at + 1);
    let Some(question) = url[after_credentials..].find('?') else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut start = after_credentials + question + 1;
    for pair in url[start..].split('&') {
        if let Some(eq) = pair.find('=') {
            out.push((start..start + eq, start + eq + 1..start + pair.len()));
        }
        start += pair.len() + 1;
    }
    out
}

fn key_value_parameters(text: &str) -> Vec<(Range<usize>, Range<usize>)> {
    let bytes = text.as_bytes();
    let skip_ws = |mut i: usize| {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    let mut out = Vec::new();
    let mut i = skip_ws(0);
    while i < bytes.len() {
        let key_start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'=' {
            i += 1;
        }
        let key = key_start..i;
        i = skip_ws(i);
        if bytes.get(i) != Some(&b'=') {
            break;
        }
        i = skip_ws(i + 1);
        let quoted = bytes.get(i) == Some(&b'\'');
        let value_start = if quoted { i + 1 } else { i };
        i = value_start;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 1,
                b'\'' if quoted => break,
                b if b.is_ascii_whitespace() && !quoted => break,
                _ => {}
            }
            i += 1;
        }
        let value = value_start..i.min(bytes.len());
        out.push((key, value));
        i = skip_ws(if quoted { i + 1 } else { i });
    }
    out
}

/// Why a connection failed for TLS and what to do, to follow `postgres`' words for it ("error
/// performing TLS handshake"): rustls's reason (for a name mismatch, both names) and advice;
/// `None` when TLS was not why.
pub(crate) fn advice(error: &postgres::Error) -> Option<String> {
    // tokio-postgres's words when the server answered the TLS request with "no"; it gives
    // them no error kind of their own (the shared-store TLS tests hold them to it).
    let cause = std::error::Error::source(error)?;
    if cause.to_string() == "server does not support TLS" {
        return Some(format!(": {cause}{NOT_OFFERED}"));
    }
    let cause = tls::rustls_error(cause)?;
    Some(format!(": {cause}{}", reason_advice(cause)))
}

/// What to do about the handshake failing for `cause`.
fn reason_advice(cause: &rustls::Error) -> &'static str {
    if tls::is_ca_used_as_end_entity(cause) {
        return CA_USED_AS_END_ENTITY;
    }
    use rustls::CertificateError as C;
    match cause {
        rustls::Error::InvalidCertificate(C::UnknownIssuer) => UNKNOWN_ISSUER,
        rustls::Error::InvalidCertificate(
            C::NotValidForName | C::NotValidForNameContext { .. },
        ) => NAME_MISMATCH,
        rustls::Error::InvalidCertificate(
            C::Expired | C::ExpiredContext { .. } | C::NotValidYet | C::NotValidYetContext { .. },
        ) => NOT_VALID_NOW,
        rustls::Error::InvalidCertificate(_) => OTHER_REFUSAL,
        _ => HANDSHAKE,
    }
}

const NOT_OFFERED: &str = "; the server offers no TLS, and sluice requires it here (the URL \
    says sslmode=require, verify-ca or verify-full, or says no sslmode and names a host on \
    another machine, where sluice requires TLS by default). Turn TLS on at the server (`ssl = \
    on` with `ssl_cert_file` and `ssl_key_file` in postgresql.conf, then reload it), or, only \
    on a network you trust, add sslmode=disable to state.url";

const UNKNOWN_ISSUER: &str = "; the server's certificate was not issued by a CA this host \
    trusts: give the certificate of the CA that issued it (PEM) as [state] ca_file, in \
    addition to the system's roots";

const NAME_MISMATCH: &str = "; the certificate must name the host state.url connects to: \
    connect by a name the certificate holds, or give the server a certificate for the name \
    in state.url";

const NOT_VALID_NOW: &str = "; the server's certificate is outside its validity period: \
    renew it on the server (and check this machine's clock)";

const CA_USED_AS_END_ENTITY: &str = "; the server presents a CA certificate (CA:TRUE) as its \
    own, which is refused whether or not [state] ca_file trusts it (a self-signed certificate \
    given as ca_file does this): give the server a certificate with CA:FALSE issued by your \
    CA, and that CA's certificate as ca_file";

const OTHER_REFUSAL: &str = "; the server's certificate was refused: give the server a \
    certificate for its host name, issued by a CA in [state] ca_file or the system's roots";

const HANDSHAKE: &str = "; the TLS handshake with the server failed: check that the server's \
    TLS settings allow TLS 1.2 or 1.3";

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(url: &str) -> SslMode {
        config(url, false).unwrap().get_ssl_mode()
    }

    #[test]
    fn without_sslmode_tls_is_required_off_this_machine_and_off_on_it() {
        assert_eq!(mode("postgres://u@db.corp.local/x"), SslMode::Require);
        assert_eq!(mode("postgres://u@10.0.0.5:5432/x"), SslMode::Require);
        assert_eq!(mode("postgres://u@localhost,db2/x"), SslMode::Require);
        assert_eq!(mode("postgres://u@localhost/x"), SslMode::Disable);
        assert_eq!(mode("postgres://u@127.0.0.1:6543/x"), SslMode::Disable);
        assert_eq!(mode("postgres://u@[::1]:6543/x"), SslMode::Disable);
        assert_eq!(mode("host=/run/postgresql user=u"), SslMode::Disable);
        assert_eq!(mode("host=db.corp.local user=u"), SslMode::Require);
        // A CA file says the operator wants TLS, on this machine too.
        let with_ca = config("postgres://u@localhost/x", true).unwrap();
        assert_eq!(with_ca.get_ssl_mode(), SslMode::Require);
    }

    #[test]
    fn every_libpq_sslmode_is_read() {
        for (given, read) in [
            ("disable", SslMode::Disable),
            ("allow", SslMode::Prefer),
            ("prefer", SslMode::Prefer),
            ("require", SslMode::Require),
            ("verify-ca", SslMode::Require),
            ("verify-full", SslMode::Require),
        ] {
            let url = format!("postgres://u:p?w@db/x?application_name=a&sslmode={given}");
            assert_eq!(mode(&url), read, "{url}");
            let pairs = format!("host=localhost password='a b\\' sslmode=c' sslmode = {given}");
            assert_eq!(mode(&pairs), read, "{pairs}");
            let quoted = format!("host=db user=u sslmode='{given}'");
            assert_eq!(mode(&quoted), read, "{quoted}");
        }
        assert_eq!(mode("postgres://u@db/x?sslmode=disable"), SslMode::Disable);
    }

    #[test]
    fn a_password_that_looks_like_a_parameter_is_left_alone() {
        let config = config("postgres://u:sslmode=x?sslmode=disable@db/x", false).unwrap();
        assert_eq!(
            config.get_password(),
            Some(&b"sslmode=x?sslmode=disable"[..])
        );
        assert_eq!(config.get_ssl_mode(), SslMode::Require);
        let config = config_of("host=db password='sslmode=disable'");
        assert_eq!(config.get_ssl_mode(), SslMode::Require);
    }

    fn config_of(text: &str) -> Config {
        config(text, false).unwrap()
    }

    #[test]
    fn unknown_modes_and_sslrootcert_are_refused_with_what_to_write() {
        let err = config("postgres://u@db/x?sslmode=verify", false).unwrap_err();
        assert!(err.contains("none of disable, allow, prefer"), "{err}");
        let err = config("host=db sslrootcert=/etc/ca.pem", false).unwrap_err();
        assert!(err.contains("[state] ca_file"), "{err}");
    }
}
