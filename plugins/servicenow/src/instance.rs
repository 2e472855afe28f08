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
use crate::states::{Choice, States};

/// The instance's lists; empty when they could not be read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Instance {
    pub(crate) states: Vec<Choice>,
    pub(crate) close_codes: Vec<String>,
    /// The `close_code` a resolve or close sends when it names none: the configured one, or
    /// the release's usual one the instance lists ([`choose_close_code`]).
    pub(crate) close_code: String,
}

/// Reads the state and close-code lists of `config.table`. Proves reachability and
/// credentials on the way: a 401 is a credentials error naming the user.
pub(crate) fn read(
    client: &Client,
    adapter: &Adapter,
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
        close_code: String::new(),
    })
}

/// The active choices of `table.element`; `None` if the user may not read them.
fn choices(
    client: &Client,
    adapter: &Adapter,
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
    states: &States,
    config: &ServiceNowConfig,
) -> Result<(), PluginError> {
    if states.closed.contains(&states.reopen) {
        return Err(PluginError::config(format!(
            "{:?} is also in closed_states, so a reopened ticket would still count as closed; \
             use an open state",
            states.reopen
        ))
        .at("reopen_state"));
    }
    if instance.states.is_empty() {
        return Ok(());
    }
    let has = |value: &str| instance.states.iter().any(|c| c.value == value);
    let missing: Vec<(String, &str)> = states
        .keyed()
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

/// Chooses the `close_code` a resolve sends when it names none, into `instance.close_code`.
///
/// A configured `close_code` the instance does not list is refused, naming the key and the
/// codes it has; with no list from the instance, it is checked against the release's era and
/// a mismatch is only warned about. Without a configured one, the release's usual code is
/// taken if the instance lists it ("Solved (Permanently)" until London, "Solution provided"
/// from Washington DC, either between); an instance that lists neither, or whose list cannot
/// be read on a release whose list is not known, is refused: `close_code` must then be set.
pub(crate) fn choose_close_code(
    instance: &mut Instance,
    config: &ServiceNowConfig,
    adapter: &Adapter,
    warn: impl Fn(String),
) -> Result<(), PluginError> {
    let listed = |code: &str| instance.close_codes.iter().any(|c| c == code);
    if config.is_security_incident() && config.close_code.is_none() {
        return Err(PluginError::config(format!(
            "is not set; the closure codes of {} are the instance's own, so name the one a \
             close sends{}",
            config.table,
            if instance.close_codes.is_empty() {
                String::new()
            } else {
                format!(": {}", instance.close_codes.join(", "))
            }
        ))
        .at("close_code"));
    }
    let chosen = match (
        config.close_code.as_deref().map(str::trim),
        instance.close_codes.is_empty(),
    ) {
        (Some(code), true) => {
            if !adapter.close_codes().contains(&code) {
                warn(format!(
                    "close_code {code:?} is not one of the {} era close codes ({}); the \
                     instance's own list could not be read, so it is not checked. An unknown \
                     value is dropped silently by ServiceNow.",
                    adapter.title(),
                    adapter.close_codes().join(", ")
                ));
            }
            code.to_owned()
        }
        (Some(code), false) if listed(code) => code.to_owned(),
        (Some(code), false) => {
            return Err(PluginError::config(format!(
                "{code:?} is not a close code of {}; it has: {}",
                config.base_url(),
                instance.close_codes.join(", ")
            ))
            .at("close_code"))
        }
        (None, false) => match adapter.default_close_codes().iter().find(|c| listed(c)) {
            Some(code) => (*code).to_owned(),
            None => {
                return Err(PluginError::config(format!(
                    "is not set, and {} lists none of the usual close codes of {} ({}); set it \
                     to one of the instance's: {}",
                    config.base_url(),
                    adapter.title(),
                    adapter.default_close_codes().join(", "),
                    instance.close_codes.join(", ")
                ))
                .at("close_code"))
            }
        },
        (None, true) => match adapter.era_default_close_code() {
            Some(code) => code.to_owned(),
            None => {
                return Err(PluginError::config(format!(
                    "is not set, the close codes of {} cannot be read, and {} instances have \
                     either the \"Solved (Permanently)\" list or the \"Solution provided\" \
                     one; set it to one of the instance's close codes",
                    config.base_url(),
                    adapter.title()
                ))
                .at("close_code"))
            }
        },
    };
    instance.close_code = chosen;
    Ok(())
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
            close_code: String::new(),
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
        let resolved = |c: &ServiceNowConfig| States::resolve(c, &[]).unwrap_or_default();
        let defaults = config(serde_json::json!({}));
        let err = check_states(&states(&OLD), &resolved(&defaults), &defaults).err();
        let Some(err) = err else { panic!("accepted") };
        assert_eq!(err.key_path(), Some("closed_states[2]"));
        assert!(err.message().contains("\"8\""), "{err}");
        assert!(err.message().contains("2 Active"), "{err}");
        assert!(err.message().contains("old incident state model"), "{err}");
        let fine = config(serde_json::json!({"closed_states": ["6", "7"]}));
        assert!(check_states(&states(&OLD), &resolved(&fine), &fine).is_ok());
        assert!(check_states(&Instance::default(), &resolved(&defaults), &defaults).is_ok());
    }

    fn codes(list: &[&str]) -> Instance {
        Instance {
            close_codes: list.iter().map(|c| (*c).to_owned()).collect(),
            ..Instance::default()
        }
    }

    fn adapter(name: &str) -> &'static Adapter {
        let Some(adapter) = crate::adapter::find(name) else {
            panic!("no adapter {name}")
        };
        adapter
    }

    #[test]
    fn a_configured_close_code_the_instance_lacks_is_refused() {
        let mut instance = codes(&["Solution provided"]);
        let config = config(serde_json::json!({"close_code": "Solved (Permanently)"}));
        let err = choose_close_code(&mut instance, &config, adapter("london"), |_| {});
        let err = err.err();
        assert_eq!(err.as_ref().and_then(|e| e.key_path()), Some("close_code"));
        assert!(err
            .map(|e| e.to_string())
            .unwrap_or_default()
            .contains("Solution provided"));
    }

    #[test]
    fn the_default_is_the_usual_code_the_instance_lists() {
        let config = config(serde_json::json!({}));
        for (release, list, expected) in [
            (
                "london",
                vec!["Solved (Permanently)"],
                "Solved (Permanently)",
            ),
            ("rome", vec!["Solved (Permanently)"], "Solved (Permanently)"),
            (
                "rome",
                vec!["Duplicate", "Solution provided"],
                "Solution provided",
            ),
            (
                "zurich",
                vec!["Duplicate", "Solution provided"],
                "Solution provided",
            ),
        ] {
            let mut instance = codes(&list);
            let chosen = choose_close_code(&mut instance, &config, adapter(release), |_| {});
            assert!(chosen.is_ok(), "{release}: {chosen:?}");
            assert_eq!(instance.close_code, expected, "{release}");
        }
        let mut unreadable = Instance::default();
        assert!(choose_close_code(&mut unreadable, &config, adapter("zurich"), |_| {}).is_ok());
        assert_eq!(unreadable.close_code, "Solution provided");
        let err = choose_close_code(&mut Instance::default(), &config, adapter("rome"), |_| {});
        assert_eq!(
            err.err()
                .and_then(|e| e.key_path().map(str::to_owned))
                .as_deref(),
            Some("close_code")
        );
        let err = choose_close_code(&mut codes(&["Fixed"]), &config, adapter("zurich"), |_| {});
        assert!(err.is_err());
    }
}
