//! A team's hunt: the hunting language over its events so far, with a histogram of hits and
//! the team's saved searches.

use std::sync::Arc;

use atoll_exercise::UnixMs;
use atoll_hunt::{Context, Limits, Output, Page};
use atoll_store::{Role, Store};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;

use crate::auth::TeamView;
use crate::pages::{query_string, short};
use crate::{App, html};

/// Results shown per hunt page.
const HUNT_PAGE: usize = 100;

/// Hits of `query` per bucket over everything the team has seen, at most 60 bars.
fn histogram(
    runtime: &atoll_exercise::TeamRuntime<'_>,
    query: &str,
    ctx: &Context,
    live: &crate::Live,
    limits: &Limits,
) -> Vec<(String, u64)> {
    if limits.timeout.is_zero() {
        return Vec::new();
    }
    let store = runtime.store();
    let (Some(&first), Some(&last)) = (
        store.times().iter().find(|&&t| t != atoll_hunt::NO_TIME),
        store.times().last(),
    ) else {
        return Vec::new();
    };
    let range = (last - first).max(1);
    let spans = [
        ("1m", 60_000),
        ("5m", 300_000),
        ("15m", 900_000),
        ("1h", 3_600_000),
        ("3h", 10_800_000),
        ("6h", 21_600_000),
        ("1d", 86_400_000),
    ];
    let Some((span, _)) = spans.iter().find(|(_, ms)| range / ms < 60).or(spans.last()) else {
        return Vec::new();
    };
    let text = if query.trim().is_empty() {
        format!("| timeline {span}")
    } else {
        format!("{query} | timeline {span}")
    };
    let Ok(answer) = store.search(&text, ctx, limits, Page::ALL) else {
        return Vec::new();
    };
    match answer.output {
        Output::Table(t) => t
            .rows
            .into_iter()
            .filter_map(|r| {
                let at = atoll_hunt::time::parse(r.first()?)?;
                Some((live.label(UnixMs(at)), r.get(1)?.parse().ok()?))
            })
            .collect(),
        Output::Events(_) => Vec::new(),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct HuntQuery {
    q: Option<String>,
    /// Read leniently: anything but a page number is the first page.
    page: Option<String>,
}

/// The hunting language over the team's events so far.
pub(crate) async fn hunt<S: Store>(
    State(app): State<Arc<App<S>>>,
    view: TeamView,
    Query(params): Query<HuntQuery>,
) -> Response {
    let text = params.q.unwrap_or_default();
    let page_no = params
        .page
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(0)
        .min(10_000);
    if text.chars().count() > atoll_hunt::query::MAX_QUERY_CHARS {
        return html::problem(StatusCode::BAD_REQUEST, "A query is at most 10,000 characters.");
    }
    // One hunt at a time per team, a few in all; the others wait their turn.
    let Some(_permit) = app.hunt_slot(view.team).await else {
        return html::problem(StatusCode::SERVICE_UNAVAILABLE, "The server is shutting down.");
    };
    let worker = app.clone();
    let team = view.team;
    let query = text.clone();
    let result = tokio::task::spawn_blocking(move || {
        let live = &worker.live;
        let now = live.now();
        let runtime = live.team(team);
        let start = runtime.start_unix_ms();
        let calendar = live.calendar();
        let ctx = Context {
            now: Some(start + now as i64),
            calendar,
        };
        let page = Page {
            offset: page_no * HUNT_PAGE,
            limit: HUNT_PAGE,
        };
        // One time limit for the whole request: the histogram gets what the search left.
        let started = std::time::Instant::now();
        let answer = if query.trim().is_empty() {
            None
        } else {
            Some(runtime.store().search(&query, &ctx, &Limits::default(), page))
        };
        // The fields the team's events have, most common first, to write queries with.
        let mut fields: Vec<(String, u64)> = runtime.store().fields().map(|(n, c)| (n.to_owned(), c)).collect();
        fields.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        // A histogram of a plain search's hits over the exercise so far.
        let histogram = if query.contains('|') || query.trim().is_empty() {
            Vec::new()
        } else {
            let left = Limits {
                timeout: Limits::default().timeout.saturating_sub(started.elapsed()),
                ..Limits::default()
            };
            histogram(&runtime, &query, &ctx, live, &left)
        };
        // The rows as text, while the store is at hand.
        let answer = answer.map(|a| {
            a.map(|answer| {
                let rows: Vec<Vec<String>> = match &answer.output {
                    Output::Events(rows) => rows
                        .iter()
                        .map(|&row| {
                            let mut time = String::new();
                            let mut rest = Vec::new();
                            for (name, _, value) in runtime.store().event(row) {
                                if name == "@timestamp" {
                                    time = live.label(UnixMs(atoll_hunt::time::parse(&value).unwrap_or(0)));
                                } else {
                                    rest.push(format!("{name}={value}"));
                                }
                            }
                            vec![time, rest.join("\n")]
                        })
                        .collect(),
                    // Times read as exercise time (`D1 09:23`), as on every other page; the
                    // event's own page gives the UTC timestamp.
                    Output::Table(t) => {
                        let times: Vec<bool> = t.columns.iter().map(|c| c == "@timestamp" || c == "time").collect();
                        t.rows
                            .iter()
                            .map(|row| {
                                row.iter()
                                    .zip(times.iter().chain(std::iter::repeat(&false)))
                                    .map(|(cell, &time)| match atoll_hunt::time::parse(cell) {
                                        Some(ms) if time => live.label(UnixMs(ms)),
                                        _ => cell.clone(),
                                    })
                                    .collect()
                            })
                            .collect()
                    }
                };
                let columns = match &answer.output {
                    Output::Events(_) => vec!["Time".to_owned(), "Event".to_owned()],
                    Output::Table(t) => t.columns.clone(),
                };
                // Each event's row, for linking it to a case.
                let event_rows = match &answer.output {
                    Output::Events(rows) => rows.clone(),
                    Output::Table(_) => Vec::new(),
                };
                (answer.total, answer.notes, columns, rows, event_rows)
            })
        });
        (answer, fields, histogram)
    })
    .await;
    let Ok((result, fields, histogram)) = result else {
        return html::problem(StatusCode::INTERNAL_SERVER_ERROR, "The search failed.");
    };
    let tallest = histogram.iter().map(|b| b.1).max().unwrap_or(0).max(1);
    let team_id = app.live.team_id(view.team);
    // A list that cannot be read leaves the hunt usable.
    let saved = app
        .db
        .saved_searches(app.live.exercise, &team_id)
        .await
        .unwrap_or_default();
    let acts = view.user.role != Role::Observer;
    let ran = matches!(result, Some(Ok(_)));
    // The cases still open, to link events to.
    let open_cases: Vec<atoll_store::Case> = if acts && ran {
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
    let body = html! {
        h1 { "Hunt" }
        (crate::briefing::help(crate::briefing::Help::Hunt))
        @if !saved.is_empty() {
            nav.saved aria-label="Saved searches" {
                "Saved searches: "
                @for (i, s) in saved.iter().enumerate() {
                    @if i > 0 { " · " }
                    a href={ "/teams/" (team_id) "/hunt?" (query_string(&s.query)) } title=(s.query) { (s.name) }
                }
            }
        }
        form method="get" action={ "/teams/" (team_id) "/hunt" } role="search" {
            label for="q" { "Query " }
            input #q type="search" name="q" value=(text) autofocus placeholder="CommandLine:*ntdsutil* | table @timestamp, host, CommandLine";
            " " button type="submit" { "Search" }
        }
        p.muted { "Field values with * and ?, free text, AND/OR/NOT, EventID >= 4624, earliest:-2h, and | stats count by host, | sort, | head, | table, | timeline 1h." }
        @if !fields.is_empty() {
            details {
                summary { "Fields in your events (" (fields.len()) ")" }
                p.mono { @for (name, count) in &fields { (name) " (" (count) ")  " } }
            }
        }
        @match result {
            None => {}
            Some(Err(e)) => {
                p.error role="alert" { (e.pointed(&text)) }
            }
            Some(Ok((total, notes, columns, rows, event_rows))) => {
                @let is_events = columns.len() == 2 && columns[1] == "Event";
                @if !histogram.is_empty() {
                    div.hist role="img" aria-label="Results over the exercise so far" {
                        @for (label, count) in &histogram {
                            div.bar style={ "height:" (count * 100 / tallest) "%" } title={ (label) ": " (count) } {}
                        }
                    }
                }
                p { (total) @if total == 1 { " result" } @else { " results" } @if total > HUNT_PAGE { ", " (page_no * HUNT_PAGE + 1) "–" ((page_no * HUNT_PAGE + rows.len())) " shown" } "." }
                @for note in &notes { p.muted { (note) } }
                table {
                    thead { tr { @for c in &columns { th { (c) } } @if is_events && !open_cases.is_empty() { th { "Case" } } } }
                    tbody {
                        @for (n, row) in rows.iter().enumerate() {
                            tr {
                                @for (i, cell) in row.iter().enumerate() {
                                    @if i == 1 && is_events {
                                        // The event's fields one per line, opened on demand.
                                        td.ev { details { summary { (short(&cell.replace('\n', " "), 160)) } pre.mono { (cell) } } }
                                    } @else {
                                        td { (cell) }
                                    }
                                }
                                @if let (true, false, Some(event)) = (is_events, open_cases.is_empty(), event_rows.get(n)) {
                                    td {
                                        form.inline method="post" action={ "/teams/" (team_id) "/cases/event" } {
                                            input type="hidden" name="event" value=(event);
                                            select name="case" aria-label="Case to add this event to" {
                                                @for c in &open_cases { option value=(c.id) { (short(&c.title, 40)) } }
                                            }
                                            " " button type="submit" { "Add" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                @if (page_no + 1) * HUNT_PAGE < total {
                    a href={ "/teams/" (team_id) "/hunt?" (query_string(&text)) "&page=" (page_no + 1) } { "Next " (HUNT_PAGE) }
                }
            }
        }
        @if acts && ran {
            form method="post" action={ "/teams/" (team_id) "/searches" } {
                input type="hidden" name="q" value=(text);
                label for="save-name" { "Save this search as " }
                input #save-name name="name" required maxlength=(atoll_app::limits::SEARCH_NAME_CHARS) placeholder="web shell requests";
                " " button type="submit" { "Save search" }
                @if atoll_app::limits::near(saved.len() as u32, atoll_app::limits::TEAM_SEARCHES) {
                    p.muted { "Your team can save " (atoll_app::limits::left(saved.len() as u32, atoll_app::limits::TEAM_SEARCHES)) " more searches (at most " (atoll_app::limits::TEAM_SEARCHES) "; deleting one frees its place)." }
                }
            }
        }
        @if !saved.is_empty() {
            details {
                summary { "Manage saved searches (" (saved.len()) ")" }
                table {
                    thead { tr { th { "Name" } th { "Query" } th { "Saved by" } @if acts { th { "" } } } }
                    tbody {
                        @for s in &saved {
                            tr {
                                td { a href={ "/teams/" (team_id) "/hunt?" (query_string(&s.query)) } { (s.name) } }
                                td.mono { (s.query) }
                                td { (s.username) }
                                @if acts {
                                    td {
                                        form.inline method="post" action={ "/teams/" (team_id) "/searches/" (s.id) "/delete" } {
                                            button type="submit" aria-label={ "Delete the saved search " (s.name) } { "Delete" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    html::page(html::heading(&app, &view.user).await, "Hunt", Some(&view.user), &body).into_response()
}
