//! The live OAuth tokens of an instance: who each access and refresh token was issued to and
//! until when it is valid. Plain data in the shared state, issued by the token endpoint
//! (`oauth`) and checked by `auth`. Expiry follows the emulator clock, so a test expires a
//! token with `ServiceNow::advance` instead of sleeping.

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

/// Live access and refresh tokens.
#[derive(Debug, Default)]
pub(crate) struct Tokens {
    access: HashMap<String, Grant>,
    refresh: HashMap<String, Grant>,
}

/// A freshly issued token pair.
#[derive(Debug)]
pub(crate) struct Issued {
    pub(crate) access_token: String,
    pub(crate) refresh_token: String,
    pub(crate) expires_in: u64,
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
        reuse_refresh: Option<String>,
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
        let refresh_token = reuse_refresh.unwrap_or_else(|| {
            let token = token_string();
            self.refresh.insert(
                token.clone(),
                Grant {
                    user_name: user_name.to_owned(),
                    client_id: client_id.to_owned(),
                    expires_at: later(now, refresh_life),
                },
            );
            token
        });
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
        let issued = tokens.issue("svc", "client", now, life, None);
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
        assert!(tokens
            .redeem_refresh(&issued.refresh_token, "client", after)
            .is_some());
        assert!(tokens
            .redeem_refresh(&issued.refresh_token, "other-client", after)
            .is_none());
    }
}
