//! Java `java.text.SimpleDateFormat` in UTC with the English locale, as `TimestampRouter`
//! (`timestamp.format`) and `TimestampConverter` (`format`) use it.
//!
//! Supported letters: `G y Y u M L d D F E a H k K h m s S z Z X` (and `'quoted'` text, `''`
//! for a quote). `S` is the millisecond count zero-padded to the letter count, not a
//! fraction. Parsing is lenient as Java's default is: out-of-range fields roll over and
//! trailing text is ignored. Week-based letters (`w`, `W`) are refused.

use rconnect_sdk::data::logical::{civil_from_days, days_from_civil, MILLIS_PER_DAY};

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

#[derive(Debug, Clone, PartialEq)]
enum Item {
    Field(char, usize),
    Literal(String),
}

/// A compiled pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct DateFormat {
    pattern: String,
    items: Vec<Item>,
}

impl DateFormat {
    /// Compiles a pattern; the error is Java's `IllegalArgumentException` message.
    ///
    /// ```
    /// use rconnect_transforms::date_format::DateFormat;
    /// let f = DateFormat::new("yyyy-MM-dd'T'HH:mm:ss.SSS").unwrap();
    /// assert_eq!(f.format(1700000000123), "2023-11-14T22:13:20.123");
    /// assert_eq!(f.parse("2023-11-14T22:13:20.123"), Some(1700000000123));
    /// ```
    pub fn new(pattern: &str) -> Result<Self, String> {
        let c: Vec<char> = pattern.chars().collect();
        let mut items = Vec::new();
        let mut lit = String::new();
        let mut i = 0;
        while i < c.len() {
            let ch = c[i];
            if ch == '\'' {
                if i + 1 < c.len() && c[i + 1] == '\'' {
                    lit.push('\'');
                    i += 2;
                    continue;
                }
                let mut j = i + 1;
                loop {
                    if j >= c.len() {
                        return Err("Unterminated quote".into());
                    }
                    if c[j] == '\'' {
                        if j + 1 < c.len() && c[j + 1] == '\'' {
                            lit.push('\'');
                            j += 2;
                            continue;
                        }
                        break;
                    }
                    lit.push(c[j]);
                    j += 1;
                }
                i = j + 1;
            } else if ch.is_ascii_alphabetic() {
                if !"GyYuMLdDFEaHkKhmsSzZX".contains(ch) {
                    return Err(format!("Illegal pattern character '{ch}'"));
                }
                let mut n = 1;
                while i + n < c.len() && c[i + n] == ch {
                    n += 1;
                }
                if !lit.is_empty() {
                    items.push(Item::Literal(std::mem::take(&mut lit)));
                }
                items.push(Item::Field(ch, n));
                i += n;
            } else {
                lit.push(ch);
                i += 1;
            }
        }
        if !lit.is_empty() {
            items.push(Item::Literal(lit));
        }
        Ok(DateFormat {
            pattern: pattern.to_string(),
            items,
        })
    }

    /// The pattern as configured.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// Formats epoch milliseconds in UTC.
    pub fn format(&self, ms: i64) -> String {
        let days = ms.div_euclid(MILLIS_PER_DAY);
        let in_day = ms.rem_euclid(MILLIS_PER_DAY);
        let (y, m, d) = civil_from_days(days);
        let hour = in_day / 3_600_000;
        let minute = in_day / 60_000 % 60;
        let second = in_day / 1000 % 60;
        let milli = in_day % 1000;
        // 1970-01-01 was a Thursday (index 3 from Monday).
        let dow = (days + 3).rem_euclid(7) as usize;
        let mut out = String::new();
        let pad = |out: &mut String, v: i64, n: usize| {
            use std::fmt::Write as _;
            // Writing into a String cannot fail.
            let _ = write!(out, "{v:0n$}");
        };
        for item in &self.items {
            match item {
                Item::Literal(s) => out.push_str(s),
                Item::Field(c, n) => {
                    let n = *n;
                    match c {
                        'G' => out.push_str(if y > 0 { "AD" } else { "BC" }),
                        'y' | 'Y' => {
                            let year = if y > 0 { y } else { 1 - y };
                            if n == 2 {
                                pad(&mut out, year % 100, 2)
                            } else {
                                pad(&mut out, year, n)
                            }
                        }
                        'M' | 'L' => match n {
                            1 | 2 => pad(&mut out, m as i64, n),
                            3 => out.push_str(&MONTHS[m as usize - 1][..3]),
                            _ => out.push_str(MONTHS[m as usize - 1]),
                        },
                        'd' => pad(&mut out, d as i64, n),
                        'D' => pad(&mut out, days - days_from_civil(y, 1, 1) + 1, n),
                        'F' => pad(&mut out, (d as i64 - 1) / 7 + 1, n),
                        'E' => {
                            if n >= 4 {
                                out.push_str(DAYS[dow])
                            } else {
                                out.push_str(&DAYS[dow][..3])
                            }
                        }
                        'u' => pad(&mut out, dow as i64 + 1, n),
                        'a' => out.push_str(if hour < 12 { "AM" } else { "PM" }),
                        'H' => pad(&mut out, hour, n),
                        'k' => pad(&mut out, if hour == 0 { 24 } else { hour }, n),
                        'K' => pad(&mut out, hour % 12, n),
                        'h' => pad(&mut out, if hour % 12 == 0 { 12 } else { hour % 12 }, n),
                        'm' => pad(&mut out, minute, n),
                        's' => pad(&mut out, second, n),
                        'S' => pad(&mut out, milli, n),
                        'z' => out.push_str(if n >= 4 {
                            "Coordinated Universal Time"
                        } else {
                            "UTC"
                        }),
                        'Z' => out.push_str("+0000"),
                        'X' => out.push('Z'),
                        _ => {}
                    }
                }
            }
        }
        out
    }

    /// Parses text in UTC (Java `SimpleDateFormat.parse`, lenient); `None` where Java throws
    /// `ParseException`.
    pub fn parse(&self, text: &str) -> Option<i64> {
        let t: Vec<char> = text.chars().collect();
        let mut pos = 0;
        let (mut year, mut month, mut day, mut day_of_year) = (1970i64, 1i64, 1i64, None);
        let (mut hour, mut hour12, mut pm, mut minute, mut second, mut milli) =
            (0i64, None, None, 0i64, 0i64, 0i64);
        let mut bc = false;
        let mut offset_ms = 0i64;
        for (idx, item) in self.items.iter().enumerate() {
            match item {
                Item::Literal(s) => {
                    for ch in s.chars() {
                        if pos < t.len() && t[pos] == ch {
                            pos += 1;
                        } else if ch.is_whitespace() {
                            continue;
                        } else {
                            return None;
                        }
                    }
                }
                Item::Field(c, n) => {
                    let n = *n;
                    // A numeric field directly followed by another numeric field takes exactly
                    // its letter count of digits (Java's "abutting fields").
                    let abutting = matches!(self.items.get(idx + 1), Some(Item::Field(nc, nn)) if is_numeric(*nc, *nn));
                    let text_field = matches!(c, 'G' | 'E' | 'a' | 'z' | 'Z' | 'X')
                        || (matches!(c, 'M' | 'L') && n >= 3);
                    if text_field {
                        match c {
                            'M' | 'L' => {
                                let (i, len) = match_name(&t[pos..], &MONTHS)?;
                                month = i as i64 + 1;
                                pos += len;
                            }
                            'E' => {
                                let (_, len) = match_name(&t[pos..], &DAYS)?;
                                pos += len;
                            }
                            'a' => {
                                let (i, len) = match_name(&t[pos..], &["AM", "PM"])?;
                                pm = Some(i == 1);
                                pos += len;
                            }
                            'G' => {
                                let (i, len) = match_name(&t[pos..], &["AD", "BC"])?;
                                bc = i == 1;
                                pos += len;
                            }
                            _ => {
                                let (off, len) = parse_zone(&t[pos..])?;
                                offset_ms = off;
                                pos += len;
                            }
                        }
                        continue;
                    }
                    let (v, len) = parse_number(
                        &t[pos..],
                        if abutting { Some(n) } else { None },
                        matches!(c, 'y' | 'Y'),
                    )?;
                    let two_digit_year =
                        matches!(c, 'y' | 'Y') && n <= 2 && len == 2 && t[pos].is_ascii_digit();
                    pos += len;
                    match c {
                        'y' | 'Y' => year = if two_digit_year { two_digit(v) } else { v },
                        'M' | 'L' => month = v,
                        'd' => day = v,
                        'D' => day_of_year = Some(v),
                        'H' => hour = v,
                        'k' => hour = if v == 24 { 0 } else { v },
                        'K' | 'h' => hour12 = Some(if *c == 'h' && v == 12 { 0 } else { v }),
                        'm' => minute = v,
                        's' => second = v,
                        'S' => milli = v,
                        _ => {}
                    }
                }
            }
        }
        if let Some(h) = hour12 {
            hour = h + if pm == Some(true) { 12 } else { 0 };
        } else if pm == Some(true) && hour < 12 {
            hour += 12;
        }
        if bc {
            year = 1 - year;
        }
        let y = year + (month - 1).div_euclid(12);
        let m = (month - 1).rem_euclid(12) + 1;
        let days = match day_of_year {
            Some(doy) => days_from_civil(year, 1, 1) + doy - 1,
            None => days_from_civil(y, m as u32, 1) + day - 1,
        };
        Some(
            days * MILLIS_PER_DAY + hour * 3_600_000 + minute * 60_000 + second * 1000 + milli
                - offset_ms,
        )
    }
}

fn is_numeric(c: char, n: usize) -> bool {
    matches!(
        c,
        'y' | 'Y' | 'u' | 'd' | 'D' | 'F' | 'H' | 'k' | 'K' | 'h' | 'm' | 's' | 'S'
    ) || (matches!(c, 'M' | 'L') && n < 3)
}

/// Java's default two-digit-year window: within 80 years before and 20 after now.
fn two_digit(v: i64) -> i64 {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let (now_year, _, _) = civil_from_days(now_ms.div_euclid(MILLIS_PER_DAY));
    let start = now_year - 80;
    let mut y = start - start.rem_euclid(100) + v;
    if y < start {
        y += 100;
    }
    y
}

fn parse_number(t: &[char], width: Option<usize>, signed: bool) -> Option<(i64, usize)> {
    let mut i = 0;
    let mut neg = false;
    if signed && i < t.len() && (t[i] == '-' || t[i] == '+') {
        neg = t[i] == '-';
        i += 1;
    }
    let start = i;
    while i < t.len() && t[i].is_ascii_digit() && width.is_none_or(|w| i - start < w) {
        i += 1;
    }
    if i == start {
        return None;
    }
    let digits: String = t[start..i].iter().collect();
    let v: i64 = digits.parse().ok()?;
    Some((if neg { -v } else { v }, i))
}

/// The longest full or three-letter name that starts `t`, case-insensitively.
fn match_name(t: &[char], names: &[&str]) -> Option<(usize, usize)> {
    let s: String = t.iter().take(16).collect::<String>().to_lowercase();
    let mut best: Option<(usize, usize)> = None;
    for (i, name) in names.iter().enumerate() {
        let full = name.to_lowercase();
        for cand in [full.clone(), full.chars().take(3).collect()] {
            if s.starts_with(&cand) && best.is_none_or(|(_, l)| cand.chars().count() > l) {
                best = Some((i, cand.chars().count()));
            }
        }
    }
    best
}

/// `Z`, `UTC`, `GMT`, or `+hhmm` / `+hh:mm`: the offset in milliseconds and its length.
fn parse_zone(t: &[char]) -> Option<(i64, usize)> {
    let s: String = t.iter().take(6).collect();
    if s.starts_with('Z') {
        return Some((0, 1));
    }
    if s.starts_with("UTC") || s.starts_with("GMT") {
        return Some((0, 3));
    }
    let sign = match t.first()? {
        '+' => 1,
        '-' => -1,
        _ => return None,
    };
    let digits: Vec<i64> = t[1..]
        .iter()
        .take_while(|c| c.is_ascii_digit() || **c == ':')
        .filter_map(|c| c.to_digit(10).map(i64::from))
        .collect();
    let len = 1 + t[1..]
        .iter()
        .take_while(|c| c.is_ascii_digit() || **c == ':')
        .count();
    let (h, m) = match digits.len() {
        2 => (digits[0] * 10 + digits[1], 0),
        4 => (digits[0] * 10 + digits[1], digits[2] * 10 + digits[3]),
        _ => return None,
    };
    Some((sign * (h * 3_600_000 + m * 60_000), len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_java() {
        let ts = 1_700_000_000_123;
        let f = |p: &str| DateFormat::new(p).unwrap().format(ts);
        assert_eq!(f("yyyyMMdd"), "20231114");
        assert_eq!(f("EEE MMM d yy hh a"), "Tue Nov 14 23 10 PM");
        assert_eq!(f("ss.SSSSSS"), "20.000123");
        assert_eq!(
            f("'day' D 'of' yyyy, ''h'' h:mm a, EEEE, MMMM"),
            "day 318 of 2023, '10' 10:13 PM, Tuesday, November"
        );
        assert_eq!(
            DateFormat::new("yyyy-MM-dd HH:mm:ss.SSS")
                .unwrap()
                .format(-1),
            "1969-12-31 23:59:59.999"
        );
        assert!(DateFormat::new("yyyy-bb").is_err());
    }

    #[test]
    fn parses_leniently() {
        let p = |pat: &str, s: &str| DateFormat::new(pat).unwrap().parse(s);
        assert_eq!(
            p("yyyyMMddHHmmss", "20231114221320"),
            Some(1_700_000_000_000)
        );
        assert_eq!(p("dd/MM/yyyy", "14/11/2023"), Some(1_699_920_000_000));
        assert_eq!(
            p("yyyy-MM-dd", "2023-11-14 trailing"),
            Some(1_699_920_000_000)
        );
        assert_eq!(p("yyyy-MM-dd", "2023-13-01"), p("yyyy-MM-dd", "2024-01-01"));
        assert_eq!(p("yyyy-MM-dd", "not a date"), None);
    }
}
