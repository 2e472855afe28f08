//! SPNEGO (RFC 4178) as HTTP Negotiate (RFC 4559) carries it, server side, with NTLM the only
//! mechanism: unwrap the client's NTLM message from its `NegTokenInit` or `NegTokenResp`, and
//! wrap the server's answer in a `NegTokenResp`. Windows also accepts a bare NTLM message under
//! `Negotiate` (what a client without SPNEGO sends); so does the emulator, and answers it bare.
//!
//! The DER is read and written here, in the few lines these two structures need, because the
//! ASN.1 types of the Rust Kerberos crates panic on some malformed input, and an emulator must
//! answer anything a client sends without falling over.

use super::ntlm::SIGNATURE;

/// NTLMSSP's object identifier, 1.3.6.1.4.1.311.2.2.10, DER-encoded with its tag.
const NTLM_OID: [u8; 12] = [
    0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a,
];
/// SPNEGO's, 1.3.6.1.5.5.2.
const SPNEGO_OID: [u8; 8] = [0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02];
/// `negState` values: accept-completed, accept-incomplete, reject.
const ACCEPT_COMPLETED: u8 = 0;
const ACCEPT_INCOMPLETE: u8 = 1;
const REJECT: u8 = 2;

const SEQUENCE: u8 = 0x30;
const OCTET_STRING: u8 = 0x04;
const ENUMERATED: u8 = 0x0a;
const APPLICATION_0: u8 = 0x60;

/// Context tag `[n]`, constructed.
const fn context(n: u8) -> u8 {
    0xa0 | n
}

/// How the client framed its NTLM message, so the answer is framed alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// A bare NTLM message under `Negotiate`.
    Bare,
    /// SPNEGO.
    Spnego,
}

/// Why a Negotiate token was refused (for the log).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SpnegoError {
    /// Not SPNEGO, or no NTLM message in it.
    #[error("not a SPNEGO token carrying an NTLM message")]
    Malformed,
    /// The client offered only mechanisms the emulator lacks (Kerberos needs a KDC).
    #[error("the client offered no NTLM mechanism (only Kerberos?)")]
    NoNtlm,
}

/// The NTLM message inside a client's Negotiate token, and how it was framed.
pub(crate) fn unwrap(token: &[u8]) -> Result<(Vec<u8>, Framing), SpnegoError> {
    if token.starts_with(SIGNATURE) {
        return Ok((token.to_vec(), Framing::Bare));
    }
    let message = match token.first() {
        Some(&APPLICATION_0) => init_token(token)?,
        Some(&tag) if tag == context(1) => response_token(token)?,
        _ => return Err(SpnegoError::Malformed),
    };
    if message.starts_with(SIGNATURE) {
        Ok((message.to_vec(), Framing::Spnego))
    } else {
        Err(SpnegoError::Malformed)
    }
}

/// `[APPLICATION 0] { spnego OID, [0] NegTokenInit { [0] mechTypes, …, [2] mechToken } }`:
/// the optimistic token, which must be for NTLM, the first mechanism offered.
fn init_token(token: &[u8]) -> Result<&[u8], SpnegoError> {
    let (_, body) = expect(token, APPLICATION_0)?;
    let rest = body
        .strip_prefix(&SPNEGO_OID[..])
        .ok_or(SpnegoError::Malformed)?;
    let (_, init) = expect(rest, context(0))?;
    let (_, fields) = expect(init, SEQUENCE)?;
    let mut mech_types = None;
    let mut mech_token = None;
    for (tag, value) in elements(fields)? {
        match tag {
            t if t == context(0) => mech_types = Some(expect(value, SEQUENCE)?.1),
            t if t == context(2) => mech_token = Some(expect(value, OCTET_STRING)?.1),
            _ => {}
        }
    }
    let mech_types = mech_types.ok_or(SpnegoError::Malformed)?;
    if !mech_types.starts_with(&NTLM_OID) {
        // An optimistic token is for the first mechanism only.
        return Err(if contains(mech_types, &NTLM_OID) {
            SpnegoError::Malformed
        } else {
            SpnegoError::NoNtlm
        });
    }
    mech_token.ok_or(SpnegoError::Malformed)
}

/// `[1] NegTokenResp { …, [2] responseToken, … }`.
fn response_token(token: &[u8]) -> Result<&[u8], SpnegoError> {
    let (_, resp) = expect(token, context(1))?;
    let (_, fields) = expect(resp, SEQUENCE)?;
    for (tag, value) in elements(fields)? {
        if tag == context(2) {
            return Ok(expect(value, OCTET_STRING)?.1);
        }
    }
    Err(SpnegoError::Malformed)
}

/// The server's CHALLENGE, framed as the client framed its NEGOTIATE.
pub(crate) fn wrap_challenge(challenge: Vec<u8>, framing: Framing) -> Vec<u8> {
    match framing {
        Framing::Bare => challenge,
        Framing::Spnego => response(ACCEPT_INCOMPLETE, true, Some(&challenge)),
    }
}

/// The final token: accepted or rejected (SPNEGO only; a bare exchange ends without one).
pub(crate) fn wrap_result(accepted: bool, framing: Framing) -> Option<Vec<u8>> {
    match framing {
        Framing::Bare => None,
        Framing::Spnego => Some(response(
            if accepted { ACCEPT_COMPLETED } else { REJECT },
            false,
            None,
        )),
    }
}

/// `[1] NegTokenResp { [0] negState, [1] supportedMech?, [2] responseToken? }`.
fn response(state: u8, name_mech: bool, token: Option<&[u8]>) -> Vec<u8> {
    let mut fields = encode(context(0), &encode(ENUMERATED, &[state]));
    if name_mech {
        fields.extend(encode(context(1), &NTLM_OID));
    }
    if let Some(token) = token {
        fields.extend(encode(context(2), &encode(OCTET_STRING, token)));
    }
    encode(context(1), &encode(SEQUENCE, &fields))
}

/// One element with `tag` at the start of `input`: (the rest after it, its content).
fn expect(input: &[u8], tag: u8) -> Result<(&[u8], &[u8]), SpnegoError> {
    match read(input) {
        Some((t, content, rest)) if t == tag => Ok((rest, content)),
        _ => Err(SpnegoError::Malformed),
    }
}

/// The elements of a constructed value's content, as (tag, content).
fn elements(mut input: &[u8]) -> Result<Vec<(u8, &[u8])>, SpnegoError> {
    let mut out = Vec::new();
    while !input.is_empty() {
        let (tag, content, rest) = read(input).ok_or(SpnegoError::Malformed)?;
        out.push((tag, content));
        input = rest;
    }
    Ok(out)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A DER element: tag, content, rest. `None` when the length runs past the input.
fn read(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let octets = usize::from(first & 0x7f);
        if octets == 0 || octets > 4 {
            return None;
        }
        let (bytes, after) = rest.split_at_checked(octets)?;
        rest = after;
        bytes.iter().fold(0usize, |n, b| (n << 8) | usize::from(*b))
    };
    let (content, rest) = rest.split_at_checked(len)?;
    Some((tag, content, rest))
}

/// A DER element with `tag` around `content`.
fn encode(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_ntlm_passes_through() {
        let token = b"NTLMSSP\0\x01\0\0\0rest".to_vec();
        assert_eq!(unwrap(&token), Ok((token.clone(), Framing::Bare)));
        assert_eq!(wrap_challenge(token.clone(), Framing::Bare), token);
    }

    #[test]
    fn a_challenge_round_trips_through_a_response_token() {
        let long = [b"NTLMSSP\0\x02".as_slice(), &[7; 300]].concat();
        let wrapped = wrap_challenge(long.clone(), Framing::Spnego);
        assert_eq!(unwrap(&wrapped), Ok((long, Framing::Spnego)));
    }

    #[test]
    fn an_init_token_offering_ntlm_first_is_read() {
        let mech_types = encode(SEQUENCE, &NTLM_OID);
        let fields = [
            encode(context(0), &mech_types),
            encode(context(2), &encode(OCTET_STRING, b"NTLMSSP\0\x01")),
        ]
        .concat();
        let init = encode(context(0), &encode(SEQUENCE, &fields));
        let token = encode(APPLICATION_0, &[SPNEGO_OID.as_slice(), &init].concat());
        assert_eq!(
            unwrap(&token),
            Ok((b"NTLMSSP\0\x01".to_vec(), Framing::Spnego))
        );
        let kerberos_only = [0x06, 0x03, 0x2a, 0x86, 0x48];
        let fields = encode(context(0), &encode(SEQUENCE, &kerberos_only));
        let init = encode(context(0), &encode(SEQUENCE, &fields));
        let token = encode(APPLICATION_0, &[SPNEGO_OID.as_slice(), &init].concat());
        assert_eq!(unwrap(&token), Err(SpnegoError::NoNtlm));
    }

    #[test]
    fn garbage_is_refused() {
        for token in [
            &b""[..],
            b"\x60\x03abc",
            b"\x60\x84\xff\xff\xff\xff",
            b"\xa1\x00",
            b"\xa1\x02\x30\x00",
            &[0xff; 40],
        ] {
            assert!(unwrap(token).is_err(), "{token:?}");
        }
    }
}
