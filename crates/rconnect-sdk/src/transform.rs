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
    /// [`Transformation::apply`] on a record the caller keeps: the record is rewritten in
    /// place and [`Outcome::Drop`] stands for `None`. The worker's chain calls this one, so a
    /// chain of transformations that override it edits one record instead of moving the
    /// whole record (a few hundred bytes) in and out of every stage.
    ///
    /// After [`Outcome::Drop`] or an error the record's contents are unspecified: the caller
    /// discards it (a stage that may be retried gets a copy).
    ///
    /// The provided method moves the record out, calls [`Transformation::apply`] and puts
    /// the result back. Override it when the transformation can work in place, and then
    /// write `apply` with it:
    ///
    /// ```
    /// use rconnect_sdk::transform::{Outcome, Transformation};
    /// use rconnect_sdk::record::{ConnectRecord, RecordMeta, SourceRecord};
    /// use rconnect_sdk::config::ConfigDef;
    /// use rconnect_sdk::{ConnectResult, Props};
    ///
    /// /// Drops records without a timestamp and clears the others' partition.
    /// struct Unpartition;
    /// impl<M: RecordMeta> Transformation<M> for Unpartition {
    ///     fn configure(&mut self, _props: &Props) -> ConnectResult<()> { Ok(()) }
    ///     fn config_def(&self) -> ConfigDef { ConfigDef::new() }
    ///     fn apply(&self, mut r: ConnectRecord<M>) -> ConnectResult<Option<ConnectRecord<M>>> {
    ///         Ok(self.apply_mut(&mut r)?.keep(r))
    ///     }
    ///     fn apply_mut(&self, r: &mut ConnectRecord<M>) -> ConnectResult<Outcome> {
    ///         if r.timestamp.is_none() {
    ///             return Ok(Outcome::Drop);
    ///         }
    ///         r.kafka_partition = None;
    ///         Ok(Outcome::Keep)
    ///     }
    /// }
    ///
    /// let mut r = SourceRecord::new(None, None, "t", None, rconnect_sdk::data::Value::Null);
    /// r.kafka_partition = Some(3);
    /// r.timestamp = Some(1);
    /// assert_eq!(Transformation::apply_mut(&Unpartition, &mut r).unwrap(), Outcome::Keep);
    /// assert_eq!(r.kafka_partition, None);
    /// r.timestamp = None;
    /// assert_eq!(Transformation::apply_mut(&Unpartition, &mut r).unwrap(), Outcome::Drop);
    /// ```
    fn apply_mut(&self, record: &mut ConnectRecord<M>) -> ConnectResult<Outcome> {
        // A stand-in while `apply` owns the record; it is overwritten by the result.
        let stand_in = ConnectRecord {
            topic: record.topic.clone(),
            kafka_partition: None,
            key_schema: None,
            key: crate::data::Value::Null,
            value_schema: None,
            value: crate::data::Value::Null,
            timestamp: None,
            headers: crate::data::Headers::new(),
            meta: record.meta.clone(),
        };
        let owned = std::mem::replace(record, stand_in);
        match self.apply(owned)? {
            Some(r) => {
                *record = r;
                Ok(Outcome::Keep)
            }
            None => Ok(Outcome::Drop),
        }
    }
    fn close(&mut self) {}
}

/// What became of a record [`Transformation::apply_mut`] was given.
///
/// ```
/// use rconnect_sdk::transform::Outcome;
/// assert_eq!(Outcome::Keep.keep("record"), Some("record"));
/// assert_eq!(Outcome::Drop.keep("record"), None);
/// ```
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The record, as rewritten, goes on.
    Keep,
    /// The record is dropped (`apply`'s `None`, Java's `null`).
    Drop,
}

impl Outcome {
    /// `Some(record)` for [`Outcome::Keep`], `None` for [`Outcome::Drop`]: the by-value
    /// result of [`Transformation::apply`] from that of [`Transformation::apply_mut`].
    pub fn keep<R>(self, record: R) -> Option<R> {
        match self {
            Outcome::Keep => Some(record),
            Outcome::Drop => None,
        }
    }
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
