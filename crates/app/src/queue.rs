//! A team's alert queue as a model: the queue's filters checked, the alerts they select (with
//! their verdicts, twins and suppressions), pages and groups of them, and the verdicts and
//! case links that act on many at once. The queue page and the API list alerts through it.

use std::collections::HashMap;
use std::sync::Arc;

use atoll_exercise::{Alert, TeamRuntime};
use atoll_sigma::Level;
use atoll_store::{Store, Suppression, Triage, User};
use serde::{Deserialize, Serialize};

use crate::alerts::{alert_key, key_of, marks_of};
use crate::suppress::InForce;
use crate::{App, Error, Live, Result, clock_now};

/// Alerts per page of the queue.
pub const PAGE: usize = 50;
/// Groups shown in the grouped view.
pub const GROUPS_SHOWN: usize = 200;
/// Most alerts one bulk verdict may cover.
pub const BULK_MAX: usize = 10_000;

/// The queue's name for alerts a suppression of the team hides (not a verdict: they keep theirs).
pub const SUPPRESSED: &str = "suppressed";

/// The states an alert can be in, as stored and as shown.
pub const STATES: [(&str, &str); 4] = [
    ("new", "New"),
    ("investigating", "Investigating"),
    ("true_positive", "True positive"),
    ("false_positive", "False positive"),
];

/// The queue's parameters as the address carries them. Every one is optional; an empty one
/// is no filter.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct Filter {
    /// `open` (new or investigating), or one of [`STATES`].
    #[serde(default)]
    pub state: String,
    /// Lowest level shown.
    #[serde(default)]
    pub level: String,
    /// A rule's exact title.
    #[serde(default)]
    pub rule: String,
    /// A host's exact name (any case).
    #[serde(default)]
    pub host: String,
    /// An ATT&CK technique (`T1505`, its sub-techniques too) or tactic (`persistence`).
    #[serde(default)]
    pub attack: String,
    /// Exercise time range: `D1 09:00`.
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    /// Words looked for in the rule's title and the host.
    #[serde(default)]
    pub q: String,
    /// `newest` (default), `oldest` or `level`.
    #[serde(default)]
    pub sort: String,
    /// `groups` for the grouped view.
    #[serde(default)]
    pub view: String,
    /// The last alert of the page before (its number; `level.number` when sorted by level).
    #[serde(default)]
    pub after: String,
}

impl Filter {
    pub fn is_empty(&self) -> bool {
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
pub enum Sort {
    Newest,
    Oldest,
    Level,
}

/// A filter, checked.
#[derive(Debug)]
pub struct Criteria {
    /// States an alert must be in (by name), or any.
    pub states: Option<Vec<&'static str>>,
    pub level: Option<Level>,
    pub rule: Option<String>,
    pub host: Option<String>,
    pub attack: Option<String>,
    pub from: Option<u64>,
    pub to: Option<u64>,
    pub words: Vec<String>,
    pub sort: Sort,
    pub groups: bool,
}

/// A filter refused: the field and what is wrong with it.
pub type Refused = (&'static str, String);

impl From<(&'static str, String)> for Error {
    fn from((field, message): Refused) -> Error {
        Error::invalid(field, message)
    }
}

pub fn exercise_time(live: &Live, field: &'static str, text: &str) -> std::result::Result<Option<u64>, Refused> {
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

pub fn criteria(filter: &Filter, live: &Live) -> std::result::Result<Criteria, Refused> {
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
    let text = |v: &str, field: &'static str| -> std::result::Result<Option<String>, Refused> {
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
#[derive(Debug)]
pub struct Sieve<'a> {
    pub alerts: &'a [Alert],
    /// Each alert's rule place.
    pub rule_of: &'a [u32],
    /// (key, title) of each rule place.
    pub rules: &'a [(String, String)],
    /// The latest verdict of each alert (by index), or of its twin, whichever came later.
    pub verdicts: Vec<Option<&'a Triage>>,
    /// Whether a suppression of the team hides each alert.
    pub suppressed: Vec<bool>,
    /// Each alert's other sighting of the same process start ([`TeamRuntime::twins`]).
    pub twins: &'a [Option<u32>],
}

impl<'a> Sieve<'a> {
    pub fn of(runtime: &'a TeamRuntime<'_>, triages: &'a [Triage], suppressions: &[Suppression]) -> Sieve<'a> {
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
    pub fn get(&self, i: usize) -> Option<&'a Triage> {
        self.verdicts[i]
    }

    /// Whether alert `i` is listed under its twin rather than on a row of its own.
    pub fn second_sighting(&self, i: usize) -> bool {
        self.twins.get(i).copied().flatten().is_some_and(|t| (t as usize) < i)
    }

    /// Alert `i` as a list shows it.
    pub fn listed(&self, i: usize) -> Listed {
        Listed {
            number: i,
            alert: self.alerts[i].clone(),
            state: self.state(i).to_owned(),
            by: self.get(i).map(|t| t.username.clone()),
            suppressed: self.suppressed[i],
            twin: self.twins.get(i).copied().flatten().map(|t| t as usize),
        }
    }

    pub fn state(&self, i: usize) -> &'a str {
        self.get(i).map_or("new", |t| t.state.as_str())
    }

    /// The numbers of the alerts `criteria` keeps, oldest first.
    pub fn select(&self, criteria: &Criteria) -> Vec<usize> {
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
    pub fn counts(&self) -> ([usize; 4], usize) {
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
    pub fn marks(&self, i: usize) -> impl Iterator<Item = (u32, String)> + '_ {
        let twin = self.twins.get(i).copied().flatten().map(|t| t as usize);
        std::iter::once(i)
            .chain(twin)
            .map(|i| (self.alerts[i].row, key_of(&self.alerts[i]).to_owned()))
    }
}

pub fn level_rank(a: &Alert) -> u8 {
    a.level.map_or(0, |l| l as u8 + 1)
}

/// One page of `selected` (oldest first) in the chosen order, after the cursor; and the
/// cursor of the next page, if there is one.
pub fn page_of(selected: &[usize], alerts: &[Alert], sort: Sort, after: &str) -> (Vec<usize>, Option<String>) {
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
pub struct Group<'a> {
    pub title: &'a str,
    pub host: &'a str,
    pub level: Option<Level>,
    pub count: usize,
    /// Not judged yet (new).
    pub open: usize,
    pub latest: u64,
}

pub fn groups<'a>(selected: &[usize], sieve: &Sieve<'a>) -> Vec<Group<'a>> {
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

/// What the queue reads from the database: the team's verdicts, its suppressions and its
/// cases still open (to add alerts to).
#[derive(Debug, Clone)]
pub struct Records {
    pub triages: Arc<Vec<Triage>>,
    pub suppressions: Vec<Suppression>,
    pub cases: Vec<atoll_store::Case>,
}

/// Reads the queue's [`Records`] of team `team`.
pub async fn queue_records<S: Store>(app: &App<S>, team: &str) -> Result<Records> {
    let triages = app.verdicts(team).await?;
    let suppressions = app.db.suppressions(app.live.exercise, Some(team)).await?;
    let cases = app
        .db
        .cases(app.live.exercise, team)
        .await?
        .into_iter()
        .filter(|c| c.status != "closed")
        .collect();
    Ok(Records {
        triages,
        suppressions,
        cases,
    })
}

/// The titles of the rules a team's alerts come from, each once, in order.
pub fn rule_titles<'a>(runtime: &'a TeamRuntime<'_>) -> Vec<&'a str> {
    let mut titles: Vec<&str> = runtime.rules_seen().iter().map(|(_, t)| t.as_str()).collect();
    titles.sort_unstable();
    titles.dedup();
    titles
}

/// The state and note of a verdict, checked; the error names the field (`state`, or
/// `verdict` on the queue's form for many alerts).
pub fn verdict(state: &str, note: &str, field: &'static str) -> Result<(String, String)> {
    let state = state.trim();
    if !STATES.iter().any(|(v, _)| *v == state) {
        return Err(Error::invalid(
            field,
            "choose new, investigating, true positive or false positive.",
        ));
    }
    if note.chars().count() > 2000 {
        return Err(Error::invalid("note", "at most 2,000 characters."));
    }
    Ok((state.to_owned(), note.trim().to_owned()))
}

/// `user` gives a verdict (one of [`STATES`]) on team `index`'s alert raised by rule `rule`
/// (its key) on event `row`, and on its twin if it has one: checked, stored, then told to the
/// team's world when it detects a step.
pub async fn give_verdict<S: Store>(
    app: &Arc<App<S>>,
    index: usize,
    user: &User,
    row: u32,
    rule: &str,
    state: &str,
    note: &str,
) -> Result<()> {
    let (state, note) = verdict(state, note, "state")?;
    // A process seen by Sysmon and by Security auditing is one detection: the verdict is both's.
    let marks = marks_of(app, index, row, rule).await;
    if marks.is_empty() {
        return Err(Error::not_found("Your team has no such alert."));
    }
    judge(app, index, user, &marks, &state, &note)
        .await
        .map_err(|_| Error::unavailable("The verdict could not be stored; try again."))
}

/// Stores one verdict on every alert in `marks` (event row, rule key) of team `index`, and
/// tells the team's world of the steps a true positive detects.
async fn judge<S: Store>(
    app: &Arc<App<S>>,
    index: usize,
    user: &User,
    marks: &[(u32, String)],
    state: &str,
    note: &str,
) -> atoll_store::Result<()> {
    let team = app.live.team_id(index);
    app.db
        .triage_many(
            app.live.exercise,
            &team,
            marks,
            state,
            note,
            user.id,
            app.live.now(),
            clock_now(),
        )
        .await?;
    if state == "true_positive" {
        crate::facts::verdicts(app, index, marks.iter().map(|(row, _)| *row).collect(), user.id).await;
    }
    Ok(())
}

/// One alert as a team's list shows it.
#[derive(Debug)]
pub struct Listed {
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
pub fn listed<S>(
    app: &App<S>,
    index: usize,
    filter: &Filter,
    triages: &[Triage],
    suppressions: &[Suppression],
) -> std::result::Result<(Vec<Listed>, usize, Option<String>), String> {
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
pub fn one<S>(
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

/// What one action on many alerts (a verdict, adding them to a case) may take.
#[derive(Debug)]
pub struct Many {
    /// How many alerts the team had when the page was drawn: later ones are not taken.
    pub upto: Option<usize>,
    /// How many the page said the action covers: refused when the filter now selects another
    /// number.
    pub expect: Option<usize>,
    pub max: usize,
    /// The refusal of the whole queue unfiltered, and the start of the one of too many.
    pub unfiltered: &'static str,
    pub at_most: &'static str,
    /// Whether each alert's twin is taken too (verdicts: one detection, one verdict).
    pub twins: bool,
}

/// The alerts a filter selects now, for one action on them all: how many rows of the queue,
/// and the (event row, rule key) of each alert taken. Refused by field.
pub async fn choose<S: Store>(
    app: &Arc<App<S>>,
    index: usize,
    filter: &Filter,
    records: &Records,
    many: Many,
) -> std::result::Result<(usize, Vec<(u32, String)>), Refused> {
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

/// At most this many alerts go into a case at once: a case gathers what belongs together.
pub const LINK_MAX: usize = 200;

/// What the page an action on many alerts was sent from showed.
#[derive(Debug, Clone, Copy, Default)]
pub struct Shown {
    /// How many alerts the team had when the page was drawn: later ones are not taken.
    pub upto: Option<usize>,
    /// How many alerts the page said the action covers: a different count now is refused.
    pub expect: Option<usize>,
}

/// One verdict for every alert of team `index` that `filter` (or a group: a filter on a rule
/// and a host) selects, and for each one's twin: at most [`BULK_MAX`], never the whole queue
/// unfiltered. `upto` and `expect` are what the page showed (the alerts the team had, and how
/// many the verdict covers): alerts that came since are left out, and a different count is
/// refused ([`Shown`]). Returns how many rows of the queue it judged.
pub async fn bulk_verdict<S: Store>(
    app: &Arc<App<S>>,
    index: usize,
    user: &User,
    filter: &Filter,
    (state, note): (&str, &str),
    shown: Shown,
) -> Result<usize> {
    let (state, note) = verdict(state, note, "verdict")?;
    let records = queue_records(app, &app.live.team_id(index)).await?;
    let many = Many {
        upto: shown.upto,
        expect: shown.expect,
        max: BULK_MAX,
        unfiltered: "a verdict for many alerts needs a filter or a group",
        at_most: "one verdict covers at most",
        twins: true,
    };
    let (count, chosen) = choose(app, index, filter, &records, many).await?;
    judge(app, index, user, &chosen, &state, &note)
        .await
        .map_err(|_| Error::unavailable("The verdicts could not be stored (none was); try again."))?;
    Ok(count)
}

/// Adds every alert of team `index` that `filter` selects (and the case has not yet) to the
/// team's open case `case`: at most [`LINK_MAX`]; `upto` and `expect` as for
/// [`bulk_verdict`]. Returns how many it added.
pub async fn link_to_case<S: Store>(
    app: &Arc<App<S>>,
    index: usize,
    user: &User,
    filter: &Filter,
    case: Option<i64>,
    shown: Shown,
) -> Result<usize> {
    let team = app.live.team_id(index);
    let records = queue_records(app, &team).await?;
    let Some(case) = case.filter(|id| records.cases.iter().any(|c| c.id == *id)) else {
        return Err(Error::invalid("case", "choose one of your team's open cases"));
    };
    let many = Many {
        upto: shown.upto,
        expect: shown.expect,
        max: LINK_MAX,
        unfiltered: "adding many alerts to a case needs a filter or a group",
        at_most: "a case takes at most",
        twins: false,
    };
    let (_, chosen) = choose(app, index, filter, &records, many).await?;
    let linked: Vec<String> = app
        .db
        .case(
            app.live.exercise,
            &team,
            case,
            atoll_store::Page::newest(crate::limits::CASE_ENTRIES),
        )
        .await?
        .1
        .into_iter()
        .filter(|e| e.kind == "alert")
        .map(|e| e.body)
        .collect();
    let bodies: Vec<String> = chosen
        .iter()
        .map(|(row, key)| format!("{row}\n{key}"))
        .filter(|body| !linked.contains(body))
        .collect();
    let bodies: Vec<&str> = bodies.iter().map(String::as_str).collect();
    app.db
        .add_case_entries(
            app.live.exercise,
            &team,
            case,
            "alert",
            &bodies,
            user.id,
            app.live.now(),
            clock_now(),
            atoll_store::AtMost::all(crate::limits::CASE_ENTRIES),
        )
        .await
        .map_err(|e| match e {
            atoll_store::StoreError::TooMany => crate::cases::full_case("alert").at("case"),
            _ => Error::unavailable("The alerts could not be added (none was); try again."),
        })?;
    Ok(bodies.len())
}

/// `user` gives a verdict on alert number `number` of team `index` (as its list numbers it),
/// and on its twin: checked, stored, told to the world. Returns the alert as it now stands.
pub async fn verdict_on<S: Store>(
    app: &Arc<App<S>>,
    index: usize,
    user: &User,
    number: usize,
    state: &str,
    note: &str,
) -> Result<Listed> {
    verdict(state, note, "state")?;
    let worker = app.clone();
    let alert = tokio::task::spawn_blocking(move || {
        let runtime = worker.live.team(index);
        runtime.alerts().get(number).map(|a| (a.row, alert_key(a)))
    })
    .await
    .map_err(|_| Error::failed("The server failed while reading the alert."))?;
    let Some((row, key)) = alert else {
        return Err(Error::not_found("Your team has no such alert."));
    };
    give_verdict(app, index, user, row, &key, state, note).await?;
    let records = queue_records(app, &app.live.team_id(index)).await?;
    let worker = app.clone();
    tokio::task::spawn_blocking(move || one(&worker, index, number, &records.triages, &records.suppressions))
        .await
        .map_err(|_| Error::failed("The server failed while reading the alert."))?
        .ok_or_else(|| Error::not_found("Your team has no such alert."))
}
