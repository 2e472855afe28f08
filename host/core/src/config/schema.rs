//! The JSON Schema of a whole config: the host's keys (from the model's types) with every
//! installed component's own schema (exported by its plugin) in place of the generic
//! component table, so an editor can complete and check `source` and `sink` tables.

use serde_json::{json, Map, Value};
use sluice_sdk::{ComponentKind, Plugin};

use super::model::Config;

/// The schema of a config for the given installed plugins.
pub fn config_schema<'a>(plugins: impl IntoIterator<Item = &'a Plugin>) -> Value {
    let mut root = serde_json::to_value(schemars::schema_for!(Config)).unwrap_or(Value::Null);
    let mut hoisted = Map::new();
    let mut sources = Vec::new();
    let mut sinks = Vec::new();
    for plugin in plugins {
        let manifest = plugin.manifest();
        for component in &manifest.components {
            let variant = component_schema(&manifest.name, component, &mut hoisted);
            match component.kind {
                ComponentKind::Source => sources.push(variant),
                ComponentKind::Sink => sinks.push(variant),
                _ => {}
            }
        }
    }
    let Some(defs) = root.get_mut("$defs").and_then(Value::as_object_mut) else {
        return root;
    };
    defs.extend(hoisted);
    if let Some(props) = defs
        .get_mut("PipelineSettings")
        .and_then(|p| p.get_mut("properties"))
        .and_then(Value::as_object_mut)
    {
        for (role, variants) in [("source", sources), ("sink", sinks)] {
            if !variants.is_empty() {
                let description = props
                    .get(role)
                    .and_then(|p| p.get("description"))
                    .cloned()
                    .unwrap_or(Value::Null);
                props.insert(
                    role.to_owned(),
                    json!({ "description": description, "oneOf": variants }),
                );
            }
        }
    }
    root
}

/// One component's table: the host's keys plus the component's own, `type` fixed to its name.
fn component_schema(
    plugin: &str,
    component: &sluice_sdk::ComponentInfo,
    hoisted: &mut Map<String, Value>,
) -> Value {
    let prefix = format!("{plugin}.{}.", component.name);
    let mut schema = component.config_schema.clone();
    rewrite_refs(&mut schema, &prefix);
    let own = schema.as_object_mut().cloned().unwrap_or_default();
    if let Some(Value::Object(defs)) = own.get("$defs") {
        for (name, def) in defs {
            hoisted.insert(format!("{prefix}{name}"), def.clone());
        }
    }
    let mut properties = Map::new();
    properties.insert(
        "type".to_owned(),
        json!({ "const": component.name, "description": "The component, by name." }),
    );
    properties.insert(
        "plugin".to_owned(),
        json!({ "type": "string", "description": "The plugin that provides it, when ambiguous." }),
    );
    properties.insert("http".to_owned(), json!({ "$ref": "#/$defs/HttpSettings" }));
    if let Some(Value::Object(p)) = own.get("properties") {
        properties.extend(p.clone());
    }
    let mut required = vec![Value::from("type")];
    if let Some(Value::Array(r)) = own.get("required") {
        required.extend(r.iter().cloned());
    }
    json!({
        "title": format!("{} ({} plugin {})", component.name, component.kind, plugin),
        "description": component.description,
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": own.get("additionalProperties").cloned().unwrap_or(Value::Bool(true)),
    })
}

/// Points `#/$defs/X` references at the hoisted `#/$defs/{prefix}X`.
fn rewrite_refs(value: &mut Value, prefix: &str) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match v {
                    Value::String(s) if key == "$ref" => {
                        if let Some(name) = s.strip_prefix("#/$defs/") {
                            *s = format!("#/$defs/{prefix}{name}");
                        }
                    }
                    _ => rewrite_refs(v, prefix),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite_refs(v, prefix)),
        _ => {}
    }
}
