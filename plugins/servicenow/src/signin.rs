//! The ways the sink signs in: Basic (`username`, `password`), the OAuth password grant (the
//! same plus `oauth`), the OAuth client-credentials grant (`oauth.grant =
//! "client_credentials"`, no user) or an API key (`api_key`, sent in the `x-sn-apikey`
//! header). Mutual TLS is the host's `http` table and combines with any of them. Which one a
//! config chooses, and whether its release has it, is `config::sign_in`.

/// A way of signing in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    /// `Authorization: Basic` with `username` and `password`.
    Basic,
    /// OAuth 2.0 tokens from the password grant, as `username`.
    OAuthPassword,
    /// OAuth 2.0 tokens from the client-credentials grant, as the OAuth application's user.
    OAuthClientCredentials,
    /// An API key in the `x-sn-apikey` header, as the user it was issued to.
    ApiKey,
}

impl Method {
    /// How the method is named in messages.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Method::Basic => "Basic authentication",
            Method::OAuthPassword => "the OAuth password grant",
            Method::OAuthClientCredentials => "the OAuth client-credentials grant",
            Method::ApiKey => "an API key",
        }
    }

    /// The key that chooses this method, for messages that refuse it.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Method::Basic => "username",
            Method::OAuthPassword => "oauth",
            Method::OAuthClientCredentials => "oauth.grant",
            Method::ApiKey => "api_key",
        }
    }
}
