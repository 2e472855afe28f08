//! The vendor add-on's two settings files as values: `ITSMSettings.xml` (netwrix reference
//! §4.2) and `ServiceNowSettings.xml` (§4.3).
//!
//! The shipped files were never published; only their element names were (§4.6 reconstructs
//! a skeleton and says its root names and nesting are guesses). So reading is lenient: the
//! root's name is ignored, names match in any case, a setting is accepted at any depth, an
//! unknown wrapper element is looked into, and the three request groups of `ITSMSettings.xml`
//! decide which `RequestLimit` is which. Strict where the add-on was: a number or a flag that
//! does not read as one is an error naming file, line and element.
//!
//! What was found but means nothing here (an unknown element, a setting given twice) becomes a
//! report [`Note`].

use super::report::{At, Note, Verdict};
use super::xml::Element;

/// How a setting's text is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Text, trimmed.
    Text,
    /// Text kept exactly (a password may begin or end with a space).
    Exact,
    /// A whole number of things, at most the given value.
    Count(u64),
    /// A whole number of seconds.
    Seconds,
    /// `true` or `false` (`1`/`0` too, as .NET's XML reader takes them).
    Flag,
}

/// The largest count a TOML integer holds.
const TOML_MAX: u64 = i64::MAX as u64;

/// Every `ITSMSettings.xml` parameter of the reference (§4.2), plus the
/// `ReopenTicketOnRepetitiveAlerts` the ServiceNow page folded into another row and the
/// ConnectWise page documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ItsmParam {
    NetwrixAuditorHost,
    NetwrixAuditorUserName,
    NetwrixAuditorPassword,
    TicketFloodLimit,
    TicketFloodInterval,
    ConsolidationInterval,
    CheckAlertQueueInterval,
    UpdateTicketOnRepetitiveAlerts,
    ReopenTicketOnRepetitiveAlerts,
    UpdateInterval,
    EnableTicketCorrelation,
    CorrelationInterval,
    ProcessActivityRecordQueueInterval,
    DisplayOnlyFirstActivityRecord,
    RecordRequestsLimit,
    RecordRequestsInterval,
    WebRequestLimit,
    WebRequestTimeout,
    TicketRequestsLimit,
    TicketRequestsInterval,
}

const RECORD_REQUESTS: &str = "ActivityRecordRequestsRetention";
const WEB_REQUESTS: &str = "ActivityRecordWebRequests";
const TICKET_REQUESTS: &str = "TicketRequestsRetention";
const GROUPS: [&str; 3] = [RECORD_REQUESTS, WEB_REQUESTS, TICKET_REQUESTS];

impl ItsmParam {
    const ALL: [ItsmParam; 20] = {
        use ItsmParam::*;
        [
            NetwrixAuditorHost,
            NetwrixAuditorUserName,
            NetwrixAuditorPassword,
            TicketFloodLimit,
            TicketFloodInterval,
            ConsolidationInterval,
            CheckAlertQueueInterval,
            UpdateTicketOnRepetitiveAlerts,
            ReopenTicketOnRepetitiveAlerts,
            UpdateInterval,
            EnableTicketCorrelation,
            CorrelationInterval,
            ProcessActivityRecordQueueInterval,
            DisplayOnlyFirstActivityRecord,
            RecordRequestsLimit,
            RecordRequestsInterval,
            WebRequestLimit,
            WebRequestTimeout,
            TicketRequestsLimit,
            TicketRequestsInterval,
        ]
    };

    /// The request group it sits in, if any.
    fn group(self) -> Option<&'static str> {
        use ItsmParam::*;
        match self {
            RecordRequestsLimit | RecordRequestsInterval => Some(RECORD_REQUESTS),
            WebRequestLimit | WebRequestTimeout => Some(WEB_REQUESTS),
            TicketRequestsLimit | TicketRequestsInterval => Some(TICKET_REQUESTS),
            _ => None,
        }
    }

    /// The element name.
    fn element(self) -> &'static str {
        use ItsmParam::*;
        match self {
            NetwrixAuditorHost => "NetwrixAuditorHost",
            NetwrixAuditorUserName => "NetwrixAuditorUserName",
            NetwrixAuditorPassword => "NetwrixAuditorPassword",
            TicketFloodLimit => "TicketFloodLimit",
            TicketFloodInterval => "TicketFloodInterval",
            ConsolidationInterval => "ConsolidationInterval",
            CheckAlertQueueInterval => "CheckAlertQueueInterval",
            UpdateTicketOnRepetitiveAlerts => "UpdateTicketOnRepetitiveAlerts",
            ReopenTicketOnRepetitiveAlerts => "ReopenTicketOnRepetitiveAlerts",
            UpdateInterval => "UpdateInterval",
            EnableTicketCorrelation => "EnableTicketCorrelation",
            CorrelationInterval => "CorrelationInterval",
            ProcessActivityRecordQueueInterval => "ProcessActivityRecordQueueInterval",
            DisplayOnlyFirstActivityRecord => "DisplayOnlyFirstActivityRecord",
            RecordRequestsLimit | WebRequestLimit | TicketRequestsLimit => "RequestLimit",
            RecordRequestsInterval | TicketRequestsInterval => "RequestLimitInterval",
            WebRequestTimeout => "RequestTimeout",
        }
    }

    /// The name the report uses: `Group/Element` for the grouped ones.
    pub(super) fn name(self) -> String {
        match self.group() {
            Some(group) => format!("{group}/{}", self.element()),
            None => self.element().to_owned(),
        }
    }

    fn kind(self) -> Kind {
        use ItsmParam::*;
        match self {
            NetwrixAuditorHost | NetwrixAuditorUserName => Kind::Text,
            NetwrixAuditorPassword => Kind::Exact,
            TicketFloodLimit => Kind::Count(u64::from(u32::MAX)),
            RecordRequestsLimit | WebRequestLimit | TicketRequestsLimit => Kind::Count(TOML_MAX),
            UpdateTicketOnRepetitiveAlerts
            | ReopenTicketOnRepetitiveAlerts
            | EnableTicketCorrelation
            | DisplayOnlyFirstActivityRecord => Kind::Flag,
            _ => Kind::Seconds,
        }
    }

    /// The add-on's default, as the reference gives it (§4.2).
    pub(super) fn default_text(self) -> &'static str {
        use ItsmParam::*;
        match self {
            NetwrixAuditorHost => "localhost:9699",
            NetwrixAuditorUserName => "the service account",
            NetwrixAuditorPassword => "none",
            TicketFloodLimit => "10",
            TicketFloodInterval => "3600",
            ConsolidationInterval => "900",
            CheckAlertQueueInterval | ProcessActivityRecordQueueInterval => "5",
            UpdateTicketOnRepetitiveAlerts
            | ReopenTicketOnRepetitiveAlerts
            | EnableTicketCorrelation
            | DisplayOnlyFirstActivityRecord => "true",
            UpdateInterval => "86400",
            CorrelationInterval => "2592000",
            RecordRequestsLimit => "5000",
            RecordRequestsInterval | TicketRequestsInterval => "604800",
            WebRequestLimit => "200",
            WebRequestTimeout => "180",
            TicketRequestsLimit => "300000",
        }
    }

    /// The parameter element `name` stands for inside `group` (a top-level parameter counts
    /// at any depth).
    fn find(group: Option<&str>, name: &str) -> Option<ItsmParam> {
        let named = |p: &&ItsmParam| p.element().eq_ignore_ascii_case(name);
        Self::ALL
            .iter()
            .filter(named)
            .find(|p| p.group().is_some() && p.group() == group)
            .or_else(|| Self::ALL.iter().filter(named).find(|p| p.group().is_none()))
            .copied()
    }
}

/// A value read from a file, typed by its parameter's kind.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Text(String),
    Number(u64),
    Flag(bool),
}

/// `ITSMSettings.xml`.
#[derive(Debug, Default)]
pub(super) struct ItsmSettings {
    values: Vec<(ItsmParam, Value, At)>,
}

impl ItsmSettings {
    fn get(&self, param: ItsmParam) -> Option<(&Value, &At)> {
        self.values
            .iter()
            .rev()
            .find(|(p, _, _)| *p == param)
            .map(|(_, v, at)| (v, at))
    }

    /// Whether the file has `param`.
    pub(super) fn has(&self, param: ItsmParam) -> bool {
        self.get(param).is_some()
    }

    /// A text parameter's value and place, if the file has it.
    pub(super) fn text(&self, param: ItsmParam) -> Option<(&str, &At)> {
        match self.get(param)? {
            (Value::Text(t), at) => Some((t.as_str(), at)),
            _ => None,
        }
    }

    /// A count or seconds parameter's value and place, if the file has it.
    pub(super) fn number(&self, param: ItsmParam) -> Option<(u64, &At)> {
        match self.get(param)? {
            (Value::Number(n), at) => Some((*n, at)),
            _ => None,
        }
    }

    /// A flag parameter's value and place, if the file has it.
    pub(super) fn flag(&self, param: ItsmParam) -> Option<(bool, &At)> {
        match self.get(param)? {
            (Value::Flag(f), at) => Some((*f, at)),
            _ => None,
        }
    }
}

/// One `<TicketParameter>`: a ServiceNow field and its template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TicketParameter {
    pub(super) name: String,
    pub(super) value: String,
    pub(super) at: At,
}

/// A value with the place it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Setting<T> {
    pub(super) value: T,
    pub(super) at: At,
}

/// `ServiceNowSettings.xml`.
#[derive(Debug, Default)]
pub(super) struct ServiceNowSettings {
    /// `Connection/URL`.
    pub(super) url: Option<Setting<String>>,
    /// `Connection/UserName`.
    pub(super) user_name: Option<Setting<String>>,
    /// `Connection/Password`, exactly as written.
    pub(super) password: Option<Setting<String>>,
    /// `TicketParameters`, in file order; `None` when the file has no such element.
    pub(super) ticket_parameters: Option<Setting<Vec<TicketParameter>>>,
    /// `CorrelationTicketFormat`, exactly as written.
    pub(super) correlation_format: Option<Setting<String>>,
    /// `ReopenTicketOptions/ClosedTicketStates`, each `TicketState`.
    pub(super) closed_states: Option<Setting<Vec<String>>>,
    /// `ReopenTicketOptions/NewState`.
    pub(super) new_state: Option<Setting<String>>,
    /// ConnectWise-only (§4.3): `IgnoreUploadAttachmentError`.
    pub(super) ignore_upload_attachment_error: Option<Setting<bool>>,
    /// ConnectWise-only: `EnableTls12`.
    pub(super) enable_tls12: Option<Setting<bool>>,
    /// ConnectWise-only: `TicketParameterRefs`, summarized (`company (id = 42)`).
    pub(super) ticket_parameter_refs: Option<Setting<String>>,
}

fn at(file: &str, element: &Element) -> At {
    At {
        file: file.to_owned(),
        line: element.line,
        column: element.column,
    }
}

fn value_error(file: &str, element: &Element, message: String) -> String {
    format!(
        "{}:{}:{}: <{}> {message}",
        file, element.line, element.column, element.name
    )
}

/// The text of a setting's element; an element inside it is an error (the add-on's reader
/// would refuse it too), named without its content, which may be part of a password.
fn value_of<'e>(file: &str, element: &'e Element) -> Result<&'e str, String> {
    if element.children.is_empty() {
        Ok(&element.text)
    } else {
        Err(value_error(
            file,
            element,
            "holds an element where a value belongs; write a `<` in a value as &lt;".to_owned(),
        ))
    }
}

/// Reads `text` as `kind`; the error says what the element should hold.
fn typed(kind: Kind, text: &str, default: &str) -> Result<Value, String> {
    let trimmed = text.trim();
    let number = || -> Result<u64, String> {
        if trimmed.is_empty() || !trimmed.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!("is {trimmed:?}, not a whole number"));
        }
        trimmed
            .parse::<u64>()
            .map_err(|_| format!("is {trimmed}, too large"))
    };
    match kind {
        Kind::Text => Ok(Value::Text(trimmed.to_owned())),
        Kind::Exact => Ok(Value::Text(text.to_owned())),
        Kind::Count(max) => match number() {
            Ok(n) if n <= max => Ok(Value::Number(n)),
            Ok(n) => Err(format!("is {n}, more than the most sluice takes ({max})")),
            Err(e) => Err(format!("{e}; the add-on's default is {default}")),
        },
        Kind::Seconds => number()
            .map(Value::Number)
            .map_err(|e| format!("{e} of seconds; the add-on's default is {default}")),
        Kind::Flag => match trimmed.to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(Value::Flag(true)),
            "false" | "0" => Ok(Value::Flag(false)),
            _ => Err(format!(
                "is {trimmed:?}, not true or false; the add-on's default is {default}"
            )),
        },
    }
}

/// Reads `ITSMSettings.xml` from its root element. `file` names the file in messages.
pub(super) fn read_itsm(root: &Element, file: &str) -> Result<(ItsmSettings, Vec<Note>), String> {
    let mut found = Vec::new();
    let mut unknown = Vec::new();
    walk_itsm(root, None, &mut found, &mut unknown);
    let mut settings = ItsmSettings::default();
    let mut notes = Vec::new();
    for (param, element) in found {
        let value = typed(param.kind(), value_of(file, element)?, param.default_text())
            .map_err(|m| value_error(file, element, m))?;
        if let Some((_, earlier)) = settings.get(param) {
            notes.push(Note::at(
                earlier,
                param.name(),
                Verdict::Check,
                format!(
                    "set again at line {}; the value there was used",
                    element.line
                ),
            ));
        }
        settings.values.push((param, value, at(file, element)));
    }
    for (path, element) in unknown {
        let grouped = ItsmParam::ALL
            .iter()
            .any(|p| p.group().is_some() && p.element().eq_ignore_ascii_case(&element.name));
        let why = if grouped {
            format!(
                "outside {}, so which limit it is cannot be told",
                GROUPS.join(", ")
            )
        } else {
            "not a setting the add-on documents (netwrix reference §4.2)".to_owned()
        };
        notes.push(Note::at(
            &at(file, element),
            path,
            Verdict::NotCarriedOver,
            format!("{why}; ignored"),
        ));
    }
    Ok((settings, notes))
}

fn walk_itsm<'a>(
    element: &'a Element,
    group: Option<&'static str>,
    found: &mut Vec<(ItsmParam, &'a Element)>,
    unknown: &mut Vec<(String, &'a Element)>,
) {
    for child in &element.children {
        if let Some(g) = GROUPS.iter().find(|g| child.is(g)) {
            walk_itsm(child, Some(g), found, unknown);
        } else if let Some(param) = ItsmParam::find(group, &child.name) {
            found.push((param, child));
        } else if !child.children.is_empty() {
            walk_itsm(child, group, found, unknown);
        } else {
            let path = match group {
                Some(g) => format!("{g}/{}", child.name),
                None => child.name.clone(),
            };
            unknown.push((path, child));
        }
    }
}

/// Whether any element below `root` is named one of `names`.
fn has_any(root: &Element, names: &[&str]) -> bool {
    root.children
        .iter()
        .any(|c| names.iter().any(|n| c.is(n)) || has_any(c, names))
}

/// Whether `root` holds `ITSMSettings.xml` parameters.
pub(super) fn looks_like_itsm(root: &Element) -> bool {
    let names: Vec<&str> = ItsmParam::ALL
        .iter()
        .filter(|p| p.group().is_none())
        .map(|p| p.element())
        .chain(GROUPS)
        .collect();
    has_any(root, &names)
}

/// Whether `root` holds `ServiceNowSettings.xml` elements.
pub(super) fn looks_like_servicenow(root: &Element) -> bool {
    has_any(
        root,
        &[
            "Connection",
            "TicketParameters",
            "CorrelationTicketFormat",
            "ReopenTicketOptions",
        ],
    )
}

/// Reads `ServiceNowSettings.xml` from its root element. `file` names the file in messages.
pub(super) fn read_servicenow(
    root: &Element,
    file: &str,
) -> Result<(ServiceNowSettings, Vec<Note>), String> {
    let mut reader = ServiceNowReader {
        file,
        settings: ServiceNowSettings::default(),
        notes: Vec::new(),
    };
    reader.walk(root, "")?;
    Ok((reader.settings, reader.notes))
}

struct ServiceNowReader<'f> {
    file: &'f str,
    settings: ServiceNowSettings,
    notes: Vec<Note>,
}

impl ServiceNowReader<'_> {
    fn walk(&mut self, element: &Element, path: &str) -> Result<(), String> {
        for child in &element.children {
            let here = if path.is_empty() {
                child.name.clone()
            } else {
                format!("{path}/{}", child.name)
            };
            if child.is("TicketParameters") {
                self.ticket_parameters_at(child);
                for item in &child.children {
                    if item.is("TicketParameter") {
                        self.ticket_parameter(item)?;
                    } else {
                        self.unknown(item, &format!("TicketParameters/{}", item.name));
                    }
                }
            } else if child.is("TicketParameter") {
                self.ticket_parameters_at(child);
                self.ticket_parameter(child)?;
            } else if child.is("TicketParameterRefs") {
                self.settings.ticket_parameter_refs = Some(Setting {
                    value: summarize_refs(child),
                    at: at(self.file, child),
                });
            } else if child.is("ClosedTicketStates") {
                self.closed_states_at(child);
                for item in &child.children {
                    if item.is("TicketState") {
                        self.ticket_state(item)?;
                    } else {
                        self.unknown(item, &format!("ClosedTicketStates/{}", item.name));
                    }
                }
            } else if child.is("TicketState") {
                self.closed_states_at(child);
                self.ticket_state(child)?;
            } else if child.is("URL") {
                let value = value_of(self.file, child)?.trim().to_owned();
                self.set_text(child, "Connection/URL", value, |s| &mut s.url);
            } else if child.is("UserName") {
                let value = value_of(self.file, child)?.trim().to_owned();
                self.set_text(child, "Connection/UserName", value, |s| &mut s.user_name);
            } else if child.is("Password") {
                let value = value_of(self.file, child)?.to_owned();
                self.set_text(child, "Connection/Password", value, |s| &mut s.password);
            } else if child.is("NewState") {
                let value = state(self.file, child)?;
                self.set_text(child, "ReopenTicketOptions/NewState", value, |s| {
                    &mut s.new_state
                });
            } else if child.is("CorrelationTicketFormat") {
                let value = value_of(self.file, child)?.to_owned();
                self.set_text(child, "CorrelationTicketFormat", value, |s| {
                    &mut s.correlation_format
                });
            } else if child.is("IgnoreUploadAttachmentError") {
                let value = self.flag(child, "true")?;
                self.settings.ignore_upload_attachment_error = Some(value);
            } else if child.is("EnableTls12") {
                let value = self.flag(child, "false")?;
                self.settings.enable_tls12 = Some(value);
            } else if !child.children.is_empty() {
                self.walk(child, &here)?;
            } else {
                self.unknown(child, &here);
            }
        }
        Ok(())
    }

    fn set_text(
        &mut self,
        element: &Element,
        name: &str,
        value: String,
        slot: impl Fn(&mut ServiceNowSettings) -> &mut Option<Setting<String>>,
    ) {
        let place = at(self.file, element);
        if let Some(earlier) = slot(&mut self.settings).replace(Setting {
            value,
            at: place.clone(),
        }) {
            self.notes.push(Note::at(
                &earlier.at,
                name,
                Verdict::Check,
                format!("set again at line {}; the value there was used", place.line),
            ));
        }
    }

    fn flag(&self, element: &Element, default: &str) -> Result<Setting<bool>, String> {
        match typed(Kind::Flag, value_of(self.file, element)?, default) {
            Ok(Value::Flag(value)) => Ok(Setting {
                value,
                at: at(self.file, element),
            }),
            Ok(_) => Err(value_error(self.file, element, "is not a flag".to_owned())),
            Err(m) => Err(value_error(self.file, element, m)),
        }
    }

    fn ticket_parameters_at(&mut self, element: &Element) {
        if self.settings.ticket_parameters.is_none() {
            self.settings.ticket_parameters = Some(Setting {
                value: Vec::new(),
                at: at(self.file, element),
            });
        }
    }

    /// `<TicketParameter><Name>…</Name><Value>…</Value></TicketParameter>`; the
    /// `Name="…" Value="…"` attribute form is read too, since the ConnectWise page speaks of
    /// "the Name attribute".
    fn ticket_parameter(&mut self, element: &Element) -> Result<(), String> {
        let name = match element.child("Name") {
            Some(n) => value_of(self.file, n)?.trim().to_owned(),
            None => element
                .attribute("Name")
                .unwrap_or_default()
                .trim()
                .to_owned(),
        };
        let value = match element.child("Value") {
            Some(v) => value_of(self.file, v)?.to_owned(),
            None => element.attribute("Value").unwrap_or_default().to_owned(),
        };
        let place = at(self.file, element);
        if name.is_empty() {
            self.notes.push(Note::at(
                &place,
                "TicketParameters/TicketParameter",
                Verdict::NotCarriedOver,
                "has no Name, so no ServiceNow field to fill; ignored",
            ));
            return Ok(());
        }
        for extra in element
            .children
            .iter()
            .filter(|c| !c.is("Name") && !c.is("Value"))
        {
            self.unknown(extra, &format!("TicketParameters/{name}/{}", extra.name));
        }
        if let Some(list) = &mut self.settings.ticket_parameters {
            list.value.push(TicketParameter {
                name,
                value,
                at: place,
            });
        }
        Ok(())
    }

    fn closed_states_at(&mut self, element: &Element) {
        if self.settings.closed_states.is_none() {
            self.settings.closed_states = Some(Setting {
                value: Vec::new(),
                at: at(self.file, element),
            });
        }
    }

    fn ticket_state(&mut self, element: &Element) -> Result<(), String> {
        let value = state(self.file, element)?;
        if let Some(list) = &mut self.settings.closed_states {
            if !list.value.contains(&value) {
                list.value.push(value);
            }
        }
        Ok(())
    }

    fn unknown(&mut self, element: &Element, path: &str) {
        self.notes.push(Note::at(
            &at(self.file, element),
            path,
            Verdict::NotCarriedOver,
            "not a setting the add-on documents (netwrix reference §4.3); ignored",
        ));
    }
}

/// A ServiceNow state value: an integer, as `sys_choice` stores states.
fn state(file: &str, element: &Element) -> Result<String, String> {
    let text = value_of(file, element)?.trim();
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || digits.len() > 9 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(value_error(
            file,
            element,
            format!(
                "is {text:?}, not a state number; write the state's value, like 6 for Resolved \
                 or 1 for New"
            ),
        ));
    }
    Ok(text.to_owned())
}

/// `company (id = 42), board (id = 1)`.
fn summarize_refs(refs: &Element) -> String {
    let mut parts = Vec::new();
    for r in refs.children.iter().filter(|c| c.is("TicketParameterRef")) {
        let name = r.child("Name").map(|n| n.text.trim()).unwrap_or("?");
        let mut pairs = Vec::new();
        let params = r
            .child("TicketParameters")
            .map(|p| p.children.as_slice())
            .unwrap_or_default();
        for p in params {
            let key = p.child("Name").map(|n| n.text.trim()).unwrap_or("?");
            let value = p.child("Value").map(|v| v.text.trim()).unwrap_or("");
            pairs.push(format!("{key} = {value}"));
        }
        parts.push(format!("{name} ({})", pairs.join(", ")));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::cmd::import_legacy::xml;

    fn root(text: &str) -> Element {
        xml::parse(Path::new("f.xml"), text.as_bytes()).unwrap()
    }

    #[test]
    fn names_match_in_any_case_at_any_depth_and_groups_decide_request_limits() {
        let (s, notes) = read_itsm(
            &root(
                "<Whatever><General><ticketfloodlimit> 7 </ticketfloodlimit></General>\
                 <ActivityRecordWebRequests><RequestLimit>300</RequestLimit></ActivityRecordWebRequests>\
                 <TICKETREQUESTSRETENTION><requestlimit>9</requestlimit></TICKETREQUESTSRETENTION>\
                 <EnableTicketCorrelation>False</EnableTicketCorrelation>\
                 <RequestLimit>1</RequestLimit><Bogus>x</Bogus></Whatever>",
            ),
            "f.xml",
        )
        .unwrap();
        assert_eq!(s.number(ItsmParam::TicketFloodLimit).map(|v| v.0), Some(7));
        assert_eq!(s.number(ItsmParam::WebRequestLimit).map(|v| v.0), Some(300));
        assert_eq!(
            s.number(ItsmParam::TicketRequestsLimit).map(|v| v.0),
            Some(9)
        );
        assert_eq!(s.number(ItsmParam::RecordRequestsLimit), None);
        assert_eq!(
            s.flag(ItsmParam::EnableTicketCorrelation).map(|v| v.0),
            Some(false)
        );
        let settings: Vec<&str> = notes.iter().map(|n| n.setting.as_str()).collect();
        assert_eq!(settings, ["RequestLimit", "Bogus"]);
        assert!(notes[0].message.contains("which limit"), "{}", notes[0]);
    }

    #[test]
    fn bad_numbers_and_flags_name_file_line_and_element() {
        let err = read_itsm(
            &root("<R>\n  <TicketFloodInterval>1h</TicketFloodInterval>\n</R>"),
            "f.xml",
        )
        .unwrap_err();
        assert_eq!(
            err,
            "f.xml:2:3: <TicketFloodInterval> is \"1h\", not a whole number of seconds; the \
             add-on's default is 3600"
        );
        let err = read_itsm(
            &root("<R><DisplayOnlyFirstActivityRecord>yes</DisplayOnlyFirstActivityRecord></R>"),
            "f.xml",
        )
        .unwrap_err();
        assert!(err.contains("not true or false"), "{err}");
        let err = read_itsm(
            &root("<R><TicketFloodLimit>99999999999</TicketFloodLimit></R>"),
            "f.xml",
        )
        .unwrap_err();
        assert!(err.contains("more than"), "{err}");
        let err = read_servicenow(
            &root("<R><ReopenTicketOptions><NewState>New</NewState></ReopenTicketOptions></R>"),
            "f.xml",
        )
        .unwrap_err();
        assert!(
            err.contains("<NewState> is \"New\", not a state number"),
            "{err}"
        );
    }

    #[test]
    fn an_element_inside_a_value_is_refused_without_showing_it() {
        let err = read_itsm(
            &root("<R><NetwrixAuditorPassword>ab<zebra/>cd</NetwrixAuditorPassword></R>"),
            "f.xml",
        )
        .unwrap_err();
        assert_eq!(
            err,
            "f.xml:1:4: <NetwrixAuditorPassword> holds an element where a value belongs; write \
             a `<` in a value as &lt;"
        );
        let err =
            read_servicenow(&root("<S><Password>ab<zebra/></Password></S>"), "f.xml").unwrap_err();
        assert!(!err.contains("zebra"), "{err}");
    }

    #[test]
    fn servicenow_parameters_keep_order_and_refs_are_summarized() {
        let (s, notes) = read_servicenow(
            &root(
                "<S><Connection><URL> https://x </URL><Password> p </Password></Connection>\
                 <TicketParameters>\
                 <TicketParameter><Name>b</Name><Value> 1 </Value></TicketParameter>\
                 <TicketParameter Name=\"a\" Value=\"2\"/>\
                 <TicketParameter><Value>orphan</Value></TicketParameter>\
                 </TicketParameters>\
                 <TicketParameterRefs><TicketParameterRef><Name>company</Name><TicketParameters>\
                 <TicketParameter><Name>id</Name><Value>42</Value></TicketParameter>\
                 </TicketParameters></TicketParameterRef></TicketParameterRefs>\
                 <ReopenTicketOptions><ClosedTicketStates><TicketState>6</TicketState>\
                 <TicketState>6</TicketState><TicketState>7</TicketState></ClosedTicketStates>\
                 </ReopenTicketOptions></S>",
            ),
            "f.xml",
        )
        .unwrap();
        assert_eq!(s.url.unwrap().value, "https://x");
        assert_eq!(s.password.unwrap().value, " p ");
        let params = s.ticket_parameters.unwrap().value;
        let pairs: Vec<(&str, &str)> = params
            .iter()
            .map(|p| (p.name.as_str(), p.value.as_str()))
            .collect();
        assert_eq!(pairs, [("b", " 1 "), ("a", "2")]);
        assert_eq!(s.ticket_parameter_refs.unwrap().value, "company (id = 42)");
        assert_eq!(s.closed_states.unwrap().value, ["6", "7"]);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert_eq!(notes[0].setting, "TicketParameters/TicketParameter");
    }

    #[test]
    fn swapped_files_are_recognised() {
        let itsm = root("<R><TicketFloodLimit>1</TicketFloodLimit></R>");
        let sn = root("<R><Connection><URL>u</URL></Connection></R>");
        assert!(looks_like_itsm(&itsm) && !looks_like_servicenow(&itsm));
        assert!(looks_like_servicenow(&sn) && !looks_like_itsm(&sn));
    }
}
