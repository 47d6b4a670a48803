//! Java-compatible number and date renderings, written straight into byte buffers.

use rconnect_sdk::data::logical::{civil_from_days, MILLIS_PER_DAY};
use std::io::Write as _;

/// Appends Java's `Double.toString` (or `Float.toString` when `is_f32`) of a finite `x`:
/// shortest round-trip digits, plain notation for 1e-3 ≤ |x| < 1e7 (always with a
/// fractional digit), otherwise `d.dddE±n`.
///
/// Same rules as `rconnect_sdk::data::logical::java_float_string`, but without heap
/// allocation, since the JSON writer calls it once per floating-point field.
pub(crate) fn write_java_float(out: &mut Vec<u8>, x: f64, is_f32: bool) {
    if x == 0.0 {
        out.extend_from_slice(if x.is_sign_negative() {
            b"-0.0"
        } else {
            b"0.0"
        });
        return;
    }
    let mut buf = [0u8; 48];
    let len = {
        let mut cur = std::io::Cursor::new(&mut buf[..]);
        // 48 bytes hold any `{:e}` rendering of an f64 (at most 17 digits plus sign,
        // point and a 4-character exponent), so this write cannot fail.
        let _ = if is_f32 {
            write!(cur, "{:e}", x as f32)
        } else {
            write!(cur, "{x:e}")
        };
        cur.position() as usize
    };
    let sci = &buf[..len];
    let neg = sci[0] == b'-';
    let e_pos = sci.iter().position(|&c| c == b'e').unwrap_or(len);
    let mut digits = [0u8; 24];
    let mut nd = 0;
    for &c in &sci[..e_pos] {
        if c.is_ascii_digit() && nd < digits.len() {
            digits[nd] = c;
            nd += 1;
        }
    }
    let digits = &digits[..nd];
    let exp: i32 = std::str::from_utf8(&sci[(e_pos + 1).min(len)..])
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    if neg {
        out.push(b'-');
    }
    if (-3..7).contains(&exp) {
        let point = exp + 1;
        if point <= 0 {
            out.extend_from_slice(b"0.");
            for _ in 0..(-point) {
                out.push(b'0');
            }
            out.extend_from_slice(digits);
        } else if point as usize >= digits.len() {
            out.extend_from_slice(digits);
            for _ in 0..(point as usize - digits.len()) {
                out.push(b'0');
            }
            out.extend_from_slice(b".0");
        } else {
            let (a, b) = digits.split_at(point as usize);
            out.extend_from_slice(a);
            out.push(b'.');
            out.extend_from_slice(b);
        }
    } else {
        out.push(digits[0]);
        out.push(b'.');
        if digits.len() > 1 {
            out.extend_from_slice(&digits[1..]);
        } else {
            out.push(b'0');
        }
        out.push(b'E');
        let mut ib = itoa::Buffer::new();
        out.extend_from_slice(ib.format(exp).as_bytes());
    }
}

/// Java `String.valueOf(double)` / `String.valueOf(float)` as a `String`, NaN and
/// infinities included.
pub(crate) fn java_float(x: f64, is_f32: bool) -> String {
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
    let mut v = Vec::with_capacity(24);
    write_java_float(&mut v, x, is_f32);
    String::from_utf8(v).unwrap_or_default()
}

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
