//! Column types → Connect schemas and values (Java: `GenericDatabaseDialect#addFieldToSchema`
//! and `#columnConverterFor`, the PostgreSQL/MySQL/SQL Server dialect overrides, and the
//! drivers' `ResultSetMetaData` answers).
//!
//! Each dialect first maps its native type to the JDBC type the Java driver reports
//! ([`JdbcType`]); the generic rules then pick the Connect schema ([`ColKind`]).

use bigdecimal::BigDecimal;
use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc};
use rconnect_sdk::data::logical;
use rconnect_sdk::data::{Decimal, SchemaBuilder, SchemaRef, Value};

use crate::url::DbKind;

/// `numeric.mapping` (Java `NumericMapping`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumericMapping {
    None,
    PrecisionOnly,
    BestFit,
    BestFitEagerDouble,
}

impl NumericMapping {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "none" => NumericMapping::None,
            "precision_only" => NumericMapping::PrecisionOnly,
            "best_fit" => NumericMapping::BestFit,
            "best_fit_eager_double" => NumericMapping::BestFitEagerDouble,
            _ => return None,
        })
    }
}

/// `timestamp.granularity` (Java `TimestampGranularity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    ConnectLogical,
    MicrosLong,
    MicrosString,
    MicrosIsoDatetimeString,
    NanosLong,
    NanosString,
    NanosIsoDatetimeString,
}

impl Granularity {
    pub const NAMES: [&'static str; 7] = [
        "connect_logical",
        "micros_long",
        "micros_string",
        "micros_iso_datetime_string",
        "nanos_long",
        "nanos_string",
        "nanos_iso_datetime_string",
    ];
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "connect_logical" => Granularity::ConnectLogical,
            "micros_long" => Granularity::MicrosLong,
            "micros_string" => Granularity::MicrosString,
            "micros_iso_datetime_string" => Granularity::MicrosIsoDatetimeString,
            "nanos_long" => Granularity::NanosLong,
            "nanos_string" => Granularity::NanosString,
            "nanos_iso_datetime_string" => Granularity::NanosIsoDatetimeString,
            _ => return None,
        })
    }
}

/// The `java.sql.Types` a Java driver reports for a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JdbcType {
    Bit,
    Boolean,
    TinyInt,
    SmallInt,
    Integer,
    BigInt,
    Real,
    Double,
    Numeric,
    Decimal,
    /// All character types (CHAR, VARCHAR, NVARCHAR, CLOB, SQLXML, ...) and the
    /// PostgreSQL `json`/`jsonb`/`uuid` the dialect maps to STRING.
    Char,
    /// BINARY, VARBINARY, LONGVARBINARY, BLOB.
    Binary,
    Date,
    Time,
    Timestamp,
    /// ARRAY, OTHER, STRUCT, vendor codes: dropped with a warning.
    Unsupported,
}

/// A column's description as the metadata gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDef {
    pub name: String,
    /// The database's own type name (lower case), for messages and the datetime guard.
    pub type_name: String,
    pub jdbc: JdbcType,
    pub signed: bool,
    pub precision: i32,
    /// `None` when the driver reports none (Java's `NUMERIC_TYPE_SCALE_UNSET`).
    pub scale: Option<i32>,
    pub optional: bool,
    /// PostgreSQL `bit(n)`: its length (0 for other databases).
    pub bits: i32,
}

/// The Connect representation chosen for a column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ColKind {
    Boolean,
    Int8,
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
    Decimal { scale: i32 },
    String,
    Bytes,
    Date,
    Time,
    Timestamp(Granularity),
}

/// Java `NUMERIC_TYPE_SCALE_HIGH`: the scale used when a column declares none.
pub const SCALE_HIGH: i32 = 127;
const SCALE_LOW: i32 = -84;

fn int_by_precision(p: i32) -> ColKind {
    if p > 9 {
        ColKind::Int64
    } else if p > 4 {
        ColKind::Int32
    } else if p > 2 {
        ColKind::Int16
    } else {
        ColKind::Int8
    }
}

/// The Connect kind of a column, `None` for a column Java drops.
///
/// ```
/// use rconnect_jdbc::types::{map_column, ColKind, ColumnDef, Granularity, JdbcType, NumericMapping};
/// let col = ColumnDef { name: "price".into(), type_name: "numeric".into(), jdbc: JdbcType::Numeric,
///     signed: true, precision: 10, scale: Some(0), optional: false, bits: 0 };
/// assert_eq!(map_column(&col, NumericMapping::BestFit, Granularity::ConnectLogical), Some(ColKind::Int64));
/// assert_eq!(map_column(&col, NumericMapping::None, Granularity::ConnectLogical), Some(ColKind::Decimal { scale: 0 }));
/// ```
pub fn map_column(col: &ColumnDef, numeric: NumericMapping, g: Granularity) -> Option<ColKind> {
    let scale = col.scale.unwrap_or(SCALE_HIGH);
    Some(match col.jdbc {
        JdbcType::Boolean => ColKind::Boolean,
        // Generic BIT → INT8; PostgreSQL's dialect maps its bit strings by length
        // (`bits` is only set for PostgreSQL).
        JdbcType::Bit if col.bits <= 0 => ColKind::Int8,
        JdbcType::Bit if col.bits == 1 => ColKind::Boolean,
        JdbcType::Bit if col.bits > 8 => ColKind::Bytes,
        JdbcType::Bit => ColKind::Int8,
        JdbcType::TinyInt if col.signed => ColKind::Int8,
        JdbcType::TinyInt => ColKind::Int16,
        JdbcType::SmallInt if col.signed => ColKind::Int16,
        JdbcType::SmallInt => ColKind::Int32,
        JdbcType::Integer if col.signed => ColKind::Int32,
        JdbcType::Integer => ColKind::Int64,
        JdbcType::BigInt => ColKind::Int64,
        JdbcType::Real => ColKind::Float32,
        JdbcType::Double => ColKind::Float64,
        JdbcType::Decimal => ColKind::Decimal { scale },
        JdbcType::Numeric => {
            let p = col.precision;
            match numeric {
                NumericMapping::None => ColKind::Decimal { scale },
                NumericMapping::PrecisionOnly if scale == 0 && p <= 18 => int_by_precision(p),
                NumericMapping::PrecisionOnly => ColKind::Decimal { scale },
                NumericMapping::BestFit if p < 19 && (SCALE_LOW..=0).contains(&scale) => {
                    int_by_precision(p)
                }
                NumericMapping::BestFit if p < 19 && scale > 0 => ColKind::Float64,
                NumericMapping::BestFit => ColKind::Decimal { scale },
                NumericMapping::BestFitEagerDouble
                    if p < 19 && (SCALE_LOW..=0).contains(&scale) =>
                {
                    int_by_precision(p)
                }
                NumericMapping::BestFitEagerDouble if scale > 0 => ColKind::Float64,
                NumericMapping::BestFitEagerDouble => ColKind::Decimal { scale },
            }
        }
        JdbcType::Char => ColKind::String,
        JdbcType::Binary => ColKind::Bytes,
        JdbcType::Date => ColKind::Date,
        JdbcType::Time => ColKind::Time,
        JdbcType::Timestamp => ColKind::Timestamp(g),
        JdbcType::Unsupported => return None,
    })
}

/// The Connect schema of a column of kind `k`.
pub fn schema_for(k: ColKind, col: &ColumnDef) -> SchemaRef {
    let b = match k {
        ColKind::Boolean => SchemaBuilder::boolean(),
        ColKind::Int8 => SchemaBuilder::int8(),
        ColKind::Int16 => SchemaBuilder::int16(),
        ColKind::Int32 => SchemaBuilder::int32(),
        ColKind::Int64 => SchemaBuilder::int64(),
        ColKind::Float32 => SchemaBuilder::float32(),
        ColKind::Float64 => SchemaBuilder::float64(),
        ColKind::Decimal { scale } => logical::decimal_builder(scale)
            .parameter("connect.decimal.precision", col.precision.to_string()),
        ColKind::String => SchemaBuilder::string(),
        ColKind::Bytes => SchemaBuilder::bytes(),
        ColKind::Date => logical::date_builder(),
        ColKind::Time => logical::time_builder(),
        ColKind::Timestamp(g) => match g {
            Granularity::ConnectLogical => logical::timestamp_builder(),
            Granularity::MicrosLong | Granularity::NanosLong => SchemaBuilder::int64(),
            _ => SchemaBuilder::string(),
        },
    };
    if col.optional {
        b.optional().build()
    } else {
        b.build()
    }
}

/// A value as read from a driver, before it becomes a Connect value.
#[derive(Debug, Clone, PartialEq)]
pub enum Raw {
    Null,
    Bool(bool),
    I64(i64),
    U64(u64),
    F32(f32),
    F64(f64),
    Dec(BigDecimal),
    /// A decimal that fits 128 bits, `unscaled × 10^-scale`: PostgreSQL numerics decoded
    /// without a `BigDecimal` (one allocation less per value on the hot path).
    Num {
        unscaled: i128,
        scale: i32,
    },
    Str(String),
    Bytes(Vec<u8>),
    Date(NaiveDate),
    Time(NaiveTime),
    /// A wall-clock date-time, to be read in `db.timezone`.
    Local(NaiveDateTime),
    /// An instant (PostgreSQL `timestamptz`, SQL Server `datetimeoffset`).
    Instant(chrono::DateTime<Utc>),
}

/// A conversion failure, naming the column.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("Column '{column}': {reason}")]
pub struct ValueError {
    pub column: String,
    pub reason: String,
}

/// An instant: whole seconds since the epoch and nanoseconds within the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant {
    pub secs: i64,
    pub nanos: u32,
}

impl Instant {
    pub const EPOCH: Instant = Instant { secs: 0, nanos: 0 };
    pub fn from_millis(ms: i64) -> Self {
        Instant {
            secs: ms.div_euclid(1000),
            nanos: (ms.rem_euclid(1000) * 1_000_000) as u32,
        }
    }
    pub fn millis(self) -> i64 {
        self.secs * 1000 + (self.nanos / 1_000_000) as i64
    }
    pub fn to_utc(self) -> chrono::DateTime<Utc> {
        Utc.timestamp_opt(self.secs, self.nanos)
            .single()
            .unwrap_or_default()
    }
    pub fn from_utc(t: chrono::DateTime<Utc>) -> Self {
        Instant {
            secs: t.timestamp(),
            nanos: t.timestamp_subsec_nanos(),
        }
    }
    /// The wall-clock time of this instant in `tz`.
    pub fn local(self, tz: chrono_tz::Tz) -> NaiveDateTime {
        self.to_utc().with_timezone(&tz).naive_local()
    }
    /// The instant of a wall-clock time in `tz` (the earlier one in a fold, the time after
    /// the gap in a gap, as `java.util.Calendar` resolves them).
    pub fn of_local(t: NaiveDateTime, tz: chrono_tz::Tz) -> Self {
        if is_utc(tz) {
            // No transitions to look up: the common `db.timezone=UTC` per-value fast path.
            return Instant::from_utc(t.and_utc());
        }
        let dt = match tz.from_local_datetime(&t) {
            chrono::LocalResult::Single(d) => d,
            chrono::LocalResult::Ambiguous(a, _) => a,
            chrono::LocalResult::None => {
                // A gap: shift by an hour (all real gaps are at most an hour).
                let later = t + chrono::Duration::hours(1);
                tz.from_local_datetime(&later)
                    .earliest()
                    .unwrap_or_else(|| tz.from_utc_datetime(&t))
            }
        };
        Instant::from_utc(dt.with_timezone(&Utc))
    }
}

/// Whether `tz` is UTC under one of its names.
fn is_utc(tz: chrono_tz::Tz) -> bool {
    use chrono_tz::Tz;
    matches!(
        tz,
        Tz::UTC
            | Tz::Etc__UTC
            | Tz::Etc__UCT
            | Tz::UCT
            | Tz::Etc__Universal
            | Tz::Universal
            | Tz::Etc__Zulu
            | Tz::Zulu
            | Tz::Etc__GMT
            | Tz::GMT
    )
}

/// `unscaled × 10^-from` at scale `to`, rounded HALF_UP (Java
/// `BigDecimal#setScale(scale, RoundingMode.HALF_UP)`); `None` when 128 bits do not hold it.
fn rescale_half_up(unscaled: i128, from: i32, to: i32) -> Option<i128> {
    if to >= from {
        let f = 10i128.checked_pow(u32::try_from(to - from).ok()?)?;
        return unscaled.checked_mul(f);
    }
    let Some(f) = 10i128.checked_pow(u32::try_from(from - to).ok()?) else {
        // More than 38 digits dropped: |value| < 0.5 ulp of the target scale.
        return Some(0);
    };
    let (q, r) = (unscaled / f, unscaled % f);
    Some(if r.unsigned_abs() >= f.unsigned_abs().div_ceil(2) {
        q + unscaled.signum()
    } else {
        q
    })
}

/// The instant of a raw timestamp value (`None` for other values).
pub fn raw_instant(r: &Raw, tz: chrono_tz::Tz) -> Option<Instant> {
    match r {
        Raw::Local(t) => Some(Instant::of_local(*t, tz)),
        Raw::Instant(t) => Some(Instant::from_utc(*t)),
        Raw::Date(d) => Some(Instant::of_local(d.and_time(NaiveTime::MIN), tz)),
        _ => None,
    }
}

fn bigdecimal_to_connect(d: &BigDecimal, scale: i32, col: &str) -> Result<Decimal, ValueError> {
    // Java: `BigDecimal#setScale(scale, RoundingMode.HALF_UP)` in the column converter.
    let d = d.with_scale_round(scale as i64, bigdecimal::RoundingMode::HalfUp);
    let (unscaled, _) = d.into_bigint_and_exponent();
    let _ = col;
    Ok(Decimal::new(unscaled, scale))
}

fn int_value(k: ColKind, v: i128, col: &str) -> Result<Value, ValueError> {
    let out_of_range = || ValueError {
        column: col.to_string(),
        reason: format!("value {v} does not fit the column's Connect type"),
    };
    Ok(match k {
        ColKind::Int8 => Value::Int8(i8::try_from(v).map_err(|_| out_of_range())?),
        ColKind::Int16 => Value::Int16(i16::try_from(v).map_err(|_| out_of_range())?),
        ColKind::Int32 => Value::Int32(i32::try_from(v).map_err(|_| out_of_range())?),
        ColKind::Int64 => Value::Int64(i64::try_from(v).map_err(|_| out_of_range())?),
        ColKind::Float32 => Value::Float32(v as f32),
        ColKind::Float64 => Value::Float64(v as f64),
        ColKind::Boolean => Value::Boolean(v != 0),
        ColKind::Decimal { scale } => {
            Value::Decimal(bigdecimal_to_connect(&BigDecimal::from(v), scale, col)?)
        }
        ColKind::String => Value::String(v.to_string().into()),
        _ => return Err(out_of_range()),
    })
}

fn iso(t: NaiveDateTime, digits: usize) -> String {
    let base = t.format("%Y-%m-%dT%H:%M:%S").to_string();
    let frac = format!("{:09}", t.nanosecond() % 1_000_000_000);
    format!("{base}.{}", &frac[..digits])
}

/// Days from 0001-01-01 (chrono's "CE" day 1) to 1970-01-01.
const EPOCH_DAYS_FROM_CE: i64 = 719_163;

/// A Connect Date: the day's midnight UTC in milliseconds since the epoch (Java
/// `DateTimeUtils.getDateUTC`).
fn date_millis(d: NaiveDate) -> i64 {
    (i64::from(d.num_days_from_ce()) - EPOCH_DAYS_FROM_CE) * logical::MILLIS_PER_DAY
}

/// [`to_connect`] for the pairs of raw value and column kind that nearly every row holds
/// (whole numbers, doubles, booleans, text, decimals already at the column's scale, dates,
/// and timestamps read in UTC), without its error plumbing; `None` for everything else,
/// including values that do not fit, which `to_connect` then converts or reports. A text
/// value is moved out of `raw`. Called once per column of every row, where the general
/// function's moves of large results cost more than the conversion itself.
#[inline]
pub fn to_connect_common(raw: &mut Raw, k: ColKind, tz: chrono_tz::Tz) -> Option<Value> {
    Some(match (raw, k) {
        (Raw::Null, _) => Value::Null,
        (Raw::I64(v), ColKind::Int64) => Value::Int64(*v),
        (Raw::I64(v), ColKind::Int32) => Value::Int32(i32::try_from(*v).ok()?),
        (Raw::I64(v), ColKind::Int16) => Value::Int16(i16::try_from(*v).ok()?),
        (Raw::Bool(b), ColKind::Boolean) => Value::Boolean(*b),
        (Raw::F64(f), ColKind::Float64) => Value::Float64(*f),
        (Raw::F32(f), ColKind::Float32) => Value::Float32(*f),
        (Raw::Str(s), ColKind::String) => Value::String(std::mem::take(s).into()),
        (Raw::Num { unscaled, scale }, ColKind::Decimal { scale: to }) if *scale == to => {
            Value::Decimal(Decimal::new(*unscaled, to))
        }
        (Raw::Date(d), ColKind::Date) => Value::Timestamp(date_millis(*d)),
        (Raw::Local(t), ColKind::Timestamp(Granularity::ConnectLogical)) if is_utc(tz) => {
            Value::Timestamp(Instant::from_utc(t.and_utc()).millis())
        }
        _ => return None,
    })
}

/// The Connect value of a raw column value.
pub fn to_connect(raw: Raw, k: ColKind, col: &str, tz: chrono_tz::Tz) -> Result<Value, ValueError> {
    let bad = |what: &str| ValueError {
        column: col.to_string(),
        reason: format!("cannot convert {what} to {k:?}"),
    };
    Ok(match raw {
        Raw::Null => Value::Null,
        Raw::Bool(b) => match k {
            ColKind::Boolean => Value::Boolean(b),
            _ => int_value(k, b as i128, col)?,
        },
        Raw::I64(v) => int_value(k, v as i128, col)?,
        Raw::U64(v) => int_value(k, v as i128, col)?,
        Raw::F32(f) => match k {
            ColKind::Float32 => Value::Float32(f),
            ColKind::Float64 => Value::Float64(f as f64),
            _ => return Err(bad("a float")),
        },
        Raw::F64(f) => match k {
            ColKind::Float32 => Value::Float32(f as f32),
            ColKind::Float64 => Value::Float64(f),
            _ => return Err(bad("a double")),
        },
        Raw::Dec(d) => match k {
            ColKind::Decimal { scale } => Value::Decimal(bigdecimal_to_connect(&d, scale, col)?),
            ColKind::Float64 => {
                Value::Float64(d.to_string().parse().map_err(|_| bad("a decimal"))?)
            }
            ColKind::Float32 => {
                Value::Float32(d.to_string().parse().map_err(|_| bad("a decimal"))?)
            }
            ColKind::String => Value::String(d.to_string().into()),
            _ => {
                // Integral by precision: the value is whole (scale ≤ 0), as Java's
                // `BigDecimal#longValue` reads it.
                let (int, _) = d.with_scale(0).as_bigint_and_exponent();
                let v: i128 = int.try_into().map_err(|_| bad("a decimal"))?;
                int_value(k, v, col)?
            }
        },
        Raw::Num {
            unscaled,
            scale: from,
        } => match k {
            ColKind::Decimal { scale } => match rescale_half_up(unscaled, from, scale) {
                Some(v) => Value::Decimal(Decimal::new(v, scale)),
                None => Value::Decimal(bigdecimal_to_connect(
                    &BigDecimal::new(unscaled.into(), from as i64),
                    scale,
                    col,
                )?),
            },
            // Java `BigDecimal#doubleValue`: the nearest double, as parsing the decimal text.
            ColKind::Float64 => Value::Float64(
                format!("{unscaled}e-{from}")
                    .parse()
                    .map_err(|_| bad("a decimal"))?,
            ),
            ColKind::Float32 => Value::Float32(
                format!("{unscaled}e-{from}")
                    .parse()
                    .map_err(|_| bad("a decimal"))?,
            ),
            _ => to_connect(
                Raw::Dec(BigDecimal::new(unscaled.into(), from as i64)),
                k,
                col,
                tz,
            )?,
        },
        Raw::Str(s) => match k {
            ColKind::String => Value::String(s.into()),
            _ => return Err(bad("a string")),
        },
        Raw::Bytes(b) => match k {
            ColKind::Bytes => Value::Bytes(b),
            ColKind::Int8 => Value::Int8(b.last().copied().unwrap_or(0) as i8),
            _ => return Err(bad("bytes")),
        },
        // DATE is read in UTC (Java: `DateTimeUtils.getDateUTC`).
        Raw::Date(d) => match k {
            ColKind::Date => Value::Timestamp(date_millis(d)),
            ColKind::Timestamp(g) => timestamp_value(d.and_time(NaiveTime::MIN), None, g, tz),
            _ => return Err(bad("a date")),
        },
        // TIME: milliseconds of the day (Java truncates to ms).
        Raw::Time(t) => match k {
            ColKind::Time => Value::Timestamp(
                t.num_seconds_from_midnight() as i64 * 1000 + (t.nanosecond() / 1_000_000) as i64,
            ),
            _ => return Err(bad("a time")),
        },
        Raw::Local(t) => match k {
            ColKind::Timestamp(g) => timestamp_value(t, None, g, tz),
            ColKind::Date => Value::Timestamp(date_millis(t.date())),
            _ => return Err(bad("a timestamp")),
        },
        Raw::Instant(i) => match k {
            ColKind::Timestamp(g) => {
                timestamp_value(i.with_timezone(&tz).naive_local(), Some(i), g, tz)
            }
            _ => return Err(bad("a timestamp")),
        },
    })
}

fn timestamp_value(
    local: NaiveDateTime,
    instant: Option<chrono::DateTime<Utc>>,
    g: Granularity,
    tz: chrono_tz::Tz,
) -> Value {
    let i = instant
        .map(Instant::from_utc)
        .unwrap_or_else(|| Instant::of_local(local, tz));
    let nanos_total = i.secs as i128 * 1_000_000_000 + i.nanos as i128;
    match g {
        Granularity::ConnectLogical => Value::Timestamp(i.millis()),
        Granularity::MicrosLong => Value::Int64((nanos_total / 1000) as i64),
        Granularity::NanosLong => Value::Int64(nanos_total as i64),
        Granularity::MicrosString => Value::String((nanos_total / 1000).to_string().into()),
        Granularity::NanosString => Value::String(nanos_total.to_string().into()),
        Granularity::MicrosIsoDatetimeString => Value::String(iso(local, 6).into()),
        Granularity::NanosIsoDatetimeString => Value::String(iso(local, 9).into()),
    }
}

/// The JDBC type the Java driver reports for a native type name (lower case, without
/// length/precision), per database.
///
/// ```
/// use rconnect_jdbc::types::{jdbc_type_of, JdbcType};
/// use rconnect_jdbc::url::DbKind;
/// assert_eq!(jdbc_type_of(DbKind::SqlServer, "money"), (JdbcType::Decimal, true));
/// assert_eq!(jdbc_type_of(DbKind::SqlServer, "tinyint"), (JdbcType::TinyInt, false));
/// ```
pub fn jdbc_type_of(kind: DbKind, type_name: &str) -> (JdbcType, bool) {
    let t = type_name.trim().to_ascii_lowercase();
    let unsigned = t.contains("unsigned");
    let base = t
        .replace(" unsigned", "")
        .replace(" zerofill", "")
        .split('(')
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    use JdbcType::*;
    let j = match kind {
        DbKind::SqlServer => match base.as_str() {
            "bit" => Bit,
            // The Microsoft driver reports tinyint as unsigned.
            "tinyint" => return (TinyInt, false),
            "smallint" => SmallInt,
            "int" => Integer,
            "bigint" => BigInt,
            "real" => Real,
            "float" => Double,
            "decimal" | "money" | "smallmoney" => Decimal,
            "numeric" => Numeric,
            "char" | "varchar" | "text" | "nchar" | "nvarchar" | "ntext" | "xml"
            | "uniqueidentifier" | "sysname" => Char,
            "binary" | "varbinary" | "image" | "timestamp" | "rowversion" | "hierarchyid" => Binary,
            "date" => Date,
            "time" => Time,
            "datetime" | "smalldatetime" | "datetime2" | "datetimeoffset" => Timestamp,
            _ => Unsupported,
        },
        DbKind::Postgres => match base.as_str() {
            "bool" | "boolean" => Boolean,
            "bit" | "varbit" | "bit varying" => Bit,
            "int2" | "smallint" | "smallserial" => SmallInt,
            "int4" | "integer" | "int" | "serial" => Integer,
            "int8" | "bigint" | "bigserial" | "oid" => BigInt,
            "float4" | "real" => Real,
            "float8" | "double precision" | "money" => Double,
            "numeric" | "decimal" => Numeric,
            "text" | "varchar" | "character varying" | "bpchar" | "char" | "character" | "name"
            | "json" | "jsonb" | "uuid" | "xml" | "citext" => Char,
            "bytea" => Binary,
            "date" => Date,
            "time" | "timetz" | "time without time zone" | "time with time zone" => Time,
            "timestamp"
            | "timestamptz"
            | "timestamp without time zone"
            | "timestamp with time zone" => Timestamp,
            _ => Unsupported,
        },
        DbKind::MySql => match base.as_str() {
            // Connector/J reports TINYINT(1) as BIT (tinyInt1isBit), and BIT → INT8.
            "boolean" | "bool" | "bit" => Bit,
            "tinyint" => TinyInt,
            "smallint" => SmallInt,
            "mediumint" | "int" | "integer" => Integer,
            "bigint" => return (BigInt, true),
            "float" => Real,
            "double" | "real" => Double,
            "decimal" | "numeric" => Decimal,
            "char" | "varchar" | "tinytext" | "text" | "mediumtext" | "longtext" | "enum"
            | "set" | "json" => Char,
            "binary" | "varbinary" | "tinyblob" | "blob" | "mediumblob" | "longblob" => Binary,
            // Connector/J: yearIsDateType=true.
            "date" | "year" => Date,
            "time" => Time,
            "datetime" | "timestamp" => Timestamp,
            _ => Unsupported,
        },
    };
    (j, !unsigned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_their_midnight_utc() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(date_millis(d(1970, 1, 1)), 0);
        assert_eq!(date_millis(d(1969, 12, 31)), -86_400_000);
        assert_eq!(date_millis(d(2024, 1, 1)), 19_723 * 86_400_000);
        assert_eq!(date_millis(d(1, 1, 1)), -719_162 * 86_400_000);
    }

    /// Wherever the common path answers, it answers what `to_connect` does; where it does
    /// not, `to_connect` still converts or reports the value.
    #[test]
    fn common_conversions_match_to_connect() {
        let kinds = [
            ColKind::Boolean,
            ColKind::Int8,
            ColKind::Int16,
            ColKind::Int32,
            ColKind::Int64,
            ColKind::Float32,
            ColKind::Float64,
            ColKind::Decimal { scale: 2 },
            ColKind::Decimal { scale: 0 },
            ColKind::String,
            ColKind::Bytes,
            ColKind::Date,
            ColKind::Time,
            ColKind::Timestamp(Granularity::ConnectLogical),
            ColKind::Timestamp(Granularity::MicrosLong),
        ];
        let mut raws = vec![Raw::Null, Raw::Bool(true), Raw::Str("é x".into())];
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..3_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let v = state as i64;
            raws.extend([
                Raw::I64(v),
                Raw::I64(v % 40_000),
                Raw::I64(v % 3_000_000_000),
                Raw::F64(f64::from_bits(state)),
                Raw::F32(f32::from_bits(state as u32)),
                Raw::Num {
                    unscaled: i128::from(v) * 1_000,
                    scale: (state % 5) as i32,
                },
                Raw::Date(
                    NaiveDate::from_num_days_from_ce_opt((state % 3_000_000) as i32 - 400_000)
                        .unwrap(),
                ),
                Raw::Local(
                    chrono::DateTime::from_timestamp(
                        (v % 20_000_000_000) - 10_000_000_000,
                        (state % 1_000_000_000) as u32,
                    )
                    .unwrap()
                    .naive_utc(),
                ),
            ]);
        }
        let mut answered = 0;
        for tz in [chrono_tz::Tz::UTC, chrono_tz::Tz::Europe__Berlin] {
            for raw in &raws {
                for &k in &kinds {
                    let mut r = raw.clone();
                    if let Some(fast) = to_connect_common(&mut r, k, tz) {
                        answered += 1;
                        let general = to_connect(raw.clone(), k, "c", tz);
                        // By their Debug text, so that NaN matches NaN.
                        assert_eq!(
                            format!("{:?}", Ok::<_, ValueError>(fast)),
                            format!("{general:?}"),
                            "{raw:?} as {k:?} in {tz}"
                        );
                    }
                }
            }
        }
        assert!(
            answered > 20_000,
            "the common path answered {answered} times"
        );
    }

    fn col(kind: DbKind, t: &str, p: i32, s: Option<i32>) -> ColumnDef {
        let (jdbc, signed) = jdbc_type_of(kind, t);
        ColumnDef {
            name: "c".into(),
            type_name: t.into(),
            jdbc,
            signed,
            precision: p,
            scale: s,
            optional: true,
            bits: if kind == DbKind::Postgres && t.starts_with("bit") {
                p
            } else {
                0
            },
        }
    }

    fn kind(k: DbKind, t: &str, p: i32, s: Option<i32>, m: NumericMapping) -> Option<ColKind> {
        map_column(&col(k, t, p, s), m, Granularity::ConnectLogical)
    }

    #[test]
    fn sqlserver_mapping_matches_the_microsoft_driver() {
        use ColKind::*;
        let n = NumericMapping::None;
        let ss = DbKind::SqlServer;
        assert_eq!(kind(ss, "bit", 1, Some(0), n), Some(Int8));
        assert_eq!(kind(ss, "tinyint", 3, Some(0), n), Some(Int16));
        assert_eq!(kind(ss, "smallint", 5, Some(0), n), Some(Int16));
        assert_eq!(kind(ss, "int", 10, Some(0), n), Some(Int32));
        assert_eq!(kind(ss, "bigint", 19, Some(0), n), Some(Int64));
        assert_eq!(kind(ss, "real", 24, None, n), Some(Float32));
        assert_eq!(kind(ss, "float", 53, None, n), Some(Float64));
        assert_eq!(
            kind(ss, "money", 19, Some(4), n),
            Some(Decimal { scale: 4 })
        );
        assert_eq!(kind(ss, "uniqueidentifier", 36, None, n), Some(String));
        assert_eq!(kind(ss, "nvarchar(max)", 0, None, n), Some(String));
        assert_eq!(kind(ss, "varbinary", 0, None, n), Some(Bytes));
        assert_eq!(kind(ss, "rowversion", 8, None, n), Some(Bytes));
        assert_eq!(kind(ss, "date", 10, None, n), Some(Date));
        assert_eq!(kind(ss, "time", 16, Some(7), n), Some(Time));
        assert_eq!(
            kind(ss, "datetime2", 27, Some(7), n),
            Some(Timestamp(Granularity::ConnectLogical))
        );
        assert_eq!(
            kind(ss, "datetimeoffset", 34, Some(7), n),
            Some(Timestamp(Granularity::ConnectLogical))
        );
        assert_eq!(kind(ss, "sql_variant", 0, None, n), None);
        assert_eq!(kind(ss, "geography", 0, None, n), None);
        // `decimal` ignores numeric.mapping; `numeric` follows it.
        let bf = NumericMapping::BestFit;
        assert_eq!(
            kind(ss, "decimal", 10, Some(0), bf),
            Some(Decimal { scale: 0 })
        );
        assert_eq!(kind(ss, "numeric", 10, Some(0), bf), Some(Int64));
        assert_eq!(kind(ss, "numeric", 4, Some(0), bf), Some(Int16));
        assert_eq!(kind(ss, "numeric", 2, Some(0), bf), Some(Int8));
        assert_eq!(kind(ss, "numeric", 7, Some(0), bf), Some(Int32));
        assert_eq!(kind(ss, "numeric", 10, Some(2), bf), Some(Float64));
        assert_eq!(
            kind(ss, "numeric", 20, Some(2), bf),
            Some(Decimal { scale: 2 })
        );
        let e = NumericMapping::BestFitEagerDouble;
        assert_eq!(kind(ss, "numeric", 30, Some(2), e), Some(Float64));
        let po = NumericMapping::PrecisionOnly;
        assert_eq!(
            kind(ss, "numeric", 10, Some(2), po),
            Some(Decimal { scale: 2 })
        );
        assert_eq!(kind(ss, "numeric", 10, Some(0), po), Some(Int64));
    }

    #[test]
    fn postgres_and_mysql_mapping() {
        use ColKind::*;
        let n = NumericMapping::None;
        let pg = DbKind::Postgres;
        assert_eq!(kind(pg, "bool", 1, None, n), Some(Boolean));
        assert_eq!(kind(pg, "int2", 5, None, n), Some(Int16));
        assert_eq!(
            kind(pg, "numeric", 0, None, n),
            Some(Decimal { scale: 127 })
        );
        assert_eq!(
            kind(pg, "numeric", 12, Some(3), n),
            Some(Decimal { scale: 3 })
        );
        assert_eq!(kind(pg, "uuid", 0, None, n), Some(String));
        assert_eq!(kind(pg, "jsonb", 0, None, n), Some(String));
        assert_eq!(
            kind(pg, "timestamptz", 0, None, n),
            Some(Timestamp(Granularity::ConnectLogical))
        );
        assert_eq!(kind(pg, "_int4", 0, None, n), None, "arrays are dropped");
        let my = DbKind::MySql;
        assert_eq!(kind(my, "boolean", 1, None, n), Some(Int8));
        assert_eq!(kind(my, "tinyint unsigned", 3, None, n), Some(Int16));
        assert_eq!(kind(my, "int unsigned", 10, None, n), Some(Int64));
        assert_eq!(kind(my, "mediumint", 7, None, n), Some(Int32));
        assert_eq!(kind(my, "float", 12, None, n), Some(Float32));
        assert_eq!(
            kind(my, "decimal", 10, Some(2), NumericMapping::BestFit),
            Some(Decimal { scale: 2 })
        );
        assert_eq!(kind(my, "longtext", 0, None, n), Some(String));
        assert_eq!(kind(my, "varbinary", 0, None, n), Some(Bytes));
        assert_eq!(kind(my, "year", 4, None, n), Some(Date));
    }

    #[test]
    fn values_convert_as_java() {
        let utc = chrono_tz::UTC;
        let d: BigDecimal = "12.5".parse().unwrap();
        let v = to_connect(Raw::Dec(d), ColKind::Decimal { scale: 2 }, "p", utc).unwrap();
        assert_eq!(v, Value::Decimal(Decimal::new(1250, 2)));
        let t = NaiveDate::from_ymd_opt(2023, 11, 14)
            .unwrap()
            .and_hms_nano_opt(22, 13, 20, 123_456_700)
            .unwrap();
        let v = to_connect(
            Raw::Local(t),
            ColKind::Timestamp(Granularity::ConnectLogical),
            "ts",
            utc,
        )
        .unwrap();
        assert_eq!(v, Value::Timestamp(1_700_000_000_123));
        let ny: chrono_tz::Tz = "America/New_York".parse().unwrap();
        let v = to_connect(
            Raw::Local(t),
            ColKind::Timestamp(Granularity::ConnectLogical),
            "ts",
            ny,
        )
        .unwrap();
        assert_eq!(v, Value::Timestamp(1_700_000_000_123 + 5 * 3600 * 1000));
        let v = to_connect(
            Raw::Local(t),
            ColKind::Timestamp(Granularity::NanosIsoDatetimeString),
            "ts",
            utc,
        )
        .unwrap();
        assert_eq!(v, Value::String("2023-11-14T22:13:20.123456700".into()));
        let v = to_connect(
            Raw::Local(t),
            ColKind::Timestamp(Granularity::MicrosLong),
            "ts",
            utc,
        )
        .unwrap();
        assert_eq!(v, Value::Int64(1_700_000_000_123_456));
        let v = to_connect(Raw::Date(t.date()), ColKind::Date, "d", ny).unwrap();
        assert_eq!(v, Value::Timestamp(19675 * 86_400_000));
        let v = to_connect(Raw::Time(t.time()), ColKind::Time, "t", utc).unwrap();
        assert_eq!(v, Value::Timestamp((22 * 3600 + 13 * 60 + 20) * 1000 + 123));
        // 128-bit decimals: rescaled HALF_UP as Java's setScale, doubles correctly rounded.
        let num = |u: i128, s: i32| Raw::Num {
            unscaled: u,
            scale: s,
        };
        let dec = |r: Raw, s: i32| to_connect(r, ColKind::Decimal { scale: s }, "p", utc).unwrap();
        assert_eq!(dec(num(1234, 2), 2), Value::Decimal(Decimal::new(1234, 2)));
        assert_eq!(
            dec(num(1234, 2), 4),
            Value::Decimal(Decimal::new(123400, 4))
        );
        assert_eq!(dec(num(1235, 3), 2), Value::Decimal(Decimal::new(124, 2)));
        assert_eq!(dec(num(-1235, 3), 2), Value::Decimal(Decimal::new(-124, 2)));
        assert_eq!(dec(num(1234, 3), 2), Value::Decimal(Decimal::new(123, 2)));
        // Unconstrained PostgreSQL numerics have scale 127: beyond 128 bits.
        let mut big = num_bigint::BigInt::from(5);
        for _ in 0..126 {
            big *= 10;
        }
        assert_eq!(dec(num(5, 1), 127), Value::Decimal(Decimal::new(big, 127)));
        assert_eq!(
            to_connect(num(1, 1), ColKind::Float64, "f", utc).unwrap(),
            Value::Float64(0.1)
        );
        assert_eq!(
            to_connect(num(4200, 2), ColKind::Int32, "i", utc).unwrap(),
            Value::Int32(42)
        );
        let e = to_connect(Raw::I64(300), ColKind::Int8, "small", utc).unwrap_err();
        assert!(e.to_string().contains("Column 'small'"), "{e}");
        let v = to_connect(Raw::Dec("42".parse().unwrap()), ColKind::Int16, "n", utc).unwrap();
        assert_eq!(v, Value::Int16(42));
    }
}
