//! AvroConverter throughput: the JSON benchmark's 10-field struct through Confluent's Avro
//! converter (on the in-memory `mock://` registry, so no network), single-threaded, per
//! CPU-second of the measuring thread. After the first record of a schema the converter
//! answers from its caches without awaiting, which is what is timed.

use std::hint::black_box;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Result};
use rconnect_avro::AvroConverter;
use rconnect_sdk::converter::Converter;
use rconnect_sdk::data::{Headers, Value};
use rconnect_sdk::Props;

use crate::json::{record, schema, Direction, Sample};
use crate::procfs::thread_cpu_time;

const RECORDS: usize = 1024;
const TOPIC: &str = "bench";

/// Converts records in `direction` for at least `duration` of thread CPU time.
pub fn measure(direction: Direction, duration: Duration) -> Result<Sample> {
    let mut converter = AvroConverter::default();
    let props: Props = [(
        "schema.registry.url".to_string(),
        "mock://rconnect-bench".to_string(),
    )]
    .into();
    converter
        .configure(&props, false)
        .map_err(|e| anyhow!("AvroConverter configure: {e}"))?;
    let schema = schema();
    let values = (0..RECORDS)
        .map(|i| record(&schema, i))
        .collect::<Result<Vec<_>>>()?;
    let mut headers = Headers::new();
    let mut encoded = Vec::with_capacity(RECORDS);
    for v in &values {
        // The first call registers the schema (async, on the mock registry).
        match futures::executor::block_on(converter.from_connect(
            TOPIC,
            &mut headers,
            Some(&schema),
            v,
        )) {
            Ok(Some(b)) => encoded.push(b),
            Ok(None) => bail!("AvroConverter serialized a struct to a null"),
            Err(e) => bail!("AvroConverter serialize: {e}"),
        }
    }
    let bytes_per_record = encoded.iter().map(Vec::len).sum::<usize>() as f64 / RECORDS as f64;
    let back =
        futures::executor::block_on(converter.to_connect(TOPIC, &headers, Some(&encoded[1])))
            .map_err(|e| anyhow!("AvroConverter deserialize: {e}"))?;
    // The registry's version (1) comes back on the read schema, so compare the field values.
    let fields = |v: &Value| v.as_struct().map(|s| s.values().to_vec());
    if fields(&back.value) != fields(&values[1]) || fields(&back.value).is_none() {
        bail!(
            "AvroConverter did not read back what it wrote: {:?}",
            back.value
        );
    }

    let mut count: u64 = 0;
    let cpu0 = thread_cpu_time();
    let wall0 = Instant::now();
    loop {
        for i in 0..RECORDS {
            match direction {
                Direction::Serialize => {
                    let out = converter
                        .from_connect_sync(
                            TOPIC,
                            &mut headers,
                            Some(&schema),
                            black_box(&values[i]),
                        )
                        .ok_or_else(|| anyhow!("AvroConverter left its cached path"))?
                        .map_err(|e| anyhow!("AvroConverter serialize: {e}"))?;
                    black_box(out);
                }
                Direction::Deserialize => {
                    let out = converter
                        .to_connect_sync(TOPIC, &headers, Some(black_box(&encoded[i])))
                        .ok_or_else(|| anyhow!("AvroConverter left its cached path"))?
                        .map_err(|e| anyhow!("AvroConverter deserialize: {e}"))?;
                    black_box::<Value>(out.value);
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
    fn round_trips_on_the_cached_path() {
        for d in [Direction::Serialize, Direction::Deserialize] {
            let s = measure(d, Duration::from_millis(20)).unwrap();
            assert!(s.per_cpu_second > 0.0 && s.bytes_per_record > 30.0, "{s:?}");
        }
    }
}
