//! A team's inbox: the scenario's injects (emails, news, phone-call notes, tickets, advisories)
//! as they arrive on the exercise clock.
//!
//! When each inject arrives is the simulation's to say ([`atoll_app::inbox::delivered`]).

use std::sync::Arc;

use atoll_exercise::ExerciseMs;
use atoll_store::Store;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::html;

use crate::auth::TeamView;
use atoll_app::inbox::arrivals;

use crate::{App, clock_now, html};

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
    // The badge in the navigation counts what arrives after this.
    let to_team = messages.iter().filter(|m| m.to_team).count();
    app.saw(view.user.id, view.team, crate::Seen::Inbox, arrived.len() + to_team);
    let can_reply = view.user.role == atoll_store::Role::Player;
    // Near the most messages this exercise takes, the form says how many are left.
    let (team_written, mine) = (
        messages.iter().filter(|m| !m.to_team).count() as u32,
        messages
            .iter()
            .filter(|m| !m.to_team && m.username == view.user.username)
            .count() as u32,
    );
    use atoll_app::messages::{PLAYER_MESSAGES, TEAM_MESSAGES};
    let left = (TEAM_MESSAGES.saturating_sub(team_written)).min(PLAYER_MESSAGES.saturating_sub(mine));
    let near = team_written * 5 >= TEAM_MESSAGES * 4 || mine * 5 >= PLAYER_MESSAGES * 4;
    let readers = |inject: &str| -> Vec<&str> {
        reads
            .iter()
            .filter(|(t, i, _)| *t == team_id && i == inject)
            .map(|(_, _, u)| u.as_str())
            .collect()
    };
    let team_name = app.live.team_name(view.team);
    let body = html! {
        h1 { "Inbox — " (team_name) }
        @if can_reply {
            details {
                summary { "Write to the white cell" }
                form method="post" action={ "/teams/" (team_id) "/messages" } {
                    p { label for="subject" { "Subject " } input #subject name="subject" required maxlength="200" size="60"; }
                    p { label for="body" { "Message" } br; textarea #body name="body" required rows="4" cols="72" maxlength="5000" {} }
                    @if near {
                        p.muted { "You can write " (left) " more message" @if left != 1 { "s" } " to the white cell in this exercise (at most " (PLAYER_MESSAGES) " each, " (TEAM_MESSAGES) " for the team)." }
                    }
                    p { button type="submit" { "Send" } }
                }
            }
        }
        @if messages.iter().any(|m| m.inject.is_none()) {
            h2 { "Messages" }
            @for m in messages.iter().rev().filter(|m| m.inject.is_none()) {
                article.inject {
                    h2 { (m.subject) }
                    p.muted {
                        (app.live.when(ExerciseMs(m.at))) " · "
                        @if m.to_team {
                            "from the white cell"
                            @if let Some(track) = &m.track { " · for the " (track_name(&app.live, track)) " track" }
                        } @else { "from your team (" (m.username) ") to the white cell" }
                    }
                    p { (m.body) }
                }
            }
            h2 { "Injects" }
        }
        @if arrived.is_empty() { p.muted { "Nothing has arrived yet." } }
        @for (at, inject, track) in &arrived {
            @let read_by = readers(&inject.id.name);
            @let thread: Vec<&atoll_store::Message> = messages.iter().filter(|m| m.inject.as_deref() == Some(inject.id.name.as_str())).collect();
            article.inject id={ "inject-" (inject.id.name) } {
                h2 { (inject.subject.get("en")) }
                p.muted {
                    (app.live.when(ExerciseMs(*at))) " · " (inject.channel.as_str().replace('_', " "))
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
                @for m in &thread {
                    blockquote.reply {
                        span.muted {
                            (app.live.when(ExerciseMs(m.at))) " · "
                            @if m.to_team { "the white cell (" (m.username) ")" } @else { (m.username) " for the team" }
                        }
                        br;
                        (m.body)
                    }
                }
                @if can_reply {
                    details {
                        summary { @if thread.is_empty() { "Reply" } @else { "Reply again" } }
                        form method="post" action={ "/teams/" (team_id) "/messages" } {
                            input type="hidden" name="inject" value=(inject.id.name);
                            input type="hidden" name="subject" value={ "Re: " (inject.subject.get("en")) };
                            p { label for={ "reply-" (inject.id.name) } { "Your reply to " (inject.from.get("en")) } br; textarea id={ "reply-" (inject.id.name) } name="body" required rows="3" cols="72" maxlength="5000" {} }
                            p { button type="submit" { "Send reply" } }
                        }
                    }
                }
            }
        }
    };
    html::page(
        html::heading(&app, &view.user).await.reading(crate::Seen::Inbox),
        "Inbox",
        Some(&view.user),
        &body,
    )
    .into_response()
}

/// A track's name as players read it (its id if the scenario has no such track).
fn track_name<'s>(live: &'s crate::Live, track: &'s str) -> &'s str {
    live.scenario
        .tracks
        .iter()
        .find(|t| t.id.name == track)
        .map_or(track, |t| t.name.get("en"))
}
