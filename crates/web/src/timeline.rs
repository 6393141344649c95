//! The white cell's timeline of one team: every campaign step with what became of it (ran,
//! prevented, skipped, still to come and when it is planned), when the team detected it, and
//! the facilitator's notes; the injects that have arrived; and what the white cell changed.
//! Staff only: it shows what comes next. Instructors can run a step that is still to come
//! now, delay it or skip it, for this team alone; the change is stored like a team action,
//! so it survives a restart, and the team never sees it.

use std::sync::Arc;

use atoll_exercise::ExerciseMs;
use atoll_exercise::score::span;
use atoll_sim::actions::{SKIPPED, WHITE_CELL_ACTIONS};
use atoll_sim::campaign::Status;
use atoll_store::{ActionRecord, Role, Store};
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use crate::auth::StaffTeamView;
use atoll_app::steps::{CHANGES, change_step};

use crate::{App, html};

/// One line of the timeline.
struct Line {
    /// Exercise time, for ordering; steps still to come sort last, in scenario order.
    at: Option<u64>,
    /// A step still to come, which an instructor may change.
    pending: Option<String>,
    when: String,
    what: Markup,
    status: Markup,
    detected: String,
    notes: String,
}

pub(crate) async fn page<S: Store>(
    State(app): State<Arc<App<S>>>,
    view: StaffTeamView,
    Query(changed): Query<Changed>,
) -> Response {
    let done = changed.said(&app.live);
    render_with(&app, &view, None, done.as_deref()).await
}

/// What the page answers with after a change (`?step=vt-stage&change=run`).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Changed {
    step: Option<String>,
    change: Option<String>,
}

impl Changed {
    /// What the change did, in words; nothing for a step or change this page does not know.
    fn said(&self, live: &crate::Live) -> Option<String> {
        let step = self.step.as_deref()?;
        live.scenario
            .campaigns
            .iter()
            .flat_map(|c| c.steps.iter())
            .find(|s| s.id.name == step)?;
        let change = self.change.as_deref()?;
        let running = matches!(live.clock().state, atoll_exercise::State::Running { .. });
        Some(match change {
            "run" if running => format!("Step {step} runs now, at {}.", live.when(ExerciseMs(live.now()))),
            "run" => format!(
                "Step {step} will run when the clock resumes (the clock stands at {}).",
                live.when(ExerciseMs(live.now()))
            ),
            "skip" => format!("Step {step} is skipped for this team: it will not run, and is not scored."),
            other => {
                let by = other
                    .strip_prefix("delay:")
                    .filter(|_| CHANGES.iter().any(|(v, _)| *v == other))?;
                format!("Step {step} is delayed by {by} for this team; the steps timed after it move with it.")
            }
        })
    }
}

async fn render<S: Store>(app: &Arc<App<S>>, view: &StaffTeamView, problem: Option<&str>) -> Response {
    render_with(app, view, problem, None).await
}

async fn render_with<S: Store>(
    app: &Arc<App<S>>,
    view: &StaffTeamView,
    problem: Option<&str>,
    done: Option<&str>,
) -> Response {
    let index = view.0.team;
    let team_id = app.live.team_id(index);
    let (Ok(records), Ok(actions)) = (
        atoll_app::score::records(app, &team_id).await,
        app.db.actions(app.live.exercise).await,
    ) else {
        return html::problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "The timeline could not be read; try again.",
        );
    };
    let changes: Vec<ActionRecord> = actions
        .into_iter()
        .filter(|a| a.team == team_id && WHITE_CELL_ACTIONS.contains(&a.action.as_str()))
        .collect();
    let worker = app.clone();
    let built = tokio::task::spawn_blocking(move || lines(&worker, index, &records, &changes)).await;
    let Ok(lines) = built else {
        return html::problem(StatusCode::INTERNAL_SERVER_ERROR, "This page failed.");
    };
    let team_name = app.live.team_name(index);
    let instructor = view.0.user.role == Role::Instructor;
    let body = html! {
        h1 { "Timeline — " (team_name) }
        p.muted {
            "What the adversary did in this team's network and when, what the team's response prevented, what is still to come, and the injects that reached the team. "
            "Players never see this page."
        }
        (html::refusal(problem))
        @if let Some(done) = done { p.done role="status" { (done) } }
        @if instructor {
            p.muted {
                "A step still to come can be run now, delayed or skipped for this team alone. "
                "Steps timed after it move with it; a skipped step leaves no trace, is not scored, and the steps after it go on as if it had run."
            }
        }
        table {
            thead { tr { th { "When" } th { "What" } th { "Status" } th { "Detected" } th { "Notes for the white cell" } } }
            tbody {
                @for line in &lines {
                    tr id=[line.pending.as_ref().map(|s| format!("step-{s}"))] {
                        td { (line.when) }
                        td { (line.what) }
                        td {
                            (line.status)
                            @if let (true, Some(step)) = (instructor, &line.pending) {
                                form.inline method="post" action={ "/teams/" (team_id) "/timeline" } {
                                    " "
                                    input type="hidden" name="step" value=(step);
                                    select name="change" aria-label={ "Change " (step) } {
                                        @for (value, label) in CHANGES { option value=(value) { (label) } }
                                    }
                                    " "
                                    button { "Apply" }
                                }
                            }
                        }
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
    html::form_page(
        &app.live,
        &format!("Timeline — {team_name}"),
        &view.0.user,
        problem,
        &body,
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct ChangeForm {
    step: Option<String>,
    /// One of [`CHANGES`].
    change: Option<String>,
}

/// An instructor runs, delays or skips a step still to come, for this team. Stored first, then
/// applied from the current exercise time, as a team's response action is.
pub(crate) async fn change<S: Store>(
    State(app): State<Arc<App<S>>>,
    view: StaffTeamView,
    Form(form): Form<ChangeForm>,
) -> Response {
    if view.0.user.role != Role::Instructor {
        return html::problem(StatusCode::FORBIDDEN, "Only instructors can change the campaign.");
    }
    let team_id = app.live.team_id(view.0.team);
    let step = form.step.unwrap_or_default().trim().to_owned();
    let change = form.change.unwrap_or_default();
    match change_step(&app, view.0.team, &view.0.user, &step, &change).await {
        Ok(_) => {
            // The page says what the change did.
            let said =
                serde_urlencoded::to_string([("step", step.as_str()), ("change", change.as_str())]).unwrap_or_default();
            Redirect::to(&format!("/teams/{team_id}/timeline?{said}")).into_response()
        }
        Err(e) if e.is_refusal() => render(&app, &view, Some(&e.to_string())).await,
        Err(e) => html::failure(&e),
    }
}

/// The team's lines, in exercise time. Takes the team's lock: call it off the async workers.
fn lines<S>(app: &App<S>, index: usize, records: &atoll_app::score::Records, changes: &[ActionRecord]) -> Vec<Line> {
    let live = &app.live;
    let label = |t: u64| live.when(ExerciseMs(t));
    let status = atoll_app::score::team_status(app, index, records);
    // When the steps still to come would run if all goes as planned.
    let forecast = live.team(index).forecast();
    let steps = live.scenario.campaigns.iter().flat_map(|c| c.steps.iter());
    // The delays the white cell gave each step, in the order given.
    let delays = |step: &str| -> Vec<&str> {
        changes
            .iter()
            .filter(|c| c.action == "delay_step")
            .filter_map(|c| c.target.split_once('\n'))
            .filter(|(s, _)| *s == step)
            .map(|(_, by)| by)
            .collect()
    };
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
            let expected = forecast
                .get(p.step.as_str())
                .map_or_else(String::new, |&t| format!("; expected about {}", label(t)));
            let planned = def.map_or_else(String::new, |s| match (&s.at, &s.after) {
                (Some(at), _) => format!("planned {}{expected}", at.value),
                (None, Some(after)) => format!("planned {}{expected}", after.value),
                (None, None) => "only if the step before it is blocked".to_owned(),
            });
            let skipped = p.reason.as_deref() == Some(SKIPPED);
            let (when, state) = match (p.status, p.at) {
                (Status::Succeeded, Some(at)) => (label(at), html! { strong.level-high { "ran" } }),
                (Status::Prevented, Some(at)) if skipped => (label(at), html! { "skipped by the white cell" }),
                (Status::Prevented, Some(at)) => (label(at), html! { "prevented" }),
                (Status::Prevented, None) => (planned, html! { "prevented" }),
                _ => (planned, html! { span.muted { "to come" } }),
            };
            let pending = (p.status == Status::Pending && p.at.is_none()).then(|| p.step.clone());
            let given = delays(&p.step);
            let when = if pending.is_some() && !given.is_empty() {
                format!("{when}, then delayed by {}", given.join(" + "))
            } else {
                when
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
                pending,
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
    for (at, inject, _) in atoll_app::inbox::arrivals(live, index) {
        out.push(Line {
            at: Some(at),
            pending: None,
            when: label(at),
            what: html! { "Inject: " (inject.subject.get("en")) " " span.muted { "(" (inject.id.name) ")" } },
            status: html! { "arrived" },
            detected: String::new(),
            notes: String::new(),
        });
    }
    // Decisions: when each reached the team, and the option taken (by the team, or the
    // default when its deadline passed).
    let (arrived, decided) = {
        let runtime = live.team_now(index);
        (runtime.arrivals(), runtime.decisions())
    };
    for a in arrived.iter().filter(|a| a.kind == atoll_sim::items::Kind::Decision) {
        out.push(Line {
            at: Some(a.at),
            pending: None,
            when: label(a.at),
            what: html! { "Decision put to the team " span.muted { "(" (a.id) ")" } },
            status: html! { "arrived" },
            detected: String::new(),
            notes: String::new(),
        });
    }
    for (id, option, at) in decided {
        let Some(d) = live.scenario.decisions.iter().find(|d| d.id.name == id) else {
            continue;
        };
        let text = d
            .options
            .iter()
            .find(|o| o.id.name == option)
            .map_or(option.to_owned(), |o| o.text.get("en").to_owned());
        let arrival = arrived.iter().find(|a| a.id == id).map(|a| a.at);
        let by_default = d.default.as_ref().is_some_and(|x| x.name == option)
            && d.deadline
                .as_ref()
                .zip(arrival)
                .is_some_and(|(dl, a)| a + dl.value.as_secs() * 1000 == at);
        out.push(Line {
            at: Some(at),
            pending: None,
            when: label(at),
            what: html! { "Decision: «" (text) "» " span.muted { "(" (id) ", option " (option) ")" } },
            status: html! { @if by_default { "default at the deadline" } @else { "chosen" } },
            detected: String::new(),
            notes: String::new(),
        });
    }
    for c in changes {
        let mut fields = c.target.split('\n');
        let step = fields.next().unwrap_or_default();
        let what = match (c.action.as_str(), fields.next()) {
            ("run_step", _) => format!("White cell: ran step {step} now"),
            ("skip_step", _) => format!("White cell: skipped step {step}"),
            (_, Some(by)) => format!("White cell: delayed step {step} by {by}"),
            _ => format!("White cell: {} {step}", c.action),
        };
        out.push(Line {
            at: Some(c.at),
            pending: None,
            when: label(c.at),
            what: html! { (what) },
            status: html! { "by " (c.username) },
            detected: String::new(),
            notes: String::new(),
        });
    }
    // By time; what has no time yet keeps its scenario order after everything that has.
    out.sort_by_key(|l| l.at.map_or((1, 0), |t| (0, t)));
    out
}
