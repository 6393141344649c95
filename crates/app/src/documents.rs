//! The standard exercise documents' facts, from the scenario: the [`Plan`] that the Situation
//! Manual, the facilitator guide, the feedback form and the After-Action Report / Improvement
//! Plan are written from (`atoll_report::documents`).

use atoll_exercise::ExerciseMs;
use atoll_report::model::Day;
use atoll_report::plan::{
    Plan, PlanCampaign, PlanDay, PlanExpectation, PlanHint, PlanItem, PlanObjective, PlanStep, PlanTeam, PlanTrack,
};
use atoll_scenario::decode::{Spanned, Text};
use atoll_scenario::model::{Audience, Grader};
use atoll_scenario::time::{After, At};

use crate::App;

/// The exercise's plan, as the scenario and the exercise's settings give it.
pub fn plan<S>(app: &App<S>) -> Plan {
    let live = &app.live;
    let scenario = live.scenario;
    let en = |text: &Text| text.get("en").to_owned();
    let opt = |text: &Option<Text>| text.as_ref().map_or_else(String::new, en);
    let team_name = |id: &str| {
        scenario
            .teams
            .iter()
            .find(|t| t.id.name == id)
            .map_or_else(|| id.to_owned(), |t| en(&t.name))
    };
    let duration_ms = scenario.duration.value.as_secs() * 1000;
    let start = live.when(ExerciseMs(0));
    let end = live.when(ExerciseMs(duration_ms));
    let day_one = live.day_one();
    let date = Day::parse(&day_one.to_string()).unwrap_or_else(|| Day::parse("2026-01-01").expect("a valid day"));
    // "D3 17:00" → (3, "17:00").
    let split = |label: &str| -> (i64, String) {
        let (day, time) = label.split_once(' ').unwrap_or(("D1", "00:00"));
        (day.trim_start_matches('D').parse().unwrap_or(1), time.to_owned())
    };
    let (_, first_time) = split(&start);
    let (last_day, last_time) = split(&end);
    let schedule = (1..=last_day.max(1))
        .map(|n| PlanDay {
            label: format!("D{n}"),
            date: day_one
                .checked_add(jiff::Span::new().days(n - 1))
                .ok()
                .and_then(|d| Day::parse(&d.to_string()))
                .unwrap_or(date),
            from: if n == 1 { first_time.clone() } else { "00:00".to_owned() },
            to: if n == last_day {
                last_time.clone()
            } else {
                "24:00".to_owned()
            },
        })
        .collect();
    let audience = |to: &Option<Audience>| match to {
        None => "every team".to_owned(),
        Some(a) => {
            let mut parts = Vec::new();
            if !a.teams.is_empty() {
                parts.push(
                    a.teams
                        .iter()
                        .map(|t| team_name(&t.name))
                        .collect::<Vec<_>>()
                        .join(", "),
                );
            }
            if !a.tracks.is_empty() {
                parts.push(format!(
                    "track {}",
                    a.tracks.iter().map(|t| t.name.clone()).collect::<Vec<_>>().join(", ")
                ));
            }
            if !a.roles.is_empty() {
                parts.push(a.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", "));
            }
            if parts.is_empty() {
                "every team".to_owned()
            } else {
                parts.join("; ")
            }
        }
    };
    let expected = |step: &str| {
        scenario
            .expectations
            .iter()
            .filter_map(|e| {
                if e.detect.as_ref().is_some_and(|d| d.name == step) {
                    Some(match e.within {
                        Some(within) => format!(
                            "detected within {} ({} points)",
                            atoll_report::span(within.as_secs() * 1000),
                            e.points
                        ),
                        None => format!("detected ({} points)", e.points),
                    })
                } else if e.contain_before.as_ref().is_some_and(|c| c.name == step) {
                    Some(format!("contained before it runs ({} points)", e.points))
                } else {
                    None
                }
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    Plan {
        exercise: live.name.clone(),
        scenario: en(&scenario.title),
        scenario_version: scenario.version.clone(),
        summary: opt(&scenario.summary),
        audience: opt(&scenario.audience),
        date,
        time_zone: scenario.time_zone.0.clone(),
        start,
        duration_ms,
        languages: scenario.languages.iter().map(|l| l.value.0.clone()).collect(),
        authors: scenario.authors.clone(),
        tracks: scenario
            .tracks
            .iter()
            .map(|t| PlanTrack {
                name: en(&t.name),
                description: opt(&t.description),
            })
            .collect(),
        objectives: scenario
            .objectives
            .iter()
            .map(|o| PlanObjective {
                id: o.id.name.clone(),
                text: en(&o.text),
                competencies: o.competencies.iter().map(|c| c.name.clone()).collect(),
                tracks: o.tracks.iter().map(|t| t.name.clone()).collect(),
            })
            .collect(),
        schedule,
        teams: scenario
            .player_teams()
            .map(|t| {
                let organisations: Vec<_> = scenario
                    .world
                    .organisations
                    .iter()
                    .filter(|o| o.team.as_ref().is_some_and(|r| r.name == t.id.name))
                    .collect();
                PlanTeam {
                    name: en(&t.name),
                    nation: t.nation.0.clone(),
                    organisations: organisations
                        .iter()
                        .map(|o| format!("{} ({})", o.name, o.sector.as_str().replace('_', " ")))
                        .collect(),
                    services: scenario
                        .world
                        .services
                        .iter()
                        .filter(|s| organisations.iter().any(|o| o.id.name == s.organisation.name))
                        .map(|s| en(&s.name))
                        .collect(),
                }
            })
            .collect(),
        observers: scenario
            .teams
            .iter()
            .filter(|t| t.observer == Some(true))
            .map(|t| format!("{} ({})", en(&t.name), t.nation.0))
            .collect(),
        campaigns: scenario
            .campaigns
            .iter()
            .map(|c| PlanCampaign {
                name: en(&c.name),
                actor: c.actor.clone().unwrap_or_default(),
                description: opt(&c.description),
                teams: c.teams.iter().map(|t| team_name(&t.name)).collect(),
                steps: c
                    .steps
                    .iter()
                    .map(|s| PlanStep {
                        id: s.id.name.clone(),
                        name: en(&s.name),
                        technique: s.technique.as_str().to_owned(),
                        tactic: s.tactic.map(|t| t.as_str().to_owned()),
                        when: when(s.at.as_ref(), s.after.as_ref(), !s.requires.is_empty()),
                        expected: expected(&s.id.name),
                        notes: opt(&s.notes),
                    })
                    .collect(),
                notes: opt(&c.notes),
            })
            .collect(),
        injects: scenario
            .injects
            .iter()
            .map(|i| PlanItem {
                id: i.id.name.clone(),
                when: when(i.at.as_ref(), i.after.as_ref(), i.when.is_some()),
                to: audience(&i.to),
                title: format!("{} — from {}", en(&i.subject), en(&i.from)),
                text: en(&i.body),
                notes: opt(&i.notes),
            })
            .collect(),
        questions: scenario
            .questions
            .iter()
            .map(|q| PlanItem {
                id: q.id.name.clone(),
                when: match &q.inject {
                    Some(inject) => format!("with inject {}", inject.name),
                    None => when(q.at.as_ref(), q.after.as_ref(), q.when.is_some()),
                },
                to: audience(&q.to),
                title: en(&q.prompt),
                text: q.choice.as_ref().map_or_else(String::new, |c| {
                    c.options
                        .iter()
                        .map(|o| {
                            format!(
                                "{}{}",
                                en(&o.text),
                                if o.correct == Some(true) { " (correct)" } else { "" }
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(" · ")
                }),
                notes: opt(&q.notes),
            })
            .collect(),
        decisions: scenario
            .decisions
            .iter()
            .map(|d| PlanItem {
                id: d.id.name.clone(),
                when: match &d.inject {
                    Some(inject) => format!("with inject {}", inject.name),
                    None => when(d.at.as_ref(), d.after.as_ref(), d.when.is_some()),
                },
                to: audience(&d.to),
                title: en(&d.prompt),
                text: d.options.iter().map(|o| en(&o.text)).collect::<Vec<_>>().join(" · "),
                notes: opt(&d.notes),
            })
            .collect(),
        expectations: scenario
            .expectations
            .iter()
            .map(|e| PlanExpectation {
                id: e.id.name.clone(),
                text: en(&e.text),
                points: e.points,
                objectives: e.objectives.iter().map(|o| o.name.clone()).collect(),
                graded_by: match e.graded_by {
                    Some(Grader::Instructor) => "the white cell",
                    Some(Grader::Auto) => "atoll",
                    None if e.report.is_some() || e.answer.is_some() => "the white cell",
                    None => "atoll",
                }
                .to_owned(),
            })
            .collect(),
        hints: scenario
            .hints
            .iter()
            .map(|h| PlanHint {
                helps: h.r#for.name.clone(),
                text: en(&h.text),
                cost: h.penalty,
            })
            .collect(),
        facilitator_notes: opt(&scenario.facilitator_notes),
    }
}

/// When an item or step is planned, in words.
fn when(at: Option<&Spanned<At>>, after: Option<&Spanned<After>>, conditional: bool) -> String {
    match (at, after) {
        (Some(at), _) => at.value.to_string(),
        (None, Some(after)) => after.value.to_string(),
        (None, None) if conditional => "when its condition first holds".to_owned(),
        (None, None) => "sent by the white cell".to_owned(),
    }
}
