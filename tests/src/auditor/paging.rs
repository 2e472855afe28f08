//! Continuation marks and the page scan. As documented, each page carries a mark, the next
//! page is asked for with it, and the data ends with an empty page.
//!
//! A mark is opaque to clients: base64 of a small JSON object holding the scan position, the
//! kind of request it continues (enum or search), a digest of the search filters, a nonce and
//! a keyed tag. The position is where the last page stopped scanning, so each page resumes in
//! O(page) and a full pass over N records is O(N), however selective the filter. The tag is
//! keyed with a per-emulator secret, so an edited or foreign mark is refused with 400.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::config::ResultOrder;
use super::error::ApiError;
use super::record::ActivityRecord;

/// Which request a mark continues; an enum mark is no good for search and vice versa.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum MarkKind {
    Enum,
    Search,
}

/// Where a paging pass stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub(crate) kind: MarkKind,
    /// The scan position: the next index to look at (insertion order), or one past it (reverse
    /// order).
    pub(crate) position: u64,
    /// Digest of the search filters; 0 for enum.
    pub(crate) filter: u64,
}

/// The JSON inside a mark. Short keys keep marks short.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    k: String,
    p: u64,
    f: u64,
    n: u64,
    t: u64,
}

/// Issues and checks marks for one emulator.
#[derive(Debug)]
pub(crate) struct Marks {
    key: RandomState,
    nonce: AtomicU64,
}

impl Default for Marks {
    fn default() -> Self {
        Marks {
            key: RandomState::new(),
            nonce: AtomicU64::new(0),
        }
    }
}

impl Marks {
    /// A fresh mark for the cursor; two marks for the same cursor differ.
    pub(crate) fn issue(&self, cursor: Cursor) -> String {
        let n = self.nonce.fetch_add(1, Ordering::Relaxed);
        let body = Body {
            k: kind_name(cursor.kind).to_owned(),
            p: cursor.position,
            f: cursor.filter,
            n,
            t: self.tag(cursor.kind, cursor.position, cursor.filter, n),
        };
        // Serializing a struct of strings and integers cannot fail.
        let json = serde_json::to_vec(&body).unwrap_or_default();
        STANDARD.encode(json)
    }

    /// Reads a mark presented by a client; anything not issued by this emulator is refused.
    pub(crate) fn read(&self, mark: &str) -> Result<Cursor, ApiError> {
        let invalid = || ApiError::input("Invalid continuation mark specified.");
        let json = STANDARD.decode(mark.trim()).map_err(|_| invalid())?;
        let body: Body = serde_json::from_slice(&json).map_err(|_| invalid())?;
        let kind = match body.k.as_str() {
            "enum" => MarkKind::Enum,
            "search" => MarkKind::Search,
            _ => return Err(invalid()),
        };
        if body.t != self.tag(kind, body.p, body.f, body.n) {
            return Err(invalid());
        }
        Ok(Cursor {
            kind,
            position: body.p,
            filter: body.f,
        })
    }

    /// A keyed digest of the search filters, carried in search marks.
    pub(crate) fn digest<T: std::hash::Hash>(&self, filters: &T) -> u64 {
        self.key.hash_one(filters)
    }

    fn tag(&self, kind: MarkKind, position: u64, filter: u64, nonce: u64) -> u64 {
        self.key.hash_one((kind, position, filter, nonce))
    }
}

fn kind_name(kind: MarkKind) -> &'static str {
    match kind {
        MarkKind::Enum => "enum",
        MarkKind::Search => "search",
    }
}

/// One page of results and the position after it.
#[derive(Debug)]
pub(crate) struct Page {
    pub(crate) records: Vec<ActivityRecord>,
    /// Where the next page starts scanning.
    pub(crate) next: u64,
    /// Where this page started scanning (the endless-mark fault hands this out again).
    pub(crate) start: u64,
}

/// Scans from `start` (or the beginning) for up to `count` searchable records that `keep`
/// accepts. With `candidates` (sorted positions), only those positions are looked at: the
/// others are known not to match, so the page and the position after it are what a full scan
/// would give. A position beyond the data is refused as a bad mark.
pub(crate) fn scan(
    records: &[ActivityRecord],
    order: ResultOrder,
    start: Option<u64>,
    count: usize,
    candidates: Option<&[usize]>,
    mut keep: impl FnMut(&ActivityRecord) -> bool,
) -> Result<Page, ApiError> {
    let len = records.len();
    let start = match start {
        None => match order {
            ResultOrder::Insertion => 0,
            ResultOrder::Reverse => len,
        },
        Some(position) => usize::try_from(position)
            .ok()
            .filter(|p| *p <= len)
            .ok_or_else(|| ApiError::input("Invalid continuation mark specified."))?,
    };
    if count == 0 {
        return Ok(Page {
            records: Vec::new(),
            next: start as u64,
            start: start as u64,
        });
    }
    let positions = candidates.unwrap_or(&[]);
    let mut page = Vec::with_capacity(count.min(1024));
    let mut look = |position: usize, page: &mut Vec<ActivityRecord>| {
        let record = &records[position];
        if record.is_searchable() && keep(record) {
            page.push(record.clone());
        }
        page.len() >= count
    };
    // Where the next page resumes: after the last position looked at when the page filled,
    // else the end of the data in scan order.
    let next = match (order, candidates.is_some()) {
        (ResultOrder::Insertion, false) => (start..len)
            .find(|&p| look(p, &mut page))
            .map_or(len, |p| p + 1),
        (ResultOrder::Insertion, true) => positions
            .iter()
            .copied()
            .filter(|&p| p >= start && p < len)
            .find(|&p| look(p, &mut page))
            .map_or(len, |p| p + 1),
        (ResultOrder::Reverse, false) => {
            (0..start).rev().find(|&p| look(p, &mut page)).unwrap_or(0)
        }
        (ResultOrder::Reverse, true) => positions
            .iter()
            .rev()
            .copied()
            .filter(|&p| p < start)
            .find(|&p| look(p, &mut page))
            .unwrap_or(0),
    };
    Ok(Page {
        records: page,
        next: next as u64,
        start: start as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;

    fn records(n: usize) -> Vec<ActivityRecord> {
        (0..n)
            .map(|i| {
                let mut r = ActivityRecord::new(
                    format!("user{i}"),
                    "Read",
                    "x",
                    Timestamp::UNIX_EPOCH,
                    "h",
                    "File",
                );
                r.is_archive_only = (i == 3).then_some(true);
                r
            })
            .collect()
    }

    fn whos(page: &Page) -> Vec<&str> {
        page.records.iter().map(|r| r.who.as_str()).collect()
    }

    #[test]
    fn marks_round_trip_and_are_fresh() {
        let marks = Marks::default();
        let cursor = Cursor {
            kind: MarkKind::Search,
            position: 42,
            filter: 7,
        };
        let one = marks.issue(cursor);
        let two = marks.issue(cursor);
        assert_ne!(one, two);
        assert_eq!(marks.read(&one), Ok(cursor));
        assert_eq!(marks.read(&two), Ok(cursor));
    }

    #[test]
    fn tampered_and_foreign_marks_are_refused() {
        let marks = Marks::default();
        let mark = marks.issue(Cursor {
            kind: MarkKind::Enum,
            position: 5,
            filter: 0,
        });
        let json = STANDARD.decode(&mark).unwrap_or_default();
        let edited = String::from_utf8_lossy(&json).replace("\"p\":5", "\"p\":6");
        let edited = STANDARD.encode(edited);
        for bad in [
            edited.as_str(),
            "",
            "not base64!",
            "e30=",
            "PG5yPjwvbnI+AA==",
        ] {
            assert!(marks.read(bad).is_err(), "{bad}");
        }
        assert!(Marks::default().read(&mark).is_err());
    }

    #[test]
    fn pages_resume_where_the_last_stopped_and_skip_archive_only() {
        let all = records(6);
        let first = scan(&all, ResultOrder::Insertion, None, 2, None, |_| true);
        let first = first.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(whos(&first), ["user0", "user1"]);
        let second = scan(
            &all,
            ResultOrder::Insertion,
            Some(first.next),
            2,
            None,
            |_| true,
        );
        let second = second.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(whos(&second), ["user2", "user4"]);
        let third = scan(
            &all,
            ResultOrder::Insertion,
            Some(second.next),
            2,
            None,
            |_| true,
        );
        let third = third.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(whos(&third), ["user5"]);
        let end = scan(
            &all,
            ResultOrder::Insertion,
            Some(third.next),
            2,
            None,
            |_| true,
        );
        let end = end.unwrap_or_else(|e| panic!("{e}"));
        assert!(end.records.is_empty());
        assert_eq!(end.next, 6);
    }

    #[test]
    fn a_selective_filter_scans_each_record_once() {
        let all = records(1000);
        let mut looked = 0;
        let mut position = None;
        let mut found = Vec::new();
        loop {
            let page = scan(&all, ResultOrder::Insertion, position, 10, None, |r| {
                looked += 1;
                r.who.ends_with("99")
            });
            let page = page.unwrap_or_else(|e| panic!("{e}"));
            if page.records.is_empty() {
                break;
            }
            found.extend(page.records.into_iter().map(|r| r.who));
            position = Some(page.next);
        }
        assert_eq!(found.len(), 10);
        assert_eq!(looked, 999, "every searchable record exactly once");
    }

    #[test]
    fn reverse_order_pages_newest_first() {
        let all = records(3);
        let page = scan(&all, ResultOrder::Reverse, None, 2, None, |_| true);
        let page = page.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(whos(&page), ["user2", "user1"]);
        let rest = scan(&all, ResultOrder::Reverse, Some(page.next), 2, None, |_| {
            true
        });
        let rest = rest.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(whos(&rest), ["user0"]);
    }

    #[test]
    fn scanning_only_candidates_pages_like_a_full_scan() {
        let all = records(50);
        let wanted = |r: &ActivityRecord| r.who.ends_with('3') || r.who.ends_with('7');
        let candidates: Vec<usize> = (0..all.len()).filter(|&p| wanted(&all[p])).collect();
        for order in [ResultOrder::Insertion, ResultOrder::Reverse] {
            let mut position = None;
            loop {
                let full = scan(&all, order, position, 2, None, wanted);
                let indexed = scan(&all, order, position, 2, Some(&candidates), wanted);
                let (full, indexed) = (full.unwrap(), indexed.unwrap());
                assert_eq!((whos(&full), full.next), (whos(&indexed), indexed.next));
                if full.records.is_empty() {
                    break;
                }
                position = Some(full.next);
            }
        }
    }

    #[test]
    fn positions_beyond_the_data_are_bad_marks() {
        let all = records(2);
        assert!(scan(&all, ResultOrder::Insertion, Some(3), 2, None, |_| true).is_err());
        assert!(scan(&all, ResultOrder::Insertion, Some(2), 2, None, |_| true).is_ok());
    }
}
