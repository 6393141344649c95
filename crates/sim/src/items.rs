//! The scenario's injects, questions and decisions as one team meets them: what decides when
//! each reaches the team. The run ([`crate::sim`]) keeps the times they arrive.
//!
//! An item reaches a team when the first of these happens:
//! - its fixed time (`at: D1 08:30`, with its jitter drawn per team);
//! - that long after what it follows (`after: vt-edge-exploit + 20m`) happened for the team: a
//!   campaign step that ran (or that the white cell skipped: what follows it still comes; a
//!   step the team prevented brings nothing), or another item that reached the team;
//! - with the inject it is shown with (`inject: partner-advisory`);
//! - `delay` after its condition (`when:`) first holds in the team's world — it then comes even
//!   if the condition stops holding;
//! - an instructor sends it by hand (an inject; [`crate::ActionKind::Delivered`]).
//!
//! Items addressed to other teams, or to no player at all, never reach the team.

use std::collections::HashMap;

use atoll_scenario::Scenario;
use atoll_scenario::model::{Audience, Condition};
use atoll_scenario::time::{After, At};

use crate::campaign::Plan;
use crate::clock::Millis;

/// What kind of item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Inject,
    Question,
    Decision,
}

/// Why an item reached the team when it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// Its time, or what it follows.
    Planned,
    /// Its condition came to hold.
    Condition,
    /// An instructor sent it.
    ByHand,
    /// The option a team chose in a decision delivers it.
    Decision,
}

/// One item that reached a team.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrival<'s> {
    pub kind: Kind,
    pub id: &'s str,
    /// Exercise time it arrived.
    pub at: Millis,
    pub how: How,
}

/// One inject, question or decision, as timing reads it.
#[derive(Debug)]
pub struct Item<'s> {
    pub kind: Kind,
    pub id: &'s str,
    pub to: Option<&'s Audience>,
    pub at: Option<&'s At>,
    pub after: Option<&'s After>,
    /// The inject it is shown with.
    pub with: Option<&'s str>,
    pub when: Option<&'s Condition>,
    /// How long after its condition first holds it arrives.
    pub delay: Millis,
}

/// Every item of a scenario and what follows what.
#[derive(Debug)]
pub struct Items<'s> {
    /// Injects, then questions, then decisions, each in file order.
    pub list: Vec<Item<'s>>,
    pub index: HashMap<&'s str, usize>,
    /// Per item: the items that follow it (`after:` it, or shown with it).
    pub after_item: Vec<Vec<usize>>,
    /// Per campaign step (in [`Plan`] order): the items that follow it.
    pub after_step: Vec<Vec<usize>>,
    /// Per item: the campaign steps timed after it.
    pub steps_after: Vec<Vec<usize>>,
    /// Items that wait for a condition.
    pub conditional: Vec<usize>,
    /// The clock times (`time:`) that items' conditions name: when to look at them again.
    pub times: Vec<&'s atoll_scenario::time::ClockTime>,
}

impl<'s> Items<'s> {
    pub fn new(scenario: &'s Scenario, plan: &Plan<'s>) -> Items<'s> {
        let mut list = Vec::new();
        for i in &scenario.injects {
            list.push(Item {
                kind: Kind::Inject,
                id: &i.id.name,
                to: i.to.as_ref(),
                at: i.at.as_ref().map(|a| &a.value),
                after: i.after.as_ref().map(|a| &a.value),
                with: None,
                when: i.when.as_ref(),
                delay: i.delay.as_ref().map_or(0, |d| d.value.as_secs() * 1000),
            });
        }
        for q in &scenario.questions {
            list.push(Item {
                kind: Kind::Question,
                id: &q.id.name,
                to: q.to.as_ref(),
                at: q.at.as_ref().map(|a| &a.value),
                after: q.after.as_ref().map(|a| &a.value),
                with: q.inject.as_ref().map(|r| r.name.as_str()),
                when: q.when.as_ref(),
                delay: 0,
            });
        }
        for d in &scenario.decisions {
            list.push(Item {
                kind: Kind::Decision,
                id: &d.id.name,
                to: d.to.as_ref(),
                at: d.at.as_ref().map(|a| &a.value),
                after: d.after.as_ref().map(|a| &a.value),
                with: d.inject.as_ref().map(|r| r.name.as_str()),
                when: d.when.as_ref(),
                delay: 0,
            });
        }
        let index: HashMap<&'s str, usize> = list.iter().enumerate().map(|(k, item)| (item.id, k)).collect();
        let mut after_item = vec![Vec::new(); list.len()];
        let mut after_step = vec![Vec::new(); plan.steps.len()];
        let mut conditional = Vec::new();
        let mut times = Vec::new();
        for (k, item) in list.iter().enumerate() {
            if let Some(inject) = item.with {
                if let Some(&i) = index.get(inject) {
                    after_item[i].push(k);
                }
            } else if let Some(after) = item.after {
                if let Some(&i) = index.get(after.anchor.as_str()) {
                    after_item[i].push(k);
                } else if let Some(&s) = plan.index.get(after.anchor.as_str()) {
                    after_step[s].push(k);
                }
            }
            if let Some(when) = item.when {
                conditional.push(k);
                clock_times(when, &mut times);
            }
        }
        let mut steps_after = vec![Vec::new(); list.len()];
        for (si, (_, step, _)) in plan.steps.iter().enumerate() {
            if let Some(after) = &step.after
                && let Some(&k) = index.get(after.value.anchor.as_str())
            {
                steps_after[k].push(si);
            }
        }
        Items {
            list,
            index,
            after_item,
            after_step,
            steps_after,
            conditional,
            times,
        }
    }
}

/// Whether something addressed to `to` reaches players of `team`, and which tracks if only
/// some (`technical, policy`).
pub fn addressed(to: Option<&Audience>, team: &str) -> Option<Option<String>> {
    let Some(to) = to else {
        return Some(None);
    };
    let team_ok = to.teams.is_empty() || to.teams.iter().any(|t| t.name == team);
    let role_ok = to.roles.is_empty() || to.roles.iter().any(|r| r.as_str() == "player");
    (team_ok && role_ok).then(|| {
        (!to.tracks.is_empty()).then(|| to.tracks.iter().map(|t| t.name.clone()).collect::<Vec<_>>().join(", "))
    })
}

/// The clock times a condition names.
fn clock_times<'s>(c: &'s Condition, out: &mut Vec<&'s atoll_scenario::time::ClockTime>) {
    match c {
        Condition::Time(t) => out.push(&t.value),
        Condition::Not(inner) => clock_times(inner, out),
        Condition::All(cs) | Condition::Any(cs) => cs.iter().for_each(|c| clock_times(c, out)),
        _ => {}
    }
}
