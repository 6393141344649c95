//! Live updates over server-sent events, for pages open in a browser with JavaScript on.
//!
//! A team's stream (`/teams/{team}/live`) sends the counts its pages show (alerts new since
//! the user last opened the queue, inbox, questions) and the exercise time whenever they
//! change; a note for each new inject, message from the white cell and question; and one note
//! at most every five seconds for all the alerts that came meanwhile (`14 new alerts, 2 high or
//! critical; newest: …`). The white cell's stream (`/live`) sends
//! the board's numbers for the teams the user sees, and a note for each report or answer
//! handed in and each message from a team. Every event carries a cursor as its id: for each
//! kind of item, how many the browser has been told of (alerts, injects, questions, which the
//! team's world holds in order) or the id of the last one (messages, reports and answers,
//! which the database numbers). A browser that lost the connection sends it back as
//! `Last-Event-ID` and is told what it missed, so a satellite dropout costs nothing. Pages
//! work the same without it: this only saves a refresh.
//!
//! A poll reads from the database only what came after its cursor (the newest few heads, no
//! bodies, and how many there are), never a whole list: a team with a thousand messages costs
//! a poll what a team with none does.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use atoll_exercise::ExerciseMs;
use atoll_sigma::Level;
use atoll_store::{Kind, Store, User};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::clock_now;

use crate::App;
use crate::auth::{Staff, TeamView};

/// How often a stream looks for changes.
const EVERY: Duration = Duration::from_secs(1);
/// At most this many notes of one kind after a dropout; the rest are counted in one note.
const MAX_NOTES: usize = 5;

/// What one poll found: the numbers pages show, and the items the browser has not been told
/// of, in the order they came.
#[derive(Debug, Default)]
struct Poll {
    values: Map<String, Value>,
    /// How many items of each kind exist now.
    cursor: Vec<usize>,
    /// (text, link) for each new item.
    notes: Vec<(String, String)>,
}

/// The cursor a browser sends back: counts separated by dots (`12.3.0.1`).
fn parse_cursor(headers: &HeaderMap, kinds: usize) -> Option<Vec<usize>> {
    let text = headers.get("last-event-id")?.to_str().ok()?;
    let cursor: Vec<usize> = text.split('.').map(|n| n.parse().ok()).collect::<Option<_>>()?;
    (cursor.len() == kinds).then_some(cursor)
}

fn cursor_text(cursor: &[usize]) -> String {
    cursor.iter().map(usize::to_string).collect::<Vec<_>>().join(".")
}

/// Notes for the `count` items of one kind added since the cursor, of which `newest` are the
/// newest few: one each, and a count of the others.
fn notes_since(count: u32, newest: Vec<(String, String)>, what: &str, href: &str, notes: &mut Vec<(String, String)>) {
    let skipped = (count as usize).saturating_sub(newest.len());
    if skipped > 0 {
        notes.push((format!("{skipped} more {what} while you were away"), href.to_owned()));
    }
    notes.extend(newest);
}

/// Notes for the items of one kind beyond `seen`: one per item, the newest `MAX_NOTES`, and
/// a count of the others.
fn notes_for(items: &[(String, String)], seen: usize, what: &str, href: &str, notes: &mut Vec<(String, String)>) {
    let new = items.get(seen..).unwrap_or_default();
    let skipped = new.len().saturating_sub(MAX_NOTES);
    if skipped > 0 {
        notes.push((format!("{skipped} more {what} while you were away"), href.to_owned()));
    }
    notes.extend(new[skipped..].iter().cloned());
}

/// How often a stream checks that the session it was opened with still exists.
const SESSION_CHECK_EVERY: Duration = Duration::from_secs(5);
/// How often a team's stream tells of new alerts, all of them in one note.
const ALERT_NOTES_EVERY: Duration = Duration::from_secs(5);

/// What a poll is asked to do besides looking for changes. Both go by the time since they
/// were last done, not by the number of polls: on a busy server a poll can take longer than
/// its second, and a session that ended must still end its stream within seconds.
#[derive(Debug, Clone, Copy)]
struct Due {
    /// Check that the session still exists.
    session: bool,
    /// Tell of the alerts that came since the last note (always on the first poll).
    alerts: bool,
}

/// What one poll of a stream found.
enum Polled {
    /// Nothing could be read this time.
    Nothing,
    Changes(Poll),
    /// The session the stream was opened with has ended (signed out, ended by an instructor,
    /// expired), or its user's rights changed: the stream ends too (the browser reconnects
    /// with what the user may now see).
    Ended,
}

/// Whether the session a stream was opened with still exists and its user still has the
/// rights they had then: an instructor may since have changed the teams an observer follows.
/// A database that cannot be read now counts as yes: the next check decides.
async fn still_allowed<S: Store>(app: &App<S>, session: &[u8], user: &User) -> bool {
    match app.db.session_user(session, clock_now()).await {
        Ok(Some(now)) => now == *user,
        Ok(None) => false,
        Err(_) => true,
    }
}

/// Streams `poll`'s changes: the first poll sends the numbers (and, on a reconnection, the
/// notes missed), each later one what changed. `poll` is told what else is due ([`Due`]).
/// With `gzip`, the stream is compressed ([`gzipped`]).
///
/// Each poll runs as a task of its own, to its end. The stream itself only moves while the
/// browser reads (over a slow link, or from a client that stopped reading, that can be minutes
/// apart): a poll that moved only with it could keep a database connection, the only one an
/// SQLite store has, from every other request meanwhile.
fn stream<F, Fut>(resumed: Option<Vec<usize>>, gzip: bool, poll: F) -> Response
where
    F: Fn(Option<Vec<usize>>, Due) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Polled> + Send + 'static,
{
    struct Loop<F> {
        poll: F,
        seen: Option<Vec<usize>>,
        sent: Option<Map<String, Value>>,
        pending: VecDeque<Event>,
        interval: tokio::time::Interval,
        /// When the session was last checked and alerts last told of.
        checked: tokio::time::Instant,
        told: Option<tokio::time::Instant>,
    }
    let mut interval = tokio::time::interval(EVERY);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let state = Loop {
        poll,
        seen: resumed,
        sent: None,
        pending: VecDeque::new(),
        interval,
        checked: tokio::time::Instant::now(),
        told: None,
    };
    let events = futures_util::stream::unfold(state, |mut s| async move {
        loop {
            if let Some(event) = s.pending.pop_front() {
                return Some((Ok::<Event, std::convert::Infallible>(event), s));
            }
            s.interval.tick().await;
            let now = tokio::time::Instant::now();
            let due = Due {
                session: now.duration_since(s.checked) >= SESSION_CHECK_EVERY,
                alerts: s.told.is_none_or(|t| now.duration_since(t) >= ALERT_NOTES_EVERY),
            };
            if due.session {
                s.checked = now;
            }
            if due.alerts {
                s.told = Some(now);
            }
            let poll = match tokio::spawn((s.poll)(s.seen.clone(), due)).await {
                Ok(Polled::Nothing) => continue,
                // A poll that panicked ends the stream; the browser reconnects.
                Ok(Polled::Ended) | Err(_) => return None,
                Ok(Polled::Changes(poll)) => poll,
            };
            let id = cursor_text(&poll.cursor);
            for (text, href) in &poll.notes {
                let data = serde_json::json!({ "text": text, "href": href }).to_string();
                s.pending
                    .push_back(Event::default().event("note").id(id.clone()).data(data));
            }
            if s.sent.as_ref() != Some(&poll.values) || !poll.notes.is_empty() {
                let data = Value::Object(poll.values.clone()).to_string();
                s.pending.push_back(Event::default().event("update").id(id).data(data));
                s.sent = Some(poll.values);
            }
            s.seen = Some(poll.cursor);
        }
    });
    let mut response = Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response();
    // Proxies in front of the server must pass events on as they come.
    response
        .headers_mut()
        .insert("x-accel-buffering", axum::http::HeaderValue::from_static("no"));
    if gzip {
        response = gzipped(response);
    }
    response
}

/// Whether the browser takes gzip (`Accept-Encoding`, a `q=0` refusing it).
fn takes_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(axum::http::header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused = parts.any(|p| p.replace(' ', "").eq_ignore_ascii_case("q=0"));
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

/// A stream of events gzip-compressed, the compressor flushed after every chunk: the browser
/// decodes each event as it comes, and the names and numbers events repeat cost little over
/// a satellite link. (The server's compression layer leaves event streams alone: it would hold
/// events back until its buffer filled.)
fn gzipped(response: Response) -> Response {
    use futures_util::StreamExt as _;
    use std::io::Write as _;
    let (mut parts, body) = response.into_parts();
    let encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let chunks = futures_util::stream::unfold(
        (body.into_data_stream(), Some(encoder)),
        |(mut inner, encoder)| async move {
            let mut encoder = encoder?;
            match inner.next().await {
                Some(Ok(chunk)) => {
                    let out = encoder
                        .write_all(&chunk)
                        .and_then(|()| encoder.flush())
                        .map(|()| axum::body::Bytes::from(std::mem::take(encoder.get_mut())));
                    Some((out, (inner, Some(encoder))))
                }
                Some(Err(e)) => Some((Err(std::io::Error::other(e)), (inner, None))),
                // The stream ended (its session did): the gzip trailer closes it.
                None => Some((encoder.finish().map(axum::body::Bytes::from), (inner, None))),
            }
        },
    );
    parts.headers.insert(
        axum::http::header::CONTENT_ENCODING,
        axum::http::HeaderValue::from_static("gzip"),
    );
    parts.headers.insert(
        axum::http::header::VARY,
        axum::http::HeaderValue::from_static("accept-encoding"),
    );
    Response::from_parts(parts, axum::body::Body::from_stream(chunks))
}

/// What a stream is counted against: its session, or its account when it has none.
fn stream_key(session: &[u8], user: &User) -> Vec<u8> {
    if session.is_empty() {
        format!("account {}", user.id).into_bytes()
    } else {
        session.to_vec()
    }
}

/// The team's stream.
pub(crate) async fn team<S: Store>(State(app): State<Arc<App<S>>>, view: TeamView, headers: HeaderMap) -> Response {
    let resumed = parse_cursor(&headers, 4);
    let index = view.team;
    let user = Arc::new(view.user);
    // The white cell's messages to the team so far (the inbox badge counts them), kept up to
    // date by each poll from what came after its cursor.
    let tally: Arc<std::sync::Mutex<Option<Tally>>> = Arc::default();
    let session: Arc<[u8]> = crate::auth::session_token(&headers)
        .map(|t| atoll_app::accounts::token_hash(&t))
        .unwrap_or_default()
        .into();
    let ticket = Arc::new(app.open_stream(stream_key(&session, &user)));
    stream(resumed, takes_gzip(&headers), move |seen, due| {
        let ticket = ticket.clone();
        let (app, user, session, tally) = (app.clone(), user.clone(), session.clone(), tally.clone());
        async move {
            if ticket.is_ended() || due.session && !still_allowed(&app, &session, &user).await {
                return Polled::Ended;
            }
            // Alerts are told of together, at most once every few seconds (and at once on a
            // reconnection): at high speed they come several a second.
            team_poll(&app, index, user.id, seen, due.alerts, &tally)
                .await
                .map_or(Polled::Nothing, Polled::Changes)
        }
    })
}

/// How many messages of one kind there are, up to the one with id `last`.
#[derive(Debug, Clone, Copy)]
struct Tally {
    last: i64,
    count: usize,
}

/// A cursor's id, as the database's ids go.
fn id_of(seen: usize) -> i64 {
    i64::try_from(seen).unwrap_or(i64::MAX)
}

async fn team_poll<S: Store>(
    app: &Arc<App<S>>,
    index: usize,
    user: i64,
    seen: Option<Vec<usize>>,
    tell_alerts: bool,
    tally: &std::sync::Mutex<Option<Tally>>,
) -> Option<Poll> {
    let team_id = app.live.team_id(index);
    let teams = [team_id.clone()];
    let exercise = app.live.exercise;
    // The white cell's messages after the cursor: how many, and the newest few (no bodies).
    let since = seen.as_ref().map(|s| id_of(s[2]));
    let newest = if since.is_some() { MAX_NOTES as u32 } else { 0 };
    let new = app
        .db
        .message_heads_after(exercise, Some(&teams), true, since.unwrap_or(0), newest)
        .await
        .ok()?;
    let known = *tally.lock().unwrap_or_else(|e| e.into_inner());
    let counted = match (since, known) {
        (None, _) => Tally {
            last: new.last,
            count: new.count as usize,
        },
        (Some(since), Some(known)) if known.last == since => Tally {
            last: new.last,
            count: known.count + new.count as usize,
        },
        // A resumed stream's first poll: counted once, from the start.
        (Some(_), _) => {
            let all = app
                .db
                .message_heads_after(exercise, Some(&teams), true, 0, 0)
                .await
                .ok()?;
            Tally {
                last: all.last,
                count: all.count as usize,
            }
        }
    };
    *tally.lock().unwrap_or_else(|e| e.into_inner()) = Some(counted);
    let message_notes: Vec<(String, String)> = new
        .newest
        .iter()
        .map(|m| {
            (
                format!("Message from the white cell: {}", m.subject),
                format!("/teams/{team_id}/inbox"),
            )
        })
        .collect();
    let worker = app.clone();
    let seen_alerts = seen.as_ref().map_or(usize::MAX, |s| s[0]);
    let (now, alerts, new_alerts, delivered) = tokio::task::spawn_blocking(move || {
        let live = &worker.live;
        let now = live.now();
        let team_id = live.team_id(index);
        let runtime = live.team(index);
        let alerts = runtime.alerts();
        // One note for every alert not told of yet: how many, how many high or critical, the
        // newest; it opens the queue, or the alert when there is one.
        // A process seen by Sysmon and by Security auditing is one row of the queue: counted once.
        let twins = &*runtime;
        let rows = |from: usize| (from.min(alerts.len())..alerts.len()).filter(move |&i| !twins.is_second_sighting(i));
        let fresh: Vec<usize> = rows(seen_alerts).collect();
        let new_alerts: Option<(String, String)> = fresh.last().map(|&last| {
            let newest = &alerts[last];
            let high = fresh.iter().filter(|&&i| alerts[i].level >= Some(Level::High)).count();
            let on = newest.host.as_deref().map_or(String::new(), |h| format!(" on {h}"));
            let text = match (fresh.len(), high) {
                (1, _) => format!("New alert: {}{on}", newest.title),
                (n, 0) => format!("{n} new alerts; newest: {}{on}", newest.title),
                (n, h) => format!("{n} new alerts, {h} high or critical; newest: {}{on}", newest.title),
            };
            let href = if fresh.len() == 1 {
                format!("/teams/{team_id}/alerts/{last}")
            } else {
                format!("/teams/{team_id}")
            };
            (text, href)
        });
        let delivered = atoll_app::inbox::delivered(live, &team_id, &runtime.arrivals(), now);
        // Oldest first, as they came.
        let injects: Vec<(String, String)> = delivered
            .injects
            .iter()
            .rev()
            .map(|(_, i, _)| {
                (
                    format!("In your inbox: {}", i.subject.get("en")),
                    format!("/teams/{team_id}/inbox"),
                )
            })
            .collect();
        let questions: Vec<(String, String)> = delivered
            .questions
            .iter()
            .rev()
            .map(|(_, q, _)| {
                (
                    format!("New question: {}", crate::pages::short(q.prompt.get("en"), 100)),
                    format!("/teams/{team_id}/questions#question-{}", q.id.name),
                )
            })
            .collect();
        (now, alerts.len(), new_alerts, (injects, questions))
    })
    .await
    .ok()?;
    let (injects, questions) = delivered;
    let worker = app.clone();
    let to_team = counted.count;
    let badges = tokio::task::spawn_blocking(move || worker.badges_with(user, index, to_team))
        .await
        .ok()?;
    // Alerts not told of yet stay untold (the cursor does not pass them) until their note.
    let told_alerts = match &seen {
        Some(seen) if !tell_alerts => seen[0].min(alerts),
        _ => alerts,
    };
    let cursor = vec![
        told_alerts,
        injects.len(),
        usize::try_from(new.last).unwrap_or_default(),
        questions.len(),
    ];
    let mut notes = Vec::new();
    if let Some(seen) = &seen {
        if tell_alerts && let Some(note) = new_alerts {
            notes.push(note);
        }
        notes_for(
            &injects,
            seen[1],
            "injects",
            &format!("/teams/{team_id}/inbox"),
            &mut notes,
        );
        notes_since(
            new.count,
            message_notes,
            "messages",
            &format!("/teams/{team_id}/inbox"),
            &mut notes,
        );
        let href = format!("/teams/{team_id}/questions");
        notes_for(&questions, seen[3], "questions", &href, &mut notes);
    }
    let mut values = Map::new();
    values.insert("clock".into(), clock_label(app, now).into());
    // The badges: what came since the user last opened the page; nothing when nothing did.
    let badge = |count: usize| crate::html::badge(Some(count));
    values.insert("alerts".into(), badge(badges.alerts).into());
    values.insert("inbox".into(), badge(badges.inbox).into());
    values.insert("questions".into(), badge(badges.questions).into());
    Some(Poll { values, cursor, notes })
}

fn clock_label<S>(app: &App<S>, now: u64) -> String {
    app.live.when(ExerciseMs(now))
}

/// The white cell's stream: the board's numbers and what teams hand in or write.
pub(crate) async fn staff<S: Store>(
    State(app): State<Arc<App<S>>>,
    Staff(user): Staff,
    headers: HeaderMap,
) -> Response {
    let resumed = parse_cursor(&headers, 2);
    let user = Arc::new(user);
    let session: Arc<[u8]> = crate::auth::session_token(&headers)
        .map(|t| atoll_app::accounts::token_hash(&t))
        .unwrap_or_default()
        .into();
    let ticket = Arc::new(app.open_stream(stream_key(&session, &user)));
    stream(resumed, takes_gzip(&headers), move |seen, due| {
        let ticket = ticket.clone();
        let (app, user, session) = (app.clone(), user.clone(), session.clone());
        async move {
            if ticket.is_ended() || due.session && !still_allowed(&app, &session, &user).await {
                return Polled::Ended;
            }
            staff_poll(&app, &user, seen)
                .await
                .map_or(Polled::Nothing, Polled::Changes)
        }
    })
}

async fn staff_poll<S: Store>(app: &Arc<App<S>>, user: &User, seen: Option<Vec<usize>>) -> Option<Poll> {
    let name = |team: &str| app.live.team_name_of(team).to_owned();
    let exercise = app.live.exercise;
    let visible = crate::messages::teams_seen(app, user);
    let visible = visible.as_deref();
    // What teams handed in and wrote after the cursor: how many, and the newest few heads.
    let newest = if seen.is_some() { MAX_NOTES as u32 } else { 0 };
    let handed = app
        .db
        .submission_heads_after(exercise, visible, seen.as_ref().map_or(0, |s| id_of(s[0])), newest)
        .await
        .ok()?;
    let handed_in: Vec<(String, String)> = handed
        .newest
        .iter()
        .map(|s| {
            let what = match s.kind {
                Kind::Report => format!("a report: {}", s.subject),
                Kind::Answer => "a written answer".to_owned(),
            };
            (format!("{} sent {what}", name(&s.team)), "/grading".to_owned())
        })
        .collect();
    let written = app
        .db
        .message_heads_after(
            exercise,
            visible,
            false,
            seen.as_ref().map_or(0, |s| id_of(s[1])),
            newest,
        )
        .await
        .ok()?;
    let written_notes: Vec<(String, String)> = written
        .newest
        .iter()
        .map(|m| {
            (
                format!("Message from {}: {}", name(&m.team), m.subject),
                "/messages".to_owned(),
            )
        })
        .collect();
    let worker = app.clone();
    let visible: Vec<bool> = app
        .live
        .scenario
        .player_teams()
        .map(|t| user.sees(&t.id.name))
        .collect();
    let (now, teams) = tokio::task::spawn_blocking(move || {
        let live = &worker.live;
        let now = live.now();
        let mut teams = Vec::new();
        for (index, visible) in visible.iter().enumerate() {
            if !visible {
                continue;
            }
            let runtime = live.team(index);
            let alerts = runtime.alerts();
            let high = alerts
                .iter()
                .enumerate()
                .filter(|(n, a)| a.level >= Some(Level::High) && !runtime.is_second_sighting(*n))
                .count();
            let latest = alerts
                .last()
                .map(|a| format!("{} · {}", live.when(ExerciseMs(a.at)), a.title));
            teams.push((
                live.team_id(index),
                runtime.store().len(),
                runtime.detections(),
                high,
                latest,
            ));
        }
        (now, teams)
    })
    .await
    .ok()?;
    let mut values = Map::new();
    values.insert("clock".into(), clock_label(app, now).into());
    for (team, events, alerts, high, latest) in teams {
        values.insert(format!("{team}.events"), events.to_string().into());
        values.insert(format!("{team}.alerts"), alerts.to_string().into());
        values.insert(format!("{team}.high"), high.to_string().into());
        if let Some(latest) = latest {
            values.insert(format!("{team}.latest"), latest.into());
        }
    }
    let mut notes = Vec::new();
    if seen.is_some() {
        notes_since(handed.count, handed_in, "reports and answers", "/grading", &mut notes);
        notes_since(written.count, written_notes, "messages", "/messages", &mut notes);
    }
    let id = |last: i64| usize::try_from(last).unwrap_or_default();
    Some(Poll {
        values,
        cursor: vec![id(handed.last), id(written.last)],
        notes,
    })
}
