//! Partitioners (Java storage-common `io.confluent.connect.storage.partitioner`): they
//! map a record to its encoded partition, the directory between the topic and the file
//! name.

use rconnect_sdk::config::ParsedConfig;
use rconnect_sdk::data::logical::TIMESTAMP_NAME;
use rconnect_sdk::data::{Schema, Type, Value};
use rconnect_sdk::record::SinkRecord;
use rconnect_sdk::{ConnectError, ConnectResult, Props};

use crate::config::*;
use crate::joda::JodaPattern;

const PKG: &str = "io.confluent.connect.storage.partitioner.";
pub const DEFAULT_PARTITIONER: &str = "io.confluent.connect.storage.partitioner.DefaultPartitioner";

/// What a partitioner failure is in Java (`PartitionException`): fatal unless a DLQ takes
/// the record.
fn partition_error(msg: impl Into<String>) -> ConnectError {
    ConnectError::connect(msg)
}

/// A `timezone` value: a zone id (`UTC`, `Europe/Paris`) or a fixed offset (`+05:30`).
pub fn parse_zone(z: &str) -> Result<jiff::tz::TimeZone, String> {
    let z = z.trim();
    if let Some(rest) = z.strip_prefix(['+', '-']) {
        let sign = if z.starts_with('-') { -1 } else { 1 };
        let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
        let (h, m): (i32, i32) = match (h.parse(), m.parse()) {
            (Ok(h), Ok(m)) if h <= 23 && m <= 59 => (h, m),
            _ => return Err(format!("'{z}' is not a valid offset")),
        };
        let offset = jiff::tz::Offset::from_seconds(sign * (h * 3600 + m * 60))
            .map_err(|e| e.to_string())?;
        return Ok(jiff::tz::TimeZone::fixed(offset));
    }
    jiff::tz::TimeZone::get(z)
        .map_err(|e| format!("The datetime zone id '{z}' is not recognised ({e})"))
}

/// Where a time-based partitioner takes a record's time from (`timestamp.extractor`).
#[derive(Debug, Clone, PartialEq)]
pub enum Extractor {
    /// `Wallclock`: the time of the `put` call.
    Wallclock,
    /// `Record`: the Kafka record timestamp.
    Record,
    /// `RecordField`: a (dotted) field of the value.
    RecordField(String),
}

/// The settings of a `TimeBasedPartitioner` (and of Hourly/Daily).
#[derive(Debug, Clone)]
pub struct TimePartitioner {
    pub duration_ms: i64,
    pub pattern: JodaPattern,
    pub zone: jiff::tz::TimeZone,
    pub extractor: Extractor,
}

#[derive(Debug, Clone)]
pub enum PartitionerKind {
    Default,
    Field(Vec<String>),
    Time(Box<TimePartitioner>),
}

/// `s3.schema.partition.affix.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Affix {
    None,
    Prefix,
    Suffix,
}

/// The configured partitioner with the settings the file layout needs.
#[derive(Debug, Clone)]
pub struct PartitionerConfig {
    pub kind: PartitionerKind,
    pub delim: String,
    pub affix: Affix,
}

/// The raw time settings, read before the partitioner checks them.
pub(crate) struct TimeConfig {
    pub duration_ms: i64,
    pub path_format: String,
    pub locale: String,
    pub timezone: String,
    pub extractor: String,
    pub field: String,
}

impl PartitionerConfig {
    /// Java `Partitioner#configure` of each built-in partitioner; an error names its key.
    pub(crate) fn from_config(
        _props: &Props,
        p: &ParsedConfig,
    ) -> Result<PartitionerConfig, (String, String)> {
        let delim = p.string(DIRECTORY_DELIM).unwrap_or("/").to_string();
        let class = p.string(PARTITIONER_CLASS).unwrap_or(DEFAULT_PARTITIONER);
        let simple = class.strip_prefix(PKG).unwrap_or(class);
        let t = crate::config::time_config(p);
        let kind = match simple {
            "DefaultPartitioner" => PartitionerKind::Default,
            "FieldPartitioner" => {
                let fields: Vec<String> = p.list(PARTITION_FIELD_NAME).unwrap_or(&[]).to_vec();
                if fields.is_empty() || fields.iter().any(|f| f.trim().is_empty()) {
                    return Err((PARTITION_FIELD_NAME.into(), format!(
                        "Invalid value {} for configuration {PARTITION_FIELD_NAME}: FieldPartitioner needs non-empty field names",
                        fields.join(",")
                    )));
                }
                PartitionerKind::Field(fields)
            }
            "TimeBasedPartitioner" => PartitionerKind::Time(Box::new(time(&t, t.duration_ms, t.path_format.clone(), &delim)?)),
            "HourlyPartitioner" => PartitionerKind::Time(Box::new(time(
                &t,
                3_600_000,
                format!("'year'=YYYY{d}'month'=MM{d}'day'=dd{d}'hour'=HH", d = delim),
                &delim,
            )?)),
            "DailyPartitioner" => PartitionerKind::Time(Box::new(time(
                &t,
                86_400_000,
                format!("'year'=YYYY{d}'month'=MM{d}'day'=dd", d = delim),
                &delim,
            )?)),
            _ => {
                return Err((PARTITIONER_CLASS.into(), format!(
                    "Invalid value {class} for configuration {PARTITIONER_CLASS}: rconnect's S3 sink has DefaultPartitioner, FieldPartitioner, TimeBasedPartitioner, HourlyPartitioner and DailyPartitioner (custom partitioner classes cannot be loaded)"
                )))
            }
        };
        let affix = match p.string(SCHEMA_AFFIX) {
            Some("PREFIX") => Affix::Prefix,
            Some("SUFFIX") => Affix::Suffix,
            _ => Affix::None,
        };
        Ok(PartitionerConfig { kind, delim, affix })
    }

    /// The time of `record` for partitioning and rotation; `None` for partitioners that
    /// are not time based.
    pub fn timestamp(&self, record: &SinkRecord, now: i64) -> ConnectResult<Option<i64>> {
        match &self.kind {
            PartitionerKind::Time(t) => extract(&t.extractor, record, now).map(Some),
            _ => Ok(None),
        }
    }

    /// Java `encodePartition` (with the schema affix wrapper): the directory of `record`.
    /// `ts` is [`Self::timestamp`]'s answer.
    pub fn encode(&self, record: &SinkRecord, ts: Option<i64>) -> ConnectResult<String> {
        let inner = match &self.kind {
            PartitionerKind::Default => {
                format!("partition={}", record.kafka_partition.unwrap_or_default())
            }
            PartitionerKind::Field(fields) => self.encode_fields(record, fields)?,
            PartitionerKind::Time(t) => {
                let ts = ts.ok_or_else(|| partition_error("Unable to determine timestamp"))?;
                let bucket = bucket_start(ts, t.duration_ms, &t.zone);
                let zoned = jiff::Timestamp::from_millisecond(bucket)
                    .map_err(|e| partition_error(format!("timestamp {bucket} out of range: {e}")))?
                    .to_zoned(t.zone.clone());
                t.pattern.format(&zoned)
            }
        };
        let schema_name = || {
            let name = record
                .value_schema
                .as_ref()
                .and_then(|s| s.name.clone())
                .unwrap_or_default();
            format!("schema_name={name}")
        };
        Ok(match self.affix {
            Affix::None => inner,
            Affix::Prefix => format!("{}{}{inner}", schema_name(), self.delim),
            Affix::Suffix => format!("{inner}{}{}", self.delim, schema_name()),
        })
    }

    fn encode_fields(&self, record: &SinkRecord, fields: &[String]) -> ConnectResult<String> {
        let Value::Struct(st) = &record.value else {
            tracing::error!("Value is not Struct type.");
            return Err(partition_error("Error encoding partition."));
        };
        let mut parts = Vec::with_capacity(fields.len());
        for name in fields {
            let (schema, value) = nested(st.schema(), &record.value, name)?;
            let text = match (schema.schema_type, value) {
                (_, Value::Null) => "null".to_string(),
                (Type::Int8 | Type::Int16 | Type::Int32 | Type::Int64, v)
                    if schema.name.is_none() =>
                {
                    match v {
                        Value::Int8(x) => x.to_string(),
                        Value::Int16(x) => x.to_string(),
                        Value::Int32(x) => x.to_string(),
                        Value::Int64(x) => x.to_string(),
                        _ => return Err(partition_error("Error encoding partition.")),
                    }
                }
                (Type::String, Value::String(s)) => s.to_string(),
                (Type::Boolean, Value::Boolean(b)) => b.to_string(),
                (t, _) => {
                    tracing::error!("Type {} is not supported as a partition key.", t.name());
                    return Err(partition_error("Error encoding partition."));
                }
            };
            parts.push(format!("{name}={text}"));
        }
        Ok(parts.join(&self.delim))
    }
}

/// A (dotted) field of a struct value, with its schema.
fn nested<'a>(
    schema: &'a Schema,
    value: &'a Value,
    path: &str,
) -> ConnectResult<(&'a Schema, &'a Value)> {
    let mut schema = schema;
    let mut value = value;
    for part in path.split('.') {
        let Value::Struct(st) = value else {
            return Err(ConnectError::data(format!(
                "{path} is not a valid field name"
            )));
        };
        let f = schema
            .field(part)
            .ok_or_else(|| ConnectError::data(format!("{part} is not a valid field name")))?;
        value = st.get_at(f.index);
        schema = &f.schema;
    }
    Ok((schema, value))
}

fn time(
    t: &TimeConfig,
    duration_ms: i64,
    path_format: String,
    delim: &str,
) -> Result<TimePartitioner, (String, String)> {
    if duration_ms <= 0 {
        return Err((PARTITION_DURATION_MS.into(), format!(
            "Invalid value {duration_ms} for configuration {PARTITION_DURATION_MS}: Partition duration needs to be a positive."
        )));
    }
    let mut format = path_format;
    if format.trim().is_empty() || format == delim {
        return Err((PATH_FORMAT.into(), format!("Invalid value {format} for configuration {PATH_FORMAT}: Path format cannot be empty.")));
    }
    if let Some(stripped) = format.strip_suffix(delim) {
        format = stripped.to_string();
    }
    if t.locale.trim().is_empty() {
        return Err((
            LOCALE.into(),
            format!(
                "Invalid value {} for configuration {LOCALE}: Locale cannot be empty.",
                t.locale
            ),
        ));
    }
    if t.timezone.trim().is_empty() {
        return Err((
            TIMEZONE.into(),
            format!(
                "Invalid value {} for configuration {TIMEZONE}: Timezone cannot be empty.",
                t.timezone
            ),
        ));
    }
    let zone = parse_zone(&t.timezone).map_err(|e| {
        (
            TIMEZONE.to_string(),
            format!(
                "Invalid value {} for configuration {TIMEZONE}: {e}",
                t.timezone
            ),
        )
    })?;
    let pattern = JodaPattern::parse(&format, &t.locale).map_err(|e| {
        (
            PATH_FORMAT.to_string(),
            format!("Invalid value {format} for configuration {PATH_FORMAT}: {e}"),
        )
    })?;
    let extractor = match t.extractor.trim() {
        "Wallclock" | "io.confluent.connect.storage.partitioner.TimeBasedPartitioner$WallclockTimestampExtractor" => Extractor::Wallclock,
        "Record" | "io.confluent.connect.storage.partitioner.TimeBasedPartitioner$RecordTimestampExtractor" => Extractor::Record,
        "RecordField" | "io.confluent.connect.storage.partitioner.TimeBasedPartitioner$RecordFieldTimestampExtractor" => {
            Extractor::RecordField(t.field.clone())
        }
        other => {
            return Err((TIMESTAMP_EXTRACTOR.into(), format!(
                "Invalid value {other} for configuration {TIMESTAMP_EXTRACTOR}: must be Wallclock, Record or RecordField (custom extractor classes cannot be loaded)"
            )))
        }
    };
    Ok(TimePartitioner {
        duration_ms,
        pattern,
        zone,
        extractor,
    })
}

fn offset_ms(zone: &jiff::tz::TimeZone, t: i64) -> i64 {
    match jiff::Timestamp::from_millisecond(t) {
        Ok(ts) => zone.to_offset(ts).seconds() as i64 * 1000,
        Err(_) => 0,
    }
}

/// Java `TimeBasedPartitioner.getPartition`: floor the local time to a multiple of the
/// duration (Java's `/` truncates toward zero), then back to UTC with Joda's
/// `convertLocalToUTC(local, false)`.
pub fn bucket_start(ts: i64, duration_ms: i64, zone: &jiff::tz::TimeZone) -> i64 {
    let local = ts + offset_ms(zone, ts);
    let floored = (local / duration_ms) * duration_ms;
    let off_local = offset_ms(zone, floored);
    let off = offset_ms(zone, floored - off_local);
    floored - off
}

fn extract(e: &Extractor, record: &SinkRecord, now: i64) -> ConnectResult<i64> {
    match e {
        Extractor::Wallclock => Ok(now),
        Extractor::Record => record.timestamp.ok_or_else(|| {
            partition_error(format!(
                "Unable to determine timestamp using timestamp.extractor RecordTimestampExtractor for record: {}",
                record.meta.kafka_offset
            ))
        }),
        Extractor::RecordField(field) => field_timestamp(record, field),
    }
}

fn field_timestamp(record: &SinkRecord, field: &str) -> ConnectResult<i64> {
    match (&record.value, &record.value_schema) {
        (Value::Struct(st), _) => {
            let (schema, v) = nested(st.schema(), &record.value, field)?;
            if schema.name.as_deref() == Some(TIMESTAMP_NAME) {
                if let Value::Timestamp(ms) = v {
                    return Ok(*ms);
                }
            }
            match v {
                Value::Int32(x) if schema.schema_type == Type::Int32 => Ok(*x as i64),
                Value::Int64(x) => Ok(*x),
                Value::String(s) => parse_time_string(s),
                other => Err(partition_error(format!(
                    "Unsupported type '{}' for user-defined timestamp field.",
                    other.inferred_type().map_or("null", |t| t.name())
                ))),
            }
        }
        (Value::Map(entries), None) => {
            let mut v = &record.value;
            for part in field.split('.') {
                let Value::Map(entries) = v else {
                    return Err(partition_error(format!(
                        "Unable to find timestamp field '{field}'"
                    )));
                };
                v = entries
                    .iter()
                    .find(|(k, _)| k.as_str() == Some(part))
                    .map(|(_, v)| v)
                    .ok_or_else(|| {
                        partition_error(format!("Unable to find timestamp field '{field}'"))
                    })?;
            }
            let _ = entries;
            match v {
                Value::Int8(x) => Ok(*x as i64),
                Value::Int16(x) => Ok(*x as i64),
                Value::Int32(x) => Ok(*x as i64),
                Value::Int64(x) | Value::Timestamp(x) => Ok(*x),
                Value::Float32(x) => Ok(*x as i64),
                Value::Float64(x) => Ok(*x as i64),
                Value::String(s) => parse_time_string(s),
                _ => Err(partition_error(format!(
                    "Unsupported type for timestamp field '{field}'"
                ))),
            }
        }
        _ => Err(partition_error(
            "Timestamp field extraction requires a Struct or Map value",
        )),
    }
}

/// A numeric string is epoch milliseconds; anything else an ISO-8601 date-time (a time
/// without zone is read as UTC).
fn parse_time_string(s: &str) -> ConnectResult<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if !digits.is_empty() && digits.len() <= 19 && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(v) = s.parse::<i64>() {
            return Ok(v);
        }
    }
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Ok(t.as_millisecond());
    }
    if let Ok(dt) = s.parse::<jiff::civil::DateTime>() {
        if let Ok(z) = dt.to_zoned(jiff::tz::TimeZone::UTC) {
            return Ok(z.timestamp().as_millisecond());
        }
    }
    Err(partition_error(format!("Invalid format: \"{s}\"")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rconnect_sdk::data::{logical, SchemaBuilder, Struct};
    use rconnect_sdk::record::{ConnectRecord, SinkMeta, TimestampType};

    fn record(
        partition: i32,
        schema: Option<rconnect_sdk::data::SchemaRef>,
        value: Value,
        ts: Option<i64>,
    ) -> SinkRecord {
        ConnectRecord {
            topic: "orders".into(),
            kafka_partition: Some(partition),
            key_schema: None,
            key: Value::Null,
            value_schema: schema,
            value,
            timestamp: ts,
            headers: Default::default(),
            meta: SinkMeta {
                kafka_offset: 1000,
                timestamp_type: TimestampType::CreateTime,
                original_topic: "orders".into(),
                original_kafka_partition: partition,
                original_kafka_offset: 1000,
            },
        }
    }

    fn partitioner(pairs: &[(&str, &str)]) -> Result<PartitionerConfig, (String, String)> {
        let mut props: Props = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        for (k, v) in [
            (FORMAT_CLASS, JSON_FORMAT),
            (STORAGE_CLASS, S3_STORAGE_CLASS),
            (FLUSH_SIZE, "1"),
            (BUCKET, "b"),
        ] {
            props.insert(k.into(), v.into());
        }
        let p = config_def().parse(&props).unwrap();
        PartitionerConfig::from_config(&props, &p)
    }

    const T: i64 = 1_715_953_500_000; // 2024-05-17T13:45:00Z

    #[test]
    fn layouts_of_the_builtin_partitioners() {
        let r = record(3, None, Value::from("x"), Some(T));
        let d = partitioner(&[]).unwrap();
        assert_eq!(d.encode(&r, None).unwrap(), "partition=3");

        let tz = [
            (LOCALE, "en-US"),
            (TIMEZONE, "UTC"),
            (TIMESTAMP_EXTRACTOR, "Record"),
        ];
        let hourly = partitioner(
            &[
                &[(
                    PARTITIONER_CLASS,
                    "io.confluent.connect.storage.partitioner.HourlyPartitioner",
                )][..],
                &tz,
            ]
            .concat(),
        )
        .unwrap();
        let ts = hourly.timestamp(&r, 0).unwrap();
        assert_eq!(
            hourly.encode(&r, ts).unwrap(),
            "year=2024/month=05/day=17/hour=13"
        );
        let daily = partitioner(
            &[
                &[
                    (PARTITIONER_CLASS, "DailyPartitioner"),
                    (DIRECTORY_DELIM, "_"),
                ][..],
                &tz,
            ]
            .concat(),
        )
        .unwrap();
        assert_eq!(daily.encode(&r, ts).unwrap(), "year=2024_month=05_day=17");
        let tb = partitioner(
            &[
                &[
                    (
                        PARTITIONER_CLASS,
                        "io.confluent.connect.storage.partitioner.TimeBasedPartitioner",
                    ),
                    (PATH_FORMAT, "'dt'=YYYY-MM-dd/'hr'=HH/"),
                    (PARTITION_DURATION_MS, "3600000"),
                ][..],
                &tz,
            ]
            .concat(),
        )
        .unwrap();
        assert_eq!(tb.encode(&r, ts).unwrap(), "dt=2024-05-17/hr=13");
        // Buckets align to local midnight in the zone.
        let ist = partitioner(&[
            (PARTITIONER_CLASS, "DailyPartitioner"),
            (LOCALE, "en"),
            (TIMEZONE, "+05:30"),
            (TIMESTAMP_EXTRACTOR, "Record"),
        ])
        .unwrap();
        let late = record(0, None, Value::Null, Some(T + 11 * 3_600_000)); // 00:45Z next day = 06:15 IST
        assert_eq!(
            ist.encode(&late, ist.timestamp(&late, 0).unwrap()).unwrap(),
            "year=2024/month=05/day=18"
        );
    }

    #[test]
    fn field_partitioner_and_record_field_extractor() {
        let schema = SchemaBuilder::struct_()
            .name("com.acme.Order")
            .field("country", Schema::string())
            .field("region", Schema::optional_string())
            .field("n", Schema::int32())
            .field("price", Schema::float64())
            .field("at", logical::timestamp_builder().build())
            .build();
        let mut st = Struct::new(schema.clone());
        st.put("country", Value::from("US")).unwrap();
        st.put("n", Value::Int32(7)).unwrap();
        st.put("price", Value::Float64(1.5)).unwrap();
        st.put("at", Value::Timestamp(T)).unwrap();
        let r = record(3, Some(schema.clone()), Value::Struct(st), None);
        let f = partitioner(&[
            (PARTITIONER_CLASS, "FieldPartitioner"),
            (PARTITION_FIELD_NAME, "country,region,n"),
        ])
        .unwrap();
        assert_eq!(f.encode(&r, None).unwrap(), "country=US/region=null/n=7");
        let bad = partitioner(&[
            (PARTITIONER_CLASS, "FieldPartitioner"),
            (PARTITION_FIELD_NAME, "price"),
        ])
        .unwrap();
        assert_eq!(
            bad.encode(&r, None).unwrap_err().to_string(),
            "Error encoding partition."
        );
        let missing = partitioner(&[
            (PARTITIONER_CLASS, "FieldPartitioner"),
            (PARTITION_FIELD_NAME, "nope"),
        ])
        .unwrap();
        assert_eq!(
            missing.encode(&r, None).unwrap_err().to_string(),
            "nope is not a valid field name"
        );
        assert_eq!(
            partitioner(&[(PARTITIONER_CLASS, "FieldPartitioner")])
                .unwrap_err()
                .0,
            PARTITION_FIELD_NAME
        );

        let prefix = partitioner(&[(SCHEMA_AFFIX, "PREFIX")]).unwrap();
        assert_eq!(
            prefix.encode(&r, None).unwrap(),
            "schema_name=com.acme.Order/partition=3"
        );

        let h = partitioner(&[
            (PARTITIONER_CLASS, "HourlyPartitioner"),
            (LOCALE, "en"),
            (TIMEZONE, "UTC"),
            (TIMESTAMP_EXTRACTOR, "RecordField"),
            (TIMESTAMP_FIELD, "at"),
        ])
        .unwrap();
        assert_eq!(h.timestamp(&r, 0).unwrap(), Some(T));
        assert_eq!(parse_time_string("2024-05-17T13:45:00Z").unwrap(), T);
        assert_eq!(parse_time_string("1715953500000").unwrap(), T);
    }

    #[test]
    fn time_partitioners_need_their_settings() {
        let e = partitioner(&[(PARTITIONER_CLASS, "HourlyPartitioner"), (TIMEZONE, "UTC")])
            .unwrap_err();
        assert_eq!(e.0, LOCALE);
        let e =
            partitioner(&[(PARTITIONER_CLASS, "HourlyPartitioner"), (LOCALE, "en")]).unwrap_err();
        assert_eq!(e.0, TIMEZONE);
        let e = partitioner(&[
            (PARTITIONER_CLASS, "TimeBasedPartitioner"),
            (LOCALE, "en"),
            (TIMEZONE, "UTC"),
            (PATH_FORMAT, "YYYY"),
        ])
        .unwrap_err();
        assert_eq!(e.0, PARTITION_DURATION_MS);
        let e = partitioner(&[
            (PARTITIONER_CLASS, "TimeBasedPartitioner"),
            (LOCALE, "en"),
            (TIMEZONE, "UTC"),
            (PARTITION_DURATION_MS, "1000"),
            (PATH_FORMAT, "/"),
        ])
        .unwrap_err();
        assert_eq!(e.0, PATH_FORMAT);
        let e = partitioner(&[
            (PARTITIONER_CLASS, "HourlyPartitioner"),
            (LOCALE, "en"),
            (TIMEZONE, "Mars/Olympus"),
        ])
        .unwrap_err();
        assert_eq!(e.0, TIMEZONE);
        assert_eq!(
            partitioner(&[(PARTITIONER_CLASS, "com.acme.Mine")])
                .unwrap_err()
                .0,
            PARTITIONER_CLASS
        );
    }
}
