//! A team's inbox: the scenario's injects (emails, news, phone-call notes, tickets, advisories)
//! as they arrive on the exercise clock.
//!
//! An inject with a fixed time (`at: D1 08:30`) arrives then; one that follows a campaign step
//! (`after: vt-edge-exploit + 20m`) arrives that long after the step ran in this team's world,
//! and never if the team prevented it; one that follows another inject, that long after it.
//! Injects that wait for a condition (`when:`) are not delivered yet.

use std::sync::Arc;

use atoll_scenario::model::Inject;
use atoll_store::Store;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::html;

use crate::auth::TeamView;
use crate::{App, clock_now, html};

/// When an inject reaches this team, in exercise milliseconds, if it has.
fn arrival(
    inject: &Inject,
    injects: &[Inject],
    steps: &[(String, Option<u64>)],
    clock: &atoll_sim::clock::Clock,
    depth: u8,
) -> Option<u64> {
    if let Some(at) = &inject.at {
        return Some(clock.offset(&at.value.time).max(0) as u64);
    }
    let after = &inject.after.as_ref()?.value;
    let delay = after.delay.as_secs() * 1000;
    if let Some((_, due)) = steps.iter().find(|(id, _)| *id == after.anchor) {
        return due.map(|d| d + delay);
    }
    let anchor = injects.iter().find(|i| i.id.name == after.anchor)?;
    if depth > 8 {
        return None;
    }
    arrival(anchor, injects, steps, clock, depth + 1).map(|t| t + delay)
}

/// Whether an inject is addressed to players of `team`, and to which track if only one.
fn addressed(inject: &Inject, team: &str) -> Option<Option<String>> {
    let Some(to) = &inject.to else {
        return Some(None);
    };
    let team_ok = to.teams.is_empty() || to.teams.iter().any(|t| t.name == team);
    let role_ok = to.roles.is_empty() || to.roles.iter().any(|r| r.as_str() == "player");
    (team_ok && role_ok).then(|| {
        (!to.tracks.is_empty()).then(|| to.tracks.iter().map(|t| t.name.clone()).collect::<Vec<_>>().join(", "))
    })
}

/// The injects that have reached team `index` by now: (exercise time, inject, track), newest
/// first.
pub(crate) fn arrivals(live: &crate::Live, index: usize) -> Vec<(u64, &'static Inject, Option<String>)> {
    let now = live.now();
    let start = live.start_unix_ms();
    // Campaign steps that ran in this team's world, with their exercise times.
    let steps: Vec<(String, Option<u64>)> = live
        .team(index)
        .truth()
        .iter()
        .filter(|v| v["type"] == "step")
        .filter_map(|v| {
            let id = v["step"].as_str()?.to_owned();
            let due = v["due"]
                .as_str()
                .and_then(atoll_hunt::time::parse)
                .filter(|_| v["status"] == "succeeded");
            Some((id, due.map(|d| (d - start).max(0) as u64)))
        })
        .collect();
    let scenario: &'static atoll_scenario::Scenario = live.scenario;
    let team = live.team_id(index);
    let injects = &scenario.injects;
    let mut arrived: Vec<(u64, &'static Inject, Option<String>)> = injects
        .iter()
        .filter_map(|i| {
            let track = addressed(i, &team)?;
            let at = arrival(i, injects, &steps, live.sim_clock(), 0)?;
            (at <= now).then_some((at, i, track))
        })
        .collect();
    arrived.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.id.name.cmp(&b.1.id.name)));
    arrived
}

/// The team's inbox, newest first. A player opening it is a read receipt for what it shows.
pub(crate) async fn page<S: Store>(State(app): State<Arc<App<S>>>, view: TeamView) -> Response {
    let worker = app.clone();
    let index = view.team;
    let arrived = tokio::task::spawn_blocking(move || arrivals(&worker.live, index))
        .await
        .unwrap_or_default();
    let team_id = app.live.team_id(view.team);
    if view.user.team.as_deref() == Some(team_id.as_str()) {
        let ids: Vec<String> = arrived.iter().map(|(_, i, _)| i.id.name.clone()).collect();
        // A receipt that cannot be written is not worth refusing the page for.
        let _ = app
            .db
            .mark_read(app.live.exercise, &team_id, &ids, view.user.id, clock_now())
            .await;
    }
    let reads = app.db.reads(app.live.exercise).await.unwrap_or_default();
    let messages: Vec<atoll_store::Message> = app
        .db
        .messages(app.live.exercise)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|m| m.team == team_id)
        .collect();
    let can_reply = view.user.role != atoll_store::Role::Observer;
    let readers = |inject: &str| -> Vec<&str> {
        reads
            .iter()
            .filter(|(t, i, _)| *t == team_id && i == inject)
            .map(|(_, _, u)| u.as_str())
            .collect()
    };
    let start = app.live.start_unix_ms();
    let team_name = app.live.team_name(view.team);
    let body = html! {
        h1 { "Inbox — " (team_name) }
        @if can_reply {
            details {
                summary { "Write to the white cell" }
                form method="post" action={ "/teams/" (team_id) "/messages" } {
                    p { label for="subject" { "Subject " } input #subject name="subject" required maxlength="200" size="60"; }
                    p { label for="body" { "Message" } br; textarea #body name="body" required rows="4" cols="72" maxlength="5000" {} }
                    p { button type="submit" { "Send" } }
                }
            }
        }
        @if !messages.is_empty() {
            h2 { "Messages" }
            @for m in messages.iter().rev() {
                article.inject {
                    h2 { (m.subject) }
                    p.muted {
                        (app.live.label(start + m.at as i64, app.day_one)) " · "
                        @if m.to_team { "from the white cell" } @else { "from your team (" (m.username) ") to the white cell" }
                    }
                    p { (m.body) }
                }
            }
            h2 { "Injects" }
        }
        @if arrived.is_empty() { p.muted { "Nothing has arrived yet." } }
        @for (at, inject, track) in &arrived {
            @let read_by = readers(&inject.id.name);
            article.inject {
                h2 { (inject.subject.get("en")) }
                p.muted {
                    (app.live.label(start + *at as i64, app.day_one)) " · " (inject.channel.as_str().replace('_', " "))
                    " · from " (inject.from.get("en"))
                    @if let Some(track) = track { " · for the " (track) " track" }
                    " · " @if read_by.is_empty() { "not read yet" } @else { "read by " (read_by.join(", ")) }
                }
                p { (inject.body.get("en")) }
                @for a in &inject.attachments {
                    details {
                        summary { "Attachment: " (a.name) }
                        @if let Some(content) = &a.content { pre.mono { (content.get("en")) } } @else { p.muted { "(a file kept with the scenario)" } }
                    }
                }
            }
        }
    };
    html::page(&app.live.name, "Inbox", Some(&view.user), &body).into_response()
}
