//! [`Text`]: an immutable string that crosses the plugin boundary without a copy.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

use abi_stable::std_types::RString;

/// An immutable string, used for identifiers that cross the plugin boundary on every action
/// (correlation keys, ticket ids and numbers). It reads like a `&str` (it derefs to one) and
/// is made from a `String` or a `&str`; crossing the boundary moves it instead of copying it.
///
/// ```
/// use sluice_sdk::Text;
///
/// let id: Text = "3b1f0c6e4f1d130058ae7e918110c7a1".into();
/// assert_eq!(id, "3b1f0c6e4f1d130058ae7e918110c7a1");
/// assert_eq!(id.len(), 32);
/// let url = format!("/api/now/v2/table/incident/{id}");
/// assert!(url.ends_with(id.as_str()));
/// ```
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Text(RString);

impl Text {
    /// An empty text.
    pub const fn new() -> Self {
        Text(RString::new())
    }

    /// The text as a `&str`.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The text as a `String` (a copy if the text came from the other side of the boundary).
    pub fn into_string(self) -> String {
        self.0.into_string()
    }

    pub(crate) fn into_abi(self) -> RString {
        self.0
    }

    pub(crate) fn from_abi(text: RString) -> Self {
        Text(text)
    }
}

impl Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        self.0.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.0.as_str()
    }
}

impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self.0.as_str()
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text(RString::from(s))
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text(RString::from(s))
    }
}

impl From<&String> for Text {
    fn from(s: &String) -> Self {
        Text(RString::from(s.as_str()))
    }
}

impl From<Text> for String {
    fn from(t: Text) -> Self {
        t.into_string()
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<Text> for str {
    fn eq(&self, other: &Text) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Text> for &str {
    fn eq(&self, other: &Text) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<Text> for String {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}
