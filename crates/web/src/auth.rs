//! Sign-in, sessions, the extractors that authorise every page, and the same-origin rule for
//! requests that change anything.

use std::sync::Arc;

use atoll_app::accounts::token_hash;
use atoll_store::{Role, Store, User};
use axum::extract::{Form, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::site::Reached;
use crate::{App, clock_now, html};

const COOKIE: &str = "atoll_session";

pub(crate) fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// The user of the API token in an `Authorization: Bearer …` header. The JSON API takes no
/// cookies, so another site cannot make a signed-in browser use it.
async fn token_user<S: Store>(parts: &Parts, app: &App<S>) -> Result<User, Response> {
    let unauthorized = |message: &str| {
        let mut response = html::problem(StatusCode::UNAUTHORIZED, message);
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"atoll\""),
        );
        response
    };
    let presented = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let Some(token) = presented else {
        return Err(unauthorized(
            "Authorization: send `Bearer` and an API token; make one on your account page (/account).",
        ));
    };
    match app.db.token_user(&token_hash(token), clock_now()).await {
        Ok(Some(user)) => Ok(user),
        Ok(None) => Err(unauthorized(
            "Authorization: this API token is unknown, revoked or expired; make a new one on your account page (/account).",
        )),
        Err(e) => {
            tracing::error!(error = %e, "reading the API token failed");
            Err(html::problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "The server cannot read its database right now.",
            ))
        }
    }
}

/// Anyone signed in: by a session cookie on pages, by an API token on the JSON API. Without
/// one, pages send the browser to the sign-in page and the API answers 401.
#[derive(Debug, Clone)]
pub struct Signed(pub User);

impl<S: Store> FromRequestParts<Arc<App<S>>> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App<S>>) -> Result<Self, Self::Rejection> {
        let user = if crate::api::is_api(parts.uri.path()) {
            token_user(parts, app).await?
        } else {
            let Some(token) = session_token(&parts.headers) else {
                return Err(Redirect::to("/login").into_response());
            };
            match app.db.session_user(&token_hash(&token), clock_now()).await {
                Ok(Some(user)) => user,
                Ok(None) => return Err(Redirect::to("/login").into_response()),
                Err(e) => {
                    tracing::error!(error = %e, "reading the session failed");
                    return Err(html::problem(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "The server cannot read its database right now.",
                    ));
                }
            }
        };
        // The request's log line says who made it (never a token or a password).
        let span = tracing::Span::current();
        span.record("user", user.username.as_str());
        span.record("role", user.role.as_str());
        if let Some(team) = &user.team {
            span.record("team", team.as_str());
        }
        Ok(Signed(user))
    }
}

/// Instructors and observers: the whole exercise.
#[derive(Debug, Clone)]
pub struct Staff(pub User);

impl<S: Store> FromRequestParts<Arc<App<S>>> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App<S>>) -> Result<Self, Self::Rejection> {
        let Signed(user) = Signed::from_request_parts(parts, app).await?;
        match user.role {
            Role::Instructor | Role::Observer => Ok(Staff(user)),
            Role::Player => Err(html::problem(
                StatusCode::FORBIDDEN,
                "This page is for the white cell and observers.",
            )),
        }
    }
}

/// Instructors only: changing the exercise.
#[derive(Debug, Clone)]
pub struct Instructor(pub User);

impl<S: Store> FromRequestParts<Arc<App<S>>> for Instructor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App<S>>) -> Result<Self, Self::Rejection> {
        let Signed(user) = Signed::from_request_parts(parts, app).await?;
        match user.role {
            Role::Instructor => Ok(Instructor(user)),
            _ => Err(html::problem(StatusCode::FORBIDDEN, "Only instructors can do this.")),
        }
    }
}

/// The team named in the path, for someone allowed to see it: its own players, instructors
/// and observers (those who follow chosen teams: only those). A player asking for another
/// team's page gets 403, whatever the page.
#[derive(Debug, Clone)]
pub struct TeamView {
    pub user: User,
    /// Index of the team among the exercise's player teams.
    pub team: usize,
}

impl<S: Store> FromRequestParts<Arc<App<S>>> for TeamView {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App<S>>) -> Result<Self, Self::Rejection> {
        let Signed(user) = Signed::from_request_parts(parts, app).await?;
        // The team is the path's `{team}`; a page of the team may name more (`{id}`).
        let Path(params) = Path::<Vec<(String, String)>>::from_request_parts(parts, app)
            .await
            .map_err(|_| html::problem(StatusCode::NOT_FOUND, "No such team."))?;
        let Some((_, team)) = params.into_iter().find(|(name, _)| name == "team") else {
            return Err(html::problem(StatusCode::NOT_FOUND, "No such team."));
        };
        // A player, or an observer who follows chosen teams, learns nothing about other
        // teams, not even which exist.
        if !user.sees(&team) {
            return Err(html::problem(
                StatusCode::FORBIDDEN,
                match user.role {
                    Role::Player => "This is another team's page.",
                    _ => "You follow other teams in this exercise; ask the white cell to add this one.",
                },
            ));
        }
        let Some(index) = app.live.scenario.player_teams().position(|t| t.id.name == team) else {
            return Err(html::problem(StatusCode::NOT_FOUND, "No such team in this exercise."));
        };
        Ok(TeamView { user, team: index })
    }
}

/// The team named in the path, for instructors and observers only: pages that show what a
/// team must not see, such as what its adversary does next.
#[derive(Debug, Clone)]
pub struct StaffTeamView(pub TeamView);

impl<S: Store> FromRequestParts<Arc<App<S>>> for StaffTeamView {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App<S>>) -> Result<Self, Self::Rejection> {
        let view = TeamView::from_request_parts(parts, app).await?;
        if view.user.role == Role::Player {
            return Err(html::problem(
                StatusCode::FORBIDDEN,
                "This page is for the white cell and observers.",
            ));
        }
        Ok(StaffTeamView(view))
    }
}

/// Someone who may act for the team in the path: its own players and instructors (observers
/// watch; they do not act).
#[derive(Debug, Clone)]
pub struct TeamActor(pub TeamView);

impl<S: Store> FromRequestParts<Arc<App<S>>> for TeamActor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App<S>>) -> Result<Self, Self::Rejection> {
        let view = TeamView::from_request_parts(parts, app).await?;
        if view.user.role == Role::Observer {
            return Err(html::problem(
                StatusCode::FORBIDDEN,
                "Observers watch the exercise; they do not act in it.",
            ));
        }
        Ok(TeamActor(view))
    }
}

/// One of the players of the team in the path: the only ones who hand in the team's work
/// (answers, hints opened, reports), so that nobody else's click can spend its points.
#[derive(Debug, Clone)]
pub struct TeamPlayer(pub TeamView);

impl<S: Store> FromRequestParts<Arc<App<S>>> for TeamPlayer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App<S>>) -> Result<Self, Self::Rejection> {
        let view = TeamView::from_request_parts(parts, app).await?;
        if view.user.role != Role::Player {
            return Err(html::problem(
                StatusCode::FORBIDDEN,
                "Only the team's players hand in its answers and reports, and open its hints.",
            ));
        }
        Ok(TeamPlayer(view))
    }
}

/// Refuses requests that change something unless they come from this server's own pages:
/// browsers say where a request comes from (`Sec-Fetch-Site`, `Origin`), so another site
/// cannot make a signed-in browser act here.
///
/// The JSON API is not concerned: it authenticates by a header no other site can make a
/// browser send, never by cookie.
pub async fn same_origin_only(request: Request, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD) || crate::api::is_api(request.uri().path()) {
        return next.run(request).await;
    }
    let headers = request.headers();
    // Browsers say where a form comes from; a request that says neither is refused too, so
    // that a browser sending no such header cannot be used either. The origin is compared
    // with the public address and the (allowed) one the request was made to.
    let cross = match headers.get("sec-fetch-site") {
        Some(site) => !matches!(site.to_str(), Ok("same-origin" | "none")),
        None => match (headers.get(header::ORIGIN), request.extensions().get::<Reached>()) {
            (Some(origin), Some(reached)) => !reached.is_own_origin(origin.to_str().unwrap_or_default()),
            _ => true,
        },
    };
    if cross {
        return html::problem(
            StatusCode::FORBIDDEN,
            "This request did not come from a page of this server.",
        );
    }
    next.run(request).await
}

pub async fn login_page<S: Store>(State(app): State<Arc<App<S>>>, headers: HeaderMap) -> Response {
    if let Some(token) = session_token(&headers)
        && let Ok(Some(_)) = app.db.session_user(&token_hash(&token), clock_now()).await
    {
        return Redirect::to("/").into_response();
    }
    html::login(&app.live.name, None, StatusCode::OK)
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    pub username: String,
    pub password: String,
}

pub async fn login<S: Store>(State(app): State<Arc<App<S>>>, request: Request) -> Response {
    let reached = request.extensions().get::<Reached>();
    let address = reached
        .and_then(|r| r.client)
        .map_or_else(|| "unknown".to_owned(), atoll_app::sessions::address_key);
    let secure = reached.is_some_and(|r| r.https);
    let presented = session_token(request.headers());
    let agent = user_agent(request.headers());
    let Ok(Form(form)) = Form::<LoginForm>::from_request(request, &app).await else {
        return html::login(
            &app.live.name,
            Some("Give a username and a password."),
            StatusCode::BAD_REQUEST,
        );
    };
    match atoll_app::sessions::sign_in(&app, &form.username, &form.password, &address).await {
        Ok(user) => start_session(&app, &user, presented.as_deref(), secure, agent.as_deref()).await,
        Err(e) if e.is_refusal() => {
            let message = format!(
                "{}{}",
                capital(&e.message),
                if e.message.ends_with('.') { "" } else { "." }
            );
            html::login(&app.live.name, Some(&message), html::status_of(e.kind))
        }
        Err(e) => html::failure(&e),
    }
}

/// `text` with its first letter upper-case: the sign-in page says it as a sentence.
fn capital(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The browser's `User-Agent`, only to label the session with its kind of device (never kept
/// itself: see [`atoll_app::sessions::device_label`]).
pub(crate) fn user_agent(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Signs `user` in: a new session labelled with the device of `user_agent`, its cookie
/// (`Secure` when `secure`: reached over HTTPS), and off to their start page. A session the
/// browser already had (perhaps planted) ends here, and so do the user's oldest sessions
/// beyond [`atoll_app::limits::SESSIONS_PER_USER`].
pub(crate) async fn start_session<S: Store>(
    app: &App<S>,
    user: &User,
    presented: Option<&str>,
    secure: bool,
    user_agent: Option<&str>,
) -> Response {
    let token = match atoll_app::sessions::start(app, user, presented, user_agent).await {
        Ok(token) => token,
        Err(e) => return html::failure(&e),
    };
    let cookie = format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        atoll_app::sessions::SESSION_MS / 1000,
        if secure { "; Secure" } else { "" }
    );
    let mut response = Redirect::to("/").into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

pub async fn logout<S: Store>(State(app): State<Arc<App<S>>>, headers: HeaderMap) -> Response {
    // A session that could not be forgotten would stay usable by anyone holding its cookie:
    // say so rather than pretend the user is signed out.
    if let Some(token) = session_token(&headers)
        && let Err(e) = atoll_app::sessions::end(&app, &token).await
    {
        return html::failure(&e);
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"))
            .unwrap_or_else(|_| HeaderValue::from_static("")),
    );
    response
}

use axum::extract::FromRequest as _;
