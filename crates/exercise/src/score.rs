//! A team's score from the scenario's expectations, each with the reason for its points.
//!
//! Pure: it reads the simulation's outcomes, the team's alert verdicts (with the exercise time
//! each was given) and the time now, and says for every expectation what the team earned and
//! why, in words a team can check against its own timeline:
//! - **detect** a step: an alert raised by one of the step's events, marked *true positive* by
//!   the team and not withdrawn since (timed from the verdict that began the standing run of
//!   true positives), in time (`within` after the step ran, and before the `deadline`); a step
//!   the team prevented earns the points too, since there was nothing left to detect;
//! - **contain before** a step: the step was prevented;
//! - once play has ended nothing stays open: a step that never came due is missed, with that
//!   reason;
//! - **keep up** services: the share of play so far that every chosen service was up, against
//!   the minimum; settled when play ends;
//! - a step the white cell skipped is not scored, either way;
//! - **report**, **answer**, **decide**: scored when the team's reports, answers and decisions
//!   are graded, which this build cannot take yet: such expectations are listed, unscored.

use atoll_scenario::Scenario;
use atoll_scenario::time::ClockTime;
use atoll_sim::actions::SKIPPED;
use atoll_sim::campaign::Status;
use atoll_sim::{Downtime, StepOutcome, available_percent};

use crate::clock::Millis;
use crate::team::Alert;

/// A team's verdict on one alert, as stored.
#[derive(Debug, Clone)]
pub struct Verdict<'a> {
    pub row: u32,
    /// The rule's id, or its title when it has none.
    pub rule: &'a str,
    pub state: &'a str,
    /// Exercise time it was given; `None` for verdicts stored before that was recorded.
    pub at: Option<Millis>,
    pub username: &'a str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Earned,
    Missed,
    /// Can still be earned or missed.
    Open,
    /// Needs something this build does not take (reports, answers, decisions).
    Unscored,
}

/// One expectation's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub expectation: String,
    pub text: String,
    pub points: u32,
    pub max: u32,
    pub standing: Standing,
    pub why: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Score {
    pub items: Vec<Item>,
}

impl Score {
    pub fn total(&self) -> u32 {
        self.items.iter().map(|i| i.points).sum()
    }

    /// Points of every expectation that can be scored in this build.
    pub fn possible(&self) -> u32 {
        self.items
            .iter()
            .filter(|i| i.standing != Standing::Unscored)
            .map(|i| i.max)
            .sum()
    }
}

/// What scoring reads about one team at one moment.
#[derive(Debug)]
pub struct Facts<'a> {
    pub team: &'a str,
    pub outcomes: &'a [StepOutcome<'a>],
    pub downtime: &'a [Downtime<'a>],
    pub verdicts: &'a [Verdict<'a>],
    pub alerts: &'a [Alert],
    /// Exercise time now, and whether play has ended.
    pub now: Millis,
    pub ended: bool,
}

/// Scores one team. `label` writes an exercise time as people read it (`D1 09:40`);
/// `offset` turns a clock time of the scenario into exercise time.
pub fn score(
    scenario: &Scenario,
    facts: &Facts<'_>,
    label: &dyn Fn(Millis) -> String,
    offset: &dyn Fn(&ClockTime) -> i64,
) -> Score {
    let mut items = Vec::new();
    for e in &scenario.expectations {
        if !e.teams.is_empty() && !e.teams.iter().any(|t| t.name == facts.team) {
            continue;
        }
        let deadline = e.deadline.as_ref().map(|d| offset(&d.value).max(0) as Millis);
        let within = e.within.map(|w| w.as_secs() * 1000);
        let result = if let Some(step) = &e.detect {
            let Some(outcome) = outcome(facts, &step.name) else {
                continue;
            };
            Some(skipped(outcome).unwrap_or_else(|| detect(facts, outcome, within, deadline, label)))
        } else if let Some(step) = &e.contain_before {
            let Some(outcome) = outcome(facts, &step.name) else {
                continue;
            };
            Some(skipped(outcome).unwrap_or_else(|| contain(outcome, facts.ended, label)))
        } else if let Some(keep) = &e.keep_up {
            // No service of this team's world is chosen: the expectation is not this team's.
            let Some(result) = keep_up(scenario, facts, keep) else {
                continue;
            };
            Some(result)
        } else {
            None
        };
        let (earned, standing, why) = result.unwrap_or_else(|| {
            let what = if e.report.is_some() {
                "an incident report"
            } else if e.answer.is_some() {
                "an answer"
            } else {
                "a decision"
            };
            (
                false,
                Standing::Unscored,
                format!("Scored when {what} is graded; this build does not take them yet."),
            )
        });
        items.push(Item {
            expectation: e.id.name.clone(),
            text: e.text.get("en").to_owned(),
            points: if earned { e.points } else { 0 },
            max: e.points,
            standing,
            why,
        });
    }
    Score { items }
}

/// One campaign step of a team as play stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub step: String,
    pub status: Status,
    /// Exercise time it ran or was prevented.
    pub at: Option<Millis>,
    /// When the team detected it: the standing true-positive verdict on an alert its events
    /// raised, timed as detection expectations time it.
    pub detected: Option<Millis>,
    /// Why it did not run, for a prevented step ([`SKIPPED`] if the white cell skipped it).
    pub reason: Option<String>,
}

/// Where the campaign stands for the team: every step of it, in the order the simulation
/// lists them.
pub fn progress(facts: &Facts<'_>) -> Vec<Progress> {
    facts
        .outcomes
        .iter()
        .filter(|o| o.team == facts.team)
        .map(|o| Progress {
            step: o.step.to_owned(),
            status: o.status,
            at: o.due,
            detected: match o.status {
                Status::Succeeded => detection(facts, o).map(|(at, _, _)| at),
                _ => None,
            },
            reason: o.reason.map(str::to_owned),
        })
        .collect()
}

/// A step the white cell skipped is scored neither way: the team had nothing to detect or
/// contain, and did nothing to stop it either.
fn skipped(outcome: &StepOutcome<'_>) -> Option<(bool, Standing, String)> {
    (outcome.reason == Some(SKIPPED)).then(|| {
        (
            false,
            Standing::Unscored,
            format!("The white cell skipped step {}, so this is not scored.", outcome.step),
        )
    })
}

fn outcome<'a>(facts: &'a Facts<'a>, step: &str) -> Option<&'a StepOutcome<'a>> {
    facts.outcomes.iter().find(|o| o.team == facts.team && o.step == step)
}

/// A duration as people say it: `45 min`, `2 h`, `2 h 5 min`.
pub fn span(ms: Millis) -> String {
    let minutes = ms / 60_000;
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

fn detect(
    facts: &Facts<'_>,
    outcome: &StepOutcome<'_>,
    within: Option<Millis>,
    deadline: Option<Millis>,
    label: &dyn Fn(Millis) -> String,
) -> (bool, Standing, String) {
    let step = outcome.step;
    let ran = match (outcome.status, outcome.due) {
        (Status::Prevented, _) => {
            let reason = outcome.reason.map(|r| format!(" ({r})")).unwrap_or_default();
            return (
                true,
                Standing::Earned,
                format!(
                    "Step {step} never ran: the team's response prevented it{reason}, so there was nothing left to detect."
                ),
            );
        }
        (Status::Succeeded, Some(at)) => at,
        _ if facts.ended => {
            return (
                false,
                Standing::Missed,
                format!("Play ended before step {step} ran, so its detection cannot be judged."),
            );
        }
        _ => {
            return (false, Standing::Open, format!("Step {step} has not happened yet."));
        }
    };
    let limit = match (within.map(|w| ran + w), deadline) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let allowed = limit.map_or(String::new(), |l| format!("; the limit was {}", label(l)));
    match detection(facts, outcome) {
        Some((at, verdict, alert)) => {
            let what = alert.map_or_else(
                || format!("the alert on event {}", verdict.row),
                |a| match &a.host {
                    Some(host) => format!("alert «{}» on {host}", a.title),
                    None => format!("alert «{}»", a.title),
                },
            );
            let when = format!(
                "{what} was marked true positive by {} at {}, {} after the step ran at {}{allowed}",
                verdict.username,
                label(at),
                span(at.saturating_sub(ran)),
                label(ran)
            );
            if limit.is_none_or(|l| at <= l) {
                (true, Standing::Earned, format!("Detected: {when}."))
            } else {
                (false, Standing::Missed, format!("Detected too late: {when}."))
            }
        }
        None => match limit {
            Some(l) if facts.now > l || facts.ended => (
                false,
                Standing::Missed,
                format!(
                    "Not detected in time: step {step} ran at {} and no alert on its events was marked true positive by {}.",
                    label(ran),
                    label(l)
                ),
            ),
            Some(l) => (
                false,
                Standing::Open,
                format!(
                    "Step {step} ran at {}; {} left to mark an alert on its events true positive.",
                    label(ran),
                    span(l - facts.now)
                ),
            ),
            None if facts.ended => (
                false,
                Standing::Missed,
                format!(
                    "Not detected: step {step} ran at {} and no alert on its events was marked true positive.",
                    label(ran)
                ),
            ),
            None => (
                false,
                Standing::Open,
                format!(
                    "Step {step} ran at {}; no alert on its events is marked true positive yet.",
                    label(ran)
                ),
            ),
        },
    }
}

/// The earliest standing true-positive verdict on an alert raised by one of the step's events:
/// for each such alert whose latest verdict is true positive, the verdict that began that
/// unbroken run of true positives (a verdict withdrawn and given again counts from again).
fn detection<'a>(
    facts: &'a Facts<'a>,
    outcome: &StepOutcome<'_>,
) -> Option<(Millis, &'a Verdict<'a>, Option<&'a Alert>)> {
    // (row, rule) → the verdict that began its current run of true positives, if any.
    let mut runs: Vec<(u32, &str, Option<&Verdict<'_>>)> = Vec::new();
    for v in facts.verdicts {
        if outcome.events.binary_search(&u64::from(v.row)).is_err() {
            continue;
        }
        let at = match runs.iter().position(|(row, rule, _)| *row == v.row && *rule == v.rule) {
            Some(at) => at,
            None => {
                runs.push((v.row, v.rule, None));
                runs.len() - 1
            }
        };
        let run = &mut runs[at].2;
        if v.state != "true_positive" {
            *run = None;
        } else if run.is_none() {
            *run = Some(v);
        }
    }
    let mut best: Option<(Millis, &Verdict<'_>)> = None;
    for v in runs.iter().filter_map(|(_, _, run)| *run) {
        // Verdicts stored before their exercise time was recorded cannot be timed.
        let Some(at) = v.at else { continue };
        if best.is_none_or(|(b, _)| at < b) {
            best = Some((at, v));
        }
    }
    let (at, verdict) = best?;
    let alert = facts
        .alerts
        .iter()
        .find(|a| a.row == verdict.row && a.rule_id.as_deref().unwrap_or(&a.title) == verdict.rule);
    Some((at, verdict, alert))
}

fn contain(outcome: &StepOutcome<'_>, ended: bool, label: &dyn Fn(Millis) -> String) -> (bool, Standing, String) {
    let step = outcome.step;
    match (outcome.status, outcome.due) {
        (Status::Prevented, _) => {
            let reason = outcome.reason.map(|r| format!(": {r}")).unwrap_or_default();
            (true, Standing::Earned, format!("Step {step} was prevented{reason}."))
        }
        (Status::Succeeded, Some(at)) => (
            false,
            Standing::Missed,
            format!("Step {step} ran at {} before the intrusion was contained.", label(at)),
        ),
        // Play ended first: the adversary never got there, because time ran out, not because
        // the team stopped it.
        _ if ended => (
            false,
            Standing::Missed,
            format!("Play ended before step {step} came due, so its containment cannot be judged."),
        ),
        _ => (
            false,
            Standing::Open,
            format!("Step {step} has not happened yet: contain the intrusion before it does."),
        ),
    }
}

/// Whether players see an item's text and reason: once it is settled. An open item would tell
/// them which step ran when, or what comes next.
pub fn shown_to_players(item: &Item) -> bool {
    matches!(item.standing, Standing::Earned | Standing::Missed)
}

fn keep_up(
    scenario: &Scenario,
    facts: &Facts<'_>,
    keep: &atoll_scenario::model::KeepUp,
) -> Option<(bool, Standing, String)> {
    let chosen: Vec<&Downtime<'_>> = facts
        .downtime
        .iter()
        .filter(|d| d.team == facts.team)
        .filter(|d| {
            scenario
                .world
                .organisations
                .iter()
                .find(|o| o.id.name == d.service.organisation.name)
                .is_some_and(|org| keep.service.matches(d.service, org))
        })
        .collect();
    if chosen.is_empty() {
        return None;
    }
    let percent = |down: Millis| available_percent(down, facts.now);
    let worst = chosen
        .iter()
        .min_by(|a, b| percent(a.down).total_cmp(&percent(b.down)))?;
    let p = percent(worst.down);
    let name = worst.service.name.get("en");
    let ok = p + 1e-9 >= keep.min_percent;
    let state = format!(
        "{name} was up {p:.1}% of play so far (down {}); the minimum is {}%",
        span(worst.down),
        keep.min_percent
    );
    Some(match (ok, facts.ended) {
        (true, true) => (true, Standing::Earned, format!("Kept up: {state}.")),
        (false, true) => (false, Standing::Missed, format!("Not kept up: {state}.")),
        (true, false) => (false, Standing::Open, format!("On track: {state}.")),
        (false, false) => (false, Standing::Open, format!("Below the minimum for now: {state}.")),
    })
}
