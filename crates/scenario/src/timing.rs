//! What follows what: the one rule for the time of an item planned relative to another
//! (`after:` a step or an item, or shown `with` an inject). Validation uses it for the
//! offsets it checks against the exercise's start and end; the simulation uses it to
//! foresee, for the white cell, when what is still to come will happen. When things actually
//! happen for a team (with jitter, conditions and what teams do) is the simulation's
//! `items` module's to say.

use std::collections::{BTreeSet, HashMap};
use std::hash::Hash;
use std::ops::Add;

/// The time of every id in `ids` whose chain of links (`follows`: the id it follows and the
/// delay after it) leads back to an id of `known`, the delays added along the way; an id
/// already in `known` keeps its time. A chain that meets a cycle, an id neither known nor in
/// `ids`, or an id that follows nothing gives no time. Iterative: long chains cannot
/// overflow the stack.
pub fn follow<'a, K, T>(
    ids: &[K],
    known: &HashMap<K, T>,
    follows: impl Fn(K) -> Option<(K, T)>,
) -> HashMap<K, Option<T>>
where
    K: Copy + Eq + Hash + Ord + 'a,
    T: Copy + Add<Output = T>,
{
    let candidates: BTreeSet<K> = ids.iter().copied().collect();
    let mut out: HashMap<K, Option<T>> = known.iter().map(|(k, v)| (*k, Some(*v))).collect();
    for &id in ids {
        let mut path: Vec<(K, T)> = Vec::new();
        let mut on_path: BTreeSet<K> = BTreeSet::new();
        let mut current = id;
        let base = loop {
            if let Some(v) = out.get(&current) {
                break *v;
            }
            if !on_path.insert(current) {
                break None; // a cycle: validation reports it
            }
            match follows(current) {
                Some((anchor, delay)) if known.contains_key(&anchor) || candidates.contains(&anchor) => {
                    path.push((current, delay));
                    current = anchor;
                }
                _ => {
                    out.insert(current, None);
                    break None;
                }
            }
        };
        let mut value = base;
        for (id, delay) in path.into_iter().rev() {
            value = value.map(|v| v + delay);
            out.insert(id, value);
        }
    }
    out
}

/// The planned offset from the start of play, in seconds, of every campaign step whose time
/// is known from the scenario alone: steps `at` a time, and steps following them (or an
/// inject planned at a time) through `after`, jitter left out. A step that runs only as a
/// fallback, or follows one, has `None`. What teams do never changes this plan: scoring
/// reads it to say from the start which steps fall after the end of play.
pub fn planned_steps(scenario: &crate::Scenario) -> HashMap<&str, Option<i64>> {
    let start = scenario.start.value;
    let steps = scenario.campaigns.iter().flat_map(|c| &c.steps);
    let mut known: HashMap<&str, i64> = HashMap::new();
    let mut links: HashMap<&str, (&str, i64)> = HashMap::new();
    let timed = steps.map(|s| (s.id.as_str(), s.at.as_ref(), s.after.as_ref())).chain(
        scenario
            .injects
            .iter()
            .map(|i| (i.id.as_str(), i.at.as_ref(), i.after.as_ref())),
    );
    for (id, at, after) in timed {
        if let Some(at) = at {
            known.insert(id, at.value.time.offset_from(start));
        } else if let Some(after) = after {
            links.insert(id, (after.value.anchor.as_str(), after.value.delay.as_secs() as i64));
        }
    }
    let ids: Vec<&str> = links.keys().copied().collect();
    let mut planned = follow(&ids, &known, |id| links.get(id).copied());
    let steps: BTreeSet<&str> = scenario
        .campaigns
        .iter()
        .flat_map(|c| &c.steps)
        .map(|s| s.id.as_str())
        .collect();
    planned.retain(|id, _| steps.contains(id));
    for id in steps {
        planned.entry(id).or_insert(None);
    }
    planned
}

/// The steps a step's own chain needs: the step it is timed `after:` (when that is a step of
/// `steps`) and every step its `requires` asks to have run — a `step:` condition at the top
/// level or inside `all:` (one inside `not:` or `any:` is a choice, not a need). A blocked
/// step's fallback runs only when all of these ran: a fallback carries on an attack whose
/// chain held and that the team's response stopped, never one whose chain is already broken.
pub fn chain(step: &crate::model::Step, is_step: impl Fn(&str) -> bool) -> Vec<&str> {
    fn needs<'a>(c: &'a crate::model::Condition, out: &mut Vec<&'a str>) {
        match c {
            crate::model::Condition::Step(r) => out.push(r.as_str()),
            crate::model::Condition::All(cs) => cs.iter().for_each(|c| needs(c, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Some(after) = &step.after
        && is_step(after.value.anchor.as_str())
    {
        out.push(after.value.anchor.as_str());
    }
    for c in &step.requires {
        needs(c, &mut out);
    }
    let mut seen = BTreeSet::new();
    out.retain(|s| seen.insert(*s));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains_add_their_delays_and_cycles_and_unknown_anchors_give_nothing() {
        let known = HashMap::from([("start", 100_i64)]);
        let links = HashMap::from([
            ("a", ("start", 10)),
            ("b", ("a", 5)),
            ("c", ("b", 1)),
            ("x", ("y", 1)),
            ("y", ("x", 1)),
            ("z", ("nowhere", 1)),
        ]);
        let ids = ["c", "b", "a", "x", "y", "z", "lonely"];
        let times = follow(&ids, &known, |id| links.get(id).copied());
        assert_eq!(times["a"], Some(110));
        assert_eq!(times["b"], Some(115));
        assert_eq!(times["c"], Some(116));
        assert_eq!(times["start"], Some(100));
        for none in ["x", "y", "z", "lonely"] {
            assert_eq!(times[none], None, "{none}");
        }
    }
}
