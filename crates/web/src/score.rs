//! A team's score page: every expectation with its points and the reason for them.

use std::sync::Arc;

use atoll_app::score::{records, team_score};
use atoll_exercise::score::{Standing, shown_to_players};
use atoll_store::Store;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::html;

use crate::auth::TeamView;
use crate::{App, html};

pub(crate) async fn page<S: Store>(State(app): State<Arc<App<S>>>, view: TeamView) -> Response {
    let team_id = app.live.team_id(view.team);
    let Ok(records) = records(&app, &team_id).await else {
        return html::problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "The score could not be read; try again.",
        );
    };
    let scoreboard = app.db.scoreboard_shown(app.live.exercise).await.unwrap_or(false);
    let worker = app.clone();
    let index = view.team;
    let Ok(score) = tokio::task::spawn_blocking(move || team_score(&worker, index, &records)).await else {
        return html::problem(StatusCode::INTERNAL_SERVER_ERROR, "This page failed.");
    };
    let ended = crate::ended_at(&app);
    let planned_ms = app.live.scenario.duration.value.as_secs() * 1000;
    // Said only when the white cell ended play before the scenario's planned end.
    let planned_end = app
        .live
        .ended()
        .filter(|&at| at < planned_ms)
        .map(|_| app.live.when(atoll_exercise::ExerciseMs(planned_ms)));
    let team_name = app.live.team_name(view.team);
    // Players see what is settled; an open item would tell them which step ran when.
    let player = view.user.role == atoll_store::Role::Player;
    let shown: Vec<&atoll_exercise::score::Item> =
        score.items.iter().filter(|i| !player || shown_to_players(i)).collect();
    let unsettled = score.items.len() - shown.len();
    let body = html! {
        h1 { "Score — " (team_name) }
        (crate::briefing::help(crate::briefing::Help::Score))
        p {
            strong { (score.total()) " of " (score.possible()) " points" }
            @if score.penalty() > 0 { " (" (score.earned()) " earned, less " (score.penalty()) " for hints)" }
            @if !score.tuning.is_empty() {
                @let tuning = score.tuning.iter().map(|t| t.points).sum::<i32>();
                " (" @if tuning >= 0 { "+" } @else { "−" } (tuning.unsigned_abs()) " for tuning, below)"
            }
            @if let Some(at) = &ended { ", final: play ended at " (at) "." } @else { " so far." }
            " Each line says why; detection counts when an alert raised by the step's events is marked true positive on the Alerts page."
            @if scoreboard || !player { " " a href="/scoreboard" { "Scoreboard" } }
        }
        table {
            thead { tr { th { "Expectation" } th { "Points" } th { "Standing" } th { "Why" } } }
            tbody {
                @for item in &shown {
                    tr id={ "expectation-" (item.expectation) } {
                        td { (item.text) }
                        td.num.nowrap { (item.points) " / " (item.max) }
                        td { (standing(item.standing)) }
                        td { (item.why) }
                    }
                }
            }
        }
        @if !score.penalties.is_empty() {
            h2 { "Hints opened" }
            table {
                thead { tr { th { "Hint" } th { "Points" } th { "Why" } } }
                tbody {
                    @for p in &score.penalties {
                        tr {
                            td { "Hint " (atoll_app::questions::hint_number(app.live.scenario, &p.hint)) }
                            td.num { "−" (p.points) }
                            td { (p.why) }
                        }
                    }
                }
            }
        }
        @if !score.tuning.is_empty() {
            h2 { "Tuning" }
            table {
                thead { tr { th { "Suppression" } th { "Points" } th { "Why" } } }
                tbody {
                    @for t in &score.tuning {
                        tr id={ "tuning-" (t.suppression) } {
                            td { a href={ "/teams/" (app.live.team_id(view.team)) "/suppressions#suppression-" (t.suppression) } { "Suppression " (t.suppression) } }
                            td.num { @if t.points > 0 { "+" } @else { "−" } (t.points.unsigned_abs()) }
                            td { (t.why) }
                        }
                    }
                }
            }
        }
        @if let Some(at) = &ended {
            @let cut: Vec<&atoll_exercise::score::Item> = score.items.iter().filter(|i| i.standing == Standing::Unscored && i.why.starts_with("Play ended before")).collect();
            @if !cut.is_empty() {
                @let points: u32 = cut.iter().map(|i| i.max).sum();
                p {
                    "Play ended at " (at) @if let Some(planned) = &planned_end { ", before its planned end at " (planned) } ": "
                    (cut.len()) " expectations worth " (points) " points are about steps the adversary never reached, so they are not scored, and the maximum is "
                    (score.possible()) " rather than " (score.possible() + points) "."
                }
            }
        }
        @if unsettled > 0 {
            p.muted { (unsettled) " more expectations are not settled yet; each appears here, with its reason, once it is." }
        }
        @if score.items.is_empty() {
            p.muted { "The scenario sets no expectations for this team." }
        }
    };
    html::page(
        html::heading(&app, &view.user).await,
        &format!("Score — {team_name}"),
        Some(&view.user),
        &body,
    )
    .into_response()
}

fn standing(s: Standing) -> &'static str {
    match s {
        Standing::Earned => "earned",
        Standing::Missed => "missed",
        Standing::Open => "open",
        Standing::Unscored => "not scored",
    }
}
