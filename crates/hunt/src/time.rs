//! Event times as milliseconds since the Unix epoch, and the one text form the store writes
//! them back in (`2026-06-01T08:30:00.000Z`, as the simulation emits them).

/// Milliseconds since 1970-01-01T00:00:00Z.
pub type Millis = i64;

pub const SECOND: Millis = 1000;
pub const MINUTE: Millis = 60 * SECOND;
pub const HOUR: Millis = 60 * MINUTE;
pub const DAY: Millis = 24 * HOUR;

/// Reads an RFC 3339 timestamp (`Z` or an offset; any fraction of a second, kept to the
/// millisecond). The common `YYYY-MM-DDTHH:MM:SS[.fff]Z` form is read without allocating.
pub fn parse(text: &str) -> Option<Millis> {
    fast_parse(text.as_bytes()).or_else(|| text.parse::<jiff::Timestamp>().ok().map(|t| t.as_millisecond()))
}

fn fast_parse(b: &[u8]) -> Option<Millis> {
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let mut n = 0i64;
        for &c in &b[r] {
            if !c.is_ascii_digit() {
                return None;
            }
            n = n * 10 + i64::from(c - b'0');
        }
        Some(n)
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let mut millis = 0;
    let mut i = 19;
    if b[i] == b'.' {
        i += 1;
        let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        for (k, &c) in b[i..i + digits].iter().take(3).enumerate() {
            millis += i64::from(c - b'0') * [100, 10, 1][k];
        }
        i += digits;
    }
    if i + 1 != b.len() || b[i] != b'Z' {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(((days * 24 + hour) * 60 + minute) * MINUTE + second * SECOND + millis)
}

/// Writes `ms` as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn format(ms: Millis, out: &mut String) {
    let days = ms.div_euclid(DAY);
    let rest = ms.rem_euclid(DAY);
    let (year, month, day) = civil_from_days(days);
    let (h, m, s, f) = (rest / HOUR, rest % HOUR / MINUTE, rest % MINUTE / SECOND, rest % SECOND);
    use std::fmt::Write as _;
    let _ = write!(out, "{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{f:03}Z");
}

pub fn to_string(ms: Millis) -> String {
    let mut s = String::with_capacity(24);
    format(ms, &mut s);
    s
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (eras of 400 years, March-based years).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Reads a span such as `30s`, `15m`, `2h`, `1d` or `1w`.
pub fn parse_span(text: &str) -> Option<Millis> {
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = text.split_at(split);
    let n: i64 = n.parse().ok()?;
    let unit = match unit {
        "s" | "sec" | "secs" | "second" | "seconds" => SECOND,
        "m" | "min" | "mins" | "minute" | "minutes" => MINUTE,
        "h" | "hr" | "hrs" | "hour" | "hours" => HOUR,
        "d" | "day" | "days" => DAY,
        "w" | "week" | "weeks" => 7 * DAY,
        _ => return None,
    };
    n.checked_mul(unit).filter(|&s| s > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_against_jiff() {
        for text in [
            "1970-01-01T00:00:00.000Z",
            "2026-05-31T22:30:00.041Z",
            "2024-02-29T23:59:59.999Z",
            "2000-03-01T00:00:00.000Z",
            "1969-12-31T23:59:59.999Z",
        ] {
            let ms = parse(text).unwrap();
            let jiff: jiff::Timestamp = text.parse().unwrap();
            assert_eq!(ms, jiff.as_millisecond(), "{text}");
            assert_eq!(to_string(ms), text);
        }
    }

    #[test]
    fn reads_other_forms_through_jiff() {
        assert_eq!(parse("2026-06-01T08:30:00+10:00"), parse("2026-05-31T22:30:00Z"));
        assert_eq!(parse("2026-06-01T08:30:00.5Z").map(|m| m % 1000), Some(500));
        assert_eq!(parse("2026-02-30T00:00:00Z"), None);
        assert_eq!(parse("yesterday"), None);
    }

    #[test]
    fn spans() {
        assert_eq!(parse_span("90s"), Some(90 * SECOND));
        assert_eq!(parse_span("2h"), Some(2 * HOUR));
        assert_eq!(parse_span("1d"), Some(DAY));
        assert_eq!(parse_span("0h"), None);
        assert_eq!(parse_span("h"), None);
        assert_eq!(parse_span("3 parsecs"), None);
    }
}
