//! Property tests of continuation handling: the source polled (and fetching by RID) against a
//! scripted server that answers each request with an arbitrary page, mark, repeat, empty
//! page, 400, 5xx, malformed body or broken connection, from arbitrary stored checkpoints.
//!
//! Whatever the server does: no panic; each poll makes exactly one request; every checkpoint
//! handed to the host reads back; a record is not returned twice within one window's scan
//! (until the server refuses a mark and the scan restarts); a server that repeats a page ends
//! the scan at once; fetches make a bounded number of requests. Cases: `PROPTEST_CASES`
//! (default 64).

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use proptest::prelude::*;
use serde_json::json;
use sluice_sdk::{
    Capabilities, Checkpoint, Host, HttpError, HttpErrorKind, HttpRequest, HttpResponse, LogLevel,
    Source,
};

use super::Scan;
use crate::page::properties::config;
use crate::source::NetwrixAuditor;

/// What the scripted server answers to one request.
#[derive(Debug, Clone)]
enum Answer {
    /// 200 with these records (RIDs from a small pool, so repeats happen) and mark.
    Page(Vec<u8>, Option<String>),
    /// 400 with an `ErrorList`, as for a stale mark.
    Refused,
    /// 503 with `Retry-After`.
    Busy,
    /// 200 with a body that is not a page.
    Garbage(Vec<u8>),
    /// No answer at all.
    Broken,
}

fn answer() -> impl Strategy<Value = Answer> {
    prop_oneof![
        4 => (
            prop::collection::vec(0u8..40, 0..12),
            prop::option::of(prop::sample::select(vec!["m1", "m2", "m3", " ", ""])),
        )
            .prop_map(|(rids, mark)| Answer::Page(rids, mark.map(str::to_owned))),
        1 => Just(Answer::Refused),
        1 => Just(Answer::Busy),
        1 => prop::collection::vec(any::<u8>(), 0..64).prop_map(Answer::Garbage),
        1 => Just(Answer::Broken),
    ]
}

/// Plays a script of answers; after it ends, every answer is an empty page.
#[derive(Default)]
struct Server {
    script: Mutex<VecDeque<Answer>>,
    /// Requests made, and whether each carried a mark.
    requests: Mutex<Vec<bool>>,
}

struct Scripted(Arc<Server>);

fn record(n: u8) -> serde_json::Value {
    json!({
        "RID": format!("{n:049}"),
        "Who": "CORP\\jdoe",
        "When": format!("2025-03-01T00:{:02}:00Z", n % 60),
        "Action": "Modified",
    })
}

impl Capabilities for Scripted {
    fn http(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let body = String::from_utf8_lossy(&request.body).into_owned();
        lock(&self.0.requests).push(body.contains("ContinuationMark"));
        let answer = lock(&self.0.script)
            .pop_front()
            .unwrap_or(Answer::Page(Vec::new(), None));
        let response = |status: u16, body: Vec<u8>| HttpResponse {
            status,
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            body,
        };
        Ok(match answer {
            Answer::Page(rids, mark) => {
                let records: Vec<_> = rids.into_iter().map(record).collect();
                let mut page = json!({ "ActivityRecordList": records });
                if let Some(m) = mark {
                    page["ContinuationMark"] = json!(m);
                }
                response(200, page.to_string().into_bytes())
            }
            Answer::Refused => response(
                400,
                br#"{"ErrorList":[{"Category":"InputError","Description":"Invalid continuation mark specified."}]}"#
                    .to_vec(),
            ),
            Answer::Busy => {
                let mut r = response(503, Vec::new());
                r.headers.push(("retry-after".to_owned(), "1".to_owned()));
                r
            }
            Answer::Garbage(bytes) => response(200, bytes),
            Answer::Broken => {
                return Err(HttpError::new(HttpErrorKind::Interrupted, "connection reset"))
            }
        })
    }

    fn log(&self, _: LogLevel, _: &str) {}

    fn now(&self) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_741_000_000)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn source(server: &Arc<Server>, max_pages: u32) -> NetwrixAuditor {
    let config = serde_json::from_value(json!({
        "endpoint": "http://auditor.test:9699",
        "username": "CORP\\svc-sluice",
        "password": "pw",
        "count": 10,
        "rids_per_request": 3,
        "max_pages_per_scan": max_pages,
        "start": "2025-03-01T00:00:00Z",
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    NetwrixAuditor::new(config, Host::new(Scripted(server.clone())))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Checkpoints a host may hand back: ours, ours altered, and strings that are not ours.
fn stored_checkpoint() -> impl Strategy<Value = Option<Checkpoint>> {
    let ours = (
        0i64..2_000_000_000,
        0i64..100_000,
        prop::option::of(0i64..100_000),
        prop::option::of("\\PC{0,12}"),
        any::<u32>(),
        prop::option::of(any::<u64>()),
        any::<u64>(),
    )
        .prop_map(|(origin, from, to, mark, page, last, scope)| {
            let ts =
                |s: i64| jiff::Timestamp::from_second(s).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
            Scan {
                origin: ts(origin),
                from: ts(origin + from),
                to: to.map(|t| ts(origin + from + t)),
                mark,
                page,
                last,
                scope,
            }
            .encode()
        });
    prop_oneof![
        Just(None),
        ours.clone().prop_map(Some),
        (ours, any::<prop::sample::Index>(), "\\PC{0,6}").prop_map(|(c, at, insert)| {
            let mut text = c.0;
            let mut i = at.index(text.len() + 1);
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            text.insert_str(i, &insert);
            Some(Checkpoint(text))
        }),
        "\\PC{0,40}".prop_map(|t| Some(Checkpoint(t))),
        Just(Some(Checkpoint(
            r#"{"v":1,"origin":"9999-12-31T23:59:59Z","from":"-009999-01-01T00:00:00Z","to":"9999-12-31T23:59:59Z","mark":"m1","page":4294967295,"last":"ffffffffffffffff","scope":"ffffffffffffffff"}"#
                .to_owned(),
        ))),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn polling_survives_any_server_and_checkpoint(
        start in stored_checkpoint(),
        script in prop::collection::vec(answer(), 0..30),
        max_pages in 1u32..6,
    ) {
        let server = Arc::new(Server::default());
        lock(&server.script).extend(script.iter().cloned());
        let mut source = source(&server, max_pages);
        let mut checkpoint = start;
        // RIDs returned in the current window's scan.
        let mut scan: HashSet<String> = HashSet::new();
        for poll in 0..script.len() + 3 {
            // A scan starts at a window's first page, or again when the stored one is of
            // other filters (this source has none: scope 0).
            let starts = checkpoint
                .as_ref()
                .and_then(|c| Scan::decode(c).ok())
                .is_none_or(|s| s.page == 0 && s.mark.is_none() || s.scope != 0);
            if starts {
                scan.clear();
            }
            let before = lock(&server.requests).len();
            let result = source.poll(checkpoint.clone());
            let requests = lock(&server.requests).len() - before;
            let batch = match result {
                Ok(batch) => batch,
                // A checkpoint the plugin cannot read fails before any request.
                Err(_) if requests == 0 => break,
                Err(_) => {
                    prop_assert_eq!(requests, 1, "poll {}", poll);
                    continue;
                }
            };
            prop_assert_eq!(requests, 1, "poll {} made {} requests", poll, requests);
            prop_assert!(
                Scan::decode(&batch.checkpoint).is_ok(),
                "unreadable checkpoint {:?}",
                batch.checkpoint
            );
            for r in &batch.records {
                prop_assert!(scan.insert(r.id.to_ascii_uppercase()), "{} returned twice in one scan", r.id);
            }
            checkpoint = Some(batch.checkpoint);
        }
    }

    #[test]
    fn a_server_repeating_a_page_ends_the_scan(
        rids in prop::collection::vec(0u8..40, 1..10),
        mark in prop::sample::select(vec!["m1", "m2"]),
    ) {
        let server = Arc::new(Server::default());
        let repeat = Answer::Page(rids, Some(mark.to_owned()));
        lock(&server.script).extend(std::iter::repeat_n(repeat, 10));
        let mut source = source(&server, 10_000);
        let mut checkpoint = None;
        let mut polls = 0;
        loop {
            let batch = source.poll(checkpoint.clone()).unwrap_or_else(|e| panic!("{e}"));
            polls += 1;
            checkpoint = Some(batch.checkpoint);
            if !batch.more {
                break;
            }
            prop_assert!(polls < 3, "the scan did not end on a repeated page");
        }
    }

    #[test]
    fn fetching_survives_any_server(
        ids in prop::collection::vec(
            prop_oneof!["[0-9A-F]{49}", "\\PC{0,60}", Just(String::new())],
            0..12,
        ),
        script in prop::collection::vec(answer(), 0..20),
    ) {
        let server = Arc::new(Server::default());
        lock(&server.script).extend(script);
        let mut source = source(&server, 4);
        let distinct: HashSet<String> = ids.iter().map(|i| i.trim().to_ascii_uppercase()).collect();
        let _ = source.fetch(ids);
        // At most one batch per 3 ids, each at most max_pages_per_scan pages.
        let bound = distinct.len().div_ceil(3) * 4;
        prop_assert!(lock(&server.requests).len() <= bound);
    }
}
