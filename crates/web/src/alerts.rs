//! A team's alert queue and each alert's own page.
//!
//! The queue pages through **every** alert of the team, newest, oldest or highest level
//! first, a page of [`PAGE`] at a time; the cursor is the last alert shown (alerts are only ever
//! added at the end), so a page does not shift while new alerts arrive. Filters: state, lowest
//! level, rule, host, ATT&CK technique or tactic, an exercise-time range and free text over
//! the rule and the host. The grouped view counts the filtered alerts by rule and host, the
//! groups with alerts still to judge first; each opens to its alerts. A verdict is given to
//! one alert, or to a whole group or everything a filter selects at once (at most
//! [`BULK_MAX`]), with one note.
//!
//! An alert is known by its number, its place in the team's list (alerts follow from the
//! stored inputs, so the number survives a restart); its page shows the rule, the event with
//! the fields the rule tests marked, the host's events around it, other alerts on the same
//! moment (Sysmon and Security 4688 see the same process), pivots to the hunt, the verdicts
//! given, and a form to add it to a case.

use std::collections::HashMap;
use std::sync::Arc;

use atoll_exercise::{Alert, TeamRuntime};
use atoll_hunt::{Context, Limits, Output, Page};
use atoll_sigma::Level;
use atoll_store::{Role, Store, Suppression, Triage};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::{Deserialize, Serialize};

use atoll_app::alerts::{alert_key, key_of, marks_of};
use atoll_app::suppress::InForce;

use crate::auth::{TeamActor, TeamView};
use crate::pages::{blocking, query_string, short};
use crate::{App, Live, clock_now, html};

/// Alerts per page of the queue.
pub(crate) const PAGE: usize = 50;
/// Groups shown in the grouped view.
const GROUPS_SHOWN: usize = 200;
/// Most alerts one bulk verdict may cover.
pub(crate) const BULK_MAX: usize = 10_000;
/// The host's events shown around an alert, each way.
const AROUND_MS: i64 = 5 * 60_000;
/// Most of those events listed.
const AROUND_SHOWN: usize = 40;

/// The queue's name for alerts a suppression of the team hides (not a verdict: they keep theirs).
const SUPPRESSED: &str = "suppressed";

/// The states an alert can be in, as stored and as shown.
pub(crate) const STATES: [(&str, &str); 4] = [
    ("new", "New"),
    ("investigating", "Investigating"),
    ("true_positive", "True positive"),
    ("false_positive", "False positive"),
];

/// The queue's parameters as the address carries them. Every one is optional; an empty one
/// is no filter.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub(crate) struct Filter {
    /// `open` (new or investigating), or one of [`STATES`].
    #[serde(default)]
    state: String,
    /// Lowest level shown.
    #[serde(default)]
    level: String,
    /// A rule's exact title.
    #[serde(default)]
    rule: String,
    /// A host's exact name (any case).
    #[serde(default)]
    host: String,
    /// An ATT&CK technique (`T1505`, its sub-techniques too) or tactic (`persistence`).
    #[serde(default)]
    attack: String,
    /// Exercise time range: `D1 09:00`.
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    /// Words looked for in the rule's title and the host.
    #[serde(default)]
    q: String,
    /// `newest` (default), `oldest` or `level`.
    #[serde(default)]
    sort: String,
    /// `groups` for the grouped view.
    #[serde(default)]
    view: String,
    /// The last alert of the page before (its number; `level.number` when sorted by level).
    #[serde(default)]
    after: String,
}

impl Filter {
    /// The address's query for this filter with `changes` made (an empty value drops a key),
    /// without the cursor unless a change sets it.
    fn link(&self, changes: &[(&str, &str)]) -> String {
        let mut pairs: Vec<(&str, &str)> = vec![
            ("state", &self.state),
            ("level", &self.level),
            ("rule", &self.rule),
            ("host", &self.host),
            ("attack", &self.attack),
            ("from", &self.from),
            ("to", &self.to),
            ("q", &self.q),
            ("sort", &self.sort),
            ("view", &self.view),
        ];
        for (key, value) in changes {
            match pairs.iter_mut().find(|(k, _)| k == key) {
                Some(pair) => pair.1 = value,
                None => pairs.push((key, value)),
            }
        }
        pairs.retain(|(_, v)| !v.trim().is_empty());
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    }

    fn is_empty(&self) -> bool {
        let state = if self.state.trim() == "any" {
            ""
        } else {
            self.state.as_str()
        };
        [
            state,
            &self.level,
            &self.rule,
            &self.host,
            &self.attack,
            &self.from,
            &self.to,
            &self.q,
        ]
        .iter()
        .all(|v| v.trim().is_empty())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sort {
    Newest,
    Oldest,
    Level,
}

/// A filter, checked.
#[derive(Debug)]
struct Criteria {
    /// States an alert must be in (by name), or any.
    states: Option<Vec<&'static str>>,
    level: Option<Level>,
    rule: Option<String>,
    host: Option<String>,
    attack: Option<String>,
    from: Option<u64>,
    to: Option<u64>,
    words: Vec<String>,
    sort: Sort,
    groups: bool,
}

/// A filter refused: the field and what is wrong with it.
type Refused = (&'static str, String);

fn exercise_time(live: &Live, field: &'static str, text: &str) -> Result<Option<u64>, Refused> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let time = atoll_scenario::time::ClockTime::parse(text).map_err(|_| {
        (
            field,
            format!("`{text}` is not an exercise time; write e.g. `D1 09:30`"),
        )
    })?;
    let at = live.sim_clock().offset(&time);
    if at < 0 {
        return Err((field, format!("`{text}` is before play starts")));
    }
    Ok(Some(at as u64))
}

fn criteria(filter: &Filter, live: &Live) -> Result<Criteria, Refused> {
    let states = match filter.state.trim() {
        "" | "any" => None,
        "open" => Some(vec!["new", "investigating"]),
        "suppressed" => Some(vec![SUPPRESSED]),
        s => match STATES.iter().find(|(v, _)| *v == s) {
            Some((v, _)) => Some(vec![*v]),
            None => {
                return Err((
                    "state",
                    "choose open, new, investigating, true positive, false positive or suppressed".into(),
                ));
            }
        },
    };
    let level = match filter.level.trim() {
        "" => None,
        l => Some(Level::parse(l).ok_or(("level", format!("choose one of {}", Level::NAMES.join(", "))))?),
    };
    let text = |v: &str, field: &'static str| -> Result<Option<String>, Refused> {
        let v = v.trim();
        if v.chars().count() > 200 {
            return Err((field, "at most 200 characters".into()));
        }
        Ok((!v.is_empty()).then(|| v.to_owned()))
    };
    let attack = text(&filter.attack, "attack")?.map(|a| a.to_ascii_lowercase().replace(' ', "-"));
    let from = exercise_time(live, "from", &filter.from)?;
    let to = exercise_time(live, "to", &filter.to)?;
    if let (Some(f), Some(t)) = (from, to)
        && t <= f
    {
        return Err(("to", "the end of the range must come after its start".into()));
    }
    let words: Vec<String> = text(&filter.q, "q")?
        .map(|q| q.split_whitespace().map(str::to_lowercase).collect())
        .unwrap_or_default();
    if words.len() > 16 {
        return Err(("q", "at most 16 words".into()));
    }
    let sort = match filter.sort.trim() {
        "" | "newest" => Sort::Newest,
        "oldest" => Sort::Oldest,
        "level" => Sort::Level,
        _ => return Err(("sort", "choose newest, oldest or level".into())),
    };
    Ok(Criteria {
        states,
        level,
        rule: text(&filter.rule, "rule")?,
        host: text(&filter.host, "host")?.map(|h| h.to_lowercase()),
        attack,
        from,
        to,
        words,
        sort,
        groups: filter.view.trim() == "groups",
    })
}

/// What the queue sifts alerts with, read once per request under the team's lock. Alerts are
/// compared by their rule's place among the rules seen ([`TeamRuntime::alert_rules`]), so that
/// sifting hundreds of thousands of them hashes numbers, not texts.
struct Sieve<'a> {
    alerts: &'a [Alert],
    /// Each alert's rule place.
    rule_of: &'a [u32],
    /// (key, title) of each rule place.
    rules: &'a [(String, String)],
    /// The latest verdict of each alert (by index), or of its twin, whichever came later.
    verdicts: Vec<Option<&'a Triage>>,
    /// Whether a suppression of the team hides each alert.
    suppressed: Vec<bool>,
    /// Each alert's other sighting of the same process start ([`TeamRuntime::twins`]).
    twins: &'a [Option<u32>],
}

impl<'a> Sieve<'a> {
    fn of(runtime: &'a TeamRuntime<'_>, triages: &'a [Triage], suppressions: &[Suppression]) -> Sieve<'a> {
        let rules = runtime.rules_seen();
        let mut places: HashMap<&str, Vec<u32>> = HashMap::new();
        for (place, (key, _)) in rules.iter().enumerate() {
            places.entry(key.as_str()).or_default().push(place as u32);
        }
        let alerts = runtime.alerts();
        let rule_of = runtime.alert_rules();
        // Each verdict onto its alert: alerts come in event order, so an event's alerts are
        // found by halving, and later verdicts replace earlier ones.
        let mut verdicts: Vec<Option<&'a Triage>> = vec![None; alerts.len()];
        for t in triages {
            let Some(places) = places.get(t.rule.as_str()) else {
                continue;
            };
            let from = alerts.partition_point(|a| a.row < t.row);
            for i in (from..alerts.len()).take_while(|&i| alerts[i].row == t.row) {
                if places.contains(&rule_of[i]) {
                    verdicts[i] = Some(t);
                }
            }
        }
        // One detection, one verdict: the later of the two sightings'.
        for (i, twin) in runtime.twins().iter().enumerate() {
            if let Some(t) = twin.map(|t| t as usize).filter(|&t| t > i) {
                let later = match (verdicts[i], verdicts[t]) {
                    (Some(a), Some(b)) => Some(if b.id > a.id { b } else { a }),
                    (a, b) => a.or(b),
                };
                verdicts[i] = later;
                verdicts[t] = later;
            }
        }
        let in_force = InForce::of(suppressions);
        let named: Vec<bool> = rules.iter().map(|(_, title)| in_force.names(title)).collect();
        let mut suppressed: Vec<bool> = alerts
            .iter()
            .zip(rule_of)
            .map(|(a, &place)| named[place as usize] && in_force.hiding(a, runtime.store()).is_some())
            .collect();
        // One detection, one state: a suppression that names either log's field (`Image` or
        // `NewProcessName`) hides both sightings.
        for (i, twin) in runtime.twins().iter().enumerate() {
            if let Some(t) = twin.map(|t| t as usize).filter(|&t| t > i) {
                let either = suppressed[i] || suppressed[t];
                suppressed[i] = either;
                suppressed[t] = either;
            }
        }
        Sieve {
            alerts,
            rule_of,
            rules,
            verdicts,
            suppressed,
            twins: runtime.twins(),
        }
    }

    /// The latest verdict on alert `i`, or on its twin: the two are one detection.
    fn get(&self, i: usize) -> Option<&'a Triage> {
        self.verdicts[i]
    }

    /// Whether alert `i` is listed under its twin rather than on a row of its own.
    fn second_sighting(&self, i: usize) -> bool {
        self.twins.get(i).copied().flatten().is_some_and(|t| (t as usize) < i)
    }

    /// Alert `i` as a list shows it.
    fn listed(&self, i: usize) -> Listed {
        Listed {
            number: i,
            alert: self.alerts[i].clone(),
            state: self.state(i).to_owned(),
            by: self.get(i).map(|t| t.username.clone()),
            suppressed: self.suppressed[i],
            twin: self.twins.get(i).copied().flatten().map(|t| t as usize),
        }
    }

    fn state(&self, i: usize) -> &'a str {
        self.get(i).map_or("new", |t| t.state.as_str())
    }

    /// The numbers of the alerts `criteria` keeps, oldest first.
    fn select(&self, criteria: &Criteria) -> Vec<usize> {
        // What depends on the rule alone, decided once per rule.
        let mut first = vec![usize::MAX; self.rules.len()];
        for (i, &place) in self.rule_of.iter().enumerate().rev() {
            first[place as usize] = i;
        }
        let per_rule: Vec<(bool, u64)> = self
            .rules
            .iter()
            .zip(&first)
            .map(|((_, title), &i)| {
                let Some(a) = self.alerts.get(i) else {
                    return (false, 0);
                };
                let rule_ok = criteria.rule.as_ref().is_none_or(|r| title == r)
                    && criteria.attack.as_ref().is_none_or(|attack| {
                        a.techniques.iter().any(|t| {
                            let t = t.to_ascii_lowercase();
                            t == *attack
                                || t.strip_prefix(attack.as_str())
                                    .is_some_and(|rest| rest.starts_with('.'))
                        }) || a.tactics.iter().any(|t| t == attack)
                    });
                let title = title.to_lowercase();
                let mask = criteria
                    .words
                    .iter()
                    .enumerate()
                    .filter(|(_, w)| title.contains(w.as_str()))
                    .fold(0u64, |m, (k, _)| m | 1 << k);
                (rule_ok, mask)
            })
            .collect();
        let all_words = if criteria.words.is_empty() {
            0
        } else {
            u64::MAX >> (64 - criteria.words.len())
        };
        let wants_suppressed = criteria.states.as_ref().is_some_and(|s| s.contains(&SUPPRESSED));
        (0..self.alerts.len())
            .filter(|&i| {
                let a = &self.alerts[i];
                let (rule_ok, mask) = per_rule[self.rule_of[i] as usize];
                if !rule_ok || self.suppressed[i] != wants_suppressed || self.second_sighting(i) {
                    return false;
                }
                if criteria.level.is_some_and(|level| a.level.is_none_or(|l| l < level))
                    || criteria.from.is_some_and(|from| a.at < from)
                    || criteria.to.is_some_and(|to| a.at >= to)
                {
                    return false;
                }
                if let Some(host) = &criteria.host
                    && !a.host.as_deref().is_some_and(|h| h.eq_ignore_ascii_case(host))
                {
                    return false;
                }
                if mask != all_words {
                    let host = a.host.as_deref().unwrap_or("").to_lowercase();
                    let found = criteria
                        .words
                        .iter()
                        .enumerate()
                        .filter(|(_, w)| host.contains(w.as_str()))
                        .fold(mask, |m, (k, _)| m | 1 << k);
                    if found != all_words {
                        return false;
                    }
                }
                if let Some(states) = &criteria.states
                    && !wants_suppressed
                    && !states.contains(&self.state(i))
                {
                    return false;
                }
                true
            })
            .collect()
    }

    /// How many alerts are in each of [`STATES`], and how many are suppressed (a process seen
    /// twice counted once).
    fn counts(&self) -> ([usize; 4], usize) {
        let mut counts = [0usize; 4];
        let mut suppressed = 0;
        for i in (0..self.alerts.len()).filter(|&i| !self.second_sighting(i)) {
            if self.suppressed[i] {
                suppressed += 1;
            } else if let Some(k) = STATES.iter().position(|(s, _)| *s == self.state(i)) {
                counts[k] += 1;
            }
        }
        (counts, suppressed)
    }

    /// The verdict keys (event row, rule key) a verdict on alert `i` is stored under: the
    /// alert's and its twin's.
    fn marks(&self, i: usize) -> impl Iterator<Item = (u32, String)> + '_ {
        let twin = self.twins.get(i).copied().flatten().map(|t| t as usize);
        std::iter::once(i)
            .chain(twin)
            .map(|i| (self.alerts[i].row, key_of(&self.alerts[i]).to_owned()))
    }
}

fn level_rank(a: &Alert) -> u8 {
    a.level.map_or(0, |l| l as u8 + 1)
}

/// One page of `selected` (oldest first) in the chosen order, after the cursor; and the
/// cursor of the next page, if there is one.
fn page_of(selected: &[usize], alerts: &[Alert], sort: Sort, after: &str) -> (Vec<usize>, Option<String>) {
    let cursor = |i: usize| match sort {
        Sort::Level => format!("{}.{i}", level_rank(&alerts[i])),
        _ => i.to_string(),
    };
    let page: Vec<usize> = match sort {
        Sort::Newest => {
            let before = after.parse::<usize>().unwrap_or(usize::MAX);
            selected
                .iter()
                .rev()
                .copied()
                .filter(|&i| i < before)
                .take(PAGE + 1)
                .collect()
        }
        Sort::Oldest => {
            let start = after.parse::<usize>().map_or(0, |a| a.saturating_add(1));
            selected
                .iter()
                .copied()
                .filter(|&i| i >= start)
                .take(PAGE + 1)
                .collect()
        }
        Sort::Level => {
            // Highest level first, newest first within a level.
            let key = |i: usize| (std::cmp::Reverse(level_rank(&alerts[i])), std::cmp::Reverse(i));
            let bound = after.split_once('.').and_then(|(l, i)| {
                Some((
                    std::cmp::Reverse(l.parse::<u8>().ok()?),
                    std::cmp::Reverse(i.parse::<usize>().ok()?),
                ))
            });
            let mut all: Vec<usize> = selected
                .iter()
                .copied()
                .filter(|&i| bound.is_none_or(|b| key(i) > b))
                .collect();
            all.sort_by_key(|&i| key(i));
            all.truncate(PAGE + 1);
            all
        }
    };
    let more = page.len() > PAGE;
    let mut page = page;
    page.truncate(PAGE);
    let next = if more { page.last().map(|&i| cursor(i)) } else { None };
    (page, next)
}

/// Alerts of one rule on one host, among those a filter selects.
#[derive(Debug)]
struct Group<'a> {
    title: &'a str,
    host: &'a str,
    level: Option<Level>,
    count: usize,
    /// Not judged yet (new).
    open: usize,
    latest: u64,
}

fn groups<'a>(selected: &[usize], sieve: &Sieve<'a>) -> Vec<Group<'a>> {
    let mut by: HashMap<(u32, &str), Group<'a>> = HashMap::new();
    for &i in selected {
        let a = &sieve.alerts[i];
        let host = a.host.as_deref().unwrap_or("");
        let g = by.entry((sieve.rule_of[i], host)).or_insert(Group {
            title: &a.title,
            host,
            level: a.level,
            count: 0,
            open: 0,
            latest: 0,
        });
        g.count += 1;
        g.open += usize::from(sieve.state(i) == "new");
        g.latest = g.latest.max(a.at);
    }
    let mut groups: Vec<Group<'a>> = by.into_values().collect();
    groups.sort_by(|a, b| {
        b.open
            .cmp(&a.open)
            .then(b.latest.cmp(&a.latest))
            .then(a.title.cmp(b.title))
            .then(a.host.cmp(b.host))
    });
    groups
}

/// What the queue page answers with after a bulk verdict (`marked=N&as=state`).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Marked {
    marked: Option<String>,
    #[serde(rename = "as")]
    state: Option<String>,
}

/// What the queue reads from the database: the team's verdicts, its suppressions and its
/// cases still open (to add alerts to).
#[derive(Debug, Clone)]
struct Records {
    triages: Arc<Vec<Triage>>,
    suppressions: Vec<Suppression>,
    cases: Vec<atoll_store::Case>,
}

/// Reads the queue's [`Records`]; or the page saying the database cannot be read.
async fn queue_records<S: Store>(app: &App<S>, team: &str) -> Result<Records, Response> {
    let unreadable = || {
        html::problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "The server cannot read its database right now.",
        )
    };
    let triages = app.verdicts(team).await.map_err(|_| unreadable())?;
    let suppressions = app
        .db
        .suppressions(app.live.exercise, Some(team))
        .await
        .map_err(|_| unreadable())?;
    let cases = app
        .db
        .cases(app.live.exercise, team)
        .await
        .map_err(|_| unreadable())?
        .into_iter()
        .filter(|c| c.status != "closed")
        .collect();
    Ok(Records {
        triages,
        suppressions,
        cases,
    })
}

/// A team's alerts: the queue.
pub(crate) async fn queue<S: Store>(
    State(app): State<Arc<App<S>>>,
    view: TeamView,
    Query(filter): Query<Filter>,
    Query(marked): Query<Marked>,
) -> Response {
    let team_id = app.live.team_id(view.team);
    let records = match queue_records(&app, &team_id).await {
        Ok(records) => records,
        Err(page) => return page,
    };
    let done = marked.marked.and_then(|n| n.parse::<usize>().ok()).map(|n| {
        let state = marked.state.unwrap_or_default();
        let label = STATES.iter().find(|(s, _)| *s == state).map_or("judged", |(_, l)| *l);
        format!("{n} alerts marked {}.", label.to_lowercase())
    });
    blocking(move || queue_page(&app, &view, &filter, &records, done.as_deref(), None)).await
}

/// The titles of the rules a team's alerts come from, each once, in order.
pub(crate) fn rule_titles<'a>(runtime: &'a TeamRuntime<'_>) -> Vec<&'a str> {
    let mut titles: Vec<&str> = runtime.rules_seen().iter().map(|(_, t)| t.as_str()).collect();
    titles.sort_unstable();
    titles.dedup();
    titles
}

/// The filter form, keeping what was typed.
fn filter_form(team_id: &str, filter: &Filter, rules: &[&str]) -> Markup {
    html! {
        form.filters method="get" action={ "/teams/" (team_id) } role="search" aria-label="Filter alerts" {
            label { "State " select name="state" {
                option value="" selected[filter.state.is_empty()] { "any" }
                option value="open" selected[filter.state == "open"] { "not yet judged" }
                @for (v, l) in STATES { option value=(v) selected[filter.state == v] { (l) } }
                option value="suppressed" selected[filter.state == "suppressed"] { "suppressed" }
            } }
            " "
            label { "Level " select name="level" {
                option value="" selected[filter.level.is_empty()] { "any" }
                @for l in Level::NAMES { option value=(l) selected[filter.level == l] { (l) " or above" } }
            } }
            " "
            label { "Rule " select name="rule" {
                option value="" selected[filter.rule.is_empty()] { "any" }
                @for r in rules { option value=(r) selected[filter.rule == *r] { (short(r, 60)) } }
            } }
            " "
            label { "Host " input name="host" size="12" value=(filter.host) placeholder="host name"; }
            " "
            label { "ATT&CK " input name="attack" size="12" value=(filter.attack) placeholder="T1505 or persistence"; }
            " "
            label { "From " input name="from" size="8" value=(filter.from) placeholder="D1 09:00"; }
            " "
            label { "to " input name="to" size="8" value=(filter.to) placeholder="D1 12:00"; }
            " "
            label { "Words " input type="search" name="q" size="14" value=(filter.q) placeholder="webshell"; }
            " "
            label { "Sort " select name="sort" {
                option value="newest" selected[filter.sort.is_empty() || filter.sort == "newest"] { "newest first" }
                option value="oldest" selected[filter.sort == "oldest"] { "oldest first" }
                option value="level" selected[filter.sort == "level"] { "highest level first" }
            } }
            @if filter.view == "groups" { input type="hidden" name="view" value="groups"; }
            " " button type="submit" { "Show" }
            @if !filter.is_empty() { " " a href={ "/teams/" (team_id) @if filter.view == "groups" { "?view=groups" } } { "Clear" } }
        }
    }
}

/// The hidden fields that carry a filter in a form.
fn filter_fields(filter: &Filter) -> Markup {
    html! {
        @for (name, value) in [("state", &filter.state), ("level", &filter.level), ("rule", &filter.rule), ("host", &filter.host), ("attack", &filter.attack), ("from", &filter.from), ("to", &filter.to), ("q", &filter.q)] {
            @if !value.trim().is_empty() { input type="hidden" name=(name) value=(value); }
        }
    }
}

/// A verdict form for many alerts at once: `count` alerts among the first `upto` of the team,
/// as the page showed them (the form marks those, never alerts that came since).
fn bulk_form(team_id: &str, filter: &Filter, count: usize, upto: usize, what: &str) -> Markup {
    html! {
        form.inline method="post" action={ "/teams/" (team_id) "/alerts/bulk" } {
            (filter_fields(filter))
            input type="hidden" name="upto" value=(upto);
            input type="hidden" name="expect" value=(count);
            @if !filter.view.is_empty() { input type="hidden" name="view" value=(filter.view); }
            select name="verdict" required aria-label={ "Verdict for " (what) } {
                // No verdict chosen for the team: marking many alerts at once is a decision.
                option value="" selected { "choose a verdict" }
                option value="false_positive" { "False positive" }
                option value="true_positive" { "True positive" }
                option value="investigating" { "Investigating" }
                option value="new" { "New" }
            }
            " "
            input name="note" aria-label={ "Note for " (what) } placeholder="note" maxlength="2000";
            " "
            button type="submit" { "Mark " (count) }
        }
    }
}

/// The form adding every alert a filter selects to one of the team's open cases.
fn link_form(team_id: &str, filter: &Filter, count: usize, upto: usize, cases: &[atoll_store::Case]) -> Markup {
    html! {
        form.inline method="post" action={ "/teams/" (team_id) "/alerts/case" } {
            (filter_fields(filter))
            input type="hidden" name="upto" value=(upto);
            input type="hidden" name="expect" value=(count);
            label for="link-case" { "Add them to the case " }
            select #link-case name="case" {
                @for c in cases { option value=(c.id) { (short(&c.title, 50)) } }
            }
            " " button type="submit" { "Add " (count) }
        }
    }
}

fn queue_page<S: Store>(
    app: &App<S>,
    view: &TeamView,
    filter: &Filter,
    records: &Records,
    done: Option<&str>,
    refused: Option<Refused>,
) -> Response {
    let live = &app.live;
    let runtime = live.team(view.team);
    let team = live.team_name(view.team);
    let team_id = runtime.team().to_owned();
    let start = runtime.start_unix_ms();
    let alerts = runtime.alerts();
    let sieve = Sieve::of(&runtime, &records.triages, &records.suppressions);
    let label = |at: u64| live.label(start + at as i64, app.day_one);
    let (criteria, problem) = match refused {
        Some((field, message)) => (None, Some(format!("{field}: {message}."))),
        None => match criteria(filter, live) {
            Ok(c) => (Some(c), None),
            Err((field, message)) => (None, Some(format!("{field}: {message}."))),
        },
    };
    let selected = criteria.as_ref().map(|c| sieve.select(c)).unwrap_or_default();
    let (counts, hidden) = sieve.counts();
    // The rules the team's alerts come from, for the rule filter.
    let rules = rule_titles(&runtime);
    let can_act = view.user.role != Role::Observer;
    let groups_view = criteria.as_ref().is_some_and(|c| c.groups);
    let sort = criteria.as_ref().map_or(Sort::Newest, |c| c.sort);
    let (page, next) = if groups_view {
        (Vec::new(), None)
    } else {
        page_of(&selected, alerts, sort, &filter.after)
    };
    let groups = if groups_view {
        groups(&selected, &sieve)
    } else {
        Vec::new()
    };
    let here = filter.link(&[("after", &filter.after)]);
    if filter.after.is_empty() {
        // The badge in the navigation counts the alerts that come after this.
        app.saw(view.user.id, view.team, crate::Seen::Alerts, alerts.len());
    }
    let body = html! {
        h1 { "Alerts — " (team) }
        p.muted {
            (counts.iter().sum::<usize>() + hidden) " alerts on " (runtime.store().len()) " events so far: "
            @for (i, (_, label)) in STATES.iter().enumerate() { (counts[i]) " " (label.to_lowercase()) @if i < 3 { ", " } }
            "; "
            a href={ "/teams/" (team_id) "?state=suppressed" } { (hidden) " suppressed" }
            " (" a href={ "/teams/" (team_id) "/suppressions" } { "suppressions" } "). Open an alert to see its rule and the event that raised it."
        }
        (html::refusal(problem.as_deref()))
        @if let Some(done) = done { p.done role="status" { (done) } }
        nav.tabs aria-label="Views" {
            @if groups_view {
                a href={ "/teams/" (team_id) "?" (filter.link(&[("view", "")])) } { "List" } " · " strong { "By rule and host" }
            } @else {
                strong { "List" } " · " a href={ "/teams/" (team_id) "?" (filter.link(&[("view", "groups")])) } { "By rule and host" }
            }
            " · " a href={ "/teams/" (team_id) "?" (filter.link(&[("state", "open"), ("view", "groups")])) } { "Still to judge, by rule and host" }
        }
        (filter_form(&team_id, filter, &rules))
        @if criteria.is_some() {
            p {
                strong { (selected.len()) }
                @match (filter.is_empty(), selected.len()) {
                    (true, 1) => { " alert." }
                    (true, _) => { " alerts." }
                    (false, 1) => { " alert matches." }
                    (false, _) => { " alerts match." }
                }
                // One verdict for everything a filter selects; never for the whole queue
                // unfiltered, which one careless click would empty.
                @if can_act && !selected.is_empty() && !groups_view && !filter.is_empty() {
                    @if selected.len() <= BULK_MAX {
                        " Every one of them: " (bulk_form(&team_id, filter, selected.len(), alerts.len(), "every alert shown by this filter"))
                    } @else {
                        span.muted { " Narrow the filter to " (BULK_MAX) " alerts or fewer to mark them all at once." }
                    }
                }
            }
            @if can_act && !selected.is_empty() && !groups_view && !filter.is_empty() && !records.cases.is_empty() {
                @if selected.len() <= LINK_MAX {
                    (link_form(&team_id, filter, selected.len(), alerts.len(), &records.cases))
                } @else {
                    p.muted { "Narrow the filter to " (LINK_MAX) " alerts or fewer to add them to a case." }
                }
            }
        }
        @if groups_view {
            table {
                thead { tr { th { "Rule" } th { "Level" } th { "Host" } th { "Alerts" } th { "Not yet judged" } th { "Latest" } @if can_act { th { "Verdict for the group" } } } }
                tbody {
                    @for g in groups.iter().take(GROUPS_SHOWN) {
                        @let level = g.level.map_or("", Level::as_str);
                        @let scoped = Filter { rule: g.title.to_owned(), host: g.host.to_owned(), view: String::new(), after: String::new(), ..filter.clone() };
                        tr {
                            td { a href={ "/teams/" (team_id) "?" (scoped.link(&[])) } { (g.title) } }
                            td class={ "level-" (level) } { (level) }
                            td { (g.host) }
                            td.num { (g.count) }
                            td.num { (g.open) }
                            td { (label(g.latest)) }
                            @if can_act {
                                td {
                                    (bulk_form(&team_id, &scoped, g.count, alerts.len(), &format!("{} on {}", g.title, g.host)))
                                    " " a href={ "/teams/" (team_id) "/suppressions?" (serde_urlencoded::to_string([("rule", g.title), ("host", g.host)]).unwrap_or_default()) } { "Suppress…" }
                                }
                            }
                        }
                    }
                }
            }
            @if groups.len() > GROUPS_SHOWN { p.muted { (groups.len() - GROUPS_SHOWN) " more groups: narrow the filter to see them." } }
        } @else if criteria.is_none() {
        } @else if page.is_empty() {
            p.muted { @if filter.is_empty() { "No alert yet: they come as the exercise clock runs." } @else { "No alert matches this filter." } }
        } @else {
            table {
                thead { tr { th { "#" } th { "Time" } th { "Level" } th { "Rule" } th { "Host" } th { "ATT&CK" } th { "Author" } th { "State" } } }
                tbody {
                    @for &n in &page {
                        @let a = &alerts[n];
                        @let level = a.level.map_or("", Level::as_str);
                        @let verdict = sieve.get(n);
                        @let state = verdict.map_or("new", |t| t.state.as_str());
                        tr id={ "alert-" (n) } {
                            td.num { a href={ "/teams/" (team_id) "/alerts/" (n) } { (n) } }
                            td { (label(a.at)) }
                            td class={ "level-" (level) } { (level) }
                            td {
                                a href={ "/teams/" (team_id) "/alerts/" (n) } { (a.title) }
                                @if a.team_rule().is_some() { " " span.muted { "(the team's own rule)" } }
                                @if let Some(d) = &a.detail { br; span.muted { (d) } }
                                @if runtime.twins()[n].is_some() { br; span.muted { "Seen by Sysmon and by Security auditing (4688)" } }
                            }
                            td {
                                @if let Some(h) = &a.host {
                                    a href={ "/teams/" (team_id) "?" (filter.link(&[("host", h)])) } title={ "Only alerts on " (h) } { (h) }
                                }
                            }
                            td { (a.techniques.join(", ")) }
                            td.muted { (a.author.as_deref().unwrap_or("")) }
                            td {
                                @if can_act {
                                    form method="post" action={ "/teams/" (team_id) "/alerts" } {
                                        input type="hidden" name="row" value=(a.row);
                                        input type="hidden" name="rule" value=(key_of(a));
                                        input type="hidden" name="back" value=(here);
                                        input type="hidden" name="n" value=(n);
                                        select name="state" aria-label={ "State of alert " (n) } {
                                            @for (value, label) in STATES { option value=(value) selected[value == state] { (label) } }
                                        }
                                        " "
                                        input name="note" size="10" aria-label={ "Note on alert " (n) } placeholder="note" value=(verdict.map_or("", |t| t.note.as_str()));
                                        " "
                                        button type="submit" { "Save" }
                                    }
                                } @else {
                                    (STATES.iter().find(|(s, _)| *s == state).map_or(state, |(_, l)| *l))
                                }
                                @if let Some(t) = verdict { br; span.muted { "by " (t.username) } }
                            }
                        }
                    }
                }
            }
            p {
                @if !filter.after.is_empty() { a href={ "/teams/" (team_id) "?" (filter.link(&[])) } { "First page" } " " }
                @if let Some(next) = &next { a href={ "/teams/" (team_id) "?" (filter.link(&[("after", next)])) } rel="next" { "Next " (PAGE) } }
            }
        }
    };
    html::form_page(live, "Alerts", &view.user, problem.as_deref(), &body)
}

#[derive(Debug, Deserialize)]
pub(crate) struct TriageForm {
    row: Option<String>,
    rule: Option<String>,
    state: Option<String>,
    note: Option<String>,
    /// The queue's query to return to, and the alert's number on it.
    back: Option<String>,
    n: Option<String>,
    /// Set when the verdict was given on the alert's own page.
    from_page: Option<String>,
}

/// The state and note of a verdict form, checked.
fn verdict(state: Option<String>, note: Option<String>, field: &'static str) -> Result<(String, String), String> {
    let Some(state) = state.filter(|s| STATES.iter().any(|(v, _)| v == s)) else {
        return Err(format!(
            "{field}: choose new, investigating, true positive or false positive."
        ));
    };
    let note = note.unwrap_or_default();
    if note.chars().count() > 2000 {
        return Err("note: at most 2,000 characters.".to_owned());
    }
    Ok((state, note.trim().to_owned()))
}

/// Records a verdict on one of the team's alerts, and goes back to where it was given.
pub(crate) async fn triage<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamActor(view): TeamActor,
    Form(form): Form<TriageForm>,
) -> Response {
    let team_id = app.live.team_id(view.team);
    let (state, note) = match verdict(form.state, form.note, "state") {
        Ok(v) => v,
        Err(message) => return html::problem(StatusCode::BAD_REQUEST, &message),
    };
    let (Some(row), Some(rule)) = (form.row.and_then(|r| r.parse::<u32>().ok()), form.rule) else {
        return html::problem(StatusCode::BAD_REQUEST, "row and rule: say which alert.");
    };
    if let Err(refused) = give_verdict(&app, view.team, &view.user, row, &rule, &state, &note).await {
        return refused;
    }
    let n = form.n.and_then(|n| n.parse::<usize>().ok());
    if form.from_page.is_some()
        && let Some(n) = n
    {
        return Redirect::to(&format!("/teams/{team_id}/alerts/{n}")).into_response();
    }
    // Back to the same view of the queue: the query is read as a filter and written again,
    // so nothing but the queue's own parameters goes into the address.
    let back = form
        .back
        .and_then(|b| serde_urlencoded::from_str::<Filter>(&b).ok())
        .map(|f| f.link(&[("after", &f.after)]))
        .unwrap_or_default();
    let anchor = n.map(|n| format!("#alert-{n}")).unwrap_or_default();
    let query = if back.is_empty() {
        String::new()
    } else {
        format!("?{back}")
    };
    Redirect::to(&format!("/teams/{team_id}{query}{anchor}")).into_response()
}

/// Gives a verdict (one of [`STATES`], checked by the caller) on team `index`'s alert raised
/// by rule `rule` (its key) on event `row`, and on its twin if it has one: stored, then told
/// to the team's world when it detects a step. The error is the answer to give.
pub(crate) async fn give_verdict<S: Store>(
    app: &Arc<App<S>>,
    index: usize,
    user: &atoll_store::User,
    row: u32,
    rule: &str,
    state: &str,
    note: &str,
) -> Result<(), Response> {
    // A process seen by Sysmon and by Security auditing is one detection: the verdict is both's.
    let marks = marks_of(app, index, row, rule).await;
    if marks.is_empty() {
        return Err(html::problem(StatusCode::NOT_FOUND, "Your team has no such alert."));
    }
    let at = crate::exercise_now(app).await;
    let team_id = app.live.team_id(index);
    let stored = app
        .db
        .triage_many(
            app.live.exercise,
            &team_id,
            &marks,
            state,
            note,
            user.id,
            at,
            clock_now(),
        )
        .await;
    if stored.is_err() {
        return Err(html::problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "The verdict could not be stored; try again.",
        ));
    }
    if state == "true_positive" {
        atoll_app::facts::verdicts(app, index, marks.iter().map(|(row, _)| *row).collect(), user.id).await;
    }
    Ok(())
}

/// Checks a verdict and its note as a form or the API gives them; the error names the field.
pub(crate) fn checked_verdict(state: Option<String>, note: Option<String>) -> Result<(String, String), String> {
    verdict(state, note, "state")
}

/// One alert as a team's list shows it.
#[derive(Debug)]
pub(crate) struct Listed {
    /// Its number in the team's list (its page is `/teams/{team}/alerts/{number}`).
    pub number: usize,
    pub alert: Alert,
    /// `new`, `investigating`, `true_positive` or `false_positive`, with who gave the verdict.
    pub state: String,
    pub by: Option<String>,
    /// A suppression of the team hides it from the queue.
    pub suppressed: bool,
    /// The other sighting of the same process start (Sysmon 1 and Security 4688), if any.
    pub twin: Option<usize>,
}

/// One page of team `index`'s alerts as the queue lists them for `filter` (the same
/// filters, order and cursor), with how many match and the cursor of the next page. Takes the
/// team's lock: call it off the async workers.
pub(crate) fn listed<S>(
    app: &App<S>,
    index: usize,
    filter: &Filter,
    triages: &[Triage],
    suppressions: &[Suppression],
) -> Result<(Vec<Listed>, usize, Option<String>), String> {
    let live = &app.live;
    let runtime = live.team(index);
    let alerts = runtime.alerts();
    let sieve = Sieve::of(&runtime, triages, suppressions);
    let criteria = criteria(filter, live).map_err(|(field, message)| format!("{field}: {message}"))?;
    if criteria.groups {
        return Err("view: the API lists alerts one by one; leave out `view`".to_owned());
    }
    let selected = sieve.select(&criteria);
    let (page, next) = page_of(&selected, alerts, criteria.sort, &filter.after);
    let rows = page.into_iter().map(|i| sieve.listed(i)).collect();
    Ok((rows, selected.len(), next))
}

/// Alert number `number` of team `index` as its list shows it, if there is one. Takes the
/// team's lock.
pub(crate) fn one<S>(
    app: &App<S>,
    index: usize,
    number: usize,
    triages: &[Triage],
    suppressions: &[Suppression],
) -> Option<Listed> {
    let runtime = app.live.team(index);
    let sieve = Sieve::of(&runtime, triages, suppressions);
    (number < sieve.alerts.len()).then(|| sieve.listed(number))
}

#[derive(Debug, Deserialize)]
pub(crate) struct BulkForm {
    #[serde(flatten)]
    filter: Filter,
    verdict: Option<String>,
    note: Option<String>,
    /// How many alerts the team had when the page was drawn: later ones are not marked.
    upto: Option<String>,
    /// How many alerts the page said the verdict covers.
    expect: Option<String>,
}

/// The queue as `filter` shows it, with why an action on it was refused.
async fn refuse<S: Store>(
    app: Arc<App<S>>,
    view: TeamView,
    filter: Filter,
    records: Records,
    refused: Refused,
) -> Response {
    blocking(move || queue_page(&app, &view, &filter, &records, None, Some(refused))).await
}

/// What one action on many alerts (a verdict, adding them to a case) may take.
struct Many {
    /// How many alerts the team had when the page was drawn: later ones are not taken.
    upto: Option<usize>,
    /// How many the page said the action covers: refused when the filter now selects another
    /// number.
    expect: Option<usize>,
    max: usize,
    /// The refusal of the whole queue unfiltered, and the start of the one of too many.
    unfiltered: &'static str,
    at_most: &'static str,
    /// Whether each alert's twin is taken too (verdicts: one detection, one verdict).
    twins: bool,
}

/// The alerts a filter selects now, for one action on them all: how many rows of the queue,
/// and the (event row, rule key) of each alert taken. Refused by field.
async fn choose<S: Store>(
    app: &Arc<App<S>>,
    index: usize,
    filter: &Filter,
    records: &Records,
    many: Many,
) -> Result<(usize, Vec<(u32, String)>), Refused> {
    let worker = app.clone();
    let filter = filter.clone();
    let records = records.clone();
    tokio::task::spawn_blocking(move || {
        let live = &worker.live;
        let criteria = criteria(&filter, live)?;
        // Never the whole queue at once: one careless click would empty it.
        if filter.is_empty() {
            return Err(("filter", many.unfiltered.to_owned()));
        }
        let runtime = live.team(index);
        let sieve = Sieve::of(&runtime, &records.triages, &records.suppressions);
        let mut selected = sieve.select(&criteria);
        // The alerts the page showed: none that came since it was drawn.
        if let Some(upto) = many.upto {
            selected.retain(|&i| i < upto);
        }
        if let Some(expect) = many.expect
            && expect != selected.len()
        {
            return Err((
                "filter",
                format!(
                    "{} alerts match it now, not the {expect} the page showed; look at them again first",
                    selected.len()
                ),
            ));
        }
        if selected.len() > many.max {
            return Err((
                "filter",
                format!(
                    "{} alerts match; {} {}: narrow the filter",
                    selected.len(),
                    many.at_most,
                    many.max
                ),
            ));
        }
        if selected.is_empty() {
            return Err(("filter", "no alert matches it".to_owned()));
        }
        let taken: Vec<(u32, String)> = if many.twins {
            selected.iter().flat_map(|&i| sieve.marks(i)).collect()
        } else {
            let alerts = runtime.alerts();
            selected
                .iter()
                .map(|&i| (alerts[i].row, alert_key(&alerts[i])))
                .collect()
        };
        Ok((selected.len(), taken))
    })
    .await
    .unwrap_or_else(|_| Err(("filter", "the alerts could not be read".to_owned())))
}

/// One verdict for every alert a filter (or a group: a filter on a rule and a host) selects.
pub(crate) async fn bulk<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamActor(view): TeamActor,
    Form(form): Form<BulkForm>,
) -> Response {
    let team_id = app.live.team_id(view.team);
    let records = match queue_records(&app, &team_id).await {
        Ok(records) => records,
        Err(page) => return page,
    };
    let filter = form.filter;
    let (state, note) = match verdict(form.verdict, form.note, "verdict") {
        Ok(v) => v,
        Err(message) => {
            let (field, message) = message.split_once(": ").unwrap_or(("verdict", &message));
            let refused: Refused = (
                if field == "note" { "note" } else { "verdict" },
                message.trim_end_matches('.').to_owned(),
            );
            return refuse(app, view, filter, records, refused).await;
        }
    };
    let many = Many {
        upto: form.upto.and_then(|u| u.parse::<usize>().ok()),
        expect: form.expect.and_then(|e| e.parse::<usize>().ok()),
        max: BULK_MAX,
        unfiltered: "a verdict for many alerts needs a filter or a group",
        at_most: "one verdict covers at most",
        twins: true,
    };
    let (count, chosen) = match choose(&app, view.team, &filter, &records, many).await {
        Ok(chosen) => chosen,
        Err(refused) => {
            return refuse(app, view, filter, records, refused).await;
        }
    };
    let at = crate::exercise_now(&app).await;
    if app
        .db
        .triage_many(
            app.live.exercise,
            &team_id,
            &chosen,
            &state,
            &note,
            view.user.id,
            at,
            clock_now(),
        )
        .await
        .is_err()
    {
        return html::problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "The verdicts could not be stored (none was); try again.",
        );
    }
    if state == "true_positive" {
        atoll_app::facts::verdicts(
            &app,
            view.team,
            chosen.iter().map(|(row, _)| *row).collect(),
            view.user.id,
        )
        .await;
    }
    let count = count.to_string();
    let back = filter.link(&[("marked", &count), ("as", &state)]);
    Redirect::to(&format!("/teams/{team_id}?{back}")).into_response()
}

/// At most this many alerts go into a case at once: a case gathers what belongs together.
pub(crate) const LINK_MAX: usize = 200;

#[derive(Debug, Deserialize)]
pub(crate) struct LinkForm {
    #[serde(flatten)]
    filter: Filter,
    case: Option<String>,
    upto: Option<String>,
    expect: Option<String>,
}

/// Adds every alert a filter selects (not yet in the case) to one of the team's open cases.
pub(crate) async fn link<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamActor(view): TeamActor,
    Form(form): Form<LinkForm>,
) -> Response {
    let team_id = app.live.team_id(view.team);
    let records = match queue_records(&app, &team_id).await {
        Ok(records) => records,
        Err(page) => return page,
    };
    let filter = form.filter;
    let case = form
        .case
        .and_then(|c| c.parse::<i64>().ok())
        .filter(|id| records.cases.iter().any(|c| c.id == *id));
    let Some(case) = case else {
        let refused: Refused = ("case", "choose one of your team's open cases".to_owned());
        return refuse(app, view, filter, records, refused).await;
    };
    let many = Many {
        upto: form.upto.and_then(|u| u.parse::<usize>().ok()),
        expect: form.expect.and_then(|e| e.parse::<usize>().ok()),
        max: LINK_MAX,
        unfiltered: "adding many alerts to a case needs a filter or a group",
        at_most: "a case takes at most",
        twins: false,
    };
    let chosen = match choose(&app, view.team, &filter, &records, many).await {
        Ok((_, chosen)) => chosen,
        Err(refused) => {
            return refuse(app, view, filter, records, refused).await;
        }
    };
    let linked: Vec<String> = match app.db.case(app.live.exercise, &team_id, case).await {
        Ok((_, entries)) => entries
            .into_iter()
            .filter(|e| e.kind == "alert")
            .map(|e| e.body)
            .collect(),
        Err(_) => {
            return html::problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "The server cannot read its database right now.",
            );
        }
    };
    let bodies: Vec<String> = chosen
        .iter()
        .map(|(row, key)| format!("{row}\n{key}"))
        .filter(|body| !linked.contains(body))
        .collect();
    let bodies: Vec<&str> = bodies.iter().map(String::as_str).collect();
    let at = crate::exercise_now(&app).await;
    match app
        .db
        .add_case_entries(
            app.live.exercise,
            &team_id,
            case,
            "alert",
            &bodies,
            view.user.id,
            at,
            clock_now(),
        )
        .await
    {
        Ok(()) => Redirect::to(&format!("/teams/{team_id}/cases/{case}")).into_response(),
        Err(_) => html::problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "The alerts could not be added (none was); try again.",
        ),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct AlertPath {
    n: String,
}

/// A value written for the hunting language: quoted, with `\` and `"` escaped.
fn hunt_value(field: &str, value: &str) -> String {
    let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
    if field
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
    {
        format!("{field}:\"{escaped}\"")
    } else {
        format!("\"{field}\":\"{escaped}\"")
    }
}

/// Fields worth a pivot to the hunt: hosts, processes, users and addresses.
const PIVOTS: &[&str] = &[
    "Image",
    "ParentImage",
    "NewProcessName",
    "User",
    "TargetUserName",
    "SubjectUserName",
    "IpAddress",
    "SourceIp",
    "DestinationIp",
    "src_ip",
    "dst_ip",
    "c-ip",
    "s-ip",
    "ClientIP",
    "query",
    "cs-host",
];

/// One alert: its rule, its event, what happened around it, and what to do with it.
pub(crate) async fn page<S: Store>(
    State(app): State<Arc<App<S>>>,
    view: TeamView,
    Path(AlertPath { n }): Path<AlertPath>,
) -> Response {
    let team_id = app.live.team_id(view.team);
    let Ok(n) = n.parse::<usize>() else {
        return html::problem(
            StatusCode::NOT_FOUND,
            "An alert is known by its number, e.g. /alerts/12.",
        );
    };
    let Ok(triages) = app.verdicts(&team_id).await else {
        return html::problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "The server cannot read its database right now.",
        );
    };
    let can_act = view.user.role != Role::Observer;
    let cases: Vec<atoll_store::Case> = if can_act {
        app.db
            .cases(app.live.exercise, &team_id)
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|c| c.status != "closed")
            .collect()
    } else {
        Vec::new()
    };
    blocking(move || alert_page(&app, &view, n, &triages, &cases)).await
}

/// An event's fields in the product's order, those the rule tests (`tested`, lower-cased)
/// marked.
fn fields_table(event: &[(&str, atoll_hunt::Kind, std::borrow::Cow<'_, str>)], tested: &[String]) -> Markup {
    html! {
        table.fields {
            tbody {
                @for (name, _, value) in event {
                    @let hit = tested.contains(&name.to_ascii_lowercase());
                    tr class=[hit.then_some("hit")] {
                        th scope="row" { (name) @if hit { " ◆" } }
                        td.mono { (value) }
                    }
                }
            }
        }
    }
}

/// The rule behind an alert, as the page shows it.
struct RuleView<'r> {
    description: Option<&'r str>,
    status: Option<&'r str>,
    references: &'r [String],
    falsepositives: &'r [String],
    fields: Vec<&'r str>,
    yaml: Option<(String, &'static str)>,
}

fn rule_view<'r>(live: &'r Live, runtime: &'r atoll_exercise::TeamRuntime<'_>, a: &Alert) -> Option<RuleView<'r>> {
    let id = a.rule_id.as_deref()?;
    if let Some((catalog, _)) = live.detection() {
        if let Some(i) = catalog.find(id) {
            let rule = &catalog.rules()[i];
            let source = catalog.source_of(i);
            return Some(RuleView {
                description: rule.description.as_deref(),
                status: rule.status.as_deref(),
                references: &rule.references,
                falsepositives: &rule.falsepositives,
                fields: rule.fields(),
                yaml: Some((source.text.to_string(), source.origin.as_str())),
            });
        }
        if let Some(i) = catalog.find_correlation(id) {
            let source = catalog.correlation_source_of(i);
            return Some(RuleView {
                description: None,
                status: None,
                references: &[],
                falsepositives: &[],
                fields: Vec::new(),
                yaml: Some((source.text.to_string(), source.origin.as_str())),
            });
        }
    }
    let rule = runtime.rules().rules().iter().find(|r| r.id.as_deref() == Some(id))?;
    Some(RuleView {
        description: rule.description.as_deref(),
        status: rule.status.as_deref(),
        references: &rule.references,
        falsepositives: &rule.falsepositives,
        fields: rule.fields(),
        yaml: None,
    })
}

fn alert_page<S: Store>(
    app: &App<S>,
    view: &TeamView,
    n: usize,
    triages: &[Triage],
    cases: &[atoll_store::Case],
) -> Response {
    let live = &app.live;
    let runtime = live.team(view.team);
    let team_id = runtime.team().to_owned();
    let alerts = runtime.alerts();
    let Some(a) = alerts.get(n) else {
        return html::problem(StatusCode::NOT_FOUND, "Your team has no alert with that number.");
    };
    // The second sighting of a process start is shown on the first's page, with both events.
    let twin = runtime.twins()[n].map(|t| t as usize);
    if let Some(first) = twin.filter(|&t| t < n) {
        return Redirect::to(&format!("/teams/{team_id}/alerts/{first}")).into_response();
    }
    let start = runtime.start_unix_ms();
    let label = |unix: i64| live.label(unix, app.day_one);
    let store = runtime.store();
    let event = store.event(a.row);
    let unix = store
        .times()
        .get(a.row as usize)
        .copied()
        .unwrap_or(start + a.at as i64);
    let rule = rule_view(live, &runtime, a);
    let tested: Vec<String> = rule
        .as_ref()
        .map(|r| r.fields.iter().map(|f| f.to_ascii_lowercase()).collect())
        .unwrap_or_default();
    let sieve = Sieve::of(&runtime, triages, &[]);
    let verdict = sieve.get(n);
    let state = sieve.state(n);
    let history: Vec<&Triage> = triages
        .iter()
        .filter(|t| t.row == a.row && t.rule == key_of(a))
        .collect();
    // Other alerts at the same moment on the same host: the same process seen by Sysmon and
    // by Security 4688, or another rule on the same event.
    let twins: Vec<(usize, &Alert)> = alerts
        .iter()
        .enumerate()
        .skip(n.saturating_sub(200))
        .take(401)
        .filter(|(i, b)| *i != n && Some(*i) != twin && b.host == a.host && b.at.abs_diff(a.at) <= 1000)
        .collect();
    // The same process start as the other log saw it.
    let second = twin.map(|t| {
        let b = &alerts[t];
        let unix = store
            .times()
            .get(b.row as usize)
            .copied()
            .unwrap_or(start + b.at as i64);
        (store.event(b.row), unix)
    });
    // The host's events around the alert.
    let around = a.host.as_deref().map(|host| {
        let query = format!(
            "{} earliest:{} latest:{}",
            hunt_value("host", host),
            atoll_hunt::time::to_string(unix - AROUND_MS),
            atoll_hunt::time::to_string(unix + AROUND_MS + 1)
        );
        let ctx = Context {
            now: Some(start + live.now() as i64),
            calendar: atoll_hunt::Calendar::of(app.day_one, &live.scenario.time_zone.0),
        };
        let page = Page {
            offset: 0,
            limit: 10_000,
        };
        let rows: Vec<u32> = match store.search(&query, &ctx, &Limits::default(), page) {
            Ok(answer) => match answer.output {
                Output::Events(rows) => rows,
                Output::Table(_) => Vec::new(),
            },
            Err(_) => Vec::new(),
        };
        // The events nearest the alert's, in time order.
        let at = rows.partition_point(|&r| r < a.row);
        let from = at.saturating_sub(AROUND_SHOWN / 2);
        let shown: Vec<(u32, String, String)> = rows
            .iter()
            .skip(from)
            .take(AROUND_SHOWN)
            .map(|&r| {
                let time = store.times().get(r as usize).copied().unwrap_or(0);
                let summary: Vec<String> = store
                    .event(r)
                    .into_iter()
                    .filter(|(name, _, _)| !matches!(*name, "@timestamp" | "host" | "team"))
                    .take(6)
                    .map(|(name, _, value)| format!("{name}={}", short(&value, 80)))
                    .collect();
                (r, label(time), summary.join(" "))
            })
            .collect();
        (rows.len(), shown, query)
    });
    let pivots: Vec<(String, String)> = event
        .iter()
        .filter(|(name, _, value)| PIVOTS.contains(name) && !value.is_empty() && value != "-")
        .map(|(name, _, value)| (format!("{name} = {}", short(value, 60)), hunt_value(name, value)))
        .collect();
    let level = a.level.map_or("", Level::as_str);
    let can_act = view.user.role != Role::Observer;
    let body = html! {
        p { a href={ "/teams/" (team_id) } { "← All alerts" } }
        h1 { "Alert " (n) ": " (a.title) }
        p {
            span class={ "level-" (level) } { (level) } " · "
            (label(start + a.at as i64)) " · "
            @if let Some(h) = &a.host { "host " strong { (h) } " · " }
            "rule by " (a.author.as_deref().unwrap_or("an unnamed author"))
            @if let Some(d) = &a.detail { " · " (d) }
        }
        p { "State: " strong { (STATES.iter().find(|(s, _)| *s == state).map_or(state, |(_, l)| *l)) }
            @if let Some(t) = verdict { " (by " (t.username) @if !t.note.is_empty() { ": " (t.note) } ")" } }
        @if can_act {
            form method="post" action={ "/teams/" (team_id) "/alerts" } {
                input type="hidden" name="row" value=(a.row);
                input type="hidden" name="rule" value=(key_of(a));
                input type="hidden" name="n" value=(n);
                input type="hidden" name="from_page" value="1";
                label for="state" { "Verdict " }
                select #state name="state" {
                    @for (value, label) in STATES { option value=(value) selected[value == state] { (label) } }
                }
                " "
                label for="note" { "Note " }
                input #note name="note" size="40" maxlength="2000" value=(verdict.map_or("", |t| t.note.as_str()));
                " " button type="submit" { "Save" }
            }
            @if !cases.is_empty() {
                form method="post" action={ "/teams/" (team_id) "/cases/event" } {
                    input type="hidden" name="alert" value={ (a.row) ":" (key_of(a)) };
                    label for="case" { "Add to the case " }
                    select #case name="case" { @for c in cases { option value=(c.id) { (short(&c.title, 50)) } } }
                    " " button type="submit" { "Add" }
                }
            } @else {
                p.muted { "No case is open: " a href={ "/teams/" (team_id) "/cases" } { "open one" } " to gather this alert with others." }
            }
        }
        @if !twins.is_empty() {
            h2 { "At the same moment on this host" }
            ul {
                @for (i, b) in &twins {
                    li { a href={ "/teams/" (team_id) "/alerts/" (i) } { "Alert " (i) ": " (b.title) } " — "
                        (STATES.iter().find(|(s, _)| *s == sieve.state(*i)).map_or("New", |(_, l)| *l))
                        @if b.row == a.row { " (same event)" } @else { " (another event: the same activity seen by a second log)" } }
                }
            }
        }
        h2 { "The event" }
        @if second.is_some() {
            p { "One process start, seen twice: by Sysmon (event 1) and by Security auditing (event 4688). Both events are below; a verdict counts for both." }
        }
        p.muted { "Recorded " (atoll_hunt::time::to_string(unix)) " (UTC). Fields the rule tests are marked." }
        (fields_table(&event, &tested))
        @if let Some((event, unix)) = &second {
            h2 { "The same process in the other log" }
            p.muted { "Recorded " (atoll_hunt::time::to_string(*unix)) " (UTC)." }
            (fields_table(event, &tested))
        }
        @if !pivots.is_empty() || a.host.is_some() {
            h2 { "Hunt from here" }
            ul.pivots {
                @if let Some(h) = &a.host { li { a href={ "/teams/" (team_id) "/hunt?" (query_string(&hunt_value("host", h))) } { "Everything on host " (h) } } }
                @for (text, query) in &pivots { li { a href={ "/teams/" (team_id) "/hunt?" (query_string(query)) } { (text) } } }
            }
        }
        @if let Some((total, shown, query)) = &around {
            h2 { "This host ±5 minutes" }
            p.muted { (total) " events; the " (shown.len()) " nearest. " a href={ "/teams/" (team_id) "/hunt?" (query_string(query)) } { "All of them in the hunt" } }
            table {
                thead { tr { th { "Time" } th { "Event" } } }
                tbody {
                    @for (row, time, summary) in shown {
                        tr class=[(*row == a.row).then_some("hit")] { td { (time) } td.mono { (summary) } }
                    }
                }
            }
        }
        h2 { "The rule" }
        @match &rule {
            Some(r) => {
                p { (a.title) @if let Some(s) = r.status { " · status " (s) } " · level " (level) " · by " (a.author.as_deref().unwrap_or("an unnamed author")) }
                @if let Some(d) = r.description { p { (d) } }
                @if !a.techniques.is_empty() || !a.tactics.is_empty() {
                    p { "ATT&CK: " (a.tactics.join(", ")) @if !a.tactics.is_empty() && !a.techniques.is_empty() { " · " } (a.techniques.join(", ")) }
                }
                @if !r.falsepositives.is_empty() {
                    p { "Known false positives:" }
                    ul { @for f in r.falsepositives { li { (f) } } }
                }
                @if !r.references.is_empty() {
                    p { "References:" }
                    ul { @for f in r.references { li.mono { (f) } } }
                }
                @if let Some((yaml, origin)) = &r.yaml {
                    details { summary { "The rule as written (" (origin) ")" } pre.mono { (yaml) } }
                }
            }
            None => {
                @if let Some(id) = a.team_rule() {
                    p { "Your team's own rule: see it on the " a href={ "/teams/" (team_id) "/rules#rule-" (id) } { "rules page" } "." }
                } @else {
                    p.muted { "This server does not have the rule's text." }
                }
            }
        }
        @if history.len() > 1 {
            h2 { "Verdicts given" }
            ul { @for t in &history { li { (STATES.iter().find(|(s, _)| *s == t.state).map_or(t.state.as_str(), |(_, l)| *l)) " by " (t.username) @if let Some(at) = t.at { " at " (label(start + at as i64)) } @if !t.note.is_empty() { ": " (t.note) } } } }
        }
    };
    html::page(live, &format!("Alert {n}"), Some(&view.user), &body).into_response()
}

#[cfg(test)]
mod tests {
    use super::{PAGE, Sort, page_of};
    use atoll_exercise::Alert;
    use atoll_sigma::Level;

    fn alert(i: u32) -> Alert {
        Alert {
            at: u64::from(i) * 1000,
            row: i,
            rule_id: Some(format!("r{}", i % 7)),
            title: format!("rule {}", i % 7),
            level: Some([Level::Low, Level::Medium, Level::High][(i % 3) as usize]),
            author: None,
            techniques: Vec::new(),
            tactics: Vec::new(),
            host: Some("h".into()),
            detail: None,
        }
    }

    /// Walks every page of `selected` in `sort` order, with `grow` alerts arriving after each
    /// page is read: every alert there was at the start is seen exactly once, in order.
    fn walk(sort: Sort, start: usize, grow: usize) -> Vec<usize> {
        let mut alerts: Vec<Alert> = (0..start as u32).map(alert).collect();
        let selected_at_start: Vec<usize> = (0..start).collect();
        let mut seen = Vec::new();
        let mut after = String::new();
        loop {
            let selected: Vec<usize> = (0..alerts.len()).collect();
            let (page, next) = page_of(&selected, &alerts, sort, &after);
            assert!(page.len() <= PAGE);
            seen.extend(page.into_iter().filter(|i| selected_at_start.contains(i)));
            let n = alerts.len() as u32;
            alerts.extend((n..n + grow as u32).map(alert));
            match next {
                Some(cursor) => after = cursor,
                None => break,
            }
        }
        seen
    }

    #[test]
    fn pages_are_stable_while_alerts_arrive() {
        let newest = walk(Sort::Newest, 237, 13);
        assert_eq!(newest, (0..237).rev().collect::<Vec<_>>());
        // Oldest first reaches the new ones too; the old ones come first, in order.
        let oldest = walk(Sort::Oldest, 237, 0);
        assert_eq!(oldest, (0..237).collect::<Vec<_>>());
        let by_level = walk(Sort::Level, 237, 13);
        assert_eq!(by_level.len(), 237);
        let mut sorted = by_level.clone();
        sorted.sort_by_key(|&i| (std::cmp::Reverse(alert(i as u32).level), std::cmp::Reverse(i)));
        assert_eq!(by_level, sorted, "highest level first, newest first within a level");
    }
}
