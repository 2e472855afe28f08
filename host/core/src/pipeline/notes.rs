//! What consolidated updates and flood tickets say: the note, the attachment of activity
//! records (`display_only_first_activity_record`), the flood ticket's fields.

use sluice_sdk::{Fields, Record};

use super::mapping::{summary_line, AlertContext, TicketTemplate, JOURNALS};
use crate::config::SuppressionSettings;
use crate::state::alerts::AlertRow;
use crate::state::ActionId;
use crate::time::Timestamp;

/// An alert with its record and definition, ready to render.
#[derive(Debug, Clone)]
pub struct LoadedAlert {
    /// The stored alert.
    pub row: AlertRow,
    /// Its record, if known.
    pub record: Option<Record>,
    /// Its definition's description ("" if none).
    pub description: String,
}

impl LoadedAlert {
    /// The placeholder context of this alert.
    pub fn context<'a>(&'a self, computer: &'a str) -> AlertContext<'a> {
        AlertContext {
            name: &self.row.alert_name,
            description: &self.description,
            alert_id: self.row.auditor_alert_id.as_deref(),
            record_id: self.row.record_id.as_deref(),
            record: self.record.as_ref(),
            computer,
        }
    }

    fn when(&self) -> String {
        self.record
            .as_ref()
            .and_then(|r| r.field("When"))
            .map(str::to_owned)
            .unwrap_or_else(|| format_time(self.row.received_at))
    }
}

/// `2024-03-11T08:45:12Z`.
pub fn format_time(time: Timestamp) -> String {
    jiff::Timestamp::from_millisecond(time.as_millis())
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The note of a consolidated update of an alert ticket: how many repeats, when, and either
/// where the records are (attached) or the records themselves.
pub fn update_note(
    template: &TicketTemplate,
    alerts: &[LoadedAlert],
    total: u64,
    attachment: Option<&str>,
    computer: &str,
) -> String {
    let (Some(first), Some(last)) = (alerts.first(), alerts.last()) else {
        return String::new();
    };
    let mut note = format!(
        "The alert \"{}\" repeated: {} from {} to {}.",
        first.row.alert_name,
        plural(total, "more occurrence", "more occurrences"),
        first.when(),
        last.when()
    );
    match attachment {
        Some(file) => note.push_str(&format!(" The activity records are attached ({file}).")),
        None => {
            for alert in alerts {
                note.push_str("\n\n");
                note.push_str(&template.render_details(&alert.context(computer)));
            }
            if total > alerts.len() as u64 {
                note.push_str(&format!(
                    "\n\n(The first {} are shown; {} more are in the state store.)",
                    alerts.len(),
                    total - alerts.len() as u64
                ));
            }
        }
    }
    note
}

/// The attachment listing an update's activity records: file name and text.
pub fn records_attachment(
    template: &TicketTemplate,
    action_id: ActionId,
    alerts: &[LoadedAlert],
    total: u64,
    computer: &str,
) -> (String, Vec<u8>) {
    let name = format!("activity-records-{action_id}.txt");
    let mut text = format!(
        "{} of the alert \"{}\"\n",
        plural(total, "activity record", "activity records"),
        alerts
            .first()
            .map(|a| a.row.alert_name.as_str())
            .unwrap_or_default()
    );
    for alert in alerts {
        text.push_str("\n----\n");
        text.push_str(&template.render_details(&alert.context(computer)));
        text.push('\n');
    }
    if total > alerts.len() as u64 {
        text.push_str(&format!(
            "\n({} more not listed.)\n",
            total - alerts.len() as u64
        ));
    }
    (name, text.into_bytes())
}

/// Appends the other records of a threshold alert to the journal fields of its new ticket
/// (when records are not attached: `display_only_first_activity_record = false`).
pub fn append_burst(
    template: &TicketTemplate,
    fields: &mut Fields,
    burst: &[LoadedAlert],
    computer: &str,
) {
    let mut more = String::new();
    for alert in burst {
        more.push_str("\n\n");
        more.push_str(&template.render_details(&alert.context(computer)));
    }
    for (journal, _) in JOURNALS {
        if let Some(text) = fields.get(journal).map(|t| format!("{t}{more}")) {
            fields.set(journal, text);
        }
    }
}

/// The fields of a flood ticket, opened by `first`: the pipeline's template with the alert
/// name replaced by the flood's title and the description by the list of alerts; no
/// record-specific journal.
pub fn flood_fields(
    template: &TicketTemplate,
    first: &LoadedAlert,
    settings: &SuppressionSettings,
    computer: &str,
) -> Fields {
    let title = format!(
        "Alert flood: over {} new tickets within {}",
        settings.ticket_flood_limit, settings.ticket_flood_interval
    );
    let listing = format!(
        "More than {} new tickets would have opened within {}. Alerts beyond the limit are \
         collected here instead of opening their own tickets:\n{}",
        settings.ticket_flood_limit,
        settings.ticket_flood_interval,
        summary_line(&first.context(computer))
    );
    let context = AlertContext {
        name: &title,
        description: &listing,
        alert_id: None,
        record_id: None,
        record: None,
        computer,
    };
    let mut fields = template.render_open(&context, None);
    fields.remove("work_notes");
    fields.remove("comments");
    fields
}

/// The note of a flood ticket's update: one line per alert.
pub fn flood_note(alerts: &[LoadedAlert], total: u64, computer: &str) -> String {
    let mut note = format!(
        "{} beyond the flood limit:",
        plural(total, "more alert", "more alerts")
    );
    for alert in alerts {
        note.push('\n');
        note.push_str(&summary_line(&alert.context(computer)));
    }
    if total > alerts.len() as u64 {
        note.push_str(&format!(
            "\n({} more not listed.)",
            total - alerts.len() as u64
        ));
    }
    note
}
