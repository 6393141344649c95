//! A team's own detection rules: what a rule written in the browser must be, and turning one
//! on and off (stored first, then run by the team's world from the time stored).

use std::sync::Arc;

use atoll_exercise::ExerciseMs;
use atoll_exercise::UnixMs;
use atoll_hunt::{Context, Limits, Page};
use atoll_sigma::RuleSet;
use atoll_store::{AtMost, Store, StoreError, User};

use crate::limits::{RULE_BYTES, RULE_COMPILED_BYTES, TEAM_RULES_ON, TEAM_RULES_STORED};
use crate::{App, Error, Result, clock_now};

/// A rule the team wrote, compiled alone: exactly one Sigma rule and no correlation, taking
/// at most [`RULE_COMPILED_BYTES`] once compiled and run (measured where the server counts
/// its memory). The errors say where (`line 3, column 5: …`), or how big it came out.
pub fn compile(yaml: &str) -> std::result::Result<RuleSet, Vec<String>> {
    if yaml.len() > RULE_BYTES {
        return Err(vec![format!("yaml: a rule is at most {RULE_BYTES} bytes")]);
    }
    let (set, kept) = atoll_meter::measure(|| {
        let set = compile_alone(yaml)?;
        run_once(&set);
        Ok::<_, Vec<String>>(set)
    });
    let set = set?;
    match kept {
        Some(bytes) if bytes > RULE_COMPILED_BYTES => Err(vec![format!(
            "yaml: this rule takes {} of memory once compiled; a team's rule may take at most {}. \
             Match fewer values, or write `*` rather than `?` (each value with `?` becomes an automaton of its own).",
            mebibytes(bytes),
            mebibytes(RULE_COMPILED_BYTES)
        )]),
        _ => Ok(set),
    }
}

/// [`compile`] for a stored rule turned on again after a restart, its problems in one line.
pub fn compile_stored(yaml: &str) -> std::result::Result<RuleSet, String> {
    compile(yaml).map_err(|problems| problems.join("; "))
}

fn mebibytes(bytes: usize) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn compile_alone(yaml: &str) -> std::result::Result<RuleSet, Vec<String>> {
    let (rules, correlations) = atoll_sigma::load_str(yaml, &atoll_sigma::Config::default()).map_err(|errors| {
        errors
            .iter()
            .map(|e| format!("line {}, column {}: {}", e.span.line, e.span.col, e.message))
            .collect::<Vec<_>>()
    })?;
    if !correlations.is_empty() {
        return Err(vec![
            "yaml: correlation rules cannot be turned on from the workspace; write a single detection rule".to_owned(),
        ]);
    }
    if rules.len() != 1 {
        return Err(vec![format!(
            "yaml: write exactly one rule (this text has {})",
            rules.len()
        )]);
    }
    Ok(RuleSet::new(rules))
}

/// Runs a rule once on an event holding every field it names, so that what its matchers
/// build on first use is built (and measured) now rather than in the team's world later.
fn run_once(set: &RuleSet) {
    let mut fields = serde_json::Map::new();
    for rule in set.rules() {
        for field in rule.fields() {
            fields.insert(field.to_owned(), serde_json::Value::from("atoll"));
        }
    }
    let line = serde_json::Value::Object(fields).to_string();
    if let Ok(event) = atoll_sigma::Event::from_json(&line) {
        let _ = set.matches_unfiltered(&event);
    }
}

/// The exercise time a change to team `index`'s rules takes effect at: now, in whole seconds,
/// never before the time its world has reached (taken off the async workers).
async fn change_time<S: Store>(app: &Arc<App<S>>, index: usize) -> Result<u64> {
    let worker = app.clone();
    tokio::task::spawn_blocking(move || {
        let now = worker.live.now().max(worker.live.team(index).reached());
        now.div_ceil(1000) * 1000
    })
    .await
    .map_err(|_| Error::failed("The server failed while reading the clock."))
}

/// A rule of a team just turned on.
#[derive(Debug, Clone)]
pub struct TurnedOn {
    pub id: i64,
    pub title: String,
    /// Exercise time it raises alerts from.
    pub at: u64,
}

/// `user` turns on a rule for team `index`, written as `yaml`: compiled (the error's details
/// are the problems, each with its line and column), stored, then run on the team's new
/// events from now.
pub async fn turn_on<S: Store>(app: &Arc<App<S>>, index: usize, user: &User, yaml: &str) -> Result<TurnedOn> {
    let set = compile(yaml).map_err(|problems| Error::invalid("yaml", problems.join("; ")).with_details(problems))?;
    if let Some(ended) = app.live.ended() {
        return Err(Error::conflict(format!(
            "Play ended at {}: rules are no longer turned on.",
            app.live.when(ExerciseMs(ended))
        )));
    }
    let title = set.rules().first().map(|r| r.title.clone()).unwrap_or_default();
    let team = app.live.team_id(index);
    // One change at a time, so that the time checked is the time the rule goes live.
    let _writing = app.clock_writes.lock().await;
    let on = app
        .db
        .team_rules(app.live.exercise, Some(&team))
        .await
        .map_err(|_| Error::unavailable("Your team's rules could not be read; nothing was turned on. Try again."))?
        .iter()
        .filter(|r| r.off.is_none())
        .count();
    if on >= TEAM_RULES_ON {
        return Err(Error::too_many(
            Some("yaml"),
            format!("Your team has {on} rules on, the most it may have at once ({TEAM_RULES_ON}); turn one off first."),
        ));
    }
    let at = change_time(app, index).await?;
    let id = app
        .db
        .add_team_rule(
            app.live.exercise,
            &team,
            &title,
            yaml,
            user.id,
            at,
            clock_now(),
            AtMost::all(TEAM_RULES_STORED),
        )
        .await
        .map_err(|e| match e {
            // Counted with the insert: rules turned off count too, as they stay for the record.
            StoreError::TooMany => Error::too_many(
                Some("yaml"),
                format!(
                    "your team has stored {TEAM_RULES_STORED} rules (on or off), the most an exercise takes; nothing was turned on. Improve a rule you have rather than adding another."
                ),
            ),
            _ => Error::unavailable("The rule could not be stored; nothing was turned on. Try again."),
        })?;
    let worker = app.clone();
    let applied = tokio::task::spawn_blocking(move || worker.live.team(index).add_rule(id, set, at)).await;
    if !matches!(applied, Ok(Ok(()))) {
        return Err(Error::failed(
            "The rule was stored but could not be turned on now; it will be on after the server restarts.",
        ));
    }
    Ok(TurnedOn { id, title, at })
}

/// `user` turns off team `index`'s rule `id` (one that is on): stored, then the team's world
/// stops running it from now.
pub async fn turn_off<S: Store>(app: &Arc<App<S>>, index: usize, user: &User, id: i64) -> Result<()> {
    let team = app.live.team_id(index);
    let _writing = app.clock_writes.lock().await;
    let at = change_time(app, index).await?;
    match app.db.turn_off_rule(app.live.exercise, &team, id, user.id, at).await {
        Ok(()) => {}
        Err(StoreError::NoRule) => return Err(Error::not_found("Your team has no such rule turned on.")),
        Err(_) => return Err(Error::unavailable("The rule could not be turned off; try again.")),
    }
    let worker = app.clone();
    // Stored first: if the world cannot follow now, it will after a restart.
    let _ = tokio::task::spawn_blocking(move || worker.live.team(index).stop_rule(id, at)).await;
    Ok(())
}

/// Instructor `user` turns one of the exercise's shared rules (by its id) on or off for every
/// team, from now: stored first, then put in force, and written to the audit log.
pub async fn switch_shared<S: Store>(app: &Arc<App<S>>, user: &User, rule: &str, on: bool) -> Result<()> {
    if app.live.shared_rule(rule).is_none() {
        return Err(Error::not_found(format!("No rule has the id `{rule}`.")).at("rule"));
    }
    // One change at a time, and no tick meanwhile, so that the time chosen is the time it
    // takes effect: now (in whole seconds), never before the time any team's world reached.
    let _writing = app.clock_writes.lock().await;
    let worker = app.clone();
    let at = tokio::task::spawn_blocking(move || {
        let live = &worker.live;
        let reached = (0..live.scenario.player_teams().count())
            .map(|i| live.team(i).reached())
            .max()
            .unwrap_or(0);
        live.now().max(reached).div_ceil(1000) * 1000
    })
    .await
    .map_err(|_| Error::failed("The server failed while reading the clock."))?;
    app.db
        .switch_rule(app.live.exercise, rule, on, at, user.id, clock_now())
        .await
        .map_err(|_| Error::unavailable("The change could not be stored; try again."))?;
    let worker = app.clone();
    let id = rule.to_owned();
    let applied = tokio::task::spawn_blocking(move || worker.live.switch_rule(&id, on, at)).await;
    // Named as people know it: by its title, with its id.
    let title = app
        .live
        .detection()
        .and_then(|(_, selected)| selected.set.rules().iter().find(|r| r.id.as_deref() == Some(rule)))
        .map_or(String::new(), |r| format!("«{}» ", r.title));
    let detail = format!(
        "turned rule {title}(`{rule}`) {} for every team from {}",
        if on { "on" } else { "off" },
        app.live.when(ExerciseMs(at))
    );
    crate::audit::record(app, user, if on { "rule.on" } else { "rule.off" }, None, &detail).await;
    match applied {
        Ok(Ok(())) => Ok(()),
        _ => Err(Error::failed(
            "The change was stored but could not be put in force; it will be after a restart.",
        )),
    }
}

/// How many matching events a test shows.
pub const EVENTS_SHOWN: usize = 20;

/// A test of a rule over the team's events so far.
#[derive(Debug, Clone)]
pub struct Tested {
    pub matched: u64,
    pub events: u64,
    /// (host, matching events), most first.
    pub by_host: Vec<(String, String)>,
    /// The newest matching events: (time, host, fields).
    pub newest: Vec<(String, String, String)>,
    /// Against the ground truth, for the white cell (and for players once play has ended):
    /// matching events the attack left, and the campaign steps whose events it matched.
    pub truth: Option<Truth>,
}

/// A rule tested against what really happened in the team's world.
#[derive(Debug, Clone)]
pub struct Truth {
    /// Matching events that campaign steps left.
    pub attack: u64,
    /// Matching events of benign activity: the false positives it would raise.
    pub benign: u64,
    /// (step, its events matched, its events) for each step that ran and that it matches.
    pub caught: Vec<(String, usize, usize)>,
    /// Steps that ran and that it misses.
    pub missed: Vec<String>,
}

/// Runs the rule over the team's events so far, as a hunt would (a few at a time, off the
/// async workers, within one hunt's time limit for the whole test). The error says why there
/// is no result: the time ran out (narrow the rule), or the server could not run it.
pub async fn test<S: Store>(
    app: &Arc<App<S>>,
    team: usize,
    set: RuleSet,
    truth: bool,
) -> std::result::Result<Tested, String> {
    test_within(app, team, set, truth, Limits::default().timeout).await
}

/// [`test`] within `limit` for its searches together.
pub async fn test_within<S: Store>(
    app: &Arc<App<S>>,
    team: usize,
    set: RuleSet,
    truth: bool,
    limit: std::time::Duration,
) -> std::result::Result<Tested, String> {
    let failed = || "the server could not run the test; try again.".to_owned();
    // Only the time limit stops a search of every event; say what to do about it.
    let stopped = |e: atoll_hunt::query::QueryError| match e.message.split_once("longer than its limit of ") {
        Some((_, rest)) => format!(
            "the test stopped after {}: the rule takes too long to run over your team's events. \
             Name fewer values or fields, avoid leading `*` and `?` in values, or add a condition on a field \
             such as EventID or Image that few events have.",
            rest.split(';').next().unwrap_or(rest)
        ),
        None => e.message,
    };
    let _permit = app.hunt_slot(team).await.ok_or_else(failed)?;
    let started = std::time::Instant::now();
    // One limit for the whole test: what the first search leaves is the second's.
    let left = move || Limits {
        timeout: limit.saturating_sub(started.elapsed()),
        ..Limits::default()
    };
    let worker = app.clone();
    tokio::task::spawn_blocking(move || {
        let live = &worker.live;
        let runtime = live.team(team);
        let store = runtime.store();
        let by_host = atoll_hunt::query::Query::parse("* | stats count by host | sort -count").map_err(|_| failed())?;
        let answer = store
            .run(&by_host, Some(&set), &Context::default(), &left(), Page::ALL)
            .map_err(stopped)?;
        let by_host = match answer.output {
            atoll_hunt::Output::Table(t) => t
                .rows
                .into_iter()
                .filter_map(|r| Some((r.first()?.clone(), r.get(1)?.clone())))
                .collect(),
            atoll_hunt::Output::Events(_) => Vec::new(),
        };
        let all = atoll_hunt::query::Query::parse("*").map_err(|_| failed())?;
        let offset = (answer.matched as usize).saturating_sub(EVENTS_SHOWN);
        let page = Page {
            offset,
            limit: EVENTS_SHOWN,
        };
        let events = store
            .run(&all, Some(&set), &Context::default(), &left(), page)
            .map_err(stopped)?;
        let rows = match events.output {
            atoll_hunt::Output::Events(rows) => rows,
            atoll_hunt::Output::Table(_) => Vec::new(),
        };
        let newest = rows
            .iter()
            .rev()
            .map(|&row| {
                let (mut time, mut host, mut rest) = (String::new(), String::new(), Vec::new());
                for (name, _, value) in store.event(row) {
                    match name {
                        "@timestamp" => {
                            time = live.label(UnixMs(atoll_hunt::time::parse(&value).unwrap_or(0)));
                        }
                        "host" => host = value.to_string(),
                        _ => rest.push(format!("{name}={value}")),
                    }
                }
                (time, host, rest.join("\n"))
            })
            .collect();
        let truth = truth.then(|| {
            let matched: Vec<u32> =
                match store.run(&all, Some(&set), &Context::default(), &Limits::default(), Page::ALL) {
                    Ok(a) => match a.output {
                        atoll_hunt::Output::Events(rows) => rows,
                        atoll_hunt::Output::Table(_) => Vec::new(),
                    },
                    Err(_) => Vec::new(),
                };
            let mut attack = std::collections::BTreeSet::new();
            let (mut caught, mut missed) = (Vec::new(), Vec::new());
            for outcome in runtime.outcomes() {
                if outcome.status != atoll_sim::campaign::Status::Succeeded {
                    continue;
                }
                let hits: Vec<u32> = matched
                    .iter()
                    .copied()
                    .filter(|&r| outcome.events.binary_search(&u64::from(r)).is_ok())
                    .collect();
                if hits.is_empty() {
                    missed.push(outcome.step.to_owned());
                } else {
                    caught.push((outcome.step.to_owned(), hits.len(), outcome.events.len()));
                    attack.extend(hits);
                }
            }
            Truth {
                attack: attack.len() as u64,
                benign: (matched.len() - attack.len()) as u64,
                caught,
                missed,
            }
        });
        Ok(Tested {
            matched: answer.matched,
            events: store.len() as u64,
            by_host,
            newest,
            truth,
        })
    })
    .await
    .unwrap_or_else(|_| Err(failed()))
}

/// What the detection rules list asks for (every field optional).
#[derive(Debug, Clone, Default)]
pub struct CatalogFilter {
    /// `on`, `off`, or empty for both.
    pub show: String,
    /// Words looked for in the id, title, author and techniques.
    pub q: String,
    /// The lowest level listed.
    pub level: String,
}

/// One rule of the exercise's catalog as the white cell reads it.
#[derive(Debug, Clone)]
pub struct CatalogRow {
    /// A rule with an id (a correlation cannot be switched).
    pub switchable: bool,
    pub id: String,
    pub title: String,
    pub level: Option<atoll_sigma::Level>,
    pub status: String,
    pub author: String,
    /// ATT&CK techniques, comma-separated.
    pub techniques: String,
    /// Where it comes from: the SigmaHQ pack, atoll's own rules, an added folder.
    pub origin: &'static str,
    /// On in this exercise now, and why (the scenario's choice, or the white cell's switch).
    pub on: bool,
    pub why: String,
}

/// The catalog as the white cell reads it: the rules `filter` selects, on first, then by
/// level (highest first) and title; with how many rules are on and how many there are.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub rows: Vec<CatalogRow>,
    pub on: usize,
    pub all: usize,
}

/// Every rule this exercise could run, on or off and why, filtered; refused by field.
pub async fn catalog<S: Store>(app: &App<S>, filter: &CatalogFilter) -> Result<Catalog> {
    let Some((catalog, selected)) = app.live.detection() else {
        return Err(Error::not_found(
            "This server was started without the rule catalog, so it cannot list it.",
        ));
    };
    let level = match filter.level.trim() {
        "" => None,
        l => Some(atoll_sigma::Level::parse(l).ok_or_else(|| {
            Error::invalid(
                "level",
                format!("choose one of {}.", atoll_sigma::Level::NAMES.join(", ")),
            )
        })?),
    };
    let show = match filter.show.trim() {
        "" => None,
        "on" => Some(true),
        "off" => Some(false),
        _ => return Err(Error::invalid("show", "choose on or off.")),
    };
    let switches = app
        .db
        .rule_switches(app.live.exercise)
        .await
        .map_err(|_| Error::unavailable("The server cannot read its database right now."))?;
    let words: Vec<String> = filter.q.split_whitespace().map(str::to_lowercase).collect();
    let mut rows: Vec<CatalogRow> = catalog
        .entries(selected)
        .into_iter()
        .map(|e| {
            // The white cell's last switch of a rule, if any, decides.
            let switched = e
                .rule
                .and(e.id)
                .and_then(|id| switches.iter().rev().find(|s| s.rule == id));
            let (on, why) = match switched {
                Some(s) => (
                    s.on,
                    format!(
                        "turned {} by {} at {}",
                        if s.on { "on" } else { "off" },
                        s.username,
                        app.live.when(atoll_exercise::ExerciseMs(s.at))
                    ),
                ),
                None => (e.decision.on, e.decision.why.clone()),
            };
            CatalogRow {
                switchable: e.rule.is_some() && e.id.is_some(),
                id: e.id.unwrap_or("").to_owned(),
                title: e.title.to_owned(),
                level: e.level,
                status: e.status.unwrap_or("").to_owned(),
                author: e.author.unwrap_or("").to_owned(),
                techniques: atoll_exercise::techniques(e.tags).join(", "),
                origin: e.origin.as_str(),
                on,
                why,
            }
        })
        .collect();
    let on = rows.iter().filter(|r| r.on).count();
    let all = rows.len();
    rows.retain(|r| {
        show.is_none_or(|s| r.on == s)
            && level.is_none_or(|l| r.level.is_some_and(|rl| rl >= l))
            && words.iter().all(|w| {
                [&r.id, &r.title, &r.author, &r.techniques]
                    .iter()
                    .any(|f| f.to_lowercase().contains(w))
            })
    });
    // On first, then by level, highest first, then by title.
    rows.sort_by(|a, b| b.on.cmp(&a.on).then(b.level.cmp(&a.level)).then(a.title.cmp(&b.title)));
    Ok(Catalog { rows, on, all })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(values: &str) -> String {
        format!(
            "title: Many values\nid: 6f1d2a43-8c4e-4b59-9a61-0d1b2c3e4f50\nlogsource: {{product: windows, category: process_creation}}\n\
             detection:\n  selection:\n    CommandLine|contains:\n{values}  condition: selection\nlevel: high\n"
        )
    }

    #[test]
    fn a_rule_too_big_once_compiled_is_refused_with_its_size_and_a_plain_one_is_not() {
        // A thousand `?` patterns (under the 20,000-byte limit on the text): each becomes an
        // automaton of its own.
        let many: String = (0..1_000).map(|i| format!("      - 'a?{i:04}'\n")).collect();
        let yaml = rule(&many);
        assert!(yaml.len() < RULE_BYTES, "{}", yaml.len());
        let problems = compile(&yaml).expect_err("refused");
        let text = problems.join("; ");
        assert!(
            text.contains("of memory once compiled") && text.contains("at most 2.0 MiB"),
            "{text}"
        );
        let size: f64 = text
            .split("takes ")
            .nth(1)
            .and_then(|t| t.split(' ').next())
            .and_then(|n| n.parse().ok())
            .expect("the size is given");
        assert!(size > 2.0, "{size}");
        // The same thousand values without `?` are one automaton, and well within the limit.
        let plain: String = (0..1_000).map(|i| format!("      - 'ab{i:04}'\n")).collect();
        let set = compile(&rule(&plain)).expect("a plain list of values is fine");
        assert_eq!(set.rules().len(), 1);
        let (_, kept) = atoll_meter::measure(|| compile(&rule(&plain)));
        assert!(kept.is_some_and(|b| b < RULE_COMPILED_BYTES), "{kept:?}");
    }
}
