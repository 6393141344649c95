//! Stored first, then applied ([`record`]): how actions and facts reach a team's world. Facts
//! are what a world must know so that what waits on them happens: a step detected (an alert
//! on its events marked true positive, or a report credited for it), an inject sent by hand,
//! a question answered. Each is stored first, then given to the world at exactly the
//! exercise time stored, which is the time it is given again after a restart
//! ([`crate::Live::replay_facts`]).

use std::future::Future;
use std::sync::Arc;

use atoll_sim::ActionKind;
use atoll_store::Store;

use crate::App;

/// Why a fact's record was not made.
#[derive(Debug)]
pub enum Unrecorded<E> {
    /// The store refused it (the caller says why).
    Store(E),
    /// The server failed while recording it.
    Server,
}

/// When a stored change takes effect in a team's world.
#[derive(Debug, Clone, Copy)]
pub enum Starting {
    /// Now, to the millisecond (facts).
    Now,
    /// At this exercise time or later, in whole seconds, never before the time the world has
    /// reached (actions: their time was checked for this moment).
    Second(u64),
}

/// What a stored change does to the team's world.
#[derive(Debug)]
pub enum Then {
    /// Nothing more (the store found it done already).
    Nothing,
    /// A fact the world learns ([`atoll_exercise::TeamRuntime::take_fact`]).
    Fact(ActionKind),
    /// An action the world takes and shows at once ([`crate::Live::take_now`]); its time is
    /// set to the time held.
    Action(atoll_sim::Action),
}

/// **Stored first, then applied**: the one path by which what people do reaches a team's
/// world. Holds team `index`'s world at the time the change takes effect (`from`), stores it
/// with `store(at)`, which says what the world then does ([`Then`]), and applies that at
/// exactly `at`, the time stored and the time a restart gives it again. What a world did is
/// so never more than the database knows. Runs to the end even if the request that asked
/// goes away, so that nothing is stored without reaching the world, nor the world left
/// waiting. Returns what `store` did, the time, and whether the world took it (a change
/// stored but refused by the world is refused again at replay: the caller says so or logs it).
pub async fn record<S, T, E, F, Fut>(
    app: &Arc<App<S>>,
    index: usize,
    from: Starting,
    store: F,
) -> Result<(T, u64, Result<(), String>), Unrecorded<E>>
where
    S: Store,
    T: Send + 'static,
    E: Send + 'static,
    F: FnOnce(u64) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(T, Then), E>> + Send + 'static,
{
    let app = app.clone();
    let task = tokio::spawn(async move {
        let worker = app.clone();
        let at = tokio::task::spawn_blocking(move || match from {
            Starting::Now => worker.live.hold(index),
            Starting::Second(wanted) => {
                let mut runtime = worker.live.team(index);
                let at = wanted.max(runtime.reached().div_ceil(1000) * 1000);
                runtime.hold(at)
            }
        })
        .await
        .map_err(|_| Unrecorded::Server)?;
        let stored = store(at).await;
        let worker = app.clone();
        match stored {
            Ok((value, then)) => {
                let applied = tokio::task::spawn_blocking(move || match then {
                    Then::Nothing => {
                        worker.live.release(index, at);
                        Ok(())
                    }
                    Then::Fact(kind) => worker.live.take_fact(index, at, kind),
                    Then::Action(mut action) => {
                        action.at = at;
                        worker.live.take_now(index, action)
                    }
                })
                .await
                .unwrap_or_else(|_| Err("the server failed while applying it".to_owned()));
                Ok((value, at, applied))
            }
            Err(e) => {
                let _ = tokio::task::spawn_blocking(move || worker.live.release(index, at)).await;
                Err(Unrecorded::Store(e))
            }
        }
    });
    task.await.unwrap_or(Err(Unrecorded::Server))
}

/// Records a fact (stored, then given to the world now); a fact the world refuses is logged:
/// it is stored, and will be given (and refused) again after a restart.
pub async fn record_fact<S, T, E, F, Fut>(app: &Arc<App<S>>, index: usize, store: F) -> Result<(T, u64), Unrecorded<E>>
where
    S: Store,
    T: Send + 'static,
    E: Send + 'static,
    F: FnOnce(u64) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(T, Then), E>> + Send + 'static,
{
    let team = app.live.team_id(index);
    let (value, at, applied) = record(app, index, Starting::Now, store).await?;
    if let Err(e) = applied {
        tracing::error!(team, at, error = %e, "a stored fact was refused by the team's world");
    }
    Ok((value, at))
}

/// Records the steps that verdicts of true positive on these alert rows (of team `index`)
/// detect, where not already detected: a step is detected when an alert raised by one of its
/// events is marked true positive.
pub async fn verdicts<S: Store>(app: &Arc<App<S>>, index: usize, rows: Vec<u32>, user: i64) {
    let worker = app.clone();
    let steps = tokio::task::spawn_blocking(move || {
        let runtime = worker.live.team(index);
        let mut steps: Vec<String> = Vec::new();
        for o in runtime.outcomes() {
            if rows.iter().any(|&r| o.events.binary_search(&u64::from(r)).is_ok()) && !steps.iter().any(|s| s == o.step)
            {
                steps.push(o.step.to_owned());
            }
        }
        steps
    })
    .await
    .unwrap_or_default();
    for step in steps {
        detected(app, index, step, "verdict", user).await;
    }
}

/// Records that team `index` detected `step` (by `source`: `verdict` or `report`), if it had
/// not before. A detection that cannot be stored is logged: the verdict or grade that made it
/// stands, and the step counts as detected for scoring regardless.
pub async fn detected<S: Store>(app: &Arc<App<S>>, index: usize, step: String, source: &'static str, user: i64) {
    let app2 = app.clone();
    let team = app.live.team_id(index);
    let name = team.clone();
    let what = step.clone();
    let recorded = record_fact(app, index, move |at| async move {
        let new = app2
            .db
            .record_detection(app2.live.exercise, &name, &step, at, source, user, crate::clock_now())
            .await?;
        let then = if new {
            Then::Fact(ActionKind::Detected(step))
        } else {
            Then::Nothing
        };
        Ok::<_, atoll_store::StoreError>(((), then))
    })
    .await;
    if let Err(e) = recorded {
        tracing::error!(team, step = what, source, error = ?e, "a detection could not be stored");
    }
}
