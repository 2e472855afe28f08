//! `%Placeholder%` templates, as the vendor add-on's ticket parameters use them.
//!
//! A template is text with `%Name%` placeholders; `%%` is a literal `%`, and a `%` that does
//! not start a valid placeholder name is kept as it is. Names are checked when the template is
//! parsed (at `sluice validate`), so a misspelled placeholder is an error, not an empty field
//! in a ticket.

use std::borrow::Cow;
use std::fmt;

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Placeholder(String),
}

/// A placeholder the context does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownPlaceholder {
    /// The name as written.
    pub name: String,
    /// The names that are known.
    pub known: Vec<&'static str>,
}

impl fmt::Display for UnknownPlaceholder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown placeholder %{}%", self.name)?;
        if let Some(near) = self
            .known
            .iter()
            .find(|k| k.eq_ignore_ascii_case(&self.name))
        {
            write!(f, " (did you mean %{near}%? names are case-sensitive)")
        } else {
            write!(f, "; known placeholders: %{}%", self.known.join("%, %"))
        }
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

impl Template {
    /// Parses `text`; `accepts` says which placeholder names are valid (`None` accepts any
    /// name, for templates over fields of another system, like the correlation format).
    pub fn parse(
        text: &str,
        accepts: Option<&'static [&'static str]>,
    ) -> Result<Template, UnknownPlaceholder> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(i) = rest.find('%') {
            literal.push_str(&rest[..i]);
            let after = &rest[i + 1..];
            if let Some(tail) = after.strip_prefix('%') {
                literal.push('%');
                rest = tail;
                continue;
            }
            let end = after.find(|c: char| !is_name_char(c));
            match end {
                Some(e) if e > 0 && after[e..].starts_with('%') => {
                    let name = &after[..e];
                    if let Some(known) = accepts {
                        if !known.contains(&name) {
                            return Err(UnknownPlaceholder {
                                name: name.to_owned(),
                                known: known.to_vec(),
                            });
                        }
                    }
                    if !literal.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Placeholder(name.to_owned()));
                    rest = &after[e + 1..];
                }
                _ => {
                    literal.push('%');
                    rest = after;
                }
            }
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Ok(Template { parts })
    }

    /// A template that is only `text`.
    pub fn literal(text: &str) -> Template {
        Template {
            parts: if text.is_empty() {
                Vec::new()
            } else {
                vec![Part::Text(text.to_owned())]
            },
        }
    }

    /// The placeholder names it uses.
    pub fn placeholders(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Placeholder(n) => Some(n.as_str()),
            Part::Text(_) => None,
        })
    }

    /// Renders it, asking `value` for each placeholder (unknown values render empty).
    pub fn render<'a>(&self, mut value: impl FnMut(&str) -> Option<Cow<'a, str>>) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Placeholder(name) => {
                    if let Some(v) = value(name) {
                        out.push_str(&v);
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[&str] = &["AlertName", "Who"];

    #[test]
    fn renders_placeholders_and_keeps_stray_percent_signs() {
        let t = Template::parse(
            "[NA] %AlertName% by %Who%: 50% done, 100%% sure, %not a name",
            Some(KNOWN),
        )
        .unwrap();
        let out = t.render(|n| Some(Cow::Owned(format!("<{n}>"))));
        assert_eq!(
            out,
            "[NA] <AlertName> by <Who>: 50% done, 100% sure, %not a name"
        );
    }

    #[test]
    fn unknown_placeholders_are_errors_with_a_hint() {
        let err = Template::parse("%alertname%", Some(KNOWN)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown placeholder %alertname% (did you mean %AlertName%? names are case-sensitive)"
        );
        let err = Template::parse("%Whom%", Some(KNOWN)).unwrap_err();
        assert!(
            err.to_string()
                .contains("known placeholders: %AlertName%, %Who%"),
            "{err}"
        );
    }

    #[test]
    fn open_templates_accept_any_field() {
        let t = Template::parse("Number: %number%, group: %assignment_group%", None).unwrap();
        assert_eq!(
            t.placeholders().collect::<Vec<_>>(),
            ["number", "assignment_group"]
        );
        assert_eq!(t.render(|_| None), "Number: , group: ");
    }
}
