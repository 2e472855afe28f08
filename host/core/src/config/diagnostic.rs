//! Config errors as the user sees them: file, line, column, key path, what is wrong.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One problem in a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The config file.
    pub file: PathBuf,
    /// 1-based line and column, when the problem has a place in the file.
    pub position: Option<(usize, usize)>,
    /// The dotted key path (`pipelines.security.sink.endpoint`), when known.
    pub key_path: Option<String>,
    /// What is wrong and what a valid value looks like.
    pub message: String,
    /// The line of the file, the column and the width to underline, for the excerpt.
    excerpt: Option<Box<(String, usize, usize)>>,
}

impl Diagnostic {
    /// A problem with no particular place.
    pub fn new(file: &Path, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.to_owned(),
            position: None,
            key_path: None,
            message: message.into(),
            excerpt: None,
        }
    }

    /// Names the key the problem is about.
    pub fn at_key(mut self, key_path: impl Into<String>) -> Self {
        let key_path = key_path.into();
        if !key_path.is_empty() {
            self.key_path = Some(key_path);
        }
        self
    }

    /// Places the problem at byte range `span` of `text`.
    pub fn at_span(mut self, text: &str, span: Range<usize>) -> Self {
        let start = span.start.min(text.len());
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let line = text[..start].matches('\n').count() + 1;
        let column = text[line_start..start].chars().count() + 1;
        let width = text[start..span.end.min(line_end).max(start)]
            .chars()
            .count()
            .max(1);
        self.position = Some((line, column));
        self.excerpt = Some(Box::new((
            text[line_start..line_end].trim_end_matches('\r').to_owned(),
            column,
            width,
        )));
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some((line, column)) = self.position {
            write!(f, ":{line}:{column}")?;
        }
        f.write_str(": ")?;
        if let Some(path) = &self.key_path {
            write!(f, "{path}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some((text, column, width)) = self.excerpt.as_deref() {
            let (line, _) = self.position.unwrap_or((0, 0));
            let gutter = line.to_string().len();
            write!(
                f,
                "\n{:gutter$} |\n{line} | {text}\n{:gutter$} | {:pad$}{}",
                "",
                "",
                "",
                "^".repeat(*width),
                pad = column - 1
            )?;
        }
        Ok(())
    }
}

/// Every problem found in a config file. `sluice` exits with 78 (EX_CONFIG) on these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<Diagnostic>);

impl ConfigErrors {
    /// One problem.
    pub fn one(diagnostic: Diagnostic) -> Self {
        ConfigErrors(vec![diagnostic])
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_file_line_column_key_and_points_at_the_key() {
        let text = "[state]\npath = \"x\"\nbogus = 1\n";
        let d = Diagnostic::new(Path::new("sluice.toml"), "unknown key")
            .at_key("state.bogus")
            .at_span(text, 19..24);
        assert_eq!(d.position, Some((3, 1)));
        let shown = d.to_string();
        assert!(
            shown.starts_with("sluice.toml:3:1: state.bogus: unknown key"),
            "{shown}"
        );
        assert!(shown.contains("3 | bogus = 1\n  | ^^^^^"), "{shown}");
    }
}
