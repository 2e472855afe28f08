//! `ITSMSettings.xml`: its parameters, their kinds and groups, and the lenient reader.

use super::*;

/// Every `ITSMSettings.xml` parameter the add-on documents, plus the
/// `ReopenTicketOnRepetitiveAlerts` the ServiceNow page folded into another row and the
/// ConnectWise page documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ItsmParam {
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
    pub(crate) fn name(self) -> String {
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

    /// The add-on's default, as its documentation gives it.
    pub(crate) fn default_text(self) -> &'static str {
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

/// `ITSMSettings.xml`.
#[derive(Debug, Default)]
pub(crate) struct ItsmSettings {
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
    pub(crate) fn has(&self, param: ItsmParam) -> bool {
        self.get(param).is_some()
    }

    /// A text parameter's value and place, if the file has it.
    pub(crate) fn text(&self, param: ItsmParam) -> Option<(&str, &At)> {
        match self.get(param)? {
            (Value::Text(t), at) => Some((t.as_str(), at)),
            _ => None,
        }
    }

    /// A count or seconds parameter's value and place, if the file has it.
    pub(crate) fn number(&self, param: ItsmParam) -> Option<(u64, &At)> {
        match self.get(param)? {
            (Value::Number(n), at) => Some((*n, at)),
            _ => None,
        }
    }

    /// A flag parameter's value and place, if the file has it.
    pub(crate) fn flag(&self, param: ItsmParam) -> Option<(bool, &At)> {
        match self.get(param)? {
            (Value::Flag(f), at) => Some((*f, at)),
            _ => None,
        }
    }
}

/// Reads `ITSMSettings.xml` from its root element. `file` names the file in messages.
pub(crate) fn read_itsm(root: &Element, file: &str) -> Result<(ItsmSettings, Vec<Note>), String> {
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
            "not a setting the add-on documents".to_owned()
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

/// Whether `root` holds `ITSMSettings.xml` parameters.
pub(crate) fn looks_like_itsm(root: &Element) -> bool {
    let names: Vec<&str> = ItsmParam::ALL
        .iter()
        .filter(|p| p.group().is_none())
        .map(|p| p.element())
        .chain(GROUPS)
        .collect();
    has_any(root, &names)
}
