//! Campaign state in one team's world: what each step did, and the questions conditions ask.

use std::collections::HashMap;

use atoll_scenario::decode::FieldValue;
use atoll_scenario::model::{Campaign, Condition, Emit, Step};
use serde::Serialize;

use crate::clock::Millis;
use crate::world::World;

/// What became of a step in one team's world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Not due before the end of the run (or its anchor never came due).
    Pending,
    /// Ran: its effects happened and its events were logged.
    Succeeded,
    /// Was due, but a condition failed (often because of the team's actions); its fallback ran.
    Prevented,
}

/// What a successful step achieved: the things the team must undo to contain it.
#[derive(Debug, Clone, Default)]
pub struct Achieved {
    pub hosts: Vec<usize>,
    pub accounts: Vec<usize>,
    pub c2: Vec<C2>,
}

/// A command-and-control channel in a world.
#[derive(Debug, Clone)]
pub struct C2 {
    pub domain: Option<String>,
    pub address: Option<String>,
    pub port: u32,
    /// Hosts the channel runs through (a compromised edge device).
    pub via: Vec<usize>,
    /// Hosts whose implant calls out.
    pub from: Vec<usize>,
    pub opened: Millis,
    /// Index of the step that opened it.
    pub step: usize,
}

/// One step's record in one world.
#[derive(Debug, Clone)]
pub struct StepState {
    pub status: Status,
    pub due: Option<Millis>,
    pub hosts: Vec<usize>,
    pub events: Vec<u64>,
    pub reason: Option<String>,
    pub achieved: Achieved,
    /// The step this one stood in for.
    pub fallback_for: Option<usize>,
    /// Whether the step applies in this world (its campaign runs here and its target exists).
    pub applies: bool,
    /// Skipped by the white cell: it never ran, but later steps go on as if it had.
    pub skipped: bool,
}

/// Per-campaign memory of the adversary in one world.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// Stolen credentials, with when.
    pub creds: Vec<(usize, Millis)>,
    /// The latest channel.
    pub c2: Option<C2>,
    /// Where the adversary last acted.
    pub last_hosts: Vec<usize>,
}

/// Facts from outside the simulation: what the team detected, answered, chose, and which
/// injects it received, with when.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub detected: HashMap<String, Millis>,
    pub delivered: HashMap<String, Millis>,
    pub answered: HashMap<String, Millis>,
    pub chose: HashMap<(String, String), Millis>,
}

/// All steps of all campaigns in file order.
#[derive(Debug)]
pub struct Plan<'s> {
    pub steps: Vec<(&'s Campaign, &'s Step, usize)>,
    pub index: HashMap<&'s str, usize>,
    /// Steps timed `after:` each step.
    pub dependents: Vec<Vec<usize>>,
}

impl<'s> Plan<'s> {
    pub fn new(campaigns: &'s [Campaign]) -> Plan<'s> {
        let mut steps = Vec::new();
        let mut index = HashMap::new();
        for (ci, c) in campaigns.iter().enumerate() {
            for s in &c.steps {
                index.insert(s.id.name.as_str(), steps.len());
                steps.push((c, s, ci));
            }
        }
        let mut dependents = vec![Vec::new(); steps.len()];
        for (i, (_, s, _)) in steps.iter().enumerate() {
            if let Some(after) = &s.after
                && let Some(&a) = index.get(after.value.anchor.as_str())
            {
                dependents[a].push(i);
            }
        }
        Plan {
            steps,
            index,
            dependents,
        }
    }
}

/// Whether what `state` achieved has all been undone in `world` as it is now: its hosts
/// isolated, off or rebuilt since, its stolen accounts disabled or reset since, its channels
/// blocked or cut at their relay.
pub fn contained(state: &StepState, world: &World<'_>, succeeded_at: Millis) -> bool {
    if state.status != Status::Succeeded {
        return false;
    }
    let a = &state.achieved;
    let host_clean = |h: usize| {
        let s = &world.hosts[h].state;
        s.isolated || s.off || s.rebuilt_at.is_some_and(|r| r >= succeeded_at)
    };
    let account_clean = |x: usize| {
        let acc = &world.accounts[x];
        acc.disabled || acc.reset_at.is_some_and(|r| r >= succeeded_at)
    };
    let c2_cut = |c: &C2| {
        c.address.as_deref().is_some_and(|x| world.is_blocked(x))
            || c.domain.as_deref().is_some_and(|x| world.is_blocked(x))
            || c.via.iter().any(|&h| host_clean(h))
            || (!c.from.is_empty() && c.from.iter().all(|&h| host_clean(h)))
    };
    let anything = !a.hosts.is_empty() || !a.accounts.is_empty() || !a.c2.is_empty();
    anything
        && a.hosts.iter().all(|&h| host_clean(h))
        && a.accounts.iter().all(|&x| account_clean(x))
        && a.c2.iter().all(c2_cut)
}

/// Evaluates a condition in a world at `t`. `start` is exercise time of clock times.
pub fn holds(
    c: &Condition,
    plan: &Plan<'_>,
    states: &[StepState],
    world: &World<'_>,
    facts: &Facts,
    t: Millis,
    clock_offset: &dyn Fn(&atoll_scenario::time::ClockTime) -> i64,
) -> bool {
    let step = |name: &str| plan.index.get(name).map(|&i| &states[i]);
    let fact = |m: &HashMap<String, Millis>, k: &str| m.get(k).is_some_and(|&at| at <= t);
    match c {
        Condition::Step(r) => step(&r.name).is_some_and(|s| s.status == Status::Succeeded || s.skipped),
        Condition::Blocked(r) => step(&r.name).is_some_and(|s| s.status == Status::Prevented && !s.skipped),
        Condition::Detected(r) => fact(&facts.detected, &r.name),
        Condition::Contained(r) => step(&r.name).is_some_and(|s| contained(s, world, s.due.unwrap_or(0))),
        Condition::Delivered(r) => fact(&facts.delivered, &r.name),
        Condition::Answered(r) => fact(&facts.answered, &r.name),
        Condition::Chose(ch) => facts
            .chose
            .get(&(ch.decision.name.clone(), ch.option.name.clone()))
            .is_some_and(|&at| at <= t),
        Condition::Time(ct) => clock_offset(&ct.value) <= t as i64,
        Condition::Not(inner) => !holds(inner, plan, states, world, facts, t, clock_offset),
        Condition::All(cs) => cs.iter().all(|c| holds(c, plan, states, world, facts, t, clock_offset)),
        Condition::Any(cs) => cs.iter().any(|c| holds(c, plan, states, world, facts, t, clock_offset)),
    }
}

/// A condition as a short text, for the ground truth's reasons.
pub fn describe(c: &Condition) -> String {
    match c {
        Condition::Step(r) => format!("step {} succeeded", r.name),
        Condition::Blocked(r) => format!("step {} was prevented", r.name),
        Condition::Detected(r) => format!("step {} detected", r.name),
        Condition::Contained(r) => format!("step {} contained", r.name),
        Condition::Delivered(r) => format!("inject {} delivered", r.name),
        Condition::Answered(r) => format!("question {} answered", r.name),
        Condition::Chose(ch) => format!("option {} of decision {} chosen", ch.option.name, ch.decision.name),
        Condition::Time(t) => format!("time {}", t.value),
        Condition::Not(inner) => format!("not ({})", describe(inner)),
        Condition::All(cs) => cs.iter().map(describe).collect::<Vec<_>>().join(" and "),
        Condition::Any(cs) => cs.iter().map(describe).collect::<Vec<_>>().join(" or "),
    }
}

/// Whether any field of the step's emits uses a placeholder of this family (`account.`, …).
pub fn uses(step: &Step, family: &str) -> bool {
    step.emits.iter().any(|e: &Emit| {
        e.fields
            .values()
            .any(|v| matches!(v, FieldValue::Text(t) if t.contains(&format!("{{{{{family}")) || t.contains(&format!("{{{{ {family}"))))
    })
}

/// Fills `{{name}}` placeholders of a template value.
pub fn fill_placeholders(template: &str, lookup: &dyn Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(i) = rest.find("{{") {
        out.push_str(&rest[..i]);
        let Some(j) = rest[i..].find("}}") else {
            out.push_str(&rest[i..]);
            return out;
        };
        out.push_str(&lookup(rest[i + 2..i + j].trim()));
        rest = &rest[i + j + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_with_and_without_spaces() {
        let f = |name: &str| match name {
            "host.hostname" => "PT-WEB01".to_string(),
            other => format!("<{other}>"),
        };
        assert_eq!(
            fill_placeholders("{{host.hostname}} and {{ host.hostname }}", &f),
            "PT-WEB01 and PT-WEB01"
        );
        assert_eq!(fill_placeholders("x {{org.domain}}y", &f), "x <org.domain>y");
        assert_eq!(fill_placeholders("no close {{host", &f), "no close {{host");
    }
}
