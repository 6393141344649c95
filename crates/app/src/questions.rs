//! Questions put to a team and its answers, and the hints it may open: what a player hands
//! in, checked against the question's form, once, while play goes on.

use std::sync::Arc;

use atoll_exercise::answers::{self, Answer};
use atoll_scenario::model::Question;
use atoll_store::{Kind, Store, StoreError, Submission};

use crate::score::{Records, TeamStatus, records, team_status};
use crate::{App, Error, Result, clock_now};

/// An answer as stored: the submission, when its question was asked, and its grade now (for
/// a question with a right answer, at once; for free text, once the white cell grades it).
#[derive(Debug, Clone)]
pub struct Answered {
    pub submission: Submission,
    pub asked: u64,
    pub grade: Option<answers::Grade>,
}

/// Hands in team `index`'s answer to `question` by `user`: only to a question put to the team,
/// while play goes on, once, checked against the question's form. Stored, then given to the
/// team's world (what waits for the answer comes). Returns the answer's id.
pub async fn give_answer<S: Store>(
    app: &Arc<App<S>>,
    index: usize,
    user: &atoll_store::User,
    question: &'static Question,
    answer: &Answer,
) -> Result<Answered> {
    let status = status_now(app, index).await?;
    if status.ended {
        return Err(Error::conflict("play has ended; answers are no longer taken").at("question"));
    }
    let Some(&(_, asked)) = status.asked.iter().find(|(q, _)| *q == question.id.name) else {
        return Err(Error::invalid(
            "question",
            "this question has not been put to your team",
        ));
    };
    // Past its time limit, a question takes no answer (the score would give it nothing); a
    // question answered already says so (the store refuses a second answer).
    let answered = crate::score::records(app, &app.live.team_id(index))
        .await?
        .submissions
        .iter()
        .any(|s| s.kind == Kind::Answer && s.subject == question.id.name);
    if !answered
        && let Some(stake) = stake(app.live.scenario, &status, &question.id.name)
        && stake.closed(status.now)
    {
        let when = stake.closes.map_or(String::new(), |c| {
            format!(" at {}", app.live.when(atoll_exercise::ExerciseMs(c)))
        });
        // Which question, in its own first words: the message stands at the top of the page.
        let prompt = question.prompt.get("en");
        let mut first: String = prompt.chars().take(60).collect();
        if prompt.chars().count() > 60 {
            first.push('…');
        }
        return Err(Error::conflict(format!(
            "«{first}»: the time to answer it ended{when}; answers are no longer taken"
        ))
        .at("question"));
    }
    if let Err(message) = answers::check(question, answer) {
        let (field, message) = message.split_once(": ").unwrap_or(("answer", &message));
        let field = ["choice", "indicators", "text"]
            .into_iter()
            .find(|f| *f == field)
            .unwrap_or("answer");
        return Err(Error::invalid(field, message));
    }
    let body = serde_json::to_string(answer).map_err(|_| Error::failed("The answer could not be stored."))?;
    let worker = app.clone();
    let (team, question_id, by) = (app.live.team_id(index), question.id.name.clone(), user.id);
    let text = body.clone();
    let stored = crate::facts::record_fact(app, index, move |at| async move {
        worker
            .db
            .submit(
                worker.live.exercise,
                &team,
                Kind::Answer,
                &question_id,
                &text,
                by,
                at,
                clock_now(),
                // One answer a question (the store refuses a second): the scenario bounds them.
                atoll_store::AtMost::NONE,
            )
            .await
            .map(|id| {
                (
                    id,
                    crate::facts::Then::Fact(atoll_sim::ActionKind::Answered(question_id)),
                )
            })
    })
    .await;
    let (id, at) = match stored {
        Ok(stored) => Ok(stored),
        Err(crate::facts::Unrecorded::Store(StoreError::Answered)) => {
            Err(Error::conflict("your team has already answered this question").at("question"))
        }
        Err(_) => Err(Error::unavailable("The answer could not be stored; try again.")),
    }?;
    let submission = Submission {
        id,
        team: app.live.team_id(index),
        kind: Kind::Answer,
        subject: question.id.name.clone(),
        body,
        username: user.username.clone(),
        at,
        grade: None,
    };
    // Graded against the team's world as it stands (a question on its own network).
    let worker = app.clone();
    let given = submission.clone();
    let grade = tokio::task::spawn_blocking(move || {
        let runtime = worker.live.team(index);
        crate::score::answer_grade(worker.live.scenario, runtime.world(), &given)
    })
    .await
    .unwrap_or(None);
    Ok(Answered {
        submission,
        asked,
        grade,
    })
}

/// The questions put to team `index` so far, oldest first, with the team's answer and its
/// grade where there is one: (question, when asked, answer). For the API.
pub async fn asked<S: Store>(
    app: &Arc<App<S>>,
    index: usize,
) -> Option<Vec<(&'static Question, u64, Option<(Submission, Option<answers::Grade>)>)>> {
    let team_id = app.live.team_id(index);
    let records = records(app, &team_id).await.ok()?;
    let worker = app.clone();
    tokio::task::spawn_blocking(move || {
        let status = team_status(&worker, index, &records);
        let grades = answer_grades(&worker, index, &records);
        let scenario: &'static atoll_scenario::Scenario = worker.live.scenario;
        let mut out = Vec::new();
        for (id, at) in &status.asked {
            let Some(q) = scenario.questions.iter().find(|q| &q.id.name == id) else {
                continue;
            };
            let answer = records
                .submissions
                .iter()
                .find(|s| s.kind == Kind::Answer && &s.subject == id)
                .map(|s| {
                    (
                        s.clone(),
                        grades.iter().find(|(g, _)| *g == s.id).map(|(_, g)| g.clone()),
                    )
                });
            out.push((q, *at, answer));
        }
        out.sort_by_key(|(_, at, _)| *at);
        out
    })
    .await
    .ok()
}

/// Opens hint `hint` (its id) for team `index` by `user`, once, if it is available to the team
/// now and play goes on; its penalty counts from now.
pub async fn open_hint_now<S: Store>(
    app: &Arc<App<S>>,
    index: usize,
    user: &atoll_store::User,
    hint: &str,
) -> Result<HintOpen> {
    let status = status_now(app, index).await?;
    if status.ended {
        return Err(Error::conflict("play has ended; hints are no longer opened").at("hint"));
    }
    let now = status.now;
    let Some(&(_, available)) = status.hints_available.iter().find(|(h, at)| *h == hint && *at <= now) else {
        return Err(Error::invalid("hint", "this hint is not available to your team now"));
    };
    hint_still_helps(app.live.scenario, &status, hint).map_err(|why| Error::conflict(why).at("hint"))?;
    let team_id = app.live.team_id(index);
    let unavailable = |_| Error::unavailable("The hint could not be opened; try again.");
    let new = app
        .db
        .open_hint(app.live.exercise, &team_id, hint, user.id, now, clock_now())
        .await
        .map_err(unavailable)?;
    let opened = if new {
        (user.username.clone(), now)
    } else {
        // Opened before (by a teammate, or a second click): who did, and when, stands.
        app.db
            .hints_opened(app.live.exercise, Some(&team_id))
            .await
            .map_err(unavailable)?
            .into_iter()
            .find(|o| o.hint == hint)
            .map_or((user.username.clone(), now), |o| (o.username, o.at))
    };
    Ok(HintOpen { available, opened })
}

/// A hint open to a team: since when it was available, and who opened it when.
#[derive(Debug, Clone)]
pub struct HintOpen {
    pub available: u64,
    pub opened: (String, u64),
}

/// The hints team `index` may open now or has opened: (hint, when available, who opened it and
/// when). What a hint helps with is given only for a question already asked: an expectation
/// would name a step of the campaign.
pub async fn hints<S: Store>(
    app: &Arc<App<S>>,
    index: usize,
) -> Option<Vec<(&'static atoll_scenario::model::Hint, u64, Option<(String, u64)>)>> {
    let team_id = app.live.team_id(index);
    let records = records(app, &team_id).await.ok()?;
    let worker = app.clone();
    tokio::task::spawn_blocking(move || {
        let status = team_status(&worker, index, &records);
        let scenario: &'static atoll_scenario::Scenario = worker.live.scenario;
        scenario
            .hints
            .iter()
            .filter_map(|h| {
                let available = status
                    .hints_available
                    .iter()
                    .find(|(id, _)| *id == h.id.name)
                    .map(|&(_, at)| at);
                let opened = records
                    .hints
                    .iter()
                    .find(|o| o.hint == h.id.name)
                    .map(|o| (o.username.clone(), o.at));
                match (available, opened) {
                    (Some(at), opened) if at <= status.now || opened.is_some() => Some((h, at, opened)),
                    (None, Some((who, at))) => Some((h, at, Some((who, at)))),
                    _ => None,
                }
            })
            .collect()
    })
    .await
    .ok()
}

/// A hint's number as players see it (1 for the scenario's first hint): its id may say what it
/// is about.
pub fn hint_number(scenario: &atoll_scenario::Scenario, id: &str) -> usize {
    scenario.hints.iter().position(|h| h.id.name == id).map_or(0, |i| i + 1)
}

/// Team `index` as play stands now, from its stored records.
pub async fn status_now<S: Store>(app: &Arc<App<S>>, index: usize) -> Result<TeamStatus> {
    let team_id = app.live.team_id(index);
    let records = records(app, &team_id).await?;
    let worker = app.clone();
    tokio::task::spawn_blocking(move || team_status(&worker, index, &records))
        .await
        .map_err(|_| Error::failed("The server failed while reading the team's score."))
}

/// Each answer's grade now, by submission id. Takes the team's lock.
pub fn answer_grades<S>(app: &App<S>, index: usize, records: &Records) -> Vec<(i64, answers::Grade)> {
    let runtime = app.live.team(index);
    records
        .submissions
        .iter()
        .filter(|s| s.kind == Kind::Answer)
        .filter_map(|s| Some((s.id, crate::score::answer_grade(app.live.scenario, runtime.world(), s)?)))
        .collect()
}

/// What a question is worth to a team and until when: the score's item for the expectation
/// that it be answered, as the Score page shows it.
#[derive(Debug, Clone)]
pub struct Stake {
    pub max: u32,
    pub points: u32,
    pub standing: atoll_exercise::score::Standing,
    /// The score's words for it.
    pub why: String,
    /// When the time to answer ends, if it does.
    pub closes: Option<u64>,
}

impl Stake {
    /// Whether answers are still taken: the item is open and its time has not run out.
    pub fn open(&self, now: u64) -> bool {
        self.standing == atoll_exercise::score::Standing::Open && self.closes.is_none_or(|c| now <= c)
    }

    /// Whether, unanswered, its time has run out (the score says missed, or its limit passed).
    pub fn closed(&self, now: u64) -> bool {
        self.standing == atoll_exercise::score::Standing::Missed || self.closes.is_some_and(|c| now > c)
    }
}

/// The stake of question `question` for the team whose status this is, if an expectation
/// scores it.
pub fn stake(scenario: &atoll_scenario::Scenario, status: &TeamStatus, question: &str) -> Option<Stake> {
    scenario
        .expectations
        .iter()
        .filter(|e| e.answer.as_ref().is_some_and(|q| q.name == question))
        .find_map(|e| status.score.items.iter().find(|i| i.expectation == e.id.name))
        .map(|i| Stake {
            max: i.max,
            points: i.points,
            standing: i.standing,
            why: i.why.clone(),
            closes: i.closes,
        })
}

/// Whether hint `hint` may still be opened: a hint for a question only while the question
/// takes answers. `Err` says why not.
fn hint_still_helps(
    scenario: &atoll_scenario::Scenario,
    status: &TeamStatus,
    hint: &str,
) -> std::result::Result<(), String> {
    let Some(h) = scenario.hints.iter().find(|h| h.id.name == hint) else {
        return Ok(());
    };
    let target = h.r#for.name.as_str();
    if scenario.questions.iter().any(|q| q.id.name == target) {
        if status.answered.iter().any(|q| q == target) {
            return Err("the question it helps with is answered, and an answer is final".to_owned());
        }
        return match stake(scenario, status, target) {
            Some(s) if s.closed(status.now) => Err("the question it helps with no longer takes answers".to_owned()),
            _ => Ok(()),
        };
    }
    // A hint for an expectation is sold while the expectation can still be earned: once it
    // is settled, opening one would cost points and could earn none.
    match status.score.items.iter().find(|i| i.expectation == target) {
        Some(item) if item.standing != atoll_exercise::score::Standing::Open => {
            Err("what it helps with is settled in the score: a hint now would cost points and earn none".to_owned())
        }
        _ => Ok(()),
    }
}

/// Whether hint `hint` may still be sold to the team ([`hint_still_helps`]).
pub fn hint_for_sale(scenario: &atoll_scenario::Scenario, status: &TeamStatus, hint: &str) -> bool {
    hint_still_helps(scenario, status, hint).is_ok()
}
