//! [`Fields`]: an ordered list of named text values.

/// An ordered list of named text values: a record's fields, or the fields of a ticket.
///
/// Order is kept (it is the order a user reads them in), and a name may repeat, so a source can
/// represent a multi-valued attribute without an SDK change. [`Fields::set`] replaces; use
/// [`Fields::push`] to append a repeat.
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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// An empty list.
    pub const fn new() -> Self {
        Fields(Vec::new())
    }

    /// An empty list with room for `capacity` fields.
    pub fn with_capacity(capacity: usize) -> Self {
        Fields(Vec::with_capacity(capacity))
    }

    /// The first value named `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value named `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Sets `name` to `value`, replacing the first existing value of that name, or appending.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let name = name.into();
        let value = value.into();
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) => *v = value,
            None => self.0.push((name, value)),
        }
    }

    /// Appends `name = value`, even if `name` is already present.
    pub fn push(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.push((name.into(), value.into()));
    }

    /// Removes every value named `name`, returning the first one.
    pub fn remove(&mut self, name: &str) -> Option<String> {
        let mut first = None;
        self.0.retain_mut(|(n, v)| {
            if n == name {
                if first.is_none() {
                    first = Some(std::mem::take(v));
                }
                false
            } else {
                true
            }
        });
        first
    }

    /// Whether a value named `name` exists.
    pub fn contains(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _)| n == name)
    }

    /// The number of values.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The `(name, value)` pairs, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + '_ {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The pairs as a vector.
    pub fn into_vec(self) -> Vec<(String, String)> {
        self.0
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Fields {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Fields(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

impl<K: Into<String>, V: Into<String>> Extend<(K, V)> for Fields {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        self.0
            .extend(iter.into_iter().map(|(k, v)| (k.into(), v.into())));
    }
}

impl IntoIterator for Fields {
    type Item = (String, String);
    type IntoIter = std::vec::IntoIter<(String, String)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl From<Vec<(String, String)>> for Fields {
    fn from(pairs: Vec<(String, String)>) -> Self {
        Fields(pairs)
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
}
