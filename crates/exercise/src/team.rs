//! One team's world as the exercise clock moves: the simulation writes the team's telemetry,
//! the event store indexes it for hunting, and the Sigma engine raises alerts on it.
//!
//! Everything here follows from (scenario, seed, day-1 date, the team's actions, the exercise
//! time reached): a server that restarts builds the same runtime again by replaying the
//! actions it stored and advancing to the clock's time, and gets the same events, rows and
//! alerts.

use atoll_hunt::{Row, Store};
use atoll_scenario::Scenario;
use atoll_sigma::{Correlation, Level, RuleSet, Stream};
use atoll_sim::{Action, Config, Simulation};

use crate::clock::Millis;

/// An alert: a rule (or correlation) that matched the team's events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// Exercise time of the event that raised it.
    pub at: Millis,
    /// The event in the team's store (for a correlation, the event that completed it).
    pub row: Row,
    pub rule_id: Option<String>,
    pub title: String,
    pub level: Option<Level>,
    /// The rule's author, shown wherever the alert is (Detection Rule License 1.1).
    pub author: Option<String>,
    /// ATT&CK technique ids from the rule's tags (`attack.t1003.003` → `T1003.003`).
    pub techniques: Vec<String>,
    /// ATT&CK tactics from the rule's tags (`attack.credential-access` → `credential-access`).
    pub tactics: Vec<String>,
    pub host: Option<String>,
    /// For a correlation: what it counted, e.g. `IpAddress=203.0.113.45, count 25`.
    pub detail: Option<String>,
}

/// The alert a rule's match raises, with the rule id it is known by.
fn rule_alert(rule: &atoll_sigma::Rule, rule_id: Option<String>, at: Millis, row: Row, host: &Option<String>) -> Alert {
    Alert {
        at,
        row,
        rule_id,
        title: rule.title.clone(),
        level: rule.level,
        author: rule.author.clone(),
        techniques: techniques(&rule.tags),
        tactics: tactics(&rule.tags),
        host: host.clone(),
        detail: None,
    }
}

/// The start of the rule id of an alert raised by a rule the team wrote (`team-rule-7`).
pub const TEAM_RULE: &str = "team-rule-";

impl Alert {
    /// The id of the team's own rule that raised this alert, if one did.
    pub fn team_rule(&self) -> Option<i64> {
        self.rule_id.as_deref()?.strip_prefix(TEAM_RULE)?.parse().ok()
    }
}

/// A Sigma rule the team wrote, live from exercise time `from` until `until`.
#[derive(Debug)]
struct TeamRule {
    id: i64,
    title: String,
    /// The rule alone, routed by its log source like any other; dropped once the world
    /// passes `until`, when the rule has nothing left to do.
    set: Option<RuleSet>,
    from: Millis,
    until: Option<Millis>,
    /// Every event of the world it matches from the start of play until it is turned off:
    /// what the rule would catch, for scoring it against ground truth.
    matched: Vec<Row>,
}

/// Turns a team's rule text into its compiled form, or says why it cannot be.
pub type RuleCompiler = fn(&str) -> Result<RuleSet, String>;

/// A stored team rule that the world turns on when it reaches `from` (after a restart): each
/// is compiled then, and its compiled form dropped when it is turned off, so that a rebuild
/// holds no more compiled rules at once than play did.
#[derive(Debug)]
struct PendingRule {
    id: i64,
    yaml: String,
    from: Millis,
    until: Option<Millis>,
    compile: RuleCompiler,
}

/// A rule the team wrote, as scoring reads it.
#[derive(Debug, Clone, Copy)]
pub struct TeamRuleTruth<'r> {
    pub id: i64,
    pub title: &'r str,
    /// When it was turned on, and off if it was.
    pub from: Millis,
    pub until: Option<Millis>,
    /// The events of the team's world it matches, from the start of play until it was turned
    /// off, in order.
    pub matched: &'r [Row],
}

/// Why a team's runtime could not be built or take an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeError(pub String);

impl std::fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RuntimeError {}

/// The seed, day-1 date and planned end of one exercise's simulation.
#[derive(Debug, Clone)]
pub struct Setup {
    pub seed: u64,
    pub date: jiff::civil::Date,
    /// The planned end of play (exercise milliseconds).
    pub end: Millis,
}

#[derive(Debug)]
pub struct TeamRuntime<'a> {
    team: String,
    sim: Simulation<'a>,
    store: Store,
    stream: Stream<'a>,
    rules: &'a RuleSet,
    correlations: Vec<Correlation>,
    /// The team's own rules, in the order turned on.
    team_rules: Vec<TeamRule>,
    /// Stored rules still to be turned on as the world reaches their time, in that order.
    pending_rules: std::collections::VecDeque<PendingRule>,
    /// Stored rules that could not be turned on again, with why.
    failed_rules: Vec<(i64, String)>,
    alerts: Vec<Alert>,
    /// Whether each shared rule raises alerts at the start (empty: every one does), and the
    /// white cell's changes since: (rule, exercise time, on), in time order.
    rules_on: Vec<bool>,
    switches: Vec<(usize, Millis, bool)>,
    /// For each alert, its rule's place in `rules_seen`.
    alert_rule: Vec<u32>,
    /// The rules the alerts came from, each once, in order of first alert: (key, title).
    rules_seen: Vec<(String, String)>,
    rule_places: std::collections::HashMap<(String, String), u32>,
    /// For each alert, the other sighting of the same process start by the same rule, if any
    /// (see [`TeamRuntime::twins`]).
    twins: Vec<Option<u32>>,
    /// How many alerts are second sightings ([`TeamRuntime::is_second_sighting`]).
    second_sightings: usize,
    /// Process-start alerts of the last [`TWIN_WINDOW`] not yet paired with their twin.
    unpaired: std::collections::VecDeque<(Millis, u32, ProcessStart)>,
    /// Lines the store refused (none from the simulation; kept to be reported, not hidden).
    refused: u64,
    /// Times that writes in progress will take effect at ([`TeamRuntime::hold`]): the world
    /// does not move past the earliest until they are taken.
    holds: Vec<Millis>,
}

impl<'a> TeamRuntime<'a> {
    pub fn new(
        scenario: &'a Scenario,
        setup: &Setup,
        team: &str,
        rules: &'a RuleSet,
        correlations: Vec<Correlation>,
    ) -> Result<TeamRuntime<'a>, RuntimeError> {
        let config = Config {
            seed: setup.seed,
            date: setup.date,
            until: setup.end,
            teams: vec![team.to_owned()],
            actions: Vec::new(),
        };
        let sim = Simulation::new(scenario, config).map_err(RuntimeError)?;
        let stream = Stream::new(rules, correlations.clone()).map_err(|e| RuntimeError(e.join("; ")))?;
        Ok(TeamRuntime {
            team: team.to_owned(),
            sim,
            store: Store::new(),
            stream,
            rules,
            correlations,
            team_rules: Vec::new(),
            pending_rules: std::collections::VecDeque::new(),
            failed_rules: Vec::new(),
            alerts: Vec::new(),
            rules_on: Vec::new(),
            switches: Vec::new(),
            alert_rule: Vec::new(),
            rules_seen: Vec::new(),
            rule_places: std::collections::HashMap::new(),
            twins: Vec::new(),
            second_sightings: 0,
            unpaired: std::collections::VecDeque::new(),
            refused: 0,
            holds: Vec::new(),
        })
    }

    pub fn team(&self) -> &str {
        &self.team
    }

    /// Unix milliseconds of the start of play.
    pub fn start_unix_ms(&self) -> i64 {
        self.sim.clock().unix_ms(0)
    }

    /// Exercise time the team's world has been simulated to.
    pub fn reached(&self) -> Millis {
        self.sim.now()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The rules shared by every team (not the team's own).
    pub fn rules(&self) -> &'a RuleSet {
        self.rules
    }

    /// The team's alerts in the order raised: only ever appended, and in event order (their
    /// `row`s never decrease), which pages rely on to find an event's alerts by halving.
    pub fn alerts(&self) -> &[Alert] {
        &self.alerts
    }

    /// For each alert (by index), its rule's place in [`TeamRuntime::rules_seen`]: pages that
    /// sift hundreds of thousands of alerts compare these numbers, not the rules' texts.
    pub fn alert_rules(&self) -> &[u32] {
        &self.alert_rule
    }

    /// The rules the team's alerts came from, each once: (key as verdicts store it — the
    /// rule's id, or its title when it has none — and title).
    pub fn rules_seen(&self) -> &[(String, String)] {
        &self.rules_seen
    }

    /// For each alert (by index), the alert that saw the same process start through the other
    /// log: one process seen by Sysmon (event 1) and by Security auditing (event 4688), on the
    /// same host with the same image and command line within [`TWIN_WINDOW`], raises the same
    /// rule twice. The two are one detection: the queue shows the first and the alert's page
    /// both events, and a verdict on either is a verdict on both.
    pub fn twins(&self) -> &[Option<u32>] {
        &self.twins
    }

    /// How many detections the alerts make: a process seen twice counts once (the queue's rows,
    /// suppressed ones included).
    pub fn detections(&self) -> usize {
        self.alerts.len() - self.second_sightings
    }

    /// Whether alert `i` is the second sighting of a process start whose first sighting is
    /// another alert: the queue lists the first only.
    pub fn is_second_sighting(&self, i: usize) -> bool {
        self.twins.get(i).copied().flatten().is_some_and(|t| (t as usize) < i)
    }

    /// Takes a team action (or records an exercise fact) from exercise time `action.at` on,
    /// which must not be before the time reached.
    pub fn act(&mut self, action: Action) -> Result<(), RuntimeError> {
        if action.team != self.team {
            return Err(RuntimeError(format!(
                "an action of team `{}` cannot be taken in team `{}`'s world",
                action.team, self.team
            )));
        }
        self.sim.add_action(action).map_err(RuntimeError)
    }

    /// Which shared rules raise alerts from the start of play (by index in the set); the others
    /// only run, so that the white cell can turn them on later. Called before the world moves.
    pub fn rules_on_at_start(&mut self, on: Vec<bool>) {
        self.rules_on = on;
    }

    /// Turns shared rule `index` on or off from exercise time `at`, which must not be before
    /// the time reached (the white cell's change, stored and replayed like an action).
    pub fn switch_rule(&mut self, index: usize, on: bool, at: Millis) -> Result<(), RuntimeError> {
        if index >= self.rules.len() {
            return Err(RuntimeError(format!("there is no shared rule {index}")));
        }
        if at < self.reached() {
            return Err(RuntimeError(
                "a rule cannot be switched before the time the world has reached".to_owned(),
            ));
        }
        self.switches.push((index, at, on));
        Ok(())
    }

    /// Whether shared rule `index` raises alerts at exercise time `at`.
    fn raises(&self, index: usize, at: Millis) -> bool {
        let mut on = self.rules_on.get(index).copied().unwrap_or(true);
        for &(i, from, state) in &self.switches {
            if i == index && from <= at {
                on = state;
            }
        }
        on
    }

    /// Turns on the team's rule `id` (its one rule compiled alone into `set`) from exercise
    /// time `from`, which must not be before the time reached: a rule sees the events from
    /// the moment it is turned on, as in a real SIEM, and a restart gives the same alerts.
    pub fn add_rule(&mut self, id: i64, set: RuleSet, from: Millis) -> Result<(), RuntimeError> {
        if from < self.reached() {
            return Err(RuntimeError(format!(
                "rule {id} cannot be turned on before the time the world has reached"
            )));
        }
        if self.team_rules.iter().any(|r| r.id == id) {
            return Err(RuntimeError(format!("rule {id} is on already")));
        }
        // What it matches in the world so far (it raises alerts only from `from`).
        let mut matched = Vec::new();
        let mut line = String::new();
        for row in 0..self.store.len() as Row {
            line.clear();
            self.store.write_json(row, &mut line);
            if let Ok(event) = atoll_sigma::Event::from_json(&line)
                && !set.matches(&event).is_empty()
            {
                matched.push(row);
            }
        }
        self.team_rules.push(TeamRule {
            id,
            title: set.rules().first().map(|r| r.title.clone()).unwrap_or_default(),
            set: Some(set),
            from,
            until: None,
            matched,
        });
        Ok(())
    }

    /// Turns on the team's stored rule `id` when the world reaches `from` (and off at
    /// `until`), compiling `yaml` with `compile` only then: how a start-up gives the world
    /// the rules its team turned on, in the order and at the times they were. Rules are
    /// given in the order they were turned on.
    pub fn schedule_rule(
        &mut self,
        id: i64,
        yaml: String,
        from: Millis,
        until: Option<Millis>,
        compile: RuleCompiler,
    ) -> Result<(), RuntimeError> {
        if from < self.reached() {
            return Err(RuntimeError(format!(
                "rule {id} cannot be turned on before the time the world has reached"
            )));
        }
        let place = self.pending_rules.partition_point(|p| p.from <= from);
        self.pending_rules.insert(
            place,
            PendingRule {
                id,
                yaml,
                from,
                until,
                compile,
            },
        );
        Ok(())
    }

    /// Stored rules that could not be turned on again when the world reached them, with why,
    /// since the last call.
    pub fn take_failed_rules(&mut self) -> Vec<(i64, String)> {
        std::mem::take(&mut self.failed_rules)
    }

    /// How many of the team's rules are on now.
    pub fn rules_on(&self) -> usize {
        self.team_rules.iter().filter(|r| r.until.is_none()).count()
    }

    /// How many of the team's rules hold a compiled form now (those on, and those turned off
    /// at a time the world has not reached yet).
    pub fn rules_compiled(&self) -> usize {
        self.team_rules.iter().filter(|r| r.set.is_some()).count()
    }

    /// Turns the team's rule `id` off from exercise time `at` (not before the time reached).
    pub fn stop_rule(&mut self, id: i64, at: Millis) -> Result<(), RuntimeError> {
        let reached = self.reached();
        let rule = self
            .team_rules
            .iter_mut()
            .find(|r| r.id == id && r.until.is_none())
            .ok_or_else(|| RuntimeError(format!("rule {id} is not on")))?;
        if at < reached {
            return Err(RuntimeError(format!(
                "rule {id} cannot be turned off before the time the world has reached"
            )));
        }
        rule.until = Some(at);
        Ok(())
    }

    /// Keeps the world from moving past exercise time `at` until [`TeamRuntime::release`]:
    /// something that takes effect at `at` is being stored, and must still be takeable when
    /// it has been. `at` is the time reached at least.
    pub fn hold(&mut self, at: Millis) -> Millis {
        let at = at.max(self.reached());
        self.holds.push(at);
        at
    }

    /// Ends a [`TeamRuntime::hold`] at `at`.
    pub fn release(&mut self, at: Millis) {
        if let Some(k) = self.holds.iter().position(|&h| h == at) {
            self.holds.swap_remove(k);
        }
    }

    /// Takes a fact of the exercise (an alert marked true positive, an inject sent by hand, a
    /// question answered, a decision made) at exercise time `action.at`. If the world stands
    /// at that moment (the clock is paused), it moves on by a millisecond so that what the fact
    /// sets off (an inject whose condition now holds) happens now, not when the clock resumes;
    /// otherwise it comes when the world next moves. A hold at `action.at` ends with it.
    pub fn take_fact(&mut self, action: Action) -> Result<(), RuntimeError> {
        let at = action.at;
        self.release(at);
        self.act(action)?;
        if self.reached() >= at {
            self.advance_to(at + 1);
        }
        Ok(())
    }

    /// When the steps and items still to come would happen if all goes as planned
    /// ([`atoll_sim::Simulation::forecast`]), by id.
    pub fn forecast(&self) -> std::collections::HashMap<&'a str, Millis> {
        self.sim.forecast(&self.team)
    }

    /// Takes a team action (or the white cell's change to its campaign) at exercise time
    /// `action.at`, ending a hold there, and brings the world to that moment: what it changes
    /// (a host isolated) shows at once, even while the clock is paused. The world is then at
    /// most a second ahead of the clock (actions go by whole seconds).
    pub fn take_now(&mut self, action: Action) -> Result<(), RuntimeError> {
        let at = action.at;
        self.release(at);
        self.act(action)?;
        self.advance_to(at + 1);
        Ok(())
    }

    /// The injects, questions and decisions that have reached the team so far, oldest first.
    pub fn arrivals(&self) -> Vec<atoll_sim::Arrival<'a>> {
        self.sim.arrivals(&self.team)
    }

    /// The option the team took for each decision so far (its own choice, or the default at
    /// the deadline), with when.
    pub fn decisions(&self) -> Vec<(&'a str, &'a str, Millis)> {
        self.sim.decisions(&self.team)
    }

    /// Simulates the team's world up to exercise time `to` (or the earliest time held),
    /// indexing every new event and raising alerts. Returns how many events were added.
    pub fn advance_to(&mut self, to: Millis) -> u64 {
        let to = self.holds.iter().copied().min().map_or(to, |h| to.min(h));
        let mut added = 0;
        while let Some(next) = self.pending_rules.front()
            && next.from <= to
        {
            added += self.advance_events(next.from);
            let Some(rule) = self.pending_rules.pop_front() else {
                break;
            };
            let turned_on = (rule.compile)(&rule.yaml)
                .map_err(RuntimeError)
                .and_then(|set| self.add_rule(rule.id, set, rule.from));
            let turned_off = match (turned_on, rule.until) {
                (Ok(()), Some(until)) => self.stop_rule(rule.id, until),
                (other, _) => other,
            };
            if let Err(e) = turned_off {
                self.failed_rules.push((rule.id, e.0));
            }
        }
        added + self.advance_events(to)
    }

    /// Moves the simulation to `to` and takes in what it wrote; drops the compiled form of
    /// each team rule turned off by then.
    fn advance_events(&mut self, to: Millis) -> u64 {
        self.sim.advance_to(to);
        let output = std::mem::take(self.sim.take_output());
        let start = self.sim.clock().unix_ms(0);
        let mut added = 0;
        for line in output.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let Ok(line) = std::str::from_utf8(line) else {
                self.refused += 1;
                continue;
            };
            let Ok(row) = self.store.push_json(line) else {
                self.refused += 1;
                continue;
            };
            added += 1;
            if let Ok(event) = atoll_sigma::Event::from_json(line) {
                let at = (self.store.times()[row as usize] - start).max(0) as Millis;
                self.raise(&event, row, at);
            }
        }
        let buffer = self.sim.take_output();
        *buffer = output;
        buffer.clear();
        let reached = self.reached();
        for rule in &mut self.team_rules {
            if rule.until.is_some_and(|until| until <= reached) {
                rule.set = None;
            }
        }
        added
    }

    /// Adds an alert, noting its rule's place among the rules seen and, for a process start
    /// (`start`), pairing it with its twin from the other log.
    fn push_alert(&mut self, alert: Alert, start: Option<&ProcessStart>) {
        let key = (
            alert.rule_id.clone().unwrap_or_else(|| alert.title.clone()),
            alert.title.clone(),
        );
        let next = self.rules_seen.len() as u32;
        let place = *self.rule_places.entry(key.clone()).or_insert(next);
        if place == next {
            self.rules_seen.push(key);
        }
        self.alert_rule.push(place);
        let index = self.alerts.len() as u32;
        let at = alert.at;
        self.alerts.push(alert);
        self.twins.push(None);
        while self.unpaired.front().is_some_and(|(t, _, _)| t + TWIN_WINDOW < at) {
            self.unpaired.pop_front();
        }
        let Some(start) = start else {
            return;
        };
        let found = self.unpaired.iter().position(|(t, other, seen)| {
            t.abs_diff(at) <= TWIN_WINDOW
                && self.alert_rule[*other as usize] == place
                && seen.sysmon != start.sysmon
                && seen.same_process(start)
        });
        match found.and_then(|k| self.unpaired.remove(k)) {
            Some((_, other, _)) => {
                self.twins[other as usize] = Some(index);
                self.twins[index as usize] = Some(other);
                self.second_sightings += 1;
            }
            None => self.unpaired.push_back((at, index, start.clone())),
        }
    }

    fn raise(&mut self, event: &atoll_sigma::Event<'_>, row: Row, at: Millis) {
        let host = event.get("host").and_then(|v| v.text()).map(|h| h.into_owned());
        let start = ProcessStart::of(event, &host);
        let start = start.as_ref();
        let out = self.stream.push(event);
        let rules = self.rules;
        let raising: Vec<usize> = out.rules.iter().copied().filter(|&i| self.raises(i, at)).collect();
        for i in raising {
            let rule = &rules.rules()[i];
            self.push_alert(rule_alert(rule, rule.id.clone(), at, row, &host), start);
        }
        for hit in &out.correlations {
            let c = &self.correlations[hit.correlation];
            let group: Vec<String> = hit.group.iter().map(|(k, v)| format!("{k}={v}")).collect();
            self.push_alert(
                Alert {
                    at,
                    row,
                    rule_id: c.id.clone(),
                    title: c.title.clone(),
                    level: c.level,
                    author: c.author.clone(),
                    techniques: Vec::new(),
                    tactics: Vec::new(),
                    host: host.clone(),
                    detail: Some(format!("{}, count {}", group.join(", "), hit.count)),
                },
                None,
            );
        }
        let mut raised = Vec::new();
        for team_rule in &mut self.team_rules {
            // A rule turned off sees nothing more.
            let Some(set) = team_rule
                .set
                .as_ref()
                .filter(|_| team_rule.until.is_none_or(|until| at < until))
            else {
                continue;
            };
            let hits = set.matches(event);
            if !hits.is_empty() {
                team_rule.matched.push(row);
            }
            if at < team_rule.from {
                continue;
            }
            for i in hits {
                let id = format!("{TEAM_RULE}{}", team_rule.id);
                raised.push(rule_alert(&set.rules()[i], Some(id), at, row, &host));
            }
        }
        for alert in raised {
            self.push_alert(alert, start);
        }
    }

    /// The rules the team wrote, in the order turned on, with what each matches.
    pub fn team_rules(&self) -> Vec<TeamRuleTruth<'_>> {
        self.team_rules
            .iter()
            .map(|r| TeamRuleTruth {
                id: r.id,
                title: &r.title,
                from: r.from,
                until: r.until,
                matched: &r.matched,
            })
            .collect()
    }

    /// Lines the store refused so far (0 unless the simulation wrote something unreadable).
    pub fn refused(&self) -> u64 {
        self.refused
    }

    /// What each campaign step did so far, and each service's availability (the simulation's
    /// ground truth, for scoring and the after-action report).
    pub fn truth(&self) -> Vec<serde_json::Value> {
        self.sim.truth()
    }

    /// What a campaign step requires that does not hold in this team's world at `at`.
    pub fn unmet_requirement(&self, step: &str, at: Millis) -> Option<String> {
        self.sim.unmet_requirement(&self.team, step, at)
    }

    /// The campaign steps of this team's world as they stand, typed.
    pub fn outcomes(&self) -> Vec<atoll_sim::StepOutcome<'_>> {
        self.sim.outcomes()
    }

    /// This team's world as it stands (hosts and their state, accounts, services).
    pub fn world(&self) -> Option<&atoll_sim::world::World<'a>> {
        self.sim.world(&self.team)
    }

    /// How long each service of this team's world was down up to exercise time `to`.
    pub fn downtime(&self, to: Millis) -> Vec<atoll_sim::Downtime<'a>> {
        self.sim.downtime(to)
    }
}

/// How far apart in exercise time the two sightings of one process start may be (a campaign
/// step writes its events up to 4 s apart).
pub const TWIN_WINDOW: Millis = 5_000;

/// A process start as one log saw it: Sysmon event 1 or Security event 4688.
#[derive(Debug, Clone)]
struct ProcessStart {
    sysmon: bool,
    host: String,
    /// The image, lower-cased (Windows paths are not case-sensitive).
    image: String,
    command_line: String,
}

impl ProcessStart {
    fn of(event: &atoll_sigma::Event<'_>, host: &Option<String>) -> Option<ProcessStart> {
        let text = |field: &str| event.get(field).and_then(|v| v.text()).map(|t| t.into_owned());
        let id = text("EventID")?;
        let (sysmon, image) = match (text("log")?.as_str(), id.as_str()) {
            ("sysmon", "1") => (true, "Image"),
            ("security", "4688") => (false, "NewProcessName"),
            _ => return None,
        };
        Some(ProcessStart {
            sysmon,
            host: host.clone()?,
            image: text(image)?.to_lowercase(),
            command_line: text("CommandLine")?,
        })
    }

    fn same_process(&self, other: &ProcessStart) -> bool {
        self.host == other.host && self.image == other.image && self.command_line == other.command_line
    }
}

/// ATT&CK technique ids from Sigma tags.
pub fn techniques(tags: &[String]) -> Vec<String> {
    tags.iter()
        .filter_map(|t| t.strip_prefix("attack.t"))
        .filter(|rest| rest.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .map(|rest| format!("T{}", rest.to_ascii_uppercase()))
        .collect()
}

/// ATT&CK tactics from Sigma tags: the `attack.` tags that are words, not techniques, groups
/// or software (`attack.g0096`, `attack.s0002`).
pub fn tactics(tags: &[String]) -> Vec<String> {
    tags.iter()
        .filter_map(|t| t.strip_prefix("attack."))
        .filter(|rest| {
            let mut chars = rest.chars();
            let first = chars.next();
            let second = chars.next();
            !(matches!(first, Some('t' | 'g' | 's')) && second.is_some_and(|c| c.is_ascii_digit()))
        })
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn technique_tags() {
        let tags = [
            "attack.credential-access",
            "attack.t1003.003",
            "attack.t1059",
            "cve.2021-44228",
        ]
        .map(String::from);
        assert_eq!(super::techniques(&tags), ["T1003.003", "T1059"]);
        let tags = [
            "attack.credential-access",
            "attack.t1003.003",
            "attack.g0096",
            "attack.s0002",
            "attack.defense-evasion",
        ]
        .map(String::from);
        assert_eq!(super::tactics(&tags), ["credential-access", "defense-evasion"]);
    }
}
