//! Source partitions and offsets exactly as Confluent's connector writes them (Java:
//! `JdbcSourceConnectorConstants`, `OffsetProtocols`, `TimestampIncrementingOffset`).

use rconnect_sdk::offset::OffsetMap;
use serde_json::Value;

use crate::types::Instant;

pub const TABLE_NAME_KEY: &str = "table";
pub const QUERY_NAME_KEY: &str = "query";
pub const QUERY_NAME_VALUE: &str = "query";
pub const OFFSET_PROTOCOL_VERSION_KEY: &str = "protocol";
pub const PROTOCOL_VERSION_ONE: &str = "1";

pub const INCREMENTING_FIELD: &str = "incrementing";
pub const TIMESTAMP_FIELD: &str = "timestamp";
pub const TIMESTAMP_NANOS_FIELD: &str = "timestamp_nanos";

/// The V1 partition of a table: `{"protocol":"1","table":"<catalog.schema.table>"}`, in
/// that key order (the order a Java worker's `HashMap` serialises them in).
///
/// ```
/// let p = rconnect_jdbc::offset::v1_partition("mydb.dbo.orders");
/// assert_eq!(p.to_json().to_string(), r#"{"protocol":"1","table":"mydb.dbo.orders"}"#);
/// ```
pub fn v1_partition(fqn: &str) -> OffsetMap {
    let mut m = OffsetMap::with_entry(OFFSET_PROTOCOL_VERSION_KEY, PROTOCOL_VERSION_ONE);
    m.insert(TABLE_NAME_KEY, fqn.to_string());
    m
}

/// The V0 partition (`{"table":"<bare name>"}`): bulk mode writes it, and incremental modes
/// read it when no V1 offset exists (upgrades from connectors older than 5.0).
pub fn v0_partition(table: &str) -> OffsetMap {
    OffsetMap::with_entry(TABLE_NAME_KEY, table.to_string())
}

/// The partition of query mode: `{"query":"query"}`.
pub fn query_partition() -> OffsetMap {
    OffsetMap::with_entry(QUERY_NAME_KEY, QUERY_NAME_VALUE)
}

/// A querier's position (Java `TimestampIncrementingOffset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Offset {
    /// The last incrementing value, if any.
    pub incrementing: Option<i64>,
    /// The last timestamp, at full precision, if any.
    pub timestamp: Option<Instant>,
}

/// A stored offset that cannot be read, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid JDBC source offset {offset}: {reason}")]
pub struct OffsetError {
    pub offset: String,
    pub reason: String,
}

impl Offset {
    /// The incrementing value to bind (Java: −1 when none).
    pub fn incrementing_or_default(&self) -> i64 {
        self.incrementing.unwrap_or(-1)
    }
    /// The timestamp to bind (Java: epoch 0 when none).
    pub fn timestamp_or_default(&self) -> Instant {
        self.timestamp.unwrap_or(Instant::EPOCH)
    }

    /// Reads a stored offset map. `timestamp` is epoch milliseconds; `timestamp_nanos` is
    /// the whole sub-second part in nanoseconds and replaces the millisecond part.
    ///
    /// ```
    /// use rconnect_jdbc::offset::Offset;
    /// use rconnect_sdk::offset::OffsetMap;
    /// let mut m = OffsetMap::with_entry("timestamp_nanos", 123456700i64);
    /// m.insert("incrementing", 42i64);
    /// m.insert("timestamp", 1700000000123i64);
    /// let o = Offset::from_map(&m).unwrap();
    /// assert_eq!(o.incrementing, Some(42));
    /// let t = o.timestamp.unwrap();
    /// assert_eq!((t.secs, t.nanos), (1700000000, 123456700));
    /// ```
    pub fn from_map(m: &OffsetMap) -> Result<Offset, OffsetError> {
        let long = |k: &str| -> Result<Option<i64>, OffsetError> {
            match m.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v.as_i64().map(Some).ok_or_else(|| OffsetError {
                    offset: m.to_json().to_string(),
                    reason: format!("'{k}' must be a whole number (Java Long), found {v}"),
                }),
            }
        };
        let incrementing = long(INCREMENTING_FIELD)?;
        let millis = long(TIMESTAMP_FIELD)?;
        let nanos = long(TIMESTAMP_NANOS_FIELD)?;
        let timestamp = millis.map(|ms| {
            let base = Instant::from_millis(ms);
            match nanos {
                Some(n) if (0..1_000_000_000).contains(&n) => Instant {
                    secs: base.secs,
                    nanos: n as u32,
                },
                _ => base,
            }
        });
        Ok(Offset {
            incrementing,
            timestamp,
        })
    }

    /// The offset map to store, keys in the order a Java worker writes them
    /// (`timestamp_nanos`, `incrementing`, `timestamp`).
    ///
    /// ```
    /// use rconnect_jdbc::offset::Offset;
    /// use rconnect_jdbc::types::Instant;
    /// let o = Offset { incrementing: Some(42), timestamp: Some(Instant { secs: 1700000000, nanos: 123456700 }) };
    /// assert_eq!(o.to_map().to_json().to_string(),
    ///     r#"{"timestamp_nanos":123456700,"incrementing":42,"timestamp":1700000000123}"#);
    /// ```
    pub fn to_map(&self) -> OffsetMap {
        let mut m = OffsetMap::default();
        if let Some(t) = self.timestamp {
            m.insert(TIMESTAMP_NANOS_FIELD, t.nanos as i64);
        }
        if let Some(i) = self.incrementing {
            m.insert(INCREMENTING_FIELD, i);
        }
        if let Some(t) = self.timestamp {
            m.insert(TIMESTAMP_FIELD, t.millis());
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_serialise_as_java() {
        assert_eq!(
            v0_partition("orders").to_json().to_string(),
            r#"{"table":"orders"}"#
        );
        assert_eq!(
            query_partition().to_json().to_string(),
            r#"{"query":"query"}"#
        );
    }

    #[test]
    fn missing_keys_and_round_trip() {
        let o = Offset::from_map(&OffsetMap::default()).unwrap();
        assert_eq!(o.incrementing_or_default(), -1);
        assert_eq!(o.timestamp_or_default(), Instant::EPOCH);
        // An initial offset from `timestamp.initial` has only `timestamp`.
        let o = Offset::from_map(&OffsetMap::with_entry("timestamp", 1500i64)).unwrap();
        assert_eq!(
            o.timestamp,
            Some(Instant {
                secs: 1,
                nanos: 500_000_000
            })
        );
        let o = Offset {
            incrementing: Some(7),
            timestamp: None,
        };
        assert_eq!(o.to_map().to_json().to_string(), r#"{"incrementing":7}"#);
        let neg = Instant::from_millis(-1);
        assert_eq!((neg.secs, neg.nanos), (-1, 999_000_000));
        assert_eq!(neg.millis(), -1);
        let bad = OffsetMap::with_entry("incrementing", "x");
        assert!(Offset::from_map(&bad)
            .unwrap_err()
            .to_string()
            .contains("'incrementing'"));
    }
}
