//! What the ServiceNow emulator saw, timed: when each incident was created (and for which
//! alert type), when the last write was confirmed, when each request was answered 429, and
//! when each write (a ticket action: POST, PATCH, PUT) arrived.
//!
//! The emulator's own timestamps have whole-second resolution, so the bench wraps its router
//! in a middleware that notes the moment each answer leaves.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use http::Method;
use sluice_emulators::servicenow::{PathKind, ServiceNow};

/// Incidents created and the last confirmed write.
#[derive(Debug, Default)]
pub struct Seen {
    /// (when answered, `correlation_display` of the new incident).
    pub created: Vec<(Instant, String)>,
    /// When the last successful write (POST, PATCH, PUT) was answered.
    pub last_write: Option<Instant>,
    /// When each request was answered, and whether with 429 (Too Many Requests).
    pub answers: Vec<(Instant, bool)>,
    /// When each write (POST, PATCH, PUT) arrived, answered yet or not.
    pub writes: Vec<Instant>,
}

/// A shared [`Seen`].
#[derive(Debug, Clone, Default)]
pub struct Observer(Arc<Mutex<Seen>>);

impl Observer {
    /// `router` with every answer noted here.
    pub fn wrap(&self, router: Router) -> Router {
        let seen = self.0.clone();
        router.layer(axum::middleware::from_fn(
            move |request: Request, next: Next| {
                let seen = seen.clone();
                async move { note(seen, request, next).await }
            },
        ))
    }

    /// What was seen so far.
    pub fn take(&self) -> Seen {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// When the first write that arrived at `at` or later arrived, if one did yet.
    pub fn first_write_since(&self, at: Instant) -> Option<Instant> {
        let seen = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        seen.writes.iter().copied().filter(|w| *w >= at).min()
    }
}

async fn note(seen: Arc<Mutex<Seen>>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let creates = method == Method::POST && request.uri().path().ends_with("/table/incident");
    let write = matches!(method, Method::POST | Method::PATCH | Method::PUT);
    if write {
        seen.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .writes
            .push(Instant::now());
    }
    let response = next.run(request).await;
    seen.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .answers
        .push((
            Instant::now(),
            response.status() == http::StatusCode::TOO_MANY_REQUESTS,
        ));
    if !write || !response.status().is_success() {
        return response;
    }
    if !creates {
        seen.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .last_write = Some(Instant::now());
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let now = Instant::now();
    let display = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| {
            let field = &v["result"]["correlation_display"];
            // `sysparm_display_value=all` answers {value, display_value}.
            field
                .as_str()
                .or_else(|| field["value"].as_str())
                .map(str::to_owned)
        })
        .unwrap_or_default();
    let mut seen = seen.lock().unwrap_or_else(PoisonError::into_inner);
    seen.created.push((now, display));
    seen.last_write = Some(now);
    Response::from_parts(parts, Body::from(bytes))
}

/// The requests ServiceNow served, by what they did, and the ticket actions they carried.
#[derive(Debug, Default, Clone, Copy)]
pub struct Downstream {
    pub requests: u64,
    /// `POST …/table/incident`.
    pub creates: u64,
    /// `PATCH`/`PUT …/table/incident/{sys_id}`.
    pub writes: u64,
    /// `GET …/table/incident…`.
    pub reads: u64,
    /// Attachment uploads.
    pub attachments: u64,
    /// Everything else (the sink's start-up reads of the instance's choice lists).
    pub other: u64,
    /// Incidents in the instance.
    pub incidents: u64,
    /// Consolidated updates the host confirmed.
    pub updates: u64,
}

impl Downstream {
    /// From the instance's counters and the host's `(kind, done)` ticket-action counts.
    pub fn new(instance: &ServiceNow, actions_done: &[(String, u64)]) -> Downstream {
        let stats = instance.requests();
        let creates = stats.table_count("POST", "incident");
        let writes = stats.table_count("PATCH", "incident") + stats.table_count("PUT", "incident");
        let reads = stats.table_count("GET", "incident");
        let attachments = stats.count("POST", PathKind::AttachmentFile)
            + stats.count("POST", PathKind::AttachmentUpload);
        let requests = stats.total();
        Downstream {
            requests,
            creates,
            writes,
            reads,
            attachments,
            other: requests - creates - writes - reads - attachments,
            incidents: instance.incidents().len() as u64,
            updates: actions_done
                .iter()
                .filter(|(kind, _)| kind == "update")
                .map(|(_, n)| n)
                .sum(),
        }
    }
}
