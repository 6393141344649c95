//! The rule set and its matcher: routing by log source, a literal prefilter, and exact
//! evaluation of the rules that pass it.
//!
//! Rules are grouped by their log source (their *route*). For each event:
//! 1. its log sources are computed once ([`crate::logsource`]), and with them the groups of
//!    rules routed to it; every other rule is out of the picture;
//! 2. every field value some rule refers to is lowercased once, into a buffer the [`Scanner`]
//!    reuses from event to event;
//! 3. each rule's condition was compiled into clauses of literals (field, place, lowercase
//!    text); any matching event holds at least one literal of every clause, and the most
//!    selective clause is the rule's *trigger*. Per group and field, one finder
//!    ([`crate::literals`]) holds every literal looked for, framed by where it must sit: a
//!    value is searched once, written between a byte that marks its start and one that marks
//!    its end (neither ever in UTF-8), so that a literal that must start the value carries the
//!    first, one that must end it the second, and one that must be all of it both. Literals
//!    that may sit anywhere are looked for only in fields where some trigger needs them, and
//!    those of 1 to 3 bytes only when a trigger itself holds them (for up to a few dozen
//!    literals, a SIMD search first tells whether any is there at all, and usually none is).
//!    Keyword (field-less) literals are searched in all string values framed the same way, in
//!    one pass for all routed groups that hold keyword rules, by an index made for that set of
//!    groups the first time an event needs it. A rule is a *candidate* if its trigger has a
//!    hit; rules with no literal at all are always evaluated when their group is routed;
//! 4. candidates whose other clauses also have hits are evaluated exactly. A text matcher
//!    whose literal was not found at its place fails without comparing text, and a
//!    case-insensitive one whose literal was found matches without comparing text.
//!
//! The prefilter only ever drops rules that cannot match, so the result equals evaluating every
//! rule routed to the event; a test checks that on the SigmaHQ corpus.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use aho_corasick::packed;

use crate::event::{Event, Value};
use crate::literals::Literals;
use crate::logsource::{self, Dim, Sources};
use crate::matcher::{Anchor, Matcher, Prepared, lower_char, lowercase, needs_lowercase};
use crate::rule::{Cond, Detection, Item, Logsource, Rule, Test};

/// Maps looked up for every event field: a fast hash with a fixed seed (the keys are rule
/// field names, and iteration order is never used).
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;

type FieldId = u32;
const NONE: u32 = crate::matcher::UNSET;
/// The pseudo-field keyword (field-less) literals are indexed under: every string value.
const KEYWORDS: &str = "\u{0}keywords";
/// Values of one field (a JSON list) that rules match; later ones are ignored. It bounds the
/// work of comparing two fields (`fieldref`), which is the product of their value counts.
pub const MAX_VALUES_PER_FIELD: usize = 1024;
/// The fields atoll writes around every simulated event (which log, which team, which host,
/// when): not the product's own text, so keyword (field-less) rules never search them. The
/// value `cisco_aaa` of `log` would otherwise hold the keyword `aaa` of SigmaHQ's Cisco rules.
pub const ENVELOPE: [&str; 4] = ["log", "team", "host", "@timestamp"];

/// String values of one event that keyword (field-less) rules search; later ones are ignored.
pub const MAX_KEYWORD_VALUES: usize = 4096;

/// A rule's log source as interned term ids: every one must be among the event's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
struct Route {
    terms: Vec<u16>,
    /// A term no event can carry: the rule never sees anything.
    unroutable: bool,
}

/// Written before each value the prefilter searches, and after it ([`framed`]). Neither
/// byte is ever in UTF-8 text, so a literal that must start a value, framed by `BEFORE`, is
/// found only at the start of one; one that must end it, framed by `AFTER`, only at the end;
/// one that must be the whole value, framed by both, only as a whole value; and no literal is
/// found across two values searched together.
const BEFORE: u8 = crate::literals::START;
const AFTER: u8 = crate::literals::END;

/// A literal as the prefilter looks for it in framed values.
fn framed(anchor: Anchor, text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + 2);
    if matches!(anchor, Anchor::Prefix | Anchor::Exact) {
        out.push(BEFORE);
    }
    out.extend_from_slice(text.as_bytes());
    if matches!(anchor, Anchor::Suffix | Anchor::Exact) {
        out.push(AFTER);
    }
    out
}

/// The literals of one field for one group, wherever they must sit, found in one pass over
/// the framed value.
#[derive(Debug)]
struct FieldIndex {
    literals: Literals,
    /// Index in `literals` → literal id.
    ids: Vec<u32>,
    /// For a few literals, a SIMD search (Teddy) that tells whether any of them is in a
    /// text at all: most texts hold none, and then `literals` is not searched. (Teddy
    /// finds the leftmost match only, so it cannot replace it.)
    any: Option<packed::Searcher>,
}

/// The rules that share one route.
#[derive(Debug)]
struct Group {
    route: Route,
    /// Field id → position in `indexes`, or `NONE`.
    field_pos: Vec<u32>,
    indexes: Vec<FieldIndex>,
    /// Keyword literals, searched in all string values: several groups' are searched in one
    /// pass by a [`KeywordIndex`] made for the groups an event is routed to.
    keywords: Vec<FieldLiteral>,
    /// Whether some rule of the group has a keyword detection: then every string value of an
    /// event routed to it is prepared for keyword matching, whether or not the prefilter
    /// looks for any of its literals.
    keyword_rules: bool,
    /// Rules without a required literal: evaluated whenever the group is routed.
    unfiltered: Vec<u32>,
}

/// Compiled rules, ready to match events. Immutable and `Sync`: share one between threads,
/// each with its own [`Scanner`].
#[derive(Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
    routes: Vec<Route>,
    fields: HashMap<String, FieldId>,
    /// Per log source dimension: term → id.
    terms: [HashMap<String, u16>; 3],
    groups: Vec<Group>,
    /// Keyword indexes by the groups they serve (those of a routing with keyword literals),
    /// made when an event first needs one.
    keyword_indexes: Mutex<HashMap<Vec<u32>, Arc<KeywordIndex>>>,
    /// Literal id → rules whose trigger clause holds it.
    triggers: Vec<Vec<u32>>,
    /// Per rule: clauses of literal ids, each of which must have a hit (sorted, deduplicated).
    clauses: Vec<Vec<Vec<u32>>>,
    has_keywords: bool,
}

/// The keyword literals of the groups one event is routed to, searched in one pass. Its
/// finder reports a distinct (place, text) each, which stands for the literal id of each
/// group that looks for it.
#[derive(Debug)]
struct KeywordIndex {
    index: FieldIndex,
    /// Distinct literal → literal ids.
    owners: Vec<Vec<u32>>,
}

/// A literal of one field: place, lowercase text, id.
type FieldLiteral = (Anchor, String, u32);

/// A literal of the prefilter: group, field, place, lowercase text.
type LiteralKey = (u32, FieldId, Anchor, String);

impl RuleSet {
    pub fn new(mut rules: Vec<Rule>) -> RuleSet {
        let mut fields: HashMap<String, FieldId> = HashMap::default();
        let mut intern = |name: &str| -> FieldId {
            let next = fields.len() as FieldId;
            *fields.entry(name.to_owned()).or_insert(next)
        };
        let has_keywords = rules.iter().any(|r| r.detections.iter().any(has_keywords));
        let keywords = intern(KEYWORDS);
        for r in &mut rules {
            for d in &mut r.detections {
                visit_items_mut(d, &mut |item| item.field_id = intern(&item.field));
            }
        }
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
        let mut terms: [HashMap<String, u16>; 3] = Default::default();
        let routes: Vec<Route> = rules.iter().map(|r| route_of(&r.logsource, &mut terms)).collect();

        // Groups: one per route, in order of first appearance.
        let mut group_of_route: HashMap<Vec<u16>, u32> = HashMap::default();
        let mut group_routes: Vec<Route> = Vec::new();
        let rule_group: Vec<u32> = routes
            .iter()
            .map(|route| {
                if route.unroutable {
                    return NONE;
                }
                *group_of_route.entry(route.terms.clone()).or_insert_with(|| {
                    group_routes.push(route.clone());
                    (group_routes.len() - 1) as u32
                })
            })
            .collect();
        let mut unfiltered: Vec<Vec<u32>> = vec![Vec::new(); group_routes.len()];

        // Prefilter. Each rule's trigger is its most selective clause: the rule is evaluated
        // only when a literal of it is found. A field's literals are all found in one pass
        // over the value; a field is passed over for literals that may sit anywhere only where
        // some trigger needs such a literal (literals at the start, the end or whole are
        // looked for in every field that has some).
        let cnfs: Vec<Option<(Vec<Clause>, usize)>> = rules
            .iter()
            .enumerate()
            .map(|(i, r)| {
                if rule_group[i] == NONE {
                    return None;
                }
                let cnf = requirement(&r.condition, &r.detections);
                let trigger = best_clause(&cnf);
                if trigger.is_none() {
                    unfiltered[rule_group[i] as usize].push(i as u32);
                }
                trigger.map(|t| (cnf, t))
            })
            .collect();
        let mut scanned: BTreeSet<(u32, FieldId)> = BTreeSet::new();
        for (i, (cnf, trigger)) in cnfs.iter().enumerate().filter_map(|(i, c)| Some((i, c.as_ref()?))) {
            for lit in cnf[*trigger].iter().filter(|l| l.anchor == Anchor::Contains) {
                scanned.insert((rule_group[i], fields[&lit.field]));
            }
        }
        // Literals of one to three bytes found anywhere (`cmd`, ` /c`) are in many values:
        // looked for only when a trigger needs them, since finding them costs more than
        // comparing them. Measured with callgrind over 20k events of the SigmaHQ corpus,
        // instructions in `Scanner::matches`: 771M looking for all, 714M without those under
        // 4 bytes, 755M without those under 5.
        let mut needed: BTreeSet<(u32, FieldId, &str)> = BTreeSet::new();
        for (i, (cnf, trigger)) in cnfs.iter().enumerate().filter_map(|(i, c)| Some((i, c.as_ref()?))) {
            for lit in cnf[*trigger]
                .iter()
                .filter(|l| l.anchor == Anchor::Contains && l.text.len() < 4)
            {
                needed.insert((rule_group[i], fields[&lit.field], lit.text.as_str()));
            }
        }
        let mut literal_ids: BTreeMap<LiteralKey, u32> = BTreeMap::new();
        let mut id_of = |group: u32, field: FieldId, anchor: Anchor, text: String| {
            if anchor == Anchor::Contains
                && (!scanned.contains(&(group, field))
                    || (text.len() < 4 && !needed.contains(&(group, field, text.as_str()))))
            {
                return None;
            }
            let next = literal_ids.len() as u32;
            Some(*literal_ids.entry((group, field, anchor, text)).or_insert(next))
        };
        let mut triggers: Vec<Vec<u32>> = Vec::new();
        let mut clauses: Vec<Vec<Vec<u32>>> = vec![Vec::new(); rules.len()];
        for (i, (cnf, trigger)) in cnfs.iter().enumerate().filter_map(|(i, c)| Some((i, c.as_ref()?))) {
            let group = rule_group[i];
            for (ci, clause) in cnf.iter().enumerate() {
                let ids: Option<Vec<u32>> = clause
                    .iter()
                    .map(|lit| id_of(group, fields[&lit.field], lit.anchor, lit.text.clone()))
                    .collect();
                // A clause with a literal nobody looks for is left to evaluation.
                let Some(mut ids) = ids else { continue };
                ids.sort_unstable();
                ids.dedup();
                if ci == *trigger {
                    for &id in &ids {
                        if triggers.len() <= id as usize {
                            triggers.resize(id as usize + 1, Vec::new());
                        }
                        triggers[id as usize].push(i as u32);
                    }
                } else {
                    clauses[i].push(ids);
                }
            }
        }
        // Text matchers get the id of their literal when it is looked for: a matcher whose
        // literal was not found at its place cannot match, which evaluation checks first.
        for (i, r) in rules.iter_mut().enumerate() {
            let group = rule_group[i];
            if group == NONE {
                continue;
            }
            for d in &mut r.detections {
                visit_keywords_mut(d, &mut |m| {
                    if let Some((anchor, lit)) = m.required_literal()
                        && let Some(id) = id_of(group, keywords, anchor, lit)
                    {
                        m.set_literal_id(id);
                    }
                });
                visit_items_mut(d, &mut |item| {
                    let Test::Values { matchers, .. } = &mut item.test else {
                        return;
                    };
                    for m in matchers.iter_mut() {
                        if let Some((anchor, lit)) = m.required_literal()
                            && let Some(id) = id_of(group, fields[&item.field], anchor, lit)
                        {
                            m.set_literal_id(id);
                        }
                    }
                    if let Test::Values { all: false, matchers } = &item.test {
                        item.literals = matchers
                            .iter()
                            .map(|m| m.literal_id().filter(|_| m.literal_decides()))
                            .collect();
                    }
                });
            }
        }
        triggers.resize(literal_ids.len(), Vec::new());

        // Finders, per group and field.
        let mut per_field: BTreeMap<(u32, FieldId), Vec<FieldLiteral>> = BTreeMap::new();
        for ((group, field, anchor, text), id) in literal_ids {
            per_field.entry((group, field)).or_default().push((anchor, text, id));
        }
        let mut groups: Vec<Group> = group_routes
            .into_iter()
            .zip(unfiltered)
            .map(|(route, unfiltered)| Group {
                route,
                field_pos: vec![NONE; fields.len()],
                indexes: Vec::new(),
                keywords: Vec::new(),
                keyword_rules: false,
                unfiltered,
            })
            .collect();
        for (r, &g) in rules.iter().zip(&rule_group) {
            if g != NONE && r.detections.iter().any(crate::engine::has_keywords) {
                groups[g as usize].keyword_rules = true;
            }
        }
        for ((group, field), literals) in per_field {
            let g = &mut groups[group as usize];
            if field == keywords {
                g.keywords = literals;
            } else {
                g.field_pos[field as usize] = g.indexes.len() as u32;
                g.indexes.push(field_index(literals));
            }
        }
        RuleSet {
            rules,
            routes,
            fields,
            terms,
            groups,
            keyword_indexes: Mutex::default(),
            triggers,
            clauses,
            has_keywords,
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

    /// A matcher for a stream of events, which reuses its buffers from one event to the next.
    pub fn scanner(&self) -> Scanner<'_> {
        Scanner {
            set: self,
            s: Scratch {
                heads: vec![(NONE, NONE, 0); self.fields.len()],
                hits: Hits::new(self.triggers.len()),
                ..Scratch::default()
            },
        }
    }

    /// The rules (by index, ascending) that match the event. For many events, a
    /// [`Scanner`] is faster.
    pub fn matches(&self, event: &Event<'_>) -> Vec<usize> {
        self.scanner().matches(event).to_vec()
    }

    /// The rules (by index, ascending) whose detection matches the event, whatever their log
    /// source, without the prefilter: the reference the fast path is tested against, and what
    /// a rule author's test of one rule against one event wants.
    pub fn matches_ignoring_logsource(&self, event: &Event<'_>) -> Vec<usize> {
        self.evaluate_all(event, |_| true)
    }

    /// Every rule routed to the event, evaluated without the prefilter (for tests and as the
    /// benchmark's baseline).
    pub fn matches_unfiltered(&self, event: &Event<'_>) -> Vec<usize> {
        let terms = self.event_terms(&logsource::classify(event));
        self.evaluate_all(event, |r| {
            !self.routes[r].unroutable && route_ok(&self.routes[r], &terms)
        })
    }

    /// Evaluates every rule `wanted` accepts, without the prefilter.
    fn evaluate_all(&self, event: &Event<'_>, wanted: impl Fn(usize) -> bool) -> Vec<usize> {
        let mut scanner = self.scanner();
        let s = &mut scanner.s;
        let sources = logsource::classify(event);
        s.prepare(self, event, logsource::is_security_4688(&sources), &mut Vec::new());
        s.prepare_keywords(self, event);
        let cx = Cx {
            set: self,
            s,
            event,
            filtered: false,
        };
        (0..self.rules.len()).filter(|&r| wanted(r) && cx.rule(r)).collect()
    }

    fn event_terms(&self, sources: &Sources) -> Vec<u16> {
        let mut out: Vec<u16> = sources
            .terms()
            .filter_map(|(dim, value)| self.terms[dim as usize].get(value).copied())
            .collect();
        out.sort_unstable();
        out
    }

    /// The keyword index for an event routed to `groups`, if any of them has keyword literals.
    fn keyword_index(&self, groups: &[u32]) -> Option<Arc<KeywordIndex>> {
        let with: Vec<u32> = groups
            .iter()
            .copied()
            .filter(|&g| !self.groups[g as usize].keywords.is_empty())
            .collect();
        if with.is_empty() {
            return None;
        }
        // A poisoned lock only means another thread panicked while inserting; the map
        // itself is still whole.
        let mut cache = self.keyword_indexes.lock().unwrap_or_else(|p| p.into_inner());
        let index = cache.entry(with).or_insert_with_key(|with| {
            let mut owners: BTreeMap<(Anchor, &str), Vec<u32>> = BTreeMap::new();
            for &g in with {
                for (anchor, text, id) in &self.groups[g as usize].keywords {
                    owners.entry((*anchor, text)).or_default().push(*id);
                }
            }
            let mut literals = Vec::new();
            let mut ids = Vec::new();
            for (k, ((anchor, text), owned)) in owners.into_iter().enumerate() {
                literals.push((anchor, text.to_owned(), k as u32));
                ids.push(owned);
            }
            Arc::new(KeywordIndex {
                index: field_index(literals),
                owners: ids,
            })
        });
        Some(Arc::clone(index))
    }

    fn field_id(&self, name: &str) -> Option<FieldId> {
        match self.fields.get(name) {
            Some(&f) => Some(f),
            // `Threat Name` (Defender) is `ThreatName` to the rules.
            None if name.contains(' ') => self.fields.get(&name.replace(' ', "")).copied(),
            None => None,
        }
    }
}

/// The finder for one field's literals.
fn field_index(literals: Vec<FieldLiteral>) -> FieldIndex {
    let (texts, ids): (Vec<Vec<u8>>, Vec<u32>) = literals
        .into_iter()
        .map(|(anchor, text, id)| (framed(anchor, &text), id))
        .unzip();
    let any = packed::Config::new()
        .match_kind(packed::MatchKind::LeftmostFirst)
        .builder()
        .extend(&texts)
        .build();
    FieldIndex {
        literals: Literals::new(&texts),
        ids,
        any,
    }
}

impl FieldIndex {
    /// Reports the id of every literal found at its place in `text`: one or more values,
    /// each framed by [`BEFORE`] and [`AFTER`], in lowercase.
    fn scan(&self, text: &[u8], mut report: impl FnMut(u32)) {
        if let Some(any) = &self.any
            && text.len() >= any.minimum_len()
            && any.find(text).is_none()
        {
            return;
        }
        self.literals.find(text, |i| report(self.ids[i]));
    }
}

/// Matches events one after another against a [`RuleSet`], reusing its buffers. Not `Sync`:
/// one per thread.
#[derive(Debug)]
pub struct Scanner<'s> {
    set: &'s RuleSet,
    s: Scratch,
}

impl Scanner<'_> {
    /// The rules (by index, ascending) that match the event.
    pub fn matches(&mut self, event: &Event<'_>) -> &[usize] {
        let set = self.set;
        let s = &mut self.s;
        let key = logsource::Key::of(event);
        let routed = s.routing.get(set, &key);
        let is_4688 = routed.is_4688;
        let keywords = routed.keywords.clone();
        let keyword_rules = routed.keyword_rules;
        s.groups.clear();
        s.groups.extend_from_slice(&routed.groups);
        s.out.clear();
        if s.groups.is_empty() {
            return &s.out;
        }
        let mut schema = std::mem::take(&mut routed.schema);
        s.prepare(set, event, is_4688, &mut schema);
        s.routing.get(set, &key).schema = schema;
        if keyword_rules {
            s.prepare_keywords(set, event);
        }

        // Find the literals.
        s.hits.clear();
        for slot in &s.slots {
            let mut framed = false;
            for &g in &s.groups {
                let group = &set.groups[g as usize];
                let pos = group.field_pos[slot.field as usize];
                if pos == NONE {
                    continue;
                }
                if !framed {
                    s.framed.clear();
                    s.framed.push(BEFORE);
                    s.framed
                        .extend_from_slice(text(&s.buffer, slot.lower, event).as_bytes());
                    s.framed.push(AFTER);
                    framed = true;
                }
                let hits = &mut s.hits;
                group.indexes[pos as usize].scan(&s.framed, |id| hits.add(id));
            }
        }
        if let Some(kw) = &keywords {
            let hits = &mut s.hits;
            kw.index.scan(&s.joined, |k| {
                for &id in &kw.owners[k as usize] {
                    hits.add(id);
                }
            });
        }

        // Candidates, then exact evaluation.
        s.candidates.clear();
        for &literal in &s.hits.list {
            s.candidates.extend_from_slice(&set.triggers[literal as usize]);
        }
        s.candidates.sort_unstable();
        s.candidates.dedup();
        let mut out = std::mem::take(&mut s.out);
        {
            let s = &*s;
            let cx = Cx {
                set,
                s,
                event,
                filtered: true,
            };
            for &r in &s.candidates {
                let all_clauses = set.clauses[r as usize]
                    .iter()
                    .all(|clause| clause.iter().any(|&n| s.hits.contains(n)));
                if all_clauses && cx.rule(r as usize) {
                    out.push(r as usize);
                }
            }
            for &g in &s.groups {
                for &r in &set.groups[g as usize].unfiltered {
                    if cx.rule(r as usize) {
                        out.push(r as usize);
                    }
                }
            }
        }
        out.sort_unstable();
        s.out = out;
        &s.out
    }
}

/// Routing decisions by [`logsource::Key`]: events carry few distinct keys, and classifying
/// one takes longer than looking it up.
#[derive(Debug, Default)]
struct RoutingCache {
    /// Key hash → keys with that hash and their routing.
    entries: HashMap<u64, Vec<(OwnedKey, Routed)>>,
    len: usize,
}

type OwnedKey = (Option<String>, Option<String>, Option<i64>, bool, bool);

#[derive(Debug)]
struct Routed {
    groups: Vec<u32>,
    is_4688: bool,
    keywords: Option<Arc<KeywordIndex>>,
    /// Some routed group has a rule with a keyword detection.
    keyword_rules: bool,
    /// The field names of the last event routed so, with their field ids: events of one kind
    /// name their fields alike and in the same order, and comparing a name costs less than
    /// looking it up.
    schema: Vec<(Box<str>, FieldId)>,
}

/// Names remembered per routing at most.
const SCHEMA_MAX: usize = 256;

/// Cached keys at most; past this, the cache starts again (it only guards memory against
/// events with ever-new channel names).
const ROUTING_CACHE_MAX: usize = 1024;

impl RoutingCache {
    fn get(&mut self, set: &RuleSet, key: &logsource::Key<'_>) -> &mut Routed {
        use std::hash::BuildHasher as _;
        let hash = foldhash::fast::FixedState::default().hash_one(key);
        let same = |k: &OwnedKey| {
            k.0.as_deref() == key.log
                && k.1.as_deref() == key.channel
                && k.2 == key.id
                && k.3 == key.kernel_file
                && k.4 == key.image
        };
        let found = self
            .entries
            .get(&hash)
            .and_then(|list| list.iter().position(|(k, _)| same(k)));
        let at = match found {
            Some(at) => at,
            None => {
                if self.len >= ROUTING_CACHE_MAX {
                    self.entries.clear();
                    self.len = 0;
                }
                let sources = logsource::classify_key(key);
                let terms = set.event_terms(&sources);
                let groups: Vec<u32> = (0..set.groups.len() as u32)
                    .filter(|&g| route_ok(&set.groups[g as usize].route, &terms))
                    .collect();
                let routed = Routed {
                    keywords: set.keyword_index(&groups),
                    keyword_rules: groups.iter().any(|&g| set.groups[g as usize].keyword_rules),
                    groups,
                    is_4688: logsource::is_security_4688(&sources),
                    schema: Vec::new(),
                };
                let owned = (
                    key.log.map(str::to_owned),
                    key.channel.map(str::to_owned),
                    key.id,
                    key.kernel_file,
                    key.image,
                );
                let list = self.entries.entry(hash).or_default();
                list.push((owned, routed));
                self.len += 1;
                list.len() - 1
            }
        };
        &mut self.entries.get_mut(&hash).expect("just found or added")[at].1
    }
}

/// The literals found in one event: each once, in the order found, with a bit per literal
/// for constant-time lookups. A literal found a million times in a long value costs a bit
/// test each time, not a million entries.
#[derive(Debug, Default)]
struct Hits {
    list: Vec<u32>,
    bits: Vec<u64>,
}

impl Hits {
    fn new(literals: usize) -> Hits {
        Hits {
            list: Vec::new(),
            bits: vec![0; literals.div_ceil(64)],
        }
    }

    fn add(&mut self, id: u32) {
        let bit = 1u64 << (id % 64);
        if let Some(word) = self.bits.get_mut((id / 64) as usize)
            && *word & bit == 0
        {
            *word |= bit;
            self.list.push(id);
        }
    }

    fn contains(&self, id: u32) -> bool {
        self.bits
            .get((id / 64) as usize)
            .is_some_and(|word| word & (1u64 << (id % 64)) != 0)
    }

    fn clear(&mut self) {
        for &id in &self.list {
            if let Some(word) = self.bits.get_mut((id / 64) as usize) {
                *word = 0;
            }
        }
        self.list.clear();
    }
}

/// Where a prepared text is: a string value of the event, or a span of the scratch buffer.
#[derive(Debug, Clone, Copy)]
enum Text {
    Event(u32),
    Buffer(u32, u32),
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    field: FieldId,
    raw: Text,
    lower: Text,
    number: Option<f64>,
    /// The next slot of the same field, or `NONE`.
    next: u32,
}

/// One event's prepared values and the matcher's working lists, kept between events so that
/// matching allocates nothing once they have grown.
#[derive(Debug, Default)]
struct Scratch {
    /// Per field id: (first slot, last slot, number of slots), or `NONE`.
    heads: Vec<(u32, u32, u32)>,
    /// Fields whose heads are set, to reset them for the next event.
    touched: Vec<FieldId>,
    slots: Vec<Slot>,
    /// Every string value, for keyword searches.
    keyword_values: Vec<Slot>,
    /// Their lowercase texts, each framed by [`BEFORE`] and [`AFTER`], searched in one pass.
    joined: Vec<u8>,
    /// The value the prefilter searches, framed.
    framed: Vec<u8>,
    /// Per event field: its prepared lowercase text, once made.
    lower_of: Vec<Option<Text>>,
    buffer: String,
    groups: Vec<u32>,
    routing: RoutingCache,
    hits: Hits,
    candidates: Vec<u32>,
    out: Vec<usize>,
}

impl Scratch {
    fn prepared<'a>(&'a self, slot: &Slot, event: &'a Event<'_>) -> Prepared<'a> {
        Prepared {
            raw: text(&self.buffer, slot.raw, event),
            lower: text(&self.buffer, slot.lower, event),
            number: slot.number,
        }
    }

    fn buffered(&mut self, value: impl std::fmt::Display) -> Text {
        let start = self.buffer.len() as u32;
        // Writing to a String cannot fail.
        let _ = write!(self.buffer, "{value}");
        Text::Buffer(start, self.buffer.len() as u32)
    }

    /// The raw and lowercase texts of event field `i`, and its number if it is one.
    fn value(&mut self, i: usize, value: &Value<'_>) -> Option<(Text, Text, Option<f64>)> {
        let (raw, number) = match value {
            Value::Str(s) => {
                let raw = Text::Event(i as u32);
                if !needs_lowercase(s) {
                    return Some((raw, raw, None));
                }
                let start = self.buffer.len() as u32;
                if s.is_ascii() {
                    self.buffer.push_str(s);
                    self.buffer[start as usize..].make_ascii_lowercase();
                } else {
                    self.buffer.extend(s.chars().map(lower_char));
                }
                return Some((raw, Text::Buffer(start, self.buffer.len() as u32), None));
            }
            Value::Int(n) => {
                let start = self.buffer.len() as u32;
                self.buffer.push_str(itoa::Buffer::new().format(*n));
                (Text::Buffer(start, self.buffer.len() as u32), Some(*n as f64))
            }
            Value::Float(f) => (self.buffered(f), Some(*f)),
            Value::Bool(b) => (self.buffered(if *b { "true" } else { "false" }), None),
            Value::Null => return None,
        };
        Some((raw, raw, number))
    }

    fn push(&mut self, field: FieldId, raw: Text, lower: Text, number: Option<f64>) {
        let slot = self.slots.len() as u32;
        self.slots.push(Slot {
            field,
            raw,
            lower,
            number,
            next: NONE,
        });
        // Keep file order within a field: append at the end of its chain.
        let head = &mut self.heads[field as usize];
        if head.0 == NONE {
            *head = (slot, slot, 1);
            self.touched.push(field);
        } else {
            let last = head.1;
            head.1 = slot;
            head.2 += 1;
            self.slots[last as usize].next = slot;
        }
    }

    /// Whether the field holds as many values as are matched.
    fn full(&self, field: FieldId) -> bool {
        self.heads
            .get(field as usize)
            .is_some_and(|h| h.2 as usize >= MAX_VALUES_PER_FIELD)
    }

    fn first(&self, field: FieldId) -> u32 {
        self.heads.get(field as usize).map_or(NONE, |h| h.0)
    }

    /// Prepares every value of the event that some rule reads.
    /// `schema` is the names of the last event of the same kind and their field ids, which
    /// this event's names are compared with before being looked up; it is updated.
    fn prepare(&mut self, set: &RuleSet, event: &Event<'_>, is_4688: bool, schema: &mut Vec<(Box<str>, FieldId)>) {
        for f in self.touched.drain(..) {
            self.heads[f as usize] = (NONE, NONE, 0);
        }
        self.slots.clear();
        self.keyword_values.clear();
        self.joined.clear();
        self.lower_of.clear();
        self.lower_of.resize(event.fields.len(), None);
        self.buffer.clear();
        for (i, (name, value)) in event.fields.iter().enumerate() {
            let field = match schema.get(i) {
                Some((known, field)) if **known == **name => *field,
                _ => {
                    let field = set.field_id(name).unwrap_or(NONE);
                    if let Some(known) = schema.get_mut(i) {
                        *known = (name.as_ref().into(), field);
                    } else if i == schema.len() && i < SCHEMA_MAX {
                        schema.push((name.as_ref().into(), field));
                    }
                    field
                }
            };
            if field == NONE || self.full(field) {
                continue;
            }
            if let Some((raw, lower, number)) = self.value(i, value) {
                self.lower_of[i] = Some(lower);
                self.push(field, raw, lower, number);
            }
        }
        if is_4688 {
            for (sysmon_name, name) in logsource::FIELDS_4688 {
                if let Some(&f) = set.fields.get(*sysmon_name)
                    && self.first(f) == NONE
                    && let Some(i) = event.fields.iter().position(|(k, _)| k == name)
                    && let Some((raw, lower, number)) = self.value(i, &event.fields[i].1)
                {
                    self.push(f, raw, lower, number);
                }
            }
            if let Some(&f) = set.fields.get("User") {
                let text = |n: &str| event.get(n).and_then(Value::text);
                if let (Some(domain), Some(user)) = (text("SubjectDomainName"), text("SubjectUserName"))
                    && self.first(f) == NONE
                {
                    let raw = self.buffered(format_args!("{domain}\\{user}"));
                    let user = format!("{domain}\\{user}");
                    let lower = self.buffered(lowercase(&user).unwrap_or(user));
                    self.push(f, raw, lower, None);
                }
            }
        }
    }

    /// Prepares every string value of the event, for keyword searches.
    fn prepare_keywords(&mut self, set: &RuleSet, event: &Event<'_>) {
        if !set.has_keywords {
            return;
        }
        for (i, (name, value)) in event.fields.iter().enumerate() {
            if !matches!(value, Value::Str(_)) || ENVELOPE.contains(&name.as_ref()) {
                continue;
            }
            if self.keyword_values.len() >= MAX_KEYWORD_VALUES {
                break;
            }
            let prepared = match self.lower_of.get(i).copied().flatten() {
                Some(lower) => Some((Text::Event(i as u32), lower, None)),
                None => self.value(i, value),
            };
            if let Some((raw, lower, _)) = prepared {
                self.joined.push(BEFORE);
                self.joined
                    .extend_from_slice(text(&self.buffer, lower, event).as_bytes());
                self.joined.push(AFTER);
                self.keyword_values.push(Slot {
                    field: NONE,
                    raw,
                    lower,
                    number: None,
                    next: NONE,
                });
            }
        }
    }
}

/// The text a [`Text`] points at.
fn text<'a>(buffer: &'a str, at: Text, event: &'a Event<'_>) -> &'a str {
    match at {
        Text::Event(i) => match event.fields.get(i as usize) {
            Some((_, Value::Str(s))) => s,
            _ => "",
        },
        Text::Buffer(a, b) => buffer.get(a as usize..b as usize).unwrap_or_default(),
    }
}

fn route_ok(route: &Route, event_terms: &[u16]) -> bool {
    route.terms.iter().all(|t| event_terms.binary_search(t).is_ok())
}

fn route_of(ls: &Logsource, terms: &mut [HashMap<String, u16>; 3]) -> Route {
    let mut route = Route::default();
    let mut next = terms.iter().map(HashMap::len).sum::<usize>() as u16;
    for (dim, value) in [
        (Dim::Product, &ls.product),
        (Dim::Category, &ls.category),
        (Dim::Service, &ls.service),
    ] {
        let Some(value) = value else { continue };
        if !logsource::is_known(dim, value) {
            route.unroutable = true;
        }
        let id = *terms[dim as usize].entry(value.clone()).or_insert_with(|| {
            next += 1;
            next - 1
        });
        route.terms.push(id);
    }
    route.terms.sort_unstable();
    route
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

/// A literal some matcher requires: in this field, at this place, this lowercase text.
#[derive(Debug, Clone)]
struct Literal {
    field: String,
    anchor: Anchor,
    text: String,
}

/// Clauses of literals: in any event the condition accepts, every clause has at least one of
/// its literals at its place in its field. Empty: no constraint.
type Clause = Vec<Literal>;

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
                field_id: NONE,
                test: Test::Values {
                    all: *all,
                    matchers: matchers.clone(),
                },
                literals: None,
            };
            item_requirement(&item)
        }
    }
}

fn item_requirement(item: &Item) -> Vec<Clause> {
    let Test::Values { all, matchers } = &item.test else {
        return Vec::new();
    };
    let literal = |(anchor, text)| Literal {
        field: item.field.clone(),
        anchor,
        text,
    };
    let lits: Vec<Option<Vec<(Anchor, String)>>> = matchers.iter().map(Matcher::prefilter_literals).collect();
    if *all {
        // Every value must match: each matcher's literals are a clause of their own.
        return lits
            .into_iter()
            .flatten()
            .map(|ls| ls.into_iter().map(literal).collect())
            .collect();
    }
    match lits.into_iter().collect::<Option<Vec<_>>>() {
        Some(ls) if !ls.is_empty() => vec![ls.into_iter().flatten().map(literal).collect()],
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

/// The most selective clause: the one whose shortest literal is longest (a literal tied to
/// its place counts a few bytes more than one found anywhere), then the smallest.
fn best_clause(cnf: &[Clause]) -> Option<usize> {
    let weight = |l: &Literal| match l.anchor {
        Anchor::Exact => l.text.len() + 8,
        Anchor::Prefix | Anchor::Suffix => l.text.len() + 3,
        Anchor::Contains => l.text.len(),
    };
    cnf.iter()
        .enumerate()
        .max_by_key(|(_, c)| {
            let shortest = c.iter().map(weight).min().unwrap_or(0);
            (shortest.min(16), std::cmp::Reverse(c.len()))
        })
        .map(|(i, _)| i)
}

/// Evaluation of one event's rules over its prepared values.
struct Cx<'a> {
    set: &'a RuleSet,
    s: &'a Scratch,
    event: &'a Event<'a>,
    /// Whether `s.hits` holds the literals found (the prefilter ran for the rule's group).
    filtered: bool,
}

impl Cx<'_> {
    fn rule(&self, r: usize) -> bool {
        let rule = &self.set.rules[r];
        self.cond(r, &rule.condition)
    }

    fn cond(&self, r: usize, c: &Cond) -> bool {
        match c {
            Cond::Det(i) => self.det(r, *i),
            Cond::Not(inner) => !self.cond(r, inner),
            Cond::And(items) => items.iter().all(|c| self.cond(r, c)),
            Cond::Or(items) => items.iter().any(|c| self.cond(r, c)),
            Cond::All(ids) => ids.iter().all(|&i| self.det(r, i)),
            Cond::AtLeast(n, ids) => {
                let mut count = 0;
                ids.iter().any(|&i| {
                    if self.det(r, i) {
                        count += 1;
                    }
                    count >= *n
                })
            }
        }
    }

    fn det(&self, r: usize, i: usize) -> bool {
        self.detection(&self.set.rules[r].detections[i])
    }

    fn detection(&self, d: &Detection) -> bool {
        match d {
            Detection::AllOf(items) => items.iter().all(|item| self.item(item)),
            Detection::AnyOf(list) => list.iter().any(|d| self.detection(d)),
            Detection::Keywords { all, matchers } => {
                let hit = |m: &Matcher| match self.prefiltered(m) {
                    Some(decided) => decided,
                    None => self
                        .s
                        .keyword_values
                        .iter()
                        .any(|v| m.matches(&self.s.prepared(v, self.event))),
                };
                if *all {
                    matchers.iter().all(hit)
                } else {
                    matchers.iter().any(hit)
                }
            }
        }
    }

    /// What the prefilter already knows of a matcher: `Some(false)` if its literal is not at
    /// its place, `Some(true)` if that decides a match, `None` if the value must be compared.
    fn prefiltered(&self, m: &Matcher) -> Option<bool> {
        let id = m.literal_id().filter(|_| self.filtered)?;
        let found = self.s.hits.contains(id);
        if !found {
            Some(false)
        } else if m.literal_decides() {
            Some(true)
        } else {
            None
        }
    }

    fn values(&self, field: FieldId) -> impl Iterator<Item = Prepared<'_>> {
        let mut at = self.s.first(field);
        std::iter::from_fn(move || {
            let slot = self.s.slots.get(at as usize)?;
            at = slot.next;
            Some(self.s.prepared(slot, self.event))
        })
    }

    fn item(&self, item: &Item) -> bool {
        if self.filtered
            && let Some(ids) = &item.literals
        {
            return ids.iter().any(|&id| self.s.hits.contains(id));
        }
        let field = item.field_id;
        match &item.test {
            Test::Exists(want) => (self.s.first(field) != NONE) == *want,
            Test::Values { all, matchers } => {
                if self.s.first(field) == NONE {
                    return matchers.iter().any(|m| matches!(m, Matcher::Null));
                }
                let hit = |m: &Matcher| match m {
                    Matcher::FieldRef { field: name, .. } => {
                        let other = self.set.fields.get(name).copied().unwrap_or(NONE);
                        self.values(field)
                            .any(|v| self.values(other).any(|o| m.matches_ref(&v, &o)))
                    }
                    _ => match self.prefiltered(m) {
                        Some(decided) => decided,
                        None => self.values(field).any(|v| m.matches(&v)),
                    },
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
