//! A team's runtime driven by the exercise clock gives what a one-shot simulation gives:
//! the same events in its store, alerts equal to the Sigma engine's over those events, and
//! actions that take effect from their time.

use std::path::Path;

use atoll_exercise::{Clock, Setup, TeamRuntime};
use atoll_scenario::Scenario;
use atoll_sigma::{Config as RuleConfig, RuleSet, Stream};
use atoll_sim::clock::{HOUR, MINUTE};
use atoll_sim::{Action, ActionKind, Config, DEFAULT_DATE, Simulation};

use crate::{root, scenario};

/// atoll's own rules and SigmaHQ's Windows rules.
fn rules() -> (RuleSet, Vec<atoll_sigma::Correlation>) {
    let loaded = atoll_sigma::load(
        &[root().join("rules"), root().join("../shared/sigma/rules/windows")],
        &RuleConfig::default(),
    );
    assert!(loaded.rules.len() > 2000, "{} rules", loaded.rules.len());
    (RuleSet::new(loaded.rules), loaded.correlations)
}

fn one_shot(s: &Scenario, until: u64, actions: Vec<Action>) -> Vec<String> {
    let config = Config {
        seed: 5,
        date: DEFAULT_DATE,
        until,
        teams: vec!["palau".into()],
        actions,
    };
    let mut sim = Simulation::new(s, config).unwrap();
    let mut bytes = Vec::new();
    sim.run(|chunk, _| {
        bytes.extend_from_slice(chunk);
        Ok(())
    })
    .unwrap();
    String::from_utf8(bytes).unwrap().lines().map(str::to_owned).collect()
}

fn setup() -> Setup {
    Setup {
        seed: 5,
        date: DEFAULT_DATE,
        end: 6 * HOUR,
    }
}

const T0: i64 = 1_780_000_000_000;

#[test]
fn the_clock_drives_the_world_with_pauses_and_the_store_holds_what_simulate_writes() {
    let s = scenario();
    let (set, correlations) = rules();
    let mut team = TeamRuntime::new(&s, &setup(), "palau", &set, correlations.clone()).unwrap();
    let mut clock = Clock::new(6 * HOUR, 600).unwrap();
    clock.start(T0).unwrap();
    let mut wall = T0;
    let mut paused_at = None;
    for tick in 0..40 {
        wall += 1000;
        if tick == 10 {
            clock.pause(wall).unwrap();
        }
        if tick == 30 {
            clock.resume(wall).unwrap();
        }
        let added = team.advance_to(clock.now(wall));
        if tick == 10 {
            paused_at = Some(team.reached());
        }
        if (11..=30).contains(&tick) {
            assert_eq!(added, 0, "nothing happens while paused (tick {tick})");
            assert_eq!(Some(team.reached()), paused_at);
        } else {
            assert!(added > 0, "tick {tick}");
        }
    }
    // 11 s before the pause and 9 s after it, at 600x: 200 minutes of exercise time.
    assert_eq!(clock.now(wall), 200 * MINUTE);
    assert_eq!(team.reached(), 200 * MINUTE);

    let lines = one_shot(&s, 200 * MINUTE, Vec::new());
    assert_eq!(team.store().len(), lines.len());
    assert_eq!(team.refused(), 0);
    let mut out = String::new();
    for (row, line) in lines.iter().enumerate() {
        out.clear();
        team.store().write_json(row as u32, &mut out);
        assert_eq!(&out, line, "row {row}");
    }

    // The alerts are the engine's matches over the same lines, in order.
    let mut stream = Stream::new(&set, correlations.clone()).unwrap();
    let mut expected = Vec::new();
    for (row, line) in lines.iter().enumerate() {
        let event = atoll_sigma::Event::from_json(line).unwrap();
        let out = stream.push(&event);
        expected.extend(out.rules.iter().map(|&i| (row as u32, set.rules()[i].title.clone())));
        expected.extend(
            out.correlations
                .iter()
                .map(|h| (row as u32, correlations[h.correlation].title.clone())),
        );
    }
    let got: Vec<(u32, String)> = team.alerts().iter().map(|a| (a.row, a.title.clone())).collect();
    assert!(got.len() > 50, "{} alerts", got.len());
    assert_eq!(got, expected);

    // The credential dump on the domain controller is among them, with its technique,
    // author and exercise time.
    let ntds = team
        .alerts()
        .iter()
        .find(|a| a.techniques.iter().any(|t| t == "T1003.003") && a.host.as_deref() == Some("PT-DC01"))
        .expect("an alert for the NTDS dump on PT-DC01");
    assert!(ntds.author.is_some());
    assert!(ntds.at > 60 * MINUTE && ntds.at < 200 * MINUTE, "{}", ntds.at);
}

#[test]
fn actions_take_effect_from_their_time_and_late_or_foreign_ones_are_refused() {
    let s = scenario();
    let (set, _) = rules();
    let isolate = |at| Action {
        at,
        team: "palau".into(),
        kind: ActionKind::IsolateHost("pw-tel-web01".into()),
        line: 0,
    };
    let mut team = TeamRuntime::new(&s, &setup(), "palau", &set, Vec::new()).unwrap();
    team.advance_to(40 * MINUTE);
    let err = team.act(isolate(39 * MINUTE)).unwrap_err();
    assert!(err.0.contains("has already reached"), "{err}");
    let foreign = Action {
        team: "nauru".into(),
        ..isolate(50 * MINUTE)
    };
    assert_eq!(
        team.act(foreign).unwrap_err().0,
        "an action of team `nauru` cannot be taken in team `palau`'s world"
    );
    team.act(isolate(50 * MINUTE)).unwrap();
    team.advance_to(4 * HOUR);
    // The same events, byte for byte, as one run given the action at the start.
    let lines = one_shot(&s, 4 * HOUR, vec![isolate(50 * MINUTE)]);
    assert_eq!(team.store().len(), lines.len());
    let mut out = String::new();
    for (row, line) in lines.iter().enumerate() {
        out.clear();
        team.store().write_json(row as u32, &mut out);
        assert_eq!(&out, line, "row {row}");
    }
    let truth = team.truth();
    let prevented = truth
        .iter()
        .filter(|v| v["type"] == "step" && v["status"] == "prevented")
        .count();
    assert!(prevented > 0, "isolating the web server prevents later steps");
    // The credential dump on the domain controller, which needs the web server as a way in,
    // never happened.
    for row in 0..team.store().len() as u32 {
        out.clear();
        team.store().write_json(row, &mut out);
        assert!(!out.contains("ntdsutil"), "the credential dump was prevented");
    }
}

#[test]
fn a_rule_the_team_writes_sees_events_from_when_it_is_turned_on_until_it_is_turned_off() {
    let s = scenario();
    let empty = RuleSet::new(Vec::new());
    // Every successful sign-in: frequent enough to fall in each window below.
    let text = "title: Any successful sign-in\nlevel: low\nauthor: palau-1\ntags: [attack.t1078]\n\
                logsource: {product: windows, service: security}\n\
                detection: {selection: {EventID: 4624}, condition: selection}\n";
    let compile = || {
        let (rules, correlations) = atoll_sigma::load_str(text, &RuleConfig::default()).unwrap();
        assert!(correlations.is_empty());
        RuleSet::new(rules)
    };
    let mut team = TeamRuntime::new(&s, &setup(), "palau", &empty, Vec::new()).unwrap();
    team.advance_to(HOUR);
    let late = team.add_rule(7, compile(), HOUR - MINUTE).unwrap_err();
    assert!(late.0.contains("before the time the world has reached"), "{late}");
    team.add_rule(7, compile(), 2 * HOUR).unwrap();
    assert!(
        team.add_rule(7, compile(), 2 * HOUR).is_err(),
        "a rule is turned on once"
    );
    team.advance_to(3 * HOUR);
    team.stop_rule(7, 3 * HOUR).unwrap();
    assert!(team.stop_rule(7, 3 * HOUR).is_err(), "a rule is turned off once");
    team.advance_to(4 * HOUR);

    // Exactly the sign-ins between 2 h and 3 h, by the same engine over the stored lines.
    let set = compile();
    let start = team.start_unix_ms();
    let mut expected = Vec::new();
    let mut out = String::new();
    for row in 0..team.store().len() as u32 {
        let at = (team.store().times()[row as usize] - start) as u64;
        out.clear();
        team.store().write_json(row, &mut out);
        let event = atoll_sigma::Event::from_json(&out).unwrap();
        if (2 * HOUR..3 * HOUR).contains(&at) && !set.matches(&event).is_empty() {
            expected.push(row);
        }
    }
    assert!(expected.len() > 5, "{} sign-ins in the window", expected.len());
    let raised: Vec<u32> = team.alerts().iter().map(|a| a.row).collect();
    assert_eq!(raised, expected);
    let alert = &team.alerts()[0];
    assert_eq!(alert.team_rule(), Some(7));
    assert_eq!(
        (alert.title.as_str(), alert.author.as_deref(), alert.techniques.clone()),
        ("Any successful sign-in", Some("palau-1"), vec!["T1078".to_owned()])
    );
}

/// One team rule's text: every successful sign-in, or every failed one.
const SIGN_INS: &str = "title: Any successful sign-in\nlevel: low\n\
                        logsource: {product: windows, service: security}\n\
                        detection: {selection: {EventID: 4624}, condition: selection}\n";

fn compile_text(text: &str) -> Result<RuleSet, String> {
    let (rules, _) = atoll_sigma::load_str(text, &RuleConfig::default()).map_err(|e| format!("{e:?}"))?;
    Ok(RuleSet::new(rules))
}

/// What a team's own rules did: each alert's row and rule, and each rule's matched rows.
type RuleStory = (Vec<(u32, Option<i64>)>, Vec<(i64, Vec<u32>)>);

fn team_rule_story(team: &TeamRuntime<'_>) -> RuleStory {
    (
        team.alerts().iter().map(|a| (a.row, a.team_rule())).collect(),
        team.team_rules().iter().map(|r| (r.id, r.matched.to_vec())).collect(),
    )
}

#[test]
fn stored_rules_are_compiled_only_when_the_world_reaches_them_and_dropped_when_turned_off() {
    let s = scenario();
    let empty = RuleSet::new(Vec::new());
    // Live: rule 1 on from 1 h to 2 h, rule 2 from 3 h on.
    let mut live = TeamRuntime::new(&s, &setup(), "palau", &empty, Vec::new()).unwrap();
    live.advance_to(HOUR);
    live.add_rule(1, compile_text(SIGN_INS).unwrap(), HOUR).unwrap();
    live.advance_to(HOUR + MINUTE);
    live.stop_rule(1, 2 * HOUR).unwrap();
    assert_eq!(
        (live.rules_on(), live.rules_compiled()),
        (0, 1),
        "off from 2 h, still running until then"
    );
    live.advance_to(2 * HOUR + MINUTE);
    assert_eq!(live.rules_compiled(), 0, "past 2 h, rule 1's compiled form is gone");
    live.advance_to(3 * HOUR);
    live.add_rule(2, compile_text(SIGN_INS).unwrap(), 3 * HOUR).unwrap();
    live.advance_to(4 * HOUR);

    // After a restart: both given before the world moves, compiled as it reaches them.
    let mut again = TeamRuntime::new(&s, &setup(), "palau", &empty, Vec::new()).unwrap();
    again
        .schedule_rule(2, SIGN_INS.to_owned(), 3 * HOUR, None, compile_text)
        .unwrap();
    again
        .schedule_rule(1, SIGN_INS.to_owned(), HOUR, Some(2 * HOUR), compile_text)
        .unwrap();
    again
        .schedule_rule(3, "title: broken\n".to_owned(), 90 * MINUTE, None, compile_text)
        .unwrap();
    again.advance_to(HOUR - MINUTE);
    assert_eq!(again.rules_compiled(), 0, "nothing compiled before its time");
    again.advance_to(HOUR + MINUTE);
    assert_eq!(again.rules_compiled(), 1);
    again.advance_to(2 * HOUR + MINUTE);
    assert_eq!(again.rules_compiled(), 0);
    let failed = again.take_failed_rules();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].0, 3);
    again.advance_to(4 * HOUR);
    assert_eq!((again.rules_on(), again.rules_compiled()), (1, 1));
    let story = team_rule_story(&live);
    assert!(story.0.len() > 5, "sign-ins alerted: {}", story.0.len());
    assert_eq!(team_rule_story(&again), story, "the same alerts and matches as live");
    // Rule 1 saw nothing after it was turned off.
    let start = live.start_unix_ms();
    let last = *story.1[0].1.last().unwrap();
    assert!(((live.store().times()[last as usize] - start) as u64) < 2 * HOUR);
}

#[test]
fn one_process_seen_by_sysmon_and_by_security_auditing_is_one_detection() {
    let s = scenario();
    let empty = RuleSet::new(Vec::new());
    // Every process start: the same rule sees Sysmon 1 and Security 4688 alike.
    let text = "title: Any process start\nlevel: low\nauthor: palau-1\n\
                logsource: {product: windows, category: process_creation}\n\
                detection: {selection: {CommandLine|contains: ' '}, condition: selection}\n";
    let (rules, _) = atoll_sigma::load_str(text, &RuleConfig::default()).unwrap();
    let mut team = TeamRuntime::new(&s, &setup(), "palau", &empty, Vec::new()).unwrap();
    team.add_rule(1, RuleSet::new(rules), 0).unwrap();
    team.advance_to(6 * HOUR);
    let alerts = team.alerts();
    let twins = team.twins();
    assert_eq!(twins.len(), alerts.len());

    // The pairs as read off the stored events, by a plain search over every two alerts.
    let start = team.start_unix_ms();
    let fields = |row: u32| {
        let mut out = String::new();
        team.store().write_json(row, &mut out);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let sysmon = v["log"] == "sysmon";
        let image = if sysmon { &v["Image"] } else { &v["NewProcessName"] };
        (
            sysmon,
            v["host"].as_str().unwrap().to_owned(),
            image.as_str().unwrap().to_lowercase(),
            v["CommandLine"].as_str().unwrap().to_owned(),
            (team.store().times()[row as usize] - start) as u64,
        )
    };
    let seen: Vec<_> = alerts.iter().map(|a| fields(a.row)).collect();
    let mut expected = vec![None; alerts.len()];
    for i in 0..alerts.len() {
        if expected[i].is_some() {
            continue;
        }
        let (sysmon, host, image, cmd, at) = &seen[i];
        let other = (i + 1..alerts.len()).find(|&j| {
            let (s2, h2, i2, c2, at2) = &seen[j];
            expected[j].is_none()
                && s2 != sysmon
                && h2 == host
                && i2 == image
                && c2 == cmd
                && at2.abs_diff(*at) <= 5_000
        });
        if let Some(j) = other {
            expected[i] = Some(j as u32);
            expected[j] = Some(i as u32);
        }
    }
    assert_eq!(twins, expected.as_slice());
    let pairs = twins
        .iter()
        .enumerate()
        .filter(|(i, t)| t.is_some_and(|t| t as usize > *i))
        .count();
    let sysmon = seen.iter().filter(|s| s.0).count();
    // Palau's Windows hosts run Sysmon and Security auditing both: starts are seen twice.
    assert!(
        pairs > 20 && sysmon >= pairs,
        "{pairs} pairs of {} alerts",
        alerts.len()
    );
    assert_eq!(team.detections(), alerts.len() - pairs, "a pair is one detection");
    // The web shell's `whoami /all` is one of them.
    let whoami = seen
        .iter()
        .position(|s| s.0 && s.3 == "whoami /all")
        .expect("the web shell's whoami");
    let twin = twins[whoami].expect("seen by Security auditing too") as usize;
    assert!(!seen[twin].0 && seen[twin].3 == "whoami /all");
}

/// What a team's world says reached it, and how its steps went: (kind, item, minute, how)
/// and (step, status, minute due, reason).
type Story = (
    Vec<(atoll_sim::items::Kind, String, u64, atoll_sim::How)>,
    Vec<(String, atoll_sim::campaign::Status, Option<u64>, Option<String>)>,
);

fn story(team: &TeamRuntime<'_>) -> Story {
    let arrivals = team
        .arrivals()
        .into_iter()
        .map(|a| (a.kind, a.id.to_owned(), a.at / MINUTE, a.how))
        .collect();
    let steps = team
        .outcomes()
        .into_iter()
        .map(|o| {
            (
                o.step.to_owned(),
                o.status,
                o.due.map(|d| d / MINUTE),
                o.reason.map(str::to_owned),
            )
        })
        .collect();
    (arrivals, steps)
}

fn events(team: &TeamRuntime<'_>) -> Vec<String> {
    (0..team.store().len() as u32)
        .map(|row| {
            let mut line = String::new();
            team.store().write_json(row, &mut line);
            line
        })
        .collect()
}

#[test]
fn every_condition_holds_live_as_after_a_restart() {
    use atoll_sim::How::{ByHand, Condition, Planned};
    use atoll_sim::campaign::Status::{Prevented, Succeeded};
    use atoll_sim::items::Kind::{Decision, Inject, Question};

    let s = atoll_scenario::load_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/conditions.yaml"))
        .unwrap_or_else(|p| panic!("{}", p.render("scenario")));
    let set = RuleSet::new(Vec::new());
    let setup = Setup {
        seed: 11,
        date: DEFAULT_DATE,
        end: 8 * HOUR,
    };
    let fact = |minute: u64, kind: ActionKind| Action {
        at: minute * MINUTE,
        team: "palau".into(),
        kind,
        line: 0,
    };
    // The team answers at 09:50, chooses b at 09:55, marks the entry step's alert at 10:10; an
    // instructor sends `i-hand` at 11:00 (planned for 16:00); the team isolates the web server
    // at 12:00.
    let facts = [
        fact(50, ActionKind::Answered("q-ask".into())),
        fact(
            55,
            ActionKind::Chose {
                decision: "d-pick".into(),
                option: "b".into(),
            },
        ),
        fact(70, ActionKind::Detected("s-entry".into())),
        fact(120, ActionKind::Delivered("i-hand".into())),
        fact(180, ActionKind::IsolateHost("pw-web01".into())),
    ];

    // Live: the clock moves a minute at a time and each fact is given when it happens.
    let mut live = TeamRuntime::new(&s, &setup, "palau", &set, Vec::new()).unwrap();
    for minute in 0..=8 * 60 {
        live.advance_to(minute * MINUTE);
        for f in facts.iter().filter(|f| f.at == minute * MINUTE) {
            if matches!(f.kind, ActionKind::IsolateHost(_)) {
                live.act(f.clone()).unwrap();
                continue;
            }
            // Held while "stored": the world waits at the fact's time however far the clock goes.
            let at = live.hold(f.at);
            assert_eq!(at, f.at);
            live.advance_to(f.at + 10 * MINUTE);
            assert_eq!(live.reached(), f.at, "a held world waits");
            live.take_fact(f.clone()).unwrap();
            assert_eq!(
                live.reached(),
                f.at + 1,
                "a fact given where the world stands moves it on"
            );
        }
    }
    let (arrivals, steps) = story(&live);

    // Worked out by hand from the scenario: minutes after 09:00.
    let expected_arrivals = [
        (Question, "q-ask", 15, Planned),
        (Decision, "d-pick", 20, Planned),
        (Inject, "i-step", 40, Condition),
        (Inject, "i-blocked", 40, Condition),
        (Inject, "i-answered", 50, Condition),
        (Inject, "i-chose", 55, Condition),
        (Inject, "i-time", 60, Condition),
        (Question, "q-all", 60, Condition),
        (Inject, "i-detected", 100, Condition),
        (Question, "q-follow", 105, Planned),
        (Inject, "i-hand", 120, ByHand),
        (Inject, "i-delivered", 120, Condition),
        (Inject, "i-contained", 180, Condition),
    ];
    let mut got: Vec<_> = arrivals.iter().map(|(k, id, m, h)| (*k, id.as_str(), *m, *h)).collect();
    let mut want = expected_arrivals.to_vec();
    got.sort_by_key(|a| (a.2, a.1));
    want.sort_by_key(|a| (a.2, a.1));
    assert_eq!(got, want, "`i-never` never comes: play starts at 09:00");
    let step = |id: &str| steps.iter().find(|s| s.0 == id).unwrap_or_else(|| panic!("step {id}"));
    assert_eq!((step("s-entry").1, step("s-entry").2), (Succeeded, Some(30)));
    assert_eq!((step("s-blocked").1, step("s-blocked").2), (Prevented, Some(40)));
    assert_eq!(step("s-after-detect").1, Succeeded, "detected at 70, due at 90");
    assert_eq!(
        (step("s-after-inject").1, step("s-after-inject").2),
        (Succeeded, Some(135))
    );
    assert_eq!(
        (step("s-after-contain").1, step("s-after-contain").2),
        (Prevented, Some(270))
    );
    assert!(
        step("s-after-contain")
            .3
            .as_deref()
            .is_some_and(|r| r.contains("step s-entry contained")),
        "{:?}",
        step("s-after-contain").3
    );

    // After a restart: the stored facts are given before the world moves, and it runs to the
    // end in one go.
    let mut replay = TeamRuntime::new(&s, &setup, "palau", &set, Vec::new()).unwrap();
    for f in facts.iter().rev() {
        replay.act(f.clone()).unwrap();
    }
    replay.advance_to(8 * HOUR);
    live.advance_to(8 * HOUR);
    assert_eq!(story(&replay), story(&live));
    let (live_events, replay_events) = (events(&live), events(&replay));
    assert!(!live_events.is_empty());
    assert_eq!(live_events, replay_events);

    // Without the facts, nothing that waits on them comes, and the step that needs a detection
    // is prevented.
    let mut idle = TeamRuntime::new(&s, &setup, "palau", &set, Vec::new()).unwrap();
    idle.advance_to(8 * HOUR);
    let (arrivals, steps) = story(&idle);
    let ids: Vec<&str> = arrivals.iter().map(|a| a.1.as_str()).collect();
    // `i-hand` comes at its own time, 16:00, and with it `i-delivered`; `q-all` then comes
    // by its `time: D1 16:00` branch.
    assert_eq!(
        ids,
        [
            "q-ask",
            "d-pick",
            "i-step",
            "i-blocked",
            "i-time",
            "i-hand",
            "i-delivered",
            "q-all"
        ]
    );
    assert!(arrivals[5..].iter().all(|a| a.2 == 7 * 60), "{arrivals:?}");
    assert!(steps.iter().any(|s| s.0 == "s-after-detect" && s.1 == Prevented));
}
