//! Secret references in config values: `${ENV_VAR}` and `file:/path`.
//!
//! References are resolved once, at load, so a secret lives in the environment or a file with
//! tight permissions instead of in the config. Every resolved value is remembered in
//! [`Secrets`] so that logs and error messages can redact it; error messages name the
//! *reference*, never the value.

use std::path::Path;

/// The values of every secret resolved while loading a config, for redaction.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    values: Vec<String>,
}

impl Secrets {
    /// Remembers `value` as secret (empty and very short values are ignored: redacting them
    /// would mangle ordinary text).
    pub fn insert(&mut self, value: &str) {
        if value.chars().count() >= 3 && !self.values.iter().any(|v| v == value) {
            self.values.push(value.to_owned());
            // Longest first, so a secret containing another is redacted whole.
            self.values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        }
    }

    /// `text` with every known secret replaced by `<redacted>`.
    pub fn redact<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        if !self.values.iter().any(|v| text.contains(v.as_str())) {
            return std::borrow::Cow::Borrowed(text);
        }
        let mut out = text.to_owned();
        for v in &self.values {
            out = out.replace(v.as_str(), "<redacted>");
        }
        std::borrow::Cow::Owned(out)
    }

    /// Whether no secret was resolved.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// Resolves references, looking environment variables up through a function (the process
/// environment in production, a map in tests).
#[derive(Debug)]
pub struct SecretResolver<E> {
    env: E,
}

impl SecretResolver<fn(&str) -> Option<String>> {
    /// A resolver over the process environment.
    pub fn from_env() -> Self {
        SecretResolver {
            env: |name| std::env::var(name).ok(),
        }
    }
}

impl<E: Fn(&str) -> Option<String>> SecretResolver<E> {
    /// A resolver over `env`.
    pub fn new(env: E) -> Self {
        SecretResolver { env }
    }

    /// Resolves the references in `value`; `Ok(None)` when it holds none.
    ///
    /// - `${NAME}` anywhere in the text is replaced by environment variable `NAME`;
    ///   `$${` stands for a literal `${`.
    /// - A value that is exactly `file:PATH` is replaced by the file's content, without its
    ///   trailing newline.
    pub fn resolve(&self, value: &str, secrets: &mut Secrets) -> Result<Option<String>, String> {
        if let Some(path) = value.strip_prefix("file:") {
            let path = Path::new(path.trim());
            let content = std::fs::read_to_string(path).map_err(|e| {
                format!(
                    "cannot read secret file {} ({e}); the value `file:PATH` must name a \
                     readable file",
                    path.display()
                )
            })?;
            let content = content.trim_end_matches(['\n', '\r']).to_owned();
            secrets.insert(&content);
            return Ok(Some(content));
        }
        if !value.contains("${") {
            return Ok(None);
        }
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
                let name = &tail[..end];
                if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return Err(format!(
                        "`${{{name}}}` is not a valid environment variable reference; names \
                         use letters, digits and `_`"
                    ));
                }
                let resolved = (self.env)(name).ok_or_else(|| {
                    format!(
                        "environment variable {name} is not set (referenced as `${{{name}}}`); \
                         set it, or write the value in the config"
                    )
                })?;
                secrets.insert(&resolved);
                out.push_str(&resolved);
                rest = &tail[end + 1..];
            } else {
                out.push('$');
                rest = &after[1..];
            }
        }
        out.push_str(rest);
        Ok(Some(out))
    }
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
        let v = resolver().resolve("Bearer ${PW}!", &mut s).unwrap();
        assert_eq!(v.as_deref(), Some("Bearer hunter22!"));
        assert_eq!(s.redact("got hunter22 back"), "got <redacted> back");
    }

    #[test]
    fn literal_dollar_and_plain_text_are_left_alone() {
        let mut s = Secrets::default();
        assert_eq!(resolver().resolve("a$b", &mut s).unwrap(), None);
        assert_eq!(
            resolver()
                .resolve("$${PW} costs $5", &mut s)
                .unwrap()
                .as_deref(),
            Some("${PW} costs $5")
        );
        assert!(s.is_empty());
    }

    #[test]
    fn missing_variable_names_the_reference_not_a_value() {
        let err = resolver()
            .resolve("${NOPE}", &mut Secrets::default())
            .unwrap_err();
        assert!(err.contains("NOPE is not set"), "{err}");
    }

    #[test]
    fn file_references_read_the_file_without_trailing_newline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        std::fs::write(&path, "s3cret-value\n").unwrap();
        let mut s = Secrets::default();
        let v = resolver()
            .resolve(&format!("file:{}", path.display()), &mut s)
            .unwrap();
        assert_eq!(v.as_deref(), Some("s3cret-value"));
        assert_eq!(s.redact("x s3cret-value y"), "x <redacted> y");
        let err = resolver()
            .resolve("file:/nonexistent/pw", &mut s)
            .unwrap_err();
        assert!(err.contains("/nonexistent/pw"), "{err}");
    }
}
