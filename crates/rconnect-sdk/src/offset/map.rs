//! [`OffsetMap`]: the small ordered map that holds a source partition or offset.

use std::borrow::Cow;
use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// A field name of an [`OffsetMap`]. Names known when the connector is compiled (such as
/// `"position"`) are borrowed, so building an offset does not allocate for its keys.
pub type OffsetKey = Cow<'static, str>;

/// A source partition or offset (Java's `Map<String, ?>`): string keys, primitive JSON
/// values, insertion order kept (the stored JSON follows it, and Java readers compare
/// bytes).
///
/// Source tasks build one per record, so the type is made for that: the first field is
/// stored inline and a static key is not copied, which makes a one-field offset such as
/// `{"position": 42}` free of heap allocations. Lookups are linear: these maps hold a
/// handful of fields.
///
/// Equality ignores field order, as for JSON objects.
///
/// ```
/// use rconnect_sdk::offset::OffsetMap;
/// use serde_json::json;
///
/// let mut offset = OffsetMap::new();
/// offset.insert("position", 42);
/// offset.insert("file", "in.txt");
/// assert_eq!(offset.get("position"), Some(&json!(42)));
/// assert_eq!(serde_json::to_string(&offset).unwrap(), r#"{"position":42,"file":"in.txt"}"#);
///
/// let parsed = OffsetMap::try_from(json!({"file": "in.txt", "position": 42})).unwrap();
/// assert_eq!(parsed, offset);
/// ```
#[derive(Clone, Default)]
pub struct OffsetMap {
    first: Option<(OffsetKey, Value)>,
    rest: Vec<(OffsetKey, Value)>,
}

impl OffsetMap {
    /// An empty map.
    pub const fn new() -> Self {
        OffsetMap {
            first: None,
            rest: Vec::new(),
        }
    }

    /// A map holding `key` → `value` alone (the common shape of an offset).
    ///
    /// ```
    /// use rconnect_sdk::offset::OffsetMap;
    /// let offset = OffsetMap::with_entry("position", 7);
    /// assert_eq!(offset.len(), 1);
    /// ```
    pub fn with_entry(key: impl Into<OffsetKey>, value: impl Into<Value>) -> Self {
        OffsetMap {
            first: Some((key.into(), value.into())),
            rest: Vec::new(),
        }
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        usize::from(self.first.is_some()) + self.rest.len()
    }

    /// True when there are no fields.
    pub fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    /// Sets `key` to `value`, keeping the field's place if it exists (else appending it);
    /// returns the previous value.
    pub fn insert(&mut self, key: impl Into<OffsetKey>, value: impl Into<Value>) -> Option<Value> {
        let key = key.into();
        let value = value.into();
        if let Some(slot) = self.get_mut(&key) {
            return Some(std::mem::replace(slot, value));
        }
        if self.first.is_none() {
            self.first = Some((key, value));
        } else {
            self.rest.push((key, value));
        }
        None
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// The value of `key`, to change in place.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.first
            .iter_mut()
            .chain(self.rest.iter_mut())
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// True when `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Removes `key`, keeping the order of the other fields; returns its value.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        if self.first.as_ref().is_some_and(|(k, _)| k == key) {
            let (_, v) = self.first.take()?;
            if !self.rest.is_empty() {
                self.first = Some(self.rest.remove(0));
            }
            return Some(v);
        }
        let i = self.rest.iter().position(|(k, _)| k == key)?;
        Some(self.rest.remove(i).1)
    }

    /// The fields in insertion order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            inner: self.first.iter().chain(self.rest.iter()),
        }
    }

    /// The field names in insertion order.
    pub fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.iter().map(|(k, _)| k)
    }

    /// The values in insertion order.
    pub fn values(&self) -> impl Iterator<Item = &Value> + '_ {
        self.iter().map(|(_, v)| v)
    }

    /// The map as a JSON object, fields in order.
    pub fn to_json(&self) -> Value {
        Value::Object(self.clone().into())
    }
}

/// `map["key"]` is the field's value, or `null` when absent (as indexing a
/// `serde_json::Value` is): it never panics.
impl std::ops::Index<&str> for OffsetMap {
    type Output = Value;

    fn index(&self, key: &str) -> &Value {
        static NULL: Value = Value::Null;
        self.get(key).unwrap_or(&NULL)
    }
}

impl PartialEq for OffsetMap {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl Eq for OffsetMap {}

impl fmt::Debug for OffsetMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: Into<OffsetKey>, V: Into<Value>> FromIterator<(K, V)> for OffsetMap {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut map = OffsetMap::new();
        for (k, v) in iter {
            map.insert(k, v);
        }
        map
    }
}

impl From<serde_json::Map<String, Value>> for OffsetMap {
    fn from(map: serde_json::Map<String, Value>) -> Self {
        map.into_iter().collect()
    }
}

impl From<OffsetMap> for serde_json::Map<String, Value> {
    fn from(map: OffsetMap) -> Self {
        map.first
            .into_iter()
            .chain(map.rest)
            .map(|(k, v)| (k.into_owned(), v))
            .collect()
    }
}

impl From<OffsetMap> for Value {
    fn from(map: OffsetMap) -> Self {
        Value::Object(map.into())
    }
}

/// The JSON was not an object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected a JSON object for a source partition or offset, found {0}")]
pub struct NotAnObject(pub String);

impl TryFrom<Value> for OffsetMap {
    type Error = NotAnObject;

    fn try_from(value: Value) -> Result<Self, Self::Error> {
        match value {
            Value::Object(map) => Ok(map.into()),
            other => Err(NotAnObject(other.to_string())),
        }
    }
}

/// The fields of an [`OffsetMap`] in insertion order.
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    inner: FieldsIter<'a>,
}

/// The inline first field, then the rest.
type FieldsIter<'a> = std::iter::Chain<
    std::option::Iter<'a, (OffsetKey, Value)>,
    std::slice::Iter<'a, (OffsetKey, Value)>,
>;

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a str, &'a Value);

    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next().map(|(k, v)| (k.as_ref(), v))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<'a> IntoIterator for &'a OffsetMap {
    type Item = (&'a str, &'a Value);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl Serialize for OffsetMap {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (k, v) in self.iter() {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for OffsetMap {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor;
        impl<'de> Visitor<'de> for MapVisitor {
            type Value = OffsetMap;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<OffsetMap, A::Error> {
                let mut map = OffsetMap::new();
                // A repeated key keeps its first place and its last value, as serde_json's
                // own ordered map does.
                while let Some((k, v)) = access.next_entry::<String, Value>()? {
                    map.insert(k, v);
                }
                Ok(map)
            }
        }
        deserializer.deserialize_map(MapVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_insertion_order_and_replaces_in_place() {
        let mut m = OffsetMap::new();
        assert!(m.is_empty());
        assert_eq!(m.insert("b", 1), None);
        assert_eq!(m.insert("a", 2), None);
        assert_eq!(m.insert("c", 3), None);
        assert_eq!(m.insert("b", 4), Some(json!(1)));
        assert_eq!(m.keys().collect::<Vec<_>>(), ["b", "a", "c"]);
        assert_eq!(serde_json::to_string(&m).unwrap(), r#"{"b":4,"a":2,"c":3}"#);
        assert_eq!(m.len(), 3);
    }

    #[test]
    fn remove_keeps_the_order_of_the_rest() {
        let mut m: OffsetMap = [("x", 1), ("y", 2), ("z", 3)].into_iter().collect();
        assert_eq!(m.remove("x"), Some(json!(1)));
        assert_eq!(m.keys().collect::<Vec<_>>(), ["y", "z"]);
        assert_eq!(m.remove("z"), Some(json!(3)));
        assert_eq!(m.remove("nope"), None);
        assert_eq!(m.remove("y"), Some(json!(2)));
        assert!(m.is_empty());
        assert_eq!(m.remove("y"), None);
    }

    #[test]
    fn equality_ignores_order() {
        let a: OffsetMap = [("x", 1), ("y", 2)].into_iter().collect();
        let b: OffsetMap = [("y", 2), ("x", 1)].into_iter().collect();
        let c: OffsetMap = [("y", 2)].into_iter().collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(c, a);
    }

    #[test]
    fn json_round_trip_keeps_order_and_duplicates_keep_the_last_value() {
        let m: OffsetMap = serde_json::from_str(r#"{"z":1,"a":null,"z":"two"}"#).unwrap();
        assert_eq!(m.keys().collect::<Vec<_>>(), ["z", "a"]);
        assert_eq!(m.get("z"), Some(&json!("two")));
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"z":"two","a":null}"#
        );
        let obj: serde_json::Map<String, Value> = m.clone().into();
        assert_eq!(OffsetMap::from(obj), m);
        assert_eq!(m.to_json(), json!({"z": "two", "a": null}));
    }

    #[test]
    fn only_objects_convert() {
        assert!(serde_json::from_str::<OffsetMap>("[1]").is_err());
        assert_eq!(
            OffsetMap::try_from(json!(5)),
            Err(NotAnObject("5".to_string()))
        );
    }

    #[test]
    fn indexing_a_missing_key_is_null() {
        let m = OffsetMap::with_entry("position", 3);
        assert_eq!(m["position"], json!(3));
        assert_eq!(m["nope"], Value::Null);
    }

    #[test]
    fn static_keys_are_borrowed() {
        let m = OffsetMap::with_entry("position", 1);
        let (k, _) = m.first.as_ref().unwrap();
        assert!(matches!(k, Cow::Borrowed(_)));
    }
}
