//! The component traits plugin authors implement: [`Source`] and [`Sink`].

use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use crate::{ActionOutcome, Host, PluginError, Record, TicketAction};

/// A source of records (Netwrix Auditor, say).
///
/// The host calls it from one thread at a time. Calls block; do the IO through
/// [`Host::http`]. Never sleep or loop to retry: return a retryable [`PluginError`]
/// ([`PluginError::transient`], with `with_retry_after` if the system said how long) and the
/// host retries with backoff.
///
/// See the crate docs for a complete example.
pub trait Source: Sized + Send + 'static {
    /// The component's name, as config names it (`type = "netwrix_auditor"`).
    const NAME: &'static str;
    /// One line saying what the component reads.
    const DESCRIPTION: &'static str;
    /// The component's config: its TOML table minus the host's keys. Its JSON Schema is what
    /// `sluice schema` prints; use `#[serde(deny_unknown_fields)]` and document every field.
    type Config: DeserializeOwned + JsonSchema;

    /// Pure checks of a parsed config (no IO); `sluice validate` runs them.
    fn validate(config: &Self::Config) -> Result<(), PluginError> {
        let _ = config;
        Ok(())
    }

    /// Builds the component. No IO here: the host calls [`Source::healthcheck`] for that.
    fn new(config: Self::Config, host: Host) -> Result<Self, PluginError>;

    /// Checks that the source system is reachable and the credentials work.
    fn healthcheck(&mut self) -> Result<(), PluginError> {
        Ok(())
    }

    /// Returns the next batch of new records after `checkpoint` (`None`: from the start, as
    /// the component's config defines it) and the checkpoint that follows them.
    ///
    /// The host stores the returned checkpoint only after it has durably queued the records,
    /// and passes the last stored one after a restart. Return an error, not a partial batch,
    /// when a page is malformed: the checkpoint then does not move.
    fn poll(&mut self, checkpoint: Option<Checkpoint>) -> Result<SourceBatch, PluginError>;

    /// Fetches the records with these ids. Ids that do not exist are left out.
    fn fetch(&mut self, ids: Vec<String>) -> Result<Vec<Record>, PluginError>;
}

/// What [`Source::poll`] returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceBatch {
    /// New records, possibly none.
    pub records: Vec<Record>,
    /// Where the next poll continues.
    pub checkpoint: Checkpoint,
    /// `true` when more records are ready now: the host polls again without waiting.
    pub more: bool,
}

/// A source's position, opaque to the host. Plugins usually serialize a small struct to JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Checkpoint(pub String);

impl Checkpoint {
    /// The checkpoint's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A sink that executes ticket actions (ServiceNow, say).
///
/// The host decides what to do (suppression and mapping live in the host); a sink only
/// executes [`TicketAction`]s and classifies what happened. Never sleep or retry inside: return
/// [`ActionOutcome::Retry`] and the host retries with backoff, honouring `retry_after`.
pub trait Sink: Sized + Send + 'static {
    /// The component's name, as config names it (`type = "servicenow"`).
    const NAME: &'static str;
    /// One line saying what the component writes to.
    const DESCRIPTION: &'static str;
    /// The component's config; see [`Source::Config`].
    type Config: DeserializeOwned + JsonSchema;

    /// Pure checks of a parsed config (no IO); `sluice validate` runs them.
    fn validate(config: &Self::Config) -> Result<(), PluginError> {
        let _ = config;
        Ok(())
    }

    /// Builds the component. No IO here: the host calls [`Sink::healthcheck`] for that.
    fn new(config: Self::Config, host: Host) -> Result<Self, PluginError>;

    /// Checks that the system is reachable, the credentials work and the config fits the
    /// system (for example, that configured ticket states exist).
    fn healthcheck(&mut self) -> Result<(), PluginError> {
        Ok(())
    }

    /// Executes `actions` in order and returns exactly one outcome per action, in the same
    /// order. See [`TicketAction`] for the rules on several actions for one ticket.
    fn deliver(&mut self, actions: Vec<TicketAction>) -> Vec<ActionOutcome>;
}
