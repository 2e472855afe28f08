//! [`NetwrixAuditor`]: the `netwrix_auditor` source, wiring the config to the [`Client`], the
//! RID fetch ([`crate::fetch`]) and the `When` poll ([`crate::poll`]).

use sluice_sdk::{Checkpoint, Host, PluginError, Record, Source, SourceBatch};

use crate::client::{Answer, Client};
use crate::config::NetwrixAuditorConfig;
use crate::fetch::{self, FetchSettings};
use crate::filter::{Condition, PollFilter};
use crate::poll::{PollSettings, Poller};

/// The RID the healthcheck searches for: 49 characters, the length of every documented RID,
/// dated in the year 0000 so that no server ever minted it.
const PROBE_RID: &str = "0000000000000000000000000000000000000000000000000";

/// Reads Netwrix Auditor activity records through the Integration API.
#[derive(Debug)]
pub struct NetwrixAuditor {
    client: Client,
    poller: Poller,
    fetch: FetchSettings,
}

impl Source for NetwrixAuditor {
    const NAME: &'static str = "netwrix_auditor";
    const DESCRIPTION: &'static str = "Netwrix Auditor activity records through the Integration \
                                       API: fetched by RID for alerts, or polled by When.";
    type Config = NetwrixAuditorConfig;

    fn validate(config: &NetwrixAuditorConfig) -> Result<(), PluginError> {
        config.check()
    }

    fn new(config: NetwrixAuditorConfig, host: Host) -> Result<Self, PluginError> {
        if config.endpoint.exposes_credentials() {
            host.warn(format!(
                "endpoint {} is plain http: the password of {} crosses the network readable \
                 with every request (HTTP Basic); Auditor serves https by default",
                config.endpoint, config.username
            ));
        }
        let fetch = FetchSettings {
            rids_per_request: config.rids_per_request as usize,
            count: config.count,
            max_pages: config.max_pages_per_scan,
        };
        let poller = Poller::new(PollSettings {
            start: config.start,
            late_arrival: config.late_arrival.get(),
            count: config.count,
            max_pages: config.max_pages_per_scan,
            end_on_short_page: config.end_scan_on_short_page,
            filters: config
                .poll_filters
                .iter()
                .map(PollFilter::condition)
                .collect(),
        });
        let client = Client::new(
            host,
            config.endpoint,
            config.username.trim().to_owned(),
            config.password,
            config.auth,
            config.format,
            config.request_timeout.get(),
        );
        Ok(NetwrixAuditor {
            client,
            poller,
            fetch,
        })
    }

    /// One search for a RID that cannot exist, one record per page: proves the address, the
    /// TLS setup, the credentials and the API path with the smallest answer there is.
    fn healthcheck(&mut self) -> Result<(), PluginError> {
        let probe = [Condition::rid(PROBE_RID)];
        match self.client.search(&probe, None, 1, "healthcheck")? {
            Answer::Page(_) => Ok(()),
            Answer::Refused { error, .. } => Err(error),
        }
    }

    fn poll(&mut self, checkpoint: Option<Checkpoint>) -> Result<SourceBatch, PluginError> {
        self.poller.poll(&self.client, checkpoint)
    }

    fn fetch(&mut self, ids: Vec<String>) -> Result<Vec<Record>, PluginError> {
        fetch::fetch(&self.client, self.fetch, ids)
    }
}
