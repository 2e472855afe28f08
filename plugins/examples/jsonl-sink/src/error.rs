//! What can go wrong with the journal file, and how the host should take it.

use std::io;
use std::path::PathBuf;

use sluice_sdk::{ActionOutcome, PluginError};

/// A failure to use the journal file.
///
/// Each message includes its cause: the host sees a [`PluginError`], which carries text, not
/// an error chain, so a cause left out of the message would be lost.
#[derive(Debug, thiserror::Error)]
pub(crate) enum JournalError {
    /// The file cannot be opened for appending (a missing directory, no permission).
    #[error("cannot open {} for appending: {source}", path.display())]
    Open { path: PathBuf, source: io::Error },
    /// The file exists but cannot be read back.
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
    /// A journal line cannot be written (a full disk).
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
    /// A batch's lines cannot be flushed to disk.
    #[error("cannot flush {}: {source}", path.display())]
    Flush { path: PathBuf, source: io::Error },
    /// A journal line cannot be encoded as JSON (a bug: every field is plain text).
    #[error("cannot encode a journal line: {0}")]
    Encode(#[source] serde_json::Error),
}

impl JournalError {
    /// The outcome of an action this error stopped. Disk trouble may pass (space freed, a
    /// mount back), so the host should retry; an encoding bug will not, so that fails.
    pub fn into_outcome(self) -> ActionOutcome {
        let error = PluginError::from(self);
        if error.kind().is_retryable() {
            ActionOutcome::retry(error.message())
        } else {
            ActionOutcome::Failed(error)
        }
    }
}

impl From<JournalError> for PluginError {
    fn from(error: JournalError) -> Self {
        match error {
            JournalError::Encode(_) => PluginError::internal(error.to_string()),
            _ => PluginError::transient(error.to_string()),
        }
    }
}
