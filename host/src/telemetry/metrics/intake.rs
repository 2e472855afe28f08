//! The response intake's series: alerts accepted, requests refused by reason, and how long
//! a request took from its arrival to the answer (the commit included).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

/// Upper bounds of the intake latency buckets, seconds: 1 ms to about 4 s.
const INTAKE_LATENCY_BUCKETS: [f64; 13] = [
    0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096,
];

/// Why the intake refused a request, as the `reason` label says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// No or a wrong bearer token, or no client certificate.
    Unauthorized,
    /// The TLS handshake failed (no or an untrusted client certificate, not TLS at all).
    Handshake,
    /// The request cannot be read as an alert.
    Malformed,
    /// The body is larger than `max_body_bytes`.
    TooLarge,
    /// The body is of a type the intake does not read.
    ContentType,
    /// No pipeline of this host takes the alert.
    Pipeline,
    /// The peer sent more than `per_peer_rate`.
    RateLimited,
    /// `max_in_flight` requests were being handled, or the store could not take it.
    Busy,
    /// The client took longer than `request_timeout` to send its request.
    Timeout,
    /// Another path or method.
    NotFound,
}

impl Refusal {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::Unauthorized => "unauthorized",
            Refusal::Handshake => "tls_handshake",
            Refusal::Malformed => "malformed",
            Refusal::TooLarge => "too_large",
            Refusal::ContentType => "content_type",
            Refusal::Pipeline => "pipeline",
            Refusal::RateLimited => "rate_limited",
            Refusal::Busy => "busy",
            Refusal::Timeout => "timeout",
            Refusal::NotFound => "not_found",
        }
    }

    const ALL: [Refusal; 10] = [
        Refusal::Unauthorized,
        Refusal::Handshake,
        Refusal::Malformed,
        Refusal::TooLarge,
        Refusal::ContentType,
        Refusal::Pipeline,
        Refusal::RateLimited,
        Refusal::Busy,
        Refusal::Timeout,
        Refusal::NotFound,
    ];
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

/// The intake's series; cheap to clone, every clone reports into the same registry.
#[derive(Debug, Clone)]
pub struct IntakeMetrics {
    alerts: Family<ResultLabels, Counter>,
    refused: Family<ReasonLabels, Counter>,
    latency: Histogram,
}

impl IntakeMetrics {
    /// Declares the series in `r` (prefixed `sluice_`), every label value at 0.
    pub(super) fn declare(r: &mut Registry) -> IntakeMetrics {
        let alerts = Family::<ResultLabels, Counter>::default();
        r.register(
            "intake_alerts",
            "Alerts the response intake committed, by result: queued (new) or repeat (already \
             queued by an earlier request)",
            alerts.clone(),
        );
        let refused = Family::<ReasonLabels, Counter>::default();
        r.register(
            "intake_refused",
            "Requests and connections the response intake refused, by reason",
            refused.clone(),
        );
        let latency = Histogram::new(INTAKE_LATENCY_BUCKETS);
        r.register_with_unit(
            "intake_request_duration",
            "Time from a request's arrival at the response intake to its answer, the commit \
             included",
            Unit::Seconds,
            latency.clone(),
        );
        for result in ["queued", "repeat"] {
            let _ = alerts.get_or_create(&ResultLabels { result });
        }
        for reason in Refusal::ALL {
            let _ = refused.get_or_create(&ReasonLabels {
                reason: reason.as_str(),
            });
        }
        IntakeMetrics {
            alerts,
            refused,
            latency,
        }
    }

    /// Alerts committed: `queued` new, `repeats` already there.
    pub fn committed(&self, queued: usize, repeats: usize) {
        let add = |result, n: usize| {
            if n > 0 {
                self.alerts
                    .get_or_create(&ResultLabels { result })
                    .inc_by(n as u64);
            }
        };
        add("queued", queued);
        add("repeat", repeats);
    }

    /// A request or connection refused for `reason`.
    pub fn refused(&self, reason: Refusal) {
        self.refused
            .get_or_create(&ReasonLabels {
                reason: reason.as_str(),
            })
            .inc();
    }

    /// A request answered after `seconds`.
    pub fn answered(&self, seconds: f64) {
        self.latency.observe(seconds);
    }
}
