//! Correlation rules (`event_count`, `value_count`, `temporal`, `temporal_ordered`) and the
//! streaming matcher that evaluates them with bounded state.
//!
//! Time is the event's own (`@timestamp`, or `SystemTime` of an EVTX record), never the
//! clock: replaying the same events gives the same correlations. Each group keeps only the
//! matches inside its timespan; groups are capped in number and the longest idle one is
//! dropped first, so memory stays bounded whatever the input.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use atoll_yaml::{Kind, Node, Span};

use crate::event::{Event, Value};
use crate::rule::{Level, RuleError, get, level_of, opt_text, text};
use crate::{RuleSet, Scanner};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorrelationKind {
    EventCount,
    ValueCount,
    Temporal,
    TemporalOrdered,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threshold {
    Gt(u64),
    Gte(u64),
    Lt(u64),
    Lte(u64),
    Eq(u64),
}

impl Threshold {
    fn holds(self, n: u64) -> bool {
        match self {
            Threshold::Gt(t) => n > t,
            Threshold::Gte(t) => n >= t,
            Threshold::Lt(t) => n < t,
            Threshold::Lte(t) => n <= t,
            Threshold::Eq(t) => n == t,
        }
    }
}

/// A correlation rule.
#[derive(Debug, Clone)]
pub struct Correlation {
    pub id: Option<String>,
    pub name: Option<String>,
    pub title: String,
    pub level: Option<Level>,
    pub author: Option<String>,
    pub kind: CorrelationKind,
    /// The rules it counts, by `id` or `name`.
    pub rules: Vec<String>,
    pub group_by: Vec<String>,
    pub timespan_secs: i64,
    pub threshold: Option<Threshold>,
    /// For `value_count`: the field whose distinct values are counted.
    pub field: Option<String>,
    /// Whether the counted rules also raise their own matches.
    pub generate: bool,
    pub span: Span,
}

/// Parses a timespan: `30s`, `5m`, `1h`, `2d`.
pub fn parse_timespan(text: &str) -> Option<i64> {
    let text = text.trim();
    let unit = text.chars().last()?;
    let n: i64 = text[..text.len() - unit.len_utf8()].parse().ok().filter(|n| *n > 0)?;
    let scale = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => return None,
    };
    n.checked_mul(scale)
}

pub(crate) fn compile(doc: &Node) -> Result<Correlation, RuleError> {
    let c = get(doc, "correlation").expect("called on correlation documents");
    if !matches!(c.kind, Kind::Map(_)) {
        return Err(RuleError::new(
            c.span,
            "`correlation` should be a mapping with `type`, `rules`, `timespan`",
        ));
    }
    let title = get(doc, "title")
        .ok_or_else(|| RuleError::new(doc.span, "the correlation has no `title`"))
        .and_then(|n| text(n, "title"))?;
    let type_node = get(c, "type").ok_or_else(|| RuleError::new(c.span, "the correlation has no `type`"))?;
    let kind = match text(type_node, "type")?.as_str() {
        "event_count" => CorrelationKind::EventCount,
        "value_count" => CorrelationKind::ValueCount,
        "temporal" => CorrelationKind::Temporal,
        "temporal_ordered" => CorrelationKind::TemporalOrdered,
        other => {
            return Err(RuleError::new(
                type_node.span,
                format!(
                    "unknown correlation type `{other}`; atoll knows event_count, value_count, temporal, temporal_ordered"
                ),
            ));
        }
    };
    let list = |key: &str| -> Result<Vec<String>, RuleError> {
        match get(c, key) {
            None => Ok(Vec::new()),
            Some(n) => match &n.kind {
                Kind::Seq(items) => items.iter().map(|i| text(i, key)).collect(),
                _ => Ok(vec![text(n, key)?]),
            },
        }
    };
    let rules = list("rules")?;
    if rules.is_empty() {
        return Err(RuleError::new(c.span, "the correlation names no `rules`"));
    }
    let timespan_node =
        get(c, "timespan").ok_or_else(|| RuleError::new(c.span, "the correlation has no `timespan`"))?;
    let timespan_text = text(timespan_node, "timespan")?;
    let timespan_secs = parse_timespan(&timespan_text).ok_or_else(|| {
        RuleError::new(
            timespan_node.span,
            format!("`{timespan_text}` is not a timespan; write a number and s, m, h, d or w, like `15m`"),
        )
    })?;
    let mut threshold = None;
    let mut field = None;
    if let Some(cond) = get(c, "condition") {
        let Kind::Map(entries) = &cond.kind else {
            return Err(RuleError::new(
                cond.span,
                "the correlation's `condition` should be a mapping like `gte: 5`",
            ));
        };
        for (k, v) in entries {
            let key = text(k, "condition")?;
            if key == "field" {
                field = Some(text(v, "field")?);
                continue;
            }
            let n: u64 = match &v.kind {
                Kind::Int(i) if *i >= 0 => *i as u64,
                _ => return Err(RuleError::new(v.span, format!("`{key}` takes a whole number"))),
            };
            threshold = Some(match key.as_str() {
                "gt" => Threshold::Gt(n),
                "gte" => Threshold::Gte(n),
                "lt" => Threshold::Lt(n),
                "lte" => Threshold::Lte(n),
                "eq" => Threshold::Eq(n),
                other => {
                    return Err(RuleError::new(
                        k.span,
                        format!("unknown comparison `{other}`; use gt, gte, lt, lte or eq"),
                    ));
                }
            });
        }
    }
    match kind {
        CorrelationKind::EventCount | CorrelationKind::ValueCount if threshold.is_none() => {
            return Err(RuleError::new(
                c.span,
                "this correlation needs a `condition` such as `gte: 10`",
            ));
        }
        CorrelationKind::ValueCount if field.is_none() => {
            return Err(RuleError::new(c.span, "`value_count` needs `condition: {field: …}`"));
        }
        _ => {}
    }
    let opt = |key: &str| opt_text(doc, key);
    let level = level_of(doc)?;
    let generate = matches!(get(c, "generate").map(|n| &n.kind), Some(Kind::Bool(true)));
    Ok(Correlation {
        id: opt("id")?,
        name: opt("name")?,
        title,
        level,
        author: opt("author")?,
        kind,
        rules,
        group_by: list("group-by")?,
        timespan_secs,
        threshold,
        field,
        generate,
        span: doc.span,
    })
}

/// A correlation that fired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrelationHit {
    /// Index in the correlations given to [`Stream::new`].
    pub correlation: usize,
    /// The group-by fields and their values.
    pub group: Vec<(String, String)>,
    /// How many matches (or distinct values, for `value_count`) were in the window.
    pub count: u64,
    /// Exercise time of the first and last match counted, in seconds since the Unix epoch.
    pub first: i64,
    pub last: i64,
}

/// What one event produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    /// Rules that matched and report their own matches, by index, ascending.
    pub rules: Vec<usize>,
    pub correlations: Vec<CorrelationHit>,
}

/// Most groups one correlation tracks, and most matches one group keeps.
pub const MAX_GROUPS: usize = 50_000;
pub const MAX_WINDOW: usize = 10_000;

#[derive(Debug, Default)]
struct Group {
    /// (time, which referenced rule, counted value).
    window: VecDeque<(i64, usize, Option<String>)>,
    last_seen: i64,
}

#[derive(Debug)]
struct Tracker {
    correlation: Correlation,
    /// Rule indices it counts, in the order of `rules` (for `temporal_ordered`).
    rules: Vec<Vec<usize>>,
    groups: BTreeMap<Vec<String>, Group>,
}

/// Matches a stream of events against a rule set and its correlations.
#[derive(Debug)]
pub struct Stream<'r> {
    scanner: Scanner<'r>,
    trackers: Vec<Tracker>,
    /// Rules that only feed correlations (`generate: false`) and raise no match themselves.
    silent: BTreeSet<usize>,
}

impl<'r> Stream<'r> {
    /// Errors name correlations whose rules are not in the set.
    pub fn new(set: &'r RuleSet, correlations: Vec<Correlation>) -> Result<Stream<'r>, Vec<String>> {
        let mut errors = Vec::new();
        let mut trackers = Vec::new();
        let mut silent = BTreeSet::new();
        let mut loud = BTreeSet::new();
        for c in correlations {
            let mut rules = Vec::new();
            for reference in &c.rules {
                let found: Vec<usize> = set
                    .rules()
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.id.as_deref() == Some(reference) || r.name.as_deref() == Some(reference))
                    .map(|(i, _)| i)
                    .collect();
                if found.is_empty() {
                    errors.push(format!(
                        "the correlation \"{}\" counts `{reference}`, which is no loaded rule's id or name",
                        c.title
                    ));
                }
                if c.generate {
                    loud.extend(found.iter().copied());
                } else {
                    silent.extend(found.iter().copied());
                }
                rules.push(found);
            }
            trackers.push(Tracker {
                correlation: c,
                rules,
                groups: BTreeMap::new(),
            });
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let silent = silent.difference(&loud).copied().collect();
        Ok(Stream {
            scanner: set.scanner(),
            trackers,
            silent,
        })
    }

    /// Matches one event; correlations use its time (`@timestamp` or `SystemTime`), and events
    /// without a readable time do not count towards them.
    pub fn push(&mut self, event: &Event<'_>) -> Output {
        let matched = self.scanner.matches(event);
        let mut out = Output {
            rules: matched.iter().copied().filter(|r| !self.silent.contains(r)).collect(),
            correlations: Vec::new(),
        };
        if self.trackers.is_empty() || matched.is_empty() {
            return out;
        }
        let Some(time) = event_time(event) else { return out };
        for (ci, t) in self.trackers.iter_mut().enumerate() {
            let positions: Vec<usize> = t
                .rules
                .iter()
                .enumerate()
                .filter(|(_, ids)| ids.iter().any(|i| matched.binary_search(i).is_ok()))
                .map(|(p, _)| p)
                .collect();
            if positions.is_empty() {
                continue;
            }
            let c = &t.correlation;
            let key: Vec<String> = c
                .group_by
                .iter()
                .map(|f| first_text(event, f).unwrap_or_default())
                .collect();
            let value = c.field.as_deref().and_then(|f| first_text(event, f));
            if !t.groups.contains_key(&key) && t.groups.len() >= MAX_GROUPS {
                evict(&mut t.groups, time - c.timespan_secs);
            }
            let group = t.groups.entry(key.clone()).or_default();
            group.last_seen = group.last_seen.max(time);
            for p in positions {
                group.window.push_back((time, p, value.clone()));
            }
            while group.window.len() > MAX_WINDOW {
                group.window.pop_front();
            }
            let horizon = time - c.timespan_secs;
            group.window.retain(|(ts, _, _)| *ts >= horizon && *ts <= time);
            if let Some(count) = fires(c, &t.rules, &group.window) {
                let first = group.window.iter().map(|(ts, _, _)| *ts).min().unwrap_or(time);
                out.correlations.push(CorrelationHit {
                    correlation: ci,
                    group: c.group_by.iter().cloned().zip(key.iter().cloned()).collect(),
                    count,
                    first,
                    last: time,
                });
                // Start counting afresh, so that one burst raises one alert.
                group.window.clear();
            }
        }
        out
    }
}

fn fires(c: &Correlation, rules: &[Vec<usize>], window: &VecDeque<(i64, usize, Option<String>)>) -> Option<u64> {
    let count = match c.kind {
        CorrelationKind::EventCount => window.len() as u64,
        CorrelationKind::ValueCount => window
            .iter()
            .filter_map(|(_, _, v)| v.as_deref())
            .collect::<BTreeSet<_>>()
            .len() as u64,
        CorrelationKind::Temporal => {
            let seen: BTreeSet<usize> = window.iter().map(|(_, p, _)| *p).collect();
            if seen.len() < rules.len() {
                return None;
            }
            seen.len() as u64
        }
        CorrelationKind::TemporalOrdered => {
            // Each rule in turn, at or after the time the previous one matched.
            let mut sorted: Vec<&(i64, usize, Option<String>)> = window.iter().collect();
            sorted.sort_by_key(|(ts, _, _)| *ts);
            let mut next = 0;
            for (_, p, _) in sorted {
                if *p == next {
                    next += 1;
                    if next == rules.len() {
                        break;
                    }
                }
            }
            if next < rules.len() {
                return None;
            }
            next as u64
        }
    };
    match c.threshold {
        Some(t) => t.holds(count).then_some(count),
        None => Some(count),
    }
}

fn evict(groups: &mut BTreeMap<Vec<String>, Group>, horizon: i64) {
    groups.retain(|_, g| g.last_seen >= horizon);
    if groups.len() >= MAX_GROUPS {
        // Still full: drop the longest idle group (ties: the first key, for determinism).
        if let Some(key) = groups.iter().min_by_key(|(_, g)| g.last_seen).map(|(k, _)| k.clone()) {
            groups.remove(&key);
        }
    }
}

fn first_text(event: &Event<'_>, field: &str) -> Option<String> {
    event.get(field).and_then(Value::text).map(|t| t.into_owned())
}

/// The event's time in seconds since the Unix epoch.
pub fn event_time(event: &Event<'_>) -> Option<i64> {
    ["@timestamp", "SystemTime", "timestamp", "UtcTime"]
        .iter()
        .find_map(|f| {
            let Value::Str(s) = event.get(f)? else { return None };
            parse_time(s)
        })
}

fn parse_time(s: &str) -> Option<i64> {
    if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        return Some(ts.as_second());
    }
    // Sysmon's `UtcTime` has no zone: `2024-05-14 03:12:09.123`.
    s.replace(' ', "T")
        .parse::<jiff::civil::DateTime>()
        .ok()
        .and_then(|dt| dt.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp().as_second())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timespans() {
        assert_eq!(parse_timespan("15m"), Some(900));
        assert_eq!(parse_timespan("2d"), Some(172_800));
        assert_eq!(parse_timespan("0s"), None);
        assert_eq!(parse_timespan("5x"), None);
        assert_eq!(parse_timespan(""), None);
    }

    #[test]
    fn times() {
        assert_eq!(parse_time("1970-01-01T00:01:00Z"), Some(60));
        assert_eq!(parse_time("1970-01-01 00:01:00.500"), Some(60));
        assert_eq!(parse_time("yesterday"), None);
    }
}
