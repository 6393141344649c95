//! A team's inbox: the scenario's injects (emails, news, phone-call notes, tickets, advisories)
//! as they arrive on the exercise clock.
//!
//! When each inject arrives is [`atoll_exercise::deliver`]'s to say.

use std::sync::Arc;

use atoll_exercise::deliver::Timing;
use atoll_scenario::model::{Inject, Question};
use atoll_store::Store;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::html;

use crate::auth::TeamView;
use crate::{App, clock_now, html};

/// Whether an inject is addressed to players of `team`, and to which track if only one.
pub(crate) fn addressed(inject: &Inject, team: &str) -> Option<Option<String>> {
    atoll_exercise::deliver::addressed(inject.to.as_ref(), team)
}

/// What has reached one team by exercise time `now`, newest first: injects and questions,
/// each with its exercise time and track (if only some tracks are addressed).
#[derive(Debug, Default)]
pub(crate) struct Delivered {
    pub injects: Vec<(u64, &'static Inject, Option<String>)>,
    pub questions: Vec<(u64, &'static Question, Option<String>)>,
}

/// [`Delivered`] for team `team` from its campaign's outcomes; `sent` is every inject sent by
/// hand: (team, inject, exercise time). Takes no lock.
pub(crate) fn delivered(
    live: &crate::Live,
    team: &str,
    outcomes: &[atoll_sim::StepOutcome<'_>],
    sent: &[(String, String, u64)],
    now: u64,
) -> Delivered {
    let steps: Vec<(String, u64)> = outcomes
        .iter()
        // A step the white cell skipped counts as having happened, as it does for the steps
        // that require it: what follows it still comes.
        .filter(|o| {
            o.team == team
                && (o.status == atoll_sim::campaign::Status::Succeeded || o.reason == Some(atoll_sim::actions::SKIPPED))
        })
        .filter_map(|o| Some((o.step.to_owned(), o.due?)))
        .collect();
    let sent: Vec<(&str, u64)> = sent
        .iter()
        .filter(|(t, _, _)| *t == team)
        .map(|(_, inject, at)| (inject.as_str(), *at))
        .collect();
    let scenario: &'static atoll_scenario::Scenario = live.scenario;
    let timing = Timing {
        scenario,
        steps: &steps,
        sent: &sent,
        clock: live.sim_clock(),
    };
    let mut injects: Vec<(u64, &'static Inject, Option<String>)> = scenario
        .injects
        .iter()
        .filter_map(|i| {
            let track = addressed(i, team)?;
            let at = timing.inject(i)?;
            (at <= now).then_some((at, i, track))
        })
        .collect();
    injects.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.id.name.cmp(&b.1.id.name)));
    let mut questions: Vec<(u64, &'static Question, Option<String>)> = scenario
        .questions
        .iter()
        .filter_map(|q| {
            let track = atoll_exercise::deliver::addressed(q.to.as_ref(), team)?;
            let at = timing.question(q)?;
            (at <= now).then_some((at, q, track))
        })
        .collect();
    questions.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.id.name.cmp(&b.1.id.name)));
    Delivered { injects, questions }
}

/// The injects that have reached team `index` by now: (exercise time, inject, track), newest
/// first. `sent` is every inject sent by hand: (team, inject, exercise time). Takes the team's
/// lock.
pub(crate) fn arrivals(
    live: &crate::Live,
    index: usize,
    sent: &[(String, String, u64)],
) -> Vec<(u64, &'static Inject, Option<String>)> {
    let now = live.now();
    let team = live.team_id(index);
    let runtime = live.team(index);
    let outcomes = runtime.outcomes();
    delivered(live, &team, &outcomes, sent, now).injects
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
    // The badge in the navigation counts what arrives after this.
    let to_team = messages.iter().filter(|m| m.to_team).count();
    app.saw(view.user.id, view.team, crate::Seen::Inbox, arrived.len() + to_team);
    let can_reply = view.user.role == atoll_store::Role::Player;
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
    html::page(&app.live, "Inbox", Some(&view.user), &body).into_response()
}

/// A track's name as players read it (its id if the scenario has no such track).
fn track_name<'s>(live: &'s crate::Live, track: &'s str) -> &'s str {
    live.scenario
        .tracks
        .iter()
        .find(|t| t.id.name == track)
        .map_or(track, |t| t.name.get("en"))
}

/// The tracks something addressed to `to` is for, if only some, for team `team`.
pub(crate) fn track_of(to: Option<&atoll_scenario::model::Audience>, team: &str) -> Option<String> {
    atoll_exercise::deliver::addressed(to, team).flatten()
}
