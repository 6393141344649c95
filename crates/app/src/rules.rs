//! A team's own detection rules: what a rule written in the browser must be, and turning one
//! on and off (stored first, then run by the team's world from the time stored).

use std::sync::Arc;

use atoll_exercise::ExerciseMs;
use atoll_sigma::RuleSet;
use atoll_store::{Store, StoreError, User};

use crate::{App, Error, Result, clock_now};

/// The longest rule a team may write.
pub const MAX_RULE_BYTES: usize = 20_000;
/// A rule the team wrote, compiled alone: exactly one Sigma rule and no correlation. The
/// errors say where (`line 3, column 5: …`).
pub fn compile(yaml: &str) -> std::result::Result<RuleSet, Vec<String>> {
    if yaml.len() > MAX_RULE_BYTES {
        return Err(vec![format!("yaml: a rule is at most {MAX_RULE_BYTES} bytes")]);
    }
    let (rules, correlations) = atoll_sigma::load_str(yaml, &atoll_sigma::Config::default()).map_err(|errors| {
        errors
            .iter()
            .map(|e| format!("line {}, column {}: {}", e.span.line, e.span.col, e.message))
            .collect::<Vec<_>>()
    })?;
    if !correlations.is_empty() {
        return Err(vec![
            "yaml: correlation rules cannot be turned on from the workspace; write a single detection rule".to_owned(),
        ]);
    }
    if rules.len() != 1 {
        return Err(vec![format!(
            "yaml: write exactly one rule (this text has {})",
            rules.len()
        )]);
    }
    Ok(RuleSet::new(rules))
}

/// The exercise time a change to team `index`'s rules takes effect at: now, in whole seconds,
/// never before the time its world has reached (taken off the async workers).
async fn change_time<S: Store>(app: &Arc<App<S>>, index: usize) -> Result<u64> {
    let worker = app.clone();
    tokio::task::spawn_blocking(move || {
        let now = worker.live.now().max(worker.live.team(index).reached());
        now.div_ceil(1000) * 1000
    })
    .await
    .map_err(|_| Error::failed("The server failed while reading the clock."))
}

/// A rule of a team just turned on.
#[derive(Debug, Clone)]
pub struct TurnedOn {
    pub id: i64,
    pub title: String,
    /// Exercise time it raises alerts from.
    pub at: u64,
}

/// `user` turns on a rule for team `index`, written as `yaml`: compiled (the error's details
/// are the problems, each with its line and column), stored, then run on the team's new
/// events from now.
pub async fn turn_on<S: Store>(app: &Arc<App<S>>, index: usize, user: &User, yaml: &str) -> Result<TurnedOn> {
    let set = compile(yaml).map_err(|problems| Error::invalid("yaml", problems.join("; ")).with_details(problems))?;
    if let Some(ended) = app.live.ended() {
        return Err(Error::conflict(format!(
            "Play ended at {}: rules are no longer turned on.",
            app.live.when(ExerciseMs(ended))
        )));
    }
    let title = set.rules().first().map(|r| r.title.clone()).unwrap_or_default();
    let team = app.live.team_id(index);
    // One change at a time, so that the time checked is the time the rule goes live.
    let _writing = app.clock_writes.lock().await;
    let at = change_time(app, index).await?;
    let id = app
        .db
        .add_team_rule(app.live.exercise, &team, &title, yaml, user.id, at, clock_now())
        .await
        .map_err(|_| Error::unavailable("The rule could not be stored; nothing was turned on. Try again."))?;
    let worker = app.clone();
    let applied = tokio::task::spawn_blocking(move || worker.live.team(index).add_rule(id, set, at)).await;
    if !matches!(applied, Ok(Ok(()))) {
        return Err(Error::failed(
            "The rule was stored but could not be turned on now; it will be on after the server restarts.",
        ));
    }
    Ok(TurnedOn { id, title, at })
}

/// `user` turns off team `index`'s rule `id` (one that is on): stored, then the team's world
/// stops running it from now.
pub async fn turn_off<S: Store>(app: &Arc<App<S>>, index: usize, user: &User, id: i64) -> Result<()> {
    let team = app.live.team_id(index);
    let _writing = app.clock_writes.lock().await;
    let at = change_time(app, index).await?;
    match app.db.turn_off_rule(app.live.exercise, &team, id, user.id, at).await {
        Ok(()) => {}
        Err(StoreError::NoRule) => return Err(Error::not_found("Your team has no such rule turned on.")),
        Err(_) => return Err(Error::unavailable("The rule could not be turned off; try again.")),
    }
    let worker = app.clone();
    // Stored first: if the world cannot follow now, it will after a restart.
    let _ = tokio::task::spawn_blocking(move || worker.live.team(index).stop_rule(id, at)).await;
    Ok(())
}

/// Instructor `user` turns one of the exercise's shared rules (by its id) on or off for every
/// team, from now: stored first, then put in force, and written to the audit log.
pub async fn switch_shared<S: Store>(app: &Arc<App<S>>, user: &User, rule: &str, on: bool) -> Result<()> {
    if app.live.shared_rule(rule).is_none() {
        return Err(Error::not_found(format!("No rule has the id `{rule}`.")).at("rule"));
    }
    // One change at a time, and no tick meanwhile, so that the time chosen is the time it
    // takes effect: now (in whole seconds), never before the time any team's world reached.
    let _writing = app.clock_writes.lock().await;
    let worker = app.clone();
    let at = tokio::task::spawn_blocking(move || {
        let live = &worker.live;
        let reached = (0..live.scenario.player_teams().count())
            .map(|i| live.team(i).reached())
            .max()
            .unwrap_or(0);
        live.now().max(reached).div_ceil(1000) * 1000
    })
    .await
    .map_err(|_| Error::failed("The server failed while reading the clock."))?;
    app.db
        .switch_rule(app.live.exercise, rule, on, at, user.id, clock_now())
        .await
        .map_err(|_| Error::unavailable("The change could not be stored; try again."))?;
    let worker = app.clone();
    let id = rule.to_owned();
    let applied = tokio::task::spawn_blocking(move || worker.live.switch_rule(&id, on, at)).await;
    // Named as people know it: by its title, with its id.
    let title = app
        .live
        .detection()
        .and_then(|(_, selected)| selected.set.rules().iter().find(|r| r.id.as_deref() == Some(rule)))
        .map_or(String::new(), |r| format!("«{}» ", r.title));
    let detail = format!(
        "turned rule {title}(`{rule}`) {} for every team from {}",
        if on { "on" } else { "off" },
        app.live.when(ExerciseMs(at))
    );
    crate::audit::record(app, user, if on { "rule.on" } else { "rule.off" }, None, &detail).await;
    match applied {
        Ok(Ok(())) => Ok(()),
        _ => Err(Error::failed(
            "The change was stored but could not be put in force; it will be after a restart.",
        )),
    }
}
