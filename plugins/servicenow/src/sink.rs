//! The `servicenow` sink: the [`Sink`] implementation. It checks the config, builds a
//! [`Session`] (config, adapter, client), reads the instance's lists at the healthcheck, and
//! hands each batch to the actions.

use sluice_sdk::{ActionOutcome, Host, PluginError, Sink, TicketAction};

use crate::actions;
use crate::client::Client;
use crate::config::ServiceNowConfig;
use crate::instance;
use crate::known::Known;
use crate::session::Session;
use crate::states::States;

/// Creates and updates ServiceNow incidents through the Table and Attachment APIs.
#[derive(Debug)]
pub struct ServiceNow {
    session: Session,
}

impl Sink for ServiceNow {
    const NAME: &'static str = "servicenow";
    const DESCRIPTION: &'static str =
        "Creates, updates, reopens and resolves ServiceNow incidents (Helsinki to Brazil).";
    type Config = ServiceNowConfig;

    fn validate(config: &ServiceNowConfig) -> Result<(), PluginError> {
        config.check()
    }

    fn new(config: ServiceNowConfig, host: Host) -> Result<Self, PluginError> {
        let adapter = config.adapter()?;
        let method = config.sign_in_for(adapter)?;
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
        // For sn_si_incident the defaults are known once the instance is read.
        let states = States::resolve(&config, &[]).unwrap_or_default();
        Ok(ServiceNow {
            session: Session {
                client: Client::new(&config, method, host),
                config,
                adapter,
                known: Known::default(),
                instance: None,
                states,
            },
        })
    }

    fn healthcheck(&mut self) -> Result<(), PluginError> {
        let session = &mut self.session;
        let mut instance = instance::read(&session.client, session.adapter, &session.config)?;
        let states = States::resolve(&session.config, &instance.states)?;
        instance::check_states(&instance, &states, &session.config)?;
        let host = session.client.host().clone();
        instance::choose_close_code(&mut instance, &session.config, session.adapter, |m| {
            host.warn(m)
        })?;
        host.info(format!(
            "Connected to ServiceNow {} at {} as {}; {} states: {}.",
            session.adapter.title(),
            session.client.base_url(),
            session.client.signed_in_as(),
            session.config.table,
            instance
                .states
                .iter()
                .map(|c| format!("{} {}", c.value, c.label))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        session.instance = Some(instance);
        session.states = states;
        Ok(())
    }

    fn deliver(&mut self, actions: Vec<TicketAction>) -> Vec<ActionOutcome> {
        actions::deliver(&self.session, &actions)
    }
}
