//! Writing a command's answer to standard output, every secret the process resolved redacted.

use anyhow::Context;

/// Writes `text` to standard output; a closed pipe (`sluice alerts list | head`) is not an
/// error, the reader has what it wanted. (`println!` would panic there.)
pub(crate) fn print(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let text = sluice_core::redact(text);
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        result => result.context("cannot write to standard output"),
    }
}

/// [`print`] with a line break after `text`.
pub(crate) fn print_line(text: &str) -> anyhow::Result<()> {
    print(&format!("{text}\n"))
}
