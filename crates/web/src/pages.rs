//! The start page, and what several pages share: running a page off the async workers,
//! shortening text, writing a hunt into an address.

use std::sync::Arc;

use atoll_store::{Role, Store};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use crate::auth::Signed;
use crate::{App, html};

/// Each role's start page; the briefing first, for someone who has not opened it since the
/// server started.
pub(crate) async fn home<S: Store>(State(app): State<Arc<App<S>>>, Signed(user): Signed) -> Response {
    if !app.was_briefed(user.id) {
        return Redirect::to("/briefing").into_response();
    }
    match (user.role, &user.team) {
        (Role::Player, Some(team)) => Redirect::to(&format!("/teams/{team}")).into_response(),
        _ => Redirect::to("/board").into_response(),
    }
}

/// Runs a page that takes the exercise lock on a blocking thread, so that waiting for the lock
/// never holds up the server's async workers.
pub(crate) async fn blocking(page: impl FnOnce() -> Response + Send + 'static) -> Response {
    tokio::task::spawn_blocking(page)
        .await
        .unwrap_or_else(|_| html::problem(StatusCode::INTERNAL_SERVER_ERROR, "This page failed."))
}

/// The first `n` characters of `text`, with an ellipsis if there were more.
pub(crate) fn short(text: &str, n: usize) -> String {
    let mut out: String = text.chars().take(n).collect();
    if text.chars().count() > n {
        out.push('…');
    }
    out
}

pub(crate) fn query_string(q: &str) -> String {
    serde_urlencoded::to_string([("q", q)]).unwrap_or_default()
}
