//! The config model: the keys the host owns. The structs are the schema (`sluice schema`).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::Deserialize;

use super::response_intake::ResponseIntakeSettings;
use crate::retry::Backoff;
use crate::state::Durability;
use sluice_sdk::HumanDuration;

/// A sluice config file.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where sluice keeps its durable state.
    #[serde(default)]
    pub state: StateSettings,
    /// Where sluice finds plugins, besides the directory of its executable.
    #[serde(default)]
    pub plugins: PluginSettings,
    /// The pipelines, by name. Each reads from one source and writes to one sink.
    #[serde(default)]
    pub pipelines: BTreeMap<String, PipelineSettings>,
    /// The HTTP endpoint for health checks and Prometheus metrics. Off by default.
    #[serde(default)]
    pub telemetry: TelemetrySettings,
    /// The intake for response actions forwarded from the Auditor server. Off by default.
    #[serde(default)]
    pub response_intake: ResponseIntakeSettings,
}

/// The HTTP endpoint of `sluice run`: `/healthz`, `/readyz` and `/metrics` (Prometheus).
/// It has no authentication; it shows counts and component states, never a secret or a
/// record. Changing it takes a restart.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TelemetrySettings {
    /// Serve the endpoint. Default: false.
    #[serde(default)]
    pub enabled: bool,
    /// The IP address and port to listen on. Default: `"127.0.0.1:10157"` (this machine only).
    #[serde(default = "default_telemetry_listen")]
    #[schemars(with = "String")]
    pub listen: SocketAddr,
    /// Allow `listen` to be an address other machines can reach (`"0.0.0.0:10157"`, a LAN
    /// address). Anyone who can reach it can read the metrics. Default: false.
    #[serde(default)]
    pub allow_remote: bool,
}

impl Default for TelemetrySettings {
    fn default() -> Self {
        TelemetrySettings {
            enabled: false,
            listen: default_telemetry_listen(),
            allow_remote: false,
        }
    }
}

fn default_telemetry_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 10157))
}

/// The durable state store.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StateSettings {
    /// The SQLite file; a relative path is relative to the config file's directory (so the
    /// response action and the service find the same file).
    /// Default: `sluice.db`.
    #[serde(default = "default_state_path")]
    pub path: PathBuf,
    /// `full`: a commit survives a power loss; `normal`: it survives a crash of sluice, and
    /// writes are cheaper. Default: `full`.
    #[serde(default)]
    pub durability: Durability,
    /// How often the running host checkpoints the store: folds its write-ahead log into the
    /// database file and records the store's generation in the `.id` file beside it, as it
    /// also does at every start and clean stop. A copy of the store older than the last
    /// checkpoint (a backup restored over it) is refused at the next start. Default: `5m`.
    #[serde(default = "default_checkpoint_interval")]
    pub checkpoint_interval: HumanDuration,
    /// A PostgreSQL database to keep the store in instead of the file at `path`, for several
    /// hosts sharing one store (one delivers at a time). A `postgres://` URL or `key=value`
    /// pairs; give the password as a secret reference:
    /// `postgres://sluice:${PGPASSWORD}@db.example:5432/sluice`. Default: none (the file).
    ///
    /// The connection is encrypted with TLS as its `sslmode` parameter says: `disable`,
    /// `prefer` (TLS if the server offers it), `require` (TLS or no connection; `verify-ca`
    /// and `verify-full` mean the same). Whenever TLS is used, the server's certificate must
    /// chain to the system's roots or to `ca_file` and name the host in the URL. Without
    /// `sslmode`: `require` for a server on another machine or with `ca_file`; `disable`
    /// when every host is this machine (`localhost`, a loopback address, a Unix socket).
    #[serde(default)]
    pub url: Option<String>,
    /// With `url`: a PEM bundle of CA certificates that the database server's certificate
    /// may chain to, in addition to the system's roots (a private CA's). A relative path is
    /// relative to the config file's directory. Default: the system's roots only.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// With `url`: how long the delivering host's lease lasts unless renewed (it renews every
    /// third of it). A standby takes over delivery at most this long after the delivering
    /// host died or was cut off from the database, and at once after it stopped cleanly.
    /// Default: `10s`.
    #[serde(default = "default_lease")]
    pub lease: HumanDuration,
}

impl StateSettings {
    /// Where the store is: the database of `url` when it is set, else the file at `path`.
    pub fn location(&self) -> crate::state::Location<'_> {
        match self.database() {
            Some(database) => crate::state::Location::Postgres(database),
            None => crate::state::Location::File(&self.path, self.durability),
        }
    }

    /// The database of `url`, with `ca_file`, when the store is kept in PostgreSQL.
    pub fn database(&self) -> Option<crate::state::Database<'_>> {
        self.url.as_deref().map(|url| crate::state::Database {
            url,
            ca_file: self.ca_file.as_deref(),
        })
    }
}

impl Default for StateSettings {
    fn default() -> Self {
        StateSettings {
            path: default_state_path(),
            durability: Durability::default(),
            checkpoint_interval: default_checkpoint_interval(),
            url: None,
            ca_file: None,
            lease: default_lease(),
        }
    }
}

fn default_lease() -> HumanDuration {
    HumanDuration::from_secs(10)
}

fn default_checkpoint_interval() -> HumanDuration {
    HumanDuration::from_secs(300)
}

pub(super) fn default_state_path() -> PathBuf {
    PathBuf::from("sluice.db")
}

/// Plugin discovery.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PluginSettings {
    /// Extra directories searched for plugin libraries, after the executable's directory;
    /// relative to the config file's directory. Default: none.
    #[serde(default)]
    pub directories: Vec<PathBuf>,
}

/// One pipeline: a source, a sink, and what happens in between.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PipelineSettings {
    /// Whether the pipeline runs. Default: true.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Where records come from.
    pub source: ComponentSettings,
    /// Where tickets go.
    pub sink: ComponentSettings,
    /// How alerts arrive.
    #[serde(default)]
    pub intake: IntakeSettings,
    /// Flood suppression, consolidation, update, reopen and correlation.
    #[serde(default)]
    pub suppression: SuppressionSettings,
    /// The ticket's fields: field name to template. Replaces the defaults when given.
    #[serde(default)]
    pub ticket: Option<BTreeMap<String, String>>,
    /// The text that `%PreviousTicketReference%` expands to: `%field%` placeholders are fields of
    /// the previous ticket for the same alert (display values where the sink has them).
    #[serde(default = "default_correlation_format")]
    pub correlation_format: String,
    /// Delivery to the sink: batching and retries.
    #[serde(default)]
    pub delivery: DeliverySettings,
    /// How much history the state store keeps.
    #[serde(default)]
    pub retention: RetentionSettings,
}

impl PipelineSettings {
    /// Whether `sluice alert-response` queues into this pipeline when not told which: it is
    /// enabled and takes response actions.
    pub fn takes_response_actions(&self) -> bool {
        self.enabled && self.intake.response_action
    }
}

/// The vendor add-on's `CorrelationTicketFormat`.
pub fn default_correlation_format() -> String {
    "Previous incident for the same alert type:\nNumber: %number%\nOpened: %opened_at%\n\
     Assigned to: %assigned_to%\nAssignment group: %assignment_group%\nState: %state%"
        .to_owned()
}

/// How alerts reach a pipeline.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IntakeSettings {
    /// Accept alerts from `sluice alert-response`, run by Netwrix Auditor as an alert's
    /// response action. Default: true.
    #[serde(default = "yes")]
    pub response_action: bool,
    /// Poll the source for new records and evaluate the alert set here, for sites that cannot
    /// set response actions. Default: false.
    #[serde(default)]
    pub poll: bool,
    /// How often to poll when the source has nothing more. Default: `"30s"`.
    #[serde(default = "default_poll_interval")]
    pub poll_interval: HumanDuration,
    /// The directory of alert definitions (one TOML file per alert). Relative paths are
    /// relative to the config file's directory. Default: `"alerts"`.
    #[serde(default = "default_alerts_dir")]
    pub alerts: PathBuf,
    /// Records fetched by id in one source call. Default: 200.
    #[serde(default = "default_fetch_batch")]
    pub fetch_batch: usize,
    /// How often a record id the source does not know yet is asked for again, before the
    /// alert goes on without its record. Default: 5.
    #[serde(default = "default_fetch_attempts")]
    pub fetch_attempts: u32,
}

impl Default for IntakeSettings {
    fn default() -> Self {
        IntakeSettings {
            response_action: true,
            poll: false,
            poll_interval: default_poll_interval(),
            alerts: default_alerts_dir(),
            fetch_batch: default_fetch_batch(),
            fetch_attempts: default_fetch_attempts(),
        }
    }
}

fn default_poll_interval() -> HumanDuration {
    HumanDuration::from_secs(30)
}

fn default_alerts_dir() -> PathBuf {
    PathBuf::from("alerts")
}

const fn default_fetch_batch() -> usize {
    200
}

const fn default_fetch_attempts() -> u32 {
    5
}

/// Flood suppression. The defaults are the vendor add-on's (`ITSMSettings.xml`).
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SuppressionSettings {
    /// The most tickets opened for new alerts in one `ticket_flood_interval`; beyond it, new
    /// alerts go into one flood ticket per window. Default: 10.
    #[serde(default = "default_flood_limit")]
    pub ticket_flood_limit: u32,
    /// The flood window. A window opens with the first ticket after the previous window
    /// ended. Default: `"1h"`.
    #[serde(default = "default_flood_interval")]
    pub ticket_flood_interval: HumanDuration,
    /// Repeats of an alert whose ticket is open are collected for this long, then written
    /// as one update. `"0s"` writes each at once. Default: `"15m"`.
    #[serde(default = "default_consolidation_interval")]
    pub consolidation_interval: HumanDuration,
    /// Update the existing ticket when the same alert repeats within `update_interval`;
    /// false opens a ticket per alert. Default: true.
    #[serde(default = "yes")]
    pub update_ticket_on_repetitive_alerts: bool,
    /// How long after its last alert a ticket still takes repeats. After it, a repeat opens a
    /// new ticket. Default: `"24h"`.
    #[serde(default = "default_update_interval")]
    pub update_interval: HumanDuration,
    /// Reopen a ticket that is in one of the sink's closed states when its alert repeats
    /// within `update_interval`. Default: true.
    #[serde(default = "yes")]
    pub reopen_ticket_on_repetitive_alerts: bool,
    /// Put a reference to the previous ticket for the same alert into a new ticket's
    /// description (`%PreviousTicketReference%`). Default: true.
    #[serde(default = "yes")]
    pub ticket_correlation: bool,
    /// How far back a previous ticket counts for correlation; older history is pruned.
    /// Default: `"30d"`.
    #[serde(default = "default_correlation_interval")]
    pub correlation_interval: HumanDuration,
    /// Write only the first activity record into the work notes; records of later updates go
    /// into an attachment. False writes every record into the notes. Default: true.
    #[serde(default = "yes")]
    pub display_only_first_activity_record: bool,
    /// Record fields added to the suppression key, like Alertmanager's `group_by`: with
    /// `["Who"]`, each account gets its own ticket for the same alert. Default: none (one
    /// ticket per alert).
    #[serde(default)]
    pub group_by: Vec<String>,
    /// The most records one update lists or attaches; the rest are counted. Default: 1000.
    #[serde(default = "default_max_records_per_update")]
    pub max_records_per_update: usize,
}

impl Default for SuppressionSettings {
    fn default() -> Self {
        SuppressionSettings {
            ticket_flood_limit: default_flood_limit(),
            ticket_flood_interval: default_flood_interval(),
            consolidation_interval: default_consolidation_interval(),
            update_ticket_on_repetitive_alerts: true,
            update_interval: default_update_interval(),
            reopen_ticket_on_repetitive_alerts: true,
            ticket_correlation: true,
            correlation_interval: default_correlation_interval(),
            display_only_first_activity_record: true,
            group_by: Vec::new(),
            max_records_per_update: default_max_records_per_update(),
        }
    }
}

const fn default_flood_limit() -> u32 {
    10
}

fn default_flood_interval() -> HumanDuration {
    HumanDuration::from_secs(3600)
}

fn default_consolidation_interval() -> HumanDuration {
    HumanDuration::from_secs(900)
}

fn default_update_interval() -> HumanDuration {
    HumanDuration::from_secs(86_400)
}

fn default_correlation_interval() -> HumanDuration {
    HumanDuration::from_secs(30 * 86_400)
}

const fn default_max_records_per_update() -> usize {
    1000
}

/// Delivery to the sink.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliverySettings {
    /// The most ticket actions sent to the sink in one call. Default: 50.
    #[serde(default = "default_delivery_batch")]
    pub batch: usize,
    /// About how long one call to the sink should take, a call of updates half of it: the batch
    /// size is learned from how long calls took (at least one, at most `batch`), so a new
    /// ticket never waits long behind a batch of updates, and a stop never waits long for a
    /// batch to end. A sink whose single
    /// round trip takes longer still gets as many actions at once as it answers in one round
    /// trip. Default: `"50ms"`.
    #[serde(default = "default_batch_time")]
    pub batch_time: HumanDuration,
    /// First retry delay; each retry doubles it, with full jitter. Default: `"1s"`.
    #[serde(default = "default_retry_initial")]
    pub retry_initial: HumanDuration,
    /// The longest delay between retries. Default: `"5m"`.
    #[serde(default = "default_retry_max")]
    pub retry_max: HumanDuration,
    /// The longest delay a sink's `Retry-After` may impose. Default: `"1h"`.
    #[serde(default = "default_retry_after_max")]
    pub retry_after_max: HumanDuration,
    /// Stop retrying a ticket action this long after its first attempt, and dead-letter it
    /// (`sluice status` lists it). Default: `"24h"`.
    #[serde(default = "default_give_up_after")]
    pub give_up_after: HumanDuration,
    /// How long a new ticket whose create went unanswered (a timeout, a dropped connection, a
    /// crash while it was being sent) may still appear at the sink. Until then sluice looks
    /// the ticket up by its correlation key instead of sending the create again, so a create
    /// the sink commits late does not become a second ticket. Default: `"2m"`: ServiceNow
    /// cancels a REST Table API transaction after 60 seconds (its "REST Table API request
    /// timeout" quota rule), plus as long again for a request queued before it started. Raise
    /// it if your instance's quota rule allows longer transactions.
    #[serde(default = "default_in_doubt_window")]
    pub in_doubt_window: HumanDuration,
}

impl DeliverySettings {
    /// The delays between tries these settings give: of a ticket action, and of a source
    /// that fails.
    pub fn backoff(&self) -> Backoff {
        Backoff {
            initial: self.retry_initial.get(),
            max: self.retry_max.get(),
            retry_after_max: self.retry_after_max.get(),
        }
    }
}

impl Default for DeliverySettings {
    fn default() -> Self {
        DeliverySettings {
            batch: default_delivery_batch(),
            batch_time: default_batch_time(),
            retry_initial: default_retry_initial(),
            retry_max: default_retry_max(),
            retry_after_max: default_retry_after_max(),
            give_up_after: default_give_up_after(),
            in_doubt_window: default_in_doubt_window(),
        }
    }
}

const fn default_delivery_batch() -> usize {
    50
}

fn default_batch_time() -> HumanDuration {
    HumanDuration(std::time::Duration::from_millis(50))
}

fn default_retry_initial() -> HumanDuration {
    HumanDuration::from_secs(1)
}

fn default_retry_max() -> HumanDuration {
    HumanDuration::from_secs(300)
}

fn default_retry_after_max() -> HumanDuration {
    HumanDuration::from_secs(3600)
}

fn default_give_up_after() -> HumanDuration {
    HumanDuration::from_secs(86_400)
}

fn default_in_doubt_window() -> HumanDuration {
    HumanDuration::from_secs(120)
}

/// History kept in the state store. The defaults are the vendor add-on's.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionSettings {
    /// Handled alerts (activity-record requests) kept at most. Default: 5000.
    #[serde(default = "default_alert_limit")]
    pub alerts: usize,
    /// Handled alerts are kept at most this long. Default: `"7d"`.
    #[serde(default = "default_week")]
    pub alert_age: HumanDuration,
    /// Delivered ticket actions (ticket requests) kept at most. Default: 300000.
    #[serde(default = "default_action_limit")]
    pub ticket_actions: usize,
    /// Delivered ticket actions are kept at most this long. Default: `"7d"`.
    #[serde(default = "default_week")]
    pub ticket_action_age: HumanDuration,
    /// Ids of polled records are remembered this long, to drop repeats. Default: `"7d"`.
    #[serde(default = "default_week")]
    pub seen_records_age: HumanDuration,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        RetentionSettings {
            alerts: default_alert_limit(),
            alert_age: default_week(),
            ticket_actions: default_action_limit(),
            ticket_action_age: default_week(),
            seen_records_age: default_week(),
        }
    }
}

const fn default_alert_limit() -> usize {
    5000
}

const fn default_action_limit() -> usize {
    300_000
}

fn default_week() -> HumanDuration {
    HumanDuration::from_secs(7 * 86_400)
}

pub(super) const fn yes() -> bool {
    true
}

/// A source or sink: the host's keys, and the component's own keys, which its plugin
/// validates (`sluice schema` shows them per component).
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
pub struct ComponentSettings {
    /// The component, by name (`netwrix_auditor`, `servicenow`, …); `sluice plugins` lists
    /// what is installed.
    #[serde(rename = "type")]
    pub component: String,
    /// The plugin that provides it, by name; needed only when two plugins provide a
    /// component of the same name.
    #[serde(default)]
    pub plugin: Option<String>,
    /// How the host connects to this component's system: TLS and proxy.
    #[serde(default)]
    pub http: HttpSettings,
    /// The component's own settings.
    #[serde(flatten)]
    #[schemars(skip)]
    pub settings: toml::Table,
}

/// HTTP client settings for one component. The host runs every plugin's HTTP requests.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    /// A PEM file of CA certificates to trust in addition to the system's roots (for
    /// Netwrix Auditor's self-signed certificate, say); relative to the config file's
    /// directory. Default: none.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// A PEM file holding a client certificate and its private key, for mutual TLS.
    /// Default: none.
    #[serde(default)]
    pub client_identity_file: Option<PathBuf>,
    /// HTTP proxy URL for this component's requests (`http://proxy.corp:3128`; credentials as
    /// `http://user:${PROXY_PASSWORD}@proxy.corp:3128`). SOCKS is not supported. Default: the
    /// `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`/`NO_PROXY` environment variables; `"none"`
    /// ignores them.
    #[serde(default)]
    pub proxy: Option<String>,
    /// The SHA-256 fingerprint of the server's own certificate, like `"sha256:5f0c…"` (64
    /// hex digits; colons allowed): that certificate is trusted, and no other, whoever issued
    /// it, such as Netwrix Auditor's self-signed one. `sluice validate --environment` prints
    /// the fingerprint of a certificate it could not verify. Default: none.
    #[serde(default)]
    pub tls_fingerprint: Option<String>,
    /// Do not verify the server's TLS certificate. Insecure: anyone on the path can read
    /// and change the traffic. Logged as a warning at start. Default: false.
    #[serde(default)]
    pub insecure_skip_verify: bool,
}
