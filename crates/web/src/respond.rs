//! A team's response: the actions of the simulation as a form, a confirmation that states what
//! the action costs, and the log of who did what when.

use std::sync::Arc;

use atoll_sim::actions::WHITE_CELL_ACTIONS;
use atoll_store::{Role, Store};
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use crate::auth::{TeamActor, TeamView};
use crate::{App, clock_now, html};

/// The response actions a team can take, and what each costs (`{}` is the target). What each
/// takes as its target comes from the simulation's own list of actions.
const ACTIONS: &[(&str, &str)] = &[
    (
        "isolate_host",
        "{} is cut off the network: nothing reaches it or leaves it, including the services it runs for its users, until you release it.",
    ),
    ("release_host", "{} goes back on the network."),
    (
        "block_address",
        "Nothing in your network can reach {}, and {} cannot reach your network.",
    ),
    (
        "block_domain",
        "Names under {} stop resolving for everyone in your network, whatever uses them.",
    ),
    (
        "disable_account",
        "{} cannot sign in anywhere until the account is enabled again.",
    ),
    ("enable_account", "{} can sign in again."),
    (
        "reset_password",
        "{} gets a new password: whoever knew the old one is locked out, and so is its owner until told the new one.",
    ),
    (
        "reimage_host",
        "{} is wiped and rebuilt: down for four hours, and what changed on it since it was built is lost.",
    ),
    ("restore_backup", "{} goes back to its last backup: down for two hours."),
    ("patch_host", "{} is patched and restarts: down for twenty minutes."),
    (
        "shutdown_host",
        "{} is switched off, with every service it runs, until it is started again.",
    ),
    ("start_host", "{} is switched on."),
    ("stop_service", "The service {} stops for everyone who uses it."),
    ("start_service", "The service {} starts again."),
];

/// The services an action on a host takes down with it (`Customer portal — Palau Telecom,
/// critical`), as the team's world stands: what the confirmation names as the cost.
fn affected_services(runtime: &atoll_exercise::TeamRuntime<'_>, kind: &atoll_sim::ActionKind) -> Vec<String> {
    use atoll_sim::ActionKind as K;
    let host = match kind {
        K::IsolateHost(h) | K::ShutdownHost(h) | K::ReimageHost(h) | K::RestoreBackup(h) | K::PatchHost(h) => h,
        _ => return Vec::new(),
    };
    let Some(world) = runtime.world() else {
        return Vec::new();
    };
    let Some(index) = world.hosts.iter().position(|h| h.def.id.name == *host) else {
        return Vec::new();
    };
    world
        .services
        .iter()
        .filter(|s| s.hosts.contains(&index))
        .map(|s| {
            let org = world.orgs.get(s.org).map_or("", |o| o.def.name.as_str());
            format!("{} — {org}, {}", s.def.name.get("en"), s.def.criticality.as_str())
        })
        .collect()
}

/// What an action takes as its target (`host`, `account`, …), as the simulation reads it.
fn target_of(action: &str) -> &'static str {
    atoll_sim::actions::ACTIONS
        .iter()
        .find(|(word, _)| *word == action)
        .and_then(|(_, needs)| needs.first().copied())
        .unwrap_or("target")
}

fn label(action: &str) -> String {
    let mut text = action.replace('_', " ");
    if let Some(first) = text.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    text
}

/// The response page: the form (for those who may act) and the team's action log.
pub(crate) async fn page<S: Store>(State(app): State<Arc<App<S>>>, view: TeamView) -> Response {
    render(&app, &view, None, ("", "")).await
}

/// The page; `problem` says why a form was refused and `draft` (action, target) is what it
/// held, filled in again.
async fn render<S: Store>(app: &App<S>, view: &TeamView, problem: Option<&str>, draft: (&str, &str)) -> Response {
    let (team_id, team_name) = (app.live.team_id(view.team), app.live.team_name(view.team));
    let log = match app.db.actions(app.live.exercise).await {
        // The white cell's changes to the campaign are not the team's to see.
        Ok(all) => all
            .into_iter()
            .filter(|a| a.team == team_id && !WHITE_CELL_ACTIONS.contains(&a.action.as_str()))
            .collect::<Vec<_>>(),
        Err(_) => {
            return html::problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "The server cannot read its database right now.",
            );
        }
    };
    let start = app.live.start_unix_ms();
    let body = html! {
        h1 { "Respond — " (team_name) }
        (html::refusal(problem))
        @if view.user.role != Role::Observer {
            form method="post" action={ "/teams/" (team_id) "/respond" } {
                label for="action" { "Action " }
                select #action name="action" {
                    @for (word, _) in ACTIONS { option value=(word) selected[*word == draft.0] { (label(word)) " (" (target_of(word)) ")" } }
                }
                " "
                label for="target" { "Target " }
                input #target name="target" required value=(draft.1) placeholder="PT-WEB01, 203.0.113.45, PACTEL\\svc_prtg, …";
                " "
                button type="submit" { "Review…" }
            }
            p.muted { "You will see what the action costs before it is taken. Actions take effect from the exercise time you confirm them." }
        }
        h2 { "Action log" }
        @if log.is_empty() { p.muted { "No action taken yet." } } @else {
            table {
                thead { tr { th { "Time" } th { "Action" } th { "Target" } th { "By" } } }
                tbody {
                    @for a in log.iter().rev() {
                        tr {
                            td { (app.live.label(start + a.at as i64, app.day_one)) }
                            td { (label(&a.action)) }
                            td.mono { (a.target) }
                            td { (a.username) }
                        }
                    }
                }
            }
        }
    };
    html::form_page(&app.live, "Respond", &view.user, problem, &body)
}

#[derive(Debug, Deserialize)]
pub(crate) struct ActionForm {
    action: Option<String>,
    target: Option<String>,
    confirm: Option<String>,
}

/// A response action checked against the team's world: the action as the simulation takes
/// it, the time it takes effect at, what it costs (with `{}` for the target) and the services
/// that stop with it.
pub(crate) struct Checked {
    pub parsed: atoll_sim::Action,
    pub at: u64,
    pub cost: &'static str,
    pub affected: Vec<String>,
}

/// Checks response action `action` on `target` for team `index`; the error names the field.
pub(crate) async fn check_action<S: Store>(
    app: &Arc<App<S>>,
    index: usize,
    action: &str,
    target: &str,
) -> Result<Checked, String> {
    let Some((_, cost)) = ACTIONS.iter().find(|(w, _)| *w == action) else {
        return Err(format!("action: `{action}` is not a response action"));
    };
    if target.is_empty() || target.chars().count() > 200 {
        return Err("target: name a host, address, domain, account or service (at most 200 characters)".to_owned());
    }
    // The exercise lock is taken on a blocking thread, as everywhere.
    let worker = app.clone();
    let (name, verb, object) = (app.live.team_id(index), action.to_owned(), target.to_owned());
    tokio::task::spawn_blocking(move || {
        let clock_time = worker.live.now();
        let now = clock_time.max(worker.live.team(index).reached());
        // Whole seconds, never before the time the world has reached.
        let at = now.div_ceil(1000) * 1000;
        let parsed = worker.live.action(&name, at, &verb, &object)?;
        let affected = affected_services(&worker.live.team(index), &parsed.kind);
        Ok(Checked {
            parsed,
            at,
            cost,
            affected,
        })
    })
    .await
    .unwrap_or_else(|_| Err("the action could not be checked".to_owned()))
}

/// Why an action was not taken.
pub(crate) enum NotTaken {
    /// The field at fault, and what is wrong with it: the form comes back.
    Refused(String),
    /// The answer to give (it could not be stored, or was stored but refused by the world).
    Failed(Response),
}

/// Takes response action `action` on `target` for team `index` by `user`, now: checked,
/// stored, then applied. Returns the stored action's id and its exercise time.
pub(crate) async fn take_action<S: Store>(
    app: &Arc<App<S>>,
    index: usize,
    user: i64,
    action: &str,
    target: &str,
) -> Result<(i64, u64), NotTaken> {
    // Actions and clock changes go one at a time, so the time an action is checked for is the
    // time it is taken at.
    let _writing = app.clock_writes.lock().await;
    let checked = check_action(app, index, action, target)
        .await
        .map_err(NotTaken::Refused)?;
    let taken = Taken {
        team: index,
        at: checked.at,
        action,
        target,
        user,
        what: "action",
    };
    store_and_apply(app, taken, checked.parsed)
        .await
        .map_err(NotTaken::Failed)
}

/// Reviews an action (what it will cost), or takes it once confirmed: stored first, then
/// applied to the team's world from the current exercise time.
pub(crate) async fn act<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamActor(view): TeamActor,
    Form(form): Form<ActionForm>,
) -> Response {
    // `TeamView` has checked the team exists.
    let team_id = app.live.team_id(view.team);
    let action = form.action.unwrap_or_default();
    let target = form.target.unwrap_or_default().trim().to_owned();
    if form.confirm.as_deref() != Some("yes") {
        let checked = match check_action(&app, view.team, &action, &target).await {
            Ok(checked) => checked,
            Err(message) => return render(&app, &view, Some(&message), (&action, &target)).await,
        };
        let (cost, affected) = (checked.cost, checked.affected);
        let body = html! {
            h1 { "Confirm: " (label(&action)) " " span.mono { (target) } }
            p { (cost.replace("{}", &target)) }
            @if !affected.is_empty() {
                p { strong { "Services that stop with it" } " (for everyone who uses them):" }
                ul { @for service in &affected { li { (service) } } }
            }
            form method="post" action={ "/teams/" (team_id) "/respond" } {
                input type="hidden" name="action" value=(action);
                input type="hidden" name="target" value=(target);
                button name="confirm" value="yes" { "Yes, " (label(&action).to_lowercase()) }
                " "
                a href={ "/teams/" (team_id) "/respond" } { "Cancel" }
            }
        };
        return html::page(&app.live, "Confirm", Some(&view.user), &body).into_response();
    }
    match take_action(&app, view.team, view.user.id, &action, &target).await {
        Ok(_) => Redirect::to(&format!("/teams/{team_id}/respond")).into_response(),
        Err(NotTaken::Refused(message)) => render(&app, &view, Some(&message), (&action, &target)).await,
        Err(NotTaken::Failed(page)) => page,
    }
}

/// An action checked and about to be taken, as it is stored.
pub(crate) struct Taken<'a> {
    pub team: usize,
    pub at: u64,
    pub action: &'a str,
    /// Its fields, one per line.
    pub target: &'a str,
    pub user: i64,
    /// What the page calls it: `action`, `change`.
    pub what: &'a str,
}

/// Stores an action, then applies it to the team's world: stored first, so that what the
/// world did is never more than the database knows; returns its id and the time it took effect.
/// From the moment its time is fixed until
/// it is taken, the world waits there ([`atoll_exercise::TeamRuntime::hold`]), so that a tick
/// cannot pass it while the database writes; the whole runs to the end even if the request
/// goes away, so the world is never left waiting. The world then shows what the action did at
/// once, even while the clock is paused. The error is the page to answer with.
pub(crate) async fn store_and_apply<S: Store>(
    app: &Arc<App<S>>,
    taken: Taken<'_>,
    mut parsed: atoll_sim::Action,
) -> Result<(i64, u64), Response> {
    let app = app.clone();
    let (team, what) = (taken.team, taken.what.to_owned());
    let (action, target, user, wanted) = (taken.action.to_owned(), taken.target.to_owned(), taken.user, taken.at);
    let task = tokio::spawn(async move {
        let worker = app.clone();
        let at = tokio::task::spawn_blocking(move || {
            let mut runtime = worker.live.team(team);
            // Whole seconds, never before the time the world has reached.
            let at = wanted.max(runtime.reached().div_ceil(1000) * 1000);
            runtime.hold(at)
        })
        .await
        .map_err(|_| html::problem(StatusCode::INTERNAL_SERVER_ERROR, "The server failed while taking it."))?;
        parsed.at = at;
        let team_id = app.live.team_id(team);
        let stored = app
            .db
            .record_action(app.live.exercise, &team_id, at, &action, &target, user, clock_now())
            .await;
        let worker = app.clone();
        let Ok(id) = stored else {
            let _ = tokio::task::spawn_blocking(move || worker.live.team(team).release(at)).await;
            return Err(html::problem(
                StatusCode::SERVICE_UNAVAILABLE,
                &format!("The {what} could not be stored, so it was not taken; try again."),
            ));
        };
        let applied = tokio::task::spawn_blocking(move || worker.live.team(team).take_now(parsed).map_err(|e| e.0))
            .await
            .unwrap_or_else(|_| Err("the server failed while applying it".to_owned()));
        // Stored but refused: it will be refused again at replay. Say so rather than hide it.
        applied.map(|()| (id, at)).map_err(|e| {
            html::problem(
                StatusCode::CONFLICT,
                &format!("The {what} was recorded but could not be applied: {e}"),
            )
        })
    });
    match task.await {
        Ok(done) => done,
        Err(_) => Err(html::problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The server failed while taking it.",
        )),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_response_action_is_one_the_simulation_takes_with_one_target() {
        for (word, cost) in super::ACTIONS {
            let needs = atoll_sim::actions::ACTIONS
                .iter()
                .find(|(w, _)| w == word)
                .map(|(_, n)| n.len());
            assert_eq!(needs, Some(1), "{word}");
            assert!(cost.contains("{}"), "{word}: the cost names the target");
        }
    }
}
