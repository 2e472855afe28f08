//! The emulator's shared state: fixed configuration plus one mutex around everything that
//! changes. Handlers take the lock, do synchronous work and release it before any await.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use super::account::{Account, Actor};
use super::clock::{glide_date_time, Clock};
use super::faults::FaultState;
use super::profile::Profile;
use super::rate_limit::RateLimiter;
use super::release::Release;
use super::schema;
use super::seed::{self, ADMIN_SYS_ID, AGENT_USER_NAME, API_USER_SYS_ID, SECOND_ADMIN_SYS_ID};
use super::stats::RequestStats;
use super::store::Store;
use super::tokens::Tokens;
use super::ServiceNowConfig;

/// Everything a handler needs.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) release: Release,
    pub(crate) accounts: Vec<Account>,
    pub(crate) oauth_clients: Vec<(String, String)>,
    /// The user a client-credentials token acts as (the OAuth Application User).
    pub(crate) client_credentials_user: String,
    pub(crate) access_token_lifetime: Duration,
    pub(crate) refresh_token_lifetime: Duration,
    pub(crate) instance_url: Option<String>,
    inner: Mutex<Inner>,
}

/// The mutable part.
#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) profile: Profile,
    pub(crate) clock: Clock,
    pub(crate) store: Store,
    pub(crate) tokens: Tokens,
    pub(crate) faults: FaultState,
    pub(crate) rate: RateLimiter,
    pub(crate) stats: RequestStats,
}

impl Inner {
    /// Now as `YYYY-MM-DD HH:MM:SS` UTC.
    pub(crate) fn now_text(&self) -> String {
        glide_date_time(self.clock.now())
    }
}

impl Shared {
    /// Builds the instance described by `config`, seeded with users, groups and choices.
    pub(crate) fn new(config: ServiceNowConfig) -> Self {
        // The API user is an admin when it is called `admin` (as in the 2018 captures) or is
        // the configured admin credential; otherwise it is an itil integration user.
        let api_is_admin = config.username == "admin"
            || config
                .admin
                .as_ref()
                .is_some_and(|a| a.username == config.username);
        let mut accounts = vec![Account {
            user_name: config.username.clone(),
            password: config.password.clone(),
            sys_id: if api_is_admin {
                ADMIN_SYS_ID.to_owned()
            } else {
                API_USER_SYS_ID.to_owned()
            },
            display_name: config.user_display_name.clone(),
            admin: api_is_admin,
        }];
        if let Some(admin) = config
            .admin
            .as_ref()
            .filter(|a| a.username != config.username)
        {
            accounts.push(Account {
                user_name: admin.username.clone(),
                password: admin.password.clone(),
                sys_id: if api_is_admin {
                    SECOND_ADMIN_SYS_ID.to_owned()
                } else {
                    ADMIN_SYS_ID.to_owned()
                },
                display_name: "System Administrator".to_owned(),
                admin: true,
            });
        }
        let clock = Clock::default();
        let mut store = Store::new();
        seed::seed(
            &mut store,
            &accounts,
            &config.profile,
            &glide_date_time(clock.now()),
        );
        let mut tokens = Tokens::default();
        for (key, user) in &config.api_keys {
            tokens.add_api_key(key, user);
        }
        tokens.set_api_keys_active(api_keys_active(config.release, &config.profile));
        Shared {
            release: config.release,
            client_credentials_user: config.username.clone(),
            accounts,
            oauth_clients: config.oauth_clients,
            access_token_lifetime: config.access_token_lifetime,
            refresh_token_lifetime: config.refresh_token_lifetime,
            instance_url: config.instance_url,
            inner: Mutex::new(Inner {
                profile: config.profile,
                clock,
                store,
                tokens,
                faults: FaultState::default(),
                rate: RateLimiter::default(),
                stats: RequestStats::default(),
            }),
        }
    }

    /// Locks the mutable state. A poisoned lock is still used: no handler panics while holding
    /// it, and tests should see the state rather than a second panic.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The human agent behind `ServiceNow::set_state` (an itil_admin: passes record ACLs).
    pub(crate) fn agent(&self, inner: &Inner) -> Actor {
        let row = inner
            .store
            .rows(schema::USER.name)
            .iter()
            .find(|r| r.get("user_name") == AGENT_USER_NAME);
        Actor {
            user_name: AGENT_USER_NAME.to_owned(),
            sys_id: row.map(|r| r.sys_id().to_owned()).unwrap_or_default(),
            display_name: row.map(|r| r.get("name").to_owned()).unwrap_or_default(),
            admin: true,
        }
    }
}

/// Whether API keys sign in: the release has the plugin and the profile has it active.
pub(crate) fn api_keys_active(release: Release, profile: &Profile) -> bool {
    release >= Release::WashingtonDc && profile.api_key
}
