//! Emulator of the ServiceNow Table and Attachment APIs (Helsinki → Brazil), held to
//! ServiceNow's documentation, to what other clients have seen, and to the real exchanges
//! recorded in `tests/fixtures/servicenow-captures-2018/`.
//!
//! [`ServiceNow::new`] builds one instance from a [`ServiceNowConfig`]: a [`Release`] and the
//! [`Profile`] of behaviour switches for it (every behaviour not confirmed for every release is
//! a switch there), the API user's credentials, an admin credential and OAuth clients.
//! [`ServiceNow::router`] returns the [`axum::Router`] that `sluice emulate servicenow`,
//! `sluice demo` and the tests mount with [`crate::serve`]. The same handle lets tests read and
//! steer the instance: incidents, journals, attachments, an agent changing state, faults,
//! profile switches, the clock, and request counts.
//!
//! What is served:
//!
//! | path | methods |
//! |---|---|
//! | `/api/now[/v1\|/v2]/table/{table}` | GET (query), POST (incident, sn_si_incident) |
//! | `/api/now[/v1\|/v2]/table/{table}/{sys_id}` | GET, PUT, PATCH, DELETE (writes: incident, sn_si_incident) |
//! | `/api/now[/v1]/attachment` | GET (metadata list) |
//! | `/api/now[/v1]/attachment/file` · `/upload` | POST (binary · multipart) |
//! | `/api/now[/v1]/attachment/{sys_id}` · `/{sys_id}/file` | GET, DELETE · GET (content) |
//! | `/api/now[/v1]/stats/{table}` | GET (Aggregate API: count, avg, min, max, sum, group by) |
//! | `/api/now/v1/batch` | POST (Batch API; from London) |
//! | `/oauth_token.do` | POST (password and refresh-token grants; client credentials from Washington DC where enabled) |
//!
//! The Table and Aggregate APIs answer XML to `Accept: application/xml`; attachment metadata
//! carries `hash` and the users' names from Quebec on (profile switches).
//!
//! Tables: `incident`, `sn_si_incident` (where the profile installs Security Incident
//! Response), `sys_user`, `sys_user_group` ("Service Desk", "Security Operations", "Network",
//! "Database", "Hardware"), `sys_choice` (the choice lists of the profile), `sys_journal_field`
//! and `sys_attachment`. Anything else is `400 Invalid table`.
//!
//! ```no_run
//! use sluice_emulators::servicenow::{Release, ServiceNow, ServiceNowConfig};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let instance = ServiceNow::new(ServiceNowConfig::for_release(Release::Kingston));
//! let served = sluice_emulators::serve(instance.router(), "127.0.0.1:0".parse()?).await?;
//! println!("ServiceNow Kingston on {}", served.base_url());
//! // … drive it over HTTP, then:
//! assert!(instance.incidents().is_empty());
//! # Ok(())
//! # }
//! ```

mod account;
mod aggregate_api;
mod attachment_api;
mod auth;
mod batch_api;
mod clock;
mod errors;
mod faults;
mod gateway;
mod incident;
mod input;
mod journal;
mod multipart;
mod oauth;
mod params;
mod profile;
mod query;
mod rate_limit;
mod release;
mod render;
mod reply;
mod schema;
mod security_incident;
mod seed;
mod snapshot;
mod state;
mod stats;
mod store;
mod table_api;
mod tokens;
mod walk;
mod xml;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, MethodRouter};
use axum::{middleware, Router};

pub use faults::{Faults, ServerErrorStatus, Trigger};
pub use profile::{
    CloseInfoPolicy, ClosedWrites, InvalidQuery, MultipartSysIdField, Profile, RateLimitApi,
    RateLimitRule, ReopenEffects, StateModel, CURRENT_CLOSE_CODES, DEFAULT_MAX_BODY_BYTES,
    ERA_CLOSE_CODES, SECURITY_INCIDENT_CLOSE_CODES, SECURITY_INCIDENT_STATES,
};
pub use release::{normalise_release_name, Release, UnknownRelease};
pub use seed::{ADMIN_SYS_ID, API_USER_SYS_ID, SERVICE_DESK_SYS_ID};
pub use snapshot::{Attachment, Incident, JournalEntry};
pub use stats::{PathKind, RequestKey, RequestStats};

use errors::ApiError;
use incident::WriteContext;
use state::Shared;

/// A user name and password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// User name (`sys_user.user_name`).
    pub username: String,
    /// Password.
    pub password: String,
}

/// How to build an instance. `Default` is London with the demo credentials below.
#[derive(Clone, Debug)]
pub struct ServiceNowConfig {
    /// The release emulated (informational; behaviour comes from `profile`).
    pub release: Release,
    /// Behaviour switches; normally `Profile::for_release(release)`.
    pub profile: Profile,
    /// The API user (an itil integration user unless it is `admin`). Default `sluice`.
    pub username: String,
    /// Its password. Default `sluice`.
    pub password: String,
    /// Its display name, shown in journal headings. Default `Sluice Integration`.
    pub user_display_name: String,
    /// A second credential with the admin role (passes the closed-incident ACL). Default
    /// `admin` / `admin`; `None` for no admin login.
    pub admin: Option<Credentials>,
    /// OAuth clients `(client_id, client_secret)`. Default `[("sluice", "sluice-secret")]`.
    /// A client-credentials token acts as the API user.
    pub oauth_clients: Vec<(String, String)>,
    /// API keys `(key, user_name)`; they sign in only where the release and profile have the
    /// plugin (Washington DC on). Default `[("sluice-api-key", "sluice")]`.
    pub api_keys: Vec<(String, String)>,
    /// Access-token lifespan (answered as `expires_in` = lifespan − 1 s). Default 1800 s.
    pub access_token_lifetime: Duration,
    /// Refresh-token lifespan. Default 100 days.
    pub refresh_token_lifetime: Duration,
    /// Base URL used in `Location`, `Link` and reference links; default `http://` + the
    /// request's `Host` header.
    pub instance_url: Option<String>,
}

impl ServiceNowConfig {
    /// The defaults with `release` and its profile.
    pub fn for_release(release: Release) -> Self {
        ServiceNowConfig {
            release,
            profile: Profile::for_release(release),
            username: "sluice".to_owned(),
            password: "sluice".to_owned(),
            user_display_name: "Sluice Integration".to_owned(),
            admin: Some(Credentials {
                username: "admin".to_owned(),
                password: "admin".to_owned(),
            }),
            oauth_clients: vec![("sluice".to_owned(), "sluice-secret".to_owned())],
            api_keys: vec![("sluice-api-key".to_owned(), "sluice".to_owned())],
            access_token_lifetime: Duration::from_secs(1800),
            refresh_token_lifetime: Duration::from_secs(100 * 24 * 3600),
            instance_url: None,
        }
    }
}

impl Default for ServiceNowConfig {
    fn default() -> Self {
        ServiceNowConfig::for_release(Release::London)
    }
}

/// One emulated instance. Cloning shares the instance.
#[derive(Clone, Debug)]
pub struct ServiceNow {
    shared: Arc<Shared>,
}

impl ServiceNow {
    /// A fresh instance: seeded users, groups and choice lists, no incidents.
    pub fn new(config: ServiceNowConfig) -> Self {
        ServiceNow {
            shared: Arc::new(Shared::new(config)),
        }
    }

    /// The HTTP API of this instance.
    pub fn router(&self) -> Router {
        let not_allowed = || table_api::method_not_allowed;
        let table_collection: MethodRouter<Arc<Shared>> = get(table_api::list)
            .post(table_api::create)
            .fallback(not_allowed());
        let table_record: MethodRouter<Arc<Shared>> = get(table_api::get_one)
            .put(table_api::update)
            .patch(table_api::update)
            .delete(table_api::delete)
            .fallback(not_allowed());
        let mut router = Router::new();
        for prefix in ["/api/now", "/api/now/v1", "/api/now/v2"] {
            router = router
                .route(
                    &format!("{prefix}/table/{{table}}"),
                    table_collection.clone(),
                )
                .route(
                    &format!("{prefix}/table/{{table}}/{{sys_id}}"),
                    table_record.clone(),
                );
        }
        // The Attachment API documents only v1 besides the unversioned path.
        for prefix in ["/api/now", "/api/now/v1"] {
            router = router
                .route(
                    &format!("{prefix}/attachment"),
                    get(attachment_api::list).fallback(not_allowed()),
                )
                .route(
                    &format!("{prefix}/attachment/file"),
                    post(attachment_api::upload_file).fallback(not_allowed()),
                )
                .route(
                    &format!("{prefix}/attachment/upload"),
                    post(attachment_api::upload_multipart).fallback(not_allowed()),
                )
                .route(
                    &format!("{prefix}/attachment/{{sys_id}}"),
                    get(attachment_api::get_metadata)
                        .delete(attachment_api::delete)
                        .fallback(not_allowed()),
                )
                .route(
                    &format!("{prefix}/attachment/{{sys_id}}/file"),
                    get(attachment_api::get_content).fallback(not_allowed()),
                );
        }
        for prefix in ["/api/now", "/api/now/v1"] {
            router = router.route(
                &format!("{prefix}/stats/{{table}}"),
                get(aggregate_api::stats).fallback(not_allowed()),
            );
        }
        router
            .route(
                "/api/now/v1/batch",
                post(batch_api::batch).fallback(not_allowed()),
            )
            .route(
                "/oauth_token.do",
                post(oauth::token).fallback(not_allowed()),
            )
            .fallback(|| async { ApiError::UnknownUri })
            .layer(middleware::from_fn_with_state(
                self.shared.clone(),
                gateway::gateway,
            ))
            // Outside the gateway: XML is asked for before its `Accept` check sees the request.
            .layer(middleware::from_fn_with_state(
                self.shared.clone(),
                xml::negotiate,
            ))
            // The REST payload cap is the profile's, checked by the gateway and handlers.
            .layer(DefaultBodyLimit::disable())
            .with_state(self.shared.clone())
    }

    /// The release this instance stands in for.
    pub fn release(&self) -> Release {
        self.shared.release
    }

    /// The current behaviour switches.
    pub fn profile(&self) -> Profile {
        self.shared.lock().profile.clone()
    }

    /// Switches behaviour mid-test; the `sys_choice` lists follow the new profile.
    pub fn set_profile(&self, profile: Profile) {
        let mut inner = self.shared.lock();
        let now = inner.now_text();
        seed::seed_choices(&mut inner.store, &profile, &now);
        let keys = state::api_keys_active(self.shared.release, &profile);
        inner.tokens.set_api_keys_active(keys);
        inner.profile = profile;
    }

    /// Makes `key` an API key that signs in as `user_name`, as an admin does in the
    /// "REST API Key" table. It works only where the release and profile have the plugin.
    pub fn add_api_key(&self, key: &str, user_name: &str) {
        self.shared.lock().tokens.add_api_key(key, user_name);
    }

    /// Revokes an API key; requests carrying it get 401 from now on. Returns whether it was
    /// live.
    pub fn revoke_api_key(&self, key: &str) -> bool {
        self.shared.lock().tokens.revoke_api_key(key)
    }

    /// Every incident, oldest first, with raw values.
    pub fn incidents(&self) -> Vec<Incident> {
        self.shared
            .lock()
            .store
            .rows(schema::INCIDENT.name)
            .iter()
            .map(Incident::from_record)
            .collect()
    }

    /// The incident with this sys_id or number.
    pub fn incident(&self, sys_id_or_number: &str) -> Option<Incident> {
        incident::find(&self.shared.lock().store, sys_id_or_number).map(Incident::from_record)
    }

    /// Every security incident (`sn_si_incident`), oldest first, with raw values.
    pub fn security_incidents(&self) -> Vec<Incident> {
        self.shared
            .lock()
            .store
            .rows(schema::SECURITY_INCIDENT.name)
            .iter()
            .map(Incident::from_record)
            .collect()
    }

    /// Moves a security incident to the state labelled `label` (`"Review"`, `"Closed"`, …) as
    /// an analyst would through the form: closing goes through Review and fills in a closure
    /// code. False if there is no such record or state.
    pub fn set_security_incident_state(&self, sys_id_or_number: &str, label: &str) -> bool {
        let mut guard = self.shared.lock();
        let inner = &mut *guard;
        let agent = self.shared.agent(inner);
        let now = inner.now_text();
        let ctx = WriteContext {
            profile: &inner.profile,
            actor: &agent,
            now: &now,
            suppress_auto_sys: false,
        };
        security_incident::analyst_set_state(&mut inner.store, &ctx, sys_id_or_number, label)
    }

    /// The work notes and comments of an incident, oldest first.
    pub fn journal(&self, incident_sys_id: &str) -> Vec<JournalEntry> {
        journal::entries(&self.shared.lock().store, incident_sys_id)
            .into_iter()
            .map(JournalEntry::from_record)
            .collect()
    }

    /// The attachments of an incident (metadata and bytes), oldest first.
    pub fn attachments(&self, incident_sys_id: &str) -> Vec<Attachment> {
        let inner = self.shared.lock();
        inner
            .store
            .rows(schema::ATTACHMENT.name)
            .iter()
            .filter(|r| r.get("table_sys_id") == incident_sys_id)
            .map(|r| {
                let bytes = inner.store.attachment_bytes(r.sys_id()).unwrap_or(&[]);
                Attachment::from_record(r, bytes)
            })
            .collect()
    }

    /// Moves an incident to `state` as a human agent (Beth Anglin) would through the form:
    /// resolving or closing fills in missing close info, and `state`, `incident_state`,
    /// `active`, `resolved_at/by` and `closed_at/by` stay consistent. No-op (returns false) if
    /// there is no such incident or the state model lacks `state`.
    pub fn set_state(&self, sys_id_or_number: &str, state: &str) -> bool {
        let mut guard = self.shared.lock();
        let inner = &mut *guard;
        let agent = self.shared.agent(inner);
        let now = inner.now_text();
        let ctx = WriteContext {
            profile: &inner.profile,
            actor: &agent,
            now: &now,
            suppress_auto_sys: false,
        };
        incident::agent_set_state(&mut inner.store, &ctx, sys_id_or_number, state)
    }

    /// Replaces the fault switches (and restarts their `next` counters).
    pub fn set_faults(&self, faults: Faults) {
        self.shared.lock().faults.faults = faults;
    }

    /// The fault switches as they are now (`next` counters count down as faults fire).
    pub fn faults(&self) -> Faults {
        self.shared.lock().faults.faults.clone()
    }

    /// Requests served so far.
    pub fn requests(&self) -> RequestStats {
        self.shared.lock().stats.clone()
    }

    /// The emulator's clock (drives dates, token expiry and rate-limit windows).
    pub fn now(&self) -> SystemTime {
        let now = self.shared.lock().clock.now();
        SystemTime::try_from(now).unwrap_or_else(|_| SystemTime::now())
    }

    /// Sets the emulator's clock; it keeps ticking from there.
    pub fn set_now(&self, at: SystemTime) {
        self.shared.lock().clock.set_now(at);
    }

    /// Moves the emulator's clock forward, e.g. past an access token's lifetime.
    pub fn advance(&self, by: Duration) {
        self.shared.lock().clock.advance(by);
    }
}
