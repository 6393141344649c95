//! The run: one queue of timed work over every team's world.
//!
//! Everything that happens is an entry in one priority queue ordered by (time, class, team,
//! index): team actions first, then campaign steps coming due, then the events steps left
//! behind, beacons, and benign generators. Popping an entry may write event lines and push
//! new entries; nothing ever happens out of time order, and nothing reads the wall clock.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;

use atoll_scenario::Scenario;
use atoll_scenario::decode::FieldValue;
use atoll_scenario::model::{Consequence, Effect, HostRole, Lookalike, Profile, ProfileKind, Rates, Source};
use atoll_scenario::time::ClockTime;
use jiff::civil::Date;
use serde_json::{Value, json};

use crate::actions::{Action, ActionKind};
use crate::benign::{Activity, Generator};
use crate::campaign::{self, Achieved, C2, Facts, Plan, Status, StepState};
use crate::clock::{Calendar, Clock, HOUR, MINUTE, Millis, SECOND, working_periods};
use crate::event::Event;
use crate::fill::{Actor, Ctx, Filler, next_record};
use crate::items::{Arrival, How, Items, Kind};
use crate::rng::Rng;
use crate::world::{World, channel_index};

/// Working periods of a profile in one time zone, shared by its generators.
type Periods = Arc<[(Millis, Millis)]>;

/// What to simulate.
#[derive(Debug, Clone)]
pub struct Config {
    pub seed: u64,
    /// The calendar date of exercise day 1.
    pub date: Date,
    /// Exercise time to stop at.
    pub until: Millis,
    /// The player teams to simulate; empty means all.
    pub teams: Vec<String>,
    pub actions: Vec<Action>,
}

/// The default date of day 1 when none is given: a Monday, so working days fall as written.
pub const DEFAULT_DATE: Date = Date::constant(2026, 6, 1);

const ACTION: u8 = 0;
const STEP: u8 = 1;
const PENDING: u8 = 2;
const BEACON: u8 = 3;
const GENERATOR: u8 = 4;
/// An inject, question or decision reaching a team (after the work of the same moment).
const ITEM: u8 = 5;
/// An item index meaning "look at the items that wait for a condition again".
const CHECK: u32 = u32::MAX;
/// An action index meaning "re-check service availability" (a rebuild or outage ends).
const RECHECK: u32 = u32::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    time: Millis,
    class: u8,
    team: u32,
    index: u32,
}

/// Where events go: the reusable event, the filler, and the output buffer.
#[derive(Debug)]
pub struct Out<'s> {
    pub ev: Event<'s>,
    filler: Filler,
    /// JSON lines not yet taken by the caller.
    pub buf: Vec<u8>,
    /// Lines written so far (the next line's 0-based number).
    pub lines: u64,
    clock: Clock,
    started: bool,
}

impl<'s> Out<'s> {
    /// Starts an event if the host collects `log`; otherwise the caller builds nothing.
    pub fn start(&mut self, w: &World<'_>, t: Millis, host: usize, log: Source) -> bool {
        self.started = w.collects(host, log);
        if self.started {
            self.ev.reset(t, host, log);
        }
        self.started
    }

    /// Exercise time `t` as UTC text, `2026-06-01T08:30:00Z`, for messages that carry a time.
    pub fn utc_text(&self, t: Millis) -> String {
        jiff::Timestamp::from_millisecond(self.clock.unix_ms(t))
            .map(|ts| ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_default()
    }

    /// Completes and writes the started event; returns its line number.
    pub fn finish(&mut self, w: &mut World<'s>, actor: Actor, rng: &mut Rng) -> Option<u64> {
        if !std::mem::take(&mut self.started) {
            return None;
        }
        let host = self.ev.host;
        let log = self.ev.log;
        let record = match channel_index(log) {
            Some(ch) => {
                let h = &mut w.hosts[host];
                next_record(&mut h.records[ch], &h.fqdn, log)
            }
            None => 0,
        };
        let unix = self.clock.unix_ms(self.ev.time);
        let cx = Ctx {
            world: w,
            host,
            actor,
            unix_ms: unix,
        };
        self.filler.complete(&mut self.ev, cx, rng, record);
        self.ev.write_json(
            &mut self.buf,
            &mut self.filler.cal,
            unix,
            &w.hosts[host].def.hostname,
            w.team,
        );
        let line = self.lines;
        self.lines += 1;
        Some(line)
    }
}

#[derive(Debug)]
enum PValue {
    Text(String),
    Int(i64),
    Bool(bool),
}

/// An event a step left behind, waiting for its time.
#[derive(Debug)]
struct Pending<'s> {
    team: usize,
    step: usize,
    host: usize,
    log: Source,
    fields: Vec<(&'s str, PValue)>,
    actor: Actor,
}

/// An implant calling its command-and-control channel.
#[derive(Debug)]
struct Beacon {
    team: usize,
    c2: C2,
    rng: Rng,
}

#[derive(Debug)]
struct TeamSim<'s> {
    world: World<'s>,
    gens: Vec<Generator>,
    states: Vec<StepState>,
    /// Per campaign: the adversary's memory.
    actors: Vec<campaign::Actor>,
    facts: Facts,
    /// Per service: availability changes (time, up).
    availability: Vec<Vec<(Millis, bool)>>,
    killed: HashMap<usize, Millis>,
    persisted: Vec<bool>,
    /// Per step: how long the white cell put it off, taken when it next comes due.
    delays: HashMap<usize, Millis>,
    /// Per item ([`Items::list`]): when and how it reached the team.
    arrived: Vec<Option<(Millis, How)>>,
    /// Items whose condition has not held yet.
    waiting: Vec<usize>,
    /// Per item: its condition held, and it is on its way.
    triggered: Vec<bool>,
    /// Per decision id: the option taken, and when (the first choice is final).
    decided: HashMap<&'s str, (&'s str, Millis)>,
    /// Steps a decision's `prevent:` took off the plan, with why.
    prevented: HashMap<usize, String>,
}

/// A campaign step in one team's world, as it stands.
#[derive(Debug, Clone)]
pub struct StepOutcome<'a> {
    pub team: &'a str,
    pub step: &'a str,
    pub status: crate::campaign::Status,
    /// Exercise time it ran (or was prevented).
    pub due: Option<Millis>,
    /// Its events: 0-based line numbers of the output.
    pub events: &'a [u64],
    pub reason: Option<&'a str>,
}

/// How long one service of a team's world was down.
#[derive(Debug, Clone)]
pub struct Downtime<'s> {
    pub team: &'s str,
    pub service: &'s atoll_scenario::model::Service,
    pub down: Millis,
    /// Up at the time asked about.
    pub up: bool,
}

/// The share of `of` milliseconds of play that a service down for `down` of them was up, in
/// percent; 100 before play has run at all.
pub fn available_percent(down: Millis, of: Millis) -> f64 {
    if of == 0 {
        100.0
    } else {
        100.0 * of.saturating_sub(down) as f64 / of as f64
    }
}

/// A running simulation.
#[derive(Debug)]
pub struct Simulation<'s> {
    scenario: &'s Scenario,
    plan: Plan<'s>,
    items: Items<'s>,
    clock: Clock,
    seed: u64,
    until: Millis,
    teams: Vec<TeamSim<'s>>,
    actions: Vec<Action>,
    pending: Vec<Option<Pending<'s>>>,
    beacons: Vec<Beacon>,
    queue: BinaryHeap<Reverse<Entry>>,
    out: Out<'s>,
    now: Millis,
    /// The time [`Simulation::advance_to`] has reached: actions may be added from here on.
    reached: Millis,
    done: bool,
}

fn rate(r: &Option<atoll_scenario::time::Rate>) -> f64 {
    r.as_ref().map_or(0.0, |r| r.per_hour)
}

fn activities(rates: &Rates) -> [(Activity, f64); 11] {
    [
        (Activity::Processes, rate(&rates.processes)),
        (Activity::Logons, rate(&rates.logons)),
        (Activity::FailedLogons, rate(&rates.failed_logons)),
        (Activity::Connections, rate(&rates.network_connections)),
        (Activity::DnsQueries, rate(&rates.dns_queries)),
        (Activity::WebRequests, rate(&rates.web_requests)),
        (Activity::Emails, rate(&rates.emails)),
        (Activity::FileWrites, rate(&rates.file_writes)),
        (Activity::AdminCommands, rate(&rates.admin_commands)),
        (Activity::ScheduledJobs, rate(&rates.scheduled_jobs)),
        (Activity::Flows, rate(&rates.flows)),
    ]
}

fn activity_name(a: Activity) -> String {
    match a {
        Activity::Lookalike(l) => format!("lookalike/{}", l.as_str()),
        other => format!("{other:?}"),
    }
}

/// How often a look-alike happens, per hour of its profile's working time.
fn lookalike_rate(l: Lookalike) -> f64 {
    match l {
        // Scanners never sleep: the constant background of the internet.
        Lookalike::InternetScanning => 4.0,
        Lookalike::MonitoringWmi => 1.0,
        Lookalike::BackupShadowCopy => 0.08,
        _ => 0.25,
    }
}

impl<'s> Simulation<'s> {
    pub fn new(scenario: &'s Scenario, config: Config) -> Result<Simulation<'s>, String> {
        let start = scenario.start.value;
        let clock = Clock::new(&scenario.time_zone.0, config.date, start)?;
        let plan = Plan::new(&scenario.campaigns);
        let items = Items::new(scenario, &plan);
        let team_ids: Vec<&'s str> = scenario
            .player_teams()
            .map(|t| t.id.name.as_str())
            .filter(|t| config.teams.is_empty() || config.teams.iter().any(|x| x == t))
            .collect();
        for wanted in &config.teams {
            if !team_ids.contains(&wanted.as_str()) {
                let all: Vec<&str> = scenario.player_teams().map(|t| t.id.name.as_str()).collect();
                return Err(format!("no player team `{wanted}`; teams: {}", all.join(", ")));
            }
        }
        let mut sim = Simulation {
            scenario,
            plan,
            items,
            out: Out {
                ev: Event::new(),
                filler: Filler::default(),
                buf: Vec::with_capacity(1 << 20),
                lines: 0,
                clock: clock.clone(),
                started: false,
            },
            clock,
            seed: config.seed,
            until: config.until,
            teams: Vec::new(),
            actions: Vec::new(),
            pending: Vec::new(),
            beacons: Vec::new(),
            queue: BinaryHeap::new(),
            now: 0,
            reached: 0,
            done: false,
        };
        for (ti, team) in team_ids.iter().enumerate() {
            let t = sim.build_team(team, ti)?;
            sim.teams.push(t);
        }
        for a in config.actions {
            // An action for a team not simulated in this run is left out.
            if let Some(ti) = team_ids.iter().position(|t| *t == a.team) {
                sim.enqueue_action(ti, a);
            }
        }
        // Items with a fixed time come then; conditions are looked at again at the times
        // they name (and after everything that may change them).
        for ti in 0..sim.teams.len() {
            let team = sim.teams[ti].world.team;
            for k in 0..sim.items.list.len() {
                if let Some(at) = sim.items.list[k].at {
                    let base = sim.clock.offset(&at.time);
                    let due = sim.item_jitter(team, k, base, at.jitter);
                    sim.push(due, ITEM, ti, k);
                }
            }
            let times: Vec<i64> = sim.items.times.iter().map(|t| sim.clock.offset(t)).collect();
            for t in times {
                sim.push(t.max(0) as Millis, ITEM, ti, CHECK as usize);
            }
            sim.record_availability(ti, 0);
        }
        Ok(sim)
    }

    fn build_team(&mut self, team: &'s str, ti: usize) -> Result<TeamSim<'s>, String> {
        let scenario = self.scenario;
        let world = World::build(scenario, team);
        let seed = self.seed;
        let mut gens = Vec::new();
        let profiles: HashMap<&str, &'s Profile> = scenario.profiles.iter().map(|p| (p.id.name.as_str(), p)).collect();
        let mut periods: HashMap<(String, String), Periods> = HashMap::new();
        let mut add = |gens: &mut Vec<Generator>,
                       owner: &str,
                       host: usize,
                       actor: Actor,
                       profile: Option<&Profile>,
                       org_tz: &str,
                       activity: Activity,
                       per_hour: f64|
         -> Result<(), String> {
            if per_hour <= 0.0 {
                return Ok(());
            }
            let (window, off) = match profile.and_then(|p| p.working_hours.map(|w| (p, w))) {
                Some((p, w)) => {
                    let key = (p.id.name.clone(), org_tz.to_string());
                    let span = match periods.get(&key) {
                        Some(s) => s.clone(),
                        None => {
                            let s: Arc<[(Millis, Millis)]> =
                                working_periods(&self.clock, org_tz, w, &p.working_days, self.until)?.into();
                            periods.insert(key, s.clone());
                            s
                        }
                    };
                    (Some(span), p.off_hours_factor.unwrap_or(0.1))
                }
                None => (None, 1.0),
            };
            let rng = Rng::stream(seed, &[team, owner, &activity_name(activity)]);
            gens.push(Generator::new(
                host,
                actor,
                profile.map(|p| p.kind),
                activity,
                per_hour,
                off,
                window,
                rng,
            ));
            Ok(())
        };
        for (hi, h) in world.hosts.iter().enumerate() {
            let tz = world.orgs[h.org].tz.clone();
            let owner = format!("host/{}", h.def.id.name);
            match h.def.profile.as_ref().and_then(|r| profiles.get(r.name.as_str())) {
                Some(p) => {
                    // A person's profile on a host is the work of the people who use it: as
                    // its first user (validation requires one), never as SYSTEM.
                    let actor = if p.kind.is_person() {
                        h.users.first().map_or(Actor::System, |&a| Actor::Account(a))
                    } else {
                        Actor::System
                    };
                    for (a, r) in activities(&p.rates) {
                        add(&mut gens, &owner, hi, actor, Some(p), &tz, a, r)?;
                    }
                    for &l in &p.lookalikes {
                        let actor = h.users.first().map_or(Actor::System, |&a| Actor::Account(a));
                        add(
                            &mut gens,
                            &owner,
                            hi,
                            actor,
                            Some(p),
                            &tz,
                            Activity::Lookalike(l),
                            lookalike_rate(l),
                        )?;
                    }
                }
                None if h.users.is_empty() => {
                    // No profile and nobody signs in: the machine's own background.
                    if h.def.os.is_windows() {
                        add(
                            &mut gens,
                            &owner,
                            hi,
                            Actor::System,
                            None,
                            &tz,
                            Activity::Processes,
                            6.0,
                        )?;
                        add(
                            &mut gens,
                            &owner,
                            hi,
                            Actor::System,
                            None,
                            &tz,
                            Activity::DnsQueries,
                            20.0,
                        )?;
                    } else {
                        add(&mut gens, &owner, hi, Actor::System, None, &tz, Activity::Syslog, 4.0)?;
                    }
                }
                None => {
                    if h.def.os.is_windows() {
                        add(
                            &mut gens,
                            &owner,
                            hi,
                            Actor::System,
                            None,
                            &tz,
                            Activity::Processes,
                            4.0,
                        )?;
                    }
                }
            }
        }
        // Every machine's own routine in each log it collects, around the clock, so that no log
        // holds the attacker's events alone: a Linux server's cron in its authentication log
        // and process audit, and its syslog (appliances without a profile have theirs above);
        // a Windows machine's System, Application and Defender logs, and PowerShell script
        // blocks (its people's, in their working hours).
        for (hi, h) in world.hosts.iter().enumerate() {
            let tz = world.orgs[h.org].tz.clone();
            let owner = format!("host/{}", h.def.id.name);
            let syslog_above = h.def.profile.is_none() && h.users.is_empty();
            let own: &[(Source, Activity, f64)] = if h.def.os.is_linux() {
                &[
                    (Source::Auth, Activity::CronSessions, 2.0),
                    (Source::Auditd, Activity::ScheduledJobs, 2.0),
                    (Source::Syslog, Activity::Syslog, if syslog_above { 0.0 } else { 3.0 }),
                ]
            } else if h.def.os.is_windows() {
                &[
                    (Source::System, Activity::SystemLog, 2.0),
                    (Source::Application, Activity::ApplicationLog, 1.0),
                    (Source::Defender, Activity::Antivirus, 0.6),
                ]
            } else {
                &[]
            };
            for &(source, activity, per_hour) in own {
                if world.collects(hi, source) {
                    add(&mut gens, &owner, hi, Actor::System, None, &tz, activity, per_hour)?;
                }
            }
            if world.collects(hi, Source::Powershell) {
                let profile = h
                    .def
                    .profile
                    .as_ref()
                    .and_then(|r| profiles.get(r.name.as_str()))
                    .copied();
                let person = profile.filter(|p| p.kind.is_person());
                let (actor, per_hour) = match person.map(|p| p.kind) {
                    Some(ProfileKind::Administrator | ProfileKind::HelpDesk) => (h.users.first(), 3.0),
                    Some(_) => (h.users.first(), 0.4),
                    None => (None, 1.0),
                };
                let actor = actor.map_or(Actor::System, |&a| Actor::Account(a));
                add(
                    &mut gens,
                    &owner,
                    hi,
                    actor,
                    person,
                    &tz,
                    Activity::ScriptBlocks,
                    per_hour,
                )?;
            }
        }
        for (ai, a) in world.accounts.iter().enumerate() {
            let (Some(p), Some(&host)) = (
                a.def.profile.as_ref().and_then(|r| profiles.get(r.name.as_str())),
                a.def.hosts.first().and_then(|r| world.host(&r.name)).as_ref(),
            ) else {
                continue;
            };
            let tz = world.orgs[a.org].tz.clone();
            let owner = format!("account/{}", a.def.id.name);
            for (act, r) in activities(&p.rates) {
                add(&mut gens, &owner, host, Actor::Account(ai), Some(p), &tz, act, r)?;
            }
            for &l in &p.lookalikes {
                add(
                    &mut gens,
                    &owner,
                    host,
                    Actor::Account(ai),
                    Some(p),
                    &tz,
                    Activity::Lookalike(l),
                    lookalike_rate(l),
                )?;
            }
        }
        for (gi, g) in gens.iter_mut().enumerate() {
            if let Some(t) = g.next_after(0)
                && t < self.until
            {
                self.queue.push(Reverse(Entry {
                    time: t,
                    class: GENERATOR,
                    team: ti as u32,
                    index: gi as u32,
                }));
            }
        }
        // Campaign steps of this world.
        let mut states = Vec::with_capacity(self.plan.steps.len());
        for (campaign, step, _) in &self.plan.steps {
            let runs_here = campaign.teams.is_empty() || campaign.teams.iter().any(|t| t.name == team);
            states.push(StepState {
                status: Status::Pending,
                due: None,
                hosts: Vec::new(),
                events: Vec::new(),
                reason: None,
                achieved: Achieved::default(),
                fallback_for: None,
                applies: runs_here && !world.select(&step.target).is_empty(),
                skipped: false,
            });
        }
        for (si, (_, step, _)) in self.plan.steps.iter().enumerate() {
            if !states[si].applies {
                continue;
            }
            let due = if let Some(at) = &step.at {
                let base = self.clock.offset(&at.value.time);
                Some(self.jitter(team, &step.id.name, base, at.value.jitter))
            } else {
                // Scheduled when the step or item it follows comes (or, with neither, only as
                // a fallback).
                None
            };
            if let Some(due) = due {
                self.queue.push(Reverse(Entry {
                    time: due,
                    class: STEP,
                    team: ti as u32,
                    index: si as u32,
                }));
            }
        }
        let campaigns = self.scenario.campaigns.len();
        let services = world.services.len();
        let hosts = world.hosts.len();
        let items = self.items.list.len();
        Ok(TeamSim {
            world,
            gens,
            states,
            actors: vec![campaign::Actor::default(); campaigns],
            facts: Facts::default(),
            availability: vec![Vec::new(); services],
            killed: HashMap::new(),
            persisted: vec![false; hosts],
            delays: HashMap::new(),
            arrived: vec![None; items],
            waiting: self.items.conditional.clone(),
            triggered: vec![false; items],
            decided: HashMap::new(),
            prevented: HashMap::new(),
        })
    }

    /// Exercise time `base` of step `step` in `team`'s world, moved by up to `jitter` either way.
    fn jitter(&self, team: &str, step: &str, base: i64, jitter: Option<atoll_scenario::time::Duration>) -> Millis {
        self.shifted(&[team, "step", step], base, jitter)
    }

    /// Exercise time `base` moved by up to `jitter` either way, drawn from the stream named
    /// `names` (never before the start).
    fn shifted(&self, names: &[&str], base: i64, jitter: Option<atoll_scenario::time::Duration>) -> Millis {
        let j = jitter.map_or(0, |d| d.as_secs() as i64 * 1000);
        let shift = if j > 0 {
            Rng::stream(self.seed, names).range(0, 2 * j as u64) as i64 - j
        } else {
            0
        };
        (base + shift).max(0) as Millis
    }

    fn enqueue_action(&mut self, ti: usize, a: Action) {
        // A fact holds from its time on (conditions compare): the earliest time given wins.
        let facts = &mut self.teams[ti].facts;
        let earliest = |at: &mut Millis| *at = (*at).min(a.at);
        match &a.kind {
            ActionKind::Detected(s) => earliest(facts.detected.entry(s.clone()).or_insert(a.at)),
            ActionKind::Delivered(s) => earliest(facts.delivered.entry(s.clone()).or_insert(a.at)),
            ActionKind::Answered(s) => earliest(facts.answered.entry(s.clone()).or_insert(a.at)),
            ActionKind::Chose { decision, option } => {
                // A decision is taken once: the earliest choice holds, the others never do.
                let earlier = facts
                    .chose
                    .iter()
                    .any(|((d, o), &at)| d == decision && o != option && at <= a.at);
                if !earlier {
                    facts.chose.retain(|(d, o), _| d != decision || o == option);
                    earliest(facts.chose.entry((decision.clone(), option.clone())).or_insert(a.at));
                }
            }
            _ => {}
        }
        self.queue.push(Reverse(Entry {
            time: a.at,
            class: ACTION,
            team: ti as u32,
            index: self.actions.len() as u32,
        }));
        self.actions.push(a);
    }

    /// Adds a team action or exercise fact during a run (a team acting in a live exercise).
    /// It must not be earlier than the time the run has been advanced to: the run then goes on
    /// exactly as if the action had been given at the start.
    pub fn add_action(&mut self, action: Action) -> Result<(), String> {
        if action.at < self.reached {
            return Err(format!(
                "an action at {} ms cannot be added: the simulation has already reached {} ms",
                action.at, self.reached
            ));
        }
        let Some(ti) = self.teams.iter().position(|t| t.world.team == action.team) else {
            return Err(format!("team `{}` is not simulated in this run", action.team));
        };
        self.enqueue_action(ti, action);
        Ok(())
    }

    /// Does every piece of work before exercise time `to` (at most the end), writing its
    /// events to the output buffer ([`Simulation::take_output`]). Returns `false` once the end
    /// is reached.
    pub fn advance_to(&mut self, to: Millis) -> bool {
        let to = to.min(self.until);
        while self.queue.peek().is_some_and(|Reverse(e)| e.time < to) {
            self.step();
        }
        self.reached = self.reached.max(to);
        self.now = self.now.max(to);
        to < self.until
    }

    /// The exercise's clock: exercise time to UTC and back.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Exercise time reached so far.
    pub fn now(&self) -> Millis {
        self.now
    }

    pub fn until(&self) -> Millis {
        self.until
    }

    /// Events written so far.
    pub fn events(&self) -> u64 {
        self.out.lines
    }

    /// The JSON lines produced since the last call.
    pub fn take_output(&mut self) -> &mut Vec<u8> {
        &mut self.out.buf
    }

    /// Does the next piece of work; `false` once the run has reached its end.
    pub fn step(&mut self) -> bool {
        if self.done {
            return false;
        }
        let Some(Reverse(e)) = self.queue.pop() else {
            self.done = true;
            self.now = self.until;
            return false;
        };
        if e.time >= self.until {
            self.done = true;
            self.now = self.until;
            self.queue.clear();
            return false;
        }
        self.now = e.time;
        let ti = e.team as usize;
        match e.class {
            ACTION if e.index == RECHECK => {
                self.record_availability(ti, e.time);
                self.check_conditions(ti, e.time);
            }
            ACTION => {
                self.apply_action(ti, e.index as usize, e.time);
                self.check_conditions(ti, e.time);
            }
            STEP => {
                self.step_due(ti, e.index as usize, e.time, None);
                self.check_conditions(ti, e.time);
            }
            ITEM if e.index == CHECK => self.check_conditions(ti, e.time),
            ITEM => {
                let k = e.index as usize;
                let how = if self.teams[ti].triggered[k] {
                    How::Condition
                } else {
                    How::Planned
                };
                self.arrive(ti, k, e.time, how);
                self.check_conditions(ti, e.time);
            }
            PENDING => self.write_pending(e.index as usize),
            BEACON => self.beacon(e.index as usize, e.time),
            _ => {
                let team = &mut self.teams[ti];
                let g = &mut team.gens[e.index as usize];
                g.fire(&mut team.world, e.time, &mut self.out);
                if let Some(next) = g.next_after(e.time)
                    && next < self.until
                {
                    self.queue.push(Reverse(Entry { time: next, ..e }));
                }
            }
        }
        true
    }

    /// Runs to the end, handing output to `sink` in chunks with the exercise time reached.
    pub fn run(&mut self, mut sink: impl FnMut(&[u8], Millis) -> std::io::Result<()>) -> std::io::Result<()> {
        while self.step() {
            if self.out.buf.len() >= 1 << 16 {
                sink(&self.out.buf, self.now)?;
                self.out.buf.clear();
            }
        }
        sink(&self.out.buf, self.now)?;
        self.out.buf.clear();
        Ok(())
    }

    fn push(&mut self, time: Millis, class: u8, team: usize, index: usize) {
        if time < self.until {
            self.queue.push(Reverse(Entry {
                time,
                class,
                team: team as u32,
                index: index as u32,
            }));
        }
    }

    // ----- campaign steps -----

    /// The white cell's change to one step of a team's campaign. Only a step that applies to
    /// the team and has not come due yet can be run, skipped or delayed; otherwise nothing
    /// changes.
    fn white_cell(&mut self, ti: usize, step: &str, kind: &ActionKind, t: Millis) {
        let Some(&si) = self.plan.index.get(step) else { return };
        let st = &self.teams[ti].states[si];
        if st.due.is_some() || !st.applies {
            return;
        }
        match kind {
            ActionKind::RunStep(_) => {
                self.teams[ti].delays.remove(&si);
                self.step_due(ti, si, t, None);
            }
            ActionKind::SkipStep(_) => {
                let st = &mut self.teams[ti].states[si];
                st.due = Some(t);
                st.status = Status::Prevented;
                st.reason = Some(crate::actions::SKIPPED.to_owned());
                st.skipped = true;
                self.teams[ti].delays.remove(&si);
                self.schedule_dependents(ti, si, t);
            }
            ActionKind::DelayStep { by, .. } => {
                let delay = self.teams[ti].delays.entry(si).or_insert(0);
                *delay = delay.saturating_add(*by);
            }
            _ => {}
        }
    }

    fn step_due(&mut self, ti: usize, si: usize, t: Millis, fallback_for: Option<usize>) {
        if self.teams[ti].states[si].due.is_some() || !self.teams[ti].states[si].applies {
            return;
        }
        // Put off by the white cell: it comes due that much later instead (as a step of its
        // own, even if it came due as another's fallback).
        if let Some(by) = self.teams[ti].delays.remove(&si) {
            self.push(t.saturating_add(by), STEP, ti, si);
            return;
        }
        let (_, step, ci) = self.plan.steps[si];
        {
            let st = &mut self.teams[ti].states[si];
            st.due = Some(t);
            st.fallback_for = fallback_for;
        }
        // A step the team's decision took off the plan does not happen, nor does its fallback.
        if let Some(why) = self.teams[ti].prevented.get(&si).cloned() {
            let st = &mut self.teams[ti].states[si];
            st.status = Status::Prevented;
            st.reason = Some(why);
            self.schedule_dependents(ti, si, t);
            return;
        }
        let reason = self.why_not(ti, si, t);
        match reason {
            Some(mut reason) => {
                // The fallback carries on an attack whose own chain held and that the team's
                // response stopped; a step whose chain is already broken has nothing to carry on.
                let broken = self.broken_chain(ti, si);
                if let (Some(b), Some(_)) = (broken, &step.fallback) {
                    reason.push_str(&format!("; no fallback: step {b} it needs did not run"));
                }
                let st = &mut self.teams[ti].states[si];
                st.status = Status::Prevented;
                st.reason = Some(reason);
                if broken.is_none()
                    && let Some(fb) = &step.fallback
                    && let Some(&fi) = self.plan.index.get(fb.name.as_str())
                {
                    self.step_due(ti, fi, t, Some(si));
                }
            }
            None => self.run_step(ti, si, ci, t),
        }
        self.schedule_dependents(ti, si, t);
    }

    /// Queues the steps timed after step `si`, which came due at `t`, and the items that
    /// follow it if it ran (or the white cell skipped it).
    fn schedule_dependents(&mut self, ti: usize, si: usize, t: Millis) {
        let team = self.teams[ti].world.team;
        let st = &self.teams[ti].states[si];
        if st.status == Status::Succeeded || st.skipped {
            for k in self.items.after_step[si].clone() {
                self.follow(ti, k, t);
            }
        }
        let deps = self.plan.dependents[si].clone();
        for d in deps {
            let (_, dstep, _) = self.plan.steps[d];
            if let Some(after) = &dstep.after {
                let base = t as i64 + after.value.delay.as_secs() as i64 * 1000;
                let due = self.jitter(team, &dstep.id.name, base, after.value.jitter).max(t);
                self.push(due, STEP, ti, d);
            }
        }
    }

    // ----- injects, questions and decisions -----

    /// Exercise time `base` of item `k` in `team`'s world, moved by up to `jitter` either way.
    fn item_jitter(&self, team: &str, k: usize, base: i64, jitter: Option<atoll_scenario::time::Duration>) -> Millis {
        self.shifted(&[team, "item", self.items.list[k].id], base, jitter)
    }

    /// Queues item `k`, which follows something that happened for team `ti` at `t`.
    fn follow(&mut self, ti: usize, k: usize, t: Millis) {
        let item = &self.items.list[k];
        let due = match (item.with, item.after) {
            (Some(_), _) | (None, None) => t,
            (None, Some(after)) => {
                let base = t as i64 + after.delay.as_secs() as i64 * 1000;
                self.item_jitter(self.teams[ti].world.team, k, base, after.jitter)
                    .max(t)
            }
        };
        self.push(due, ITEM, ti, k);
    }

    /// Item `k` reaches team `ti` at `t`, unless it did before or is not addressed to it;
    /// what follows it is queued.
    fn arrive(&mut self, ti: usize, k: usize, t: Millis, how: How) {
        let team = self.teams[ti].world.team;
        let item = &self.items.list[k];
        if self.teams[ti].arrived[k].is_some() || crate::items::addressed(item.to, team).is_none() {
            return;
        }
        let x = &mut self.teams[ti];
        x.arrived[k] = Some((t, how));
        x.waiting.retain(|&w| w != k);
        if item.kind == Kind::Inject {
            let at = x.facts.delivered.entry(item.id.to_owned()).or_insert(t);
            *at = (*at).min(t);
        }
        // A decision with a deadline takes its default then, unless the team chose before.
        let scenario = self.scenario;
        if item.kind == Kind::Decision
            && let Some(d) = scenario.decisions.iter().find(|d| d.id.name == item.id)
            && let (Some(deadline), Some(default)) = (&d.deadline, &d.default)
        {
            let default = Action {
                at: t.saturating_add(deadline.value.as_secs() * SECOND),
                team: team.to_owned(),
                kind: ActionKind::Chose {
                    decision: d.id.name.clone(),
                    option: default.name.clone(),
                },
                line: 0,
            };
            self.enqueue_action(ti, default);
        }
        for f in self.items.after_item[k].clone() {
            self.follow(ti, f, t);
        }
        for si in self.items.steps_after[k].clone() {
            let (_, step, _) = self.plan.steps[si];
            let st = &self.teams[ti].states[si];
            if !st.applies || st.due.is_some() {
                continue;
            }
            if let Some(after) = &step.after {
                let base = t as i64 + after.value.delay.as_secs() as i64 * 1000;
                let due = self.jitter(team, &step.id.name, base, after.value.jitter).max(t);
                self.push(due, STEP, ti, si);
            }
        }
    }

    /// Sets on their way the items of team `ti` whose condition holds at `t`.
    fn check_conditions(&mut self, ti: usize, t: Millis) {
        if self.teams[ti].waiting.is_empty() {
            return;
        }
        let offset = |c: &ClockTime| self.clock.offset(c);
        let x = &self.teams[ti];
        let ready: Vec<usize> = x
            .waiting
            .iter()
            .copied()
            .filter(|&k| {
                self.items.list[k]
                    .when
                    .is_some_and(|c| campaign::holds(c, &self.plan, &x.states, &x.world, &x.facts, t, &offset))
            })
            .collect();
        for k in ready {
            let x = &mut self.teams[ti];
            x.waiting.retain(|&w| w != k);
            x.triggered[k] = true;
            let due = t.saturating_add(self.items.list[k].delay);
            self.push(due, ITEM, ti, k);
        }
    }

    /// When the campaign's steps and the scenario's items still to come would happen for
    /// `team` if all goes as planned: those already queued at their time, and those that follow
    /// them (`after:`, or shown with an inject) that long after, jitter left out. Items that
    /// wait for a condition, and what follows them, are not foreseen. Keyed by id.
    pub fn forecast(&self, team: &str) -> HashMap<&'s str, Millis> {
        let mut known: HashMap<&'s str, Millis> = HashMap::new();
        let Some(ti) = self.teams.iter().position(|x| x.world.team == team) else {
            return known;
        };
        let x = &self.teams[ti];
        for Reverse(e) in self.queue.iter().filter(|Reverse(e)| e.team as usize == ti) {
            let id = match e.class {
                STEP => self.plan.steps[e.index as usize].1.id.name.as_str(),
                ITEM if e.index != CHECK => self.items.list[e.index as usize].id,
                _ => continue,
            };
            let at = known.entry(id).or_insert(e.time);
            *at = (*at).min(e.time);
        }
        // What follows what is foreseen from it, by the scenario's one rule for chains: steps
        // still to come and not yet due, and items not yet arrived.
        let mut follows: HashMap<&'s str, (&'s str, Millis)> = HashMap::new();
        for (si, (_, step, _)) in self.plan.steps.iter().enumerate() {
            let st = &x.states[si];
            if st.applies
                && st.due.is_none()
                && let Some(after) = &step.after
            {
                follows.insert(
                    &step.id.name,
                    (after.value.anchor.as_str(), after.value.delay.as_secs() * 1000),
                );
            }
        }
        for (k, item) in self.items.list.iter().enumerate() {
            if x.arrived[k].is_some() {
                continue;
            }
            match (item.with, item.after) {
                (Some(inject), _) => {
                    follows.insert(item.id, (inject, 0));
                }
                (None, Some(after)) => {
                    follows.insert(item.id, (after.anchor.as_str(), after.delay.as_secs() * 1000));
                }
                (None, None) => {}
            }
        }
        let ids: Vec<&'s str> = follows.keys().copied().collect();
        for (id, at) in atoll_scenario::timing::follow(&ids, &known, |id| follows.get(id).copied()) {
            if let Some(at) = at {
                known.entry(id).or_insert(at);
            }
        }
        known
    }

    /// The injects, questions and decisions that have reached `team` so far, in the order
    /// they came.
    pub fn arrivals(&self, team: &str) -> Vec<Arrival<'s>> {
        let Some(x) = self.teams.iter().find(|x| x.world.team == team) else {
            return Vec::new();
        };
        let mut out: Vec<Arrival<'s>> = x
            .arrived
            .iter()
            .enumerate()
            .filter_map(|(k, a)| {
                let (at, how) = (*a)?;
                let item = &self.items.list[k];
                Some(Arrival {
                    kind: item.kind,
                    id: item.id,
                    at,
                    how,
                })
            })
            .collect();
        out.sort_by_key(|a| a.at);
        out
    }

    /// The first step of step `si`'s own chain ([`atoll_scenario::timing::chain`]) that has not
    /// run in team `ti`'s world, if any (one the white cell skipped counts as run).
    fn broken_chain(&self, ti: usize, si: usize) -> Option<&'s str> {
        let (_, step, _) = self.plan.steps[si];
        let states = &self.teams[ti].states;
        atoll_scenario::timing::chain(step, |id| self.plan.index.contains_key(id))
            .into_iter()
            .find(|id| {
                let st = &states[self.plan.index[id]];
                st.status != Status::Succeeded && !st.skipped
            })
    }

    /// Team `ti` takes option `option` of decision `decision` at `t`. The first choice of a
    /// decision is final (a later one, or the default at the deadline, changes nothing); its
    /// consequences happen at once: hosts isolated, services down, a step off the plan, an
    /// inject delivered.
    fn decide(&mut self, ti: usize, decision: &str, option: &str, t: Millis) {
        let scenario = self.scenario;
        let Some(d) = scenario.decisions.iter().find(|d| d.id.name == decision) else {
            return;
        };
        let Some(o) = d.options.iter().find(|o| o.id.name == option) else {
            return;
        };
        if self.teams[ti].decided.contains_key(d.id.name.as_str()) {
            return;
        }
        self.teams[ti]
            .decided
            .insert(d.id.name.as_str(), (o.id.name.as_str(), t));
        let mut recheck = Vec::new();
        for c in &o.consequences {
            let w = &mut self.teams[ti].world;
            match c {
                Consequence::Isolate(sel) => {
                    for h in w.select(sel) {
                        w.hosts[h].state.isolated = true;
                    }
                }
                Consequence::Outage(outage) => {
                    let until = outage.duration.map_or(Millis::MAX, |d| t + d.as_secs() * SECOND);
                    for s in w.select_services(&outage.service) {
                        let svc = &mut w.services[s];
                        svc.degraded_until = svc.degraded_until.max(until);
                    }
                    if until != Millis::MAX {
                        recheck.push(until);
                    }
                }
                Consequence::Prevent(step) => {
                    if let Some(&si) = self.plan.index.get(step.as_str()) {
                        let why = format!("prevented by the team's decision {decision}: option {option}");
                        self.teams[ti].prevented.insert(si, why);
                    }
                }
                Consequence::Inject(inject) => {
                    if let Some(&k) = self.items.index.get(inject.as_str()) {
                        self.arrive(ti, k, t, How::Decision);
                    }
                }
            }
        }
        for at in recheck {
            self.push(at, ACTION, ti, RECHECK as usize);
        }
        self.record_availability(ti, t);
    }

    /// The option team `ti` took for each decision so far, with when.
    pub fn decisions(&self, team: &str) -> Vec<(&'s str, &'s str, Millis)> {
        let Some(x) = self.teams.iter().find(|x| x.world.team == team) else {
            return Vec::new();
        };
        let mut out: Vec<(&'s str, &'s str, Millis)> = x.decided.iter().map(|(d, (o, at))| (*d, *o, *at)).collect();
        out.sort_by_key(|&(d, _, at)| (at, d));
        out
    }

    /// Why a due step cannot run now, or `None` when it can.
    fn why_not(&self, ti: usize, si: usize, t: Millis) -> Option<String> {
        let (_, step, ci) = self.plan.steps[si];
        if let Some(unmet) = self.first_unmet(ti, si, t) {
            return Some(format!("requires {unmet}"));
        }
        let team = &self.teams[ti];
        let w = &team.world;
        let targets = self.targets(ti, si, t);
        if targets.is_empty() {
            let all = w.select(&step.target);
            let names: Vec<&str> = all.iter().map(|&h| w.hosts[h].def.hostname.as_str()).collect();
            return Some(
                if step.technique.as_str() == "T1190" && all.iter().all(|&h| w.hosts[h].state.patched) {
                    format!("target patched: {}", names.join(", "))
                } else {
                    format!("target isolated or offline: {}", names.join(", "))
                },
            );
        }
        for e in &step.effects {
            if let Effect::C2(c) = e {
                if let Some(a) = &c.address
                    && w.is_blocked(&a.0.to_string())
                {
                    return Some(format!("command-and-control address {} blocked", a.0));
                }
                if let Some(d) = &c.domain
                    && w.is_blocked(d)
                {
                    return Some(format!("command-and-control domain {d} blocked"));
                }
                if let Some(via) = &c.via
                    && w.select(via).iter().all(|&h| !w.host_up(h, t))
                {
                    return Some("the relay it needs is isolated or offline".into());
                }
            }
        }
        for e in &step.effects {
            // Data goes out through the campaign's relayed channel, else to `to`: a team that
            // blocked where it goes has stopped it.
            if let Effect::Exfiltrate(x) = e {
                let to = self
                    .relay(ti, ci, t)
                    .map(|(_, remote, _)| remote)
                    .or_else(|| x.to.clone());
                if let Some(to) = to.filter(|d| w.is_blocked(d)) {
                    return Some(format!("exfiltration destination {to} blocked"));
                }
            }
        }
        if campaign::uses(step, "account") {
            let actor = &team.actors[ci];
            if !actor.creds.is_empty() && self.acting_account(ti, ci).is_none() {
                return Some("the stolen credentials no longer work (disabled or reset)".into());
            }
        }
        None
    }

    /// The step's target hosts that the adversary can reach now.
    fn targets(&self, ti: usize, si: usize, t: Millis) -> Vec<usize> {
        let (_, step, _) = self.plan.steps[si];
        let w = &self.teams[ti].world;
        w.select(&step.target)
            .into_iter()
            .filter(|&h| w.host_up(h, t))
            .filter(|&h| !(step.technique.as_str() == "T1190" && w.hosts[h].state.patched))
            .collect()
    }

    /// The credentials the campaign acts with: the latest stolen ones that still work.
    fn acting_account(&self, ti: usize, ci: usize) -> Option<usize> {
        let team = &self.teams[ti];
        team.actors[ci].creds.iter().rev().find_map(|&(a, when)| {
            let acc = &team.world.accounts[a];
            (!acc.disabled && acc.reset_at.is_none_or(|r| r < when)).then_some(a)
        })
    }

    fn run_step(&mut self, ti: usize, si: usize, ci: usize, t: Millis) {
        let (_, step, _) = self.plan.steps[si];
        let targets = self.targets(ti, si, t);
        let team_name = self.teams[ti].world.team;
        let mut rng = Rng::stream(self.seed, &[team_name, "step-events", &step.id.name]);
        let mut achieved = Achieved::default();
        let mut exfil = Vec::new();
        // The account the adversary acts as in this step's events: the credentials it held
        // before the step (a theft's own events show the thief, not the newly stolen account),
        // else the target's own user.
        let acting = self.acting_account(ti, ci).or_else(|| {
            let w = &self.teams[ti].world;
            targets.iter().find_map(|&h| w.hosts[h].users.first().copied())
        });
        for e in &step.effects {
            let w = &self.teams[ti].world;
            match e {
                Effect::Compromise(s) | Effect::StageData(s) => {
                    achieved
                        .hosts
                        .extend(w.select(s).into_iter().filter(|&h| w.host_up(h, t)));
                }
                Effect::Persist(p) => {
                    let hosts: Vec<usize> = w.select(&p.on).into_iter().filter(|&h| w.host_up(h, t)).collect();
                    for &h in &hosts {
                        self.teams[ti].persisted[h] = true;
                    }
                    achieved.hosts.extend(hosts);
                }
                Effect::StealCredentials(s) => {
                    let accounts = w.select_accounts(s);
                    for &a in &accounts {
                        self.teams[ti].actors[ci].creds.push((a, t));
                    }
                    achieved.accounts.extend(accounts);
                }
                Effect::C2(c) => {
                    let via = c.via.as_ref().map(|v| w.select(v)).unwrap_or_default();
                    let channel = C2 {
                        domain: c.domain.clone(),
                        address: c.address.as_ref().map(|a| a.0.to_string()),
                        port: c.port.unwrap_or(443),
                        via: via.clone(),
                        from: if via.is_empty() { targets.clone() } else { Vec::new() },
                        opened: t,
                        step: si,
                    };
                    self.teams[ti].actors[ci].c2 = Some(channel.clone());
                    achieved.c2.push(channel.clone());
                    let index = self.beacons.len();
                    let rng = Rng::stream(self.seed, &[team_name, "beacon", &step.id.name]);
                    self.beacons.push(Beacon {
                        team: ti,
                        c2: channel,
                        rng,
                    });
                    self.push(t + 2 * MINUTE, BEACON, ti, index);
                }
                Effect::Exfiltrate(x) => {
                    let from: Vec<usize> = w.select(&x.from);
                    exfil.push((from, x.megabytes, x.to.clone()));
                }
                Effect::DegradeService(o) => {
                    let until = o.duration.map_or(Millis::MAX, |d| t + d.as_secs() * SECOND);
                    let services = w.select_services(&o.service);
                    for s in services {
                        let svc = &mut self.teams[ti].world.services[s];
                        svc.degraded_until = svc.degraded_until.max(until);
                    }
                    if until != Millis::MAX {
                        self.push(until, ACTION, ti, RECHECK as usize);
                    }
                }
            }
        }
        if achieved.hosts.is_empty() && achieved.accounts.is_empty() && achieved.c2.is_empty() {
            // The adversary acted on its targets: isolating them contains the step.
            achieved.hosts = targets.clone();
        }
        // Events, with placeholders filled from the world as it is now.
        let uses_account = campaign::uses(step, "account");
        let actor = match acting {
            Some(a) if uses_account => Actor::Account(a),
            _ => Actor::Service,
        };
        let campaign_actor = self.teams[ti].actors[ci].clone();
        let mut offset = 0;
        let mut queued: Vec<(Millis, Pending<'s>)> = Vec::new();
        for (k, emit) in step.emits.iter().enumerate() {
            let w = &self.teams[ti].world;
            let hosts = match &emit.on {
                Some(sel) => w.select(sel),
                None => targets.clone(),
            };
            if k > 0 {
                offset += rng.range(400, 4_000);
            }
            for (n, &h) in hosts.iter().enumerate() {
                if !w.collects(h, emit.log) {
                    continue;
                }
                let peer = campaign_actor
                    .last_hosts
                    .iter()
                    .copied()
                    .find(|p| !targets.contains(p))
                    .or_else(|| campaign_actor.last_hosts.first().copied());
                let lookup = |name: &str| -> String {
                    let host = &w.hosts[h];
                    let org = &w.orgs[host.org];
                    match name {
                        "host.hostname" => host.def.hostname.clone(),
                        "host.address" => host.def.address.0.to_string(),
                        "host.fqdn" => host.fqdn.clone(),
                        // The step's target, for events logged on another host (`on:`).
                        "target.hostname" | "target.address" | "target.fqdn" => {
                            let Some(&x) = targets.first() else { return "-".into() };
                            let x = &w.hosts[x];
                            match name {
                                "target.hostname" => x.def.hostname.clone(),
                                "target.address" => x.def.address.0.to_string(),
                                _ => x.fqdn.clone(),
                            }
                        }
                        "org.domain" => org.domain.clone(),
                        "org.netbios" => org.netbios.clone(),
                        "account.username" => acting.map_or_else(
                            || format!("{}\\Administrator", org.netbios),
                            |a| format!("{}\\{}", w.accounts[a].domain, w.accounts[a].user),
                        ),
                        "account.user" => acting.map_or_else(|| "Administrator".into(), |a| w.accounts[a].user.clone()),
                        "peer.hostname" => peer.map_or_else(|| "-".into(), |p| w.hosts[p].def.hostname.clone()),
                        "peer.address" => peer.map_or_else(
                            || {
                                campaign_actor
                                    .c2
                                    .as_ref()
                                    .and_then(|c| c.address.clone())
                                    .unwrap_or_else(|| "-".into())
                            },
                            |p| w.hosts[p].def.address.0.to_string(),
                        ),
                        "c2.domain" => self.teams[ti].actors[ci]
                            .c2
                            .as_ref()
                            .and_then(|c| c.domain.clone())
                            .unwrap_or_default(),
                        "c2.address" => self.teams[ti].actors[ci]
                            .c2
                            .as_ref()
                            .and_then(|c| c.address.clone())
                            .unwrap_or_default(),
                        other => format!("{{{{{other}}}}}"),
                    }
                };
                let fields = emit
                    .fields
                    .iter()
                    .map(|(k, v)| {
                        let v = match v {
                            FieldValue::Text(s) => PValue::Text(campaign::fill_placeholders(s, &lookup)),
                            FieldValue::Int(i) => PValue::Int(*i),
                            FieldValue::Bool(b) => PValue::Bool(*b),
                        };
                        (k.as_str(), v)
                    })
                    .collect();
                let at = t + offset + n as u64 * rng.range(50, 900);
                queued.push((
                    at,
                    Pending {
                        team: ti,
                        step: si,
                        host: h,
                        log: emit.log,
                        fields,
                        actor,
                    },
                ));
            }
        }
        for (at, p) in queued {
            let index = self.pending.len();
            self.pending.push(Some(p));
            self.push(at, PENDING, ti, index);
        }
        for (from, megabytes, to) in exfil {
            self.exfiltration(
                ti,
                si,
                t + offset + 30 * SECOND,
                &from,
                megabytes,
                to.as_deref(),
                &mut rng,
            );
        }
        let team = &mut self.teams[ti];
        team.actors[ci].last_hosts = targets.clone();
        let st = &mut team.states[si];
        st.status = Status::Succeeded;
        st.hosts = targets;
        st.achieved = achieved;
        self.record_availability(ti, t);
    }

    fn write_pending(&mut self, index: usize) {
        let Some(p) = self.pending[index].take() else { return };
        let team = &mut self.teams[p.team];
        let t = self.now;
        if !self.out.start(&team.world, t, p.host, p.log) {
            return;
        }
        for (k, v) in &p.fields {
            match v {
                PValue::Text(s) => self.out.ev.str(k, s),
                PValue::Int(i) => self.out.ev.int(k, *i),
                PValue::Bool(b) => self.out.ev.bool(k, *b),
            };
        }
        let mut rng = Rng::stream(self.seed, &[team.world.team, "pending", &index.to_string()]);
        if let Some(line) = self.out.finish(&mut team.world, p.actor, &mut rng) {
            team.states[p.step].events.push(line);
        }
    }

    /// Flow records of data leaving: one per 25 MB, on the organisation's flow exporters.
    #[expect(clippy::too_many_arguments, reason = "an internal helper of run_step")]
    fn exfiltration(
        &mut self,
        ti: usize,
        si: usize,
        t: Millis,
        from: &[usize],
        megabytes: u32,
        to: Option<&str>,
        rng: &mut Rng,
    ) {
        // The campaign's newest channel that runs through a relay (a compromised edge device)
        // and is still up carries the data: to the relay host inside, then out from it to the
        // channel's remote end. Without one, the data goes straight out to `to`.
        let relayed = self.relay(ti, self.plan.steps[si].2, t);
        let team = &mut self.teams[ti];
        let w = &mut team.world;
        let Some(&src) = from.first() else { return };
        let dst = to
            .filter(|x| x.parse::<std::net::IpAddr>().is_ok())
            .map_or_else(|| "203.0.113.200".to_string(), str::to_string);
        let org = w.hosts[src].org;
        let exporters: Vec<usize> = (0..w.hosts.len())
            .filter(|&h| w.hosts[h].org == org && w.collects(h, Source::Netflow))
            .collect();
        let chunks = megabytes.div_ceil(25).max(1);
        let src_ip = w.hosts[src].def.address.0.to_string();
        // (from, to, port) of each hop the data takes.
        let hops: Vec<(String, String, u32)> = match relayed {
            Some((via, remote, port)) => {
                let relay = w.hosts[via].def.address.0.to_string();
                vec![(src_ip, relay.clone(), port), (relay, remote, port)]
            }
            None => vec![(src_ip, dst, 443)],
        };
        for c in 0..chunks {
            let at = t + u64::from(c) * rng.range(20, 90) * SECOND;
            let bytes = (i64::from(megabytes) * 1_000_000 / i64::from(chunks)) + rng.range(0, 50_000) as i64;
            for (from_ip, to_ip, port) in &hops {
                for &x in &exporters {
                    if self.out.start(w, at, x, Source::Netflow) {
                        self.out
                            .ev
                            .str("src_ip", from_ip)
                            .str("dst_ip", to_ip)
                            .int("dst_port", i64::from(*port))
                            .str("protocol", "tcp")
                            .int("bytes", bytes)
                            .int("duration_ms", rng.range(60_000, 180_000) as i64);
                        if let Some(line) = self.out.finish(w, Actor::System, rng) {
                            team.states[si].events.push(line);
                        }
                    }
                }
            }
        }
    }

    /// The campaign's newest command-and-control channel that runs through a relay host still
    /// up at `t`: (relay host, remote address, port).
    fn relay(&self, ti: usize, campaign: usize, t: Millis) -> Option<(usize, String, u32)> {
        self.beacons
            .iter()
            .rev()
            .filter(|b| b.team == ti && self.plan.steps[b.c2.step].2 == campaign)
            .find_map(|b| {
                let w = &self.teams[ti].world;
                let via = b.c2.via.iter().copied().find(|&h| w.host_up(h, t))?;
                Some((via, b.c2.address.clone()?, b.c2.port))
            })
    }

    fn beacon(&mut self, bi: usize, t: Millis) {
        let ti = self.beacons[bi].team;
        let team = &mut self.teams[ti];
        let b = &mut self.beacons[bi];
        let w = &mut team.world;
        let c2 = &b.c2;
        // A host cut off, switched off or rebuilt since the implant arrived calls no more.
        let alive = |h: usize| {
            let s = &w.hosts[h].state;
            !s.isolated && !s.off && t >= s.rebuilding_until && s.rebuilt_at.is_none_or(|r| r < c2.opened)
        };
        let origins: Vec<usize> = if c2.via.is_empty() {
            c2.from.clone()
        } else {
            c2.via.clone()
        };
        let live: Vec<usize> = origins.iter().copied().filter(|&h| alive(h)).collect();
        if live.is_empty() {
            return; // the channel is gone for good
        }
        let paused = live.iter().all(|&h| {
            team.killed
                .get(&h)
                .is_some_and(|&k| k > c2.opened && (!team.persisted[h] || t < k + HOUR))
        });
        let next = t + b.rng.around(5 * MINUTE, 40 * SECOND);
        if !paused {
            let blocked = c2.address.as_deref().is_some_and(|a| w.is_blocked(a))
                || c2.domain.as_deref().is_some_and(|d| w.is_blocked(d));
            let remote = c2.address.clone().unwrap_or_else(|| {
                format!(
                    "198.51.100.{}",
                    10 + crate::world::stable_u32(c2.domain.as_deref().unwrap_or("")) % 200
                )
            });
            let org = w.hosts[live[0]].org;
            let local = w.hosts[live[0]].def.address.0.to_string();
            let (src, dst, port) = if c2.via.is_empty() {
                (local, remote, c2.port)
            } else {
                // Through a relay: the actor comes in from the relay's address.
                (remote, local, c2.port)
            };
            let exporters: Vec<usize> = (0..w.hosts.len())
                .filter(|&h| {
                    w.hosts[h].org == org && (w.collects(h, Source::Netflow) || w.collects(h, Source::Firewall))
                })
                .collect();
            let step = c2.step;
            for &x in &exporters {
                if self.out.start(w, t, x, Source::Netflow) {
                    let bytes = if blocked { 60 } else { b.rng.range(300, 2_400) as i64 };
                    self.out
                        .ev
                        .str("src_ip", &src)
                        .str("dst_ip", &dst)
                        .int("dst_port", i64::from(port))
                        .str("protocol", "tcp")
                        .int("bytes", bytes)
                        .int("packets", if blocked { 1 } else { 4 + b.rng.range(0, 6) as i64 })
                        .int("duration_ms", b.rng.range(80, 1_500) as i64);
                    if let Some(line) = self.out.finish(w, Actor::System, &mut b.rng) {
                        team.states[step].events.push(line);
                    }
                }
                if self.out.start(w, t, x, Source::Firewall) {
                    self.out
                        .ev
                        .str("action", if blocked { "deny" } else { "accept" })
                        .str("src_ip", &src)
                        .str("dst_ip", &dst)
                        .int("dst_port", i64::from(port))
                        .str("protocol", "tcp");
                    if let Some(line) = self.out.finish(w, Actor::System, &mut b.rng) {
                        team.states[step].events.push(line);
                    }
                }
            }
        }
        self.push(next, BEACON, ti, bi);
    }

    // ----- team actions -----

    fn apply_action(&mut self, ti: usize, ai: usize, t: Millis) {
        let kind = self.actions[ai].kind.clone();
        let mut account_change = None;
        let mut recheck = None;
        {
            let TeamSim {
                world: w,
                persisted,
                killed,
                ..
            } = &mut self.teams[ti];
            match &kind {
                ActionKind::IsolateHost(h) | ActionKind::ReleaseHost(h) => {
                    if let Some(h) = w.host(h) {
                        w.hosts[h].state.isolated = matches!(kind, ActionKind::IsolateHost(_));
                    }
                }
                ActionKind::BlockAddress(a) => {
                    w.blocked_addresses.insert(a.to_ascii_lowercase());
                }
                ActionKind::BlockDomain(d) => {
                    w.blocked_domains.insert(d.clone());
                }
                ActionKind::DisableAccount(a) | ActionKind::EnableAccount(a) | ActionKind::ResetPassword(a) => {
                    if let Some(x) = w.account(a) {
                        let event_id = match &kind {
                            ActionKind::DisableAccount(_) => {
                                w.accounts[x].disabled = true;
                                4725
                            }
                            ActionKind::EnableAccount(_) => {
                                w.accounts[x].disabled = false;
                                4722
                            }
                            _ => {
                                w.accounts[x].reset_at = Some(t);
                                4724
                            }
                        };
                        account_change = Some((x, event_id));
                    }
                }
                ActionKind::KillProcess { host: h, .. } => {
                    if let Some(h) = w.host(h) {
                        killed.insert(h, t);
                    }
                }
                ActionKind::ReimageHost(h) | ActionKind::RestoreBackup(h) | ActionKind::PatchHost(h) => {
                    if let Some(hi) = w.host(h) {
                        let down = match &kind {
                            ActionKind::ReimageHost(_) => 4 * HOUR,
                            ActionKind::RestoreBackup(_) => 2 * HOUR,
                            _ => 20 * MINUTE,
                        };
                        let s = &mut w.hosts[hi].state;
                        s.rebuilding_until = s.rebuilding_until.max(t + down);
                        if !matches!(kind, ActionKind::PatchHost(_)) {
                            s.rebuilt_at = Some(t);
                            s.isolated = false;
                            persisted[hi] = false;
                        }
                        // A fresh image carries current patches too.
                        if !matches!(kind, ActionKind::RestoreBackup(_)) {
                            s.patched = true;
                        }
                        recheck = Some(t + down);
                    }
                }
                ActionKind::ShutdownHost(h) | ActionKind::StartHost(h) => {
                    if let Some(h) = w.host(h) {
                        w.hosts[h].state.off = matches!(kind, ActionKind::ShutdownHost(_));
                    }
                }
                ActionKind::StopService(s) => {
                    if let Some(s) = w.service(s) {
                        w.services[s].stopped = true;
                    }
                }
                ActionKind::StartService(s) => {
                    if let Some(si) = w.service(s) {
                        let svc = &mut w.services[si];
                        svc.stopped = false;
                        if svc.degraded_until > t {
                            // Restoring what the adversary broke takes a little while.
                            svc.degraded_until = t + 10 * MINUTE;
                            recheck = Some(t + 10 * MINUTE);
                        }
                    }
                }
                ActionKind::Detected(_)
                | ActionKind::Delivered(_)
                | ActionKind::Answered(_)
                | ActionKind::Chose { .. }
                | ActionKind::RunStep(_)
                | ActionKind::SkipStep(_)
                | ActionKind::DelayStep { .. } => {}
            }
        }
        if let ActionKind::RunStep(step) | ActionKind::SkipStep(step) | ActionKind::DelayStep { step, .. } = &kind {
            self.white_cell(ti, step, &kind, t);
        }
        if let ActionKind::Delivered(inject) = &kind
            && let Some(&k) = self.items.index.get(inject.as_str())
        {
            self.arrive(ti, k, t, How::ByHand);
        }
        if let ActionKind::Chose { decision, option } = &kind {
            self.decide(ti, decision, option, t);
        }
        if let Some((account, event_id)) = account_change {
            self.account_event(ti, account, event_id, t);
        }
        if let Some(at) = recheck {
            self.push(at, ACTION, ti, RECHECK as usize);
        }
        self.record_availability(ti, t);
    }

    /// The directory event an account change leaves on the organisation's domain controller.
    fn account_event(&mut self, ti: usize, account: usize, event_id: i64, t: Millis) {
        let w = &mut self.teams[ti].world;
        let org = w.accounts[account].org;
        let Some(dc) =
            (0..w.hosts.len()).find(|&h| w.hosts[h].org == org && w.hosts[h].def.role == HostRole::DomainController)
        else {
            return;
        };
        let admin = (0..w.accounts.len()).find(|&a| w.accounts[a].org == org && w.is_admin(a) && a != account);
        if self.out.start(w, t, dc, Source::Security) {
            let (user, domain, sid) = {
                let a = &w.accounts[account];
                (a.user.clone(), a.domain.clone(), a.sid.clone())
            };
            self.out
                .ev
                .int("EventID", event_id)
                .str("TargetUserName", &user)
                .str("TargetDomainName", &domain)
                .str("TargetSid", &sid);
            let mut rng = Rng::stream(self.seed, &[w.team, "account-change", &t.to_string()]);
            self.out
                .finish(w, admin.map_or(Actor::System, Actor::Account), &mut rng);
        }
    }

    fn record_availability(&mut self, ti: usize, t: Millis) {
        let team = &mut self.teams[ti];
        for s in 0..team.world.services.len() {
            let up = team.world.service_up(s, t);
            let log = &mut team.availability[s];
            if log.last().is_none_or(|&(_, was)| was != up) {
                log.push((t, up));
            }
        }
    }

    // ----- ground truth -----

    fn rfc3339(&self, t: Millis) -> String {
        let mut cal = Calendar::default();
        let mut b = Vec::new();
        cal.rfc3339(self.clock.unix_ms(t), &mut b);
        String::from_utf8(b).unwrap_or_default()
    }

    /// Every campaign step that applies in a team's world, as it stands (typed; [`Self::truth`]
    /// is the same as JSON).
    pub fn outcomes(&self) -> Vec<StepOutcome<'_>> {
        let mut out = Vec::new();
        for team in &self.teams {
            for (si, st) in team.states.iter().enumerate() {
                let (_, step, _) = self.plan.steps[si];
                if !st.applies || (st.due.is_none() && step.at.is_none() && step.after.is_none()) {
                    continue;
                }
                out.push(StepOutcome {
                    team: team.world.team,
                    step: &step.id.name,
                    status: st.status,
                    due: st.due,
                    events: &st.events,
                    reason: st.reason.as_deref(),
                });
            }
        }
        out
    }

    /// What `step` requires that does not hold in `team`'s world at `t`, described as the
    /// scenario says it (`None` when all of it holds, or there is no such step or team). The
    /// white cell may not run a step before what it requires: the step would only be prevented,
    /// and the team credited for a prevention it did not make.
    pub fn unmet_requirement(&self, team: &str, step: &str, t: Millis) -> Option<String> {
        let ti = self.teams.iter().position(|x| x.world.team == team)?;
        let &si = self.plan.index.get(step)?;
        self.first_unmet(ti, si, t)
    }

    /// The first of step `si`'s requirements that does not hold for team `ti` at `t`, described.
    fn first_unmet(&self, ti: usize, si: usize, t: Millis) -> Option<String> {
        let (_, def, _) = self.plan.steps[si];
        let x = &self.teams[ti];
        let offset = |c: &ClockTime| self.clock.offset(c);
        def.requires
            .iter()
            .find(|c| !campaign::holds(c, &self.plan, &x.states, &x.world, &x.facts, t, &offset))
            .map(campaign::describe)
    }

    /// A team's world as it stands: hosts with their state, accounts, services.
    pub fn world(&self, team: &str) -> Option<&World<'s>> {
        self.teams.iter().map(|t| &t.world).find(|w| w.team == team)
    }

    /// Every service of every team's world with the time it was down from the start of play
    /// to exercise time `to`, and whether it is up at `to`.
    pub fn downtime(&self, to: Millis) -> Vec<Downtime<'s>> {
        let mut out = Vec::new();
        for team in &self.teams {
            let w = &team.world;
            for (s, log) in team.availability.iter().enumerate() {
                let mut down = 0;
                for (i, &(at, up)) in log.iter().enumerate() {
                    if !up && at < to {
                        let end = log.get(i + 1).map_or(to, |&(e, _)| e).min(to);
                        down += end.saturating_sub(at);
                    }
                }
                let up = log.iter().rev().find(|&&(at, _)| at <= to).is_none_or(|&(_, up)| up);
                out.push(Downtime {
                    team: w.team,
                    service: w.services[s].def,
                    down,
                    up,
                });
            }
        }
        out
    }

    /// The ground truth: one JSON object per (team, step) that applies, then one per
    /// (team, service) with its availability. Call after the run.
    pub fn truth(&self) -> Vec<Value> {
        let mut out = Vec::new();
        for team in &self.teams {
            let w = &team.world;
            for (si, st) in team.states.iter().enumerate() {
                if !st.applies {
                    continue;
                }
                let (campaign, step, _) = self.plan.steps[si];
                if st.due.is_none() && step.at.is_none() && step.after.is_none() {
                    continue; // a fallback that was never needed
                }
                out.push(json!({
                    "type": "step",
                    "team": w.team,
                    "campaign": campaign.id.name,
                    "step": step.id.name,
                    "technique": step.technique.as_str(),
                    "tactic": step.tactic.map(|t| t.as_str()),
                    "status": st.status,
                    "due": st.due.map(|t| self.rfc3339(t)),
                    "reason": st.reason,
                    "fallback_for": st.fallback_for.map(|f| self.plan.steps[f].1.id.name.as_str()),
                    "hosts": st.hosts.iter().map(|&h| w.hosts[h].def.hostname.as_str()).collect::<Vec<_>>(),
                    "events": st.events,
                }));
            }
            for (decision, option, at) in self.decisions(w.team) {
                out.push(json!({
                    "type": "decision",
                    "team": w.team,
                    "decision": decision,
                    "option": option,
                    "at": self.rfc3339(at),
                }));
            }
            for (s, log) in team.availability.iter().enumerate() {
                let mut outages = Vec::new();
                let mut down_ms = 0;
                for (i, &(at, up)) in log.iter().enumerate() {
                    if !up {
                        let end = log.get(i + 1).map_or(self.until, |&(e, _)| e).min(self.until);
                        down_ms += end.saturating_sub(at);
                        outages.push(json!({"from": self.rfc3339(at), "to": self.rfc3339(end)}));
                    }
                }
                let percent = available_percent(down_ms, self.until);
                out.push(json!({
                    "type": "service",
                    "team": w.team,
                    "service": w.services[s].def.id.name,
                    "available_percent": (percent * 100.0).round() / 100.0,
                    "outages": outages,
                }));
            }
        }
        out
    }
}
