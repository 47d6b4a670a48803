//! Joda-Time `DateTimeFormat.forPattern` patterns, which `path.format` uses (Java:
//! storage-common `TimeBasedPartitioner` formats with Joda, not `java.time`): `YYYY` is the
//! year of era (not the ISO week-year of `java.time`), `mm` minutes, `MM` months, text in
//! single quotes literal, `''` a quote.
//!
//! Text fields (month and day names, am/pm, era) are written in English; a pattern that
//! uses them with a non-English `locale` is refused at configuration, instead of writing
//! paths that differ from Java's.

use jiff::Zoned;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Literal(String),
    Field(char, usize),
}

/// A compiled pattern.
///
/// ```
/// use rconnect_s3::joda::JodaPattern;
/// let p = JodaPattern::parse("'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH", "en").unwrap();
/// let t: jiff::Timestamp = "2024-05-17T13:45:00Z".parse().unwrap();
/// assert_eq!(p.format(&t.to_zoned(jiff::tz::TimeZone::UTC)), "year=2024/month=05/day=17/hour=13");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct JodaPattern {
    tokens: Vec<Token>,
}

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

impl JodaPattern {
    /// Compiles `pattern`; `locale` only matters for text fields.
    pub fn parse(pattern: &str, locale: &str) -> Result<JodaPattern, String> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut tokens = Vec::new();
        let mut lit = String::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == '\'' {
                // `''` is a quote, inside or outside a quoted run.
                if chars.get(i + 1) == Some(&'\'') {
                    lit.push('\'');
                    i += 2;
                    continue;
                }
                i += 1;
                loop {
                    match chars.get(i) {
                        None => break,
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            lit.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(&ch) => {
                            lit.push(ch);
                            i += 1;
                        }
                    }
                }
                continue;
            }
            if c.is_ascii_alphabetic() {
                let mut n = 1;
                while chars.get(i + n) == Some(&c) {
                    n += 1;
                }
                if !"GCYyxwedDEaMKhHkmsSzZ".contains(c) {
                    return Err(format!(
                        "Illegal pattern component: {}",
                        c.to_string().repeat(n)
                    ));
                }
                if !lit.is_empty() {
                    tokens.push(Token::Literal(std::mem::take(&mut lit)));
                }
                let text = matches!(c, 'G' | 'E' | 'a') || (c == 'M' && n >= 3);
                if text && !is_english(locale) {
                    return Err(format!(
                        "the text field {} needs locale names; rconnect writes English names only, and locale is '{locale}'",
                        c.to_string().repeat(n)
                    ));
                }
                tokens.push(Token::Field(c, n));
                i += n;
                continue;
            }
            lit.push(c);
            i += 1;
        }
        if !lit.is_empty() {
            tokens.push(Token::Literal(lit));
        }
        Ok(JodaPattern { tokens })
    }

    /// Formats `t` in its zone.
    pub fn format(&self, t: &Zoned) -> String {
        let mut out = String::new();
        for tok in &self.tokens {
            match tok {
                Token::Literal(s) => out.push_str(s),
                Token::Field(c, n) => field(&mut out, *c, *n, t),
            }
        }
        out
    }
}

fn is_english(locale: &str) -> bool {
    let l = locale.trim().to_ascii_lowercase();
    l == "en" || l.starts_with("en-") || l.starts_with("en_")
}

fn num(out: &mut String, v: i64, width: usize) {
    if v < 0 {
        out.push('-');
    }
    let s = v.unsigned_abs().to_string();
    for _ in s.len()..width {
        out.push('0');
    }
    out.push_str(&s);
}

fn year(out: &mut String, y: i64, n: usize) {
    if n == 2 {
        num(out, y.rem_euclid(100), 2);
    } else {
        num(out, y, n);
    }
}

fn field(out: &mut String, c: char, n: usize, t: &Zoned) {
    let d = t.date();
    let hour = t.hour() as i64;
    match c {
        'G' => out.push_str(if d.year() > 0 { "AD" } else { "BC" }),
        'C' => num(out, (d.year() as i64).div_euclid(100), n),
        // Year of era: the same as the year for AD dates.
        'Y' => year(
            out,
            if d.year() > 0 {
                d.year() as i64
            } else {
                1 - d.year() as i64
            },
            n,
        ),
        'y' => year(out, d.year() as i64, n),
        'x' => year(out, d.iso_week_date().year() as i64, n),
        'w' => num(out, d.iso_week_date().week() as i64, n),
        'e' => num(out, d.weekday().to_monday_one_offset() as i64, n),
        'E' => {
            let name = DAYS[d.weekday().to_monday_zero_offset() as usize];
            out.push_str(if n >= 4 { name } else { &name[..3] });
        }
        'D' => num(out, d.day_of_year() as i64, n),
        'M' if n >= 3 => {
            let name = MONTHS[d.month() as usize - 1];
            out.push_str(if n >= 4 { name } else { &name[..3] });
        }
        'M' => num(out, d.month() as i64, n),
        'd' => num(out, d.day() as i64, n),
        'a' => out.push_str(if hour < 12 { "AM" } else { "PM" }),
        'H' => num(out, hour, n),
        'k' => num(out, if hour == 0 { 24 } else { hour }, n),
        'K' => num(out, hour % 12, n),
        'h' => num(out, if hour % 12 == 0 { 12 } else { hour % 12 }, n),
        'm' => num(out, t.minute() as i64, n),
        's' => num(out, t.second() as i64, n),
        'S' => {
            // Fraction of second: the first `n` digits of the milliseconds, zero-filled.
            let ms = format!("{:03}", t.millisecond());
            let mut digits: String = ms.chars().take(n).collect();
            while digits.len() < n {
                digits.push('0');
            }
            out.push_str(&digits);
        }
        'Z' => {
            let secs = t.offset().seconds();
            if n >= 3 {
                out.push_str(t.time_zone().iana_name().unwrap_or("UTC"));
                return;
            }
            if secs == 0 && n == 1 {
                out.push_str("+0000");
                return;
            }
            let sign = if secs < 0 { '-' } else { '+' };
            let a = secs.unsigned_abs();
            out.push(sign);
            num(out, (a / 3600) as i64, 2);
            if n == 2 {
                out.push(':');
            }
            num(out, ((a / 60) % 60) as i64, 2);
        }
        'z' => {
            let abbr = t
                .time_zone()
                .to_offset_info(t.timestamp())
                .abbreviation()
                .to_string();
            out.push_str(&abbr);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str, zone: &str) -> Zoned {
        let ts: jiff::Timestamp = s.parse().unwrap();
        ts.to_zoned(jiff::tz::TimeZone::get(zone).unwrap())
    }

    #[test]
    fn patterns_format_as_joda() {
        let t = at("2024-05-17T13:45:07.089Z", "UTC");
        let f = |p: &str| JodaPattern::parse(p, "en-US").unwrap().format(&t);
        assert_eq!(f("'dt'=YYYY-MM-dd/'hr'=HH"), "dt=2024-05-17/hr=13");
        assert_eq!(f("yy M d H m s SSS"), "24 5 17 13 45 7 089");
        assert_eq!(f("MMM MMMM E EEEE a hh"), "May May Fri Friday PM 01");
        assert_eq!(f("D ww xxxx"), "138 20 2024");
        assert_eq!(f("'it''s' ''"), "it's '");
        // Joda's YYYY is the calendar year even in the ISO week of the next year.
        let t = at("2024-12-30T00:00:00Z", "UTC");
        assert_eq!(
            JodaPattern::parse("YYYY xxxx", "en").unwrap().format(&t),
            "2024 2025"
        );
        let t = at("2024-05-17T13:45:00Z", "America/Los_Angeles");
        assert_eq!(
            JodaPattern::parse("HH Z ZZ", "en").unwrap().format(&t),
            "06 -0700 -07:00"
        );
    }

    #[test]
    fn bad_patterns_are_refused() {
        assert!(JodaPattern::parse("YYYY-qq", "en")
            .unwrap_err()
            .contains("qq"));
        assert!(JodaPattern::parse("MMMM", "fr-FR")
            .unwrap_err()
            .contains("English"));
        assert!(JodaPattern::parse("MM", "fr-FR").is_ok());
    }
}
