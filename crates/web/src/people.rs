//! Who takes part and who is signed in, on which devices; instructors can end someone's
//! sessions (a lost laptop, a shared account, a player who moved teams), choose which teams an
//! observer follows, and make and revoke invitations (one, or a whole team's on a sheet).

use std::sync::Arc;

use atoll_store::{Role, Store, Unusable};
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use crate::auth::{Instructor, Staff};
use crate::invite::utc;
use crate::{App, clock_now, html};

/// Invitations listed on one page, newest first.
const INVITATIONS_PAGE: u32 = 50;

#[derive(Debug, Deserialize)]
pub(crate) struct PeopleQuery {
    /// List the invitations older than this one.
    before: Option<i64>,
}

/// Every account, with its signed-in sessions, and the invitations.
pub(crate) async fn page<S: Store>(
    State(app): State<Arc<App<S>>>,
    Staff(user): Staff,
    Query(query): Query<PeopleQuery>,
) -> Response {
    // Every account of every team: not for an observer who follows chosen teams.
    if !user.sees_all() {
        return html::problem(
            StatusCode::FORBIDDEN,
            "This page lists every team's people; you follow chosen teams only.",
        );
    }
    let now = clock_now();
    let (Ok(users), Ok(sessions), Ok(mut invitations)) = (
        app.db.users().await,
        app.db.sessions(None, now).await,
        app.db.invitations(query.before, INVITATIONS_PAGE + 1).await,
    ) else {
        return html::problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "The server cannot read its database right now.",
        );
    };
    let more = invitations.len() > INVITATIONS_PAGE as usize;
    invitations.truncate(INVITATIONS_PAGE as usize);
    let sessions_of = |id: i64| sessions.iter().filter(move |s| s.user == id);
    let signed_in = users.iter().filter(|u| sessions_of(u.id).next().is_some()).count();
    let teams: Vec<(String, String)> = app
        .live
        .scenario
        .player_teams()
        .map(|t| (t.id.name.clone(), t.name.get("en").to_owned()))
        .collect();
    let instructor = user.role == Role::Instructor;
    let body = html! {
        h1 { "People" }
        p.muted { (signed_in) " of " (users.len()) " accounts signed in." }
        table {
            thead { tr { th { "Username" } th { "Role" } th { "Team" } th { "Signed in (device, since)" } th {} } }
            tbody {
                @for u in &users {
                    tr {
                        td { (u.username) }
                        td { (u.role.as_str()) }
                        td {
                            @match u.role {
                                Role::Player => { (u.team.as_deref().unwrap_or("")) }
                                Role::Observer if instructor => {
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
                            @for (k, s) in sessions_of(u.id).enumerate() {
                                @if k > 0 { br; }
                                (s.device.as_deref().unwrap_or("Unknown device")) ", " (utc(s.created_at))
                            }
                            @if sessions_of(u.id).next().is_none() { span.muted { "no" } }
                        }
                        td {
                            @if instructor && sessions_of(u.id).next().is_some() && u.id != user.id {
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
        h2 #invitations { "Invitations" }
        @if instructor {
            p.muted { "A link lets one person make their own account; it works once, until it expires or is revoked. Links are shown only when made." }
            (crate::invite::invite_form(&teams))
            (crate::invite::team_form(&teams))
        }
        @if invitations.is_empty() {
            p.muted { @if query.before.is_some() { "No older invitations." } @else { "No invitations yet." } }
        } @else {
            table {
                thead { tr { th { "For" } th { "Made" } th { "State" } th {} } }
                tbody {
                    @for i in &invitations {
                        tr {
                            td { @match &i.team { Some(t) => { "player of " (app.live.team_name_of(t)) }, None => { "observer" } } }
                            td { "by " (i.created_by) ", " (utc(i.created_at)) }
                            td {
                                @match i.unusable(now) {
                                    None => { "unused (expires at " (utc(i.expires_at)) ")" }
                                    Some(Unusable::Used) => {
                                        "used by " (i.used_by.as_deref().unwrap_or("an account since removed")) " at " (utc(i.used_at.unwrap_or_default()))
                                    }
                                    Some(Unusable::Revoked) => {
                                        "revoked by " (i.revoked_by.as_deref().unwrap_or("an account since removed")) " at " (utc(i.revoked_at.unwrap_or_default()))
                                    }
                                    Some(Unusable::Expired | Unusable::Unknown) => { span.muted { "expired at " (utc(i.expires_at)) } }
                                }
                            }
                            td {
                                @if instructor && i.unusable(now).is_none() {
                                    form.inline method="post" action={ "/people/invitations/" (i.id) "/revoke" } {
                                        button type="submit" aria-label={ "Revoke invitation " (i.id) } { "Revoke" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        p {
            @if query.before.is_some() { a href="/people#invitations" { "Newest invitations" } " " }
            @if more {
                @if let Some(last) = invitations.last() {
                    a href={ "/people?before=" (last.id) "#invitations" } rel="next" { "Older invitations" }
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
