//! Single message transformations and predicates (Java `Transformation`, `Predicate`).

use crate::config::ConfigDef;
use crate::error::ConnectResult;
use crate::record::{ConnectRecord, RecordMeta, SinkMeta, SourceMeta};
use crate::Props;

/// Rewrites or drops one record at a time. Implement it for both record kinds with a
/// blanket `impl<M: RecordMeta> Transformation<M> for MyTransform`.
///
/// ```
/// use rconnect_sdk::transform::Transformation;
/// use rconnect_sdk::record::{ConnectRecord, RecordMeta};
/// use rconnect_sdk::config::ConfigDef;
/// use rconnect_sdk::{ConnectResult, Props};
///
/// struct Uppercase;
/// impl<M: RecordMeta> Transformation<M> for Uppercase {
///     fn configure(&mut self, _props: &Props) -> ConnectResult<()> { Ok(()) }
///     fn config_def(&self) -> ConfigDef { ConfigDef::new() }
///     fn apply(&self, mut r: ConnectRecord<M>) -> ConnectResult<Option<ConnectRecord<M>>> {
///         r.topic = r.topic.to_uppercase().into();
///         Ok(Some(r))
///     }
/// }
/// ```
pub trait Transformation<M: RecordMeta>: Send + Sync {
    /// Configures with `transforms.<alias>.*`, prefix stripped, `type` included.
    fn configure(&mut self, props: &Props) -> ConnectResult<()>;
    fn config_def(&self) -> ConfigDef;
    /// The new record, or `None` to drop it.
    fn apply(&self, record: ConnectRecord<M>) -> ConnectResult<Option<ConnectRecord<M>>>;
    fn close(&mut self) {}
}

/// A transformation usable on both source and sink records.
pub trait AnyTransformation: Transformation<SourceMeta> + Transformation<SinkMeta> {}
impl<T: Transformation<SourceMeta> + Transformation<SinkMeta>> AnyTransformation for T {}

/// Decides whether a transformation applies to a record.
pub trait Predicate<M: RecordMeta>: Send + Sync {
    fn configure(&mut self, props: &Props) -> ConnectResult<()>;
    fn config_def(&self) -> ConfigDef;
    fn test(&self, record: &ConnectRecord<M>) -> ConnectResult<bool>;
    fn close(&mut self) {}
}
