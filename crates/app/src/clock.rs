//! The white cell's clock: start, pause, resume, change the speed, jump forward, end play.
//! Changes go one at a time, each stored before it is answered; one that cannot be stored is
//! undone, so memory and database never disagree.

use std::sync::Arc;

use atoll_exercise::ExerciseMs;
use atoll_exercise::{Clock, ClockError};
use atoll_store::{Store, User};

use crate::{App, Error, Result};

/// A change to the clock, as a form or the API sends it.
#[derive(Debug, Clone, Default)]
pub struct ClockChange {
    /// `start`, `pause`, `resume`, `speed`, `jump` or `end`.
    pub action: String,
    /// For `speed`: exercise seconds per real second.
    pub speed: Option<String>,
    /// For `jump`: an exercise time (`D2 08:30`, `+5h`).
    pub to: Option<String>,
    /// For `end`, needed; for `jump`, needed when it passes open time limits.
    pub confirm: bool,
}

/// The clock before and after a change.
#[derive(Debug, Clone, Copy)]
pub struct Changed {
    pub before: Clock,
    pub clock: Clock,
}

/// Changes the clock for instructor `user`, stores it and writes it to the audit log.
///
/// A jump forward that would close open time limits (a detection window, an answer's or a
/// report's limit) is refused unless confirmed: the error ([`crate::Kind::Conflict`], field
/// `confirm`) lists them in [`Error::details`], soonest first.
pub async fn change<S: Store>(app: &Arc<App<S>>, user: &User, change: ClockChange) -> Result<Changed> {
    let _writing = app.clock_writes.lock().await;
    let action = change.action.trim().to_owned();
    if action == "jump" && !change.confirm {
        let to = change.to.as_deref().map(str::trim).unwrap_or_default().to_owned();
        if let Ok(time) = atoll_scenario::time::ClockTime::parse(&to) {
            let at = app.live.sim_clock().offset(&time).max(0) as u64;
            let passes = jump_passes(app, at).await?;
            if !passes.is_empty() {
                return Err(Error::invalid(
                    "confirm",
                    format!("the jump to {to} passes {}; confirm to jump anyway", passes.join("; ")),
                )
                .conflicting()
                .with_details(passes));
            }
        }
    }
    let worker = app.clone();
    let asked = change.clone();
    let changed = tokio::task::spawn_blocking(move || {
        let live = &worker.live;
        let wall = live.wall_now();
        live.change_clock(wall, |clock| apply(live, clock, wall, &asked))
    })
    .await
    .map_err(|_| Error::failed("The server failed while changing the clock."))?;
    // Refused as things stand (the clock is not running, play has ended) or as asked: either
    // way the board comes back saying why, as a conflict with the clock.
    let (before, clock) =
        changed.map_err(|e| Error::refused(&format!("{}.", e.0.trim_end_matches('.'))).conflicting())?;
    let stored = match serde_json::to_string(&clock) {
        Ok(text) => app.db.save_clock(app.live.exercise, &text).await.is_ok(),
        Err(_) => false,
    };
    if !stored {
        // The clock's lock may be held while worlds catch up: wait for it off the async workers.
        let worker = app.clone();
        let _ = tokio::task::spawn_blocking(move || worker.live.restore_clock(before)).await;
        return Err(Error::unavailable(
            "The clock could not be stored, so it was not changed; try again.",
        ));
    }
    let wall = app.live.wall_now();
    let (was, is) = (
        app.live.when(ExerciseMs(before.now(wall))),
        app.live.when(ExerciseMs(clock.now(wall))),
    );
    let detail = match action.as_str() {
        "start" => format!("started play at {is}"),
        "pause" => format!("paused the clock at {is}"),
        "resume" => format!("resumed the clock at {is}"),
        "speed" => format!("set the speed from {}× to {}× at {is}", before.speed, clock.speed),
        "jump" => format!("jumped from {was} to {is}"),
        _ => format!("ended play at {is}"),
    };
    crate::audit::record(app, user, &format!("clock.{action}"), None, &detail).await;
    Ok(Changed { before, clock })
}

/// Applies `change` to `clock` at wall time `wall`; the error starts with the field at fault.
fn apply(
    live: &crate::Live,
    clock: &mut Clock,
    wall: i64,
    change: &ClockChange,
) -> std::result::Result<(), ClockError> {
    match change.action.trim() {
        "start" => clock.start(wall),
        "pause" => clock.pause(wall),
        "resume" => clock.resume(wall),
        "speed" => match change.speed.as_deref().map(str::trim).map(str::parse::<u32>) {
            Some(Ok(speed)) if (1..=atoll_exercise::clock::MAX_SPEED).contains(&speed) => clock.set_speed(wall, speed),
            _ => Err(ClockError(format!(
                "speed: give a whole number from 1 to {}",
                atoll_exercise::clock::MAX_SPEED
            ))),
        },
        "jump" => {
            let to = change.to.as_deref().map(str::trim).unwrap_or_default();
            match atoll_scenario::time::ClockTime::parse(to) {
                Ok(time) => {
                    let at = live.sim_clock().offset(&time);
                    if at < 0 {
                        Err(ClockError(format!("to: `{to}` is before play starts")))
                    } else if (at as u64) < clock.now(wall) {
                        Err(ClockError(format!(
                            "to: `{to}` has passed; the clock only moves forward"
                        )))
                    } else {
                        clock.jump(wall, at as u64)
                    }
                }
                Err(_) => Err(ClockError(format!(
                    "to: `{to}` is not an exercise time; write e.g. `D2 08:30` or `+5h`"
                ))),
            }
        }
        "end" if change.confirm => clock.end_now(wall),
        "end" => Err(ClockError(
            "confirm: tick the box to end the exercise; play cannot be resumed afterwards".into(),
        )),
        "" => Err(ClockError(
            "action: say start, pause, resume, speed, jump or end".into(),
        )),
        other => Err(ClockError(format!("action: `{other}` is not a clock action"))),
    }
}

/// What a jump to exercise time `at` would pass, over every team: the open time limits that
/// close between now and then, soonest first (`Palau: «…» (50 points) closes at D1 14:00`).
pub async fn jump_passes<S: Store>(app: &Arc<App<S>>, at: u64) -> Result<Vec<String>> {
    let mut records = Vec::new();
    for i in 0..app.live.scenario.player_teams().count() {
        records.push(crate::score::records(app, &app.live.team_id(i)).await?);
    }
    let worker = app.clone();
    tokio::task::spawn_blocking(move || {
        let mut passes: Vec<(u64, String)> = Vec::new();
        for (i, records) in records.iter().enumerate() {
            // Takes each team's lock in turn.
            let status = crate::score::team_status(&worker, i, records);
            for item in &status.score.items {
                if let Some(closes) = item.closes.filter(|&c| c > status.now && c <= at) {
                    passes.push((
                        closes,
                        format!(
                            "{}: «{}» ({} points) closes at {}",
                            worker.live.team_name(i),
                            item.text,
                            item.max,
                            worker.live.when(ExerciseMs(closes))
                        ),
                    ));
                }
            }
        }
        passes.sort();
        passes.into_iter().map(|(_, line)| line).collect()
    })
    .await
    .map_err(|_| Error::failed("The server failed while reading the time limits."))
}
