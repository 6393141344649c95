//! A team's alert queue and each alert's own page.
//!
//! The queue pages through **every** alert of the team, newest, oldest or highest level
//! first, a page of [`PAGE`] at a time; the cursor is the last alert shown (alerts are only ever
//! added at the end), so a page does not shift while new alerts arrive. Filters: state, lowest
//! level, rule, host, ATT&CK technique or tactic, an exercise-time range and free text over
//! the rule and the host. The grouped view counts the filtered alerts by rule and host, the
//! groups with alerts still to judge first; each opens to its alerts. A verdict is given to
//! one alert, or to a whole group or everything a filter selects at once (at most
//! [`BULK_MAX`]), with one note.
//!
//! An alert is known by its number, its place in the team's list (alerts follow from the
//! stored inputs, so the number survives a restart); its page shows the rule, the event with
//! the fields the rule tests marked, the host's events around it, other alerts on the same
//! moment (Sysmon and Security 4688 see the same process), pivots to the hunt, the verdicts
//! given, and a form to add it to a case.

use std::sync::Arc;

use atoll_app::alerts::key_of;
use atoll_app::queue::{
    BULK_MAX, Filter, GROUPS_SHOWN, LINK_MAX, PAGE, Records, STATES, Shown, Sieve, Sort, bulk_verdict, criteria,
    give_verdict, groups, link_to_case, page_of, queue_records, rule_titles,
};
use atoll_exercise::Alert;
use atoll_exercise::{ExerciseMs, UnixMs};
use atoll_hunt::{Context, Limits, Output, Page};
use atoll_sigma::Level;
use atoll_store::{Role, Store, Triage};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use crate::auth::{TeamActor, TeamView};
use crate::pages::{blocking, query_string, short};
use crate::{App, Live, html};

/// A filter as the queue's address and forms carry it.
pub(crate) trait FilterLink {
    /// The address's query for this filter with `changes` made (an empty value drops a key),
    /// without the cursor unless a change sets it.
    fn link(&self, changes: &[(&str, &str)]) -> String;
}

impl FilterLink for Filter {
    fn link(&self, changes: &[(&str, &str)]) -> String {
        let mut pairs: Vec<(&str, &str)> = vec![
            ("state", &self.state),
            ("level", &self.level),
            ("rule", &self.rule),
            ("host", &self.host),
            ("attack", &self.attack),
            ("from", &self.from),
            ("to", &self.to),
            ("q", &self.q),
            ("sort", &self.sort),
            ("view", &self.view),
        ];
        for (key, value) in changes {
            match pairs.iter_mut().find(|(k, _)| k == key) {
                Some(pair) => pair.1 = value,
                None => pairs.push((key, value)),
            }
        }
        pairs.retain(|(_, v)| !v.trim().is_empty());
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    }
}

/// The host's events shown around an alert, each way.
const AROUND_MS: i64 = 5 * 60_000;
/// Most of those events listed.
const AROUND_SHOWN: usize = 40;

/// What the queue page answers with after a bulk verdict (`marked=N&as=state`).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Marked {
    marked: Option<String>,
    #[serde(rename = "as")]
    state: Option<String>,
}

/// A team's alerts: the queue.
pub(crate) async fn queue<S: Store>(
    State(app): State<Arc<App<S>>>,
    view: TeamView,
    Query(filter): Query<Filter>,
    Query(marked): Query<Marked>,
) -> Response {
    let team_id = app.live.team_id(view.team);
    let records = match queue_records(&app, &team_id).await {
        Ok(records) => records,
        Err(e) => return html::failure(&e),
    };
    let done = marked.marked.and_then(|n| n.parse::<usize>().ok()).map(|n| {
        let state = marked.state.unwrap_or_default();
        let label = STATES.iter().find(|(s, _)| *s == state).map_or("judged", |(_, l)| *l);
        format!("{n} alerts marked {}.", label.to_lowercase())
    });
    let heading = html::heading(&app, &view.user).await.reading(crate::Seen::Alerts);
    blocking(move || queue_page(&app, heading, &view, &filter, &records, done.as_deref(), None)).await
}

/// The filter form, keeping what was typed.
fn filter_form(team_id: &str, filter: &Filter, rules: &[&str]) -> Markup {
    html! {
        form.filters method="get" action={ "/teams/" (team_id) } role="search" aria-label="Filter alerts" {
            label { "State " select name="state" {
                option value="" selected[filter.state.is_empty()] { "any" }
                option value="open" selected[filter.state == "open"] { "not yet judged" }
                @for (v, l) in STATES { option value=(v) selected[filter.state == v] { (l) } }
                option value="suppressed" selected[filter.state == "suppressed"] { "suppressed" }
            } }
            " "
            label { "Level " select name="level" {
                option value="" selected[filter.level.is_empty()] { "any" }
                @for l in Level::NAMES { option value=(l) selected[filter.level == l] { (l) " or above" } }
            } }
            " "
            label { "Rule " select name="rule" {
                option value="" selected[filter.rule.is_empty()] { "any" }
                @for r in rules { option value=(r) selected[filter.rule == *r] { (short(r, 60)) } }
            } }
            " "
            label { "Host " input name="host" size="12" value=(filter.host) placeholder="host name"; }
            " "
            label { "ATT&CK " input name="attack" size="12" value=(filter.attack) placeholder="T1505 or persistence"; }
            " "
            label { "From " input name="from" size="8" value=(filter.from) placeholder="D1 09:00"; }
            " "
            label { "to " input name="to" size="8" value=(filter.to) placeholder="D1 12:00"; }
            " "
            label { "Words " input type="search" name="q" size="14" value=(filter.q) placeholder="webshell"; }
            " "
            label { "Sort " select name="sort" {
                option value="newest" selected[filter.sort.is_empty() || filter.sort == "newest"] { "newest first" }
                option value="oldest" selected[filter.sort == "oldest"] { "oldest first" }
                option value="level" selected[filter.sort == "level"] { "highest level first" }
            } }
            @if filter.view == "groups" { input type="hidden" name="view" value="groups"; }
            " " button type="submit" { "Show" }
            @if !filter.is_empty() { " " a href={ "/teams/" (team_id) @if filter.view == "groups" { "?view=groups" } } { "Clear" } }
        }
    }
}

/// The hidden fields that carry a filter in a form.
fn filter_fields(filter: &Filter) -> Markup {
    html! {
        @for (name, value) in [("state", &filter.state), ("level", &filter.level), ("rule", &filter.rule), ("host", &filter.host), ("attack", &filter.attack), ("from", &filter.from), ("to", &filter.to), ("q", &filter.q)] {
            @if !value.trim().is_empty() { input type="hidden" name=(name) value=(value); }
        }
    }
}

/// A verdict form for many alerts at once: `count` alerts among the first `upto` of the team,
/// as the page showed them (the form marks those, never alerts that came since).
fn bulk_form(team_id: &str, filter: &Filter, count: usize, upto: usize, what: &str) -> Markup {
    html! {
        form.inline method="post" action={ "/teams/" (team_id) "/alerts/bulk" } {
            (filter_fields(filter))
            input type="hidden" name="upto" value=(upto);
            input type="hidden" name="expect" value=(count);
            @if !filter.view.is_empty() { input type="hidden" name="view" value=(filter.view); }
            select name="verdict" required aria-label={ "Verdict for " (what) } {
                // No verdict chosen for the team: marking many alerts at once is a decision.
                option value="" selected { "choose a verdict" }
                option value="false_positive" { "False positive" }
                option value="true_positive" { "True positive" }
                option value="investigating" { "Investigating" }
                option value="new" { "New" }
            }
            " "
            input name="note" aria-label={ "Note for " (what) } placeholder="note" maxlength="2000";
            " "
            button type="submit" { "Mark " (count) }
        }
    }
}

/// The form adding every alert a filter selects to one of the team's open cases.
fn link_form(team_id: &str, filter: &Filter, count: usize, upto: usize, cases: &[atoll_store::Case]) -> Markup {
    html! {
        form.inline method="post" action={ "/teams/" (team_id) "/alerts/case" } {
            (filter_fields(filter))
            input type="hidden" name="upto" value=(upto);
            input type="hidden" name="expect" value=(count);
            label for="link-case" { "Add them to the case " }
            select #link-case name="case" {
                @for c in cases { option value=(c.id) { (short(&c.title, 50)) } }
            }
            " " button type="submit" { "Add " (count) }
        }
    }
}

fn queue_page<S: Store>(
    app: &App<S>,
    heading: html::Heading,
    view: &TeamView,
    filter: &Filter,
    records: &Records,
    done: Option<&str>,
    refused: Option<String>,
) -> Response {
    let live = &app.live;
    let runtime = live.team(view.team);
    let team = live.team_name(view.team);
    let team_id = runtime.team().to_owned();
    let alerts = runtime.alerts();
    let sieve = Sieve::of(&runtime, &records.triages, &records.suppressions);
    let label = |at: u64| live.when(ExerciseMs(at));
    let (criteria, problem) = match refused {
        Some(refused) => (None, Some(refused)),
        None => match criteria(filter, live) {
            Ok(c) => (Some(c), None),
            Err((field, message)) => (None, Some(format!("{field}: {message}."))),
        },
    };
    let selected = criteria.as_ref().map(|c| sieve.select(c)).unwrap_or_default();
    let (counts, hidden) = sieve.counts();
    // The rules the team's alerts come from, for the rule filter.
    let rules = rule_titles(&runtime);
    let can_act = view.user.role != Role::Observer;
    let groups_view = criteria.as_ref().is_some_and(|c| c.groups);
    let sort = criteria.as_ref().map_or(Sort::Newest, |c| c.sort);
    let (page, next) = if groups_view {
        (Vec::new(), None)
    } else {
        page_of(&selected, alerts, sort, &filter.after)
    };
    let groups = if groups_view {
        groups(&selected, &sieve)
    } else {
        Vec::new()
    };
    let here = filter.link(&[("after", &filter.after)]);
    if filter.after.is_empty() {
        // The badge in the navigation counts the alerts that come after this.
        app.saw(view.user.id, view.team, crate::Seen::Alerts, alerts.len());
    }
    let body = html! {
        h1 { "Alerts — " (team) }
        (crate::briefing::help(crate::briefing::Help::Alerts))
        p.muted {
            (counts.iter().sum::<usize>() + hidden) " alerts on " (runtime.store().len()) " events so far: "
            @for (i, (_, label)) in STATES.iter().enumerate() { (counts[i]) " " (label.to_lowercase()) @if i < 3 { ", " } }
            "; "
            a href={ "/teams/" (team_id) "?state=suppressed" } { (hidden) " suppressed" }
            " (" a href={ "/teams/" (team_id) "/suppressions" } { "suppressions" } "). Open an alert to see its rule and the event that raised it."
        }
        (html::refusal(problem.as_deref()))
        @if let Some(done) = done { p.done role="status" { (done) } }
        nav.tabs aria-label="Views" {
            @if groups_view {
                a href={ "/teams/" (team_id) "?" (filter.link(&[("view", "")])) } { "List" } " · " strong { "By rule and host" }
            } @else {
                strong { "List" } " · " a href={ "/teams/" (team_id) "?" (filter.link(&[("view", "groups")])) } { "By rule and host" }
            }
            " · " a href={ "/teams/" (team_id) "?" (filter.link(&[("state", "open"), ("view", "groups")])) } { "Still to judge, by rule and host" }
        }
        (filter_form(&team_id, filter, &rules))
        @if criteria.is_some() {
            p {
                strong { (selected.len()) }
                @match (filter.is_empty(), selected.len()) {
                    (true, 1) => { " alert." }
                    (true, _) => { " alerts." }
                    (false, 1) => { " alert matches." }
                    (false, _) => { " alerts match." }
                }
                // One verdict for everything a filter selects; never for the whole queue
                // unfiltered, which one careless click would empty.
                @if can_act && !selected.is_empty() && !groups_view && !filter.is_empty() {
                    @if selected.len() <= BULK_MAX {
                        " Every one of them: " (bulk_form(&team_id, filter, selected.len(), alerts.len(), "every alert shown by this filter"))
                    } @else {
                        span.muted { " Narrow the filter to " (BULK_MAX) " alerts or fewer to mark them all at once." }
                    }
                }
            }
            @if can_act && !selected.is_empty() && !groups_view && !filter.is_empty() && !records.cases.is_empty() {
                @if selected.len() <= LINK_MAX {
                    (link_form(&team_id, filter, selected.len(), alerts.len(), &records.cases))
                } @else {
                    p.muted { "Narrow the filter to " (LINK_MAX) " alerts or fewer to add them to a case." }
                }
            }
        }
        @if groups_view {
            table {
                thead { tr { th { "Rule" } th { "Level" } th { "Host" } th { "Alerts" } th { "Not yet judged" } th { "Latest" } @if can_act { th { "Verdict for the group" } } } }
                tbody {
                    @for g in groups.iter().take(GROUPS_SHOWN) {
                        @let level = g.level.map_or("", Level::as_str);
                        @let scoped = Filter { rule: g.title.to_owned(), host: g.host.to_owned(), view: String::new(), after: String::new(), ..filter.clone() };
                        tr {
                            td { a href={ "/teams/" (team_id) "?" (scoped.link(&[])) } { (g.title) } }
                            td class={ "level-" (level) } { (level) }
                            td { (g.host) }
                            td.num { (g.count) }
                            td.num { (g.open) }
                            td { (label(g.latest)) }
                            @if can_act {
                                td {
                                    (bulk_form(&team_id, &scoped, g.count, alerts.len(), &format!("{} on {}", g.title, g.host)))
                                    " " a href={ "/teams/" (team_id) "/suppressions?" (serde_urlencoded::to_string([("rule", g.title), ("host", g.host)]).unwrap_or_default()) } { "Suppress…" }
                                }
                            }
                        }
                    }
                }
            }
            @if groups.len() > GROUPS_SHOWN { p.muted { (groups.len() - GROUPS_SHOWN) " more groups: narrow the filter to see them." } }
        } @else if criteria.is_none() {
        } @else if page.is_empty() {
            p.muted { @if filter.is_empty() { "No alert yet: they come as the exercise clock runs." } @else { "No alert matches this filter." } }
        } @else {
            table {
                thead { tr { th { "#" } th { "Time" } th { "Level" } th { "Rule" } th { "Host" } th { "ATT&CK" } th { "Author" } th { "State" } } }
                tbody {
                    @for &n in &page {
                        @let a = &alerts[n];
                        @let level = a.level.map_or("", Level::as_str);
                        @let verdict = sieve.get(n);
                        @let state = verdict.map_or("new", |t| t.state.as_str());
                        tr id={ "alert-" (n) } {
                            td.num { a href={ "/teams/" (team_id) "/alerts/" (n) } { (n) } }
                            td { (label(a.at)) }
                            td class={ "level-" (level) } { (level) }
                            td {
                                a href={ "/teams/" (team_id) "/alerts/" (n) } { (a.title) }
                                @if a.team_rule().is_some() { " " span.muted { "(the team's own rule)" } }
                                @if let Some(d) = &a.detail { br; span.muted { (d) } }
                                @if runtime.twins()[n].is_some() { br; span.muted { "Seen by Sysmon and by Security auditing (4688)" } }
                            }
                            td {
                                @if let Some(h) = &a.host {
                                    a href={ "/teams/" (team_id) "?" (filter.link(&[("host", h)])) } title={ "Only alerts on " (h) } { (h) }
                                }
                            }
                            td { (a.techniques.join(", ")) }
                            td.muted { (a.author.as_deref().unwrap_or("")) }
                            td {
                                @if can_act {
                                    form method="post" action={ "/teams/" (team_id) "/alerts" } {
                                        input type="hidden" name="row" value=(a.row);
                                        input type="hidden" name="rule" value=(key_of(a));
                                        input type="hidden" name="back" value=(here);
                                        input type="hidden" name="n" value=(n);
                                        select name="state" aria-label={ "State of alert " (n) } {
                                            @for (value, label) in STATES { option value=(value) selected[value == state] { (label) } }
                                        }
                                        " "
                                        input name="note" size="10" aria-label={ "Note on alert " (n) } placeholder="note" value=(verdict.map_or("", |t| t.note.as_str()));
                                        " "
                                        button type="submit" { "Save" }
                                    }
                                } @else {
                                    (STATES.iter().find(|(s, _)| *s == state).map_or(state, |(_, l)| *l))
                                }
                                @if let Some(t) = verdict { br; span.muted { "by " (t.username) } }
                            }
                        }
                    }
                }
            }
            p {
                @if !filter.after.is_empty() { a href={ "/teams/" (team_id) "?" (filter.link(&[])) } { "First page" } " " }
                @if let Some(next) = &next { a href={ "/teams/" (team_id) "?" (filter.link(&[("after", next)])) } rel="next" { "Next " (PAGE) } }
            }
        }
    };
    html::form_page(heading, "Alerts", &view.user, problem.as_deref(), &body)
}

#[derive(Debug, Deserialize)]
pub(crate) struct TriageForm {
    row: Option<String>,
    rule: Option<String>,
    state: Option<String>,
    note: Option<String>,
    /// The queue's query to return to, and the alert's number on it.
    back: Option<String>,
    n: Option<String>,
    /// Set when the verdict was given on the alert's own page.
    from_page: Option<String>,
}

/// Records a verdict on one of the team's alerts, and goes back to where it was given.
pub(crate) async fn triage<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamActor(view): TeamActor,
    Form(form): Form<TriageForm>,
) -> Response {
    let team_id = app.live.team_id(view.team);
    let (state, note) = (form.state.unwrap_or_default(), form.note.unwrap_or_default());
    let (Some(row), Some(rule)) = (form.row.and_then(|r| r.parse::<u32>().ok()), form.rule) else {
        return html::problem(StatusCode::BAD_REQUEST, "row and rule: say which alert.");
    };
    if let Err(e) = give_verdict(&app, view.team, &view.user, row, &rule, &state, &note).await {
        return html::failure(&e);
    }
    let n = form.n.and_then(|n| n.parse::<usize>().ok());
    if form.from_page.is_some()
        && let Some(n) = n
    {
        return Redirect::to(&format!("/teams/{team_id}/alerts/{n}")).into_response();
    }
    // Back to the same view of the queue: the query is read as a filter and written again,
    // so nothing but the queue's own parameters goes into the address.
    let back = form
        .back
        .and_then(|b| serde_urlencoded::from_str::<Filter>(&b).ok())
        .map(|f| f.link(&[("after", &f.after)]))
        .unwrap_or_default();
    let anchor = n.map(|n| format!("#alert-{n}")).unwrap_or_default();
    let query = if back.is_empty() {
        String::new()
    } else {
        format!("?{back}")
    };
    Redirect::to(&format!("/teams/{team_id}{query}{anchor}")).into_response()
}

#[derive(Debug, Deserialize)]
pub(crate) struct BulkForm {
    #[serde(flatten)]
    filter: Filter,
    verdict: Option<String>,
    note: Option<String>,
    /// How many alerts the team had when the page was drawn: later ones are not marked.
    upto: Option<String>,
    /// How many alerts the page said the verdict covers.
    expect: Option<String>,
}

/// The queue as `filter` shows it, with why an action on it was refused.
async fn refuse<S: Store>(
    app: Arc<App<S>>,
    view: TeamView,
    filter: Filter,
    records: Records,
    refused: String,
) -> Response {
    let heading = html::heading(&app, &view.user).await.reading(crate::Seen::Alerts);
    blocking(move || queue_page(&app, heading, &view, &filter, &records, None, Some(refused))).await
}

/// One verdict for every alert a filter (or a group: a filter on a rule and a host) selects.
pub(crate) async fn bulk<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamActor(view): TeamActor,
    Form(form): Form<BulkForm>,
) -> Response {
    let team_id = app.live.team_id(view.team);
    let filter = form.filter;
    let (state, note) = (form.verdict.unwrap_or_default(), form.note.unwrap_or_default());
    let shown = Shown {
        upto: form.upto.and_then(|u| u.parse::<usize>().ok()),
        expect: form.expect.and_then(|e| e.parse::<usize>().ok()),
    };
    match bulk_verdict(&app, view.team, &view.user, &filter, (&state, &note), shown).await {
        Ok(count) => {
            let count = count.to_string();
            let back = filter.link(&[("marked", &count), ("as", state.trim())]);
            Redirect::to(&format!("/teams/{team_id}?{back}")).into_response()
        }
        Err(e) => refused_on_queue(app, view, filter, e).await,
    }
}

/// The queue as `filter` shows it, saying why an action on it was refused; or the page for
/// a failure no form can show.
async fn refused_on_queue<S: Store>(app: Arc<App<S>>, view: TeamView, filter: Filter, e: atoll_app::Error) -> Response {
    if !e.is_refusal() {
        return html::failure(&e);
    }
    let records = match queue_records(&app, &app.live.team_id(view.team)).await {
        Ok(records) => records,
        Err(e) => return html::failure(&e),
    };
    let message = format!("{}.", e.to_string().trim_end_matches('.'));
    refuse(app, view, filter, records, message).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct LinkForm {
    #[serde(flatten)]
    filter: Filter,
    case: Option<String>,
    upto: Option<String>,
    expect: Option<String>,
}

/// Adds every alert a filter selects (not yet in the case) to one of the team's open cases.
pub(crate) async fn link<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamActor(view): TeamActor,
    Form(form): Form<LinkForm>,
) -> Response {
    let team_id = app.live.team_id(view.team);
    let filter = form.filter;
    let case = form.case.and_then(|c| c.parse::<i64>().ok());
    let shown = Shown {
        upto: form.upto.and_then(|u| u.parse::<usize>().ok()),
        expect: form.expect.and_then(|e| e.parse::<usize>().ok()),
    };
    match link_to_case(&app, view.team, &view.user, &filter, case, shown).await {
        Ok(_) => Redirect::to(&format!("/teams/{team_id}/cases/{}", case.unwrap_or_default())).into_response(),
        Err(e) => refused_on_queue(app, view, filter, e).await,
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct AlertPath {
    n: String,
}

/// A value written for the hunting language: quoted, with `\` and `"` escaped.
fn hunt_value(field: &str, value: &str) -> String {
    let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
    if field
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
    {
        format!("{field}:\"{escaped}\"")
    } else {
        format!("\"{field}\":\"{escaped}\"")
    }
}

/// Fields worth a pivot to the hunt: hosts, processes, users and addresses.
const PIVOTS: &[&str] = &[
    "Image",
    "ParentImage",
    "NewProcessName",
    "User",
    "TargetUserName",
    "SubjectUserName",
    "IpAddress",
    "SourceIp",
    "DestinationIp",
    "src_ip",
    "dst_ip",
    "c-ip",
    "s-ip",
    "ClientIP",
    "query",
    "cs-host",
];

/// One alert: its rule, its event, what happened around it, and what to do with it.
pub(crate) async fn page<S: Store>(
    State(app): State<Arc<App<S>>>,
    view: TeamView,
    Path(AlertPath { n }): Path<AlertPath>,
) -> Response {
    let team_id = app.live.team_id(view.team);
    let Ok(n) = n.parse::<usize>() else {
        return html::problem(
            StatusCode::NOT_FOUND,
            "An alert is known by its number, e.g. /alerts/12.",
        );
    };
    let Ok(triages) = app.verdicts(&team_id).await else {
        return html::problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "The server cannot read its database right now.",
        );
    };
    let can_act = view.user.role != Role::Observer;
    let cases: Vec<atoll_store::Case> = if can_act {
        app.db
            .cases(app.live.exercise, &team_id)
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|c| c.status != "closed")
            .collect()
    } else {
        Vec::new()
    };
    let heading = html::heading(&app, &view.user).await;
    blocking(move || alert_page(&app, heading, &view, n, &triages, &cases)).await
}

/// An event's fields in the product's order, those the rule tests (`tested`, lower-cased)
/// marked.
fn fields_table(event: &[(&str, atoll_hunt::Kind, std::borrow::Cow<'_, str>)], tested: &[String]) -> Markup {
    html! {
        table.fields {
            tbody {
                @for (name, _, value) in event {
                    @let hit = tested.contains(&name.to_ascii_lowercase());
                    tr class=[hit.then_some("hit")] {
                        th scope="row" { (name) @if hit { " ◆" } }
                        td.mono { (value) }
                    }
                }
            }
        }
    }
}

/// The rule behind an alert, as the page shows it.
struct RuleView<'r> {
    description: Option<&'r str>,
    status: Option<&'r str>,
    references: &'r [String],
    falsepositives: &'r [String],
    fields: Vec<&'r str>,
    yaml: Option<(String, &'static str)>,
}

fn rule_view<'r>(live: &'r Live, runtime: &'r atoll_exercise::TeamRuntime<'_>, a: &Alert) -> Option<RuleView<'r>> {
    let id = a.rule_id.as_deref()?;
    if let Some((catalog, _)) = live.detection() {
        if let Some(i) = catalog.find(id) {
            let rule = &catalog.rules()[i];
            let source = catalog.source_of(i);
            return Some(RuleView {
                description: rule.description.as_deref(),
                status: rule.status.as_deref(),
                references: &rule.references,
                falsepositives: &rule.falsepositives,
                fields: rule.fields(),
                yaml: Some((source.text.to_string(), source.origin.as_str())),
            });
        }
        if let Some(i) = catalog.find_correlation(id) {
            let source = catalog.correlation_source_of(i);
            return Some(RuleView {
                description: None,
                status: None,
                references: &[],
                falsepositives: &[],
                fields: Vec::new(),
                yaml: Some((source.text.to_string(), source.origin.as_str())),
            });
        }
    }
    let rule = runtime.rules().rules().iter().find(|r| r.id.as_deref() == Some(id))?;
    Some(RuleView {
        description: rule.description.as_deref(),
        status: rule.status.as_deref(),
        references: &rule.references,
        falsepositives: &rule.falsepositives,
        fields: rule.fields(),
        yaml: None,
    })
}

fn alert_page<S: Store>(
    app: &App<S>,
    heading: html::Heading,
    view: &TeamView,
    n: usize,
    triages: &[Triage],
    cases: &[atoll_store::Case],
) -> Response {
    let live = &app.live;
    let runtime = live.team(view.team);
    let team_id = runtime.team().to_owned();
    let alerts = runtime.alerts();
    let Some(a) = alerts.get(n) else {
        return html::problem(StatusCode::NOT_FOUND, "Your team has no alert with that number.");
    };
    // The second sighting of a process start is shown on the first's page, with both events.
    let twin = runtime.twins()[n].map(|t| t as usize);
    if let Some(first) = twin.filter(|&t| t < n) {
        return Redirect::to(&format!("/teams/{team_id}/alerts/{first}")).into_response();
    }
    let start = runtime.start_unix_ms();
    let label = |unix: i64| live.label(UnixMs(unix));
    let store = runtime.store();
    let event = store.event(a.row);
    let unix = store
        .times()
        .get(a.row as usize)
        .copied()
        .unwrap_or(start + a.at as i64);
    let rule = rule_view(live, &runtime, a);
    let tested: Vec<String> = rule
        .as_ref()
        .map(|r| r.fields.iter().map(|f| f.to_ascii_lowercase()).collect())
        .unwrap_or_default();
    let sieve = Sieve::of(&runtime, triages, &[]);
    let verdict = sieve.get(n);
    let state = sieve.state(n);
    let history: Vec<&Triage> = triages
        .iter()
        .filter(|t| t.row == a.row && t.rule == key_of(a))
        .collect();
    // Other alerts at the same moment on the same host: the same process seen by Sysmon and
    // by Security 4688, or another rule on the same event.
    let twins: Vec<(usize, &Alert)> = alerts
        .iter()
        .enumerate()
        .skip(n.saturating_sub(200))
        .take(401)
        .filter(|(i, b)| *i != n && Some(*i) != twin && b.host == a.host && b.at.abs_diff(a.at) <= 1000)
        .collect();
    // The same process start as the other log saw it.
    let second = twin.map(|t| {
        let b = &alerts[t];
        let unix = store
            .times()
            .get(b.row as usize)
            .copied()
            .unwrap_or(start + b.at as i64);
        (store.event(b.row), unix)
    });
    // The host's events around the alert.
    let around = a.host.as_deref().map(|host| {
        let query = format!(
            "{} earliest:{} latest:{}",
            hunt_value("host", host),
            atoll_hunt::time::to_string(unix - AROUND_MS),
            atoll_hunt::time::to_string(unix + AROUND_MS + 1)
        );
        let ctx = Context {
            now: Some(start + live.now() as i64),
            calendar: live.calendar(),
        };
        let page = Page {
            offset: 0,
            limit: 10_000,
        };
        let rows: Vec<u32> = match store.search(&query, &ctx, &Limits::default(), page) {
            Ok(answer) => match answer.output {
                Output::Events(rows) => rows,
                Output::Table(_) => Vec::new(),
            },
            Err(_) => Vec::new(),
        };
        // The events nearest the alert's, in time order.
        let at = rows.partition_point(|&r| r < a.row);
        let from = at.saturating_sub(AROUND_SHOWN / 2);
        let shown: Vec<(u32, String, String)> = rows
            .iter()
            .skip(from)
            .take(AROUND_SHOWN)
            .map(|&r| {
                let time = store.times().get(r as usize).copied().unwrap_or(0);
                let summary: Vec<String> = store
                    .event(r)
                    .into_iter()
                    .filter(|(name, _, _)| !matches!(*name, "@timestamp" | "host" | "team"))
                    .take(6)
                    .map(|(name, _, value)| format!("{name}={}", short(&value, 80)))
                    .collect();
                (r, label(time), summary.join(" "))
            })
            .collect();
        (rows.len(), shown, query)
    });
    let pivots: Vec<(String, String)> = event
        .iter()
        .filter(|(name, _, value)| PIVOTS.contains(name) && !value.is_empty() && value != "-")
        .map(|(name, _, value)| (format!("{name} = {}", short(value, 60)), hunt_value(name, value)))
        .collect();
    let level = a.level.map_or("", Level::as_str);
    let can_act = view.user.role != Role::Observer;
    let body = html! {
        p { a href={ "/teams/" (team_id) } { "← All alerts" } }
        h1 { "Alert " (n) ": " (a.title) }
        p {
            span class={ "level-" (level) } { (level) } " · "
            (label(start + a.at as i64)) " · "
            @if let Some(h) = &a.host { "host " strong { (h) } " · " }
            "rule by " (a.author.as_deref().unwrap_or("an unnamed author"))
            @if let Some(d) = &a.detail { " · " (d) }
        }
        p { "State: " strong { (STATES.iter().find(|(s, _)| *s == state).map_or(state, |(_, l)| *l)) }
            @if let Some(t) = verdict { " (by " (t.username) @if !t.note.is_empty() { ": " (t.note) } ")" } }
        @if can_act {
            form method="post" action={ "/teams/" (team_id) "/alerts" } {
                input type="hidden" name="row" value=(a.row);
                input type="hidden" name="rule" value=(key_of(a));
                input type="hidden" name="n" value=(n);
                input type="hidden" name="from_page" value="1";
                label for="state" { "Verdict " }
                select #state name="state" {
                    @for (value, label) in STATES { option value=(value) selected[value == state] { (label) } }
                }
                " "
                label for="note" { "Note " }
                input #note name="note" size="40" maxlength="2000" value=(verdict.map_or("", |t| t.note.as_str()));
                " " button type="submit" { "Save" }
            }
            @if !cases.is_empty() {
                form method="post" action={ "/teams/" (team_id) "/cases/event" } {
                    input type="hidden" name="alert" value={ (a.row) ":" (key_of(a)) };
                    label for="case" { "Add to the case " }
                    select #case name="case" { @for c in cases { option value=(c.id) { (short(&c.title, 50)) } } }
                    " " button type="submit" { "Add" }
                }
            } @else {
                p.muted { "No case is open: " a href={ "/teams/" (team_id) "/cases" } { "open one" } " to gather this alert with others." }
            }
        }
        @if !twins.is_empty() {
            h2 { "At the same moment on this host" }
            ul {
                @for (i, b) in &twins {
                    li { a href={ "/teams/" (team_id) "/alerts/" (i) } { "Alert " (i) ": " (b.title) } " — "
                        (STATES.iter().find(|(s, _)| *s == sieve.state(*i)).map_or("New", |(_, l)| *l))
                        @if b.row == a.row { " (same event)" } @else { " (another event: the same activity seen by a second log)" } }
                }
            }
        }
        h2 { "The event" }
        @if second.is_some() {
            p { "One process start, seen twice: by Sysmon (event 1) and by Security auditing (event 4688). Both events are below; a verdict counts for both." }
        }
        p.muted { "Recorded " (atoll_hunt::time::to_string(unix)) " (UTC). Fields the rule tests are marked." }
        (fields_table(&event, &tested))
        @if let Some((event, unix)) = &second {
            h2 { "The same process in the other log" }
            p.muted { "Recorded " (atoll_hunt::time::to_string(*unix)) " (UTC)." }
            (fields_table(event, &tested))
        }
        @if !pivots.is_empty() || a.host.is_some() {
            h2 { "Hunt from here" }
            ul.pivots {
                @if let Some(h) = &a.host { li { a href={ "/teams/" (team_id) "/hunt?" (query_string(&hunt_value("host", h))) } { "Everything on host " (h) } } }
                @for (text, query) in &pivots { li { a href={ "/teams/" (team_id) "/hunt?" (query_string(query)) } { (text) } } }
            }
        }
        @if let Some((total, shown, query)) = &around {
            h2 { "This host ±5 minutes" }
            p.muted { (total) " events; the " (shown.len()) " nearest. " a href={ "/teams/" (team_id) "/hunt?" (query_string(query)) } { "All of them in the hunt" } }
            table {
                thead { tr { th { "Time" } th { "Event" } } }
                tbody {
                    @for (row, time, summary) in shown {
                        tr class=[(*row == a.row).then_some("hit")] { td { (time) } td.mono { (summary) } }
                    }
                }
            }
        }
        h2 { "The rule" }
        @match &rule {
            Some(r) => {
                p { (a.title) @if let Some(s) = r.status { " · status " (s) } " · level " (level) " · by " (a.author.as_deref().unwrap_or("an unnamed author")) }
                @if let Some(d) = r.description { p { (d) } }
                @if !a.techniques.is_empty() || !a.tactics.is_empty() {
                    p { "ATT&CK: " (a.tactics.join(", ")) @if !a.tactics.is_empty() && !a.techniques.is_empty() { " · " } (a.techniques.join(", ")) }
                }
                @if !r.falsepositives.is_empty() {
                    p { "Known false positives:" }
                    ul { @for f in r.falsepositives { li { (f) } } }
                }
                @if !r.references.is_empty() {
                    p { "References:" }
                    ul { @for f in r.references { li.mono { (f) } } }
                }
                @if let Some((yaml, origin)) = &r.yaml {
                    details { summary { "The rule as written (" (origin) ")" } pre.mono { (yaml) } }
                }
            }
            None => {
                @if let Some(id) = a.team_rule() {
                    p { "Your team's own rule: see it on the " a href={ "/teams/" (team_id) "/rules#rule-" (id) } { "rules page" } "." }
                } @else {
                    p.muted { "This server does not have the rule's text." }
                }
            }
        }
        @if history.len() > 1 {
            h2 { "Verdicts given" }
            ul { @for t in &history { li { (STATES.iter().find(|(s, _)| *s == t.state).map_or(t.state.as_str(), |(_, l)| *l)) " by " (t.username) @if let Some(at) = t.at { " at " (label(start + at as i64)) } @if !t.note.is_empty() { ": " (t.note) } } } }
        }
    };
    html::page(heading, &format!("Alert {n}"), Some(&view.user), &body).into_response()
}

#[cfg(test)]
mod tests {
    use super::{PAGE, Sort, page_of};
    use atoll_exercise::Alert;
    use atoll_sigma::Level;

    fn alert(i: u32) -> Alert {
        Alert {
            at: u64::from(i) * 1000,
            row: i,
            rule_id: Some(format!("r{}", i % 7)),
            title: format!("rule {}", i % 7),
            level: Some([Level::Low, Level::Medium, Level::High][(i % 3) as usize]),
            author: None,
            techniques: Vec::new(),
            tactics: Vec::new(),
            host: Some("h".into()),
            detail: None,
        }
    }

    /// Walks every page of `selected` in `sort` order, with `grow` alerts arriving after each
    /// page is read: every alert there was at the start is seen exactly once, in order.
    fn walk(sort: Sort, start: usize, grow: usize) -> Vec<usize> {
        let mut alerts: Vec<Alert> = (0..start as u32).map(alert).collect();
        let selected_at_start: Vec<usize> = (0..start).collect();
        let mut seen = Vec::new();
        let mut after = String::new();
        loop {
            let selected: Vec<usize> = (0..alerts.len()).collect();
            let (page, next) = page_of(&selected, &alerts, sort, &after);
            assert!(page.len() <= PAGE);
            seen.extend(page.into_iter().filter(|i| selected_at_start.contains(i)));
            let n = alerts.len() as u32;
            alerts.extend((n..n + grow as u32).map(alert));
            match next {
                Some(cursor) => after = cursor,
                None => break,
            }
        }
        seen
    }

    #[test]
    fn pages_are_stable_while_alerts_arrive() {
        let newest = walk(Sort::Newest, 237, 13);
        assert_eq!(newest, (0..237).rev().collect::<Vec<_>>());
        // Oldest first reaches the new ones too; the old ones come first, in order.
        let oldest = walk(Sort::Oldest, 237, 0);
        assert_eq!(oldest, (0..237).collect::<Vec<_>>());
        let by_level = walk(Sort::Level, 237, 13);
        assert_eq!(by_level.len(), 237);
        let mut sorted = by_level.clone();
        sorted.sort_by_key(|&i| (std::cmp::Reverse(alert(i as u32).level), std::cmp::Reverse(i)));
        assert_eq!(by_level, sorted, "highest level first, newest first within a level");
    }
}
