//! The client side of NTLM and of Negotiate carrying NTLM, by Devolutions' sspi: one security
//! context per handshake, stepped with the server's tokens. Kerberos is left out of
//! Negotiate's mechanisms (it needs a domain controller sluice does not talk to).

use sspi::ntlm::NtlmConfig;
use sspi::{
    AuthIdentity, AuthIdentityBuffers, BufferType, ClientRequestFlags, CredentialUse,
    CredentialsBuffers, DataRepresentation, Negotiate, NegotiateConfig, Ntlm, SecurityBuffer, Sspi,
    SspiImpl, Username,
};

use sluice_sdk::AuthScheme;

/// The workstation name sent in NTLM messages (servers log it with the logon).
const WORKSTATION: &str = "SLUICE";

/// Why a handshake step could not be taken.
#[derive(Debug, thiserror::Error)]
pub(crate) enum HandshakeError {
    /// The account name is not `DOMAIN\user` or `user@domain`.
    #[error("the account {0:?} is not a Windows account name (write DOMAIN\\user or user@domain)")]
    Account(String),
    /// sspi refused: a malformed token from the server, usually.
    #[error("{0}")]
    Sspi(#[from] sspi::Error),
}

/// One client handshake in progress.
pub(crate) struct ClientHandshake {
    context: Context,
    target: String,
}

enum Context {
    Ntlm(Box<Ntlm>, Option<AuthIdentityBuffers>),
    Negotiate(Box<Negotiate>, Option<CredentialsBuffers>),
}

impl std::fmt::Debug for ClientHandshake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientHandshake")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl ClientHandshake {
    /// A handshake with `scheme` (NTLM or Negotiate) as `username` to the service `HTTP/host`.
    pub(crate) fn new(
        scheme: AuthScheme,
        username: &str,
        password: &str,
        host: &str,
    ) -> Result<Self, HandshakeError> {
        let identity = AuthIdentity {
            username: Username::parse(username)
                .map_err(|_| HandshakeError::Account(username.to_owned()))?,
            password: password.to_owned().into(),
        };
        let context = if scheme == AuthScheme::Negotiate {
            let config = NegotiateConfig::new(
                Box::new(NtlmConfig::new(WORKSTATION.to_owned())),
                Some("!kerberos,!pku2u,ntlm".to_owned()),
                WORKSTATION.to_owned(),
            );
            let mut negotiate = Negotiate::new_client(config)?;
            let credentials = negotiate
                .acquire_credentials_handle()
                .with_credential_use(CredentialUse::Outbound)
                .with_auth_data(&identity.into())
                .execute(&mut negotiate)?
                .credentials_handle;
            Context::Negotiate(Box::new(negotiate), credentials)
        } else {
            let mut ntlm = Ntlm::with_config(NtlmConfig::new(WORKSTATION.to_owned()));
            let credentials = ntlm
                .acquire_credentials_handle()
                .with_credential_use(CredentialUse::Outbound)
                .with_auth_data(&identity)
                .execute(&mut ntlm)?
                .credentials_handle;
            Context::Ntlm(Box::new(ntlm), credentials)
        };
        Ok(ClientHandshake {
            context,
            target: format!("HTTP/{host}"),
        })
    }

    /// The next token to send: the first with `None`, then one per server token.
    pub(crate) fn step(&mut self, input: Option<&[u8]>) -> Result<Vec<u8>, HandshakeError> {
        let target = self.target.as_str();
        match &mut self.context {
            Context::Ntlm(ntlm, credentials) => step(&mut **ntlm, credentials, target, input),
            Context::Negotiate(negotiate, credentials) => {
                step(&mut **negotiate, credentials, target, input)
            }
        }
    }
}

fn step<S>(
    context: &mut S,
    credentials: &mut S::CredentialsHandle,
    target: &str,
    input: Option<&[u8]>,
) -> Result<Vec<u8>, HandshakeError>
where
    S: Sspi + SspiImpl,
{
    let mut output = vec![SecurityBuffer::new(Vec::new(), BufferType::Token)];
    let mut input = input.map(|token| vec![SecurityBuffer::new(token.to_vec(), BufferType::Token)]);
    let mut builder = context
        .initialize_security_context()
        .with_credentials_handle(credentials)
        .with_context_requirements(ClientRequestFlags::ALLOCATE_MEMORY)
        .with_target_data_representation(DataRepresentation::Native)
        .with_target_name(target)
        .with_output(&mut output);
    if let Some(input) = input.as_mut() {
        builder = builder.with_input(input);
    }
    context
        .initialize_security_context_impl(&mut builder)?
        .resolve_to_result()?;
    Ok(std::mem::take(&mut output[0].buffer))
}
