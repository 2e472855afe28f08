//! The live tokens of an instance: who each OAuth access and refresh token was issued to and
//! until when it is valid, and the API keys (plugin "API Key and HMAC Authentication") with
//! the user each signs in as. Plain data in the shared state, issued by the token endpoint
//! (`oauth`) or the instance's config, and checked by `auth`. Expiry follows the emulator
//! clock, so a test expires a token with `ServiceNow::advance` instead of sleeping.

use std::collections::HashMap;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::store::new_sys_id;

/// Who a token was issued to, and until when it is valid.
#[derive(Clone, Debug)]
pub(crate) struct Grant {
    pub(crate) user_name: String,
    client_id: String,
    expires_at: Timestamp,
}

/// Live access and refresh tokens, and API keys.
#[derive(Debug, Default)]
pub(crate) struct Tokens {
    access: HashMap<String, Grant>,
    refresh: HashMap<String, Grant>,
    /// API key → user name; a revoked key is removed.
    api_keys: HashMap<String, String>,
    /// Whether API keys sign in at all (the plugin is active on this release and profile).
    api_keys_active: bool,
}

/// A freshly issued token pair (no refresh token for the client-credentials grant).
#[derive(Debug)]
pub(crate) struct Issued {
    pub(crate) access_token: String,
    pub(crate) refresh_token: Option<String>,
    pub(crate) expires_in: u64,
}

/// What a new access token comes with.
#[derive(Debug)]
pub(crate) enum Refresh {
    /// A new refresh token (password grant).
    New,
    /// The refresh token it was redeemed with, unchanged.
    Reuse(String),
    /// None (client-credentials grant: the client asks again).
    None,
}

impl Tokens {
    /// The user an unexpired access token belongs to.
    pub(crate) fn user_of_access_token(&self, token: &str, now: Timestamp) -> Option<&str> {
        self.access
            .get(token)
            .filter(|g| now < g.expires_at)
            .map(|g| g.user_name.as_str())
    }

    /// Issues an access token (and a refresh token unless one is being reused).
    pub(crate) fn issue(
        &mut self,
        user_name: &str,
        client_id: &str,
        now: Timestamp,
        lifetimes: (Duration, Duration),
        refresh: Refresh,
    ) -> Issued {
        let (access_life, refresh_life) = lifetimes;
        let access_token = token_string();
        self.access.insert(
            access_token.clone(),
            Grant {
                user_name: user_name.to_owned(),
                client_id: client_id.to_owned(),
                expires_at: later(now, access_life),
            },
        );
        let refresh_token = match refresh {
            Refresh::New => {
                let token = token_string();
                self.refresh.insert(
                    token.clone(),
                    Grant {
                        user_name: user_name.to_owned(),
                        client_id: client_id.to_owned(),
                        expires_at: later(now, refresh_life),
                    },
                );
                Some(token)
            }
            Refresh::Reuse(token) => Some(token),
            Refresh::None => None,
        };
        Issued {
            access_token,
            refresh_token,
            // A 1800 s lifespan is reported as 1799, as real instances do: the seconds left,
            // rounded down.
            expires_in: access_life.as_secs().saturating_sub(1),
        }
    }

    /// The grant behind an unexpired refresh token of `client_id`.
    pub(crate) fn redeem_refresh(
        &self,
        token: &str,
        client_id: &str,
        now: Timestamp,
    ) -> Option<Grant> {
        self.refresh
            .get(token)
            .filter(|g| now < g.expires_at && g.client_id == client_id)
            .cloned()
    }
}

impl Tokens {
    /// The user an API key signs in as, if API keys are active and the key is live.
    pub(crate) fn user_of_api_key(&self, key: &str) -> Option<&str> {
        if !self.api_keys_active {
            return None;
        }
        self.api_keys.get(key).map(String::as_str)
    }

    /// Makes `key` sign in as `user_name` (an admin creating an API key).
    pub(crate) fn add_api_key(&mut self, key: &str, user_name: &str) {
        self.api_keys.insert(key.to_owned(), user_name.to_owned());
    }

    /// Revokes `key`; returns whether it existed.
    pub(crate) fn revoke_api_key(&mut self, key: &str) -> bool {
        self.api_keys.remove(key).is_some()
    }

    /// Whether API keys sign in.
    pub(crate) fn api_keys_active(&self) -> bool {
        self.api_keys_active
    }

    /// Whether API keys sign in (the plugin is active).
    pub(crate) fn set_api_keys_active(&mut self, active: bool) {
        self.api_keys_active = active;
    }
}

fn later(now: Timestamp, by: Duration) -> Timestamp {
    SignedDuration::try_from(by)
        .ok()
        .and_then(|by| now.checked_add(by).ok())
        .unwrap_or(Timestamp::MAX)
}

fn token_string() -> String {
    format!("{}{}", new_sys_id(), new_sys_id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_tokens_expire_on_the_given_clock() {
        let mut tokens = Tokens::default();
        let now = Timestamp::now();
        let life = (Duration::from_secs(1800), Duration::from_secs(86_400));
        let issued = tokens.issue("svc", "client", now, life, Refresh::New);
        let Some(refresh) = issued.refresh_token.clone() else {
            panic!("the password grant issues a refresh token")
        };
        assert_eq!(issued.expires_in, 1799);
        assert_eq!(
            tokens.user_of_access_token(&issued.access_token, now),
            Some("svc")
        );
        let after = later(now, Duration::from_secs(1800));
        assert_eq!(
            tokens.user_of_access_token(&issued.access_token, after),
            None
        );
        assert!(tokens.redeem_refresh(&refresh, "client", after).is_some());
        assert!(tokens
            .redeem_refresh(&refresh, "other-client", after)
            .is_none());
    }

    #[test]
    fn api_keys_sign_in_only_while_active_and_until_revoked() {
        let mut tokens = Tokens::default();
        tokens.add_api_key("k1", "svc");
        assert_eq!(tokens.user_of_api_key("k1"), None);
        tokens.set_api_keys_active(true);
        assert_eq!(tokens.user_of_api_key("k1"), Some("svc"));
        assert!(tokens.revoke_api_key("k1"));
        assert_eq!(tokens.user_of_api_key("k1"), None);
    }
}
