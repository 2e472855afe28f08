//! The server side of NTLM (NTLMv2 only): read a NEGOTIATE message, answer with a CHALLENGE,
//! and check the AUTHENTICATE message's NTLMv2 response against the configured password, as
//! MS-NLMP specifies. No signing or sealing: HTTP authentication needs neither, and the
//! emulator never claims them (it echoes only the flags it honours).

use hmac::{Hmac, KeyInit, Mac};
use md4::{Digest, Md4};
use md5::Md5;

/// Every NTLM message starts with this.
pub(crate) const SIGNATURE: &[u8; 8] = b"NTLMSSP\0";

const NEGOTIATE_UNICODE: u32 = 0x0000_0001;
const REQUEST_TARGET: u32 = 0x0000_0004;
const NEGOTIATE_NTLM: u32 = 0x0000_0200;
const ALWAYS_SIGN: u32 = 0x0000_8000;
const TARGET_TYPE_DOMAIN: u32 = 0x0001_0000;
const EXTENDED_SESSION_SECURITY: u32 = 0x0008_0000;
const TARGET_INFO: u32 = 0x0080_0000;
const NEGOTIATE_VERSION: u32 = 0x0200_0000;
const NEGOTIATE_128: u32 = 0x2000_0000;
const KEY_EXCHANGE: u32 = 0x4000_0000;
const NEGOTIATE_56: u32 = 0x8000_0000;
const SIGN: u32 = 0x0000_0010;
const SEAL: u32 = 0x0000_0020;

/// Flags a client may ask for that the CHALLENGE grants when asked (the session-security
/// ones are accepted as Windows does; the emulator never signs or seals an HTTP body).
const GRANTED: u32 = NEGOTIATE_UNICODE
    | REQUEST_TARGET
    | NEGOTIATE_NTLM
    | ALWAYS_SIGN
    | EXTENDED_SESSION_SECURITY
    | NEGOTIATE_VERSION
    | NEGOTIATE_128
    | KEY_EXCHANGE
    | NEGOTIATE_56
    | SIGN
    | SEAL;

/// Why an NTLM message was refused. The text goes to the emulator's log, never to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum NtlmError {
    /// Not an NTLM message, or not the one expected at this step.
    #[error("not an NTLM {0} message")]
    Malformed(&'static str),
    /// The client answered with NTLMv1 or LM, which this server refuses (as Windows does
    /// under its default LAN Manager authentication level on current releases).
    #[error("the client sent no NTLMv2 response (NTLMv1 and LM are refused)")]
    NotV2,
    /// The account is not the configured one.
    #[error("unknown account {domain}\\{user}")]
    UnknownAccount {
        /// The domain the client named.
        domain: String,
        /// The user the client named.
        user: String,
    },
    /// The NTLMv2 proof does not match the configured password.
    #[error("wrong password for {domain}\\{user}")]
    WrongPassword {
        /// The domain the client named.
        domain: String,
        /// The user the client named.
        user: String,
    },
}

/// The server's half of one handshake: what it sent in its CHALLENGE.
#[derive(Debug, Clone)]
pub(crate) struct Challenge {
    server_challenge: [u8; 8],
}

/// The names the server gives itself in the CHALLENGE's target information.
#[derive(Debug, Clone)]
pub(crate) struct ServerNames {
    /// NetBIOS domain, `CORP`.
    pub(crate) domain: String,
    /// NetBIOS computer name, `AUDITOR`.
    pub(crate) computer: String,
}

/// Reads a NEGOTIATE message and builds the CHALLENGE that answers it, with a fresh random
/// server challenge; `now_filetime` stamps the target information (clients put it in their
/// NTLMv2 response).
pub(crate) fn challenge(
    negotiate: &[u8],
    names: &ServerNames,
    now_filetime: u64,
) -> Result<(Challenge, Vec<u8>), NtlmError> {
    if negotiate.len() < 16 || &negotiate[..8] != SIGNATURE || u32_at(negotiate, 8) != Some(1) {
        return Err(NtlmError::Malformed("NEGOTIATE"));
    }
    let asked = u32_at(negotiate, 12).ok_or(NtlmError::Malformed("NEGOTIATE"))?;
    let flags =
        (asked & GRANTED) | NEGOTIATE_NTLM | TARGET_INFO | TARGET_TYPE_DOMAIN | NEGOTIATE_UNICODE;
    let server_challenge: [u8; 8] = rand::random();
    let target_name = utf16(&names.domain);
    let mut info = Vec::new();
    av_pair(&mut info, 2, &utf16(&names.domain));
    av_pair(&mut info, 1, &utf16(&names.computer));
    av_pair(&mut info, 4, &utf16(&names.domain.to_ascii_lowercase()));
    av_pair(&mut info, 3, &utf16(&names.computer.to_ascii_lowercase()));
    av_pair(&mut info, 7, &now_filetime.to_le_bytes());
    av_pair(&mut info, 0, &[]);
    const HEADER: usize = 56;
    let mut message = Vec::with_capacity(HEADER + target_name.len() + info.len());
    message.extend_from_slice(SIGNATURE);
    message.extend_from_slice(&2u32.to_le_bytes());
    fields(&mut message, target_name.len(), HEADER);
    message.extend_from_slice(&flags.to_le_bytes());
    message.extend_from_slice(&server_challenge);
    message.extend_from_slice(&[0; 8]);
    fields(&mut message, info.len(), HEADER + target_name.len());
    // Windows Server 2019 (10.0.17763), NTLM revision 15.
    message.extend_from_slice(&[10, 0, 0x63, 0x45, 0, 0, 0, 15]);
    message.extend_from_slice(&target_name);
    message.extend_from_slice(&info);
    Ok((Challenge { server_challenge }, message))
}

/// An account as the server knows it: `DOMAIN\user` split, and its password.
#[derive(Debug, Clone)]
pub(crate) struct Account<'a> {
    /// The NetBIOS domain; empty accepts any domain.
    pub(crate) domain: &'a str,
    /// The user name.
    pub(crate) user: &'a str,
    /// The password.
    pub(crate) password: &'a str,
}

/// Checks an AUTHENTICATE message against `account` and the CHALLENGE it answers. Account
/// and domain names compare case-insensitively, as Windows compares them.
pub(crate) fn verify(
    authenticate: &[u8],
    challenge: &Challenge,
    account: &Account<'_>,
) -> Result<(), NtlmError> {
    const WHAT: &str = "AUTHENTICATE";
    if authenticate.len() < 64
        || &authenticate[..8] != SIGNATURE
        || u32_at(authenticate, 8) != Some(3)
    {
        return Err(NtlmError::Malformed(WHAT));
    }
    let flags = u32_at(authenticate, 60).ok_or(NtlmError::Malformed(WHAT))?;
    let unicode = flags & NEGOTIATE_UNICODE != 0;
    let nt = field(authenticate, 20).ok_or(NtlmError::Malformed(WHAT))?;
    let domain = text(
        field(authenticate, 28).ok_or(NtlmError::Malformed(WHAT))?,
        unicode,
    );
    let user = text(
        field(authenticate, 36).ok_or(NtlmError::Malformed(WHAT))?,
        unicode,
    );
    // An NTLMv2 response is the 16-byte proof and a blob of at least 28 bytes; NTLMv1 is 24.
    if nt.len() < 16 + 28 {
        return Err(NtlmError::NotV2);
    }
    let known = user.eq_ignore_ascii_case(account.user)
        && (account.domain.is_empty() || domain.eq_ignore_ascii_case(account.domain));
    if !known {
        return Err(NtlmError::UnknownAccount { domain, user });
    }
    let (proof, blob) = nt.split_at(16);
    let key = ntowf_v2(account.password, &user, &domain);
    let mut mac = hmac_md5(&key);
    mac.update(&challenge.server_challenge);
    mac.update(blob);
    if mac.verify_slice(proof).is_err() {
        return Err(NtlmError::WrongPassword { domain, user });
    }
    Ok(())
}

/// NTOWFv2: HMAC-MD5 keyed with the MD4 of the password, over the upper-cased user and the
/// domain as the client wrote it, all UTF-16LE.
fn ntowf_v2(password: &str, user: &str, domain: &str) -> [u8; 16] {
    let nt_hash = Md4::digest(utf16(password));
    let mut mac = hmac_md5(&nt_hash);
    mac.update(&utf16(&user.to_uppercase()));
    mac.update(&utf16(domain));
    mac.finalize().into_bytes().into()
}

fn hmac_md5(key: &[u8]) -> Hmac<Md5> {
    // HMAC takes a key of any length.
    <Hmac<Md5> as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!())
}

fn utf16(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn text(bytes: &[u8], unicode: bool) -> String {
    if unicode {
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|p| u16::from_le_bytes([p[0], p[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    }
}

fn av_pair(out: &mut Vec<u8>, id: u16, value: &[u8]) {
    out.extend_from_slice(&id.to_le_bytes());
    out.extend_from_slice(&(value.len() as u16).to_le_bytes());
    out.extend_from_slice(value);
}

/// A security buffer's fields: length, maximum length, offset.
fn fields(out: &mut Vec<u8>, len: usize, offset: usize) {
    out.extend_from_slice(&(len as u16).to_le_bytes());
    out.extend_from_slice(&(len as u16).to_le_bytes());
    out.extend_from_slice(&(offset as u32).to_le_bytes());
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 4)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// The payload a security buffer's fields at `at` point to, if it lies inside the message.
fn field(message: &[u8], at: usize) -> Option<&[u8]> {
    let len = usize::from(u16::from_le_bytes([
        *message.get(at)?,
        *message.get(at + 1)?,
    ]));
    let offset = usize::try_from(u32_at(message, at + 4)?).ok()?;
    message.get(offset..offset.checked_add(len)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// MS-NLMP 4.2.4.1.1: NTOWFv2 of "Password" for User in Domain.
    #[test]
    fn ntowf_v2_matches_the_specifications_example() {
        let key = ntowf_v2("Password", "User", "Domain");
        assert_eq!(
            key,
            [
                0x0c, 0x86, 0x8a, 0x40, 0x3b, 0xfd, 0x7a, 0x93, 0xa3, 0x00, 0x1e, 0xf2, 0x2e, 0xf0,
                0x2e, 0x3f
            ]
        );
    }

    #[test]
    fn garbage_is_refused_not_a_panic() {
        let names = ServerNames {
            domain: "CORP".into(),
            computer: "AUDITOR".into(),
        };
        for bytes in [&b""[..], b"NTLMSSP\0", b"NTLMSSP\0\x03\0\0\0", &[0xff; 80]] {
            assert!(challenge(bytes, &names, 0).is_err());
            let challenge = Challenge {
                server_challenge: [0; 8],
            };
            let account = Account {
                domain: "CORP",
                user: "svc",
                password: "p",
            };
            assert!(verify(bytes, &challenge, &account).is_err());
        }
    }
}
