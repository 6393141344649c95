//! A team's questions and hints: the scenario's questions as they are put to the team, with a
//! form for each (options, free text or indicators); answers are final once sent. Choices and
//! indicators are graded at once, free text by the white cell on the question's rubric. Hints
//! the team may open, each with what it costs.

use std::sync::Arc;

use atoll_exercise::ExerciseMs;
use atoll_exercise::answers::{self, Answer, EXTRA_INDICATORS};
use atoll_scenario::model::Question;
use atoll_store::{Kind, Role, Store, Submission};
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

use crate::auth::{TeamPlayer, TeamView};
use crate::{App, html};
use atoll_app::questions::{answer_grades, give_answer, hint_number, open_hint_now};
use atoll_app::score::{Records, TeamStatus, records, team_status};

pub(crate) async fn page<S: Store>(State(app): State<Arc<App<S>>>, view: TeamView) -> Response {
    render(&app, &view, None, None).await
}

/// The page, with a problem to show above it (a refused answer), if any.
async fn render<S: Store>(
    app: &Arc<App<S>>,
    view: &TeamView,
    problem: Option<(&str, &str)>,
    sent: Option<&Answer>,
) -> Response {
    let team_id = app.live.team_id(view.team);
    let Ok(records) = records(app, &team_id).await else {
        return html::problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "The questions could not be read; try again.",
        );
    };
    let worker = app.clone();
    let index = view.team;
    let Ok((status, records, grades)) = tokio::task::spawn_blocking(move || {
        let status = team_status(&worker, index, &records);
        let grades = answer_grades(&worker, index, &records);
        (status, records, grades)
    })
    .await
    else {
        return html::problem(StatusCode::INTERNAL_SERVER_ERROR, "This page failed.");
    };
    // The badge in the navigation counts the questions asked after this.
    app.saw(view.user.id, view.team, crate::Seen::Questions, status.asked.len());
    let mut body = body(app, view, &status, &records, &grades, problem);
    // A refused answer is shown back, so that nothing typed is lost.
    if let Some(sent) = sent {
        let text = match sent {
            Answer::Choices(c) => c.join(", "),
            Answer::Text(t) => t.clone(),
            Answer::Indicators(v) => v.join("\n"),
        };
        if !text.trim().is_empty() {
            body = html! {
                (body)
                h2 { "What you sent (not stored)" }
                blockquote #sent { (text) }
            };
        }
    }
    let team_name = app.live.team_name(view.team);
    let problem = problem.map(|(field, message)| format!("{field}: {message}"));
    html::form_page(
        html::heading(app, &view.user).await.reading(crate::Seen::Questions),
        &format!("Questions — {team_name}"),
        &view.user,
        problem.as_deref(),
        &body,
    )
}

fn body<S>(
    app: &App<S>,
    view: &TeamView,
    status: &TeamStatus,
    records: &Records,
    grades: &[(i64, answers::Grade)],
    problem: Option<(&str, &str)>,
) -> Markup {
    let live = &app.live;
    let team_id = live.team_id(view.team);
    let label = |t: u64| live.when(ExerciseMs(t));
    // Only players hand in the team's answers and open its hints.
    let acts = view.user.role == Role::Player && !status.ended;
    let scenario = live.scenario;
    // Newest first.
    let mut asked: Vec<(&Question, u64)> = status
        .asked
        .iter()
        .filter_map(|(q, at)| Some((scenario.questions.iter().find(|x| x.id.name == *q)?, *at)))
        .collect();
    asked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.id.name.cmp(&b.0.id.name)));
    let answer_of = |q: &str| {
        records
            .submissions
            .iter()
            .find(|s| s.kind == Kind::Answer && s.subject == q)
    };
    let opened = |h: &str| records.hints.iter().find(|o| o.hint == h);
    // Hints available now, for a question or for an expectation.
    let hints_for = |target: &str| -> Vec<&atoll_scenario::model::Hint> {
        scenario
            .hints
            .iter()
            .filter(|h| h.r#for.name == target)
            .filter(|h| {
                opened(&h.id.name).is_some()
                    || status
                        .hints_available
                        .iter()
                        .any(|(id, at)| *id == h.id.name && *at <= status.now)
            })
            .collect()
    };
    let other_hints: Vec<&atoll_scenario::model::Hint> = scenario
        .hints
        .iter()
        .filter(|h| !scenario.questions.iter().any(|q| q.id.name == h.r#for.name))
        .filter_map(|h| {
            let e = scenario.expectations.iter().find(|e| e.id.name == h.r#for.name)?;
            // What it helps with is not said: that would name a step of the campaign. One not
            // opened is offered only while what it helps with can still be earned.
            let offered =
                opened(&h.id.name).is_some() || atoll_app::questions::hint_for_sale(scenario, status, &h.id.name);
            (offered && hints_for(&e.id.name).iter().any(|x| x.id.name == h.id.name)).then_some(h)
        })
        .collect();
    let hint = |h: &atoll_scenario::model::Hint, about: Option<&str>| -> Markup {
        html! {
            div.hint id={ "hint-" (hint_number(scenario, &h.id.name)) } {
                @if let Some(o) = opened(&h.id.name) {
                    p {
                        strong { "Hint" } @if let Some(about) = about { " — " (about) }
                        " (opened by " (o.username) " at " (label(o.at)) ", −" (h.penalty) " points): "
                        (h.text.get("en"))
                    }
                } @else {
                    p {
                        strong { "Hint available" } @if let Some(about) = about { " — " (about) }
                        ". Opening it costs " (h.penalty) " points."
                    }
                    @if acts {
                        form.inline method="post" action={ "/teams/" (team_id) "/hints" } {
                            input type="hidden" name="hint" value=(hint_number(scenario, &h.id.name));
                            button type="submit" { "Open hint (−" (h.penalty) " points)" }
                        }
                    }
                }
            }
        }
    };
    html! {
        h1 { "Questions — " (live.team_name(view.team)) }
        p.muted {
            "The white cell's questions, as they come. An answer is final once sent. Choices and indicators are graded at once; written answers by the white cell, who may comment. Hints help, at a cost in points."
        }
        @if let Some((field, message)) = problem {
            (html::refusal(Some(&format!("{field}: {message}"))))
        }
        @if !other_hints.is_empty() {
            h2 { "Hints" }
            @for h in &other_hints { (hint(h, None)) }
        }
        @if asked.is_empty() {
            p.muted { "No question has been put to your team yet." }
        }
        @for (q, at) in &asked {
            article.inject id={ "question-" (q.id.name) } {
                h2 { (q.prompt.get("en")) }
                p.muted {
                    "Asked at " (label(*at))
                    @if let Some(track) = atoll_app::inbox::track_of(q.to.as_ref(), &team_id) { " · for the " (track) " track" }
                }
                @let stake = atoll_app::questions::stake(scenario, status, &q.id.name);
                @let answer = answer_of(&q.id.name);
                @let closed = answer.is_none() && stake.as_ref().is_some_and(|s| s.closed(status.now));
                @if stake.is_none() {
                    p.stake.muted { "Not scored: this question is for practice and for the hotwash; its grade is feedback." }
                }
                @if let Some(stake) = &stake {
                    // What the score says of it, in the score's words.
                    @if answer.is_none() && !closed && stake.standing == atoll_exercise::score::Standing::Open {
                        p.stake {
                            "Worth " strong { (stake.max) " points" }
                            @if let Some(c) = stake.closes { " · answer by " strong { (label(c)) } " (" (time_left(c.saturating_sub(status.now))) " left)" }
                        }
                    } @else if stake.standing == atoll_exercise::score::Standing::Open {
                        // Answered, waiting for its grade: nothing is scored yet.
                        p.stake { "Worth " strong { (stake.max) " points" } " — " (stake.why) }
                    } @else {
                        p.stake { strong { (stake.points) " of " (stake.max) " points" } " — " (stake.why) }
                    }
                }
                @match answer {
                    Some(s) => (answered(q, s, grades.iter().find(|(id, _)| *id == s.id).map(|(_, g)| g), &label)),
                    None if closed => p.muted { "Closed: answers are no longer taken." },
                    None if acts => (answer_form(q, &team_id)),
                    None => p.muted { "Not answered yet." },
                }
                // Hints are sold only while the question still takes answers.
                // A hint is offered while the question takes an answer; one opened stays shown.
                @for h in hints_for(&q.id.name).into_iter().filter(|h| (!closed && answer.is_none()) || opened(&h.id.name).is_some()) { (hint(h, None)) }
            }
        }
    }
}

/// How long until a time limit, as people say it: `1 h 20 min`, `5 min`, `under a minute`.
fn time_left(ms: u64) -> String {
    let minutes = ms / 60_000;
    match (minutes / 60, minutes % 60) {
        (0, 0) => "under a minute".to_owned(),
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// A sent answer, with its grade if it has one.
fn answered(q: &Question, s: &Submission, grade: Option<&answers::Grade>, label: &dyn Fn(u64) -> String) -> Markup {
    let answer: Option<Answer> = serde_json::from_str(&s.body).ok();
    let option_text = |id: &str| {
        q.choice
            .as_ref()
            .and_then(|c| c.options.iter().find(|o| o.id.name == id))
            .map_or_else(|| id.to_owned(), |o| o.text.get("en").to_owned())
    };
    html! {
        div.answer {
            p.muted { "Answered by " (s.username) " at " (label(s.at)) ":" }
            @match &answer {
                Some(Answer::Choices(ids)) => ul { @for id in ids { li { (option_text(id)) } } },
                Some(Answer::Text(text)) => blockquote { (text) },
                Some(Answer::Indicators(values)) => ul.mono { @for v in values { li { (v) } } },
                None => p.error { "This answer could not be read." },
            }
            @match grade {
                Some(g) => p { strong { (g.earned) " of " (g.max) } " — " (g.why) },
                None if q.free_text.is_some() => p.muted { "The white cell has not graded it yet." },
                None => p.muted { "This question has no single right answer; it is discussed at the hotwash." },
            }
        }
    }
}

/// The form for a question's answer.
fn answer_form(q: &Question, team: &str) -> Markup {
    let id = &q.id.name;
    html! {
        form method="post" action={ "/teams/" (team) "/questions" } {
            input type="hidden" name="question" value=(id);
            @if let Some(choice) = &q.choice {
                @let multiple = choice.multiple == Some(true);
                fieldset {
                    legend { @if multiple { "Choose every option that applies" } @else { "Choose one option" } }
                    @for o in choice.options.iter() {
                        @let field = format!("{id}-{}", o.id.name);
                        div {
                            @if multiple {
                                input type="checkbox" name="choice" value=(o.id.name) id=(field);
                            } @else {
                                input type="radio" name="choice" value=(o.id.name) id=(field) required;
                            }
                            " " label for=(field) { (o.text.get("en")) }
                        }
                    }
                }
            } @else if let Some(ind) = &q.indicator {
                label for={ (id) "-indicators" } {
                    "Indicators (" (ind.kind.as_str().replace('_', " ")) "), one per line, at most " (ind.accept.len() + EXTRA_INDICATORS)
                }
                br;
                textarea id={ (id) "-indicators" } name="indicators" rows="3" cols="60" required {}
            } @else {
                label for={ (id) "-text" } { "Your answer" }
                br;
                textarea id={ (id) "-text" } name="text" rows="6" cols="80" maxlength="20000" required {}
            }
            p { button type="submit" { "Send answer (final)" } }
        }
    }
}

/// Sends an answer: checked against the question's form, then stored once. Nothing is stored
/// when it is refused, and the page says which field is wrong.
pub(crate) async fn answer<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamPlayer(view): TeamPlayer,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let field = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let question_id = field("question").unwrap_or_default().to_owned();
    let team_id = app.live.team_id(view.team);
    let Some(question) = app.live.scenario.questions.iter().find(|q| q.id.name == question_id) else {
        return render(&app, &view, Some(("question", "no such question")), None).await;
    };
    let answer = match answers::form_of(question) {
        "choice" => Answer::Choices(
            fields
                .iter()
                .filter(|(k, _)| k == "choice")
                .map(|(_, v)| v.clone())
                .collect(),
        ),
        "indicator" => Answer::Indicators(
            field("indicators")
                .unwrap_or_default()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
        ),
        _ => Answer::Text(field("text").unwrap_or_default().trim().to_owned()),
    };
    match give_answer(&app, view.team, &view.user, question, &answer).await {
        Ok(_) => Redirect::to(&format!("/teams/{team_id}/questions#question-{}", question.id.name)).into_response(),
        Err(e) if e.is_refusal() => {
            let field = e.field.clone().unwrap_or_else(|| "answer".to_owned());
            render(&app, &view, Some((&field, &e.message)), Some(&answer)).await
        }
        Err(e) => html::failure(&e),
    }
}

#[derive(Debug, serde::Deserialize)]
pub(crate) struct HintForm {
    hint: Option<String>,
}

/// Opens a hint for the team, once, if it is available now.
pub(crate) async fn open_hint<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamPlayer(view): TeamPlayer,
    Form(form): Form<HintForm>,
) -> Response {
    let team_id = app.live.team_id(view.team);
    // Hints go by their number: their ids can say what they are about.
    let number = form.hint.unwrap_or_default();
    let hint = number
        .parse::<usize>()
        .ok()
        .and_then(|n| app.live.scenario.hints.get(n.checked_sub(1)?))
        .map_or_else(String::new, |h| h.id.name.clone());
    match open_hint_now(&app, view.team, &view.user, &hint).await {
        Ok(_) => Redirect::to(&format!("/teams/{team_id}/questions#hint-{number}")).into_response(),
        Err(e) if e.is_refusal() => {
            let field = e.field.clone().unwrap_or_else(|| "hint".to_owned());
            render(&app, &view, Some((&field, &e.message)), None).await
        }
        Err(e) => html::failure(&e),
    }
}
