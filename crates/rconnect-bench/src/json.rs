//! JSON converter throughput: `JsonConverter::serialize` / `deserialize` of a 10-field
//! struct in a single-threaded timed loop, per CPU-second of the measuring thread.

use std::hint::black_box;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Result};
use rconnect_converters::{JsonConverter, JsonConverterConfig};
use rconnect_sdk::data::{SchemaBuilder, SchemaRef, Struct, Value};

use crate::procfs::thread_cpu_time;

/// Distinct records cycled through, so each call sees different strings and numbers.
const RECORDS: usize = 1024;

/// The benchmark's 10-field struct schema: ints, floats, strings, a boolean and an
/// optional string.
pub fn schema() -> SchemaRef {
    SchemaBuilder::struct_()
        .name("bench.User")
        .field("id", SchemaBuilder::int64().build())
        .field("name", SchemaBuilder::string().build())
        .field("email", SchemaBuilder::string().build())
        .field("age", SchemaBuilder::int32().build())
        .field("score", SchemaBuilder::float64().build())
        .field("active", SchemaBuilder::boolean().build())
        .field("created_at", SchemaBuilder::int64().build())
        .field("country", SchemaBuilder::string().build())
        .field("visits", SchemaBuilder::int32().build())
        .field("note", SchemaBuilder::string().optional().build())
        .build()
}

/// Record `i` of the cycle.
pub fn record(schema: &SchemaRef, i: usize) -> Result<Value> {
    let mut s = Struct::new(schema.clone());
    let n = i as i64;
    let put = |s: &mut Struct, f: &str, v: Value| -> Result<()> {
        s.put(f, v)
            .map(|_| ())
            .map_err(|e| anyhow!("field {f}: {e}"))
    };
    put(&mut s, "id", Value::Int64(1_000_000 + n))?;
    put(&mut s, "name", Value::String(format!("user-{i:05}").into()))?;
    put(
        &mut s,
        "email",
        Value::String(format!("user{i}@example.com").into()),
    )?;
    put(&mut s, "age", Value::Int32(18 + (i % 60) as i32))?;
    put(&mut s, "score", Value::Float64(i as f64 * 1.25 + 0.5))?;
    put(&mut s, "active", Value::Boolean(!matches!(i % 3, 0)))?;
    put(
        &mut s,
        "created_at",
        Value::Int64(1_700_000_000_000 + n * 1000),
    )?;
    put(
        &mut s,
        "country",
        Value::String(["DE", "FR", "US", "JP"][i % 4].into()),
    )?;
    put(&mut s, "visits", Value::Int32((i * 7 % 1000) as i32))?;
    let note = if i & 1 == 0 {
        Value::Null
    } else {
        Value::String(format!("note \"{i}\" with an escape").into())
    };
    put(&mut s, "note", note)?;
    Ok(Value::Struct(s))
}

/// Direction of conversion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Connect data → bytes (`fromConnectData`).
    Serialize,
    /// Bytes → Connect data (`toConnectData`).
    Deserialize,
}

/// One timed loop's outcome.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    /// Records per CPU-second of the measuring thread.
    pub per_cpu_second: f64,
    /// Records per wall-clock second.
    pub per_wall_second: f64,
    /// Mean serialized size in bytes.
    pub bytes_per_record: f64,
}

/// Converts records in `direction` for at least `duration` of thread CPU time.
pub fn measure(direction: Direction, schemas_enable: bool, duration: Duration) -> Result<Sample> {
    let converter = JsonConverter::with_config(JsonConverterConfig {
        schemas_enable,
        ..Default::default()
    });
    let schema = schema();
    let values = (0..RECORDS)
        .map(|i| record(&schema, i))
        .collect::<Result<Vec<_>>>()?;
    let mut encoded = Vec::with_capacity(RECORDS);
    for v in &values {
        match converter.serialize(Some(&schema), v) {
            Ok(Some(b)) => encoded.push(b),
            Ok(None) => bail!("JsonConverter serialized a struct to a null"),
            Err(e) => bail!("JsonConverter serialize: {e}"),
        }
    }
    let bytes_per_record = encoded.iter().map(Vec::len).sum::<usize>() as f64 / RECORDS as f64;
    // Round trip once, so a converter that cannot read its own output fails loudly.
    let back = converter
        .deserialize(Some(&encoded[1]))
        .map_err(|e| anyhow!("JsonConverter deserialize: {e}"))?;
    if back.value.is_null() {
        bail!("JsonConverter deserialized a struct to a null");
    }

    let mut count: u64 = 0;
    let cpu0 = thread_cpu_time();
    let wall0 = Instant::now();
    loop {
        // Check the clock once per cycle of RECORDS conversions.
        for i in 0..RECORDS {
            match direction {
                Direction::Serialize => {
                    let out = converter
                        .serialize(Some(&schema), black_box(&values[i]))
                        .map_err(|e| anyhow!("JsonConverter serialize: {e}"))?;
                    black_box(out);
                }
                Direction::Deserialize => {
                    let out = converter
                        .deserialize(Some(black_box(&encoded[i])))
                        .map_err(|e| anyhow!("JsonConverter deserialize: {e}"))?;
                    black_box(out);
                }
            }
        }
        count += RECORDS as u64;
        let cpu = thread_cpu_time().saturating_sub(cpu0);
        if cpu >= duration {
            return Ok(Sample {
                per_cpu_second: count as f64 / cpu.as_secs_f64(),
                per_wall_second: count as f64 / wall0.elapsed().as_secs_f64(),
                bytes_per_record,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_validate_and_round_trip() {
        let schema = schema();
        assert_eq!(schema.fields.len(), 10);
        for enable in [true, false] {
            let s = measure(Direction::Deserialize, enable, Duration::from_millis(20)).unwrap();
            assert!(s.per_cpu_second > 0.0 && s.bytes_per_record > 50.0);
        }
        let json = JsonConverter::with_config(JsonConverterConfig {
            schemas_enable: true,
            ..Default::default()
        });
        let v = record(&schema, 3).unwrap();
        let bytes = json.serialize(Some(&schema), &v).unwrap().unwrap();
        assert_eq!(json.deserialize(Some(&bytes)).unwrap().value, v);
    }
}
