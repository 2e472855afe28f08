//! What a request that got no answer becomes: an [`HttpError`] of the SDK's kinds, with the
//! cause chain as its message, credentials in URLs removed, and for TLS failures an operator
//! cannot read from rustls's words alone, what happened and what to do.

use sluice_core::tls::{is_ca_used_as_end_entity, rustls_error};
use sluice_sdk::{HttpError, HttpErrorKind};

/// Responses larger than this are cut off with an error, so a misbehaving server cannot
/// exhaust memory.
pub(crate) const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// Sorts a reqwest error into the SDK's kinds, with its cause chain as the message (and, for
/// a TLS failure an operator cannot read from rustls's words alone, what happened and what to
/// do).
pub(crate) fn classify(error: reqwest::Error) -> HttpError {
    let mut chain = error_chain(&error);
    let tls = rustls_error(&error);
    let kind = if error.is_timeout() {
        HttpErrorKind::Timeout
    } else if tls.is_some() {
        HttpErrorKind::Tls
    } else if error.is_connect() {
        HttpErrorKind::Connect
    } else if error.is_builder() {
        HttpErrorKind::InvalidRequest
    } else if error.is_body() || error.is_decode() || error.is_request() {
        HttpErrorKind::Interrupted
    } else {
        HttpErrorKind::Other
    };
    if let Some(tls) = tls {
        chain = explained(chain, tls);
    }
    HttpError::new(kind, chain)
}

/// `chain` with a certificate refusal in words (rustls shows ours by its `Debug`), and what
/// to do about a CA certificate served as the server's own.
fn explained(mut chain: String, tls: &rustls::Error) -> String {
    const MARK: &str = "invalid peer certificate: ";
    if let Some(refusal) = super::certificate::unverified(tls) {
        if let Some(at) = chain.find(MARK) {
            chain.truncate(at + MARK.len());
            chain.push_str(&refusal.to_string());
        }
    }
    if is_ca_used_as_end_entity(tls) {
        chain.push_str(CA_USED_AS_END_ENTITY);
    }
    chain
}

/// Sorts the IO error of a TLS handshake on a connection the host opened itself, as
/// [`classify`] does reqwest's.
pub(crate) fn classify_io(error: &std::io::Error) -> HttpError {
    let text = error_chain(error);
    match rustls_error(error) {
        Some(tls) => HttpError::new(HttpErrorKind::Tls, explained(text, tls)),
        None => HttpError::new(HttpErrorKind::Interrupted, text),
    }
}

/// Appended to webpki's `CaUsedAsEndEntity`.
const CA_USED_AS_END_ENTITY: &str = ": the server presents a CA certificate (CA:TRUE) as its \
    own certificate, and webpki refuses a CA certificate as the end entity, whether or not \
    `ca_file` trusts it (a self-signed certificate, such as Netwrix Auditor's default one, \
    exported and given as `ca_file` does this). Give `ca_file` the certificate that signed it, \
    not the server's own; if the server's certificate is self-signed, pin it with \
    `tls_fingerprint` instead, or give the server one with CA:FALSE (issued by your CA, whose \
    certificate goes in `ca_file`). Turning verification off (`insecure_skip_verify`) is not \
    the fix";

/// `error: cause: cause`, with credentials in URLs removed.
pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = redact_userinfo(&error.to_string());
    let mut current = error.source();
    while let Some(e) = current {
        let next = redact_userinfo(&e.to_string());
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        current = e.source();
    }
    text
}

/// `http://user:pass@host/` → `http://<redacted>@host/`.
pub(crate) fn redact_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail.find(['/', ' ', ')', '"']).unwrap_or(tail.len());
        match tail[..end].rfind('@') {
            Some(at) => {
                out.push_str("<redacted>");
                rest = &tail[at..];
            }
            None => rest = tail,
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::redact_userinfo;

    #[test]
    fn userinfo_is_removed_from_urls() {
        assert_eq!(
            redact_userinfo("error sending request for url (http://u:p@proxy:3128/x)"),
            "error sending request for url (http://<redacted>@proxy:3128/x)"
        );
        assert_eq!(redact_userinfo("http://host/a@b"), "http://host/a@b");
    }
}
