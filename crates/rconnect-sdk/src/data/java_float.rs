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
    if !is_f32 && write_short_decimal(out, x) {
        return;
    }
    write_shortest(out, x, is_f32);
}

/// Powers of ten that are exact doubles, for [`write_short_decimal`].
const TENS: [f64; 4] = [1.0, 10.0, 100.0, 1000.0];

/// The common case without the general digit search: a double in Java's plain range
/// (below 1e7) that is the nearest double to a decimal with at most three fractional
/// digits (`12345.5`, `19.99`, `300.0`). Such a decimal is the shortest that reads back
/// as `x`: every decimal with fewer fractional digits is at least 10^-3 away, far more
/// than half an ulp below 1e7 (2^-30), so it is what `Double.toString` prints. False,
/// writing nothing, for anything else (and for one-digit non-integers such as `0.3`,
/// where JDK's two-digit rule applies).
fn write_short_decimal(out: &mut Vec<u8>, x: f64) -> bool {
    let a = x.abs();
    if !(1e-3..1e7).contains(&a) {
        return false;
    }
    for (k, &p) in TENS.iter().enumerate() {
        let m = a * p;
        if m != m.trunc() || m / p != a {
            continue;
        }
        // m < 1e10: exact in u64. `a * p` can be whole for a larger k than needed
        // (19.99 × 100 is not, × 1000 is), so trailing zeros are dropped here.
        let m = m as u64;
        let mut k = k;
        let pow = 10u64.pow(k as u32);
        let (int, mut frac) = (m / pow, m % pow);
        while k > 0 && frac % 10 == 0 {
            frac /= 10;
            k -= 1;
        }
        if k > 0 && int == 0 && frac < 10 {
            // One significant digit below 1 (`0.3`): JDK's two-digit rule may apply, and
            // the general path decides.
            return false;
        }
        if x.is_sign_negative() {
            out.push(b'-');
        }
        let mut buf = itoa::Buffer::new();
        out.extend_from_slice(buf.format(int).as_bytes());
        out.push(b'.');
        if k == 0 {
            out.push(b'0');
        } else {
            // The k fractional digits with their leading zeros.
            let digits = buf.format(frac).as_bytes();
            for _ in digits.len()..k {
                out.push(b'0');
            }
            out.extend_from_slice(digits);
        }
        return true;
    }
    false
}

/// The general path of [`write_java_float`].
fn write_shortest(out: &mut Vec<u8>, x: f64, is_f32: bool) {
    if x == 0.0 {
        out.extend_from_slice(if x.is_sign_negative() {
            b"-0.0"
        } else {
            b"0.0"
        });
        return;
    }
    let mut digits = [0u8; 24];
    let (neg, mut nd, mut exp) = shortest_digits(x, is_f32, &mut digits);
    if nd == 1 && !one_digit_is_exact(digits[0], exp, x) {
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

/// The shortest round-trip decimal digits of a finite, non-zero `x` (as an `f32` when
/// `is_f32`) into `digits`, without trailing zeros: (negative, digit count, decimal exponent
/// of the first digit). ryu prints them; this reads its output, which is plain for some
/// exponents (`0.0005`, `123.0`) and scientific for others (`1e16`, `1.5e-7`).
fn shortest_digits(x: f64, is_f32: bool, digits: &mut [u8; 24]) -> (bool, usize, i32) {
    let mut buf = ryu::Buffer::new();
    let text = if is_f32 {
        buf.format_finite(x as f32)
    } else {
        buf.format_finite(x)
    }
    .as_bytes();
    let neg = text.first() == Some(&b'-');
    let body = if neg { &text[1..] } else { text };
    let e_pos = body.iter().position(|&c| c == b'e').unwrap_or(body.len());
    let mut e: i32 = 0;
    if e_pos < body.len() {
        let (sign, num) = match body[e_pos + 1] {
            b'-' => (-1, &body[e_pos + 2..]),
            _ => (1, &body[e_pos + 1..]),
        };
        e = sign * num.iter().fold(0i32, |a, &c| a * 10 + i32::from(c - b'0'));
    }
    let mantissa = &body[..e_pos];
    let int_digits = mantissa
        .iter()
        .position(|&c| c == b'.')
        .unwrap_or(mantissa.len()) as i32;
    let mut nd = 0;
    let mut leading_zeros = 0;
    for &c in mantissa.iter().filter(|c| c.is_ascii_digit()) {
        if nd == 0 && c == b'0' {
            leading_zeros += 1;
        } else if nd < digits.len() {
            digits[nd] = c;
            nd += 1;
        }
    }
    if nd == 0 {
        // Zero (an f64 that underflows as f32): `{:e}` prints it as `0e0`.
        digits[0] = b'0';
        return (neg, 1, 0);
    }
    while nd > 1 && digits[nd - 1] == b'0' {
        nd -= 1;
    }
    (neg, nd, int_digits - 1 - leading_zeros + e)
}

/// Whether `x` is exactly `digit × 10^exp`; then the closest two-digit decimal is
/// `digit.0` and [`closest_two_digits`] has nothing to add. Decides the common cases
/// (whole numbers, 0.5) without formatting again; `false` means "not known to be exact".
fn one_digit_is_exact(digit: u8, exp: i32, x: f64) -> bool {
    let d = f64::from(digit - b'0');
    match exp {
        // d × 10^15 < 2^53: the product is exact.
        0..=15 => d * 10f64.powi(exp) == x.abs(),
        -1 => digit == b'5' && x.abs() == 0.5,
        _ => false,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The digits as Rust's `{:e}` (Grisu with Dragon fallback) prints them: the oracle
    /// for the ryu-based [`shortest_digits`].
    fn fmt_digits(x: f64, is_f32: bool) -> (bool, Vec<u8>, i32) {
        let text = if is_f32 {
            format!("{:e}", x as f32)
        } else {
            format!("{x:e}")
        };
        let (mantissa, exp) = text.split_once('e').unwrap();
        let digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
        (text.starts_with('-'), digits, exp.parse().unwrap())
    }

    fn check(x: f64, is_f32: bool) {
        if x == 0.0 || !x.is_finite() || (is_f32 && !(x as f32).is_finite()) {
            return;
        }
        let mut digits = [0u8; 24];
        let (neg, nd, exp) = shortest_digits(x, is_f32, &mut digits);
        let ours = (neg, digits[..nd].to_vec(), exp);
        let oracle = fmt_digits(x, is_f32);
        if ours != oracle {
            // Two shortest decimals equally close to `x`: JDK 19+ `Double.toString` (and
            // ryu) take the one whose last digit is even; Rust's `{:e}` may take the other.
            let value = |(neg, d, e): &(bool, Vec<u8>, i32)| {
                let text = format!(
                    "{}0.{}e{}",
                    if *neg { "-" } else { "" },
                    String::from_utf8_lossy(d),
                    e + 1
                );
                if is_f32 {
                    f64::from(text.parse::<f32>().unwrap())
                } else {
                    text.parse::<f64>().unwrap()
                }
            };
            let exact = if is_f32 { f64::from(x as f32) } else { x };
            assert!(
                ours.1.len() == oracle.1.len()
                    && value(&ours) == exact
                    && value(&oracle) == exact
                    && ours.1.last().is_some_and(|d| (d - b'0').is_multiple_of(2)),
                "{x:e} (f32: {is_f32}): {ours:?} against {oracle:?}"
            );
        }
        if nd == 1 && one_digit_is_exact(digits[0], exp, x) {
            assert_eq!(closest_two_digits(x, is_f32), None, "{x:e}");
        }
    }

    #[test]
    fn shortest_digits_match_rusts_formatting() {
        for x in [
            1.0,
            0.5,
            1.5,
            100.0,
            1e16,
            1e15,
            9e15,
            1.5e-7,
            0.0005,
            123456.0,
            1e-5,
            5e-324,
            f64::MAX,
            f64::MIN_POSITIVE,
            0.1,
            0.3,
            2.5e22,
            -7.0,
            -0.001,
            4.35,
            1e7,
            1e-3,
        ] {
            check(x, false);
            check(x, true);
        }
        // A deterministic spread over every exponent: xorshift64 bit patterns.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            check(f64::from_bits(state), false);
            check(f64::from(f32::from_bits(state as u32)), true);
            // Whole and half numbers, the common values of real columns.
            check((state % 10_000_000) as f64 * 0.5, false);
        }
    }

    #[test]
    fn java_strings() {
        let s = |x: f64, f: bool| {
            let mut out = Vec::new();
            write_java_float(&mut out, x, f);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(s(f64::from_bits(1), false), "4.9E-324");
        assert_eq!(s(1e23, false), "1.0E23");
        assert_eq!(s(2e-3, false), "0.002");
        assert_eq!(s(0.5, false), "0.5");
        assert_eq!(s(3.0e7, false), "3.0E7");
        assert_eq!(s(123.25, false), "123.25");
        assert_eq!(s(f64::from(0.1f32), true), "0.1");
        assert_eq!(s(-12345.5, false), "-12345.5");
        assert_eq!(s(300.0, false), "300.0");
        assert_eq!(s(1.005, false), "1.005");
        assert_eq!(s(0.3, false), "0.3");
        assert_eq!(s(9999999.999, false), "9999999.999");
    }

    /// The short-decimal path writes what the general path writes, wherever it answers.
    #[test]
    fn short_decimals_match_the_general_path() {
        let general = |x: f64| {
            let mut out = Vec::new();
            write_shortest(&mut out, x, false);
            out
        };
        let mut taken = 0;
        let mut check = |x: f64| {
            let mut out = Vec::new();
            if write_short_decimal(&mut out, x) {
                taken += 1;
                assert_eq!(
                    String::from_utf8_lossy(&out),
                    String::from_utf8_lossy(&general(x)),
                    "{x:e}"
                );
            } else {
                assert!(out.is_empty(), "{x:e}");
            }
        };
        for x in [
            1e-3,
            0.001,
            0.002,
            0.005,
            0.01,
            0.1,
            0.3,
            0.5,
            0.9,
            1.0,
            1.5,
            9.5,
            10.0,
            100.0,
            0.125,
            0.375,
            1.005,
            19.99,
            300.0,
            1e7,
            9_999_999.0,
            9_999_999.5,
            9_999_999.999,
            1e6,
            4.35,
            2.675,
            0.07,
            0.000_999,
        ] {
            check(x);
            check(-x);
        }
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..300_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Decimals of 0 to 3 fractional digits, as parsed text: the values columns hold.
            let k = (state >> 60) % 4;
            let m = (state % 10_000_000_000) as f64;
            check(m / 10f64.powi(k as i32));
            check(-(m / 10f64.powi(k as i32)));
            check((state % 20_000_000) as f64 * 0.5);
            check(f64::from_bits(state));
            // Just around the boundaries of the path.
            check(f64::from_bits(1e7f64.to_bits() - (state % 64)));
            check(f64::from_bits(1e-3f64.to_bits() + (state % 64)));
        }
        assert!(
            taken > 400_000,
            "the short path answered only {taken} times"
        );
    }
}
