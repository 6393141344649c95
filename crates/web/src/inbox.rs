//! A team's inbox: the scenario's injects (emails, news, phone-call notes, tickets, advisories)
//! as they arrive on the exercise clock.
//!
//! When each inject arrives is the simulation's to say ([`atoll_app::inbox::delivered`]).
//! The messages between the team and the white cell come a page at a time, newest first: the
//! first page shows them with the injects (replies in their inject's thread), older pages list
//! them alone.

use std::sync::Arc;

use atoll_exercise::ExerciseMs;
use atoll_store::Store;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use maud::html;

use crate::auth::TeamView;
use atoll_app::inbox::arrivals;

use crate::{App, clock_now, html};
use atoll_app::limits::{BODY_CHARS, MESSAGES_PAGE, PLAYER_MESSAGES, SUBJECT_CHARS, TEAM_MESSAGES, left, near};

/// A message to the white cell that was refused: why, and what was typed, back in its form.
#[derive(Debug, Default)]
pub(crate) struct Refused {
    pub problem: String,
    /// The inject it replied on (its reply form opens), or none (the form to write one).
    pub inject: Option<String>,
    pub subject: String,
    pub body: String,
}

/// The team's inbox, newest first. A player opening it is a read receipt for what it shows.
pub(crate) async fn page<S: Store>(
    State(app): State<Arc<App<S>>>,
    view: TeamView,
    Query(query): Query<crate::messages::PageQuery>,
) -> Response {
    let before = match html::before(query.before.as_deref()) {
        Ok(before) => before,
        Err(page) => return *page,
    };
    show(app, view, before, None).await
}

/// The inbox's first page (or an older one, `before`), with a refused message back in its form.
pub(crate) async fn show<S: Store>(
    app: Arc<App<S>>,
    view: TeamView,
    before: Option<i64>,
    refused: Option<Refused>,
) -> Response {
    let worker = app.clone();
    let index = view.team;
    let arrived = tokio::task::spawn_blocking(move || arrivals(&worker.live, index))
        .await
        .unwrap_or_default();
    let team_id = app.live.team_id(view.team);
    if before.is_none() && view.user.team.as_deref() == Some(team_id.as_str()) {
        let ids: Vec<String> = arrived.iter().map(|(_, i, _)| i.id.name.clone()).collect();
        // A receipt that cannot be written is not worth refusing the page for.
        let _ = app
            .db
            .mark_read(app.live.exercise, &team_id, &ids, view.user.id, clock_now())
            .await;
    }
    let reads = app.db.reads(app.live.exercise).await.unwrap_or_default();
    let teams = [team_id.clone()];
    let page = atoll_store::Page::before(before, MESSAGES_PAGE);
    let (Ok(newest_first), Ok(counts)) = (
        app.db.messages_page(app.live.exercise, Some(&teams), page).await,
        app.db.message_counts(app.live.exercise, &team_id, view.user.id).await,
    ) else {
        return html::problem(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "The server cannot read its database right now.",
        );
    };
    let last = newest_first.last().map(|m| m.id);
    let shown = newest_first.len();
    // Threads read oldest first.
    let messages: Vec<atoll_store::Message> = newest_first.into_iter().rev().collect();
    // The badge in the navigation counts what arrives after this.
    app.saw(
        view.user.id,
        view.team,
        crate::Seen::Inbox,
        arrived.len() + counts.to_team as usize,
    );
    let can_reply = view.user.role == atoll_store::Role::Player;
    // Near the most messages this exercise takes, the form says how many are left.
    let (team_written, mine) = (counts.from_team, counts.from_user);
    let left = left(team_written, TEAM_MESSAGES).min(left(mine, PLAYER_MESSAGES));
    let near = near(team_written, TEAM_MESSAGES) || near(mine, PLAYER_MESSAGES);
    let pager = html::pager(&format!("/teams/{team_id}/inbox"), before, shown, MESSAGES_PAGE, last);
    if before.is_some() {
        return older(&app, &view, &team_id, &messages, pager).await;
    }
    let readers = |inject: &str| -> Vec<&str> {
        reads
            .iter()
            .filter(|(t, i, _)| *t == team_id && i == inject)
            .map(|(_, _, u)| u.as_str())
            .collect()
    };
    let team_name = app.live.team_name(view.team);
    let refused = refused.unwrap_or_default();
    // The form a refused message came from: open, with what was typed.
    let kept =
        |inject: Option<&str>| (!refused.problem.is_empty() && refused.inject.as_deref() == inject).then_some(&refused);
    let body = html! {
        h1 { "Inbox — " (team_name) }
        (html::refusal((!refused.problem.is_empty()).then_some(refused.problem.as_str())))
        @if can_reply {
            @let typed = kept(None);
            details open[typed.is_some()] {
                summary { "Write to the white cell" }
                form method="post" action={ "/teams/" (team_id) "/messages" } {
                    p { label for="subject" { "Subject " } input #subject name="subject" required maxlength=(SUBJECT_CHARS) size="60" value=[typed.map(|t| t.subject.as_str())]; }
                    p { label for="body" { "Message" } br; textarea #body name="body" required rows="4" cols="72" maxlength=(BODY_CHARS) { @if let Some(t) = typed { (t.body) } } }
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
        }
        @if shown >= MESSAGES_PAGE as usize {
            p.muted { "The newest " (shown) " messages and replies are shown here, with their injects." }
        }
        (pager)
        @if messages.iter().any(|m| m.inject.is_none()) {
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
                    @let typed = kept(Some(inject.id.name.as_str()));
                    details open[typed.is_some()] {
                        summary { @if thread.is_empty() { "Reply" } @else { "Reply again" } }
                        form method="post" action={ "/teams/" (team_id) "/messages" } {
                            input type="hidden" name="inject" value=(inject.id.name);
                            input type="hidden" name="subject" value={ "Re: " (inject.subject.get("en")) };
                            p { label for={ "reply-" (inject.id.name) } { "Your reply to " (inject.from.get("en")) } br; textarea id={ "reply-" (inject.id.name) } name="body" required rows="3" cols="72" maxlength=(BODY_CHARS) { @if let Some(t) = typed { (t.body) } } }
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

/// An older page of the team's messages, newest first, each with the inject it replies on.
async fn older<S: Store>(
    app: &Arc<App<S>>,
    view: &TeamView,
    team_id: &str,
    messages: &[atoll_store::Message],
    pager: maud::Markup,
) -> Response {
    let body = html! {
        h1 { "Inbox — " (app.live.team_name(view.team)) }
        h2 { "Older messages" }
        @if messages.is_empty() { p.muted { "No older messages." } }
        @for m in messages.iter().rev() {
            article.inject {
                h2 { (m.subject) }
                p.muted {
                    (app.live.when(ExerciseMs(m.at))) " · "
                    @if m.to_team { "from the white cell (" (m.username) ")" } @else { "from your team (" (m.username) ") to the white cell" }
                    @if let Some(subject) = m.inject.as_deref().and_then(|i| crate::messages::inject_subject(&app.live, i)) {
                        " · on " a href={ "/teams/" (team_id) "/inbox#inject-" (m.inject.as_deref().unwrap_or_default()) } { "«" (subject) "»" }
                    }
                }
                p { (m.body) }
            }
        }
        (pager)
    };
    html::page(html::heading(app, &view.user).await, "Inbox", Some(&view.user), &body).into_response()
}

/// A track's name as players read it (its id if the scenario has no such track).
fn track_name<'s>(live: &'s crate::Live, track: &'s str) -> &'s str {
    live.scenario
        .tracks
        .iter()
        .find(|t| t.id.name == track)
        .map_or(track, |t| t.name.get("en"))
}
