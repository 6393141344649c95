//! The report as HTML: one document for the whole exercise (the white cell's), one per team.
//!
//! Each document stands alone: one file with its CSS inline, no script, no font or image to
//! fetch and no URL anywhere (the indicators teams reported are defanged, `hxxp://`), so it can
//! be mailed, archived or printed as it is. Status is told in words and by shape, never by colour
//! alone, so a page reads the same in black and white. In print each team starts a new page.

pub(crate) mod chart;

use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::model::{
    Attainment, Coverage, EntryKind, ExerciseReport, Lesson, LessonKind, Moment, Score, Service, Standing, Step,
    StepStatus, TeamReport, Technique, Triage,
};
use crate::{span, tactic_words};

pub(crate) const CSS: &str = include_str!("html/style.css");

/// The white cell's document: the teams side by side, then every team's section.
pub fn exercise(report: &ExerciseReport) -> String {
    let title = format!("{} — after-action report", report.exercise);
    document(
        &title,
        &html! {
            (masthead(report, &title))
            nav {
                h2 { "Teams" }
                ol {
                    @for (index, team) in report.teams.iter().enumerate() {
                        li { a href={ "#" (anchor(index)) } { (team.name) } " (" (team.nation) ")" }
                    }
                }
            }
            (side_by_side(report))
            (lessons(report, &report.lessons, "Lessons learned and improvement plan for the exercise"))
            (feedback(report))
            @for (index, team) in report.teams.iter().enumerate() {
                (team_section(report, team, index, true))
            }
            (colophon(report))
        },
    )
}

/// One team's document: its section alone. `None` if no team has this id.
pub fn team(report: &ExerciseReport, team_id: &str) -> Option<String> {
    let index = report.teams.iter().position(|t| t.id == team_id)?;
    let team = &report.teams[index];
    let title = format!("{} — report for {}", report.exercise, team.name);
    Some(document(
        &title,
        &html! {
            (masthead(report, &title))
            (team_section(report, team, index, false))
            (colophon(report))
        },
    ))
}

/// The exercise's sections without the document around them (no masthead, contents or
/// colophon): for a page that has its own frame and heading, such as the white cell's Report
/// page. The charts need no style; tables take the page's.
pub fn exercise_sections(report: &ExerciseReport) -> String {
    html! {
        (side_by_side(report))
        (feedback(report))
        @for (index, team) in report.teams.iter().enumerate() {
            (team_section(report, team, index, false))
        }
    }
    .into_string()
}

/// One team's section without the document around it (see [`exercise_sections`]).
pub fn team_sections(report: &ExerciseReport, team_id: &str) -> Option<String> {
    let index = report.teams.iter().position(|t| t.id == team_id)?;
    Some(team_section(report, &report.teams[index], index, false).into_string())
}

fn document(title: &str, body: &Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (PreEscaped(CSS)) }
            }
            body { (body) }
        }
    }
    .into_string()
}

pub(crate) fn anchor(index: usize) -> String {
    format!("team-{}", index + 1)
}

fn masthead(report: &ExerciseReport, title: &str) -> Markup {
    html! {
        header {
            h1 { (title) }
            p {
                "Scenario: " (report.scenario) " (version " (report.scenario_version) "). "
                "First day of play: " (report.date) ". Planned length of play: " (span(report.duration_ms)) "."
            }
            @if report.play_ended {
                p { "Play ended at " (report.as_of.label) "." }
            } @else {
                p.provisional {
                    "Provisional: play goes on. This report stands as of " (report.as_of.label) ", "
                    (span(report.as_of.ms)) " into play."
                }
            }
        }
    }
}

fn colophon(report: &ExerciseReport) -> Markup {
    html! {
        footer.quiet {
            p {
                "Written by atoll from the exercise record as of " (report.as_of.label) ". "
                "Times are exercise time, counted from the start of play."
            }
        }
    }
}

/// "312 of 480 points, 65 %".
pub(crate) fn score_summary(score: &Score) -> String {
    match score.percent() {
        Some(percent) => format!(
            "{} of {} points, {}",
            score.total,
            score.possible,
            whole_percent(percent)
        ),
        None => format!("{} points; nothing could be scored yet", score.total),
    }
}

/// A share of a score, rounded to the nearest whole percent.
pub(crate) fn whole_percent(percent: f64) -> String {
    format!("{percent:.0} %")
}

/// Availability to a tenth of a percent, rounded down so that a service that was ever down never
/// reads 100 %.
pub(crate) fn availability(percent: f64) -> String {
    format!("{:.1} %", (percent * 10.0).floor() / 10.0)
}

/// "8 of 10", "not graded yet (out of 10)", "not scored".
pub(crate) fn grade(points: Option<u32>, max: Option<u32>) -> String {
    match (points, max) {
        (Some(points), Some(max)) => format!("{points} of {max}"),
        (Some(points), None) => format!("{points} points"),
        (None, Some(max)) => format!("not graded yet (out of {max})"),
        (None, None) => "not scored".to_owned(),
    }
}

/// An indicator made safe to show: a URL no mail reader or browser turns into a link.
pub(crate) fn defang(indicator: &str) -> String {
    let lower = indicator.to_ascii_lowercase();
    for scheme in ["http", "https"] {
        if lower.starts_with(scheme) && lower[scheme.len()..].starts_with("://") {
            return format!("hxxp{}", &indicator[4..]);
        }
    }
    indicator.to_owned()
}

pub(crate) fn step_status_words(status: StepStatus) -> &'static str {
    match status {
        StepStatus::Ran => "● ran",
        StepStatus::Prevented => "⊗ prevented",
        StepStatus::Skipped => "○ skipped by the white cell",
        StepStatus::NotRun => "– not run (not needed)",
        StepStatus::ToCome => "◌ to come",
    }
}

pub(crate) fn coverage_words(outcome: Coverage) -> &'static str {
    match outcome {
        Coverage::Detected => "✓ detected",
        Coverage::Prevented => "✓ prevented",
        Coverage::Missed => "✗ missed",
        Coverage::NotRun => "– not run",
    }
}

pub(crate) fn standing_words(standing: Standing) -> &'static str {
    match standing {
        Standing::Earned => "✓ earned",
        Standing::Missed => "✗ missed",
        Standing::Open => "… open",
        Standing::Unscored => "– unscored",
    }
}

pub(crate) fn attainment_words(attainment: Attainment) -> String {
    match attainment {
        Attainment::Met => "● met".to_owned(),
        Attainment::Partly { earned, lines } => format!("◐ partly ({earned} of {lines} lines)"),
        Attainment::NotMet => "○ not met".to_owned(),
        Attainment::Pending => "… not yet (lines still open)".to_owned(),
        Attainment::NoScoredLines => "– no scored lines".to_owned(),
    }
}

pub(crate) fn kind_words(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Step => "campaign step",
        EntryKind::Detection => "detection",
        EntryKind::Action => "response action",
        EntryKind::Inject => "inject",
        EntryKind::Report => "report",
        EntryKind::Answer => "answer",
        EntryKind::Hint => "hint",
        EntryKind::Message => "message",
    }
}

pub(crate) fn label(moment: Option<&Moment>) -> &str {
    moment.map_or("—", |m| m.label.as_str())
}

/// Time from a step's run to its detection.
pub(crate) fn time_to_detect(step: &Step) -> Option<u64> {
    step.time_to_detect()
}

/// A team's steps detected, techniques seen and services available, in words, to set teams
/// side by side.
pub(crate) fn comparison(team: &TeamReport) -> [String; 3] {
    let ran: Vec<&Step> = team.steps.iter().filter(|s| s.status == StepStatus::Ran).collect();
    let detected = ran.iter().filter(|s| s.detected.is_some()).count();
    let run = team.techniques.iter().filter(|t| t.outcome != Coverage::NotRun).count();
    let seen = team
        .techniques
        .iter()
        .filter(|t| matches!(t.outcome, Coverage::Detected | Coverage::Prevented))
        .count();
    let services = if team.availability.is_empty() {
        "—".to_owned()
    } else {
        let mean = team.availability.iter().map(|s| s.percent).sum::<f64>() / team.availability.len() as f64;
        format!(
            "{} on average over {} services",
            availability(mean),
            team.availability.len()
        )
    };
    [
        format!("{detected} of {} that ran", ran.len()),
        format!("{seen} of {run} that ran (detected or prevented)"),
        services,
    ]
}

fn side_by_side(report: &ExerciseReport) -> Markup {
    html! {
        section id="side-by-side" {
            h2 { "Teams side by side" }
            p {
                "Each team's total is shown as a share of the points it could have earned, "
                "so teams compare fairly even where the scenario offered them different points."
            }
            table {
                thead {
                    tr {
                        th { "Team" } th { "Nation" } th.n { "Points" } th.n { "Possible" } th.n { "Share" }
                        th { "Steps detected" } th { "Techniques seen" } th { "Services available" }
                    }
                }
                tbody {
                    @for team in &report.teams {
                        @let [steps, techniques, services] = comparison(team);
                        tr {
                            td { (team.name) } td { (team.nation) }
                            td.n { (team.score.total) } td.n { (team.score.possible) }
                            td.n { (team.score.percent().map_or("—".to_owned(), whole_percent)) }
                            td { (steps) } td { (techniques) } td { (services) }
                        }
                    }
                }
            }
            (chart::scores(chart::SCREEN, report))
            h3 { "Objectives" }
            @if report.objectives.is_empty() {
                p { "The scenario sets no objectives." }
            } @else {
                p {
                    "An objective is met when every scored line tagged with it is earned, "
                    "and partly met when some are."
                }
                table {
                    thead {
                        tr {
                            th { "Objective" }
                            @for team in &report.teams { th { (team.name) } }
                        }
                    }
                    tbody {
                        @for objective in &report.objectives {
                            tr {
                                td { code { (objective.id) } " " (objective.text) }
                                @for team in &report.teams {
                                    td { (attainment_words(team.score.attainment(&objective.id))) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn team_section(report: &ExerciseReport, team: &TeamReport, index: usize, page_break: bool) -> Markup {
    let score = &team.score;
    html! {
        section.team.break[page_break] id=(anchor(index)) {
            h2 { "Team " (team.name) " — " (team.nation) }
            p.score { (score_summary(score)) }
            p.quiet { (score_detail(score)) }
            (story(report, team))
            (detect_and_contain(team))
            (coverage(team))
            (services(team, index))
            (triage(team))
            (exchanges(team))
            (score_sheet(team))
            (year_to_year(report, team))
            (lessons(report, &team.lessons, "Lessons learned and improvement plan"))
        }
    }
}

pub(crate) fn lesson_kind_words(kind: LessonKind) -> &'static str {
    match kind {
        LessonKind::Observation => "Observation",
        LessonKind::Strength => "Strength",
        LessonKind::Improvement => "Area for improvement",
        LessonKind::Action => "Improvement action",
    }
}

/// "330 earned on the score lines, 20 taken off, 2 by adjustment."
pub(crate) fn score_detail(score: &Score) -> String {
    let mut words = format!(
        "{} earned on the score lines, {} taken off",
        score.earned, score.penalty
    );
    if !score.adjustments.is_empty() {
        let adjusted: i64 = score.adjustments.iter().map(|a| a.points).sum();
        words.push_str(&format!(", {adjusted} by adjustment"));
    }
    words.push('.');
    words
}

/// The headings lessons are grouped under, in order: each objective (id, text), then the
/// exercise as a whole (an empty id).
pub(crate) fn lesson_groups(report: &ExerciseReport) -> Vec<(&str, &str)> {
    let mut groups: Vec<(&str, &str)> = report
        .objectives
        .iter()
        .map(|o| (o.id.as_str(), o.text.as_str()))
        .collect();
    groups.push(("", "The exercise as a whole"));
    groups
}

/// Lessons grouped by objective (the exercise as a whole last): observations, strengths and
/// areas for improvement, then the improvement plan's actions with owner and due date.
fn lessons(report: &ExerciseReport, lessons: &[Lesson], title: &str) -> Markup {
    let objectives = lesson_groups(report);
    html! {
        h3 { (title) }
        @if lessons.is_empty() {
            p.quiet { "None written." }
        }
        @for (id, text) in &objectives {
            @let these: Vec<_> = lessons.iter().filter(|l| l.objective == *id).collect();
            @if !these.is_empty() {
                h4 { (text) }
                table {
                    thead { tr { th { "Kind" } th { "Lesson" } th { "Owner" } th { "Due" } th { "By" } } }
                    tbody {
                        @for l in &these {
                            tr { td { (lesson_kind_words(l.kind)) } td { (l.text) } td { (l.owner) } td { (l.due) } td { (l.by) } }
                        }
                    }
                }
            }
        }
    }
}

fn story(report: &ExerciseReport, team: &TeamReport) -> Markup {
    let mut entries: Vec<_> = team.timeline.iter().collect();
    entries.sort_by_key(|e| e.at.ms);
    html! {
        h3 { "The story" }
        (chart::story(chart::SCREEN, report, team))
        p.legend {
            "Campaign steps: ● ran, ⊗ prevented, ○ skipped or not run, ◌ to come. "
            "▲ detection, ■ response action, ◆ inject, □ report, ◇ answer, △ hint. "
            @if !report.play_ended { "The dashed line is the moment this report stands at." }
        }
        @if entries.is_empty() {
            p { "Nothing has happened yet." }
        } @else {
            table {
                thead { tr { th { "When" } th { "What kind" } th { "What" } } }
                tbody {
                    @for entry in entries {
                        tr { td.n { (entry.at.label) } td { (kind_words(entry.kind)) } td { (entry.text) } }
                    }
                }
            }
        }
    }
}

/// When a step was detected, or that it was not though it ran.
pub(crate) fn detected_words(step: &Step) -> &str {
    if step.detected.is_none() && step.status == StepStatus::Ran {
        "not detected"
    } else {
        label(step.detected.as_ref())
    }
}

/// When a step was contained, by what, and how long after it ran.
pub(crate) fn contained_words(step: &Step) -> String {
    let Some(contained) = &step.contained else {
        return "—".to_owned();
    };
    let mut words = contained.label.clone();
    if let Some(by) = &step.contained_by {
        words.push_str(&format!(" by {by}"));
    }
    if let Some(at) = &step.at {
        words.push_str(&format!(" ({} after it ran)", span(contained.ms.saturating_sub(at.ms))));
    }
    words
}

fn detect_and_contain(team: &TeamReport) -> Markup {
    html! {
        h3 { "Time to detect and contain" }
        @if team.steps.is_empty() {
            p { "No campaign step concerns this team." }
        } @else {
            table {
                thead {
                    tr {
                        th { "Step" } th { "Technique" } th { "Tactic" } th { "Status" } th { "Ran at" }
                        th { "Detected at" } th { "Time to detect" } th { "Limit" } th { "Contained" }
                    }
                }
                tbody {
                    @for step in &team.steps {
                        tr {
                            td { (step.name) br; span.quiet { (step.campaign) } }
                            td { code { (step.technique) } }
                            td { (step.tactic.as_deref().map_or("—".to_owned(), tactic_words)) }
                            td { (step_status_words(step.status)) }
                            td.n { (label(step.at.as_ref())) }
                            td.n { (detected_words(step)) }
                            td.n { (time_to_detect(step).map_or("—".to_owned(), span)) }
                            td { (limit_words(step)) }
                            td { (contained_words(step)) }
                        }
                    }
                }
            }
            @if team.tactics.is_empty() {
                p { "No step has run yet." }
            } @else {
                table {
                    caption { "By tactic, for the steps that ran" }
                    thead { tr { @for (i, h) in TACTIC_HEADER.iter().enumerate() { @if i == 0 { th { (h) } } @else { th.n { (h) } } } } }
                    tbody {
                        @for row in tactic_rows(team) {
                            tr { @for (i, cell) in row.iter().enumerate() { @if i == 0 { td { (cell) } } @else { td.n { (cell) } } } }
                        }
                    }
                }
            }
        }
    }
}

/// The columns of the table of figures by tactic.
pub(crate) const TACTIC_HEADER: [&str; 8] = [
    "Tactic",
    "Steps that ran",
    "Detected",
    "Detected in time",
    "Median time to detect",
    "Worst time to detect",
    "Contained",
    "Median time to contain",
];

/// The team's figures by tactic ([`TeamReport::tactics`]), in words, a row per tactic.
pub(crate) fn tactic_rows(team: &TeamReport) -> Vec<[String; 8]> {
    let dash = || "—".to_owned();
    team.tactics
        .iter()
        .map(|t| {
            [
                t.tactic.as_deref().map_or("No tactic given".to_owned(), tactic_words),
                t.ran.to_string(),
                format!("{} of {}", t.detected, t.ran),
                if t.with_limit == 0 {
                    "no limit set".to_owned()
                } else {
                    format!("{} of {}", t.in_time, t.with_limit)
                },
                t.median_detect_ms.map_or_else(dash, span),
                t.worst_detect_ms.map_or_else(dash, span),
                format!("{} of {}", t.contained, t.ran),
                t.median_contain_ms.map_or_else(dash, span),
            ]
        })
        .collect()
}

/// The year-to-year table: each column's heading (the exercise and its date), and each row's
/// name with its cells.
pub(crate) type YearTable = (Vec<(String, String)>, Vec<(String, Vec<String>)>);

/// The nation's earlier exercises beside this one, oldest first and this exercise last: the
/// column headings (exercise, then its date), and each row's name and cells. `None` when no
/// earlier exercise is kept.
pub(crate) fn year_to_year_table(report: &ExerciseReport, team: &TeamReport) -> Option<YearTable> {
    if team.earlier.is_empty() {
        return None;
    }
    let now = crate::model::EarlierResult::of(report, team);
    let all: Vec<&crate::model::EarlierResult> = team.earlier.iter().chain(std::iter::once(&now)).collect();
    let dash = || "—".to_owned();
    let attainment_words = |word: &str| match word {
        "met" => "met",
        "partly" => "partly met",
        "not_met" => "not met",
        "pending" => "open",
        _ => "not scored",
    };
    let heads = all
        .iter()
        .map(|r| {
            (
                r.exercise.clone(),
                format!("{}{}", r.date, if r.play_ended { "" } else { ", provisional" }),
            )
        })
        .collect();
    let row = |name: &str, cell: &dyn Fn(&crate::model::EarlierResult) -> String| {
        (name.to_owned(), all.iter().map(|r| cell(r)).collect::<Vec<String>>())
    };
    let mut rows = vec![
        row("Share of possible points", &|r| {
            r.percent.map_or_else(dash, whole_percent)
        }),
        row("Time to detect the intrusion (first step to first detection)", &|r| {
            r.first_detection_ms.map_or_else(|| "not detected".to_owned(), span)
        }),
        row("Steps detected", &|r| format!("{} of {}", r.detected, r.ran)),
        row("Median time to detect", &|r| r.median_detect_ms.map_or_else(dash, span)),
        row("Median time to contain", &|r| {
            r.median_contain_ms.map_or_else(dash, span)
        }),
    ];
    for objective in &report.objectives {
        rows.push(row(&format!("Objective: {}", objective.text), &|r| {
            r.objectives
                .iter()
                .find(|o| o.id == objective.id)
                .map_or("not in that exercise", |o| attainment_words(&o.attainment))
                .to_owned()
        }));
    }
    Some((heads, rows))
}

fn year_to_year(report: &ExerciseReport, team: &TeamReport) -> Markup {
    let Some((heads, rows)) = year_to_year_table(report, team) else {
        return html! {};
    };
    html! {
        h3 { "Year to year" }
        p { (YEAR_TO_YEAR_INTRO.replace("{nation}", &team.nation)) }
        table {
            thead { tr { th { "" } @for (name, date) in &heads { th.n { (name) br; span.quiet { (date) } } } } }
            tbody { @for (name, cells) in &rows { tr { th { (name) } @for cell in cells { td.n { (cell) } } } } }
        }
    }
}

/// The columns of the table of ratings.
pub(crate) const FEEDBACK_HEADER: [&str; 7] = ["Statement", "1", "2", "3", "4", "5", "Mean"];

/// How many answered, in a sentence.
pub(crate) fn feedback_intro(summary: &crate::feedback::Summary) -> String {
    format!(
        "{} participants answered the feedback form ({} of them anonymously). Ratings run from 1 \
         (strongly disagree) to 5 (strongly agree); the columns count who gave each.",
        summary.responses, summary.anonymous
    )
}

/// Each rated statement: the statement, how many gave 1 to 5, and the mean.
pub(crate) fn feedback_rows(summary: &crate::feedback::Summary) -> Vec<[String; 7]> {
    summary
        .ratings
        .iter()
        .map(|r| {
            [
                r.statement.clone(),
                r.counts[0].to_string(),
                r.counts[1].to_string(),
                r.counts[2].to_string(),
                r.counts[3].to_string(),
                r.counts[4].to_string(),
                r.mean.map_or("—".to_owned(), |m| format!("{m:.1}")),
            ]
        })
        .collect()
}

fn feedback(report: &ExerciseReport) -> Markup {
    let Some(summary) = &report.feedback else {
        return html! {};
    };
    html! {
        section id="feedback" {
            h2 { "Participant feedback" }
            p { (feedback_intro(summary)) }
            table {
                thead { tr { @for (i, h) in FEEDBACK_HEADER.iter().enumerate() { @if i == 0 { th { (h) } } @else { th.n { (h) } } } } }
                tbody {
                    @for row in feedback_rows(summary) {
                        tr { @for (i, cell) in row.iter().enumerate() { @if i == 0 { td { (cell) } } @else { td.n { (cell) } } } }
                    }
                }
            }
            @for (question, comments) in comment_groups(summary) {
                h3 { (question) }
                ul { @for c in comments { li { (c.text) " " span.quiet { "— " (c.from) } } } }
            }
        }
    }
}

/// The answers in words, question by question.
pub(crate) fn comment_groups(summary: &crate::feedback::Summary) -> Vec<(&str, Vec<&crate::feedback::Comment>)> {
    let mut groups: Vec<(&str, Vec<&crate::feedback::Comment>)> = Vec::new();
    for c in &summary.comments {
        match groups.iter_mut().find(|(q, _)| *q == c.question) {
            Some((_, list)) => list.push(c),
            None => groups.push((&c.question, vec![c])),
        }
    }
    groups
}

/// What the year-to-year table shows, in a sentence.
pub(crate) const YEAR_TO_YEAR_INTRO: &str = "{nation}'s results in the exercises this installation holds, oldest first; \
     the last column is this exercise. Times are exercise time.";

/// The limit on a step's time to detect and whether the team kept to it.
pub(crate) fn limit_words(step: &Step) -> String {
    let Some(limit) = step.detect_within_ms else {
        return "—".to_owned();
    };
    let verdict = match (step.status, time_to_detect(step)) {
        (_, Some(taken)) if taken <= limit => "in time".to_owned(),
        (_, Some(taken)) => format!("late by {}", span(taken - limit)),
        (StepStatus::Ran, None) => "not detected".to_owned(),
        (StepStatus::ToCome, None) => "the step has not run yet".to_owned(),
        _ => "the step did not run".to_owned(),
    };
    format!("within {}: {verdict}", span(limit))
}

/// "Of 5 techniques that ran, 3 were detected, 1 prevented and 1 missed; 2 have not run."
pub(crate) fn coverage_summary(team: &TeamReport) -> String {
    let count = |outcome: Coverage| team.techniques.iter().filter(|t| t.outcome == outcome).count();
    let not_run = count(Coverage::NotRun);
    format!(
        "Of {} techniques that ran, {} were detected, {} prevented and {} missed; {not_run} have not run.",
        team.techniques.len() - not_run,
        count(Coverage::Detected),
        count(Coverage::Prevented),
        count(Coverage::Missed)
    )
}

/// A technique's tactics in words, comma-separated.
pub(crate) fn technique_tactics(technique: &Technique) -> String {
    technique
        .tactics
        .iter()
        .map(|t| tactic_words(t))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The names of the steps that use a technique (the id of a step the team does not have).
pub(crate) fn technique_steps(team: &TeamReport, technique: &Technique) -> String {
    technique
        .steps
        .iter()
        .map(|id| {
            team.steps
                .iter()
                .find(|s| &s.id == id)
                .map_or(id.as_str(), |s| s.name.as_str())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn coverage(team: &TeamReport) -> Markup {
    html! {
        h3 { "ATT&CK coverage" }
        @if team.techniques.is_empty() {
            p { "The campaigns against this team use no ATT&CK technique." }
        } @else {
            p { (coverage_summary(team)) }
            table {
                thead { tr { th { "Technique" } th { "Tactics" } th { "Steps" } th { "Outcome" } } }
                tbody {
                    @for technique in &team.techniques {
                        tr {
                            td { code { (technique.id) } }
                            td { (technique_tactics(technique)) }
                            td { (technique_steps(team, technique)) }
                            td { (coverage_words(technique.outcome)) }
                        }
                    }
                }
            }
        }
    }
}

/// The hours in which a service was not always available, with its share of each, or "none".
pub(crate) fn hours_below_full(service: &Service) -> String {
    let low: Vec<String> = service
        .hourly
        .iter()
        .filter(|h| h.percent < 100.0)
        .map(|h| format!("{} ({})", h.label, availability(h.percent)))
        .collect();
    if low.is_empty() {
        "none".to_owned()
    } else {
        low.join(", ")
    }
}

fn services(team: &TeamReport, index: usize) -> Markup {
    html! {
        h3 { "Services" }
        @if team.availability.is_empty() {
            p { "No service of this team is monitored." }
        } @else {
            p {
                "Each bar is one hour of play; its filled part is the share of the hour the service was "
                "available, the hatched part the share it was not."
            }
            (chart::services(chart::SCREEN, team, index))
            table {
                thead {
                    tr { th { "Service" } th { "Host" } th.n { "Available over play so far" } th { "Hours below 100 %" } }
                }
                tbody {
                    @for service in &team.availability {
                        tr {
                            td { (service.name) }
                            td { code { (service.host) } }
                            td.n { (availability(service.percent)) }
                            td { (hours_below_full(service)) }
                        }
                    }
                }
            }
        }
    }
}

/// What became of a team's alerts, each count with its words.
pub(crate) fn triage_counts(t: &Triage) -> [(&'static str, u64); 6] {
    [
        ("Alerts raised", t.alerts),
        ("Judged true positive", t.true_positives),
        ("Judged false positive", t.false_positives),
        ("Still being investigated", t.investigating),
        ("Never judged", t.never_judged),
        ("Suppressed (not shown to the team)", t.suppressed),
    ]
}

fn triage(team: &TeamReport) -> Markup {
    let t = &team.triage;
    let rows = triage_counts(t);
    html! {
        h3 { "Alert triage" }
        table.compact {
            tbody {
                @for (what, count) in rows { tr { th { (what) } td.n { (count) } } }
            }
        }
        h4 { "Suppressions" }
        @if t.suppressions.is_empty() {
            p { "The team suppressed no rule." }
        } @else {
            table {
                thead { tr { th { "Rule" } th { "Reason" } th { "By" } th { "Made" } th { "Lifted" } } }
                tbody {
                    @for s in &t.suppressions {
                        tr {
                            td { code { (s.rule) } } td { (s.reason) } td { (s.by) } td.n { (s.at.label) }
                            td.n { (s.ended.as_ref().map_or("still in force", |m| m.label.as_str())) }
                        }
                    }
                }
            }
        }
    }
}

fn exchanges(team: &TeamReport) -> Markup {
    html! {
        h3 { "Answers, reports and hints" }
        h4 { "Answers" }
        @if team.answers.is_empty() {
            p { "The team answered no question." }
        } @else {
            table {
                thead {
                    tr { th { "At" } th { "Question" } th { "Answer" } th { "By" } th { "Grade" } th { "Why" } }
                }
                tbody {
                    @for a in &team.answers {
                        tr {
                            td.n { (a.at.label) } td { (a.question) } td { (a.answer) } td { (a.by) }
                            td { (grade(a.points, a.max)) } td { (a.why) }
                        }
                    }
                }
            }
        }
        h4 { "Reports" }
        @if team.reports.is_empty() {
            p { "The team sent no report." }
        } @else {
            table {
                thead {
                    tr {
                        th { "Sent" } th { "Report" } th { "To" } th { "TLP" } th { "By" } th { "Indicators" }
                        th { "Grade" } th { "White cell's comment" }
                    }
                }
                tbody {
                    @for r in &team.reports {
                        tr {
                            td.n { (r.at.label) } td { (r.title) } td { (r.to) } td { (r.tlp) } td { (r.by) }
                            td {
                                @for (i, indicator) in r.indicators.iter().enumerate() {
                                    @if i > 0 { ", " }
                                    code { (defang(indicator)) }
                                }
                            }
                            td { (grade(r.points, r.max)) }
                            td {
                                (r.comment.as_deref().unwrap_or("—"))
                                @if let Some(by) = &r.graded_by { " (" (by) ")" }
                            }
                        }
                    }
                }
            }
        }
        h4 { "Hints" }
        @if team.hints.is_empty() {
            p { "The team took no hint." }
        } @else {
            table {
                thead { tr { th { "At" } th { "Question" } th { "Hint" } th { "By" } th.n { "Cost" } } }
                tbody {
                    @for h in &team.hints {
                        tr {
                            td.n { (h.at.label) } td { (h.question) } td { (h.text) } td { (h.by) }
                            td.n { "−" (h.cost) " points" }
                        }
                    }
                }
            }
        }
    }
}

fn score_sheet(team: &TeamReport) -> Markup {
    let score = &team.score;
    html! {
        h3 { "Score" }
        @if score.lines.is_empty() {
            p { "No expectation scores this team." }
        } @else {
            table {
                thead {
                    tr {
                        th { "Expectation" } th { "What was expected" } th { "Objectives" } th { "Standing" }
                        th.n { "Points" } th { "Why" }
                    }
                }
                tbody {
                    @for line in &score.lines {
                        tr {
                            td { code { (line.expectation) } }
                            td { (line.text) }
                            td { (line.objectives.join(", ")) }
                            td { (standing_words(line.standing)) }
                            td.n { (line.points) " of " (line.max) }
                            td { (line.why) }
                        }
                    }
                }
            }
        }
        table.compact {
            caption { "Totals" }
            tbody {
                tr { th { "Earned on the score lines" } td.n { (score.earned) } }
                tr { th { "Taken off (hints and the like)" } td.n { "−" (score.penalty) } }
                @for adjustment in &score.adjustments {
                    tr {
                        th { "Adjusted by the white cell: " (adjustment.why) }
                        td.n { @if adjustment.points >= 0 { "+" } (adjustment.points) }
                    }
                }
                tr { th { "Total" } td.n { (score_summary(score)) } }
            }
        }
    }
}
