//! Every misspelled host key at once. Deserializing stops at the first key it does not know,
//! so a file with a mistake in `[state]` and another in `[pipelines.p.delivery]` took two
//! runs of `sluice validate` to fix. When deserializing fails, this walks the file against
//! the host's schema (from the model's types) and names every key the schema refuses.
//!
//! It only adds to an error: a file that deserializes is never checked here, so a gap in the
//! walk (a schema construct it does not follow) can hide a key, never invent a problem. Where
//! a table takes keys it does not list (a component's own keys, which its plugin checks),
//! nothing below it is looked at.

use serde_json::Value;

use super::model::Config;

/// A key the schema refuses: its dotted path and what to say of it.
pub(super) type Unknown = (String, String);

/// The keys of `text` the host's schema refuses, in no particular order (the caller places
/// and sorts them).
pub(super) fn unknown_keys(text: &str) -> Vec<Unknown> {
    let Ok(table) = toml::from_str::<toml::Table>(text) else {
        return Vec::new();
    };
    let schema = serde_json::to_value(schemars::schema_for!(Config)).unwrap_or(Value::Null);
    let walk = Walk {
        defs: schema.get("$defs").unwrap_or(&Value::Null),
    };
    let mut found = Vec::new();
    walk.table(&table, &schema, "", &mut found);
    found
}

/// The schema's definitions.
struct Walk<'a> {
    defs: &'a Value,
}

impl Walk<'_> {
    /// `node`, with a `$ref` followed and an optional's `null` variant left aside.
    fn resolve<'v>(&'v self, node: &'v Value) -> &'v Value {
        if let Some(name) = node
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/$defs/"))
        {
            return self.defs.get(name).map_or(node, |def| self.resolve(def));
        }
        let variants = node.get("anyOf").or_else(|| node.get("oneOf"));
        if let Some(Value::Array(variants)) = variants {
            let not_null: Vec<&Value> = variants
                .iter()
                .filter(|v| v.get("type").and_then(Value::as_str) != Some("null"))
                .collect();
            if let [only] = not_null.as_slice() {
                return self.resolve(only);
            }
        }
        node
    }

    fn table(&self, table: &toml::Table, node: &Value, path: &str, found: &mut Vec<Unknown>) {
        let node = self.resolve(node);
        let properties = node.get("properties").and_then(Value::as_object);
        for (key, value) in table {
            let here = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            match (
                properties.and_then(|p| p.get(key)),
                node.get("additionalProperties"),
            ) {
                (Some(child), _) => self.value(value, child, &here, found),
                (None, Some(Value::Bool(false))) => {
                    let expected: Vec<String> = properties
                        .map(|p| p.keys().map(|k| format!("`{k}`")).collect())
                        .unwrap_or_default();
                    let message = format!(
                        "unknown field `{key}`, expected one of {}",
                        expected.join(", ")
                    );
                    found.push((here, message));
                }
                (None, Some(child @ Value::Object(_))) => self.value(value, child, &here, found),
                // A table that takes any key: whoever reads it checks them.
                (None, _) => {}
            }
        }
    }

    fn value(&self, value: &toml::Value, node: &Value, path: &str, found: &mut Vec<Unknown>) {
        match value {
            toml::Value::Table(table) => self.table(table, node, path, found),
            toml::Value::Array(items) => {
                if let Some(item) = self.resolve(node).get("items") {
                    for (i, value) in items.iter().enumerate() {
                        self.value(value, item, &format!("{path}[{i}]"), found);
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> Vec<String> {
        let mut keys: Vec<String> = unknown_keys(text).into_iter().map(|(key, _)| key).collect();
        keys.sort();
        keys
    }

    #[test]
    fn every_misspelled_host_key_is_named_and_component_keys_are_left_to_plugins() {
        let text = r#"
[state]
paht = "state.db"

[telemetry]
enabled = true
lisen = "127.0.0.1:10157"

[pipelines.p.source]
type = "netwrix_auditor"
endpiont = "left to the plugin"
http.ca_fiel = "x.pem"

[pipelines.p.sink]
type = "servicenow"

[pipelines.p.delivery]
retry_mx = "1s"

[pipelines.p.delivry]
retry_max = "1s"

[response_intake]
tokn = "x"
"#;
        assert_eq!(
            keys(text),
            [
                "pipelines.p.delivery.retry_mx",
                "pipelines.p.delivry",
                "pipelines.p.source.http.ca_fiel",
                "response_intake.tokn",
                "state.paht",
                "telemetry.lisen",
            ]
        );
    }

    #[test]
    fn a_file_the_model_reads_has_none() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../sluice.example.toml"
        ))
        .unwrap();
        assert_eq!(keys(&text), Vec::<String>::new());
    }
}
