//! The exercise-clock notation, one for every time in a scenario.
//!
//! - a **duration**: `45s`, `30m`, `2h15m`, `1d 4h` — units `d`, `h`, `m`, `s`, largest first;
//! - a **clock time**: `D2 09:30` (day 2 of the exercise, 09:30 in the scenario's time zone) or
//!   `+2h15m` (2 hours 15 minutes after the exercise starts);
//! - a **scheduled time** (`at:`): a clock time with optional jitter, `D1 10:15 ± 5m`;
//! - a **relative time** (`after:`): another item's id, a delay and optional jitter,
//!   `edge-exploit + 30m ± 10m`.
//!
//! Jitter may be written `±`, `+-` or `+/-`. The exercise clock has no daylight-saving jumps:
//! every exercise day is 24 hours long. Everything here is pure parsing and arithmetic.

use std::fmt;

use crate::diag::ParseError;

/// A length of exercise time, in whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration {
    secs: u64,
}

const DURATION_HINT: &str = "write durations like `45s`, `30m`, `2h15m` or `1d 4h`";
const CLOCK_HINT: &str = "write clock times like `D2 09:30` (day 2, 09:30) or `+2h15m` (after the start)";
const AFTER_HINT: &str = "write relative times like `step-id`, `step-id + 30m` or `step-id + 30m ± 10m`";

fn err(message: impl Into<String>, hint: &'static str) -> ParseError {
    ParseError {
        message: message.into(),
        hint,
    }
}

impl Duration {
    pub const ZERO: Duration = Duration { secs: 0 };

    pub const fn from_secs(secs: u64) -> Self {
        Duration { secs }
    }

    pub const fn as_secs(self) -> u64 {
        self.secs
    }

    /// Parses `2h15m`, `1d 4h`, `90s`, `0m`.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let s = text.trim();
        if s.is_empty() {
            return Err(err("a duration is missing", DURATION_HINT));
        }
        let mut secs: u64 = 0;
        let mut last_unit = u64::MAX;
        let mut rest = s;
        while !rest.is_empty() {
            let digits = rest.chars().take_while(char::is_ascii_digit).count();
            if digits == 0 {
                return Err(err(
                    format!("`{s}` is not a duration: expected a number at `{rest}`"),
                    DURATION_HINT,
                ));
            }
            let number: u64 = rest[..digits]
                .parse()
                .map_err(|_| err(format!("`{s}`: the number is too large"), DURATION_HINT))?;
            rest = &rest[digits..];
            let unit_char = rest.chars().next();
            let unit = match unit_char {
                Some('d') => 86_400,
                Some('h') => 3_600,
                Some('m') => 60,
                Some('s') => 1,
                Some(c) if c.is_whitespace() && rest.trim_start().starts_with(|c: char| c.is_alphabetic()) => {
                    return Err(err(
                        format!("`{s}` is not a duration: write the unit right after the number, as in `{number}h`"),
                        DURATION_HINT,
                    ));
                }
                Some(c) => {
                    return Err(err(
                        format!("`{s}` is not a duration: `{c}` is not a unit (use d, h, m or s)"),
                        DURATION_HINT,
                    ));
                }
                None => {
                    return Err(err(
                        format!("`{s}` is not a duration: the number {number} has no unit (d, h, m or s)"),
                        DURATION_HINT,
                    ));
                }
            };
            if unit >= last_unit {
                return Err(err(
                    format!("`{s}`: each unit may appear once, largest first (d, h, m, s)"),
                    DURATION_HINT,
                ));
            }
            last_unit = unit;
            rest = rest[1..].trim_start();
            secs = number
                .checked_mul(unit)
                .and_then(|n| n.checked_add(secs))
                .filter(|&n| n <= MAX_SECS)
                .ok_or_else(|| {
                    err(
                        format!("`{s}` is longer than a year; exercises are shorter"),
                        DURATION_HINT,
                    )
                })?;
        }
        Ok(Duration { secs })
    }
}

/// No time in an exercise is more than a year away from its start.
const MAX_SECS: u64 = 366 * 86_400;

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.secs == 0 {
            return f.write_str("0m");
        }
        let (d, h, m, s) = (
            self.secs / 86_400,
            self.secs % 86_400 / 3_600,
            self.secs % 3_600 / 60,
            self.secs % 60,
        );
        let mut first = true;
        for (n, unit) in [(d, "d"), (h, "h"), (m, "m"), (s, "s")] {
            if n > 0 {
                if !first && unit == "h" {
                    f.write_str(" ")?;
                }
                write!(f, "{n}{unit}")?;
                first = false;
            }
        }
        Ok(())
    }
}

/// A point on the exercise clock as the author wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClockTime {
    /// `D2 09:30[:15]`: exercise day (from 1) and time of day.
    Day { day: u32, second_of_day: u32 },
    /// `+2h15m`: this long after the exercise starts.
    AfterStart(Duration),
}

impl ClockTime {
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let s = text.trim();
        if let Some(rest) = s.strip_prefix('+') {
            return Duration::parse(rest).map(ClockTime::AfterStart);
        }
        let Some(rest) = s.strip_prefix('D').or_else(|| s.strip_prefix('d')) else {
            return Err(err(format!("`{s}` is not a clock time"), CLOCK_HINT));
        };
        let (day, clock) = rest.split_once(char::is_whitespace).ok_or_else(|| {
            err(
                format!("`{s}`: a day needs a time of day, as in `D{rest} 09:00`"),
                CLOCK_HINT,
            )
        })?;
        let day: u32 = day.parse().ok().filter(|&d| (1..=366).contains(&d)).ok_or_else(|| {
            err(
                format!("`{s}`: the day must be a number from 1, as in `D2`"),
                CLOCK_HINT,
            )
        })?;
        let second_of_day = parse_time_of_day(clock.trim()).ok_or_else(|| {
            err(
                format!(
                    "`{s}`: `{}` is not a time of day (HH:MM or HH:MM:SS, 00:00–23:59)",
                    clock.trim()
                ),
                CLOCK_HINT,
            )
        })?;
        Ok(ClockTime::Day { day, second_of_day })
    }

    /// Seconds from the exercise start, which must be written as a day time (`D1 09:00`).
    /// Negative when this time is before the start.
    pub fn offset_from(&self, start: ClockTime) -> i64 {
        match *self {
            ClockTime::AfterStart(d) => d.as_secs() as i64,
            ClockTime::Day { .. } => self.absolute() - start.absolute(),
        }
    }

    /// Seconds since `D1 00:00`; for `+…` forms the start is taken as `D1 00:00`.
    fn absolute(&self) -> i64 {
        match *self {
            ClockTime::Day { day, second_of_day } => i64::from(day - 1) * 86_400 + i64::from(second_of_day),
            ClockTime::AfterStart(d) => d.as_secs() as i64,
        }
    }
}

fn parse_time_of_day(s: &str) -> Option<u32> {
    let mut parts = s.split(':');
    let h: u32 = parse_2digits(parts.next()?, true)?;
    let m: u32 = parse_2digits(parts.next()?, false)?;
    let sec: u32 = match parts.next() {
        Some(p) => parse_2digits(p, false)?,
        None => 0,
    };
    if parts.next().is_some() || h > 23 || m > 59 || sec > 59 {
        return None;
    }
    Some(h * 3600 + m * 60 + sec)
}

fn parse_2digits(p: &str, allow_one: bool) -> Option<u32> {
    let ok_len = p.len() == 2 || (allow_one && p.len() == 1);
    if !ok_len || !p.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    p.parse().ok()
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ClockTime::Day { day, second_of_day } => {
                let (h, m, s) = (second_of_day / 3600, second_of_day % 3600 / 60, second_of_day % 60);
                if s == 0 {
                    write!(f, "D{day} {h:02}:{m:02}")
                } else {
                    write!(f, "D{day} {h:02}:{m:02}:{s:02}")
                }
            }
            ClockTime::AfterStart(d) => write!(f, "+{d}"),
        }
    }
}

/// Splits `X ± J` into `X` and the jitter.
fn split_jitter(s: &str) -> Result<(&str, Option<Duration>), ParseError> {
    for sep in ["±", "+/-", "+-"] {
        if let Some((head, jitter)) = s.split_once(sep) {
            let jitter = Duration::parse(jitter)?;
            return Ok((head.trim(), Some(jitter)));
        }
    }
    Ok((s.trim(), None))
}

/// `at:` — a clock time with optional jitter: `D1 10:15 ± 5m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct At {
    pub time: ClockTime,
    pub jitter: Option<Duration>,
}

impl At {
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let (head, jitter) = split_jitter(text.trim())?;
        Ok(At {
            time: ClockTime::parse(head)?,
            jitter,
        })
    }
}

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.time)?;
        if let Some(j) = self.jitter {
            write!(f, " ± {j}")?;
        }
        Ok(())
    }
}

/// `after:` — relative to another item: `edge-exploit + 30m ± 10m`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct After {
    pub anchor: String,
    pub delay: Duration,
    pub jitter: Option<Duration>,
}

impl After {
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let (head, jitter) = split_jitter(text.trim())?;
        let (anchor, delay) = match head.split_once('+') {
            Some((anchor, delay)) => (anchor.trim(), Duration::parse(delay)?),
            None => (head, Duration::ZERO),
        };
        if anchor.is_empty() {
            return Err(err(
                format!("`{}` does not name what it follows", text.trim()),
                AFTER_HINT,
            ));
        }
        if anchor.contains(char::is_whitespace) {
            return Err(err(
                format!("`{}`: expected an id, then `+ delay`, found `{anchor}`", text.trim()),
                AFTER_HINT,
            ));
        }
        Ok(After {
            anchor: anchor.to_owned(),
            delay,
            jitter,
        })
    }
}

impl fmt::Display for After {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.anchor)?;
        if self.delay != Duration::ZERO {
            write!(f, " + {}", self.delay)?;
        }
        if let Some(j) = self.jitter {
            write!(f, " ± {j}")?;
        }
        Ok(())
    }
}

/// `HH:MM-HH:MM`, a daily window such as working hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyWindow {
    pub from_second: u32,
    pub to_second: u32,
}

impl DailyWindow {
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        const HINT: &str = "write daily windows like `08:00-17:00`";
        let s = text.trim();
        let (a, b) = s
            .split_once('-')
            .ok_or_else(|| err(format!("`{s}` is not a daily window"), HINT))?;
        let from_second =
            parse_time_of_day(a.trim()).ok_or_else(|| err(format!("`{}` is not a time of day", a.trim()), HINT))?;
        let to_second =
            parse_time_of_day(b.trim()).ok_or_else(|| err(format!("`{}` is not a time of day", b.trim()), HINT))?;
        if to_second <= from_second {
            return Err(err(format!("`{s}` ends before it starts"), HINT));
        }
        Ok(DailyWindow { from_second, to_second })
    }
}

/// `12/h`, `3/d`: how often something happens on average.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub per_hour: f64,
}

impl Rate {
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        const HINT: &str = "write rates like `12/h`, `3/d` or `0.5/m`";
        let s = text.trim();
        let (n, unit) = s
            .split_once('/')
            .ok_or_else(|| err(format!("`{s}` is not a rate"), HINT))?;
        let n: f64 = n
            .trim()
            .parse()
            .ok()
            .filter(|n: &f64| n.is_finite() && *n >= 0.0)
            .ok_or_else(|| err(format!("`{s}`: `{}` is not a number of zero or more", n.trim()), HINT))?;
        let per_hour = match unit.trim() {
            "s" => n * 3600.0,
            "m" => n * 60.0,
            "h" => n,
            "d" => n / 24.0,
            other => return Err(err(format!("`{s}`: `{other}` is not a unit (s, m, h or d)"), HINT)),
        };
        Ok(Rate { per_hour })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> u64 {
        Duration::parse(s).unwrap().as_secs()
    }

    #[test]
    fn durations() {
        assert_eq!(d("45s"), 45);
        assert_eq!(d("30m"), 1800);
        assert_eq!(d("2h15m"), 8100);
        assert_eq!(d("1d 4h"), 100_800);
        assert_eq!(d("1d4h30m15s"), 102_615);
        assert_eq!(d(" 0m "), 0);
        for bad in ["", "15", "m", "15x", "15m2h", "2h2h", "1.5h", "-2h", "400d"] {
            assert!(Duration::parse(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn durations_display_round_trips() {
        for s in ["0m", "45s", "30m", "2h15m", "1d 4h", "1d 4h30m15s", "3d"] {
            assert_eq!(Duration::parse(s).unwrap().to_string(), s);
        }
    }

    #[test]
    fn clock_times() {
        let start = ClockTime::parse("D1 09:00").unwrap();
        assert_eq!(ClockTime::parse("D1 09:00").unwrap().offset_from(start), 0);
        assert_eq!(ClockTime::parse("D2 09:30").unwrap().offset_from(start), 86_400 + 1800);
        assert_eq!(ClockTime::parse("D1 08:00").unwrap().offset_from(start), -3600);
        assert_eq!(ClockTime::parse("+2h15m").unwrap().offset_from(start), 8100);
        assert_eq!(ClockTime::parse("D1 9:05:30").unwrap().offset_from(start), 330);
        assert_eq!(ClockTime::parse("D3 07:05").unwrap().to_string(), "D3 07:05");
        for bad in [
            "D0 09:00",
            "D2",
            "D2 24:00",
            "D2 09:60",
            "D2 9.30",
            "2 09:00",
            "+",
            "+2x",
            "Dx 09:00",
            "D2 09:30:5",
        ] {
            assert!(ClockTime::parse(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn at_with_jitter() {
        let at = At::parse("D1 10:15 ± 5m").unwrap();
        assert_eq!(
            at.time,
            ClockTime::Day {
                day: 1,
                second_of_day: 36_900
            }
        );
        assert_eq!(at.jitter, Some(Duration::from_secs(300)));
        assert_eq!(At::parse("+1h +- 2m").unwrap().jitter, Some(Duration::from_secs(120)));
        assert_eq!(At::parse("+1h +/- 2m").unwrap().jitter, Some(Duration::from_secs(120)));
        assert_eq!(At::parse("D1 10:15").unwrap().jitter, None);
        assert!(At::parse("D1 10:15 ± ").is_err());
        assert_eq!(At::parse("D1 10:15 ± 5m").unwrap().to_string(), "D1 10:15 ± 5m");
    }

    #[test]
    fn after_forms() {
        let a = After::parse("step-x + 30m ± 10m").unwrap();
        assert_eq!(a.anchor, "step-x");
        assert_eq!(a.delay.as_secs(), 1800);
        assert_eq!(a.jitter.map(Duration::as_secs), Some(600));
        let b = After::parse("step-x").unwrap();
        assert_eq!((b.anchor.as_str(), b.delay, b.jitter), ("step-x", Duration::ZERO, None));
        let c = After::parse("step-x ± 5m").unwrap();
        assert_eq!((c.delay, c.jitter.map(Duration::as_secs)), (Duration::ZERO, Some(300)));
        assert_eq!(After::parse("a+1h").unwrap().delay.as_secs(), 3600);
        for bad in ["", "+ 30m", "step x + 30m", "step-x + soon", "step-x + 30m ± "] {
            assert!(After::parse(bad).is_err(), "{bad:?} should not parse");
        }
        assert_eq!(a.to_string(), "step-x + 30m ± 10m");
    }

    #[test]
    fn windows_and_rates() {
        let w = DailyWindow::parse("08:00-17:30").unwrap();
        assert_eq!((w.from_second, w.to_second), (28_800, 63_000));
        assert!(DailyWindow::parse("17:00-08:00").is_err());
        assert!((Rate::parse("12/h").unwrap().per_hour - 12.0).abs() < 1e-9);
        assert!((Rate::parse("48/d").unwrap().per_hour - 2.0).abs() < 1e-9);
        assert!((Rate::parse("0.5/m").unwrap().per_hour - 30.0).abs() < 1e-9);
        assert!(Rate::parse("12").is_err());
        assert!(Rate::parse("-1/h").is_err());
        assert!(Rate::parse("3/week").is_err());
    }
}
