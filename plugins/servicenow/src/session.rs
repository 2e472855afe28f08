//! What a built sink works with: its config, its release's adapter, the HTTP client, the last
//! state seen per ticket and the instance's lists. The actions (`actions/`) run against a
//! [`Session`]; the [`Sink`](sluice_sdk::Sink) implementation (`sink.rs`) builds one and hands
//! it the host's batches.

use crate::adapter::Adapter;
use crate::client::Client;
use crate::config::ServiceNowConfig;
use crate::instance::Instance;
use crate::known::Known;
use crate::plan::Rules;

/// A sink's connection to one instance, and what it knows of it.
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) config: ServiceNowConfig,
    pub(crate) adapter: &'static dyn Adapter,
    pub(crate) client: Client,
    pub(crate) known: Known,
    /// The instance's state and close-code lists, once `healthcheck` read them.
    pub(crate) instance: Option<Instance>,
}

impl Session {
    /// What the planner needs.
    pub(crate) fn rules(&self) -> Rules<'_> {
        Rules {
            reopen_state: &self.config.reopen_state,
            closed_states: &self.config.closed_states,
            resolved_state: &self.config.resolved_state,
            closed_state: &self.config.closed_state,
            default_close_code: &self.config.close_code,
            default_close_notes: &self.config.close_notes,
            hold_reason: self.adapter.hold_reason(),
            close_codes: self.instance.as_ref().map(|i| i.close_codes.as_slice()),
        }
    }

    /// `/api/now/v2/table/<table>`.
    pub(crate) fn table_path(&self) -> String {
        format!("{}/{}", self.adapter.table_api().path(), self.config.table)
    }

    /// `/api/now/v2/table/<table>/<sys_id>`.
    pub(crate) fn record_path(&self, sys_id: &str) -> String {
        format!("{}/{sys_id}", self.table_path())
    }

    /// The display name of a ticket in messages: its number if known, else its sys_id.
    pub(crate) fn name_of(&self, sys_id: &str) -> String {
        match self.known.get(sys_id).filter(|s| !s.number.is_empty()) {
            Some(seen) => format!("{} {} ({sys_id})", self.config.table, seen.number),
            None => format!("{} {sys_id}", self.config.table),
        }
    }
}
