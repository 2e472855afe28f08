//! Rendering a record the way the Table API returns it: every value a string, `""` when
//! empty; reference columns as `{"link","value"}` unless links are excluded (the link has no
//! version segment); `sysparm_display_value` `false` / `true` / `all`; journals `""` in value
//! mode and their newest-first concatenation in display mode. Display-mode dates keep the
//! `YYYY-MM-DD HH:MM:SS` UTC form: the emulated users have the system date format and the UTC
//! time zone, so value and display coincide (a real user's zone would shift them).

use serde_json::{Map, Value};

use super::journal;
use super::schema::{FieldDef, FieldKind, TableDef};
use super::store::{Record, Store};
use super::walk::{walk, Walked};

/// `sysparm_display_value`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DisplayMode {
    /// `false` (default): raw values.
    Value,
    /// `true`: display values.
    Display,
    /// `all`: both.
    All,
}

impl DisplayMode {
    /// Parses the parameter; anything unrecognised is the default (`false`). Case-insensitive,
    /// because Python clients send `False`.
    pub(crate) fn parse(value: Option<&str>) -> Self {
        match value.map(str::to_ascii_lowercase).as_deref() {
            Some("true") => DisplayMode::Display,
            Some("all") => DisplayMode::All,
            _ => DisplayMode::Value,
        }
    }
}

/// How to render.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RenderOptions<'a> {
    pub(crate) mode: DisplayMode,
    /// `sysparm_exclude_reference_link=true`.
    pub(crate) exclude_links: bool,
    /// `sysparm_fields`; `None` = every column. Unknown names are ignored.
    pub(crate) fields: Option<&'a [String]>,
    /// `http(s)://host` the links point at.
    pub(crate) base_url: &'a str,
}

/// Renders `record` of `table` as a JSON object.
pub(crate) fn render(
    store: &Store,
    table: &'static TableDef,
    record: &Record,
    opts: &RenderOptions<'_>,
) -> Value {
    let mut object = Map::new();
    match opts.fields {
        None => {
            for field in table.fields {
                object.insert(
                    field.name.to_owned(),
                    render_column(store, table, record, field, opts),
                );
            }
        }
        Some(names) => {
            for name in names {
                let value = match walk(store, table, record, name) {
                    Some(Walked::Column {
                        table,
                        record,
                        field,
                    }) => render_column(store, table, record, field, opts),
                    Some(Walked::Nothing) => empty(opts.mode),
                    None => continue,
                };
                object.insert(name.clone(), value);
            }
        }
    }
    Value::Object(object)
}

/// An empty value in `mode`.
fn empty(mode: DisplayMode) -> Value {
    match mode {
        DisplayMode::All => serde_json::json!({"display_value": "", "value": ""}),
        DisplayMode::Value | DisplayMode::Display => Value::String(String::new()),
    }
}

/// The link of a non-empty reference value: `<base>/api/now/table/<table>/<sys_id>`.
fn link(field: &FieldDef, raw: &str, base_url: &str) -> Option<String> {
    let target = match field.kind {
        FieldKind::Reference(target) => target,
        FieldKind::Domain => "sys_user_group",
        _ => return None,
    };
    (!raw.is_empty()).then(|| format!("{base_url}/api/now/table/{target}/{raw}"))
}

/// The display value of one column.
fn display_value(store: &Store, table: &TableDef, record: &Record, field: &FieldDef) -> String {
    let raw = record.get(field.name);
    match field.kind {
        FieldKind::Text | FieldKind::Boolean | FieldKind::DateTime | FieldKind::Domain => {
            raw.to_owned()
        }
        FieldKind::Choice => store
            .choice_label(table.name, field.name, raw)
            .unwrap_or(raw)
            .to_owned(),
        FieldKind::Reference(target) => {
            if raw.is_empty() {
                String::new()
            } else {
                store.display_value(target, raw).unwrap_or_default()
            }
        }
        FieldKind::ClassName => {
            if raw == table.name {
                table.label.to_owned()
            } else {
                raw.to_owned()
            }
        }
        FieldKind::Journal => journal::display(store, record.sys_id(), &[field.name]),
        FieldKind::JournalList => journal::display(
            store,
            record.sys_id(),
            &[journal::WORK_NOTES, journal::COMMENTS],
        ),
    }
}

fn render_column(
    store: &Store,
    table: &TableDef,
    record: &Record,
    field: &FieldDef,
    opts: &RenderOptions<'_>,
) -> Value {
    let raw = match field.kind {
        FieldKind::Journal | FieldKind::JournalList => "",
        _ => record.get(field.name),
    };
    let link = link(field, raw, opts.base_url).filter(|_| !opts.exclude_links);
    let string = |s: &str| Value::String(s.to_owned());
    match opts.mode {
        DisplayMode::Value => match link {
            Some(link) => serde_json::json!({"link": link, "value": raw}),
            None => string(raw),
        },
        DisplayMode::Display => {
            let display = display_value(store, table, record, field);
            match link {
                Some(link) => serde_json::json!({"display_value": display, "link": link}),
                None => Value::String(display),
            }
        }
        DisplayMode::All => {
            let mut object = Map::new();
            object.insert(
                "display_value".to_owned(),
                Value::String(display_value(store, table, record, field)),
            );
            object.insert("value".to_owned(), string(raw));
            if let Some(link) = link {
                object.insert("link".to_owned(), Value::String(link));
            }
            Value::Object(object)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::servicenow::schema;
    use serde_json::json;

    fn fixture() -> (Store, Record) {
        let mut store = Store::new();
        let mut group = Record::blank(&schema::GROUP);
        group.set("sys_id", "g1");
        group.set("name", "Network");
        store.insert(&schema::GROUP, group);
        let mut incident = Record::blank(&schema::INCIDENT);
        incident.set("sys_id", "i1");
        incident.set("assignment_group", "g1");
        incident.set("sys_class_name", "incident");
        journal::append(
            &mut store,
            "incident",
            "i1",
            "work_notes",
            "note",
            "svc",
            "2018-06-01 10:00:00",
        );
        (store, incident)
    }

    fn opts(mode: DisplayMode, exclude_links: bool, fields: &[String]) -> RenderOptions<'_> {
        RenderOptions {
            mode,
            exclude_links,
            fields: Some(fields),
            base_url: "http://sn",
        }
    }

    #[test]
    fn reference_and_journal_in_every_mode() {
        let (store, incident) = fixture();
        let fields: Vec<String> = [
            "assignment_group",
            "work_notes",
            "caller_id",
            "sys_class_name",
            "nope",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        let link = "http://sn/api/now/table/sys_user_group/g1";
        let render = |mode, exclude| {
            render(
                &store,
                &schema::INCIDENT,
                &incident,
                &opts(mode, exclude, &fields),
            )
        };
        assert_eq!(
            render(DisplayMode::Value, false),
            json!({"assignment_group": {"link": link, "value": "g1"}, "work_notes": "", "caller_id": "", "sys_class_name": "incident"})
        );
        assert_eq!(
            render(DisplayMode::Value, true),
            json!({"assignment_group": "g1", "work_notes": "", "caller_id": "", "sys_class_name": "incident"})
        );
        assert_eq!(
            render(DisplayMode::Display, false),
            json!({
                "assignment_group": {"display_value": "Network", "link": link},
                "work_notes": "2018-06-01 10:00:00 - svc (Work notes)\nnote\n\n",
                "caller_id": "",
                "sys_class_name": "Incident",
            })
        );
        assert_eq!(
            render(DisplayMode::All, true)["assignment_group"],
            json!({"display_value": "Network", "value": "g1"})
        );
        assert_eq!(
            render(DisplayMode::All, false)["caller_id"],
            json!({"display_value": "", "value": ""})
        );
    }

    #[test]
    fn display_mode_parses_python_booleans() {
        assert_eq!(DisplayMode::parse(Some("False")), DisplayMode::Value);
        assert_eq!(DisplayMode::parse(Some("True")), DisplayMode::Display);
        assert_eq!(DisplayMode::parse(Some("all")), DisplayMode::All);
        assert_eq!(DisplayMode::parse(None), DisplayMode::Value);
    }
}
