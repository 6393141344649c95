//! Exercise time and wall time.
//!
//! The simulation counts milliseconds from the start of play ([`Millis`]). The exercise clock
//! reads `D1 00:00` as local midnight of the exercise's first date in the scenario's time zone,
//! and every exercise day is exactly 24 hours (the scenario format's rule), so converting
//! between exercise time and UTC is one addition. Local time only matters for the working
//! hours of activity profiles, which follow each organisation's own time zone, daylight saving
//! and all; [`working_periods`] turns them into UTC intervals once, before the run.

use atoll_scenario::model::Weekday;
use atoll_scenario::time::{ClockTime, DailyWindow};
use jiff::civil::{Date, Weekday as JWeekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};

/// Milliseconds since the start of play.
pub type Millis = u64;

pub const SECOND: Millis = 1_000;
pub const MINUTE: Millis = 60 * SECOND;
pub const HOUR: Millis = 60 * MINUTE;
pub const DAY: Millis = 24 * HOUR;

/// Where exercise time sits in UTC.
#[derive(Debug, Clone)]
pub struct Clock {
    /// Unix milliseconds of the start of play.
    start_unix_ms: i64,
    /// Seconds from `D1 00:00` to the start of play.
    start_second: i64,
}

impl Clock {
    /// The clock of an exercise whose day 1 is `date` in time zone `tz`, starting at `start`.
    pub fn new(tz: &str, date: Date, start: ClockTime) -> Result<Clock, String> {
        let zone = TimeZone::get(tz).map_err(|e| format!("unknown time zone `{tz}`: {e}"))?;
        let midnight = date
            .to_zoned(zone)
            .map_err(|e| format!("cannot place {date} in `{tz}`: {e}"))?
            .timestamp();
        let day1 = ClockTime::Day {
            day: 1,
            second_of_day: 0,
        };
        let start_second = start.offset_from(day1);
        Ok(Clock {
            start_unix_ms: midnight.as_millisecond() + start_second * 1_000,
            start_second,
        })
    }

    pub fn unix_ms(&self, t: Millis) -> i64 {
        self.start_unix_ms + t as i64
    }

    /// Exercise time of a clock time written in the scenario (negative before the start).
    pub fn offset(&self, c: &ClockTime) -> i64 {
        let day1 = ClockTime::Day {
            day: 1,
            second_of_day: 0,
        };
        let from_day1 = match c {
            ClockTime::AfterStart(d) => self.start_second + d.as_secs() as i64,
            ClockTime::Day { .. } => c.offset_from(day1),
        };
        (from_day1 - self.start_second) * 1_000
    }
}

/// The UTC calendar fields of one second, cached: events arrive in time order, so most
/// lookups hit the cache.
#[derive(Debug, Default)]
pub struct Calendar {
    second: i64,
    fields: Option<Utc>,
}

/// A UTC date and time of day, to the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Utc {
    pub year: i16,
    pub month: i8,
    pub day: i8,
    pub hour: i8,
    pub minute: i8,
    pub second: i8,
}

impl Calendar {
    pub fn utc(&mut self, unix_ms: i64) -> Utc {
        let second = unix_ms.div_euclid(1_000);
        match self.fields {
            Some(f) if self.second == second => f,
            _ => {
                let dt = Timestamp::from_second(second)
                    .map(|ts| ts.to_zoned(TimeZone::UTC).datetime())
                    .unwrap_or_default();
                let f = Utc {
                    year: dt.year(),
                    month: dt.month(),
                    day: dt.day(),
                    hour: dt.hour(),
                    minute: dt.minute(),
                    second: dt.second(),
                };
                self.second = second;
                self.fields = Some(f);
                f
            }
        }
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn two(out: &mut Vec<u8>, n: i8) {
    out.push(b'0' + (n / 10) as u8);
    out.push(b'0' + (n % 10) as u8);
}

fn three(out: &mut Vec<u8>, n: u32) {
    out.push(b'0' + (n / 100) as u8);
    out.push(b'0' + (n / 10 % 10) as u8);
    out.push(b'0' + (n % 10) as u8);
}

fn date(out: &mut Vec<u8>, u: Utc) {
    let mut y = itoa::Buffer::new();
    out.extend_from_slice(y.format(u.year).as_bytes());
    out.push(b'-');
    two(out, u.month);
    out.push(b'-');
    two(out, u.day);
}

fn time(out: &mut Vec<u8>, u: Utc) {
    two(out, u.hour);
    out.push(b':');
    two(out, u.minute);
    out.push(b':');
    two(out, u.second);
}

impl Calendar {
    /// RFC 3339 in UTC with milliseconds: `2026-06-01T03:12:09.123Z`.
    pub fn rfc3339(&mut self, unix_ms: i64, out: &mut Vec<u8>) {
        let u = self.utc(unix_ms);
        date(out, u);
        out.push(b'T');
        time(out, u);
        out.push(b'.');
        three(out, unix_ms.rem_euclid(1_000) as u32);
        out.push(b'Z');
    }

    /// Sysmon's `UtcTime`: `2026-06-01 03:12:09.123`.
    pub fn sysmon(&mut self, unix_ms: i64, out: &mut Vec<u8>) {
        let u = self.utc(unix_ms);
        date(out, u);
        out.push(b' ');
        time(out, u);
        out.push(b'.');
        three(out, unix_ms.rem_euclid(1_000) as u32);
    }

    /// W3C extended log date and time: `2026-06-01 03:12:09`.
    pub fn w3c(&mut self, unix_ms: i64, out: &mut Vec<u8>) {
        let u = self.utc(unix_ms);
        date(out, u);
        out.push(b' ');
        time(out, u);
    }

    /// BSD syslog timestamp (RFC 3164): `Jun  1 03:12:09`.
    pub fn syslog(&mut self, unix_ms: i64, out: &mut Vec<u8>) {
        let u = self.utc(unix_ms);
        out.extend_from_slice(MONTHS[(u.month - 1) as usize].as_bytes());
        out.push(b' ');
        if u.day < 10 {
            out.push(b' ');
            out.push(b'0' + u.day as u8);
        } else {
            two(out, u.day);
        }
        out.push(b' ');
        time(out, u);
    }
}

fn weekday(d: JWeekday) -> Weekday {
    match d {
        JWeekday::Monday => Weekday::Mon,
        JWeekday::Tuesday => Weekday::Tue,
        JWeekday::Wednesday => Weekday::Wed,
        JWeekday::Thursday => Weekday::Thu,
        JWeekday::Friday => Weekday::Fri,
        JWeekday::Saturday => Weekday::Sat,
        JWeekday::Sunday => Weekday::Sun,
    }
}

/// The working periods of a daily window on the given weekdays (every day when empty), in
/// time zone `tz`, that overlap exercise time `0..until`, as exercise-time intervals.
pub fn working_periods(
    clock: &Clock,
    tz: &str,
    window: DailyWindow,
    days: &[Weekday],
    until: Millis,
) -> Result<Vec<(Millis, Millis)>, String> {
    let zone = TimeZone::get(tz).map_err(|e| format!("unknown time zone `{tz}`: {e}"))?;
    let first = Timestamp::from_millisecond(clock.unix_ms(0))
        .map_err(|e| e.to_string())?
        .to_zoned(zone.clone())
        .date()
        .yesterday()
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let mut day = first;
    loop {
        let at = |second: u32| -> Result<i64, String> {
            let dt = day.to_datetime(jiff::civil::Time::midnight());
            let z: Zoned = dt.to_zoned(zone.clone()).map_err(|e| e.to_string())?;
            let z = z
                .checked_add(jiff::SignedDuration::from_secs(i64::from(second)))
                .map_err(|e| e.to_string())?;
            Ok(z.timestamp().as_millisecond() - clock.unix_ms(0))
        };
        let from = at(window.from_second)?;
        if from > until as i64 {
            break;
        }
        if days.is_empty() || days.contains(&weekday(day.weekday())) {
            let to = at(window.to_second)?;
            if to > 0 {
                out.push((from.max(0) as Millis, to as Millis));
            }
        }
        day = day.tomorrow().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use atoll_scenario::time::DailyWindow;

    fn clock() -> Clock {
        // Guam is UTC+10 all year: D1 08:30 on 2026-06-01 is 2026-05-31T22:30Z.
        Clock::new(
            "Pacific/Guam",
            Date::constant(2026, 6, 1),
            ClockTime::parse("D1 08:30").unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn exercise_time_maps_to_utc() {
        let c = clock();
        let mut cal = Calendar::default();
        let mut out = Vec::new();
        cal.rfc3339(c.unix_ms(1_234), &mut out);
        assert_eq!(String::from_utf8(out).unwrap(), "2026-05-31T22:30:01.234Z");
        assert_eq!(c.offset(&ClockTime::parse("D1 09:10").unwrap()), 40 * 60 * 1_000);
        assert_eq!(c.offset(&ClockTime::parse("D2 08:30").unwrap()), 86_400_000);
        assert_eq!(c.offset(&ClockTime::parse("+2h").unwrap()), 7_200_000);
        let mut s = Vec::new();
        cal.syslog(c.unix_ms(0), &mut s);
        assert_eq!(String::from_utf8(s).unwrap(), "May 31 22:30:00");
    }

    #[test]
    fn working_hours_follow_the_local_zone_and_weekdays() {
        let c = clock();
        // Palau is UTC+9: 08:00-17:00 local is 23:00-08:00 UTC, i.e. 00:30-09:30 after a
        // 22:30Z start the previous evening... first working day is Monday 2026-06-01.
        let w = DailyWindow::parse("08:00-17:00").unwrap();
        let p = working_periods(&c, "Pacific/Palau", w, &[Weekday::Mon, Weekday::Tue], 3 * DAY).unwrap();
        // Monday 08:00 Palau = Sunday 23:00Z = 30 minutes after the start.
        assert_eq!(p[0], (30 * MINUTE, 30 * MINUTE + 9 * HOUR));
        assert_eq!(p[1], (30 * MINUTE + DAY, 30 * MINUTE + DAY + 9 * HOUR));
        assert_eq!(p.len(), 2, "Wednesday is not a working day here: {p:?}");
    }
}
