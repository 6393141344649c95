//! One-time invitation links: an instructor invites a player of one team, or an observer; the
//! person opening the link chooses a username and a password and is signed in. A link works
//! once, until it expires; only the SHA-256 of its token is stored.

use std::sync::Arc;

use atoll_store::{Role, Store, StoreError, Unusable};
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use crate::auth::{
    Instructor, MIN_PASSWORD_CHARS, check_new_password, check_username, hash_password, random_token, start_session,
    token_hash,
};
use crate::{App, clock_now, html};

/// How long a link may stay valid, in hours, as offered on the people page.
pub(crate) const VALIDITY_HOURS: [(u32, &str); 3] = [(1, "1 hour"), (24, "1 day"), (168, "7 days")];

/// The form on the people page.
pub(crate) fn form(teams: &[(String, String)]) -> Markup {
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
    headers: HeaderMap,
    Form(form): Form<InviteForm>,
) -> Response {
    let made = match make(&app, &user, &headers, form).await {
        Ok(made) => made,
        Err(refused) => return *refused,
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

/// An invitation just made.
pub(crate) struct Made {
    pub link: String,
    pub role: Role,
    pub team: Option<String>,
    /// Unix milliseconds.
    pub expires: i64,
}

/// Checks and stores an invitation by `user`; its link holds the only copy of the token.
pub(crate) async fn make<S: Store>(
    app: &App<S>,
    user: &atoll_store::User,
    headers: &HeaderMap,
    form: InviteForm,
) -> Result<Made, Box<Response>> {
    let refuse = |status, message: &str| Err(Box::new(html::problem(status, message)));
    let (role, team) = match form.as_.as_deref() {
        Some("observer") => (Role::Observer, None),
        Some(value) => match value.strip_prefix("player:") {
            Some(team) if app.live.scenario.player_teams().any(|t| t.id.name == team) => {
                (Role::Player, Some(team.to_owned()))
            }
            _ => {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    "as: choose a team of this exercise, or observer.",
                );
            }
        },
        None => return refuse(StatusCode::BAD_REQUEST, "as: choose whom to invite."),
    };
    let Some(hours) = form
        .hours
        .and_then(|h| h.parse::<u32>().ok())
        .filter(|h| VALIDITY_HOURS.iter().any(|(v, _)| v == h))
    else {
        return refuse(StatusCode::BAD_REQUEST, "hours: choose 1 hour, 1 day or 7 days.");
    };
    let token = random_token(16);
    let now = clock_now();
    let expires = now + i64::from(hours) * 3_600_000;
    if app
        .db
        .create_invitation(&token_hash(&token), role, team.as_deref(), user.id, now, expires)
        .await
        .is_err()
    {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "The invitation could not be stored; try again.",
        );
    }
    // The link itself is a secret: the log says only whom it invites.
    let detail = match &team {
        Some(t) => format!("invited a player of {t} (link valid {hours} h)"),
        None => format!("invited an observer (link valid {hours} h)"),
    };
    crate::audit::record(app, user, "people.invite", team.as_deref(), &detail).await;
    Ok(Made {
        link: format!("{}/invite/{token}", origin(headers)),
        role,
        team,
        expires,
    })
}

/// `https://host` as the inviting browser reached this server (behind a TLS proxy that says
/// so, https).
fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if crate::auth::https(headers) { "https" } else { "http" };
    format!("{scheme}://{host}")
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
    let password = form.password.unwrap_or_default();
    let again = |message: &str| join_page(&app.live.name, &whom, &username, Some(message), StatusCode::BAD_REQUEST);
    if let Err(problem) = check_username(&username).and_then(|()| check_new_password(&password)) {
        return again(&problem);
    }
    if form.repeat.as_deref() != Some(password.as_str()) {
        return again("password again: the two passwords differ.");
    }
    // Hashing takes a core for a moment: it queues with sign-ins.
    let Ok(_permit) = app.logins.acquire().await else {
        return html::problem(StatusCode::SERVICE_UNAVAILABLE, "The server is shutting down.");
    };
    let Ok(Ok(password_hash)) = tokio::task::spawn_blocking(move || hash_password(&password)).await else {
        return html::problem(StatusCode::INTERNAL_SERVER_ERROR, "The password could not be hashed.");
    };
    let now = clock_now();
    match app.db.redeem_invitation(&hash, &username, &password_hash, now).await {
        Ok(user) => {
            let presented = crate::auth::session_token(&headers);
            start_session(&app, &user, presented.as_deref(), now, crate::auth::https(&headers)).await
        }
        Err(StoreError::Taken(_)) => again("username: taken; choose another."),
        Err(StoreError::Invitation(why)) => unusable(&app.live.name, why),
        Err(_) => html::problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "The server cannot write its database right now.",
        ),
    }
}
