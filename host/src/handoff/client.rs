//! The invocation's side: send the alert, wait for the commit.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use super::{socket_path, Answer, Handoff, HandoffError};

/// How long the invocation waits for the host's answer before it writes the store itself.
/// The host answers after its commit, which may wait for the write lock behind one of its
/// own transactions (a pruning pass after a flood takes longest); past this, writing directly
/// is no slower.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(3);

/// The longest answer read; a real one is a few dozen bytes.
const MAX_ANSWER: u64 = 4096;

/// Hands `alert` to the host using the store at `state`; returns (newly queued, duplicates)
/// once the host has committed it.
///
/// # Errors
///
/// When no host listens, or it does not answer in time, or refuses: the caller then writes
/// the store itself.
pub fn hand_off(state: &Path, alert: &Handoff) -> Result<(usize, usize), HandoffError> {
    let path = socket_path(state);
    let mut stream = UnixStream::connect(&path).map_err(|source| HandoffError::NotListening {
        path: path.clone(),
        source,
    })?;
    let io = |source| HandoffError::Io {
        path: path.clone(),
        source,
    };
    stream.set_read_timeout(Some(ANSWER_TIMEOUT)).map_err(io)?;
    stream.set_write_timeout(Some(ANSWER_TIMEOUT)).map_err(io)?;
    let mut line = serde_json::to_vec(alert).map_err(|e| io(e.into()))?;
    line.push(b'\n');
    stream.write_all(&line).map_err(io)?;

    let mut answer = String::new();
    BufReader::new(stream.take(MAX_ANSWER))
        .read_line(&mut answer)
        .map_err(io)?;
    match serde_json::from_str::<Answer>(answer.trim_end()) {
        Ok(Answer::Queued { queued, duplicates }) => Ok((queued, duplicates)),
        Ok(Answer::Refused { reason }) => Err(HandoffError::Refused { path, reason }),
        Err(_) => Err(HandoffError::BadAnswer {
            path,
            answer: answer.chars().take(200).collect(),
        }),
    }
}
