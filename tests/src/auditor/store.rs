//! The emulator's state: the Audit Database (records in insertion order), the group directory,
//! the clock, and the runtime settings the handlers share.
//!
//! Records are only ever appended, so a scan position stays valid for the life of the
//! emulator; that is what lets a continuation mark hold a plain index.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use jiff::Timestamp;

use super::config::{AuditorConfig, Behaviour};
use super::dataset;
use super::error::ApiError;
use super::faults::FaultState;
use super::filter::{fold_case, Filter, MatchContext};
use super::groups::Groups;
use super::paging::{scan, Marks, Page};
use super::record::ActivityRecord;
use super::stats::StatsRecorder;
use super::time::rid_stamp;

/// Everything the handlers and the [`Auditor`](super::Auditor) handle share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) username: String,
    pub(crate) password: String,
    pub(crate) behaviour: Behaviour,
    pub(crate) max_body_bytes: usize,
    pub(crate) integration_plans: Option<Vec<String>>,
    pub(crate) faults: FaultState,
    pub(crate) stats: Arc<StatsRecorder>,
    pub(crate) marks: Marks,
    data: RwLock<Data>,
    clock: RwLock<Option<Timestamp>>,
}

#[derive(Debug, Default)]
struct Data {
    records: Vec<ActivityRecord>,
    groups: Groups,
    /// Positions by RID (folded when matching ignores case): a fetch by RID looks at its
    /// records only, as Auditor's database answers it from an index, instead of evaluating
    /// every RID against every record.
    by_rid: HashMap<String, Vec<usize>>,
}

impl Data {
    fn push(&mut self, record: ActivityRecord, fold: bool) {
        if let Some(rid) = &record.rid {
            let key = if fold {
                fold_case(rid).into_owned()
            } else {
                rid.clone()
            };
            self.by_rid.entry(key).or_default().push(self.records.len());
        }
        self.records.push(record);
    }
}

impl Shared {
    pub(crate) fn new(config: AuditorConfig) -> Self {
        let mut data = Data::default();
        let fold = config.behaviour.case_insensitive;
        if let Some(dataset) = &config.dataset {
            for (record, _) in dataset::generate(dataset) {
                data.push(record, fold);
            }
            for (group, members) in dataset::directory() {
                data.groups.add(&group, members);
            }
        }
        for (group, members) in &config.groups {
            data.groups.add(group, members);
        }
        Shared {
            username: config.username,
            password: config.password,
            behaviour: config.behaviour,
            max_body_bytes: config.max_body_bytes,
            integration_plans: config.integration_plans,
            faults: FaultState::new(config.faults),
            stats: Arc::default(),
            marks: Marks::default(),
            data: RwLock::new(data),
            clock: RwLock::new(None),
        }
    }

    /// The emulator clock: pinned, or the system clock.
    pub(crate) fn now(&self) -> Timestamp {
        let pinned = *read(&self.clock);
        pinned.unwrap_or_else(Timestamp::now)
    }

    pub(crate) fn set_now(&self, now: Option<Timestamp>) {
        *write(&self.clock) = now;
    }

    /// Appends records, minting a RID for each record that has none; returns every RID in
    /// order.
    pub(crate) fn append(&self, records: Vec<ActivityRecord>) -> Vec<String> {
        let stamp = rid_stamp(self.now());
        let mut data = write(&self.data);
        let mut rids = Vec::with_capacity(records.len());
        for mut record in records {
            let rid = record.rid.get_or_insert_with(|| mint_rid(&stamp)).clone();
            rids.push(rid);
            data.push(record, self.behaviour.case_insensitive);
        }
        rids
    }

    pub(crate) fn records(&self) -> Vec<ActivityRecord> {
        read(&self.data).records.clone()
    }

    pub(crate) fn set_group(&self, group: &str, members: &[String]) {
        write(&self.data).groups.set(group, members);
    }

    /// One page from `start`, of records the filter (if any) selects.
    pub(crate) fn page(
        &self,
        start: Option<u64>,
        count: usize,
        filter: Option<&Filter>,
    ) -> Result<Page, ApiError> {
        let now = self.now();
        let data = read(&self.data);
        let ctx = MatchContext {
            now,
            groups: &data.groups,
            case_insensitive: self.behaviour.case_insensitive,
            case_insensitive_action: self.behaviour.case_insensitive_action,
            inclusive_to: self.behaviour.inclusive_to,
            when_entries_and: self.behaviour.when_entries_and,
            day_offset_secs: i64::from(self.behaviour.timeframe_utc_offset_minutes) * 60,
        };
        let candidates = filter.and_then(Filter::rid_equals).map(|rids| {
            let mut at: Vec<usize> = rids
                .iter()
                .filter_map(|rid| data.by_rid.get(*rid))
                .flatten()
                .copied()
                .collect();
            at.sort_unstable();
            at.dedup();
            at
        });
        scan(
            &data.records,
            self.behaviour.order,
            start,
            count,
            candidates.as_deref(),
            |record| filter.is_none_or(|f| f.matches(record, &ctx)),
        )
    }
}

/// A RID in the shape of every documented example: 17-digit `yyyyMMddHHmmssfff` plus 32
/// upper-case hex digits (49 characters, the documented maximum of the RID filter).
fn mint_rid(stamp: &str) -> String {
    let mut rid = String::with_capacity(49);
    rid.push_str(stamp);
    let mut hex = [0u8; 32];
    rid.push_str(uuid::Uuid::new_v4().simple().encode_upper(&mut hex));
    rid
}

// A panic while holding a lock leaves plain data behind, still fit to serve.
fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}
