//! The HTML documents: self-contained, escaped, printable, deterministic, and saying what they
//! should.

use atoll_report::html;

use crate::sample;

/// Fails with the offending excerpt when a document loads, links or runs anything from outside.
fn assert_self_contained(page: &str) {
    assert!(page.starts_with("<!DOCTYPE html>"), "{}", &page[..40]);
    assert!(page.contains(r#"<meta charset="utf-8">"#));
    assert!(page.contains("<style>") && page.contains("@media print"));
    for outside in [
        "http://",
        "https://",
        "<script",
        "src=",
        "<link",
        "@import",
        "@font-face",
        "<iframe",
        "<object",
    ] {
        if let Some(at) = page.to_ascii_lowercase().find(outside) {
            panic!(
                "{outside:?} in the page: …{}…",
                &page[at.saturating_sub(80)..(at + 80).min(page.len())]
            );
        }
    }
    for (at, _) in page.match_indices("href=\"") {
        assert!(
            page[at + 6..].starts_with('#'),
            "a link out of the page: {}",
            &page[at..at + 60]
        );
    }
    for (at, _) in page.match_indices("url(") {
        assert!(
            page[at + 4..].starts_with('#'),
            "a URL out of the page: {}",
            &page[at..at + 40]
        );
    }
}

/// Every SVG shape is closed: an HTML parser would nest what follows an unclosed `<rect …>`.
fn assert_svg_closed(page: &str) {
    for element in [
        "svg", "g", "circle", "rect", "line", "path", "polygon", "text", "title", "pattern",
    ] {
        let opened = page.matches(&format!("<{element} ")).count() + page.matches(&format!("<{element}>")).count();
        let closed = page.matches(&format!("</{element}>")).count();
        assert_eq!(opened, closed, "<{element}> opened {opened} times, closed {closed}");
    }
}

#[test]
fn the_exercise_document_stands_alone() {
    let page = html::exercise(&sample::report());
    assert_self_contained(&page);
    assert_svg_closed(&page);
    // The scores, and one story and one services chart for Palau, one story for Nauru.
    assert_eq!(page.matches("<svg ").count(), 4);
    assert!(page.contains(r##"<a href="#team-1">Palau</a>"##));
}

#[test]
fn teams_stand_side_by_side_as_shares_of_their_own_maximum() {
    let page = html::exercise(&sample::report());
    let side = &page[page.find("Teams side by side").unwrap()..page.find(r#"id="team-1""#).unwrap()];
    // Table and chart: each team's total over its own possible points.
    assert_eq!(side.matches("65 %").count(), 2, "Palau: 312 of 480");
    assert_eq!(side.matches("60 %").count(), 2, "Nauru: 240 of 400");
    assert!(side.contains("65 % (312 of 480)") && side.contains("60 % (240 of 400)"));
    // Palau's bar is 65 % of the 520-unit scale, Nauru's 60 %.
    assert!(side.contains(r#"width="338.0""#) && side.contains(r#"width="312.0""#));
    assert!(side.find("Palau").unwrap() < side.find("Nauru").unwrap());
    // Objectives by team.
    assert!(side.contains("◐ partly (1 of 2 lines)"));
    assert!(side.contains("● met"));
    assert!(side.contains("○ not met"));
    assert!(side.contains("– no scored lines"));
    assert!(
        side.contains("3 of 4 that ran"),
        "Palau detected 3 of its 4 steps that ran"
    );
}

#[test]
fn a_team_section_tells_its_story() {
    let page = html::exercise(&sample::report());
    let palau = &page[page.find(r#"id="team-1""#).unwrap()..page.find(r#"id="team-2""#).unwrap()];
    for expected in [
        "312 of 480 points, 65 %",
        "The story",
        "Time to detect and contain",
        "ATT&amp;CK coverage",
        "Services",
        "Alert triage",
        "Answers, reports and hints",
        // s3 ran at 150 min and was seen at 215 min.
        "1 h 5 min",
        "within 30 min: in time",
        "within 30 min: late by 30 min",
        "within 1 h: not detected",
        "D1 10:35 by Block 203.0.113.45 at the edge (1 h 15 min after it ran)",
        "⊗ prevented",
        "○ skipped",
        "◌ to come",
        "✗ missed",
        "Command and control",
        "Of 5 techniques that ran, 3 were detected, 1 prevented and 1 missed; 2 have not run.",
        "93.7 %",
        // 99.96 % is never rounded up to a full hour.
        "D2 11:00 (99.9 %)",
        "Admin scripts run whoami every minute",
        "not graded yet (out of 20)",
        "Good and early; the C2 domain lacks its first-seen time. (Ana (white cell))",
        "−20 points",
        "Adjusted by the white cell: Clear briefing to the minister",
        "+2",
        "as of D2 10:30",
    ] {
        assert!(palau.contains(expected), "missing {expected:?}");
    }
    // Per tactic, only the steps that ran.
    let tactics = &palau[palau.find("By tactic").unwrap()..palau.find("ATT&amp;CK coverage").unwrap()];
    assert!(tactics.contains("Command and control"));
    assert!(!tactics.contains("Collection"), "a tactic whose one step was prevented");
    // The URL a team reported is shown defanged.
    assert!(palau.contains("<code>hxxp://evil.example/update.bin</code>"));
    // The timeline's table is in time order.
    assert!(palau.find("News: cable landing station").unwrap() < palau.find("Isolate the file server").unwrap());
}

#[test]
fn the_team_and_white_cell_text_is_escaped() {
    let page = html::exercise(&sample::report());
    assert!(!page.contains("<b>"), "a team's <b> reached the page as markup");
    assert!(page.contains("We blocked &lt;b&gt;203.0.113.45&lt;/b&gt; at the edge"));
}

#[test]
fn each_team_starts_a_new_printed_page() {
    let page = html::exercise(&sample::report());
    assert!(page.contains(".break { break-before: page; page-break-before: always; }"));
    assert_eq!(page.matches(r#"class="team break""#).count(), 2);
    let alone = html::team(&sample::report(), "nauru").unwrap();
    assert_eq!(
        alone.matches(r#"class="team""#).count(),
        1,
        "one team alone needs no page break before it"
    );
}

#[test]
fn a_team_document_holds_that_team_only() {
    let report = sample::report();
    let page = html::team(&report, "nauru").unwrap();
    assert_self_contained(&page);
    assert_svg_closed(&page);
    assert!(page.contains("<title>Pacific Cable Shield 2025 — report for Nauru</title>"));
    assert!(page.contains("240 of 400 points, 60 %"));
    assert!(!page.contains("Palau"));
    assert!(!page.contains("Teams side by side"));
    assert!(page.contains("No service of this team is monitored."));
    // Command and control: two steps seen after 10 and 45 min.
    let tactics = &page[page.find("By tactic").unwrap()..page.find("ATT&amp;CK coverage").unwrap()];
    let row = &tactics[tactics.find("Command and control").unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    for cell in [">2<", ">2 of 2<", ">27 min<", ">45 min<"] {
        assert!(row.contains(cell), "{cell} not in {row}");
    }
    assert!(html::team(&report, "tuvalu").is_none());
}

#[test]
fn the_same_report_gives_the_same_bytes() {
    let report = sample::report();
    let first = html::exercise(&report);
    // Through JSON and back, so that nothing but the data can make the bytes.
    let again: atoll_report::ExerciseReport = serde_json::from_str(&atoll_report::json::to_string(&report)).unwrap();
    assert_eq!(first, html::exercise(&again));
    assert_eq!(html::team(&report, "palau"), html::team(&again, "palau"));
}

#[test]
fn an_ended_exercise_is_not_provisional() {
    let mut report = sample::report();
    assert!(html::exercise(&report).contains("Provisional: play goes on"));
    report.play_ended = true;
    let page = html::exercise(&report);
    assert!(!page.contains("Provisional"));
    assert!(
        !page.contains("stroke-dasharray=\"6 4\""),
        "no as-of line once play has ended"
    );
    assert!(page.contains("Play ended at D2 10:30."));
}

#[test]
fn lessons_and_the_improvement_plan_are_in_the_documents_by_objective() {
    let report = sample::report();
    let page = html::exercise(&report);
    // The exercise's own plan, then each team's lessons under their objective.
    let exercise = page
        .find("Lessons learned and improvement plan for the exercise")
        .unwrap();
    assert!(exercise < page.find("Run the exercise again next year").unwrap());
    assert!(
        page.contains("<td>Programme office</td><td>2026-06-30</td>"),
        "owner and due date"
    );
    let palau = html::team(&report, "palau").unwrap();
    let objective = palau
        .find("<h4>Detect the intrusion early</h4>")
        .expect("grouped by objective");
    assert!(objective < palau.find("Found the web shell through the queue").unwrap());
    assert!(palau.contains("<td>Strength</td>") && palau.contains("<td>Improvement action</td>"));
    assert!(palau.contains("&lt;b&gt;before&lt;/b&gt;"), "escaped");
    assert!(
        !palau.contains("Run the exercise again next year"),
        "the exercise's plan is the white cell's document's"
    );
    let nauru = html::team(&report, "nauru").unwrap();
    assert!(nauru.contains("None written."));
}

#[test]
fn a_team_sees_its_nation_year_to_year_when_earlier_exercises_are_kept() {
    let mut report = sample::report();
    let page = atoll_report::html::team(&report, "palau").unwrap();
    assert!(!page.contains("Year to year"), "no earlier exercise, no section");
    let palau = report.team("palau").unwrap();
    let mut last_year = atoll_report::EarlierResult::of(&report, palau);
    last_year.exercise = "Guam 2025".to_owned();
    last_year.date = atoll_report::Day::parse("2025-06-02").unwrap();
    last_year.first_detection_ms = Some(190 * 60_000);
    last_year.objectives.truncate(1);
    report.teams[0].earlier.push(last_year);
    let page = atoll_report::html::team(&report, "palau").unwrap();
    let section = &page[page.find("Year to year").expect("the section is there")..];
    // 3 h 10 min last year, 15 min this year, in that order.
    let (then, now) = (section.find("3 h 10 min").unwrap(), section.find(">15 min<").unwrap());
    assert!(then < now, "oldest first");
    assert!(section.contains("Guam 2025") && section.contains("2025-06-02"));
    assert!(
        section.contains("not in that exercise"),
        "objectives the earlier exercise lacked are said so"
    );
}
