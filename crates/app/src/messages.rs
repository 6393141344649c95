//! Messages between the white cell and the teams (ad-hoc injects written on the spot, to one
//! team or every team, and teams' messages to the white cell), and the scenario's injects
//! sent by hand.

use std::sync::Arc;

use atoll_store::{AtMost, Role, Store, StoreError, User};

use crate::limits::{BODY_CHARS, PLAYER_MESSAGES, SUBJECT_CHARS, TEAM_MESSAGES, WHITE_CELL_MESSAGES};
use crate::{App, Error, Result, clock_now};

/// A message as written: to one team (`None`: every team), for one track (`None`: all), on
/// the thread of one scenario inject that has reached the team (`None`: on none).
#[derive(Debug, Clone, Default)]
pub struct Message {
    pub team: Option<String>,
    pub track: Option<String>,
    pub inject: Option<String>,
    pub subject: String,
    pub body: String,
}

/// A message as stored for one team.
#[derive(Debug, Clone)]
pub struct Sent {
    pub id: i64,
    pub team: String,
    /// Exercise time.
    pub at: u64,
    /// `true` from the white cell, `false` from the team.
    pub to_team: bool,
    pub track: Option<String>,
    /// The inject whose thread it is on.
    pub inject: Option<String>,
    pub subject: String,
    pub body: String,
}

/// The inject a reply is on, checked: one that has reached team `index` (a thread on an
/// inject the team has not had would tell it what is coming). Empty: none.
fn thread_of<S>(app: &App<S>, index: usize, inject: Option<&str>) -> Result<Option<String>> {
    let Some(inject) = inject.map(str::trim).filter(|i| !i.is_empty()) else {
        return Ok(None);
    };
    if crate::inbox::arrivals(&app.live, index)
        .iter()
        .any(|(_, i, _)| i.id.name == inject)
    {
        Ok(Some(inject.to_owned()))
    } else {
        Err(Error::invalid(
            "inject",
            format!("`{inject}` is not in this team's inbox: reply on an inject that has arrived."),
        ))
    }
}

/// A subject and body, trimmed, within their limits.
fn checked(subject: &str, body: &str) -> Result<(String, String)> {
    let (subject, body) = (subject.trim(), body.trim());
    if subject.is_empty() || subject.chars().count() > SUBJECT_CHARS {
        return Err(Error::invalid(
            "subject",
            format!("write one, of at most {SUBJECT_CHARS} characters."),
        ));
    }
    if body.is_empty() || body.chars().count() > BODY_CHARS {
        return Err(Error::invalid(
            "body",
            format!("write a message, of at most {BODY_CHARS} characters."),
        ));
    }
    Ok((subject.to_owned(), body.to_owned()))
}

/// The player teams a `team` field names: one, or every team when empty.
fn teams_named<S>(app: &App<S>, team: Option<&str>) -> Result<Vec<String>> {
    let scenario = app.live.scenario;
    match team.map(str::trim).unwrap_or_default() {
        "" => Ok(scenario.player_teams().map(|t| t.id.name.clone()).collect()),
        one if scenario.player_teams().any(|t| t.id.name == one) => Ok(vec![one.to_owned()]),
        other => Err(Error::invalid(
            "team",
            format!("`{other}` is not a team of this exercise."),
        )),
    }
}

/// Instructor `user` sends `message` now; each team's copy is stored and written to the audit
/// log. A copy that cannot be stored stops the sending: the teams before it have theirs, and
/// the error gives back what was written.
pub async fn send<S: Store>(app: &Arc<App<S>>, user: &User, message: Message) -> Result<Vec<Sent>> {
    let (subject, body) = checked(&message.subject, &message.body)?;
    let track = match message.track.as_deref().map(str::trim).unwrap_or_default() {
        "" => None,
        one if app.live.scenario.tracks.iter().any(|t| t.id.name == one) => Some(one.to_owned()),
        other => {
            return Err(Error::invalid(
                "track",
                format!("`{other}` is not a track of this exercise."),
            ));
        }
    };
    let teams = teams_named(app, message.team.as_deref())?;
    let inject = match message.inject.as_deref().map(str::trim).unwrap_or_default() {
        "" => None,
        _ if teams.len() != 1 => {
            return Err(Error::invalid(
                "inject",
                "a reply on an inject goes to one team: choose the team.",
            ));
        }
        _ => {
            let index = app
                .live
                .scenario
                .player_teams()
                .position(|t| t.id.name == teams[0])
                .unwrap_or_default();
            thread_of(app, index, message.inject.as_deref())?
        }
    };
    let at = app.live.now();
    let mut sent = Vec::new();
    for team in teams {
        let stored = app
            .db
            .send_message(
                app.live.exercise,
                &team,
                true,
                track.as_deref(),
                inject.as_deref(),
                &subject,
                &body,
                user.id,
                at,
                clock_now(),
                AtMost::all(WHITE_CELL_MESSAGES),
            )
            .await;
        let id = match stored {
            Ok(id) => id,
            Err(e) => {
                let reached: Vec<&str> = sent.iter().map(|s: &Sent| s.team.as_str()).collect();
                let before = if reached.is_empty() {
                    String::new()
                } else {
                    format!(" ({} have it)", reached.join(", "))
                };
                return Err(match e {
                    StoreError::TooMany => Error::too_many(
                        Some("team"),
                        format!(
                            "{team} has had {WHITE_CELL_MESSAGES} messages from the white cell, the most an exercise takes, so this one was not sent to it{before}; talk to the team in the room. What you wrote: {subject} — {body}"
                        ),
                    ),
                    _ => Error::unavailable(format!(
                        "The message to {team} could not be stored{before}. What you wrote: {subject} — {body}"
                    )),
                });
            }
        };
        let to = track.as_deref().map_or(String::new(), |t| format!(" (the {t} track)"));
        crate::audit::record(app, user, "message", Some(&team), &format!("message{to}: {subject}")).await;
        sent.push(Sent {
            id,
            team,
            at,
            to_team: true,
            track: track.clone(),
            inject: inject.clone(),
            subject: subject.clone(),
            body: body.clone(),
        });
    }
    Ok(sent)
}

/// Player `user` of team `index` writes to the white cell as the team: on its own, or as a
/// reply on the thread of `inject` (one that has reached the team).
pub async fn from_team<S: Store>(
    app: &Arc<App<S>>,
    index: usize,
    user: &User,
    subject: &str,
    body: &str,
    inject: Option<&str>,
) -> Result<Sent> {
    // A message from the team is the team's own word: the white cell writes from Messages.
    if user.role != Role::Player {
        return Err(Error::invalid(
            "role",
            "only the team's players write to the white cell as the team; instructors write to teams from the Messages page.",
        ));
    }
    let (subject, body) = checked(subject, body)?;
    let inject = thread_of(app, index, inject)?;
    let team = app.live.team_id(index);
    let at = app.live.now();
    let id = app
        .db
        .send_message(
            app.live.exercise,
            &team,
            false,
            None,
            inject.as_deref(),
            &subject,
            &body,
            user.id,
            at,
            clock_now(),
            AtMost {
                all: TEAM_MESSAGES,
                user: PLAYER_MESSAGES,
            },
        )
        .await
        // Nothing typed is lost: the text comes back to be sent again.
        .map_err(|e| {
            let whose = match e {
                StoreError::TooMany => format!("your team has written {TEAM_MESSAGES}"),
                StoreError::TooManyOfUser => format!("you have written {PLAYER_MESSAGES}"),
                _ => {
                    return Error::unavailable(format!(
                        "The message could not be stored; try again. What you wrote: {subject} — {body}"
                    ));
                }
            };
            Error::too_many(
                Some("body"),
                format!(
                    "{whose} messages to the white cell, the most this exercise takes; talk to an instructor in the room. What you wrote: {subject} — {body}"
                ),
            )
        })?;
    Ok(Sent {
        id,
        team,
        at,
        to_team: false,
        track: None,
        inject,
        subject,
        body,
    })
}

/// Instructor `user` sends scenario inject `inject` by hand now, to `team` or (when `None`)
/// to every team it is addressed to. Each is stored, then given to the team's world, so what
/// follows it or waits for it comes; teams that had it by hand already are left alone.
/// Returns the teams it reached now, with the exercise time.
pub async fn send_inject<S: Store>(
    app: &Arc<App<S>>,
    user: &User,
    inject: &str,
    team: Option<&str>,
) -> Result<Vec<(String, u64)>> {
    let id = inject.trim().to_owned();
    let scenario = app.live.scenario;
    let Some(found) = scenario.injects.iter().find(|i| i.id.name == id) else {
        return Err(Error::invalid(
            "inject",
            format!("`{id}` is not an inject of this scenario."),
        ));
    };
    let addressed: Vec<String> = scenario
        .player_teams()
        .map(|t| t.id.name.clone())
        .filter(|t| atoll_sim::items::addressed(found.to.as_ref(), t).is_some())
        .collect();
    let teams = match team.map(str::trim).unwrap_or_default() {
        "" if addressed.is_empty() => {
            return Err(Error::invalid(
                "inject",
                format!("`{id}` is addressed to no player team."),
            ));
        }
        "" => addressed,
        one if addressed.iter().any(|t| t == one) => vec![one.to_owned()],
        one if scenario.player_teams().any(|t| t.id.name == one) => {
            return Err(Error::invalid(
                "team",
                format!("inject `{id}` is not addressed to `{one}`."),
            ));
        }
        other => {
            return Err(Error::invalid(
                "team",
                format!("`{other}` is not a team of this exercise."),
            ));
        }
    };
    let mut reached = Vec::new();
    let mut already = Vec::new();
    for team in &teams {
        let Some(index) = scenario.player_teams().position(|t| &t.id.name == team) else {
            continue;
        };
        let worker = app.clone();
        let (name, inject, by) = (team.clone(), id.clone(), user.id);
        let sent = crate::facts::record_fact(app, index, move |at| async move {
            let new = worker
                .db
                .send_inject(worker.live.exercise, &name, &inject, at, by, clock_now())
                .await?;
            let then = match new {
                true => crate::facts::Then::Fact(atoll_sim::ActionKind::Delivered(inject)),
                false => crate::facts::Then::Nothing,
            };
            Ok::<_, atoll_store::StoreError>((new, then))
        })
        .await;
        match sent {
            Ok((true, at)) => {
                let detail = format!("sent inject `{id}` by hand");
                crate::audit::record(app, user, "inject.send", Some(team), &detail).await;
                reached.push((team.clone(), at));
            }
            Ok((false, _)) => already.push(team.as_str()),
            Err(_) => {
                return Err(Error::unavailable(
                    "The inject could not be sent; try again (teams it reached before keep it).",
                ));
            }
        }
    }
    if already.len() == teams.len() {
        return Err(Error::conflict(format!(
            "Inject `{id}` was already sent by hand to {}.",
            already.join(", ")
        )));
    }
    Ok(reached)
}
