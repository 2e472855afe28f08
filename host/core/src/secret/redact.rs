//! Redaction: the values of every secret the process resolved, and replacing them in text.
//!
//! A config's secrets are registered process-wide as soon as it is loaded (see
//! [`Secrets::register`]), so that every way text leaves the process can redact them without
//! being handed the config: log lines, error messages, `--json` output, and the messages the
//! state store keeps for `sluice status`. A secret stays registered after a reload replaced
//! it: text about the old one may still be around.

use std::borrow::Cow;
use std::sync::RwLock;

/// What a secret's value is replaced with.
pub const REDACTED: &str = "<redacted>";

/// The values of secrets, for redaction.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    /// Longest first, so a secret containing another is redacted whole.
    values: Vec<String>,
}

/// Every secret this process resolved.
static REGISTERED: RwLock<Secrets> = RwLock::new(Secrets { values: Vec::new() });

impl Secrets {
    /// Remembers `value` as secret (empty and very short values are ignored: redacting them
    /// would mangle ordinary text). Its escaped form in JSON (and Rust's `{:?}`) is remembered
    /// too, so a secret with a quote or a backslash is found inside `--log-format json` lines.
    pub fn insert(&mut self, value: &str) {
        if value.chars().count() < 3 {
            return;
        }
        let escaped = serde_json::to_string(value).unwrap_or_default();
        let escaped = escaped
            .strip_prefix('"')
            .and_then(|e| e.strip_suffix('"'))
            .unwrap_or(value);
        for v in [value, escaped] {
            if !self.values.iter().any(|known| known == v) {
                self.values.push(v.to_owned());
            }
        }
        self.values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    }

    /// `text` with every one of these secrets replaced by `<redacted>`.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if !self.values.iter().any(|v| text.contains(v.as_str())) {
            return Cow::Borrowed(text);
        }
        let mut out = text.to_owned();
        for v in &self.values {
            out = out.replace(v.as_str(), REDACTED);
        }
        Cow::Owned(out)
    }

    /// Whether no secret was resolved.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Adds these secrets to the process-wide set [`redact`] uses.
    pub fn register(&self) {
        if self.is_empty() {
            return;
        }
        let mut all = REGISTERED.write().unwrap_or_else(|p| p.into_inner());
        for v in &self.values {
            if !all.values.contains(v) {
                all.values.push(v.clone());
            }
        }
        all.values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    }
}

/// `text` with every secret this process resolved replaced by `<redacted>`.
pub fn redact(text: &str) -> Cow<'_, str> {
    REGISTERED
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .redact(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_secret_wins_and_short_values_are_ignored() {
        let mut s = Secrets::default();
        s.insert("ab");
        s.insert("hunter2");
        s.insert("hunter22");
        assert_eq!(s.redact("ab hunter22 hunter2"), "ab <redacted> <redacted>");
    }

    #[test]
    fn the_json_escaped_form_is_redacted_too() {
        let mut s = Secrets::default();
        s.insert(r#"pa"ss\word"#);
        let line = serde_json::json!({ "message": r#"sent pa"ss\word"# }).to_string();
        assert_eq!(
            s.redact(&line),
            r#"{"message":"sent <redacted>"}"#,
            "{line}"
        );
    }

    #[test]
    fn registered_secrets_are_redacted_process_wide() {
        let mut s = Secrets::default();
        s.insert("registered-secret-1f9c");
        assert_eq!(
            redact("x registered-secret-1f9c"),
            "x registered-secret-1f9c"
        );
        s.register();
        assert_eq!(redact("x registered-secret-1f9c"), "x <redacted>");
    }
}
