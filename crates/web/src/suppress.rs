//! A team's suppressions: tuning, as a SOC does it. A suppression names a rule (by the title its
//! alerts show), optionally narrowed to a host and to one more field of the event (`Image`,
//! `User`, …), with a reason. While it is in force, its alerts, those already raised and those
//! to come, leave the queue and are counted as suppressed; nothing is deleted, the queue shows
//! them on request (`state=suppressed`), and ending the suppression brings them back.
//!
//! Scoring reads them (`atoll_exercise::score`): a suppression that hides a campaign step's
//! alerts costs points, one that takes many false positives out of the queue earns a few.

use std::collections::HashMap;
use std::sync::Arc;

use atoll_exercise::Alert;
use atoll_store::{Role, Store, StoreError, Suppression};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use crate::auth::{TeamActor, TeamView};
use crate::pages::blocking;
use crate::{App, clock_now, html};

/// Suppressions a team may have in force at once.
pub(crate) const MAX_IN_FORCE: usize = 50;
const MAX_REASON: usize = 500;
const MAX_VALUE: usize = 500;

/// The suppressions in force, by the rule they name.
pub(crate) struct InForce<'s>(HashMap<&'s str, Vec<&'s Suppression>>);

impl<'s> InForce<'s> {
    pub(crate) fn of(list: &'s [Suppression]) -> InForce<'s> {
        let mut by: HashMap<&str, Vec<&Suppression>> = HashMap::new();
        for s in list.iter().filter(|s| s.ended.is_none()) {
            by.entry(s.rule.as_str()).or_default().push(s);
        }
        InForce(by)
    }

    /// Whether a suppression in force names the rule with this title.
    pub(crate) fn names(&self, title: &str) -> bool {
        self.0.contains_key(title)
    }

    /// The suppression that hides `alert`, if one does.
    pub(crate) fn hiding(&self, alert: &Alert, store: &atoll_hunt::Store) -> Option<&'s Suppression> {
        self.0
            .get(alert.title.as_str())?
            .iter()
            .find(|s| s.conditions.iter().all(|(f, v)| holds(f, v, alert, store)))
            .copied()
    }
}

fn holds(field: &str, value: &str, alert: &Alert, store: &atoll_hunt::Store) -> bool {
    if field == "host" {
        return alert.host.as_deref().is_some_and(|h| h.eq_ignore_ascii_case(value));
    }
    store
        .value(alert.row, field)
        .is_some_and(|(_, v)| v.eq_ignore_ascii_case(value))
}

/// A suppression as people read it: `«Rule» on PT-WEB01 where Image = C:\…`.
pub(crate) fn describe(s: &Suppression) -> String {
    let mut text = format!("«{}»", s.rule);
    for (field, value) in &s.conditions {
        if field == "host" {
            text.push_str(&format!(" on {value}"));
        } else {
            text.push_str(&format!(" where {field} = {value}"));
        }
    }
    text
}

/// For each suppression in force, the alerts it hides (indexes in `alerts`).
pub(crate) fn hidden(list: &[Suppression], alerts: &[Alert], store: &atoll_hunt::Store) -> Vec<(i64, Vec<usize>)> {
    let in_force = InForce::of(list);
    if in_force.0.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<(i64, Vec<usize>)> = list
        .iter()
        .filter(|s| s.ended.is_none())
        .map(|s| (s.id, Vec::new()))
        .collect();
    for (i, a) in alerts.iter().enumerate() {
        if let Some(s) = in_force.hiding(a, store)
            && let Some((_, hidden)) = out.iter_mut().find(|(id, _)| *id == s.id)
        {
            hidden.push(i);
        }
    }
    out
}

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
    let team_id = app.live.team_id(view.team);
    let Ok(list) = app.db.suppressions(app.live.exercise, Some(&team_id)).await else {
        return html::problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "The server cannot read its database right now.",
        );
    };
    blocking(move || {
        let live = &app.live;
        let runtime = live.team(view.team);
        let alerts = runtime.alerts();
        let hidden = hidden(&list, alerts, runtime.store());
        let rules = crate::alerts::rule_titles(&runtime);
        let start = runtime.start_unix_ms();
        let label = |at: u64| live.label(start + at as i64, app.day_one);
        let acts = view.user.role != Role::Observer;
        let suppressed: usize = hidden.iter().map(|(_, h)| h.len()).sum();
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
                    @for s in list.iter().rev() {
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
            } }
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
                        label for="value" { " is " } input #value name="value" value=(form.value) size="40" maxlength=(MAX_VALUE) placeholder="C:\\Program Files\\…"; }
                    p { label for="reason" { "Reason " } input #reason name="reason" value=(form.reason) size="60" maxlength=(MAX_REASON) required placeholder="the monitoring server's nightly inventory"; }
                    button type="submit" { "Suppress" }
                }
            }
        };
        html::form_page(live, "Suppressions", &view.user, problem.as_deref(), &body)
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
    let checked = check(&form);
    let (rule, conditions, reason) = match checked {
        Ok(c) => c,
        Err(problem) => return show(app, view, form, Some(problem)).await,
    };
    // The rule must be one the team has alerts from, and the suppression must leave some of
    // the team's alerts in the queue.
    let worker = app.clone();
    let index = view.team;
    let (rule_known, matches_all) = {
        let rule = rule.clone();
        let conditions = conditions.clone();
        tokio::task::spawn_blocking(move || {
            let runtime = worker.live.team(index);
            let alerts = runtime.alerts();
            let known = alerts.iter().any(|a| a.title == rule);
            let all = !alerts.is_empty()
                && alerts
                    .iter()
                    .all(|a| a.title == rule && conditions.iter().all(|(f, v)| holds(f, v, a, runtime.store())));
            (known, all)
        })
        .await
        .unwrap_or((false, false))
    };
    if !rule_known {
        return show(
            app,
            view,
            form,
            Some("rule: choose a rule your team has alerts from.".into()),
        )
        .await;
    }
    if matches_all {
        return show(
            app,
            view,
            form,
            Some("host: this would hide every alert your team has; narrow it to a host or a field's value.".into()),
        )
        .await;
    }
    let at = crate::exercise_now(&app).await;
    match app
        .db
        .suppress(
            app.live.exercise,
            &team_id,
            &rule,
            &conditions,
            &reason,
            view.user.id,
            at,
            clock_now(),
            MAX_IN_FORCE,
        )
        .await
    {
        Ok(id) => Redirect::to(&format!("/teams/{team_id}/suppressions#suppression-{id}")).into_response(),
        Err(StoreError::TooMany) => {
            show(
                app,
                view,
                form,
                Some(format!(
                    "rule: your team has {MAX_IN_FORCE} suppressions in force, the most it may; end one first."
                )),
            )
            .await
        }
        Err(_) => html::problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "The suppression could not be stored; try again.",
        ),
    }
}

/// A suppression as checked: the rule, the (field, value) conditions and the reason.
type Checked = (String, Vec<(String, String)>, String);

/// The rule, the conditions and the reason, or what is wrong, by field.
fn check(form: &SuppressForm) -> Result<Checked, String> {
    let rule = form.rule.trim();
    if rule.is_empty() {
        return Err("rule: choose the rule whose alerts to suppress.".into());
    }
    let reason = form.reason.trim();
    if reason.chars().count() < 3 || reason.chars().count() > MAX_REASON {
        return Err(format!(
            "reason: say why, in 3 to {MAX_REASON} characters (the white cell reads it)."
        ));
    }
    let mut conditions = Vec::new();
    let host = form.host.trim();
    if !host.is_empty() {
        if host.chars().count() > 255 || host.chars().any(char::is_control) {
            return Err("host: a host name, as the alerts show it.".into());
        }
        conditions.push(("host".to_owned(), host.to_owned()));
    }
    let (field, value) = (form.field.trim(), form.value.trim());
    match (field.is_empty(), value.is_empty()) {
        (true, true) => {}
        (false, true) => return Err(format!("value: give the value of {field} to suppress.")),
        (true, false) => return Err("field: name the field the value is of, e.g. Image.".into()),
        (false, false) => {
            if field.chars().count() > 100 || field.chars().any(|c| c.is_control() || c.is_whitespace()) {
                return Err("field: a field name as the event shows it, e.g. Image.".into());
            }
            if field == "host" {
                return Err("field: use “Only on host” for the host.".into());
            }
            if value.chars().count() > MAX_VALUE || value.chars().any(char::is_control) {
                return Err(format!("value: at most {MAX_VALUE} characters on one line."));
            }
            conditions.push((field.to_owned(), value.to_owned()));
        }
    }
    Ok((rule.to_owned(), conditions, reason.to_owned()))
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
    let at = crate::exercise_now(&app).await;
    match app
        .db
        .end_suppression(app.live.exercise, &team_id, id, view.user.id, at)
        .await
    {
        Ok(()) => Redirect::to(&format!("/teams/{team_id}/suppressions#suppression-{id}")).into_response(),
        Err(StoreError::NoSuppression) => html::problem(
            StatusCode::NOT_FOUND,
            "Your team has no suppression in force with that number.",
        ),
        Err(_) => html::problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "The suppression could not be ended; try again.",
        ),
    }
}
