//! Converters between Connect data and Kafka bytes (Java `Converter`, `HeaderConverter`).

use std::borrow::Cow;

use async_trait::async_trait;

use crate::config::ConfigDef;
use crate::data::{Headers, SchemaAndValue, SchemaRef, Value};
use crate::error::ConnectResult;
use crate::Props;

/// Turns record keys or values into bytes and back.
///
/// Async because some converters look schemas up over the network (a Schema Registry);
/// converters that only compute should finish without awaiting anything.
///
/// ```
/// use rconnect_sdk::converter::Converter;
/// use rconnect_sdk::data::{Headers, SchemaAndValue, SchemaRef, Schema, Value};
/// use rconnect_sdk::{async_trait, ConnectResult, Props};
///
/// struct Utf8;
/// #[async_trait]
/// impl Converter for Utf8 {
///     fn configure(&mut self, _props: &Props, _is_key: bool) -> ConnectResult<()> { Ok(()) }
///     async fn from_connect(&self, _topic: &str, _headers: &mut Headers, _schema: Option<&SchemaRef>, value: &Value) -> ConnectResult<Option<Vec<u8>>> {
///         Ok(match value { Value::Null => None, v => Some(v.to_string().into_bytes()) })
///     }
///     async fn to_connect(&self, _topic: &str, _headers: &Headers, bytes: Option<&[u8]>) -> ConnectResult<SchemaAndValue> {
///         Ok(SchemaAndValue::new(Some(Schema::optional_string()),
///             bytes.map(|b| Value::from(String::from_utf8_lossy(b).into_owned())).unwrap_or(Value::Null)))
///     }
/// }
/// ```
#[async_trait]
pub trait Converter: Send + Sync {
    /// Configures with the `<key|value>.converter.` properties, prefix stripped.
    fn configure(&mut self, props: &Props, is_key: bool) -> ConnectResult<()>;
    /// The converter's configuration keys.
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }
    /// Connect data → bytes; `None` is a Kafka null.
    async fn from_connect(
        &self,
        topic: &str,
        headers: &mut Headers,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>>;
    /// Bytes → Connect data; `None` is a Kafka null.
    async fn to_connect(
        &self,
        topic: &str,
        headers: &Headers,
        bytes: Option<&[u8]>,
    ) -> ConnectResult<SchemaAndValue>;

    /// [`from_connect`](Self::from_connect) for converters that never wait: `Some` holds
    /// the result, `None` (the default) sends the worker to the async method. The bytes
    /// may borrow from `value` (a string converter can hand back the string's own bytes).
    ///
    /// The worker tries this first for every record. An `async fn` in a trait object costs
    /// a boxed future per call, and a copy of the value costs an allocation; for a
    /// converter that only computes (String, JSON) both are a noticeable share of its
    /// cost. When implemented, it must give what `from_connect` gives.
    ///
    /// ```
    /// use std::borrow::Cow;
    /// use rconnect_sdk::converter::Converter;
    /// use rconnect_sdk::data::{Headers, SchemaAndValue, SchemaRef, Schema, Value};
    /// use rconnect_sdk::{async_trait, ConnectResult, Props};
    ///
    /// struct Utf8;
    /// impl Utf8 {
    ///     fn encode(value: &Value) -> Option<Vec<u8>> {
    ///         match value { Value::Null => None, v => Some(v.to_string().into_bytes()) }
    ///     }
    /// }
    /// #[async_trait]
    /// impl Converter for Utf8 {
    ///     fn configure(&mut self, _props: &Props, _is_key: bool) -> ConnectResult<()> { Ok(()) }
    ///     async fn from_connect(&self, _topic: &str, _headers: &mut Headers, _schema: Option<&SchemaRef>, value: &Value) -> ConnectResult<Option<Vec<u8>>> {
    ///         Ok(Utf8::encode(value))
    ///     }
    ///     async fn to_connect(&self, _topic: &str, _headers: &Headers, bytes: Option<&[u8]>) -> ConnectResult<SchemaAndValue> {
    ///         Ok(SchemaAndValue::new(Some(Schema::optional_string()),
    ///             bytes.map(|b| Value::from(String::from_utf8_lossy(b).into_owned())).unwrap_or(Value::Null)))
    ///     }
    ///     fn from_connect_sync<'v>(&self, _topic: &str, _headers: &mut Headers, _schema: Option<&SchemaRef>, value: &'v Value) -> Option<ConnectResult<Option<Cow<'v, [u8]>>>> {
    ///         Some(Ok(match value {
    ///             Value::String(s) => Some(Cow::Borrowed(s.as_bytes())),
    ///             other => Utf8::encode(other).map(Cow::Owned),
    ///         }))
    ///     }
    /// }
    /// let value = Value::from("x");
    /// let out = Utf8.from_connect_sync("t", &mut Headers::new(), None, &value);
    /// assert_eq!(out.unwrap().unwrap().as_deref(), Some(&b"x"[..]));
    /// ```
    fn from_connect_sync<'v>(
        &self,
        topic: &str,
        headers: &mut Headers,
        schema: Option<&SchemaRef>,
        value: &'v Value,
    ) -> Option<ConnectResult<Option<Cow<'v, [u8]>>>> {
        let _ = (topic, headers, schema, value);
        None
    }

    /// [`to_connect`](Self::to_connect) for converters that never wait; see
    /// [`from_connect_sync`](Self::from_connect_sync).
    fn to_connect_sync(
        &self,
        topic: &str,
        headers: &Headers,
        bytes: Option<&[u8]>,
    ) -> Option<ConnectResult<SchemaAndValue>> {
        let _ = (topic, headers, bytes);
        None
    }
}

/// Converts with `converter`, without awaiting (nor copying, where the converter can
/// borrow) when it supports that.
pub async fn from_connect<'v>(
    converter: &dyn Converter,
    topic: &str,
    headers: &mut Headers,
    schema: Option<&SchemaRef>,
    value: &'v Value,
) -> ConnectResult<Option<Cow<'v, [u8]>>> {
    match converter.from_connect_sync(topic, headers, schema, value) {
        Some(result) => result,
        None => Ok(converter
            .from_connect(topic, headers, schema, value)
            .await?
            .map(Cow::Owned)),
    }
}

/// Converts with `converter`, without awaiting when it supports that.
pub async fn to_connect(
    converter: &dyn Converter,
    topic: &str,
    headers: &Headers,
    bytes: Option<&[u8]>,
) -> ConnectResult<SchemaAndValue> {
    match converter.to_connect_sync(topic, headers, bytes) {
        Some(result) => result,
        None => converter.to_connect(topic, headers, bytes).await,
    }
}

/// Turns header values into bytes and back.
pub trait HeaderConverter: Send + Sync {
    fn configure(&mut self, props: &Props) -> ConnectResult<()>;
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }
    fn to_connect_header(
        &self,
        topic: &str,
        key: &str,
        bytes: Option<&[u8]>,
    ) -> ConnectResult<SchemaAndValue>;
    fn from_connect_header(
        &self,
        topic: &str,
        key: &str,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>>;
}
