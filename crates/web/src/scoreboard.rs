//! The scoreboard: every team's points, best first. The white cell always sees it; teams see
//! it once an instructor shows it to them (and not after it is hidden again), since a ranking
//! changes how teams play and the white cell chooses when.

use std::sync::Arc;

use atoll_store::{Role, Store};
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use crate::auth::{Instructor, Signed};
use crate::{App, html};

/// The scoreboard, for the white cell, and for players when it is shown to teams.
pub(crate) async fn page<S: Store>(State(app): State<Arc<App<S>>>, Signed(user): Signed) -> Response {
    let Ok(shown) = app.db.scoreboard_shown(app.live.exercise).await else {
        return html::problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "The scoreboard could not be read; try again.",
        );
    };
    if user.role == Role::Player && !shown {
        return html::problem(
            StatusCode::FORBIDDEN,
            "The white cell has not opened the scoreboard to teams. Your own score is on your team's Score page.",
        );
    }
    // Players see every team here: that is what showing the scoreboard means. Observers who
    // follow chosen teams see those.
    let teams: Vec<(usize, String)> = app
        .live
        .scenario
        .player_teams()
        .enumerate()
        .filter(|(_, t)| user.role == Role::Player || user.sees(&t.id.name))
        .map(|(i, t)| (i, t.id.name.clone()))
        .collect();
    let mut records = Vec::new();
    for (_, team) in &teams {
        match atoll_app::score::records(&app, team).await {
            Ok(r) => records.push(r),
            Err(_) => {
                return html::problem(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The scores could not be worked out; try again.",
                );
            }
        }
    }
    let worker = app.clone();
    let scores = tokio::task::spawn_blocking(move || {
        teams
            .iter()
            .zip(&records)
            .map(|((index, _), records)| {
                let score = atoll_app::score::team_score(&worker, *index, records);
                (
                    worker.live.team_name(*index),
                    score.total(),
                    score.earned(),
                    score.penalty(),
                    score.possible(),
                )
            })
            .collect::<Vec<_>>()
    })
    .await;
    let Ok(mut scores) = scores else {
        return html::problem(StatusCode::INTERNAL_SERVER_ERROR, "The scores could not be worked out.");
    };
    scores.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let ended = crate::ended_at(&app);
    let body = html! {
        h1 { "Scoreboard" }
        p.muted {
            @if shown { "Teams can see this page." } @else { "Only the white cell can see this page; teams cannot yet." }
            @if let Some(at) = &ended { " Each team's final points (play ended at " (at) "); its Score page says why for every point." }
            @else { " Each team's points so far; its Score page says why for every point." }
        }
        table {
            thead { tr { th.num { "Rank" } th { "Team" } th.num { "Points" } th.num { "Earned" } th.num { "Hint penalties" } th.num { "Possible" } } }
            tbody {
                @for (i, (name, total, earned, penalty, possible)) in scores.iter().enumerate() {
                    // Teams with equal points share a rank.
                    @let rank = scores.iter().position(|s| s.1 == *total).unwrap_or(i) + 1;
                    tr {
                        td.num { (rank) }
                        td { (name) }
                        td.num { strong { (total) } }
                        td.num { (earned) }
                        td.num { @if *penalty > 0 { "−" (penalty) } @else { "0" } }
                        td.num { (possible) }
                    }
                }
            }
        }
    };
    html::page(&app.live, "Scoreboard", Some(&user), &body).into_response()
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
