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

#[test]
fn figures_by_tactic_follow_the_matrix_and_count_what_ran() {
    let report = sample::report();
    let palau = report.team("palau").unwrap();
    let minutes = |m: u64| Some(m * 60_000);
    let words: Vec<Option<&str>> = palau.tactics.iter().map(|t| t.tactic.as_deref()).collect();
    // s1 initial access, s7 persistence, s2 credential access, s3 command and control ran;
    // the prevented, skipped and coming steps do not count.
    assert_eq!(
        words,
        [
            Some("initial_access"),
            Some("persistence"),
            Some("credential_access"),
            Some("command_and_control")
        ]
    );
    let first = &palau.tactics[0];
    // Ran at +20 min, detected at +35 (limit 30 min), its campaign stopped at +95.
    assert_eq!(
        (
            first.ran,
            first.detected,
            first.in_time,
            first.with_limit,
            first.median_detect_ms
        ),
        (1, 1, 1, 1, minutes(15))
    );
    assert_eq!((first.contained, first.median_contain_ms), (1, minutes(75)));
    // Persistence: detected an hour after it ran, against a limit of 30 min: late.
    let persistence = &palau.tactics[1];
    assert_eq!(
        (persistence.in_time, persistence.with_limit, persistence.worst_detect_ms),
        (0, 1, minutes(60))
    );
    // Credential access: never detected.
    assert_eq!(
        (palau.tactics[2].detected, palau.tactics[2].median_detect_ms),
        (0, None)
    );
}

#[test]
fn a_teams_figures_for_later_years_are_taken_from_its_report() {
    let report = sample::report();
    let palau = report.team("palau").unwrap();
    let figures = EarlierResult::of(&report, palau);
    // First step ran at +20 min and was detected at +35; detections took 15, 60 and 65 min.
    assert_eq!(figures.first_detection_ms, Some(15 * 60_000));
    assert_eq!((figures.ran, figures.detected), (4, 3));
    assert_eq!(figures.median_detect_ms, Some(60 * 60_000));
    assert_eq!(figures.median_contain_ms, Some(75 * 60_000));
    // 312 of 480 points.
    assert_eq!(figures.percent, Some(65.0));
    assert_eq!(figures.objectives.len(), report.objectives.len());
    assert_eq!(median(&[1, 2, 3, 10]), Some(2));
}
