//! The mapping: the add-on's settings to sluice keys, and a report note for everything that
//! does not carry over as it was.
//!
//! | add-on (`ITSMSettings.xml`, `ServiceNowSettings.xml`) | sluice |
//! |---|---|
//! | NetwrixAuditorHost | `source.endpoint` (scheme-less means https) |
//! | NetwrixAuditorUserName / Password | `source.username` / `password` (empty: `${ENV}` placeholders), `source.auth = "ntlm"` (the add-on's Windows client used NTLM) |
//! | TicketFloodLimit, TicketFloodInterval, ConsolidationInterval, UpdateTicketOnRepetitiveAlerts, ReopenTicketOnRepetitiveAlerts, UpdateInterval, EnableTicketCorrelation, CorrelationInterval, DisplayOnlyFirstActivityRecord | `suppression.*` |
//! | ActivityRecordRequestsRetention, TicketRequestsRetention | `retention.*` |
//! | ActivityRecordWebRequests RequestLimit / RequestTimeout | `source.count` / `request_timeout` |
//! | CheckAlertQueueInterval, ProcessActivityRecordQueueInterval | reported: no queue to poll |
//! | Connection URL / UserName / Password | `sink.endpoint` / `username` / `password` |
//! | TicketParameters | `ticket`, in the add-on's order |
//! | CorrelationTicketFormat | `correlation_format` |
//! | ReopenTicketOptions ClosedTicketStates / NewState | `sink.closed_states` / `reopen_state` |
//! | IgnoreUploadAttachmentError, EnableTls12, TicketParameterRefs (ConnectWise) | reported |
//!
//! What the files do not say gets a default that runs: release `london` (reported, to check),
//! pipeline `security`, alert directory `alerts`, state store `sluice.db` in the working
//! directory.

use std::path::Path;

use super::legacy::{ItsmParam, ItsmSettings, ServiceNowSettings, Setting, TicketParameter};
use super::report::{At, Note, Verdict};
use super::write::{Block, Document, Table, Value};
use sluice_core::default_correlation_format;
use sluice_core::Template;
use sluice_core::ALERT_PLACEHOLDERS;

mod sink;
mod source;
mod suppression;
mod ticket;

/// The pipeline the import writes.
pub(super) const PIPELINE: &str = "security";
/// The ServiceNow release assumed; the add-on's files do not name one.
const RELEASE: &str = "london";
/// The add-on's default `NetwrixAuditorHost`.
const DEFAULT_HOST: &str = "localhost:9699";
/// The Service Desk group of ServiceNow's demo data, which the add-on ships as
/// `assignment_group` (the 10.8 doc prints it one digit short, and with a stray space).
const DEMO_ASSIGNMENT_GROUPS: [&str; 2] = [
    "d625dccec0a8016700a222a0f7900d06",
    "d625dccec0a8016700a22a0f7900d06",
];
/// The source plugin's `count` and `request_timeout` ranges.
const COUNT_RANGE: (u64, u64) = (1, 1000);
const TIMEOUT_RANGE: (u64, u64) = (1, 3600);

/// The two input files, as the user named them.
#[derive(Debug)]
pub(super) struct Inputs<'a> {
    pub(super) itsm: &'a Path,
    pub(super) servicenow: &'a Path,
}

/// The config, and the notes for the report.
#[derive(Debug)]
pub(super) struct Imported {
    pub(super) document: Document,
    pub(super) notes: Vec<Note>,
}

/// Maps the add-on's settings to a sluice config.
pub(super) fn convert(
    itsm: &ItsmSettings,
    servicenow: &ServiceNowSettings,
    inputs: &Inputs<'_>,
) -> Imported {
    let mut c = Converter {
        itsm,
        servicenow,
        itsm_file: inputs.itsm.display().to_string(),
        servicenow_file: inputs.servicenow.display().to_string(),
        notes: Vec::new(),
    };
    let p = format!("pipelines.{PIPELINE}");
    let header = vec![
        "sluice config written by `sluice import-legacy` from the settings of the Netwrix"
            .to_owned(),
        "Auditor Add-on for ServiceNow:".to_owned(),
        format!("  {}", c.itsm_file),
        format!("  {}", c.servicenow_file),
        "Each key names the add-on setting it came from. `sluice schema` documents every key;"
            .to_owned(),
        "`sluice validate --config FILE` checks the file, and with --environment also the"
            .to_owned(),
        "connections to Netwrix Auditor and ServiceNow. A setting \"not set\" in the add-on's"
            .to_owned(),
        "file has the add-on's default here.".to_owned(),
    ];
    let mut blocks = vec![Block::Table(state_table())];
    blocks.push(Block::Table(c.pipeline_table(&p)));
    blocks.push(Block::Table(c.source_table(&p)));
    blocks.push(Block::Comment(vec![
        "Auditor's API uses a self-signed certificate by default; the add-on trusted it through"
            .to_owned(),
        "the Windows certificate store, sluice needs it as a PEM file.".to_owned(),
        format!("[{p}.source.http]"),
        "ca_file = \"/etc/sluice/auditor-ca.pem\"".to_owned(),
    ]));
    blocks.push(Block::Table(c.sink_table(&p)));
    blocks.push(Block::Table(intake_table(&p)));
    blocks.push(Block::Table(c.suppression_table(&p)));
    blocks.push(Block::Table(c.retention_table(&p)));
    if let Some(ticket) = c.ticket_table(&p) {
        blocks.push(Block::Table(ticket));
    }
    c.connectwise_only();
    c.queue_intervals();
    Imported {
        document: Document { header, blocks },
        notes: c.notes,
    }
}

fn state_table() -> Table {
    let mut t = Table::new("state");
    t.comments = vec![
        "sluice's durable state: queued alerts, tickets, correlation history. The add-on kept"
            .to_owned(),
        "it inside its service; a relative path is relative to this file's directory.".to_owned(),
    ];
    t.set("path", "sluice.db".into(), "");
    t
}

fn intake_table(p: &str) -> Table {
    let mut t = Table::new(format!("{p}.intake"));
    t.comments = vec![
        "Alerts arrive as they did: Auditor runs a response action for each integrated alert."
            .to_owned(),
        "In each such alert, replace Netwrix.ITSM.AlertResponseAction.exe with".to_owned(),
        "`sluice alert-response`; `sluice alerts list` prints the command line.".to_owned(),
    ];
    t.set("response_action", true.into(), "");
    t.set(
        "alerts",
        "alerts".into(),
        "alert definitions, for `sluice alerts` and poll = true",
    );
    t
}

struct Converter<'a> {
    itsm: &'a ItsmSettings,
    servicenow: &'a ServiceNowSettings,
    itsm_file: String,
    servicenow_file: String,
    notes: Vec<Note>,
}

impl Converter<'_> {
    fn note(&mut self, at: Option<&At>, file: &str, setting: &str, verdict: Verdict, m: String) {
        self.notes.push(match at {
            Some(at) => Note::at(at, setting, verdict, m),
            None => Note::in_file(file, setting, verdict, m),
        });
    }

    /// `[pipelines.security]`: the correlation format (it must come before the sub-tables).
    fn pipeline_table(&mut self, p: &str) -> Table {
        let mut t = Table::new(p);
        t.comments =
            vec!["One pipeline: Netwrix Auditor alerts in, ServiceNow incidents out.".to_owned()];
        let (format, origin) = match &self.servicenow.correlation_format {
            Some(f) => (f.value.clone(), "CorrelationTicketFormat".to_owned()),
            None => (
                default_correlation_format(),
                "CorrelationTicketFormat: not set".to_owned(),
            ),
        };
        if let Some(f) = &self.servicenow.correlation_format {
            if f.value.contains("%%") {
                let at = f.at.clone();
                self.note(
                    Some(&at),
                    "",
                    "CorrelationTicketFormat",
                    Verdict::Check,
                    "contains `%%`, which sluice renders as one `%`".to_owned(),
                );
            }
        }
        t.set_explained(
            "correlation_format",
            Value::Str(format),
            vec![
                format!("{origin}: what %PreviousTicketReference% expands to; each %field% is"),
                "a field of the previous incident for the same alert.".to_owned(),
            ],
        );
        t
    }

    /// A count or seconds value within `range`, noting a value that had to change.
    fn clamped(&mut self, param: ItsmParam, default: u64, range: (u64, u64), unit: &str) -> u64 {
        let Some((value, at)) = self.itsm.number(param) else {
            return default;
        };
        let clamped = value.clamp(range.0, range.1);
        if clamped != value {
            let at = at.clone();
            self.note(
                Some(&at),
                "",
                &param.name(),
                Verdict::Changed,
                format!(
                    "{value} {unit} is outside what sluice takes ({} to {}); written as {clamped}",
                    range.0, range.1
                ),
            );
        }
        clamped
    }

    /// `TicketFloodLimit`, or `TicketFloodLimit: not set` (the header says what that means).
    fn origin(&self, param: ItsmParam) -> String {
        if self.itsm.has(param) {
            param.name()
        } else {
            format!("{}: not set", param.name())
        }
    }
}

/// What differs between the source's and the sink's credentials.
#[derive(Debug)]
struct Credentials<'a> {
    file: &'a str,
    user: Option<Setting<String>>,
    password: Option<Setting<String>>,
    user_setting: &'static str,
    password_setting: &'static str,
    user_env: &'static str,
    password_env: &'static str,
    secret_file: &'static str,
    /// The add-on reached this system with Windows authentication (true for Auditor): as
    /// its service account when no user was set, NTLM otherwise.
    windows_auth: bool,
}

impl Credentials<'_> {
    /// `${NETWRIX_AUDITOR_PASSWORD}`: where the config reads a password it cannot write.
    fn password_reference(&self) -> String {
        format!("${{{}}}", self.password_env)
    }
}

/// Whether `endpoint` names the machine it runs on.
fn is_local(endpoint: &str) -> bool {
    let rest = endpoint.split_once("://").map_or(endpoint, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or("");
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    host.eq_ignore_ascii_case("localhost") || host == "127.0.0.1" || host == "::1"
}

fn is_demo_group(value: &str) -> bool {
    let compact: String = value.chars().filter(|c| !c.is_whitespace()).collect();
    DEMO_ASSIGNMENT_GROUPS
        .iter()
        .any(|g| compact.eq_ignore_ascii_case(g))
}

/// A source or sink value as the host will read it: `${` would start a secret reference, so
/// it is written `$${` (`sluice_core::secret`).
fn escape_references(value: &str) -> String {
    value.replace("${", "$${")
}

/// Seconds as the config writes them (`3600` → `1h`, `86400` → `24h`, `2592000` → `30d`).
pub(super) fn duration(secs: u64) -> String {
    sluice_core::HumanDuration::from_secs(secs).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them_and_parse_back() {
        for (secs, text) in [
            (3600, "1h"),
            (900, "15m"),
            (2_592_000, "30d"),
            (604_800, "7d"),
            (86_400, "24h"),
            (180, "3m"),
            (90, "90s"),
            (5400, "90m"),
            (0, "0s"),
        ] {
            assert_eq!(duration(secs), text);
            let back = humantime::parse_duration(text).unwrap();
            assert_eq!(back.as_secs(), secs, "{text}");
        }
    }

    #[test]
    fn local_hosts_and_demo_groups() {
        assert!(is_local("https://localhost:9699"));
        assert!(is_local("https://[::1]:9699"));
        assert!(is_local("http://127.0.0.1"));
        assert!(!is_local("https://auditor.corp.local:9699"));
        assert!(is_demo_group("d625dccec0a8016700a22a0 f7900d06"));
        assert!(is_demo_group("d625dccec0a8016700a222a0f7900d06"));
        assert!(!is_demo_group("8a4dde73c6112278017a6a4baf547aa7"));
        assert_eq!(escape_references("a${B}c$${d}"), "a$${B}c$$${d}");
    }
}
