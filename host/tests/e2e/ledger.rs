//! The accounting every test ends with, written once: the state store against the ServiceNow
//! emulator.
//!
//! - every alert is accounted for: delivered, or given up on with a reason where the test
//!   expects it; none still waiting;
//! - no duplicate ticket: one incident per ticket the store opened (by correlation id), and
//!   no incident the store does not know;
//! - no lost update: each consolidated update the store marked done is in its incident, with
//!   the count of alerts it carried (work note and attachment of records; for the flood
//!   ticket, its notes' counts add up to the alerts it collected);
//! - the store passes `PRAGMA integrity_check` and `foreign_key_check`.

use sluice_core::store::db::args;
use std::collections::{BTreeMap, HashMap};

use sluice_emulators::servicenow::Incident;

use crate::support::{Site, PIPELINE};

/// How often an update may reach ServiceNow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Updates {
    /// Once: no request could have been applied without the host learning it.
    Exactly,
    /// At least once: the host was killed, or responses were lost after ServiceNow applied a
    /// write, so a note or attachment may be written twice (updates are at-least-once by
    /// design; opens never are).
    AtLeastOnce,
}

/// What a test expects of the store.
#[derive(Debug, Clone, Copy)]
pub struct Expect {
    /// Alerts queued or raised in all.
    pub alerts: u64,
    /// Of those, alerts given up on.
    pub dead: u64,
    /// How often updates may have been written.
    pub updates: Updates,
}

impl Expect {
    /// `alerts`, all delivered, each update exactly once.
    pub fn delivered(alerts: u64) -> Expect {
        Expect {
            alerts,
            dead: 0,
            updates: Updates::Exactly,
        }
    }
}

/// One ticket as the store knows it, with its incident.
#[derive(Debug, Clone)]
pub struct TicketLine {
    /// The suppression key.
    pub key: String,
    /// `alert` or `flood`.
    pub kind: String,
    /// Alerts it carries.
    pub alerts: u64,
    /// Its incident, if it was opened.
    pub incident: Option<Incident>,
}

/// The outcome of the accounting, for further assertions.
#[derive(Debug)]
pub struct Ledger {
    /// Every ticket of the pipeline.
    pub tickets: Vec<TicketLine>,
}

impl Ledger {
    /// The opened tickets of suppression key `key`.
    pub fn opened(&self, key: &str) -> Vec<&TicketLine> {
        self.tickets
            .iter()
            .filter(|t| t.key == key && t.incident.is_some())
            .collect()
    }
}

struct Action {
    id: i64,
    ticket: i64,
    kind: String,
    state: String,
    last_error: Option<String>,
    alerts: u64,
}

/// Checks everything the module docs list; panics with what is wrong.
pub fn account(site: &Site, expect: Expect) -> Ledger {
    let store = site.store();
    assert_eq!(store.integrity_check(), Ok(()), "PRAGMA integrity_check");
    // PostgreSQL enforces its foreign keys at every commit; SQLite is asked.
    if store.path().is_some() {
        let broken_keys: Vec<String> = store
            .sqlite()
            .prepare("PRAGMA foreign_key_check")
            .unwrap()
            .query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(broken_keys.is_empty(), "foreign_key_check: {broken_keys:?}");
    }
    let db = store.db();

    // Every alert accounted for.
    let counts: BTreeMap<String, u64> = sluice_core::store::alerts::counts(&store.db(), PIPELINE)
        .unwrap()
        .into_iter()
        .collect();
    let total: u64 = counts.values().sum();
    assert_eq!(total, expect.alerts, "alerts in the store: {counts:?}");
    let done = counts.get("done").copied().unwrap_or(0);
    let dead = counts.get("dead").copied().unwrap_or(0);
    assert_eq!(
        (done, dead),
        (expect.alerts - expect.dead, expect.dead),
        "alerts delivered and given up on: {counts:?}"
    );

    let actions: Vec<Action> = db
        .query(
            "SELECT o.id, o.ticket_id, o.kind, o.state, o.last_error, \
             (SELECT count(*) FROM alerts a WHERE a.outbox_id = o.id) \
             FROM outbox o WHERE o.pipeline = ?1 ORDER BY o.id",
            args![PIPELINE],
            |r| {
                Ok(Action {
                    id: r.get(0)?,
                    ticket: r.get(1)?,
                    kind: r.get(2)?,
                    state: r.get(3)?,
                    last_error: r.get(4)?,
                    alerts: r.get(5)?,
                })
            },
        )
        .unwrap();
    for a in actions.iter().filter(|a| a.state == "dead") {
        assert!(
            a.last_error.as_deref().is_some_and(|e| !e.is_empty()),
            "ticket action {} was given up on without a reason",
            a.id
        );
    }

    // One incident per opened ticket, and none the store does not know.
    let incidents = site.incidents();
    let mut by_correlation: HashMap<&str, Vec<&Incident>> = HashMap::new();
    for incident in &incidents {
        by_correlation
            .entry(incident.get("correlation_id"))
            .or_default()
            .push(incident);
    }
    let duplicated: Vec<(&&str, usize)> = by_correlation
        .iter()
        .map(|(k, v)| (k, v.len()))
        .filter(|(_, n)| *n > 1)
        .collect();
    assert!(
        duplicated.is_empty(),
        "incidents opened twice: {duplicated:?}"
    );

    let rows: Vec<(i64, String, String, String, Option<String>)> = db
        .query(
            "SELECT id, suppression_key, kind, correlation_id, sink_id FROM tickets \
             WHERE pipeline = ?1 ORDER BY id",
            args![PIPELINE],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap();
    let mut tickets = Vec::new();
    for (id, key, kind, correlation, sink_id) in rows {
        let mine: Vec<&Action> = actions.iter().filter(|a| a.ticket == id).collect();
        let open = mine.iter().find(|a| a.kind == "open");
        let incident = by_correlation.remove(correlation.as_str()).map(|v| v[0]);
        match open.map(|a| a.state.as_str()) {
            Some("done") => {
                let incident = incident.unwrap_or_else(|| {
                    panic!(
                        "ticket {key} ({correlation}) is done in the store but not in ServiceNow"
                    )
                });
                assert_eq!(
                    Some(incident.sys_id()),
                    sink_id.as_deref(),
                    "ticket {key}: the store names another incident"
                );
                check_updates(site, incident, &kind, &mine, expect.updates);
            }
            state => assert!(
                incident.is_none(),
                "ticket {key} is {state:?} in the store, yet ServiceNow has it"
            ),
        }
        tickets.push(TicketLine {
            key,
            kind,
            alerts: mine.iter().map(|a| a.alerts).sum(),
            incident: incident.cloned(),
        });
    }
    let strays: Vec<&&str> = by_correlation.keys().collect();
    assert!(
        strays.is_empty(),
        "incidents the store does not know: {strays:?}"
    );
    Ledger { tickets }
}

/// The incident's journal and attachments hold each update the store marked done.
fn check_updates(site: &Site, incident: &Incident, kind: &str, actions: &[&Action], how: Updates) {
    let number = incident.number();
    let notes = site.work_notes(incident);
    let attachments = site.servicenow.attachments(incident.sys_id());
    let times = |n: usize, what: &str| match how {
        Updates::Exactly => assert_eq!(n, 1, "{number}: {what} written {n} times"),
        Updates::AtLeastOnce => assert!(n >= 1, "{number}: {what} is missing"),
    };
    let done = actions
        .iter()
        .filter(|a| a.kind == "update" && a.state == "done");
    if kind == "flood" {
        // A flood ticket's notes list its alerts: "N more alerts beyond the flood limit:".
        let collected: u64 = done.map(|a| a.alerts).sum();
        let noted: u64 = notes
            .iter()
            .filter_map(|e| leading_count(&e.value, " beyond the flood limit"))
            .sum();
        match how {
            Updates::Exactly => assert_eq!(noted, collected, "{number}: flood notes"),
            Updates::AtLeastOnce => assert!(noted >= collected, "{number}: flood notes"),
        }
        return;
    }
    let opens = notes
        .iter()
        .filter(|e| e.value.starts_with("Alert Details:"))
        .count();
    assert_eq!(opens, 1, "{number}: the alert details are written once");
    for action in done {
        let file = format!("activity-records-{}.txt", action.id);
        let records = format!("{} activity record", action.alerts);
        let attached: Vec<_> = attachments.iter().filter(|a| a.file_name == file).collect();
        times(attached.len(), &file);
        for a in &attached {
            let text = String::from_utf8_lossy(&a.bytes);
            assert!(
                text.starts_with(&records),
                "{number}: {file} should list {records}s: {text}"
            );
        }
        let mentions: Vec<_> = notes
            .iter()
            .filter(|e| e.value.contains(&format!("({file})")))
            .collect();
        times(mentions.len(), &format!("the note of {file}"));
        let repeats = format!(": {} more occurrence", action.alerts);
        for e in mentions {
            assert!(
                e.value.contains(&repeats),
                "{number}: the note should count {} alerts: {}",
                action.alerts,
                e.value
            );
        }
    }
}

/// `N` in a text that starts "N more alerts…" and contains `marker`.
fn leading_count(text: &str, marker: &str) -> Option<u64> {
    if !text.contains(marker) {
        return None;
    }
    text.split_whitespace().next()?.parse().ok()
}
