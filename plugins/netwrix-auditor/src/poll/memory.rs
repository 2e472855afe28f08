//! [`Memory`]: the RIDs this instance has already returned, kept between polls so that a
//! record is returned once even though windows overlap (records come in no documented order
//! and late, hence the overlap) and so that a server repeating itself is noticed.
//!
//! It is an optimisation on top of the checkpoint, never a substitute: it is trusted only
//! while the host continues from exactly the checkpoint this instance last returned. A new
//! instance (a restart), or a host that polls again from an older checkpoint because it could
//! not queue a batch, starts with an empty memory, so nothing the host did not keep is
//! withheld; repeats then reach the host, which drops polled records it has seen by id.

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;
use sluice_sdk::{Checkpoint, Record};

/// At most this many RIDs are remembered per scan (about 100 bytes each): past it, repeats are
/// left to the host's deduplication rather than growing without bound.
const CAPACITY: usize = 200_000;

/// RIDs returned in the current scan and carried over from the previous one.
#[derive(Debug, Default)]
pub struct Memory {
    /// The checkpoint last returned; the memory belongs to it.
    checkpoint: Option<Checkpoint>,
    /// Upper-cased RID → `When` in seconds (if known), for the current scan.
    scan: HashMap<String, Option<i64>>,
    /// RIDs of the previous scan whose `When` falls in the current window's overlap.
    carried: HashSet<String>,
}

impl Memory {
    /// Forgets everything unless the host continues from our last checkpoint.
    pub fn align(&mut self, checkpoint: Option<&Checkpoint>) {
        if checkpoint.is_none() || checkpoint != self.checkpoint.as_ref() {
            self.scan.clear();
            self.carried.clear();
        }
    }

    /// Records the checkpoint this poll returns.
    pub fn returned(&mut self, checkpoint: &Checkpoint) {
        self.checkpoint = Some(checkpoint.clone());
    }

    /// Whether every record was already returned in this scan: the server sent a page again.
    pub fn all_repeated(&self, records: &[Record]) -> bool {
        !records.is_empty() && records.iter().all(|r| self.scan.contains_key(&key(r)))
    }

    /// Keeps the records not returned before (in this scan or the previous scan's overlap)
    /// and remembers them.
    pub fn keep_new(&mut self, records: Vec<Record>) -> Vec<Record> {
        records
            .into_iter()
            .filter(|record| {
                let key = key(record);
                if self.scan.contains_key(&key) || self.carried.contains(&key) {
                    return false;
                }
                if self.scan.len() < CAPACITY {
                    let when = record
                        .time
                        .and_then(|t| Timestamp::try_from(t).ok())
                        .map(|t| t.as_second());
                    self.scan.insert(key, when);
                }
                true
            })
            .collect()
    }

    /// A scan restarts from its first page: what it returned may come again, legitimately.
    pub fn restart_scan(&mut self) {
        self.scan.clear();
    }

    /// The scan ended; the next window starts at `from`. Records at or after `from` will be
    /// in it again, so they are carried.
    pub fn next_window(&mut self, from: Timestamp) {
        let from = from.as_second();
        self.carried = self
            .scan
            .drain()
            .filter(|(_, when)| when.is_some_and(|w| w >= from))
            .map(|(rid, _)| rid)
            .collect();
    }
}

fn key(record: &Record) -> String {
    record.id.to_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn record(id: &str, secs: u64) -> Record {
        Record {
            time: Some(UNIX_EPOCH + Duration::from_secs(secs)),
            ..Record::new(id)
        }
    }

    fn ids(records: &[Record]) -> Vec<&str> {
        records.iter().map(|r| r.id.as_str()).collect()
    }

    #[test]
    fn repeats_are_dropped_within_a_scan_and_across_the_overlap() {
        let mut memory = Memory::default();
        let first = memory.keep_new(vec![record("a", 10), record("b", 100)]);
        assert_eq!(ids(&first), ["a", "b"]);
        assert!(memory.all_repeated(&[record("A", 10)]));
        memory.next_window(Timestamp::from_second(50).unwrap_or(Timestamp::UNIX_EPOCH));
        assert!(!memory.all_repeated(&[record("b", 100)]));
        let second = memory.keep_new(vec![record("a", 10), record("b", 100), record("c", 60)]);
        assert_eq!(ids(&second), ["a", "c"]);
    }

    #[test]
    fn forgets_when_the_host_does_not_continue_from_our_checkpoint() {
        let mut memory = Memory::default();
        memory.returned(&Checkpoint("two".to_owned()));
        memory.keep_new(vec![record("a", 1)]);
        memory.align(Some(&Checkpoint("two".to_owned())));
        assert!(memory.all_repeated(&[record("a", 1)]));
        memory.align(Some(&Checkpoint("one".to_owned())));
        assert!(!memory.all_repeated(&[record("a", 1)]));
        assert_eq!(memory.keep_new(vec![record("a", 1)]).len(), 1);
    }
}
