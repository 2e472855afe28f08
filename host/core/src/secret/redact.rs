//! Redaction: the values of every secret the process resolved, and replacing them in text.
//!
//! A config's secrets are registered process-wide as soon as it is loaded (see
//! [`Secrets::register`]), so that every way text leaves the process can redact them without
//! being handed the config: log lines, error messages, `--json` output, and the messages the
//! state store keeps for `sluice status`. A secret stays registered after a reload replaced
//! it: text about the old one may still be around.
//!
//! A secret that could be an ordinary word (short, or letters only: `sluice`, `admin`) is
//! redacted only where a secret can appear: as a whole word after a word that names one
//! (`password`, `token`, `secret`, `key`, `authorization`, …) or as the password of a URL
//! (`user:secret@host`). Redacting it everywhere would blank file names (`sluice.toml`), user
//! names and messages that merely contain the word. Any other secret is redacted wherever it
//! appears.

use std::borrow::Cow;
use std::sync::RwLock;

/// What a secret's value is replaced with.
pub const REDACTED: &str = "<redacted>";

/// Words that name a secret: a weak secret is redacted after one of them.
const SECRET_WORDS: [&str; 9] = [
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "key",
    "authorization",
    "credential",
    "bearer",
];

/// The values of secrets, for redaction.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    /// Longest first, so a secret containing another is redacted whole.
    values: Vec<String>,
}

/// Every secret this process resolved.
static REGISTERED: RwLock<Secrets> = RwLock::new(Secrets { values: Vec::new() });

/// Whether `value` could be an ordinary word: shorter than 8 characters, or letters only and
/// shorter than 12.
fn is_weak(value: &str) -> bool {
    let n = value.chars().count();
    n < 8 || (n < 12 && value.chars().all(char::is_alphabetic))
}

/// Whether `c` continues a word, a file name or a path around a match.
fn joins(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | '\\'))
}

/// Whether the weak secret found at `text[start..end]` sits where a secret appears: a whole
/// word whose previous word (quotes, `=` and `:` between them aside) names a secret, or a
/// URL's password (`:secret@`).
fn in_secret_place(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    let url_password = before == Some(':') && after == Some('@');
    if url_password {
        return true;
    }
    if joins(before) || joins(after) {
        return false;
    }
    let before = text[..start].trim_end_matches([' ', '"', '\'', '=', ':']);
    let word_start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
        .last()
        .map_or(before.len(), |(i, _)| i);
    let word = before[word_start..].to_lowercase();
    SECRET_WORDS.iter().any(|w| word.contains(w))
}

/// `text` with the weak secret `value` replaced where it sits in a secret's place.
fn redact_weak(text: &str, value: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (start, _) in text.match_indices(value) {
        let end = start + value.len();
        if start < last || !in_secret_place(text, start, end) {
            continue;
        }
        out.push_str(&text[last..start]);
        out.push_str(REDACTED);
        last = end;
    }
    out.push_str(&text[last..]);
    out
}

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
            out = if is_weak(v) {
                redact_weak(&out, v)
            } else {
                out.replace(v.as_str(), REDACTED)
            };
        }
        if out == text {
            return Cow::Borrowed(text);
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
        assert_eq!(
            s.redact("ab hunter22 password hunter2"),
            "ab <redacted> password <redacted>"
        );
    }

    /// A password `sluice` turned file names into `<redacted>.toml`.
    #[test]
    fn a_secret_that_is_an_ordinary_word_is_redacted_only_where_a_secret_appears() {
        let mut s = Secrets::default();
        s.insert("sluice");
        for kept in [
            "sluice.toml: cannot read the config",
            "ServiceNow refused the credentials of user 'sluice' (HTTP 401)",
            "/opt/sluice/libsluice_sink_servicenow.so",
            "Reloaded the config of sluice-host.",
        ] {
            assert_eq!(s.redact(kept), kept);
        }
        for (text, redacted) in [
            ("password = \"sluice\"", "password = \"<redacted>\""),
            (r#"{"password":"sluice"}"#, r#"{"password":"<redacted>"}"#),
            (
                "GET http://svc:sluice@sn.example/",
                "GET http://svc:<redacted>@sn.example/",
            ),
            (
                "Authorization: Bearer sluice",
                "Authorization: Bearer <redacted>",
            ),
            ("the token sluice expired", "the token <redacted> expired"),
        ] {
            assert_eq!(s.redact(text), redacted, "{text}");
        }
        let mut strong = Secrets::default();
        strong.insert("sluice-demo-7f3e");
        assert_eq!(
            strong.redact("a/sluice-demo-7f3e.toml"),
            "a/<redacted>.toml"
        );
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
