//! The `servicenow` sink: the [`Sink`] implementation that ties config, adapter, client and
//! actions together.

use sluice_sdk::{ActionOutcome, Host, PluginError, Sink, TicketAction};

use crate::actions;
use crate::adapter::Adapter;
use crate::client::Client;
use crate::config::ServiceNowConfig;
use crate::instance::{self, Instance};
use crate::known::Known;
use crate::plan::Rules;

/// Creates and updates ServiceNow incidents through the Table and Attachment APIs.
#[derive(Debug)]
pub struct ServiceNow {
    pub(crate) config: ServiceNowConfig,
    pub(crate) adapter: &'static dyn Adapter,
    pub(crate) client: Client,
    pub(crate) known: Known,
    /// The instance's state and close-code lists, once `healthcheck` read them.
    pub(crate) instance: Option<Instance>,
}

impl Sink for ServiceNow {
    const NAME: &'static str = "servicenow";
    const DESCRIPTION: &'static str =
        "Creates, updates, reopens and resolves ServiceNow incidents (Helsinki to London).";
    type Config = ServiceNowConfig;

    fn validate(config: &ServiceNowConfig) -> Result<(), PluginError> {
        config.check()
    }

    fn new(config: ServiceNowConfig, host: Host) -> Result<Self, PluginError> {
        let adapter = config.adapter()?;
        if let Some(why) = adapter.experimental() {
            host.warn(format!(
                "ServiceNow {} support is experimental: {why}.",
                adapter.title()
            ));
        }
        let base = config.base_url();
        let loopback = ["http://127.", "http://localhost", "http://[::1]"]
            .iter()
            .any(|p| base.starts_with(p));
        if base.starts_with("http://") && !loopback {
            host.warn(format!(
                "endpoint {base} is plain HTTP: the password and tickets cross the network \
                 unencrypted. ServiceNow instances speak HTTPS."
            ));
        }
        Ok(ServiceNow {
            client: Client::new(&config, host),
            config,
            adapter,
            known: Known::default(),
            instance: None,
        })
    }

    fn healthcheck(&mut self) -> Result<(), PluginError> {
        let instance = instance::read(&self.client, self.adapter, &self.config)?;
        instance::check_states(&instance, &self.config)?;
        let host = self.client.host().clone();
        instance::check_close_code(&instance, &self.config, self.adapter, |m| host.warn(m))?;
        host.info(format!(
            "Connected to ServiceNow {} at {} as `{}`; {} states: {}.",
            self.adapter.title(),
            self.client.base_url(),
            self.client.username(),
            self.config.table,
            instance
                .states
                .iter()
                .map(|c| format!("{} {}", c.value, c.label))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        self.instance = Some(instance);
        Ok(())
    }

    fn deliver(&mut self, actions: Vec<TicketAction>) -> Vec<ActionOutcome> {
        actions::deliver(self, &actions)
    }
}

impl ServiceNow {
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
