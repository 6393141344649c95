//! A team's inbox: the scenario's injects (emails, news, phone-call notes, tickets, advisories)
//! as they arrive on the exercise clock.
//!
//! An inject with a fixed time (`at: D1 08:30`) arrives then; one that follows a campaign step
//! (`after: vt-edge-exploit + 20m`) arrives that long after the step ran in this team's world,
//! and never if the team prevented it; one that follows another inject, that long after it.
//! An instructor may send any inject by hand (from the messages page): it then arrives at the
//! time it was sent, if that is earlier. Injects that wait for a condition (`when:`) arrive
//! only that way for now.

use std::sync::Arc;

use atoll_scenario::model::Inject;
use atoll_store::Store;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::html;

use crate::auth::TeamView;
use crate::{App, clock_now, html};

/// What decides when injects reach one team.
struct Timing<'a> {
    injects: &'a [Inject],
    /// Campaign steps that ran in the team's world, with their exercise times.
    steps: &'a [(String, u64)],
    /// Injects an instructor sent to the team by hand, with when.
    sent: &'a [(&'a str, u64)],
    clock: &'a atoll_sim::clock::Clock,
}

/// When an inject reaches the team, in exercise milliseconds, if it will: as planned, or when
/// it was sent by hand if that is earlier.
fn arrival(inject: &Inject, timing: &Timing<'_>, depth: u8) -> Option<u64> {
    let by_hand = timing
        .sent
        .iter()
        .find(|(id, _)| *id == inject.id.name)
        .map(|&(_, at)| at);
    let planned = if let Some(at) = &inject.at {
        Some(timing.clock.offset(&at.value.time).max(0) as u64)
    } else if let Some(after) = &inject.after {
        let after = &after.value;
        let delay = after.delay.as_secs() * 1000;
        if let Some(&(_, due)) = timing.steps.iter().find(|(id, _)| *id == after.anchor) {
            Some(due + delay)
        } else if depth <= 8 {
            let anchor = timing.injects.iter().find(|i| i.id.name == after.anchor);
            anchor.and_then(|a| arrival(a, timing, depth + 1)).map(|t| t + delay)
        } else {
            None
        }
    } else {
        None
    };
    match (planned, by_hand) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Whether an inject is addressed to players of `team`, and to which track if only one.
pub(crate) fn addressed(inject: &Inject, team: &str) -> Option<Option<String>> {
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
/// first. `sent` is every inject sent by hand: (team, inject, exercise time).
pub(crate) fn arrivals(
    live: &crate::Live,
    index: usize,
    sent: &[(String, String, u64)],
) -> Vec<(u64, &'static Inject, Option<String>)> {
    let now = live.now();
    let team = live.team_id(index);
    let steps: Vec<(String, u64)> = live
        .team(index)
        .outcomes()
        .iter()
        .filter(|o| o.status == atoll_sim::campaign::Status::Succeeded)
        .filter_map(|o| Some((o.step.to_owned(), o.due?)))
        .collect();
    let sent: Vec<(&str, u64)> = sent
        .iter()
        .filter(|(t, _, _)| *t == team)
        .map(|(_, inject, at)| (inject.as_str(), *at))
        .collect();
    let scenario: &'static atoll_scenario::Scenario = live.scenario;
    let timing = Timing {
        injects: &scenario.injects,
        steps: &steps,
        sent: &sent,
        clock: live.sim_clock(),
    };
    let mut arrived: Vec<(u64, &'static Inject, Option<String>)> = scenario
        .injects
        .iter()
        .filter_map(|i| {
            let track = addressed(i, &team)?;
            let at = arrival(i, &timing, 0)?;
            (at <= now).then_some((at, i, track))
        })
        .collect();
    arrived.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.id.name.cmp(&b.1.id.name)));
    arrived
}

/// The team's inbox, newest first. A player opening it is a read receipt for what it shows.
pub(crate) async fn page<S: Store>(State(app): State<Arc<App<S>>>, view: TeamView) -> Response {
    let sent = app.db.inject_sends(app.live.exercise).await.unwrap_or_default();
    let worker = app.clone();
    let index = view.team;
    let arrived = tokio::task::spawn_blocking(move || arrivals(&worker.live, index, &sent))
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
