//! The host killed with SIGKILL at random points of a flood, and restarted: every alert is
//! accounted for, no ticket is opened twice, no update is lost, and the state store is sound.
//!
//! ```text
//!  test ──queue alerts──► state.db ◄── sluice run (killed -9, restarted, 20+ times)
//!                                          │ fetch (probe source)   │ deliver
//!                                          ▼                        ▼
//!                                                              tickets.jsonl (fsync)
//! ```

use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sluice_core::queue_response_action;
use sluice_core::{Durability, Store};

use crate::util::{sluice_with_probe, terminate, workspace_plugin, Lcg};

const CONFIG: &str = r#"
[state]
path = "state.db"

[pipelines.p.source]
type = "probe_source"
records = 1000000

[pipelines.p.sink]
type = "jsonl"
path = "tickets.jsonl"

[pipelines.p.suppression]
consolidation_interval = "300ms"
ticket_flood_limit = 10

[pipelines.p.retention]
alerts = 1000000
"#;

fn start(dir: &std::path::Path) -> Child {
    let mut cmd: Command = sluice_with_probe();
    cmd.current_dir(dir)
        .args(["run", "--config", "sluice.toml"])
        .env("SLUICE_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd.spawn().expect("sluice run starts")
}

#[test]
fn killed_in_the_middle_of_a_flood_loses_nothing_and_duplicates_no_ticket() {
    workspace_plugin("sluice-sink-jsonl");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sluice.toml"), CONFIG).unwrap();
    let mut rng = Lcg::seeded("killed_in_the_middle_of_a_flood");

    let mut store = Store::open(&dir.path().join("state.db"), Durability::Full).unwrap();
    let mut queued = 0u64;
    let mut queue = |store: &mut Store, n: u64, rng: &mut Lcg| {
        for _ in 0..n {
            queued += 1;
            let name = format!("Type {:02}", rng.next(14));
            let now = sluice_core::Timestamp::now();
            queue_response_action(
                store,
                "p",
                &format!("{{{name}}}"),
                &format!("rec-{queued}"),
                &name,
                now,
            )
            .unwrap();
        }
    };

    let kills = 22;
    for _ in 0..kills {
        queue(&mut store, 20 + rng.next(60), &mut rng);
        let mut child = start(dir.path());
        std::thread::sleep(Duration::from_millis(60 + rng.next(400)));
        child.kill().expect("SIGKILL");
        child.wait().unwrap();
    }
    queue(&mut store, 50, &mut rng);

    // A last run until everything is delivered, then a clean stop.
    let mut child = start(dir.path());
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let pending = sluice_core::store::alerts::unfinished(&store.db(), "p").unwrap();
        if pending == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{pending} alerts or actions still pending"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    terminate(&mut child, Duration::from_secs(10));

    // Every alert accounted for.
    let counts = sluice_core::store::alerts::counts(&store.db(), "p").unwrap();
    assert_eq!(
        counts,
        vec![("done".to_owned(), queued)],
        "every alert queued is in the store, delivered"
    );

    // No ticket opened twice: one create per correlation key, and one per ticket row.
    let lines = std::fs::read_to_string(dir.path().join("tickets.jsonl")).unwrap();
    let mut creates: HashMap<String, u32> = HashMap::new();
    let mut counted: HashMap<String, u64> = HashMap::new();
    let mut ticket_of_key: HashMap<String, String> = HashMap::new();
    for line in lines.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let ticket = v["ticket"].as_str().unwrap().to_owned();
        match v["action"].as_str().unwrap() {
            "create" => {
                let key = v["correlation_id"].as_str().unwrap().to_owned();
                *creates.entry(key.clone()).or_default() += 1;
                ticket_of_key.insert(key, ticket.clone());
                *counted.entry(ticket).or_default() += 1;
            }
            "add_note" => {
                let note = v["fields"][0][1].as_str().unwrap();
                let n: u64 = note
                    .split(" more occurrence")
                    .next()
                    .and_then(|s| s.rsplit(' ').next())
                    .and_then(|n| n.parse().ok())
                    .or_else(|| {
                        note.split(" more alert")
                            .next()
                            .and_then(|s| s.parse().ok())
                    })
                    .unwrap_or(0);
                *counted.entry(ticket).or_default() += n;
            }
            _ => {}
        }
    }
    let duplicated: Vec<_> = creates.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        duplicated.is_empty(),
        "tickets created twice: {duplicated:?}"
    );
    let rows: Vec<(String, i64)> = store
        .sqlite()
        .prepare("SELECT t.correlation_id, count(a.id) FROM tickets t JOIN alerts a ON a.ticket_id = t.id GROUP BY t.id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let keys: HashSet<&String> = rows.iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys.len(),
        creates.len(),
        "every ticket row was created exactly once"
    );

    // No lost update: each ticket's create and updates account for all of its alerts (an
    // update interrupted after it reached the sink may be written twice: at least once).
    for (key, alerts) in rows {
        let ticket = &ticket_of_key[&key];
        assert!(
            counted[ticket] >= alerts as u64,
            "ticket {ticket} ({key}) shows {} of its {alerts} alerts",
            counted[ticket]
        );
    }
    assert_eq!(store.integrity_check(), Ok(()));
}
