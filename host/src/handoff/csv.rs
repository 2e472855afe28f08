//! Auditor's "Write data to CSV file" response-action option: instead of `{AlertID}
//! {RecordID}`, the action gets the path of a CSV of the alert's records (on by default for
//! new alerts and for Auditor's predefined ones). The columns are not documented, so the
//! reader takes the header names it recognises (case and spaces ignored) and refuses a file
//! it cannot use, saying which option to untick.

use std::path::Path;

use sluice_core::read_regular_bytes;
use sluice_core::store::alerts::{self, NewAlert, Origin};
use sluice_core::store::db::{self, Db};
use sluice_core::Timestamp;
use sluice_sdk::{Detail, Record};

/// What a CSV row gives: the record id to fetch, or the record itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CsvAlert {
    /// The row names a record id: fetch it from the Integration API.
    ById(String),
    /// The row holds the record's fields but no id.
    Record(Record),
}

const UNTICK: &str = "In Netwrix Auditor, open the alert's Response Action tab and untick \
                      \"Write data to CSV file\", so that Auditor passes {AlertID} {RecordID} \
                      to sluice alert-response.";

/// What a usable file looks like, for the error about one that is not: it names the columns
/// sluice reads, never what the file holds (the argument may name any file the account can
/// read: a password file, `/proc/self/environ`).
const EXPECTED: &str = "expected a CSV file whose first row names the columns of Auditor's \
                        activity records: a Record ID column, or at least three of Who, \
                        Action, Object Type, What, When, Where, Workstation, Data Source, \
                        Monitoring Plan, Item";

/// The largest CSV read: 64 MiB. One row is one Activity Record, a few KB with its details,
/// and the file holds one alert's records (a threshold alert's few, rarely more): this is
/// tens of thousands of rows, far more than Auditor writes for one alert, and still a small
/// fraction of memory when Auditor runs eight response actions at once.
pub const CSV_LIMIT: u64 = 64 * 1024 * 1024;

/// Reads the CSV at `path`. No error quotes the file's content.
pub fn read(path: &Path) -> Result<Vec<CsvAlert>, String> {
    let bytes = read_regular_bytes(path, CSV_LIMIT).map_err(|e| format!("{e}. {UNTICK}"))?;
    parse(&bytes, &path.display().to_string())
}

/// Reads a CSV's `bytes`, which came from `origin` (a file's path, "the request body"). No
/// error quotes the content.
pub fn parse(bytes: &[u8], origin: &str) -> Result<Vec<CsvAlert>, String> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let unusable = || format!("{origin} is not a CSV file sluice can read: {EXPECTED}. {UNTICK}");
    let columns = reader
        .headers()
        .ok()
        .and_then(Columns::find)
        .ok_or_else(unusable)?;
    let mut alerts = Vec::new();
    for (n, row) in reader.records().enumerate() {
        let row = row.map_err(|e| format!("{origin}: row {}: {e}. {UNTICK}", n + 2))?;
        alerts.extend(columns.alert(&row));
    }
    if alerts.is_empty() {
        return Err(format!("{origin} holds no records. {UNTICK}"));
    }
    Ok(alerts)
}

/// Queues the CSV's `rows` as alert `alert_name` in each of `pipelines` within `tx`; returns
/// (newly queued, already there). A row is recognised again by its record id, or by a hash
/// of its content when it has none, so a retried action queues nothing twice.
pub fn enqueue(
    db: &Db<'_>,
    pipelines: &[String],
    rows: &[CsvAlert],
    alert_name: Option<&str>,
    now: Timestamp,
) -> db::Result<(usize, usize)> {
    let name = alert_name.unwrap_or("Netwrix Auditor alert");
    let mut counts = (0, 0);
    for pipeline in pipelines {
        for row in rows {
            let (record_id, record_json, key) = match row {
                CsvAlert::ById(rid) => (Some(rid.as_str()), None, format!("csv:{name}:{rid}")),
                CsvAlert::Record(r) => {
                    let json = sluice_core::record_to_json(r);
                    let key = format!("csv:{name}:{:016x}", fnv(&json));
                    (None, Some(json), key)
                }
            };
            let alert = NewAlert {
                pipeline,
                dedupe_key: key,
                origin: Origin::ResponseAction,
                alert_name: name,
                auditor_alert_id: None,
                record_id,
                received_at: now,
                record: record_json.as_deref(),
                extra_records: None,
            };
            if alerts::enqueue(db, &alert)? {
                counts.0 += 1;
            } else {
                counts.1 += 1;
            }
        }
    }
    Ok(counts)
}

/// A stable hash of a CSV row's content, to recognise a retried duplicate.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Where the columns sluice reads are in the file.
struct Columns {
    /// The record id's.
    id: Option<usize>,
    /// Each record field's, by the field's name.
    fields: Vec<(&'static str, Option<usize>)>,
    /// The details'.
    details: Option<usize>,
}

impl Columns {
    /// The columns the header row names; `None` when it names too few of them to use.
    fn find(headers: &csv::StringRecord) -> Option<Columns> {
        let headers: Vec<String> = headers.iter().map(normalize).collect();
        let col = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
        let columns = Columns {
            id: col(&["rid", "recordid", "activityrecordid"]),
            fields: vec![
                ("Who", col(&["who"])),
                ("Action", col(&["action"])),
                ("ObjectType", col(&["objecttype"])),
                ("What", col(&["what"])),
                ("When", col(&["when", "time", "date"])),
                ("Where", col(&["where"])),
                ("Workstation", col(&["workstation"])),
                ("DataSource", col(&["datasource", "auditedsystem"])),
                (
                    "MonitoringPlan.Name",
                    col(&["monitoringplan", "monitoringplanname", "managedobject"]),
                ),
                ("Item.Name", col(&["item", "itemname"])),
            ],
            details: col(&["details", "detail"]),
        };
        let named = columns.fields.iter().filter(|(_, c)| c.is_some()).count();
        (columns.id.is_some() || named >= 3).then_some(columns)
    }

    /// What `row` gives: its record id, else its record; `None` for a row without either.
    fn alert(&self, row: &csv::StringRecord) -> Option<CsvAlert> {
        let get = |c: Option<usize>| {
            c.and_then(|c| row.get(c))
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        if let Some(rid) = get(self.id) {
            return Some(CsvAlert::ById(rid.to_owned()));
        }
        let mut record = Record::new(String::new());
        for (name, c) in &self.fields {
            if let Some(v) = get(*c) {
                record.fields.push(*name, v);
            }
        }
        // The column holds the details already written out ("Member: (none) -> CORP\x"):
        // kept as one detail of that text, it reads in the ticket as Auditor showed it.
        if let Some(text) = get(self.details) {
            record.details.push(Detail::new(text));
        }
        (!record.fields.is_empty()).then_some(CsvAlert::Record(record))
    }
}

fn normalize(header: &str) -> String {
    header
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), text).unwrap();
        f
    }

    #[test]
    fn rows_with_a_record_id_are_fetched_by_id() {
        let f = write("Record ID,Who,Action\n20240311084512345A1B2C3D4E5F60718293A4B5C6D7E8F90,CORP\\a,Modified\n");
        assert_eq!(
            read(f.path()).unwrap(),
            vec![CsvAlert::ById(
                "20240311084512345A1B2C3D4E5F60718293A4B5C6D7E8F90".into()
            )]
        );
    }

    #[test]
    fn rows_without_an_id_carry_the_record() {
        let f = write("Who,Action,Object Type,What,When,Where,Data Source\nCORP\\a,Modified,user,\\u\\a,2024-03-11T08:45:12Z,dc01,Active Directory\n");
        let CsvAlert::Record(r) = &read(f.path()).unwrap()[0] else {
            panic!()
        };
        assert_eq!(r.field("ObjectType"), Some("user"));
        assert_eq!(r.field("DataSource"), Some("Active Directory"));
    }

    #[test]
    fn the_details_column_reads_as_auditor_wrote_it() {
        let f = write(
            "Who,Action,What,Details\nCORP\\a,Added,Domain Admins,\"Member: (none) -> CORP\\a\"\n",
        );
        let CsvAlert::Record(r) = &read(f.path()).unwrap()[0] else {
            panic!()
        };
        assert_eq!(
            sluice_core::render_detail_list(r),
            "Member: (none) -> CORP\\a"
        );
    }

    #[test]
    fn an_unusable_file_says_which_option_to_untick() {
        let f = write("Foo,Bar\n1,2\n");
        let err = read(f.path()).unwrap_err();
        assert!(err.contains("untick \"Write data to CSV file\""), "{err}");
        assert!(
            err.contains("a Record ID column"),
            "says what it expected: {err}"
        );
        assert!(!err.to_lowercase().contains("foo"), "quotes nothing: {err}");
    }
}
