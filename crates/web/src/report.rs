//! The after-action report: for the white cell, the whole exercise (every team side by side,
//! then each team) with the lessons about the exercise and the switch that releases the
//! teams' reports; for each team, its own report once released (the white cell and the
//! observers who follow it see it at any time), with the lessons about it. Each report
//! downloads as one self-contained HTML file, as JSON, and for a team as an ATT&CK Navigator
//! layer and a STIX 2.1 bundle of what it reported. The documents are `atoll_report`'s.

use std::sync::Arc;

use atoll_app::lessons::{KINDS, Written};
use atoll_app::limits::{LESSON_CHARS, LESSON_OWNER_CHARS};
use atoll_store::{Lesson, Role, Store, User};
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use crate::auth::{Instructor, Staff, TeamActor, TeamView};
use crate::{App, html};

/// A lesson as typed into the form (kept when refused).
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct LessonForm {
    #[serde(default)]
    objective: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    due: String,
}

impl LessonForm {
    fn written(&self) -> Written {
        Written {
            objective: self.objective.clone(),
            kind: self.kind.clone(),
            text: self.text.clone(),
            owner: self.owner.clone(),
            due: self.due.clone(),
        }
    }
}

/// Which document to download.
#[derive(Debug, Deserialize)]
pub(crate) struct Download {
    format: Option<String>,
}

/// The whole exercise's report, for the white cell; an observer reads the teams it follows.
pub(crate) async fn exercise_page<S: Store>(State(app): State<Arc<App<S>>>, Staff(user): Staff) -> Response {
    show_exercise(app, user, None, LessonForm::default()).await
}

/// The teams `user` sees, by index.
fn seen_teams<S>(app: &App<S>, user: &User) -> Vec<usize> {
    app.live
        .scenario
        .player_teams()
        .enumerate()
        .filter(|(_, t)| user.sees(&t.id.name))
        .map(|(i, _)| i)
        .collect()
}

async fn show_exercise<S: Store>(app: Arc<App<S>>, user: User, problem: Option<String>, typed: LessonForm) -> Response {
    let teams = seen_teams(&app, &user);
    let whole = teams.len() == app.live.scenario.player_teams().count();
    let instructor = user.role == Role::Instructor;
    let report = match atoll_app::report::gather(&app, &teams).await {
        Ok(report) => report,
        Err(e) => return html::failure(&e),
    };
    let lessons = match atoll_app::lessons::about(&app, None).await {
        Ok(lessons) => lessons,
        Err(e) => return html::failure(&e),
    };
    let released = app.live.report_released();
    let body = html! {
        h1 { "After-action report" }
        p.muted {
            @if report.play_ended { "Play has ended: the figures are final." }
            @else { "Play is still on: the figures are as of " (report.as_of.label) " and will change." }
        }
        section.release {
            h2 { "The teams' reports" }
            @if !whole { p.muted { "You follow some of the teams: this report is theirs." } }
            @if instructor {
                form method="post" action="/report/release" {
                    @if released {
                        p { "Each team can read its own report (the “Report” link in its navigation)." }
                        button name="release" value="no" { "Hold the teams' reports back" }
                    } @else {
                        p { "The teams cannot read their reports yet. Release them once the white cell has written its lessons (below and on each team's report)." }
                        button name="release" value="yes" { "Release each team's report to it" }
                    }
                }
            }
            p {
                "Download: "
                a href="/report/download?format=html" download { "the whole report (HTML, one file, prints)" } " · "
                a href="/report/download?format=pdf" download { "PDF" } " · "
                a href="/report/download?format=json" download { "its facts (JSON)" }
                " · each team's report: "
                @for (i, t) in report.teams.iter().enumerate() {
                    @if i > 0 { ", " }
                    a href={ "/teams/" (t.id) "/report" } { (t.name) }
                }
            }
        }
        section.documents {
            h2 { "Exercise documents" }
            ul {
                li { "Situation Manual, for participants before play: " a href="/documents/situation-manual" download { "HTML" } " · " a href="/documents/situation-manual?format=pdf" download { "PDF" } }
                @if instructor {
                    li { "Facilitator and evaluator guide, for the white cell only: " a href="/documents/facilitator-guide" download { "HTML" } " · " a href="/documents/facilitator-guide?format=pdf" download { "PDF" } }
                    li { "After-Action Report / Improvement Plan: " a href="/documents/after-action" download { "HTML" } " · " a href="/documents/after-action?format=pdf" download { "PDF" } }
                }
                li { "Participant feedback form, to print (the same questions as the " a href="/feedback" { "Feedback" } " page): " a href="/documents/feedback-form" download { "HTML" } " · " a href="/documents/feedback-form?format=pdf" download { "PDF" } }
            }
        }
        @if whole { (lessons_section(&app, "/lessons", &lessons, instructor, problem.as_deref(), &typed)) }
        div.aar { (PreEscaped(atoll_report::html::exercise_sections(&report))) }
    };
    page(&app, &user, "Report", problem.as_deref(), &body).await
}

/// One team's report: the white cell and its observers at any time, its players once released.
pub(crate) async fn team_page<S: Store>(State(app): State<Arc<App<S>>>, view: TeamView) -> Response {
    show_team(app, view, None, LessonForm::default()).await
}

async fn show_team<S: Store>(app: Arc<App<S>>, view: TeamView, problem: Option<String>, typed: LessonForm) -> Response {
    if let Some(held) = held_back(&app, &view.user) {
        return held;
    }
    let team_id = app.live.team_id(view.team);
    let report = match atoll_app::report::gather(&app, &[view.team]).await {
        Ok(report) => report,
        Err(e) => return html::failure(&e),
    };
    let lessons = match atoll_app::lessons::about(&app, Some(&team_id)).await {
        Ok(lessons) => lessons,
        Err(e) => return html::failure(&e),
    };
    let writes = atoll_app::lessons::may_write(&view.user, Some(&team_id));
    let action = format!("/teams/{team_id}/lessons");
    let body = html! {
        h1 { "After-action report — " (app.live.team_name(view.team)) }
        p.muted {
            @if report.play_ended { "Play has ended: the figures are final." }
            @else { "Play is still on: the figures are as of " (report.as_of.label) " and will change." }
            " Download: "
            a href={ "/teams/" (team_id) "/report/download?format=html" } download { "the report (HTML, one file, prints)" } " · "
            a href={ "/teams/" (team_id) "/report/download?format=pdf" } download { "PDF" } " · "
            a href={ "/teams/" (team_id) "/report/download?format=json" } download { "its facts (JSON)" } " · "
            a href={ "/teams/" (team_id) "/report/download?format=navigator" } download { "ATT&CK Navigator layer" } " · "
            a href={ "/teams/" (team_id) "/report/download?format=stix" } download { "STIX 2.1 bundle of the indicators reported" }
        }
        (lessons_section(&app, &action, &lessons, writes, problem.as_deref(), &typed))
        div.aar { (PreEscaped(atoll_report::html::team_sections(&report, &team_id).unwrap_or_default())) }
    };
    page(&app, &view.user, "Report", problem.as_deref(), &body).await
}

/// For a player while the white cell holds the reports back: the page that says so.
fn held_back<S: Store>(app: &App<S>, user: &User) -> Option<Response> {
    (user.role == Role::Player && !app.live.report_released()).then(|| {
        html::problem(
            StatusCode::FORBIDDEN,
            "The white cell has not released your team's after-action report yet; it usually does after the debrief.",
        )
    })
}

async fn page<S: Store>(app: &Arc<App<S>>, user: &User, title: &str, problem: Option<&str>, body: &Markup) -> Response {
    // The report's charts fill the width; its tables take the pages' own style.
    let body = html! {
        style { ".aar svg{display:block;width:100%;height:auto;margin:.5rem 0}.aar .provisional{border:2px dashed currentColor;padding:.4rem .6rem}" }
        (body)
    };
    html::form_page(html::heading(app, user).await, title, user, problem, &body)
}

/// The lessons, grouped by objective, and the form to write one (`writes`).
fn lessons_section<S>(
    app: &App<S>,
    action: &str,
    lessons: &[Lesson],
    writes: bool,
    problem: Option<&str>,
    typed: &LessonForm,
) -> Markup {
    let objectives = &app.live.scenario.objectives;
    let objective_text = |id: &str| {
        objectives
            .iter()
            .find(|o| o.id.name == id)
            .map_or_else(|| "The exercise as a whole".to_owned(), |o| o.text.get("en").to_owned())
    };
    let kind_text = |kind: &str| -> String {
        KINDS
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or_else(|| kind.to_owned(), |(_, t)| (*t).to_owned())
    };
    let mut groups: Vec<&str> = lessons.iter().map(|l| l.objective.as_str()).collect();
    groups.sort_by_key(|id| objectives.iter().position(|o| o.id.name == *id).unwrap_or(usize::MAX));
    groups.dedup();
    html! {
        section #lessons {
            h2 { "Lessons learned and improvement plan" }
            @if lessons.is_empty() { p.muted { "No lessons written yet." } }
            @for group in &groups {
                h3 { (objective_text(group)) }
                table {
                    thead { tr { th { "Kind" } th { "Lesson" } th { "Owner" } th { "Due" } th { "Written by" } @if writes { th {} } } }
                    tbody {
                        @for l in lessons.iter().filter(|l| l.objective == *group) {
                            tr id={ "lesson-" (l.id) } {
                                td { (kind_text(&l.kind)) }
                                td { (l.text) }
                                td { (l.owner) }
                                td { (l.due) }
                                td { (l.username) }
                                @if writes {
                                    td {
                                        form.inline method="post" action={ (action) "/" (l.id) "/remove" } {
                                            button type="submit" aria-label={ "Remove lesson " (l.id) } { "Remove" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if writes {
                details open[problem.is_some()] {
                    summary { "Write a lesson" }
                    form method="post" action=(action) {
                        (html::refusal(problem))
                        p {
                            label for="objective" { "Objective " }
                            select #objective name="objective" {
                                option value="" { "The exercise as a whole" }
                                @for o in objectives.iter() {
                                    option value=(o.id.name) selected[typed.objective == o.id.name] { (o.text.get("en")) }
                                }
                            }
                        }
                        p {
                            label for="kind" { "Kind " }
                            select #kind name="kind" {
                                @for (k, t) in KINDS { option value=(k) selected[typed.kind == k] { (t) } }
                            }
                        }
                        p { label for="text" { "What was seen, what went well or needs to improve, or what to do" } br;
                            textarea #text name="text" rows="3" cols="80" required maxlength=(LESSON_CHARS) { (typed.text) } }
                        p {
                            label for="owner" { "For an improvement action: owner " }
                            input #owner name="owner" size="30" maxlength=(LESSON_OWNER_CHARS) value=(typed.owner) placeholder="Palau CERT";
                            label for="due" { " due by " }
                            input #due name="due" type="date" value=(typed.due);
                        }
                        button type="submit" { "Add the lesson" }
                    }
                }
            }
        }
    }
}

/// Releases the teams' reports (`release=yes`) or holds them back (`release=no`).
#[derive(Debug, Deserialize)]
pub(crate) struct ReleaseForm {
    release: Option<String>,
}

pub(crate) async fn release<S: Store>(
    State(app): State<Arc<App<S>>>,
    Instructor(user): Instructor,
    Form(form): Form<ReleaseForm>,
) -> Response {
    let released = match form.release.as_deref() {
        Some("yes") => true,
        Some("no") => false,
        _ => return html::problem(StatusCode::BAD_REQUEST, "release: say yes or no."),
    };
    match atoll_app::report::release(&app, &user, released).await {
        Ok(()) => Redirect::to("/report").into_response(),
        Err(e) => html::failure(&e),
    }
}

/// The answer to a lesson's form: back to the lessons at `back` once done; refused, the page
/// again (`again`, given why) with what was typed, under the refusal's status.
async fn answered<F: std::future::Future<Output = Response>>(
    done: atoll_app::Result<()>,
    back: &str,
    again: impl FnOnce(String) -> F,
) -> Response {
    match done {
        Ok(()) => Redirect::to(&format!("{back}#lessons")).into_response(),
        Err(e) if e.is_refusal() => {
            let status = html::status_of(e.kind);
            let mut page = again(e.to_string()).await;
            *page.status_mut() = status;
            page
        }
        Err(e) => html::failure(&e),
    }
}

/// A lesson about the whole exercise.
pub(crate) async fn add_lesson<S: Store>(
    State(app): State<Arc<App<S>>>,
    Instructor(user): Instructor,
    Form(form): Form<LessonForm>,
) -> Response {
    let done = atoll_app::lessons::add(&app, &user, None, &form.written())
        .await
        .map(|_| ());
    answered(done, "/report", |why| show_exercise(app, user, Some(why), form)).await
}

pub(crate) async fn remove_lesson<S: Store>(
    State(app): State<Arc<App<S>>>,
    Instructor(user): Instructor,
    Path(id): Path<i64>,
) -> Response {
    let done = atoll_app::lessons::remove(&app, &user, None, id).await;
    answered(done, "/report", |why| {
        show_exercise(app, user, Some(why), LessonForm::default())
    })
    .await
}

/// A lesson about a team, by the white cell or the team's own players (once they can read
/// their report).
pub(crate) async fn add_team_lesson<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamActor(view): TeamActor,
    Form(form): Form<LessonForm>,
) -> Response {
    if let Some(held) = held_back(&app, &view.user) {
        return held;
    }
    let team_id = app.live.team_id(view.team);
    let done = atoll_app::lessons::add(&app, &view.user, Some(&team_id), &form.written())
        .await
        .map(|_| ());
    answered(done, &format!("/teams/{team_id}/report"), |why| {
        show_team(app, view, Some(why), form)
    })
    .await
}

pub(crate) async fn remove_team_lesson<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamActor(view): TeamActor,
    Path((_, id)): Path<(String, i64)>,
) -> Response {
    if let Some(held) = held_back(&app, &view.user) {
        return held;
    }
    let team_id = app.live.team_id(view.team);
    let done = atoll_app::lessons::remove(&app, &view.user, Some(&team_id), id).await;
    answered(done, &format!("/teams/{team_id}/report"), |why| {
        show_team(app, view, Some(why), LessonForm::default())
    })
    .await
}

/// The whole report as a file (an observer's, of the teams it follows): `format=html`
/// (default) or `json`.
pub(crate) async fn download_exercise<S: Store>(
    State(app): State<Arc<App<S>>>,
    Staff(user): Staff,
    Query(asked): Query<Download>,
) -> Response {
    let teams = seen_teams(&app, &user);
    let report = match atoll_app::report::gather(&app, &teams).await {
        Ok(report) => report,
        Err(e) => return html::failure(&e),
    };
    let name = file_stem(&report.exercise);
    match asked.format.as_deref().unwrap_or("html") {
        "html" => file(
            atoll_report::html::exercise(&report),
            "text/html; charset=utf-8",
            &format!("{name}-report.html"),
        ),
        "json" => file(
            atoll_report::json::to_string(&report),
            "application/json",
            &format!("{name}-report.json"),
        ),
        "pdf" => {
            pdf(
                move || Some(atoll_report::pdf::exercise(&report)),
                &format!("{name}-report.pdf"),
            )
            .await
        }
        _ => html::problem(StatusCode::BAD_REQUEST, "format: choose html, json or pdf."),
    }
}

/// A team's report as a file: `format=html` (default), `json`, `navigator` or `stix`.
pub(crate) async fn download_team<S: Store>(
    State(app): State<Arc<App<S>>>,
    view: TeamView,
    Query(asked): Query<Download>,
) -> Response {
    if let Some(held) = held_back(&app, &view.user) {
        return held;
    }
    let team_id = app.live.team_id(view.team);
    let report = match atoll_app::report::gather(&app, &[view.team]).await {
        Ok(report) => report,
        Err(e) => return html::failure(&e),
    };
    let name = format!("{}-{team_id}", file_stem(&report.exercise));
    let json = |value: Option<serde_json::Value>| {
        value.map_or_else(String::new, |v| serde_json::to_string_pretty(&v).unwrap_or_default())
    };
    match asked.format.as_deref().unwrap_or("html") {
        "html" => file(
            atoll_report::html::team(&report, &team_id).unwrap_or_default(),
            "text/html; charset=utf-8",
            &format!("{name}-report.html"),
        ),
        "json" => file(
            atoll_report::json::to_string(&report),
            "application/json",
            &format!("{name}-report.json"),
        ),
        "navigator" => file(
            json(atoll_report::navigator::layer(&report, &team_id)),
            "application/json",
            &format!("{name}-navigator-layer.json"),
        ),
        "stix" => file(
            json(atoll_report::stix::bundle(
                &report,
                &team_id,
                &atoll_app::report::infrastructure(&app, &team_id),
            )),
            "application/json",
            &format!("{name}-stix.json"),
        ),
        "pdf" => {
            let team = team_id.clone();
            pdf(
                move || atoll_report::pdf::team(&report, &team),
                &format!("{name}-report.pdf"),
            )
            .await
        }
        _ => html::problem(
            StatusCode::BAD_REQUEST,
            "format: choose html, json, navigator, stix or pdf.",
        ),
    }
}

/// A name for files: the exercise's name in lower case, words joined by `-`.
fn file_stem(name: &str) -> String {
    let words: Vec<String> = name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    if words.is_empty() {
        "exercise".to_owned()
    } else {
        words.join("-")
    }
}

fn file(body: impl Into<axum::body::Body>, kind: &'static str, name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, kind.to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        body.into(),
    )
        .into_response()
}

/// A document laid out as PDF off the async workers (it takes a core for a second or two).
async fn pdf(make: impl FnOnce() -> Option<Vec<u8>> + Send + 'static, name: &str) -> Response {
    match tokio::task::spawn_blocking(make).await {
        Ok(Some(bytes)) => file(bytes, "application/pdf", name),
        Ok(None) => html::problem(StatusCode::NOT_FOUND, "There is no such document."),
        Err(_) => html::problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The server failed while laying out the PDF; the HTML download has the same content.",
        ),
    }
}

/// Which standard document: `situation-manual` and `feedback-form` for everyone,
/// `facilitator-guide` and `after-action` for the white cell; `format=html` (default) or `pdf`.
pub(crate) async fn document<S: Store>(
    State(app): State<Arc<App<S>>>,
    crate::auth::Signed(user): crate::auth::Signed,
    Path(which): Path<String>,
    Query(asked): Query<Download>,
) -> Response {
    use atoll_report::documents;
    let plan = atoll_app::documents::plan(&app);
    let document = match which.as_str() {
        "situation-manual" => documents::situation_manual(&plan),
        "feedback-form" => documents::feedback_form(&plan),
        "facilitator-guide" | "after-action" if user.role != Role::Instructor => {
            return html::problem(
                StatusCode::FORBIDDEN,
                "Only the white cell reads this document: it reveals the exercise's plan.",
            );
        }
        "facilitator-guide" => documents::facilitator_guide(&plan),
        "after-action" => {
            let teams = seen_teams(&app, &user);
            match atoll_app::report::gather(&app, &teams).await {
                Ok(report) => documents::after_action_report(&report, &plan),
                Err(e) => return html::failure(&e),
            }
        }
        _ => return html::problem(StatusCode::NOT_FOUND, "There is no such document."),
    };
    let name = format!("{}-{which}", file_stem(&plan.exercise));
    match asked.format.as_deref().unwrap_or("html") {
        "html" => file(
            documents::html(&document),
            "text/html; charset=utf-8",
            &format!("{name}.html"),
        ),
        "pdf" => pdf(move || document.to_pdf().ok(), &format!("{name}.pdf")).await,
        _ => html::problem(StatusCode::BAD_REQUEST, "format: choose html or pdf."),
    }
}
