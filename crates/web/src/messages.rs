//! Messages between the white cell and the teams: ad-hoc injects written on the spot, to one
//! team or every team, and teams' replies; and the scenario's injects sent by hand.

use std::sync::Arc;

use atoll_store::{Role, Store};
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use crate::auth::{Instructor, Staff, TeamActor};
use crate::{App, clock_now, html};

#[derive(Debug, Deserialize)]
pub(crate) struct MessageForm {
    team: Option<String>,
    /// Empty: every track.
    track: Option<String>,
    subject: Option<String>,
    body: Option<String>,
}

/// A subject and body within their limits, or what is wrong.
fn checked(form: &MessageForm) -> Result<(String, String), &'static str> {
    let subject = form.subject.as_deref().unwrap_or_default().trim().to_owned();
    let body = form.body.as_deref().unwrap_or_default().trim().to_owned();
    if subject.is_empty() || subject.chars().count() > 200 {
        return Err("subject: write one, of at most 200 characters.");
    }
    if body.is_empty() || body.chars().count() > 5000 {
        return Err("message: write one, of at most 5,000 characters.");
    }
    Ok((subject, body))
}

/// Every message of the exercise, newest first, and (for instructors) the form to send one.
pub(crate) async fn page<S: Store>(State(app): State<Arc<App<S>>>, Staff(user): Staff) -> Response {
    let Ok(messages) = app.db.messages(app.live.exercise).await else {
        return html::problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "The server cannot read its database right now.",
        );
    };
    // An observer who follows chosen teams reads only their messages.
    let messages: Vec<_> = messages.into_iter().filter(|m| user.sees(&m.team)).collect();
    let start = app.live.start_unix_ms();
    let body = html! {
        h1 { "Messages" }
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
                p { label for="subject" { "Subject " } input #subject name="subject" required maxlength="200" size="60"; }
                p { label for="body" { "Message" } br; textarea #body name="body" required rows="5" cols="72" maxlength="5000" {} }
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
        @if messages.is_empty() { p.muted { "No messages yet." } }
        @for m in messages.iter().rev() {
            article.inject {
                h2 { (m.subject) }
                p.muted {
                    (app.live.label(start + m.at as i64, app.day_one)) " · "
                    @if m.to_team { "to " (m.team) @if let Some(t) = &m.track { ", " (t) " track," } " from " (m.username) } @else { "from " (m.team) " (" (m.username) ")" }
                }
                p { (m.body) }
            }
        }
    };
    html::page(&app.live, "Messages", Some(&user), &body).into_response()
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
    let id = form.inject.unwrap_or_default();
    let Some(inject) = app.live.scenario.injects.iter().find(|i| i.id.name == id) else {
        return html::problem(
            StatusCode::BAD_REQUEST,
            &format!("inject: `{id}` is not an inject of this scenario."),
        );
    };
    let addressed: Vec<String> = app
        .live
        .scenario
        .player_teams()
        .map(|t| t.id.name.clone())
        .filter(|t| crate::inbox::addressed(inject, t).is_some())
        .collect();
    let teams = match form.team.as_deref().unwrap_or_default() {
        "" if addressed.is_empty() => {
            return html::problem(
                StatusCode::BAD_REQUEST,
                &format!("inject: `{id}` is addressed to no player team."),
            );
        }
        "" => addressed,
        one if addressed.iter().any(|t| t == one) => vec![one.to_owned()],
        one if app.live.scenario.player_teams().any(|t| t.id.name == one) => {
            return html::problem(
                StatusCode::BAD_REQUEST,
                &format!("team: inject `{id}` is not addressed to `{one}`."),
            );
        }
        other => {
            return html::problem(
                StatusCode::BAD_REQUEST,
                &format!("team: `{other}` is not a team of this exercise."),
            );
        }
    };
    let mut already = Vec::new();
    for team in &teams {
        let Some(index) = app.live.scenario.player_teams().position(|t| &t.id.name == team) else {
            continue;
        };
        // Stored, then given to the team's world: the inject arrives now, and what follows it
        // or waits for it comes.
        let worker = app.clone();
        let (name, inject, by) = (team.clone(), id.clone(), user.id);
        let sent = crate::facts::record(&app, index, move |at| async move {
            let new = worker
                .db
                .send_inject(worker.live.exercise, &name, &inject, at, by, clock_now())
                .await?;
            Ok::<_, atoll_store::StoreError>((new, new.then_some(atoll_sim::ActionKind::Delivered(inject))))
        })
        .await;
        match sent {
            Ok((true, _)) => {
                let detail = format!("sent inject `{id}` by hand");
                crate::audit::record(&app, &user, "inject.send", Some(team), &detail).await;
            }
            Ok((false, _)) => already.push(team.as_str()),
            Err(_) => {
                return html::problem(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The inject could not be sent; try again (teams it reached before keep it).",
                );
            }
        }
    }
    if already.len() == teams.len() {
        return html::problem(
            StatusCode::CONFLICT,
            &format!("inject `{id}` was already sent by hand to {}.", already.join(", ")),
        );
    }
    Redirect::to("/messages").into_response()
}

/// Sends an ad-hoc inject now, to one team or every team.
pub(crate) async fn send<S: Store>(
    State(app): State<Arc<App<S>>>,
    Instructor(user): Instructor,
    Form(form): Form<MessageForm>,
) -> Response {
    let (subject, body) = match checked(&form) {
        Ok(ok) => ok,
        Err(problem) => return html::problem(StatusCode::BAD_REQUEST, problem),
    };
    let track = match form.track.as_deref().unwrap_or_default() {
        "" => None,
        one if app.live.scenario.tracks.iter().any(|t| t.id.name == one) => Some(one.to_owned()),
        other => {
            return html::problem(
                StatusCode::BAD_REQUEST,
                &format!("track: `{other}` is not a track of this exercise."),
            );
        }
    };
    let teams: Vec<String> = match form.team.as_deref().unwrap_or_default() {
        "" => app.live.scenario.player_teams().map(|t| t.id.name.clone()).collect(),
        one if app.live.scenario.player_teams().any(|t| t.id.name == one) => vec![one.to_owned()],
        other => {
            return html::problem(
                StatusCode::BAD_REQUEST,
                &format!("team: `{other}` is not a team of this exercise."),
            );
        }
    };
    let at = crate::exercise_now(&app).await;
    for team in teams {
        if app
            .db
            .send_message(
                app.live.exercise,
                &team,
                true,
                track.as_deref(),
                &subject,
                &body,
                user.id,
                at,
                clock_now(),
            )
            .await
            .is_err()
        {
            return html::problem(
                StatusCode::SERVICE_UNAVAILABLE,
                &format!(
                    "The message to {team} could not be stored; the teams before it have it. What you wrote: {subject} — {body}"
                ),
            );
        }
        let to = track.as_deref().map_or(String::new(), |t| format!(" (the {t} track)"));
        let detail = format!("message{to}: {subject}");
        crate::audit::record(&app, &user, "message", Some(&team), &detail).await;
    }
    Redirect::to("/messages").into_response()
}

/// A team's message to the white cell.
pub(crate) async fn reply<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamActor(view): TeamActor,
    Form(form): Form<MessageForm>,
) -> Response {
    // A message from the team is the team's own word: the white cell writes from Messages.
    if view.user.role != Role::Player {
        return html::problem(
            StatusCode::FORBIDDEN,
            "Only the team's players write to the white cell as the team; instructors write to teams from the Messages page.",
        );
    }
    let team = app.live.team_id(view.team);
    let (subject, body) = match checked(&form) {
        Ok(ok) => ok,
        Err(problem) => return html::problem(StatusCode::BAD_REQUEST, problem),
    };
    let now = crate::exercise_now(&app).await;
    if app
        .db
        .send_message(
            app.live.exercise,
            &team,
            false,
            None,
            &subject,
            &body,
            view.user.id,
            now,
            clock_now(),
        )
        .await
        .is_err()
    {
        return html::problem(
            StatusCode::SERVICE_UNAVAILABLE,
            // Nothing typed is lost: the text comes back to be sent again.
            &format!("The message could not be stored; try again. What you wrote: {subject} — {body}"),
        );
    }
    Redirect::to(&format!("/teams/{team}/inbox")).into_response()
}
