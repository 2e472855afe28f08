//! Reading a config file: TOML syntax, the host's keys, secret references, and a map from key
//! paths to places in the file, so every later error can name line and column.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::de::{DeTable, DeValue};

use super::diagnostic::{ConfigErrors, Diagnostic};
use super::model::{Config, PipelineSettings};
use crate::file::{read_regular_file, CONFIG_FILE_LIMIT};
use crate::secret::{SecretResolver, Secrets};

/// A parsed config file, with what is needed to report later problems precisely.
#[derive(Debug, Clone)]
pub struct ConfigFile {
    /// The host's view of the config, secrets resolved.
    pub config: Config,
    /// Places of keys in the file.
    pub source: SourceMap,
    /// The values of every secret reference, for redaction.
    pub secrets: Secrets,
}

impl ConfigFile {
    /// Reads and parses `path`, resolving secrets from the environment, files and commands.
    pub fn load(path: &Path) -> Result<ConfigFile, ConfigErrors> {
        Self::load_with(path, &SecretResolver::from_env())
    }

    /// Reads and parses `path`, resolving secrets with `resolver` (use
    /// [`SecretResolver::placeholders`] where no secret's value is needed).
    pub fn load_with<E: Fn(&str) -> Option<String>>(
        path: &Path,
        resolver: &SecretResolver<E>,
    ) -> Result<ConfigFile, ConfigErrors> {
        let text = read_regular_file(path, CONFIG_FILE_LIMIT).map_err(|e| {
            let hint = if e.io_kind() == Some(std::io::ErrorKind::NotFound) {
                "; pass --config FILE, or create it (see the README's config walkthrough)"
            } else {
                ""
            };
            ConfigErrors::one(Diagnostic::new(
                path,
                format!("cannot read the config: {}{hint}", e.problem()),
            ))
        })?;
        Self::parse(path, text, resolver)
    }

    /// Parses `text` as the content of `path`, resolving secrets with `resolver`.
    pub fn parse<E: Fn(&str) -> Option<String>>(
        path: &Path,
        text: String,
        resolver: &SecretResolver<E>,
    ) -> Result<ConfigFile, ConfigErrors> {
        let source = SourceMap::new(path, text)?;
        let mut config = source
            .deserialize::<Config>()
            .map_err(|first| with_unknown_keys(first, &source))?;
        resolve_relative_paths(&mut config, path);
        let secrets = resolve_secrets(&mut config, &source, resolver)?;
        // From here on, every way text leaves the process redacts them.
        secrets.register();
        check(&config, &source)?;
        Ok(ConfigFile {
            config,
            source,
            secrets,
        })
    }

    /// The file it was read from.
    pub fn path(&self) -> &Path {
        &self.source.file
    }
}

/// The first error deserializing stopped at, and every other key the host's schema refuses
/// (`unknown.rs`), in the order of the file.
fn with_unknown_keys(first: ConfigErrors, source: &SourceMap) -> ConfigErrors {
    let mut all = first.0;
    for (key, message) in super::unknown::unknown_keys(&source.text) {
        if !all
            .iter()
            .any(|seen| seen.key_path.as_deref() == Some(key.as_str()))
        {
            all.push(source.diagnostic(&key, message));
        }
    }
    all.sort_by_key(|d| d.position);
    ConfigErrors(all)
}

/// Where each key of a config file is, by dotted key path.
#[derive(Debug, Clone)]
pub struct SourceMap {
    file: PathBuf,
    text: String,
    keys: HashMap<String, Range<usize>>,
}

impl SourceMap {
    /// Parses `text` (the content of `file`) as TOML and maps its keys.
    pub fn new(file: &Path, text: String) -> Result<SourceMap, ConfigErrors> {
        let keys = {
            let table = DeTable::parse(&text).map_err(|e| {
                let d = Diagnostic::new(file, format!("invalid TOML: {}", e.message().trim()));
                let d = match e.span() {
                    Some(span) => d.at_span(&text, span),
                    None => d,
                };
                ConfigErrors::one(d)
            })?;
            let mut keys = HashMap::new();
            collect_keys(table.get_ref(), "", &mut keys);
            keys
        };
        Ok(SourceMap {
            file: file.to_owned(),
            text,
            keys,
        })
    }

    /// The config file.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// A diagnostic about `key_path`, placed at that key, or at the nearest enclosing key
    /// that exists in the file.
    pub fn diagnostic(&self, key_path: &str, message: impl Into<String>) -> Diagnostic {
        let d = Diagnostic::new(&self.file, message).at_key(key_path);
        let mut path = key_path;
        loop {
            if let Some(span) = self.keys.get(path) {
                return d.at_span(&self.text, span.clone());
            }
            match path.rfind(['.', '[']) {
                Some(i) => path = &path[..i],
                None => return d,
            }
        }
    }

    /// Deserializes the whole file into `T`, placing the first error.
    pub fn deserialize<T: for<'de> Deserialize<'de>>(&self) -> Result<T, ConfigErrors> {
        let de = toml::de::Deserializer::parse(&self.text).map_err(|e| {
            ConfigErrors::one(Diagnostic::new(&self.file, e.message().trim().to_owned()))
        })?;
        serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let message = inner.message().trim().to_owned();
            let d = match inner.span() {
                Some(span) => Diagnostic::new(&self.file, message)
                    .at_key(key_path_of(&path))
                    .at_span(&self.text, span),
                None => self.diagnostic(key_path_of(&path), message),
            };
            ConfigErrors::one(d)
        })
    }
}

/// Makes the host's relative paths relative to the config file's directory, not to wherever
/// the process happens to run: `sluice alert-response` (started by Netwrix Auditor, in the
/// executable's directory by default) and `sluice run` (a service) must find the same state
/// store and alert directory. A component's own paths are its plugin's to interpret.
fn resolve_relative_paths(config: &mut Config, config_path: &Path) {
    let base = config_dir(config_path);
    let resolve = |p: &mut PathBuf| {
        if p.is_relative() {
            *p = base.join(&*p);
        }
    };
    resolve(&mut config.state.path);
    if let Some(p) = &mut config.state.ca_file {
        resolve(p);
    }
    config.plugins.directories.iter_mut().for_each(resolve);
    config.response_intake.resolve_paths(resolve);
    for pipeline in config.pipelines.values_mut() {
        resolve(&mut pipeline.intake.alerts);
        for component in [&mut pipeline.source, &mut pipeline.sink] {
            if let Some(p) = &mut component.http.ca_file {
                resolve(p);
            }
            if let Some(p) = &mut component.http.client_identity_file {
                resolve(p);
            }
        }
    }
}

/// The directory relative paths in `config_path` are relative to (`file:` and `exec:` secrets
/// included).
pub(super) fn config_dir(config_path: &Path) -> &Path {
    config_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."))
}

/// serde_path_to_error writes `.` for the root.
fn key_path_of(path: &str) -> &str {
    if path == "." {
        ""
    } else {
        path
    }
}

fn collect_keys(table: &DeTable<'_>, prefix: &str, out: &mut HashMap<String, Range<usize>>) {
    for (key, value) in table {
        let path = if prefix.is_empty() {
            key.get_ref().to_string()
        } else {
            format!("{prefix}.{}", key.get_ref())
        };
        out.insert(path.clone(), key.span());
        collect_value(value.get_ref(), &path, out);
    }
}

fn collect_value(value: &DeValue<'_>, path: &str, out: &mut HashMap<String, Range<usize>>) {
    match value {
        DeValue::Table(t) => collect_keys(t, path, out),
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let item_path = format!("{path}[{i}]");
                out.insert(item_path.clone(), item.span());
                collect_value(item.get_ref(), &item_path, out);
            }
        }
        _ => {}
    }
}

/// Resolves secret references in every string a component passes to its plugin, in the
/// proxy URL (which may carry credentials) and in the response intake's token.
fn resolve_secrets<E: Fn(&str) -> Option<String>>(
    config: &mut Config,
    source: &SourceMap,
    resolver: &SecretResolver<E>,
) -> Result<Secrets, ConfigErrors> {
    let mut secrets = Secrets::default();
    let mut problems = Vec::new();
    let dir = config_dir(source.file());
    for (name, pipeline) in &mut config.pipelines {
        for (role, component) in [
            ("source", &mut pipeline.source),
            ("sink", &mut pipeline.sink),
        ] {
            let base = format!("pipelines.{name}.{role}");
            for (key, value) in component.settings.iter_mut() {
                resolve_value(
                    value,
                    &format!("{base}.{key}"),
                    (resolver, dir),
                    &mut secrets,
                    &mut |p, m| problems.push(source.diagnostic(p, m)),
                );
            }
            if let Some(proxy) = &mut component.http.proxy {
                match resolver.resolve(proxy, dir, &mut secrets) {
                    Ok(Some(v)) => *proxy = v,
                    Ok(None) => {}
                    Err(m) => problems.push(source.diagnostic(&format!("{base}.http.proxy"), m)),
                }
            }
        }
    }
    if let Some(url) = &mut config.state.url {
        match resolver.resolve(url, dir, &mut secrets) {
            Ok(Some(v)) => *url = v,
            Ok(None) => {}
            Err(m) => problems.push(source.diagnostic("state.url", m)),
        }
        // A password written into the URL itself is as secret as a referenced one. (Read as
        // the store reads the URL, which knows the `sslmode`s `postgres` does not.)
        if let Some(password) = crate::state::parse_postgres_url(url, false)
            .ok()
            .and_then(|c| c.get_password().map(<[u8]>::to_vec))
        {
            secrets.insert(&String::from_utf8_lossy(&password));
        }
    }
    if let Some(token) = &mut config.response_intake.token {
        match resolver.resolve(token, dir, &mut secrets) {
            Ok(Some(v)) => *token = v,
            Ok(None) => {}
            Err(m) => problems.push(source.diagnostic("response_intake.token", m)),
        }
    }
    if problems.is_empty() {
        Ok(secrets)
    } else {
        Err(ConfigErrors(problems))
    }
}

fn resolve_value<E: Fn(&str) -> Option<String>>(
    value: &mut toml::Value,
    path: &str,
    resolver: (&SecretResolver<E>, &Path),
    secrets: &mut Secrets,
    report: &mut dyn FnMut(&str, String),
) {
    match value {
        toml::Value::String(s) => match resolver.0.resolve(s, resolver.1, secrets) {
            Ok(Some(v)) => *s = v,
            Ok(None) => {}
            Err(m) => report(path, m),
        },
        toml::Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                resolve_value(item, &format!("{path}[{i}]"), resolver, secrets, report);
            }
        }
        toml::Value::Table(t) => {
            for (k, v) in t.iter_mut() {
                resolve_value(v, &format!("{path}.{k}"), resolver, secrets, report);
            }
        }
        _ => {}
    }
}

/// Checks the host's keys beyond what their types say.
fn check(config: &Config, source: &SourceMap) -> Result<(), ConfigErrors> {
    let mut problems = Vec::new();
    let telemetry = &config.telemetry;
    if !telemetry.listen.ip().is_loopback() && !telemetry.allow_remote {
        problems.push(source.diagnostic(
            "telemetry.listen",
            format!(
                "{} can be reached from other machines, and the endpoint has no \
                 authentication; listen on \"127.0.0.1:{}\", or set \
                 telemetry.allow_remote = true to mean it",
                telemetry.listen.ip(),
                telemetry.listen.port()
            ),
        ));
    }
    for (key, message) in config.response_intake.problems() {
        problems.push(source.diagnostic(&format!("response_intake.{key}"), message));
    }
    // Renewed every third of its length over a network: shorter than a second, a busy
    // database or a short pause of the holder would hand delivery back and forth.
    if config.state.lease.get() < std::time::Duration::from_secs(1) {
        problems.push(source.diagnostic(
            "state.lease",
            format!(
                "{} is too short: a lease of at least 1s (the default is 10s) lets the \
                 delivering host renew it in time",
                config.state.lease
            ),
        ));
    }
    for (name, pipeline) in &config.pipelines {
        check_pipeline(name, pipeline, source, &mut problems);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ConfigErrors(problems))
    }
}

/// Checks pipeline `name`'s keys beyond what their types say, adding to `problems`.
fn check_pipeline(
    name: &str,
    pipeline: &PipelineSettings,
    source: &SourceMap,
    problems: &mut Vec<Diagnostic>,
) {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-".contains(c))
    {
        problems.push(source.diagnostic(
            &format!("pipelines.{name}"),
            "pipeline names use letters, digits, `_` and `-` (they appear in logs, metrics \
             and ticket correlation keys)",
        ));
    }
    // A polled record's alert is recognised by its record id; if the id were forgotten
    // before the alert, the same record polled again would raise the alert twice.
    if pipeline.retention.seen_records_age < pipeline.retention.alert_age {
        problems.push(source.diagnostic(
            &format!("pipelines.{name}.retention.seen_records_age"),
            format!(
                "must be at least retention.alert_age ({}), so a record polled again is \
                 recognised for as long as its alert is kept",
                pipeline.retention.alert_age
            ),
        ));
    }
    for (role, component) in [("source", &pipeline.source), ("sink", &pipeline.sink)] {
        if let Some(proxy) = &component.http.proxy {
            // reqwest is built without SOCKS support: a socks5:// proxy would fail every
            // request with "unsupported scheme", so it is refused here.
            if proxy != "none" && !(proxy.starts_with("http://") || proxy.starts_with("https://")) {
                problems.push(source.diagnostic(
                    &format!("pipelines.{name}.{role}.http.proxy"),
                    "must be an HTTP proxy URL like \"http://proxy.corp.local:3128\" \
                     (SOCKS proxies are not supported), or \"none\"",
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ConfigFile, ConfigErrors> {
        let env =
            SecretResolver::new(|n: &str| (n == "SN_PASSWORD").then(|| "pa55word".to_owned()));
        ConfigFile::parse(Path::new("sluice.toml"), text.to_owned(), &env)
    }

    const GOOD: &str = r#"
[state]
path = "state.db"

[pipelines.security.source]
type = "netwrix_auditor"
endpoint = "https://auditor.corp.local:9699"

[pipelines.security.sink]
type = "servicenow"
password = "${SN_PASSWORD}"
http.ca_file = "/etc/ssl/corp.pem"
"#;

    #[test]
    fn parses_host_keys_and_keeps_component_keys_for_the_plugin() {
        let file = parse(GOOD).unwrap();
        let p = &file.config.pipelines["security"];
        assert_eq!(p.source.component, "netwrix_auditor");
        assert_eq!(
            p.source.settings["endpoint"].as_str(),
            Some("https://auditor.corp.local:9699")
        );
        assert!(!p.sink.settings.contains_key("type"));
        assert!(!p.sink.settings.contains_key("http"));
        assert_eq!(p.sink.settings["password"].as_str(), Some("pa55word"));
        assert_eq!(file.secrets.redact("pa55word"), "<redacted>");
    }

    #[test]
    fn misspelled_host_key_names_line_column_and_key() {
        let text = GOOD.replace("path = \"state.db\"", "paht = \"state.db\"");
        let err = parse(&text).unwrap_err().to_string();
        assert!(
            err.starts_with("sluice.toml:3:1: state.paht: unknown field `paht`, expected "),
            "{err}"
        );
        assert!(err.contains("`path`"), "{err}");
    }

    #[test]
    fn syntax_error_is_placed() {
        let err = parse("[state\npath = 1").unwrap_err();
        assert_eq!(err.0[0].position.map(|p| p.0), Some(1), "{err}");
    }

    #[test]
    fn wrong_type_names_the_key_path() {
        let err = parse("[state]\npath = 5\n").unwrap_err().to_string();
        assert!(
            err.contains("sluice.toml:2:8: state.path: invalid type"),
            "{err}"
        );
    }

    #[test]
    fn unset_secret_is_placed_at_its_key_and_shows_no_value() {
        let text = GOOD.replace("${SN_PASSWORD}", "${MISSING_PW}");
        let err = parse(&text).unwrap_err().to_string();
        assert!(
            err.contains(
                "pipelines.security.sink.password: environment variable MISSING_PW is not set"
            ),
            "{err}"
        );
        assert!(err.contains("sluice.toml:11:1:"), "{err}");
        assert!(!err.contains("pa55word"));
    }

    #[test]
    fn source_map_points_at_nested_keys() {
        let file = parse(GOOD).unwrap();
        let d = file
            .source
            .diagnostic("pipelines.security.source.endpoint", "bad");
        assert_eq!(d.position, Some((7, 1)));
        let d = file
            .source
            .diagnostic("pipelines.security.source.nothing.here", "bad");
        assert_eq!(
            d.position,
            Some((5, 21)),
            "falls back to the enclosing table's key"
        );
    }

    #[test]
    fn telemetry_is_off_and_local_by_default_and_remote_only_when_asked() {
        let file = parse(GOOD).unwrap();
        assert!(!file.config.telemetry.enabled);
        assert!(file.config.telemetry.listen.ip().is_loopback());
        let remote = format!("{GOOD}\n[telemetry]\nenabled = true\nlisten = \"0.0.0.0:10157\"\n");
        let err = parse(&remote).unwrap_err().to_string();
        assert!(
            err.contains(
                "sluice.toml:16:1: telemetry.listen: 0.0.0.0 can be reached from other machines"
            ),
            "{err}"
        );
        let meant = format!("{remote}allow_remote = true\n");
        assert_eq!(
            parse(&meant).unwrap().config.telemetry.listen.to_string(),
            "0.0.0.0:10157"
        );
        let err = parse(&format!("{GOOD}\n[telemetry]\nlisten = \"localhost\"\n"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("telemetry.listen: invalid socket address"),
            "{err}"
        );
    }
}
