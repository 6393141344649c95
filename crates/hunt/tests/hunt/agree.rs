//! The store's answers equal a naive scan's, for generated queries over simulated events.
//!
//! The naive side reads every event with serde_json and interprets the parsed query directly,
//! with its own wildcard matching (a regular expression per pattern): no dictionaries, no
//! columns, no bitmaps.

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use atoll_hunt::query::{Expr, Op, When};
use atoll_hunt::{Context, Limits, Output, Page, Query, Store};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

struct Data {
    store: Store,
    /// Each event's fields as (name, text).
    events: Vec<Vec<(String, String)>>,
    times: Vec<Option<i64>>,
}

/// Twenty minutes of two teams from the bundled scenario: tens of thousands of events of every
/// log source the scenario has.
static DATA: LazyLock<Data> = LazyLock::new(|| {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/pacific-cable-shield.yaml");
    let scenario = atoll_scenario::load_file(&path).unwrap_or_else(|p| panic!("{}", p.render("scenario")));
    let config = atoll_sim::Config {
        seed: 11,
        date: atoll_sim::DEFAULT_DATE,
        until: 20 * atoll_sim::clock::MINUTE,
        teams: vec!["palau".into(), "nauru".into()],
        actions: Vec::new(),
    };
    let mut sim = atoll_sim::Simulation::new(&scenario, config).unwrap();
    let mut bytes = Vec::new();
    sim.run(|chunk, _| {
        bytes.extend_from_slice(chunk);
        Ok(())
    })
    .unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let mut store = Store::new();
    let mut events = Vec::new();
    let mut times = Vec::new();
    for line in text.lines() {
        store.push_json(line).unwrap();
        let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(line).unwrap();
        let fields: Vec<(String, String)> = object
            .iter()
            .map(|(k, v)| {
                let text = match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.clone(), text)
            })
            .collect();
        times.push(
            fields
                .iter()
                .find(|(k, _)| k == "@timestamp")
                .and_then(|(_, t)| time(t)),
        );
        events.push(fields);
    }
    Data { store, events, times }
});

fn time(text: &str) -> Option<i64> {
    text.parse::<jiff::Timestamp>().ok().map(|t| t.as_millisecond())
}

/// A wildcard pattern as a regular expression over the ASCII-lowercased value.
fn pattern(text: &str) -> regex::Regex {
    let mut re = String::from("(?s)^");
    for c in text.to_ascii_lowercase().chars() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    regex::Regex::new(&re).unwrap()
}

/// A search ready for the naive scan: every pattern compiled once.
enum Naive<'q> {
    All,
    And(Vec<Naive<'q>>),
    Or(Vec<Naive<'q>>),
    Not(Box<Naive<'q>>),
    Text(regex::Regex),
    Field(&'q str, regex::Regex),
    Exists(&'q str),
    Compare(&'q str, Op, &'q str),
    Time(Option<i64>, Option<i64>),
}

fn prepare(expr: &Expr, now: i64) -> Naive<'_> {
    let at = |w: &When| match w {
        When::At(ms) => *ms,
        When::FromNow(offset) => now + offset,
        When::Day { .. } => unreachable!("not generated"),
    };
    match expr {
        Expr::All => Naive::All,
        Expr::And(items) => Naive::And(items.iter().map(|e| prepare(e, now)).collect()),
        Expr::Or(items) => Naive::Or(items.iter().map(|e| prepare(e, now)).collect()),
        Expr::Not(inner) => Naive::Not(Box::new(prepare(inner, now))),
        Expr::Text { text, .. } => Naive::Text(pattern(&format!("*{text}*"))),
        Expr::Field { field, text, .. } => Naive::Field(&field.text, pattern(text)),
        Expr::Exists { field } => Naive::Exists(&field.text),
        Expr::Compare { field, op, value } => Naive::Compare(&field.text, *op, value),
        Expr::Time { earliest, latest, .. } => Naive::Time(earliest.as_ref().map(at), latest.as_ref().map(at)),
    }
}

fn naive(expr: &Naive<'_>, event: &[(String, String)], time: Option<i64>) -> bool {
    // A field name in a search term stands for every field of that name in any case.
    fn values<'e>(event: &'e [(String, String)], name: &'e str) -> impl Iterator<Item = &'e str> {
        event
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    // Text written as a number: digits, sign, point, exponent; finite.
    fn num(t: &str) -> Option<f64> {
        let ok = !t.is_empty()
            && t.chars().all(|c| c.is_ascii_digit() || "+-.eE".contains(c))
            && t.starts_with(|c: char| c.is_ascii_digit() || "+-.".contains(c));
        if ok {
            t.parse::<f64>().ok().filter(|n| n.is_finite())
        } else {
            None
        }
    }
    match expr {
        Naive::All => true,
        Naive::And(items) => items.iter().all(|e| naive(e, event, time)),
        Naive::Or(items) => items.iter().any(|e| naive(e, event, time)),
        Naive::Not(inner) => !naive(inner, event, time),
        Naive::Text(re) => event
            .iter()
            .any(|(k, v)| k != "@timestamp" && re.is_match(&v.to_ascii_lowercase())),
        Naive::Field(name, re) => values(event, name).any(|v| re.is_match(&v.to_ascii_lowercase())),
        Naive::Exists(name) => values(event, name).next().is_some(),
        Naive::Compare(name, op, value) => {
            if *name == "@timestamp" {
                let (Some(t), Some(at)) = (time, self::time(value)) else {
                    return false;
                };
                return op.holds(t.cmp(&at));
            }
            values(event, name).any(|v| match num(value) {
                Some(x) => num(v).and_then(|n| n.partial_cmp(&x)).is_some_and(|o| op.holds(o)),
                None => op.holds(v.to_ascii_lowercase().cmp(&value.to_ascii_lowercase())),
            })
        }
        Naive::Time(earliest, latest) => {
            let Some(t) = time else { return false };
            earliest.is_none_or(|e| t >= e) && latest.is_none_or(|l| t < l)
        }
    }
}

/// A generated search: leaves point at a real event and one of its fields.
#[derive(Debug, Clone)]
enum Gen {
    Field {
        event: usize,
        slot: usize,
        form: u8,
        cut: usize,
    },
    Text {
        event: usize,
        slot: usize,
        form: u8,
        cut: usize,
    },
    Compare {
        event: usize,
        slot: usize,
        op: u8,
    },
    Exists {
        event: usize,
        slot: usize,
    },
    Time {
        event: usize,
        latest: bool,
    },
    Not(Box<Gen>),
    And(Vec<Gen>),
    Or(Vec<Gen>),
}

fn gen_search() -> impl Strategy<Value = Gen> {
    let leaf = prop_oneof![
        4 => (any::<usize>(), any::<usize>(), 0u8..6, any::<usize>())
            .prop_map(|(event, slot, form, cut)| Gen::Field { event, slot, form, cut }),
        2 => (any::<usize>(), any::<usize>(), 0u8..6, any::<usize>())
            .prop_map(|(event, slot, form, cut)| Gen::Text { event, slot, form, cut }),
        2 => (any::<usize>(), any::<usize>(), 0u8..4).prop_map(|(event, slot, op)| Gen::Compare { event, slot, op }),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(event, slot)| Gen::Exists { event, slot }),
        1 => (any::<usize>(), any::<bool>()).prop_map(|(event, latest)| Gen::Time { event, latest }),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|g| Gen::Not(Box::new(g))),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Gen::And),
            prop::collection::vec(inner, 2..4).prop_map(Gen::Or),
        ]
    })
}

/// A field name as a query writes it: quoted unless it is a plain word.
fn field(name: &str) -> String {
    if name.chars().all(|c| c.is_ascii_alphanumeric() || "_@.-".contains(c)) {
        name.to_owned()
    } else {
        quote(name)
    }
}

fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A piece of `value` chosen by `form` and `cut`: whole, prefix*, *suffix, *middle*, upper
/// case, or one character replaced by `?`.
fn shape_value(value: &str, form: u8, cut: usize) -> String {
    let chars: Vec<char> = value.chars().collect();
    let n = chars.len();
    let at = if n == 0 { 0 } else { cut % (n + 1) };
    let s = |a: usize, b: usize| chars[a..b].iter().collect::<String>();
    match form {
        0 => value.to_owned(),
        1 => format!("{}*", s(0, at)),
        2 => format!("*{}", s(at, n)),
        3 => {
            let len = (cut / 7) % (n - at + 1);
            format!("*{}*", s(at, at + len))
        }
        4 => value.to_uppercase(),
        _ if n == 0 => value.to_owned(),
        _ => {
            let i = cut % n;
            format!("{}?{}", s(0, i), s(i + 1, n))
        }
    }
}

fn render(g: &Gen, data: &Data) -> String {
    let pick = |event: usize, slot: usize| {
        let fields = &data.events[event % data.events.len()];
        fields[slot % fields.len()].clone()
    };
    match g {
        Gen::Field { event, slot, form, cut } => {
            let (name, value) = pick(*event, *slot);
            format!("{}:{}", field(&name), quote(&shape_value(&value, *form, *cut)))
        }
        Gen::Text { event, slot, form, cut } => {
            let (_, value) = pick(*event, *slot);
            quote(&shape_value(&value, *form, *cut).replace('*', ""))
        }
        Gen::Compare { event, slot, op } => {
            let (name, value) = pick(*event, *slot);
            let op = ["<", "<=", ">", ">="][*op as usize];
            format!("{} {op} {}", field(&name), quote(&value))
        }
        Gen::Exists { event, slot } => format!("_exists_:{}", field(&pick(*event, *slot).0)),
        Gen::Time { event, latest } => {
            let (_, t) = pick(*event, 0);
            format!("{}:{t}", if *latest { "latest" } else { "earliest" })
        }
        Gen::Not(inner) => format!("NOT ({})", render(inner, data)),
        Gen::And(items) => items
            .iter()
            .map(|i| format!("({})", render(i, data)))
            .collect::<Vec<_>>()
            .join(" AND "),
        Gen::Or(items) => items
            .iter()
            .map(|i| format!("({})", render(i, data)))
            .collect::<Vec<_>>()
            .join(" OR "),
    }
}

#[test]
fn index_answers_equal_a_naive_scan() {
    let data = &*DATA;
    assert!(data.events.len() > 10_000, "{} events", data.events.len());
    let now = data.times.iter().flatten().copied().max().unwrap();
    let cases = 300;
    let (nonempty, partial) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&gen_search(), |g| {
            let text = render(&g, data);
            let query = Query::parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
            let scan = prepare(&query.search, now);
            let want: Vec<u32> = (0..data.events.len())
                .filter(|&i| naive(&scan, &data.events[i], data.times[i]))
                .map(|i| i as u32)
                .collect();
            let answer = data
                .store
                .run(&query, None, &Context::default(), &Limits::default(), Page::ALL)
                .map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
            let Output::Events(got) = &answer.output else {
                unreachable!()
            };
            prop_assert_eq!(got, &want, "{}", text);
            if !want.is_empty() {
                nonempty.fetch_add(1, Ordering::Relaxed);
            }
            if want.len() < data.events.len() {
                partial.fetch_add(1, Ordering::Relaxed);
            }
            // The same events counted by log source.
            let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
            for &i in &want {
                if let Some((_, log)) = data.events[i as usize].iter().find(|(k, _)| k == "log") {
                    *counts.entry(log).or_default() += 1;
                }
            }
            let stats = Query::parse(&format!("{text} | stats count by log")).unwrap();
            let answer = data
                .store
                .run(&stats, None, &Context::default(), &Limits::default(), Page::ALL)
                .unwrap();
            let Output::Table(table) = answer.output else {
                unreachable!()
            };
            let got: BTreeMap<&str, u64> = table
                .rows
                .iter()
                .map(|r| (r[0].as_str(), r[1].parse().unwrap()))
                .collect();
            prop_assert_eq!(got, counts, "{} | stats count by log", text);
            Ok(())
        })
        .unwrap();
    let (nonempty, partial) = (nonempty.into_inner(), partial.into_inner());
    // Most generated searches must find something, and most must not find everything, or the
    // comparison would prove little.
    assert!(
        nonempty * 2 > cases as usize,
        "only {nonempty} of {cases} searches found events"
    );
    assert!(
        partial * 2 > cases as usize,
        "only {partial} of {cases} searches left events out"
    );
}

#[test]
fn relative_times_follow_the_clock() {
    let data = &*DATA;
    let now = data.times[data.times.len() / 2].unwrap();
    let ctx = Context {
        now: Some(now),
        calendar: None,
    };
    let answer = data
        .store
        .search("earliest:-5m latest:now", &ctx, &Limits::default(), Page::ALL)
        .unwrap();
    let want = data
        .times
        .iter()
        .filter(|t| t.is_some_and(|t| t >= now - 300_000 && t < now))
        .count();
    assert!(want > 100);
    assert_eq!(answer.total, want);
}
