//! [`Fields`]: an ordered list of named text values.

use std::fmt;

use abi_stable::std_types::{RString, RVec};

use crate::abi::types::AbiSpan;

/// An ordered list of named text values: a record's fields, or the fields of a ticket.
///
/// Order is kept (it is the order a user reads them in), and a name may repeat, so a source can
/// represent a multi-valued attribute without an SDK change. [`Fields::set`] replaces; use
/// [`Fields::push`] to append a repeat.
///
/// All names and values live in one buffer, which crosses the plugin boundary as it is: no
/// copy, however many fields (the buffer is freed by the allocator that made it).
///
/// ```
/// use sluice_sdk::Fields;
///
/// let mut fields = Fields::new();
/// fields.set("short_description", "Account locked out");
/// fields.set("urgency", "2");
/// fields.set("urgency", "1");
/// assert_eq!(fields.get("urgency"), Some("1"));
/// assert_eq!(fields.len(), 2);
/// ```
#[derive(Clone, Default)]
pub struct Fields {
    text: RString,
    spans: RVec<Span>,
}

/// Where one field is in the buffer: the name is `start..mid`, the value `mid..end`.
pub(crate) type Span = AbiSpan;

impl PartialEq for Fields {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Fields {}

impl Fields {
    /// An empty list.
    pub const fn new() -> Self {
        Fields {
            text: RString::new(),
            spans: RVec::new(),
        }
    }

    /// An empty list with room for `capacity` fields.
    pub fn with_capacity(capacity: usize) -> Self {
        Fields {
            text: RString::with_capacity(capacity * 24),
            spans: RVec::with_capacity(capacity),
        }
    }

    fn name_at(&self, s: &Span) -> &str {
        &self.text[s.start as usize..s.mid as usize]
    }

    fn value_at(&self, s: &Span) -> &str {
        &self.text[s.mid as usize..s.end as usize]
    }

    /// The first value named `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.spans
            .iter()
            .find(|s| self.name_at(s) == name)
            .map(|s| self.value_at(s))
    }

    /// Every value named `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.spans
            .iter()
            .filter(move |s| self.name_at(s) == name)
            .map(|s| self.value_at(s))
    }

    /// Sets `name` to `value`, replacing the first existing value of that name, or appending.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let name = name.into();
        let value = value.into();
        match self.spans.iter().position(|s| self.name_at(s) == name) {
            Some(i) => {
                let mut rebuilt = Fields::with_capacity(self.spans.len());
                for (j, (n, v)) in self.iter().enumerate() {
                    rebuilt.push(n, if i == j { value.as_str() } else { v });
                }
                *self = rebuilt;
            }
            None => self.push(name, value),
        }
    }

    /// Appends `name = value`, even if `name` is already present.
    pub fn push(&mut self, name: impl AsRef<str>, value: impl AsRef<str>) {
        let start = self.text.len();
        self.text.push_str(name.as_ref());
        let mid = self.text.len();
        self.text.push_str(value.as_ref());
        let end = self.text.len();
        self.spans.push(Span {
            start: offset(start),
            mid: offset(mid),
            end: offset(end),
        });
    }

    /// Removes every value named `name`, returning the first one.
    pub fn remove(&mut self, name: &str) -> Option<String> {
        let first = self.get(name).map(str::to_owned);
        if first.is_some() {
            let mut kept = Fields::with_capacity(self.spans.len());
            for (n, v) in self.iter().filter(|(n, _)| *n != name) {
                kept.push(n, v);
            }
            *self = kept;
        }
        first
    }

    /// Whether a value named `name` exists.
    pub fn contains(&self, name: &str) -> bool {
        self.spans.iter().any(|s| self.name_at(s) == name)
    }

    /// The number of values.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The `(name, value)` pairs, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + '_ {
        self.spans
            .iter()
            .map(|s| (self.name_at(s), self.value_at(s)))
    }

    /// The pairs as a vector.
    pub fn into_vec(self) -> Vec<(String, String)> {
        self.iter()
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect()
    }

    /// The buffer and the spans, for the ABI.
    pub(crate) fn into_parts(self) -> (RString, RVec<Span>) {
        (self.text, self.spans)
    }

    /// Fields from the ABI's buffer and spans, as they are; `None` if a span is out of the
    /// buffer or not on a character boundary (a plugin built against a broken SDK).
    ///
    /// Every batch crossing checks every span, so this is one tight pass: a span is sound when
    /// `start <= mid <= end` and each offset is a boundary, i.e. the end of the buffer or a byte
    /// that does not continue a UTF-8 sequence (the test `str::is_char_boundary` makes).
    pub(crate) fn from_parts(text: RString, spans: RVec<Span>) -> Option<Self> {
        let bytes = text.as_bytes();
        let boundary = |i: u32| match bytes.get(i as usize) {
            Some(&b) => (b as i8) >= -0x40,
            None => i as usize == bytes.len(),
        };
        let ok = spans.iter().all(|s| {
            s.start <= s.mid
                && s.mid <= s.end
                && boundary(s.start)
                && boundary(s.mid)
                && boundary(s.end)
        });
        ok.then_some(Fields { text, spans })
    }
}

/// Offsets are `u32`: a set of fields over 4 GiB is not something to carry across.
fn offset(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

impl fmt::Debug for Fields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<K: AsRef<str>, V: AsRef<str>> FromIterator<(K, V)> for Fields {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut fields = Fields::new();
        fields.extend(iter);
        fields
    }
}

impl<K: AsRef<str>, V: AsRef<str>> Extend<(K, V)> for Fields {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.push(k, v);
        }
    }
}

impl IntoIterator for Fields {
    type Item = (String, String);
    type IntoIter = std::vec::IntoIter<(String, String)>;

    fn into_iter(self) -> Self::IntoIter {
        self.into_vec().into_iter()
    }
}

impl From<Vec<(String, String)>> for Fields {
    fn from(pairs: Vec<(String, String)>) -> Self {
        pairs.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::Fields;

    #[test]
    fn set_replaces_push_repeats_remove_takes_all() {
        let mut f = Fields::new();
        f.push("member", "a");
        f.push("member", "b");
        f.set("member", "c");
        assert_eq!(f.get_all("member").collect::<Vec<_>>(), ["c", "b"]);
        assert_eq!(f.remove("member").as_deref(), Some("c"));
        assert!(f.is_empty());
    }

    #[test]
    fn order_and_unicode_survive_edits() {
        let mut f: Fields = [
            ("Who", "CORP\\jürgen"),
            ("What", "\\Gruppen\\Domänen-Admins"),
            ("When", "x"),
        ]
        .into_iter()
        .collect();
        f.set("What", "ä");
        f.remove("Who");
        assert_eq!(f.iter().collect::<Vec<_>>(), [("What", "ä"), ("When", "x")]);
    }

    #[test]
    fn spans_are_accepted_exactly_when_both_halves_slice() {
        let (text, _) = Fields::from_iter([("aé", "€b")]).into_parts();
        let past = text.len() as u32 + 1;
        for start in 0..=past {
            for mid in 0..=past {
                for end in 0..=past {
                    let span = super::Span { start, mid, end };
                    let sound = text.get(start as usize..mid as usize).is_some()
                        && text.get(mid as usize..end as usize).is_some();
                    let spans = [span].into_iter().collect();
                    assert_eq!(
                        Fields::from_parts(text.clone(), spans).is_some(),
                        sound,
                        "{span:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn broken_spans_are_refused() {
        let (text, mut spans) = Fields::from_iter([("a", "é")]).into_parts();
        spans[0].end -= 1;
        assert!(
            Fields::from_parts(text.clone(), spans.clone()).is_none(),
            "not a char boundary"
        );
        spans[0].end = 99;
        assert!(
            Fields::from_parts(text, spans).is_none(),
            "outside the buffer"
        );
    }
}
