//! The config loader (`config::ConfigFile::parse`, then what `sluice validate` builds from it:
//! ticket templates and the alert set) and the alert-definition loader, over valid files
//! given odd values, keys removed or added, and text cut or spliced: every outcome is a
//! config or a list of diagnostics, never a panic; diagnostics say where.

use std::path::Path;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use proptest::prelude::*;
use sluice_core::build_spec;
use sluice_core::load_alert_file as load_file;
use sluice_core::queue_response_action;
use sluice_core::testkit::{record, MemorySink, MemorySource};
use sluice_core::ManualClock;
use sluice_core::{ConfigFile, SecretResolver};
use sluice_core::{Durability, Store};
use sluice_core::{Engine, PipelineSpec};

const CONFIG: &str = r#"
[state]
path = "state.db"
durability = "normal"

[plugins]
directories = ["plugins"]

[pipelines.security.source]
type = "netwrix_auditor"
endpoint = "https://auditor.corp.local:9699"
password = "${AUDITOR_PASSWORD}"
http.ca_file = "auditor.pem"
http.proxy = "none"

[pipelines.security.sink]
type = "servicenow"
endpoint = "https://acme.service-now.com"
password = "${SET}"

[pipelines.security.intake]
response_action = true
poll = true
poll_interval = "30s"
alerts = "alerts"
fetch_batch = 200
fetch_attempts = 5

[pipelines.security.suppression]
ticket_flood_limit = 10
ticket_flood_interval = "1h"
consolidation_interval = "15m"
update_interval = "24h"
group_by = ["Who"]
max_records_per_update = 1000

[pipelines.security.ticket]
short_description = "[Netwrix Auditor] %AlertName%"
description = "%AlertDescription%\n\n%PreviousTicketReference%"
work_notes = "Who: %Who%\nWhat: %What%"

[pipelines.security.delivery]
batch = 50
retry_initial = "1s"
retry_max = "5m"

[pipelines.security.retention]
alerts = 5000
alert_age = "7d"
seen_records_age = "7d"
"#;

const ALERT: &str = r#"name = "ITSM Add-On: User Account Locked Out"
description = "Locked."
enabled = true

[filters]
DataSource = { Equals = "Active Directory" }
Action = "Modified"
Detail = [{ Equals = "Account Locked Out" }, { Contains = "locked" }]
When = { LastSevenDays = "" }
WorkingHours = { NotEqualTo = { From = "08:00:00+01:00", To = "18:00:00+01:00" } }

[threshold]
count = 3
within = "5m"
group_by = "Who"

[ticket]
urgency = "2"
short_description = "%AlertName% by %Who%"
"#;

/// Every duration key of a pipeline, as a path into `CONFIG`.
const DURATION_KEYS: [&str; 12] = [
    "pipelines.security.intake.poll_interval",
    "pipelines.security.suppression.ticket_flood_interval",
    "pipelines.security.suppression.consolidation_interval",
    "pipelines.security.suppression.update_interval",
    "pipelines.security.suppression.correlation_interval",
    "pipelines.security.delivery.retry_initial",
    "pipelines.security.delivery.retry_max",
    "pipelines.security.delivery.retry_after_max",
    "pipelines.security.delivery.give_up_after",
    "pipelines.security.retention.alert_age",
    "pipelines.security.retention.ticket_action_age",
    "pipelines.security.retention.seen_records_age",
];

/// Values that config parsers trip on.
fn odd_value() -> impl Strategy<Value = toml::Value> {
    prop_oneof![
        prop::sample::select(vec![
            "",
            " ",
            "0s",
            "-1s",
            "1ns",
            "18446744073709551615s",
            "99999999999999999999999h",
            "584942417355y",
            "1e9d",
            "15 minutes",
            "${}",
            "${UNSET}",
            "${SET}",
            "file:",
            "file:/nonexistent/secret",
            "%AlertName",
            "%Nope%",
            "%%",
            "\u{0}",
            "\u{202E}x",
            "none",
            "socks5://x",
            "http://",
            "full",
            "normal",
            "../../../../etc",
            "a\nb",
            "\\\\?\\C:\\x",
        ])
        .prop_map(|s| toml::Value::String(s.to_owned())),
        "\\PC{0,16}".prop_map(toml::Value::String),
        prop::sample::select(vec![i64::MIN, -1, 0, 1, i64::MAX, u32::MAX as i64 + 1])
            .prop_map(toml::Value::Integer),
        prop::sample::select(vec![f64::NAN, f64::INFINITY, -0.0, 1e308])
            .prop_map(toml::Value::Float),
        any::<bool>().prop_map(toml::Value::Boolean),
        Just(toml::Value::Array(vec![])),
        Just(toml::Value::Table(toml::Table::new())),
        Just(toml::Value::Array(vec![toml::Value::Table(
            toml::Table::new()
        )])),
    ]
}

/// Ways to change a valid file.
#[derive(Debug, Clone)]
enum Edit {
    /// Set the key at this path (existing, or new) to a value.
    Set(Vec<String>, toml::Value),
    /// Remove the key at this path.
    Remove(Vec<String>),
}

/// Every key path of `table`, tables included.
fn paths(table: &toml::Table, prefix: &[String], out: &mut Vec<Vec<String>>) {
    for (k, v) in table {
        let mut path = prefix.to_vec();
        path.push(k.clone());
        out.push(path.clone());
        if let toml::Value::Table(t) = v {
            paths(t, &path, out);
        }
    }
}

fn edit() -> impl Strategy<Value = (prop::sample::Index, bool, Option<String>, toml::Value)> {
    (
        any::<prop::sample::Index>(),
        any::<bool>(),
        prop::option::of(prop::sample::select(vec![
            "bogus".to_owned(),
            "type".to_owned(),
            "enabled".to_owned(),
            "http".to_owned(),
            "plugin".to_owned(),
            "naïve key".to_owned(),
        ])),
        odd_value(),
    )
}

fn apply(base: &str, edits: &[(prop::sample::Index, bool, Option<String>, toml::Value)]) -> String {
    let mut table: toml::Table = base.parse().unwrap_or_else(|e| panic!("{e}"));
    for (at, remove, new_key, value) in edits {
        let mut all = Vec::new();
        paths(&table, &[], &mut all);
        if all.is_empty() {
            break;
        }
        let mut path = all[at.index(all.len())].clone();
        let edit = match (remove, new_key) {
            (true, _) => Edit::Remove(path),
            (false, Some(k)) => {
                path.push(k.clone());
                Edit::Set(path, value.clone())
            }
            (false, None) => Edit::Set(path, value.clone()),
        };
        apply_edit(&mut table, &edit);
    }
    table.to_string()
}

fn apply_edit(table: &mut toml::Table, edit: &Edit) {
    let (path, value) = match edit {
        Edit::Set(p, v) => (p, Some(v)),
        Edit::Remove(p) => (p, None),
    };
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut t = table;
    for key in parents {
        match t.get_mut(key) {
            Some(toml::Value::Table(inner)) => t = inner,
            _ => return,
        }
    }
    match value {
        Some(v) => {
            t.insert(last.clone(), v.clone());
        }
        None => {
            t.remove(last);
        }
    }
}

/// Text-level damage: cut, or splice in something.
fn damage() -> impl Strategy<Value = (prop::sample::Index, Option<&'static str>)> {
    (
        any::<prop::sample::Index>(),
        prop::option::of(prop::sample::select(vec![
            "[",
            "]",
            "[[",
            "=",
            "\"",
            "'''",
            "\\u{0}",
            "\\uD800",
            "\n[pipelines.x]\n",
            "[state]\n",
            "\u{FEFF}",
            "\r",
            "\u{1F600}",
            "99999999999999999999999",
            "{",
            "a.b.c.d.e.f.g = 1\n",
        ])),
    )
}

fn cut_or_splice(
    text: &str,
    (at, snippet): &(prop::sample::Index, Option<&'static str>),
) -> String {
    let mut i = at.index(text.len() + 1);
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    match snippet {
        None => text[..i].to_owned(),
        Some(s) => format!("{}{s}{}", &text[..i], &text[i..]),
    }
}

fn resolver() -> SecretResolver<impl Fn(&str) -> Option<String>> {
    SecretResolver::new(|name: &str| match name {
        "SET" | "AUDITOR_PASSWORD" => Some("s3cret".to_owned()),
        _ => None,
    })
}

/// Loads `text` as `sluice validate` does, and runs what it accepts: a few engine steps
/// with stand-ins for the source and sink, so that every accepted value meets the
/// arithmetic it feeds (intervals added to times, limits, batch sizes).
fn load(text: &str) {
    match ConfigFile::parse(Path::new("sluice.toml"), text.to_owned(), &resolver()) {
        Ok(file) => {
            for (name, settings) in &file.config.pipelines {
                match build_spec(&file, name, settings) {
                    Ok(spec) => run_briefly(spec),
                    Err(problems) => {
                        assert!(!problems.is_empty());
                        for p in problems {
                            let _ = p.to_string();
                        }
                    }
                }
            }
        }
        Err(errors) => {
            assert!(!errors.0.is_empty(), "an error without a diagnostic");
            for d in &errors.0 {
                assert!(d.position.is_none_or(|(l, c)| l >= 1 && c >= 1));
                assert!(!d.to_string().contains("s3cret"), "a secret in {d}");
            }
        }
    }
}

/// Three steps of an engine for `spec`, an hour apart, over a fresh store: an alert queued,
/// a record polled.
fn run_briefly(spec: PipelineSpec) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = Store::open(&dir.path().join("state.db"), Durability::Normal)
        .unwrap_or_else(|e| panic!("{e}"));
    let clock = Arc::new(ManualClock::new(
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_710_000_000),
    ));
    let mut source = MemorySource::default();
    let r = record(
        "rid-1",
        "CORP\\jdoe",
        "\\local\\corp\\Users\\J",
        "Account Locked Out",
    );
    source.records.insert("rid-1".into(), r.clone());
    source.pages.push(vec![r]);
    let name = spec.name.clone();
    let mut engine = Engine::new(
        Arc::new(spec),
        store,
        source,
        MemorySink::default(),
        clock.clone(),
    );
    let mut queue = Store::open(&dir.path().join("state.db"), Durability::Normal)
        .unwrap_or_else(|e| panic!("{e}"));
    queue_response_action(
        &mut queue,
        &name,
        "{A}",
        "rid-1",
        "Alert A",
        sluice_core::Timestamp::from_millis(1_710_000_000_000),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    for _ in 0..3 {
        engine.step().unwrap_or_else(|e| panic!("{e}"));
        let _ = engine.next_wakeup();
        clock.advance(Duration::from_secs(3600));
    }
}

proptest! {
    #![proptest_config(crate::cases(64))]

    #[test]
    fn edited_configs_load_or_give_diagnostics(
        edits in prop::collection::vec(edit(), 1..5),
        damage in prop::option::of(damage()),
    ) {
        let mut text = apply(CONFIG, &edits);
        if let Some(d) = &damage {
            text = cut_or_splice(&text, d);
        }
        load(&text);
    }

    #[test]
    fn any_duration_text_at_any_duration_key(
        key in prop::sample::select(DURATION_KEYS.to_vec()),
        digits in prop_oneof!["[0-9]{1,3}", "[0-9]{8,22}"],
        unit in prop::sample::select(vec!["ns", "ms", "s", "m", "h", "d", "w", "y", "", " years", "s 5y"]),
    ) {
        let mut table: toml::Table = CONFIG.parse().unwrap_or_else(|e| panic!("{e}"));
        let path: Vec<String> = key.split('.').map(str::to_owned).collect();
        apply_edit(&mut table, &Edit::Set(path, toml::Value::String(format!("{digits}{unit}"))));
        load(&table.to_string());
    }

    #[test]
    fn arbitrary_text_is_never_a_panic(text in "\\PC{0,200}") {
        load(&text);
    }

    #[test]
    fn edited_alert_definitions_load_or_give_diagnostics(
        edits in prop::collection::vec(edit(), 1..5),
        damage in prop::option::of(damage()),
    ) {
        let mut text = apply(ALERT, &edits);
        if let Some(d) = &damage {
            text = cut_or_splice(&text, d);
        }
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let file = dir.path().join("alert.toml");
        std::fs::write(&file, &text).unwrap_or_else(|e| panic!("{e}"));
        if let Err(errors) = load_file(&file) {
            prop_assert!(!errors.0.is_empty());
            let _ = errors.to_string();
        }
    }
}

#[test]
fn the_base_files_are_valid() {
    let file = ConfigFile::parse(Path::new("sluice.toml"), CONFIG.to_owned(), &resolver())
        .unwrap_or_else(|e| panic!("{e}"));
    let settings = &file.config.pipelines["security"];
    build_spec(&file, "security", settings).unwrap_or_else(|e| panic!("{e:?}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("a.toml"), ALERT).unwrap_or_else(|e| panic!("{e}"));
    load_file(&dir.path().join("a.toml")).unwrap_or_else(|e| panic!("{e}"));
}
