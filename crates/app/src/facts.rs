//! Facts of the exercise that a team's world must know, so that what waits on them happens:
//! a step detected (an alert on its events marked true positive, or a report credited for
//! it), an inject sent by hand, a question answered. Each is stored first, then given to the
//! world at exactly the exercise time stored, which is the time it is given again after a
//! restart ([`crate::Live::replay_facts`]).

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

/// Holds team `index`'s world at the time the fact takes effect (now), stores it with
/// `store(at)`, which says what fact (if any) the world learns, and gives the world that fact
/// at `at`. Runs to the end even if the request that asked goes away, so that nothing is
/// stored without reaching the world, nor the world left waiting. Returns what `store` did
/// and the time.
pub async fn record<S, T, E, F, Fut>(app: &Arc<App<S>>, index: usize, store: F) -> Result<(T, u64), Unrecorded<E>>
where
    S: Store,
    T: Send + 'static,
    E: Send + 'static,
    F: FnOnce(u64) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(T, Option<ActionKind>), E>> + Send + 'static,
{
    let app = app.clone();
    let task = tokio::spawn(async move {
        let worker = app.clone();
        let at = tokio::task::spawn_blocking(move || worker.live.hold(index))
            .await
            .map_err(|_| Unrecorded::Server)?;
        let stored = store(at).await;
        let worker = app.clone();
        let team = app.live.team_id(index);
        match stored {
            Ok((value, fact)) => {
                let what = fact.as_ref().map(|f| f.name());
                let given = tokio::task::spawn_blocking(move || match fact {
                    Some(kind) => worker.live.take_fact(index, at, kind),
                    None => {
                        worker.live.release(index, at);
                        Ok(())
                    }
                })
                .await;
                match given {
                    Ok(Ok(())) => {}
                    // Stored: it will be given again (and refused again) after a restart.
                    Ok(Err(e)) => {
                        tracing::error!(team, fact = what, at, error = %e, "a stored fact was refused by the team's world");
                    }
                    Err(e) => {
                        tracing::error!(team, fact = what, at, error = %e, "the server failed while giving a stored fact");
                    }
                }
                Ok((value, at))
            }
            Err(e) => {
                let _ = tokio::task::spawn_blocking(move || worker.live.release(index, at)).await;
                Err(Unrecorded::Store(e))
            }
        }
    });
    task.await.unwrap_or(Err(Unrecorded::Server))
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
    let recorded = record(app, index, move |at| async move {
        let new = app2
            .db
            .record_detection(app2.live.exercise, &name, &step, at, source, user, crate::clock_now())
            .await?;
        Ok::<_, atoll_store::StoreError>(((), new.then_some(ActionKind::Detected(step))))
    })
    .await;
    if let Err(e) = recorded {
        tracing::error!(team, step = what, source, error = ?e, "a detection could not be stored");
    }
}
