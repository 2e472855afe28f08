//! Conversions between the public std types and the ABI mirror types.
//!
//! On the way *into* the ABI, strings and vectors move (`String -> RString` reuses the
//! buffer). On the way *out*, a value allocated by the other side is copied once, because its
//! allocator may differ (abi_stable's rule); values allocated on this side move.

use std::mem;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::{RArc, RBox, ROption, RResult, RStr, RString, RVec};

use super::traits::{HostBox, HostObj, HostObj_TO};
use super::types::*;
use crate::{
    ActionOutcome, AuthScheme, Capabilities, ComponentInfo, ComponentKind, Correlation, Detail,
    ErrorKind, Fields, HttpAuth, HttpError, HttpErrorKind, HttpRequest, HttpResponse, Journal,
    LogLevel, PluginError, PluginManifest, Record, StateChange, Text, Ticket, TicketAction,
};

// ---- small pieces ------------------------------------------------------------------------

pub(crate) fn string(s: RString) -> String {
    s.into_string()
}

fn ropt(s: Option<String>) -> ROption<RString> {
    s.map(RString::from).into()
}

fn opt(s: ROption<RString>) -> Option<String> {
    s.into_option().map(RString::into_string)
}

pub(crate) fn fields_to_abi(fields: Fields) -> AbiFields {
    let (text, spans) = fields.into_parts();
    AbiFields { text, spans }
}

/// Fields from the other side, as they are (no copy); a malformed buffer (a plugin built
/// against a broken SDK) becomes an empty set rather than a panic.
pub(crate) fn fields_from_abi(fields: AbiFields) -> Fields {
    Fields::from_parts(fields.text, fields.spans).unwrap_or_default()
}

fn pairs_to_abi(pairs: Vec<(String, String)>) -> AbiFields {
    fields_to_abi(Fields::from(pairs))
}

fn pairs_from_abi(pairs: AbiFields) -> Vec<(String, String)> {
    fields_from_abi(pairs).into_vec()
}

fn time_to_ms(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

fn time_from_ms(ms: i64) -> SystemTime {
    if ms >= 0 {
        UNIX_EPOCH + Duration::from_millis(ms.unsigned_abs())
    } else {
        UNIX_EPOCH - Duration::from_millis(ms.unsigned_abs())
    }
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

// ---- records -----------------------------------------------------------------------------

pub(crate) fn record_to_abi(record: Record) -> AbiRecord {
    AbiRecord {
        id: record.id.into(),
        time_unix_ms: record.time.map(time_to_ms).into(),
        fields: fields_to_abi(record.fields),
        details: record
            .details
            .into_iter()
            .map(|d| AbiDetail {
                property: d.property.into(),
                before: ropt(d.before),
                after: ropt(d.after),
                message: ropt(d.message),
            })
            .collect(),
        #[cfg(feature = "__test_layout_drift")]
        drift: 0,
    }
}

pub(crate) fn record_from_abi(record: AbiRecord) -> Record {
    Record {
        id: record.id.into_string(),
        time: record.time_unix_ms.into_option().map(time_from_ms),
        fields: fields_from_abi(record.fields),
        details: record
            .details
            .into_iter()
            .map(|d| Detail {
                property: d.property.into_string(),
                before: opt(d.before),
                after: opt(d.after),
                message: opt(d.message),
            })
            .collect(),
    }
}

// ---- errors ------------------------------------------------------------------------------

pub(crate) fn error_to_abi(error: PluginError) -> AbiError {
    AbiError {
        kind: AbiErrorKind(error.kind().to_code()),
        key_path: ropt(error.key_path().map(str::to_owned)),
        retry_after_ms: error.retry_after().map(duration_ms).into(),
        message: error.message().to_owned().into(),
    }
}

pub(crate) fn error_from_abi(error: AbiError) -> PluginError {
    let mut out = PluginError::new(
        ErrorKind::from_code(error.kind.0),
        error.message.into_string(),
    );
    if let Some(path) = opt(error.key_path) {
        out = out.at(path);
    }
    if let Some(ms) = error.retry_after_ms.into_option() {
        out = out.with_retry_after(Duration::from_millis(ms));
    }
    out
}

// ---- actions and outcomes ----------------------------------------------------------------

const STATE_REOPEN: u8 = 1;
const STATE_RESOLVE: u8 = 2;
const STATE_CLOSE: u8 = 3;
const STATE_SET: u8 = 4;

const JOURNAL_WORK_NOTES: u8 = 1;
const JOURNAL_COMMENTS: u8 = 2;

fn action_to_abi(action: TicketAction) -> AbiAction {
    match action {
        TicketAction::Create {
            correlation,
            fields,
        } => AbiAction::Create {
            correlation_id: correlation.id.into_abi(),
            correlation_display: correlation.display.into_abi(),
            fields: fields_to_abi(fields),
        },
        TicketAction::Update { ticket, fields } => AbiAction::Update {
            ticket: ticket.into_abi(),
            fields: fields_to_abi(fields),
        },
        TicketAction::AddNote {
            ticket,
            journal,
            text,
        } => AbiAction::AddNote {
            ticket: ticket.into_abi(),
            journal: journal_to_abi(journal),
            text: text.into(),
        },
        TicketAction::Attach {
            ticket,
            file_name,
            content_type,
            content,
        } => AbiAction::Attach {
            ticket: ticket.into_abi(),
            file_name: file_name.into(),
            content_type: content_type.into(),
            content: content.into(),
        },
        TicketAction::ChangeState { ticket, change } => AbiAction::ChangeState {
            ticket: ticket.into_abi(),
            change: RBox::new(state_change_to_abi(change)),
        },
        TicketAction::Get { ticket } => AbiAction::Get {
            ticket: ticket.into_abi(),
        },
        TicketAction::FindByCorrelation { correlation_id } => AbiAction::FindByCorrelation {
            correlation_id: correlation_id.into_abi(),
        },
    }
}

fn journal_to_abi(journal: Journal) -> AbiJournal {
    AbiJournal(match journal {
        Journal::WorkNotes => JOURNAL_WORK_NOTES,
        Journal::Comments => JOURNAL_COMMENTS,
    })
}

/// Every kind of change in one shape: the fields a kind does not use are empty.
fn state_change_to_abi(change: StateChange) -> AbiStateChange {
    let bare = |kind: u8| AbiStateChange {
        kind: AbiStateChangeKind(kind),
        to: RString::new(),
        only_from: RVec::new(),
        close_code: ROption::RNone,
        close_notes: ROption::RNone,
    };
    let closing = |kind: u8, close_code: String, close_notes: String| AbiStateChange {
        close_code: ROption::RSome(close_code.into()),
        close_notes: ROption::RSome(close_notes.into()),
        ..bare(kind)
    };
    match change {
        StateChange::Reopen => bare(STATE_REOPEN),
        StateChange::Resolve {
            close_code,
            close_notes,
        } => closing(STATE_RESOLVE, close_code, close_notes),
        StateChange::Close {
            close_code,
            close_notes,
        } => closing(STATE_CLOSE, close_code, close_notes),
        StateChange::Set { to, only_from } => AbiStateChange {
            to: to.into(),
            only_from: only_from.into_iter().map(RString::from).collect(),
            ..bare(STATE_SET)
        },
    }
}

/// `Err` carries a failure outcome for a slot with no action in it.
fn action_from_abi(action: AbiAction) -> Result<TicketAction, PluginError> {
    Ok(match action {
        AbiAction::Create {
            correlation_id,
            correlation_display,
            fields,
        } => TicketAction::Create {
            correlation: Correlation {
                id: Text::from_abi(correlation_id),
                display: Text::from_abi(correlation_display),
            },
            fields: fields_from_abi(fields),
        },
        AbiAction::Update { ticket, fields } => TicketAction::Update {
            ticket: Text::from_abi(ticket),
            fields: fields_from_abi(fields),
        },
        AbiAction::AddNote {
            ticket,
            journal,
            text,
        } => TicketAction::AddNote {
            ticket: Text::from_abi(ticket),
            journal: journal_from_abi(journal)?,
            text: string(text),
        },
        AbiAction::Attach {
            ticket,
            file_name,
            content_type,
            content,
        } => TicketAction::Attach {
            ticket: Text::from_abi(ticket),
            file_name: string(file_name),
            content_type: string(content_type),
            content: content.into_vec(),
        },
        AbiAction::ChangeState { ticket, change } => TicketAction::ChangeState {
            ticket: Text::from_abi(ticket),
            change: state_change_from_abi(RBox::into_inner(change))?,
        },
        AbiAction::Get { ticket } => TicketAction::Get {
            ticket: Text::from_abi(ticket),
        },
        AbiAction::FindByCorrelation { correlation_id } => TicketAction::FindByCorrelation {
            correlation_id: Text::from_abi(correlation_id),
        },
        AbiAction::Vacant => {
            return Err(PluginError::internal(
                "the host sent an empty slot instead of an action",
            ))
        }
    })
}

fn journal_from_abi(journal: AbiJournal) -> Result<Journal, PluginError> {
    match journal.0 {
        JOURNAL_COMMENTS => Ok(Journal::Comments),
        JOURNAL_WORK_NOTES => Ok(Journal::WorkNotes),
        other => Err(PluginError::unsupported(format!(
            "unknown journal code {other}"
        ))),
    }
}

/// `Err` for a kind of change a newer host knows and this plugin does not.
fn state_change_from_abi(change: AbiStateChange) -> Result<StateChange, PluginError> {
    let AbiStateChange {
        kind,
        to,
        only_from,
        close_code,
        close_notes,
    } = change;
    let code = opt(close_code).unwrap_or_default();
    let notes = opt(close_notes).unwrap_or_default();
    Ok(match kind.0 {
        STATE_REOPEN => StateChange::Reopen,
        STATE_RESOLVE => StateChange::Resolve {
            close_code: code,
            close_notes: notes,
        },
        STATE_CLOSE => StateChange::Close {
            close_code: code,
            close_notes: notes,
        },
        STATE_SET => StateChange::Set {
            to: string(to),
            only_from: only_from.into_iter().map(string).collect(),
        },
        other => {
            return Err(PluginError::unsupported(format!(
                "the host sent a state change this plugin does not know (code {other}); \
                 rebuild the plugin against the sluice-sdk of this host"
            )))
        }
    })
}

/// Host side: writes `action` into its slot, in place.
pub(crate) fn put_action(slot: &mut AbiAction_NE, action: TicketAction) {
    let action = action_to_abi(action);
    match slot.as_enum_mut() {
        Ok(place) => *place = action,
        // A variant only a newer plugin knows: replaced whole, dropped by its own code.
        Err(_) => *slot = AbiAction_NE::new(action),
    }
}

/// Host side: drops an action the plugin did not take (none, if it follows the contract).
pub(crate) fn clear_action(slot: &mut AbiAction_NE) {
    if !matches!(slot.as_enum(), Ok(AbiAction::Vacant)) {
        *slot = AbiAction_NE::new(AbiAction::Vacant);
    }
}

/// Plugin side: takes the action out of its slot, leaving it `Vacant`. `Err` carries a failure
/// outcome for an action this side does not know (sent by a newer host), which stays in its
/// slot for the host to drop.
pub(crate) fn take_action(slot: &mut AbiAction_NE) -> Result<TicketAction, PluginError> {
    match slot.as_enum_mut() {
        Ok(place) => action_from_abi(mem::replace(place, AbiAction::Vacant)),
        Err(e) => Err(unknown_action(e.non_exhaustive.get_discriminant())),
    }
}

#[cold]
fn unknown_action(discriminant: impl std::fmt::Debug) -> PluginError {
    PluginError::unsupported(format!(
        "the host sent a ticket action this plugin does not know (discriminant \
         {discriminant:?}); rebuild the plugin against the sluice-sdk of this host"
    ))
}

fn ticket_to_abi(ticket: Ticket) -> AbiTicket {
    AbiTicket {
        id: ticket.id.into_abi(),
        number: ticket.number.into_abi(),
        link: ticket.link.into_abi(),
        state: ticket.state.into_abi(),
        fields: fields_to_abi(ticket.fields),
        display: fields_to_abi(ticket.display),
    }
}

fn ticket_from_abi(t: AbiTicket) -> Ticket {
    Ticket {
        id: Text::from_abi(t.id),
        number: Text::from_abi(t.number),
        link: Text::from_abi(t.link),
        state: Text::from_abi(t.state),
        fields: fields_from_abi(t.fields),
        display: fields_from_abi(t.display),
    }
}

fn outcome_to_abi(outcome: ActionOutcome) -> AbiOutcome {
    match outcome {
        ActionOutcome::Done(ticket) => AbiOutcome::Done(ticket_to_abi(ticket)),
        ActionOutcome::Unchanged(ticket) => AbiOutcome::Unchanged(ticket_to_abi(ticket)),
        ActionOutcome::NotFound => AbiOutcome::NotFound,
        ActionOutcome::Retry {
            reason,
            retry_after,
        } => AbiOutcome::Retry {
            reason: reason.into(),
            retry_after_ms: retry_after.map(duration_ms).into(),
        },
        ActionOutcome::Failed(error) => AbiOutcome::Failed(error_to_abi(error)),
        ActionOutcome::InDoubt { reason } => AbiOutcome::InDoubt {
            reason: reason.into(),
        },
    }
}

fn outcome_from_abi(outcome: AbiOutcome) -> ActionOutcome {
    match outcome {
        AbiOutcome::Done(t) => ActionOutcome::Done(ticket_from_abi(t)),
        AbiOutcome::Unchanged(t) => ActionOutcome::Unchanged(ticket_from_abi(t)),
        AbiOutcome::NotFound => ActionOutcome::NotFound,
        AbiOutcome::Retry {
            reason,
            retry_after_ms,
        } => ActionOutcome::Retry {
            reason: string(reason),
            retry_after: retry_after_ms.into_option().map(Duration::from_millis),
        },
        AbiOutcome::Failed(error) => ActionOutcome::Failed(error_from_abi(error)),
        AbiOutcome::InDoubt { reason } => ActionOutcome::InDoubt {
            reason: string(reason),
        },
        AbiOutcome::Vacant => ActionOutcome::Failed(PluginError::internal(
            "the sink gave no outcome for this action",
        )),
    }
}

/// Plugin side: writes `outcome` into its slot, in place.
pub(crate) fn put_outcome(slot: &mut AbiOutcome_NE, outcome: ActionOutcome) {
    let outcome = outcome_to_abi(outcome);
    match slot.as_enum_mut() {
        Ok(place) => *place = outcome,
        // A variant only a newer host knows: replaced whole, dropped by its own code.
        Err(_) => *slot = AbiOutcome_NE::new(outcome),
    }
}

/// Host side: takes the outcome out of its slot, leaving it `Vacant`.
pub(crate) fn take_outcome(slot: &mut AbiOutcome_NE) -> ActionOutcome {
    match slot.as_enum_mut() {
        Ok(place) => outcome_from_abi(mem::replace(place, AbiOutcome::Vacant)),
        Err(e) => {
            let outcome = ActionOutcome::Failed(PluginError::unsupported(format!(
                "the plugin reported an outcome this host does not know (discriminant {:?}); \
                 upgrade sluice or rebuild the plugin against this host's sluice-sdk",
                e.non_exhaustive.get_discriminant()
            )));
            *slot = AbiOutcome_NE::new(AbiOutcome::Vacant);
            outcome
        }
    }
}

// ---- HTTP --------------------------------------------------------------------------------

pub(crate) fn request_to_abi(r: HttpRequest) -> AbiHttpRequest {
    AbiHttpRequest {
        method: r.method.into(),
        url: r.url.into(),
        headers: pairs_to_abi(r.headers),
        body: r.body.into(),
        timeout_ms: duration_ms(r.timeout),
        auth: r.auth.map(auth_to_abi).into(),
    }
}

fn auth_to_abi(a: HttpAuth) -> AbiHttpAuth {
    AbiHttpAuth {
        scheme: AbiAuthScheme(a.scheme.to_code()),
        username: a.username.into(),
        password: a.password.into(),
    }
}

/// `Err` for a scheme this host does not know (a newer plugin's).
fn auth_from_abi(a: AbiHttpAuth) -> Result<HttpAuth, u8> {
    Ok(HttpAuth {
        scheme: AuthScheme::from_code(a.scheme.0).ok_or(a.scheme.0)?,
        username: string(a.username),
        password: string(a.password),
    })
}

pub(crate) fn request_from_abi(r: AbiHttpRequest) -> Result<HttpRequest, HttpError> {
    let auth = match r.auth.into_option().map(auth_from_abi).transpose() {
        Ok(auth) => auth,
        Err(code) => {
            return Err(HttpError::new(
                HttpErrorKind::InvalidRequest,
                format!(
                    "the plugin asked for an authentication scheme this host does not know \
                     (code {code}); upgrade sluice or rebuild the plugin against this host's \
                     sluice-sdk"
                ),
            ))
        }
    };
    Ok(HttpRequest {
        method: string(r.method),
        url: string(r.url),
        headers: pairs_from_abi(r.headers),
        body: r.body.into_vec(),
        timeout: Duration::from_millis(r.timeout_ms),
        auth,
    })
}

fn response_to_abi(r: HttpResponse) -> AbiHttpResponse {
    AbiHttpResponse {
        status: r.status,
        headers: pairs_to_abi(r.headers),
        body: r.body.into(),
    }
}

fn response_from_abi(r: AbiHttpResponse) -> HttpResponse {
    HttpResponse {
        status: r.status,
        headers: pairs_from_abi(r.headers),
        body: r.body.into_vec(),
    }
}

fn http_error_to_abi(e: HttpError) -> AbiHttpError {
    AbiHttpError {
        kind: AbiHttpErrorKind(e.kind.to_code()),
        message: e.message.into(),
    }
}

fn http_error_from_abi(e: AbiHttpError) -> HttpError {
    HttpError::new(HttpErrorKind::from_code(e.kind.0), string(e.message))
}

// ---- manifest ----------------------------------------------------------------------------

pub(crate) fn manifest_to_abi(m: PluginManifest) -> AbiManifest {
    AbiManifest {
        name: m.name.into(),
        version: m.version.into(),
        sdk_version: m.sdk_version.into(),
        abi_version: m.abi_version.into(),
        components: m
            .components
            .into_iter()
            .map(|c| AbiComponentInfo {
                name: c.name.into(),
                kind: AbiComponentKind(c.kind.to_code()),
                description: c.description.into(),
                config_schema: c.config_schema.to_string().into(),
            })
            .collect(),
    }
}

/// Components of a kind this host does not know are left out of the manifest.
pub(crate) fn manifest_from_abi(m: AbiManifest) -> PluginManifest {
    PluginManifest {
        name: string(m.name),
        version: string(m.version),
        sdk_version: string(m.sdk_version),
        abi_version: string(m.abi_version),
        components: m
            .components
            .into_iter()
            .filter_map(|c| {
                Some(ComponentInfo {
                    kind: ComponentKind::from_code(c.kind.0)?,
                    name: string(c.name),
                    description: string(c.description),
                    config_schema: serde_json::from_str(c.config_schema.as_str())
                        .unwrap_or(serde_json::Value::Null),
                })
            })
            .collect(),
    }
}

// ---- host capabilities -------------------------------------------------------------------

/// Adapts the host's [`Capabilities`] to the ABI trait object. Runs in the host's code, called
/// by plugins; a panic here must not unwind into the plugin, so every call is caught.
#[derive(Clone)]
struct CapabilitiesObj(Arc<dyn Capabilities>);

impl HostObj for CapabilitiesObj {
    fn http(&self, request: AbiHttpRequest) -> RResult<AbiHttpResponse, AbiHttpError> {
        let request = match request_from_abi(request) {
            Ok(request) => request,
            Err(error) => return RResult::RErr(http_error_to_abi(error)),
        };
        match catch_unwind(AssertUnwindSafe(|| self.0.http(request))) {
            Ok(Ok(response)) => RResult::ROk(response_to_abi(response)),
            Ok(Err(error)) => RResult::RErr(http_error_to_abi(error)),
            Err(_) => RResult::RErr(http_error_to_abi(HttpError::new(
                HttpErrorKind::Other,
                "the host's HTTP client panicked",
            ))),
        }
    }

    fn log(&self, level: u8, message: RStr<'_>) {
        let _ = catch_unwind(AssertUnwindSafe(|| {
            self.0.log(LogLevel::from_code(level), message.as_str())
        }));
    }

    fn now_unix_ms(&self) -> i64 {
        catch_unwind(AssertUnwindSafe(|| time_to_ms(self.0.now())))
            .unwrap_or_else(|_| time_to_ms(SystemTime::now()))
    }
}

pub(crate) fn host_box(capabilities: Arc<dyn Capabilities>) -> HostBox {
    HostObj_TO::from_ptr(RArc::new(CapabilitiesObj(capabilities)), TD_Opaque)
}

pub(crate) fn host_http(host: &HostBox, request: HttpRequest) -> Result<HttpResponse, HttpError> {
    match host.http(request_to_abi(request)) {
        RResult::ROk(response) => Ok(response_from_abi(response)),
        RResult::RErr(error) => Err(http_error_from_abi(error)),
    }
}

pub(crate) fn host_log(host: &HostBox, level: LogLevel, message: &str) {
    host.log(level.to_code(), RStr::from_str(message));
}

pub(crate) fn host_now(host: &HostBox) -> SystemTime {
    time_from_ms(host.now_unix_ms())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips_losslessly() {
        let mut r = Record::new("20240311084512345A1B2C3D4E5F60718293A4B5C6D7E8F90");
        r.time = Some(UNIX_EPOCH + Duration::from_millis(1_710_146_712_000));
        r.fields.push("Who", "CORP\\jdoe");
        r.fields.push("Workstation", "");
        r.fields.push("MonitoringPlan.Name", "HQ Directory");
        r.details.push(Detail::new("member").after("CORP\\mallory"));
        r.details
            .push(Detail::new("description").before("").message("cleared"));
        assert_eq!(record_from_abi(record_to_abi(r.clone())), r);
    }

    #[test]
    fn actions_and_outcomes_round_trip() {
        let actions = vec![
            TicketAction::Create {
                correlation: Correlation {
                    id: "k".into(),
                    display: "d".into(),
                },
                fields: [("short_description", "x")].into_iter().collect(),
            },
            TicketAction::AddNote {
                ticket: "t".into(),
                journal: Journal::Comments,
                text: "n".into(),
            },
            TicketAction::ChangeState {
                ticket: "t".into(),
                change: StateChange::set("1").only_from(["6", "7"]),
            },
            TicketAction::ChangeState {
                ticket: "t".into(),
                change: StateChange::Resolve {
                    close_code: "Solved (Permanently)".into(),
                    close_notes: "n".into(),
                },
            },
            TicketAction::ChangeState {
                ticket: "t".into(),
                change: StateChange::Reopen,
            },
            TicketAction::Attach {
                ticket: "t".into(),
                file_name: "f.txt".into(),
                content_type: "text/plain".into(),
                content: b"abc".to_vec(),
            },
        ];
        // Through the same slot, again and again, as batches do.
        let mut slot = AbiAction_NE::new(AbiAction::Vacant);
        for a in actions {
            put_action(&mut slot, a.clone());
            assert_eq!(take_action(&mut slot).unwrap(), a);
            assert!(matches!(slot.as_enum(), Ok(AbiAction::Vacant)));
        }
        assert!(
            take_action(&mut slot).is_err(),
            "a vacant slot is no action"
        );
        let outcomes = vec![
            ActionOutcome::Done(Ticket {
                id: "sys".into(),
                number: "INC0010042".into(),
                link: "https://x/incident.do?sys_id=sys".into(),
                state: "1".into(),
                fields: [("urgency", "1"), ("work_notes", "ü")]
                    .into_iter()
                    .collect(),
                display: [("urgency", "1 - High")].into_iter().collect(),
            }),
            ActionOutcome::NotFound,
            ActionOutcome::Unchanged(Ticket {
                state: "2".into(),
                ..Ticket::default()
            }),
            ActionOutcome::Retry {
                reason: "429".into(),
                retry_after: Some(Duration::from_secs(3)),
            },
            ActionOutcome::Failed(PluginError::rejected("no").at("x")),
            ActionOutcome::in_doubt("no answer"),
        ];
        let mut slot = AbiOutcome_NE::new(AbiOutcome::Vacant);
        for o in outcomes {
            put_outcome(&mut slot, o.clone());
            assert_eq!(take_outcome(&mut slot), o);
            assert!(matches!(slot.as_enum(), Ok(AbiOutcome::Vacant)));
        }
        assert!(
            matches!(take_outcome(&mut slot), ActionOutcome::Failed(e) if e.kind() == ErrorKind::Internal),
            "a vacant slot means the sink gave no outcome"
        );
    }

    #[test]
    fn negative_times_survive() {
        let t = UNIX_EPOCH - Duration::from_millis(1500);
        assert_eq!(time_from_ms(time_to_ms(t)), t);
    }
}
