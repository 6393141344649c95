//! A team's saved searches: a hunt kept by name, one click away on the Hunt page. Saving a
//! name again replaces its query; any of the team's players (or an instructor) may delete one.

use std::sync::Arc;

use atoll_store::Store;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use crate::auth::{TeamActor, TeamView};
use crate::pages::query_string;
use atoll_app::limits::SEARCH_NAME_CHARS;

use crate::{App, html};

#[derive(Debug, Deserialize)]
pub(crate) struct SaveForm {
    q: Option<String>,
    name: Option<String>,
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
    match atoll_app::searches::save(&app, view.team, &view.user, &name, &query).await {
        Ok(()) => Redirect::to(&format!("/teams/{team_id}/hunt?{}", query_string(&query))).into_response(),
        Err(e) => {
            let problem = if e.field.is_some() {
                e.to_string()
            } else {
                e.message.clone()
            };
            let mut page = refused(&app, &view, &name, &query, &problem).await;
            if e.is_refusal() {
                *page.status_mut() = html::status_of(e.kind);
            }
            page
        }
    }
}

/// The save form again, filled in, with what was wrong: nothing typed is lost.
async fn refused<S: Store>(app: &Arc<App<S>>, view: &TeamView, name: &str, query: &str, problem: &str) -> Response {
    let team_id = app.live.team_id(view.team);
    let body = html! {
        h1 { "Save a search" }
        (html::refusal(Some(problem)))
        form method="post" action={ "/teams/" (team_id) "/searches" } {
            p { label for="save-q" { "Query" } br; textarea #save-q name="q" rows="3" cols="90" class="mono" { (query) } }
            p {
                label for="save-name" { "Name " }
                input #save-name name="name" value=(name) required maxlength=(SEARCH_NAME_CHARS);
                " " button type="submit" { "Save search" }
            }
        }
        p { a href={ "/teams/" (team_id) "/hunt?" (query_string(query)) } { "Back to the hunt" } }
    };
    html::form_page(
        html::heading(app, &view.user).await,
        "Save a search",
        &view.user,
        Some(problem),
        &body,
    )
}

/// Deletes one of the team's saved searches.
pub(crate) async fn delete<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamActor(view): TeamActor,
    Path((_, id)): Path<(String, i64)>,
) -> Response {
    let team_id = app.live.team_id(view.team);
    match atoll_app::searches::delete(&app, view.team, id).await {
        Ok(()) => Redirect::to(&format!("/teams/{team_id}/hunt")).into_response(),
        Err(e) => html::failure(&e),
    }
}
