//! The model's helpers: durations, days, score shares and objectives.

use atoll_report::*;

use crate::sample;

#[test]
fn spans_read_as_people_say_them() {
    let check = |ms: u64, expect: &str| assert_eq!(span(ms), expect, "{ms} ms");
    check(0, "0 s");
    check(40_999, "40 s");
    check(60_000, "1 min");
    check(45 * 60_000, "45 min");
    check(3_600_000, "1 h");
    check(65 * 60_000 + 59_000, "1 h 5 min");
    check(125 * 60_000, "2 h 5 min");
    check(24 * 3_600_000, "1 d");
    check(27 * 3_600_000 + 59 * 60_000, "1 d 3 h");
}

#[test]
fn tactics_read_as_words() {
    assert_eq!(tactic_words("initial_access"), "Initial access");
    assert_eq!(tactic_words("command-and-control"), "Command and control");
    assert_eq!(tactic_words(""), "");
}

#[test]
fn days_are_real_calendar_days() {
    let day = Day::parse("2024-02-29").unwrap();
    assert_eq!((day.year(), day.month(), day.day()), (2024, 2, 29));
    assert_eq!(day.to_string(), "2024-02-29");
    for bad in [
        "2025-02-29",
        "2025-13-01",
        "2025-00-10",
        "2025-04-31",
        "2025-3-10",
        "0000-01-01",
        "2025-03-1a",
        "２０２５-03-10",
        "",
    ] {
        assert_eq!(Day::parse(bad), None, "{bad:?}");
    }
    let read: Result<Day, _> = serde_json::from_str("\"2025-02-30\"");
    let message = read.unwrap_err().to_string();
    assert!(message.contains("YYYY-MM-DD"), "{message}");
    assert_eq!(serde_json::to_string(&day).unwrap(), "\"2024-02-29\"");
}

#[test]
fn a_score_is_a_share_of_what_could_be_earned() {
    let report = sample::report();
    let palau = &report.teams[0].score;
    assert_eq!(palau.percent(), Some(65.0));
    let mut empty = palau.clone();
    empty.possible = 0;
    assert_eq!(empty.percent(), None);
    let mut behind = palau.clone();
    behind.total = -24;
    assert_eq!(behind.percent(), Some(-5.0));
}

#[test]
fn objectives_are_met_partly_or_not_by_their_scored_lines() {
    let report = sample::report();
    let (palau, nauru) = (&report.teams[0].score, &report.teams[1].score);
    assert_eq!(palau.attainment("O1"), Attainment::Partly { earned: 1, lines: 2 });
    assert_eq!(palau.attainment("O3"), Attainment::Met);
    assert_eq!(palau.attainment("O4"), Attainment::NoScoredLines);
    assert_eq!(nauru.attainment("O1"), Attainment::Met);
    assert_eq!(nauru.attainment("O2"), Attainment::NotMet);

    // Nothing earned yet but a line still open; unscored lines do not count.
    let mut pending = palau.clone();
    pending.lines.retain(|l| l.expectation == "stop-exfil");
    assert_eq!(pending.attainment("O2"), Attainment::Pending);
    pending.lines[0].standing = Standing::Unscored;
    assert_eq!(pending.attainment("O2"), Attainment::NoScoredLines);
}
