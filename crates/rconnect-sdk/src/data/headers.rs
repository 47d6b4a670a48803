use super::schema::SchemaRef;
use super::value::Value;

/// One header: a key, an optional schema and a value (Java `ConnectHeader`).
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub key: String,
    pub schema: Option<SchemaRef>,
    pub value: Value,
}

/// Ordered headers; duplicate keys are allowed (Java `ConnectHeaders`).
///
/// ```
/// use rconnect_sdk::data::{Headers, Schema, Value};
/// let mut h = Headers::new();
/// h.add("a", Some(Schema::string()), Value::from("1"));
/// h.add("a", Some(Schema::string()), Value::from("2"));
/// assert_eq!(h.last_with_name("a").unwrap().value, Value::from("2"));
/// h.remove("a");
/// assert!(h.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Headers(Vec<Header>);

impl Headers {
    pub fn new() -> Self {
        Headers(Vec::new())
    }
    pub fn add(
        &mut self,
        key: impl Into<String>,
        schema: Option<SchemaRef>,
        value: Value,
    ) -> &mut Self {
        self.0.push(Header {
            key: key.into(),
            schema,
            value,
        });
        self
    }
    pub fn push(&mut self, h: Header) {
        self.0.push(h);
    }
    pub fn last_with_name(&self, key: &str) -> Option<&Header> {
        self.0.iter().rev().find(|h| h.key == key)
    }
    pub fn all_with_name<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a Header> + 'a {
        self.0.iter().filter(move |h| h.key == key)
    }
    /// Removes every header named `key`.
    pub fn remove(&mut self, key: &str) -> &mut Self {
        self.0.retain(|h| h.key != key);
        self
    }
    /// Keeps only the last header of each key.
    pub fn retain_latest(&mut self) -> &mut Self {
        let mut seen = std::collections::HashSet::new();
        let mut kept: Vec<Header> = Vec::with_capacity(self.0.len());
        for h in self.0.drain(..).rev() {
            if seen.insert(h.key.clone()) {
                kept.push(h);
            }
        }
        kept.reverse();
        self.0 = kept;
        self
    }
    pub fn iter(&self) -> std::slice::Iter<'_, Header> {
        self.0.iter()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn clear(&mut self) {
        self.0.clear();
    }
}

impl<'a> IntoIterator for &'a Headers {
    type Item = &'a Header;
    type IntoIter = std::slice::Iter<'a, Header>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl IntoIterator for Headers {
    type Item = Header;
    type IntoIter = std::vec::IntoIter<Header>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}
