//! The white cell's changes to one team's campaign: run a step still to come now, delay it or
//! skip it. Stored like a team's response action, so it survives a restart.

use std::sync::Arc;

use atoll_exercise::ExerciseMs;
use atoll_sim::campaign::Status;
use atoll_store::Store;

use crate::{App, Error, Result};

/// What an instructor can do to a step still to come: form value, label.
pub const CHANGES: &[(&str, &str)] = &[
    ("run", "Run it now"),
    ("delay:15m", "Delay 15 min"),
    ("delay:30m", "Delay 30 min"),
    ("delay:1h", "Delay 1 h"),
    ("delay:2h", "Delay 2 h"),
    ("delay:4h", "Delay 4 h"),
    ("skip", "Skip it"),
];

/// Runs, delays (`delay:15m`, one of [`CHANGES`]) or skips step `step` of team `index`'s
/// campaign, by instructor `user`: only a step still to come, and a run only once what it
/// requires holds. Stored, applied and written to the audit log. Returns the stored change's
/// id, its time, and its action and target as stored.
pub async fn change_step<S: Store>(
    app: &Arc<App<S>>,
    index: usize,
    user: &atoll_store::User,
    step: &str,
    change: &str,
) -> Result<(i64, u64, &'static str, String)> {
    let team_id = app.live.team_id(index);
    let (action, target) = match change {
        "run" => ("run_step", step.to_owned()),
        "skip" => ("skip_step", step.to_owned()),
        other => match other.strip_prefix("delay:") {
            Some(by) if CHANGES.iter().any(|(v, _)| *v == other) => ("delay_step", format!("{step}\n{by}")),
            _ => {
                let choices: Vec<&str> = CHANGES.iter().map(|(v, _)| *v).collect();
                return Err(Error::invalid(
                    "change",
                    format!("`{change}` is not one of {}", choices.join(", ")),
                ));
            }
        },
    };
    // One change at a time, with clock changes and team actions, as a team's response action.
    let _writing = app.clock_writes.lock().await;
    let worker = app.clone();
    let (team, name, target_text, wanted) = (index, team_id.clone(), target.clone(), step.to_owned());
    let checked = tokio::task::spawn_blocking(move || {
        // The clock before the team, as everywhere.
        let clock_time = worker.live.now();
        let mut runtime = worker.live.team(team);
        if !worker.live.is_rebuilt(team) {
            // Which steps are still to come is known only once the world has caught up.
            return Err(Error::unavailable(format!(
                "The server restarted and this team's world is still being rebuilt (it stands at {}); \
                 change its campaign in a minute or two.",
                worker.live.when(ExerciseMs(runtime.reached()))
            )));
        }
        // Whole seconds, never before the time the world has reached.
        let at = clock_time.max(runtime.reached()).div_ceil(1000) * 1000;
        // The world as it stands when the change takes effect: a step that comes due before
        // then is no longer the white cell's to change.
        runtime.advance_to(at);
        let pending = runtime
            .outcomes()
            .iter()
            .any(|o| o.step == wanted && o.status == Status::Pending && o.due.is_none());
        let unmet = (action == "run_step")
            .then(|| runtime.unmet_requirement(&wanted, at))
            .flatten();
        drop(runtime);
        if !pending {
            return Err(Error::invalid(
                "step",
                format!("`{wanted}` is not a step still to come for this team; only those can be changed."),
            ));
        }
        // Run before what it requires, the step would only be prevented, and the team
        // credited for a prevention it did not make.
        if let Some(unmet) = unmet {
            return Err(Error::invalid(
                "step",
                format!(
                    "`{wanted}` cannot run now: it requires {unmet}, which does not hold in this team's world yet. Run what it requires first, or skip it."
                ),
            ));
        }
        worker
            .live
            .action(&name, at, action, &target_text)
            .map(|a| (a, at))
            .map_err(|e| Error::refused(&e))
    })
    .await
    .unwrap_or_else(|_| Err(Error::failed("The server failed while checking the change.")))?;
    let (parsed, at) = checked;
    let taken = crate::actions::Taken {
        team: index,
        at,
        action,
        target: &target,
        user: user.id,
        what: "change",
    };
    let (id, at) = crate::actions::store_and_apply(app, taken, parsed).await?;
    let detail = match change.strip_prefix("delay:") {
        Some(by) => format!("delayed step `{step}` by {by}"),
        None => format!("{change} step `{step}` at {}", app.live.when(ExerciseMs(at))),
    };
    let kind = format!("step.{}", change.split(':').next().unwrap_or_default());
    crate::audit::record(app, user, &kind, Some(&team_id), &detail).await;
    Ok((id, at, action, target))
}
