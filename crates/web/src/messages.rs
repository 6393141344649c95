//! Messages between the white cell and the teams: ad-hoc injects written on the spot, to one
//! team or every team, and teams' replies; and the scenario's injects sent by hand.

use std::sync::Arc;

use atoll_exercise::ExerciseMs;
use atoll_store::{Role, Store};
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use crate::auth::{Instructor, Staff, TeamActor};
use crate::{App, html};
use atoll_app::limits::{BODY_CHARS, MESSAGES_PAGE, SUBJECT_CHARS};

#[derive(Debug, Deserialize)]
pub(crate) struct MessageForm {
    team: Option<String>,
    /// Empty: every track.
    track: Option<String>,
    /// The scenario inject whose thread the message is on; empty: none.
    inject: Option<String>,
    subject: Option<String>,
    body: Option<String>,
}

/// Which page of a list: the items below this id (none: the newest).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PageQuery {
    pub(crate) before: Option<String>,
}

/// The exercise's messages, newest first a page at a time, and (for instructors) the form to
/// send one.
pub(crate) async fn page<S: Store>(
    State(app): State<Arc<App<S>>>,
    Staff(user): Staff,
    Query(query): Query<PageQuery>,
) -> Response {
    let before = match html::before(query.before.as_deref()) {
        Ok(before) => before,
        Err(page) => return *page,
    };
    render(&app, &user, None, &Typed::default(), before).await
}

/// The teams whose messages `user` reads: `None` for every team.
pub(crate) fn teams_seen<S>(app: &App<S>, user: &atoll_store::User) -> Option<Vec<String>> {
    (!user.sees_all()).then(|| {
        app.live
            .scenario
            .player_teams()
            .map(|t| t.id.name.clone())
            .filter(|t| user.sees(t))
            .collect()
    })
}

/// What an instructor typed into the message form, shown again when it is refused.
#[derive(Debug, Default)]
struct Typed {
    subject: String,
    body: String,
}

/// The messages page, with what was wrong with a refused form (and what was typed in it) on top.
async fn render<S: Store>(
    app: &Arc<App<S>>,
    user: &atoll_store::User,
    problem: Option<&str>,
    typed: &Typed,
    before: Option<i64>,
) -> Response {
    // An observer who follows chosen teams reads only their messages.
    let teams = teams_seen(app, user);
    let page = atoll_store::Page::before(before, MESSAGES_PAGE);
    let Ok(messages) = app.db.messages_page(app.live.exercise, teams.as_deref(), page).await else {
        return html::problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "The server cannot read its database right now.",
        );
    };
    let body = html! {
        h1 { "Messages" }
        (html::refusal(problem))
        @if user.role == Role::Instructor {
            form method="post" action="/messages" {
                p {
                    label for="team" { "To " }
                    select #team name="team" {
                        option value="" { "every team" }
                        @for t in app.live.scenario.player_teams() { option value=(t.id.name) { (t.name.get("en")) } }
                    }
                    @if !app.live.scenario.tracks.is_empty() {
                        " "
                        label for="track" { "for " }
                        select #track name="track" {
                            option value="" { "every track" }
                            @for t in &app.live.scenario.tracks { option value=(t.id.name) { "the " (t.name.get("en")) " track" } }
                        }
                    }
                }
                p { label for="subject" { "Subject " } input #subject name="subject" required maxlength=(SUBJECT_CHARS) size="60" value=(typed.subject); }
                p { label for="body" { "Message" } br; textarea #body name="body" required rows="5" cols="72" maxlength=(BODY_CHARS) { (typed.body) } }
                p { button type="submit" { "Send now" } }
            }
            h2 { "Send a scenario inject now" }
            p.muted { "Ahead of its planned time, or an inject that waits for a condition you judge met. It reaches each team once." }
            form method="post" action="/messages/inject" {
                label for="inject" { "Inject " }
                select #inject name="inject" {
                    @for i in &app.live.scenario.injects {
                        option value=(i.id.name) { (i.id.name) " — " (i.subject.get("en")) }
                    }
                }
                " "
                label for="inject-team" { "to " }
                select #inject-team name="team" {
                    option value="" { "every team it is addressed to" }
                    @for t in app.live.scenario.player_teams() { option value=(t.id.name) { (t.name.get("en")) } }
                }
                " "
                button type="submit" { "Send inject" }
            }
        }
        @if before.is_some() { h2 { "Older messages" } }
        @if messages.is_empty() { p.muted { "No messages yet." } }
        @for m in &messages {
            article.inject {
                h2 { (m.subject) }
                p.muted {
                    (app.live.when(ExerciseMs(m.at))) " · "
                    @if m.to_team { "to " (m.team) @if let Some(t) = &m.track { ", " (t) " track," } " from " (m.username) } @else { "from " (m.team) " (" (m.username) ")" }
                    @if let Some(subject) = m.inject.as_deref().and_then(|i| inject_subject(&app.live, i)) { " · on the inject «" (subject) "»" }
                }
                p { (m.body) }
                @if !m.to_team && user.role == Role::Instructor {
                    details {
                        summary { "Reply to " (app.live.team_name_of(&m.team)) }
                        form method="post" action="/messages" {
                            input type="hidden" name="team" value=(m.team);
                            @if let Some(inject) = &m.inject { input type="hidden" name="inject" value=(inject); }
                            p { label for={ "subject-" (m.id) } { "Subject " } input id={ "subject-" (m.id) } name="subject" required maxlength=(SUBJECT_CHARS) size="60" value={ "Re: " (m.subject) }; }
                            p { label for={ "body-" (m.id) } { "Message" } br; textarea id={ "body-" (m.id) } name="body" required rows="3" cols="72" maxlength=(BODY_CHARS) {} }
                            p { button type="submit" { "Send reply" } }
                        }
                    }
                }
            }
        }
        (html::pager("/messages", before, messages.len(), MESSAGES_PAGE, messages.last().map(|m| m.id)))
    };
    html::form_page(&app.live, "Messages", user, problem, &body)
}

#[derive(Debug, Deserialize)]
pub(crate) struct InjectForm {
    inject: Option<String>,
    team: Option<String>,
}

/// Sends a scenario inject now, to one team or every team it is addressed to.
pub(crate) async fn send_inject<S: Store>(
    State(app): State<Arc<App<S>>>,
    Instructor(user): Instructor,
    Form(form): Form<InjectForm>,
) -> Response {
    let inject = form.inject.unwrap_or_default();
    match atoll_app::messages::send_inject(&app, &user, &inject, form.team.as_deref()).await {
        Ok(_) => Redirect::to("/messages").into_response(),
        Err(e) if e.is_refusal() => {
            let mut page = render(&app, &user, Some(&e.to_string()), &Typed::default(), None).await;
            *page.status_mut() = crate::html::status_of(e.kind);
            page
        }
        Err(e) => html::failure(&e),
    }
}

/// Sends an ad-hoc inject now, to one team or every team.
pub(crate) async fn send<S: Store>(
    State(app): State<Arc<App<S>>>,
    Instructor(user): Instructor,
    Form(form): Form<MessageForm>,
) -> Response {
    let message = atoll_app::messages::Message {
        team: form.team,
        track: form.track,
        inject: form.inject,
        subject: form.subject.unwrap_or_default(),
        body: form.body.unwrap_or_default(),
    };
    let typed = Typed {
        subject: message.subject.clone(),
        body: message.body.clone(),
    };
    match atoll_app::messages::send(&app, &user, message).await {
        Ok(_) => Redirect::to("/messages").into_response(),
        // What was typed comes back in the form, to be sent again.
        Err(e) => {
            let mut page = render(&app, &user, Some(&e.to_string()), &typed, None).await;
            *page.status_mut() = crate::html::status_of(e.kind);
            page
        }
    }
}

/// A team's message to the white cell.
pub(crate) async fn reply<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamActor(view): TeamActor,
    Form(form): Form<MessageForm>,
) -> Response {
    let (subject, body) = (form.subject.unwrap_or_default(), form.body.unwrap_or_default());
    match atoll_app::messages::from_team(&app, view.team, &view.user, &subject, &body, form.inject.as_deref()).await {
        Ok(sent) => {
            let at = sent.inject.as_ref().map_or(String::new(), |i| format!("#inject-{i}"));
            Redirect::to(&format!("/teams/{}/inbox{at}", sent.team)).into_response()
        }
        Err(e) if e.field.as_deref() == Some("role") => html::problem(StatusCode::FORBIDDEN, &e.message),
        // Refused (too long, too many): the inbox again, with what was typed in its form.
        Err(e) if e.is_refusal() => {
            let refused = crate::inbox::Refused {
                problem: e.to_string(),
                inject: form.inject.filter(|i| !i.is_empty()),
                subject,
                body,
            };
            let mut page = crate::inbox::show(app, view, None, Some(refused)).await;
            *page.status_mut() = crate::html::status_of(e.kind);
            page
        }
        Err(e) => html::problem(crate::html::status_of(e.kind), &e.to_string()),
    }
}

/// The subject of scenario inject `id`, as teams read it.
pub(crate) fn inject_subject<'s>(live: &'s crate::Live, id: &str) -> Option<&'s str> {
    let scenario: &'static atoll_scenario::Scenario = live.scenario;
    scenario
        .injects
        .iter()
        .find(|i| i.id.name == id)
        .map(|i| i.subject.get("en"))
}
