//! Secret references in config values: `${ENV_VAR}`, `file:/path` and `exec:COMMAND`.
//!
//! References are resolved once, at load, so a secret lives in the environment, a file with
//! tight permissions or a secret store instead of in the config. Every resolved value is
//! remembered in [`Secrets`] so that logs and error messages can redact it; error messages name
//! the *reference*, never the value.

mod exec;
mod redact;

use std::path::Path;

use crate::file::read_regular_file;

pub use exec::EXEC_TIMEOUT;
pub use redact::{redact, Secrets, REDACTED};

/// Resolves references, looking environment variables up through a function (the process
/// environment in production, a map in tests).
#[derive(Debug)]
pub struct SecretResolver<E> {
    env: E,
    /// Stands for every reference instead of its value; nothing is read or run.
    placeholder: Option<&'static str>,
}

impl SecretResolver<fn(&str) -> Option<String>> {
    /// A resolver over the process environment.
    pub fn from_env() -> Self {
        SecretResolver {
            env: |name| std::env::var(name).ok(),
            placeholder: None,
        }
    }

    /// A resolver that reads no variable or file and runs no command: every reference stands
    /// for a harmless placeholder (a URL, so a proxy written as `${PROXY}` still passes the
    /// config's checks). For commands that never use a secret's value (`status`,
    /// `alert-response`, `alerts`): they must work from a shell without the service's
    /// environment, and stay fast.
    pub fn placeholders() -> Self {
        SecretResolver {
            env: |_| None,
            placeholder: Some("http://secret.unresolved.invalid"),
        }
    }
}

impl<E: Fn(&str) -> Option<String>> SecretResolver<E> {
    /// A resolver over `env`.
    pub fn new(env: E) -> Self {
        SecretResolver {
            env,
            placeholder: None,
        }
    }

    /// Resolves the references in `value`; `Ok(None)` when it holds none. Relative paths and
    /// commands are taken from `dir` (the config file's directory).
    ///
    /// - `${NAME}` anywhere in the text is replaced by environment variable `NAME`;
    ///   `$${` stands for a literal `${`.
    /// - A value that is exactly `file:PATH` is replaced by the file's content, without its
    ///   trailing newline.
    /// - A value that is exactly `exec:COMMAND` is replaced by what the command prints, trimmed
    ///   (see [`EXEC_TIMEOUT`]; no shell runs it).
    pub fn resolve(
        &self,
        value: &str,
        dir: &Path,
        secrets: &mut Secrets,
    ) -> Result<Option<String>, String> {
        if let (Some(placeholder), true) = (
            self.placeholder,
            value.starts_with("file:") || value.starts_with("exec:"),
        ) {
            return Ok(Some(placeholder.to_owned()));
        }
        if let Some(command) = value.strip_prefix("exec:") {
            let secret = exec::run(command, dir)?;
            secrets.insert(&secret);
            return Ok(Some(secret));
        }
        if let Some(path) = value.strip_prefix("file:") {
            let content = read_file(&dir.join(path.trim()))?;
            secrets.insert(&content);
            return Ok(Some(content));
        }
        if !value.contains("${") {
            return Ok(None);
        }
        self.expand(value, secrets).map(Some)
    }

    /// `value` with each `${NAME}` replaced by the variable, and each `$${` by `${`.
    fn expand(&self, value: &str, secrets: &mut Secrets) -> Result<String, String> {
        let mut out = String::with_capacity(value.len());
        let mut rest = value;
        while let Some(i) = rest.find('$') {
            out.push_str(&rest[..i]);
            let after = &rest[i..];
            if let Some(tail) = after.strip_prefix("$${") {
                out.push_str("${");
                rest = tail;
            } else if let Some(tail) = after.strip_prefix("${") {
                let end = tail.find('}').ok_or_else(|| {
                    "unterminated `${`; write `${NAME}` for an environment variable, or `$${` \
                     for a literal `${`"
                        .to_owned()
                })?;
                out.push_str(&self.variable(&tail[..end], secrets)?);
                rest = &tail[end + 1..];
            } else {
                out.push('$');
                rest = &after[1..];
            }
        }
        out.push_str(rest);
        Ok(out)
    }

    /// The value of the environment variable `name` (or the placeholder), remembered as a
    /// secret.
    fn variable(&self, name: &str, secrets: &mut Secrets) -> Result<String, String> {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!(
                "`${{{name}}}` is not a valid environment variable reference; names \
                 use letters, digits and `_`"
            ));
        }
        if let Some(placeholder) = self.placeholder {
            return Ok(placeholder.to_owned());
        }
        let resolved = (self.env)(name).ok_or_else(|| {
            format!(
                "environment variable {name} is not set (referenced as `${{{name}}}`); \
                 set it, or write the value in the config"
            )
        })?;
        secrets.insert(&resolved);
        Ok(resolved)
    }
}

/// The most read from a secret file: 1 MiB. A password, a token or a PEM key is a few KB.
const SECRET_FILE_LIMIT: u64 = 1024 * 1024;

/// The content of the secret file at `path`, without its trailing newline.
fn read_file(path: &Path) -> Result<String, String> {
    let content = read_regular_file(path, SECRET_FILE_LIMIT).map_err(|e| {
        format!(
            "cannot read secret file {} ({}); the value `file:PATH` must name a \
             readable file",
            path.display(),
            e.problem()
        )
    })?;
    Ok(content.trim_end_matches(['\n', '\r']).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolver() -> SecretResolver<impl Fn(&str) -> Option<String>> {
        SecretResolver::new(|name| (name == "PW").then(|| "hunter22".to_owned()))
    }

    #[test]
    fn env_references_resolve_anywhere_and_are_remembered() {
        let mut s = Secrets::default();
        let v = resolver()
            .resolve("Bearer ${PW}!", Path::new("."), &mut s)
            .unwrap();
        assert_eq!(v.as_deref(), Some("Bearer hunter22!"));
        assert_eq!(s.redact("got hunter22 back"), "got <redacted> back");
    }

    #[test]
    fn literal_dollar_and_plain_text_are_left_alone() {
        let mut s = Secrets::default();
        assert_eq!(
            resolver().resolve("a$b", Path::new("."), &mut s).unwrap(),
            None
        );
        assert_eq!(
            resolver()
                .resolve("$${PW} costs $5", Path::new("."), &mut s)
                .unwrap()
                .as_deref(),
            Some("${PW} costs $5")
        );
        assert!(s.is_empty());
    }

    #[test]
    fn missing_variable_names_the_reference_not_a_value() {
        let err = resolver()
            .resolve("${NOPE}", Path::new("."), &mut Secrets::default())
            .unwrap_err();
        assert!(err.contains("NOPE is not set"), "{err}");
    }

    #[test]
    fn file_references_read_the_file_without_trailing_newline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        std::fs::write(&path, "s3cret-value\n").unwrap();
        let mut s = Secrets::default();
        let v = resolver().resolve("file:pw", dir.path(), &mut s).unwrap();
        assert_eq!(v.as_deref(), Some("s3cret-value"));
        assert_eq!(s.redact("x s3cret-value y"), "x <redacted> y");
        let err = resolver()
            .resolve("file:/nonexistent/pw", dir.path(), &mut s)
            .unwrap_err();
        assert!(err.contains("/nonexistent/pw"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn a_secret_file_that_is_no_regular_file_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let made = std::process::Command::new("mkfifo")
            .arg(dir.path().join("pw"))
            .status();
        assert!(made.unwrap().success());
        let (tx, rx) = std::sync::mpsc::channel();
        let base = dir.path().to_owned();
        std::thread::spawn(move || {
            let _ = tx.send(resolver().resolve("file:pw", &base, &mut Secrets::default()));
        });
        let err = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("reading a FIFO secret file blocked")
            .unwrap_err();
        assert!(err.contains("it is a FIFO, not a regular file"), "{err}");
        let err = resolver()
            .resolve("file:/dev/zero", dir.path(), &mut Secrets::default())
            .unwrap_err();
        assert!(err.contains("it is a character device"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn exec_references_run_the_command_in_the_config_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pw"), "from-exec\n").unwrap();
        let mut s = Secrets::default();
        let v = resolver()
            .resolve("exec:cat pw", dir.path(), &mut s)
            .unwrap();
        assert_eq!(v.as_deref(), Some("from-exec"));
        assert_eq!(s.redact("a from-exec b"), "a <redacted> b");
    }

    #[test]
    fn placeholders_read_and_run_nothing() {
        let mut s = Secrets::default();
        let r = SecretResolver::placeholders();
        for value in [
            "${UNSET_ANYWHERE}",
            "file:/nonexistent",
            "exec:/nonexistent/cmd",
        ] {
            let v = r.resolve(value, Path::new("."), &mut s).unwrap();
            assert_eq!(v.as_deref(), Some("http://secret.unresolved.invalid"));
        }
        assert_eq!(
            r.resolve("$${LITERAL}", Path::new("."), &mut s)
                .unwrap()
                .as_deref(),
            Some("${LITERAL}")
        );
        assert!(s.is_empty(), "a placeholder is not a secret");
    }
}
