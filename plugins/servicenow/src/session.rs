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
use crate::states::States;

/// A sink's connection to one instance, and what it knows of it.
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) config: ServiceNowConfig,
    pub(crate) adapter: &'static Adapter,
    pub(crate) client: Client,
    pub(crate) known: Known,
    /// The instance's state and close-code lists, once `healthcheck` read them.
    pub(crate) instance: Option<Instance>,
    /// The states the actions move tickets to: the configured ones and the table's
    /// defaults, settled by `healthcheck` against the instance's own list.
    pub(crate) states: States,
}

impl Session {
    /// What the planner needs.
    pub(crate) fn rules(&self) -> Rules<'_> {
        Rules {
            reopen_state: &self.states.reopen,
            closed_states: &self.states.closed,
            resolved_state: &self.states.resolved,
            closed_state: &self.states.close,
            default_close_code: self.default_close_code(),
            default_close_notes: &self.config.close_notes,
            hold_reason: self.adapter.hold_reason(),
            close_codes: self.instance.as_ref().map(|i| i.close_codes.as_slice()),
        }
    }

    /// The `close_code` of a resolve or close that names none: as chosen at the healthcheck,
    /// else the configured one, else the release's usual one.
    fn default_close_code(&self) -> &str {
        match &self.instance {
            Some(instance) if !instance.close_code.is_empty() => &instance.close_code,
            _ => self
                .config
                .close_code
                .as_deref()
                .or(self.adapter.era_default_close_code())
                .unwrap_or(""),
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
