//! Source partitions and offsets, and reading them back.

use crate::error::ConnectResult;
use async_trait::async_trait;

mod map;

pub use map::{Iter, NotAnObject, OffsetKey, OffsetMap};

/// Reads committed source offsets (Java `OffsetStorageReader`).
///
/// ```
/// use rconnect_sdk::offset::{OffsetMap, OffsetStorageReader};
/// use rconnect_sdk::{async_trait, ConnectResult};
///
/// struct Empty;
/// #[async_trait]
/// impl OffsetStorageReader for Empty {
///     async fn offsets(&self, partitions: &[OffsetMap]) -> ConnectResult<Vec<Option<OffsetMap>>> {
///         Ok(vec![None; partitions.len()])
///     }
/// }
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let p = OffsetMap::with_entry("filename", "a");
/// assert_eq!(Empty.offset(&p).await.unwrap(), None);
/// # });
/// ```
#[async_trait]
pub trait OffsetStorageReader: Send + Sync {
    /// The latest committed offset of each partition, in the same order; `None` where
    /// nothing is stored.
    async fn offsets(&self, partitions: &[OffsetMap]) -> ConnectResult<Vec<Option<OffsetMap>>>;

    /// The latest committed offset of one partition.
    async fn offset(&self, partition: &OffsetMap) -> ConnectResult<Option<OffsetMap>> {
        Ok(self
            .offsets(std::slice::from_ref(partition))
            .await?
            .pop()
            .flatten())
    }
}
