//! Realism: over a simulated day of every player team of each bundled scenario, SigmaHQ's
//! rules (and atoll's own, in `rules/`) raise a medium-or-higher alert on the events of every
//! campaign step the ground truth lists, the benign look-alikes fire the rules their threat
//! cases name, and every threat case the scenario reproduces appears with the case's key field
//! values. And no tell-tales: nothing but the attack tells the attack apart (see
//! [`no_tell_tales`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use atoll_sigma::{Config as SigmaConfig, Event, Level, RuleSet};
use atoll_sim::clock::HOUR;
use atoll_sim::{Action, ActionKind, Config, DEFAULT_DATE, Simulation};
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Steps that leave no event any single-event rule can tell from normal work, with why.
const UNSEEN: &[(&str, &str)] = &[
    (
        "kw-ssh-guess",
        "password guessing over SSH: failed and accepted password lines that no single-event rule \
         flags; the scenario asks the team to write the rule for it",
    ),
    (
        "vt-prtg-creds",
        "a network logon with the monitoring service's own valid account; only its source (the DMZ web \
         server) gives it away, which takes correlation, not a single-event rule",
    ),
    (
        "bt-exfil",
        "silent by design: its only trace is flow records of SSH sessions to the branch router, found \
         by hunting, and by the beaconing correlation rules, which single-event matching does not run",
    ),
];

/// Fields of a threat case that name the world (people, sessions, addresses, times) rather
/// than the behaviour; each world has its own.
const WORLD_FIELDS: &[&str] = &[
    "User",
    "LogonId",
    "SubjectUserName",
    "TargetUserName",
    "IpAddress",
    "_raw",
    "SourceUser",
    "CallTrace",
];

struct Day {
    /// Per team: event lines.
    lines: Vec<(String, Vec<String>)>,
    truth: Vec<Value>,
}

fn load(name: &str) -> atoll_scenario::Scenario {
    let path = root().join(format!("scenarios/{name}.yaml"));
    atoll_scenario::load_file(&path).unwrap_or_else(|f| panic!("{}", f.render(name)))
}

/// A simulated day of every player team, each on its own; `spotted` is a step every team
/// detects two hours in (and does nothing about), for a scenario whose later steps wait for it.
fn simulate_day(scenario: &atoll_scenario::Scenario, spotted: Option<&str>) -> Day {
    let mut lines = Vec::new();
    let mut truth = Vec::new();
    for team in scenario.player_teams() {
        let actions = spotted
            .map(|step| Action {
                at: 2 * HOUR,
                team: team.id.name.clone(),
                kind: ActionKind::Detected(step.into()),
                line: 0,
            })
            .into_iter()
            .collect();
        let config = Config {
            seed: 2026,
            date: DEFAULT_DATE,
            until: 24 * HOUR,
            teams: vec![team.id.name.clone()],
            actions,
        };
        let mut sim = Simulation::new(scenario, config).unwrap();
        let mut text = Vec::new();
        sim.run(|chunk, _| {
            text.extend_from_slice(chunk);
            Ok(())
        })
        .unwrap();
        let text = String::from_utf8(text).unwrap();
        lines.push((team.id.name.clone(), text.lines().map(str::to_string).collect()));
        truth.extend(sim.truth());
    }
    Day { lines, truth }
}

fn rules() -> RuleSet {
    let shared = root().join("../shared/sigma");
    let paths = vec![
        shared.join("rules"),
        shared.join("rules-emerging-threats"),
        shared.join("rules-threat-hunting"),
        root().join("rules"),
    ];
    let loaded = atoll_sigma::load(&paths, &SigmaConfig::default());
    let atoll_errors: Vec<String> = loaded
        .errors
        .iter()
        .filter(|e| e.file.starts_with(root().join("rules")))
        .map(|e| format!("{e:?}"))
        .collect();
    assert!(
        atoll_errors.is_empty(),
        "atoll's own rules must load: {atoll_errors:#?}"
    );
    RuleSet::new(loaded.rules)
}

/// Rule titles at medium or above that match the line.
fn alerts(set: &RuleSet, line: &str) -> Vec<String> {
    let event = Event::from_json(line).unwrap();
    set.matches(&event)
        .into_iter()
        .map(|i| &set.rules()[i])
        .filter(|r| r.level.is_some_and(|l| l >= Level::Medium))
        .map(|r| r.title.clone())
        .collect()
}

fn cases() -> Vec<Value> {
    std::fs::read_to_string(root().join("../shared/research/threat-cases.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// What the checks of a day found.
struct Seen {
    /// Steps that ran.
    ran: usize,
    /// (team, campaign) pairs with a step that ran.
    campaigns: BTreeSet<(String, String)>,
    /// (team, line) of every attack event.
    step_lines: BTreeSet<(String, u64)>,
    /// Threat cases the day reproduces, look-alike cases among them, and how many fired.
    used: usize,
    fp_used: usize,
    fp_fired: usize,
}

/// Checks 1 and 2 of the realism test on one scenario's day. The attack cases of the threat
/// research are the bundled scenario's chains; another scenario is held to the look-alikes'.
fn realism(day: &Day, set: &RuleSet, attack_cases: bool) -> Seen {
    let by_team: HashMap<&str, &Vec<String>> = day.lines.iter().map(|(t, l)| (t.as_str(), l)).collect();

    // 1. Every step that ran was seen by at least one medium-or-higher rule.
    let mut step_lines: BTreeSet<(String, u64)> = BTreeSet::new();
    let mut missed = Vec::new();
    let mut ran = 0;
    let mut campaigns = BTreeSet::new();
    for v in day.truth.iter().filter(|v| v["type"] == "step") {
        let team = v["team"].as_str().unwrap();
        let id = v["step"].as_str().unwrap();
        assert_ne!(
            v["status"], "prevented",
            "nothing is prevented without response actions: {v}"
        );
        if v["status"] != "succeeded" {
            continue;
        }
        ran += 1;
        campaigns.insert((team.to_string(), v["campaign"].as_str().unwrap().to_string()));
        let events = v["events"].as_array().unwrap();
        let mut titles = BTreeSet::new();
        for n in events {
            let n = n.as_u64().unwrap();
            step_lines.insert((team.to_string(), n));
            titles.extend(alerts(set, &by_team[team][n as usize]));
        }
        if titles.is_empty() && !UNSEEN.iter().any(|(s, _)| *s == id) {
            missed.push(format!("{team}/{id} ({} events)", events.len()));
        }
    }
    assert!(missed.is_empty(), "steps no medium+ rule saw: {missed:#?}");

    // 2. Threat cases the scenario reproduces appear with their key field values, and the
    //    benign look-alikes (FP cases) fire their rules on events no step produced.
    let interesting = |l: &str| {
        !(l.contains("\"log\":\"dns\"") || l.contains("\"log\":\"netflow\"") || l.contains("\"log\":\"firewall\""))
    };
    let mut index: Vec<(String, u64, Value)> = Vec::new();
    for (team, lines) in &day.lines {
        for (n, l) in lines.iter().enumerate() {
            if interesting(l)
                && (l.contains("CommandLine")
                    || l.contains("\"Data\"")
                    || l.contains("TargetObject")
                    || l.contains("\"command\""))
            {
                index.push((team.clone(), n as u64, serde_json::from_str(l).unwrap()));
            }
        }
    }
    let mut used = 0;
    let mut fp_fired = 0;
    let mut fp_used = 0;
    let mut problems = Vec::new();
    for case in cases() {
        let want = case["event"].as_object().unwrap();
        let key = ["CommandLine", "TargetObject", "Data", "TargetFilename"]
            .into_iter()
            .find(|k| want.contains_key(*k));
        let Some(key) = key else { continue };
        if !attack_cases && case["kind"] != "FP" {
            continue;
        }
        let value = &want[key];
        let candidates: Vec<&(String, u64, Value)> = index.iter().filter(|(_, _, e)| &e[key] == value).collect();
        if candidates.is_empty() {
            continue;
        }
        used += 1;
        // A case written as Sysmon's process creation also matches Security's 4688 (hosts
        // without Sysmon), by the names that event gives the same things.
        let same = |e: &Value| {
            let audit = e["EventID"] == 4688;
            want.iter()
                .filter(|(k, _)| !WORLD_FIELDS.contains(&k.as_str()))
                .all(|(k, v)| match (audit, k.as_str()) {
                    (true, "EventID" | "OriginalFileName") => true,
                    (true, "Image") => &e["NewProcessName"] == v,
                    (true, "ParentImage") => &e["ParentProcessName"] == v,
                    _ => &e[k] == v,
                })
        };
        if !candidates.iter().any(|(_, _, e)| same(e)) {
            problems.push(format!(
                "{}: no event with all key fields; first: {}",
                case["case"], candidates[0].2
            ));
            continue;
        }
        if case["kind"] == "FP" {
            fp_used += 1;
            let rule_id = case["rule_id"].as_str().unwrap();
            let benign = candidates
                .iter()
                .filter(|(t, n, e)| same(e) && !step_lines.contains(&(t.clone(), *n)))
                .take(3);
            let fired = benign.into_iter().any(|(t, n, _)| {
                let event = Event::from_json(&by_team[t.as_str()][*n as usize]).unwrap();
                set.matches(&event)
                    .into_iter()
                    .any(|i| set.rules()[i].id.as_deref() == Some(rule_id))
            });
            if fired {
                fp_fired += 1;
            } else {
                problems.push(format!("{}: benign event does not fire {rule_id}", case["case"]));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    Seen {
        ran,
        campaigns,
        step_lines,
        used,
        fp_used,
        fp_fired,
    }
}

/// The campaigns each player team faces over the whole exercise.
fn mix(scenario: &atoll_scenario::Scenario) -> BTreeMap<String, BTreeSet<String>> {
    let mut mix: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for team in scenario.player_teams() {
        for c in &scenario.campaigns {
            if c.teams.is_empty() || c.teams.iter().any(|t| t.name == team.id.name) {
                mix.entry(team.id.name.clone()).or_default().insert(c.id.name.clone());
            }
        }
    }
    mix
}

#[test]
fn a_simulated_day_fires_real_rules_on_every_stage_and_on_the_look_alikes() {
    let scenario = load("pacific-cable-shield");
    // Every team spots the web shell at 10:30 on day 1 (a step waits for that).
    let day = simulate_day(&scenario, Some("vt-edge-exploit"));
    let set = rules();
    let seen = realism(&day, &set, true);
    assert!(seen.ran >= 30, "a day of five nations runs many steps: {}", seen.ran);
    // Steps of several campaigns ran on the first day; over the whole exercise each team faces
    // at least two campaigns, and not every team the same mix.
    assert!(
        seen.campaigns.iter().map(|(_, c)| c).collect::<BTreeSet<_>>().len() >= 3,
        "{:?}",
        seen.campaigns
    );
    let mix = mix(&scenario);
    assert_eq!(mix.len(), 5, "{mix:?}");
    assert!(mix.values().all(|c| c.len() >= 2), "{mix:?}");
    assert!(
        mix.values().collect::<BTreeSet<_>>().len() == 5,
        "two teams face the same mix: {mix:?}"
    );
    assert!(
        seen.used >= 20,
        "the scenario reproduces many threat cases: {}",
        seen.used
    );
    assert!(
        seen.fp_used >= 7 && seen.fp_fired == seen.fp_used,
        "look-alikes: {} of {} fired",
        seen.fp_fired,
        seen.fp_used
    );
    no_tell_tales(&scenario, &day, &seen, &set);
}

#[test]
fn the_second_scenario_fires_real_rules_and_shows_no_tell_tales() {
    let scenario = load("harbour-lights");
    let day = simulate_day(&scenario, None);
    let set = rules();
    let seen = realism(&day, &set, false);
    assert!(seen.ran >= 20, "a day of three nations runs many steps: {}", seen.ran);
    assert_eq!(
        seen.campaigns.iter().map(|(_, c)| c).collect::<BTreeSet<_>>().len(),
        2,
        "{:?}",
        seen.campaigns
    );
    let mix = mix(&scenario);
    assert_eq!(mix.len(), 3, "{mix:?}");
    assert!(
        mix.values().collect::<BTreeSet<_>>().len() >= 2,
        "the teams face different mixes: {mix:?}"
    );
    assert!(
        seen.fp_used >= 5 && seen.fp_fired == seen.fp_used,
        "look-alikes: {} of {} fired",
        seen.fp_fired,
        seen.fp_used
    );
    no_tell_tales(&scenario, &day, &seen, &set);
}

/// The `"name":"value"` text of a JSON line's string field (values atoll writes have no
/// escaped quotes in these fields), without parsing the whole line.
fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let key = format!("\"{name}\":\"");
    let at = line.find(&key)? + key.len();
    let rest = &line[at..];
    Some(&rest[..rest.find('"')?])
}

/// Nothing but the attack tells the attack apart:
/// - every log that carries a team's attack events also carries benign ones;
/// - internal names resolve inside the world: a DNS answer (resolver log or Sysmon 22) for a
///   name under one of the world's domains is that host's own address;
/// - no process of a person's profile runs as SYSTEM;
/// - no rule matches the fields atoll adds around every event (`log`, `team`, `host`,
///   `@timestamp`): an event of only those fields, for every log and host of the day, matches
///   nothing.
fn no_tell_tales(scenario: &atoll_scenario::Scenario, day: &Day, seen: &Seen, set: &RuleSet) {
    let mut problems = Vec::new();
    for (team, lines) in &day.lines {
        let world = atoll_sim::world::World::build(scenario, team);
        // 1. Logs with attack events have benign ones.
        let mut attack: BTreeMap<&str, usize> = BTreeMap::new();
        let mut benign: BTreeMap<&str, usize> = BTreeMap::new();
        for (n, line) in lines.iter().enumerate() {
            let log = field(line, "log").unwrap();
            if seen.step_lines.contains(&(team.clone(), n as u64)) {
                *attack.entry(log).or_default() += 1;
            } else {
                *benign.entry(log).or_default() += 1;
            }
        }
        for (log, n) in &attack {
            if !benign.contains_key(log) {
                problems.push(format!("{team}: {n} attack events and nothing benign in `{log}`"));
            }
        }
        // 2. Internal names resolve inside the world.
        let domains: Vec<String> = world
            .orgs
            .iter()
            .map(|o| format!(".{}", o.domain.to_ascii_lowercase()))
            .collect();
        let address: HashMap<String, String> = world
            .hosts
            .iter()
            .map(|h| (h.fqdn.to_ascii_lowercase(), h.def.address.0.to_string()))
            .collect();
        let mut internal = 0;
        for (n, line) in lines.iter().enumerate() {
            if seen.step_lines.contains(&(team.clone(), n as u64)) {
                continue;
            }
            let (name, answer) = match field(line, "log") {
                Some("dns") => (field(line, "query"), field(line, "answer").map(str::to_string)),
                Some("sysmon") if line.contains("\"EventID\":22,") => (
                    field(line, "QueryName"),
                    field(line, "QueryResults")
                        .map(|r| r.trim_start_matches("::ffff:").trim_end_matches(';').to_string()),
                ),
                _ => continue,
            };
            let (Some(name), Some(answer)) = (name, answer) else {
                continue;
            };
            let name = name.to_ascii_lowercase();
            if !domains.iter().any(|d| name.ends_with(d.as_str())) {
                continue;
            }
            internal += 1;
            match address.get(&name) {
                Some(a) if *a == answer => {}
                Some(a) => problems.push(format!("{team}: {name} answered {answer}, but it is {a}")),
                None => problems.push(format!("{team}: {name} resolved, but no host has that name")),
            }
        }
        assert!(internal > 0, "{team}: no internal name was looked up");
        // 3. No process of a person's profile runs as SYSTEM.
        let persons: BTreeSet<&str> = world
            .hosts
            .iter()
            .filter(|h| {
                h.def.profile.as_ref().is_some_and(|p| {
                    scenario
                        .profiles
                        .iter()
                        .any(|x| x.id.name == p.name && x.kind.is_person())
                })
            })
            .map(|h| h.def.hostname.as_str())
            .collect();
        for (n, line) in lines.iter().enumerate() {
            if seen.step_lines.contains(&(team.clone(), n as u64))
                || !line.contains("explorer.exe")
                || !field(line, "host").is_some_and(|h| persons.contains(h))
            {
                continue;
            }
            let v: Value = serde_json::from_str(line).unwrap();
            let under_explorer = v["ParentImage"]
                .as_str()
                .or(v["ParentProcessName"].as_str())
                .unwrap_or("");
            let system = v["User"] == "NT AUTHORITY\\SYSTEM" || v["SubjectUserSid"] == "S-1-5-18";
            if under_explorer.ends_with("explorer.exe") && system {
                problems.push(format!("{team}: a person's program runs as SYSTEM: {line}"));
            }
        }
        // 4. The envelope matches no rule.
        let mut envelopes = BTreeSet::new();
        for line in lines {
            envelopes.insert((field(line, "log").unwrap(), field(line, "host").unwrap()));
        }
        for (log, host) in envelopes {
            let line = format!(
                "{{\"@timestamp\":\"2026-06-01T00:00:00Z\",\"host\":\"{host}\",\"log\":\"{log}\",\"team\":\"{team}\"}}"
            );
            let event = Event::from_json(&line).unwrap();
            for i in set.matches(&event) {
                problems.push(format!(
                    "{team}: `{}` matches the envelope {line}",
                    set.rules()[i].title
                ));
            }
        }
    }
    problems.truncate(20);
    assert!(problems.is_empty(), "{problems:#?}");
}
