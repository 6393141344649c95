//! The account page: who you are, where you are signed in (each session's device and time,
//! this one marked; any other ended in a click), and your personal API tokens for the JSON
//! API — made with a name and a lifetime, shown once, listed with when they were last used,
//! revoked in a click.

use std::sync::Arc;

use atoll_store::{Store, User};
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use atoll_app::accounts::{API_TOKEN_DAYS, token_hash};
use atoll_app::limits::{API_TOKEN_NAME_CHARS, SESSIONS_PER_USER};
use atoll_app::sessions::SESSION_MS;

use crate::auth::Signed;
use crate::invite::utc;
use crate::{App, clock_now, html};

pub(crate) async fn page<S: Store>(
    State(app): State<Arc<App<S>>>,
    Signed(user): Signed,
    headers: HeaderMap,
) -> Response {
    render(&app, &user, &headers, None, None).await
}

/// The page, for the request of `headers` (its session is "this device"); `made` is a token
/// just made (name, token), shown this once; `problem` what was wrong with a refused form.
async fn render<S: Store>(
    app: &App<S>,
    user: &User,
    headers: &HeaderMap,
    made: Option<(&str, &str)>,
    problem: Option<&str>,
) -> Response {
    let now = clock_now();
    let current = crate::auth::session_token(headers).map(|t| token_hash(&t));
    let this = match &current {
        Some(hash) => app.db.session_id(hash, now).await,
        None => Ok(None),
    };
    let (Ok(tokens), Ok(sessions), Ok(this)) = (
        app.db.tokens(user.id).await,
        app.db.sessions(Some(user.id), now).await,
        this,
    ) else {
        return html::problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "The server cannot read its database right now.",
        );
    };
    let body: Markup = html! {
        h1 { "Your account" }
        p {
            "Signed in as " strong { (user.username) } ", " (user.role.as_str())
            @if let Some(team) = &user.team { " of team " (app.live.team_name_of(team)) }
            "."
        }
        h2 { "Where you are signed in" }
        p.muted {
            "Each sign-in is a session, for " (SESSION_MS / 3_600_000) " hours. You keep at most " (SESSIONS_PER_USER)
            ": signing in once more ends the oldest. End a session of a device you no longer use, or do not recognise."
        }
        table {
            thead { tr { th { "Device" } th { "Signed in (UTC)" } th { "End" } } }
            tbody {
                @for s in &sessions {
                    tr {
                        td {
                            (s.device.as_deref().unwrap_or("Unknown device"))
                            @if this == Some(s.id) { " " strong { "(this device)" } }
                        }
                        td { (utc(s.created_at)) }
                        td {
                            @if this == Some(s.id) {
                                span.muted { "sign out to end it" }
                            } @else {
                                form.inline method="post" action={ "/account/sessions/" (s.id) "/end" } {
                                    button type="submit" aria-label={ "End the session of " (s.device.as_deref().unwrap_or("an unknown device")) " signed in at " (utc(s.created_at)) } { "End" }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "API tokens" }
        p.muted {
            "A token lets a script use the JSON API (" a href="/api/v1/openapi.json" { "its description" } ") as you, with your rights, until it expires or you revoke it. "
            "Send it as " code { "Authorization: Bearer atoll_…" } ". Treat it as a password: anyone who has it can act as you."
        }
        @if let Some((name, token)) = made {
            div.made role="status" {
                p { strong { "Token “" (name) "” made." } " Copy it now: it is shown only this once." }
                p { label for="new-token" { "Token " } input #new-token.mono readonly size="72" value=(token); }
            }
        }
        (html::refusal(problem))
        @if tokens.is_empty() {
            p.muted { "You have no API tokens." }
        } @else {
            table {
                thead { tr { th { "Name" } th { "Made (UTC)" } th { "Expires (UTC)" } th { "Last used (UTC)" } th { "Revoke" } } }
                tbody {
                    @for t in &tokens {
                        tr {
                            td { (t.name) }
                            td { (utc(t.created_at)) }
                            td {
                                (utc(t.expires_at))
                                @if t.expires_at <= now { " " strong { "expired" } }
                            }
                            td { @match t.last_used { Some(at) => { (utc(at)) } None => { span.muted { "never" } } } }
                            td {
                                form.inline method="post" action={ "/account/tokens/" (t.id) "/revoke" } {
                                    button type="submit" aria-label={ "Revoke " (t.name) } { "Revoke" }
                                }
                            }
                        }
                    }
                }
            }
        }
        form method="post" action="/account" {
            p {
                label for="token-name" { "New token for " }
                input #token-name name="name" required maxlength=(API_TOKEN_NAME_CHARS) size="30" placeholder="nightly board export";
                " "
                label for="token-days" { "lasting " }
                select #token-days name="days" {
                    @for days in API_TOKEN_DAYS {
                        option value=(days) selected[days == 30] { (days) @if days == 1 { " day" } @else { " days" } }
                    }
                }
                " "
                button type="submit" { "Make token" }
            }
        }
    };
    let mut response = html::form_page(&app.live, "Your account", user, problem, &body);
    // A page holding a new token is kept by no cache.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[derive(Debug, Deserialize)]
pub(crate) struct TokenForm {
    name: Option<String>,
    days: Option<String>,
}

/// Makes a token and shows it, once.
pub(crate) async fn create<S: Store>(
    State(app): State<Arc<App<S>>>,
    Signed(user): Signed,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Response {
    let (name, days) = (form.name.unwrap_or_default(), form.days.unwrap_or_default());
    match atoll_app::people::create_token(&app, &user, &name, &days).await {
        Ok(token) => render(&app, &user, &headers, Some((name.trim(), &token)), None).await,
        Err(e) if e.is_refusal() => render(&app, &user, &headers, None, Some(&e.to_string())).await,
        Err(e) => html::failure(&e),
    }
}

/// Ends one of your sessions on another device (by the session's number, never its token).
pub(crate) async fn end_session<S: Store>(
    State(app): State<Arc<App<S>>>,
    Signed(user): Signed,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    let current = crate::auth::session_token(&headers);
    match atoll_app::sessions::end_other(&app, &user, id, current.as_deref()).await {
        Ok(()) => Redirect::to("/account").into_response(),
        Err(e) if e.kind == atoll_app::Kind::Invalid => render(&app, &user, &headers, None, Some(&e.to_string())).await,
        Err(e) => html::failure(&e),
    }
}

/// Revokes one of your tokens.
pub(crate) async fn revoke<S: Store>(
    State(app): State<Arc<App<S>>>,
    Signed(user): Signed,
    Path(id): Path<i64>,
) -> Response {
    match atoll_app::people::revoke_token(&app, &user, id).await {
        Ok(()) => Redirect::to("/account").into_response(),
        Err(e) => html::failure(&e),
    }
}
