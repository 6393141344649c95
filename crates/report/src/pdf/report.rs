//! The after-action report as a [`Document`]: the same sections, in the same order and with
//! the same words as the HTML documents (`html.rs`, whose helpers it shares), laid out for A4.
//!
//! Two changes for paper: the exercise document lists the teams with the page each starts on,
//! and a report's indicators get a row of their own under it, since a hash does not fit a
//! column.

use super::document::{Block, Cell, Column, Document, Look, Run, Table};
use crate::html::chart::{self, A4};
use crate::html::{
    FEEDBACK_HEADER, TACTIC_HEADER, YEAR_TO_YEAR_INTRO, anchor, attainment_words, availability, comparison,
    contained_words, coverage_summary, coverage_words, defang, detected_words, feedback_intro, feedback_rows, grade,
    hours_below_full, kind_words, label, lesson_groups, lesson_kind_words, limit_words, score_detail, score_summary,
    standing_words, step_status_words, tactic_rows, technique_steps, technique_tactics, time_to_detect, triage_counts,
    whole_percent, year_to_year_table,
};
use crate::model::{ExerciseReport, Lesson, TeamReport};
use crate::{span, tactic_words};

/// The white cell's document: the teams side by side, the exercise's lessons, then each team
/// on a page of its own.
pub(crate) fn exercise(report: &ExerciseReport) -> Document {
    let title = format!("{} — after-action report", report.exercise);
    let mut blocks = masthead(report, &title);
    blocks.push(heading(2, "Teams"));
    blocks.push(Block::Contents {
        entries: report
            .teams
            .iter()
            .enumerate()
            .map(|(index, team)| (format!("{} ({})", team.name, team.nation), anchor(index)))
            .collect(),
    });
    side_by_side(&mut blocks, report);
    lessons(
        &mut blocks,
        report,
        &report.lessons,
        "Lessons learned and improvement plan for the exercise",
    );
    feedback(&mut blocks, report);
    for (index, team) in report.teams.iter().enumerate() {
        blocks.push(Block::PageBreak);
        team_section(&mut blocks, report, team, index);
    }
    blocks.push(colophon(report));
    Document { title, blocks }
}

/// One team's document: its section alone. `None` if no team has this id.
pub(crate) fn team(report: &ExerciseReport, team_id: &str) -> Option<Document> {
    let index = report.teams.iter().position(|t| t.id == team_id)?;
    let team = &report.teams[index];
    let title = format!("{} — report for {}", report.exercise, team.name);
    let mut blocks = masthead(report, &title);
    team_section(&mut blocks, report, team, index);
    blocks.push(colophon(report));
    Some(Document { title, blocks })
}

pub(crate) fn heading(level: u8, text: impl Into<String>) -> Block {
    Block::Heading {
        level,
        text: text.into(),
        anchor: None,
    }
}

pub(crate) fn paragraph(look: Look, text: impl Into<String>) -> Block {
    Block::Paragraph {
        look,
        runs: vec![Run::Text(text.into())],
    }
}

pub(crate) fn plain(text: impl Into<String>) -> Block {
    paragraph(Look::Plain, text)
}

pub(crate) fn table(columns: Vec<Column>, header: &[&str], rows: Vec<Vec<Cell>>) -> Block {
    Block::Table(Table {
        caption: None,
        columns,
        header: header.iter().map(|h| (*h).to_owned()).collect(),
        rows,
        compact: false,
    })
}

/// The same table with a caption above it.
fn captioned(caption: &str, block: Block) -> Block {
    match block {
        Block::Table(table) => Block::Table(Table {
            caption: Some(caption.to_owned()),
            ..table
        }),
        other => other,
    }
}

/// A two-column table of named figures, with a caption or none.
fn figures(caption: Option<&str>, rows: Vec<(String, String)>) -> Block {
    Block::Table(Table {
        caption: caption.map(str::to_owned),
        columns: vec![Column::fit(), Column::number()],
        header: Vec::new(),
        rows: rows
            .into_iter()
            .map(|(what, figure)| vec![Cell::text(what), Cell::text(figure)])
            .collect(),
        compact: true,
    })
}

/// A moment ("D1 09:20") in a cell, kept on one line: a narrow column would split it.
fn when(label: &str) -> Cell {
    Cell::text(label.replace(' ', "\u{a0}"))
}

fn picture(svg: &maud::Markup, alt: String) -> Block {
    Block::Picture {
        svg: chart::standalone(svg),
        alt,
    }
}

fn masthead(report: &ExerciseReport, title: &str) -> Vec<Block> {
    let mut blocks = vec![
        heading(1, title),
        plain(format!(
            "Scenario: {} (version {}). First day of play: {}. Planned length of play: {}.",
            report.scenario,
            report.scenario_version,
            report.date,
            span(report.duration_ms)
        )),
    ];
    if report.play_ended {
        blocks.push(plain(format!("Play ended at {}.", report.as_of.label)));
    } else {
        blocks.push(paragraph(
            Look::Boxed,
            format!(
                "Provisional: play goes on. This report stands as of {}, {} into play.",
                report.as_of.label,
                span(report.as_of.ms)
            ),
        ));
    }
    blocks
}

fn colophon(report: &ExerciseReport) -> Block {
    paragraph(
        Look::Quiet,
        format!(
            "Written by atoll from the exercise record as of {}. Times are exercise time, counted from the start of play.",
            report.as_of.label
        ),
    )
}

fn side_by_side(blocks: &mut Vec<Block>, report: &ExerciseReport) {
    blocks.push(heading(2, "Teams side by side"));
    blocks.push(plain(
        "Each team's total is shown as a share of the points it could have earned, so teams compare fairly even \
         where the scenario offered them different points.",
    ));
    let rows = report
        .teams
        .iter()
        .map(|team| {
            let [steps, techniques, services] = comparison(team);
            vec![
                Cell::text(&team.name),
                Cell::text(&team.nation),
                Cell::text(team.score.total.to_string()),
                Cell::text(team.score.possible.to_string()),
                Cell::text(team.score.percent().map_or("—".to_owned(), whole_percent)),
                Cell::text(steps),
                Cell::text(techniques),
                Cell::text(services),
            ]
        })
        .collect();
    blocks.push(table(
        vec![
            Column::text(2),
            Column::text(2),
            Column::number(),
            Column::number(),
            Column::number(),
            Column::text(2),
            Column::text(2),
            Column::text(2),
        ],
        &[
            "Team",
            "Nation",
            "Points",
            "Possible",
            "Share",
            "Steps detected",
            "Techniques seen",
            "Services available",
        ],
        rows,
    ));
    blocks.push(picture(
        &chart::scores(A4, report),
        "Each team's total as a share of the points it could have earned".to_owned(),
    ));
    blocks.push(heading(3, "Objectives"));
    if report.objectives.is_empty() {
        blocks.push(plain("The scenario sets no objectives."));
        return;
    }
    blocks.push(plain(
        "An objective is met when every scored line tagged with it is earned, and partly met when some are.",
    ));
    let mut header = vec!["Objective"];
    header.extend(report.teams.iter().map(|t| t.name.as_str()));
    let mut columns = vec![Column::text(3)];
    columns.extend(report.teams.iter().map(|_| Column::text(2)));
    let rows = report
        .objectives
        .iter()
        .map(|objective| {
            let mut row = vec![Cell::runs(vec![
                Run::Code(objective.id.clone()),
                Run::Text(format!(" {}", objective.text)),
            ])];
            row.extend(
                report
                    .teams
                    .iter()
                    .map(|team| Cell::text(attainment_words(team.score.attainment(&objective.id)))),
            );
            row
        })
        .collect();
    blocks.push(table(columns, &header, rows));
}

fn team_section(blocks: &mut Vec<Block>, report: &ExerciseReport, team: &TeamReport, index: usize) {
    blocks.push(Block::Heading {
        level: 2,
        text: format!("Team {} — {}", team.name, team.nation),
        anchor: Some(anchor(index)),
    });
    blocks.push(paragraph(Look::Lead, score_summary(&team.score)));
    blocks.push(paragraph(Look::Quiet, score_detail(&team.score)));
    story(blocks, report, team);
    detect_and_contain(blocks, team);
    coverage(blocks, team);
    services(blocks, team, index);
    triage(blocks, team);
    exchanges(blocks, team);
    score_sheet(blocks, team);
    year_to_year(blocks, report, team);
    lessons(blocks, report, &team.lessons, "Lessons learned and improvement plan");
}

fn lessons(blocks: &mut Vec<Block>, report: &ExerciseReport, lessons: &[Lesson], title: &str) {
    blocks.push(heading(3, title));
    if lessons.is_empty() {
        blocks.push(paragraph(Look::Quiet, "None written."));
    }
    for (id, text) in lesson_groups(report) {
        let these: Vec<&Lesson> = lessons.iter().filter(|l| l.objective == id).collect();
        if these.is_empty() {
            continue;
        }
        blocks.push(heading(4, text));
        let rows = these
            .iter()
            .map(|l| {
                vec![
                    Cell::text(lesson_kind_words(l.kind)),
                    Cell::text(&l.text),
                    Cell::text(&l.owner),
                    Cell::text(&l.due),
                    Cell::text(&l.by),
                ]
            })
            .collect();
        blocks.push(table(
            vec![
                Column::text(2),
                Column::text(6),
                Column::text(2),
                Column::fit(),
                Column::text(2),
            ],
            &["Kind", "Lesson", "Owner", "Due", "By"],
            rows,
        ));
    }
}

fn story(blocks: &mut Vec<Block>, report: &ExerciseReport, team: &TeamReport) {
    let mut entries: Vec<_> = team.timeline.iter().collect();
    entries.sort_by_key(|e| e.at.ms);
    blocks.push(heading(3, "The story"));
    blocks.push(picture(
        &chart::story(A4, report, team),
        format!(
            "Timeline of team {}: campaign steps, detections, response actions, injects and reports over exercise time",
            team.name
        ),
    ));
    let mut legend = "Campaign steps: ● ran, ⊗ prevented, ○ skipped or not run, ◌ to come. \
                      ▲ detection, ■ response action, ◆ inject, □ report, ◇ answer, △ hint. "
        .to_owned();
    if !report.play_ended {
        legend.push_str("The dashed line is the moment this report stands at.");
    }
    blocks.push(paragraph(Look::Small, legend));
    if entries.is_empty() {
        blocks.push(plain("Nothing has happened yet."));
        return;
    }
    let rows = entries
        .iter()
        .map(|e| vec![when(&e.at.label), Cell::text(kind_words(e.kind)), Cell::text(&e.text)])
        .collect();
    blocks.push(table(
        vec![Column::number(), Column::fit(), Column::text(1)],
        &["When", "What kind", "What"],
        rows,
    ));
}

fn detect_and_contain(blocks: &mut Vec<Block>, team: &TeamReport) {
    blocks.push(heading(3, "Time to detect and contain"));
    if team.steps.is_empty() {
        blocks.push(plain("No campaign step concerns this team."));
        return;
    }
    let rows = team
        .steps
        .iter()
        .map(|step| {
            vec![
                Cell::runs(vec![
                    Run::Text(step.name.clone()),
                    Run::LineBreak,
                    Run::Quiet(step.campaign.clone()),
                ]),
                Cell::code(&step.technique),
                Cell::text(step.tactic.as_deref().map_or("—".to_owned(), tactic_words)),
                Cell::text(step_status_words(step.status)),
                when(label(step.at.as_ref())),
                when(detected_words(step)),
                Cell::text(time_to_detect(step).map_or("—".to_owned(), span)),
                Cell::text(limit_words(step)),
                Cell::text(contained_words(step)),
            ]
        })
        .collect();
    blocks.push(table(
        // Nine columns on A4: every one but the technique's wraps, headers included.
        vec![
            Column::text(6),
            Column::fit(),
            Column::text(4),
            Column::text(4),
            Column::number(),
            Column::number(),
            Column::number_share(4),
            Column::text(5),
            Column::text(6),
        ],
        &[
            "Step",
            "Technique",
            "Tactic",
            "Status",
            "Ran at",
            "Detected at",
            "Time to detect",
            "Limit",
            "Contained",
        ],
        rows,
    ));
    if team.tactics.is_empty() {
        blocks.push(plain("No step has run yet."));
        return;
    }
    let rows = tactic_rows(team)
        .into_iter()
        .map(|row| row.into_iter().map(Cell::text).collect())
        .collect();
    let mut columns = vec![Column::text(3)];
    columns.extend([Column::number(); 7]);
    blocks.push(captioned(
        "By tactic, for the steps that ran",
        table(columns, &TACTIC_HEADER, rows),
    ));
}

/// What participants said in the feedback form.
fn feedback(blocks: &mut Vec<Block>, report: &ExerciseReport) {
    let Some(summary) = &report.feedback else {
        return;
    };
    blocks.push(heading(2, "Participant feedback"));
    blocks.push(plain(feedback_intro(summary)));
    let rows = feedback_rows(summary)
        .into_iter()
        .map(|row| row.into_iter().map(Cell::text).collect())
        .collect();
    let mut columns = vec![Column::text(6)];
    columns.extend([Column::number(); 6]);
    blocks.push(table(columns, &FEEDBACK_HEADER, rows));
    for (question, comments) in crate::html::comment_groups(summary) {
        blocks.push(heading(3, question));
        for c in comments {
            blocks.push(Block::Paragraph {
                look: Look::Plain,
                runs: vec![Run::Text(c.text.clone()), Run::Quiet(format!(" — {}", c.from))],
            });
        }
    }
}

/// The nation's earlier exercises beside this one.
fn year_to_year(blocks: &mut Vec<Block>, report: &ExerciseReport, team: &TeamReport) {
    let Some((heads, rows)) = year_to_year_table(report, team) else {
        return;
    };
    blocks.push(heading(3, "Year to year"));
    blocks.push(plain(YEAR_TO_YEAR_INTRO.replace("{nation}", &team.nation)));
    let header: Vec<String> = std::iter::once(String::new())
        .chain(heads.iter().map(|(name, date)| format!("{name} ({date})")))
        .collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut columns = vec![Column::text(3)];
    columns.extend(heads.iter().map(|_| Column::number_share(1)));
    let rows = rows
        .into_iter()
        .map(|(name, cells)| {
            std::iter::once(Cell::runs(vec![Run::Strong(name)]))
                .chain(cells.into_iter().map(Cell::text))
                .collect()
        })
        .collect();
    blocks.push(table(columns, &header, rows));
}

fn coverage(blocks: &mut Vec<Block>, team: &TeamReport) {
    blocks.push(heading(3, "ATT&CK coverage"));
    if team.techniques.is_empty() {
        blocks.push(plain("The campaigns against this team use no ATT&CK technique."));
        return;
    }
    blocks.push(plain(coverage_summary(team)));
    let rows = team
        .techniques
        .iter()
        .map(|technique| {
            vec![
                Cell::code(&technique.id),
                Cell::text(technique_tactics(technique)),
                Cell::text(technique_steps(team, technique)),
                Cell::text(coverage_words(technique.outcome)),
            ]
        })
        .collect();
    blocks.push(table(
        vec![Column::fit(), Column::text(2), Column::text(3), Column::fit()],
        &["Technique", "Tactics", "Steps", "Outcome"],
        rows,
    ));
}

fn services(blocks: &mut Vec<Block>, team: &TeamReport, index: usize) {
    blocks.push(heading(3, "Services"));
    if team.availability.is_empty() {
        blocks.push(plain("No service of this team is monitored."));
        return;
    }
    blocks.push(plain(
        "Each bar is one hour of play; its filled part is the share of the hour the service was available, the \
         hatched part the share it was not.",
    ));
    blocks.push(picture(
        &chart::services(A4, team, index),
        format!("Hourly availability of the services of team {}", team.name),
    ));
    let rows = team
        .availability
        .iter()
        .map(|service| {
            vec![
                Cell::text(&service.name),
                Cell::code(&service.host),
                Cell::text(availability(service.percent)),
                Cell::text(hours_below_full(service)),
            ]
        })
        .collect();
    blocks.push(table(
        vec![Column::text(2), Column::fit(), Column::number(), Column::text(4)],
        &["Service", "Host", "Available over play so far", "Hours below 100 %"],
        rows,
    ));
}

fn triage(blocks: &mut Vec<Block>, team: &TeamReport) {
    let t = &team.triage;
    blocks.push(heading(3, "Alert triage"));
    blocks.push(figures(
        None,
        triage_counts(t)
            .iter()
            .map(|(what, count)| ((*what).to_owned(), count.to_string()))
            .collect(),
    ));
    blocks.push(heading(4, "Suppressions"));
    if t.suppressions.is_empty() {
        blocks.push(plain("The team suppressed no rule."));
        return;
    }
    let rows = t
        .suppressions
        .iter()
        .map(|s| {
            vec![
                Cell::code(&s.rule),
                Cell::text(&s.reason),
                Cell::text(&s.by),
                when(&s.at.label),
                when(s.ended.as_ref().map_or("still in force", |m| m.label.as_str())),
            ]
        })
        .collect();
    blocks.push(table(
        vec![
            Column::text(3),
            Column::text(4),
            Column::text(2),
            Column::number(),
            Column::number(),
        ],
        &["Rule", "Reason", "By", "Made", "Lifted"],
        rows,
    ));
}

fn exchanges(blocks: &mut Vec<Block>, team: &TeamReport) {
    blocks.push(heading(3, "Answers, reports and hints"));
    blocks.push(heading(4, "Answers"));
    if team.answers.is_empty() {
        blocks.push(plain("The team answered no question."));
    } else {
        let rows = team
            .answers
            .iter()
            .map(|a| {
                vec![
                    when(&a.at.label),
                    Cell::text(&a.question),
                    Cell::text(&a.answer),
                    Cell::text(&a.by),
                    Cell::text(grade(a.points, a.max)),
                    Cell::text(&a.why),
                ]
            })
            .collect();
        blocks.push(table(
            vec![
                Column::number(),
                Column::text(3),
                Column::text(4),
                Column::text(1),
                Column::text(2),
                Column::text(3),
            ],
            &["At", "Question", "Answer", "By", "Grade", "Why"],
            rows,
        ));
    }
    blocks.push(heading(4, "Reports"));
    if team.reports.is_empty() {
        blocks.push(plain("The team sent no report."));
    } else {
        let mut rows = Vec::new();
        for r in &team.reports {
            let mut comment = r.comment.as_deref().unwrap_or("—").to_owned();
            if let Some(by) = &r.graded_by {
                comment.push_str(&format!(" ({by})"));
            }
            rows.push(vec![
                when(&r.at.label),
                Cell::text(&r.title),
                Cell::text(&r.to),
                Cell::text(&r.tlp),
                Cell::text(&r.by),
                Cell::text(grade(r.points, r.max)),
                Cell::text(comment),
            ]);
            // Indicators (hashes, URLs) are long and unbroken: a row of their own, the
            // table's width.
            let mut indicators = vec![Run::Quiet("Indicators: ".to_owned())];
            if r.indicators.is_empty() {
                indicators.push(Run::Text("none".to_owned()));
            }
            for (i, indicator) in r.indicators.iter().enumerate() {
                if i > 0 {
                    indicators.push(Run::Text(", ".to_owned()));
                }
                indicators.push(Run::Code(defang(indicator)));
            }
            rows.push(vec![Cell::runs(indicators).spanning(7)]);
        }
        blocks.push(table(
            vec![
                Column::number(),
                Column::text(3),
                Column::text(2),
                Column::fit(),
                Column::text(1),
                Column::text(2),
                Column::text(3),
            ],
            &["Sent", "Report", "To", "TLP", "By", "Grade", "White cell's comment"],
            rows,
        ));
    }
    blocks.push(heading(4, "Hints"));
    if team.hints.is_empty() {
        blocks.push(plain("The team took no hint."));
        return;
    }
    let rows = team
        .hints
        .iter()
        .map(|h| {
            vec![
                when(&h.at.label),
                Cell::text(&h.question),
                Cell::text(&h.text),
                Cell::text(&h.by),
                Cell::text(format!("−{} points", h.cost)),
            ]
        })
        .collect();
    blocks.push(table(
        vec![
            Column::number(),
            Column::text(3),
            Column::text(4),
            Column::text(1),
            Column::number(),
        ],
        &["At", "Question", "Hint", "By", "Cost"],
        rows,
    ));
}

fn score_sheet(blocks: &mut Vec<Block>, team: &TeamReport) {
    let score = &team.score;
    blocks.push(heading(3, "Score"));
    if score.lines.is_empty() {
        blocks.push(plain("No expectation scores this team."));
    } else {
        let rows = score
            .lines
            .iter()
            .map(|line| {
                vec![
                    Cell::code(&line.expectation),
                    Cell::text(&line.text),
                    Cell::text(line.objectives.join(", ")),
                    Cell::text(standing_words(line.standing)),
                    Cell::text(format!("{} of {}", line.points, line.max)),
                    Cell::text(&line.why),
                ]
            })
            .collect();
        blocks.push(table(
            vec![
                Column::text(2),
                Column::text(3),
                Column::fit(),
                Column::fit(),
                Column::number(),
                Column::text(3),
            ],
            &[
                "Expectation",
                "What was expected",
                "Objectives",
                "Standing",
                "Points",
                "Why",
            ],
            rows,
        ));
    }
    let mut totals = vec![
        ("Earned on the score lines".to_owned(), score.earned.to_string()),
        (
            "Taken off (hints and the like)".to_owned(),
            format!("−{}", score.penalty),
        ),
    ];
    for adjustment in &score.adjustments {
        let sign = if adjustment.points >= 0 { "+" } else { "" };
        totals.push((
            format!("Adjusted by the white cell: {}", adjustment.why),
            format!("{sign}{}", adjustment.points),
        ));
    }
    totals.push(("Total".to_owned(), score_summary(score)));
    blocks.push(figures(Some("Totals"), totals));
}
