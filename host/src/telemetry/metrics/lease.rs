//! The delivery lease's series, for hosts sharing a PostgreSQL store: whether this host
//! delivers, its renewals by result, and how often it took delivery over.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

/// How a renewal of the lease ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renewal {
    /// Extended.
    Renewed,
    /// The database could not be asked (the lease may still hold).
    Failed,
    /// Another host had taken it over, or it lapsed while the database could not be asked.
    Lost,
}

impl Renewal {
    fn as_str(self) -> &'static str {
        match self {
            Renewal::Renewed => "renewed",
            Renewal::Failed => "failed",
            Renewal::Lost => "lost",
        }
    }
}

/// The lease's series; cheap to clone.
#[derive(Debug, Clone)]
pub struct LeaseMetrics {
    delivering: Gauge,
    renewals: Family<ResultLabels, Counter>,
    takeovers: Counter,
}

impl LeaseMetrics {
    /// Declares the series in `r` (prefixed `sluice_`).
    pub(super) fn declare(r: &mut Registry) -> LeaseMetrics {
        let delivering = Gauge::default();
        r.register(
            "delivering",
            "1 while this host polls and delivers: it holds the delivery lease of a shared \
             (PostgreSQL) store, or the lock of its SQLite store; 0 while it stands by",
            delivering.clone(),
        );
        let renewals = Family::<ResultLabels, Counter>::default();
        r.register(
            "lease_renewals",
            "Renewals of the delivery lease by this host, by result: renewed, failed (the \
             database could not be asked) or lost (another host took delivery over)",
            renewals.clone(),
        );
        let takeovers = Counter::default();
        r.register(
            "lease_takeovers",
            "Times this host took the delivery lease: at its start, or from a host that \
             stopped, died or was cut off (a failover)",
            takeovers.clone(),
        );
        for result in [Renewal::Renewed, Renewal::Failed, Renewal::Lost] {
            let _ = renewals.get_or_create(&ResultLabels {
                result: result.as_str(),
            });
        }
        LeaseMetrics {
            delivering,
            renewals,
            takeovers,
        }
    }

    /// This host delivers (`true`) or stands by.
    pub fn delivering(&self, yes: bool) {
        self.delivering.set(i64::from(yes));
    }

    /// Whether this host delivers now.
    pub fn is_delivering(&self) -> bool {
        self.delivering.get() == 1
    }

    /// A renewal ended as `result`.
    pub fn renewed(&self, result: Renewal) {
        self.renewals
            .get_or_create(&ResultLabels {
                result: result.as_str(),
            })
            .inc();
    }

    /// This host took the lease.
    pub fn took_over(&self) {
        self.takeovers.inc();
    }
}
