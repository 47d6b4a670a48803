//! Java-compatible number and date renderings, written straight into byte buffers.

use rconnect_sdk::data::logical::{civil_from_days, MILLIS_PER_DAY};

pub(crate) use rconnect_sdk::data::java_float::write_java_float;

/// Java `String.valueOf(double)` / `String.valueOf(float)`, NaN and infinities included.
pub(crate) use rconnect_sdk::data::logical::java_float_string as java_float;

/// Splits epoch milliseconds into (year, month, day, hour, minute, second, millisecond) in UTC.
fn fields(ms: i64) -> (i64, u32, u32, i64, i64, i64, i64) {
    let days = ms.div_euclid(MILLIS_PER_DAY);
    let rem = ms.rem_euclid(MILLIS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    (
        y,
        m,
        d,
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000,
    )
}

/// `SimpleDateFormat("yyyy")` prints the year of era: 1 BC (proleptic year 0) is `0001`.
fn year_of_era(y: i64) -> i64 {
    if y <= 0 {
        1 - y
    } else {
        y
    }
}

/// Java `Values.dateFormatFor(date).format(date)` in UTC: `HH:mm:ss.SSS'Z'` below one day,
/// `yyyy-MM-dd` on exact day boundaries, otherwise `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`.
///
/// Dates before the 1582 Gregorian cut-over are rendered in the proleptic Gregorian
/// calendar, whereas Java's `SimpleDateFormat` switches to the Julian calendar there.
pub(crate) fn format_values_date(ms: i64) -> String {
    let (y, mo, d, h, mi, s, milli) = fields(ms);
    if ms < MILLIS_PER_DAY {
        format!("{h:02}:{mi:02}:{s:02}.{milli:03}Z")
    } else if ms % MILLIS_PER_DAY == 0 {
        format!("{:04}-{mo:02}-{d:02}", year_of_era(y))
    } else {
        format!(
            "{:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z",
            year_of_era(y)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(x: f64, is_f32: bool) -> String {
        java_float(x, is_f32)
    }

    #[test]
    fn java_doubles_and_floats() {
        assert_eq!(f(1.0, false), "1.0");
        assert_eq!(f(1e10, false), "1.0E10");
        assert_eq!(f(-2.5e-7, false), "-2.5E-7");
        assert_eq!(f(0.001, false), "0.001");
        assert_eq!(f(1234567.0, false), "1234567.0");
        assert_eq!(f(12345678.0, false), "1.2345678E7");
        assert_eq!(f(0.1f32 as f64, true), "0.1");
        assert_eq!(f(3.4028235e38f32 as f64, true), "3.4028235E38");
        assert_eq!(f(-0.0, false), "-0.0");
        assert_eq!(f(f64::NAN, false), "NaN");
        assert_eq!(f(f64::NEG_INFINITY, false), "-Infinity");
        assert_eq!(f(100.25, false), "100.25");
        // One shortest digit: the closest two-digit decimal (JDK 19+).
        assert_eq!(f(f64::from_bits(1), false), "4.9E-324");
        assert_eq!(f(-f64::from_bits(1), false), "-4.9E-324");
        assert_eq!(f(f32::from_bits(1) as f64, true), "1.4E-45");
        assert_eq!(f(2e-3, false), "0.002");
        assert_eq!(f(1e22, false), "1.0E22");
        assert_eq!(f(3e10, false), "3.0E10");
    }

    #[test]
    fn values_dates() {
        assert_eq!(format_values_date(0), "00:00:00.000Z");
        assert_eq!(format_values_date(45_296_789), "12:34:56.789Z");
        assert_eq!(format_values_date(19782 * MILLIS_PER_DAY), "2024-02-29");
        assert_eq!(
            format_values_date(19782 * MILLIS_PER_DAY + 45_296_789),
            "2024-02-29T12:34:56.789Z"
        );
        // Negative instants are below one day, so Java renders them as a time of day.
        assert_eq!(format_values_date(-1), "23:59:59.999Z");
    }
}
