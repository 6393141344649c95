//! The simulation holds for any scenario: decisions change the world, placeholders name the
//! right account and target, fallbacks carry on only an unbroken chain, and network engineers
//! work on their routers. Each test fails on the simulation as it was before issue 26.

use std::path::Path;

use atoll_sim::clock::{HOUR, MINUTE};
use atoll_sim::{ActionKind, Config, DEFAULT_DATE, How, Simulation};
use serde_json::Value;

use crate::simulate::{act, lines, run, scenario, step};

/// The bundled scenario's text with `from` replaced by `to` (exactly once).
fn variant(from: &str, to: &str) -> atoll_scenario::Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/pacific-cable-shield.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.matches(from).count(), 1, "{from}");
    let text = text.replacen(from, to, 1);
    atoll_scenario::load_str(&text, path.parent()).unwrap_or_else(|d| panic!("{d:#?}"))
}

/// Palau's day with the web shell spotted at 10:30 (a later step waits for that) and `more`.
fn palau_sim(s: &atoll_scenario::Scenario, hours: u64, more: Vec<atoll_sim::Action>) -> Simulation<'_> {
    let mut actions = vec![act(2 * HOUR, ActionKind::Detected("vt-edge-exploit".into()))];
    actions.extend(more);
    let config = Config {
        seed: 3,
        date: DEFAULT_DATE,
        until: hours * HOUR,
        teams: vec!["palau".into()],
        actions,
    };
    let mut sim = Simulation::new(s, config).unwrap();
    sim.run(|_, _| Ok(())).unwrap();
    sim
}

fn status<'a>(truth: &'a [Value], id: &str) -> &'a Value {
    truth
        .iter()
        .find(|v| v["type"] == "step" && v["step"] == id)
        .unwrap_or_else(|| panic!("no ground truth for {id}"))
}

#[test]
fn a_decision_takes_effect_in_the_world() {
    let s = scenario();
    // Evicting (D1 12:30, after the decision reached the team at about 12:15 and before its
    // one-hour deadline): the DC is isolated, the directory is down two hours, the staging
    // step is off the plan and the eviction brief arrives.
    let evict = act(
        4 * HOUR,
        ActionKind::Chose {
            decision: "d-evict-or-monitor".into(),
            option: "evict".into(),
        },
    );
    let sim = palau_sim(&s, 12, vec![evict]);
    assert_eq!(sim.decisions("palau"), vec![("d-evict-or-monitor", "evict", 4 * HOUR)]);
    let truth = sim.truth();
    let stage = status(&truth, "vt-stage");
    assert_eq!(stage["status"], "prevented", "{stage}");
    assert!(
        stage["reason"]
            .as_str()
            .unwrap()
            .contains("decision d-evict-or-monitor"),
        "{stage}"
    );
    let world = sim.world("palau").unwrap();
    let dc = world
        .hosts
        .iter()
        .find(|h| h.def.hostname == "PT-DC01")
        .expect("Palau's telecom DC");
    assert!(dc.state.isolated, "the option isolates the domain controller");
    let directory = sim
        .downtime(12 * HOUR)
        .into_iter()
        .find(|d| d.team == "palau" && d.service.tags.iter().any(|t| t.name == "directory"))
        .expect("a directory service");
    assert!(
        directory.down >= 2 * HOUR - MINUTE,
        "the directory was down {} ms",
        directory.down
    );
    let brief = sim
        .arrivals("palau")
        .into_iter()
        .find(|a| a.id == "eviction-brief")
        .expect("the option delivers its inject");
    assert_eq!((brief.at, brief.how), (4 * HOUR, How::Decision));

    // Without a choice, the default (monitor) is taken at the deadline, one hour after the
    // decision arrived, and the campaign goes on.
    let sim = palau_sim(&s, 12, Vec::new());
    let arrived = sim
        .arrivals("palau")
        .into_iter()
        .find(|a| a.id == "d-evict-or-monitor")
        .expect("the decision reaches Palau")
        .at;
    assert_eq!(
        sim.decisions("palau"),
        vec![("d-evict-or-monitor", "monitor", arrived + HOUR)]
    );
    let truth = sim.truth();
    assert_eq!(status(&truth, "vt-stage")["status"], "succeeded");
    assert!(
        truth
            .iter()
            .any(|v| v["type"] == "decision" && v["option"] == "monitor")
    );
    assert!(sim.arrivals("palau").iter().all(|a| a.id != "eviction-brief"));
    // A choice after the default changes nothing.
    let late = act(
        arrived + 2 * HOUR,
        ActionKind::Chose {
            decision: "d-evict-or-monitor".into(),
            option: "evict".into(),
        },
    );
    let sim = palau_sim(&s, 12, vec![late]);
    assert_eq!(sim.decisions("palau")[0].1, "monitor");
    assert!(!sim.world("palau").unwrap().hosts.iter().any(|h| h.state.isolated));
}

#[test]
fn a_step_acts_as_the_account_it_held_and_names_its_target() {
    // The NTDS dump steals the domain admins' credentials; its own events show the account
    // the actor came with (the network monitor's service account), not the newly stolen one.
    // And an event logged on another host (`on:`) can name the step's target.
    let s = variant(
        "          - steal_credentials: {tag: monitoring-service}\n        emits:\n",
        "          - steal_credentials: {tag: monitoring-service}\n        emits:\n          - log: sysmon\n            on: {role: web_server, sector: telecom, tag: customer-portal}\n            fields:\n              EventID: 1\n              Image: 'C:\\Windows\\System32\\mstsc.exe'\n              CommandLine: 'mstsc.exe /v:{{target.hostname}}'\n",
    );
    let r = run(
        &s,
        4,
        12,
        "palau",
        vec![act(2 * HOUR, ActionKind::Detected("vt-edge-exploit".into()))],
    );
    let all = lines(&r);
    let events = |id: &str| -> Vec<Value> {
        step(&r, id)["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| serde_json::from_str(all[n.as_u64().unwrap() as usize]).unwrap())
            .collect()
    };
    let dump = events("vt-ntds-dump");
    let users: Vec<&str> = dump.iter().filter_map(|v| v["User"].as_str()).collect();
    assert!(!users.is_empty(), "{dump:?}");
    assert!(users.iter().all(|u| *u == "PACTEL\\svc_prtg"), "{users:?}");
    let rdp: Vec<Value> = events("vt-prtg-creds")
        .into_iter()
        .filter(|v| v["EventID"] == 1)
        .collect();
    assert_eq!(rdp.len(), 1, "{rdp:?}");
    assert_eq!(rdp[0]["host"], "PT-WEB01");
    assert_eq!(rdp[0]["CommandLine"], "mstsc.exe /v:PT-PRTG01");
}

#[test]
fn a_fallback_carries_on_only_an_unbroken_chain() {
    // The bundled fallback now requires the step its step needs; take that away to see the
    // rule itself: with the DC isolated before the NTDS dump, the dump is blocked, the port
    // proxy that needs it is blocked too, and its fallback (the home-router return) does not
    // run — the chain it would carry on is broken.
    let s = variant(
        "        target: {role: vpn_edge, sector: telecom}\n        requires:\n          - step: vt-ntds-dump\n",
        "        target: {role: vpn_edge, sector: telecom}\n",
    );
    let warnings = atoll_scenario::validate::warnings(&s);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].message.contains("`vt-soho-proxy`") && warnings[0].message.contains("`vt-ntds-dump`"),
        "{}",
        warnings[0].message
    );
    let isolate = act(HOUR, ActionKind::IsolateHost("pw-tel-dc01".into()));
    let sim = palau_sim(&s, 12, vec![isolate]);
    let truth = sim.truth();
    assert_eq!(status(&truth, "vt-ntds-dump")["status"], "prevented");
    let proxy = status(&truth, "vt-portproxy");
    assert_eq!(proxy["status"], "prevented");
    assert!(
        proxy["reason"]
            .as_str()
            .unwrap()
            .contains("no fallback: step vt-ntds-dump it needs did not run"),
        "{proxy}"
    );
    assert!(
        truth
            .iter()
            .all(|v| !(v["type"] == "step" && v["step"] == "vt-soho-proxy" && v["status"] == "succeeded")),
        "the fallback ran on a broken chain"
    );
    // The bundled scenarios themselves draw no warning.
    for name in ["pacific-cable-shield", "harbour-lights"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../scenarios/{name}.yaml"));
        let s = atoll_scenario::load_file(&path).unwrap_or_else(|f| panic!("{}", f.render(name)));
        assert!(
            atoll_scenario::validate::warnings(&s).is_empty(),
            "{name}: {:?}",
            atoll_scenario::validate::warnings(&s)
        );
    }
}

#[test]
fn network_engineers_type_their_commands_on_the_routers() {
    // Palau's NOC engineer works on PT-NOC01; the commands of her profile are router
    // commands in the core router's AAA accounting, under her own name.
    let s = scenario();
    let r = run(&s, 6, 12, "palau", Vec::new());
    let mut on_router = 0;
    for line in lines(&r) {
        let v: Value = serde_json::from_str(line).unwrap();
        if v["log"] == "cisco_aaa" && v["user"] == "mngiraked" {
            assert!(v["host"].as_str().unwrap().starts_with("PT-"), "{v}");
            on_router += 1;
        }
    }
    assert!(
        on_router >= 20,
        "{on_router} router commands by the NOC engineer in 12 hours"
    );
}

#[test]
fn blocking_where_the_data_goes_stops_the_exfiltration() {
    // Once the port proxy is up (about 11:45), the team blocks the address the staged archive
    // is to leave for; the exfiltration step (about 14:45) finds its destination blocked.
    let s = scenario();
    let block = act(4 * HOUR + 30 * MINUTE, ActionKind::BlockAddress("203.0.113.45".into()));
    let sim = palau_sim(&s, 12, vec![block]);
    let truth = sim.truth();
    assert_eq!(status(&truth, "vt-portproxy")["status"], "succeeded");
    let stage = status(&truth, "vt-stage");
    assert_eq!(stage["status"], "prevented", "{stage}");
    assert_eq!(stage["reason"], "exfiltration destination 203.0.113.45 blocked");
}
