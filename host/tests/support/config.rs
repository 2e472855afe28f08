//! The config a site writes: one base, pipeline `p` from the Auditor emulator to the
//! ServiceNow emulator, and TOML layers merged over it, table by table. A test names what it
//! changes as a layer (`[pipelines.p.delivery]\nbatch = 4`); a test that needs a file no
//! layer can make (invalid, or for other plugins) writes its text.

use std::path::PathBuf;

use super::Site;

/// The Auditor emulator's default account, which the base config uses.
pub const AUDITOR_USER: &str = r"CORP\svc-sluice";
pub const AUDITOR_PASSWORD: &str = "sluice-demo";

/// Layer for following alerts end to end: the shipped alert set; consolidation, retries and
/// `Retry-After` waits in fractions of a second, so that repeats and recoveries happen while
/// a test waits; request timeouts long enough for a loaded machine. (The alert set's path is
/// a TOML literal string: taken as it is, backslashes and all.)
pub const BRISK: &str = concat!(
    r#"
    [pipelines.p.source]
    request_timeout = "10s"

    [pipelines.p.sink]
    request_timeout = "10s"

    [pipelines.p.intake]
    alerts = '"#,
    env!("CARGO_MANIFEST_DIR"),
    r#"/../alerts'

    [pipelines.p.suppression]
    consolidation_interval = "500ms"

    [pipelines.p.delivery]
    retry_initial = "100ms"
    retry_after_max = "2s"
"#
);

/// Layer of a polling pipeline: the host reads the Auditor itself, from an hour back, and
/// raises alerts with its alert set.
pub const POLLING: &str = r#"
    [pipelines.p.source]
    start = "1h"

    [pipelines.p.intake]
    response_action = false
    poll = true
    poll_interval = "200ms"
"#;

impl Site {
    /// The config file.
    pub fn config_path(&self) -> PathBuf {
        self.dir().join("sluice.toml")
    }

    /// Writes the config: the base with each of `layers` merged over it in turn (a layer's
    /// value replaces the base's, its tables are merged into the base's). The site's store
    /// comes first, so that a test on PostgreSQL reconfiguring keeps its store, and a layer
    /// may still name another. Returns the text written, for a test that edits it further.
    pub fn configure(&self, layers: &[&str]) -> String {
        let mut config = self.base();
        for layer in self.store_layer().into_iter().chain(layers.iter().copied()) {
            let layer = layer
                .parse()
                .unwrap_or_else(|e| panic!("a config layer parses: {e}\n{layer}"));
            merge(&mut config, layer);
        }
        let text = config.to_string();
        self.write_config(&text);
        text
    }

    /// Replaces `sluice.toml` with `text`, atomically (as an editor or a config manager
    /// would), so that a running host never reads half a file.
    pub fn write_config(&self, text: &str) {
        let tmp = self.dir().join(".sluice.toml.new");
        std::fs::write(&tmp, text).expect("write the config");
        std::fs::rename(&tmp, self.config_path()).expect("replace the config");
    }

    /// The base: pipeline `p` from the Auditor emulator to the ServiceNow emulator (London),
    /// with their default accounts and retries within a second; everything else as shipped
    /// but the window in which an unanswered create may still commit: the emulator finishes no
    /// write after its client has gone (a real instance can, for up to its transaction limit),
    /// except under its late-commit fault, whose tests set the window to its delays.
    fn base(&self) -> toml::Table {
        format!(
            r#"
            [state]
            path = "state.db"

            [pipelines.p.source]
            type = "netwrix_auditor"
            endpoint = {auditor}
            username = {user}
            password = {password}

            [pipelines.p.sink]
            type = "servicenow"
            endpoint = {servicenow}
            release = "london"
            username = "sluice"
            password = "sluice"

            [pipelines.p.delivery]
            retry_initial = "200ms"
            retry_max = "1s"
            in_doubt_window = "2s"
            "#,
            auditor = quoted(&self.auditor_url()),
            user = quoted(AUDITOR_USER),
            password = quoted(AUDITOR_PASSWORD),
            servicenow = quoted(&self.servicenow_url()),
        )
        .parse()
        .expect("the base config parses")
    }
}

/// `text` as a TOML string.
fn quoted(text: &str) -> String {
    toml::Value::from(text).to_string()
}

/// Merges `over` into `base`, table by table.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// A layer enabling `[telemetry]` on a free loopback port, and that address.
pub fn telemetry() -> (String, String) {
    let addr = format!("127.0.0.1:{}", super::ports::free_port());
    (
        format!("\n[telemetry]\nenabled = true\nlisten = \"{addr}\"\n"),
        addr,
    )
}
