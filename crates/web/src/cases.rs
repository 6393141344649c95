//! A team's incident cases: a title and a status, and a timeline of entries — notes, the
//! team's alerts linked to it (with the event that raised each), indicators (addresses,
//! domains, hashes, accounts, …) and status changes — each with who and when.

use std::sync::Arc;

use atoll_exercise::{ExerciseMs, UnixMs};
use atoll_store::{CaseEntry, Counted, Page, Role, Store, StoreError};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use crate::auth::{TeamActor, TeamView};
use crate::messages::PageQuery;
use crate::{App, html};
use atoll_app::alerts::alert_key;
use atoll_app::cases::{INDICATOR_KINDS, STATUSES};
use atoll_app::limits::{
    CASE_ENTRIES, CASE_ENTRIES_PAGE, CASE_NOTE_CHARS, CASE_TITLE_CHARS, CASES_PAGE, INDICATOR_CHARS, TEAM_CASES, left,
    near,
};

/// How many of the team's newest alerts the case page offers to link.
const ALERTS_OFFERED: usize = 100;

fn status_label(id: &str) -> &str {
    STATUSES.iter().find(|(k, _)| *k == id).map_or(id, |(_, l)| l)
}

/// The team's cases, newest first a page at a time, and a form to open one.
pub(crate) async fn list<S: Store>(
    State(app): State<Arc<App<S>>>,
    view: TeamView,
    Query(query): Query<PageQuery>,
) -> Response {
    match html::before(query.before.as_deref()) {
        Ok(before) => list_page(&app, &view, None, "", before).await,
        Err(page) => *page,
    }
}

async fn list_page<S: Store>(
    app: &Arc<App<S>>,
    view: &TeamView,
    problem: Option<&str>,
    typed: &str,
    before: Option<i64>,
) -> Response {
    let team_id = app.live.team_id(view.team);
    let page = Page::before(before, CASES_PAGE);
    let (Ok(cases), Ok(opened)) = (
        app.db.cases_page(app.live.exercise, &team_id, page).await,
        app.db.count(app.live.exercise, &team_id, Counted::Cases).await,
    ) else {
        return html::problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "The cases could not be read; try again.",
        );
    };
    let label = |t: u64| app.live.when(ExerciseMs(t));
    let body = html! {
        h1 { "Cases — " (app.live.team_name(view.team)) }
        p.muted { "An incident case gathers what your team knows: notes, the alerts and events that belong to it (link events from the Hunt page), indicators and where the response stands." }
        (html::refusal(problem))
        @if view.user.role != Role::Observer {
            form method="post" action={ "/teams/" (team_id) "/cases" } {
                label for="title" { "New case " }
                input #title name="title" required maxlength=(CASE_TITLE_CHARS) size="50" placeholder="Web shell on the customer portal" value=(typed);
                " "
                button type="submit" { "Open case" }
                @if near(opened, TEAM_CASES) {
                    p.muted { "Your team can open " (left(opened, TEAM_CASES)) " more cases in this exercise (at most " (TEAM_CASES) ")." }
                }
            }
        }
        @if cases.is_empty() { p.muted { "No case opened yet." } } @else {
            table {
                thead { tr { th { "Case" } th { "Status" } th { "Alerts" } th { "Events" } th { "Indicators" } th { "Notes" } th { "Opened" } } }
                tbody {
                    @for c in &cases {
                        tr {
                            td { a href={ "/teams/" (team_id) "/cases/" (c.id) } { (c.title) } }
                            td { (status_label(&c.status)) }
                            td.num { (c.alerts) }
                            td.num { (c.events) }
                            td.num { (c.indicators) }
                            td.num { (c.notes) }
                            td { (label(c.at)) " by " (c.username) }
                        }
                    }
                }
            }
        }
        (html::pager(&format!("/teams/{team_id}/cases"), before, cases.len(), CASES_PAGE, cases.last().map(|c| c.id)))
    };
    html::form_page(
        html::heading(app, &view.user).await,
        "Cases",
        &view.user,
        problem,
        &body,
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct OpenForm {
    title: Option<String>,
}

pub(crate) async fn open<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamActor(view): TeamActor,
    Form(form): Form<OpenForm>,
) -> Response {
    let title = form.title.unwrap_or_default();
    match atoll_app::cases::open(&app, view.team, &view.user, &title).await {
        Ok(opened) => Redirect::to(&format!("/teams/{}/cases/{}", opened.team, opened.id)).into_response(),
        // What was typed comes back in the form.
        Err(e) if e.is_refusal() => {
            let mut page = list_page(&app, &view, Some(&e.to_string()), &title, None).await;
            *page.status_mut() = html::status_of(e.kind);
            page
        }
        Err(e) => html::failure(&e),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct CasePath {
    id: i64,
}

pub(crate) async fn page<S: Store>(
    State(app): State<Arc<App<S>>>,
    view: TeamView,
    Path(CasePath { id }): Path<CasePath>,
    Query(query): Query<PageQuery>,
) -> Response {
    match html::before(query.before.as_deref()) {
        Ok(before) => case_page(&app, &view, id, None, &Typed::default(), before).await,
        Err(page) => *page,
    }
}

/// What was typed in a refused entry's form, shown again.
#[derive(Debug, Default)]
struct Typed {
    note: String,
    indicator: String,
}

/// An event linked to a case, as its page shows it.
struct LinkedEvent {
    row: u32,
    /// Time, host and log.
    summary: String,
    fields: Vec<(String, String)>,
}

/// An alert of the team as the case page offers and shows it.
struct AlertLine {
    row: u32,
    key: String,
    text: String,
    /// The event that raised it, field by field.
    event: Vec<(String, String)>,
}

async fn case_page<S: Store>(
    app: &Arc<App<S>>,
    view: &TeamView,
    id: i64,
    problem: Option<(&str, &str)>,
    typed: &Typed,
    before: Option<i64>,
) -> Response {
    let team_id = app.live.team_id(view.team);
    // The newest entries, a page at a time, read in the order they came.
    let page = Page::before(before, CASE_ENTRIES_PAGE);
    let (case, entries, stored) = match (
        app.db.case(app.live.exercise, &team_id, id, page).await,
        app.db
            .count(app.live.exercise, &team_id, Counted::CaseEntries(id))
            .await,
    ) {
        (Ok((case, mut entries)), Ok(stored)) => {
            entries.reverse();
            (case, entries, stored)
        }
        (Err(StoreError::NoCase), _) => return html::problem(StatusCode::NOT_FOUND, "No such case of this team."),
        _ => {
            return html::problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "The case could not be read; try again.",
            );
        }
    };
    let oldest_shown = entries.first().map(|e| e.id);
    let shown_count = entries.len();
    // The alerts on offer and the linked ones' events, read under the team's lock.
    // An alert is its event's row and its rule: two rules can fire on one event.
    let linked: Vec<(u32, String)> = entries
        .iter()
        .filter(|e| e.kind == "alert")
        .filter_map(|e| linked_alert(&e.body))
        .collect();
    let event_rows: Vec<u32> = entries
        .iter()
        .filter(|e| e.kind == "event")
        .filter_map(|e| e.body.parse().ok())
        .collect();
    // The team's verdicts: the alerts it judged to matter are offered first, false
    // positives not at all.
    let verdicts = app.verdicts(&team_id).await.unwrap_or_default();
    let worker = app.clone();
    let index = view.team;
    let Ok((offered, shown, events)) = tokio::task::spawn_blocking(move || {
        let live = &worker.live;
        let runtime = live.team(index);
        let line = |a: &atoll_exercise::Alert, with_event: bool| AlertLine {
            row: a.row,
            key: alert_key(a),
            text: format!(
                "{} · {}{}",
                live.when(ExerciseMs(a.at)),
                a.title,
                a.host.as_deref().map(|h| format!(" · {h}")).unwrap_or_default()
            ),
            event: if with_event {
                runtime
                    .store()
                    .event(a.row)
                    .into_iter()
                    .map(|(name, _, value)| (name.to_owned(), value.into_owned()))
                    .collect()
            } else {
                Vec::new()
            },
        };
        let alerts = runtime.alerts();
        let latest: std::collections::HashMap<(u32, &str), &str> = verdicts
            .iter()
            .map(|t| ((t.row, t.rule.as_str()), t.state.as_str()))
            .collect();
        let state = |a: &atoll_exercise::Alert| {
            latest
                .get(&(a.row, a.rule_id.as_deref().unwrap_or(&a.title)))
                .copied()
                .unwrap_or("new")
        };
        let open = |a: &&atoll_exercise::Alert| {
            state(a) != "false_positive" && !linked.iter().any(|(row, key)| *row == a.row && *key == alert_key(a))
        };
        // A process seen by Sysmon and by Security auditing is offered once, as in the queue.
        let firsts: Vec<&atoll_exercise::Alert> = alerts
            .iter()
            .enumerate()
            .filter(|&(i, _)| !runtime.is_second_sighting(i))
            .map(|(_, a)| a)
            .collect();
        let judged = firsts
            .iter()
            .copied()
            .rev()
            .filter(open)
            .filter(|a| matches!(state(a), "true_positive" | "investigating"));
        let others = firsts.iter().copied().rev().filter(open).filter(|a| state(a) == "new");
        let offered: Vec<AlertLine> = judged
            .chain(others)
            .take(ALERTS_OFFERED)
            .map(|a| line(a, false))
            .collect();
        let shown: Vec<AlertLine> = alerts
            .iter()
            .filter(|a| linked.iter().any(|(row, key)| *row == a.row && *key == alert_key(a)))
            .map(|a| line(a, true))
            .collect();
        let store = runtime.store();
        let events: Vec<LinkedEvent> = event_rows
            .iter()
            .filter(|&&row| (row as usize) < store.len())
            .map(|&row| {
                let fields: Vec<(String, String)> = store
                    .event(row)
                    .into_iter()
                    .map(|(name, _, value)| (name.to_owned(), value.into_owned()))
                    .collect();
                let field = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
                let time = field("@timestamp")
                    .and_then(|t| atoll_hunt::time::parse(&t))
                    .map_or(String::new(), |ms| live.label(UnixMs(ms)));
                let summary = format!(
                    "{time} · {}{}",
                    field("host").unwrap_or_default(),
                    field("log").map(|l| format!(" · {l}")).unwrap_or_default()
                );
                LinkedEvent { row, summary, fields }
            })
            .collect();
        (offered, shown, events)
    })
    .await
    else {
        return html::problem(StatusCode::INTERNAL_SERVER_ERROR, "This page failed.");
    };
    let label = |t: u64| app.live.when(ExerciseMs(t));
    let acts = view.user.role != Role::Observer;
    let action = format!("/teams/{team_id}/cases/{id}");
    let body = html! {
        p { a href={ "/teams/" (team_id) "/cases" } { "All cases" } }
        h1 { (case.title) }
        p { "Status: " strong { (status_label(&case.status)) } span.muted { " · opened by " (case.username) " at " (label(case.at)) } }
        (html::refusal(problem.map(|(field, message)| format!("{field}: {message}")).as_deref()))
        h2 { "Timeline" }
        @if entries.is_empty() { p.muted { "Nothing recorded yet." } }
        @if shown_count >= CASE_ENTRIES_PAGE as usize || before.is_some() {
            p.muted { "The newest entries" @if before.is_some() { " before those of the page you came from" } ", oldest first." }
            (html::pager(&action, before, shown_count, CASE_ENTRIES_PAGE, oldest_shown))
        }
        ol.timeline {
            @for e in &entries {
                li id={ "entry-" (e.id) } {
                    span.muted { (label(e.at)) " · " (e.username) ": " }
                    (entry(e, &shown, &events, &team_id))
                }
            }
        }
        @if acts {
            h2 { "Add to the case" }
            @if near(stored, CASE_ENTRIES) {
                p.muted { "This case can take " (left(stored, CASE_ENTRIES)) " more entries (at most " (CASE_ENTRIES) " a case)." }
            }
            form method="post" action=(action) {
                input type="hidden" name="kind" value="note";
                label for="note" { "Note" } br;
                textarea #note name="note" rows="3" cols="80" maxlength=(CASE_NOTE_CHARS) required { (typed.note) }
                br; button type="submit" { "Add note" }
            }
            p.muted { "Alerts marked true positive or investigating are offered first, false positives not at all. In the "
                a href={ "/teams/" (team_id) } { "alert queue" } ", filter the alerts you want and use “Add them to the case” (up to 200 at once), or open one and use “Add to the case”." }
            @if !offered.is_empty() {
                form method="post" action=(action) {
                    input type="hidden" name="kind" value="alert";
                    label for="alert" { "Link an alert " }
                    select #alert name="alert" {
                        @for a in &offered { option value={ (a.row) ":" (a.key) } { (a.text) } }
                    }
                    " " button type="submit" { "Link" }
                }
            }
            form method="post" action=(action) {
                input type="hidden" name="kind" value="indicator";
                label for="indicator_kind" { "Indicator " }
                select #indicator_kind name="indicator_kind" {
                    @for (k, text) in INDICATOR_KINDS { option value=(k.as_str()) { (text) } }
                }
                " "
                input name="indicator" aria-label="Indicator value" required maxlength=(INDICATOR_CHARS) size="40" placeholder="203.0.113.45" value=(typed.indicator);
                " " button type="submit" { "Add indicator" }
            }
            form method="post" action=(action) {
                input type="hidden" name="kind" value="status";
                label for="status" { "Status " }
                select #status name="status" {
                    @for (k, text) in STATUSES { option value=(k) selected[*k == case.status] { (text) } }
                }
                " " button type="submit" { "Change status" }
            }
        }
    };
    let problem = problem.map(|(field, message)| format!("{field}: {message}"));
    html::form_page(
        html::heading(app, &view.user).await,
        &case.title,
        &view.user,
        problem.as_deref(),
        &body,
    )
}

/// A linked alert's event row and rule key, as an `alert` entry stores them.
fn linked_alert(body: &str) -> Option<(u32, String)> {
    let (row, key) = body.split_once('\n')?;
    Some((row.parse().ok()?, key.to_owned()))
}

/// One timeline entry as read.
fn entry(e: &CaseEntry, shown: &[AlertLine], events: &[LinkedEvent], team: &str) -> Markup {
    match e.kind.as_str() {
        "event" => match events.iter().find(|ev| e.body.parse() == Ok(ev.row)) {
            Some(ev) => html! {
                "linked event " (ev.summary)
                details {
                    summary { "Its fields" }
                    pre.mono { @for (name, value) in &ev.fields { (name) ": " (value) "\n" } }
                }
            },
            None => html! { "linked an event this server does not have (row " (e.body) ")" },
        },
        "note" => html! { span.pre { (e.body) } },
        "status" => html! { "status set to " strong { (status_label(&e.body)) } },
        "indicator" => {
            let (kind, value) = e.body.split_once('\n').unwrap_or(("", &e.body));
            let kind = INDICATOR_KINDS
                .iter()
                .find(|(k, _)| k.as_str() == kind)
                .map_or(kind, |(_, text)| text);
            html! { "indicator (" (kind) ") " span.mono { (value) } }
        }
        _ => {
            let link = linked_alert(&e.body);
            match shown
                .iter()
                .find(|a| link.as_ref().is_some_and(|(row, key)| *row == a.row && *key == a.key))
            {
                Some(a) => html! {
                    "linked alert " a href={ "/teams/" (team) "#alert-" (a.row) } { (a.text) }
                    details {
                        summary { "The event that raised it" }
                        pre.mono { @for (name, value) in &a.event { (name) ": " (value) "\n" } }
                    }
                },
                None => {
                    html! { "linked an alert no longer in this team's list (event " (e.body.lines().next().unwrap_or("?")) ")" }
                }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct EntryForm {
    kind: Option<String>,
    note: Option<String>,
    alert: Option<String>,
    /// An event's row in the team's store (events are linked from the Hunt page).
    event: Option<String>,
    indicator_kind: Option<String>,
    indicator: Option<String>,
    status: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct EventLinkForm {
    case: Option<String>,
    event: Option<String>,
    /// An alert (`row:rule`) to link instead of an event, from the alert's own page.
    alert: Option<String>,
}

/// Links an event found by hunting, or an alert from its page, to the case chosen beside it.
pub(crate) async fn link_event<S: Store>(
    State(app): State<Arc<App<S>>>,
    actor: TeamActor,
    Form(form): Form<EventLinkForm>,
) -> Response {
    let Some(id) = form.case.and_then(|c| c.parse::<i64>().ok()) else {
        return html::problem(StatusCode::BAD_REQUEST, "case: choose one of your team's cases.");
    };
    let entry = EntryForm {
        kind: Some(if form.alert.is_some() { "alert" } else { "event" }.to_owned()),
        note: None,
        alert: form.alert,
        event: form.event,
        indicator_kind: None,
        indicator: None,
        status: None,
    };
    record(&app, actor, id, entry).await
}

/// Adds a note, an alert, an indicator or a status change to a case, checked first; a refused
/// entry stores nothing and the page names the field.
pub(crate) async fn add<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamActor(view): TeamActor,
    Path(CasePath { id }): Path<CasePath>,
    Form(form): Form<EntryForm>,
) -> Response {
    record(&app, TeamActor(view), id, form).await
}

pub(crate) async fn record<S: Store>(
    app: &Arc<App<S>>,
    TeamActor(view): TeamActor,
    id: i64,
    form: EntryForm,
) -> Response {
    let typed = Typed {
        note: form.note.clone().unwrap_or_default(),
        indicator: form.indicator.clone().unwrap_or_default(),
    };
    let entry = atoll_app::cases::Entry {
        kind: form.kind.unwrap_or_default(),
        note: form.note,
        alert: form.alert,
        event: form.event,
        indicator_kind: form.indicator_kind,
        indicator: form.indicator,
        status: form.status,
    };
    match atoll_app::cases::add(app, view.team, &view.user, id, entry).await {
        Ok(()) => Redirect::to(&format!("/teams/{}/cases/{id}", app.live.team_id(view.team))).into_response(),
        Err(e) if matches!(e.kind, atoll_app::Kind::Invalid | atoll_app::Kind::TooMany) => {
            let field = e.field.clone().unwrap_or_else(|| "kind".to_owned());
            let mut page = case_page(app, &view, id, Some((&field, &e.message)), &typed, None).await;
            // The form's refusal, as its kind says (a case that is not the team's stays 404).
            if page.status() == StatusCode::BAD_REQUEST {
                *page.status_mut() = html::status_of(e.kind);
            }
            page
        }
        Err(e) => html::failure(&e),
    }
}
