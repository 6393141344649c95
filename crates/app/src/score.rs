//! What scoring reads of a team, and the team's score, progress and time limits as play stands.

use std::sync::Arc;

use atoll_exercise::ExerciseMs;
use atoll_exercise::answers::{self, Answer, Points};
use atoll_exercise::score::{
    ActionFact, AnswerFact, Facts, Progress, ReportFact, Score, Verdict, hint_available, progress, score,
};
use atoll_sim::available_percent;
use atoll_store::{HintOpened, Kind, Role, Store, Submission, Triage, User};

use crate::{App, Error, Result};

/// Team `index` as play stands: its score, its campaign's progress and its least available
/// service.
#[derive(Debug)]
pub struct TeamStatus {
    pub score: Score,
    pub progress: Vec<Progress>,
    /// The service up least of play so far, and its availability in percent.
    pub lowest: Option<(String, f64)>,
    /// The questions put to the team so far, with when.
    pub asked: Vec<(String, u64)>,
    /// The questions the team has answered (an answer is final).
    pub answered: Vec<String>,
    /// Hints the team may open, now or later, with the time they become available.
    pub hints_available: Vec<(String, u64)>,
    /// The exercise time this was worked out at, and whether play had ended.
    pub now: u64,
    pub ended: bool,
}

/// What the database holds of one team that scoring reads.
#[derive(Debug, Default)]
pub struct Records {
    pub triages: std::sync::Arc<Vec<Triage>>,
    pub submissions: Vec<Submission>,
    pub hints: Vec<HintOpened>,
    /// The team's suppressions, in force and ended.
    pub suppressions: Vec<atoll_store::Suppression>,
    /// Who of the white cell marked the team absent, if it did.
    pub absent: Option<String>,
    /// The team's response actions, oldest first (not the white cell's step changes).
    pub actions: Vec<atoll_store::ActionRecord>,
}

/// Reads team `team`'s records (its verdicts through the app's copy, read incrementally).
pub async fn records<S: Store>(app: &App<S>, team: &str) -> atoll_store::Result<Records> {
    let (db, exercise) = (&app.db, app.live.exercise);
    Ok(Records {
        triages: app.verdicts(team).await?,
        submissions: db.submissions(exercise, Some(team)).await?,
        hints: db.hints_opened(exercise, Some(team)).await?,
        suppressions: db.suppressions(exercise, Some(team)).await?,
        absent: db
            .absences(exercise)
            .await?
            .into_iter()
            .find(|a| a.team == team)
            .map(|a| a.username),
        actions: db
            .actions(exercise)
            .await?
            .into_iter()
            .filter(|a| a.team == team && !atoll_sim::actions::WHITE_CELL_ACTIONS.contains(&a.action.as_str()))
            .collect(),
    })
}

/// Scores team `index` now, from its records. Takes the team's lock: call it off the async
/// workers.
pub fn team_score<S>(app: &App<S>, index: usize, records: &Records) -> Score {
    team_status(app, index, records).score
}

/// A stored answer's question and grade now (automatic, or the white cell's for free text);
/// `None` while it waits for the white cell, or when its question has no right answer.
pub fn answer_grade(
    scenario: &'static atoll_scenario::Scenario,
    world: Option<&atoll_sim::world::World<'_>>,
    submission: &Submission,
) -> Option<atoll_exercise::answers::Grade> {
    let question = scenario.questions.iter().find(|q| q.id.name == submission.subject)?;
    let answer: Answer = serde_json::from_str(&submission.body).ok()?;
    let graded = match &submission.grade {
        Some(g) => Some((serde_json::from_str::<Points>(&g.points).ok()?, g.comment.as_str())),
        None => None,
    };
    let candidates = |name: &str| {
        world
            .map(|w| answers::world_values(scenario, w, name))
            .unwrap_or_default()
    };
    answers::grade(question, &answer, graded.as_ref().map(|(p, c)| (p, *c)), &candidates)
}

/// [`team_score`] and the rest of what the board shows of the team.
pub fn team_status<S>(app: &App<S>, index: usize, records: &Records) -> TeamStatus {
    let live = &app.live;
    let clock = live.clock();
    let now = clock.now(live.wall_now());
    let ended = matches!(clock.state, atoll_exercise::State::Ended { .. });
    let team_id = live.team_id(index);
    let verdicts: Vec<Verdict<'_>> = records
        .triages
        .iter()
        .map(|t| Verdict {
            row: t.row,
            rule: &t.rule,
            state: &t.state,
            at: t.at,
            username: &t.username,
        })
        .collect();
    let label = |t: u64| live.when(ExerciseMs(t));
    let offset = |c: &atoll_scenario::time::ClockTime| live.sim_clock().offset(c);
    let runtime = live.team_now(index);
    let outcomes = runtime.outcomes();
    let downtime = runtime.downtime(now);
    let delivered = crate::inbox::delivered(live, &team_id, &runtime.arrivals(), now);
    let asked: Vec<(&str, u64)> = delivered
        .questions
        .iter()
        .map(|(at, q, _)| (q.id.name.as_str(), *at))
        .collect();
    let answers: Vec<AnswerFact<'_>> = records
        .submissions
        .iter()
        .filter(|s| s.kind == Kind::Answer)
        .map(|s| AnswerFact {
            question: &s.subject,
            at: s.at,
            username: &s.username,
            grade: answer_grade(live.scenario, runtime.world(), s),
        })
        .collect();
    let reports: Vec<ReportFact<'_>> = records
        .submissions
        .iter()
        .filter(|s| s.kind == Kind::Report)
        .map(|s| ReportFact {
            title: &s.subject,
            at: s.at,
            username: &s.username,
            grade: s.grade.as_ref().and_then(|g| {
                Some((
                    serde_json::from_str::<Points>(&g.points).ok()?,
                    g.comment.as_str(),
                    g.username.as_str(),
                ))
            }),
        })
        .collect();
    let hints: Vec<(&str, u64, &str)> = records
        .hints
        .iter()
        .map(|h| (h.hint.as_str(), h.at, h.username.as_str()))
        .collect();
    let hidden = crate::suppress::hidden(&records.suppressions, runtime.alerts(), runtime.store());
    let described: Vec<(i64, String)> = records
        .suppressions
        .iter()
        .map(|s| (s.id, crate::suppress::describe(s)))
        .collect();
    let suppressions: Vec<atoll_exercise::score::SuppressionFact<'_>> = records
        .suppressions
        .iter()
        .filter_map(|s| {
            let (_, hides) = hidden.iter().find(|(id, _)| *id == s.id)?;
            let (_, what) = described.iter().find(|(id, _)| *id == s.id)?;
            Some(atoll_exercise::score::SuppressionFact {
                id: s.id,
                what,
                reason: &s.reason,
                username: &s.username,
                hidden: hides,
            })
        })
        .collect();
    let team_rules = runtime.team_rules();
    let actions: Vec<ActionFact<'_>> = records
        .actions
        .iter()
        .map(|a| ActionFact {
            at: a.at,
            action: &a.action,
            target: &a.target,
            username: &a.username,
        })
        .collect();
    let facts = Facts {
        team: &team_id,
        outcomes: &outcomes,
        downtime: &downtime,
        verdicts: &verdicts,
        alerts: runtime.alerts(),
        now,
        ended,
        asked: &asked,
        answers: &answers,
        reports: &reports,
        hints: &hints,
        suppressions: &suppressions,
        team_rules: &team_rules,
        absent: records.absent.as_deref(),
        actions: &actions,
    };
    let hints_available: Vec<(String, u64)> = live
        .scenario
        .hints
        .iter()
        .filter_map(|h| Some((h.id.name.clone(), hint_available(live.scenario, h, &facts)?)))
        .collect();
    let lowest = downtime
        .iter()
        .filter(|d| d.team == team_id)
        .map(|d| (d.service.name.get("en").to_owned(), available_percent(d.down, now)))
        .min_by(|a, b| a.1.total_cmp(&b.1));
    let mut score = score(live.scenario, &facts, &label, &offset);
    // An open item whose step or question is still to come closes when it would if all goes
    // as planned: the white cell sees it before a jump passes it.
    let planned = runtime.forecast();
    for item in score.items.iter_mut() {
        if item.standing == atoll_exercise::score::Standing::Open && item.closes.is_none() {
            item.closes = atoll_exercise::score::closes_as_planned(
                live.scenario,
                &facts,
                &item.expectation,
                &|id| planned.get(id).copied(),
                &offset,
            );
        }
    }
    TeamStatus {
        score,
        progress: progress(&facts),
        lowest,
        asked: asked.iter().map(|&(q, at)| (q.to_owned(), at)).collect(),
        answered: records
            .submissions
            .iter()
            .filter(|s| s.kind == Kind::Answer)
            .map(|s| s.subject.clone())
            .collect(),
        hints_available,
        now,
        ended,
    }
}

/// One team's line of the scoreboard.
#[derive(Debug, Clone)]
pub struct Standing {
    pub team: String,
    pub name: &'static str,
    pub total: u32,
    pub earned: u32,
    pub penalty: u32,
    pub possible: u32,
    /// Points as a share of the team's own maximum, in percent (maxima differ from team to
    /// team, so this is what ranks them).
    pub percent: u32,
    /// 1 for the highest share; teams with equal shares share a rank.
    pub rank: usize,
}

/// The scoreboard as `user` may read it, best first, and whether teams see it: the white cell
/// always; players once an instructor shows it to teams (every team then); observers who
/// follow chosen teams, those.
pub async fn standings<S: Store>(app: &Arc<App<S>>, user: &User) -> Result<(Vec<Standing>, bool)> {
    let shown = app
        .db
        .scoreboard_shown(app.live.exercise)
        .await
        .map_err(|_| Error::unavailable("The scoreboard could not be read; try again."))?;
    if user.role == Role::Player && !shown {
        return Err(Error::forbidden(
            "The white cell has not opened the scoreboard to teams. Your own score is on your team's Score page.",
        ));
    }
    let teams: Vec<(usize, String)> = app
        .live
        .scenario
        .player_teams()
        .enumerate()
        .filter(|(_, t)| user.role == Role::Player || user.sees(&t.id.name))
        .map(|(i, t)| (i, t.id.name.clone()))
        .collect();
    let mut all = Vec::new();
    for (_, team) in &teams {
        all.push(
            records(app, team)
                .await
                .map_err(|_| Error::unavailable("The scores could not be worked out; try again."))?,
        );
    }
    let worker = app.clone();
    let mut lines = tokio::task::spawn_blocking(move || {
        teams
            .into_iter()
            .zip(&all)
            .map(|((index, team), records)| {
                let score = team_score(&worker, index, records);
                Standing {
                    team,
                    name: worker.live.team_name(index),
                    total: score.total(),
                    earned: score.earned(),
                    penalty: score.penalty(),
                    possible: score.possible(),
                    percent: (score.total() * 100).checked_div(score.possible()).unwrap_or(0),
                    rank: 0,
                }
            })
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|_| Error::failed("The scores could not be worked out."))?;
    lines.sort_by(|a, b| {
        b.percent
            .cmp(&a.percent)
            .then(b.total.cmp(&a.total))
            .then(a.name.cmp(b.name))
    });
    let shares: Vec<u32> = lines.iter().map(|l| l.percent).collect();
    for (i, line) in lines.iter_mut().enumerate() {
        line.rank = shares.iter().position(|t| *t == line.percent).unwrap_or(i) + 1;
    }
    Ok((lines, shown))
}

/// Instructor `user` marks team `team` absent (nobody of it plays: its availability is not
/// scored) or, with `absent` false, present again. Written to the audit log.
pub async fn mark_absent<S: Store>(app: &Arc<App<S>>, user: &User, team: &str, absent: bool) -> Result<()> {
    if user.role != Role::Instructor {
        return Err(Error::forbidden("only instructors mark a team absent"));
    }
    if !app.live.scenario.player_teams().any(|t| t.id.name == team) {
        return Err(Error::not_found(format!("`{team}` is not a team of this exercise")).at("team"));
    }
    app.db
        .mark_absent(app.live.exercise, team, absent, user.id, crate::clock_now())
        .await
        .map_err(|_| Error::unavailable("The change could not be stored; try again."))?;
    let what = if absent {
        "marked the team absent"
    } else {
        "marked the team present"
    };
    crate::audit::record(app, user, "team.absent", Some(team), what).await;
    Ok(())
}
