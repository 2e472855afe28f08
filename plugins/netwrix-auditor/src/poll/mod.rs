//! Polling: streaming new records by searching on `When` with continuation marks, without
//! losing or repeating records across restarts.
//!
//! Auditor returns records in no documented order and collects them with delays,
//! so a record can appear after newer ones; there is no "since id" to ask for. Polling
//! therefore scans **windows** of `When`:
//!
//! ```text
//!  origin (start)                                                  host now
//!    |--- window 1 ---|                                                |
//!             |late_arrival|--- window 2 ---|                          |
//!                                   |late_arrival|------ window 3 -----|
//! ```
//!
//! - Each [`Poller::poll`] makes exactly one search request: one page of the current window,
//!   `poll_filters` ANDed with `When From..To`, carrying the window's mark after the first page
//!   (a search's later pages must repeat its filters). It returns that page and a checkpoint
//!   ([`Scan`]); `more` is true while the window has pages left.
//! - A window is exhausted by an empty page, with or without a mark: the empty page is the
//!   only end signal the API documents, and a server may hand out a mark on it. The next
//!   window starts `late_arrival` (at least one second, so whether the API's `From`/`To`
//!   bounds are inclusive, which is undocumented, never matters) before the previous one
//!   ended, and ends at the host's now when its first request is made. A record that becomes
//!   visible up to `late_arrival` after its `When` is still found; the price is that every
//!   scan re-reads the overlap.
//! - Records of the overlap that this instance already returned are not returned again
//!   ([`Memory`]); after a restart they may be, and the host drops repeats by id.
//! - A stored mark the server refuses (400, e.g. after a server restart) restarts the window's
//!   scan from its first page instead of failing forever.
//! - A scan ends with a warning, never loops, when a page brings only records already
//!   returned in this scan or has the same RIDs as the previous page (a mark that never
//!   ends), or after `max_pages_per_scan` pages.
//!
//! A malformed page is an error and the checkpoint does not move: the host retries the same
//! request.

mod checkpoint;
mod memory;
#[cfg(test)]
mod properties;

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use sluice_sdk::{Checkpoint, Host, PluginError, SourceBatch};

use crate::client::{Answer, Client};
use crate::error_list::{self, ApiError};
use crate::filter::Condition;
use crate::page::Page;
use crate::start::Start;
use crate::when;
pub use checkpoint::Scan;
use checkpoint::{fnv1a, page_digest};
use memory::Memory;

/// Poll settings from the config.
#[derive(Debug, Clone)]
pub struct PollSettings {
    /// Where the first window starts.
    pub start: Start,
    /// How far each window reaches back into the previous one.
    pub late_arrival: Duration,
    /// Records per page.
    pub count: u32,
    /// Pages per scan before a scan is ended with a warning.
    pub max_pages: u32,
    /// End a scan on a page shorter than `count` (saves the final empty request; \[I\]).
    pub end_on_short_page: bool,
    /// `poll_filters` as search conditions.
    pub filters: Vec<Condition>,
}

/// What one poll asks the server for.
#[derive(Debug)]
struct PageRequest {
    /// The page's number in its window's scan, from 1.
    number: u32,
    /// What the request is for, in every message about it ("poll of When …, page 3").
    purpose: String,
    /// `poll_filters` and the window's `When` range.
    conditions: Vec<Condition>,
}

/// Polls one Auditor; holds the settings and this instance's [`Memory`].
#[derive(Debug)]
pub struct Poller {
    settings: PollSettings,
    overlap: SignedDuration,
    scope: u64,
    memory: Memory,
}

impl Poller {
    /// A poller; no IO.
    pub fn new(settings: PollSettings) -> Self {
        let overlap = SignedDuration::try_from(settings.late_arrival.max(Duration::from_secs(1)))
            .unwrap_or(SignedDuration::MAX);
        let scope = scope_digest(&settings.filters);
        Poller {
            settings,
            overlap,
            scope,
            memory: Memory::default(),
        }
    }

    /// One page of the current window; see the module docs.
    pub fn poll(
        &mut self,
        client: &Client,
        checkpoint: Option<Checkpoint>,
    ) -> Result<SourceBatch, PluginError> {
        let host = client.host();
        let now = when::from_system_time(host.now());
        let mut scan = self.resume(host, checkpoint.as_ref(), now)?;
        let request = self.next_request(&mut scan, now);
        let page = match client.search(
            &request.conditions,
            scan.mark.as_deref(),
            self.settings.count,
            &request.purpose,
        )? {
            Answer::Page(page) => page,
            Answer::Refused { error, .. } if scan.mark.is_none() => return Err(error),
            Answer::Refused { errors, .. } => {
                return Ok(self.restart_refused_scan(host, &mut scan, &request, &errors));
            }
        };
        if page.records.is_empty() {
            self.end_scan(&mut scan);
            return Ok(self.batch(Vec::new(), &scan, false));
        }
        Ok(self.take_page(host, scan, page, &request))
    }

    /// The scan to go on with: the checkpoint's, or a first one from `start`. A scan whose
    /// `poll_filters` changed since its checkpoint starts its window again.
    fn resume(
        &mut self,
        host: &Host,
        checkpoint: Option<&Checkpoint>,
        now: Timestamp,
    ) -> Result<Scan, PluginError> {
        self.memory.align(checkpoint);
        let mut scan = match checkpoint {
            None => Scan::first(self.settings.start.resolve(now), self.scope),
            Some(checkpoint) => Scan::decode(checkpoint).map_err(|why| {
                PluginError::internal(format!(
                    "the stored checkpoint is not one this plugin understands ({why}): {:?}. \
                     Remove the pipeline's checkpoint to poll again from `start`",
                    checkpoint.as_str()
                ))
            })?,
        };
        if scan.scope != self.scope {
            host.info(
                "poll_filters changed since the checkpoint was stored: the current window is \
                 scanned again from its first page with the new filters",
            );
            scan.restart();
            scan.scope = self.scope;
        }
        if scan.page == 0 && scan.mark.is_none() {
            self.memory.restart_scan();
        }
        Ok(scan)
    }

    /// The request for the scan's next page; the first one fixes the window's end at `now`.
    fn next_request(&self, scan: &mut Scan, now: Timestamp) -> PageRequest {
        let to = *scan.to.get_or_insert(now.max(scan.from));
        let number = scan.page.saturating_add(1);
        let purpose = format!(
            "poll of When {}..{}, page {number}",
            when::format(scan.from),
            when::format(to)
        );
        let mut conditions = self.settings.filters.clone();
        conditions.push(Condition::When {
            from: when::format(scan.from),
            to: when::format(to),
        });
        PageRequest {
            number,
            purpose,
            conditions,
        }
    }

    /// The server refused the stored mark (a 400, e.g. after it restarted): the window's scan
    /// starts again from its first page, at the next poll.
    fn restart_refused_scan(
        &mut self,
        host: &Host,
        scan: &mut Scan,
        request: &PageRequest,
        errors: &[ApiError],
    ) -> SourceBatch {
        host.warn(format!(
            "{}: Netwrix Auditor refused the stored continuation mark ({}); the scan of this \
             window starts again from its first page. Records already taken from it may come \
             again; the host drops repeats by RID",
            request.purpose,
            error_list::describe(errors, None, b"")
        ));
        scan.restart();
        self.memory.restart_scan();
        self.batch(Vec::new(), scan, true)
    }

    /// A page with records: its new records, unless it repeats a page already received, which
    /// ends the window's scan.
    fn take_page(
        &mut self,
        host: &Host,
        mut scan: Scan,
        page: Page,
        request: &PageRequest,
    ) -> SourceBatch {
        let digest = page_digest(page.records.iter().map(|r| r.id.as_str()));
        if self.memory.all_repeated(&page.records) || scan.last == Some(digest) {
            host.warn(format!(
                "{}: the page repeats one already received; the server is handing out a \
                 continuation mark that never ends, so this window's scan ends here and the \
                 next window starts",
                request.purpose
            ));
            self.end_scan(&mut scan);
            return self.batch(Vec::new(), &scan, false);
        }
        let short = page.records.len() < self.settings.count as usize;
        let records = self.memory.keep_new(page.records);
        scan.page = request.number;
        scan.last = Some(digest);
        let ended = self.scan_ends(host, &mut scan, page.mark, short, request);
        if ended {
            self.end_scan(&mut scan);
        }
        self.batch(records, &scan, !ended)
    }

    /// Whether the window's scan ends with this page: it brought no mark, it is the scan's
    /// `max_pages_per_scan`th (with a warning), or it is short and `end_scan_on_short_page` is
    /// on. Otherwise its mark is kept for the next page.
    fn scan_ends(
        &self,
        host: &Host,
        scan: &mut Scan,
        mark: Option<String>,
        short: bool,
        request: &PageRequest,
    ) -> bool {
        let Some(mark) = mark else {
            // Without a mark the scan cannot go on; a first request again would repeat it.
            return true;
        };
        scan.mark = Some(mark);
        if request.number >= self.settings.max_pages {
            host.warn(format!(
                "{}: ending this window's scan after max_pages_per_scan = {} pages. Records \
                 of the window not yet read are skipped; raise max_pages_per_scan if the \
                 Auditor really holds that many",
                request.purpose, self.settings.max_pages
            ));
            return true;
        }
        self.settings.end_on_short_page && short
    }

    fn end_scan(&mut self, scan: &mut Scan) {
        scan.next_window(self.overlap);
        self.memory.next_window(scan.from);
    }

    fn batch(&mut self, records: Vec<sluice_sdk::Record>, scan: &Scan, more: bool) -> SourceBatch {
        let checkpoint = scan.encode();
        self.memory.returned(&checkpoint);
        SourceBatch {
            records,
            checkpoint,
            more,
        }
    }
}

/// A digest of the pre-filters, stable across processes.
fn scope_digest(filters: &[Condition]) -> u64 {
    let mut text = String::new();
    for condition in filters {
        if let Condition::Text {
            field,
            operator,
            value,
        } = condition
        {
            text.push_str(field);
            text.push('\u{1f}');
            text.push_str(operator.unwrap_or(""));
            text.push('\u{1f}');
            text.push_str(value);
            text.push('\u{1e}');
        }
    }
    if text.is_empty() {
        0
    } else {
        fnv1a(text.as_bytes())
    }
}
