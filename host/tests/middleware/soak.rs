//! A compressed soak: a simulated day of alerts on the manual clock, with ServiceNow outages,
//! a rate-limit storm, creates committed late, Auditor answering 503 and host restarts. At the
//! end: every alert delivered, no ticket twice, and the process's memory no larger than after
//! the first hours.

use std::collections::HashMap;
use std::time::Duration;

use sluice_core::testkit::Availability;

use crate::support::{hours, minutes, Harness};

/// Every setting at its default but two: a ticket per account and alert type, and history
/// kept whole so that every alert can be counted.
const SOAK: &str = "suppression.group_by = [\"Who\"]\nretention.alerts = 1000000\n\
                    retention.alert_age = \"30d\"\nretention.seen_records_age = \"30d\"";

/// A deterministic stream of numbers (xorshift), so a failing day can be replayed.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// What happens at minute `m` of the day.
fn weather(h: &mut Harness, m: u64) {
    let sink = h.engine.sink_mut();
    match m {
        // An outage from 03:00 to 03:40, a rate-limit storm from 09:00 to 09:20.
        180 => sink.availability = Availability::Down,
        540 => sink.availability = Availability::RateLimited(Duration::from_secs(90)),
        220 | 560 => sink.availability = Availability::Up,
        // For an hour, twice a day, every create is committed by the instance up to a minute
        // after sluice gave up on it.
        420..480 | 1020..1080 => {
            sink.commit_held();
            sink.held_creates = usize::MAX;
        }
        480 | 1080 => {
            sink.held_creates = 0;
            sink.commit_held();
        }
        // The Auditor answers 503 to the next fetches.
        720 => h.engine.source_mut().fail_next = 40,
        _ => {}
    }
}

/// Resident memory of this process, in kB.
fn resident_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn a_day_of_alerts_through_outages_storms_late_commits_and_restarts() {
    let mut h = Harness::new(SOAK);
    let mut dice = Dice(0x5EED_F0DA);
    let mut queued = 0u64;
    let mut adopted = 0;
    let mut rss_early = 0;
    for minute in 0..24 * 60 {
        weather(&mut h, minute);
        // About two alerts a minute from 40 accounts and 8 alert types, and a flood of 200 at
        // 15:00.
        let n = if minute == 900 { 200 } else { dice.below(5) };
        for _ in 0..n {
            let name = format!("Alert {}", dice.below(8));
            let who = format!("CORP\\user{}", dice.below(40));
            h.alert_by(&name, &who);
            queued += 1;
        }
        // New accounts when creates are held, so that there are creates to hold.
        if minute == 420 || minute == 1020 {
            for i in 0..3 {
                h.alert_by("Alert 0", &format!("CORP\\new{minute}-{i}"));
                queued += 1;
            }
        }
        // Now and then an agent resolves a ticket: a repeat reopens it.
        if dice.below(30) == 0 && !h.sink().tickets.is_empty() {
            let i = dice.below(h.sink().tickets.len() as u64) as usize;
            let number = h.sink().tickets[i].ticket.number.to_string();
            h.engine.sink_mut().set_state(&number, "6");
        }
        // The stand-in keeps every note; only their count matters here.
        for t in &mut h.engine.sink_mut().tickets {
            t.notes.clear();
            t.attachments.clear();
        }
        // Restarts every five hours.
        if minute % 300 == 299 {
            adopted += h.engine.stats().delivery.adopted;
            h.restart(SOAK);
        }
        for _ in 0..3 {
            h.advance(Duration::from_secs(20));
        }
        if minute == 6 * 60 {
            rss_early = resident_kb();
        }
    }
    // The day is over: everything still queued goes out.
    h.advance(minutes(30));
    h.advance(hours(1));
    h.advance(hours(1));
    let rss_late = resident_kb();

    let store = h.place.open();
    let counts: HashMap<String, u64> = sluice_core::store::alerts::counts(&store.db(), "p")
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(counts.get("done").copied(), Some(queued), "{counts:?}");
    assert_eq!(
        counts.len(),
        1,
        "nothing left queued, pending or dead: {counts:?}"
    );

    let mut per_key: HashMap<&str, usize> = HashMap::new();
    for t in &h.sink().tickets {
        *per_key.entry(t.correlation_id.as_str()).or_default() += 1;
    }
    let twice: Vec<_> = per_key.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "tickets opened twice: {twice:?}");
    assert!(h.sink().held.is_empty());
    adopted += h.engine.stats().delivery.adopted;
    assert!(adopted >= 6, "late commits adopted: {adopted}");
    assert!(
        rss_late < rss_early + 16 * 1024,
        "memory grew from {rss_early} kB after six hours to {rss_late} kB"
    );
}
