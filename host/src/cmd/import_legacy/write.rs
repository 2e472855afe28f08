//! Rendering the imported config as TOML text, comments included.
//!
//! Written by hand rather than through a serializer: the result is a config the user keeps
//! editing, so every key says which add-on setting it came from, tables come in the order a
//! reader needs them, and ticket fields keep the add-on's order (a serializer would sort them
//! and drop the comments). Strings are escaped here and nowhere else; a test reads every kind
//! of value back through the `toml` crate.

use std::fmt::Write as _;

/// A config file: a header comment, then blocks.
#[derive(Debug, Default)]
pub(super) struct Document {
    pub(super) header: Vec<String>,
    pub(super) blocks: Vec<Block>,
}

/// A table, or a free comment between tables (a commented-out example, say).
#[derive(Debug)]
pub(super) enum Block {
    Table(Table),
    Comment(Vec<String>),
}

/// `[name]` with comments and entries.
#[derive(Debug, Default)]
pub(super) struct Table {
    pub(super) name: String,
    pub(super) comments: Vec<String>,
    pub(super) entries: Vec<Entry>,
}

impl Table {
    pub(super) fn new(name: impl Into<String>) -> Table {
        Table {
            name: name.into(),
            ..Table::default()
        }
    }

    /// Adds `key = value`, with a comment at the end of the line (or above it, for a value
    /// that spans lines).
    pub(super) fn set(&mut self, key: &str, value: Value, comment: impl Into<String>) {
        let comment = comment.into();
        self.entries.push(Entry {
            above: Vec::new(),
            key: key.to_owned(),
            value,
            trailing: (!comment.is_empty()).then_some(comment),
        });
    }

    /// Adds `key = value` with comment lines above it.
    pub(super) fn set_explained(&mut self, key: &str, value: Value, above: Vec<String>) {
        self.entries.push(Entry {
            above,
            key: key.to_owned(),
            value,
            trailing: None,
        });
    }
}

/// `key = value`.
#[derive(Debug)]
pub(super) struct Entry {
    pub(super) above: Vec<String>,
    pub(super) key: String,
    pub(super) value: Value,
    pub(super) trailing: Option<String>,
}

/// A TOML value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Value {
    Str(String),
    Int(i64),
    Bool(bool),
    Strs(Vec<String>),
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Str(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

/// Trailing comments line up at this column when the entries are short enough.
const COMMENT_COLUMN_MAX: usize = 44;

/// The document as TOML text.
pub(super) fn render(doc: &Document) -> String {
    let mut out = String::new();
    for line in &doc.header {
        comment_line(&mut out, line);
    }
    for block in &doc.blocks {
        out.push('\n');
        match block {
            Block::Comment(lines) => lines.iter().for_each(|l| comment_line(&mut out, l)),
            Block::Table(table) => render_table(&mut out, table),
        }
    }
    out
}

/// `# line`; a line break inside (a file name or a vendor value can hold one) starts another
/// comment line rather than ending the comment.
fn comment_line(out: &mut String, line: &str) {
    for part in line.split(['\n', '\r']) {
        if part.is_empty() {
            out.push_str("#\n");
        } else {
            let _ = writeln!(out, "# {part}");
        }
    }
}

fn render_table(out: &mut String, table: &Table) {
    let _ = writeln!(out, "[{}]", dotted(&table.name));
    for line in &table.comments {
        comment_line(out, line);
    }
    let rendered: Vec<String> = table
        .entries
        .iter()
        .map(|e| format!("{} = {}", key(&e.key), value(&e.value)))
        .collect();
    let column = rendered
        .iter()
        .zip(&table.entries)
        .filter(|(r, e)| e.trailing.is_some() && !r.contains('\n'))
        .map(|(r, _)| r.chars().count())
        .filter(|&w| w <= COMMENT_COLUMN_MAX)
        .max()
        .unwrap_or(0);
    for (line, entry) in rendered.iter().zip(&table.entries) {
        for c in &entry.above {
            comment_line(out, c);
        }
        match &entry.trailing {
            Some(c) if line.contains('\n') => {
                comment_line(out, c);
                out.push_str(line);
            }
            Some(c) if c.contains(['\n', '\r']) => {
                comment_line(out, c);
                out.push_str(line);
            }
            Some(c) => {
                let pad = column.saturating_sub(line.chars().count());
                let _ = write!(out, "{line}{}  # {c}", " ".repeat(pad));
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
}

/// A table name: each dotted part bare or quoted.
fn dotted(name: &str) -> String {
    name.split('.').map(key).collect::<Vec<_>>().join(".")
}

/// A key, bare when TOML allows it.
pub(super) fn key(k: &str) -> String {
    let bare = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        k.to_owned()
    } else {
        basic(k)
    }
}

fn value(v: &Value) -> String {
    match v {
        Value::Str(s) if s.contains('\n') => multiline(s),
        Value::Str(s) => basic(s),
        Value::Int(i) => i.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Strs(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|s| basic(s))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A one-line basic string.
fn basic(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A multi-line basic string: line breaks stay line breaks, so a template reads as the
/// ticket will. The line break after the opening quotes is not part of the value (TOML drops
/// it), so a value starting with a line break keeps it.
fn multiline(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    out.push_str("\"\"\"\n");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' | '\t' => out.push(c),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push_str("\"\"\"");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_reads_back_as_written() {
        let tricky = [
            "plain",
            "CORP\\svc \"quoted\" 'single'",
            "tab\there, bell\u{7}, del\u{7f}",
            "line one\nline two\r\nthree \"\"\" quotes\\",
            "\nstarts with a line break\n",
            "ends with a quote\"",
            "%AlertName% 100%",
            "",
        ];
        let mut table = Table::new("pipelines.security.ticket");
        for (i, s) in tricky.iter().enumerate() {
            table.set(&format!("k{i}"), Value::from(*s), "comment");
        }
        table.set("odd key.with dots", Value::Int(-5), "");
        table.set(
            "list",
            Value::Strs(vec!["6".into(), "a\"b".into()]),
            "states",
        );
        table.set_explained("flag", Value::Bool(false), vec!["above".into()]);
        table.set("broken", Value::Int(1), "a comment\nwith = 2\r\nbreaks");
        let doc = Document {
            header: vec!["header".into(), String::new()],
            blocks: vec![
                Block::Table(table),
                Block::Comment(vec!["[x]".into(), "y = 1".into()]),
            ],
        };
        let text = render(&doc);
        let parsed: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let t = &parsed["pipelines"]["security"]["ticket"];
        for (i, s) in tricky.iter().enumerate() {
            assert_eq!(t[&format!("k{i}")].as_str(), Some(*s), "{text}");
        }
        assert_eq!(t["odd key.with dots"].as_integer(), Some(-5));
        assert_eq!(t["list"][1].as_str(), Some("a\"b"));
        assert_eq!(t["flag"].as_bool(), Some(false));
        assert_eq!(t["broken"].as_integer(), Some(1));
        assert!(t.get("with").is_none(), "{text}");
        assert!(text.starts_with("# header\n#\n\n[pipelines.security.ticket]\n"));
        assert!(text.contains("# above\nflag = false\n"), "{text}");
        assert!(text.ends_with("\n# [x]\n# y = 1\n"), "{text}");
    }

    #[test]
    fn trailing_comments_line_up() {
        let mut table = Table::new("t");
        table.set("a", Value::Int(1), "one");
        table.set("longer_key", Value::Int(22), "two");
        let text = render(&Document {
            header: Vec::new(),
            blocks: vec![Block::Table(table)],
        });
        assert_eq!(
            text,
            "\n[t]\na = 1            # one\nlonger_key = 22  # two\n"
        );
    }
}
