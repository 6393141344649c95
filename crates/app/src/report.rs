//! The after-action report's facts, gathered from the store and the teams' worlds as play
//! stands (or as it ended), for `atoll_report` to render: the same facts the board, the
//! timeline, the network, the queue and the score pages show, joined and labelled.

use std::sync::Arc;

use atoll_exercise::ExerciseMs;
use atoll_exercise::answers::{Answer as Answered, Points, Report as Written};
use atoll_exercise::score::Standing as Standing_;
use atoll_report::model::{
    Adjustment, Answer, Coverage, EarlierResult, Entry, EntryKind, ExerciseReport, Hint, HourBar, Line, Moment,
    Objective, Report, Score, Service, Standing, Step, StepStatus, Suppression, TeamReport, Technique, Triage,
};
use atoll_sim::campaign::Status;
use atoll_store::{Kind, Store};

use crate::limits::EARLIER_RESULTS;
use crate::score::{Records, records, team_status};
use crate::{App, Error, Result};

/// The report of teams `teams` (indexes of player teams), as play stands now.
pub async fn gather<S: Store>(app: &Arc<App<S>>, teams: &[usize]) -> Result<ExerciseReport> {
    let lessons = app
        .db
        .lessons(app.live.exercise)
        .await
        .map_err(|_| Error::unavailable("The report could not be read from the database; try again."))?;
    let mut all = Vec::new();
    for &index in teams {
        let team = app.live.team_id(index);
        let records = records(app, &team)
            .await
            .map_err(|_| Error::unavailable("The report could not be read from the database; try again."))?;
        all.push((index, records));
    }
    let worker = app.clone();
    let mut report = tokio::task::spawn_blocking(move || exercise(&worker, &all))
        .await
        .map_err(|_| Error::failed("The server failed while writing the report."))?;
    // The lessons: each team's with it; those about the exercise only in a whole report.
    let whole = teams.len() == app.live.scenario.player_teams().count();
    for lesson in lessons {
        let written = atoll_report::model::Lesson {
            kind: match lesson.kind.as_str() {
                "strength" => atoll_report::model::LessonKind::Strength,
                "improvement" => atoll_report::model::LessonKind::Improvement,
                "action" => atoll_report::model::LessonKind::Action,
                _ => atoll_report::model::LessonKind::Observation,
            },
            objective: lesson.objective,
            text: lesson.text,
            owner: lesson.owner,
            due: lesson.due,
            by: lesson.username,
        };
        match lesson.team {
            Some(team) => {
                if let Some(t) = report.teams.iter_mut().find(|t| t.id == team) {
                    t.lessons.push(written);
                }
            }
            None if whole => report.lessons.push(written),
            None => {}
        }
    }
    if whole {
        report.feedback = crate::feedback::summary(app).await?;
    }
    // Year to year: each nation's figures in earlier exercises beside its own; and this
    // exercise's figures kept for the exercises that follow.
    for team in &mut report.teams {
        let nation = if team.nation.is_empty() {
            team.id.clone()
        } else {
            team.nation.clone()
        };
        let earlier = app
            .db
            .earlier_results(app.live.exercise, &nation, EARLIER_RESULTS)
            .await
            .map_err(|_| Error::unavailable("The report could not be read from the database; try again."))?;
        team.earlier = earlier
            .iter()
            .filter_map(|figures| match serde_json::from_str(figures) {
                Ok(result) => Some(result),
                Err(e) => {
                    // Figures kept by another version of atoll: left out, and said in the log.
                    tracing::warn!(error = %e, nation = %nation, "earlier figures that do not read were left out");
                    None
                }
            })
            .collect();
    }
    for team in &report.teams {
        let nation = if team.nation.is_empty() { &team.id } else { &team.nation };
        let figures = serde_json::to_string(&EarlierResult::of(&report, team)).expect("figures serialise");
        if let Err(e) = app.db.save_result(app.live.exercise, &team.id, nation, &figures).await {
            tracing::warn!(error = %e, team = %team.id, "the team's figures were not kept for later years");
        }
    }
    Ok(report)
}

/// The report of the teams whose records are given. Takes each team's lock in turn: call it
/// off the async workers.
pub fn exercise<S>(app: &App<S>, teams: &[(usize, Records)]) -> ExerciseReport {
    let live = &app.live;
    let scenario = live.scenario;
    let clock = live.clock();
    let now = clock.now(live.wall_now());
    let moment = |ms: u64| Moment {
        ms,
        label: live.when(ExerciseMs(ms)),
    };
    let hour = 3_600_000;
    ExerciseReport {
        format: atoll_report::model::FORMAT,
        exercise: live.name.clone(),
        scenario: scenario.title.get("en").to_owned(),
        scenario_version: scenario.version.clone(),
        date: atoll_report::model::Day::parse(&live.day_one().to_string())
            .unwrap_or_else(|| atoll_report::model::Day::parse("2026-01-01").expect("a valid day")),
        as_of: moment(now),
        play_ended: matches!(clock.state, atoll_exercise::State::Ended { .. }),
        duration_ms: clock.end,
        ticks: (0..=clock.end / hour).map(|h| moment(h * hour)).collect(),
        objectives: scenario
            .objectives
            .iter()
            .map(|o| Objective {
                id: o.id.name.clone(),
                text: o.text.get("en").to_owned(),
            })
            .collect(),
        teams: teams
            .iter()
            .map(|(index, records)| team(app, *index, records))
            .collect(),
        lessons: Vec::new(),
        feedback: None,
    }
}

/// One team's report. Takes the team's lock.
fn team<S>(app: &App<S>, index: usize, records: &Records) -> TeamReport {
    let live = &app.live;
    let scenario = live.scenario;
    let moment = |ms: u64| Moment {
        ms,
        label: live.when(ExerciseMs(ms)),
    };
    let status = team_status(app, index, records);
    let now = status.now;
    let def = scenario.player_teams().nth(index);
    let steps_of = || {
        scenario
            .campaigns
            .iter()
            .flat_map(|c| c.steps.iter().map(move |s| (c, s)))
    };

    // The score, every line with its reason and objectives.
    let objectives_of = |expectation: &str| -> Vec<String> {
        scenario
            .expectations
            .iter()
            .find(|e| e.id.name == expectation)
            .map(|e| e.objectives.iter().map(|o| o.name.clone()).collect())
            .unwrap_or_default()
    };
    let score = Score {
        total: i64::from(status.score.total()),
        possible: status.score.possible(),
        earned: status.score.earned(),
        penalty: status.score.penalty(),
        lines: status
            .score
            .items
            .iter()
            .map(|i| Line {
                expectation: i.expectation.clone(),
                text: i.text.clone(),
                points: i.points,
                max: i.max,
                standing: match i.standing {
                    Standing_::Earned => Standing::Earned,
                    Standing_::Missed => Standing::Missed,
                    Standing_::Open => Standing::Open,
                    Standing_::Unscored => Standing::Unscored,
                },
                why: i.why.clone(),
                objectives: objectives_of(&i.expectation),
            })
            .collect(),
        adjustments: status
            .score
            .penalties
            .iter()
            .map(|p| Adjustment {
                why: p.why.clone(),
                points: -i64::from(p.points),
            })
            .chain(status.score.tuning.iter().map(|t| Adjustment {
                why: t.why.clone(),
                points: i64::from(t.points),
            }))
            .collect(),
    };

    // The campaign's steps: how each went, when it was detected, against the limit to detect.
    let steps: Vec<Step> = status
        .progress
        .iter()
        .filter_map(|p| {
            let (campaign, step) = steps_of().find(|(_, s)| s.id.name == p.step)?;
            let status = step_status(&status.progress, p);
            let within = scenario
                .expectations
                .iter()
                .find(|e| e.detect.as_ref().is_some_and(|d| d.name == p.step))
                .and_then(|e| e.within)
                .map(|w| w.as_secs() * 1000);
            Some(Step {
                id: p.step.clone(),
                name: step.name.get("en").to_owned(),
                campaign: campaign.name.get("en").to_owned(),
                technique: step.technique.as_str().to_owned(),
                tactic: step.tactic.map(|t| t.as_str().to_owned()),
                status,
                at: p.at.filter(|_| status != StepStatus::ToCome).map(moment),
                detected: p.detected.map(moment),
                detect_within_ms: within,
                contained: (status == StepStatus::Prevented).then_some(p.at).flatten().map(moment),
                contained_by: (status == StepStatus::Prevented).then(|| p.reason.clone()).flatten(),
            })
        })
        .collect();
    // A step that ran is contained when a team action later stopped its campaign: the first
    // step of the same campaign prevented after it ran.
    let stopped: Vec<(String, Moment, Option<String>)> = steps
        .iter()
        .filter(|s| s.status == StepStatus::Prevented)
        .filter_map(|s| Some((s.campaign.clone(), s.at.clone()?, s.contained_by.clone())))
        .collect();
    let mut steps = steps;
    for step in steps.iter_mut().filter(|s| s.status == StepStatus::Ran) {
        let Some(ran) = step.at.as_ref().map(|m| m.ms) else {
            continue;
        };
        if let Some((_, at, by)) = stopped
            .iter()
            .filter(|(campaign, at, _)| *campaign == step.campaign && at.ms >= ran)
            .min_by_key(|(_, at, _)| at.ms)
        {
            step.contained = Some(at.clone());
            step.contained_by = by.clone();
        }
    }

    // ATT&CK: each technique the campaign used, and how the team fared against it.
    let mut techniques: Vec<Technique> = Vec::new();
    for s in &steps {
        let outcome = match (s.status, &s.detected) {
            (StepStatus::Ran, Some(_)) => Coverage::Detected,
            (StepStatus::Ran, None) => Coverage::Missed,
            (StepStatus::Prevented, _) => Coverage::Prevented,
            (StepStatus::Skipped | StepStatus::NotRun | StepStatus::ToCome, _) => Coverage::NotRun,
        };
        match techniques.iter_mut().find(|t| t.id == s.technique) {
            Some(t) => {
                t.steps.push(s.id.clone());
                if let Some(tactic) = &s.tactic
                    && !t.tactics.contains(tactic)
                {
                    t.tactics.push(tactic.clone());
                }
                // A technique is as good as its worst step that ran: missed once is missed.
                t.outcome = match (t.outcome, outcome) {
                    (Coverage::Missed, _) | (_, Coverage::Missed) => Coverage::Missed,
                    (Coverage::Detected, _) | (_, Coverage::Detected) => Coverage::Detected,
                    (Coverage::Prevented, _) | (_, Coverage::Prevented) => Coverage::Prevented,
                    _ => Coverage::NotRun,
                };
            }
            None => techniques.push(Technique {
                id: s.technique.clone(),
                tactics: s.tactic.iter().cloned().collect(),
                steps: vec![s.id.clone()],
                outcome,
            }),
        }
    }

    // The story, in time order.
    let mut timeline: Vec<Entry> = Vec::new();
    let entry = |ms: u64, kind: EntryKind, text: String| Entry {
        at: moment(ms),
        kind,
        text,
    };
    for s in &steps {
        if let Some(at) = &s.at {
            let how = match s.status {
                StepStatus::Ran => "ran",
                StepStatus::Prevented => "was prevented",
                StepStatus::Skipped => "was skipped by the white cell",
                StepStatus::NotRun | StepStatus::ToCome => continue,
            };
            timeline.push(entry(
                at.ms,
                EntryKind::Step,
                format!("Attack step «{}» ({}) {how}", s.name, s.technique),
            ));
        }
        if let (Some(d), Some(at)) = (&s.detected, &s.at) {
            timeline.push(entry(
                d.ms,
                EntryKind::Detection,
                format!(
                    "Detected «{}», {} after it ran",
                    s.name,
                    atoll_exercise::score::span(d.ms.saturating_sub(at.ms))
                ),
            ));
        }
    }
    for a in &records.actions {
        let target = a.target.replace('\n', " ");
        timeline.push(entry(
            a.at,
            EntryKind::Action,
            format!("{} {target} ({})", a.action.replace('_', " "), a.username),
        ));
    }
    for (at, inject, _) in crate::inbox::arrivals(live, index) {
        timeline.push(entry(
            at,
            EntryKind::Inject,
            format!("Inject: {}", inject.subject.get("en")),
        ));
    }
    let question_text = |id: &str| {
        scenario
            .questions
            .iter()
            .find(|q| q.id.name == id)
            .map_or_else(|| id.to_owned(), |q| q.prompt.get("en").to_owned())
    };
    let mut answers = Vec::new();
    let mut reports = Vec::new();
    {
        let runtime = live.team(index);
        for s in &records.submissions {
            match s.kind {
                Kind::Answer => {
                    let grade = crate::score::answer_grade(scenario, runtime.world(), s);
                    let answer = match serde_json::from_str::<Answered>(&s.body) {
                        Ok(Answered::Choices(c)) => c.join(", "),
                        Ok(Answered::Text(t)) => t,
                        Ok(Answered::Indicators(i)) => i.join(", "),
                        Err(_) => String::new(),
                    };
                    timeline.push(entry(
                        s.at,
                        EntryKind::Answer,
                        format!("Answered «{}» ({})", question_text(&s.subject), s.username),
                    ));
                    answers.push(Answer {
                        question: question_text(&s.subject),
                        answer,
                        by: s.username.clone(),
                        at: moment(s.at),
                        points: grade.as_ref().map(|g| g.earned),
                        max: grade.as_ref().map(|g| g.max),
                        why: grade
                            .map(|g| g.why)
                            .unwrap_or_else(|| "waiting for the white cell".to_owned()),
                    });
                }
                Kind::Report => {
                    let written: Written = serde_json::from_str(&s.body).unwrap_or_default();
                    let max: u32 = crate::reports::criteria(app, s).iter().map(|(_, _, p)| p).sum();
                    let points = s
                        .grade
                        .as_ref()
                        .and_then(|g| serde_json::from_str::<Points>(&g.points).ok())
                        .map(|p| p.values().sum::<u32>());
                    let to = atoll_exercise::answers::REPORT_RECIPIENTS
                        .iter()
                        .find(|(id, _)| *id == written.to)
                        .map_or(written.to.clone(), |(_, label)| (*label).to_owned());
                    timeline.push(entry(
                        s.at,
                        EntryKind::Report,
                        format!("Report «{}» to {to} ({})", s.subject, s.username),
                    ));
                    reports.push(Report {
                        title: s.subject.clone(),
                        to,
                        tlp: written.tlp.clone(),
                        by: s.username.clone(),
                        at: moment(s.at),
                        indicators: written
                            .indicators
                            .lines()
                            .map(str::trim)
                            .filter(|l| !l.is_empty())
                            .map(str::to_owned)
                            .collect(),
                        points,
                        max: Some(max),
                        comment: s.grade.as_ref().map(|g| g.comment.clone()).filter(|c| !c.is_empty()),
                        graded_by: s.grade.as_ref().map(|g| g.username.clone()),
                    });
                }
            }
        }
    }
    let hints: Vec<Hint> = records
        .hints
        .iter()
        .map(|h| {
            let def = scenario.hints.iter().find(|d| d.id.name == h.hint);
            timeline.push(entry(h.at, EntryKind::Hint, format!("Hint opened ({})", h.username)));
            Hint {
                question: def.map_or_else(|| h.hint.clone(), |d| question_text(&d.r#for.name)),
                text: def.map_or_else(String::new, |d| d.text.get("en").to_owned()),
                by: h.username.clone(),
                at: moment(h.at),
                cost: def.map_or(0, |d| d.penalty),
            }
        })
        .collect();
    timeline.sort_by_key(|e| e.at.ms);

    // Services: availability over play so far, hour by hour.
    let (availability, triage) = {
        let runtime = live.team(index);
        let hour = 3_600_000;
        let marks: Vec<u64> = (0..=now.div_ceil(hour)).map(|h| (h * hour).min(now)).collect();
        let at_marks: Vec<Vec<atoll_sim::Downtime<'_>>> = marks.iter().map(|&t| runtime.downtime(t)).collect();
        let availability = runtime
            .world()
            .map(|world| {
                world
                    .services
                    .iter()
                    .map(|s| {
                        let id = s.def.id.name.as_str();
                        let down = |i: usize| {
                            at_marks[i]
                                .iter()
                                .find(|d| d.service.id.name == id)
                                .map_or(0, |d| d.down)
                        };
                        let hourly = (1..marks.len())
                            .filter(|&i| marks[i] > marks[i - 1])
                            .map(|i| HourBar {
                                label: live.when(ExerciseMs(marks[i - 1])),
                                percent: atoll_sim::available_percent(down(i) - down(i - 1), marks[i] - marks[i - 1]),
                            })
                            .collect();
                        Service {
                            id: id.to_owned(),
                            name: s.def.name.get("en").to_owned(),
                            host: s
                                .hosts
                                .iter()
                                .filter_map(|&h| world.hosts.get(h))
                                .map(|h| h.def.hostname.clone())
                                .collect::<Vec<_>>()
                                .join(", "),
                            percent: atoll_sim::available_percent(down(marks.len() - 1), now),
                            hourly,
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        let sieve = crate::queue::Sieve::of(&runtime, &records.triages, &records.suppressions);
        let ([new, investigating, true_positives, false_positives], suppressed) = sieve.counts();
        let triage = Triage {
            alerts: (new + investigating + true_positives + false_positives + suppressed) as u64,
            true_positives: true_positives as u64,
            false_positives: false_positives as u64,
            investigating: investigating as u64,
            never_judged: new as u64,
            suppressed: suppressed as u64,
            suppressions: records
                .suppressions
                .iter()
                .map(|s| Suppression {
                    rule: crate::suppress::describe(s),
                    reason: s.reason.clone(),
                    by: s.username.clone(),
                    at: moment(s.at),
                    ended: s.ended.as_ref().map(|(at, _)| moment(*at)),
                })
                .collect(),
        };
        (availability, triage)
    };

    let tactics = atoll_report::model::tactic_figures(&steps);
    TeamReport {
        id: live.team_id(index),
        name: live.team_name(index).to_owned(),
        nation: def.map_or_else(String::new, |t| t.nation.0.clone()),
        score,
        steps,
        timeline,
        availability,
        triage,
        techniques,
        answers,
        reports,
        hints,
        tactics,
        earlier: Vec::new(),
        lessons: Vec::new(),
    }
}

/// How a step went, for the report: a step that waited for something that never held is not
/// one the team prevented, unless what it needed was (a step it needed, stopped by the team).
fn step_status(progress: &[atoll_exercise::score::Progress], step: &atoll_exercise::score::Progress) -> StepStatus {
    let mut current = step;
    for _ in 0..32 {
        let reason = current.reason.as_deref().unwrap_or_default();
        match current.status {
            Status::Succeeded => {
                return if std::ptr::eq(current, step) {
                    StepStatus::Ran
                } else {
                    StepStatus::NotRun
                };
            }
            Status::Pending => return StepStatus::ToCome,
            Status::Prevented if reason == atoll_sim::actions::SKIPPED => return StepStatus::Skipped,
            Status::Prevented => match reason
                .strip_prefix("requires step ")
                .and_then(|r| r.strip_suffix(" succeeded"))
            {
                // It needed a step that did not run: as that one went.
                Some(needed) => match progress.iter().find(|p| p.step == needed) {
                    Some(before) => current = before,
                    None => return StepStatus::NotRun,
                },
                None if reason.starts_with("requires ") => return StepStatus::NotRun,
                None => return StepStatus::Prevented,
            },
        }
    }
    StepStatus::NotRun
}

/// Releases the teams' reports to them (`released`), or holds them back again: stored, then
/// kept for every page's navigation, and written to the audit log.
pub async fn release<S: Store>(app: &Arc<App<S>>, user: &atoll_store::User, released: bool) -> Result<()> {
    if user.role != atoll_store::Role::Instructor {
        return Err(Error::forbidden("Only instructors release the reports."));
    }
    app.db
        .release_report(app.live.exercise, released)
        .await
        .map_err(|_| Error::unavailable("The change could not be stored, so nothing changed; try again."))?;
    app.live.set_report_released(released);
    let detail = if released {
        "released the teams' reports"
    } else {
        "held the teams' reports back"
    };
    crate::audit::record(app, user, "report.release", None, detail).await;
    Ok(())
}

/// The adversary's infrastructure against team `team` as the scenario names it (the
/// command-and-control endpoints of the campaigns against it), for a STIX bundle.
pub fn infrastructure<S>(app: &App<S>, team: &str) -> Vec<atoll_report::stix::Infrastructure> {
    let mut found: Vec<atoll_report::stix::Infrastructure> = Vec::new();
    use atoll_report::stix::Address;
    let mut add = |kind: Address, value: String, name: String| {
        if !value.is_empty() && !found.iter().any(|i| i.value == value) {
            found.push(atoll_report::stix::Infrastructure { kind, value, name });
        }
    };
    let against_team =
        |c: &&atoll_scenario::model::Campaign| c.teams.is_empty() || c.teams.iter().any(|t| t.name == team);
    for campaign in app.live.scenario.campaigns.iter().filter(against_team) {
        let actor = campaign
            .actor
            .clone()
            .unwrap_or_else(|| campaign.name.get("en").to_owned());
        for step in &campaign.steps {
            for effect in &step.effects {
                if let atoll_scenario::model::Effect::C2(c2) = effect {
                    if let Some(domain) = &c2.domain {
                        add(Address::Domain, domain.clone(), format!("{actor}: command and control"));
                    }
                    if let Some(address) = &c2.address {
                        let kind = if address.0.is_ipv4() {
                            Address::Ipv4
                        } else {
                            Address::Ipv6
                        };
                        add(kind, address.0.to_string(), format!("{actor}: command and control"));
                    }
                }
            }
        }
    }
    found
}
