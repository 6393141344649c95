//! The ATT&CK Navigator layer of a team's coverage.

use atoll_report::navigator;
use serde_json::Value;

use crate::sample;

fn entries<'a>(layer: &'a Value, technique: &str) -> Vec<&'a Value> {
    layer["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["techniqueID"] == technique)
        .collect()
}

#[test]
fn the_layer_is_format_4_5_of_the_enterprise_domain() {
    let layer = navigator::layer(&sample::report(), "palau").unwrap();
    assert_eq!(layer["versions"]["layer"], "4.5");
    assert_eq!(layer["versions"]["attack"], "16");
    assert_eq!(layer["domain"], "enterprise-attack");
    assert_eq!(layer["name"], "Pacific Cable Shield 2025 — Palau");
    assert_eq!(layer["sorting"], 0);
    assert_eq!(layer["hideDisabled"], false);
    assert_eq!(layer["gradient"]["minValue"], 0);
    assert_eq!(layer["gradient"]["maxValue"], 2);
    assert!(layer["gradient"]["colors"].as_array().unwrap().len() >= 2);
    let legend: Vec<&str> = layer["legendItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert_eq!(legend, ["detected in time", "detected late", "prevented", "missed"]);
    assert!(navigator::layer(&sample::report(), "tuvalu").is_none());
}

#[test]
fn each_technique_is_scored_once_per_tactic_in_kebab_case() {
    let layer = navigator::layer(&sample::report(), "palau").unwrap();
    let all = layer["techniques"].as_array().unwrap();
    for entry in all {
        let tactic = entry["tactic"].as_str().unwrap();
        assert!(
            !tactic.is_empty()
                && tactic
                    .split('-')
                    .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase())),
            "tactic {tactic:?} is not an ATT&CK short name"
        );
        assert_eq!(entry["enabled"], true);
    }
    let score = |technique: &str| -> Vec<(String, i64, String)> {
        entries(&layer, technique)
            .iter()
            .map(|e| {
                let comment = e["comment"].as_str().unwrap();
                (
                    e["tactic"].as_str().unwrap().to_owned(),
                    e["score"].as_i64().unwrap(),
                    comment.to_owned(),
                )
            })
            .collect()
    };
    let t1190 = score("T1190");
    assert_eq!((t1190[0].0.as_str(), t1190[0].1), ("initial-access", 2));
    assert!(
        t1190[0]
            .2
            .starts_with("detected: Exploit the VPN gateway: ran D1 09:20, detected D1 09:35")
    );
    assert_eq!(score("T1003.003")[0].1, 0);
    assert!(
        score("T1003.003")[0]
            .2
            .starts_with("missed: Dump NTDS: ran D1 11:10, not detected")
    );
    assert_eq!(score("T1071.001")[0].0, "command-and-control");
    assert_eq!(score("T1074.001")[0].1, 2, "prevented scores as detected");
    assert!(score("T1074.001")[0].2.starts_with("prevented"));
    // Detected an hour after it ran, against a 30-minute limit: late, once per tactic.
    let t1078 = score("T1078");
    assert_eq!(t1078.len(), 2);
    assert_eq!((t1078[0].0.as_str(), t1078[0].1), ("defense-evasion", 1));
    assert_eq!((t1078[1].0.as_str(), t1078[1].1), ("persistence", 1));
    // Techniques that never ran are left out.
    assert!(entries(&layer, "T1041").is_empty() && entries(&layer, "T1485").is_empty());
    assert_eq!(all.len(), 6);
    // Prevented and detected share a score but not a colour, which the legend names.
    let color = |technique: &str| entries(&layer, technique)[0]["color"].clone();
    assert_ne!(color("T1074.001"), color("T1190"));
    let legend = &layer["legendItems"];
    assert_eq!(legend[2]["color"], color("T1074.001"));
    assert_eq!(legend[0]["color"], color("T1190"));
    assert_eq!(legend[1]["color"], color("T1078"));
    assert_eq!(legend[3]["color"], color("T1003.003"));
}
