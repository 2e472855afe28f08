//! `exec:COMMAND`: a secret printed by a command (a vault client, `pass`, `systemd-creds`).
//!
//! The command line is split into words the way a POSIX shell splits a simple command (quotes
//! and backslashes), but no shell runs it: no pipes, no variables, no globs, unless the user
//! writes `exec:sh -c '...'` themselves. It runs in the config file's directory with standard
//! input closed, and must print the secret on standard output and exit 0 within
//! [`EXEC_TIMEOUT`]. Its output (standard output and error) never appears in an error message:
//! a failing secret command may still have printed the secret.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

/// How long a secret command may run.
pub const EXEC_TIMEOUT: Duration = Duration::from_secs(10);

/// More output than this is not a secret; it is refused.
const MAX_OUTPUT_BYTES: u64 = 64 * 1024;

/// Runs `command_line` in `dir` and returns its standard output, trimmed.
///
/// # Errors
///
/// A message for the user naming the program and what went wrong (not found, exit status,
/// timeout, empty or oversized output), never the output.
pub(super) fn run(command_line: &str, dir: &Path) -> Result<String, String> {
    run_within(command_line, dir, EXEC_TIMEOUT)
}

fn run_within(command_line: &str, dir: &Path, timeout: Duration) -> Result<String, String> {
    let words = split(command_line)?;
    let Some((program, args)) = words.split_first() else {
        return Err(
            "`exec:` names no command; write `exec:PROGRAM ARGS…`, like \
                    `exec:/usr/bin/pass show sluice/servicenow`"
                .to_owned(),
        );
    };
    let mut child = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run the secret command `{program}`: {e}"))?;
    let output = read_on_a_thread(&mut child);
    let status = wait_within(&mut child, program, timeout)?;
    if !status.success() {
        return Err(format!(
            "the secret command `{program}` failed ({status}); its output is not shown, run it \
             by hand to see why"
        ));
    }
    let bytes = output
        .recv_timeout(Duration::from_secs(1))
        .map_err(|_| {
            format!("the secret command `{program}` left its output open (a child process?)")
        })?
        .map_err(|e| format!("cannot read the secret command `{program}`'s output: {e}"))?;
    secret_of(program, bytes)
}

/// Reads `child`'s standard output on a thread of its own (a command that fills the pipe
/// would otherwise never exit): at most one byte more than [`MAX_OUTPUT_BYTES`].
fn read_on_a_thread(child: &mut Child) -> Receiver<std::io::Result<Vec<u8>>> {
    let stdout = child.stdout.take();
    let (sender, output) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let result = match stdout {
            Some(out) => out
                .take(MAX_OUTPUT_BYTES + 1)
                .read_to_end(&mut bytes)
                .map(|_| bytes),
            None => Ok(bytes),
        };
        let _ = sender.send(result);
    });
    output
}

/// Waits for `child` to exit; stops it if it runs longer than `timeout`.
fn wait_within(child: &mut Child, program: &str, timeout: Duration) -> Result<ExitStatus, String> {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status),
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "the secret command `{program}` did not finish within {}; it was stopped",
                    humantime::format_duration(timeout)
                ));
            }
            Err(e) => {
                return Err(format!(
                    "cannot wait for the secret command `{program}`: {e}"
                ))
            }
        }
    }
}

/// The secret in what `program` printed: one line of UTF-8, trimmed, not empty.
fn secret_of(program: &str, bytes: Vec<u8>) -> Result<String, String> {
    if bytes.len() as u64 > MAX_OUTPUT_BYTES {
        return Err(format!(
            "the secret command `{program}` printed more than {MAX_OUTPUT_BYTES} bytes; a \
             secret is one line"
        ));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| format!("the secret command `{program}` printed something not UTF-8"))?;
    let secret = text.trim();
    if secret.is_empty() {
        return Err(format!(
            "the secret command `{program}` printed nothing on standard output"
        ));
    }
    Ok(secret.to_owned())
}

/// Splits a command line into words: whitespace separates; `'…'` keeps everything literally;
/// `"…"` keeps everything but `\"` and `\\`; a backslash outside quotes escapes the next
/// character.
fn split(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if let Some(w) = word.take() {
                    words.push(w);
                }
            }
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => w.push(c),
                        None => return Err(unclosed('\'')),
                    }
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\')) => w.push(c),
                            Some(c) => {
                                w.push('\\');
                                w.push(c);
                            }
                            None => return Err(unclosed('"')),
                        },
                        Some(c) => w.push(c),
                        None => return Err(unclosed('"')),
                    }
                }
            }
            '\\' => {
                let w = word.get_or_insert_with(String::new);
                if let Some(c) = chars.next() {
                    w.push(c);
                }
            }
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    Ok(words)
}

fn unclosed(quote: char) -> String {
    format!("unclosed {quote} in the `exec:` command line; close it, or escape it with `\\`")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_like_a_shell_without_one() {
        assert_eq!(
            split(r#"pass show 'sluice/service now' "a \"b\" c" d\ e"#).unwrap(),
            ["pass", "show", "sluice/service now", r#"a "b" c"#, "d e"]
        );
        assert_eq!(split("  ").unwrap(), Vec::<String>::new());
        assert_eq!(split("a ''").unwrap(), ["a", ""]);
        assert!(split("echo 'x").unwrap_err().contains("unclosed '"));
    }

    #[cfg(unix)]
    #[test]
    fn the_trimmed_output_is_the_secret() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pw"), "  from-a-file\n").unwrap();
        assert_eq!(run("cat pw", dir.path()).unwrap(), "from-a-file");
        assert_eq!(
            run("sh -c 'printf \"%s\\n\" s3cret'", dir.path()).unwrap(),
            "s3cret"
        );
    }

    #[cfg(unix)]
    #[test]
    fn failures_never_show_the_output() {
        let dir = tempfile::tempdir().unwrap();
        let e = run(
            "sh -c 'echo leaked-value; echo leaked-err >&2; exit 3'",
            dir.path(),
        )
        .unwrap_err();
        assert!(e.contains("`sh` failed") && e.contains('3'), "{e}");
        assert!(!e.contains("leaked"), "{e}");
        let e = run("sh -c 'true'", dir.path()).unwrap_err();
        assert!(e.contains("printed nothing"), "{e}");
        let e = run("/nonexistent/vault read x", dir.path()).unwrap_err();
        assert!(
            e.contains("cannot run the secret command `/nonexistent/vault`"),
            "{e}"
        );
        assert!(run("", dir.path())
            .unwrap_err()
            .contains("names no command"));
    }

    #[cfg(unix)]
    #[test]
    fn a_command_that_hangs_is_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let e = run_within("sleep 30", dir.path(), Duration::from_millis(200)).unwrap_err();
        assert!(e.contains("did not finish within 200ms"), "{e}");
    }
}
