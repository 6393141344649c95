//! The running exercise in memory: the clock and every team's runtime, advanced once a second.
//!
//! The clock and each team have their own lock, so one team's long hunt holds up only that
//! team. Locks are taken clock first, then a team, never the other way round, and never two
//! teams at once.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use atoll_exercise::{Clock, ExerciseMs, Setup, TeamRuntime, UnixMs};
use atoll_scenario::Scenario;
use atoll_sigma::{Correlation, RuleSet};
use atoll_sim::Action;
use atoll_sim::actions::ACTIONS;

use crate::Wall;

/// One exercise as it runs.
#[derive(Debug)]
pub struct Live {
    pub exercise: i64,
    pub name: String,
    pub scenario: &'static Scenario,
    clock: Mutex<Clock>,
    /// A copy of the clock as last changed, for readers: `clock` stays locked while a change
    /// brings every world up to date (seconds, for a jump), and no page should wait for that.
    shown: Mutex<Clock>,
    /// Every player team, in the scenario's order.
    teams: Vec<Mutex<TeamRuntime<'static>>>,
    /// Exercise time to UTC, for reading actions.
    sim_clock: atoll_sim::clock::Clock,
    /// Day 1 of the exercise, for writing exercise times (`D1 09:23`).
    day_one: jiff::civil::Date,
    /// Teams' rules that could not be turned on again at start-up, by id, with why: the
    /// rules page says so instead of showing them on.
    failed_rules: Mutex<std::collections::BTreeMap<i64, String>>,
    /// Every rule the server could run and the exercise's choice among them, when the
    /// server was given them: alert pages show the rule's file, the rules page each decision.
    detection: Option<(&'static atoll_rules::Catalog, &'static atoll_rules::Selected)>,
    /// Where it reads the wall clock: the system's, or one a test moves.
    wall: Wall,
    /// Whether the teams see the scoreboard (stored; kept here for every page's navigation).
    scoreboard: std::sync::atomic::AtomicBool,
    /// Whether the teams may read their after-action reports (stored; kept here likewise).
    report: std::sync::atomic::AtomicBool,
    /// For each team, whether its world has caught up with the clock after a start
    /// ([`Live::begin_rebuild`], [`Live::rebuild`]): until it has, the tick leaves it to the
    /// rebuild, and nothing a request does waits for the whole of it.
    rebuilt: Vec<AtomicBool>,
}

/// How far a world being rebuilt moves while holding its lock: a few tens of milliseconds of
/// work, so that a request for that team waits no longer than that.
const REBUILD_SLICE: u64 = 5 * 60 * 1000;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere leaves the data as it was between whole operations.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Live {
    /// Builds every player team's runtime; the worlds are advanced to the clock by [`Live::tick`].
    pub fn new(
        exercise: i64,
        name: String,
        scenario: &'static Scenario,
        setup: &Setup,
        clock: Clock,
        rules: &'static RuleSet,
        correlations: &[Correlation],
    ) -> Result<Live, String> {
        let teams = scenario
            .player_teams()
            .map(|t| {
                TeamRuntime::new(scenario, setup, &t.id.name, rules, correlations.to_vec())
                    .map(Mutex::new)
                    .map_err(|e| e.0)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let sim_clock = atoll_sim::clock::Clock::new(&scenario.time_zone.0, setup.date, scenario.start.value)?;
        let rebuilt = teams.iter().map(|_| AtomicBool::new(true)).collect();
        Ok(Live {
            exercise,
            name,
            scenario,
            clock: Mutex::new(clock),
            shown: Mutex::new(clock),
            teams,
            sim_clock,
            day_one: setup.date,
            failed_rules: Mutex::new(std::collections::BTreeMap::new()),
            detection: None,
            wall: Wall::system(),
            scoreboard: AtomicBool::new(false),
            report: AtomicBool::new(false),
            rebuilt,
        })
    }

    /// The same exercise reading the wall clock from `wall` (a test's, which it moves by hand).
    pub fn with_wall(mut self, wall: Wall) -> Live {
        self.wall = wall;
        self
    }

    /// Whether the teams see the scoreboard, as last stored.
    pub fn scoreboard_shown(&self) -> bool {
        self.scoreboard.load(Ordering::Relaxed)
    }

    /// Notes that the teams see the scoreboard (`true`) or not, once stored.
    pub fn set_scoreboard_shown(&self, shown: bool) {
        self.scoreboard.store(shown, Ordering::Relaxed);
    }

    /// Whether the teams may read their after-action reports, as last stored.
    pub fn report_released(&self) -> bool {
        self.report.load(Ordering::Relaxed)
    }

    /// Notes that the teams may read their reports (`true`) or not, once stored.
    pub fn set_report_released(&self, released: bool) {
        self.report.store(released, Ordering::Relaxed);
    }

    /// Wall-clock Unix milliseconds now, as this exercise reads them.
    pub fn wall_now(&self) -> i64 {
        self.wall.now()
    }

    /// The wall clock this exercise reads.
    pub fn wall(&self) -> &Wall {
        &self.wall
    }

    /// The catalog the exercise's rules were chosen from, and the choice: the rules page lists
    /// every rule with its decision, an alert's page shows its rule's file.
    #[must_use]
    pub fn with_detection(
        mut self,
        catalog: &'static atoll_rules::Catalog,
        selected: &'static atoll_rules::Selected,
    ) -> Live {
        for team in &self.teams {
            lock(team).rules_on_at_start(selected.on.clone());
        }
        self.detection = Some((catalog, selected));
        self
    }

    /// The index in the shared set of the rule with id `rule`.
    pub fn shared_rule(&self, rule: &str) -> Option<usize> {
        let (_, selected) = self.detection?;
        selected.set.rules().iter().position(|r| r.id.as_deref() == Some(rule))
    }

    /// Turns shared rule `rule` (its id) on or off for every team from exercise time `at`.
    pub fn switch_rule(&self, rule: &str, on: bool, at: u64) -> Result<(), String> {
        let index = self
            .shared_rule(rule)
            .ok_or_else(|| format!("rule: no rule has the id `{rule}`"))?;
        for team in &self.teams {
            lock(team).switch_rule(index, on, at).map_err(|e| e.0)?;
        }
        Ok(())
    }

    /// Takes the white cell's stored rule switches again, before the worlds move. Returns what
    /// could not be taken (a rule this server no longer has, from a folder no longer given),
    /// for the log: the rest of the exercise runs regardless.
    pub fn replay_switches(&self, switches: &[atoll_store::RuleSwitch]) -> Vec<String> {
        switches
            .iter()
            .filter_map(|s| self.switch_rule(&s.rule, s.on, s.at).err())
            .collect()
    }

    /// The catalog and the exercise's choice among its rules, if the server was given them.
    pub fn detection(&self) -> Option<(&'static atoll_rules::Catalog, &'static atoll_rules::Selected)> {
        self.detection
    }

    /// Advances every team to the clock's time. Returns the clock when it changed state (play
    /// reached its planned end), for the caller to store.
    pub fn tick(&self, wall: i64) -> Option<Clock> {
        let (now, settled) = {
            let mut clock = lock(&self.clock);
            let settled = clock.settle(wall);
            if settled {
                *lock(&self.shown) = *clock;
            }
            (clock.now(wall), settled.then_some(*clock))
        };
        self.advance_rebuilt(now);
        settled
    }

    /// Advances every world that has caught up with the clock to `now`; those still being
    /// rebuilt follow the clock as they go.
    fn advance_rebuilt(&self, now: u64) {
        for (team, _) in self
            .teams
            .iter()
            .zip(&self.rebuilt)
            .filter(|(_, r)| r.load(Ordering::Acquire))
        {
            self.advance_team(&mut lock(team), now);
        }
    }

    /// Marks every team's world as still to be rebuilt: called once at start-up, after the
    /// stored record is replayed and before the server listens, when the worlds stand at the
    /// start of play while the clock may be days on. [`Live::rebuild`] then brings them up.
    pub fn begin_rebuild(&self) {
        for rebuilt in &self.rebuilt {
            rebuilt.store(false, Ordering::Release);
        }
    }

    /// Brings every world still to be rebuilt up to the clock, on `workers` threads at once
    /// (one team each at a time), a slice of exercise time per turn of its lock: pages and
    /// actions for a team wait a slice at most, never the whole rebuild. What a team does
    /// meanwhile is stored and queued in its world at its time, as a replay would be
    /// ([`Live::take_now`]); the rebuild reaches it in order. Returns when every world has
    /// caught up; from then on the tick moves them.
    pub fn rebuild(&self, workers: usize) {
        self.each_team(workers, |index| self.rebuild_team(index));
    }

    /// Brings every world that has caught up with the clock to exercise time `to`, teams in
    /// parallel (one per core), a slice at a time.
    fn catch_up(&self, to: u64) {
        let workers = std::thread::available_parallelism().map_or(1, usize::from);
        self.each_team(workers, |index| {
            if !self.is_rebuilt(index) {
                return;
            }
            loop {
                let mut team = lock(&self.teams[index]);
                let from = team.reached();
                let slice = (from + REBUILD_SLICE).min(to);
                self.advance_team(&mut team, slice);
                if slice >= to || team.reached() <= from {
                    break;
                }
                drop(team);
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        });
    }

    /// Runs `work` for every team, on `workers` threads at once, one team each at a time.
    fn each_team(&self, workers: usize, work: impl Fn(usize) + Sync) {
        let next = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..workers.clamp(1, self.teams.len().max(1)) {
                scope.spawn(|| {
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        if index >= self.teams.len() {
                            break;
                        }
                        work(index);
                    }
                });
            }
        });
    }

    fn rebuild_team(&self, index: usize) {
        let started = std::time::Instant::now();
        loop {
            let now = self.now();
            let mut team = lock(&self.teams[index]);
            let from = team.reached();
            if from + REBUILD_SLICE >= now {
                // The last stretch, under the lock: from here the tick takes over.
                self.advance_team(&mut team, now);
                self.rebuilt[index].store(true, Ordering::Release);
                tracing::info!(
                    team = team.team(),
                    reached = now,
                    events = team.store().len(),
                    seconds = started.elapsed().as_secs_f64(),
                    "a team's world is rebuilt"
                );
                return;
            }
            self.advance_team(&mut team, from + REBUILD_SLICE);
            let moved = team.reached() > from;
            drop(team);
            // Let whoever waits for the lock have it before the next slice; a world held at
            // a time (a write in progress) waits for its release.
            std::thread::sleep(std::time::Duration::from_millis(if moved { 1 } else { 5 }));
        }
    }

    /// Teams whose worlds are still being rebuilt after a start, and how many there are.
    pub fn rebuilding(&self) -> (usize, usize) {
        let waiting = self.rebuilt.iter().filter(|r| !r.load(Ordering::Acquire)).count();
        (waiting, self.rebuilt.len())
    }

    /// Whether team `index`'s world has caught up with the clock (false while it is rebuilt).
    pub fn is_rebuilt(&self, index: usize) -> bool {
        self.rebuilt.get(index).is_none_or(|r| r.load(Ordering::Acquire))
    }

    /// Takes a team's action (or the white cell's change to its campaign) at `action.at`,
    /// ending a hold there: a world that has caught up moves to that moment so that what it
    /// changes shows at once; a world still being rebuilt queues it, and reaches it in order.
    pub fn take_now(&self, index: usize, action: Action) -> Result<(), String> {
        let mut team = self.team(index);
        if self.is_rebuilt(index) {
            team.take_now(action).map_err(|e| e.0)
        } else {
            team.release(action.at);
            team.act(action).map_err(|e| e.0)
        }
    }

    /// The clock as it is (as it was before a change still in progress): never waits for the
    /// worlds to catch up.
    pub fn clock(&self) -> Clock {
        *lock(&self.shown)
    }

    /// When play ended (exercise time), if it has: the white cell ended it, or the clock ran
    /// to the planned end (even if the clock's tick has not stored that yet).
    pub fn ended(&self) -> Option<u64> {
        let mut clock = self.clock();
        clock.settle(self.wall.now());
        match clock.state {
            atoll_exercise::State::Ended { at } => Some(at),
            _ => None,
        }
    }

    /// An exercise time as people read it (`D1 09:23`).
    pub fn when(&self, at: ExerciseMs) -> String {
        self.label(self.unix(at))
    }

    /// The moment exercise time `at` falls on.
    pub fn unix(&self, at: ExerciseMs) -> UnixMs {
        UnixMs(self.start_unix_ms() + at.0 as i64)
    }

    /// The exercise's calendar: day 1 and the scenario's time zone, for reading and writing
    /// `D2 08:30` in hunts.
    pub fn calendar(&self) -> Option<atoll_hunt::Calendar> {
        atoll_hunt::Calendar::of(self.day_one, &self.scenario.time_zone.0)
    }

    /// Changes the clock with `change`; every world first catches up to the old clock's time.
    /// Returns the clocks before and after.
    pub fn change_clock<E>(
        &self,
        wall: i64,
        change: impl FnOnce(&mut Clock) -> Result<(), E>,
    ) -> Result<(Clock, Clock), E> {
        let mut clock = lock(&self.clock);
        let before = *clock;
        let mut after = before;
        change(&mut after)?;
        let now = before.now(wall);
        self.advance_rebuilt(now);
        let to = after.now(wall);
        if to > now {
            // A jump: the worlds reach its time before the clock counts on from there, so
            // that the time they take is not taken from play. Pages meanwhile show the clock
            // as it was, and get a team's lock between slices.
            self.catch_up(to);
            after.count_from(self.wall.now());
        }
        *clock = after;
        *lock(&self.shown) = after;
        Ok((before, after))
    }

    /// Puts a clock back (a change that could not be stored).
    pub fn restore_clock(&self, clock: Clock) {
        let mut current = lock(&self.clock);
        *current = clock;
        *lock(&self.shown) = clock;
    }

    /// One team's runtime, locked.
    pub fn team(&self, index: usize) -> MutexGuard<'_, TeamRuntime<'static>> {
        lock(&self.teams[index])
    }

    /// One team's runtime, locked, its world brought to the clock's time first (it is at most
    /// a tick behind): for pages that say what has reached the team by now. A world still
    /// being rebuilt after a start is shown as far as it has come.
    pub fn team_now(&self, index: usize) -> MutexGuard<'_, TeamRuntime<'static>> {
        let now = self.now();
        let mut team = lock(&self.teams[index]);
        if self.is_rebuilt(index) {
            self.advance_team(&mut team, now);
        }
        team
    }

    /// An action at exercise time `at` (whole seconds), checked against the scenario as an
    /// actions file line would be: the host, account, address, service or step must make
    /// sense. `target` holds the action's fields in the simulation's order, one per line
    /// (`vt-stage` for `skip_step`, `vt-stage\n30m` for `delay_step`). Which actions a
    /// request may take is the handler's to decide.
    pub fn action(&self, team: &str, at: u64, action: &str, target: &str) -> Result<Action, String> {
        let needs = ACTIONS
            .iter()
            .find(|(word, _)| *word == action)
            .map(|(_, needs)| *needs)
            .ok_or_else(|| format!("action: `{action}` is not an action"))?;
        let values: Vec<&str> = target.split('\n').collect();
        if values.len() != needs.len() {
            return Err(format!("action: `{action}` takes {}", needs.join(" and ")));
        }
        let mut fields = serde_json::Map::new();
        fields.insert("at".into(), format!("+{}s", at / 1000).into());
        fields.insert("team".into(), team.into());
        fields.insert("action".into(), action.into());
        for (field, value) in needs.iter().zip(values) {
            fields.insert((*field).into(), value.trim().into());
        }
        let line = serde_json::Value::Object(fields).to_string();
        match atoll_sim::actions::parse(&line, self.scenario, &self.sim_clock) {
            Ok(mut actions) if actions.len() == 1 => Ok(actions.remove(0)),
            Ok(_) => Err("the action could not be read".to_owned()),
            Err(errors) => Err(errors.into_iter().map(|e| e.message).collect::<Vec<_>>().join("; ")),
        }
    }

    /// Takes the stored actions again, in their order, before the worlds move: after a
    /// restart, every world is where the actions left it.
    pub fn replay(&self, actions: &[atoll_store::ActionRecord]) -> Result<(), String> {
        for record in actions {
            let action = self.action(&record.team, record.at, &record.action, &record.target)?;
            let index = self
                .scenario
                .player_teams()
                .position(|t| t.id.name == record.team)
                .ok_or_else(|| format!("stored action {}: no team `{}`", record.id, record.team))?;
            self.team(index)
                .act(action)
                .map_err(|e| format!("stored action {}: {e}", record.id))?;
        }
        Ok(())
    }

    /// The exercise time a fact about team `index` (an alert marked true positive, an inject
    /// sent, a question answered) takes effect at: now, never before the time its world
    /// reached. The world waits there until [`Live::take_fact`] or [`Live::release`], so that
    /// the fact, once stored, can still be taken at exactly the time stored. Takes the team's
    /// lock.
    pub fn hold(&self, index: usize) -> u64 {
        let now = self.now();
        self.team(index).hold(now)
    }

    /// Ends a [`Live::hold`] whose fact could not be stored.
    pub fn release(&self, index: usize, at: u64) {
        self.team(index).release(at);
    }

    /// Gives team `index`'s world a fact at the time held for it ([`Live::hold`]), and brings
    /// the world to that moment: an inject whose condition it meets arrives even while the
    /// clock is paused.
    pub fn take_fact(&self, index: usize, at: u64, kind: atoll_sim::ActionKind) -> Result<(), String> {
        let action = Action {
            at,
            team: self.team_id(index),
            kind,
            line: 0,
        };
        self.team(index).take_fact(action).map_err(|e| e.0)
    }

    /// Gives every world again, before the worlds move, the facts stored: steps detected,
    /// injects sent by hand (team, inject, time) and questions answered (team, question, time).
    /// After a restart, injects, questions and steps that wait on them come at the same moment.
    pub fn replay_facts(
        &self,
        detections: &[atoll_store::Detection],
        sent: &[(String, String, u64)],
        answered: &[(String, String, u64)],
    ) -> Result<(), String> {
        use atoll_sim::ActionKind;
        let facts = detections
            .iter()
            .map(|d| (&d.team, d.at, ActionKind::Detected(d.step.clone())))
            .chain(
                sent.iter()
                    .map(|(team, inject, at)| (team, *at, ActionKind::Delivered(inject.clone()))),
            )
            .chain(
                answered
                    .iter()
                    .map(|(team, q, at)| (team, *at, ActionKind::Answered(q.clone()))),
            );
        for (team, at, kind) in facts {
            let Some(index) = self.scenario.player_teams().position(|t| &t.id.name == team) else {
                return Err(format!("a stored {} fact names no team `{team}`", kind.name()));
            };
            let action = Action {
                at,
                team: team.clone(),
                kind,
                line: 0,
            };
            self.team(index).act(action).map_err(|e| e.0)?;
        }
        Ok(())
    }

    /// Gives each team's world the rules its team wrote, to turn on (and off where they were)
    /// at the times they were, before the worlds move: each is compiled only when its world
    /// reaches the time it was turned on, and dropped when turned off, so that a rebuild holds
    /// no more compiled rules at once than play did. Returns what could not be given (a rule
    /// of no team), for the log; a rule that fails to compile then is listed by
    /// [`Live::rule_problem`] and the rest of the exercise runs regardless.
    pub fn replay_rules(&self, rules: &[atoll_store::TeamRule]) -> Vec<String> {
        let mut problems = Vec::new();
        for rule in rules {
            let Some(index) = self.scenario.player_teams().position(|t| t.id.name == rule.team) else {
                problems.push(format!("team rule {}: no team `{}`", rule.id, rule.team));
                continue;
            };
            let off = rule.off.as_ref().map(|(at, _)| *at);
            if let Err(e) =
                self.team(index)
                    .schedule_rule(rule.id, rule.yaml.clone(), rule.at, off, crate::rules::compile_stored)
            {
                lock(&self.failed_rules).insert(rule.id, e.to_string());
                problems.push(format!("team rule {} «{}»: {e}", rule.id, rule.title));
            }
        }
        problems
    }

    /// Why a team's rule could not be turned on again at start-up, if it could not.
    pub fn rule_problem(&self, id: i64) -> Option<String> {
        lock(&self.failed_rules).get(&id).cloned()
    }

    /// Advances one team's world (locked) to `to`, keeping what its stored rules could not do.
    fn advance_team(&self, team: &mut TeamRuntime<'static>, to: u64) {
        team.advance_to(to);
        let failed = team.take_failed_rules();
        if !failed.is_empty() {
            let mut known = lock(&self.failed_rules);
            for (id, why) in failed {
                tracing::warn!(
                    team = team.team(),
                    rule = id,
                    why,
                    "a stored team rule could not be turned on again"
                );
                known.insert(id, why);
            }
        }
    }

    /// The id of player team `index` (`palau`).
    pub fn team_id(&self, index: usize) -> String {
        self.scenario
            .player_teams()
            .nth(index)
            .map(|t| t.id.name.clone())
            .unwrap_or_default()
    }

    /// The display name of the team with id `team` (the id itself if there is none).
    pub fn team_name_of<'t>(&self, team: &'t str) -> &'t str {
        let scenario: &'static Scenario = self.scenario;
        scenario
            .player_teams()
            .find(|t| t.id.name == team)
            .map_or(team, |t| t.name.get("en"))
    }

    /// The name of player team `index`, as players read it (`Palau`).
    pub fn team_name(&self, index: usize) -> &'static str {
        let scenario: &'static Scenario = self.scenario;
        scenario.player_teams().nth(index).map_or("", |t| t.name.get("en"))
    }

    /// Exercise time to UTC and back.
    pub fn sim_clock(&self) -> &atoll_sim::clock::Clock {
        &self.sim_clock
    }

    /// Unix milliseconds of the start of play.
    pub fn start_unix_ms(&self) -> i64 {
        self.sim_clock.unix_ms(0)
    }

    /// Exercise time now, on the wall clock.
    pub fn now(&self) -> u64 {
        self.clock().now(self.wall.now())
    }

    /// The first day of play, in the exercise's time zone.
    pub fn day_one(&self) -> jiff::civil::Date {
        self.day_one
    }

    /// `D2 08:30` for a moment (an event's time), in the exercise's time zone: the one way
    /// atoll writes a time for people.
    pub fn label(&self, at: UnixMs) -> String {
        let Ok(zone) = jiff::tz::TimeZone::get(&self.scenario.time_zone.0) else {
            return String::new();
        };
        let Ok(ts) = jiff::Timestamp::from_millisecond(at.0) else {
            return String::new();
        };
        let local = ts.to_zoned(zone);
        let day = (local.date() - self.day_one).get_days() + 1;
        format!("D{day} {:02}:{:02}", local.hour(), local.minute())
    }
}
