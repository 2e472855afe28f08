//! The file format: one JSON object per action, and the tickets it describes.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sluice_sdk::{Fields, Ticket};

/// One line of the file.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Line {
    /// When the sink executed the action, by the host's clock (milliseconds since 1970).
    pub unix_ms: i64,
    /// `create`, `update`, `add_note`, `attach`, `change_state`.
    pub action: String,
    /// The ticket's id.
    pub ticket: String,
    /// The ticket's number (set on `create`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// The correlation key (set on `create`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// Fields set by this action, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<(String, String)>,
    /// The state after this action.
    pub state: String,
}

/// The tickets, rebuilt from the lines.
#[derive(Debug, Default)]
pub(crate) struct Tickets {
    pub by_id: HashMap<String, Ticket>,
    pub newest_by_correlation: HashMap<String, String>,
    pub created: u64,
}

impl Tickets {
    /// Applies one line, as written or as read back.
    pub fn apply(&mut self, line: &Line, link_prefix: &str) {
        let ticket = self
            .by_id
            .entry(line.ticket.clone())
            .or_insert_with(|| Ticket {
                id: line.ticket.clone().into(),
                link: format!("{link_prefix}#{}", line.ticket).into(),
                fields: Fields::new(),
                ..Ticket::default()
            });
        if let Some(number) = &line.number {
            ticket.number = number.clone().into();
        }
        for (name, value) in &line.fields {
            ticket.fields.set(name.clone(), value.clone());
        }
        ticket.state = line.state.clone().into();
        if line.action == "create" {
            self.created += 1;
            if let Some(key) = &line.correlation_id {
                self.newest_by_correlation
                    .insert(key.clone(), line.ticket.clone());
            }
        }
    }
}
