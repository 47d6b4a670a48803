//! Decimal literals as Java's `BigDecimal(String)` and Jackson read them, without ever
//! materialising huge exponents (`1e999999` stays three characters of work).

use num_bigint::BigInt;
use rconnect_sdk::data::Decimal;

/// A decimal literal split into sign, integer digits, fraction digits and exponent.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DecParts<'a> {
    pub neg: bool,
    pub int: &'a [u8],
    pub frac: &'a [u8],
    pub exp: i64,
}

/// `(magnitude, negative)` of an integral value, or `None` when it exceeds 128 bits.
type Integral = Option<(u128, bool)>;

impl<'a> DecParts<'a> {
    /// Java `new BigDecimal(String)` grammar: `[+-] (digits [. digits?] | . digits) [(e|E) [+-] digits]`.
    /// `None` where Java throws `NumberFormatException` (including a scale outside `int`).
    pub fn parse_java(s: &'a str) -> Option<Self> {
        let b = s.as_bytes();
        let mut i = 0;
        let neg = match b.first() {
            Some(b'-') => {
                i = 1;
                true
            }
            Some(b'+') => {
                i = 1;
                false
            }
            _ => false,
        };
        let int_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let int = &b[int_start..i];
        let mut frac: &[u8] = &[];
        if i < b.len() && b[i] == b'.' {
            i += 1;
            let fs = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            frac = &b[fs..i];
        }
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        let mut exp = 0i64;
        if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
            i += 1;
            let eneg = match b.get(i) {
                Some(b'-') => {
                    i += 1;
                    true
                }
                Some(b'+') => {
                    i += 1;
                    false
                }
                _ => false,
            };
            let es = i;
            while i < b.len() && b[i].is_ascii_digit() {
                exp = exp.checked_mul(10)?.checked_add((b[i] - b'0') as i64)?;
                if exp > i32::MAX as i64 + 1 {
                    return None;
                }
                i += 1;
            }
            if i == es {
                return None;
            }
            if eneg {
                exp = -exp;
            }
        }
        if i != b.len() {
            return None;
        }
        let parts = DecParts {
            neg,
            int,
            frac,
            exp,
        };
        i32::try_from(parts.scale()).ok()?;
        Some(parts)
    }

    /// Splits a token already known to match JSON's number grammar.
    pub fn from_json(tok: &'a [u8]) -> Self {
        let (neg, rest) = match tok.first() {
            Some(b'-') => (true, &tok[1..]),
            _ => (false, tok),
        };
        let int_end = rest
            .iter()
            .position(|c| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let int = &rest[..int_end];
        let mut i = int_end;
        let mut frac: &[u8] = &[];
        if i < rest.len() && rest[i] == b'.' {
            let fs = i + 1;
            i = fs;
            while i < rest.len() && rest[i].is_ascii_digit() {
                i += 1;
            }
            frac = &rest[fs..i];
        }
        let mut exp = 0i64;
        if i < rest.len() && (rest[i] == b'e' || rest[i] == b'E') {
            i += 1;
            let eneg = rest.get(i) == Some(&b'-');
            if matches!(rest.get(i), Some(b'-') | Some(b'+')) {
                i += 1;
            }
            for &c in &rest[i..] {
                exp = exp.saturating_mul(10).saturating_add((c - b'0') as i64);
            }
            if eneg {
                exp = -exp;
            }
        }
        DecParts {
            neg,
            int,
            frac,
            exp,
        }
    }

    fn digits(&self) -> impl Iterator<Item = u8> + '_ {
        self.int.iter().chain(self.frac.iter()).map(|c| c - b'0')
    }

    fn ndigits(&self) -> i64 {
        (self.int.len() + self.frac.len()) as i64
    }

    /// Java `BigDecimal.scale()`: fraction length minus exponent.
    pub fn scale(&self) -> i64 {
        self.frac.len() as i64 - self.exp
    }

    fn is_zero(&self) -> bool {
        self.digits().all(|d| d == 0)
    }

    /// The exact `BigDecimal` (unscaled digits and scale), or `None` if the scale is
    /// outside `int`.
    pub fn to_decimal(self) -> Option<Decimal> {
        let scale = i32::try_from(self.scale()).ok()?;
        let mut digits: Vec<u8> = self.int.iter().chain(self.frac.iter()).copied().collect();
        if digits.is_empty() {
            digits.push(b'0');
        }
        let mut unscaled = BigInt::parse_bytes(&digits, 10)?;
        if self.neg {
            unscaled = -unscaled;
        }
        Some(Decimal { unscaled, scale })
    }

    /// Whether the value has no fractional part (Java: CEILING and FLOOR agree).
    pub fn is_integral(&self) -> bool {
        let scale = self.scale();
        if scale <= 0 {
            return true;
        }
        let keep = self.ndigits() - scale;
        self.digits()
            .enumerate()
            .all(|(i, d)| (i as i64) < keep || d == 0)
    }

    /// The integral value as sign and magnitude; `None` when it needs more than 128 bits.
    /// Only meaningful when [`DecParts::is_integral`].
    fn integral(&self) -> Integral {
        if self.is_zero() {
            return Some((0, false));
        }
        let scale = self.scale();
        let keep = if scale > 0 {
            self.ndigits() - scale
        } else {
            self.ndigits()
        };
        let mut mag: u128 = 0;
        for d in self.digits().take(keep.max(0) as usize) {
            mag = mag.checked_mul(10)?.checked_add(d as u128)?;
        }
        if scale < 0 {
            for _ in 0..(-scale).min(40) {
                mag = mag.checked_mul(10)?;
            }
            if -scale >= 40 && mag != 0 {
                return None;
            }
        }
        Some((mag, self.neg))
    }

    /// The value as `i64` if it is integral and within `long` range (Java
    /// `Values.parseAsExactDecimal`'s range test).
    pub fn exact_i64(&self) -> Option<i64> {
        if !self.is_integral() {
            return None;
        }
        let (mag, neg) = self.integral()?;
        if neg {
            if mag <= 1u128 << 63 {
                Some((mag as i128).wrapping_neg() as i64)
            } else {
                None
            }
        } else {
            i64::try_from(mag).ok()
        }
    }

    /// Java `BigDecimal.longValue()`: truncation toward zero, then the low 64 bits.
    pub fn wrapping_i64(&self) -> i64 {
        let scale = self.scale();
        let keep = if scale > 0 {
            (self.ndigits() - scale).max(0)
        } else {
            self.ndigits()
        };
        let mut acc: u64 = 0;
        for d in self.digits().take(keep as usize) {
            acc = acc.wrapping_mul(10).wrapping_add(d as u64);
        }
        if scale < 0 {
            // 10^64 is a multiple of 2^64, so more zeros than that leave nothing.
            for _ in 0..(-scale).min(64) {
                acc = acc.wrapping_mul(10);
            }
        }
        let v = acc as i64;
        if self.neg {
            v.wrapping_neg()
        } else {
            v
        }
    }

    fn canonical(&self) -> String {
        let mut s = String::with_capacity(self.int.len() + self.frac.len() + 24);
        if self.neg {
            s.push('-');
        }
        for d in self.digits() {
            s.push((b'0' + d) as char);
        }
        if s.len() == self.neg as usize {
            s.push('0');
        }
        s.push('e');
        s.push_str(&(-self.scale()).to_string());
        s
    }

    /// `BigDecimal.doubleValue()`: the correctly rounded double.
    pub fn to_f64(self) -> f64 {
        self.canonical().parse().unwrap_or(0.0)
    }

    /// `BigDecimal.floatValue()`: the correctly rounded float.
    pub fn to_f32(self) -> f32 {
        self.canonical().parse().unwrap_or(0.0)
    }
}

/// Java `BigDecimal.longValue()` of a Connect Decimal.
pub(crate) fn decimal_wrapping_i64(d: &Decimal) -> i64 {
    let text = d.unscaled.magnitude().to_string();
    let parts = DecParts {
        neg: d.unscaled.sign() == num_bigint::Sign::Minus,
        int: text.as_bytes(),
        frac: &[],
        exp: -(d.scale as i64),
    };
    parts.wrapping_i64()
}

/// Java `BigDecimal.doubleValue()` of a Connect Decimal.
pub(crate) fn decimal_to_f64(d: &Decimal) -> f64 {
    let text = d.unscaled.magnitude().to_string();
    let parts = DecParts {
        neg: d.unscaled.sign() == num_bigint::Sign::Minus,
        int: text.as_bytes(),
        frac: &[],
        exp: -(d.scale as i64),
    };
    parts.to_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_grammar() {
        assert!(DecParts::parse_java("+1.5").is_some());
        assert!(DecParts::parse_java(".5").is_some());
        assert!(DecParts::parse_java("5.").is_some());
        assert!(DecParts::parse_java("1e5").is_some());
        assert!(DecParts::parse_java("1E+5").is_some());
        assert!(DecParts::parse_java("-").is_none());
        assert!(DecParts::parse_java("1.2.3").is_none());
        assert!(DecParts::parse_java("12abc").is_none());
        assert!(DecParts::parse_java("1e").is_none());
        assert!(DecParts::parse_java("1e-99999999999").is_none());
    }

    #[test]
    fn conversions() {
        let p = DecParts::parse_java("1.50").unwrap();
        assert_eq!(p.to_decimal().unwrap(), Decimal::new(150, 2));
        assert!(!p.is_integral());
        assert_eq!(p.wrapping_i64(), 1);
        let p = DecParts::parse_java("1.0").unwrap();
        assert!(p.is_integral());
        assert_eq!(p.exact_i64(), Some(1));
        let p = DecParts::parse_java("1e5").unwrap();
        assert_eq!(p.to_decimal().unwrap(), Decimal::new(1, -5));
        assert_eq!(p.exact_i64(), Some(100_000));
        assert_eq!(
            DecParts::parse_java("-9223372036854775808")
                .unwrap()
                .exact_i64(),
            Some(i64::MIN)
        );
        assert_eq!(
            DecParts::parse_java("9223372036854775808")
                .unwrap()
                .exact_i64(),
            None
        );
        assert_eq!(DecParts::parse_java("1e400").unwrap().exact_i64(), None);
        assert_eq!(
            DecParts::parse_java("18446744073709551617")
                .unwrap()
                .wrapping_i64(),
            1
        );
        assert_eq!(DecParts::parse_java("-2.9").unwrap().wrapping_i64(), -2);
        assert_eq!(DecParts::parse_java("1e70").unwrap().wrapping_i64(), 0);
        assert_eq!(DecParts::parse_java("0.1").unwrap().to_f32(), 0.1f32);
        assert_eq!(
            DecParts::parse_java("1e400").unwrap().to_f64(),
            f64::INFINITY
        );
        assert_eq!(DecParts::from_json(b"-12.5e1").to_f64(), -125.0);
        assert_eq!(decimal_wrapping_i64(&Decimal::new(-12345, 2)), -123);
        assert_eq!(decimal_to_f64(&Decimal::new(12345, 2)), 123.45);
    }
}
