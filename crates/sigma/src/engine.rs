//! The rule set and its matcher: routing by log source, a literal prefilter, and exact
//! evaluation of the rules that pass it.
//!
//! For each event:
//! 1. its log sources are computed once ([`crate::logsource`]);
//! 2. every field value a rule refers to is lowercased once;
//! 3. one Aho-Corasick automaton per field finds, in a single pass over the value, every
//!    literal that some rule requires there: a rule is a *candidate* only if one of its
//!    required literals occurs (rules without a required literal are always candidates, grouped
//!    by log source so that only the groups routed to the event are looked at);
//! 4. candidates whose log source matches are evaluated exactly.
//!
//! The prefilter only ever drops rules that cannot match, so the result equals evaluating every
//! rule routed to the event; a test checks that on the SigmaHQ corpus.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use crate::event::{Event, Value};
use crate::logsource::{self, Sources};
use crate::matcher::{Matcher, Prepared};
use crate::rule::{Cond, Detection, Item, Logsource, Rule, Test};

type FieldId = u32;
const NONE: u32 = u32::MAX;

/// A rule's log source as interned term ids: every one must be among the event's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
struct Route {
    terms: Vec<u16>,
    /// A term no event can carry: the rule never sees anything.
    unroutable: bool,
}

#[derive(Debug)]
struct FieldIndex {
    automaton: AhoCorasick,
    /// Pattern id → rules that require it.
    rules: Vec<Vec<u32>>,
}

/// Compiled rules, ready to match events. Immutable and `Sync`: share one between threads.
#[derive(Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
    /// Per rule: for each detection, for each item (in order), the field id.
    item_fields: Vec<Vec<Vec<FieldId>>>,
    routes: Vec<Route>,
    fields: HashMap<String, FieldId>,
    terms: HashMap<(logsource::Dim, String), u16>,
    index: Vec<Option<FieldIndex>>,
    /// Rules without a required literal, grouped by route.
    unfiltered: Vec<(Route, Vec<u32>)>,
}

impl RuleSet {
    pub fn new(rules: Vec<Rule>) -> RuleSet {
        let mut fields: HashMap<String, FieldId> = HashMap::new();
        let mut intern = |name: &str| -> FieldId {
            let next = fields.len() as FieldId;
            *fields.entry(name.to_owned()).or_insert(next)
        };
        let item_fields = rules
            .iter()
            .map(|r| r.detections.iter().map(|d| detection_fields(d, &mut intern)).collect())
            .collect();
        // Fields a `fieldref` reads must be prepared too.
        for r in &rules {
            for d in &r.detections {
                visit_matchers(d, &mut |m| {
                    if let Matcher::FieldRef { field, .. } = m {
                        intern(field);
                    }
                });
            }
        }
        let mut terms = HashMap::new();
        let routes: Vec<Route> = rules.iter().map(|r| route_of(&r.logsource, &mut terms)).collect();

        // Prefilter: per field, the literals rules require there.
        let mut needles: BTreeMap<FieldId, BTreeMap<String, Vec<u32>>> = BTreeMap::new();
        let mut unfiltered: BTreeMap<Vec<u16>, (Route, Vec<u32>)> = BTreeMap::new();
        for (i, r) in rules.iter().enumerate() {
            if routes[i].unroutable {
                continue;
            }
            match requirement(&r.condition, &r.detections) {
                Some(req) => {
                    for (field, needle) in req {
                        let id = fields[&field];
                        needles.entry(id).or_default().entry(needle).or_default().push(i as u32);
                    }
                }
                None => {
                    unfiltered
                        .entry(routes[i].terms.clone())
                        .or_insert_with(|| (routes[i].clone(), Vec::new()))
                        .1
                        .push(i as u32);
                }
            }
        }
        let mut index: Vec<Option<FieldIndex>> = (0..fields.len()).map(|_| None).collect();
        for (field, map) in needles {
            let (patterns, mut rules_of): (Vec<String>, Vec<Vec<u32>>) = map.into_iter().unzip();
            for list in &mut rules_of {
                list.dedup();
            }
            let automaton = AhoCorasick::builder()
                .kind(Some(AhoCorasickKind::DFA))
                .match_kind(MatchKind::Standard)
                .build(&patterns)
                .or_else(|_| AhoCorasick::builder().match_kind(MatchKind::Standard).build(&patterns))
                .expect("literal patterns always build");
            index[field as usize] = Some(FieldIndex {
                automaton,
                rules: rules_of,
            });
        }
        RuleSet {
            rules,
            item_fields,
            routes,
            fields,
            terms,
            index,
            unfiltered: unfiltered.into_values().collect(),
        }
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Rules whose log source no event atoll knows can carry; they load, and never match.
    pub fn unroutable(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().zip(&self.routes).filter(|(_, r)| r.unroutable).map(|(r, _)| r)
    }

    /// The rules (by index, ascending) that match the event.
    pub fn matches(&self, event: &Event<'_>) -> Vec<usize> {
        let sources = logsource::classify(event);
        let prepared = self.prepare(event, &sources);
        let event_terms = self.event_terms(&sources);
        let mut out = Vec::new();
        let mut seen = vec![false; self.rules.len()];
        for (slot, value) in prepared.slots.iter().enumerate() {
            let field = prepared.slot_field[slot];
            let Some(index) = &self.index[field as usize] else { continue };
            for m in index.automaton.find_overlapping_iter(value.lower.as_ref()) {
                for &r in &index.rules[m.pattern().as_usize()] {
                    let r = r as usize;
                    if !seen[r] {
                        seen[r] = true;
                        if route_ok(&self.routes[r], &event_terms) && self.eval_rule(r, &prepared, event) {
                            out.push(r);
                        }
                    }
                }
            }
        }
        for (route, members) in &self.unfiltered {
            if route_ok(route, &event_terms) {
                for &r in members {
                    if self.eval_rule(r as usize, &prepared, event) {
                        out.push(r as usize);
                    }
                }
            }
        }
        out.sort_unstable();
        out
    }

    /// The rules (by index, ascending) whose detection matches the event, whatever their log
    /// source, without the prefilter: the reference the fast path is tested against, and what
    /// a rule author's test of one rule against one event wants.
    pub fn matches_ignoring_logsource(&self, event: &Event<'_>) -> Vec<usize> {
        let prepared = self.prepare(event, &logsource::classify(event));
        (0..self.rules.len())
            .filter(|&r| self.eval_rule(r, &prepared, event))
            .collect()
    }

    /// Every rule routed to the event, evaluated without the prefilter (for tests).
    pub fn matches_unfiltered(&self, event: &Event<'_>) -> Vec<usize> {
        let sources = logsource::classify(event);
        let prepared = self.prepare(event, &sources);
        let event_terms = self.event_terms(&sources);
        (0..self.rules.len())
            .filter(|&r| !self.routes[r].unroutable && route_ok(&self.routes[r], &event_terms))
            .filter(|&r| self.eval_rule(r, &prepared, event))
            .collect()
    }

    fn event_terms(&self, sources: &Sources) -> Vec<u16> {
        let mut out: Vec<u16> = sources
            .terms()
            .filter_map(|(dim, value)| self.terms.get(&(dim, value.to_owned())).copied())
            .collect();
        out.sort_unstable();
        out
    }

    fn prepare<'e>(&self, event: &'e Event<'e>, sources: &Sources) -> PreparedEvent<'e> {
        let mut p = PreparedEvent {
            heads: vec![NONE; self.fields.len()],
            slots: Vec::new(),
            slot_field: Vec::new(),
            next: Vec::new(),
            all_values: OnceCell::new(),
        };
        for (name, value) in &event.fields {
            let field = match self.fields.get(name.as_ref()) {
                Some(&f) => f,
                // `Threat Name` (Defender) is `ThreatName` to the rules.
                None if name.contains(' ') => match self.fields.get(&name.replace(' ', "")) {
                    Some(&f) => f,
                    None => continue,
                },
                None => continue,
            };
            if let Some(v) = prepare_value(value) {
                p.push(field, v);
            }
        }
        if logsource::is_security_4688(sources) {
            for (sysmon_name, name) in logsource::FIELDS_4688 {
                if let (Some(&f), Some(v)) = (self.fields.get(*sysmon_name), event.get(name)) {
                    if p.values(f).next().is_none() {
                        if let Some(v) = prepare_value(v) {
                            p.push(f, v);
                        }
                    }
                }
            }
            if let Some(&f) = self.fields.get("User") {
                let text = |n: &str| event.get(n).and_then(Value::text);
                if let (Some(domain), Some(user)) = (text("SubjectDomainName"), text("SubjectUserName")) {
                    if p.values(f).next().is_none() {
                        p.push(f, Prepared::new(Cow::Owned(format!("{domain}\\{user}")), None));
                    }
                }
            }
        }
        p
    }

    fn eval_rule(&self, r: usize, event: &PreparedEvent<'_>, raw: &Event<'_>) -> bool {
        let rule = &self.rules[r];
        let cx = EvalCx {
            set: self,
            fields: &self.item_fields[r],
            detections: &rule.detections,
            event,
            raw,
        };
        cx.cond(&rule.condition)
    }
}

fn prepare_value<'e>(value: &'e Value<'e>) -> Option<Prepared<'e>> {
    Some(match value {
        Value::Str(s) => Prepared::new(Cow::Borrowed(s.as_ref()), s.trim().parse::<f64>().ok()),
        Value::Int(i) => Prepared::new(Cow::Owned(i.to_string()), Some(*i as f64)),
        Value::Float(f) => Prepared::new(Cow::Owned(f.to_string()), Some(*f)),
        Value::Bool(b) => Prepared::new(Cow::Borrowed(if *b { "true" } else { "false" }), None),
        Value::Null => return None,
    })
}

fn route_ok(route: &Route, event_terms: &[u16]) -> bool {
    route.terms.iter().all(|t| event_terms.binary_search(t).is_ok())
}

fn route_of(ls: &Logsource, terms: &mut HashMap<(logsource::Dim, String), u16>) -> Route {
    let mut route = Route::default();
    for (dim, value) in [
        (logsource::Dim::Product, &ls.product),
        (logsource::Dim::Category, &ls.category),
        (logsource::Dim::Service, &ls.service),
    ] {
        let Some(value) = value else { continue };
        if !logsource::is_known(dim, value) {
            route.unroutable = true;
        }
        let next = terms.len() as u16;
        route.terms.push(*terms.entry((dim, value.clone())).or_insert(next));
    }
    route.terms.sort_unstable();
    route
}

fn detection_fields(d: &Detection, intern: &mut impl FnMut(&str) -> FieldId) -> Vec<FieldId> {
    match d {
        Detection::AllOf(items) => items.iter().map(|i| intern(&i.field)).collect(),
        // Nested detections are flattened in order.
        Detection::AnyOf(list) => list.iter().flat_map(|d| detection_fields(d, intern)).collect(),
        Detection::Keywords { .. } => Vec::new(),
    }
}

fn visit_matchers(d: &Detection, f: &mut impl FnMut(&Matcher)) {
    match d {
        Detection::AllOf(items) => {
            for i in items {
                if let Test::Values { matchers, .. } = &i.test {
                    matchers.iter().for_each(&mut *f);
                }
            }
        }
        Detection::AnyOf(list) => list.iter().for_each(|d| visit_matchers(d, f)),
        Detection::Keywords { matchers, .. } => matchers.iter().for_each(f),
    }
}

/// Literals (field, lowercase needle) of which at least one occurs in any event the condition
/// accepts; `None` when there is no such set.
type Requirement = Vec<(String, String)>;

fn requirement(cond: &Cond, dets: &[Detection]) -> Option<Requirement> {
    match cond {
        Cond::Det(i) => det_requirement(&dets[*i]),
        Cond::Not(_) => None,
        Cond::And(items) => best(items.iter().filter_map(|c| requirement(c, dets))),
        Cond::All(ids) => best(ids.iter().filter_map(|&i| det_requirement(&dets[i]))),
        Cond::Or(items) => union(items.iter().map(|c| requirement(c, dets))),
        Cond::AtLeast(n, ids) if *n as usize == ids.len() => {
            best(ids.iter().filter_map(|&i| det_requirement(&dets[i])))
        }
        // `n of` with n below the count: at least one of them holds.
        Cond::AtLeast(n, ids) if *n >= 1 => union(ids.iter().map(|&i| det_requirement(&dets[i]))),
        Cond::AtLeast(..) => None,
    }
}

fn det_requirement(d: &Detection) -> Option<Requirement> {
    match d {
        Detection::AllOf(items) => best(items.iter().filter_map(item_requirement)),
        Detection::AnyOf(list) => union(list.iter().map(det_requirement)),
        // Keywords search every field; they are not prefiltered.
        Detection::Keywords { .. } => None,
    }
}

fn item_requirement(item: &Item) -> Option<Requirement> {
    let Test::Values { all, matchers } = &item.test else { return None };
    let lits = matchers.iter().map(Matcher::required_literal);
    if *all {
        // Every value must match: the longest one's literal alone is required.
        let longest = lits.flatten().max_by_key(String::len)?;
        return Some(vec![(item.field.clone(), longest)]);
    }
    lits.map(|l| l.map(|l| (item.field.clone(), l))).collect()
}

/// The most selective requirement: the one whose shortest literal is longest.
fn best(reqs: impl Iterator<Item = Requirement>) -> Option<Requirement> {
    reqs.max_by_key(|r| {
        let shortest = r.iter().map(|(_, n)| n.len()).min().unwrap_or(0);
        (shortest.min(12), std::cmp::Reverse(r.len()))
    })
}

fn union(reqs: impl Iterator<Item = Option<Requirement>>) -> Option<Requirement> {
    let mut out = Vec::new();
    for r in reqs {
        out.extend(r?);
    }
    Some(out)
}

struct PreparedEvent<'e> {
    /// Per field id: the first slot of that field, or `NONE`.
    heads: Vec<u32>,
    slots: Vec<Prepared<'e>>,
    slot_field: Vec<FieldId>,
    next: Vec<u32>,
    /// Every value of every field, for keyword searches; made on first use.
    all_values: OnceCell<Vec<Prepared<'e>>>,
}

impl<'e> PreparedEvent<'e> {
    fn push(&mut self, field: FieldId, value: Prepared<'e>) {
        let slot = self.slots.len() as u32;
        self.slots.push(value);
        self.slot_field.push(field);
        self.next.push(NONE);
        // Keep file order within a field: append at the end of its chain.
        match self.heads[field as usize] {
            NONE => self.heads[field as usize] = slot,
            head => {
                let mut at = head as usize;
                while self.next[at] != NONE {
                    at = self.next[at] as usize;
                }
                self.next[at] = slot;
            }
        }
    }

    fn values(&self, field: FieldId) -> impl Iterator<Item = &Prepared<'e>> {
        let mut at = self.heads.get(field as usize).copied().unwrap_or(NONE);
        std::iter::from_fn(move || {
            if at == NONE {
                return None;
            }
            let slot = &self.slots[at as usize];
            at = self.next[at as usize];
            Some(slot)
        })
    }
}

struct EvalCx<'a, 'e> {
    set: &'a RuleSet,
    fields: &'a [Vec<FieldId>],
    detections: &'a [Detection],
    event: &'a PreparedEvent<'e>,
    raw: &'a Event<'a>,
}

impl EvalCx<'_, '_> {
    fn cond(&self, c: &Cond) -> bool {
        match c {
            Cond::Det(i) => self.det(*i),
            Cond::Not(inner) => !self.cond(inner),
            Cond::And(items) => items.iter().all(|c| self.cond(c)),
            Cond::Or(items) => items.iter().any(|c| self.cond(c)),
            Cond::All(ids) => ids.iter().all(|&i| self.det(i)),
            Cond::AtLeast(n, ids) => {
                let mut count = 0;
                ids.iter().any(|&i| {
                    if self.det(i) {
                        count += 1;
                    }
                    count >= *n
                })
            }
        }
    }

    fn det(&self, i: usize) -> bool {
        let mut fields = self.fields[i].iter().copied();
        self.detection(&self.detections[i], &mut fields)
    }

    fn detection(&self, d: &Detection, fields: &mut dyn Iterator<Item = FieldId>) -> bool {
        match d {
            Detection::AllOf(items) => {
                // Consume every field id even after a failure, to stay aligned.
                let mut ok = true;
                for item in items {
                    let field = fields.next().unwrap_or(NONE);
                    ok = ok && self.item(item, field);
                }
                ok
            }
            Detection::AnyOf(list) => {
                let mut ok = false;
                for d in list {
                    // Evaluate (or skip) each alternative, keeping field ids aligned.
                    if ok {
                        skip_fields(d, fields);
                    } else {
                        ok = self.detection(d, fields);
                    }
                }
                ok
            }
            Detection::Keywords { all, matchers } => {
                let values = self.event.all_values.get_or_init(|| {
                    self.raw
                        .fields
                        .iter()
                        .filter_map(|(_, v)| match v {
                            Value::Str(s) => Some(Prepared::new(Cow::Owned(s.to_string()), None)),
                            _ => None,
                        })
                        .collect()
                });
                let hit = |m: &Matcher| values.iter().any(|v| m.matches(v));
                if *all { matchers.iter().all(hit) } else { matchers.iter().any(hit) }
            }
        }
    }

    fn item(&self, item: &Item, field: FieldId) -> bool {
        let mut values = self.event.values(field).peekable();
        match &item.test {
            Test::Exists(want) => values.peek().is_some() == *want,
            Test::Values { all, matchers } => {
                if values.peek().is_none() {
                    return matchers.iter().any(|m| matches!(m, Matcher::Null));
                }
                let hit = |m: &Matcher| match m {
                    Matcher::FieldRef { field: name, .. } => {
                        let other = self.set.fields.get(name).copied().unwrap_or(NONE);
                        self.event
                            .values(field)
                            .any(|v| self.event.values(other).any(|o| m.matches_ref(v, o)))
                    }
                    _ => self.event.values(field).any(|v| m.matches(v)),
                };
                if *all { matchers.iter().all(hit) } else { matchers.iter().any(hit) }
            }
        }
    }
}

fn skip_fields(d: &Detection, fields: &mut dyn Iterator<Item = FieldId>) {
    match d {
        Detection::AllOf(items) => {
            for _ in items {
                fields.next();
            }
        }
        Detection::AnyOf(list) => list.iter().for_each(|d| skip_fields(d, fields)),
        Detection::Keywords { .. } => {}
    }
}
