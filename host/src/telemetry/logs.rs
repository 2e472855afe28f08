//! Where log lines go: standard error, or a file that log rotation can move away; every secret
//! the process resolved is redacted from each line before it is written.
//!
//! tracing-subscriber formats an event into one buffer and hands it to a fresh writer from
//! [`LogOutput`]; the writer redacts the whole line when it is dropped, so a secret can never
//! be split across two writes.
//!
//! A log file is opened for appending, so `logrotate`'s `copytruncate` works as it is; after a
//! rotation that moves the file (`create`), [`reopen`] (run on SIGHUP) opens the new one.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use tracing_subscriber::fmt::MakeWriter;

use sluice_core::redact;

/// The log file, when `--log-file` names one.
static LOG_FILE: OnceLock<Arc<LogFile>> = OnceLock::new();

#[derive(Debug)]
struct LogFile {
    path: PathBuf,
    file: Mutex<File>,
}

fn open(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

/// Opens the log file again under its name (after log rotation moved it). Does nothing when
/// logs go to standard error. An error is reported on the old file, which stays in use.
pub fn reopen() {
    let Some(log) = LOG_FILE.get() else {
        return;
    };
    match open(&log.path) {
        Ok(file) => {
            *log.file.lock().unwrap_or_else(|p| p.into_inner()) = file;
            tracing::info!(path = %log.path.display(), "Reopened the log file.");
        }
        Err(error) => {
            tracing::error!(path = %log.path.display(), %error, "Cannot reopen the log file; still writing to the old one.")
        }
    }
}

/// Where the subscriber writes: standard error or the log file.
#[derive(Debug, Clone)]
pub(super) struct LogOutput {
    file: Option<Arc<LogFile>>,
}

impl LogOutput {
    /// Standard error.
    pub(super) fn stderr() -> Self {
        LogOutput { file: None }
    }

    /// The file at `path`, created if needed and appended to.
    pub(super) fn file(path: &Path) -> std::io::Result<Self> {
        let log = Arc::new(LogFile {
            path: path.to_owned(),
            file: Mutex::new(open(path)?),
        });
        // Logging is set up once per process; [`reopen`] finds the file here.
        let _ = LOG_FILE.set(log.clone());
        Ok(LogOutput { file: Some(log) })
    }

    /// Whether lines go to a terminal (and may be coloured).
    pub(super) fn is_terminal(&self) -> bool {
        use std::io::IsTerminal;
        self.file.is_none() && std::io::stderr().is_terminal()
    }
}

impl<'a> MakeWriter<'a> for LogOutput {
    type Writer = LineWriter;

    fn make_writer(&'a self) -> LineWriter {
        LineWriter {
            line: Vec::with_capacity(256),
            file: self.file.clone(),
        }
    }
}

/// Collects one formatted event and writes it, redacted, when dropped.
#[derive(Debug)]
pub(super) struct LineWriter {
    line: Vec<u8>,
    file: Option<Arc<LogFile>>,
}

impl Write for LineWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.line.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LineWriter {
    fn drop(&mut self) {
        if self.line.is_empty() {
            return;
        }
        let text = String::from_utf8_lossy(&self.line);
        let text = redact(&text);
        // A log line that cannot be written has nowhere else to go.
        let _ = match &self.file {
            Some(log) => log
                .file
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .write_all(text.as_bytes()),
            None => std::io::stderr().lock().write_all(text.as_bytes()),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_core::Secrets;

    #[test]
    fn every_line_is_redacted_and_a_reopened_file_gets_the_next_lines() {
        let mut secrets = Secrets::default();
        secrets.insert("logged-secret-4d2a");
        secrets.register();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sluice.log");
        let output = LogOutput::file(&path).unwrap();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_writer(output)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(error = "token logged-secret-4d2a refused", "A failure.");
            // logrotate's `create`: the file is moved away, a new one is opened on SIGHUP.
            std::fs::rename(&path, dir.path().join("sluice.log.1")).unwrap();
            reopen();
            tracing::info!("After the rotation.");
        });
        let rotated = std::fs::read_to_string(dir.path().join("sluice.log.1")).unwrap();
        assert!(
            rotated.contains(r#""error":"token <redacted> refused""#),
            "{rotated}"
        );
        assert!(!rotated.contains("logged-secret-4d2a"));
        let fresh = std::fs::read_to_string(&path).unwrap();
        assert!(fresh.contains("After the rotation."), "{fresh}");
    }
}
