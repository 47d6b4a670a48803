//! [`Text`], the string of a [`Value::String`](super::Value::String).

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

/// The string of a [`Value::String`](super::Value::String): owned, or shared with other
/// values.
///
/// A string read from a record is owned, as a `String` would be. A string that a
/// transformation puts into every record (`InsertField`'s static value, the record's topic)
/// is shared: each copy is a reference count, not an allocation. Either way a `Text`
/// reads as a `&str` (it dereferences to one), compares, hashes and orders as its
/// characters, and turns into a `String` without a copy when it is the only owner.
///
/// ```
/// use std::sync::Arc;
/// use rconnect_sdk::data::{Text, Value};
///
/// let owned = Value::from(String::from("bench"));
/// let shared: Arc<str> = Arc::from("bench");
/// let inserted = Value::String(Text::from(shared.clone()));
/// assert_eq!(owned, inserted);
/// assert_eq!(inserted.as_str(), Some("bench"));
/// assert!(inserted.as_str().is_some_and(|s| s.starts_with("ben")));
///
/// let mut text = Text::from(shared);
/// text.make_mut().push_str("-1"); // copies the shared string once, then owns it
/// assert_eq!(text, "bench-1");
/// assert_eq!(String::from(text), "bench-1");
/// ```
#[derive(Clone)]
pub struct Text(Repr);

#[derive(Clone)]
enum Repr {
    Owned(String),
    Shared(Arc<str>),
}

impl Text {
    /// An empty, owned string.
    pub const fn new() -> Text {
        Text(Repr::Owned(String::new()))
    }

    /// A shared copy of `s`, for a string that many values will repeat (a transformation's
    /// constant): it is copied once here, and each clone of it after is a reference count.
    pub fn shared(s: &str) -> Text {
        Text(Repr::Shared(Arc::from(s)))
    }

    /// The characters.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Owned(s) => s,
            Repr::Shared(s) => s,
        }
    }

    /// Whether this string shares its characters with others (cloning it allocates
    /// nothing).
    pub fn is_shared(&self) -> bool {
        matches!(self.0, Repr::Shared(_))
    }

    /// The string, to change in place: a shared one is copied first.
    pub fn make_mut(&mut self) -> &mut String {
        if let Repr::Shared(s) = &self.0 {
            self.0 = Repr::Owned(s.to_string());
        }
        match &mut self.0 {
            Repr::Owned(s) => s,
            Repr::Shared(_) => unreachable!("made owned above"),
        }
    }

    /// The string's bytes, copied only when shared.
    pub fn into_bytes(self) -> Vec<u8> {
        self.into_string().into_bytes()
    }

    /// The string as a `String`, copied only when shared.
    pub fn into_string(self) -> String {
        match self.0 {
            Repr::Owned(s) => s,
            Repr::Shared(s) => s.to_string(),
        }
    }
}

impl Default for Text {
    fn default() -> Self {
        Text::new()
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<[u8]> for Text {
    fn as_ref(&self) -> &[u8] {
        self.as_str().as_bytes()
    }
}

impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl PartialOrd for Text {
    fn partial_cmp(&self, other: &Text) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Text {
    fn cmp(&self, other: &Text) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for Text {
    /// As the `str` it holds, so a `Text` finds its entry in a map keyed by `String`
    /// through `Borrow<str>`.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
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

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text(Repr::Owned(s))
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text(Repr::Owned(s.to_string()))
    }
}

impl From<&String> for Text {
    fn from(s: &String) -> Self {
        Text(Repr::Owned(s.clone()))
    }
}

impl From<&Text> for Text {
    fn from(t: &Text) -> Self {
        t.clone()
    }
}

impl From<Arc<str>> for Text {
    fn from(s: Arc<str>) -> Self {
        Text(Repr::Shared(s))
    }
}

impl From<&Arc<str>> for Text {
    fn from(s: &Arc<str>) -> Self {
        Text(Repr::Shared(s.clone()))
    }
}

impl From<Text> for String {
    fn from(t: Text) -> Self {
        t.into_string()
    }
}

impl From<&Text> for String {
    fn from(t: &Text) -> Self {
        t.as_str().to_string()
    }
}

impl serde::Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Text::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::DefaultHasher;

    fn hash_of<T: Hash + ?Sized>(v: &T) -> u64 {
        let mut h = DefaultHasher::new();
        v.hash(&mut h);
        h.finish()
    }

    #[test]
    fn owned_and_shared_are_the_same_string() {
        let owned = Text::from("topic-a");
        let shared = Text::from(Arc::<str>::from("topic-a"));
        assert!(!owned.is_shared());
        assert!(shared.is_shared());
        assert_eq!(owned, shared);
        assert_eq!(hash_of(&owned), hash_of(&shared));
        assert_eq!(hash_of(&owned), hash_of("topic-a"));
        assert_eq!(owned.cmp(&shared), std::cmp::Ordering::Equal);
        let (a, b) = (Text::from("a"), Text::from(Arc::<str>::from("b")));
        assert!(a < b);
        assert_eq!(format!("{shared:?} {shared}"), "\"topic-a\" topic-a");
    }

    #[test]
    fn a_shared_copy_is_copied_once() {
        let t = Text::shared("origin");
        let u = Text::from(&t);
        assert!(t.is_shared() && u.is_shared());
        assert!(std::ptr::eq(t.as_str(), u.as_str()));
        assert_eq!(u, "origin");
    }

    #[test]
    fn a_clone_of_a_shared_text_shares_its_allocation() {
        let arc: Arc<str> = Arc::from("bench");
        let a = Text::from(&arc);
        let b = a.clone();
        assert_eq!(Arc::strong_count(&arc), 3);
        assert!(std::ptr::eq(a.as_str(), b.as_str()));
    }

    #[test]
    fn make_mut_copies_a_shared_string_once_and_leaves_the_others_alone() {
        let arc: Arc<str> = Arc::from("bench");
        let mut t = Text::from(&arc);
        t.make_mut().push('!');
        assert!(!t.is_shared());
        assert_eq!(t, "bench!");
        assert_eq!(&*arc, "bench");
        t.make_mut().push('?');
        assert_eq!(t.as_str(), "bench!?");
    }

    #[test]
    fn into_string_moves_an_owned_string_without_copying() {
        let s = String::from("line");
        let ptr = s.as_ptr();
        let t = Text::from(s);
        let back = t.into_string();
        assert_eq!(back.as_ptr(), ptr);
        assert_eq!(String::from(Text::from(Arc::<str>::from("x"))), "x");
    }

    #[test]
    fn a_text_is_no_bigger_than_a_string() {
        assert_eq!(std::mem::size_of::<Text>(), std::mem::size_of::<String>());
    }
}
