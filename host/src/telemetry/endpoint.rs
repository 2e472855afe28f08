//! The HTTP endpoint of `sluice run` (`[telemetry]` in the config; off by default):
//!
//! | path | answers |
//! |---|---|
//! | `GET /healthz` | 200 while the process serves |
//! | `GET /readyz` | 200 when every running pipeline's source and sink answered last time, 503 when one did not or was not contacted yet; a JSON body says which, and whether this host delivers or stands by (and who delivers, on a shared store) |
//! | `GET /metrics` | the Prometheus text exposition (OpenMetrics 1.0) of [`Metrics`] |
//!
//! Nothing it serves holds a secret or a record: counts, names and (redacted) error messages.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::metrics::{Metrics, Reachability};
use sluice_core::StateSettings;
use sluice_core::Store;

/// Why the endpoint could not start.
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    /// The address could not be bound.
    #[error("cannot listen on {listen} (telemetry.listen): {source}")]
    Bind {
        /// The address.
        listen: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// What the handlers share.
#[derive(Debug, Clone)]
struct Shared {
    metrics: Metrics,
    state: StateSettings,
    /// A connection of its own, opened at the first scrape.
    store: Arc<Mutex<Option<Store>>>,
}

/// Serves the endpoint on `listen` in a task of the current tokio runtime; `state` is the
/// store the gauges of `store.rs` are read from at each scrape. Returns the bound address (useful
/// with port 0) and the server's task.
///
/// # Errors
///
/// The address cannot be bound (in use, not an address of this machine).
pub async fn serve(
    listen: SocketAddr,
    metrics: Metrics,
    state: StateSettings,
) -> Result<(SocketAddr, JoinHandle<()>), EndpointError> {
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|source| EndpointError::Bind { listen, source })?;
    let bound = listener
        .local_addr()
        .map_err(|source| EndpointError::Bind { listen, source })?;
    let app = router(Shared {
        metrics,
        state,
        store: Arc::new(Mutex::new(None)),
    });
    let task = tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            tracing::error!(%error, "The telemetry endpoint stopped.");
        }
    });
    tracing::info!(listen = %bound, "Serving /healthz, /readyz and /metrics.");
    Ok((bound, task))
}

fn router(shared: Shared) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(shared)
}

async fn readyz(State(shared): State<Shared>) -> Response {
    let mut pipelines = Map::new();
    let mut ready = true;
    for ((pipeline, role), state) in shared.metrics.reachability() {
        let entry = pipelines
            .entry(pipeline)
            .or_insert_with(|| Value::Object(Map::new()));
        let (name, error) = match state {
            Reachability::Up => ("up", None),
            Reachability::Unknown => ("unknown", None),
            Reachability::Down(e) => ("down", Some(e)),
        };
        ready &= name == "up";
        entry[role.as_str()] = json!({ "state": name, "error": error });
    }
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let delivering = shared.metrics.lease().is_delivering();
    let delivery = tokio::task::spawn_blocking(move || delivery(&shared, delivering))
        .await
        .unwrap_or(Value::Null);
    let body = json!({ "ready": ready, "delivery": delivery, "pipelines": pipelines }).to_string();
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// This host's role and, on a shared store, who delivers and since when (by the lease).
/// A standby is ready: it accepts response actions.
fn delivery(shared: &Shared, delivering: bool) -> Value {
    let role = if delivering { "delivering" } else { "standby" };
    if shared.state.url.is_none() {
        return json!({ "role": role });
    }
    let lease = with_store(shared, |store| {
        store.read(sluice_core::store::lease::current(&store.db()))
    });
    match lease {
        Some(Some(view)) => json!({
            "role": role,
            "holder": view.lease.holder,
            "holder_delivering": view.is_live(),
            "epoch": view.lease.epoch.get(),
            "since": jiff::Timestamp::from_millisecond(view.lease.acquired_at.as_millis())
                .map(|t| t.to_string())
                .ok(),
        }),
        _ => json!({ "role": role, "holder": null }),
    }
}

/// Runs `f` on the endpoint's own connection to the store, opened at first use; `None` (and
/// a warning) when the store cannot be opened or read.
fn with_store<T>(
    shared: &Shared,
    f: impl FnOnce(&Store) -> Result<T, sluice_core::StoreError>,
) -> Option<T> {
    let mut store = shared.store.lock().unwrap_or_else(|p| p.into_inner());
    if store.is_none() {
        match Store::connect(shared.state.location()) {
            Ok(s) => *store = Some(s),
            Err(error) => {
                tracing::warn!(%error, "Cannot open the state store for the telemetry endpoint.");
                return None;
            }
        }
    }
    let result = f(store.as_ref()?);
    result
        .inspect_err(|error| tracing::warn!(%error, "Cannot read the state store for the telemetry endpoint."))
        .ok()
}

async fn metrics(State(shared): State<Shared>) -> Response {
    let refreshed = tokio::task::spawn_blocking(move || {
        refresh_store_gauges(&shared);
        shared.metrics.render()
    })
    .await;
    match refreshed {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "Rendering the metrics failed.");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Reads the store gauges of every running pipeline (queue depth, dead letters, freshness,
/// flood window); a store that cannot be read leaves the last values and is logged (the
/// scrape still answers).
fn refresh_store_gauges(shared: &Shared) {
    let mut pipelines: Vec<String> = shared
        .metrics
        .reachability()
        .into_keys()
        .map(|(p, _)| p)
        .collect();
    pipelines.dedup();
    with_store(shared, |store| {
        for pipeline in pipelines {
            shared.metrics.refresh_store_gauges(store, &pipeline)?;
        }
        Ok(())
    });
}
