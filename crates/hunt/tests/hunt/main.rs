//! The event store and the hunting language, end to end: the grammar over a small fixture,
//! agreement with a naive scan over simulated events, limits, and Sigma rules as hunts.

mod agree;
mod grammar;
mod limits;

use atoll_hunt::{Answer, Context, Limits, Output, Page, Row, Store};

/// The fixture: thirteen events of a Palau-like network (rows 0–12; row 12 has no time).
fn fixture() -> Store {
    let mut store = Store::new();
    for line in include_str!("fixture.jsonl").lines() {
        store.push_json(line).expect("fixture lines are events");
    }
    store
}

fn run(store: &Store, query: &str, ctx: &Context) -> Answer {
    store
        .search(query, ctx, &Limits::default(), Page::ALL)
        .unwrap_or_else(|e| panic!("{query}: {e}"))
}

fn rows(answer: &Answer) -> Vec<Row> {
    match &answer.output {
        Output::Events(rows) => rows.clone(),
        Output::Table(t) => panic!("expected events, got a table {t:?}"),
    }
}
