//! The JSON API, `/api/v1/…`: every operation of the white cell's console (clock, board,
//! timelines, campaign changes, injects, messages, grading, detection rules, scoreboard,
//! scores, people, invitations, the audit log) and of a team's pages (alerts and verdicts,
//! suppressions, hunts and saved searches, its own rules, cases, response actions, questions,
//! hints, reports, messages, network), for agencies that script their exercises.
//!
//! A request authenticates with a personal API token (`Authorization: Bearer atoll_…`, made on
//! `/account`) and acts as the token's user: the same extractors authorise it as they do pages
//! ([`crate::auth::Signed`] reads the token on these paths, and never a cookie), and every
//! action is the same typed command of [`atoll_app`] that the console's form calls, so checks,
//! storage and the order of writes are the console's; a handler here only reads the JSON and
//! writes the answer from what the command returns. A refusal comes back as
//! `{"error": {"status", "field", "message"}}` with the page's status code.
//!
//! `GET /api/v1/openapi.json` describes it all (OpenAPI 3.1; the schemas come from the types
//! below through `schemars`).

use std::collections::BTreeMap;
use std::sync::Arc;

use atoll_exercise::ExerciseMs;
use atoll_exercise::score::{Standing, shown_to_players};
use atoll_sim::actions::WHITE_CELL_ACTIONS;
use atoll_store::{Kind, Role, Store, User};
use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::auth::{Instructor, Signed, Staff, StaffTeamView, TeamActor, TeamView};
use crate::html::Refusal;
use crate::{App, clock_now};
use atoll_app::limits::API_PAGE;

/// Where the API lives.
pub const BASE: &str = "/api/v1";

/// Whether a path is the JSON API's.
pub(crate) fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

// ----- Errors --------------------------------------------------------------------------------

/// A refused request.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Problem {
    pub error: ProblemBody,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProblemBody {
    /// The HTTP status code, again.
    pub status: u16,
    /// The request field at fault, when there is one.
    pub field: Option<String>,
    /// What was wrong and what to do, in words for people.
    pub message: String,
}

/// The problem for an application error: its status, its field and its message.
fn failed(e: &atoll_app::Error) -> Response {
    if e.kind == atoll_app::Kind::Failed {
        tracing::error!(message = %e, "request failed");
    }
    let status = crate::html::status_of(e.kind);
    let body = Problem {
        error: ProblemBody {
            status: status.as_u16(),
            field: e.field.clone(),
            message: e.message.clone(),
        },
    };
    (status, Json(body)).into_response()
}

fn problem(status: StatusCode, message: &str) -> Response {
    // Messages about one field start with its name: `speed: give a whole number …`.
    let field = message
        .split_once(": ")
        .map(|(name, _)| name)
        .filter(|name| {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        })
        .map(str::to_owned);
    let body = Problem {
        error: ProblemBody {
            status: status.as_u16(),
            field,
            message: message.to_owned(),
        },
    };
    (status, Json(body)).into_response()
}

/// Middleware: on the API's paths, any refusal (a page saying what was wrong, or a plain-text
/// rejection of a body that is not JSON) becomes a [`Problem`], with the same status.
pub(crate) async fn json_errors(request: Request, next: Next) -> Response {
    if !is_api(request.uri().path()) {
        return next.run(request).await;
    }
    let response = next.run(request).await;
    let status = response.status();
    if let Some(Refusal(message)) = response.extensions().get::<Refusal>().cloned() {
        let mut answer = problem(status, &message);
        if let Some(challenge) = response.headers().get(header::WWW_AUTHENTICATE) {
            answer.headers_mut().insert(header::WWW_AUTHENTICATE, challenge.clone());
        }
        return answer;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if status.is_success() || status.is_redirection() || is_json {
        return response;
    }
    // axum's own rejections (a body that is not JSON, a missing field, no such route) are
    // short plain text.
    let text = match axum::body::to_bytes(response.into_body(), 4096).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_owned(),
        Err(_) => String::new(),
    };
    let message = if text.is_empty() {
        match status {
            StatusCode::NOT_FOUND => format!("No such API path; the paths are listed in {BASE}/openapi.json."),
            StatusCode::METHOD_NOT_ALLOWED => {
                "This path does not take this method; see the OpenAPI document.".to_owned()
            }
            other => other.canonical_reason().unwrap_or("Refused").to_owned(),
        }
    } else {
        text
    };
    problem(status, &message)
}

/// Runs a blocking read of the exercise (it takes the clock's or a team's lock).
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, Response> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| problem(StatusCode::INTERNAL_SERVER_ERROR, "The request failed."))
}

/// Runs a blocking read of the exercise and answers with what it built, as JSON.
async fn blocking_json<T: Serialize + Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Response {
    match blocking(work).await {
        Ok(value) => Json(value).into_response(),
        Err(e) => e,
    }
}

/// A page of a list (`?after=`, `?before=`, `?limit=`): with `after`, the oldest items above
/// that id, oldest first; with `before`, the newest below it, newest first; without either,
/// the list's own order from its start. At most [`API_PAGE`] items, fewer with `limit`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListQuery {
    after: Option<i64>,
    before: Option<i64>,
    limit: Option<u32>,
}

impl ListQuery {
    fn page(&self, oldest_first: bool) -> atoll_store::Page {
        use atoll_store::Page;
        let limit = self.limit.unwrap_or(API_PAGE).clamp(1, API_PAGE);
        match (self.before, self.after) {
            (Some(before), _) => Page::before(Some(before), limit),
            (None, Some(after)) => Page::after(Some(after), limit),
            (None, None) if oldest_first => Page::after(None, limit),
            (None, None) => Page::newest(limit),
        }
    }

    /// This page of a list read whole because its count is bounded; `items` come oldest
    /// first.
    fn of<T>(&self, items: Vec<T>, id: impl Fn(&T) -> i64, oldest_first: bool) -> Vec<T> {
        let page = self.page(oldest_first);
        match page.after {
            Some(after) => items
                .into_iter()
                .filter(|item| id(item) > after)
                .take(page.limit as usize)
                .collect(),
            None => atoll_app::limits::newest_page(items.into_iter(), id, page.before, page.limit),
        }
    }
}

fn unreadable() -> Response {
    problem(
        StatusCode::SERVICE_UNAVAILABLE,
        "The server cannot read its database right now; try again.",
    )
}

mod console;
mod openapi;
mod people;
mod team;
mod workspace;

pub use console::*;
pub use openapi::*;
pub use people::*;
pub use team::*;
pub use workspace::*;

/// The API's routes, for [`crate::router`].
pub(crate) fn routes<S: Store>() -> axum::Router<Arc<App<S>>> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/api/v1/openapi.json", get(document))
        .route("/api/v1/exercise", get(exercise::<S>))
        .route("/api/v1/exercises", get(exercises::<S>))
        .route("/api/v1/clock", post(clock::<S>))
        .route("/api/v1/detection", get(catalog::<S>))
        .route("/api/v1/detection/{rule}", post(switch_rule::<S>))
        .route("/api/v1/account/tokens", get(tokens::<S>).post(make_token::<S>))
        .route("/api/v1/account/tokens/{id}/revoke", post(revoke_token::<S>))
        .route("/api/v1/board", get(board::<S>))
        .route("/api/v1/scoreboard", get(standings::<S>).post(scoreboard::<S>))
        .route("/api/v1/teams/{team}/absent", post(console::absent::<S>))
        .route("/api/v1/teams/{team}/score", get(score::<S>))
        .route("/api/v1/teams/{team}/timeline", get(timeline::<S>))
        .route("/api/v1/teams/{team}/steps", post(change_step::<S>))
        .route("/api/v1/messages", get(messages::<S>).post(send_message::<S>))
        .route("/api/v1/injects", post(send_inject::<S>))
        .route("/api/v1/grading", get(grading::<S>))
        .route("/api/v1/grading/{id}", post(grade::<S>))
        .route("/api/v1/teams/{team}/actions", get(actions::<S>).post(act::<S>))
        .route("/api/v1/teams/{team}/alerts", get(alerts::<S>))
        .route("/api/v1/teams/{team}/alerts/verdicts", post(bulk_verdict::<S>))
        .route("/api/v1/teams/{team}/alerts/{id}", get(alert::<S>))
        .route("/api/v1/teams/{team}/alerts/{id}/verdict", post(verdict::<S>))
        .route("/api/v1/teams/{team}/inbox", get(inbox::<S>))
        .route("/api/v1/teams/{team}/hunt", get(hunt::<S>))
        .route(
            "/api/v1/teams/{team}/rules",
            get(team_rules::<S>).post(turn_on_rule::<S>),
        )
        .route("/api/v1/teams/{team}/rules/test", post(test_rule::<S>))
        .route("/api/v1/teams/{team}/rules/{id}/off", post(turn_off_rule::<S>))
        .route(
            "/api/v1/teams/{team}/searches",
            get(searches::<S>).post(save_search::<S>),
        )
        .route("/api/v1/teams/{team}/searches/{id}/delete", post(delete_search::<S>))
        .route(
            "/api/v1/teams/{team}/suppressions",
            get(suppressions::<S>).post(suppress::<S>),
        )
        .route("/api/v1/teams/{team}/suppressions/{id}/end", post(end_suppression::<S>))
        .route("/api/v1/teams/{team}/messages", post(team_message::<S>))
        .route("/api/v1/teams/{team}/network", get(network::<S>))
        .route("/api/v1/teams/{team}/hints", get(hints::<S>))
        .route("/api/v1/teams/{team}/hints/{id}/open", post(open_hint::<S>))
        .route("/api/v1/teams/{team}/questions", get(questions::<S>))
        .route("/api/v1/teams/{team}/questions/{question}/answer", post(answer::<S>))
        .route("/api/v1/teams/{team}/cases", get(cases::<S>).post(open_case::<S>))
        .route("/api/v1/teams/{team}/cases/{id}/alerts", post(case_alerts::<S>))
        .route("/api/v1/teams/{team}/cases/{id}", get(case::<S>))
        .route("/api/v1/teams/{team}/cases/{id}/entries", post(add_entry::<S>))
        .route("/api/v1/teams/{team}/reports", get(reports::<S>).post(send_report::<S>))
        .route("/api/v1/people", get(people::<S>))
        .route("/api/v1/people/{id}/end", post(end_sessions::<S>))
        .route("/api/v1/people/{id}/follows", post(follows::<S>))
        .route("/api/v1/invitations", post(invite::<S>))
        .route("/api/v1/audit", get(audit::<S>))
}
