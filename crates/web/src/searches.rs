//! A team's saved searches: a hunt kept by name, one click away on the Hunt page. Saving a
//! name again replaces its query; any of the team's players (or an instructor) may delete one.

use std::sync::Arc;

use atoll_store::{Store, StoreError};
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use crate::auth::{TeamActor, TeamView};
use crate::pages::query_string;
use crate::{App, clock_now, html};

/// The longest name a saved search may have.
pub(crate) const MAX_NAME_CHARS: usize = 80;

#[derive(Debug, Deserialize)]
pub(crate) struct SaveForm {
    q: Option<String>,
    name: Option<String>,
}

/// What is wrong with a search to save, as `field: what to do`.
fn check(name: &str, query: &str) -> Result<(), String> {
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(format!(
            "name: give the search a name of at most {MAX_NAME_CHARS} characters"
        ));
    }
    if query.trim().is_empty() {
        return Err("q: there is no search to save; run one first".to_owned());
    }
    if query.chars().count() > atoll_hunt::query::MAX_QUERY_CHARS {
        return Err("q: a query is at most 10,000 characters".to_owned());
    }
    atoll_hunt::Query::parse(query)
        .map(|_| ())
        .map_err(|e| format!("q: {}", e.pointed(query)))
}

/// Saves the search under its name, then shows it again.
pub(crate) async fn save<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamActor(view): TeamActor,
    Form(form): Form<SaveForm>,
) -> Response {
    let team_id = app.live.team_id(view.team);
    let name = form.name.unwrap_or_default().trim().to_owned();
    let query = form.q.unwrap_or_default();
    if let Err(problem) = check(&name, &query) {
        return refused(&app, &view, &name, &query, &problem);
    }
    match app
        .db
        .save_search(app.live.exercise, &team_id, &name, &query, view.user.id, clock_now())
        .await
    {
        Ok(()) => Redirect::to(&format!("/teams/{team_id}/hunt?{}", query_string(&query))).into_response(),
        Err(_) => refused(
            &app,
            &view,
            &name,
            &query,
            "The search could not be saved right now; try again.",
        ),
    }
}

/// The save form again, filled in, with what was wrong: nothing typed is lost.
fn refused<S: Store>(app: &App<S>, view: &TeamView, name: &str, query: &str, problem: &str) -> Response {
    let team_id = app.live.team_id(view.team);
    let body = html! {
        h1 { "Save a search" }
        (html::refusal(Some(problem)))
        form method="post" action={ "/teams/" (team_id) "/searches" } {
            p { label for="save-q" { "Query" } br; textarea #save-q name="q" rows="3" cols="90" class="mono" { (query) } }
            p {
                label for="save-name" { "Name " }
                input #save-name name="name" value=(name) required maxlength=(MAX_NAME_CHARS);
                " " button type="submit" { "Save search" }
            }
        }
        p { a href={ "/teams/" (team_id) "/hunt?" (query_string(query)) } { "Back to the hunt" } }
    };
    html::form_page(&app.live, "Save a search", &view.user, Some(problem), &body)
}

/// Deletes one of the team's saved searches.
pub(crate) async fn delete<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamActor(view): TeamActor,
    Path((_, id)): Path<(String, i64)>,
) -> Response {
    let team_id = app.live.team_id(view.team);
    match app.db.delete_search(app.live.exercise, &team_id, id).await {
        Ok(()) => Redirect::to(&format!("/teams/{team_id}/hunt")).into_response(),
        Err(StoreError::NoSearch) => html::problem(StatusCode::NOT_FOUND, "Your team has no such saved search."),
        Err(_) => html::problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "The search could not be deleted right now; try again.",
        ),
    }
}
