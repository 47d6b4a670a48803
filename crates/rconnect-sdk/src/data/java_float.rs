//! Java's `Double.toString` / `Float.toString`, written straight into a byte buffer.

use std::io::Write as _;

/// Appends Java's `Double.toString` (or `Float.toString` when `is_f32`) of a finite `x`:
/// shortest round-trip digits, plain notation for 1e-3 ≤ |x| < 1e7 (always with a
/// fractional digit), otherwise `d.dddE±n`.
///
/// It allocates nothing, since the JSON writer calls it once per floating-point field;
/// [`crate::data::logical::java_float_string`] is the `String` form.
///
/// ```
/// let mut out = Vec::new();
/// rconnect_sdk::data::java_float::write_java_float(&mut out, f64::from_bits(1), false);
/// assert_eq!(out, b"4.9E-324");
/// ```
pub fn write_java_float(out: &mut Vec<u8>, x: f64, is_f32: bool) {
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
    let mut exp: i32 = std::str::from_utf8(&sci[(e_pos + 1).min(len)..])
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    if nd == 1 {
        if let Some((two, two_exp)) = closest_two_digits(x, is_f32) {
            digits[..2].copy_from_slice(&two);
            nd = 2;
            exp = two_exp;
        }
    }
    let digits = &digits[..nd];
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
        // Writing into a Vec cannot fail.
        let _ = write!(out, "{exp}");
    }
}

/// Java (JDK 19+, JDK-4511638) `Double.toString`: when the shortest decimal that rounds to
/// `x` has one digit, the two-digit decimal closest to `x` is written instead, so
/// `Double.MIN_VALUE` is `4.9E-324`, not `5.0E-324`. `None` when that decimal ends in 0
/// (it renders as the one digit does) or does not round back to `x`.
fn closest_two_digits(x: f64, is_f32: bool) -> Option<([u8; 2], i32)> {
    let mut buf = [0u8; 48];
    let mut cur = std::io::Cursor::new(&mut buf[..]);
    // `{:.1e}` rounds the exact binary value, so this is the closest two-digit decimal.
    if is_f32 {
        write!(cur, "{:.1e}", (x as f32).abs()).ok()?;
    } else {
        write!(cur, "{:.1e}", x.abs()).ok()?;
    }
    let len = cur.position() as usize;
    let text = std::str::from_utf8(&buf[..len]).ok()?;
    let b = text.as_bytes();
    if b.len() < 5 || b[3] != b'e' || b[2] == b'0' {
        return None;
    }
    let rounds_back = if is_f32 {
        text.parse::<f32>().ok()? == (x as f32).abs()
    } else {
        text.parse::<f64>().ok()? == x.abs()
    };
    rounds_back.then(|| ([b[0], b[2]], text[4..].parse().unwrap_or(0)))
}
