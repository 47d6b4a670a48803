//! Logical types (`Decimal`, `Date`, `Time`, `Timestamp`) and Java-compatible renderings.

use super::schema::{SchemaBuilder, SchemaRef, Type};
use super::value::{Decimal, Value};
use crate::error::{ConnectError, ConnectResult};
use num_bigint::BigInt;

pub const DECIMAL_NAME: &str = "org.apache.kafka.connect.data.Decimal";
pub const DATE_NAME: &str = "org.apache.kafka.connect.data.Date";
pub const TIME_NAME: &str = "org.apache.kafka.connect.data.Time";
pub const TIMESTAMP_NAME: &str = "org.apache.kafka.connect.data.Timestamp";
/// The parameter holding a Decimal's scale.
pub const SCALE_FIELD: &str = "scale";

pub const MILLIS_PER_DAY: i64 = 86_400_000;

/// A Decimal schema builder with `scale` (BYTES, version 1).
pub fn decimal_builder(scale: i32) -> SchemaBuilder {
    SchemaBuilder::bytes()
        .name(DECIMAL_NAME)
        .parameter(SCALE_FIELD, scale.to_string())
        .version(1)
}
/// A required Decimal schema.
pub fn decimal_schema(scale: i32) -> SchemaRef {
    decimal_builder(scale).build()
}
/// A Date schema builder (INT32 days, version 1).
pub fn date_builder() -> SchemaBuilder {
    SchemaBuilder::int32().name(DATE_NAME).version(1)
}
/// A Time schema builder (INT32 millis of day, version 1).
pub fn time_builder() -> SchemaBuilder {
    SchemaBuilder::int32().name(TIME_NAME).version(1)
}
/// A Timestamp schema builder (INT64 millis since epoch, version 1).
pub fn timestamp_builder() -> SchemaBuilder {
    SchemaBuilder::int64().name(TIMESTAMP_NAME).version(1)
}

/// The scale parameter of a Decimal schema.
pub fn decimal_scale(params: Option<&str>) -> ConnectResult<i32> {
    let s = params
        .ok_or_else(|| ConnectError::data("Invalid Decimal schema: scale parameter not found."))?;
    s.parse().map_err(|_| {
        ConnectError::data(format!(
            "Invalid scale parameter found in Decimal schema: {s}"
        ))
    })
}

/// Decimal → minimal big-endian two's-complement bytes (Java `Decimal.fromLogical`).
pub fn decimal_to_bytes(scale: i32, d: &Decimal) -> ConnectResult<Vec<u8>> {
    if d.scale != scale {
        return Err(ConnectError::data(format!("Decimal value has mismatching scale for given Decimal schema. Schema has scale {scale}, value has scale {}.", d.scale)));
    }
    Ok(d.unscaled.to_signed_bytes_be())
}

/// Bytes → Decimal with the schema's scale (Java `Decimal.toLogical`).
pub fn decimal_from_bytes(scale: i32, bytes: &[u8]) -> ConnectResult<Decimal> {
    if bytes.is_empty() {
        return Err(ConnectError::data(
            "Invalid Decimal value: zero length byte array",
        ));
    }
    Ok(Decimal {
        unscaled: BigInt::from_signed_bytes_be(bytes),
        scale,
    })
}

/// The underlying INT32/INT64 value of a Date/Time/Timestamp logical value.
pub fn temporal_to_underlying(name: &str, v: &Value) -> ConnectResult<Value> {
    let Value::Timestamp(ms) = v else {
        return Err(ConnectError::data(format!(
            "Invalid type for {name}, expected java.util.Date but was {}",
            v.java_class()
        )));
    };
    let x = temporal_underlying(name, *ms)?;
    Ok(match name {
        // Both fit: `temporal_underlying` cast the days and range-checked the time.
        DATE_NAME | TIME_NAME => Value::Int32(x as i32),
        _ => Value::Int64(x),
    })
}

/// The underlying number of a Date, Time or Timestamp (by schema `name`) of `ms`
/// milliseconds since the epoch: days for Date, milliseconds of the day for Time (both
/// fit an INT32), `ms` itself for Timestamp. For writers that print the number and need no
/// [`Value`].
///
/// ```
/// use rconnect_sdk::data::logical::{temporal_underlying, DATE_NAME, TIMESTAMP_NAME};
/// assert_eq!(temporal_underlying(DATE_NAME, 2 * 86_400_000).unwrap(), 2);
/// assert_eq!(temporal_underlying(TIMESTAMP_NAME, 1_500).unwrap(), 1_500);
/// assert!(temporal_underlying(DATE_NAME, 1).is_err());
/// // As Java's int cast: far dates wrap.
/// let far = (i64::from(i32::MAX) + 1) * 86_400_000;
/// assert_eq!(temporal_underlying(DATE_NAME, far).unwrap(), i64::from(i32::MIN));
/// ```
pub fn temporal_underlying(name: &str, ms: i64) -> ConnectResult<i64> {
    match name {
        DATE_NAME => {
            if ms.rem_euclid(MILLIS_PER_DAY) != 0 {
                return Err(ConnectError::data("Kafka Connect Date type should not have any time fields set to non-zero values."));
            }
            // Java `Date.fromLogical` casts the day count to an int.
            Ok(i64::from(ms.div_euclid(MILLIS_PER_DAY) as i32))
        }
        TIME_NAME => {
            if !(0..=MILLIS_PER_DAY).contains(&ms) {
                return Err(ConnectError::data("Kafka Connect Time type should not have any date fields set to non-zero values."));
            }
            Ok(ms)
        }
        _ => Ok(ms),
    }
}

/// A Date/Time/Timestamp value from its underlying INT32/INT64.
pub fn temporal_from_underlying(name: &str, v: &Value) -> ConnectResult<Value> {
    match (name, v) {
        (DATE_NAME, Value::Int32(days)) => Ok(Value::Timestamp(*days as i64 * MILLIS_PER_DAY)),
        (TIME_NAME, Value::Int32(ms)) => {
            if !(0..=MILLIS_PER_DAY as i32).contains(ms) {
                return Err(ConnectError::data("Time values must use number of milliseconds greater than 0 and less than 86400000"));
            }
            Ok(Value::Timestamp(*ms as i64))
        }
        (TIMESTAMP_NAME, Value::Int64(ms)) => Ok(Value::Timestamp(*ms)),
        _ => Err(ConnectError::data(format!(
            "Invalid value for {name}: {}",
            v.java_class()
        ))),
    }
}

/// Whether `name` is one of the four logical type names.
pub fn is_logical(name: Option<&str>, t: Type) -> bool {
    matches!(
        (name, t),
        (Some(DECIMAL_NAME), Type::Bytes)
            | (Some(DATE_NAME), Type::Int32)
            | (Some(TIME_NAME), Type::Int32)
            | (Some(TIMESTAMP_NAME), Type::Int64)
    )
}

/// Java's `Double.toString` / `Float.toString`: shortest digits that round-trip (JDK 19+),
/// plain notation for 1e-3 ≤ |x| < 1e7 (always with a fractional part), otherwise
/// `d.dddE±n`; see [`crate::data::java_float::write_java_float`].
pub fn java_float_string(x: f64, is_f32: bool) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    let mut out = Vec::with_capacity(24);
    crate::data::java_float::write_java_float(&mut out, x, is_f32);
    String::from_utf8(out).unwrap_or_default()
}

/// Civil date from days since 1970-01-01 (proleptic Gregorian).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Days since 1970-01-01 for a civil date.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `java.util.Date.toString()` in UTC: `Thu Jan 01 00:00:00 UTC 1970`.
pub fn format_java_date(ms: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = ms.div_euclid(MILLIS_PER_DAY);
    let rem = ms.rem_euclid(MILLIS_PER_DAY) / 1000;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{} {} {:02} {:02}:{:02}:{:02} UTC {}",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[(m - 1) as usize],
        d,
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        y
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_double_strings() {
        assert_eq!(java_float_string(1.0, false), "1.0");
        assert_eq!(java_float_string(1.5, false), "1.5");
        assert_eq!(java_float_string(1e10, false), "1.0E10");
        assert_eq!(java_float_string(1234567.0, false), "1234567.0");
        assert_eq!(java_float_string(12345678.0, false), "1.2345678E7");
        assert_eq!(java_float_string(0.001, false), "0.001");
        assert_eq!(java_float_string(0.0001, false), "1.0E-4");
        assert_eq!(java_float_string(-2.5e-7, false), "-2.5E-7");
        assert_eq!(java_float_string(0.1f32 as f64, true), "0.1");
        assert_eq!(java_float_string(100.0, false), "100.0");
    }

    #[test]
    fn decimal_bytes() {
        let d = |u: i64| Decimal::new(u, 0);
        assert_eq!(decimal_to_bytes(0, &d(0)).unwrap(), vec![0]);
        assert_eq!(decimal_to_bytes(0, &d(128)).unwrap(), vec![0, 0x80]);
        assert_eq!(decimal_to_bytes(0, &d(-1)).unwrap(), vec![0xff]);
        assert!(decimal_to_bytes(2, &d(1)).is_err());
        assert_eq!(
            decimal_from_bytes(2, &[0x00, 0x80]).unwrap(),
            Decimal::new(128, 2)
        );
        assert_eq!(Decimal::new(12345, 2).to_string(), "123.45");
        assert_eq!(Decimal::new(1, 7).to_string(), "1E-7");
        assert_eq!(Decimal::new(-5, 3).to_string(), "-0.005");
    }

    #[test]
    fn dates() {
        assert_eq!(format_java_date(0), "Thu Jan 01 00:00:00 UTC 1970");
        assert_eq!(days_from_civil(2024, 2, 29), 19782);
        assert_eq!(civil_from_days(19782), (2024, 2, 29));
    }
}
