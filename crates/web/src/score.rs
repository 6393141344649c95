//! A team's score page: every expectation with its points and the reason for them.

use std::sync::Arc;

use atoll_exercise::score::{Facts, Progress, Score, Standing, Verdict, progress, score, shown_to_players};
use atoll_sim::available_percent;
use atoll_store::{Store, Triage};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::html;

use crate::auth::TeamView;
use crate::{App, clock_now, html};

/// Team `index` as play stands: its score, its campaign's progress and its least available
/// service.
pub(crate) struct TeamStatus {
    pub score: Score,
    pub progress: Vec<Progress>,
    /// The service up least of play so far, and its availability in percent.
    pub lowest: Option<(String, f64)>,
}

/// Scores team `index` now, from its stored verdicts. Takes the team's lock: call it off the
/// async workers.
pub(crate) fn team_score<S>(app: &App<S>, index: usize, triages: &[Triage]) -> Score {
    team_status(app, index, triages).score
}

/// [`team_score`] and the rest of what the board shows of the team.
pub(crate) fn team_status<S>(app: &App<S>, index: usize, triages: &[Triage]) -> TeamStatus {
    let live = &app.live;
    let clock = live.clock();
    let now = clock.now(clock_now());
    let ended = matches!(clock.state, atoll_exercise::State::Ended { .. });
    let team_id = live.team_id(index);
    let verdicts: Vec<Verdict<'_>> = triages
        .iter()
        .map(|t| Verdict {
            row: t.row,
            rule: &t.rule,
            state: &t.state,
            at: t.at,
            username: &t.username,
        })
        .collect();
    let start = live.start_unix_ms();
    let label = |t: u64| live.label(start + t as i64, app.day_one);
    let offset = |c: &atoll_scenario::time::ClockTime| live.sim_clock().offset(c);
    let runtime = live.team(index);
    let outcomes = runtime.outcomes();
    let downtime = runtime.downtime(now);
    let facts = Facts {
        team: &team_id,
        outcomes: &outcomes,
        downtime: &downtime,
        verdicts: &verdicts,
        alerts: runtime.alerts(),
        now,
        ended,
    };
    let lowest = downtime
        .iter()
        .filter(|d| d.team == team_id)
        .map(|d| (d.service.name.get("en").to_owned(), available_percent(d.down, now)))
        .min_by(|a, b| a.1.total_cmp(&b.1));
    TeamStatus {
        score: score(live.scenario, &facts, &label, &offset),
        progress: progress(&facts),
        lowest,
    }
}

pub(crate) async fn page<S: Store>(State(app): State<Arc<App<S>>>, view: TeamView) -> Response {
    let team_id = app.live.team_id(view.team);
    let Ok(triages) = app.db.triages(app.live.exercise, &team_id).await else {
        return html::problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "The score could not be read; try again.",
        );
    };
    let worker = app.clone();
    let index = view.team;
    let Ok(score) = tokio::task::spawn_blocking(move || team_score(&worker, index, &triages)).await else {
        return html::problem(StatusCode::INTERNAL_SERVER_ERROR, "This page failed.");
    };
    let team_name = app.live.team_name(view.team);
    // Players see what is settled; an open item would tell them which step ran when.
    let player = view.user.role == atoll_store::Role::Player;
    let shown: Vec<&atoll_exercise::score::Item> =
        score.items.iter().filter(|i| !player || shown_to_players(i)).collect();
    let unsettled = score.items.len() - shown.len();
    let body = html! {
        h1 { "Score — " (team_name) }
        p {
            strong { (score.total()) " of " (score.possible()) " points" }
            " so far. Each line says why; detection counts when an alert raised by the step's events is marked true positive on the Alerts page."
        }
        table {
            thead { tr { th { "Expectation" } th { "Points" } th { "Standing" } th { "Why" } } }
            tbody {
                @for item in &shown {
                    tr id={ "expectation-" (item.expectation) } {
                        td { (item.text) }
                        td.num { (item.points) " / " (item.max) }
                        td { (standing(item.standing)) }
                        td { (item.why) }
                    }
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
    html::page(&app.live.name, &format!("Score — {team_name}"), Some(&view.user), &body).into_response()
}

fn standing(s: Standing) -> &'static str {
    match s {
        Standing::Earned => "earned",
        Standing::Missed => "missed",
        Standing::Open => "open",
        Standing::Unscored => "not scored yet",
    }
}
