//! Bounded work, and Sigma rules run as hunts.

use std::time::Duration;

use atoll_hunt::{Context, Limits, Output, Page, Query, Store};
use atoll_sigma::{Config, RuleSet};

use crate::{fixture, rows};

fn many(n: usize) -> Store {
    let mut store = Store::new();
    for i in 0..n {
        let line = format!(
            r#"{{"@timestamp":"2026-06-01T{:02}:{:02}:{:02}.000Z","host":"H{}","log":"dns","query":"q{i}.example"}}"#,
            i / 3600 % 24,
            i / 60 % 60,
            i % 60,
            i % 7
        );
        store.push_json(&line).unwrap();
    }
    store
}

#[test]
fn a_query_past_its_time_limit_says_so() {
    let store = many(200_000);
    let limits = Limits {
        timeout: Duration::ZERO,
        ..Limits::default()
    };
    let err = store
        .search("query:q1*", &Context::default(), &limits, Page::ALL)
        .unwrap_err();
    assert_eq!(err.column, 0);
    assert!(
        err.message
            .starts_with("this query took longer than its limit of 0 s after looking at 65536 of 200000 events"),
        "{err}"
    );
    // The same query within the default limit answers.
    let answer = store
        .search("query:q1*", &Context::default(), &Limits::default(), Page::ALL)
        .unwrap();
    assert_eq!(answer.total, 111_111);
}

#[test]
fn sorting_too_many_events_is_refused_with_advice() {
    let store = many(1000);
    let limits = Limits {
        max_sort: 999,
        ..Limits::default()
    };
    let err = store
        .search("| sort -query", &Context::default(), &limits, Page::ALL)
        .unwrap_err();
    assert_eq!(err.column, 9);
    assert!(
        err.message
            .starts_with("1000 events are too many to sort (the limit is 999)"),
        "{err}"
    );
    let answer = store
        .search(
            "host:H1 | sort -query | head 1",
            &Context::default(),
            &limits,
            Page::ALL,
        )
        .unwrap();
    assert_eq!(rows(&answer), [995]);
}

#[test]
fn stats_keep_the_largest_groups() {
    let store = many(1000);
    let limits = Limits {
        max_groups: 3,
        ..Limits::default()
    };
    let answer = store
        .search("| stats count by host", &Context::default(), &limits, Page::ALL)
        .unwrap();
    let Output::Table(t) = &answer.output else { panic!() };
    assert_eq!(t.rows, [["H0", "143"], ["H1", "143"], ["H2", "143"]]);
    assert_eq!(
        answer.notes,
        ["7 groups; showing the 3 largest (narrow the search or group by fewer fields)"]
    );
}

const RULE: &str = r#"
title: Active Directory database copied with ntdsutil
id: 0b6f2a55-5d43-4f4e-9d59-7a8f7d1c2e01
status: test
author: atoll tests
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        Image|endswith: '\ntdsutil.exe'
        CommandLine|contains: 'ifm'
    condition: selection
level: high
"#;

#[test]
fn a_sigma_rule_runs_as_a_hunt() {
    let store = fixture();
    let (rules, _) = atoll_sigma::load_str(RULE, &Config::default()).unwrap();
    let set = RuleSet::new(rules);
    let all = Query::parse("").unwrap();
    let answer = store
        .run(&all, Some(&set), &Context::default(), &Limits::default(), Page::ALL)
        .unwrap();
    assert_eq!(rows(&answer), [3]);
    // Narrowed by a search, and shaped by stages.
    let narrowed = Query::parse("host:PT-FS01").unwrap();
    let answer = store
        .run(
            &narrowed,
            Some(&set),
            &Context::default(),
            &Limits::default(),
            Page::ALL,
        )
        .unwrap();
    assert_eq!(rows(&answer), Vec::<u32>::new());
    let staged = Query::parse("| stats count by host").unwrap();
    let answer = store
        .run(&staged, Some(&set), &Context::default(), &Limits::default(), Page::ALL)
        .unwrap();
    let Output::Table(t) = answer.output else { panic!() };
    assert_eq!(t.rows, [["PT-DC01", "1"]]);
}
