//! The rule set and its matcher: routing by log source, a literal prefilter, and exact
//! evaluation of the rules that pass it.
//!
//! For each event:
//! 1. its log sources are computed once ([`crate::logsource`]);
//! 2. every field value a rule refers to is lowercased once;
//! 3. each rule's condition was compiled into clauses of literals (field, lowercase text); any
//!    matching event holds at least one literal of every clause. One Aho-Corasick automaton per field (and
//!    one over all string values, for keyword rules) finds, in a single pass per value, every
//!    literal some rule needs. A rule is a *candidate* if its most selective clause has a hit;
//!    rules with no literal at all are always candidates, grouped by log source so that only
//!    the groups routed to the event are looked at;
//! 4. candidates whose other clauses also have hits and whose log source matches are evaluated
//!    exactly; a text matcher whose literal was not found fails without comparing text.
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
/// The pseudo-field keyword (field-less) literals are indexed under: every string value.
const KEYWORDS: &str = "\u{0}keywords";

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
    /// Pattern id → global needle id.
    needles: Vec<u32>,
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
    /// Needle id → rules whose trigger clause holds it.
    triggers: Vec<Vec<u32>>,
    /// Per rule: clauses of needle ids, each of which must have a hit (sorted, deduplicated).
    clauses: Vec<Vec<Vec<u32>>>,
    /// Rules without a required literal, grouped by route.
    unfiltered: Vec<(Route, Vec<u32>)>,
}

impl RuleSet {
    pub fn new(mut rules: Vec<Rule>) -> RuleSet {
        let mut fields: HashMap<String, FieldId> = HashMap::new();
        let mut intern = |name: &str| -> FieldId {
            let next = fields.len() as FieldId;
            *fields.entry(name.to_owned()).or_insert(next)
        };
        if rules.iter().any(|r| r.detections.iter().any(has_keywords)) {
            intern(KEYWORDS);
        }
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

        // Prefilter: every literal some clause of some rule needs, per field.
        let mut needle_ids: BTreeMap<(FieldId, String), u32> = BTreeMap::new();
        let mut triggers: Vec<Vec<u32>> = Vec::new();
        let mut clauses: Vec<Vec<Vec<u32>>> = vec![Vec::new(); rules.len()];
        let mut unfiltered: BTreeMap<Vec<u16>, (Route, Vec<u32>)> = BTreeMap::new();
        for (i, r) in rules.iter().enumerate() {
            if routes[i].unroutable {
                continue;
            }
            let cnf = requirement(&r.condition, &r.detections);
            let Some(trigger) = best_clause(&cnf) else {
                unfiltered
                    .entry(routes[i].terms.clone())
                    .or_insert_with(|| (routes[i].clone(), Vec::new()))
                    .1
                    .push(i as u32);
                continue;
            };
            for (ci, clause) in cnf.iter().enumerate() {
                let mut ids: Vec<u32> = clause
                    .iter()
                    .map(|(field, needle)| {
                        let key = (fields[field], needle.clone());
                        let next = needle_ids.len() as u32;
                        *needle_ids.entry(key).or_insert(next)
                    })
                    .collect();
                ids.sort_unstable();
                ids.dedup();
                if ci == trigger {
                    for &id in &ids {
                        if triggers.len() <= id as usize {
                            triggers.resize(id as usize + 1, Vec::new());
                        }
                        triggers[id as usize].push(i as u32);
                    }
                }
                clauses[i].push(ids);
            }
        }
        // Every literal of every text matcher gets an id too: a matcher whose literal was not
        // seen in its field cannot match, which evaluation checks before comparing text.
        for (i, r) in rules.iter_mut().enumerate() {
            if routes[i].unroutable {
                continue;
            }
            for d in &mut r.detections {
                visit_keywords_mut(d, &mut |m| {
                    if let Some(lit) = m.required_literal() {
                        let key = (fields[KEYWORDS], lit);
                        let next = needle_ids.len() as u32;
                        m.set_literal_id(*needle_ids.entry(key).or_insert(next));
                    }
                });
                visit_items_mut(d, &mut |item| {
                    let Test::Values { matchers, .. } = &mut item.test else {
                        return;
                    };
                    for m in matchers {
                        if let Some(lit) = m.required_literal() {
                            let key = (fields[&item.field], lit);
                            let next = needle_ids.len() as u32;
                            m.set_literal_id(*needle_ids.entry(key).or_insert(next));
                        }
                    }
                });
            }
        }
        triggers.resize(needle_ids.len(), Vec::new());
        let mut per_field: BTreeMap<FieldId, (Vec<String>, Vec<u32>)> = BTreeMap::new();
        for ((field, needle), id) in needle_ids {
            let entry = per_field.entry(field).or_default();
            entry.0.push(needle);
            entry.1.push(id);
        }
        let mut index: Vec<Option<FieldIndex>> = (0..fields.len()).map(|_| None).collect();
        for (field, (patterns, needles)) in per_field {
            let automaton = AhoCorasick::builder()
                .kind(Some(AhoCorasickKind::DFA))
                .match_kind(MatchKind::Standard)
                .build(&patterns)
                .or_else(|_| AhoCorasick::builder().match_kind(MatchKind::Standard).build(&patterns))
                .expect("literal patterns always build");
            index[field as usize] = Some(FieldIndex { automaton, needles });
        }
        RuleSet {
            rules,
            item_fields,
            routes,
            fields,
            terms,
            index,
            triggers,
            clauses,
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
        self.rules
            .iter()
            .zip(&self.routes)
            .filter(|(_, r)| r.unroutable)
            .map(|(r, _)| r)
    }

    /// The rules (by index, ascending) that match the event.
    pub fn matches(&self, event: &Event<'_>) -> Vec<usize> {
        let sources = logsource::classify(event);
        let prepared = self.prepare(event, &sources);
        let event_terms = self.event_terms(&sources);
        let mut out = Vec::new();
        let mut hits: Vec<u32> = Vec::new();
        for (slot, value) in prepared.slots.iter().enumerate() {
            let field = prepared.slot_field[slot];
            let Some(index) = &self.index[field as usize] else {
                continue;
            };
            for m in index.automaton.find_overlapping_iter(value.lower.as_ref()) {
                hits.push(index.needles[m.pattern().as_usize()]);
            }
        }
        if let Some(&kw) = self.fields.get(KEYWORDS)
            && let Some(index) = &self.index[kw as usize]
        {
            for value in prepared.all_values(event) {
                for m in index.automaton.find_overlapping_iter(value.lower.as_ref()) {
                    hits.push(index.needles[m.pattern().as_usize()]);
                }
            }
        }
        hits.sort_unstable();
        hits.dedup();
        let prepared = PreparedEvent {
            hits: Some(hits),
            ..prepared
        };
        let hits = prepared.hits.as_deref().unwrap_or_default();
        let mut seen: Vec<u32> = Vec::new();
        for &needle in hits {
            for &r in &self.triggers[needle as usize] {
                seen.push(r);
            }
        }
        seen.sort_unstable();
        seen.dedup();
        for r in seen {
            let r = r as usize;
            let all_clauses = self.clauses[r]
                .iter()
                .all(|clause| clause.iter().any(|n| hits.binary_search(n).is_ok()));
            if all_clauses && route_ok(&self.routes[r], &event_terms) && self.eval_rule(r, &prepared, event) {
                out.push(r);
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
            hits: None,
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
                if let (Some(&f), Some(v)) = (self.fields.get(*sysmon_name), event.get(name))
                    && p.values(f).next().is_none()
                    && let Some(v) = prepare_value(v)
                {
                    p.push(f, v);
                }
            }
            if let Some(&f) = self.fields.get("User") {
                let text = |n: &str| event.get(n).and_then(Value::text);
                if let (Some(domain), Some(user)) = (text("SubjectDomainName"), text("SubjectUserName"))
                    && p.values(f).next().is_none()
                {
                    p.push(f, Prepared::new(Cow::Owned(format!("{domain}\\{user}")), None));
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

fn has_keywords(d: &Detection) -> bool {
    match d {
        Detection::Keywords { .. } => true,
        Detection::AnyOf(list) => list.iter().any(has_keywords),
        Detection::AllOf(_) => false,
    }
}

fn visit_keywords_mut(d: &mut Detection, f: &mut impl FnMut(&mut Matcher)) {
    match d {
        Detection::Keywords { matchers, .. } => matchers.iter_mut().for_each(f),
        Detection::AnyOf(list) => list.iter_mut().for_each(|d| visit_keywords_mut(d, f)),
        Detection::AllOf(_) => {}
    }
}

fn visit_items_mut(d: &mut Detection, f: &mut impl FnMut(&mut Item)) {
    match d {
        Detection::AllOf(items) => items.iter_mut().for_each(&mut *f),
        Detection::AnyOf(list) => list.iter_mut().for_each(|d| visit_items_mut(d, f)),
        Detection::Keywords { .. } => {}
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

/// Clauses of literals (field, lowercase needle): in any event the condition accepts, every
/// clause has at least one of its literals in that field's value. Empty: no constraint.
type Clause = Vec<(String, String)>;

fn requirement(cond: &Cond, dets: &[Detection]) -> Vec<Clause> {
    match cond {
        Cond::Det(i) => det_requirement(&dets[*i]),
        Cond::Not(_) => Vec::new(),
        Cond::And(items) => items.iter().flat_map(|c| requirement(c, dets)).collect(),
        Cond::All(ids) => ids.iter().flat_map(|&i| det_requirement(&dets[i])).collect(),
        Cond::Or(items) => any_of(items.iter().map(|c| requirement(c, dets))),
        Cond::AtLeast(n, ids) if *n as usize >= ids.len() => {
            ids.iter().flat_map(|&i| det_requirement(&dets[i])).collect()
        }
        // `n of` with n below the count: at least one of them holds.
        Cond::AtLeast(n, ids) if *n >= 1 => any_of(ids.iter().map(|&i| det_requirement(&dets[i]))),
        Cond::AtLeast(..) => Vec::new(),
    }
}

fn det_requirement(d: &Detection) -> Vec<Clause> {
    match d {
        Detection::AllOf(items) => items.iter().flat_map(item_requirement).collect(),
        Detection::AnyOf(list) => any_of(list.iter().map(det_requirement)),
        Detection::Keywords { all, matchers } => {
            let item = Item {
                field: KEYWORDS.to_owned(),
                test: Test::Values {
                    all: *all,
                    matchers: matchers.clone(),
                },
            };
            item_requirement(&item)
        }
    }
}

fn item_requirement(item: &Item) -> Vec<Clause> {
    let Test::Values { all, matchers } = &item.test else {
        return Vec::new();
    };
    let lits: Vec<Option<String>> = matchers.iter().map(Matcher::required_literal).collect();
    if *all {
        // Every value must match: each literal is a clause of its own.
        return lits
            .into_iter()
            .flatten()
            .map(|l| vec![(item.field.clone(), l)])
            .collect();
    }
    match lits.into_iter().collect::<Option<Vec<String>>>() {
        Some(ls) if !ls.is_empty() => vec![ls.into_iter().map(|l| (item.field.clone(), l)).collect()],
        _ => Vec::new(),
    }
}

/// One clause for a disjunction: the union of each alternative's most selective clause, or no
/// constraint if some alternative has none.
fn any_of(alternatives: impl Iterator<Item = Vec<Clause>>) -> Vec<Clause> {
    let mut out = Vec::new();
    for cnf in alternatives {
        match best_clause(&cnf) {
            Some(i) => out.extend(cnf[i].iter().cloned()),
            None => return Vec::new(),
        }
    }
    if out.is_empty() { Vec::new() } else { vec![out] }
}

/// The most selective clause: the one whose shortest literal is longest, then the smallest.
fn best_clause(cnf: &[Clause]) -> Option<usize> {
    cnf.iter()
        .enumerate()
        .max_by_key(|(_, c)| {
            let shortest = c.iter().map(|(_, n)| n.len()).min().unwrap_or(0);
            (shortest.min(12), std::cmp::Reverse(c.len()))
        })
        .map(|(i, _)| i)
}

struct PreparedEvent<'e> {
    /// Per field id: the first slot of that field, or `NONE`.
    heads: Vec<u32>,
    slots: Vec<Prepared<'e>>,
    slot_field: Vec<FieldId>,
    next: Vec<u32>,
    /// Every value of every field, for keyword searches; made on first use.
    all_values: OnceCell<Vec<Prepared<'e>>>,
    /// Literal ids found in the event (sorted), when the prefilter ran.
    hits: Option<Vec<u32>>,
}

impl<'e> PreparedEvent<'e> {
    /// Every string value of the event, prepared, for keyword searches.
    fn all_values(&self, raw: &Event<'_>) -> &[Prepared<'e>] {
        self.all_values.get_or_init(|| {
            raw.fields
                .iter()
                .filter_map(|(_, v)| match v {
                    Value::Str(s) => Some(Prepared::new(Cow::Owned(s.to_string()), None)),
                    _ => None,
                })
                .collect()
        })
    }

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
                let values = self.event.all_values(self.raw);
                let hit = |m: &Matcher| {
                    if let (Some(hits), Some(id)) = (&self.event.hits, m.literal_id())
                        && hits.binary_search(&id).is_err()
                    {
                        return false;
                    }
                    values.iter().any(|v| m.matches(v))
                };
                if *all {
                    matchers.iter().all(hit)
                } else {
                    matchers.iter().any(hit)
                }
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
                    _ => {
                        // The literal this matcher needs was not found in the field: no match.
                        if let (Some(hits), Some(id)) = (&self.event.hits, m.literal_id())
                            && hits.binary_search(&id).is_err()
                        {
                            return false;
                        }
                        self.event.values(field).any(|v| m.matches(v))
                    }
                };
                if *all {
                    matchers.iter().all(hit)
                } else {
                    matchers.iter().any(hit)
                }
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
