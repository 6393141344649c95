//! The standard exercise documents, in the manner of tabletop exercise packages and HSEEP:
//!
//! - [`situation_manual`], for participants before play: objectives, schedule, the starting
//!   situation, the teams, roles and rules; nothing of the adversary's plan;
//! - [`facilitator_guide`], for the white cell: the whole plan with its notes (campaigns step by
//!   step, the events list of injects, questions and decisions, the score sheet, the hints);
//! - [`feedback_form`], the participant feedback form on paper (the same questions as the
//!   feedback page);
//! - [`after_action_report`], the After-Action Report / Improvement Plan: the exercise overview,
//!   the analysis of each objective across teams with its strengths and areas for improvement,
//!   the participants' feedback, and the improvement plan's actions with owners and dates.
//!
//! Each is built once as a [`Document`] and written as PDF ([`Document::to_pdf`]) or as one
//! self-contained HTML file ([`html`]).

use maud::{DOCTYPE, Markup, PreEscaped, html as markup};

use crate::feedback::{COMMENTS, RATINGS, SCALE};
use crate::model::{ExerciseReport, LessonKind};
use crate::pdf::report::{heading, paragraph, plain, table};
use crate::pdf::{Block, Cell, Column, Document, Look, Run, Table};
use crate::plan::Plan;
use crate::{span, tactic_words};

/// A table of named figures: a name and a value a row.
fn facts(rows: &[(&str, String)]) -> Block {
    Block::Table(Table {
        caption: None,
        columns: vec![Column::fit(), Column::text(1)],
        header: Vec::new(),
        rows: rows
            .iter()
            .map(|(name, value)| vec![Cell::text(*name), Cell::text(value.clone())])
            .collect(),
        compact: true,
    })
}

fn or_dash(text: &str) -> String {
    if text.trim().is_empty() {
        "—".to_owned()
    } else {
        text.to_owned()
    }
}

/// The overview every document opens with.
fn overview(plan: &Plan) -> Block {
    let days = match plan.schedule.len() {
        1 => "one day".to_owned(),
        n => format!("{n} days"),
    };
    facts(&[
        ("Exercise", plan.exercise.clone()),
        (
            "Scenario",
            format!("{} (version {})", plan.scenario, plan.scenario_version),
        ),
        ("First day of play", plan.date.to_string()),
        (
            "Length of play",
            format!(
                "{} of exercise time over {days}, from {}",
                span(plan.duration_ms),
                plan.start
            ),
        ),
        ("Time zone", plan.time_zone.clone()),
        ("Audience", or_dash(&plan.audience)),
        (
            "Teams",
            plan.teams
                .iter()
                .map(|t| format!("{} ({})", t.name, t.nation))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ("Observers", or_dash(&plan.observers.join(", "))),
        ("Languages", plan.languages.join(", ")),
    ])
}

fn objectives(blocks: &mut Vec<Block>, plan: &Plan) {
    blocks.push(heading(2, "Objectives"));
    blocks.push(plain(
        "What the exercise sets out to train and test. Each objective names the competencies it exercises; \
         the after-action report says how far each team met it.",
    ));
    let rows = plan
        .objectives
        .iter()
        .map(|o| {
            vec![
                Cell::code(&o.id),
                Cell::text(&o.text),
                Cell::text(or_dash(&o.competencies.join(", "))),
                Cell::text(if o.tracks.is_empty() {
                    "every track".to_owned()
                } else {
                    o.tracks.join(", ")
                }),
            ]
        })
        .collect();
    blocks.push(table(
        vec![Column::fit(), Column::text(4), Column::text(2), Column::text(1)],
        &["Id", "Objective", "Competencies", "Tracks"],
        rows,
    ));
}

fn schedule(blocks: &mut Vec<Block>, plan: &Plan) {
    blocks.push(heading(2, "Schedule"));
    blocks.push(plain(format!(
        "Exercise time starts at {} and runs for {}. The white cell starts, pauses, speeds up and jumps the \
         exercise clock; every page shows exercise time, in the {} time zone.",
        plan.start,
        span(plan.duration_ms),
        plan.time_zone
    )));
    let rows = plan
        .schedule
        .iter()
        .map(|d| {
            vec![
                Cell::text(&d.label),
                Cell::text(d.date.to_string()),
                Cell::text(&d.from),
                Cell::text(&d.to),
            ]
        })
        .collect();
    blocks.push(table(
        vec![Column::fit(), Column::text(1), Column::number(), Column::number()],
        &["Day", "Date", "Play from", "Play until"],
        rows,
    ));
}

fn teams(blocks: &mut Vec<Block>, plan: &Plan) {
    blocks.push(heading(2, "The teams and what they defend"));
    let rows = plan
        .teams
        .iter()
        .map(|t| {
            vec![
                Cell::runs(vec![
                    Run::Strong(t.name.clone()),
                    Run::LineBreak,
                    Run::Quiet(t.nation.clone()),
                ]),
                Cell::text(or_dash(&t.organisations.join("; "))),
                Cell::text(or_dash(&t.services.join(", "))),
            ]
        })
        .collect();
    blocks.push(table(
        vec![Column::text(1), Column::text(2), Column::text(2)],
        &["Team", "Organisations", "Services kept up"],
        rows,
    ));
}

/// The Situation Manual: what every participant reads before play.
pub fn situation_manual(plan: &Plan) -> Document {
    let plan = plan.for_participants();
    let title = format!("{} — Situation Manual", plan.exercise);
    let mut blocks = vec![
        heading(1, &title),
        paragraph(
            Look::Quiet,
            "For every participant, before play. It holds the exercise's purpose, objectives, schedule, the \
             situation at the start, the teams, the roles and the rules of play; nothing of what the adversary \
             will do.",
        ),
        heading(2, "Exercise overview"),
        overview(&plan),
    ];
    objectives(&mut blocks, &plan);
    if !plan.tracks.is_empty() {
        blocks.push(heading(2, "Tracks of play"));
        blocks.push(table(
            vec![Column::text(1), Column::text(3)],
            &["Track", "What it covers"],
            plan.tracks
                .iter()
                .map(|t| vec![Cell::text(&t.name), Cell::text(or_dash(&t.description))])
                .collect(),
        ));
    }
    schedule(&mut blocks, &plan);
    blocks.push(heading(2, "The situation at the start"));
    for part in plan.summary.split("\n\n").filter(|p| !p.trim().is_empty()) {
        blocks.push(plain(part.trim()));
    }
    teams(&mut blocks, &plan);
    blocks.push(heading(2, "Roles"));
    blocks.push(table(
        vec![Column::text(1), Column::text(4)],
        &["Role", "What it does"],
        ROLES
            .iter()
            .map(|(role, what)| vec![Cell::text(*role), Cell::text(*what)])
            .collect(),
    ));
    blocks.push(heading(2, "Rules of play"));
    for rule in RULES {
        blocks.push(plain(format!("• {rule}")));
    }
    Document { title, blocks }
}

const ROLES: [(&str, &str); 3] = [
    (
        "Players",
        "Each national team defends its own simulated networks: it watches its alerts, hunts in its telemetry, \
         judges what it sees, takes response actions, answers questions and decisions, and reports to the \
         addressees the injects name. Technical and policy members play side by side.",
    ),
    (
        "White cell",
        "The instructors run the exercise: they start and pause the clock, send injects, answer the teams in the \
         roles of outside organisations, grade reports and answers, and write the after-action report.",
    ),
    (
        "Observers",
        "Observers read what the teams they follow see and do, and act on nothing. They take part in the \
         debrief.",
    ),
];

const RULES: [&str; 7] = [
    "This is a no-fault exercise: it tests plans, people and tools, not individuals. Mistakes made here are \
     lessons, not failures.",
    "Act as you would in your own organisation, with your own procedures, authorities and contacts; where the \
     exercise cannot simulate something, say what you would do in a message to the white cell.",
    "Everything happens in the simulated networks. Do not scan, block or touch any real system, and do not use \
     real indicators outside the exercise.",
    "Report as you would for real: to the addressee the situation calls for, with a Traffic Light Protocol \
     marking, and share no more than the marking allows.",
    "Ask the white cell through the exercise's messages; it answers in the role of the organisation you address.",
    "Hints are there when a team is stuck; each costs points, and the after-action report lists those taken.",
    "Mark anything that leaves the exercise platform as exercise material, so that no one takes it for a real \
     incident.",
];

/// The facilitator and evaluator guide: the whole plan, for the white cell only.
pub fn facilitator_guide(plan: &Plan) -> Document {
    let title = format!("{} — Facilitator and evaluator guide", plan.exercise);
    let mut blocks = vec![
        heading(1, &title),
        paragraph(
            Look::Boxed,
            "For the white cell only. This guide reveals the adversary's plan, the injects, the questions and \
             the score sheet: do not share it with participants.",
        ),
        heading(2, "Exercise overview"),
        overview(plan),
    ];
    if !plan.facilitator_notes.trim().is_empty() {
        blocks.push(heading(2, "Notes for the white cell"));
        for part in plan.facilitator_notes.split("\n\n").filter(|p| !p.trim().is_empty()) {
            blocks.push(plain(part.trim()));
        }
    }
    objectives(&mut blocks, plan);
    schedule(&mut blocks, plan);
    teams(&mut blocks, plan);
    blocks.push(heading(2, "The adversary's campaigns"));
    for campaign in &plan.campaigns {
        blocks.push(heading(3, &campaign.name));
        let against = if campaign.teams.is_empty() {
            "every team".to_owned()
        } else {
            campaign.teams.join(", ")
        };
        blocks.push(plain(format!(
            "Modelled on: {}. Runs against {against}.",
            or_dash(&campaign.actor)
        )));
        if !campaign.description.trim().is_empty() {
            blocks.push(plain(&campaign.description));
        }
        if !campaign.notes.trim().is_empty() {
            blocks.push(paragraph(Look::Quiet, format!("Notes: {}", campaign.notes)));
        }
        let rows = campaign
            .steps
            .iter()
            .map(|s| {
                vec![
                    Cell::runs(vec![
                        Run::Strong(s.name.clone()),
                        Run::LineBreak,
                        Run::Code(s.id.clone()),
                    ]),
                    Cell::runs(vec![
                        Run::Code(s.technique.clone()),
                        Run::LineBreak,
                        Run::Quiet(s.tactic.as_deref().map_or("—".to_owned(), tactic_words)),
                    ]),
                    Cell::text(&s.when),
                    Cell::text(or_dash(&s.expected)),
                    Cell::text(or_dash(&s.notes)),
                ]
            })
            .collect();
        blocks.push(table(
            vec![
                Column::text(2),
                Column::text(1),
                Column::text(1),
                Column::text(2),
                Column::text(3),
            ],
            &["Step", "Technique", "Planned", "What the score sheet expects", "Notes"],
            rows,
        ));
    }
    blocks.push(heading(2, "Events list"));
    blocks.push(plain(
        "Injects, questions and decisions in the order the scenario plans them. Times are exercise time; an item \
         that follows another, or waits for a condition, says so.",
    ));
    for (title, items) in [
        ("Injects", &plan.injects),
        ("Questions", &plan.questions),
        ("Decisions", &plan.decisions),
    ] {
        if items.is_empty() {
            continue;
        }
        blocks.push(heading(3, title));
        let rows = items
            .iter()
            .map(|i| {
                vec![
                    Cell::runs(vec![Run::Text(i.when.clone()), Run::LineBreak, Run::Code(i.id.clone())]),
                    Cell::text(&i.to),
                    Cell::runs(vec![
                        Run::Strong(i.title.clone()),
                        Run::LineBreak,
                        Run::Text(i.text.clone()),
                    ]),
                    Cell::text(or_dash(&i.notes)),
                ]
            })
            .collect();
        blocks.push(table(
            vec![Column::text(1), Column::text(1), Column::text(4), Column::text(2)],
            &["When", "To", "What it says", "Notes"],
            rows,
        ));
    }
    blocks.push(heading(2, "Evaluation: the score sheet"));
    blocks.push(plain(
        "Each line is what an evaluator looks for, the points it gives and the objectives it measures. atoll \
         grades the lines it can see for itself; the white cell grades reports and written answers on the \
         Grading page.",
    ));
    let rows = plan
        .expectations
        .iter()
        .map(|e| {
            vec![
                Cell::code(&e.id),
                Cell::text(&e.text),
                Cell::text(e.points.to_string()),
                Cell::text(or_dash(&e.objectives.join(", "))),
                Cell::text(&e.graded_by),
            ]
        })
        .collect();
    blocks.push(table(
        vec![
            Column::fit(),
            Column::text(4),
            Column::number(),
            Column::text(1),
            Column::text(1),
        ],
        &["Id", "Expectation", "Points", "Objectives", "Graded by"],
        rows,
    ));
    if !plan.hints.is_empty() {
        blocks.push(heading(2, "Hints"));
        blocks.push(table(
            vec![Column::text(1), Column::text(4), Column::number()],
            &["Helps with", "Hint", "Costs"],
            plan.hints
                .iter()
                .map(|h| {
                    vec![
                        Cell::code(&h.helps),
                        Cell::text(&h.text),
                        Cell::text(h.cost.to_string()),
                    ]
                })
                .collect(),
        ));
    }
    Document { title, blocks }
}

/// The participant feedback form, to print and fill in by hand.
pub fn feedback_form(plan: &Plan) -> Document {
    let title = format!("{} — Participant feedback form", plan.exercise);
    let mut blocks = vec![
        heading(1, &title),
        plain(
            "A few minutes, once, for the people who prepare the next exercise. Rate what you can and leave out \
             what you cannot. The same form is on the exercise platform's Feedback page.",
        ),
        facts(&[
            ("Your role", "☐ Player    ☐ Observer    ☐ White cell".to_owned()),
            ("Your team", "______________________________".to_owned()),
            ("Anonymous", "☐ Keep my name and my team off my answers".to_owned()),
        ]),
        heading(2, "How far do you agree?"),
        plain("1: strongly disagree · 2: disagree · 3: neutral · 4: agree · 5: strongly agree"),
    ];
    let mut header = vec!["Statement"];
    header.extend(["1", "2", "3", "4", "5"]);
    let mut columns = vec![Column::text(6)];
    columns.extend([Column::number(); 5]);
    blocks.push(table(
        columns,
        &header,
        RATINGS
            .iter()
            .map(|(_, statement)| {
                std::iter::once(Cell::text(*statement))
                    .chain((0..SCALE.len()).map(|_| Cell::text("☐")))
                    .collect()
            })
            .collect(),
    ));
    blocks.push(heading(2, "In your own words"));
    for (_, question) in COMMENTS {
        blocks.push(heading(3, question));
        for _ in 0..4 {
            blocks.push(paragraph(
                Look::Quiet,
                "________________________________________________________________________",
            ));
        }
    }
    Document { title, blocks }
}

/// The After-Action Report / Improvement Plan of the whole exercise.
pub fn after_action_report(report: &ExerciseReport, plan: &Plan) -> Document {
    let title = format!("{} — After-Action Report / Improvement Plan", report.exercise);
    let mut blocks = vec![heading(1, &title)];
    if !report.play_ended {
        blocks.push(paragraph(
            Look::Boxed,
            format!(
                "Provisional: play goes on. This report stands as of {}.",
                report.as_of.label
            ),
        ));
    }
    blocks.push(heading(2, "Exercise overview"));
    blocks.push(overview(plan));
    if !plan.summary.trim().is_empty() {
        blocks.push(heading(3, "Scenario"));
        blocks.push(plain(plan.summary.split("\n\n").next().unwrap_or_default().trim()));
    }
    blocks.push(heading(2, "Analysis of objectives"));
    blocks.push(plain(
        "For each objective: how far each team met it, judged on the score lines that measure it, then the \
         strengths and the areas for improvement the white cell and the teams wrote down.",
    ));
    let all_lessons: Vec<(&str, &crate::model::Lesson)> = report
        .lessons
        .iter()
        .map(|l| ("the exercise", l))
        .chain(
            report
                .teams
                .iter()
                .flat_map(|t| t.lessons.iter().map(move |l| (t.name.as_str(), l))),
        )
        .collect();
    for objective in &report.objectives {
        blocks.push(heading(3, format!("{} ({})", objective.text, objective.id)));
        let rows = report
            .teams
            .iter()
            .map(|t| {
                vec![
                    Cell::text(&t.name),
                    Cell::text(crate::html::attainment_words(t.score.attainment(&objective.id))),
                ]
            })
            .collect();
        blocks.push(table(
            vec![Column::text(1), Column::text(2)],
            &["Team", "Objective met"],
            rows,
        ));
        for (kind, words) in [
            (LessonKind::Strength, "Strengths"),
            (LessonKind::Improvement, "Areas for improvement"),
            (LessonKind::Observation, "Observations"),
        ] {
            let written: Vec<&(&str, &crate::model::Lesson)> = all_lessons
                .iter()
                .filter(|(_, l)| l.kind == kind && l.objective == objective.id)
                .collect();
            if written.is_empty() {
                continue;
            }
            blocks.push(heading(4, words));
            for (about, lesson) in written {
                blocks.push(Block::Paragraph {
                    look: Look::Plain,
                    runs: vec![
                        Run::Text(format!("• {}", lesson.text)),
                        Run::Quiet(format!(" — about {about}, by {}", lesson.by)),
                    ],
                });
            }
        }
    }
    blocks.push(heading(2, "Results by team"));
    blocks.push(table(
        vec![Column::text(2), Column::number(), Column::text(2), Column::text(2)],
        &["Team", "Share of its points", "Steps detected", "Techniques seen"],
        report
            .teams
            .iter()
            .map(|t| {
                let [steps, techniques, _] = crate::html::comparison(t);
                vec![
                    Cell::text(format!("{} ({})", t.name, t.nation)),
                    Cell::text(t.score.percent().map_or("—".to_owned(), crate::html::whole_percent)),
                    Cell::text(steps),
                    Cell::text(techniques),
                ]
            })
            .collect(),
    ));
    if let Some(summary) = &report.feedback {
        blocks.push(heading(2, "Participant feedback"));
        blocks.push(plain(crate::html::feedback_intro(summary)));
        let mut columns = vec![Column::text(6)];
        columns.extend([Column::number(); 6]);
        blocks.push(table(
            columns,
            &crate::html::FEEDBACK_HEADER,
            crate::html::feedback_rows(summary)
                .into_iter()
                .map(|row| row.into_iter().map(Cell::text).collect())
                .collect(),
        ));
        for (question, comments) in crate::html::comment_groups(summary) {
            blocks.push(heading(3, question));
            for c in comments {
                blocks.push(Block::Paragraph {
                    look: Look::Plain,
                    runs: vec![Run::Text(format!("• {}", c.text)), Run::Quiet(format!(" — {}", c.from))],
                });
            }
        }
    }
    blocks.push(Block::PageBreak);
    blocks.push(heading(2, "Appendix A: Improvement plan"));
    let actions: Vec<&(&str, &crate::model::Lesson)> = all_lessons
        .iter()
        .filter(|(_, l)| l.kind == LessonKind::Action)
        .collect();
    if actions.is_empty() {
        blocks.push(plain("No improvement action has been written yet."));
    } else {
        let objective_text = |id: &str| {
            report
                .objectives
                .iter()
                .find(|o| o.id == id)
                .map_or_else(|| "The exercise as a whole".to_owned(), |o| o.text.clone())
        };
        blocks.push(table(
            vec![
                Column::text(2),
                Column::text(1),
                Column::text(3),
                Column::text(1),
                Column::number(),
            ],
            &["Objective", "About", "Corrective action", "Owner", "Due"],
            actions
                .iter()
                .map(|(about, l)| {
                    vec![
                        Cell::text(objective_text(&l.objective)),
                        Cell::text(*about),
                        Cell::text(&l.text),
                        Cell::text(or_dash(&l.owner)),
                        Cell::text(or_dash(&l.due)),
                    ]
                })
                .collect(),
        ));
    }
    blocks.push(paragraph(
        Look::Quiet,
        format!(
            "Written by atoll from the exercise record as of {}. Times are exercise time.",
            report.as_of.label
        ),
    ));
    Document { title, blocks }
}

/// A document as one self-contained HTML file: the report's style inline, no script, nothing
/// fetched.
pub fn html(document: &Document) -> String {
    markup! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (document.title) }
                style { (PreEscaped(crate::html::CSS)) }
            }
            body { @for block in &document.blocks { (block_html(block)) } }
        }
    }
    .into_string()
}

fn runs_html(runs: &[Run]) -> Markup {
    markup! {
        @for run in runs {
            @match run {
                Run::Text(t) => (t),
                Run::Strong(t) => strong { (t) },
                Run::Code(t) => code { (t) },
                Run::Quiet(t) => span.quiet { (t) },
                Run::LineBreak => br;
            }
        }
    }
}

/// Whether each cell of a row stands in a column of numbers (a cell spanning columns takes
/// the first one's kind).
fn numeric_cells(table: &Table, row: &[Cell]) -> Vec<bool> {
    let mut column = 0;
    row.iter()
        .map(|cell| {
            let numeric = table.columns.get(column).is_some_and(|c| c.numeric);
            column += usize::from(cell.span.max(1));
            numeric
        })
        .collect()
}

fn block_html(block: &Block) -> Markup {
    match block {
        Block::Heading { level, text, anchor } => {
            let id = anchor.clone().unwrap_or_default();
            match level {
                1 => markup! { h1 id=[anchor.as_ref()] { (text) } },
                2 => markup! { h2 id=[anchor.as_ref()] { (text) } },
                3 => markup! { h3 id=[anchor.as_ref()] { (text) } },
                _ => markup! { h4 id=[(!id.is_empty()).then_some(&id)] { (text) } },
            }
        }
        Block::Paragraph { look, runs } => {
            let class = match look {
                Look::Plain => "",
                Look::Quiet => "quiet",
                Look::Lead => "score",
                Look::Boxed => "provisional",
                Look::Small => "legend",
            };
            markup! { p class=[(!class.is_empty()).then_some(class)] { (runs_html(runs)) } }
        }
        Block::Table(t) => markup! {
            table class=[t.compact.then_some("compact")] {
                @if let Some(caption) = &t.caption { caption { (caption) } }
                @if !t.header.is_empty() {
                    thead { tr { @for (i, h) in t.header.iter().enumerate() {
                        th class=[t.columns.get(i).is_some_and(|c| c.numeric).then_some("n")] { (h) }
                    } } }
                }
                tbody {
                    @for row in &t.rows {
                        tr {
                            @for (cell, numeric) in row.iter().zip(numeric_cells(t, row)) {
                                td class=[numeric.then_some("n")] colspan=[(cell.span > 1).then_some(cell.span)] { (runs_html(&cell.runs)) }
                            }
                        }
                    }
                }
            }
        },
        Block::Picture { svg, alt } => markup! { figure { (PreEscaped(svg)) figcaption.legend { (alt) } } },
        Block::Contents { entries } => markup! {
            nav { ol { @for (text, anchor) in entries { li { a href={ "#" (anchor) } { (text) } } } } }
        },
        Block::PageBreak => markup! { div.break {} },
    }
}
