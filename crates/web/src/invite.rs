//! One-time invitation links: an instructor invites a player of one team, or an observer, or
//! a whole team's players at once on a printable sheet; the person opening the link chooses a
//! username and a password and is signed in. A link works once, until it expires or an
//! instructor revokes it; only the SHA-256 of its token is stored, so a link is shown once.

use std::sync::Arc;

use atoll_app::limits::TEAM_INVITATIONS_MAX;
use atoll_app::people::VALIDITY_HOURS;
use atoll_store::{Store, StoreError, Unusable};
use axum::extract::{Extension, Form, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use atoll_app::accounts::{MIN_PASSWORD_CHARS, token_hash};

use crate::auth::{Instructor, start_session};
use crate::site::Reached;
use crate::{App, clock_now, html};

/// The form on the people page.
pub(crate) fn invite_form(teams: &[(String, String)]) -> Markup {
    html! {
        form method="post" action="/people/invite" {
            label for="invite-as" { "Invite " }
            select #invite-as name="as" {
                @for (id, name) in teams { option value={ "player:" (id) } { "a player of " (name) } }
                option value="observer" { "an observer (every team, read-only)" }
            }
            " "
            label for="invite-hours" { "valid for " }
            select #invite-hours name="hours" {
                @for (hours, text) in VALIDITY_HOURS { option value=(hours) selected[hours == 24] { (text) } }
            }
            " "
            button type="submit" { "Make a link" }
        }
    }
}

/// The form on the people page that invites a whole team's players at once.
pub(crate) fn team_form(teams: &[(String, String)]) -> Markup {
    html! {
        form method="post" action="/people/invite/team" {
            label for="team-players" { "Invite " }
            input #team-players type="number" name="players" min="1" max=(TEAM_INVITATIONS_MAX) value="6" required;
            " "
            label for="team-team" { "players of team " }
            select #team-team name="team" {
                @for (id, name) in teams { option value=(id) { (name) } }
            }
            " "
            label for="team-hours" { "valid for " }
            select #team-hours name="hours" {
                @for (hours, text) in VALIDITY_HOURS { option value=(hours) selected[hours == 24] { (text) } }
            }
            " "
            button type="submit" { "Make a printable sheet" }
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct InviteForm {
    #[serde(rename = "as")]
    as_: Option<String>,
    hours: Option<String>,
}

/// Makes an invitation and shows its link, once.
pub(crate) async fn create<S: Store>(
    State(app): State<Arc<App<S>>>,
    Instructor(user): Instructor,
    Extension(reached): Extension<Reached>,
    Form(form): Form<InviteForm>,
) -> Response {
    let (as_, hours) = (form.as_.unwrap_or_default(), form.hours.unwrap_or_default());
    let made = match make(&app, &user, &reached, &as_, &hours).await {
        Ok(made) => made,
        Err(e) => return html::problem(html::status_of(e.kind), &e.to_string()),
    };
    let whom = match &made.team {
        Some(t) => format!("a player of {}", app.live.team_name_of(t)),
        None => "an observer".to_owned(),
    };
    let body = html! {
        h1 { "Invitation" }
        p { "Send this link to the person you invite as " (whom) ". It works once, until " (utc(made.expires)) "; this is the only time it is shown." }
        p.mono { (made.link) }
        p { a href="/people" { "Back to people" } }
    };
    // The page holds a secret: never cached.
    (
        [(header::CACHE_CONTROL, "no-store")],
        html::page(&app.live, "Invitation", Some(&user), &body),
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
pub(crate) struct TeamForm {
    team: Option<String>,
    players: Option<String>,
    hours: Option<String>,
}

/// The printable sheet's own styles: one block per link, never split across sheets of paper,
/// and on paper nothing but the blocks (and the exercise banner).
const SHEET_CSS: &str = "\
.sheet{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:12px;margin:12px 0}\
.slip{border:1px dashed var(--muted);padding:8px 14px;break-inside:avoid;page-break-inside:avoid}\
.slip h2{margin:4px 0}.slip .mono{font-size:14px}\
@media print{header,#live-notes,.skip,.noprint{display:none}main{padding:0;max-width:none}\
.sheet{display:block}.slip{border:1px dashed #000;margin:0 0 6mm}}";

/// Makes one link for each of a team's players and shows them once, as a sheet to print and
/// cut into slips.
pub(crate) async fn create_team<S: Store>(
    State(app): State<Arc<App<S>>>,
    Instructor(user): Instructor,
    Extension(reached): Extension<Reached>,
    Form(form): Form<TeamForm>,
) -> Response {
    let (team, players, hours) = (
        form.team.unwrap_or_default(),
        form.players.unwrap_or_default(),
        form.hours.unwrap_or_default(),
    );
    let made = match atoll_app::people::invite_team(&app, &user, &team, &players, &hours).await {
        Ok(made) => made,
        Err(e) => return html::problem(html::status_of(e.kind), &e.to_string()),
    };
    let origin = reached.base();
    let team_name = app.live.team_name_of(team.trim());
    let n = made.len();
    let expires = made.first().map_or_else(String::new, |m| utc(m.expires));
    let body = html! {
        style { (PreEscaped(SHEET_CSS)) }
        h1 { "Invitations for team " (team_name) }
        div.noprint {
            p {
                (n) " one-time " @if n == 1 { "link" } @else { "links" } " for players of " (team_name) ", valid until " (expires) ". "
                strong { "This is the only time they are shown:" } " the server keeps no copy. Print this page now (or save it as a PDF), cut it into slips and hand one to each player."
            }
            p { "A slip that goes astray can be revoked on the " a href="/people" { "people page" } " until it is used." }
        }
        div.sheet {
            @for (i, invitation) in made.iter().enumerate() {
                section.slip aria-label={ "Invitation " (i + 1) " of " (n) } {
                    p.muted { (app.live.name) " · player invitation " (i + 1) " of " (n) }
                    h2 { "Team " (team_name) }
                    p { strong { "Open this link, choose a username and password." } " You are then signed in as a player of " (team_name) "." }
                    p.mono { (origin) "/invite/" (invitation.token) }
                    p { "The link works once, until " (utc(invitation.expires)) ". Do not share it." }
                }
            }
        }
        p.noprint { a href="/people" { "Back to people" } }
    };
    // The page holds secrets: never cached.
    (
        [(header::CACHE_CONTROL, "no-store")],
        html::page(&app.live, "Invitations", Some(&user), &body),
    )
        .into_response()
}

/// Revokes an unused invitation: its link no longer works.
pub(crate) async fn revoke<S: Store>(
    State(app): State<Arc<App<S>>>,
    Instructor(user): Instructor,
    Path(id): Path<i64>,
) -> Response {
    match atoll_app::people::revoke_invitation(&app, &user, id).await {
        Ok(_) => Redirect::to("/people").into_response(),
        Err(e) => html::failure(&e),
    }
}

/// An invitation just made, with its link.
pub(crate) struct Made {
    pub id: i64,
    pub link: String,
    pub role: atoll_store::Role,
    pub team: Option<String>,
    /// Unix milliseconds.
    pub expires: i64,
}

/// Makes an invitation by `user`; its link, made from the server's public address (or the
/// allowed one the request was made to: [`Reached::base`]), holds the only copy of the token.
pub(crate) async fn make<S: Store>(
    app: &App<S>,
    user: &atoll_store::User,
    reached: &Reached,
    as_: &str,
    hours: &str,
) -> atoll_app::Result<Made> {
    let made = atoll_app::people::invite(app, user, as_, hours).await?;
    Ok(Made {
        id: made.id,
        link: format!("{}/invite/{}", reached.base(), made.token),
        role: made.role,
        team: made.team,
        expires: made.expires,
    })
}

pub(crate) fn utc(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// Why a link does not work, as its holder should read it.
fn unusable(app_name: &str, why: Unusable) -> Response {
    let (status, text) = match why {
        Unusable::Unknown => (
            StatusCode::NOT_FOUND,
            "This invitation link is not known here. Check that you copied all of it.",
        ),
        Unusable::Used => (
            StatusCode::GONE,
            "This invitation has already been used. Sign in with the account made with it, or ask an instructor for a new link.",
        ),
        Unusable::Expired => (
            StatusCode::GONE,
            "This invitation has expired. Ask an instructor for a new link.",
        ),
        Unusable::Revoked => (
            StatusCode::GONE,
            "This invitation was revoked by an instructor, so it can no longer be used. Ask an instructor for a new link if you should take part.",
        ),
    };
    let body = html! { h1 { "Invitation" } p { (text) } p { a href="/login" { "Sign in" } } };
    (status, html::page(app_name, "Invitation", None, &body)).into_response()
}

fn join_page(app_name: &str, whom: &str, username: &str, message: Option<&str>, status: StatusCode) -> Response {
    let body = html! {
        div.login {
            h1 { "Join the exercise" }
            p { "You are invited as " (whom) ". Choose your username and password." }
            @if let Some(message) = message { p.error role="alert" { (message) } }
            form method="post" {
                label for="username" { "Username (letters, digits, . _ -)" }
                input #username name="username" autocomplete="username" required maxlength="64" value=(username);
                label for="password" { "Password (at least " (MIN_PASSWORD_CHARS) " characters)" }
                input #password name="password" type="password" autocomplete="new-password" required;
                label for="repeat" { "Password again" }
                input #repeat name="repeat" type="password" autocomplete="new-password" required;
                p { button type="submit" { "Join" } }
            }
        }
    };
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        html::page(app_name, "Join", None, &body),
    )
        .into_response()
}

fn whom<S>(app: &App<S>, invitation: &atoll_store::Invitation) -> String {
    match &invitation.team {
        Some(t) => format!("a player of {}", app.live.team_name_of(t)),
        None => "an observer".to_owned(),
    }
}

pub(crate) async fn page<S: Store>(State(app): State<Arc<App<S>>>, Path(token): Path<String>) -> Response {
    match app.db.invitation(&token_hash(&token), clock_now()).await {
        Ok(invitation) => join_page(&app.live.name, &whom(&app, &invitation), "", None, StatusCode::OK),
        Err(StoreError::Invitation(why)) => unusable(&app.live.name, why),
        Err(_) => html::problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "The server cannot read its database right now.",
        ),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct JoinForm {
    username: Option<String>,
    password: Option<String>,
    repeat: Option<String>,
}

pub(crate) async fn join<S: Store>(
    State(app): State<Arc<App<S>>>,
    Path(token): Path<String>,
    Extension(reached): Extension<Reached>,
    headers: HeaderMap,
    Form(form): Form<JoinForm>,
) -> Response {
    let hash = token_hash(&token);
    let invitation = match app.db.invitation(&hash, clock_now()).await {
        Ok(invitation) => invitation,
        Err(StoreError::Invitation(why)) => return unusable(&app.live.name, why),
        Err(_) => {
            return html::problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "The server cannot read its database right now.",
            );
        }
    };
    let whom = whom(&app, &invitation);
    let username = form.username.unwrap_or_default().trim().to_owned();
    let (password, repeat) = (form.password.unwrap_or_default(), form.repeat.unwrap_or_default());
    match atoll_app::people::join(&app, &token, &username, &password, &repeat).await {
        Ok(user) => {
            let presented = crate::auth::session_token(&headers);
            let agent = crate::auth::user_agent(&headers);
            start_session(&app, &user, presented.as_deref(), reached.https, agent.as_deref()).await
        }
        Err(e) if e.kind == atoll_app::Kind::Invalid => join_page(
            &app.live.name,
            &whom,
            &username,
            Some(&e.to_string()),
            StatusCode::BAD_REQUEST,
        ),
        Err(e) => html::failure(&e),
    }
}
