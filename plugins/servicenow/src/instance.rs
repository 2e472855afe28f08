//! What the instance says about itself at start: its incident state model and close codes,
//! read from `sys_choice` rather than assumed from the release. The state model is not
//! release-bound: an instance upgraded from before Helsinki keeps the old one (1 New,
//! 2 Active, 3–5 Awaiting…, 6 Resolved, 7 Closed, no 8), whatever its release, while new
//! instances from Helsinki on have 1 New, 2 In Progress, 3 On Hold, 6 Resolved, 7 Closed and
//! 8 Canceled. So the configured states are checked against the instance, not against the
//! release. Close codes changed across releases too, and an unknown one is dropped silently.

use sluice_sdk::PluginError;

use crate::adapter::Adapter;
use crate::classify::CallError;
use crate::client::{Call, Client};
use crate::config::ServiceNowConfig;
use crate::envelope;
use crate::query::Query;

/// One choice of a choice list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Choice {
    pub(crate) value: String,
    pub(crate) label: String,
}

/// The instance's lists; empty when they could not be read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Instance {
    pub(crate) states: Vec<Choice>,
    pub(crate) close_codes: Vec<String>,
}

/// Reads the state and close-code lists of `config.table`. Proves reachability and
/// credentials on the way: a 401 is a credentials error naming the user.
pub(crate) fn read(
    client: &Client,
    adapter: &dyn Adapter,
    config: &ServiceNowConfig,
) -> Result<Instance, PluginError> {
    let states = choices(client, adapter, &config.table, "state")?;
    let close_codes = choices(client, adapter, &config.table, "close_code")?;
    if states.as_ref().is_some_and(Vec::is_empty) {
        client.host().warn(format!(
            "{} lists no state choices for {} in sys_choice; the configured states are not \
             checked against the instance.",
            client.base_url(),
            config.table
        ));
    }
    let mut states = states.unwrap_or_default();
    // `sequence` is text on sys_choice; order by the numeric value instead.
    states.sort_by_key(|c| c.value.parse::<i64>().unwrap_or(i64::MAX));
    Ok(Instance {
        states,
        close_codes: close_codes
            .unwrap_or_default()
            .into_iter()
            .map(|c| c.value)
            .collect(),
    })
}

/// The active choices of `table.element`; `None` if the user may not read them.
fn choices(
    client: &Client,
    adapter: &dyn Adapter,
    table: &str,
    element: &str,
) -> Result<Option<Vec<Choice>>, PluginError> {
    let query = Query::new()
        .param(
            "sysparm_query",
            &format!("name={table}^element={element}^inactive=false"),
        )
        .param("sysparm_fields", "value,label")
        .param("sysparm_exclude_reference_link", "true")
        .param("sysparm_suppress_pagination_header", "true");
    let call = Call::get(format!("{}/sys_choice", adapter.table_api().path()), query);
    let doing = format!(
        "read the {table}.{element} choices at {}",
        client.base_url()
    );
    let response = match client.send(&call) {
        Ok(response) => response,
        // v1 answers an empty query with 404.
        Err(e) if e.rejected_status() == Some(404) && adapter.table_api().empty_query_is_404() => {
            return Ok(Some(Vec::new()))
        }
        Err(e) if e.rejected_status() == Some(403) => {
            client.host().warn(format!(
                "Cannot {doing} ({e}); the configured states are not checked against the instance."
            ));
            return Ok(None);
        }
        Err(CallError::Credentials(message)) => {
            return Err(PluginError::credentials(format!(
                "{message} (at {})",
                client.base_url()
            )))
        }
        Err(e) => return Err(e.plugin_error(&doing)),
    };
    let rows = match envelope::result(&response.body) {
        Ok(Some(serde_json::Value::Array(rows))) => rows,
        Ok(_) => Vec::new(),
        Err(e) => return Err(PluginError::protocol(format!("cannot {doing}: {e}"))),
    };
    let mut list: Vec<Choice> = Vec::new();
    for row in rows {
        let text = |name: &str| {
            row.get(name)
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        };
        let choice = Choice {
            value: text("value"),
            label: text("label"),
        };
        // One row per language on instances with language packs; keep the first.
        if !choice.value.is_empty() && !list.iter().any(|c| c.value == choice.value) {
            list.push(choice);
        }
    }
    Ok(Some(list))
}

/// Refuses configured states the instance does not have, naming the key, the value and the
/// states it does have. An empty list (unreadable) checks nothing.
pub(crate) fn check_states(
    instance: &Instance,
    config: &ServiceNowConfig,
) -> Result<(), PluginError> {
    if instance.states.is_empty() {
        return Ok(());
    }
    let has = |value: &str| instance.states.iter().any(|c| c.value == value);
    let missing: Vec<(String, &str)> = config
        .configured_states()
        .into_iter()
        .filter(|(_, value)| !has(value))
        .collect();
    let Some((first_key, _)) = missing.first() else {
        return Ok(());
    };
    let listed: Vec<String> = missing
        .iter()
        .map(|(key, value)| format!("{value:?} ({key})"))
        .collect();
    let available: Vec<String> = instance
        .states
        .iter()
        .map(|c| format!("{} {}", c.value, c.label))
        .collect();
    let old_model = !has("8") && has("4") && has("5");
    let why = if old_model {
        " It runs the old incident state model, which instances upgraded from before Helsinki \
         keep: there is no 8 (Canceled)."
    } else {
        ""
    };
    Err(PluginError::config(format!(
        "the {} state model of {} has no state {}; its states are: {}.{why} Configure states \
         it has.",
        config.table,
        config.base_url(),
        listed.join(", "),
        available.join(", "),
    ))
    .at(first_key.clone()))
}

/// Refuses a `close_code` default the instance does not know; with no list from the instance,
/// warns if it is not a code of the release's era.
pub(crate) fn check_close_code(
    instance: &Instance,
    config: &ServiceNowConfig,
    adapter: &dyn Adapter,
    warn: impl Fn(String),
) -> Result<(), PluginError> {
    let code = config.close_code.as_str();
    if instance.close_codes.is_empty() {
        if !adapter.close_codes().contains(&code) {
            warn(format!(
                "close_code {code:?} is not one of the {} era close codes ({}); the instance's own \
                 list could not be read, so it is not checked. An unknown value is dropped silently \
                 by ServiceNow.",
                adapter.title(),
                adapter.close_codes().join(", ")
            ));
        }
        return Ok(());
    }
    if instance.close_codes.iter().any(|c| c == code) {
        return Ok(());
    }
    Err(PluginError::config(format!(
        "{code:?} is not a close code of {}; it has: {}",
        config.base_url(),
        instance.close_codes.join(", ")
    ))
    .at("close_code"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(extra: serde_json::Value) -> ServiceNowConfig {
        let mut base = serde_json::json!({
            "endpoint": "https://acme.service-now.com",
            "release": "london",
            "username": "svc",
            "password": "pw",
        });
        if let (Some(b), Some(e)) = (base.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        match serde_json::from_value(base) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        }
    }

    fn states(pairs: &[(&str, &str)]) -> Instance {
        Instance {
            states: pairs
                .iter()
                .map(|(v, l)| Choice {
                    value: (*v).to_owned(),
                    label: (*l).to_owned(),
                })
                .collect(),
            close_codes: Vec::new(),
        }
    }

    const OLD: [(&str, &str); 7] = [
        ("1", "New"),
        ("2", "Active"),
        ("3", "Awaiting Problem"),
        ("4", "Awaiting User Info"),
        ("5", "Awaiting Evidence"),
        ("6", "Resolved"),
        ("7", "Closed"),
    ];

    #[test]
    fn old_model_lacks_canceled() {
        let err = check_states(&states(&OLD), &config(serde_json::json!({}))).err();
        let Some(err) = err else { panic!("accepted") };
        assert_eq!(err.key_path(), Some("closed_states[2]"));
        assert!(err.message().contains("\"8\""), "{err}");
        assert!(err.message().contains("2 Active"), "{err}");
        assert!(err.message().contains("old incident state model"), "{err}");
        let fine = config(serde_json::json!({"closed_states": ["6", "7"]}));
        assert!(check_states(&states(&OLD), &fine).is_ok());
        assert!(check_states(&Instance::default(), &config(serde_json::json!({}))).is_ok());
    }

    #[test]
    fn unknown_close_code_is_refused() {
        let instance = Instance {
            states: Vec::new(),
            close_codes: vec!["Solution provided".to_owned()],
        };
        let adapter = crate::adapter::find("london");
        let Some(adapter) = adapter else { panic!() };
        let err = check_close_code(&instance, &config(serde_json::json!({})), adapter, |_| {});
        assert_eq!(
            err.err()
                .and_then(|e| e.key_path().map(str::to_owned))
                .as_deref(),
            Some("close_code")
        );
    }
}
