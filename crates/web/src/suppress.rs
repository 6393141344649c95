//! A team's suppressions: tuning, as a SOC does it. A suppression names a rule (by the title its
//! alerts show), optionally narrowed to a host and to one more field of the event (`Image`,
//! `User`, …), with a reason. While it is in force, its alerts, those already raised and those
//! to come, leave the queue and are counted as suppressed; nothing is deleted, the queue shows
//! them on request (`state=suppressed`), and ending the suppression brings them back.
//!
//! Scoring reads them (`atoll_exercise::score`): a suppression that hides a campaign step's
//! alerts costs points, one that takes many false positives out of the queue earns a few.

use std::sync::Arc;

use atoll_app::limits::{
    ENDED_SUPPRESSIONS_PAGE, SUPPRESSION_REASON_CHARS, SUPPRESSION_VALUE_CHARS, SUPPRESSIONS_IN_FORCE, left, near,
    newest_page,
};
use atoll_app::suppress::{describe, hidden};
use atoll_exercise::ExerciseMs;
use atoll_store::{Role, Store};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use crate::auth::{TeamActor, TeamView};
use crate::pages::blocking;
use crate::{App, html};

/// The form, as typed (kept when refused).
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct SuppressForm {
    #[serde(default)]
    rule: String,
    #[serde(default)]
    host: String,
    #[serde(default)]
    field: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    reason: String,
    /// The page of ended suppressions: those below this id.
    #[serde(default)]
    before: Option<String>,
}

/// The team's suppressions, and the form to make one (filled from the address: the queue's
/// groups link here with their rule and host).
pub(crate) async fn page<S: Store>(
    State(app): State<Arc<App<S>>>,
    view: TeamView,
    Query(form): Query<SuppressForm>,
) -> Response {
    show(app, view, form, None).await
}

async fn show<S: Store>(app: Arc<App<S>>, view: TeamView, form: SuppressForm, problem: Option<String>) -> Response {
    let before = match html::before(form.before.as_deref()) {
        Ok(before) => before,
        Err(page) => return *page,
    };
    let team_id = app.live.team_id(view.team);
    let Ok(list) = app.db.suppressions(app.live.exercise, Some(&team_id)).await else {
        return html::problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "The server cannot read its database right now.",
        );
    };
    let heading = html::heading(&app, &view.user).await;
    blocking(move || {
        let live = &app.live;
        let runtime = live.team(view.team);
        let alerts = runtime.alerts();
        let hidden = hidden(&list, alerts, runtime.store());
        let rules = atoll_app::queue::rule_titles(&runtime);
        let label = |at: u64| live.when(ExerciseMs(at));
        let acts = view.user.role != Role::Observer;
        let suppressed: usize = hidden.iter().map(|(_, h)| h.len()).sum();
        let in_force = list.iter().filter(|s| s.ended.is_none()).count();
        // Those in force, all of them (a few dozen at most), newest first; then a page of
        // the ended ones.
        let ended = newest_page(
            list.iter().filter(|s| s.ended.is_some()),
            |s| s.id,
            before,
            ENDED_SUPPRESSIONS_PAGE,
        );
        let shown: Vec<_> = list
            .iter()
            .rev()
            .filter(|s| s.ended.is_none() && before.is_none())
            .chain(ended.iter().copied())
            .collect();
        let pager = html::pager(
            &format!("/teams/{team_id}/suppressions"),
            before,
            ended.len(),
            ENDED_SUPPRESSIONS_PAGE,
            ended.last().map(|s| s.id),
        );
        let body = html! {
            p { a href={ "/teams/" (team_id) } { "← Alerts" } }
            h1 { "Suppressions — " (live.team_name(view.team)) }
            p {
                "A suppression takes a rule's alerts out of the queue, on one host or where one field of the event has a value: those raised already and those to come. "
                "Nothing is deleted: the queue shows them under “suppressed”, and ending the suppression brings them back. "
                "Suppressing what you have checked and found harmless earns a few points; a suppression that hides the attack costs points."
            }
            (html::refusal(problem.as_deref()))
            p { (suppressed) " alerts suppressed now." }
            @if list.is_empty() { p.muted { "No suppressions yet. The alerts page's “By rule and host” view has a “Suppress…” link on each group." } }
            @else { table {
                thead { tr { th { "Suppression" } th { "Reason" } th { "By" } th { "Hides" } th { "" } } }
                tbody {
                    @for s in &shown {
                        tr id={ "suppression-" (s.id) } {
                            td { (describe(s)) }
                            td { (s.reason) }
                            td { (s.username) " at " (label(s.at)) }
                            td.num {
                                @match hidden.iter().find(|(id, _)| *id == s.id) {
                                    Some((_, h)) => { a href={ "/teams/" (team_id) "?state=suppressed&rule=" (urlencode(&s.rule)) } { (h.len()) } }
                                    None => { "—" }
                                }
                            }
                            td {
                                @match &s.ended {
                                    Some((at, who)) => { "ended by " (who) " at " (label(*at)) }
                                    None => {
                                        @if acts {
                                            form.inline method="post" action={ "/teams/" (team_id) "/suppressions/" (s.id) "/end" } {
                                                button type="submit" aria-label={ "End the suppression " (describe(s)) } { "End" }
                                            }
                                        } @else { "in force" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            (pager) }
            @if acts {
                h2 { "Suppress" }
                form method="post" action={ "/teams/" (team_id) "/suppressions" } {
                    p { label for="rule" { "Rule " }
                        select #rule name="rule" required {
                            option value="" { "choose a rule" }
                            @for r in &rules { option value=(r) selected[form.rule == *r] { (r) } }
                        } }
                    p { label for="host" { "Only on host " } input #host name="host" value=(form.host) size="20" placeholder="host name (optional)"; }
                    p { label for="field" { "Only where the field " } input #field name="field" value=(form.field) size="16" placeholder="Image (optional)";
                        label for="value" { " is " } input #value name="value" value=(form.value) size="40" maxlength=(SUPPRESSION_VALUE_CHARS) placeholder="C:\\Program Files\\…"; }
                    p { label for="reason" { "Reason " } input #reason name="reason" value=(form.reason) size="60" maxlength=(SUPPRESSION_REASON_CHARS) required placeholder="the monitoring server's nightly inventory"; }
                    button type="submit" { "Suppress" }
                    @if near(in_force as u32, SUPPRESSIONS_IN_FORCE as u32) {
                        p.muted { "Your team can put " (left(in_force as u32, SUPPRESSIONS_IN_FORCE as u32)) " more suppressions in force (at most " (SUPPRESSIONS_IN_FORCE) " at once; ending one frees its place)." }
                    }
                }
            }
        };
        html::form_page(heading, "Suppressions", &view.user, problem.as_deref(), &body)
    })
    .await
}

fn urlencode(text: &str) -> String {
    serde_urlencoded::to_string([("", text)])
        .unwrap_or_default()
        .trim_start_matches('=')
        .to_owned()
}

/// Makes a suppression, checked first: a refused one stores nothing and comes back filled in.
pub(crate) async fn create<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamActor(view): TeamActor,
    Form(form): Form<SuppressForm>,
) -> Response {
    let team_id = app.live.team_id(view.team);
    let asked = atoll_app::suppress::NewSuppression {
        rule: form.rule.clone(),
        host: form.host.clone(),
        field: form.field.clone(),
        value: form.value.clone(),
        reason: form.reason.clone(),
    };
    match atoll_app::suppress::create(&app, view.team, &view.user, asked).await {
        Ok(made) => Redirect::to(&format!("/teams/{team_id}/suppressions#suppression-{}", made.id)).into_response(),
        Err(e) if e.is_refusal() => show(app, view, form, Some(e.to_string())).await,
        Err(e) => html::failure(&e),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct EndPath {
    id: i64,
}

/// Ends a suppression: its alerts come back to the queue.
pub(crate) async fn end<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamActor(view): TeamActor,
    Path(EndPath { id }): Path<EndPath>,
) -> Response {
    let team_id = app.live.team_id(view.team);
    match atoll_app::suppress::end(&app, view.team, &view.user, id).await {
        Ok(()) => Redirect::to(&format!("/teams/{team_id}/suppressions#suppression-{id}")).into_response(),
        Err(e) => html::failure(&e),
    }
}
