//! The white cell's timeline of one team: every campaign step with what became of it (ran,
//! prevented, still to come and when it is planned), when the team detected it, and the
//! facilitator's notes; and the injects that have arrived. Staff only: it shows what comes
//! next.

use std::sync::Arc;

use atoll_exercise::score::span;
use atoll_sim::campaign::Status;
use atoll_store::Store;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use crate::auth::StaffTeamView;
use crate::{App, html};

/// One line of the timeline.
struct Line {
    /// Exercise time, for ordering; steps still to come sort last, in scenario order.
    at: Option<u64>,
    when: String,
    what: Markup,
    status: Markup,
    detected: String,
    notes: String,
}

pub(crate) async fn page<S: Store>(State(app): State<Arc<App<S>>>, view: StaffTeamView) -> Response {
    let index = view.0.team;
    let team_id = app.live.team_id(index);
    let (Ok(triages), Ok(sent)) = (
        app.db.triages(app.live.exercise, &team_id).await,
        app.db.inject_sends(app.live.exercise).await,
    ) else {
        return html::problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "The timeline could not be read; try again.",
        );
    };
    let worker = app.clone();
    let Ok(lines) = tokio::task::spawn_blocking(move || lines(&worker, index, &triages, &sent)).await else {
        return html::problem(StatusCode::INTERNAL_SERVER_ERROR, "This page failed.");
    };
    let team_name = app.live.team_name(index);
    let body = html! {
        h1 { "Timeline — " (team_name) }
        p.muted {
            "What the adversary did in this team's network and when, what the team's response prevented, what is still to come, and the injects that reached the team. "
            "Players never see this page."
        }
        table {
            thead { tr { th { "When" } th { "What" } th { "Status" } th { "Detected" } th { "Notes for the white cell" } } }
            tbody {
                @for line in &lines {
                    tr {
                        td { (line.when) }
                        td { (line.what) }
                        td { (line.status) }
                        td { (line.detected) }
                        td { (line.notes) }
                    }
                }
            }
        }
        @if lines.is_empty() {
            p.muted { "No campaign runs against this team and no inject has reached it." }
        }
        p { a href={ "/teams/" (team_id) "/score" } { "Score and why" } " · " a href="/board" { "Board" } }
    };
    html::page(
        &app.live.name,
        &format!("Timeline — {team_name}"),
        Some(&view.0.user),
        &body,
    )
    .into_response()
}

/// The team's lines, in exercise time. Takes the team's lock: call it off the async workers.
fn lines<S>(app: &App<S>, index: usize, triages: &[atoll_store::Triage], sent: &[(String, String, u64)]) -> Vec<Line> {
    let live = &app.live;
    let start = live.start_unix_ms();
    let label = |t: u64| live.label(start + t as i64, app.day_one);
    let status = crate::score::team_status(app, index, triages);
    let steps = live.scenario.campaigns.iter().flat_map(|c| c.steps.iter());
    let mut out: Vec<Line> = status
        .progress
        .iter()
        .map(|p| {
            let def = steps.clone().find(|s| s.id.name == p.step);
            let name = def.map_or_else(|| p.step.clone(), |s| s.name.get("en").to_owned());
            let technique = def.map(|s| {
                let tactic = s.tactic.map(|t| format!(", {}", t.as_str().replace('_', " ")));
                format!("{}{}", s.technique.as_str(), tactic.unwrap_or_default())
            });
            let planned = def.map_or_else(String::new, |s| match (&s.at, &s.after) {
                (Some(at), _) => format!("planned {}", at.value),
                (None, Some(after)) => format!("planned {}", after.value),
                (None, None) => "only if the step before it is blocked".to_owned(),
            });
            let (when, state) = match (p.status, p.at) {
                (Status::Succeeded, Some(at)) => (label(at), html! { strong.level-high { "ran" } }),
                (Status::Prevented, Some(at)) => (label(at), html! { "prevented" }),
                (Status::Prevented, None) => (planned, html! { "prevented" }),
                _ => (planned, html! { span.muted { "to come" } }),
            };
            let detected = match (p.status, p.at, p.detected) {
                (Status::Succeeded, Some(at), Some(d)) => {
                    format!("{} ({} after)", label(d), span(d.saturating_sub(at)))
                }
                (Status::Succeeded, _, None) => "not yet".to_owned(),
                _ => String::new(),
            };
            Line {
                at: p.at,
                when,
                what: html! {
                    (name) " " span.muted { "(" (p.step) @if let Some(t) = &technique { " · " (t) } ")" }
                },
                status: state,
                detected,
                notes: def
                    .and_then(|s| s.notes.as_ref())
                    .map(|n| n.get("en").to_owned())
                    .unwrap_or_default(),
            }
        })
        .collect();
    for (at, inject, _) in crate::inbox::arrivals(live, index, sent) {
        out.push(Line {
            at: Some(at),
            when: label(at),
            what: html! { "Inject: " (inject.subject.get("en")) " " span.muted { "(" (inject.id.name) ")" } },
            status: html! { "arrived" },
            detected: String::new(),
            notes: String::new(),
        });
    }
    // By time; what has no time yet keeps its scenario order after everything that has.
    out.sort_by_key(|l| l.at.map_or((1, 0), |t| (0, t)));
    out
}
