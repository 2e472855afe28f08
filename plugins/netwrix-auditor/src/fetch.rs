//! Fetching records by RID, for alert intake (the Integration API has no retrieve-by-RID
//! endpoint, so a fetch is a search with RID filters).
//!
//! Ids are deduplicated and sent in batches of `rids_per_request`, each batch one search whose
//! `FilterList` repeats `RID Equals …` once per id; positive entries on one field combine with
//! OR, so one request answers for the whole batch. A batch pages with continuation marks,
//! resending the same filters (as a search must), until an empty page, and skips that final
//! request when every RID of the batch has already arrived (RIDs are unique). Unknown RIDs, and
//! RIDs outside a scoped reviewer's delegation (Auditor filters results to it), are simply
//! absent.
//!
//! Termination never depends on the server: a page that brings nothing new (the endless-mark
//! fault), a non-empty page without a mark, or `max_pages_per_scan` pages end the batch.

use std::collections::HashSet;

use sluice_sdk::{PluginError, Record};

use crate::client::{Answer, Client};
use crate::filter::Condition;

/// The documented maximum length of the RID filter value; a longer id cannot be a RID,
/// and sending it would get the whole batch refused with 400.
const MAX_RID_LEN: usize = 49;

/// Fetch settings from the config.
#[derive(Debug, Clone, Copy)]
pub struct FetchSettings {
    /// RIDs ORed into one search.
    pub rids_per_request: usize,
    /// Records per page.
    pub count: u32,
    /// Pages per batch before giving up on a server that never ends.
    pub max_pages: u32,
}

/// Fetches the records with `ids`; unknown ids are left out.
pub fn fetch(
    client: &Client,
    settings: FetchSettings,
    ids: Vec<String>,
) -> Result<Vec<Record>, PluginError> {
    let ids = usable(client, ids);
    let batches: Vec<&[String]> = ids.chunks(settings.rids_per_request.max(1)).collect();
    let mut out = Vec::with_capacity(ids.len());
    for (index, batch) in batches.iter().enumerate() {
        let label = format!(
            "fetch of {} RID(s), batch {} of {}",
            batch.len(),
            index + 1,
            batches.len()
        );
        fetch_batch(client, settings, batch, &label, &mut out)?;
    }
    Ok(out)
}

/// Trims and deduplicates ids (RIDs compare case-insensitively, as the server's filters do on
/// SQL Server's default collation), dropping those that cannot be RIDs.
fn usable(client: &Client, ids: Vec<String>) -> Vec<String> {
    let mut seen = HashSet::with_capacity(ids.len());
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let id = id.trim();
        if id.is_empty() || id.chars().count() > MAX_RID_LEN {
            client.host().debug(format!(
                "skipping id {id:?}: a RID, the id Auditor gives each activity record, is 1 to \
                 {MAX_RID_LEN} characters long (the RID filter takes no longer value)"
            ));
            continue;
        }
        if seen.insert(id.to_ascii_uppercase()) {
            out.push(id.to_owned());
        }
    }
    out
}

fn fetch_batch(
    client: &Client,
    settings: FetchSettings,
    batch: &[String],
    label: &str,
    out: &mut Vec<Record>,
) -> Result<(), PluginError> {
    let conditions: Vec<Condition> = batch.iter().map(|rid| Condition::rid(rid)).collect();
    let wanted: HashSet<String> = batch.iter().map(|rid| rid.to_ascii_uppercase()).collect();
    let mut found: HashSet<String> = HashSet::with_capacity(batch.len());
    let mut mark: Option<String> = None;
    let mut page_no: u32 = 0;
    loop {
        page_no += 1;
        let purpose = format!("{label}, page {page_no}");
        let page = match client.search(&conditions, mark.as_deref(), settings.count, &purpose)? {
            Answer::Page(page) => page,
            Answer::Refused { error, .. } => return Err(error),
        };
        if page.records.is_empty() {
            return Ok(());
        }
        let mut new = 0usize;
        for record in page.records {
            let key = record.id.to_ascii_uppercase();
            if !wanted.contains(&key) {
                client.host().debug(format!(
                    "{purpose}: ignoring record {} that was not asked for",
                    record.id
                ));
                continue;
            }
            if found.insert(key) {
                new += 1;
                out.push(record);
            }
        }
        if new == 0 {
            client.host().warn(format!(
                "{purpose}: the page repeats records already received; the server is handing \
                 out a continuation mark that never ends, so this batch stops here"
            ));
            return Ok(());
        }
        if found.len() == wanted.len() {
            return Ok(());
        }
        match page.mark {
            Some(next) => mark = Some(next),
            None => return Ok(()),
        }
        if page_no >= settings.max_pages {
            client.host().warn(format!(
                "{purpose}: stopping after max_pages_per_scan = {} pages",
                settings.max_pages
            ));
            return Ok(());
        }
    }
}
