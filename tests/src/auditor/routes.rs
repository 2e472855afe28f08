//! The router: the documented paths under `/netwrix/api/v1/`, a 404 for
//! everything else, and the request counter around all of it.

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::any;
use axum::{middleware, Router};

use super::handlers;
use super::stats;
use super::store::Shared;

/// The base path of the Integration API.
pub const BASE_PATH: &str = "/netwrix/api/v1/";

/// All routes. Methods are checked inside the handlers so that a wrong method gets the
/// documented empty 405 (after authentication, like every other answer).
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let records = format!("{BASE_PATH}activity_records");
    let mut router = Router::new()
        .route(&format!("{records}/enum"), any(handlers::enumerate))
        .route(&format!("{records}/search"), any(handlers::search))
        .route(&format!("{records}/"), any(handlers::write));
    if shared.behaviour.write_without_trailing_slash {
        router = router.route(&records, any(handlers::write));
    }
    let recorder = Arc::clone(&shared.stats);
    router
        .fallback(handlers::not_found)
        .with_state(shared)
        // The handlers enforce their own, configurable limit (413).
        .layer(DefaultBodyLimit::disable())
        .layer(middleware::from_fn_with_state(recorder, stats::count))
}
