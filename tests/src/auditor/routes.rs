//! The router: the documented paths under `/netwrix/api/v1/`, a 404 for
//! everything else, and the request counter around all of it.

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::any;
use axum::{middleware, Router};

use super::auth;
use super::handlers;
use super::stats::{self, Endpoint};
use super::store::Shared;

/// The base path of the Integration API.
pub const BASE_PATH: &str = "/netwrix/api/v1/";

/// All routes. Methods are checked inside the handlers so that a wrong method gets the
/// documented empty 405 (after authentication, like every other answer).
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let records = format!("{BASE_PATH}activity_records");
    // Connection ids are unique in the process, so each router may keep its own.
    let connections = Arc::new(auth::Connections::default());
    let authenticated = |endpoint: Endpoint| {
        let state = auth::Gate {
            shared: Arc::clone(&shared),
            connections: Arc::clone(&connections),
            endpoint,
        };
        middleware::from_fn_with_state(state, auth::layer)
    };
    let mut router = Router::new()
        .route(
            &format!("{records}/enum"),
            any(handlers::enumerate).layer(authenticated(Endpoint::Enum)),
        )
        .route(
            &format!("{records}/search"),
            any(handlers::search).layer(authenticated(Endpoint::Search)),
        )
        .route(
            &format!("{records}/"),
            any(handlers::write).layer(authenticated(Endpoint::Write)),
        );
    if shared.behaviour.write_without_trailing_slash {
        router = router.route(
            &records,
            any(handlers::write).layer(authenticated(Endpoint::Write)),
        );
    }
    let recorder = Arc::clone(&shared.stats);
    router
        .fallback(handlers::not_found)
        .with_state(shared)
        // The handlers enforce their own, configurable limit (413).
        .layer(DefaultBodyLimit::disable())
        .layer(middleware::from_fn_with_state(recorder, stats::count))
}
