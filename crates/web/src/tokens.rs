//! The account page: who you are, and your personal API tokens for the JSON API — made with a
//! name and a lifetime, shown once, listed with when they were last used, revoked in a click.

use std::sync::Arc;

use atoll_store::{Store, User};
use axum::extract::{Form, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use atoll_app::accounts::{API_TOKEN_DAYS, API_TOKEN_NAME_CHARS};

use crate::auth::Signed;
use crate::invite::utc;
use crate::{App, clock_now, html};

pub(crate) async fn page<S: Store>(State(app): State<Arc<App<S>>>, Signed(user): Signed) -> Response {
    render(&app, &user, None, None).await
}

/// The page; `made` is a token just made (name, token), shown this once; `problem` what was
/// wrong with a refused form.
async fn render<S: Store>(app: &App<S>, user: &User, made: Option<(&str, &str)>, problem: Option<&str>) -> Response {
    let Ok(tokens) = app.db.tokens(user.id).await else {
        return html::problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "The server cannot read its database right now.",
        );
    };
    let now = clock_now();
    let body: Markup = html! {
        h1 { "Your account" }
        p {
            "Signed in as " strong { (user.username) } ", " (user.role.as_str())
            @if let Some(team) = &user.team { " of team " (app.live.team_name_of(team)) }
            "."
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
    Form(form): Form<TokenForm>,
) -> Response {
    let (name, days) = (form.name.unwrap_or_default(), form.days.unwrap_or_default());
    match atoll_app::people::create_token(&app, &user, &name, &days).await {
        Ok(token) => render(&app, &user, Some((name.trim(), &token)), None).await,
        Err(e) if e.is_refusal() => render(&app, &user, None, Some(&e.to_string())).await,
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
