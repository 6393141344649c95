//! The white cell's audit log: every clock change, inject and message sent, step changed,
//! grade given, rule switched, scoreboard shown and change to people, with who and when,
//! stored append-only ([`atoll_store::Store::audit`]). Instructors read it on `/audit`, page by
//! page, and take it away whole as JSON lines (`/audit.jsonl`) or through the API.

use std::sync::Arc;

use atoll_exercise::ExerciseMs;
use atoll_store::{AuditEntry, Store};
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;

use crate::auth::Instructor;
use crate::{App, html};

/// Entries on one page of the log.
pub(crate) const PAGE: u32 = atoll_app::limits::AUDIT_PAGE;

/// One entry as JSON (a line of the export, an item of the API's list).
pub(crate) fn json<S>(app: &App<S>, e: &AuditEntry) -> serde_json::Value {
    serde_json::json!({
        "id": e.id,
        "time": jiff::Timestamp::from_millisecond(e.created_at).map(|t| t.to_string()).unwrap_or_default(),
        "exercise_time": app.live.when(ExerciseMs(e.at)),
        "exercise_ms": e.at,
        "user": e.username,
        "action": e.action,
        "team": e.team,
        "detail": e.detail,
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct PageQuery {
    /// Entries older than this one.
    before: Option<String>,
}

/// `GET /audit`: the log, newest first, a page at a time.
pub(crate) async fn page<S: Store>(
    State(app): State<Arc<App<S>>>,
    Instructor(user): Instructor,
    Query(query): Query<PageQuery>,
) -> Response {
    let before = match query.before.as_deref().map(str::parse::<i64>) {
        None => None,
        Some(Ok(id)) => Some(id),
        Some(Err(_)) => {
            return html::problem(
                StatusCode::BAD_REQUEST,
                "before: give the number of an entry of the log.",
            );
        }
    };
    let Ok(entries) = app.db.audit_log(app.live.exercise, before, PAGE).await else {
        return html::problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "The server cannot read its database right now; try again.",
        );
    };
    let older = (entries.len() == PAGE as usize)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    let body = html! {
        h1 { "Audit log" }
        p.muted {
            "Everything the white cell did, newest first: the clock, injects and messages, step "
            "changes, grades, rule switches, the scoreboard and people. Entries are never changed "
            "or removed. "
            a href="/audit.jsonl" download { "Download the whole log (JSON lines)" }
        }
        @if entries.is_empty() {
            p { "Nothing yet." }
        } @else {
            table {
                thead { tr { th { "When (UTC)" } th { "Exercise time" } th { "Who" } th { "Action" } th { "Team" } th { "What" } } }
                tbody {
                    @for e in &entries {
                        tr #{ "entry-" (e.id) } {
                            td.nowrap { (jiff::Timestamp::from_millisecond(e.created_at).map(|t| t.strftime("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_default()) }
                            td.nowrap { (app.live.when(ExerciseMs(e.at))) }
                            td { (e.username) }
                            td.nowrap { code { (e.action) } }
                            td { (e.team.as_deref().unwrap_or("")) }
                            td { (e.detail) }
                        }
                    }
                }
            }
            @if let Some(id) = older {
                p { a href={ "/audit?before=" (id) } { "Older entries" } }
            }
        }
    };
    html::page(&app.live, "Audit log", Some(&user), &body).into_response()
}

/// Every entry of the log, oldest first.
pub(crate) async fn all<S: Store>(app: &App<S>) -> atoll_store::Result<Vec<AuditEntry>> {
    let mut all = Vec::new();
    let mut before = None;
    loop {
        let page = app.db.audit_log(app.live.exercise, before, 1_000).await?;
        let done = page.len() < 1_000;
        before = page.last().map(|e| e.id);
        all.extend(page);
        if done {
            break;
        }
    }
    all.reverse();
    Ok(all)
}

/// `GET /audit.jsonl`: the whole log, oldest first, one JSON object per line, as a download.
pub(crate) async fn export<S: Store>(State(app): State<Arc<App<S>>>, Instructor(_): Instructor) -> Response {
    let Ok(entries) = all(&app).await else {
        return html::problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "The server cannot read its database right now; try again.",
        );
    };
    let mut text = String::new();
    for e in &entries {
        text.push_str(&json(&app, e).to_string());
        text.push('\n');
    }
    (
        [
            (header::CONTENT_TYPE, "application/x-ndjson; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"atoll-audit.jsonl\"",
            ),
        ],
        text,
    )
        .into_response()
}
