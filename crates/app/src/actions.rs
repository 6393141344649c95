//! Response actions and the white cell's step changes: checked against the team's world,
//! then **stored first, then applied** ([`store_and_apply`], over [`crate::facts::record`],
//! the one path by which what people do reaches a world).

use std::sync::Arc;

use atoll_store::Store;

use crate::{App, Error, Result, clock_now};

/// The response actions a team can take, and what each costs (`{}` is the target). What each
/// takes as its target comes from the simulation's own list of actions.
pub const ACTIONS: &[(&str, &str)] = &[
    (
        "isolate_host",
        "{} is cut off the network: nothing reaches it or leaves it, including the services it runs for its users, until you release it.",
    ),
    ("release_host", "{} goes back on the network."),
    (
        "block_address",
        "Nothing in your network can reach {}, and {} cannot reach your network.",
    ),
    (
        "block_domain",
        "Names under {} stop resolving for everyone in your network, whatever uses them.",
    ),
    (
        "disable_account",
        "{} cannot sign in anywhere until the account is enabled again.",
    ),
    ("enable_account", "{} can sign in again."),
    (
        "reset_password",
        "{} gets a new password: whoever knew the old one is locked out, and so is its owner until told the new one.",
    ),
    (
        "reimage_host",
        "{} is wiped and rebuilt: down for four hours, and what changed on it since it was built is lost.",
    ),
    ("restore_backup", "{} goes back to its last backup: down for two hours."),
    ("patch_host", "{} is patched and restarts: down for twenty minutes."),
    (
        "shutdown_host",
        "{} is switched off, with every service it runs, until it is started again.",
    ),
    ("start_host", "{} is switched on."),
    ("stop_service", "The service {} stops for everyone who uses it."),
    ("start_service", "The service {} starts again."),
];

/// The services an action on a host takes down with it (`Customer portal — Palau Telecom,
/// critical`), as the team's world stands: what the confirmation names as the cost.
pub fn affected_services(runtime: &atoll_exercise::TeamRuntime<'_>, kind: &atoll_sim::ActionKind) -> Vec<String> {
    use atoll_sim::ActionKind as K;
    let host = match kind {
        K::IsolateHost(h) | K::ShutdownHost(h) | K::ReimageHost(h) | K::RestoreBackup(h) | K::PatchHost(h) => h,
        _ => return Vec::new(),
    };
    let Some(world) = runtime.world() else {
        return Vec::new();
    };
    let Some(index) = world.hosts.iter().position(|h| h.def.id.name == *host) else {
        return Vec::new();
    };
    world
        .services
        .iter()
        .filter(|s| s.hosts.contains(&index))
        .map(|s| {
            let org = world.orgs.get(s.org).map_or("", |o| o.def.name.as_str());
            format!("{} — {org}, {}", s.def.name.get("en"), s.def.criticality.as_str())
        })
        .collect()
}

/// A response action checked against the team's world: the action as the simulation takes
/// it, the time it takes effect at, what it costs (with `{}` for the target) and the services
/// that stop with it.
#[derive(Debug)]
pub struct Checked {
    pub parsed: atoll_sim::Action,
    pub at: u64,
    pub cost: &'static str,
    pub affected: Vec<String>,
}

/// Checks response action `action` on `target` for team `index`; the error names the field.
pub async fn check_action<S: Store>(app: &Arc<App<S>>, index: usize, action: &str, target: &str) -> Result<Checked> {
    let Some((_, cost)) = ACTIONS.iter().find(|(w, _)| *w == action) else {
        return Err(Error::invalid("action", format!("`{action}` is not a response action")));
    };
    if target.is_empty() || target.chars().count() > 200 {
        return Err(Error::invalid(
            "target",
            "name a host, address, domain, account or service (at most 200 characters)",
        ));
    }
    // The exercise lock is taken on a blocking thread, as everywhere.
    let worker = app.clone();
    let (name, verb, object) = (app.live.team_id(index), action.to_owned(), target.to_owned());
    tokio::task::spawn_blocking(move || {
        let clock_time = worker.live.now();
        let now = clock_time.max(worker.live.team(index).reached());
        // Whole seconds, never before the time the world has reached.
        let at = now.div_ceil(1000) * 1000;
        let parsed = worker
            .live
            .action(&name, at, &verb, &object)
            .map_err(|e| Error::refused(&e))?;
        let affected = affected_services(&worker.live.team(index), &parsed.kind);
        Ok(Checked {
            parsed,
            at,
            cost,
            affected,
        })
    })
    .await
    .unwrap_or_else(|_| Err(Error::failed("The server failed while checking the action.")))
}

/// Takes response action `action` on `target` for team `index` by `user`, now: checked,
/// stored, then applied. Returns the stored action's id and its exercise time.
pub async fn take_action<S: Store>(
    app: &Arc<App<S>>,
    index: usize,
    user: i64,
    action: &str,
    target: &str,
) -> Result<(i64, u64)> {
    // Actions and clock changes go one at a time, so the time an action is checked for is the
    // time it is taken at.
    let _writing = app.clock_writes.lock().await;
    let checked = check_action(app, index, action, target).await?;
    let taken = Taken {
        team: index,
        at: checked.at,
        action,
        target,
        user,
        what: "action",
    };
    store_and_apply(app, taken, checked.parsed).await
}

/// An action checked and about to be taken, as it is stored.
#[derive(Debug)]
pub struct Taken<'a> {
    pub team: usize,
    pub at: u64,
    pub action: &'a str,
    /// Its fields, one per line.
    pub target: &'a str,
    pub user: i64,
    /// What the page calls it: `action`, `change`.
    pub what: &'a str,
}

/// Stores an action, then applies it to the team's world: stored first, so that what the
/// world did is never more than the database knows; returns its id and the time it took effect.
/// From the moment its time is fixed until
/// it is taken, the world waits there ([`atoll_exercise::TeamRuntime::hold`]), so that a tick
/// cannot pass it while the database writes; the whole runs to the end even if the request
/// goes away, so the world is never left waiting. The world then shows what the action did at
/// once, even while the clock is paused.
pub async fn store_and_apply<S: Store>(
    app: &Arc<App<S>>,
    taken: Taken<'_>,
    parsed: atoll_sim::Action,
) -> Result<(i64, u64)> {
    let what = taken.what.to_owned();
    let (action, target, user) = (taken.action.to_owned(), taken.target.to_owned(), taken.user);
    let (worker, team_id) = (app.clone(), app.live.team_id(taken.team));
    let from = crate::facts::Starting::Second(taken.at);
    let recorded = crate::facts::record(app, taken.team, from, move |at| async move {
        let id = worker
            .db
            .record_action(worker.live.exercise, &team_id, at, &action, &target, user, clock_now())
            .await?;
        Ok::<_, atoll_store::StoreError>((id, crate::facts::Then::Action(parsed)))
    })
    .await;
    match recorded {
        Ok((id, at, Ok(()))) => Ok((id, at)),
        // Stored but refused: it will be refused again at replay. Say so rather than hide it.
        Ok((_, _, Err(e))) => Err(Error::conflict(format!(
            "The {what} was recorded but could not be applied: {e}"
        ))),
        Err(crate::facts::Unrecorded::Store(_)) => Err(Error::unavailable(format!(
            "The {what} could not be stored, so it was not taken; try again."
        ))),
        Err(crate::facts::Unrecorded::Server) => {
            Err(Error::failed(format!("The server failed while taking the {what}.")))
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_response_action_is_one_the_simulation_takes_with_one_target() {
        for (word, cost) in super::ACTIONS {
            let needs = atoll_sim::actions::ACTIONS
                .iter()
                .find(|(w, _)| w == word)
                .map(|(_, n)| n.len());
            assert_eq!(needs, Some(1), "{word}");
            assert!(cost.contains("{}"), "{word}: the cost names the target");
        }
    }
}
