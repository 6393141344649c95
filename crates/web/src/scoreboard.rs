//! The scoreboard: every team's points, best first. The white cell always sees it; teams see
//! it once an instructor shows it to them (and not after it is hidden again), since a ranking
//! changes how teams play and the white cell chooses when.

use std::sync::Arc;

use atoll_store::Store;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use crate::auth::{Instructor, Signed};
use crate::{App, html};

/// The scoreboard, for the white cell, and for players when it is shown to teams.
pub(crate) async fn page<S: Store>(State(app): State<Arc<App<S>>>, Signed(user): Signed) -> Response {
    let (scores, shown) = match atoll_app::score::standings(&app, &user).await {
        Ok(standings) => standings,
        Err(e) => return html::failure(&e),
    };
    let ended = crate::ended_at(&app);
    let body = html! {
        h1 { "Scoreboard" }
        p.muted {
            @if shown { "Teams can see this page." } @else { "Only the white cell can see this page; teams cannot yet." }
            @if let Some(at) = &ended { " Each team's final points (play ended at " (at) "); its Score page says why for every point." }
            @else { " Each team's points so far; its Score page says why for every point." }
            " Teams are ranked by the share of their own maximum they earned: each team's network and campaign differ, and so do the points it can earn."
        }
        table {
            thead { tr { th.num { "Rank" } th { "Team" } th.num { "Share of its maximum" } th.num { "Points" } th.num { "Earned" } th.num { "Hint penalties" } th.num { "Possible" } } }
            tbody {
                @for line in &scores {
                    // Teams with equal points share a rank.
                    tr {
                        td.num { (line.rank) }
                        td { (line.name) }
                        td.num { strong { (line.percent) " %" } }
                        td.num { (line.total) }
                        td.num { (line.earned) }
                        td.num { @if line.penalty > 0 { "−" (line.penalty) } @else { "0" } }
                        td.num { (line.possible) }
                    }
                }
            }
        }
    };
    html::page(html::heading(&app, &user).await, "Scoreboard", Some(&user), &body).into_response()
}

#[derive(Debug, Deserialize)]
pub(crate) struct ShowForm {
    show: Option<String>,
}

/// Shows the scoreboard to teams (`show=yes`) or hides it (`show=no`).
pub(crate) async fn show<S: Store>(
    State(app): State<Arc<App<S>>>,
    Instructor(user): Instructor,
    Form(form): Form<ShowForm>,
) -> Response {
    let shown = match form.show.as_deref() {
        Some("yes") => true,
        Some("no") => false,
        _ => return html::problem(StatusCode::BAD_REQUEST, "show: say yes or no."),
    };
    match atoll_app::people::show_scoreboard(&app, &user, shown).await {
        Ok(()) => Redirect::to("/board").into_response(),
        Err(e) => html::failure(&e),
    }
}
