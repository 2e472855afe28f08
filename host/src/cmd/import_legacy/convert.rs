//! The mapping: the add-on's settings to sluice keys, and a report note for everything that
//! does not carry over as it was.
//!
//! | add-on (netwrix reference §4.2, §4.3) | sluice |
//! |---|---|
//! | NetwrixAuditorHost | `source.endpoint` (scheme-less means https) |
//! | NetwrixAuditorUserName / Password | `source.username` / `password` (empty: `${ENV}` placeholders) |
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
use crate::config::default_correlation_format;
use crate::pipeline::mapping::ALERT_PLACEHOLDERS;
use crate::pipeline::template::Template;

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
        "Auditor's self-signed certificate (netwrix reference §1.1): the add-on trusted it"
            .to_owned(),
        "through the Windows certificate store; sluice needs it as a PEM file.".to_owned(),
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

    fn source_table(&mut self, p: &str) -> Table {
        let mut t = Table::new(format!("{p}.source"));
        t.set("type", "netwrix_auditor".into(), "");
        let file = self.itsm_file.clone();
        let host = self.itsm.text(ItsmParam::NetwrixAuditorHost);
        let (endpoint, comment) = match host.filter(|(h, _)| !h.is_empty()) {
            Some((h, at)) => {
                let at = at.clone();
                let comment = if h.contains("://") || h.contains('@') {
                    "NetwrixAuditorHost".to_owned()
                } else {
                    format!("NetwrixAuditorHost {h}: no scheme means https")
                };
                (self.endpoint_of_host(h, &at), comment)
            }
            None => (
                format!("https://{DEFAULT_HOST}"),
                format!("NetwrixAuditorHost: not set ({DEFAULT_HOST}, https)"),
            ),
        };
        if is_local(&endpoint) {
            let at = host.map(|(_, at)| at.clone());
            self.note(
                at.as_ref(),
                &file,
                "NetwrixAuditorHost",
                Verdict::Check,
                "names this machine: the add-on ran on the Auditor server; if sluice runs \
                 elsewhere, put the Auditor server's name in the source's endpoint"
                    .to_owned(),
            );
        }
        t.set(
            "endpoint",
            Value::Str(escape_references(&endpoint)),
            comment,
        );
        self.credentials(
            &mut t,
            Credentials {
                file: &file,
                user: self
                    .itsm
                    .text(ItsmParam::NetwrixAuditorUserName)
                    .map(|(v, at)| (v.to_owned(), at.clone())),
                password: self
                    .itsm
                    .text(ItsmParam::NetwrixAuditorPassword)
                    .map(|(v, at)| (v.to_owned(), at.clone())),
                user_setting: "NetwrixAuditorUserName",
                password_setting: "NetwrixAuditorPassword",
                user_env: "NETWRIX_AUDITOR_USERNAME",
                password_env: "NETWRIX_AUDITOR_PASSWORD",
                secret_file: "/etc/sluice/auditor-password",
                windows_auth: true,
            },
        );
        let count = self.clamped(ItsmParam::WebRequestLimit, 200, COUNT_RANGE, "records");
        t.set(
            "count",
            Value::Int(count as i64),
            "ActivityRecordWebRequests/RequestLimit",
        );
        let timeout = self.clamped(ItsmParam::WebRequestTimeout, 180, TIMEOUT_RANGE, "seconds");
        t.set(
            "request_timeout",
            Value::Str(duration(timeout)),
            "ActivityRecordWebRequests/RequestTimeout",
        );
        t
    }

    /// `NetwrixAuditorHost` as an endpoint with a scheme, noting what the user should know.
    fn endpoint_of_host(&mut self, host: &str, at: &At) -> String {
        let shown = if host.contains('@') {
            "(not shown: it carries user info)".to_owned()
        } else {
            host.to_owned()
        };
        if host.contains('@') {
            self.note(
                Some(at),
                "",
                "NetwrixAuditorHost",
                Verdict::Check,
                "carries user info (user:password@), which sluice refuses there; move the \
                 account to the source's username and password"
                    .to_owned(),
            );
        }
        match host.split_once("://") {
            None => format!("https://{host}"),
            Some((scheme, _)) if scheme.eq_ignore_ascii_case("http") => {
                self.note(
                    Some(at),
                    "",
                    "NetwrixAuditorHost",
                    Verdict::Check,
                    format!(
                        "{shown} is plain http: sluice signs in with HTTP Basic, so the \
                         password crosses the network readable; switch the Integration API to \
                         https (APIAdminTool.exe api https, netwrix reference §1.1)"
                    ),
                );
                host.to_owned()
            }
            Some(_) => host.to_owned(),
        }
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

    /// `username` and `password` of a component: as given, or `${ENV}` placeholders where
    /// the add-on had none.
    fn credentials(&mut self, t: &mut Table, c: Credentials<'_>) {
        let user = c.user.clone().filter(|(u, _)| !u.is_empty());
        let password = c.password.clone().filter(|(p, _)| !p.is_empty());
        let Some((user, user_at)) = user else {
            let at = c.user.as_ref().map(|(_, at)| at.clone());
            let integrated = c.windows_auth;
            let why = if integrated {
                "empty, so the add-on signed in as its Windows service account (integrated \
                 authentication), which sluice cannot do"
            } else {
                "empty, and sluice needs an account"
            };
            self.note(
                at.as_ref(),
                c.file,
                c.user_setting,
                Verdict::Changed,
                format!(
                    "{why}; the config reads the account from ${{{}}} and ${{{}}}: set both, or \
                     write them into the config",
                    c.user_env, c.password_env
                ),
            );
            let mut above = vec![format!(
                "{}: {why}. Set the environment variables {} and {}",
                c.user_setting, c.user_env, c.password_env
            )];
            if integrated {
                above.push(
                    "(an account with Auditor's Global reviewer role), or write the account here."
                        .to_owned(),
                );
            } else {
                above.push("or write the account here.".to_owned());
            }
            t.set_explained(
                "username",
                Value::Str(format!("${{{}}}", c.user_env)),
                above,
            );
            t.set(
                "password",
                Value::Str(format!("${{{}}}", c.password_env)),
                "",
            );
            return;
        };
        if c.windows_auth {
            self.note(
                Some(&user_at),
                c.file,
                c.user_setting,
                Verdict::Check,
                "sluice signs in with HTTP Basic only, where the add-on's Windows client could \
                 use NTLM: the Integration API must accept Basic for this account (netwrix \
                 reference §1.2)"
                    .to_owned(),
            );
        }
        t.set(
            "username",
            Value::Str(escape_references(&user)),
            c.user_setting,
        );
        let env = format!("${{{}}}", c.password_env);
        match password {
            None => {
                let at = c.password.as_ref().map(|(_, at)| at.clone());
                self.note(
                    at.as_ref(),
                    c.file,
                    c.password_setting,
                    Verdict::Changed,
                    format!("empty, and sluice needs one; the config reads it from {env}"),
                );
                t.set_explained(
                    "password",
                    Value::Str(env.clone()),
                    vec![format!(
                        "{}: empty in the add-on's file; set {} or write it here.",
                        c.password_setting, c.password_env
                    )],
                );
            }
            Some((p, at)) if p.starts_with("file:") => {
                self.note(
                    Some(&at),
                    c.file,
                    c.password_setting,
                    Verdict::Changed,
                    format!(
                        "begins with `file:`, which sluice reads as a reference to a file; the \
                         config reads it from {env} instead: set it"
                    ),
                );
                t.set_explained(
                    "password",
                    Value::Str(env.clone()),
                    vec![format!(
                        "{}: set {}; the value cannot be written here as is.",
                        c.password_setting, c.password_env
                    )],
                );
            }
            Some((p, at)) => {
                self.note(
                    Some(&at),
                    c.file,
                    c.password_setting,
                    Verdict::Check,
                    format!(
                        "written into the config in clear, as the add-on's file had it; better \
                         a secret reference, {env} or file:{}",
                        c.secret_file
                    ),
                );
                t.set_explained(
                    "password",
                    Value::Str(escape_references(&p)),
                    vec![
                        format!(
                            "{}, as the add-on's file had it. Better, keep it out of",
                            c.password_setting
                        ),
                        "this file with a secret reference: an environment variable,".to_owned(),
                        format!("\"{env}\", or a file, \"file:{}\".", c.secret_file),
                    ],
                );
            }
        }
    }

    fn sink_table(&mut self, p: &str) -> Table {
        let mut t = Table::new(format!("{p}.sink"));
        t.set("type", "servicenow".into(), "");
        let file = self.servicenow_file.clone();
        match self.servicenow.url.clone().filter(|u| !u.value.is_empty()) {
            Some(Setting { value: url, at }) if url.contains("://") => {
                if url.contains('@') {
                    self.note(
                        Some(&at),
                        &file,
                        "Connection/URL",
                        Verdict::Check,
                        "carries user info (user:password@), which sluice refuses; move the \
                         account to the sink's username and password"
                            .to_owned(),
                    );
                }
                t.set(
                    "endpoint",
                    Value::Str(escape_references(&url)),
                    "Connection/URL",
                );
            }
            Some(Setting { value: url, at }) => {
                self.note(
                    Some(&at),
                    &file,
                    "Connection/URL",
                    Verdict::Changed,
                    "has no scheme; written with https://, which ServiceNow instances require"
                        .to_owned(),
                );
                t.set(
                    "endpoint",
                    Value::Str(escape_references(&format!("https://{url}"))),
                    "Connection/URL, https:// added",
                );
            }
            None => {
                let at = self.servicenow.url.as_ref().map(|u| u.at.clone());
                self.note(
                    at.as_ref(),
                    &file,
                    "Connection/URL",
                    Verdict::Changed,
                    "not set; the config reads the instance URL from ${SERVICENOW_ENDPOINT}: \
                     set it, or write the URL into the config"
                        .to_owned(),
                );
                t.set(
                    "endpoint",
                    "${SERVICENOW_ENDPOINT}".into(),
                    "Connection/URL: not set; like https://acme.service-now.com",
                );
            }
        }
        self.note(
            None,
            &file,
            "ServiceNow release (not in the add-on's files)",
            Verdict::Check,
            format!(
                "written as {RELEASE:?}; set the sink's release to your instance's: helsinki, \
                 istanbul, jakarta (experimental), kingston or london"
            ),
        );
        t.set_explained(
            "release",
            RELEASE.into(),
            vec![
                "Not in the add-on's files: check it. helsinki, istanbul, jakarta (experimental),"
                    .to_owned(),
                "kingston or london.".to_owned(),
            ],
        );
        let user = self
            .servicenow
            .user_name
            .as_ref()
            .map(|s| (s.value.clone(), s.at.clone()));
        let password = self
            .servicenow
            .password
            .as_ref()
            .map(|s| (s.value.clone(), s.at.clone()));
        self.credentials(
            &mut t,
            Credentials {
                file: &file,
                user,
                password,
                user_setting: "Connection/UserName",
                password_setting: "Connection/Password",
                user_env: "SERVICENOW_USERNAME",
                password_env: "SERVICENOW_PASSWORD",
                secret_file: "/etc/sluice/servicenow-password",
                windows_auth: false,
            },
        );
        self.reopen_states(&mut t);
        t
    }

    fn reopen_states(&mut self, t: &mut Table) {
        let new_state = self.servicenow.new_state.clone();
        let reopen = new_state
            .as_ref()
            .map_or_else(|| "1".to_owned(), |s| s.value.clone());
        t.set(
            "reopen_state",
            Value::Str(reopen.clone()),
            if new_state.is_some() {
                "ReopenTicketOptions/NewState"
            } else {
                "ReopenTicketOptions/NewState: not set (New)"
            },
        );
        match self.servicenow.closed_states.clone() {
            Some(list) if list.value.is_empty() => {
                self.note(
                    Some(&list.at),
                    "",
                    "ReopenTicketOptions/ClosedTicketStates",
                    Verdict::Changed,
                    "lists no state, so the add-on reopened nothing; sluice needs at least one, \
                     so the config turns reopening off instead \
                     (suppression.reopen_ticket_on_repetitive_alerts = false)"
                        .to_owned(),
                );
            }
            Some(list) => {
                if list.value.contains(&reopen) {
                    let at = new_state.map_or(list.at.clone(), |s| s.at);
                    self.note(
                        Some(&at),
                        "",
                        "ReopenTicketOptions/NewState",
                        Verdict::Check,
                        format!(
                            "{reopen} is also a closed state, so a reopened ticket would still \
                             count as closed; sluice refuses that: pick an open state, like 1 \
                             (New)"
                        ),
                    );
                }
                t.set(
                    "closed_states",
                    Value::Strs(list.value),
                    "ReopenTicketOptions/ClosedTicketStates",
                );
            }
            None => t.set(
                "closed_states",
                Value::Strs(vec!["6".into(), "7".into(), "8".into()]),
                "ReopenTicketOptions/ClosedTicketStates: not set",
            ),
        }
    }

    /// Whether the add-on's file leaves nothing to reopen from.
    fn no_closed_states(&self) -> bool {
        self.servicenow
            .closed_states
            .as_ref()
            .is_some_and(|l| l.value.is_empty())
    }

    fn suppression_table(&mut self, p: &str) -> Table {
        use ItsmParam::*;
        let mut t = Table::new(format!("{p}.suppression"));
        t.comments = vec![
            "The add-on's flood suppression, setting by setting (ITSMSettings.xml).".to_owned(),
        ];
        let limit = self.itsm.number(TicketFloodLimit).map_or(10, |v| v.0);
        t.set(
            "ticket_flood_limit",
            Value::Int(limit as i64),
            self.origin(TicketFloodLimit),
        );
        self.seconds(&mut t, "ticket_flood_interval", TicketFloodInterval, 3600);
        self.seconds(&mut t, "consolidation_interval", ConsolidationInterval, 900);
        self.flag(
            &mut t,
            "update_ticket_on_repetitive_alerts",
            UpdateTicketOnRepetitiveAlerts,
        );
        self.seconds(&mut t, "update_interval", UpdateInterval, 86_400);
        let reopen = self
            .itsm
            .flag(ReopenTicketOnRepetitiveAlerts)
            .is_none_or(|v| v.0);
        if self.no_closed_states() && reopen {
            t.set(
                "reopen_ticket_on_repetitive_alerts",
                false.into(),
                "off: ClosedTicketStates lists no state",
            );
        } else {
            self.flag(
                &mut t,
                "reopen_ticket_on_repetitive_alerts",
                ReopenTicketOnRepetitiveAlerts,
            );
        }
        self.flag(&mut t, "ticket_correlation", EnableTicketCorrelation);
        self.seconds(
            &mut t,
            "correlation_interval",
            CorrelationInterval,
            2_592_000,
        );
        self.flag(
            &mut t,
            "display_only_first_activity_record",
            DisplayOnlyFirstActivityRecord,
        );
        t
    }

    fn retention_table(&mut self, p: &str) -> Table {
        use ItsmParam::*;
        let mut t = Table::new(format!("{p}.retention"));
        t.comments = vec![
            "How much history the state store keeps: the add-on's request retention.".to_owned(),
        ];
        let alerts = self.itsm.number(RecordRequestsLimit).map_or(5000, |v| v.0);
        t.set(
            "alerts",
            Value::Int(alerts as i64),
            self.origin(RecordRequestsLimit),
        );
        let alert_age = self.seconds(&mut t, "alert_age", RecordRequestsInterval, 604_800);
        let actions = self
            .itsm
            .number(TicketRequestsLimit)
            .map_or(300_000, |v| v.0);
        t.set(
            "ticket_actions",
            Value::Int(actions as i64),
            self.origin(TicketRequestsLimit),
        );
        self.seconds(&mut t, "ticket_action_age", TicketRequestsInterval, 604_800);
        // sluice remembers polled record ids at least as long as the alerts they raised
        // (config/load.rs); its default is a week.
        if alert_age > 604_800 {
            t.set(
                "seen_records_age",
                Value::Str(duration(alert_age)),
                "at least alert_age, as sluice requires",
            );
        }
        t
    }

    /// `TicketFloodLimit`, or `TicketFloodLimit: not set` (the header says what that means).
    fn origin(&self, param: ItsmParam) -> String {
        if self.itsm.has(param) {
            param.name()
        } else {
            format!("{}: not set", param.name())
        }
    }

    /// Writes a seconds parameter as a duration; returns the seconds.
    fn seconds(&mut self, t: &mut Table, key: &str, param: ItsmParam, default: u64) -> u64 {
        let secs = self.itsm.number(param).map_or(default, |v| v.0);
        let comment = match self.itsm.number(param) {
            Some(_) => format!("{} {secs}", param.name()),
            None => self.origin(param),
        };
        t.set(key, Value::Str(duration(secs)), comment);
        secs
    }

    fn flag(&mut self, t: &mut Table, key: &str, param: ItsmParam) {
        // Every flag of the add-on defaults to true (netwrix reference §4.2).
        let value = self.itsm.flag(param).is_none_or(|v| v.0);
        t.set(key, value.into(), self.origin(param));
    }

    /// `[pipelines.security.ticket]` from `TicketParameters`, in the add-on's order.
    fn ticket_table(&mut self, p: &str) -> Option<Table> {
        let file = self.servicenow_file.clone();
        let Some(list) = self.servicenow.ticket_parameters.clone() else {
            self.note(
                None,
                &file,
                "TicketParameters",
                Verdict::Changed,
                "not in the file; sluice's default ticket fields apply (the add-on's defaults \
                 without assignment_group)"
                    .to_owned(),
            );
            return None;
        };
        let mut t = Table::new(format!("{p}.ticket"));
        t.comments = vec![
            "TicketParameters, in the add-on's order: ServiceNow field = template. work_notes and"
                .to_owned(),
            "comments also decide where updates are written.".to_owned(),
        ];
        let kept = self.last_of_each_name(&list.value);
        for param in kept {
            self.check_template(param);
            if param.name == "assignment_group" && is_demo_group(&param.value) {
                self.note(
                    Some(&param.at),
                    "",
                    "TicketParameters/assignment_group",
                    Verdict::Check,
                    format!(
                        "{:?} is the Service Desk group of ServiceNow's demo data, which the \
                         add-on ships; carried over, but put your group's sys_id there",
                        param.value.trim()
                    ),
                );
            }
            t.set(&param.name, Value::Str(param.value.clone()), "");
        }
        Some(t)
    }

    /// One parameter per field: a config holds one value per key, and ServiceNow keeps the
    /// last of a field written twice.
    fn last_of_each_name<'p>(&mut self, params: &'p [TicketParameter]) -> Vec<&'p TicketParameter> {
        let mut kept: Vec<&TicketParameter> = Vec::new();
        for param in params {
            if let Some(i) = kept.iter().position(|k| k.name == param.name) {
                let earlier = kept.remove(i);
                self.note(
                    Some(&earlier.at),
                    "",
                    &format!("TicketParameters/{}", param.name),
                    Verdict::Changed,
                    format!(
                        "set again at line {}; a config holds one template per field, so the \
                         later one was kept",
                        param.at.line
                    ),
                );
            }
            kept.push(param);
        }
        kept
    }

    /// Notes placeholders sluice does not know; the template is written anyway.
    fn check_template(&mut self, param: &TicketParameter) {
        let Ok(template) = Template::parse(&param.value, None) else {
            return;
        };
        let setting = format!("TicketParameters/{}", param.name);
        for name in template.placeholders() {
            if ALERT_PLACEHOLDERS.contains(&name) {
                continue;
            }
            let hint = match ALERT_PLACEHOLDERS
                .iter()
                .find(|k| k.eq_ignore_ascii_case(name))
            {
                Some(near) => format!(" (names are case-sensitive: %{near}%)"),
                None => format!("; it knows %{}%", ALERT_PLACEHOLDERS.join("%, %")),
            };
            self.note(
                Some(&param.at),
                "",
                &setting,
                Verdict::Check,
                format!(
                    "%{name}% is not a placeholder sluice knows{hint}; written as is, and \
                     `sluice validate` refuses it until it is fixed"
                ),
            );
        }
        if param.value.contains("%%") {
            self.note(
                Some(&param.at),
                "",
                &setting,
                Verdict::Check,
                "contains `%%`, which sluice renders as one `%`".to_owned(),
            );
        }
    }

    /// The ConnectWise-only elements (netwrix reference §4.3).
    fn connectwise_only(&mut self) {
        let sn = self.servicenow;
        if let Some(s) = &sn.ignore_upload_attachment_error {
            let also = if s.value {
                ""
            } else {
                " (false asked for an error instead)"
            };
            self.note(
                Some(&s.at),
                "",
                "IgnoreUploadAttachmentError",
                Verdict::NotCarriedOver,
                format!(
                    "sluice always keeps an update whose records attachment ServiceNow refuses, \
                     and logs a warning{also}; there is no MissingAttachments folder"
                ),
            );
        }
        if let Some(s) = &sn.enable_tls12 {
            self.note(
                Some(&s.at),
                "",
                "EnableTls12",
                Verdict::NotCarriedOver,
                "sluice always uses TLS 1.2 or later".to_owned(),
            );
        }
        if let Some(s) = &sn.ticket_parameter_refs {
            self.note(
                Some(&s.at),
                "",
                "TicketParameterRefs",
                Verdict::NotCarriedOver,
                format!(
                    "ConnectWise reference objects ({}); a ServiceNow reference field takes its \
                     sys_id as a plain value in [pipelines.{PIPELINE}.ticket]",
                    if s.value.is_empty() { "none" } else { &s.value }
                ),
            );
        }
    }

    /// The two queue poll periods, which sluice has no use for.
    fn queue_intervals(&mut self) {
        let itsm = self.itsm;
        if let Some((v, at)) = itsm.number(ItsmParam::CheckAlertQueueInterval) {
            self.note(
                Some(at),
                "",
                "CheckAlertQueueInterval",
                Verdict::NotCarriedOver,
                format!(
                    "{v} s: sluice has no alert queue to poll; an alert handed over by `sluice \
                     alert-response` is picked up within a second"
                ),
            );
        }
        if let Some((v, at)) = itsm.number(ItsmParam::ProcessActivityRecordQueueInterval) {
            self.note(
                Some(at),
                "",
                "ProcessActivityRecordQueueInterval",
                Verdict::NotCarriedOver,
                format!(
                    "{v} s: sluice fetches a queued alert's activity records within a second; \
                     there is no queue period to set"
                ),
            );
        }
    }
}

/// What differs between the source's and the sink's credentials.
#[derive(Debug)]
struct Credentials<'a> {
    file: &'a str,
    user: Option<(String, At)>,
    password: Option<(String, At)>,
    user_setting: &'static str,
    password_setting: &'static str,
    user_env: &'static str,
    password_env: &'static str,
    secret_file: &'static str,
    /// The add-on reached this system with Windows authentication: as its service account
    /// when no user was set, NTLM otherwise (Auditor; netwrix reference §1.2).
    windows_auth: bool,
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
/// it is written `$${` (config/secret.rs).
fn escape_references(value: &str) -> String {
    value.replace("${", "$${")
}

/// Seconds as a human duration: `3600` → `1h`, `900` → `15m`, `2592000` → `30d`; a whole day
/// stays in hours (`86400` → `24h`), as the add-on's docs speak of it.
pub(super) fn duration(secs: u64) -> String {
    const DAY: u64 = 86_400;
    match secs {
        0 => "0s".to_owned(),
        s if s % DAY == 0 && s > DAY => format!("{}d", s / DAY),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
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
