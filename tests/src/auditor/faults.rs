//! Fault modes: the ways a real Auditor server (or the network in front of it) misbehaves, so
//! clients can be tested against them: a continuation mark that never ends (a client must
//! stop on an empty page, not when the mark is missing), slow answers, and 503 from a busy
//! Archive Service.
//!
//! [`Faults`] is plain data (serde, so `sluice emulate auditor --faults '{...}'` can pass it);
//! [`FaultState`] holds it at runtime and decides, request by request, which fault fires.

use std::io;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::response::Response;
use rand::RngExt;
use serde::{Deserialize, Serialize};

/// The fault modes, all off by default. They apply to enum and search requests, and to writes
/// when [`Faults::include_write`] is set; they fire after authentication, so a 401 is never
/// replaced by a fault.
///
/// Counters (`*_next`) are consumed as they fire; when several modes would fire on one request,
/// dropping the connection wins over 503, which wins over truncation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Added delay before every affected request is answered, in milliseconds.
    pub latency_ms: u64,
    /// Answer the next N affected requests with 503 and an empty body (documented: the Archive
    /// Service is busy or unreachable).
    pub unavailable_next: u32,
    /// Probability (0.0–1.0) of answering an affected request with 503.
    pub unavailable_probability: f64,
    /// Close the connection without any response on the next N affected requests.
    pub drop_next: u32,
    /// Probability (0.0–1.0) of closing the connection without a response.
    pub drop_probability: f64,
    /// Cut the body of the next N affected responses in half: status, headers and
    /// `Content-Length` stay well-formed, the XML or JSON does not.
    pub truncate_next: u32,
    /// Probability (0.0–1.0) of truncating a response body.
    pub truncate_probability: f64,
    /// Paging never ends: every non-empty page comes back with a fresh mark that leads to the
    /// same page again.
    pub endless_mark: bool,
    /// Apply the faults to the write endpoint too.
    pub include_write: bool,
}

/// What to do to one request, decided before it is handled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct FaultPlan {
    /// Delay before answering.
    pub(crate) latency: Duration,
    /// Replace the answer entirely.
    pub(crate) outcome: Option<Severe>,
    /// Cut the body in half.
    pub(crate) truncate: bool,
    /// Keep paging on the same page.
    pub(crate) endless_mark: bool,
}

/// A fault that replaces the response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Severe {
    /// 503, empty body.
    Unavailable,
    /// No response at all.
    Drop,
}

/// The live fault settings of one emulator.
#[derive(Debug, Default)]
pub(crate) struct FaultState {
    faults: Mutex<Faults>,
}

impl FaultState {
    pub(crate) fn new(faults: Faults) -> Self {
        FaultState {
            faults: Mutex::new(faults),
        }
    }

    pub(crate) fn set(&self, faults: Faults) {
        *self.lock() = faults;
    }

    pub(crate) fn get(&self) -> Faults {
        self.lock().clone()
    }

    /// Decides the faults for one request and consumes the counters that fire.
    pub(crate) fn plan(&self, is_write: bool) -> FaultPlan {
        let mut faults = self.lock();
        if is_write && !faults.include_write {
            return FaultPlan::default();
        }
        let latency = Duration::from_millis(faults.latency_ms);
        let (p_drop, p_unavailable, p_truncate) = (
            faults.drop_probability,
            faults.unavailable_probability,
            faults.truncate_probability,
        );
        let drop = fires(&mut faults.drop_next, p_drop);
        let outcome = if drop {
            Some(Severe::Drop)
        } else if fires(&mut faults.unavailable_next, p_unavailable) {
            Some(Severe::Unavailable)
        } else {
            None
        };
        let truncate = outcome.is_none() && fires(&mut faults.truncate_next, p_truncate);
        FaultPlan {
            latency,
            outcome,
            truncate,
            endless_mark: faults.endless_mark,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Faults> {
        // A poisoned lock only means another request panicked mid-update; the settings are
        // plain data and still usable.
        self.faults
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Whether a counter-or-probability fault fires; consumes one count when it does.
fn fires(next: &mut u32, probability: f64) -> bool {
    if *next > 0 {
        *next -= 1;
        return true;
    }
    // `random_bool` panics outside 0..=1, and a CLI user can type anything.
    let p = if probability.is_finite() {
        probability.clamp(0.0, 1.0)
    } else {
        0.0
    };
    p > 0.0 && rand::rng().random_bool(p)
}

/// Halves a response's body, keeping status and headers (and fixing `Content-Length`).
pub(crate) async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let half = bytes.slice(..bytes.len() / 2);
    parts.headers.remove(http::header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(half))
}

/// A response whose body fails before its first byte. Hyper then abandons the connection
/// with the status line still unsent in its buffer, so the client sees the connection close
/// without any response — the closest an axum handler can get to a server that vanishes.
pub(crate) fn severed() -> Response {
    let mut response = Response::new(Body::new(Severed));
    response.extensions_mut().insert(Dropped);
    response
}

/// Marks a response that was deliberately never delivered, for the request statistics.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Dropped;

/// A body that errors when first polled.
#[derive(Debug)]
struct Severed;

impl HttpBody for Severed {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Poll::Ready(Some(Err(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "fault injection: connection dropped",
        ))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_faults_by_default() {
        let state = FaultState::default();
        assert_eq!(state.plan(false), FaultPlan::default());
    }

    #[test]
    fn unavailable_next_fires_exactly_n_times() {
        let state = FaultState::new(Faults {
            unavailable_next: 2,
            ..Faults::default()
        });
        let outcomes: Vec<_> = (0..4).map(|_| state.plan(false).outcome).collect();
        assert_eq!(
            outcomes,
            [
                Some(Severe::Unavailable),
                Some(Severe::Unavailable),
                None,
                None
            ]
        );
    }

    #[test]
    fn drop_wins_over_unavailable_and_truncate() {
        let state = FaultState::new(Faults {
            drop_next: 1,
            unavailable_next: 1,
            truncate_next: 1,
            ..Faults::default()
        });
        let first = state.plan(false);
        assert_eq!(first.outcome, Some(Severe::Drop));
        assert!(!first.truncate);
        assert_eq!(state.plan(false).outcome, Some(Severe::Unavailable));
        let third = state.plan(false);
        assert_eq!(third.outcome, None);
        assert!(third.truncate);
    }

    #[test]
    fn probabilities_zero_and_one_are_deterministic() {
        let always = FaultState::new(Faults {
            unavailable_probability: 1.0,
            ..Faults::default()
        });
        let never = FaultState::new(Faults {
            truncate_probability: 0.0,
            ..Faults::default()
        });
        for _ in 0..50 {
            assert_eq!(always.plan(false).outcome, Some(Severe::Unavailable));
            assert!(!never.plan(false).truncate);
        }
    }

    #[test]
    fn nonsense_probabilities_do_not_panic() {
        let state = FaultState::new(Faults {
            drop_probability: f64::NAN,
            unavailable_probability: 7.5,
            truncate_probability: -1.0,
            ..Faults::default()
        });
        let plan = state.plan(false);
        assert_eq!(plan.outcome, Some(Severe::Unavailable));
    }

    #[test]
    fn writes_are_spared_unless_included() {
        let state = FaultState::new(Faults {
            unavailable_next: 1,
            latency_ms: 5,
            ..Faults::default()
        });
        assert_eq!(state.plan(true), FaultPlan::default());
        state.set(Faults {
            unavailable_next: 1,
            include_write: true,
            ..Faults::default()
        });
        assert_eq!(state.plan(true).outcome, Some(Severe::Unavailable));
    }

    #[test]
    fn latency_and_endless_mark_are_reported() {
        let state = FaultState::new(Faults {
            latency_ms: 250,
            endless_mark: true,
            ..Faults::default()
        });
        let plan = state.plan(false);
        assert_eq!(plan.latency, Duration::from_millis(250));
        assert!(plan.endless_mark);
    }

    #[test]
    fn faults_deserialize_from_cli_json() {
        let parsed: Result<Faults, _> =
            serde_json::from_str(r#"{"latency_ms": 20, "unavailable_next": 3}"#);
        assert!(matches!(parsed, Ok(f) if f.latency_ms == 20 && f.unavailable_next == 3));
        let unknown: Result<Faults, _> = serde_json::from_str(r#"{"latency": 20}"#);
        assert!(unknown.is_err());
    }

    #[tokio::test]
    async fn truncation_halves_the_body() {
        let response = Response::new(Body::from("0123456789"));
        let cut = truncate(response).await;
        let bytes = axum::body::to_bytes(cut.into_body(), usize::MAX).await;
        assert_eq!(bytes.ok().as_deref(), Some(&b"01234"[..]));
    }
}
