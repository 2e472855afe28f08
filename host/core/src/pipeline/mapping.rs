//! Mapping: from an alert and its activity record to a ticket's fields, through the vendor
//! add-on's ticket parameters (`ServiceNowSettings.xml` `TicketParameters`): each ticket field
//! is a template with `%Placeholder%`s for the alert and record.
//!
//! The journal fields (`work_notes`, `comments`) of the ticket template also decide where
//! later updates are written: keep `work_notes` for internal notes, rename it `comments` for
//! notes the caller sees, keep both for both, drop both for neither (as the vendor add-on).

use std::borrow::Cow;
use std::collections::BTreeMap;

use sluice_sdk::{Fields, Journal, Record, Ticket};

use super::template::{Template, UnknownPlaceholder};

/// Every placeholder an alert template may use.
pub const ALERT_PLACEHOLDERS: &[&str] = &[
    "AlertName",
    "AlertDescription",
    "AlertID",
    "RecordID",
    "PreviousTicketReference",
    "Who",
    "Action",
    "ObjectType",
    "What",
    "When",
    "Where",
    "Workstation",
    "Details",
    "DataSource",
    "MonitoringPlanName",
    "Item",
    "Computer",
];

/// The vendor add-on's alert-details layout (its ConnectWise build documents it): one
/// `Label: %Field%` line per field, then a trailer.
pub const ALERT_DETAILS: &str =
    "Alert Details:\nWho: %Who%\nAction: %Action%\nObject type: %ObjectType%\n\
What: %What%\nWhen: %When%\nWhere: %Where%\nWorkstation: %Workstation%\nDetails: %Details%\n\
Data source: %DataSource%\nMonitoring plan: %MonitoringPlanName%\nItem: %Item%\n\n\
Sent by sluice from %Computer%";

/// The vendor add-on's default ticket parameters, except `assignment_group`, whose shipped
/// value is a sys_id from Netwrix's demo instance: set your own group's sys_id.
pub fn default_ticket_fields() -> BTreeMap<String, String> {
    [
        ("short_description", "[Netwrix Auditor] %AlertName%"),
        ("category", "software"),
        ("impact", "1"),
        ("urgency", "1"),
        ("severity", "1"),
        (
            "description",
            "%AlertDescription%\n\n%PreviousTicketReference%",
        ),
        ("work_notes", ALERT_DETAILS),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

pub(super) const JOURNALS: [(&str, Journal); 2] = [
    ("work_notes", Journal::WorkNotes),
    ("comments", Journal::Comments),
];

/// A pipeline's ticket template.
#[derive(Debug, Clone)]
pub struct TicketTemplate {
    fields: BTreeMap<String, Template>,
    correlation: Template,
}

/// A template problem: which field, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// The field (`short_description`), or `correlation_format`.
    pub field: String,
    /// The problem.
    pub error: UnknownPlaceholder,
}

impl TicketTemplate {
    /// Parses `fields` (field → template) and the correlation format.
    pub fn new(
        fields: &BTreeMap<String, String>,
        correlation_format: &str,
    ) -> Result<Self, Vec<TemplateError>> {
        let mut errors = Vec::new();
        let mut parsed = BTreeMap::new();
        for (field, text) in fields {
            match Template::parse(text, Some(ALERT_PLACEHOLDERS)) {
                Ok(t) => {
                    parsed.insert(field.clone(), t);
                }
                Err(error) => errors.push(TemplateError {
                    field: field.clone(),
                    error,
                }),
            }
        }
        // Any field name is valid here: they are the sink's fields, not known in advance.
        let correlation = Template::parse(correlation_format, None).unwrap_or_else(|_| empty());
        if errors.is_empty() {
            Ok(TicketTemplate {
                fields: parsed,
                correlation,
            })
        } else {
            Err(errors)
        }
    }

    /// This template with an alert's own field overrides applied.
    pub fn with_overrides(
        &self,
        overrides: &BTreeMap<String, Template>,
    ) -> Cow<'_, TicketTemplate> {
        if overrides.is_empty() {
            return Cow::Borrowed(self);
        }
        let mut t = self.clone();
        for (field, template) in overrides {
            t.fields.insert(field.clone(), template.clone());
        }
        Cow::Owned(t)
    }

    /// The journals this template writes, and so where updates go.
    pub fn journals(&self) -> Vec<Journal> {
        JOURNALS
            .iter()
            .filter(|(name, _)| self.fields.contains_key(*name))
            .map(|(_, j)| *j)
            .collect()
    }

    /// The template that renders one record's details for notes and attachments: the first
    /// journal field's, or the vendor's layout.
    fn details_template(&self) -> Cow<'_, Template> {
        JOURNALS
            .iter()
            .find_map(|(name, _)| self.fields.get(*name))
            .map(Cow::Borrowed)
            .unwrap_or_else(|| {
                Cow::Owned(Template::parse(ALERT_DETAILS, None).unwrap_or_else(|_| empty()))
            })
    }

    /// The fields of a new ticket for `alert`, correlated with `previous` if given.
    pub fn render_open(&self, alert: &AlertContext<'_>, previous: Option<&Ticket>) -> Fields {
        let reference = previous
            .map(|t| self.render_reference(t))
            .unwrap_or_default();
        let mut fields = Fields::with_capacity(self.fields.len());
        for (name, template) in &self.fields {
            let value = template.render(|p| alert.value(p, &reference));
            fields.set(name.clone(), value.trim_end().to_owned());
        }
        fields
    }

    /// `%PreviousTicketReference%`: the correlation format over the previous ticket's fields,
    /// display values first.
    pub fn render_reference(&self, previous: &Ticket) -> String {
        self.correlation.render(|field| {
            previous
                .display
                .get(field)
                .filter(|v| !v.is_empty())
                .or_else(|| previous.fields.get(field))
                .or(match field {
                    "number" => Some(previous.number.as_str()),
                    "state" => Some(previous.state.as_str()),
                    _ => None,
                })
                .map(|v| Cow::Owned(v.to_owned()))
        })
    }

    /// One record's details, as notes and attachments list it.
    pub fn render_details(&self, alert: &AlertContext<'_>) -> String {
        self.details_template()
            .render(|p| alert.value(p, ""))
            .trim_end()
            .to_owned()
    }
}

/// Templates parsed with `None` accept every name, so they never fail; this is the value to
/// use if that ever changed.
fn empty() -> Template {
    Template::literal("")
}

/// What the placeholders of one alert render from.
#[derive(Debug, Clone, Copy)]
pub struct AlertContext<'a> {
    /// The alert's name.
    pub name: &'a str,
    /// Its description.
    pub description: &'a str,
    /// Auditor's alert id.
    pub alert_id: Option<&'a str>,
    /// The record id asked for.
    pub record_id: Option<&'a str>,
    /// The activity record, when it could be fetched.
    pub record: Option<&'a Record>,
    /// The machine sluice runs on.
    pub computer: &'a str,
}

impl<'a> AlertContext<'a> {
    fn value(&self, placeholder: &str, reference: &str) -> Option<Cow<'a, str>> {
        let field = |name: &str| -> Option<Cow<'a, str>> {
            self.record
                .and_then(|r| r.field(name))
                .map(|v| Cow::Owned(v.to_owned()))
        };
        match placeholder {
            "AlertName" => Some(Cow::Borrowed(self.name)),
            "AlertDescription" => Some(Cow::Borrowed(self.description)),
            "AlertID" => self.alert_id.map(Cow::Borrowed),
            "RecordID" => self
                .record
                .map(|r| Cow::Owned(r.id.clone()))
                .or(self.record_id.map(Cow::Borrowed)),
            "PreviousTicketReference" => Some(Cow::Owned(reference.to_owned())),
            "MonitoringPlanName" => field("MonitoringPlan.Name"),
            "Item" => field("Item.Name"),
            "Computer" => Some(Cow::Borrowed(self.computer)),
            "Details" => self.record.map(|r| Cow::Owned(render_detail_list(r))),
            "Who" | "Action" | "ObjectType" | "What" | "When" | "Where" | "Workstation"
            | "DataSource" => match (self.record, placeholder) {
                (None, "What") => self
                    .record_id
                    .map(|id| Cow::Owned(format!("(activity record {id} could not be retrieved)"))),
                _ => field(placeholder),
            },
            _ => None,
        }
    }
}

/// A record's DetailList, one change per line: `Member: (none) -> CORP\mallory`.
pub fn render_detail_list(record: &Record) -> String {
    record
        .details
        .iter()
        .map(|d| {
            let mut line = d.property.clone();
            match (&d.before, &d.after) {
                (None, None) => {}
                (before, after) => line.push_str(&format!(
                    ": {} -> {}",
                    before
                        .as_deref()
                        .filter(|s| !s.is_empty())
                        .unwrap_or("(none)"),
                    after
                        .as_deref()
                        .filter(|s| !s.is_empty())
                        .unwrap_or("(none)")
                )),
            }
            if let Some(m) = d.message.as_deref().filter(|m| !m.is_empty()) {
                line.push_str(&format!(" ({m})"));
            }
            line
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// One line about an alert, for flood tickets and update summaries.
pub fn summary_line(alert: &AlertContext<'_>) -> String {
    let r = alert.record;
    let f = |name: &str| r.and_then(|r| r.field(name)).unwrap_or("?");
    format!(
        "{}  {}: {} {} {} on {}",
        r.and_then(|r| r.field("When")).unwrap_or(""),
        alert.name,
        f("Who"),
        f("Action"),
        f("What"),
        f("Where")
    )
    .trim_start()
    .to_owned()
}

/// The name of the machine sluice runs on (`%Computer%`).
pub fn computer_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "sluice".to_owned())
}

#[cfg(test)]
mod tests {
    use sluice_sdk::Detail;

    use super::*;
    use crate::config::default_correlation_format;

    fn record() -> Record {
        let mut r = Record::new("rid-1");
        for (k, v) in [
            ("Who", "CORP\\jdoe"),
            ("Action", "Modified"),
            ("ObjectType", "group"),
            ("What", "\\local\\corp\\Users\\Domain Admins"),
            ("When", "2024-03-11T08:45:12Z"),
            ("Where", "dc01.corp.local"),
            ("DataSource", "Active Directory"),
            ("MonitoringPlan.Name", "AD Monitoring"),
            ("Item.Name", "corp.local (Domain)"),
        ] {
            r.fields.push(k, v);
        }
        r.details.push(
            Detail::new("Member")
                .after("CORP\\mallory")
                .message("Added: CORP\\mallory"),
        );
        r
    }

    fn context(r: &Record) -> AlertContext<'_> {
        AlertContext {
            name: "ITSM Add-On: Member Added to Privileged Group",
            description: "Someone joined Domain Admins.",
            alert_id: Some("{A1}"),
            record_id: Some("rid-1"),
            record: Some(r),
            computer: "auditor01",
        }
    }

    #[test]
    fn vendor_defaults_render_the_alert_and_its_record() {
        let t =
            TicketTemplate::new(&default_ticket_fields(), &default_correlation_format()).unwrap();
        let r = record();
        let fields = t.render_open(&context(&r), None);
        assert_eq!(
            fields.get("short_description"),
            Some("[Netwrix Auditor] ITSM Add-On: Member Added to Privileged Group")
        );
        assert_eq!(fields.get("impact"), Some("1"));
        assert_eq!(
            fields.get("description"),
            Some("Someone joined Domain Admins.")
        );
        let notes = fields.get("work_notes").unwrap();
        assert!(
            notes.starts_with("Alert Details:\nWho: CORP\\jdoe\nAction: Modified\n"),
            "{notes}"
        );
        assert!(
            notes.contains("Details: Member: (none) -> CORP\\mallory (Added: CORP\\mallory)"),
            "{notes}"
        );
        assert!(
            notes.contains("Monitoring plan: AD Monitoring\nItem: corp.local (Domain)"),
            "{notes}"
        );
        assert!(notes.ends_with("Sent by sluice from auditor01"), "{notes}");
        assert_eq!(t.journals(), vec![Journal::WorkNotes]);
    }

    #[test]
    fn correlation_reference_uses_the_previous_tickets_display_values() {
        let t =
            TicketTemplate::new(&default_ticket_fields(), &default_correlation_format()).unwrap();
        let previous = Ticket {
            number: "INC0010042".into(),
            state: "7".into(),
            fields: [
                ("assignment_group", "d625dcce"),
                ("opened_at", "2024-03-10 08:00:00"),
            ]
            .into_iter()
            .collect(),
            display: [
                ("assignment_group", "Service Desk"),
                ("state", "Closed"),
                ("assigned_to", ""),
            ]
            .into_iter()
            .collect(),
            ..Ticket::default()
        };
        let r = record();
        let fields = t.render_open(&context(&r), Some(&previous));
        assert_eq!(
            fields.get("description"),
            Some("Someone joined Domain Admins.\n\nPrevious incident for the same alert type:\nNumber: INC0010042\n\
                  Opened: 2024-03-10 08:00:00\nAssigned to: \nAssignment group: Service Desk\nState: Closed")
        );
    }

    #[test]
    fn overrides_and_journal_choice() {
        let mut fields = default_ticket_fields();
        let notes = fields.remove("work_notes").unwrap();
        fields.insert("comments".into(), notes);
        let t = TicketTemplate::new(&fields, "").unwrap();
        assert_eq!(t.journals(), vec![Journal::Comments]);
        let overrides = [("urgency".to_owned(), Template::parse("3", None).unwrap())]
            .into_iter()
            .collect();
        let r = record();
        let rendered = t.with_overrides(&overrides).render_open(&context(&r), None);
        assert_eq!(rendered.get("urgency"), Some("3"));

        let mut bad = default_ticket_fields();
        bad.insert("short_description".into(), "%Alertname%".into());
        let errors = TicketTemplate::new(&bad, "").unwrap_err();
        assert_eq!(errors[0].field, "short_description");
    }

    #[test]
    fn a_missing_record_is_said_so() {
        let t = TicketTemplate::new(&default_ticket_fields(), "").unwrap();
        let r = record();
        let ctx = AlertContext {
            record: None,
            ..context(&r)
        };
        let notes = t
            .render_open(&ctx, None)
            .get("work_notes")
            .unwrap()
            .to_owned();
        assert!(
            notes.contains("What: (activity record rid-1 could not be retrieved)"),
            "{notes}"
        );
    }
}
