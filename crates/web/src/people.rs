//! Who takes part and who is signed in; instructors can end someone's sessions (a lost laptop,
//! a shared account, a player who moved teams) and choose which teams an observer follows.

use std::sync::Arc;

use atoll_store::{Role, Store};
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use crate::auth::{Instructor, Staff};
use crate::{App, clock_now, html};

/// Every account, with its signed-in sessions.
pub(crate) async fn page<S: Store>(State(app): State<Arc<App<S>>>, Staff(user): Staff) -> Response {
    // Every account of every team: not for an observer who follows chosen teams.
    if !user.sees_all() {
        return html::problem(
            StatusCode::FORBIDDEN,
            "This page lists every team's people; you follow chosen teams only.",
        );
    }
    let (Ok(users), Ok(active), Ok(invitations)) = (
        app.db.users().await,
        app.db.active_sessions(clock_now()).await,
        app.db.invitations().await,
    ) else {
        return html::problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "The server cannot read its database right now.",
        );
    };
    let signed_in = |id: i64| active.iter().find(|(u, _, _)| *u == id);
    let teams: Vec<(String, String)> = app
        .live
        .scenario
        .player_teams()
        .map(|t| (t.id.name.clone(), t.name.get("en").to_owned()))
        .collect();
    let now = clock_now();
    let body = html! {
        h1 { "People" }
        p.muted { (active.len()) " of " (users.len()) " accounts signed in." }
        table {
            thead { tr { th { "Username" } th { "Role" } th { "Team" } th { "Signed in" } th {} } }
            tbody {
                @for u in &users {
                    tr {
                        td { (u.username) }
                        td { (u.role.as_str()) }
                        td {
                            @match u.role {
                                Role::Player => { (u.team.as_deref().unwrap_or("")) }
                                Role::Observer if user.role == Role::Instructor => {
                                    form.inline method="post" action="/people/follows" {
                                        input type="hidden" name="user" value=(u.id);
                                        "Follows "
                                        @for (id, name) in &teams {
                                            label {
                                                input type="checkbox" name="team" value=(id) checked[u.follows.contains(id)];
                                                " " (name)
                                            }
                                            " "
                                        }
                                        button type="submit" { "Save" }
                                        @if u.follows.is_empty() { " " span.muted { "(none ticked: every team)" } }
                                    }
                                }
                                Role::Observer if u.follows.is_empty() => { "follows every team" }
                                Role::Observer => { "follows " (u.follows.join(", ")) }
                                Role::Instructor => {}
                            }
                        }
                        td {
                            @if let Some((_, n, latest)) = signed_in(u.id) {
                                (n) @if *n == 1 { " session" } @else { " sessions" }
                                ", latest at " (jiff::Timestamp::from_millisecond(*latest).map(|t| t.strftime("%H:%M UTC").to_string()).unwrap_or_default())
                            } @else { span.muted { "no" } }
                        }
                        td {
                            @if user.role == Role::Instructor && signed_in(u.id).is_some() && u.id != user.id {
                                form.inline method="post" action="/people/end" {
                                    input type="hidden" name="user" value=(u.id);
                                    button type="submit" { "End sessions" }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    let body = html! {
        (body)
        h2 { "Invitations" }
        @if user.role == Role::Instructor {
            p.muted { "A link lets one person make their own account; it works once, until it expires." }
            (crate::invite::invite_form(&teams))
        }
        @if invitations.is_empty() {
            p.muted { "No invitations yet." }
        } @else {
            table {
                thead { tr { th { "For" } th { "Made by" } th { "Expires" } th { "Used" } } }
                tbody {
                    @for i in &invitations {
                        tr {
                            td { @match &i.team { Some(t) => { "player of " (app.live.team_name_of(t)) }, None => { "observer" } } }
                            td { (i.created_by) }
                            td { (crate::invite::utc(i.expires_at)) @if i.used_at.is_none() && i.expires_at <= now { " (expired)" } }
                            td {
                                @match (&i.used_by, i.used_at) {
                                    (Some(by), Some(at)) => { "by " (by) ", " (crate::invite::utc(at)) }
                                    _ => { span.muted { "not yet" } }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    html::page(&app.live, "People", Some(&user), &body).into_response()
}

/// Sets the teams an observer follows: `user=ID` and a `team=ID` for each (none: every team).
pub(crate) async fn follows<S: Store>(
    State(app): State<Arc<App<S>>>,
    Instructor(by): Instructor,
    body: axum::body::Bytes,
) -> Response {
    let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body) else {
        return html::problem(StatusCode::BAD_REQUEST, "The form could not be read.");
    };
    let Some(user) = pairs
        .iter()
        .find(|(k, _)| k == "user")
        .and_then(|(_, v)| v.parse::<i64>().ok())
    else {
        return html::problem(StatusCode::BAD_REQUEST, "user: say which observer.");
    };
    let teams: Vec<String> = pairs.into_iter().filter(|(k, _)| k == "team").map(|(_, v)| v).collect();
    match atoll_app::people::set_follows(&app, &by, user, &teams).await {
        Ok(()) => Redirect::to("/people").into_response(),
        Err(e) => html::failure(&e),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct EndForm {
    user: Option<String>,
}

/// Ends every session of one account: it must sign in again.
pub(crate) async fn end<S: Store>(
    State(app): State<Arc<App<S>>>,
    Instructor(by): Instructor,
    Form(form): Form<EndForm>,
) -> Response {
    let Some(user) = form.user.and_then(|u| u.parse::<i64>().ok()) else {
        return html::problem(StatusCode::BAD_REQUEST, "user: say whose sessions to end.");
    };
    match atoll_app::people::end_sessions(&app, &by, user).await {
        Ok(()) => Redirect::to("/people").into_response(),
        Err(e) => html::failure(&e),
    }
}
