//! The report as HTML: one document for the whole exercise (the white cell's), one per team.
//!
//! Each document stands alone: one file with its CSS inline, no script, no font or image to
//! fetch and no URL anywhere (the indicators teams reported are defanged, `hxxp://`), so it can
//! be mailed, archived or printed as it is. Status is told in words and by shape, never by colour
//! alone, so a page reads the same in black and white. In print each team starts a new page.

mod chart;

use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::model::{
    Attainment, Coverage, EntryKind, ExerciseReport, Moment, Score, Standing, Step, StepStatus, TeamReport,
};
use crate::{span, tactic_words};

const CSS: &str = include_str!("html/style.css");

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

fn anchor(index: usize) -> String {
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
fn score_summary(score: &Score) -> String {
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
fn whole_percent(percent: f64) -> String {
    format!("{percent:.0} %")
}

/// Availability to a tenth of a percent, rounded down so that a service that was ever down never
/// reads 100 %.
fn availability(percent: f64) -> String {
    format!("{:.1} %", (percent * 10.0).floor() / 10.0)
}

/// "8 of 10", "not graded yet (out of 10)", "not scored".
fn grade(points: Option<u32>, max: Option<u32>) -> String {
    match (points, max) {
        (Some(points), Some(max)) => format!("{points} of {max}"),
        (Some(points), None) => format!("{points} points"),
        (None, Some(max)) => format!("not graded yet (out of {max})"),
        (None, None) => "not scored".to_owned(),
    }
}

/// An indicator made safe to show: a URL no mail reader or browser turns into a link.
fn defang(indicator: &str) -> String {
    let lower = indicator.to_ascii_lowercase();
    for scheme in ["http", "https"] {
        if lower.starts_with(scheme) && lower[scheme.len()..].starts_with("://") {
            return format!("hxxp{}", &indicator[4..]);
        }
    }
    indicator.to_owned()
}

fn step_status_words(status: StepStatus) -> &'static str {
    match status {
        StepStatus::Ran => "● ran",
        StepStatus::Prevented => "⊗ prevented",
        StepStatus::Skipped => "○ skipped by the white cell",
        StepStatus::NotRun => "– not run (not needed)",
        StepStatus::ToCome => "◌ to come",
    }
}

fn coverage_words(outcome: Coverage) -> &'static str {
    match outcome {
        Coverage::Detected => "✓ detected",
        Coverage::Prevented => "✓ prevented",
        Coverage::Missed => "✗ missed",
        Coverage::NotRun => "– not run",
    }
}

fn standing_words(standing: Standing) -> &'static str {
    match standing {
        Standing::Earned => "✓ earned",
        Standing::Missed => "✗ missed",
        Standing::Open => "… open",
        Standing::Unscored => "– unscored",
    }
}

fn attainment_words(attainment: Attainment) -> String {
    match attainment {
        Attainment::Met => "● met".to_owned(),
        Attainment::Partly { earned, lines } => format!("◐ partly ({earned} of {lines} lines)"),
        Attainment::NotMet => "○ not met".to_owned(),
        Attainment::Pending => "… not yet (lines still open)".to_owned(),
        Attainment::NoScoredLines => "– no scored lines".to_owned(),
    }
}

fn kind_words(kind: EntryKind) -> &'static str {
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

fn label(moment: Option<&Moment>) -> &str {
    moment.map_or("—", |m| m.label.as_str())
}

/// Time from a step's run to its detection.
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
                        @let ran: Vec<&Step> = team.steps.iter().filter(|s| s.status == StepStatus::Ran).collect();
                        @let detected = ran.iter().filter(|s| s.detected.is_some()).count();
                        @let run = team.techniques.iter().filter(|t| t.outcome != Coverage::NotRun).count();
                        @let seen = team.techniques.iter()
                            .filter(|t| matches!(t.outcome, Coverage::Detected | Coverage::Prevented)).count();
                        tr {
                            td { (team.name) } td { (team.nation) }
                            td.n { (team.score.total) } td.n { (team.score.possible) }
                            td.n { (team.score.percent().map_or("—".to_owned(), whole_percent)) }
                            td { (detected) " of " (ran.len()) " that ran" }
                            td { (seen) " of " (run) " that ran (detected or prevented)" }
                            td {
                                @if team.availability.is_empty() {
                                    "—"
                                } @else {
                                    @let mean = team.availability.iter().map(|s| s.percent).sum::<f64>()
                                        / team.availability.len() as f64;
                                    (availability(mean)) " on average over "
                                    (team.availability.len()) " services"
                                }
                            }
                        }
                    }
                }
            }
            (chart::scores(report))
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
            p.quiet {
                (score.earned) " earned on the score lines, " (score.penalty) " taken off"
                @if !score.adjustments.is_empty() {
                    ", " (score.adjustments.iter().map(|a| a.points).sum::<i64>()) " by adjustment"
                }
                "."
            }
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

/// The nation's earlier exercises beside this one: the same figures, oldest first, this
/// exercise last; and each objective's attainment where the earlier exercise had it too.
fn year_to_year(report: &ExerciseReport, team: &TeamReport) -> Markup {
    if team.earlier.is_empty() {
        return html! {};
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
    html! {
        h3 { "Year to year" }
        p {
            (team.nation) "'s results in the exercises this installation holds, oldest first; the last "
            "column is this exercise. Times are exercise time."
        }
        table {
            thead {
                tr {
                    th { "" }
                    @for r in &all {
                        th.n { (r.exercise) br; span.quiet { (r.date) @if !r.play_ended { ", provisional" } } }
                    }
                }
            }
            tbody {
                tr { th { "Share of possible points" } @for r in &all { td.n { (r.percent.map_or_else(dash, whole_percent)) } } }
                tr {
                    th { "Time to detect the intrusion (first step to first detection)" }
                    @for r in &all { td.n { (r.first_detection_ms.map_or_else(|| "not detected".to_owned(), span)) } }
                }
                tr { th { "Steps detected" } @for r in &all { td.n { (r.detected) " of " (r.ran) } } }
                tr { th { "Median time to detect" } @for r in &all { td.n { (r.median_detect_ms.map_or_else(dash, span)) } } }
                tr { th { "Median time to contain" } @for r in &all { td.n { (r.median_contain_ms.map_or_else(dash, span)) } } }
                @for objective in &report.objectives {
                    tr {
                        th { "Objective: " (objective.text) }
                        @for r in &all {
                            td.n {
                                (r.objectives.iter().find(|o| o.id == objective.id)
                                    .map_or("not in that exercise", |o| attainment_words(&o.attainment)))
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Lessons grouped by objective (the exercise as a whole last): observations, strengths and
/// areas for improvement, then the improvement plan's actions with owner and due date.
fn lessons(report: &ExerciseReport, lessons: &[crate::model::Lesson], title: &str) -> Markup {
    use crate::model::LessonKind;
    let mut objectives: Vec<(&str, &str)> = report
        .objectives
        .iter()
        .map(|o| (o.id.as_str(), o.text.as_str()))
        .collect();
    objectives.push(("", "The exercise as a whole"));
    let kind_words = |kind: LessonKind| match kind {
        LessonKind::Observation => "Observation",
        LessonKind::Strength => "Strength",
        LessonKind::Improvement => "Area for improvement",
        LessonKind::Action => "Improvement action",
    };
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
                            tr { td { (kind_words(l.kind)) } td { (l.text) } td { (l.owner) } td { (l.due) } td { (l.by) } }
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
        (chart::story(report, team))
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

fn detect_and_contain(team: &TeamReport) -> Markup {
    let dash = || "—".to_owned();
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
                            td.n {
                                @if step.detected.is_none() && step.status == StepStatus::Ran {
                                    "not detected"
                                } @else {
                                    (label(step.detected.as_ref()))
                                }
                            }
                            td.n { (step.time_to_detect().map_or("—".to_owned(), span)) }
                            td { (limit_words(step)) }
                            td {
                                @if let Some(contained) = &step.contained {
                                    (contained.label)
                                    @if let Some(by) = &step.contained_by { " by " (by) }
                                    @if let Some(at) = &step.at {
                                        " (" (span(contained.ms.saturating_sub(at.ms))) " after it ran)"
                                    }
                                } @else {
                                    "—"
                                }
                            }
                        }
                    }
                }
            }
            @if team.tactics.is_empty() {
                p { "No step has run yet." }
            } @else {
                table {
                    caption { "By tactic, for the steps that ran" }
                    thead {
                        tr {
                            th { "Tactic" } th.n { "Steps that ran" } th.n { "Detected" }
                            th.n { "Detected in time" } th.n { "Median time to detect" }
                            th.n { "Worst time to detect" } th.n { "Contained" } th.n { "Median time to contain" }
                        }
                    }
                    tbody {
                        @for t in &team.tactics {
                            tr {
                                td { (t.tactic.as_deref().map_or("No tactic given".to_owned(), tactic_words)) }
                                td.n { (t.ran) }
                                td.n { (t.detected) " of " (t.ran) }
                                td.n {
                                    @if t.with_limit == 0 { "no limit set" } @else { (t.in_time) " of " (t.with_limit) }
                                }
                                td.n { (t.median_detect_ms.map_or_else(dash, span)) }
                                td.n { (t.worst_detect_ms.map_or_else(dash, span)) }
                                td.n { (t.contained) " of " (t.ran) }
                                td.n { (t.median_contain_ms.map_or_else(dash, span)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The limit on a step's time to detect and whether the team kept to it.
fn limit_words(step: &Step) -> String {
    let Some(limit) = step.detect_within_ms else {
        return "—".to_owned();
    };
    let verdict = match (step.status, step.time_to_detect()) {
        (_, Some(taken)) if taken <= limit => "in time".to_owned(),
        (_, Some(taken)) => format!("late by {}", span(taken - limit)),
        (StepStatus::Ran, None) => "not detected".to_owned(),
        (StepStatus::ToCome, None) => "the step has not run yet".to_owned(),
        _ => "the step did not run".to_owned(),
    };
    format!("within {}: {verdict}", span(limit))
}

fn coverage(team: &TeamReport) -> Markup {
    let count = |outcome: Coverage| team.techniques.iter().filter(|t| t.outcome == outcome).count();
    let not_run = count(Coverage::NotRun);
    html! {
        h3 { "ATT&CK coverage" }
        @if team.techniques.is_empty() {
            p { "The campaigns against this team use no ATT&CK technique." }
        } @else {
            p {
                "Of " (team.techniques.len() - not_run) " techniques that ran, " (count(Coverage::Detected))
                " were detected, " (count(Coverage::Prevented)) " prevented and " (count(Coverage::Missed))
                " missed; " (not_run) " have not run."
            }
            table {
                thead { tr { th { "Technique" } th { "Tactics" } th { "Steps" } th { "Outcome" } } }
                tbody {
                    @for technique in &team.techniques {
                        tr {
                            td { code { (technique.id) } }
                            td {
                                (technique.tactics.iter().map(|t| tactic_words(t)).collect::<Vec<_>>().join(", "))
                            }
                            td {
                                (technique.steps.iter()
                                    .map(|id| team.steps.iter().find(|s| &s.id == id).map_or(id.as_str(), |s| s.name.as_str()))
                                    .collect::<Vec<_>>().join(", "))
                            }
                            td { (coverage_words(technique.outcome)) }
                        }
                    }
                }
            }
        }
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
            (chart::services(team, index))
            table {
                thead {
                    tr { th { "Service" } th { "Host" } th.n { "Available over play so far" } th { "Hours below 100 %" } }
                }
                tbody {
                    @for service in &team.availability {
                        @let low: Vec<String> = service.hourly.iter().filter(|h| h.percent < 100.0)
                            .map(|h| format!("{} ({})", h.label, availability(h.percent))).collect();
                        tr {
                            td { (service.name) }
                            td { code { (service.host) } }
                            td.n { (availability(service.percent)) }
                            td { @if low.is_empty() { "none" } @else { (low.join(", ")) } }
                        }
                    }
                }
            }
        }
    }
}

fn triage(team: &TeamReport) -> Markup {
    let t = &team.triage;
    let rows: [(&str, u64); 6] = [
        ("Alerts raised", t.alerts),
        ("Judged true positive", t.true_positives),
        ("Judged false positive", t.false_positives),
        ("Still being investigated", t.investigating),
        ("Never judged", t.never_judged),
        ("Suppressed (not shown to the team)", t.suppressed),
    ];
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
