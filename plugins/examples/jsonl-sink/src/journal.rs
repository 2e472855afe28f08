//! The journal: one JSON object per executed ticket action, appended to a file.
//!
//! The file is both the audit trail people read and the sink's only memory: after a restart
//! the sink reads it back to answer lookups, so its format is a contract. Lines are only ever
//! added, never rewritten, so a crash can at worst tear the last one.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sluice_sdk::Host;

use crate::error::JournalError;

/// One line of the journal: one ticket action, as executed.
///
/// ```json
/// {"unix_ms":0,"action":"add_note","ticket":"t1","fields":[["work_notes","again"]],"state":"1"}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct JournalLine {
    /// When the sink executed the action, by the host's clock (milliseconds since 1970).
    pub unix_ms: i64,
    /// What the action did.
    pub action: LineAction,
    /// The ticket's id (`t1`, `t2`, ...).
    pub ticket: String,
    /// The ticket's number; only on `create`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// The correlation key that finds the ticket again; only on `create`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// The fields this action set, as `[name, value]` pairs in order (a name may repeat).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<(String, String)>,
    /// The ticket's state after this action.
    pub state: String,
}

/// What a journal line records. Lookups (`Get`, `FindByCorrelation`) change nothing, so they
/// write no line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum LineAction {
    /// A ticket was opened.
    Create,
    /// Fields were set.
    Update,
    /// A note went to one of the ticket's journals (`work_notes`, `comments`).
    AddNote,
    /// A file was attached (the line records its name and size, not its bytes).
    Attach,
    /// The state changed.
    ChangeState,
}

impl JournalLine {
    /// A line saying that `action` on `ticket` left it in `state`, with no fields yet.
    pub fn new(unix_ms: i64, action: LineAction, ticket: &str, state: &str) -> Self {
        JournalLine {
            unix_ms,
            action,
            ticket: ticket.to_owned(),
            number: None,
            correlation_id: None,
            fields: Vec::new(),
            state: state.to_owned(),
        }
    }

    /// The same line, recording that the action set `fields`.
    pub fn with_fields(mut self, fields: Vec<(String, String)>) -> Self {
        self.fields = fields;
        self
    }
}

/// A journal timestamp: milliseconds since 1970, 0 for a clock set before 1970.
pub(crate) fn unix_ms(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |since| {
        i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
    })
}

/// The journal file, open for appending for the length of one batch.
#[derive(Debug)]
pub(crate) struct JournalFile {
    path: PathBuf,
    file: File,
}

impl JournalFile {
    /// Opens the file at `path` for appending, creating it if it is missing.
    pub fn open_for_append(path: &Path) -> Result<Self, JournalError> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| JournalError::Open {
                path: path.to_owned(),
                source,
            })?;
        Ok(JournalFile {
            path: path.to_owned(),
            file,
        })
    }

    /// The file's path, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `line` in one write, so that a crash tears at most this line.
    pub fn append(&mut self, line: &JournalLine) -> Result<(), JournalError> {
        let mut text = serde_json::to_string(line).map_err(JournalError::Encode)?;
        text.push('\n');
        self.file
            .write_all(text.as_bytes())
            .map_err(|source| JournalError::Write {
                path: self.path.clone(),
                source,
            })
    }

    /// Flushes what was appended to disk, so a batch reported done survives a power cut.
    pub fn flush(&self) -> Result<(), JournalError> {
        self.file.sync_data().map_err(|source| JournalError::Flush {
            path: self.path.clone(),
            source,
        })
    }
}

/// Reads the journal at `path` back, handing each line to `apply` in order. A missing file is
/// an empty journal (nothing was written yet).
///
/// A line that does not parse is skipped with a warning rather than failing: it is most likely
/// the last line, torn by a crash, and refusing to start over it would stop every pipeline.
pub(crate) fn replay(
    path: &Path,
    host: &Host,
    mut apply: impl FnMut(JournalLine),
) -> Result<(), JournalError> {
    let read_error = |source| JournalError::Read {
        path: path.to_owned(),
        source,
    };
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(read_error(e)),
    };
    for (index, text) in BufReader::new(file).lines().enumerate() {
        let text = text.map_err(read_error)?;
        if text.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<JournalLine>(&text) {
            Ok(line) => apply(line),
            Err(e) => host.warn(format!(
                "{}:{}: skipping an unreadable line ({e})",
                path.display(),
                index + 1
            )),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The format is a contract with people and tools reading the file (the host's crash
    /// test among them): keys, their order, and which are left out when empty.
    #[test]
    fn lines_keep_their_format() {
        let create = JournalLine {
            number: Some("JSONL0000001".to_owned()),
            correlation_id: Some("k1".to_owned()),
            ..JournalLine::new(5, LineAction::Create, "t1", "1").with_fields(vec![(
                "short_description".to_owned(),
                "Locked out".to_owned(),
            )])
        };
        let reopen = JournalLine::new(6, LineAction::ChangeState, "t1", "1");
        assert_eq!(
            serde_json::to_string(&create).unwrap(),
            r#"{"unix_ms":5,"action":"create","ticket":"t1","number":"JSONL0000001","correlation_id":"k1","fields":[["short_description","Locked out"]],"state":"1"}"#
        );
        assert_eq!(
            serde_json::to_string(&reopen).unwrap(),
            r#"{"unix_ms":6,"action":"change_state","ticket":"t1","state":"1"}"#
        );
        for line in [create, reopen] {
            let text = serde_json::to_string(&line).unwrap();
            assert_eq!(serde_json::from_str::<JournalLine>(&text).unwrap(), line);
        }
    }

    #[test]
    fn timestamps_before_1970_are_zero() {
        let before = UNIX_EPOCH - std::time::Duration::from_secs(1);
        assert_eq!(unix_ms(before), 0);
        assert_eq!(
            unix_ms(UNIX_EPOCH + std::time::Duration::from_millis(42)),
            42
        );
    }
}
