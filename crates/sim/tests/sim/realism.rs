//! Realism: over a simulated day of every player team, SigmaHQ's rules (and atoll's own, in
//! `rules/`) raise a medium-or-higher alert on the events of every campaign step the ground
//! truth lists, the benign look-alikes fire the rules their threat cases name, and every
//! threat case the scenario reproduces appears with the case's key field values.

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

fn simulate_day() -> Day {
    let path = root().join("scenarios/pacific-cable-shield.yaml");
    let scenario = atoll_scenario::load_file(&path).unwrap_or_else(|f| panic!("{}", f.render("scenario")));
    let mut lines = Vec::new();
    let mut truth = Vec::new();
    for team in scenario.player_teams() {
        // Every team spots the web shell at 10:30 on day 1 (a step waits for that), and
        // does nothing about it.
        let spotted = Action {
            at: 2 * HOUR,
            team: team.id.name.clone(),
            kind: ActionKind::Detected("vt-edge-exploit".into()),
            line: 0,
        };
        let config = Config {
            seed: 2026,
            date: DEFAULT_DATE,
            until: 24 * HOUR,
            teams: vec![team.id.name.clone()],
            actions: vec![spotted],
        };
        let mut sim = Simulation::new(&scenario, config).unwrap();
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

#[test]
fn a_simulated_day_fires_real_rules_on_every_stage_and_on_the_look_alikes() {
    let day = simulate_day();
    let set = rules();
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
            titles.extend(alerts(&set, &by_team[team][n as usize]));
        }
        if titles.is_empty() && !UNSEEN.iter().any(|(s, _)| *s == id) {
            missed.push(format!("{team}/{id} ({} events)", events.len()));
        }
    }
    assert!(ran >= 30, "a day of five nations runs many steps: {ran}");
    assert!(missed.is_empty(), "steps no medium+ rule saw: {missed:#?}");
    // Steps of several campaigns ran on the first day; over the whole exercise each team faces
    // at least two campaigns, and not every team the same mix.
    assert!(
        campaigns.iter().map(|(_, c)| c).collect::<BTreeSet<_>>().len() >= 3,
        "{campaigns:?}"
    );
    let path = root().join("scenarios/pacific-cable-shield.yaml");
    let scenario = atoll_scenario::load_file(&path).unwrap_or_else(|f| panic!("{}", f.render("scenario")));
    let mut mix: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for team in scenario.player_teams() {
        for c in &scenario.campaigns {
            if c.teams.is_empty() || c.teams.iter().any(|t| t.name == team.id.name) {
                mix.entry(team.id.name.clone()).or_default().insert(c.id.name.clone());
            }
        }
    }
    assert_eq!(mix.len(), 5, "{mix:?}");
    assert!(mix.values().all(|c| c.len() >= 2), "{mix:?}");
    assert!(
        mix.values().collect::<BTreeSet<_>>().len() == 5,
        "two teams face the same mix: {mix:?}"
    );

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
        let value = &want[key];
        let candidates: Vec<&(String, u64, Value)> = index.iter().filter(|(_, _, e)| &e[key] == value).collect();
        if candidates.is_empty() {
            continue;
        }
        used += 1;
        let same = |e: &Value| {
            want.iter()
                .filter(|(k, _)| !WORLD_FIELDS.contains(&k.as_str()))
                .all(|(k, v)| &e[k] == v)
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
    assert!(used >= 20, "the scenario reproduces many threat cases: {used}");
    assert!(
        fp_used >= 7 && fp_fired == fp_used,
        "look-alikes: {fp_fired} of {fp_used} fired"
    );
}
