//! The states a reopen, a resolve and a close move tickets to, and the states a reopen applies
//! to: configured, or the defaults of the table.
//!
//! For `incident` the defaults are the values of the vendor add-on (1 New; 6, 7, 8; 6 Resolved;
//! 7 Closed), checked against the instance at start. For `sn_si_incident` (Security Incident
//! Response) ServiceNow documents the lifecycle, Draft → Analysis → Contain → Eradicate →
//! Recover → Review → Closed or Cancelled, but not the values, so the defaults are found by
//! label in the instance's own `sys_choice` at start: a reopen goes back to Analysis, from
//! Review, Closed or Cancelled; a resolve goes to Review; a close to Closed (which the instance
//! allows only from Review, with a closure code).

use sluice_sdk::PluginError;

use crate::config::ServiceNowConfig;

/// One choice of a choice list (`sys_choice`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Choice {
    pub(crate) value: String,
    pub(crate) label: String,
}

/// The state values the planner uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct States {
    /// `reopen_state`.
    pub(crate) reopen: String,
    /// `closed_states`.
    pub(crate) closed: Vec<String>,
    /// `resolved_state`.
    pub(crate) resolved: String,
    /// `closed_state`.
    pub(crate) close: String,
}

/// A default: a value, or a label to look up in the instance's states.
#[derive(Clone, Copy)]
enum Fallback {
    Value(&'static str),
    Label(&'static str),
}

impl States {
    /// The configured states, the rest from the table's defaults. `instance` is the table's
    /// state list from `sys_choice` (empty when it could not be read, or before it is read);
    /// a default by label it does not have is an error naming the key to set.
    pub(crate) fn resolve(
        config: &ServiceNowConfig,
        instance: &[Choice],
    ) -> Result<States, PluginError> {
        use Fallback::{Label, Value};
        let sir = config.is_security_incident();
        let pick = |configured: &Option<String>, key: &str, incident: &'static str, label| {
            match configured {
                Some(value) => Ok(value.clone()),
                None if sir => by_label(config, instance, key, label),
                None => by_label(config, instance, key, Value(incident)),
            }
        };
        let closed = match &config.closed_states {
            Some(values) => values.clone(),
            None if sir => ["Review", "Closed", "Cancelled"]
                .into_iter()
                .enumerate()
                .map(|(i, l)| by_label(config, instance, &format!("closed_states[{i}]"), Label(l)))
                .collect::<Result<_, _>>()?,
            None => ["6", "7", "8"].map(str::to_owned).to_vec(),
        };
        Ok(States {
            reopen: pick(&config.reopen_state, "reopen_state", "1", Label("Analysis"))?,
            closed,
            resolved: pick(
                &config.resolved_state,
                "resolved_state",
                "6",
                Label("Review"),
            )?,
            close: pick(&config.closed_state, "closed_state", "7", Label("Closed"))?,
        })
    }

    /// The states with their key paths, for messages and the start-up check.
    pub(crate) fn keyed(&self) -> Vec<(String, &str)> {
        let mut states = vec![("reopen_state".to_owned(), self.reopen.as_str())];
        states.extend(
            self.closed
                .iter()
                .enumerate()
                .map(|(i, s)| (format!("closed_states[{i}]"), s.as_str())),
        );
        states.push(("resolved_state".to_owned(), self.resolved.as_str()));
        states.push(("closed_state".to_owned(), self.close.as_str()));
        states
    }
}

/// The value of `default`: itself, or the instance's state labelled so.
fn by_label(
    config: &ServiceNowConfig,
    instance: &[Choice],
    key: &str,
    default: Fallback,
) -> Result<String, PluginError> {
    let label = match default {
        Fallback::Value(value) => return Ok(value.to_owned()),
        Fallback::Label(label) => label,
    };
    if let Some(choice) = instance
        .iter()
        .find(|c| c.label.eq_ignore_ascii_case(label))
    {
        return Ok(choice.value.clone());
    }
    let why = if instance.is_empty() && config.is_security_incident() {
        "it lists no sn_si_incident states in sys_choice: is the Security Incident Response \
         application installed there, and may the user read sys_choice"
            .to_owned()
    } else if instance.is_empty() {
        "its states could not be read".to_owned()
    } else {
        let states: Vec<String> = instance
            .iter()
            .map(|c| format!("{} {}", c.value, c.label))
            .collect();
        format!(
            "it has no state labelled {label:?}; its states are: {}",
            states.join(", ")
        )
    };
    Err(PluginError::config(format!(
        "is not set, and the {} default is the state labelled {label:?} on {}, but {why}; set \
         it to the value of the state to use",
        config.table,
        config.base_url()
    ))
    .at(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(extra: serde_json::Value) -> ServiceNowConfig {
        let mut base = serde_json::json!({
            "endpoint": "https://acme.service-now.com",
            "release": "zurich",
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

    fn choices(pairs: &[(&str, &str)]) -> Vec<Choice> {
        pairs
            .iter()
            .map(|(v, l)| Choice {
                value: (*v).to_owned(),
                label: (*l).to_owned(),
            })
            .collect()
    }

    const SIR: [(&str, &str); 5] = [
        ("10", "Draft"),
        ("16", "Analysis"),
        ("100", "Review"),
        ("3", "Closed"),
        ("7", "Cancelled"),
    ];

    #[test]
    fn incident_defaults_are_the_add_on_values() {
        let states = States::resolve(&config(serde_json::json!({})), &[]);
        let expected = States {
            reopen: "1".to_owned(),
            closed: vec!["6".to_owned(), "7".to_owned(), "8".to_owned()],
            resolved: "6".to_owned(),
            close: "7".to_owned(),
        };
        assert_eq!(states.ok(), Some(expected));
    }

    #[test]
    fn security_incident_defaults_are_found_by_label() {
        let sir = config(serde_json::json!({"table": "sn_si_incident"}));
        let states = States::resolve(&sir, &choices(&SIR));
        let expected = States {
            reopen: "16".to_owned(),
            closed: vec!["100".to_owned(), "3".to_owned(), "7".to_owned()],
            resolved: "100".to_owned(),
            close: "3".to_owned(),
        };
        assert_eq!(states.ok(), Some(expected));
        let configured =
            config(serde_json::json!({"table": "sn_si_incident", "reopen_state": "10"}));
        let states = States::resolve(&configured, &choices(&SIR));
        assert_eq!(states.map(|s| s.reopen).ok().as_deref(), Some("10"));
    }

    #[test]
    fn a_missing_label_names_the_key_to_set() {
        let sir = config(serde_json::json!({"table": "sn_si_incident"}));
        let err = States::resolve(&sir, &choices(&SIR[..2])).err();
        assert_eq!(
            err.as_ref().and_then(|e| e.key_path()),
            Some("closed_states[0]")
        );
        let text = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            text.contains("\"Review\"") && text.contains("16 Analysis"),
            "{text}"
        );
        let err = States::resolve(&sir, &[]).err();
        let text = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            text.contains("Security Incident Response application"),
            "{text}"
        );
    }
}
